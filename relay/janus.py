"""The media server for voice rooms beyond a mesh: Janus, started by the relay or given by URL.

Two parts:

- ``JanusProcess`` starts Debian's (or any) ``janus`` binary as a child of the relay, with a
  config folder it writes into the relay's data folder (``janus/``): the HTTP transport only,
  bound to 127.0.0.1 on a free port, a fresh API and admin secret on every start, the
  VideoRoom plugin only, the RTP port range and NAT options the studio gives. It waits until
  Janus answers ``{"janus": "info"}`` and stops it with the relay.
- ``JanusClient`` is an asyncio client of Janus's HTTP API (aiohttp): sessions with a long
  poll for their events and a keepalive, plugin handles, VideoRoom rooms with a secret, a pin
  and ``allowed`` tokens.

Clients never reach Janus's API: the relay proxies every call (relay/voice_sfu.py), so only
Janus's media ports (UDP, the RTP range) need to be open to reviewers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import aiohttp

log = logging.getLogger("overshoulder.relay.janus")

JANUS_BIN = "janus"
VIDEOROOM = "janus.plugin.videoroom"
#: The plugin and transport Janus loads (from its library folder; nothing else is loaded).
VIDEOROOM_LIB = "libjanus_videoroom.so"
HTTP_LIB = "libjanus_http.so"
#: UDP ports Janus takes media on unless told otherwise (open these on a firewall).
DEFAULT_RTP_PORTS = (20000, 20999)
#: Seconds between keepalives of a session (Janus drops a session silent for 60 s).
KEEPALIVE_S = 25.0
#: Seconds one request to Janus may take.
REQUEST_TIMEOUT_S = 10.0
#: Seconds a started Janus has to answer ``info``.
START_TIMEOUT_S = 15.0


class JanusError(Exception):
    """Janus refused a request or could not be reached; the message says which and why."""

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        self.code = code


# --- starting Janus -------------------------------------------------------------------------


def parse_port_range(text: str) -> tuple[int, int]:
    """``"20000-20999"`` -> (20000, 20999); a clear ``ValueError`` for anything else."""
    parts = text.split("-")
    try:
        if len(parts) != 2:
            raise ValueError
        low, high = int(parts[0]), int(parts[1])
    except ValueError:
        raise ValueError(
            f"an RTP port range is two port numbers joined by '-' (e.g. 20000-20999), not {text!r}"
        ) from None
    if not (1024 <= low < high <= 65535):
        raise ValueError(f"the RTP port range {text!r} must go up from 1024-65535 (low below high)")
    return low, high


def find_janus(binary: str = JANUS_BIN) -> Optional[Path]:
    """The janus binary on PATH (or the given path), or None when it is not installed."""
    found = shutil.which(binary)
    return Path(found) if found else None


def find_janus_lib(binary: Path) -> Optional[Path]:
    """Janus's library folder (the one with ``plugins/`` and ``transports/``) for a binary:
    Debian's ``/usr/lib/<multiarch>/janus``, or ``<prefix>/lib/janus`` of a build from
    source (``/opt/janus``, ``/usr/local``)."""
    prefix = binary.resolve().parent.parent
    candidates = [prefix / "lib" / "janus"]
    candidates += sorted((prefix / "lib").glob("*/janus"))
    for lib in candidates:
        if (lib / "plugins" / VIDEOROOM_LIB).exists() and (lib / "transports" / HTTP_LIB).exists():
            return lib
    return None


def interface_addresses() -> Optional[list[tuple[str, str]]]:
    """(interface, IPv4 address) of each interface that is up, loopback left out; None where
    this cannot be known (not Linux). Janus takes media only on such an address."""
    if not sys.platform.startswith("linux"):
        return None
    import fcntl
    import struct

    found: list[tuple[str, str]] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            req = struct.pack("256s", name.encode()[:15])
            try:
                flags = struct.unpack("H", fcntl.ioctl(sock, _SIOCGIFFLAGS, req)[16:18])[0]
                if not flags & _IFF_UP or flags & _IFF_LOOPBACK:
                    continue
                address = socket.inet_ntoa(fcntl.ioctl(sock, _SIOCGIFADDR, req)[20:24])
            except OSError:  # no IPv4 address on it
                continue
            found.append((name, address))
    return found


_SIOCGIFFLAGS, _SIOCGIFADDR, _IFF_UP, _IFF_LOOPBACK = 0x8913, 0x8915, 0x1, 0x8


def media_interfaces(options: JanusOptions) -> Optional[list[tuple[str, str]]]:
    """The interfaces a Janus with ``options`` may take media on (its ICE enforce and ignore
    lists match an interface's name or address by prefix); None when unknown."""
    found = interface_addresses()
    if found is None:
        return None

    def matches(name: str, address: str, items: Sequence[str]) -> bool:
        return any(name.startswith(i) or address.startswith(i) for i in items)

    return [
        (name, address)
        for name, address in found
        if not matches(name, address, options.ice_ignore)
        and (not options.ice_enforce or matches(name, address, options.ice_enforce))
    ]


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _quote(value: str) -> str:
    """A libconfig string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class JanusOptions:
    """What a studio may set for a Janus the relay starts.

    ``rtp_ports``: the UDP range Janus takes media on (open it to reviewers).
    ``nat_1_1``: public addresses to put in Janus's host candidates when it sits behind a
    1:1 NAT (a cloud machine); ``stun``: ``host:port`` Janus asks for its public address;
    ``ice_enforce``: only these interfaces or address prefixes for ICE (e.g. ``eth0``);
    ``ice_ignore``: interfaces or prefixes never used (default ``vmnet``).
    """

    rtp_ports: tuple[int, int] = DEFAULT_RTP_PORTS
    nat_1_1: Sequence[str] = ()
    keep_private_host: bool = False
    stun: Optional[str] = None
    ice_enforce: Sequence[str] = ()
    ice_ignore: Sequence[str] = ("vmnet",)
    debug_level: int = 3


@dataclass
class JanusProcess:
    """A Janus the relay runs as its child, configured in ``work_dir`` (0700)."""

    work_dir: Path
    options: JanusOptions = field(default_factory=JanusOptions)
    binary: Optional[Path] = None
    port: int = 0
    api_secret: str = field(default_factory=lambda: secrets.token_hex(24))
    admin_key: str = field(default_factory=lambda: secrets.token_hex(24))
    proc: Optional[subprocess.Popen[bytes]] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "janus.log"

    def write_config(self, lib: Path) -> Path:
        """Write the config folder (and the folders of links to the one plugin and the one
        transport Janus may load); return the main config file."""
        conf = self.work_dir / "conf"
        for sub in ("conf", "plugins", "transports", "none"):
            (self.work_dir / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        # The config holds the secrets: no other local user may read it.
        os.chmod(self.work_dir, 0o700)
        os.chmod(conf, 0o700)
        for sub, name in (("plugins", VIDEOROOM_LIB), ("transports", HTTP_LIB)):
            folder = self.work_dir / sub
            for old in folder.iterdir():
                old.unlink()
            (folder / name).symlink_to(lib / sub / name)
        opts = self.options
        nat = [f"ice_ignore_list = {_quote(','.join(opts.ice_ignore))}"] if opts.ice_ignore else []
        if opts.ice_enforce:
            nat.append(f"ice_enforce_list = {_quote(','.join(opts.ice_enforce))}")
        if opts.nat_1_1:
            nat.append(f"nat_1_1_mapping = {_quote(','.join(opts.nat_1_1))}")
            nat.append(f"keep_private_host = {str(opts.keep_private_host).lower()}")
        if opts.stun:
            host, _, port = opts.stun.rpartition(":")
            nat += [f"stun_server = {_quote(host or opts.stun)}", f"stun_port = {port or 3478}"]
        none = self.work_dir / "none"
        files = {
            "janus.jcfg": [
                "general: {",
                f"  configs_folder = {_quote(str(conf))}",
                f"  plugins_folder = {_quote(str(self.work_dir / 'plugins'))}",
                f"  transports_folder = {_quote(str(self.work_dir / 'transports'))}",
                f"  events_folder = {_quote(str(none))}",
                f"  loggers_folder = {_quote(str(none))}",
                f"  debug_level = {int(opts.debug_level)}",
                f"  api_secret = {_quote(self.api_secret)}",
                f"  admin_secret = {_quote(self.admin_key)}",
                '  server_name = "overshoulder"',
                "  hide_dependencies = true",
                "  session_timeout = 60",
                # Recordings and captures may never write anywhere.
                '  protected_folders = ["/"]',
                "}",
                "media: {",
                f'  rtp_port_range = "{opts.rtp_ports[0]}-{opts.rtp_ports[1]}"',
                "}",
                "nat: {",
                *(f"  {line}" for line in nat),
                "}",
                "plugins: {}",
                "transports: {}",
                "events: {}",
                "loggers: {}",
            ],
            "janus.transport.http.jcfg": [
                "general: {",
                '  json = "plain"',
                '  base_path = "/janus"',
                "  http = true",
                f"  port = {self.port}",
                '  ip = "127.0.0.1"',
                "  https = false",
                "}",
                "admin: {",
                "  admin_http = false",
                "}",
                "cors: {}",
            ],
            "janus.plugin.videoroom.jcfg": [
                "general: {",
                # Rooms are made through the API only with this key (the relay's).
                f"  admin_key = {_quote(self.admin_key)}",
                "  lock_rtp_forward = true",
                "  string_ids = true",
                "}",
            ],
        }
        for name, lines in files.items():
            path = conf / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
        return conf / "janus.jcfg"

    async def start(self) -> JanusProcess:
        """Start Janus and wait until its API answers ``info``; ``JanusError`` says why not
        (not installed, no interface for media, its API port taken...).

        On Linux Janus is told to end when the thread that started it ends (so also when the
        relay is killed): start it from the thread that lives as long as it should, the
        relay's event loop."""
        usable = media_interfaces(self.options)
        if usable is not None and not usable:
            only = ", ".join(f"{n} {a}" for n, a in interface_addresses() or []) or "loopback"
            raise JanusError(
                "this machine has no network interface Janus can take media on (one that is "
                "up, with an IPv4 address other than loopback"
                + (
                    f", matching {', '.join(self.options.ice_enforce)}"
                    if self.options.ice_enforce
                    else ""
                )
                + f"; found: {only}); Janus sends no media over loopback"
            )
        chosen = not self.port
        try:
            return await self._start()
        except JanusError:
            if chosen:
                self.port = 0  # the next start picks another free port
            raise

    async def _start(self) -> JanusProcess:
        binary = self.binary or find_janus()
        if binary is None:
            raise JanusError(
                "the media server 'janus' is not installed (Debian: apt-get install janus)"
            )
        lib = find_janus_lib(binary)
        if lib is None:
            raise JanusError(
                f"found {binary} but not its plugin folder with {VIDEOROOM_LIB} and "
                f"{HTTP_LIB} (looked in {binary.resolve().parent.parent / 'lib'})"
            )
        self.port = self.port or free_tcp_port()
        main_conf = self.write_config(lib)
        logf = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        try:
            self.proc = subprocess.Popen(
                [str(binary), "-F", str(main_conf.parent), "-C", str(main_conf), "-o"],
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                cwd=str(self.work_dir),
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            logf.close()
        client = JanusClient(self.url, self.api_secret, self.admin_key)
        deadline = time.monotonic() + START_TIMEOUT_S
        try:
            while True:
                if self.proc.poll() is not None:
                    raise JanusError(
                        f"janus exited with status {self.proc.returncode} at start: "
                        f"{self.log_errors()}"
                    )
                try:
                    await client.info(timeout=1.0)
                    break
                except JanusError:
                    if time.monotonic() > deadline:
                        raise JanusError(
                            f"janus did not answer on {self.url} within {START_TIMEOUT_S:.0f} s: "
                            f"{self.log_tail()}"
                        ) from None
                    await asyncio.sleep(0.05)
        except BaseException:
            await client.close()
            await self.stop()
            raise
        await client.close()
        log.info(
            "media server: janus on %s, RTP ports %d-%d (pid %d)",
            self.url,
            *self.options.rtp_ports,
            self.proc.pid,
        )
        return self

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, proc.wait), 5)
        except asyncio.TimeoutError:
            proc.kill()
            await loop.run_in_executor(None, proc.wait)

    def log_errors(self) -> str:
        """Janus's log's fatal errors and warnings (else its tail), as one line."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        bad = [line for line in text.splitlines() if line.startswith(("[FATAL]", "[ERR]"))]
        return " | ".join(bad[-6:]) if bad else self.log_tail()

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.splitlines()[-lines:])


def _die_with_parent() -> None:
    """In the child before exec: Linux ends it when the relay dies, even by SIGKILL."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# --- the HTTP API -----------------------------------------------------------------------------


@dataclass
class JanusEvent:
    """One event Janus sent a handle: its kind (``event``, ``webrtcup``, ``hangup``...), the
    plugin's data, and the SDP it carries if any."""

    kind: str
    data: dict[str, Any]
    jsep: Optional[dict[str, Any]]
    raw: dict[str, Any]


def _raise_for(reply: dict[str, Any], what: str) -> None:
    if reply.get("janus") == "error":
        err = reply.get("error") or {}
        raise JanusError(f"{what}: janus said {err.get('reason', reply)}", err.get("code"))


def _plugin_error(data: dict[str, Any], what: str) -> None:
    if "error" in data or "error_code" in data:
        raise JanusError(
            f"{what}: the VideoRoom plugin said {data.get('error', data)}", data.get("error_code")
        )


class JanusClient:
    """Janus's HTTP API at ``url`` (``http://127.0.0.1:8088/janus``), every request carrying
    ``api_secret``; ``admin_key`` lets it create VideoRoom rooms."""

    def __init__(self, url: str, api_secret: str = "", admin_key: str = "") -> None:
        self.url = url.rstrip("/")
        self.api_secret = api_secret
        self.admin_key = admin_key
        self._http: Optional[aiohttp.ClientSession] = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            # One long poll per Janus session is always open: no cap on connections.
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, force_close=False)
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    def _body(self, kind: str, **more: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"janus": kind, "transaction": secrets.token_hex(8), **more}
        if self.api_secret:
            body["apisecret"] = self.api_secret
        return body

    async def post(
        self, path: str, body: dict[str, Any], what: str, timeout: float = REQUEST_TIMEOUT_S
    ) -> dict[str, Any]:
        try:
            async with self.http().post(
                self.url + path, json=body, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as resp:
                reply = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise JanusError(f"{what}: no answer from janus at {self.url} ({exc!r})") from None
        if not isinstance(reply, dict):
            raise JanusError(f"{what}: janus answered {reply!r}")
        _raise_for(reply, what)
        return reply

    async def info(self, timeout: float = REQUEST_TIMEOUT_S) -> dict[str, Any]:
        reply = await self.post("", self._body("info"), "info", timeout)
        if reply.get("janus") != "server_info":
            raise JanusError(f"info: {self.url} answered {reply.get('janus')!r}, not server_info")
        return reply

    async def create_session(self) -> JanusSession:
        reply = await self.post("", self._body("create"), "create a session")
        session = JanusSession(self, int(reply["data"]["id"]))
        session.start()
        return session


EventCallback = Callable[[JanusEvent], None]


class JanusSession:
    """One Janus session: its handles, a long poll that hands their events out, a keepalive."""

    def __init__(self, client: JanusClient, session_id: int) -> None:
        self.client = client
        self.id = session_id
        self.handles: dict[int, JanusHandle] = {}
        self._waiting: dict[str, asyncio.Future[JanusEvent]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.closed = False

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._poll()), loop.create_task(self._keepalive())]

    async def attach(self, plugin: str = VIDEOROOM) -> JanusHandle:
        reply = await self.post("", "attach", f"attach {plugin}", plugin=plugin)
        handle = JanusHandle(self, int(reply["data"]["id"]))
        self.handles[handle.id] = handle
        return handle

    async def post(self, path: str, kind: str, what: str, **more: Any) -> dict[str, Any]:
        if self.closed:
            raise JanusError(f"{what}: the janus session {self.id} is closed")
        return await self.client.post(f"/{self.id}{path}", self.client._body(kind, **more), what)

    def expect(self, transaction: str) -> asyncio.Future[JanusEvent]:
        fut: asyncio.Future[JanusEvent] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = fut
        return fut

    async def _keepalive(self) -> None:
        while not self.closed:
            await asyncio.sleep(KEEPALIVE_S)
            try:
                await self.post("", "keepalive", "keepalive")
            except JanusError as exc:
                log.warning("janus session %d: %s", self.id, exc)

    async def _poll(self) -> None:
        params = {"maxev": "10"}
        if self.client.api_secret:
            params["apisecret"] = self.client.api_secret
        failures = 0
        while not self.closed:
            params["rid"] = str(int(time.time() * 1000))
            try:
                async with self.client.http().get(
                    f"{self.client.url}/{self.id}",
                    params=params,
                    timeout=aiohttp.ClientTimeout(total=60),
                ) as resp:
                    reply = await resp.json(content_type=None)
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                failures += 1
                if failures >= 3 or self.closed:
                    self._fail(JanusError(f"janus session {self.id}: events lost ({exc!r})"))
                    return
                await asyncio.sleep(0.2)
                continue
            failures = 0
            for msg in reply if isinstance(reply, list) else [reply]:
                if isinstance(msg, dict):
                    if msg.get("janus") == "error":
                        self._fail(JanusError(f"janus session {self.id}: {msg.get('error')}"))
                        return
                    self._dispatch(msg)

    def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = str(msg.get("janus"))
        if kind in ("keepalive", "ack"):
            return
        plugindata = msg.get("plugindata") or {}
        event = JanusEvent(kind, plugindata.get("data") or {}, msg.get("jsep"), msg)
        fut = self._waiting.pop(str(msg.get("transaction")), None)
        if fut is not None and not fut.done():
            fut.set_result(event)
            return
        handle = self.handles.get(int(msg.get("sender") or 0))
        if handle is not None and handle.on_event is not None:
            try:
                handle.on_event(event)
            except Exception:
                log.exception("janus event handler failed on %r", msg)
        elif kind == "timeout":
            self._fail(JanusError(f"janus session {self.id} timed out"))

    def _fail(self, exc: JanusError) -> None:
        if not self.closed:
            log.warning("%s", exc)
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(exc)
        self._waiting.clear()

    async def destroy(self) -> None:
        """Destroy the session (and its handles) in Janus; safe to call twice."""
        if self.closed:
            return
        self.closed = True  # from now on the poll's "no such session" is expected
        try:
            body = self.client._body("destroy")
            await self.client.post(f"/{self.id}", body, "destroy a session")
        except JanusError as exc:
            log.debug("%s", exc)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._fail(JanusError(f"janus session {self.id} was closed"))


class JanusHandle:
    """A handle on a plugin (the VideoRoom) inside a session. Events not answering a request
    go to ``on_event``."""

    def __init__(self, session: JanusSession, handle_id: int) -> None:
        self.session = session
        self.id = handle_id
        self.on_event: Optional[EventCallback] = None

    async def request(self, body: dict[str, Any], what: str) -> dict[str, Any]:
        """A plugin request Janus answers at once (create, destroy, allowed, list...)."""
        reply = await self.session.post(f"/{self.id}", "message", what, body=body)
        if reply.get("janus") != "success":
            raise JanusError(f"{what}: janus answered {reply.get('janus')!r}, not success")
        data = (reply.get("plugindata") or {}).get("data") or {}
        _plugin_error(data, what)
        return data

    async def message(
        self, body: dict[str, Any], what: str, jsep: Optional[dict[str, Any]] = None
    ) -> JanusEvent:
        """A plugin request Janus answers with an event (join, publish, start...): the event
        whose transaction is this request's."""
        more: dict[str, Any] = {"body": body}
        if jsep is not None:
            more["jsep"] = jsep
        payload = self.session.client._body("message", **more)
        fut = self.session.expect(payload["transaction"])
        try:
            reply = await self.session.client.post(f"/{self.session.id}/{self.id}", payload, what)
            if reply.get("janus") == "success":  # answered at once after all
                data = (reply.get("plugindata") or {}).get("data") or {}
                event = JanusEvent("event", data, reply.get("jsep"), reply)
            else:
                event = await asyncio.wait_for(asyncio.shield(fut), REQUEST_TIMEOUT_S)
        except asyncio.TimeoutError:
            raise JanusError(f"{what}: janus sent no answer in {REQUEST_TIMEOUT_S:.0f} s") from None
        finally:
            self.session._waiting.pop(payload["transaction"], None)
        _plugin_error(event.data, what)
        return event

    async def trickle(self, candidate: Optional[dict[str, Any]]) -> None:
        """Hand Janus one ICE candidate of the far end (None: no more candidates)."""
        body = candidate if candidate is not None else {"completed": True}
        await self.session.post(f"/{self.id}", "trickle", "trickle", candidate=body)

    async def detach(self) -> None:
        self.session.handles.pop(self.id, None)
        with contextlib.suppress(JanusError):
            await self.session.post(f"/{self.id}", "detach", "detach a handle")


# --- VideoRoom rooms ------------------------------------------------------------------------


@dataclass
class VideoRoom:
    """A VideoRoom room the relay made: its id, the secret that edits or destroys it, the pin
    every join presents."""

    handle: JanusHandle
    room: str
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    pin: str = field(default_factory=lambda: secrets.token_hex(16))

    async def create(
        self, *, publishers: int, bitrate: int = 64_000, allowed: Sequence[str] = ()
    ) -> VideoRoom:
        """Create the room: audio only (Opus), private, not kept across Janus restarts.
        With ``allowed``, only those tokens may join (``allow`` adds more)."""
        body: dict[str, Any] = {
            "request": "create",
            "room": self.room,
            "permanent": False,
            "is_private": True,
            "secret": self.secret,
            "pin": self.pin,
            "publishers": publishers,
            "audiocodec": "opus",
            "bitrate": bitrate,
            "notify_joining": False,
            "require_pvtid": False,
        }
        admin_key = self.handle.session.client.admin_key
        if admin_key:
            body["admin_key"] = admin_key
        if allowed:
            body["allowed"] = list(allowed)
        await self.handle.request(body, f"create the voice room {self.room}")
        return self

    async def allow(self, tokens: Sequence[str], add: bool = True) -> None:
        """Add (or remove) tokens that may join; joins then present one as ``token``."""
        await self.handle.request(
            {
                "request": "allowed",
                "room": self.room,
                "secret": self.secret,
                "action": "add" if add else "remove",
                "allowed": list(tokens),
            },
            f"change who may join the voice room {self.room}",
        )

    async def destroy(self) -> None:
        await self.handle.request(
            {"request": "destroy", "room": self.room, "secret": self.secret},
            f"destroy the voice room {self.room}",
        )

"""Voice rooms beyond a mesh: every member's audio through Janus's VideoRoom (an SFU).

``SfuBridge`` is what a room's ``VoiceRoom`` talks to once the room switches to SFU. The
relay proxies every Janus call; clients only ever send ``voice_signal`` to the peer ids
``"sfu"`` (their own audio, published) and ``"sfu-sub"`` (everyone else's, one multistream
subscription), and get ``voice_signal`` back from them:

- each voice member gets a Janus session of its own;
- a member who may speak gets a publisher handle: its offer to ``"sfu"`` is published (audio
  only, Opus) and Janus's answer comes back from ``"sfu"``. A member who may not speak has no
  publisher handle at all, so Janus has nowhere to take their audio;
- every member gets one subscriber handle receiving every other live publisher's audio.
  Janus's offers come from ``"sfu-sub"`` with ``streams`` (which mid is whose voice); the
  client answers to ``"sfu-sub"``. A publisher that goes live or leaves updates everyone's
  subscription (Janus sends the new offer; it holds back one until the last is answered).

``MediaServer`` is the relay's Janus: one it starts (relay/janus.py) or one given by URL.
By default (``--media-server auto``) an installed Janus is started the first time a room
needs it (``ensure_started``) and kept for later rooms until the relay stops.
The Janus room is made on the first join and destroyed by ``close`` (voice emptied).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.protocol.messages import (
    SFU_PEER,
    SFU_SUBSCRIBE_PEER,
    IceCandidate,
    SessionDescription,
    VoiceSignal,
)

from .janus import (
    DEFAULT_RTP_PORTS,
    VIDEOROOM,
    JanusClient,
    JanusError,
    JanusEvent,
    JanusHandle,
    JanusOptions,
    JanusProcess,
    JanusSession,
    VideoRoom,
    find_janus,
    parse_port_range,
)
from .voice import MediaUnavailable

log = logging.getLogger("overshoulder.relay.voice_sfu")

#: The peer id a client publishes its audio to, and the one its subscription comes from.
SFU_PUBLISH = SFU_PEER
SFU_SUBSCRIBE = SFU_SUBSCRIBE_PEER
#: Publishers one Janus room takes (the issue's rooms have up to 20 speakers).
MAX_PUBLISHERS = 64
#: VideoRoom's error code for an element of the wrong type (a string id where integers are
#: configured).
_INVALID_ELEMENT = 430
#: VideoRoom's error code for a feed that is not (or no longer) publishing.
_NO_SUCH_FEED = 428


class Send(Protocol):
    """How the bridge reaches a member: ``send(participant_id, "voice_signal", body)``."""

    def __call__(self, pid: str, mtype: str, data: dict[str, Any]) -> None: ...


# --- the relay's media server -----------------------------------------------------------------


#: Seconds after a failed start during which rooms are refused at once with its reason.
RETRY_START_S = 30.0


@dataclass
class MediaServer:
    """The Janus a relay uses: started by it (``managed``) or given by URL and secret.

    ``lazy``: started by ``ensure_started``, the first time a room needs it, not with the
    relay (``VoiceOptions.media_start``)."""

    client: JanusClient
    process: Optional[JanusProcess] = None
    lazy: bool = False
    _starting: Optional[asyncio.Task[None]] = field(default=None, init=False, repr=False)
    #: When the last start failed (monotonic) and why.
    _failed: Optional[tuple[float, str]] = field(default=None, init=False, repr=False)

    @classmethod
    def managed(
        cls, data_dir: Path, options: Optional[JanusOptions] = None, lazy: bool = False
    ) -> MediaServer:
        proc = JanusProcess(Path(data_dir) / "janus", options or JanusOptions())
        return cls(JanusClient(proc.url, proc.api_secret, proc.admin_key), proc, lazy)

    def running(self) -> bool:
        """A Janus given by URL is taken as running; one the relay starts, while it runs."""
        if self.process is None:
            return True
        return self.process.proc is not None and self.process.proc.poll() is None

    async def ensure_started(self) -> None:
        """Start the relay's Janus unless it runs (one start, shared by whoever asks
        meanwhile). ``MediaUnavailable`` says why it could not; for ``RETRY_START_S`` after
        a failure the same reason comes at once."""
        if self.running():
            return
        failed = self._failed
        if failed is not None and time.monotonic() - failed[0] < RETRY_START_S:
            raise MediaUnavailable(failed[1])
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start_once())
        # A room that stops waiting (it closed) does not stop the start for the others.
        await asyncio.shield(self._starting)
        if self._failed is not None and not self.running():
            raise MediaUnavailable(self._failed[1])

    async def _start_once(self) -> None:
        try:
            if self.process is not None:
                await self.process.stop()  # a Janus that ended: its leftovers
            await self.start()
            self._failed = None
        except JanusError as exc:
            self._failed = (time.monotonic(), str(exc))
            log.warning("the media server could not start: %s", exc)
        finally:
            self._starting = None

    @classmethod
    def external(cls, url: str, api_secret: str = "", admin_key: str = "") -> MediaServer:
        return cls(JanusClient(url, api_secret, admin_key))

    async def start(self) -> None:
        """Start the managed Janus, or check that the given one answers and has the
        VideoRoom plugin; ``JanusError`` says what is wrong."""
        if self.process is not None:
            await self.process.start()
            self.client.url = self.process.url
        info = await self.client.info()
        if VIDEOROOM not in (info.get("plugins") or {}):
            raise JanusError(
                f"the janus at {self.client.url} has no VideoRoom plugin ({VIDEOROOM}); "
                "voice rooms beyond a mesh need it"
            )

    async def stop(self) -> None:
        """Stop the relay's Janus (a start under way too); a Janus given by URL runs on."""
        starting = self._starting
        if starting is not None:
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
        await self.client.close()
        if self.process is not None:
            await self.process.stop()

    def bridge(self, send: Send, name: str = "voice") -> SfuBridge:
        return SfuBridge(self.client, send, name=name)


def add_arguments(group: Any) -> None:
    """The relay's media server options, added to ``group`` (an argparse parser or group)."""
    group.add_argument(
        "--media-server",
        metavar="auto|janus|none|URL",
        default="auto",
        help="the media server for voice rooms beyond --voice-mesh-max: 'auto' (default) "
        "starts the installed Janus (Debian package 'janus') as the relay's child the first "
        "time a room needs it, its config in <data-dir>/janus, and keeps it until the relay "
        "stops; 'janus' starts it with the relay (and says so if it is not installed); "
        "'none': no media server, voice rooms are capped at --voice-mesh-max; a URL uses a "
        "running Janus's HTTP API, as --janus-url does",
    )
    group.add_argument(
        "--janus-url",
        metavar="URL",
        help="a Janus already running, by its HTTP API (e.g. http://127.0.0.1:8088/janus), "
        "with its VideoRoom plugin",
    )
    group.add_argument(
        "--janus-secret-file",
        type=Path,
        metavar="FILE",
        help="for a running Janus: a file whose first line is its api_secret and whose "
        "second line, if any, is its VideoRoom admin_key",
    )
    group.add_argument(
        "--janus-rtp-ports",
        "--media-rtp-ports",
        dest="janus_rtp_ports",
        default=f"{DEFAULT_RTP_PORTS[0]}-{DEFAULT_RTP_PORTS[1]}",
        metavar="LOW-HIGH",
        help="UDP ports a started Janus takes media on; open them to reviewers "
        "(default %(default)s)",
    )
    group.add_argument(
        "--janus-nat-1-1",
        "--media-public-ip",
        dest="janus_nat_1_1",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="the public address of a started Janus behind a 1:1 NAT (a cloud machine), "
        "put in its candidates; repeatable",
    )
    group.add_argument(
        "--janus-ice-interface",
        action="append",
        default=[],
        metavar="NAME",
        help="only this interface or address prefix for a started Janus's media (e.g. eth0, "
        "10.0.); repeatable (default: every interface but loopback)",
    )


def media_server_from_args(args: argparse.Namespace, data_dir: Path) -> Optional[MediaServer]:
    """The media server the options ask for (not started yet), or None. ``ValueError``
    names a bad option. ``auto``: the installed Janus, started on first need (``lazy``), or
    None when it is not installed; ``janus`` asked for but not installed: None, with a
    warning (voice rooms then stay peer to peer, capped)."""
    choice = args.media_server or "auto"
    web = ("http://", "https://")
    url = args.janus_url or (choice if choice.startswith(web) else "")
    if url:
        if not url.startswith(web):
            raise ValueError(f"--janus-url is a Janus's HTTP API (http://...), not {url!r}")
        secret, admin_key = read_secret_file(args.janus_secret_file)
        return MediaServer.external(url, secret, admin_key)
    if args.janus_secret_file is not None:
        raise ValueError("--janus-secret-file is for a running Janus: give its --janus-url")
    if choice == "none":
        return None
    if choice not in ("auto", "janus"):
        raise ValueError(
            "--media-server is 'auto', 'janus', 'none' or the http(s) URL of a Janus's API, "
            f"not {choice!r}"
        )
    options = JanusOptions(
        rtp_ports=parse_port_range(args.janus_rtp_ports),
        nat_1_1=tuple(args.janus_nat_1_1),
        ice_enforce=tuple(args.janus_ice_interface),
    )
    if find_janus() is None and choice == "auto":
        log.info(
            "no media server: janus is not installed (Debian: apt-get install janus); voice "
            "rooms stay peer to peer, at most --voice-mesh-max people"
        )
        return None
    if find_janus() is None:
        log.warning(
            "--media-server janus: janus is not installed (Debian: apt-get install janus); "
            "voice rooms stay peer to peer, at most --voice-mesh-max people"
        )
        return None
    return MediaServer.managed(data_dir, options, lazy=choice == "auto")


def read_secret_file(path: Optional[Path]) -> tuple[str, str]:
    """(api_secret, admin_key) from a secret file; none given: no secrets."""
    if path is None:
        return "", ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--janus-secret-file {path}: cannot be read ({exc})") from None
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        raise ValueError(f"--janus-secret-file {path} is empty; its first line is the api_secret")
    return lines[0], lines[1] if len(lines) > 1 else ""


# --- one room's bridge ------------------------------------------------------------------------


@dataclass
class _Member:
    pid: str
    can_speak: bool
    session: JanusSession
    #: Janus's id for this member's published audio (None: cannot speak).
    feed: Any = None
    publisher: Optional[JanusHandle] = None
    published: bool = False
    #: The publisher's media is up (Janus said ``webrtcup``): others may subscribe to it.
    live: bool = False
    subscriber: Optional[JanusHandle] = None
    #: Feeds this member's subscription asked for.
    subscribed: set[Any] = field(default_factory=set)
    #: Work for this member, done in order (signals, subscription changes).
    queue: asyncio.Queue[Callable[[], Awaitable[None]]] = field(default_factory=asyncio.Queue)
    worker: Optional[asyncio.Task[None]] = None
    closed: bool = False


class SfuBridge:
    """One voice room's audio through a Janus VideoRoom room (see the module's docstring)."""

    def __init__(self, client: JanusClient, send: Send, *, name: str = "voice") -> None:
        self.client = client
        self.send = send
        self.name = name
        self.members: dict[str, _Member] = {}
        self._room: Optional[VideoRoom] = None
        self._control: Optional[JanusSession] = None
        self._room_lock = asyncio.Lock()
        self._string_ids = True
        self._feeds: dict[Any, str] = {}
        self.closed = False

    # --- what VoiceRoom calls --------------------------------------------------------------

    async def join(self, pid: str, can_speak: bool) -> None:
        """Give a voice member its Janus session (and publisher handle if it may speak) and
        subscribe it to everyone already live. Joining again replaces the old one."""
        if pid in self.members:
            await self.leave(pid)
        room = await self._ensure_room()
        try:
            session = await self.client.create_session()
        except JanusError as exc:
            raise _internal(exc) from None
        member = _Member(pid, can_speak, session)
        self.members[pid] = member
        member.worker = asyncio.get_running_loop().create_task(self._work(member))
        if can_speak:
            try:
                member.publisher = await session.attach()
                member.feed = self._id(secrets.randbits(48))
                self._feeds[member.feed] = pid
                member.publisher.on_event = lambda ev: self._publisher_event(member, ev)
                await member.publisher.message(
                    {
                        "request": "join",
                        "ptype": "publisher",
                        "room": room.room,
                        "pin": room.pin,
                        "id": member.feed,
                        "display": pid,
                    },
                    f"join {pid} to the voice room as a speaker",
                )
            except JanusError as exc:
                await self.leave(pid)
                raise _internal(exc) from None
        self._later(member, lambda: self._sync(member))

    async def signal(self, pid: str, sig: VoiceSignal) -> None:
        """A member's ``voice_signal`` to ``"sfu"`` or ``"sfu-sub"``, handed to Janus in
        order. Raises ``ProtocolError`` naming what was refused."""
        member = self.members.get(pid)
        if member is None:
            raise ProtocolError(ErrorCode.NOT_IN_VOICE, f"{pid} is not in this voice room")
        if sig.to == SFU_PUBLISH:
            if member.publisher is None:
                raise ProtocolError(
                    ErrorCode.FORBIDDEN,
                    "only members who may speak publish audio; ask the host to let you speak",
                )
            work: Callable[[], Awaitable[None]] = lambda: self._publish_signal(member, sig)  # noqa: E731
        elif sig.to == SFU_SUBSCRIBE:
            work = lambda: self._subscribe_signal(member, sig)  # noqa: E731
        else:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"in an SFU voice room signals go to {SFU_PUBLISH!r} or {SFU_SUBSCRIBE!r}, "
                f"not {sig.to!r}",
                field="data.to",
            )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                await work()
            except JanusError as exc:
                if not done.done():
                    done.set_exception(_internal(exc))
            except Exception as exc:  # a refusal (ProtocolError), or a fault for VoiceRoom
                if not done.done():
                    done.set_exception(exc)
            else:
                if not done.done():
                    done.set_result(None)

        member.queue.put_nowait(run)
        assert member.worker is not None
        await asyncio.wait({done, member.worker}, return_when=asyncio.FIRST_COMPLETED)
        if not done.done():  # the member left before its turn came
            raise ProtocolError(ErrorCode.NOT_IN_VOICE, f"{pid} left voice before this signal")
        done.result()

    async def leave(self, pid: str) -> None:
        """A member left voice: its Janus session goes; everyone else's subscription drops
        its audio (Janus sends them the new offer)."""
        member = self.members.pop(pid, None)
        if member is None:
            return
        member.closed = True
        if member.feed is not None:
            self._feeds.pop(member.feed, None)
            for other in self.members.values():
                other.subscribed.discard(member.feed)
        if member.worker is not None:
            member.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await member.worker
        await member.session.destroy()

    async def close(self) -> None:
        """Voice emptied (or the room closed): every session and the Janus room go."""
        self.closed = True
        for pid in list(self.members):
            await self.leave(pid)
        room, self._room = self._room, None
        if room is not None:
            try:
                await room.destroy()
            except JanusError as exc:
                log.warning("%s", exc)
        if self._control is not None:
            await self._control.destroy()
            self._control = None

    # --- the room ---------------------------------------------------------------------------

    def _id(self, n: int) -> Any:
        return str(n) if self._string_ids else n

    async def _ensure_room(self) -> VideoRoom:
        async with self._room_lock:
            if self.closed:
                raise ProtocolError(ErrorCode.NOT_READY, "this voice room is closing; join again")
            if self._room is not None:
                return self._room
            try:
                self._control = await self.client.create_session()
                handle = await self._control.attach()
                number = secrets.randbits(48)
                try:
                    room = await VideoRoom(handle, str(number)).create(publishers=MAX_PUBLISHERS)
                except JanusError as exc:
                    if exc.code != _INVALID_ELEMENT:
                        raise
                    # A Janus given by URL may keep VideoRoom's numeric ids.
                    self._string_ids = False
                    room = VideoRoom(handle, number)  # type: ignore[arg-type]
                    await room.create(publishers=MAX_PUBLISHERS)
            except JanusError as exc:
                raise _internal(exc) from None
            log.info("voice room %s: janus room %s made", self.name, room.room)
            self._room = room
            return room

    # --- work, in order per member ------------------------------------------------------------

    def _later(self, member: _Member, work: Callable[[], Awaitable[None]]) -> None:
        if not member.closed:
            member.queue.put_nowait(work)

    async def _work(self, member: _Member) -> None:
        while True:
            work = await member.queue.get()
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except (JanusError, ProtocolError) as exc:
                log.warning("voice %s, %s: %s", self.name, member.pid, exc)
            except Exception:
                log.exception("voice %s, %s: media server work failed", self.name, member.pid)

    async def _publish_signal(self, member: _Member, sig: VoiceSignal) -> None:
        assert member.publisher is not None
        desc = await _take(
            member.publisher,
            sig,
            "offer",
            f"the media server answers a speaker's offer; send {SFU_PUBLISH!r} an offer, "
            "not an {}",
        )
        if desc is None:
            return
        # The first offer publishes; a later one (an ICE restart) renegotiates.
        body: dict[str, Any] = (
            {"request": "configure"}
            if member.published
            else {"request": "publish", "audiocodec": "opus", "display": member.pid}
        )
        event = await member.publisher.message(
            body, f"publish {member.pid}'s audio", jsep={"type": "offer", "sdp": desc.sdp}
        )
        member.published = True
        if event.jsep is None:
            raise JanusError(f"publish {member.pid}'s audio: janus sent no answer")
        self._send_description(member, SFU_PUBLISH, event.jsep)

    async def _subscribe_signal(self, member: _Member, sig: VoiceSignal) -> None:
        if member.subscriber is None:
            raise ProtocolError(
                ErrorCode.NOT_READY,
                f"no subscription to answer yet: {SFU_SUBSCRIBE!r} offers first",
            )
        desc = await _take(
            member.subscriber,
            sig,
            "answer",
            f"{SFU_SUBSCRIBE!r} makes the offers; answer them, do not send an {{}}",
        )
        if desc is not None:
            await member.subscriber.message(
                {"request": "start"},
                f"start {member.pid}'s subscription",
                jsep={"type": "answer", "sdp": desc.sdp},
            )

    async def _sync(self, member: _Member) -> None:
        """Subscribe a member to every live publisher but itself it is not subscribed to."""
        for _ in range(3):
            try:
                return await self._sync_once(member)
            except JanusError as exc:
                # A publisher left between the list and the request: list again.
                if exc.code != _NO_SUCH_FEED:
                    raise

    async def _sync_once(self, member: _Member) -> None:
        if member.closed or self._room is None:
            return
        wanted = [
            m.feed
            for m in self.members.values()
            if m is not member and m.live and m.feed not in member.subscribed
        ]
        if not wanted:
            return
        streams = [{"feed": feed} for feed in wanted]
        handle = member.subscriber
        try:
            if handle is None:
                handle = member.subscriber = await member.session.attach()
                handle.on_event = lambda ev: self._subscriber_event(member, handle, ev)
                body = {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": self._room.room,
                    "pin": self._room.pin,
                    "streams": streams,
                }
                event = await handle.message(body, f"subscribe {member.pid} to the voice room")
            else:
                event = await handle.message(
                    {"request": "subscribe", "streams": streams},
                    f"add voices to {member.pid}'s subscription",
                )
        except JanusError:
            if handle is not None and not member.subscribed:
                member.subscriber = None
                await handle.detach()
            raise
        member.subscribed.update(wanted)
        self._subscriber_offer(member, event)

    # --- what Janus says ------------------------------------------------------------------------

    def _publisher_event(self, member: _Member, event: JanusEvent) -> None:
        if member.closed:
            return
        if event.kind == "webrtcup":
            member.live = True
            for other in self.members.values():
                if other is not member:
                    self._later(other, lambda o=other: self._sync(o))  # type: ignore[misc]
        elif event.kind == "hangup":
            # The speaker's connection ended: Janus unpublished it and drops it from every
            # subscription; a new offer publishes it again.
            member.live = False
            member.published = False
            for other in self.members.values():
                other.subscribed.discard(member.feed)

    def _subscriber_event(self, member: _Member, handle: JanusHandle, event: JanusEvent) -> None:
        if member.closed or handle is not member.subscriber:
            return
        if event.kind == "hangup":
            # The member's receiving connection ended: a fresh subscription replaces it.
            member.subscriber = None
            member.subscribed.clear()
            self._later(member, handle.detach)
            self._later(member, lambda: self._sync(member))
            return
        self._subscriber_offer(member, event)

    def _subscriber_offer(self, member: _Member, event: JanusEvent) -> None:
        """Hand a subscription offer on, saying which mid carries whose voice."""
        if event.jsep is None or event.jsep.get("type") != "offer":
            return
        streams = []
        for stream in event.data.get("streams") or []:
            pid = self._feeds.get(stream.get("feed_id"))
            if pid is not None and stream.get("active", True) and stream.get("type") == "audio":
                streams.append({"mid": str(stream.get("mid")), "id": pid})
        self._send_description(member, SFU_SUBSCRIBE, event.jsep, streams)

    def _send_description(
        self,
        member: _Member,
        sender: str,
        jsep: dict[str, Any],
        streams: Optional[list[dict[str, str]]] = None,
    ) -> None:
        body: dict[str, Any] = {
            "to": member.pid,
            "id": sender,
            "description": {"type": jsep.get("type"), "sdp": jsep.get("sdp")},
        }
        if streams is not None:
            body["streams"] = streams
        self.send(member.pid, "voice_signal", body)


async def _take(
    handle: JanusHandle, sig: VoiceSignal, want: str, advice: str
) -> Optional[SessionDescription]:
    """Hand a signal's candidate to ``handle`` (None back), or return its description,
    refused (``advice`` names what to send instead) unless it is a ``want``."""
    if sig.candidate is not None:
        await handle.trickle(_candidate(sig.candidate))
        return None
    desc = sig.description
    if desc is not None and desc.type != want:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, advice.format(desc.type), field="data.description.type"
        )
    return desc


def _candidate(cand: IceCandidate) -> Optional[dict[str, Any]]:
    """A client's candidate as Janus's trickle takes it (an empty one: gathering is done)."""
    if not cand.candidate:
        return None
    out: dict[str, Any] = {"candidate": cand.candidate}
    if cand.sdp_mid is not None:
        out["sdpMid"] = cand.sdp_mid
    if cand.sdp_mline_index is not None:
        out["sdpMLineIndex"] = cand.sdp_mline_index
    return out


def _internal(exc: JanusError) -> ProtocolError:
    return ProtocolError(ErrorCode.INTERNAL, f"the media server failed: {exc}")

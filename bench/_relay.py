"""Shared pieces of the relay benchmarks: the relay process, protocol clients, workers.

Every benchmark in ``bench/`` runs the real relay (``python -m overshoulder.relay``)
as its own process on a kernel-chosen port and drives it with the
``websockets`` asyncio client (the cheapest Python client), so the numbers
are those of the shipped server, not of an in-process test double.

What lives here:

* ``Relay``: start the relay subprocess, wait until it answers, create
  sessions and invites through the HTTP API, read its CPU time and RSS,
  restart it on the same data (a cold relay), and always kill it (``stop``
  in a ``finally``);
* ``join`` / ``Client``: the control-socket handshake (``hello`` ->
  ``welcome`` + ``snapshot``) and the media-socket handshake
  (``media_hello`` -> ``media_welcome``);
* message builders (annotation, playhead, pointer, frame packet);
* ``Worker``: a load process (this file run as a script) that joins N
  reviewers, reads their control and media sockets and reports what it saw
  in measurement windows; the orchestrator talks to it with JSON lines;
* ``probe``: a load process timing playhead events between two of its own
  connections, to see how long the relay's event loop stalls for others;
* ``echo-server``: a bare ``websockets`` echo server, the physical reference
  of the control-latency benchmark;
* small statistics, /proc and markdown helpers.

Clocks: latencies inside one process use ``time.perf_counter_ns``; across
processes ``time.monotonic_ns`` (CLOCK_MONOTONIC is one clock for the whole
machine, network namespaces included); frame age compares the packet's
capture timestamp (``time.time_ns`` of the publisher) with ``time.time_ns``
at the receiver, the same wall clock on one machine.

Run as a script only by the benchmarks::

    python bench/_relay.py echo-server --host 127.0.0.1
    python bench/_relay.py reviewer            # config as a JSON line on stdin
    python bench/_relay.py probe               # likewise
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import math
import os
import platform
import re
import resource
import secrets
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from overshoulder.core.protocol import PROTOCOL_VERSION, FrameHeader, pack
from overshoulder.core.protocol.packet import HEADER

Json = dict[str, Any]

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
PYTHON = sys.executable
#: Largest message a benchmark client accepts (a 10k-annotation snapshot is ~10 MB).
MAX_MESSAGE = 64 * 1024 * 1024
#: Frame payload size: a 1080p JPEG at review quality.
FRAME_BYTES = 400 * 1024


# --------------------------------------------------------------------------------------
# The relay process
# --------------------------------------------------------------------------------------


class Relay:
    """The relay as its own process, on a free port of ``host``; ``stop`` always kills it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        extra_args: Sequence[str] = (),
        log_level: str = "warning",
    ) -> None:
        self.host = host
        self.extra_args = list(extra_args)
        self.log_level = log_level
        self.port = 0
        self.data_dir = Path(tempfile.mkdtemp(prefix="osbench-relay-"))
        self.proc: Optional[subprocess.Popen[str]] = None
        self._log: Any = None

    # --- life cycle -------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> Relay:
        self._log = open(self.data_dir / "relay.log", "a")  # noqa: SIM115 - closed in stop()
        profile = os.environ.get("OSBENCH_RELAY_PROFILE")
        prof_args = ["-m", "cProfile", "-o", profile] if profile else []
        cmd = [
            PYTHON,
            *prof_args,
            "-m",
            "overshoulder.relay",
            "--host",
            self.host,
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir / "data"),
            "--log-level",
            self.log_level,
            # One load process stands for many people on one address: the per-address
            # connection limit (256) is for a real client address, not for a load generator.
            "--max-connections-per-address",
            "100000",
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
            cwd=str(self.data_dir),
        )
        assert self.proc.stdout is not None
        line = read_line(self.proc.stdout, timeout, r"listening on https?://\S+:(\d+)")
        if line is None:
            self.stop()
            raise RuntimeError(f"relay did not start: {self.log_text()[-2000:]}")
        match = re.search(r"listening on https?://\S+:(\d+)", line)
        assert match is not None
        self.port = int(match.group(1))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.http("GET", "/api/health")
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("relay did not answer /api/health")

    def restart(self, timeout: float = 20.0) -> Relay:
        """End the relay process and start a fresh one on the same data (and keys)."""
        self._end()
        return self.start(timeout)

    def stop(self) -> None:
        self._end()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _end(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_text(self) -> str:
        path = self.data_dir / "relay.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- addresses and measurements ------------------------------------------------

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def media_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws/media"

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_kb(self) -> int:
        return rss_kb(self.pid)

    # --- HTTP API --------------------------------------------------------------------

    def http(
        self, method: str, path: str, body: Optional[Json] = None, admin: bool = False
    ) -> Json:
        headers = {"Content-Type": "application/json"}
        if admin:
            key = (self.data_dir / "data" / "admin.key").read_text().strip()
            headers["Authorization"] = f"Bearer {key}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as resp:
            return dict(json.loads(resp.read()))

    def create_session(self, name: str = "bench", host_name: str = "Host") -> tuple[str, str]:
        """A new session: ``(session id, host token)``."""
        out = self.http("POST", "/api/sessions", {"name": name, "host_name": host_name}, admin=True)
        return str(out["session"]["id"]), str(out["host_token"])

    def invite(self, session_id: str, role: str = "reviewer", seats: int = 63) -> str:
        """An invite; by default one link seats as many as a session holds (the benchmarks
        join dozens of clients through one link, as no real link is used)."""
        out = self.http(
            "POST",
            f"/api/sessions/{session_id}/invites",
            {"role": role, "expires": "1h", "seats": seats},
            admin=True,
        )
        return str(out["token"])


def read_line(stream: Any, timeout: float, pattern: str = r".") -> Optional[str]:
    """The first line of a child's text ``stream`` matching ``pattern``, or None at timeout/EOF."""
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            line = stream.readline()
            if not line:
                return None
            if re.search(pattern, line):
                return str(line)
    finally:
        sel.close()


# --------------------------------------------------------------------------------------
# Protocol clients
# --------------------------------------------------------------------------------------


def ws_kwargs(max_size: Optional[int] = MAX_MESSAGE) -> Json:
    """Options of every benchmark WebSocket: no compression, no pings, no proxy."""
    return {
        "compression": None,
        "max_size": max_size,
        "ping_interval": None,
        "close_timeout": 2,
        "open_timeout": 20,
        "proxy": None,
    }


def envelope(mtype: str, data: Json, **env: Any) -> str:
    return json.dumps({"v": 1, "type": mtype, "data": data, **env}, separators=(",", ":"))


@dataclass
class Client:
    """One joined participant: its control socket and, when opened, its media socket."""

    ws: ClientConnection
    welcome: Json
    snapshot: Json
    media: Optional[ClientConnection] = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def pid(self) -> str:
        return str(self.welcome["data"]["participant"]["id"])

    @property
    def ticket(self) -> str:
        return str(self.welcome["data"]["media_ticket"])

    async def send(self, mtype: str, data: Json, **env: Any) -> None:
        await self.ws.send(envelope(mtype, data, **env))

    async def open_media(self, media_url: str) -> ClientConnection:
        self.media = await open_media(media_url, self.ticket)
        return self.media

    def drain(self) -> None:
        """Read (and drop) everything the relay sends, so its queues never fill."""
        self.tasks.append(asyncio.create_task(_drain(self.ws)))
        if self.media is not None:
            self.tasks.append(asyncio.create_task(_drain(self.media)))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for sock in (self.media, self.ws):
            if sock is not None:
                sock.transport.abort()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


def hello(token: str, name: str, capabilities: Sequence[str] = ()) -> str:
    data: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "token": token,
        "name": name,
        "client": "bench",
    }
    if capabilities:
        data["capabilities"] = list(capabilities)
    return envelope("hello", data)


async def join(
    ws_url: str,
    token: str,
    name: str,
    *,
    media_url: Optional[str] = None,
    max_size: Optional[int] = MAX_MESSAGE,
) -> Client:
    """Connect, ``hello``, read ``welcome`` and ``snapshot``; open the media socket if asked."""
    ws = await connect(ws_url, **ws_kwargs(max_size))
    try:
        await ws.send(hello(token, name))
        welcome = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"join refused: {welcome}")
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if snapshot.get("type") != "snapshot":
            raise RuntimeError(f"expected a snapshot after welcome, got {snapshot.get('type')}")
        client = Client(ws, welcome, snapshot)
        if media_url is not None:
            await client.open_media(media_url)
        return client
    except BaseException:
        ws.transport.abort()
        raise


async def open_media(media_url: str, ticket: str) -> ClientConnection:
    media = await connect(media_url, **ws_kwargs(MAX_MESSAGE))
    await media.send(envelope("media_hello", {"ticket": ticket, "cache": 0}))
    reply = json.loads(await asyncio.wait_for(media.recv(), 20))
    if reply.get("type") != "media_welcome":
        media.transport.abort()
        raise RuntimeError(f"media socket refused: {reply}")
    return media


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------


def annotation(
    text: str, frame: int = 1001, points: int = 20, ann_id: Optional[str] = None
) -> Json:
    """A valid freehand stroke of ``points`` points + text.

    As a client draws it: pen positions in pixels of a 1920x1080 image, a
    smooth curve that differs with ``frame``, normalised by the image height
    (x = (px - 960) / 1080, y = (540 - py) / 1080) at full float precision.
    The relay stores coordinates rounded to 5 decimals.
    """
    phase = (frame % 240) / 240 * 2 * math.pi
    pts = []
    for i in range(points):
        px = 700.0 + 12.37 * i + 3.0 * math.sin(0.7 * i + phase)
        py = 400.0 + 40.0 * math.sin(i / 3.1 + phase)
        pts.append([(px - 960.0) / 1080.0, (540.0 - py) / 1080.0])
    return {
        "id": ann_id or str(uuid.uuid4()),
        "shape": {"kind": "stroke", "points": pts},
        "style": {"color": [1.0, 0.8, 0.0, 1.0], "width": 0.003},
        "anchor": {"frame": frame, "object": {"kind": "nuke.node", "path": "Grade1"}},
        "text": text,
    }


def annotation_add(ann: Json, ref: Optional[str] = None) -> str:
    env: Json = {"eid": str(uuid.uuid4())}
    if ref is not None:
        env["ref"] = ref
    return envelope("annotation_add", {"annotation": ann}, **env)


def playhead(frame: int) -> str:
    """A playhead at ``frame`` (also a benchmark's message number, so its range holds it:
    the relay holds a playhead inside its range)."""
    return envelope(
        "playhead",
        {
            "frame": frame,
            "rate": 24.0,
            "playing": True,
            "range": [min(frame, 1001), max(frame, 1240)],
            "timeline_id": "edit_v012",
        },
    )


def pointer(frame: int, x: float = 0.12, y: float = -0.05) -> str:
    return envelope("pointer", {"x": x, "y": y, "frame": frame, "visible": True})


class FramePool:
    """400 KB "JPEG" payloads of random bytes; each packet gets a new content hash."""

    def __init__(self, size: int = FRAME_BYTES, count: int = 8) -> None:
        self.payloads = [os.urandom(size) for _ in range(count)]
        self.frame_id = 0

    def packet(self) -> bytes:
        self.frame_id += 1
        payload = self.payloads[self.frame_id % len(self.payloads)]
        header = FrameHeader(
            frame_id=self.frame_id,
            frame=1001 + self.frame_id % 240,
            width=1920,
            height=1080,
            codec="jpeg",
            hash=secrets.token_bytes(16),
            captured_us=time.time_ns() // 1000,
        )
        return pack(header, payload)


def captured_us(packet: bytes) -> int:
    """The capture timestamp of a media packet (header field 13)."""
    return int(HEADER.unpack_from(packet)[12])


# --------------------------------------------------------------------------------------
# Pacing, statistics, /proc, machine, markdown
# --------------------------------------------------------------------------------------


async def paced(rate: float, count: int, step: Callable[[int], Awaitable[None]]) -> float:
    """Call ``step(i)`` for i in range(count) on a fixed schedule of ``rate``/s; wall seconds."""
    t0 = time.perf_counter()
    for i in range(count):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await step(i)
    return time.perf_counter() - t0


def pct(values: Sequence[float], p: float) -> float:
    """Percentile ``p`` (0-100) with linear interpolation; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        raw = fh.read()
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` in KiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat; diff two calls for a utilisation."""
    with open("/proc/stat", encoding="ascii") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid -> (ppid, utime+stime seconds) of every process now."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[int, float]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                raw = fh.read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        out[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


class Background:
    """CPU used by processes outside this benchmark's process tree while it runs.

    A thread samples /proc twice a second; a process counts as ours when this
    process is among its ancestors. The result (cores, averaged over the run)
    says how much other work shared the machine, i.e. how noisy the numbers are.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.other_s = 0.0
        self.wall_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._last: dict[int, float] = {}

    def _sample(self) -> None:
        table = _proc_table()
        me = os.getpid()
        for pid, (_, cpu) in table.items():
            anc, hops = pid, 0
            while anc not in (0, 1, me) and hops < 64:
                anc = table.get(anc, (0, 0.0))[0]
                hops += 1
            prev = self._last.get(pid)
            self._last[pid] = cpu
            if anc != me and pid != me and prev is not None:
                self.other_s += max(0.0, cpu - prev)

    def _loop(self) -> None:
        t0 = time.monotonic()
        self._sample()
        while not self._stop.wait(self.interval):
            self._sample()
        self._sample()
        self.wall_s = time.monotonic() - t0

    def __enter__(self) -> Background:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def cores(self) -> float:
        return self.other_s / self.wall_s if self.wall_s > 0 else 0.0

    def line(self) -> str:
        return (
            f"Other processes on the machine during this run used {self.cores:.2f} cores "
            "on average (0 = quiet machine)."
        )


def raise_nofile(want: int = 8192) -> int:
    """Raise the soft open-files limit towards ``want`` (at most the hard limit); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def machine() -> Json:
    model = "unknown"
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count() or 0,
        "cpu": model,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def code_version() -> str:
    """The commit the relay code comes from, and whether relay/ or core/ have local edits."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "relay", "core"],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            timeout=10,
        ).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return "code: unknown commit"
    if not sha:
        return "code: unknown commit"
    if not dirty:
        return f"code: commit {sha}"
    # Name them: an untracked file the relay never imports is not a changed relay.
    names = [
        line[3:] + (" (untracked)" if line.startswith("??") else " (modified)")
        for line in dirty[:3]
    ]
    more = f" and {len(dirty) - 3} more" if len(dirty) > 3 else ""
    return f"code: commit {sha} + uncommitted in relay/ or core/: {', '.join(names)}{more}"


def machine_line() -> str:
    m = machine()
    return (
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; {code_version()}; run {m['date']}."
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            if v != v:  # NaN
                return "-"
            return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}" if abs(v) < 1000 else f"{v:.0f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**MISS**"


def command_line() -> str:
    """How this benchmark was run, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(REPO_ROOT))
    except ValueError:
        shown = str(script)
    return " ".join(["python", shown, *sys.argv[1:]])


# --------------------------------------------------------------------------------------
# Load processes (this file as a script), and the orchestrator's handle on them
# --------------------------------------------------------------------------------------


class Worker:
    """A load process speaking JSON lines: config in, ``ready``, windows, results out."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, mode: str, config: Json, prefix: Sequence[str] = ()) -> Worker:
        proc = await asyncio.create_subprocess_exec(
            *prefix,
            PYTHON,
            str(BENCH_DIR / "_relay.py"),
            mode,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=None,
            limit=64 * 1024 * 1024,
        )
        worker = cls(proc)
        await worker.send(config)
        return worker

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    async def send(self, obj: Json) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        await self.proc.stdin.drain()

    async def recv(self, timeout: float = 30.0) -> Json:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"worker {self.pid} exited (rc={await self.proc.wait()})")
        return dict(json.loads(line))

    async def kill(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.proc.wait(), 5)


async def kill_all(workers: Sequence[Worker]) -> None:
    for worker in workers:
        await worker.kill()


def _emit(obj: Json) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _stdin_lines() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


@dataclass
class _Seen:
    """What one reviewer received, with receive times."""

    frames: list[tuple[int, float]] = field(default_factory=list)  # (monotonic ns, age ms)
    notes: list[tuple[int, float]] = field(default_factory=list)  # (monotonic ns, latency ms)
    acks: list[tuple[int, float]] = field(default_factory=list)  # (monotonic ns, ack ms)


async def _reviewer() -> None:
    """Join ``tokens`` as reviewers with media sockets; report frames and notes per window.

    Config: ws_url, media_url, tokens, lifetime_s, annotate_hz (0: only listen).
    Host notes carry ``host-t=<monotonic ns>`` in their text; this worker's own
    notes carry ``rev-t=...`` and are timed to their ``ack``.
    """
    raise_nofile()
    stdin = await _stdin_lines()
    config = json.loads(await asyncio.wait_for(stdin.readline(), 30))
    deadline = time.monotonic() + float(config.get("lifetime_s", 120))
    clients = [
        await join(config["ws_url"], token, f"Reviewer {i}", media_url=config["media_url"])
        for i, token in enumerate(config["tokens"])
    ]
    seen = [_Seen() for _ in clients]
    pending: dict[str, int] = {}

    async def read_media(i: int, sock: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in sock:
                now = time.monotonic_ns()
                if isinstance(msg, bytes) and len(msg) >= 48:
                    age = (time.time_ns() // 1000 - captured_us(msg)) / 1000.0
                    seen[i].frames.append((now, age))

    async def read_control(i: int, sock: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in sock:
                now = time.monotonic_ns()
                obj = json.loads(msg)
                mtype = obj.get("type")
                if mtype == "annotation_add":
                    text = obj["data"]["annotation"].get("text") or ""
                    if text.startswith("host-t="):
                        sent = int(text[7:].split()[0])
                        seen[i].notes.append((now, (now - sent) / 1e6))
                elif mtype == "ack":
                    sent = pending.pop(obj["data"].get("ref") or "", 0)
                    if sent:
                        seen[i].acks.append((now, (now - sent) / 1e6))

    async def annotate(i: int, client: Client, hz: float) -> None:
        n = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0 / hz)
            n += 1
            ref = f"{i}-{n}"
            pending[ref] = time.monotonic_ns()
            await client.ws.send(annotation_add(annotation(f"rev-t={pending[ref]}"), ref=ref))

    tasks: list[asyncio.Task[None]] = []
    for i, c in enumerate(clients):
        assert c.media is not None
        tasks.append(asyncio.create_task(read_media(i, c.media)))
        tasks.append(asyncio.create_task(read_control(i, c.ws)))
        if float(config.get("annotate_hz", 0)) > 0:
            tasks.append(asyncio.create_task(annotate(i, c, float(config["annotate_hz"]))))
    _emit({"ready": True, "pids": [c.pid for c in clients], "os_pid": os.getpid()})
    try:
        while time.monotonic() < deadline:
            try:
                line = await asyncio.wait_for(stdin.readline(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                break
            if not line:
                break
            cmd = json.loads(line)
            if "window" not in cmd:
                break
            t0, t1 = int(cmd["window"][0]), int(cmd["window"][1])
            await asyncio.sleep(max(0.0, (t1 - time.monotonic_ns()) / 1e9))
            out: Json = {"clients": [], "window_s": (t1 - t0) / 1e9}
            for s in seen:
                out["clients"].append(
                    {
                        "frames": sum(1 for t, _ in s.frames if t0 <= t < t1),
                        "ages_ms": [a for t, a in s.frames if t0 <= t < t1],
                        "notes_ms": [a for t, a in s.notes if t0 <= t < t1],
                        "acks_ms": [a for t, a in s.acks if t0 <= t < t1],
                    }
                )
            _emit(out)
    finally:
        for task in tasks:
            task.cancel()
        for c in clients:
            await c.close()


async def _probe() -> None:
    """Playhead events from a host connection to a watcher, both here: the relay's stall.

    Config: ws_url, host_token, watcher_token, rate, lifetime_s. Claims the
    playhead lease, then sends ``rate`` playheads per second until a line
    arrives on stdin; then prints the latencies (ms; inf for lost ones) and
    their send times (``time.monotonic_ns``, to match against the
    orchestrator's windows).
    """
    stdin = await _stdin_lines()
    config = json.loads(await asyncio.wait_for(stdin.readline(), 30))
    deadline = time.monotonic() + float(config.get("lifetime_s", 120))
    rate = float(config.get("rate", 100))
    host = await join(config["ws_url"], config["host_token"], "Probe host")
    watcher = await join(config["ws_url"], config["watcher_token"], "Probe watcher")
    await host.send("lease_claim", {"name": "playhead"})
    host.drain()
    sent: dict[int, int] = {}
    sent_mono: dict[int, int] = {}
    got: dict[int, int] = {}
    stop = asyncio.Event()

    async def read() -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in watcher.ws:
                now = time.perf_counter_ns()
                obj = json.loads(msg)
                if obj["type"] == "playhead":
                    got[int(obj["data"]["frame"])] = now

    async def send() -> None:
        i = 0
        t0 = time.perf_counter()
        while not stop.is_set() and time.monotonic() < deadline:
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_mono[i] = time.monotonic_ns()
            sent[i] = time.perf_counter_ns()
            await host.ws.send(playhead(i))
            i += 1

    tasks = [asyncio.create_task(read()), asyncio.create_task(send())]
    await asyncio.sleep(0.3)
    _emit({"ready": True})
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stdin.readline(), max(0.0, deadline - time.monotonic()))
        stop.set()
        await asyncio.sleep(0.5)
        _emit(
            {
                "latencies_ms": [
                    (got[k] - t) / 1e6 if k in got else float("inf") for k, t in sent.items()
                ],
                "sent_ns": [sent_mono[k] for k in sent],
            }
        )
    finally:
        for task in tasks:
            task.cancel()
        await host.close()
        await watcher.close()


async def _echo_server(host: str, lifetime: float) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in ws:
                await ws.send(msg)

    async with serve(
        handler, host, 0, compression=None, ping_interval=None, max_size=MAX_MESSAGE
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        _emit({"port": port, "pid": os.getpid()})
        await asyncio.sleep(lifetime)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="mode", required=True)
    echo = sub.add_parser("echo-server", help="a websockets echo server (physical reference)")
    echo.add_argument("--host", default="127.0.0.1")
    echo.add_argument("--lifetime", type=float, default=120.0)
    sub.add_parser("reviewer", help="N reviewers with media sockets (config: JSON line on stdin)")
    sub.add_parser("probe", help="playhead host -> watcher latency (config: JSON line on stdin)")
    args = parser.parse_args(argv)
    if args.mode == "echo-server":
        asyncio.run(_echo_server(args.host, args.lifetime))
    elif args.mode == "probe":
        asyncio.run(_probe())
    else:
        asyncio.run(_reviewer())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

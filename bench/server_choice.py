"""Measure aiohttp vs websockets as the relay server library.

The relay is one asyncio process serving HTTP + WebSocket on one port.  This
script decides, by measurement, which library it is built on:

* ``aiohttp``: ``web.Application`` + ``web.WebSocketResponse``;
* ``websockets``: ``websockets.asyncio.server.serve``.

Each candidate server runs in its own subprocess on 127.0.0.1 (kernel-chosen
free port) and implements an echo endpoint and a broadcast relay (one
publisher, N subscribers, each published message forwarded to every
subscriber with an awaited send, i.e. with backpressure).  Per-message
compression is off and the maximum message size is 8 MiB on both.

Every measurement uses the same client, the ``websockets`` asyncio client
(C speedups for masking, no threads, no GIL contention), running in separate
processes: one process for the echo client, one for all subscribers of a
broadcast run and one for the publisher.  A bare asyncio TCP echo server is
measured as a physical reference (with an asyncio-streams client and with a
blocking-socket client).

Results are printed as markdown and written to
``docs/decisions/relay-server.md`` (override with ``--doc``).  Whole run:
about two minutes; every child process is bounded by its own lifetime and is
killed by the orchestrator in a ``finally`` block.

Usage::

    python bench/server_choice.py            # full run, writes the doc
    python bench/server_choice.py --quick    # short smoke run, no doc
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import platform
import select
import shlex
import socket
import statistics
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_MSG = 8 * 1024 * 1024
PAYLOAD_BYTES = 400 * 1024
ECHO_WARMUP = 200
ECHO_COUNT = 2000
PACED_RATE = 60.0
SERVER_LIFETIME_S = 90.0
LOWAT_BYTES = 128 * 1024
# glibc malloc knobs: stop trimming/re-growing the heap around 400 KB buffers.
MALLOC_TUNED = {"MALLOC_MMAP_THRESHOLD_": "16777216", "MALLOC_TRIM_THRESHOLD_": "268435456"}
HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DOC = REPO_ROOT / "docs" / "decisions" / "relay-server.md"

Json = dict[str, Any]


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def proc_cpu_seconds(pid: int) -> float:
    """Return utime + stime of ``pid`` (all threads) from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        raw = fh.read()
    # Fields after "(comm)": state is field 3; utime/stime are fields 14/15.
    fields = raw[raw.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores) from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as fh:
        vals = [int(x) for x in fh.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return (sum(vals) - vals[3] - vals[4]) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(pids: Sequence[int]) -> list[float]:
    """[wall, machine busy, this process, *pids] CPU seconds, for cpu_delta."""
    snap = [time.perf_counter(), system_busy_seconds(), time.process_time()]
    return snap + [proc_cpu_seconds(pid) for pid in pids]


def cpu_delta(a: list[float], b: list[float]) -> tuple[float, float, float, list[float]]:
    """(wall s, other CPU s, own CPU s, [CPU s per pid]) between two snapshots.

    "other" is CPU used on this machine by processes outside the benchmark,
    i.e. machine busy time minus this process and the watched pids.
    """
    d = [y - x for x, y in zip(a, b, strict=True)]
    return d[0], d[1] - d[2] - sum(d[3:]), d[2], d[3:]


def echo_message() -> str:
    """Return a ~200 byte JSON text message."""
    msg: Json = {
        "type": "cursor",
        "review": "r-0001",
        "user": "reviewer@example.org",
        "file": "src/overshoulder/relay.py",
        "line": 1234,
        "col": 56,
        "selection": [1230, 1240],
        "seq": 0,
    }
    text = json.dumps(msg)
    pad = max(0, 200 - len(text) - len(',"pad":""'))
    msg["pad"] = "x" * pad
    return json.dumps(msg)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100.0 * len(ordered)) - 1))
    return ordered[rank]


def ws_client_kwargs() -> Json:
    """Client options shared by every websockets connection in this bench."""
    return {
        "compression": None,
        "max_size": MAX_MSG,
        "ping_interval": None,
        "close_timeout": 2,
        "proxy": None,
        "open_timeout": 10,
    }


def emit(obj: Json) -> None:
    """Write one JSON result line on stdout for the orchestrator."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------
# Servers (child processes)
# --------------------------------------------------------------------------


def listening_socket(lowat: int) -> socket.socket:
    """Bind a listening socket on a kernel-chosen free loopback port.

    TCP_NOTSENT_LOWAT set on the listener is inherited by accepted sockets.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if lowat:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NOTSENT_LOWAT, lowat)
    sock.bind((HOST, 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def serve_aiohttp(sock: socket.socket, lifetime: float) -> None:
    """aiohttp relay: /echo, /sub, /pub."""
    from aiohttp import WSMsgType, web

    subs: set[web.WebSocketResponse] = set()

    def new_ws() -> web.WebSocketResponse:
        return web.WebSocketResponse(compress=False, max_msg_size=MAX_MSG)

    async def echo(request: web.Request) -> web.StreamResponse:
        ws = new_ws()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    async def sub(request: web.Request) -> web.StreamResponse:
        ws = new_ws()
        await ws.prepare(request)
        subs.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            subs.discard(ws)
        return ws

    async def pub(request: web.Request) -> web.StreamResponse:
        ws = new_ws()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                continue
            for target in tuple(subs):
                try:
                    await target.send_bytes(msg.data)
                except (ConnectionError, RuntimeError):
                    subs.discard(target)
        return ws

    app = web.Application()
    app.add_routes([web.get("/echo", echo), web.get("/sub", sub), web.get("/pub", pub)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    try:
        await asyncio.sleep(lifetime)
    finally:
        await runner.cleanup()


async def serve_websockets(sock: socket.socket, lifetime: float) -> None:
    """websockets relay: /echo, /sub, /pub."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    subs: set[ServerConnection] = set()

    async def relay(ws: ServerConnection, path: str) -> None:
        if path == "/echo":
            async for msg in ws:
                await ws.send(msg)
        elif path == "/sub":
            subs.add(ws)
            try:
                await ws.wait_closed()
            finally:
                subs.discard(ws)
        elif path == "/pub":
            async for msg in ws:
                if isinstance(msg, str):
                    continue
                for target in tuple(subs):
                    try:
                        await target.send(msg)
                    except ConnectionClosed:
                        subs.discard(target)

    async def handler(ws: ServerConnection) -> None:
        try:
            await relay(ws, ws.request.path if ws.request is not None else "")
        except ConnectionClosed:
            pass  # peers are killed mid-message at the end of each run

    async with serve(
        handler,
        sock=sock,
        compression=None,
        max_size=MAX_MSG,
        ping_interval=None,
    ):
        await asyncio.sleep(lifetime)


class _EchoProtocol(asyncio.Protocol):
    """Bare asyncio TCP echo."""

    transport: asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


async def serve_tcp(sock: socket.socket, lifetime: float) -> None:
    """Bare asyncio TCP echo server (physical reference)."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_EchoProtocol, sock=sock)
    async with server:
        await asyncio.sleep(lifetime)


SERVERS: dict[str, Callable[[socket.socket, float], Any]] = {
    "aiohttp": serve_aiohttp,
    "websockets": serve_websockets,
    "tcp": serve_tcp,
}


def run_server(kind: str, lowat: int, lifetime: float) -> None:
    """Child entry point: bind, announce the port, serve until lifetime."""
    sock = listening_socket(lowat)
    emit({"port": sock.getsockname()[1], "pid": os.getpid()})
    asyncio.run(SERVERS[kind](sock, lifetime))


# --------------------------------------------------------------------------
# Clients (child processes)
# --------------------------------------------------------------------------


def _rtt_result(samples_ns: list[int], snap0: list[float], snap1: list[float]) -> Json:
    """Raw samples (ms) and CPU accounting, pooled by the orchestrator."""
    wall, other, _own, (server,) = cpu_delta(snap0, snap1)
    return {
        "samples_ms": [x / 1e6 for x in samples_ns],
        "server_cpu_s": server,
        "other_cpu_s": other,
        "wall_s": wall,
    }


async def echo_ws(url: str, server_pid: int) -> Json:
    """Sequential small-JSON round trips over one websockets connection."""
    from websockets.asyncio.client import connect

    msg = echo_message()
    async with connect(url, **ws_client_kwargs()) as ws:
        for _ in range(ECHO_WARMUP):
            await ws.send(msg)
            await ws.recv()
        samples: list[int] = []
        snap0 = cpu_snapshot([server_pid])
        for _ in range(ECHO_COUNT):
            t0 = time.perf_counter_ns()
            await ws.send(msg)
            reply = await ws.recv()
            samples.append(time.perf_counter_ns() - t0)
        snap1 = cpu_snapshot([server_pid])
        if reply != msg:
            raise RuntimeError("echo mismatch")
    return _rtt_result(samples, snap0, snap1)


async def echo_tcp_asyncio(port: int, server_pid: int) -> Json:
    """Same loop as echo_ws, bare TCP with asyncio streams."""
    msg = echo_message().encode()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for _ in range(ECHO_WARMUP):
            writer.write(msg)
            await writer.drain()
            await reader.readexactly(len(msg))
        samples: list[int] = []
        snap0 = cpu_snapshot([server_pid])
        for _ in range(ECHO_COUNT):
            t0 = time.perf_counter_ns()
            writer.write(msg)
            await writer.drain()
            await reader.readexactly(len(msg))
            samples.append(time.perf_counter_ns() - t0)
        snap1 = cpu_snapshot([server_pid])
    finally:
        writer.close()
    return _rtt_result(samples, snap0, snap1)


def echo_tcp_blocking(port: int, server_pid: int) -> Json:
    """Floor: blocking socket client against the asyncio TCP echo server."""
    msg = echo_message().encode()
    buf = bytearray(len(msg))
    view = memoryview(buf)

    def round_trip(sock: socket.socket) -> None:
        sock.sendall(msg)
        got = 0
        while got < len(msg):
            n = sock.recv_into(view[got:])
            if n == 0:
                raise ConnectionError("server closed")
            got += n

    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(ECHO_WARMUP):
            round_trip(sock)
        samples: list[int] = []
        snap0 = cpu_snapshot([server_pid])
        for _ in range(ECHO_COUNT):
            t0 = time.perf_counter_ns()
            round_trip(sock)
            samples.append(time.perf_counter_ns() - t0)
        snap1 = cpu_snapshot([server_pid])
    return _rtt_result(samples, snap0, snap1)


async def subscribe(url: str, n: int, server_pid: int, warmup: float, window: float) -> Json:
    """Connect n subscribers, count messages in a fixed window after warm-up."""
    from websockets.asyncio.client import ClientConnection, connect
    from websockets.exceptions import ConnectionClosed

    conns: list[ClientConnection] = [await connect(url, **ws_client_kwargs()) for _ in range(n)]
    counts = [0] * n
    latencies: list[list[float]] = [[] for _ in range(n)]
    recording = [False]
    first = asyncio.Event()

    async def reader(i: int, ws: ClientConnection) -> None:
        try:
            async for msg in ws:
                counts[i] += 1
                first.set()
                if recording[0] and isinstance(msg, bytes):
                    (sent,) = struct.unpack_from("<d", msg)
                    latencies[i].append(time.perf_counter() - sent)
        except ConnectionClosed:
            pass

    tasks = [asyncio.create_task(reader(i, ws)) for i, ws in enumerate(conns)]
    emit({"ready": True})
    # The orchestrator answers with the publisher's pid once it has started it.
    line = await asyncio.wait_for(asyncio.to_thread(sys.stdin.readline), timeout=30)
    pids = [server_pid, int(line)]
    await asyncio.wait_for(first.wait(), timeout=15)
    await asyncio.sleep(warmup)
    c0, snap0 = counts.copy(), cpu_snapshot(pids)
    recording[0] = True
    await asyncio.sleep(window)
    recording[0] = False
    c1, snap1 = counts.copy(), cpu_snapshot(pids)
    elapsed, other, own, (server, pub) = cpu_delta(snap0, snap1)
    for ws in conns:
        ws.transport.abort()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    rates = [(b - a) / elapsed for a, b in zip(c0, c1, strict=True)]
    lat_ms = [x * 1e3 for per_sub in latencies for x in per_sub]
    delivered = sum(b - a for a, b in zip(c0, c1, strict=True))
    return {
        "rate_min": min(rates),
        "rate_median": statistics.median(rates),
        "delivered_mb_s": delivered * PAYLOAD_BYTES / elapsed / 1e6,
        "server_cpu": server / elapsed,
        "server_cpu_us_per_msg": server / delivered * 1e6 if delivered else float("nan"),
        "client_cpu": own / elapsed,
        "pub_cpu": pub / elapsed,
        "other_cpu": max(0.0, other / elapsed),  # tick rounding can dip below 0
        "lat_p50_ms": percentile(lat_ms, 50) if lat_ms else float("nan"),
        "lat_p99_ms": percentile(lat_ms, 99) if lat_ms else float("nan"),
    }


async def publish(url: str, rate: float, duration: float) -> Json:
    """Publish PAYLOAD_BYTES binary messages for ``duration`` seconds.

    ``rate`` 0 means full speed: the loop awaits nothing but its own send.
    Each message starts with its send time (perf_counter, CLOCK_MONOTONIC).
    """
    from websockets.asyncio.client import connect

    body = os.urandom(PAYLOAD_BYTES - 8)
    sent = 0
    async with connect(url, **ws_client_kwargs()) as ws:
        t0 = time.perf_counter()
        while (now := time.perf_counter()) - t0 < duration:
            if rate > 0:
                due = t0 + sent / rate
                if due > now:
                    await asyncio.sleep(due - now)
            await ws.send(struct.pack("<d", time.perf_counter()) + body)
            sent += 1
        elapsed = time.perf_counter() - t0
    return {"sent": sent, "rate": sent / elapsed, "cpu": time.process_time() / elapsed}


# --------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------


@dataclass
class Child:
    """A child process speaking JSON lines on stdout."""

    proc: subprocess.Popen[str]

    @classmethod
    def start(cls, *args: str, env: dict[str, str] | None = None) -> Child:
        cmd = [sys.executable, str(Path(__file__).resolve()), *args]
        full_env = {**os.environ, **env} if env else None
        return cls(
            subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=full_env
            )
        )

    def write(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self, timeout: float) -> Json:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"child {self.proc.args!r} gave no output")
        result: Json = json.loads(line)
        return result

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@dataclass
class Runner:
    """Starts children and guarantees they are killed."""

    children: list[Child] = field(default_factory=list)

    def start(self, *args: str, env: dict[str, str] | None = None) -> Child:
        child = Child.start(*args, env=env)
        self.children.append(child)
        return child

    def server(
        self, kind: str, lowat: int = 0, env: dict[str, str] | None = None
    ) -> tuple[Child, int, int]:
        child = self.start("serve", kind, "--lowat", str(lowat), env=env)
        hello = child.read(timeout=20)
        return child, int(hello["port"]), int(hello["pid"])

    def kill_all(self) -> None:
        while self.children:
            self.children.pop().kill()


ECHO_TARGETS = (
    ("tcp", "tcp-asyncio", "bare asyncio TCP, asyncio-streams client"),
    ("tcp", "tcp-blocking", "bare asyncio TCP, blocking-socket client"),
    ("aiohttp", "ws", "aiohttp"),
    ("websockets", "ws", "websockets"),
)


def bench_echo(runner: Runner, rounds: int) -> list[tuple[str, Json]]:
    """Interleave ``rounds`` rounds of ECHO_COUNT round trips per target."""
    servers = {kind: runner.server(kind)[1:] for kind in ("tcp", "aiohttp", "websockets")}
    pooled: dict[str, list[float]] = {label: [] for *_, label in ECHO_TARGETS}
    p50s: dict[str, list[float]] = {label: [] for *_, label in ECHO_TARGETS}
    cpu: dict[str, float] = dict.fromkeys(pooled, 0.0)
    other: dict[str, float] = dict.fromkeys(pooled, 0.0)
    wall: dict[str, float] = dict.fromkeys(pooled, 0.0)
    try:
        for _ in range(rounds):
            for kind, mode, label in ECHO_TARGETS:
                port, pid = servers[kind]
                client = runner.start("echo", mode, str(port), str(pid))
                res = client.read(timeout=60)
                pooled[label] += res["samples_ms"]
                p50s[label].append(percentile(res["samples_ms"], 50))
                cpu[label] += res["server_cpu_s"]
                other[label] += res["other_cpu_s"]
                wall[label] += res["wall_s"]
    finally:
        runner.kill_all()
    print("  echo done", file=sys.stderr, flush=True)
    return [
        (
            label,
            {
                "p50_ms": percentile(pooled[label], 50),
                "p99_ms": percentile(pooled[label], 99),
                "p50_lo": min(p50s[label]),
                "p50_hi": max(p50s[label]),
                "server_cpu_us_per_rtt": cpu[label] / len(pooled[label]) * 1e6,
                "other_cpu": max(0.0, other[label] / wall[label]),
            },
        )
        for *_, label in ECHO_TARGETS
    ]


@dataclass
class BroadcastCase:
    kind: str
    subs: int
    rate: float
    lowat: int = 0
    malloc: bool = False

    @property
    def mode(self) -> str:
        base = "full speed" if self.rate == 0 else f"{self.rate:g}/s"
        base += f" +lowat {self.lowat // 1024}K" if self.lowat else ""
        return base + (" +malloc tuned" if self.malloc else "")


def bench_broadcast(runner: Runner, case: BroadcastCase, warmup: float, window: float) -> Json:
    _, port, pid = runner.server(case.kind, case.lowat, MALLOC_TUNED if case.malloc else None)
    sub = runner.start(
        "sub", f"ws://{HOST}:{port}/sub", str(case.subs), str(pid), str(warmup), str(window)
    )
    sub.read(timeout=30)  # {"ready": true}
    time.sleep(0.3)  # let the server register the last subscriber
    # The publisher is killed with the server once the subscribers report;
    # its tail (with no subscribers left) is never measured.
    pub = runner.start("pub", f"ws://{HOST}:{port}/pub", str(case.rate), str(warmup + window + 1.0))
    sub.write(str(pub.proc.pid))
    result = sub.read(timeout=warmup + window + 30)
    runner.kill_all()
    print(
        f"  broadcast {case.kind} {case.mode} subs={case.subs}: "
        f"{result['rate_median']:.1f} msg/s/sub",
        file=sys.stderr,
        flush=True,
    )
    return result


def echo_table(rows: list[tuple[str, Json]]) -> list[str]:
    out = [
        "| echo server (~200 B JSON text) | p50 ms | p99 ms | per-round p50 range "
        "| server CPU µs/RTT | other CPU s/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        out.append(
            f"| {name} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} "
            f"| {r['p50_lo']:.3f}-{r['p50_hi']:.3f} | {r['server_cpu_us_per_rtt']:.0f} "
            f"| {r['other_cpu']:.2f} |"
        )
    return out


def broadcast_table(rows: list[tuple[BroadcastCase, Json]]) -> list[str]:
    out = [
        "| server | publisher | subs | msg/s/sub min / med | MB/s out "
        "| server CPU s/s | server µs/delivered msg | CPU s/s subs / pub / other "
        "| latency p50 / p99 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case, r in rows:
        out.append(
            f"| {case.kind} | {case.mode} | {case.subs} "
            f"| {r['rate_min']:.1f} / {r['rate_median']:.1f} | {r['delivered_mb_s']:.0f} "
            f"| {r['server_cpu']:.2f} | {r['server_cpu_us_per_msg']:.0f} "
            f"| {r['client_cpu']:.2f} / {r['pub_cpu']:.2f} / {r['other_cpu']:.2f} "
            f"| {r['lat_p50_ms']:.1f} / {r['lat_p99_ms']:.1f} |"
        )
    return out


def _find(
    rows: list[tuple[BroadcastCase, Json]],
    kind: str,
    subs: int,
    rate: float,
    lowat: int = 0,
    malloc: bool = False,
) -> Json:
    want = (kind, subs, rate, lowat, malloc)
    for case, r in rows:
        if (case.kind, case.subs, case.rate, case.lowat, case.malloc) == want:
            return r
    raise KeyError(want)


def fanout_us(rows: list[tuple[BroadcastCase, Json]], kind: str, n_lo: int, n_hi: int) -> float:
    """Marginal server CPU per extra subscriber per message, paced runs."""
    lo, hi = _find(rows, kind, n_lo, PACED_RATE), _find(rows, kind, n_hi, PACED_RATE)
    msgs_per_s = (hi["rate_median"] + lo["rate_median"]) / 2
    return float((hi["server_cpu"] - lo["server_cpu"]) / ((n_hi - n_lo) * msgs_per_s) * 1e6)


def _ratios(rows: list[tuple[BroadcastCase, Json]], key: str, rate: float) -> list[float]:
    """websockets-advantage ratios per subscriber count (above 1 = websockets better)."""
    out = []
    for n in sorted({c.subs for c, _ in rows}):
        a, w = _find(rows, "aiohttp", n, rate)[key], _find(rows, "websockets", n, rate)[key]
        out.append(w / a if key == "rate_median" else a / w)
    return out


def _fmt(ns: list[int], values: list[float]) -> str:
    return ", ".join(f"{n} sub: {v:.2f}" for n, v in zip(ns, values, strict=True))


def _cpu_ratio(rows: list[tuple[BroadcastCase, Json]], n: int, rate: float, **kw: Any) -> float:
    """aiohttp / websockets server CPU per delivered message (above 1 = websockets cheaper)."""
    key = "server_cpu_us_per_msg"
    return float(
        _find(rows, "aiohttp", n, rate, **kw)[key] / _find(rows, "websockets", n, rate, **kw)[key]
    )


def _row_label(rate: float, n: int) -> str:
    return f"{'full speed' if rate == 0 else f'{rate:g}/s'}, {n} sub"


def decision(
    echo: list[tuple[str, Json]], bcast: list[tuple[BroadcastCase, Json]], lowat_subs: int
) -> list[str]:
    """Derive the findings and decision paragraphs from the numbers."""
    e = dict(echo)
    ns = sorted({c.subs for c, _ in bcast})
    lib = ("aiohttp", "websockets")
    thr = _ratios(bcast, "rate_median", 0.0)
    cpu_full = _ratios(bcast, "server_cpu_us_per_msg", 0.0)
    cpu_paced = _ratios(bcast, "server_cpu_us_per_msg", PACED_RATE)
    cpu_rows = [(r, 0.0, n) for r, n in zip(cpu_full, ns, strict=True)]
    cpu_rows += [(r, PACED_RATE, n) for r, n in zip(cpu_paced, ns, strict=True)]
    cpu_gm = statistics.geometric_mean(r for r, _, _ in cpu_rows)
    best_ws, best_aio = max(cpu_rows), min(cpu_rows)
    extremes = (
        f"best row for websockets x{best_ws[0]:.2f} ({_row_label(*best_ws[1:])}), "
        f"for aiohttp x{1 / best_aio[0]:.2f} ({_row_label(*best_aio[1:])})"
    )
    fan = [fanout_us(bcast, k, ns[0], ns[-1]) for k in lib]
    low = "; ".join(
        f"{k}: us/msg {a['server_cpu_us_per_msg']:.0f} to {b['server_cpu_us_per_msg']:.0f}, "
        f"msg/s/sub {a['rate_median']:.0f} to {b['rate_median']:.0f}, latency p50 "
        f"{a['lat_p50_ms']:.0f} to {b['lat_p50_ms']:.0f} ms"
        for k in lib
        for a, b in [(_find(bcast, k, lowat_subs, 0), _find(bcast, k, lowat_subs, 0, LOWAT_BYTES))]
    )
    mal = "; ".join(
        f"{c.kind} {c.subs} sub "
        f"{_find(bcast, c.kind, c.subs, 0)['server_cpu_us_per_msg']:.0f} to "
        f"{r['server_cpu_us_per_msg']:.0f}"
        for c, r in bcast
        if c.malloc
    )
    findings = (
        f"**Findings** (ratios above 1 favour websockets). Echo p50: aiohttp "
        f"{e['aiohttp']['p50_ms']:.3f} ms, websockets {e['websockets']['p50_ms']:.3f} ms, "
        f"bare TCP with the same asyncio client style {e[ECHO_TARGETS[0][2]]['p50_ms']:.3f} ms. "
        f"Full-speed msg/s per subscriber, websockets / aiohttp: {_fmt(ns, thr)}; these "
        "rows are bounded by 2 cores shared by server, publisher and subscribers "
        "(subs CPU near 1.0 = the subscriber process is the bottleneck) and vary "
        "between runs, so read them as a sanity check. Server CPU per delivered "
        f"message, aiohttp / websockets: full speed {_fmt(ns, cpu_full)}; "
        f"{PACED_RATE:g} msg/s {_fmt(ns, cpu_paced)}; geometric mean {cpu_gm:.2f}. "
        f"Marginal fan-out cost per extra subscriber per 400 KiB message ({PACED_RATE:g} "
        f"msg/s, {ns[0]} to {ns[-1]} subs): aiohttp {fan[0]:.0f} us, websockets "
        f"{fan[1]:.0f} us; the fixed cost of receiving the published message dominates "
        f"at low fan-out. TCP_NOTSENT_LOWAT={LOWAT_BYTES // 1024}K on the server "
        f"sockets ({lowat_subs} subs, full speed): {low}. "
        f"glibc malloc tuning ({' '.join(f'{k}={v}' for k, v in MALLOC_TUNED.items())}) "
        f"changes server us per delivered message (full speed): {mal}."
    )
    needs = (
        "The relay also serves HTTP routes, a JSON API and static files on the same "
        "port: aiohttp has routing, JSON responses, middlewares and static files "
        "built in; websockets only offers a `process_request` hook, so we would "
        "hand-roll an HTTP layer."
    )
    if cpu_gm > 1.5 or statistics.median(thr) > 1.5:
        verdict = (
            "**Decision: aiohttp, knowingly paying a measured cost.** websockets wins "
            "by a wide margin on the broadcast path (median full-speed msg/s ratio "
            f"{statistics.median(thr):.2f}, server CPU per delivered message ratio "
            f"{cpu_gm:.2f} on geometric mean). "
            "We take that hit in relay CPU for the built-in HTTP surface, and revisit "
            "(e.g. a websockets fan-out process behind aiohttp) if relay CPU becomes "
            "the bottleneck."
        )
    else:
        if all(r < 1 for r, _, _ in cpu_rows):
            cost = "aiohttp is cheaper on every row"
        elif all(r > 1 for r, _, _ in cpu_rows):
            cost = "websockets is cheaper on every row"
        else:
            cost = "neither library wins every row"
        ea, ew = e["aiohttp"], e["websockets"]
        overlap = ea["p50_lo"] <= ew["p50_hi"] and ew["p50_lo"] <= ea["p50_hi"]
        faster = "aiohttp" if ea["p50_ms"] < ew["p50_ms"] else "websockets"
        echo_note = (
            "the echo p50 ranges overlap across rounds"
            if overlap
            else f"{faster} has the lower echo p50 in every round"
        )
        verdict = (
            "**Decision: the relay uses aiohttp.** Server CPU per delivered message, "
            f"aiohttp / websockets, geometric mean {cpu_gm:.2f} ({cost}; {extremes}); "
            f"{echo_note}. The performance difference does not pay for hand-rolling "
            "the HTTP surface."
        )
    wide = [row for row in cpu_rows if row[0] > 1.5]
    if wide:
        ratio, rate, n = best_ws
        verdict += (
            f" Trade-off, stated plainly: websockets is clearly cheaper on {len(wide)} of "
            f"{len(cpu_rows)} rows, most on {_row_label(rate, n)} (x{ratio:.2f} server CPU "
            "per message"
            + (f", x{thr[ns.index(n)]:.2f} msg/s per subscriber)" if rate == 0 else ")")
        )
        tuned = (
            _cpu_ratio(bcast, n, rate, malloc=True)
            if any(c.malloc and c.subs == n and c.rate == rate for c, _ in bcast)
            else None
        )
        if tuned is not None:
            verdict += f"; with the glibc malloc tuning that row becomes x{tuned:.2f}"
        verdict += ". We accept that relay CPU cost"
        verdict += (
            "; if it ever matters, set the malloc knobs in the relay's environment "
            "before considering a library switch."
            if tuned is not None and tuned < 0.85 * ratio
            else "; revisit only if relay CPU becomes the bottleneck."
        )
    return [findings, "", needs, "", verdict]


def load_note(
    echo: list[tuple[str, Json]], bcast: list[tuple[BroadcastCase, Json]], before: float
) -> str:
    """Say how much CPU processes outside the benchmark took while it measured."""
    loads = [r["other_cpu"] for _, r in echo] + [r["other_cpu"] for _, r in bcast]
    worst = max(loads)
    verdict = (
        "the machine was quiet"
        if worst < 0.15
        else "rows with other CPU above ~0.15 s/s were disturbed; compare them with care"
    )
    return (
        f"Outside load: {before:.2f} cores busy just before the run; while measuring, "
        f"mean {statistics.fmean(loads):.2f}, max {worst:.2f} CPU s/s of "
        f"{os.cpu_count()} cores; {verdict}."
    )


def machine_info() -> list[str]:
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    versions = ", ".join(
        f"{pkg} {importlib.metadata.version(pkg)}" for pkg in ("aiohttp", "websockets")
    )
    argv = list(sys.orig_argv)
    try:
        argv[0] = os.path.relpath(argv[0]) if os.path.isabs(argv[0]) else argv[0]
    except ValueError:
        pass
    try:
        with open("/proc/sys/net/ipv4/tcp_notsent_lowat", encoding="ascii") as fh:
            lowat = fh.read().strip()
    except OSError:
        lowat = "n/a"
    return [
        f"- Date: {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: `nproc` = {nproc}, CPU: {model}, {platform.system()} "
        f"{platform.release()}, sysctl tcp_notsent_lowat = {lowat}",
        f"- Python {platform.python_version()} (default asyncio loop), {versions}",
        f"- Command: `{shlex.join(argv)}` (from the repository root)",
    ]


def wait_quiet(limit_s: float, threshold: float = 0.15) -> float:
    """Wait (at most ``limit_s``) for a 1 s sample with < ``threshold`` cores busy.

    Returns the busy cores of the last sample; other work on a shared machine
    would otherwise land in the numbers.
    """
    deadline = time.perf_counter() + limit_s
    while True:
        t0, b0 = time.perf_counter(), system_busy_seconds()
        time.sleep(1.0)
        busy = (system_busy_seconds() - b0) / (time.perf_counter() - t0)
        if busy < threshold or time.perf_counter() >= deadline:
            return busy
        print(f"  machine busy ({busy:.2f} cores), waiting", file=sys.stderr, flush=True)


def orchestrate(args: argparse.Namespace) -> None:
    warmup, window = (0.3, 1.0) if args.quick else (0.5, 5.0)
    sub_counts = (1, 10) if args.quick else (1, 10, 20)
    cases = [
        BroadcastCase(kind, n, rate)
        for rate in (0.0, PACED_RATE)
        for n in sub_counts
        for kind in ("aiohttp", "websockets")
    ]
    cases += [BroadcastCase(kind, 10, 0.0, LOWAT_BYTES) for kind in ("aiohttp", "websockets")]
    cases += [
        BroadcastCase(kind, n, 0.0, malloc=True)
        for n in (1, 10)
        for kind in ("aiohttp", "websockets")
    ]
    runner = Runner()
    idle_busy = wait_quiet(args.wait_quiet)
    started = time.perf_counter()
    try:
        echo = bench_echo(runner, rounds=1 if args.quick else 3)
        bcast = [(c, bench_broadcast(runner, c, warmup, window)) for c in cases]
    finally:
        runner.kill_all()
    total = time.perf_counter() - started

    lines = [
        "# Relay server library: aiohttp vs websockets",
        "",
        "Generated by `bench/server_choice.py`; numbers are from one run, not a spec.",
        "",
        *machine_info(),
        f"- Runtime {total:.0f} s. Loopback only; each server in its own process; no "
        "compression, 8 MiB max message, library-default write buffers. Client for every "
        "WebSocket row: the websockets asyncio client (C masking, one event loop, no "
        "threads) in separate processes: echo, subscribers, publisher. Preferred over "
        "websocket-client threads, which would put 20 subscribers behind one GIL.",
        "",
        f"Echo: {ECHO_COUNT} sequential round trips after {ECHO_WARMUP} warm-up per "
        "client run, runs interleaved across servers; percentiles over all runs pooled.",
        "",
        *echo_table(echo),
        "",
        f"Broadcast: {PAYLOAD_BYTES // 1024} KiB binary messages, relay forwards each with "
        f"an awaited send (backpressure; `websockets.broadcast()` has none, so not used); "
        f"{window:g} s window after {warmup:g} s warm-up. "
        "Server/pub CPU = utime+stime from /proc/<pid>/stat; subs = the subscriber process; "
        "other = machine busy time (/proc/stat) minus all benchmark processes = outside load; "
        "latency = publisher send to subscriber receive.",
        "",
        *broadcast_table(bcast),
        "",
        load_note(echo, bcast, idle_busy),
        "",
        "## Decision",
        "",
        *decision(echo, bcast, lowat_subs=10),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        doc = Path(args.doc)
        doc.parent.mkdir(parents=True, exist_ok=True)
        doc.write_text(text, encoding="utf-8")
        print(f"wrote {doc}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run, no doc")
    parser.add_argument("--doc", default=str(DEFAULT_DOC), help="markdown output path")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=30.0,
        metavar="S",
        help="wait up to S seconds for an idle machine before measuring (default 30)",
    )
    sub = parser.add_subparsers(dest="role")
    p = sub.add_parser("serve", help="(internal) run a server")
    p.add_argument("kind", choices=sorted(SERVERS))
    p.add_argument("--lowat", type=int, default=0)
    p = sub.add_parser("echo", help="(internal) echo client")
    p.add_argument("mode", choices=("ws", "tcp-asyncio", "tcp-blocking"))
    p.add_argument("port", type=int)
    p.add_argument("server_pid", type=int)
    p = sub.add_parser("sub", help="(internal) broadcast subscribers")
    p.add_argument("url")
    p.add_argument("n", type=int)
    p.add_argument("server_pid", type=int)
    p.add_argument("warmup", type=float)
    p.add_argument("window", type=float)
    p = sub.add_parser("pub", help="(internal) broadcast publisher")
    p.add_argument("url")
    p.add_argument("rate", type=float)
    p.add_argument("duration", type=float)
    args = parser.parse_args(argv)

    if args.role == "serve":
        run_server(args.kind, args.lowat, SERVER_LIFETIME_S)
    elif args.role == "echo":
        if args.mode == "ws":
            url = f"ws://{HOST}:{args.port}/echo"
            emit(asyncio.run(echo_ws(url, args.server_pid)))
        elif args.mode == "tcp-asyncio":
            emit(asyncio.run(echo_tcp_asyncio(args.port, args.server_pid)))
        else:
            emit(echo_tcp_blocking(args.port, args.server_pid))
    elif args.role == "sub":
        emit(asyncio.run(subscribe(args.url, args.n, args.server_pid, args.warmup, args.window)))
    elif args.role == "pub":
        emit(asyncio.run(publish(args.url, args.rate, args.duration)))
    else:
        orchestrate(args)


if __name__ == "__main__":
    main()

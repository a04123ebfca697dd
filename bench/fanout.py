"""Frame fan-out: one host publishing 1080p-JPEG-sized frames to 1, 10 and 20 subscribers.

Setup: the relay in its own process on 127.0.0.1; this process is the host
(control socket + media socket, publishing); the subscribers are reviewers
with a control and a media socket each, split over two load processes
(``bench/_relay.py reviewer``, N/2 asyncio clients each; one process for
N = 1), so one Python process does not throttle the receive side.

Each frame is a 48-byte header + 400 KB of random bytes (drawn from a pool of
8 random buffers) with a fresh 16-byte content hash, so every frame is new to
the relay. Per run: 1.5 s warm-up, then an 8 s window timed with
CLOCK_MONOTONIC in every process. Reported per run:

* frames/s received by each subscriber in the window (min / median / max);
* frame age at the subscriber (receive wall time - capture time in the header);
* relay CPU: utime+stime of the relay process per wall second (1.0 = one core);
* aggregate throughput delivered to subscribers, compared with the physical
  reference: one loopback TCP stream between two plain blocking sockets
  (sender thread ``sendall`` of 400 KB buffers, receiver thread ``recv_into``);
* CPU of the load processes and of the whole machine, to show contention
  (everything shares 2 cores).

Runs: paced at 30 fps to 1, 10, 20 subscribers, and unpaced (the host sends
as fast as its socket drains) to 20 subscribers.

Budget: >= 24 fps to each of 20 subscribers (the minimum) with the relay
under one core, at 30 fps offered. Run: ``python bench/fanout.py`` (about 45 s).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from _relay import (
    FRAME_BYTES,
    Background,
    Client,
    FramePool,
    Relay,
    Worker,
    command_line,
    cpu_seconds,
    join,
    kill_all,
    machine_busy,
    machine_line,
    pct,
    table,
    verdict,
)

WARMUP_S = 1.5
MIN_FPS = 24.0
MAX_RELAY_CORES = 1.0


@dataclass
class RunResult:
    subscribers: int
    target_fps: float | None
    published_fps: float
    fps: list[float]
    ages_ms: list[float]
    relay_cores: float
    load_cores: float
    machine_busy: float
    window_s: float

    @property
    def delivered_mb_s(self) -> float:
        return sum(self.fps) * (FRAME_BYTES + 48) / 1e6


def loopback_tcp_mb_s(seconds: float = 2.0) -> float:
    """Throughput of one 127.0.0.1 TCP stream between two blocking sockets (MB/s)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    sender = socket.create_connection(listener.getsockname(), timeout=10)
    receiver, _ = listener.accept()
    receiver.settimeout(10)
    listener.close()
    payload = bytes(FRAME_BYTES)
    received = [0]
    stop = threading.Event()

    def send() -> None:
        try:
            while not stop.is_set():
                sender.sendall(payload)
        except OSError:
            pass

    def recv() -> None:
        buf = bytearray(1024 * 1024)
        view = memoryview(buf)
        try:
            while True:
                n = receiver.recv_into(view)
                if n == 0:
                    return
                received[0] += n
        except OSError:
            pass

    threads = [threading.Thread(target=send), threading.Thread(target=recv)]
    try:
        for t in threads:
            t.start()
        time.sleep(0.3)
        b0, t0 = received[0], time.perf_counter()
        time.sleep(seconds)
        b1, t1 = received[0], time.perf_counter()
    finally:
        stop.set()
        sender.close()
        receiver.close()
        for t in threads:
            t.join(timeout=5)
    return (b1 - b0) / (t1 - t0) / 1e6


async def publish(host: Client, fps: float | None, until_ns: int, sent: list[int]) -> None:
    """Publish frames until ``until_ns`` (monotonic): paced at ``fps``, or back to back."""
    assert host.media is not None
    pool = FramePool()
    t0 = time.perf_counter()
    i = 0
    while time.monotonic_ns() < until_ns:
        if fps is not None:
            delay = t0 + i / fps - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await host.media.send(pool.packet())
        sent.append(time.monotonic_ns())
        i += 1


async def one_run(relay: Relay, subscribers: int, fps: float | None, window: float) -> RunResult:
    sid, host_token = relay.create_session(f"fanout {subscribers}")
    host = await join(relay.ws_url, host_token, "Host", media_url=relay.media_url)
    host.drain()
    tokens = [relay.invite(sid) for _ in range(subscribers)]
    groups = 1 if subscribers == 1 else 2
    workers: list[Worker] = []
    try:
        for g in range(groups):
            workers.append(
                await Worker.start(
                    "reviewer",
                    {
                        "ws_url": relay.ws_url,
                        "media_url": relay.media_url,
                        "tokens": tokens[g::groups],
                        "lifetime_s": window + 40,
                    },
                )
            )
        for w in workers:
            ready = await w.recv(30)
            if not ready.get("ready"):
                raise RuntimeError(f"worker not ready: {ready}")
        now = time.monotonic_ns()
        t0 = now + int(WARMUP_S * 1e9)
        t1 = t0 + int(window * 1e9)
        for w in workers:
            await w.send({"window": [t0, t1]})
        sent: list[int] = []
        pub = asyncio.create_task(publish(host, fps, t1 + int(0.3e9), sent))
        await asyncio.sleep(max(0.0, (t0 - time.monotonic_ns()) / 1e9))
        r0, m0 = relay.cpu_seconds(), machine_busy()
        l0 = sum(cpu_seconds(w.pid) for w in workers)
        w0 = time.monotonic()
        await asyncio.sleep(max(0.0, (t1 - time.monotonic_ns()) / 1e9))
        r1, m1 = relay.cpu_seconds(), machine_busy()
        l1 = sum(cpu_seconds(w.pid) for w in workers)
        wall = time.monotonic() - w0
        reports = [await w.recv(30) for w in workers]
        await asyncio.wait_for(pub, 10)
    finally:
        await kill_all(workers)
        await host.close()
    clients = [c for r in reports for c in r["clients"]]
    return RunResult(
        subscribers=subscribers,
        target_fps=fps,
        published_fps=sum(1 for t in sent if t0 <= t < t1) / window,
        fps=[c["frames"] / window for c in clients],
        ages_ms=[a for c in clients for a in c["ages_ms"]],
        relay_cores=(r1 - r0) / wall,
        load_cores=(l1 - l0) / wall,
        machine_busy=(m1[0] - m0[0]) / max(1, m1[1] - m0[1]),
        window_s=window,
    )


async def run(args: argparse.Namespace) -> str:
    with Background() as background:
        tcp = loopback_tcp_mb_s()
        results: list[RunResult] = []
        relay = Relay()
        try:
            relay.start()
            for n in args.subscribers:
                results.append(await one_run(relay, n, args.fps, args.window))
            if not args.no_unpaced:
                results.append(await one_run(relay, max(args.subscribers), None, args.window))
        finally:
            relay.stop()
    return report(args, results, tcp, background)


def report(args: argparse.Namespace, results: list[RunResult], tcp: float, bg: Background) -> str:
    rows: list[list[object]] = []
    ok_all = True
    budget_n = max(args.subscribers)
    for r in results:
        budgeted = r.target_fps is not None and r.subscribers == budget_n
        ok = min(r.fps) >= MIN_FPS and r.relay_cores < MAX_RELAY_CORES
        if budgeted:
            ok_all = ok_all and ok
        rows.append(
            [
                r.subscribers,
                f"{r.target_fps:.0f}" if r.target_fps else "unpaced",
                r.published_fps,
                min(r.fps),
                statistics.median(r.fps),
                max(r.fps),
                pct(r.ages_ms, 50),
                pct(r.ages_ms, 99),
                r.relay_cores,
                r.delivered_mb_s,
                f"{r.delivered_mb_s / tcp * 100:.0f}%",
                r.load_cores,
                f"{r.machine_busy * 100:.0f}%",
                verdict(ok) if budgeted else "(info)",
            ]
        )
    headers = [
        "subscribers",
        "offered fps",
        "published fps",
        "fps min",
        "fps median",
        "fps max",
        "age p50 ms",
        "age p99 ms",
        "relay CPU (cores)",
        "delivered MB/s",
        "of loopback TCP",
        "load procs CPU (cores)",
        "machine busy",
        "budget",
    ]
    out = [
        "## Frame fan-out",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        f"One host publishing {FRAME_BYTES // 1024} KB frames (random bytes, new content hash "
        "each) through the relay's media socket; subscribers are reviewers (control + media "
        "socket each) in 2 load processes (N/2 asyncio `websockets` clients each; 1 process "
        f"for N = 1); the host is this process. {WARMUP_S:g} s warm-up, {args.window:g} s "
        "measured window per run; relay, host and load processes share the 2 cores.",
        "",
        table(headers, rows),
        "",
        f"Physical reference: one loopback TCP stream between two blocking sockets moved "
        f"**{tcp:.0f} MB/s** on this machine; 'of loopback TCP' is the relay's aggregate "
        "delivery (sum over subscribers of fps x frame size) as a share of that. The "
        "reference is a single stream on one core's worth of copying, so the relay's "
        "aggregate over 20 streams can exceed 100%.",
        "",
        bg.line(),
        "",
        f"Budget: >= {MIN_FPS:g} fps to each of {budget_n} subscribers (minimum over them) at "
        f"{args.fps:g} fps offered, relay under {MAX_RELAY_CORES:g} core: "
        f"**{'PASS' if ok_all else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1, 10, 20])
    parser.add_argument("--fps", type=float, default=30.0, help="offered frame rate")
    parser.add_argument("--window", type=float, default=8.0, help="measured seconds per run")
    parser.add_argument("--no-unpaced", action="store_true", help="skip the unpaced run")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Late join into a busy session, and the relay's memory per idle connection.

Snapshot: a session gets 10,000 annotations (freehand strokes of 20 points,
a sentence of text each) through the protocol, from its host (pipelined,
each acknowledged after the SQLite commit). Then a new reviewer joins,
``--joins`` times, one after the other: the time runs from sending ``hello``
(the WebSocket is already open) to having the full snapshot received and
parsed with ``json.loads``. Warm: the host stays connected, so the session's
state is in the relay's memory. Cold (for information): nobody is connected,
so the relay first rebuilds the session's state from its SQLite log.

Physical reference: the same bytes (the snapshot's JSON text) sent through a
bare ``websockets`` echo server in its own process and parsed by the same
client, i.e. moving and parsing that much JSON with nothing computed.

Memory: a fresh relay with 10 small sessions (one host each, so each room is
live); the relay's VmRSS (/proc/PID/status) before and after 500 reviewers
join (``hello`` -> ``welcome`` + ``snapshot``, 50 per session, since the
relay allows 64 participants per session) and then sit idle, control socket
only; then again after each opens its media socket too. Per connection =
RSS growth / 500, measured after 2 s of quiet.

Budgets: warm snapshot join median <= 300 ms; <= 64 KB of relay RSS per
idle joined control connection. Run: ``python bench/late_join.py`` (about 40 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass

from _relay import (
    BENCH_DIR,
    PYTHON,
    Background,
    Client,
    Relay,
    Worker,
    annotation,
    annotation_add,
    command_line,
    connect,
    hello,
    join,
    machine_line,
    open_media,
    pct,
    raise_nofile,
    read_line,
    table,
    verdict,
    ws_kwargs,
)
from websockets.exceptions import ConnectionClosed

SNAPSHOT_BUDGET_MS = 300.0
PER_CONN_BUDGET_KB = 64.0
PIPELINE = 256
SESSIONS = 10
SETTLE_S = 2.0


@dataclass
class JoinTime:
    welcome_ms: float
    received_ms: float
    total_ms: float
    parse_ms: float
    size: int
    annotations: int


async def fill(relay: Relay, host: Client, count: int) -> float:
    """Add ``count`` annotations as the host, at most PIPELINE unacknowledged; seconds taken."""
    acked = 0
    window = asyncio.Semaphore(PIPELINE)
    done = asyncio.Event()

    async def read_acks() -> None:
        nonlocal acked
        with contextlib.suppress(ConnectionClosed):
            async for msg in host.ws:
                obj = json.loads(msg)
                if obj["type"] == "ack":
                    acked += 1
                    window.release()
                    if acked >= count:
                        done.set()
                elif obj["type"] == "error":
                    raise RuntimeError(f"relay refused an annotation: {obj['data']}")

    reader = asyncio.create_task(read_acks())
    t0 = time.perf_counter()
    try:
        for i in range(count):
            await window.acquire()
            text = f"Note {i}: soften the rim light on the left shoulder, frame {1001 + i % 240}"
            await host.ws.send(annotation_add(annotation(text, frame=1001 + i % 240)))
        await asyncio.wait_for(done.wait(), 120)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader
    return time.perf_counter() - t0


async def timed_join(ws_url: str, token: str) -> JoinTime:
    ws = await connect(ws_url, **ws_kwargs())
    try:
        msg = hello(token, "Late reviewer")
        t0 = time.perf_counter()
        await ws.send(msg)
        welcome = await ws.recv()
        t1 = time.perf_counter()
        raw = await ws.recv()
        t2 = time.perf_counter()
        snap = json.loads(raw)
        t3 = time.perf_counter()
        if json.loads(welcome)["type"] != "welcome" or snap["type"] != "snapshot":
            raise RuntimeError("expected welcome + snapshot")
        return JoinTime(
            welcome_ms=(t1 - t0) * 1000,
            received_ms=(t2 - t0) * 1000,
            total_ms=(t3 - t0) * 1000,
            parse_ms=(t3 - t2) * 1000,
            size=len(raw.encode() if isinstance(raw, str) else raw),
            annotations=len(snap["data"]["annotations"] or []),
        )
    finally:
        ws.transport.abort()


async def echo_reference(text: str, repeats: int) -> list[float]:
    """Send ``text`` to a websockets echo server, receive it back, parse it: ms each."""
    proc = subprocess.Popen(
        [PYTHON, str(BENCH_DIR / "_relay.py"), "echo-server", "--lifetime", "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = read_line(proc.stdout, 20, r"port")
        if line is None:
            raise RuntimeError("echo server did not start")
        port = json.loads(line)["port"]
        out: list[float] = []
        async with connect(f"ws://127.0.0.1:{port}/", **ws_kwargs()) as ws:
            for _ in range(repeats):
                t0 = time.perf_counter()
                await ws.send(text)
                json.loads(await ws.recv())
                out.append((time.perf_counter() - t0) * 1000)
        return out
    finally:
        proc.kill()
        proc.wait(timeout=5)


async def snapshot_part(
    args: argparse.Namespace,
) -> tuple[list[JoinTime], list[JoinTime], float, str, list[float]]:
    relay = Relay()
    host: Client | None = None
    try:
        relay.start()
        sid, host_token = relay.create_session("busy")
        host = await join(relay.ws_url, host_token, "Host")
        fill_s = await fill(relay, host, args.annotations)
        token = relay.invite(sid)
        probe = await Worker.start(
            "probe",
            {"ws_url": relay.ws_url, "host_token": host_token, "watcher_token": token, "rate": 100},
        )
        warm: list[JoinTime] = []
        try:
            await probe.recv(60)
            await timed_join(relay.ws_url, token)  # first join: warm-up, not counted
            for _ in range(args.joins):
                await asyncio.sleep(0.3)
                warm.append(await timed_join(relay.ws_url, token))
            await asyncio.sleep(0.5)
            await probe.send({"stop": True})
            stall = [float(v) for v in (await probe.recv(30))["latencies_ms"]]
        finally:
            await probe.kill()
        # The last snapshot's text, for the physical reference.
        ws = await connect(relay.ws_url, **ws_kwargs())
        await ws.send(hello(token, "Reference"))
        await ws.recv()
        snapshot_text = str(await ws.recv())
        ws.transport.abort()
        await host.close()
        host = None
        cold: list[JoinTime] = []
        for _ in range(args.cold_joins):
            await asyncio.sleep(0.5)  # the relay drops the room once nobody is in it
            cold.append(await timed_join(relay.ws_url, token))
    finally:
        if host is not None:
            await host.close()
        relay.stop()
    return warm, cold, fill_s, snapshot_text, stall


async def memory_part(count: int) -> tuple[int, int, int, int]:
    """(RSS KiB before, after control sockets, after media sockets too, joined)."""
    relay = Relay()
    clients: list[Client] = []
    try:
        relay.start()
        sessions = [relay.create_session(f"idle {i}") for i in range(SESSIONS)]
        for _, host_token in sessions:
            anchor = await join(relay.ws_url, host_token, "Host")
            anchor.drain()
            clients.append(anchor)
        tokens = [relay.invite(sid) for sid, _ in sessions]
        # Warm the relay's code paths (and allocator) with joins that then leave.
        warmup = [await join(relay.ws_url, tokens[i % SESSIONS], "Warm-up") for i in range(20)]
        for c in warmup:
            await c.close()
        await asyncio.sleep(SETTLE_S)
        before = relay.rss_kb()
        idle: list[Client] = []
        for start in range(0, count, 50):
            batch = await asyncio.gather(
                *(
                    join(relay.ws_url, tokens[i % SESSIONS], f"Idle {i}")
                    for i in range(start, min(count, start + 50))
                )
            )
            idle.extend(batch)
        clients.extend(idle)
        for c in idle:
            c.drain()
        await asyncio.sleep(SETTLE_S)
        after_control = relay.rss_kb()
        for start in range(0, len(idle), 50):
            socks = await asyncio.gather(
                *(open_media(relay.media_url, c.ticket) for c in idle[start : start + 50])
            )
            for c, sock in zip(idle[start : start + 50], socks):
                c.media = sock
                c.tasks.append(asyncio.create_task(_drain_media(sock)))
        await asyncio.sleep(SETTLE_S)
        after_media = relay.rss_kb()
        return before, after_control, after_media, len(idle)
    finally:
        for c in clients:
            await c.close()
        relay.stop()


async def _drain_media(sock: object) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in sock:  # type: ignore[attr-defined]
            pass


async def run(args: argparse.Namespace) -> str:
    raise_nofile(4 * args.connections + 1024)
    with Background() as bg:
        warm, cold, fill_s, snapshot_text, stall = await snapshot_part(args)
        echo = await echo_reference(snapshot_text, args.joins)
        before, after_control, after_media, joined = await memory_part(args.connections)

    def stats(values: list[float]) -> tuple[float, float, float]:
        return min(values), statistics.median(values), max(values)

    size_mb = warm[0].size / 1e6
    rows: list[list[object]] = []
    warm_med = statistics.median(j.total_ms for j in warm)
    echo_med = statistics.median(echo)
    for name, joins, budgeted in (
        ("warm (host connected)", warm, True),
        ("cold (room rebuilt from SQLite)", cold, False),
    ):
        if not joins:
            continue
        lo, med, hi = stats([j.total_ms for j in joins])
        rows.append(
            [
                name,
                len(joins),
                joins[0].annotations,
                f"{joins[0].size / 1e6:.2f}",
                statistics.median(j.welcome_ms for j in joins),
                statistics.median(j.received_ms for j in joins),
                statistics.median(j.parse_ms for j in joins),
                lo,
                med,
                hi,
                f"{med / echo_med:.1f}x",
                verdict(med <= SNAPSHOT_BUDGET_MS) if budgeted else "(info)",
            ]
        )
    lo, med, hi = stats(echo)
    rows.append(
        [
            "reference: same JSON via websockets echo + parse",
            len(echo),
            "",
            f"{size_mb:.2f}",
            "",
            "",
            "",
            lo,
            med,
            hi,
            "1.0x",
            "",
        ]
    )
    headers = [
        "join",
        "n",
        "annotations",
        "snapshot MB",
        "welcome ms (median)",
        "snapshot received ms (median)",
        "client parse ms (median)",
        "total min ms",
        "total median ms",
        "total max ms",
        "median / reference",
        "budget",
    ]
    stall_rows = [
        [
            "playhead, 100/s, between two other connections of the session, during the joins",
            len(stall),
            pct(stall, 50),
            pct(stall, 99),
            max(stall),
            sum(1 for v in stall if v > 100),
        ]
    ]
    per_control = (after_control - before) / joined
    per_media = (after_media - after_control) / joined
    mem_rows = [
        ["relay VmRSS before (10 sessions, 10 hosts)", f"{before / 1024:.1f} MiB", "", ""],
        [
            f"after {joined} idle joined reviewers, control socket only",
            f"{after_control / 1024:.1f} MiB",
            f"{per_control:.1f} KiB",
            verdict(per_control <= PER_CONN_BUDGET_KB),
        ],
        [
            f"after those {joined} also open their media socket",
            f"{after_media / 1024:.1f} MiB",
            f"{per_media:.1f} KiB more ({per_control + per_media:.1f} KiB per participant)",
            "(info)",
        ],
    ]
    ok = warm_med <= SNAPSHOT_BUDGET_MS and per_control <= PER_CONN_BUDGET_KB
    out = [
        "## Late join and idle connections",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        f"Session filled with {args.annotations} annotations (20-point strokes + one sentence "
        f"each) by its host through the protocol in {fill_s:.1f} s "
        f"({args.annotations / fill_s:.0f} annotations/s acknowledged, {PIPELINE} in flight). "
        f"Then {args.joins} warm joins (after one uncounted) and {args.cold_joins} cold ones; "
        "time from sending `hello` to the snapshot parsed (the socket is already open).",
        "",
        table(headers, rows),
        "",
        "Meanwhile, for everyone else in the session (the relay builds a snapshot on its "
        "event loop):",
        "",
        table(["probe", "n", "p50 ms", "p99 ms", "max ms", "n > 100 ms"], stall_rows),
        "",
        "Physical reference: the snapshot's own JSON text sent to a bare `websockets` echo "
        "server process and back, then parsed by the same client: moving and parsing that "
        "many bytes with nothing computed (it crosses loopback twice, the join once).",
        "",
        f"Memory: fresh relay, {SESSIONS} sessions each with its host connected; reviewers "
        f"join 50 per session (the relay's limit is 64 per session), then idle; VmRSS read "
        f"after {SETTLE_S:g} s of quiet.",
        "",
        table(["state", "relay VmRSS", "per connection", "budget"], mem_rows),
        "",
        bg.line(),
        "",
        f"Budgets: warm snapshot join median <= {SNAPSHOT_BUDGET_MS:g} ms, <= "
        f"{PER_CONN_BUDGET_KB:g} KiB per idle joined control connection: "
        f"**{'PASS' if ok else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--annotations", type=int, default=10_000)
    parser.add_argument("--joins", type=int, default=7, help="warm joins measured")
    parser.add_argument("--cold-joins", type=int, default=3)
    parser.add_argument("--connections", type=int, default=500, help="idle connections")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

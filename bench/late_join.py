"""Late join into a busy session, and the relay's memory per idle connection.

Snapshot: a session gets 10,000 annotations (freehand strokes of 20 points,
a sentence of text each) through the protocol, from its host (pipelined,
each acknowledged after the SQLite commit). Then a new reviewer joins,
``--joins`` times, one after the other: the time runs from sending ``hello``
(the WebSocket is already open) to the full snapshot delivered, as our clients
ask for it (the snapshot, its ``snapshot_page`` messages and ``synced``; the
last byte received: the budget, as ARCHITECTURE.md states it), and to it parsed
by the Python SessionClient's own decoder (``decode_relay_message``: JSON, then
typed notes), reported beside it. Cold (for information): the first join after
the relay (re)starts, nobody connected, so the relay first replays the
session's SQLite log (on a worker thread) into the room. Warm: the host stays
connected, so the session's state is in the relay's memory.

Stalls for everyone else: probe processes send 100 playheads/s between two
connections of their own and time them, one in another session of the same
relay (during the cold and the warm joins) and one in the joined session
(during the warm joins); each playhead counts for the join it was sent during,
or for the baseline when sent between joins.

Physical reference: the same bytes (the snapshot's JSON text) sent through a
bare ``websockets`` echo server in its own process and parsed by the same
client, i.e. moving and parsing that much JSON with nothing computed.

Memory: a fresh relay with 10 small sessions (one host each, so each room is
live); the relay's VmRSS (/proc/PID/status) before and after 500 reviewers
join (``hello`` -> ``welcome`` + ``snapshot``, 50 per session, since the
relay allows 64 participants per session) and then sit idle, control socket
only; then again after each opens its media socket too. Per connection =
RSS growth / 500, measured after 2 s of quiet.

Decoding: the texts of the last warm join (snapshot, pages, ``synced``) decoded
again ``--decode-repeats`` times once the relay has stopped, each decoder in turn
in every round: the client's ``decode_relay_message`` (msgspec: parsed and checked
into the typed notes in one pass), the built-in path it falls back to without
msgspec, and for comparison orjson + the built-in builder (notes only) and msgspec
straight into the dataclasses (types only, no limits); the reference is a plain
``json.loads`` of the same texts, with the collector on as any call has it and
paused per message as the decoders pause it. Median, min and max per decoder.

Budgets: warm snapshot delivered, median <= 300 ms; the client's decode of the
10,000-note snapshot, median <= 150 ms; <= 64 KB of relay RSS per idle joined
control connection. Run: ``python bench/late_join.py`` (about 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
    kill_all,
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

from overshoulder.core.client.decode import (
    annotation_from_relay,
    decode_relay_message,
    decode_without_msgspec,
)
from overshoulder.core.collector import collector_paused
from overshoulder.core.model import Annotation

SNAPSHOT_BUDGET_MS = 300.0
DECODE_BUDGET_MS = 150.0
PER_CONN_BUDGET_KB = 64.0
PIPELINE = 256
SESSIONS = 10
SETTLE_S = 2.0
PROBE_HZ = 100


@dataclass
class JoinTime:
    welcome_ms: float
    received_ms: float
    total_ms: float
    parse_ms: float
    size: int
    annotations: int
    texts: list[str] = field(default_factory=list, repr=False)


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


async def timed_join(ws_url: str, token: str, keep: bool = False) -> JoinTime:
    """One join as our clients make it: the snapshot in pages, whole at ``synced``."""
    ws = await connect(ws_url, **ws_kwargs())
    try:
        msg = hello(token, "Late reviewer", capabilities=["snapshot_pages"])
        t0 = time.perf_counter()
        await ws.send(msg)
        welcome = await ws.recv()
        t1 = time.perf_counter()
        if json.loads(welcome)["type"] != "welcome":
            raise RuntimeError("expected welcome")
        texts = []
        while True:  # read everything first, as before: delivery, then parsing
            raw = await ws.recv()
            texts.append(raw)
            if '"synced"' in raw[:40]:
                break
        t2 = time.perf_counter()
        envs = [decode_relay_message(raw) for raw in texts]
        t3 = time.perf_counter()
        types = [e.type for e in envs]
        if types[0] != "snapshot" or types[-1] != "synced" or set(types[1:-1]) - {"snapshot_page"}:
            raise RuntimeError(f"expected snapshot, its pages and synced, got {types[:5]}")
        size = sum(len(raw.encode() if isinstance(raw, str) else raw) for raw in texts)
        notes = sum(len(e.data.annotations or []) for e in envs[:-1])
        return JoinTime(
            welcome_ms=(t1 - t0) * 1000,
            received_ms=(t2 - t0) * 1000,
            total_ms=(t3 - t0) * 1000,
            parse_ms=(t3 - t2) * 1000,
            size=size,
            annotations=notes,
            texts=[str(t) for t in texts] if keep else [],
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


# Each decoder returns what it made, which is kept until its timing ends, as a client
# keeps a snapshot: the collector's passes over the new objects then count for all alike.


def _plain_loads(texts: list[str]) -> list[object]:
    return [json.loads(text) for text in texts]


def _paused_loads(texts: list[str]) -> list[object]:
    out = []
    for text in texts:
        with collector_paused():
            out.append(json.loads(text))
    return out


def _orjson_builder(texts: list[str]) -> list[object]:
    """orjson, then the built-in builder for the notes (the rest of each envelope is not
    parsed: a lower bound of such a path)."""
    import orjson

    out = []
    for text in texts:
        with collector_paused():
            notes = orjson.loads(text)["data"].get("annotations") or []
            out.append([annotation_from_relay(raw) for raw in notes])
    return out


def _msgspec_types_only(texts: list[str]) -> list[object]:
    """msgspec straight into the model's dataclasses: types and the model's own checks,
    none of the protocol's limits (lengths, ranges); the notes only."""
    import msgspec

    body = msgspec.defstruct("Body", [("annotations", list[Annotation], [])])
    decoder = msgspec.json.Decoder(msgspec.defstruct("Message", [("data", body)]))
    out = []
    for text in texts:
        if '"synced"' not in text[:40]:
            with collector_paused():
                out.append(decoder.decode(text))
    return out


Decoder = Callable[[list[str]], list[object]]


def decoders() -> list[tuple[str, Decoder]]:
    """What the decode part times, by name; the comparisons only where installed."""
    out: list[tuple[str, Decoder]] = [
        ("json.loads, plain call (reference)", _plain_loads),
        ("json.loads, collector paused per message", _paused_loads),
        ("decode_relay_message (msgspec): the client", lambda ts: _each(decode_relay_message, ts)),
        ("built-in path (no msgspec): the fallback", lambda ts: _each(decode_without_msgspec, ts)),
    ]
    with contextlib.suppress(ImportError):
        import orjson  # noqa: F401

        out.append(("orjson + the built-in builder (notes only)", _orjson_builder))
    with contextlib.suppress(ImportError):
        import msgspec  # noqa: F401

        out.append(("msgspec into the dataclasses, no limits (notes only)", _msgspec_types_only))
    return out


def _each(decode: Callable[[str], object], texts: list[str]) -> list[object]:
    return [decode(text) for text in texts]


def decode_part(texts: list[str], repeats: int) -> dict[str, tuple[list[float], list[float]]]:
    """(wall ms, this process's CPU ms) per decoder over ``repeats`` rounds, each decoder
    once per round (in turn, starting one further each round), after a full collection."""
    named = decoders()
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _ in named}
    for round_ in range(repeats):
        for name, run in named[round_ % len(named) :] + named[: round_ % len(named)]:
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            made = run(texts)
            times[name][0].append((time.perf_counter() - t0) * 1000)
            times[name][1].append((time.process_time() - c0) * 1000)
            del made
    return times


Sample = tuple[int, float]  # (send time, time.monotonic_ns; latency ms)
Window = tuple[int, int]  # (start, end), time.monotonic_ns


@dataclass
class SnapshotPart:
    warm: list[JoinTime]
    cold: list[JoinTime]
    fill_s: float
    snapshot_text: str
    warm_windows: list[Window]
    cold_windows: list[Window]
    other_windows: list[Window]  # joins not counted (warm-up): neither join nor baseline
    same_warm: list[Sample]  # probe in the joined session, warm phase
    other_warm: list[Sample]  # probe in another session, warm phase
    other_cold: list[Sample]  # probe in another session, cold phase


async def start_probe(relay: Relay, host_token: str, watcher_token: str) -> Worker:
    probe = await Worker.start(
        "probe",
        {
            "ws_url": relay.ws_url,
            "host_token": host_token,
            "watcher_token": watcher_token,
            "rate": PROBE_HZ,
        },
    )
    await probe.recv(60)
    return probe


async def stop_probe(probe: Worker) -> list[Sample]:
    try:
        await probe.send({"stop": True})
        out = await probe.recv(30)
    finally:
        await probe.kill()
    return [(int(t), float(v)) for t, v in zip(out["sent_ns"], out["latencies_ms"])]


def within(
    samples: Sequence[Sample], windows: Sequence[Window], inside: bool = True
) -> list[float]:
    """Latencies of the samples sent inside (or outside) any of ``windows``."""
    return [v for t, v in samples if any(a <= t <= b for a, b in windows) == inside]


async def snapshot_part(args: argparse.Namespace) -> SnapshotPart:
    """Fill a session; cold joins after relay restarts, then warm joins; probes throughout."""
    relay = Relay()
    host: Client | None = None
    probes: list[Worker] = []
    try:
        relay.start()
        sid, host_token = relay.create_session("busy")
        other_sid, other_host_token = relay.create_session("other")
        token, other_token = relay.invite(sid), relay.invite(other_sid)
        host = await join(relay.ws_url, host_token, "Host")
        fill_s = await fill(relay, host, args.annotations)
        await host.close()
        host = None

        # Cold: the first join after the relay starts, so the room is replayed from
        # the log; meanwhile a probe in another session times its own events.
        cold: list[JoinTime] = []
        cold_windows: list[Window] = []
        other_cold: list[Sample] = []
        for _ in range(args.cold_joins):
            relay.restart()
            probes = [await start_probe(relay, other_host_token, other_token)]
            await asyncio.sleep(0.3)
            t0 = time.monotonic_ns()
            cold.append(await timed_join(relay.ws_url, token))
            cold_windows.append((t0, time.monotonic_ns()))
            await asyncio.sleep(0.3)
            other_cold += await stop_probe(probes.pop())

        # Warm: the host stays connected, so the room is live; probes in the same
        # session and in another one.
        relay.restart()
        host = await join(relay.ws_url, host_token, "Host")
        host.drain()
        probes = [
            await start_probe(relay, host_token, token),
            await start_probe(relay, other_host_token, other_token),
        ]
        t0 = time.monotonic_ns()
        await timed_join(relay.ws_url, token)  # first warm join: warm-up, not counted
        other_windows = [(t0, time.monotonic_ns())]
        warm: list[JoinTime] = []
        warm_windows: list[Window] = []
        for i in range(args.joins):
            await asyncio.sleep(0.3)
            t0 = time.monotonic_ns()
            warm.append(await timed_join(relay.ws_url, token, keep=i == args.joins - 1))
            warm_windows.append((t0, time.monotonic_ns()))
        await asyncio.sleep(0.5)
        other_warm = await stop_probe(probes.pop())
        same_warm = await stop_probe(probes.pop())
        # The snapshot's text, for the physical reference.
        ws = await connect(relay.ws_url, **ws_kwargs())
        await ws.send(hello(token, "Reference"))
        await ws.recv()
        snapshot_text = str(await ws.recv())
        ws.transport.abort()
    finally:
        await kill_all(probes)
        if host is not None:
            await host.close()
        relay.stop()
    return SnapshotPart(
        warm=warm,
        cold=cold,
        fill_s=fill_s,
        snapshot_text=snapshot_text,
        warm_windows=warm_windows,
        cold_windows=cold_windows,
        other_windows=other_windows,
        same_warm=same_warm,
        other_warm=other_warm,
        other_cold=other_cold,
    )


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
        snap = await snapshot_part(args)
        decoded = decode_part(snap.warm[-1].texts, args.decode_repeats) if snap.warm else {}
        echo = await echo_reference(snap.snapshot_text, args.joins)
        before, after_control, after_media, joined = await memory_part(args.connections)
    warm, cold = snap.warm, snap.cold

    def stats(values: list[float]) -> tuple[float, float, float]:
        return min(values), statistics.median(values), max(values)

    size_mb = len(snap.snapshot_text.encode()) / 1e6
    rows: list[list[object]] = []
    warm_med = statistics.median(j.received_ms for j in warm)
    echo_med = statistics.median(echo)
    for name, joins, budgeted in (
        ("warm (host connected)", warm, True),
        ("cold (first join after a relay start: log replayed)", cold, False),
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
                verdict(statistics.median(j.received_ms for j in joins) <= SNAPSHOT_BUDGET_MS)
                if budgeted
                else "(info)",
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
        "snapshot delivered ms (median)",
        "SessionClient parse ms (median)",
        "delivered + parsed min ms",
        "delivered + parsed median ms",
        "delivered + parsed max ms",
        "parsed median / reference",
        "budget (delivered)",
    ]

    def stall_row(name: str, values: list[float]) -> list[object]:
        return [
            name,
            len(values),
            pct(values, 50),
            pct(values, 99),
            max(values) if values else float("nan"),
            sum(1 for v in values if v > 100),
        ]

    windows = snap.warm_windows + snap.cold_windows + snap.other_windows
    stall_rows = [
        stall_row(
            f"another session, during the {len(cold)} cold joins",
            within(snap.other_cold, snap.cold_windows),
        ),
        stall_row(
            f"another session, during the {len(warm)} warm joins",
            within(snap.other_warm, snap.warm_windows),
        ),
        stall_row(
            f"the joined session (2 other connections), during the {len(warm)} warm joins",
            within(snap.same_warm, snap.warm_windows),
        ),
        stall_row(
            "baseline: all probes, between the joins",
            within(snap.other_cold + snap.other_warm + snap.same_warm, windows, inside=False),
        ),
    ]
    decode_rows: list[list[object]] = []
    walls = {name: wall for name, (wall, _) in decoded.items()}
    reference = statistics.median(next(iter(walls.values()))) if walls else float("nan")
    paused = list(walls.values())[1] if len(walls) > 1 else []
    paused_med = statistics.median(paused) if paused else float("nan")
    client_med = float("nan")
    for name, values in walls.items():
        med = statistics.median(values)
        is_client = name.startswith("decode_relay_message")
        if is_client:
            client_med = med
        decode_rows.append(
            [
                name,
                len(values),
                med,
                min(values),
                max(values),
                f"{med / reference:.2f}x",
                f"{med / paused_med:.2f}x",
                statistics.median(decoded[name][1]),
                verdict(med <= DECODE_BUDGET_MS) if is_client else "",
            ]
        )
    decode_ok = client_med <= DECODE_BUDGET_MS
    notes = snap.warm[-1].annotations if snap.warm else 0
    messages = len(snap.warm[-1].texts) if snap.warm else 0
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
    ok = warm_med <= SNAPSHOT_BUDGET_MS and per_control <= PER_CONN_BUDGET_KB and decode_ok
    out = [
        "## Late join and idle connections",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        f"Session filled with {args.annotations} annotations (20-point strokes + one sentence "
        f"each) by its host through the protocol in {snap.fill_s:.1f} s "
        f"({args.annotations / snap.fill_s:.0f} annotations/s acknowledged, {PIPELINE} in "
        f"flight). Then {len(cold)} cold joins, each the first join after a relay restart "
        "(nobody connected: the relay replays the session's log on a worker thread before "
        f"the welcome), and {len(warm)} warm joins (host connected; after one uncounted); "
        "time from sending `hello` to the snapshot parsed (the socket is already open).",
        "",
        table(headers, rows),
        "",
        f"Meanwhile, for everyone else: playheads at {PROBE_HZ}/s between two connections "
        "of a probe process (host -> watcher through the relay), counted by when they were "
        "sent (during a join, from `hello` to the snapshot parsed, or between joins):",
        "",
        table(["probe playheads", "n", "p50 ms", "p99 ms", "max ms", "n > 100 ms"], stall_rows),
        "",
        f"Decoding the last warm join's {messages} messages ({notes} notes) again, "
        f"{args.decode_repeats} rounds, each decoder once per round in turn, after the relay "
        "stopped, each after a full collection and keeping what it made until its timing "
        "ends (as a client keeps a snapshot); wall times in ms (CPU: this process's); ratios "
        "to the plain `json.loads` and to `json.loads` with the collector paused, measured "
        "in the same rounds:",
        "",
        table(
            [
                "decoder",
                "n",
                "median ms",
                "min ms",
                "max ms",
                "/ json.loads",
                "/ json.loads (paused)",
                "CPU ms (median)",
                f"budget (<= {DECODE_BUDGET_MS:g} ms)",
            ],
            decode_rows,
        ),
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
        f"Budgets: warm snapshot delivered median <= {SNAPSHOT_BUDGET_MS:g} ms, the client's "
        f"decode median <= {DECODE_BUDGET_MS:g} ms, <= {PER_CONN_BUDGET_KB:g} KiB per idle "
        "joined control connection: "
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
    parser.add_argument(
        "--decode-repeats", type=int, default=9, help="rounds of the decoders on one snapshot"
    )
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

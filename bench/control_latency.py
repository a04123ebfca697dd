"""Control-message latency through the relay: playhead, pointer, annotation (and its ack).

Setup: the relay in its own process on 127.0.0.1 with its default
durability (``--sync normal``: an annotation is acknowledged and relayed only
once its SQLite WAL commit is written, which survives a killed relay); one
load process (this script) holding one session of six participants: the
host, the receiving reviewer and four pointer reviewers. Every client reads
all its sockets all the time.

Per event type, 100 warm-up events then ``--events`` measured ones, paced at
``--rate`` per second (latency, not throughput):

* playhead: host -> relay -> receiving reviewer;
* pointer: the four pointer reviewers in turn (the relay rate-limits pointers
  to 60/s per participant, so 4 x 50/s make the 200/s) -> receiving reviewer;
* annotation: host -> relay (parse, check, SQLite commit) -> receiving reviewer,
  and the host's own ``ack`` time (same path, back to the sender).

Sender and receiver live in one process, so one clock (``perf_counter_ns``)
times both ends; the receive time is taken before the JSON is parsed.

Physical reference: a bare ``websockets`` echo server in its own process on
the same machine, driven by the same client at the same rate with a message
of the playhead's size. Its full round trip (client -> server -> client) is
reported as is, not halved: a relayed event also crosses two sockets and one
server process (sender -> relay -> receiver), so the ratio compares like
with like.

Then, for information, the annotation phase again against a fresh relay
started with ``--sync full`` (an fsync per commit: the power-cut durability
option). Those rows are checked against the same budget but do not decide
the verdict, which is the default's.

Budget: p50 <= 2 ms and p99 <= 10 ms for each relayed event type (default relay).
Run: ``python bench/control_latency.py`` (about 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from _relay import (
    BENCH_DIR,
    PYTHON,
    Background,
    Client,
    Relay,
    annotation,
    annotation_add,
    command_line,
    connect,
    join,
    machine_line,
    paced,
    pct,
    playhead,
    pointer,
    read_line,
    table,
    verdict,
    ws_kwargs,
)
from websockets.exceptions import ConnectionClosed

WARMUP = 100
P50_BUDGET_MS = 2.0
P99_BUDGET_MS = 10.0
POINTER_SENDERS = 4


async def echo_reference(count: int, rate: float) -> list[float]:
    """Round trips (ms) of a playhead-sized text message to a websockets echo server."""
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
        msg = json.dumps(
            {
                **json.loads(playhead(1001)),
                "from": "0b8f6c0e-6a1e-4f43-9a0e-3c1d2b0a9f11",
                "ts": time.time(),
            },
            separators=(",", ":"),
        )
        samples: list[float] = []
        async with connect(f"ws://127.0.0.1:{port}/", **ws_kwargs()) as ws:

            async def one(i: int) -> None:
                t0 = time.perf_counter_ns()
                await ws.send(msg)
                await ws.recv()
                if i >= WARMUP:
                    samples.append((time.perf_counter_ns() - t0) / 1e6)

            await paced(rate, WARMUP + count, one)
        return samples
    finally:
        proc.kill()
        proc.wait(timeout=5)


def sqlite_reference(sync: str, count: int = 300) -> list[float]:
    """Commit times (ms) of one event row in SQLite WAL mode, as the relay's writer does it."""
    with tempfile.TemporaryDirectory(prefix="osbench-sqlite-") as tmp:
        db = sqlite3.connect(f"{tmp}/ref.sqlite3", isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={sync.upper()}")
            db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)")
            body = annotation_add(annotation("note 1"))
            out: list[float] = []
            for i in range(count):
                t0 = time.perf_counter_ns()
                db.execute("BEGIN")
                db.execute("INSERT INTO events VALUES (?, ?)", (i, body))
                db.execute("COMMIT")
                out.append((time.perf_counter_ns() - t0) / 1e6)
                time.sleep(0.005)
            return out
        finally:
            db.close()


class Receiver:
    """Receive times (perf_counter_ns) by event key, from the receiving reviewer's socket."""

    def __init__(self) -> None:
        self.got: dict[tuple[str, int], int] = {}
        self.acks: dict[int, int] = {}

    async def read(self, client: Client) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in client.ws:
                now = time.perf_counter_ns()
                obj = json.loads(msg)
                mtype = obj["type"]
                if mtype in ("playhead", "pointer"):
                    self.got[(mtype, int(obj["data"]["frame"]))] = now
                elif mtype == "annotation_add":
                    text = obj["data"]["annotation"]["text"]
                    self.got[("annotation", int(text.split()[1]))] = now
                elif mtype == "error":
                    print(f"relay error: {obj['data']}", file=sys.stderr)

    async def read_acks(self, client: Client) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in client.ws:
                now = time.perf_counter_ns()
                obj = json.loads(msg)
                if obj["type"] == "ack" and obj["data"].get("ref"):
                    self.acks[int(obj["data"]["ref"])] = now
                elif obj["type"] == "error":
                    print(f"relay error to host: {obj['data']}", file=sys.stderr)


async def measure(
    kind: str,
    count: int,
    rate: float,
    host: Client,
    pointers: Sequence[Client],
    receiver: Receiver,
) -> tuple[list[float], list[float], int]:
    """(latencies ms, ack latencies ms, lost) of ``count`` paced events of ``kind``."""
    sent: dict[int, int] = {}
    base = {"playhead": 1_000_000, "pointer": 2_000_000, "annotation": 3_000_000}[kind]
    # Pre-build the messages so building them is not timed.
    if kind == "playhead":
        msgs = [playhead(base + i) for i in range(WARMUP + count)]
    elif kind == "pointer":
        msgs = [pointer(base + i) for i in range(WARMUP + count)]
    else:
        msgs = [
            annotation_add(annotation(f"note {base + i}", frame=1001 + i % 100), ref=str(base + i))
            for i in range(WARMUP + count)
        ]

    async def step(i: int) -> None:
        sender = pointers[i % len(pointers)] if kind == "pointer" else host
        sent[base + i] = time.perf_counter_ns()
        await sender.ws.send(msgs[i])

    await paced(rate, WARMUP + count, step)
    keys = [base + i for i in range(WARMUP, WARMUP + count)]
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        done = all((kind, k) in receiver.got for k in keys)
        if done and (kind != "annotation" or all(k in receiver.acks for k in keys)):
            break
        await asyncio.sleep(0.05)
    lat = [(receiver.got[(kind, k)] - sent[k]) / 1e6 for k in keys if (kind, k) in receiver.got]
    acks = [(receiver.acks[k] - sent[k]) / 1e6 for k in keys if k in receiver.acks]
    return lat, acks, count - len(lat)


Result = tuple[list[float], list[float], int]


async def relay_phases(
    sync: str | None, kinds: Sequence[str], events: int, rate: float
) -> tuple[dict[str, Result], dict[str, float]]:
    """Run ``kinds`` against a fresh relay: results and relay CPU ms/event.

    ``sync`` None starts the relay as shipped (no ``--sync`` argument).
    """
    relay = Relay(extra_args=[] if sync is None else ["--sync", sync])
    clients: list[Client] = []
    tasks: list[asyncio.Task[None]] = []
    results: dict[str, Result] = {}
    cpu_ms: dict[str, float] = {}
    try:
        relay.start()
        sid, host_token = relay.create_session("latency")
        host = await join(relay.ws_url, host_token, "Host")
        receiving = await join(relay.ws_url, relay.invite(sid), "Receiver")
        pointers = [
            await join(relay.ws_url, relay.invite(sid), f"Pointer {i}")
            for i in range(POINTER_SENDERS)
        ]
        clients = [host, receiving, *pointers]
        rec = Receiver()
        tasks.append(asyncio.create_task(rec.read(receiving)))
        tasks.append(asyncio.create_task(rec.read_acks(host)))
        for c in pointers:
            c.drain()
        await asyncio.sleep(0.5)
        for kind in kinds:
            c0 = relay.cpu_seconds()
            results[kind] = await measure(kind, events, rate, host, pointers, rec)
            cpu_ms[kind] = (relay.cpu_seconds() - c0) * 1000 / (WARMUP + events)
    finally:
        for task in tasks:
            task.cancel()
        for c in clients:
            await c.close()
        relay.stop()
    return results, cpu_ms


async def run(args: argparse.Namespace) -> str:
    with Background() as background:
        return await _run(args, background)


async def _run(args: argparse.Namespace, background: Background) -> str:
    echo = await echo_reference(args.events, args.rate)
    commits = {sync: sqlite_reference(sync) for sync in ("normal", "full")}
    kinds = ("playhead", "pointer", "annotation")
    results, cpu_ms = await relay_phases(None, kinds, args.events, args.rate)
    full: dict[str, Result] = {}
    full_cpu: dict[str, float] = {}
    if not args.no_full:
        full, full_cpu = await relay_phases("full", ("annotation",), args.events, args.rate)

    echo_p50 = pct(echo, 50)
    rows: list[list[object]] = []
    ok_all = True

    def row(name: str, values: list[float], lost: int, budget: str, cpu: float | None) -> None:
        nonlocal ok_all
        p50, p99 = pct(values, 50), pct(values, 99)
        ok = p50 <= P50_BUDGET_MS and p99 <= P99_BUDGET_MS and lost == 0
        if budget == "yes":
            ok_all = ok_all and ok
        shown = {"yes": verdict(ok), "info": f"{'PASS' if ok else 'MISS'} (info)"}
        rows.append(
            [
                name,
                len(values),
                lost,
                p50,
                p99,
                max(values) if values else float("nan"),
                f"{p50 / echo_p50:.1f}x",
                "" if cpu is None else f"{cpu:.2f}",
                shown.get(budget, budget),
            ]
        )

    labels = {
        "playhead": "playhead (host -> reviewer)",
        "pointer": "pointer (reviewer -> reviewer)",
        "annotation": "annotation (host -> reviewer, after SQLite commit)",
    }
    full_label = "`--sync full` (power-cut durability option)"
    for kind in kinds:
        lat, acks, lost = results[kind]
        row(labels[kind], lat, lost, "yes", cpu_ms[kind])
        if kind == "annotation":
            row("annotation ack (back to the host)", acks, args.events - len(acks), "yes", None)
    if full:
        lat, acks, lost = full["annotation"]
        row(f"annotation, relay {full_label}", lat, lost, "info", full_cpu["annotation"])
        row(f"its ack, relay {full_label}", acks, args.events - len(acks), "info", None)
    rows.append(
        [
            "reference: websockets echo round trip",
            len(echo),
            0,
            echo_p50,
            pct(echo, 99),
            max(echo),
            "1.0x",
            "",
            "",
        ]
    )
    for sync, values in commits.items():
        rows.append(
            [
                f"reference: one SQLite WAL commit, synchronous={sync}"
                + (" (default relay)" if sync == "normal" else " (`--sync full`)"),
                len(values),
                0,
                pct(values, 50),
                pct(values, 99),
                max(values),
                "",
                "",
                "",
            ]
        )
    headers = [
        "event",
        "n",
        "lost",
        "p50 ms",
        "p99 ms",
        "max ms",
        "p50 / echo RTT p50",
        "relay CPU ms/event",
        "budget",
    ]
    out = [
        "## Control latency",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        f"{args.events} events per type after {WARMUP} warm-up ones, paced at {args.rate:.0f}/s; "
        "relay as shipped (no `--sync` argument, i.e. `--sync normal`: WAL, no fsync per "
        "commit), one session of 6 participants (host, receiving "
        f"reviewer, {POINTER_SENDERS} pointer reviewers; each pointer sender at "
        f"{args.rate / POINTER_SENDERS:.0f}/s, under the relay's 60/s per-participant pointer "
        "limit). Every relayed event goes to the 5 other participants. Sender and receiver "
        "in one load process (one clock), relay in its own process; loopback. "
        + (
            "The `--sync full` rows come from a second, fresh relay started with that option "
            "(an fsync per commit, for power-cut durability): checked against the budget, "
            "but for information; the verdict is the default's."
            if full
            else ""
        ),
        "",
        table(headers, rows),
        "",
        "Physical reference: the full round trip (not halved) of the same client to a bare "
        "`websockets` echo server process, same rate, playhead-sized message: like a "
        "relayed event it crosses two sockets and one server process. For annotations the "
        "floor is that round trip plus one SQLite commit (measured in-process on the same "
        "disk, `synchronous=normal` for the default relay, `full` for the `--sync full` "
        "rows), since the relay acknowledges and relays an annotation only once it is "
        "committed. Relay CPU: relay utime+stime during the phase divided by the events "
        "sent (each fanned out to 5 sockets).",
        "",
        background.line(),
        "",
        f"Budget: p50 <= {P50_BUDGET_MS:g} ms and p99 <= {P99_BUDGET_MS:g} ms per event type "
        "(default relay, `--sync normal`), nothing lost: "
        f"**{'PASS' if ok_all else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000, help="measured events per type")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument(
        "--no-full", action="store_true", help="skip the --sync full annotation pass (info)"
    )
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

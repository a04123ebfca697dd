"""One reviewer behind a 50 Mbit/s link while 1080p frames stream and notes flow.

Setup (needs root and iproute2; created here, removed in ``finally``):

* two network namespaces, a router and the reviewer's, joined by veth pairs:
  relay (root namespace, ``10.203.X.1``) -- router -- reviewer (``10.203.X.6``);
* in the router, ``tc qdisc ... tbf rate 50mbit burst 32kb latency 50ms`` on
  both of its interfaces, so the reviewer's download and upload are each a
  50 Mbit/s bottleneck with at most 50 ms of queue (``--queue-ms``). The
  queue sits in another namespace than the relay's sockets, as a router's
  does: a qdisc on the relay's own interface would be kept nearly empty by
  TCP Small Queues and flatter the result;
* the relay listens on its veth address only (nothing outside this machine
  can reach it); the host (this process) and the unshaped reviewer connect
  to that address from the root namespace, which the kernel routes over
  loopback, unshaped; the shaped reviewer runs in its namespace
  (``ip netns exec``) and reaches the relay through the router.

Traffic: the host publishes 400 KB frames (random bytes, new hash each) at
24 fps (78.6 Mbit/s offered, more than the shaped link carries, so the
relay's newest-wins mailbox must drop frames for that reviewer) and adds an
annotation (20-point stroke + text) 10 times a second; each reviewer adds
its own annotation twice a second and times its ``ack``.

Measured at each reviewer: frames/s, frame age (receive wall time - capture
time in the packet header), latency of the host's annotations (host send to
reviewer receive, CLOCK_MONOTONIC, one clock for every namespace) and of its
own annotation's ack. Phase A: the unshaped reviewer alone (baseline).
Phase B: the shaped reviewer joins too (3 s warm-up for TCP to fill the
queue), both measured over the same window.

The whole run is repeated per TCP congestion control of the shaped path
(``--cc``, default cubic and bbr; set per route with ``ip route ... congctl``,
so the machine's own setting is left alone): cubic, the Linux default, fills
a router's queue; bbr paces at the bottleneck rate and keeps it short.

Physical reference: the link's own limits. One 400 KB frame takes 65.5 ms to
serialise at 50 Mbit/s, so the link carries at most 15.3 frames/s, and the
queue adds up to ``--queue-ms`` to anything behind a frame.

Budget: shaped reviewer annotation latency p50 <= 150 ms, frame age p50 <=
300 ms; unshaped reviewer unaffected: with the shaped one present its fps is
>= 95% of its baseline, and its annotation latency and frame age p50 are
within max(2 x baseline, baseline + 5 ms).

Run: ``sudo python bench/shaped_link.py`` (about 50 s). Without root or
network namespaces it prints a SKIP line with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import subprocess
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
    annotation,
    annotation_add,
    command_line,
    join,
    kill_all,
    machine_line,
    pct,
    table,
    verdict,
)
from websockets.exceptions import ConnectionClosed

FPS = 24.0
HOST_NOTES_HZ = 10.0
REVIEWER_NOTES_HZ = 2.0
NOTE_P50_BUDGET_MS = 150.0
AGE_P50_BUDGET_MS = 300.0


class Netns:
    """Two namespaces, a router and the reviewer, with tbf in the router; ``remove`` cleans up.

    relay (root ns) --veth A-- router ns --veth B-- reviewer ns. The router
    shapes both directions (egress of B towards the reviewer: download;
    egress of A towards the relay: upload). The queue sits in another
    namespace than the relay's socket, as in a real network: a qdisc on the
    relay's own interface would be hidden by TCP Small Queues, which keeps a
    sender's bytes in its local qdisc small and so never builds the queue a
    router on the path does.
    """

    def __init__(self, rate_mbit: float, queue_ms: float, cc: str) -> None:
        tag = os.getpid() % 100000
        self.router = f"osbench-r{tag}"
        self.name = f"osbench-v{tag}"
        self.host_if = f"osbh{tag}"
        subnet = 20 + os.getpid() % 200
        self.host_ip = f"10.203.{subnet}.1"
        self.router_a = f"10.203.{subnet}.2"
        self.router_b = f"10.203.{subnet}.5"
        self.ns_ip = f"10.203.{subnet}.6"
        self.far_net = f"10.203.{subnet}.4/30"
        self.tag = tag
        self.rate_mbit = rate_mbit
        self.queue_ms = queue_ms
        self.cc = cc
        self.created = False

    def tbf(self) -> list[str]:
        return [
            "tbf",
            "rate",
            f"{self.rate_mbit:g}mbit",
            "burst",
            "32kb",
            "latency",
            f"{self.queue_ms:g}ms",
        ]

    def create(self) -> None:
        r, v, t = self.router, self.name, self.tag
        ra, rb, vb = f"osbra{t}", f"osbrb{t}", f"osbv{t}"
        steps = [
            ["ip", "netns", "add", r],
            ["ip", "netns", "add", v],
            ["ip", "link", "add", self.host_if, "type", "veth", "peer", "name", ra],
            ["ip", "link", "set", ra, "netns", r],
            ["ip", "link", "add", rb, "type", "veth", "peer", "name", vb],
            ["ip", "link", "set", rb, "netns", r],
            ["ip", "link", "set", vb, "netns", v],
            ["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if],
            ["ip", "link", "set", self.host_if, "up"],
            ["ip", "-n", r, "addr", "add", f"{self.router_a}/30", "dev", ra],
            ["ip", "-n", r, "addr", "add", f"{self.router_b}/30", "dev", rb],
            ["ip", "-n", r, "link", "set", ra, "up"],
            ["ip", "-n", r, "link", "set", rb, "up"],
            ["ip", "-n", v, "addr", "add", f"{self.ns_ip}/30", "dev", vb],
            ["ip", "-n", v, "link", "set", vb, "up"],
            ["ip", "-n", v, "link", "set", "lo", "up"],
            ["ip", "route", "add", self.far_net, "via", self.router_a, "congctl", self.cc],
            ["ip", "-n", v, "route", "add", "default", "via", self.router_b, "congctl", self.cc],
            ["ip", "netns", "exec", r, "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"],
        ]
        for dev in (rb, ra):
            steps.append(["tc", "-n", r, "qdisc", "add", "dev", dev, "root", *self.tbf()])
        self.created = True
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            if done.returncode != 0:
                raise OSError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")

    def remove(self) -> None:
        if not self.created:
            return
        for cmd in (
            ["ip", "netns", "del", self.name],
            ["ip", "netns", "del", self.router],
            ["ip", "link", "del", self.host_if],
        ):
            with contextlib.suppress(Exception):
                subprocess.run(cmd, capture_output=True, timeout=10)
        self.created = False

    def qdisc_stats(self) -> str:
        done = subprocess.run(
            ["tc", "-n", self.router, "-s", "qdisc", "show", "dev", f"osbrb{self.tag}"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        text = " ".join(done.stdout.split())
        found = re.search(r"Sent (\d+) bytes \d+ pkt \(dropped (\d+)", text)
        if found is None:
            return text
        return f"{int(found.group(1)) / 1e6:.0f} MB sent, {found.group(2)} packets dropped"


def skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create a network namespace and tc qdiscs"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"`{tool}` not found (apt-get install -y iproute2)"
    return None


@dataclass
class Stats:
    fps: float
    age: list[float]
    notes: list[float]
    acks: list[float]

    @classmethod
    def of(cls, report: dict[str, object]) -> Stats:
        clients = report["clients"]
        assert isinstance(clients, list) and len(clients) == 1
        c = clients[0]
        return cls(
            c["frames"] / float(str(report["window_s"])), c["ages_ms"], c["notes_ms"], c["acks_ms"]
        )


async def host_traffic(host: Client, until_ns: int) -> None:
    """Frames at 24 fps and host annotations at 10/s until ``until_ns``."""
    assert host.media is not None
    media = host.media
    pool = FramePool()

    async def frames() -> None:
        t0, i = time.perf_counter(), 0
        while time.monotonic_ns() < until_ns:
            delay = t0 + i / FPS - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await media.send(pool.packet())
            i += 1

    async def notes() -> None:
        t0, i = time.perf_counter(), 0
        while time.monotonic_ns() < until_ns:
            delay = t0 + i / HOST_NOTES_HZ - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"host-t={time.monotonic_ns()} note {i}"
            await host.ws.send(annotation_add(annotation(text, frame=900)))
            i += 1

    await asyncio.gather(frames(), notes())


async def window(workers: Sequence[Worker], warmup: float, seconds: float) -> list[Stats]:
    t0 = time.monotonic_ns() + int(warmup * 1e9)
    t1 = t0 + int(seconds * 1e9)
    for w in workers:
        await w.send({"window": [t0, t1]})
    return [Stats.of(await w.recv(warmup + seconds + 30)) for w in workers]


async def measure(args: argparse.Namespace, net: Netns) -> tuple[Stats, Stats, Stats, float, str]:
    relay = Relay(host=net.host_ip)
    workers: list[Worker] = []
    host: Client | None = None
    traffic: asyncio.Task[None] | None = None
    try:
        relay.start()
        sid, host_token = relay.create_session("shaped")
        host = await join(relay.ws_url, host_token, "Host", media_url=relay.media_url)
        host.drain()
        config = {
            "ws_url": relay.ws_url,
            "media_url": relay.media_url,
            "annotate_hz": REVIEWER_NOTES_HZ,
            "lifetime_s": 90,
        }
        free = await Worker.start("reviewer", {**config, "tokens": [relay.invite(sid)]})
        workers.append(free)
        await free.recv(30)
        end = time.monotonic_ns() + int((1.5 + args.baseline + 5 + args.window + 10) * 1e9)
        traffic = asyncio.create_task(host_traffic(host, end))
        (baseline,) = await window([free], 1.5, args.baseline)
        shaped_w = await Worker.start(
            "reviewer",
            {**config, "tokens": [relay.invite(sid)]},
            prefix=["ip", "netns", "exec", net.name],
        )
        workers.append(shaped_w)
        await shaped_w.recv(30)
        c0 = relay.cpu_seconds()
        w0 = time.monotonic()
        unshaped, shaped = await window([free, shaped_w], 3.0, args.window)
        relay_cores = (relay.cpu_seconds() - c0) / (time.monotonic() - w0)
        qdisc = net.qdisc_stats()
    finally:
        if traffic is not None:
            traffic.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed, Exception):
                await traffic
        await kill_all(workers)
        if host is not None:
            await host.close()
        relay.stop()
    return baseline, unshaped, shaped, relay_cores, qdisc


def unaffected(base: float, now: float) -> bool:
    return now <= max(2 * base, base + 5.0)


@dataclass
class Variant:
    cc: str
    baseline: Stats
    unshaped: Stats
    shaped: Stats
    relay_cores: float
    qdisc: str


def default_cc() -> str:
    try:
        with open("/proc/sys/net/ipv4/tcp_congestion_control", encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return "unknown"


def available_cc() -> set[str]:
    try:
        with open("/proc/sys/net/ipv4/tcp_available_congestion_control", encoding="ascii") as fh:
            return set(fh.read().split())
    except OSError:
        return set()


async def run(args: argparse.Namespace) -> str:
    head = [
        "## Shaped link (one reviewer at 50 Mbit/s)",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
    ]
    reason = skip_reason()
    variants: list[Variant] = []
    skipped: list[str] = []
    with Background() as bg:
        for cc in args.cc:
            if reason is not None:
                break
            if cc not in available_cc():
                skipped.append(f"{cc} (not available in this kernel)")
                continue
            net = Netns(args.rate_mbit, args.queue_ms, cc)
            try:
                net.create()
                variants.append(Variant(cc, *await measure(args, net)))
            except OSError as exc:
                reason = f"could not set up the shaped link: {exc}"
            finally:
                net.remove()
    if reason is not None or not variants:
        why = reason or f"no congestion control of {args.cc} is available"
        return "\n".join([*head, f"SKIP shaped_link: {why}. No numbers were measured.", ""])

    frame_bits = (FRAME_BYTES + 48) * 8
    serialise_ms = frame_bits / (args.rate_mbit * 1e6) * 1000
    ceiling_fps = args.rate_mbit * 1e6 / frame_bits

    def row(cc: str, name: str, s: Stats) -> list[object]:
        return [
            cc,
            name,
            s.fps,
            pct(s.age, 50),
            pct(s.age, 99),
            len(s.notes),
            pct(s.notes, 50),
            pct(s.notes, 99),
            pct(s.acks, 50),
            pct(s.acks, 99),
        ]

    rows: list[list[object]] = []
    checks: list[list[object]] = []
    notes: list[str] = []
    ok_all = True
    for v in variants:
        rows += [
            row(v.cc, "unshaped, alone (baseline)", v.baseline),
            row(v.cc, "unshaped, shaped one present", v.unshaped),
            row(v.cc, f"**shaped** ({args.rate_mbit:g} Mbit/s)", v.shaped),
        ]
        note_ok = pct(v.shaped.notes, 50) <= NOTE_P50_BUDGET_MS
        age_ok = pct(v.shaped.age, 50) <= AGE_P50_BUDGET_MS
        free_ok = (
            v.unshaped.fps >= 0.95 * v.baseline.fps
            and unaffected(pct(v.baseline.notes, 50), pct(v.unshaped.notes, 50))
            and unaffected(pct(v.baseline.age, 50), pct(v.unshaped.age, 50))
        )
        ok_all = ok_all and note_ok and age_ok and free_ok
        checks += [
            [
                v.cc,
                "shaped: note latency p50 <= 150 ms",
                f"{pct(v.shaped.notes, 50):.1f} ms",
                verdict(note_ok),
            ],
            [
                v.cc,
                "shaped: frame age p50 <= 300 ms",
                f"{pct(v.shaped.age, 50):.1f} ms",
                verdict(age_ok),
            ],
            [
                v.cc,
                "unshaped unaffected",
                f"{v.unshaped.fps:.1f} vs {v.baseline.fps:.1f} fps; notes "
                f"{pct(v.unshaped.notes, 50):.1f} vs {pct(v.baseline.notes, 50):.1f} ms; age "
                f"{pct(v.unshaped.age, 50):.1f} vs {pct(v.baseline.age, 50):.1f} ms",
                verdict(free_ok),
            ],
        ]
        notes.append(
            f"* {v.cc}: shaped frame age p50 = {pct(v.shaped.age, 50) / serialise_ms:.1f}x the "
            f"serialisation time, shaped fps = {v.shaped.fps / ceiling_fps * 100:.0f}% of the "
            f"link's ceiling; relay CPU {v.relay_cores:.2f} cores; download qdisc after the "
            f"run: `{v.qdisc}`"
        )
    headers = [
        "TCP cc",
        "reviewer",
        "fps",
        "frame age p50 ms",
        "age p99 ms",
        "host notes n",
        "note latency p50 ms",
        "note p99 ms",
        "own note ack p50 ms",
        "ack p99 ms",
    ]
    tbf = " ".join(Netns(args.rate_mbit, args.queue_ms, "cubic").tbf())
    out = [
        *head,
        "Relay (root namespace) -- veth -- router namespace -- veth -- reviewer namespace; "
        f"the router shapes both directions with `tc qdisc add ... root {tbf}`; the relay is "
        "bound to its veth address; host and unshaped reviewer in the root namespace "
        f"(loopback path, unshaped). Host: {FRAME_BYTES // 1024} KB frames at {FPS:g} fps "
        f"({frame_bits * FPS / 1e6:.1f} Mbit/s offered) + {HOST_NOTES_HZ:g} annotations/s; "
        f"each reviewer adds {REVIEWER_NOTES_HZ:g} annotations/s of its own and times the ack. "
        f"Baseline window {args.baseline:g} s (shaped reviewer absent); shared window "
        f"{args.window:g} s after a 3 s warm-up. Run once per TCP congestion control of the "
        "shaped path (set per route with `congctl`, both directions): cubic is the Linux "
        "default; this machine's default is "
        f"`{default_cc()}`.",
        "",
        table(headers, rows),
        "",
        f"Physical reference: at {args.rate_mbit:g} Mbit/s one 400 KB frame takes "
        f"{serialise_ms:.1f} ms to serialise, so the link carries at most {ceiling_fps:.1f} "
        f"frames/s, and the tbf queue adds up to {args.queue_ms:g} ms to whatever waits "
        "behind it. Frame age cannot be below the serialisation time; note latency is the "
        "queueing delay the frames leave in front of it.",
        "",
        *notes,
        *([f"* skipped: {', '.join(skipped)}"] if skipped else []),
        "",
        bg.line(),
        "",
        table(["TCP cc", "check", "measured", "verdict"], checks),
        "",
        f"Budget (shaped note p50 <= {NOTE_P50_BUDGET_MS:g} ms, frame age p50 <= "
        f"{AGE_P50_BUDGET_MS:g} ms, unshaped unaffected: fps >= 95% of its baseline and p50s "
        "within max(2x, +5 ms) of it): "
        f"**{'PASS' if ok_all else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate-mbit", type=float, default=50.0, help="bottleneck rate")
    parser.add_argument("--queue-ms", type=float, default=50.0, help="tbf latency (queue depth)")
    parser.add_argument(
        "--cc", nargs="+", default=["cubic", "bbr"], help="TCP congestion controls of the path"
    )
    parser.add_argument("--baseline", type=float, default=6.0, help="baseline window seconds")
    parser.add_argument("--window", type=float, default=10.0, help="shared window seconds")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

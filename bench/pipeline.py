"""The whole frame pipeline through the real relay: latency, sustained playback, second loop.

Everything runs as it ships: the relay is its own process
(``python -m overshoulder.relay``) on a loopback port; subscribers are
reviewers (control + media socket, ``websockets`` asyncio clients) in a load
process of their own (this file run as ``python bench/pipeline.py subscriber``);
hosts are processes of their own too, so this orchestrating process (and its
/proc sampler) shares no interpreter with anything measured.

1. **Latency** (the host: ``python bench/pipeline.py host``, ``FrameEncoder`` ->
   the project's ``SessionClient.publish_frame``, as in an app). A capture is handed to
   ``FrameEncoder.submit`` (which stamps ``captured_us`` into the packet
   header, ``time.time_ns``), encoded, published, relayed, received and decoded
   with the codec's ``decode_jpeg`` by the subscriber, which takes
   ``time.time_ns`` after the decode: the same machine clock, so
   latency = decoded - captured. At 1080p and UHD, for uint8 RGBA
   display-referred input and half-float RGBA scene-linear (``lin_rec709``:
   the codec's exact table) input, paced (15 fps at 1080p, 6 fps at UHD: not
   flooding), warm-up frames first. Every capture is the sample shot's frame
   with a small patch changed, so each is a new image (no cache hit, no
   "unchanged" skip). The physical reference, from the same frames: the
   encoder's own time for each (hash + transform + scale + JPEG encode,
   ``FrameEncoder.stats.last_stage_ms``) plus the subscriber's decode time;
   the ratio is end-to-end p50 over (encode p50 + decode p50).
2. **Sustained playback**: ``overshoulder share`` (``PlayerHost`` + ``Sharer``
   + ``FrameEncoder`` + ``SessionClient``, its own process) plays the demo's
   sample sequence (``overshoulder.sample``: 48 frames,
   1920x1080 half-float EXR, 24 fps, rendered once into the temp dir) to 1
   and then 10 subscribers that count what arrives (no decode: ten decoders
   would compete with the host for the 2 cores). Frames/s per subscriber in a
   window after the first loop (min / median), and CPU (utime+stime per wall
   second) of the host process and of the relay.
3. **Second loop**: one subscriber with a frame cache of 64 (``media_hello
   cache``), joined before the player starts, counts the bytes of
   ``KIND_FRAME`` payloads and the ``KIND_REF`` packets it gets during the
   first, second and third pass over the 48 frames; then the same with a
   fresh player at 12 fps, a pace at which it shows every frame, which tells
   the relay's cache apart from frames the player skipped at 24 fps.

Bytes per frame and PSNR at the default qualities are in ``bench/codec.py``'s
section ("Bytes per frame and quality"); they are not repeated here.

Budgets: 1080p p50 <= 25 ms and p99 <= 60 ms, UHD p50 <= 80 ms (each input);
second loop: pixel bytes under 1 % of the first loop's. Sustained playback is
reported against the sequence's 24 fps, for information.

    python bench/pipeline.py              # about 100 s on 2 cores (+12 s the first time)
    python bench/pipeline.py --profile    # also cProfile the encoder worker (stderr)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import io
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np
from _relay import (
    PYTHON,
    REPO_ROOT,
    Background,
    Relay,
    command_line,
    cpu_seconds,
    envelope,
    join,
    machine_busy,
    machine_line,
    pct,
    read_line,
    table,
    verdict,
    ws_kwargs,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from overshoulder import sample
from overshoulder.core.client import SessionClient
from overshoulder.core.codec import DisplayTransform, FrameEncoder, decode_jpeg
from overshoulder.core.host import Capture
from overshoulder.core.protocol.packet import HEADER, HEADER_SIZE, KIND_FRAME, FrameHeader

Json = dict[str, Any]

SIZES = {"1080p": (1920, 1080), "UHD": (3840, 2160)}
#: Paced rates: well below what the pipeline sustains, so latency is not queueing.
RATES = {"1080p": 15.0, "UHD": 6.0}
MEASURED = {"1080p": 120, "UHD": 100}
WARMUP_FRAMES = 8
BUDGET_P50_MS = {"1080p": 25.0, "UHD": 80.0}
BUDGET_P99_MS = {"1080p": 60.0}
SECOND_LOOP_BUDGET = 0.01
PLAYBACK_FPS = 24.0
PLAYBACK_WARMUP_S = 1.0
PLAYBACK_WINDOW_S = 5.0
SUBSCRIBER_COUNTS = (1, 10)
CACHE_FRAMES = 64
#: A rate the player keeps on 2 cores (every frame shown), for the second-loop diagnosis.
SLOW_FPS = 12.0
INPUTS = (
    ("uint8 RGBA, display-referred", None),
    ("half RGBA, lin_rec709 (exact table)", "lin_rec709"),
)


# --------------------------------------------------------------------------------------
# The subscriber process
# --------------------------------------------------------------------------------------


@dataclass
class _Packet:
    mono_ns: int
    recv_us: int
    kind: int
    flags: int
    frame: int
    captured_us: int
    nbytes: int
    decode_ms: float = 0.0
    done_us: int = 0


@dataclass
class _Loops:
    """Passes over the frame range as one subscriber saw them (a pass ends when frames wrap)."""

    wanted: int
    passes: list[Json] = field(default_factory=list)
    last_frame: Optional[int] = None
    current: Json = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, p: _Packet) -> None:
        if self.done.is_set():
            return
        if self.last_frame is not None and p.frame < self.last_frame:
            self.current["end_ns"] = p.mono_ns
            self.passes.append(self.current)
            self.current = {}
            if len(self.passes) >= self.wanted:
                self.done.set()
                return
        self.last_frame = p.frame
        cur = self.current
        if not cur:
            cur.update(start_ns=p.mono_ns, frames=[], packets=[], full=0, refs=0, payload_bytes=0)
        cur["frames"].append(p.frame)
        cur["packets"].append([p.frame, p.kind, p.nbytes - HEADER_SIZE if p.kind == 1 else 0])
        if p.kind == KIND_FRAME:
            cur["full"] += 1
            cur["payload_bytes"] += p.nbytes - HEADER_SIZE
        else:
            cur["refs"] += 1


async def _open_media(media_url: str, ticket: str, cache: int) -> ClientConnection:
    media = await connect(media_url, **ws_kwargs())
    await media.send(envelope("media_hello", {"ticket": ticket, "cache": cache}))
    reply = json.loads(await asyncio.wait_for(media.recv(), 20))
    if reply.get("type") != "media_welcome":
        media.transport.abort()
        raise RuntimeError(f"media socket refused: {reply}")
    return media


async def _drain(ws: ClientConnection) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for _ in ws:
            pass


def _emit(obj: Json) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def _subscriber() -> None:
    """Reviewers that read their media sockets; answers ``window``, ``dump`` and ``loops``.

    Config (a JSON line on stdin): ws_url, media_url, tokens, cache, decode (JPEG-decode
    every full frame of the first client), record (keep the first client's packets),
    loops (report the first client's first N passes once seen).
    """
    loop = asyncio.get_running_loop()
    stdin = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    config = json.loads(await asyncio.wait_for(stdin.readline(), 30))
    cache, decode, record = int(config["cache"]), bool(config["decode"]), bool(config["record"])
    clients = []
    for i, token in enumerate(config["tokens"]):
        client = await join(config["ws_url"], token, f"Subscriber {i}")
        client.media = await _open_media(config["media_url"], client.ticket, cache)
        clients.append(client)
    seen: list[list[tuple[int, int]]] = [[] for _ in clients]  # (mono ns, bytes)
    packets: list[_Packet] = []
    loops = _Loops(int(config.get("loops", 0)))

    async def read(i: int, media: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for msg in media:
                if not isinstance(msg, bytes) or len(msg) < HEADER_SIZE:
                    continue
                mono, recv_us = time.monotonic_ns(), time.time_ns() // 1000
                seen[i].append((mono, len(msg)))
                if i != 0 or not (record or loops.wanted):
                    continue
                fields = HEADER.unpack_from(msg)
                p = _Packet(mono, recv_us, fields[2], fields[4], fields[6], fields[12], len(msg))
                if decode and p.kind == KIND_FRAME:
                    t0 = time.perf_counter()
                    decode_jpeg(msg[HEADER_SIZE:])
                    p.decode_ms = (time.perf_counter() - t0) * 1000.0
                    p.done_us = time.time_ns() // 1000
                if record:
                    packets.append(p)
                if loops.wanted:
                    loops.add(p)

    async def report_loops() -> None:
        await loops.done.wait()
        _emit({"loops": loops.passes})

    tasks = [asyncio.create_task(_drain(c.ws)) for c in clients]
    tasks += [
        asyncio.create_task(read(i, c.media)) for i, c in enumerate(clients) if c.media is not None
    ]
    if loops.wanted:
        tasks.append(asyncio.create_task(report_loops()))
    _emit({"ready": True, "pid": os.getpid()})
    try:
        while True:
            line = await stdin.readline()
            if not line:
                break
            cmd = json.loads(line)
            if "window" in cmd:
                t0, t1 = int(cmd["window"][0]), int(cmd["window"][1])
                await asyncio.sleep(max(0.0, (t1 - time.monotonic_ns()) / 1e9) + 0.05)
                _emit(
                    {
                        "frames": [sum(1 for t, _ in s if t0 <= t < t1) for s in seen],
                        "bytes": [sum(n for t, n in s if t0 <= t < t1) for s in seen],
                    }
                )
            elif "dump" in cmd:
                _emit({"packets": [list(vars(p).values()) for p in packets]})
    finally:
        for task in tasks:
            task.cancel()
        for c in clients:
            await c.close()


class Subscribers:
    """A subscriber load process, spoken to with JSON lines."""

    def __init__(self, config: Json) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(Path(__file__).resolve()), "subscriber"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO_ROOT),
        )
        self.send(config)
        self.recv(60)

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def send(self, obj: Json) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def recv(self, timeout: float) -> Json:
        assert self.proc.stdout is not None
        line = read_line(self.proc.stdout, timeout)
        if line is None:
            raise RuntimeError(f"subscriber process said nothing for {timeout:g} s")
        return dict(json.loads(line))

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


# --------------------------------------------------------------------------------------
# 1. Latency
# --------------------------------------------------------------------------------------


@dataclass
class LatencyResult:
    size: str
    what: str
    sent: int
    got: int
    latency_ms: list[float]
    encode_ms: list[float]
    decode_ms: list[float]
    submit_to_emit_ms: list[float]
    emit_to_recv_ms: list[float]
    stages: dict[str, list[float]]
    nbytes: list[int]

    @property
    def reference_ms(self) -> float:
        return statistics.median(self.encode_ms) + statistics.median(self.decode_ms)

    def passed(self) -> bool:
        ok = pct(self.latency_ms, 50) <= BUDGET_P50_MS[self.size]
        if self.size in BUDGET_P99_MS:
            ok = ok and pct(self.latency_ms, 99) <= BUDGET_P99_MS[self.size]
        return ok and self.got >= 0.95 * self.sent  # a few dropped (newest wins) are allowed


class _ProfiledEncoder(FrameEncoder):
    """A FrameEncoder whose worker thread runs under cProfile (``--profile``)."""

    profile = cProfile.Profile()

    def _run(self) -> None:
        self.profile.enable()
        try:
            super()._run()
        finally:
            self.profile.disable()


def capture_images(size: str) -> list[tuple[str, Optional[str], list[np.ndarray]]]:
    """For each input kind: three RGBA buffers of the sample shot's first frame."""
    width, height = SIZES[size]
    linear = sample.render_frame(0, sample.FRAMES, width, height)
    alpha = np.ones((height, width, 1), dtype=np.float32)
    half = np.ascontiguousarray(np.concatenate([linear, alpha], axis=2).astype(np.float16))
    del linear
    rgb = DisplayTransform(sample.COLORSPACE).apply(half)
    rgba = np.ascontiguousarray(
        np.concatenate([rgb, np.full((height, width, 1), 255, np.uint8)], axis=2)
    )
    del rgb
    out = []
    for what, colorspace in INPUTS:
        base = half if colorspace else rgba
        out.append((what, colorspace, [base.copy() for _ in range(3)]))
    return out


def stamp(pixels: np.ndarray, i: int) -> None:
    """Make the image new: a 32 x 32 patch per frame number (two digits base 251)."""
    for k, value in enumerate((i % 251, i // 251)):
        patch = pixels[8:40, 8 + 40 * k : 40 + 40 * k, :3]
        patch[...] = value if pixels.dtype == np.uint8 else value / 251.0


def _host() -> None:
    """The latency run's host process: paced captures -> FrameEncoder -> SessionClient.

    Config (a JSON line on stdin): base, token, sizes, profile. Prints one JSON
    line: the plan (size, input, measured frame numbers) and, per fast frame
    emitted, (wall us, encoder stages, payload bytes).
    """
    config = json.loads(sys.stdin.readline())
    client = SessionClient(config["base"], config["token"], "Bench host", publish_frames=True)
    client.start()
    if not client.wait_synced(20):
        raise RuntimeError(f"host did not sync: {client.state} {client.last_error}")
    emitted: dict[int, tuple[int, dict[str, float], int]] = {}
    encoder: Optional[FrameEncoder] = None

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        assert encoder is not None
        if header.flags == 0:  # fast frames only: a refinement re-uses the frame number
            stages = dict(encoder.stats.last_stage_ms)
            emitted[header.frame] = (time.time_ns() // 1000, stages, len(payload))
        client.publish_frame(header, payload)

    encoder = (_ProfiledEncoder if config["profile"] else FrameEncoder)(on_frame)
    plan: list[tuple[str, str, list[int]]] = []
    try:
        for size in config["sizes"]:
            width, height = SIZES[size]
            for what, colorspace, ring in capture_images(size):
                # Tables and the OCIO config are built on first use: not part of a frame.
                DisplayTransform(colorspace or "sRGB").apply(ring[0][:8, :8])
                base = 1_000_000 * (len(plan) + 1)
                frames = [base + i for i in range(WARMUP_FRAMES + MEASURED[size])]
                rate = RATES[size]
                t0 = time.perf_counter()
                for n, frame in enumerate(frames):
                    pixels = ring[n % len(ring)]
                    delay = t0 + n / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    # The buffer's previous capture (3 frames ago) is encoded or superseded
                    # by now at these rates; wait_idle makes sure before it is changed.
                    encoder.wait_idle(2.0)
                    stamp(pixels, n)
                    encoder.submit(
                        Capture(
                            frame=frame,
                            width=width,
                            height=height,
                            pixels=pixels,
                            colorspace=colorspace or "sRGB",
                        )
                    )
                encoder.wait_idle(5.0)
                time.sleep(0.6)  # the last image's refinement goes out before the next run
                plan.append((size, what, frames[WARMUP_FRAMES:]))
                del ring
    finally:
        encoder.close()
        client.close()
    if config["profile"]:
        text = io.StringIO()
        stats = pstats.Stats(_ProfiledEncoder.profile, stream=text)
        stats.sort_stats("tottime").print_stats(14)
        print("encoder worker, all latency runs (cProfile, by tottime):", file=sys.stderr)
        print(text.getvalue(), file=sys.stderr)
    _emit({"plan": plan, "emitted": {str(k): v for k, v in emitted.items()}})


def latency_phase(args: argparse.Namespace) -> list[LatencyResult]:
    relay = Relay().start()
    subs: Optional[Subscribers] = None
    host: Optional[subprocess.Popen[str]] = None
    results: list[LatencyResult] = []
    try:
        sid, host_token = relay.create_session("pipeline latency")
        subs = Subscribers(
            {
                "ws_url": relay.ws_url,
                "media_url": relay.media_url,
                "tokens": [relay.invite(sid)],
                "cache": 0,
                "decode": True,
                "record": True,
            }
        )
        host = subprocess.Popen(
            [PYTHON, str(Path(__file__).resolve()), "host"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(REPO_ROOT),
        )
        config = {"base": relay.base, "token": host_token, "sizes": args.sizes}
        out, _ = host.communicate(json.dumps({**config, "profile": args.profile}) + "\n", 600)
        if host.returncode != 0 or not out.strip():
            raise RuntimeError(f"the host process failed (status {host.returncode})")
        done = json.loads(out.strip().splitlines()[-1])
        emitted = {int(k): v for k, v in done["emitted"].items()}
        subs.send({"dump": True})
        packets = [_Packet(*p) for p in subs.recv(60)["packets"]]
        fast = {p.frame: p for p in packets if p.kind == KIND_FRAME and p.flags == 0}
        for size, what, frames in done["plan"]:
            got = [fast[f] for f in frames if f in fast and f in emitted]
            info = [emitted[p.frame] for p in got]
            stages: dict[str, list[float]] = {}
            for _, st, _ in info:
                for k, v in st.items():
                    stages.setdefault(k, []).append(v)
            results.append(
                LatencyResult(
                    size=size,
                    what=what,
                    sent=len(frames),
                    got=len(got),
                    latency_ms=[(p.done_us - p.captured_us) / 1000.0 for p in got],
                    encode_ms=[sum(st.values()) for _, st, _ in info],
                    decode_ms=[p.decode_ms for p in got],
                    submit_to_emit_ms=[(e[0] - p.captured_us) / 1000.0 for p, e in zip(got, info)],
                    emit_to_recv_ms=[(p.recv_us - e[0]) / 1000.0 for p, e in zip(got, info)],
                    stages=stages,
                    nbytes=[e[2] for e in info],
                )
            )
    finally:
        if host is not None and host.poll() is None:
            host.kill()
            host.wait(5)
        if subs is not None:
            subs.close()
        relay.stop()
    return results


# --------------------------------------------------------------------------------------
# 2 and 3. Sustained playback and the second loop
# --------------------------------------------------------------------------------------


@dataclass
class PlaybackRun:
    subscribers: int
    fps: list[float]
    mb_s: list[float]
    host_cores: float
    relay_cores: float
    load_cores: float
    other_cores: float


@dataclass
class PlaybackResult:
    sample_note: str
    runs: list[PlaybackRun]
    passes: list[Json]
    #: Times the player said it lost the relay, and how long it ran (s).
    reconnects: int
    seconds: float
    #: The caching subscriber's passes with the player at SLOW_FPS.
    slow_passes: list[Json]


class Player:
    """``overshoulder share`` into a new session of ``relay``, with a caching subscriber.

    The subscriber (``cache: CACHE_FRAMES``) joins first, so its first pass is the
    player's first; ``passes()`` returns the first ``passes`` passes it saw.
    """

    def __init__(self, relay: Relay, pattern: Path, passes: int, fps: Optional[float]) -> None:
        self.relay = relay
        sid, host_token = relay.create_session("pipeline playback")
        self.tokens = [relay.invite(sid) for _ in range(1 + sum(SUBSCRIBER_COUNTS))]
        self.common = {"ws_url": relay.ws_url, "media_url": relay.media_url, "decode": False}
        self.cached = Subscribers(
            {
                **self.common,
                "tokens": self.tokens[:1],
                "cache": CACHE_FRAMES,
                "record": False,
                "loops": passes,
            }
        )
        self.log_path = relay.data_dir / f"share-{sid}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.started = time.monotonic()
        command = [PYTHON, "-m", "overshoulder", "share", str(pattern), "--relay", relay.base]
        command += ["--session", sid, "--token", host_token]
        if fps:
            command += ["--fps", f"{fps:g}"]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=str(REPO_ROOT),
        )

    def passes(self) -> list[Json]:
        try:
            return list(self.cached.recv(90)["loops"])
        finally:
            self.cached.close()

    def reconnects(self) -> int:
        self.log.flush()
        return self.log_path.read_text(errors="replace").count("Connection to the relay lost")

    def stop(self) -> None:
        self.cached.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def playback_phase(args: argparse.Namespace) -> PlaybackResult:
    folder = Path(tempfile.gettempdir()) / "overshoulder-bench" / "sample-1920x1080x48"
    t0 = time.monotonic()
    shot = sample.ensure_sample(folder, frames=48, size=(1920, 1080))
    note = (
        f"rendered in {time.monotonic() - t0:.0f} s before the run"
        if shot.rendered
        else "rendered by an earlier run"
    )
    relay = Relay().start()
    players: list[Player] = []
    subs: list[Subscribers] = []
    runs: list[PlaybackRun] = []
    try:
        player = Player(relay, shot.pattern, 3, None)
        players.append(player)
        passes = player.passes()
        used = 1
        for count in SUBSCRIBER_COUNTS:
            group = Subscribers(
                {
                    **player.common,
                    "tokens": player.tokens[used : used + count],
                    "cache": 0,
                    "record": False,
                }
            )
            subs.append(group)
            used += count
            time.sleep(PLAYBACK_WARMUP_S)
            w0 = time.monotonic_ns()
            w1 = w0 + int(PLAYBACK_WINDOW_S * 1e9)
            pids = (player.proc.pid, relay.pid, group.pid, os.getpid())
            cpu0, busy0 = [cpu_seconds(p) for p in pids], machine_busy()[0]
            group.send({"window": [w0, w1]})
            counts = group.recv(PLAYBACK_WINDOW_S + 30)
            cpu1, busy1 = [cpu_seconds(p) for p in pids], machine_busy()[0]
            wall = (time.monotonic_ns() - w0) / 1e9
            cores = [(b - a) / wall for a, b in zip(cpu0, cpu1)]
            machine = (busy1 - busy0) / os.sysconf("SC_CLK_TCK") / wall
            runs.append(
                PlaybackRun(
                    subscribers=count,
                    fps=[n / PLAYBACK_WINDOW_S for n in counts["frames"]],
                    mb_s=[b / PLAYBACK_WINDOW_S / 1e6 for b in counts["bytes"]],
                    host_cores=cores[0],
                    relay_cores=cores[1],
                    load_cores=cores[2],
                    other_cores=max(0.0, machine - sum(cores)),
                )
            )
            group.close()
        if player.proc.poll() is not None:
            raise RuntimeError(f"the player exited early (status {player.proc.returncode})")
        reconnects, seconds = player.reconnects(), time.monotonic() - player.started
        player.stop()
        # The same at half the rate, where the player shows every frame: the cache alone.
        slow = Player(relay, shot.pattern, 2, SLOW_FPS)
        players.append(slow)
        slow_passes = slow.passes()
        return PlaybackResult(note, runs, passes, reconnects, seconds, slow_passes)
    finally:
        for s in subs:
            s.close()
        for p in players:
            p.stop()
        relay.stop()


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> str:
    """p50 / p99 of ``values`` in ms."""
    return f"{pct(values, 50):.1f} / {pct(values, 99):.1f}" if values else "-"


def latency_section(args: argparse.Namespace, latency: list[LatencyResult]) -> list[str]:
    rows: list[list[Any]] = []
    breakdown: list[list[Any]] = []
    for r in latency:
        rows.append(
            [
                r.size,
                r.what,
                f"{r.got}/{r.sent}",
                pct(r.latency_ms, 50),
                pct(r.latency_ms, 99),
                f"{min(r.latency_ms):.1f}-{max(r.latency_ms):.1f}",
                pct(r.encode_ms, 50),
                pct(r.decode_ms, 50),
                r.reference_ms,
                f"{pct(r.latency_ms, 50) / r.reference_ms:.2f}x",
                f"{statistics.median(r.nbytes) / 1024:.0f}",
                verdict(r.passed()),
            ]
        )
        st = r.stages
        wait = [a - b for a, b in zip(r.submit_to_emit_ms, r.encode_ms)]
        breakdown.append(
            [
                r.size,
                r.what.split(",")[0],
                _ms(st.get("hash", [])),
                _ms(st.get("transform", [])),
                _ms(st.get("scale", [])),
                _ms(st.get("encode", [])),
                _ms(wait),
                _ms(r.emit_to_recv_ms),
                _ms(r.decode_ms),
                _ms(r.latency_ms),
            ]
        )
    return [
        "### Latency: capture handed to the encoder -> decoded by a subscriber",
        "",
        "A host process (`FrameEncoder.submit` -> JPEG -> `SessionClient.publish_frame`, as "
        "in an app) -> relay -> subscriber process (`decode_jpeg`). Latency = wall clock after "
        "the decode - `captured_us` of the packet header (set at `submit`; one machine clock). "
        f"{WARMUP_FRAMES} warm-up frames, then "
        + ", ".join(f"{MEASURED[s]} at {RATES[s]:g} fps ({s})" for s in args.sizes)
        + "; each capture is the sample shot's frame 1001 with a patch changed (a new image "
        "every time), full size (no subscriber asked for less), one capture in the encoder "
        "at a time. Reference: the encoder's own time for the same frames (hash + "
        "transform + scale + JPEG encode) plus the subscriber's decode time; ratio = "
        "end-to-end p50 / (encode p50 + decode p50).",
        "",
        table(
            [
                "size",
                "input",
                "frames got",
                "p50 ms",
                "p99 ms",
                "min-max ms",
                "encode p50",
                "decode p50",
                "reference ms",
                "p50 / reference",
                "KiB/frame",
                "budget",
            ],
            rows,
        ),
        "",
        "Where the time goes (p50 / p99 of each part, ms): the encoder's stages, the wait "
        "(submit -> emitted, less the stages: the worker's wake-up and the GIL), emitted -> "
        "received (the host client's publish thread, its socket, the relay, the subscriber's "
        "socket), the decode.",
        "",
        table(
            [
                "size",
                "input",
                "hash",
                "transform",
                "scale",
                "JPEG encode",
                "encoder wait",
                "publish + relay + receive",
                "decode",
                "end to end",
            ],
            breakdown,
        ),
        "",
    ]


def pass_rows(passes: list[Json], rate: str) -> list[list[Any]]:
    """One row per pass of a caching subscriber (see ``playback_section``)."""
    rows: list[list[Any]] = []
    held: set[int] = set()
    for i, p in enumerate(passes):
        seconds = (p["end_ns"] - p["start_ns"]) / 1e9
        new_frames = {f for f, _, _ in p["packets"] if f not in held}
        new_bytes = sum(b for f, _, b in p["packets"] if f not in held)
        old_bytes = sum(b for f, _, b in p["packets"] if f in held)
        rows.append(
            [
                rate,
                ("first", "second", "third")[i] if i < 3 else str(i + 1),
                len(p["frames"]),
                p["full"],
                p["refs"],
                f"{p['payload_bytes'] / 1e6:.2f} MB",
                f"{len(new_frames)} ({new_bytes / 1e6:.2f} MB)",
                f"{old_bytes / 1e3:.1f} kB",
                p["refs"] * HEADER_SIZE,
                len(p["frames"]) / seconds if seconds > 0 else float("nan"),
            ]
        )
        held |= {f for f, _, _ in p["packets"]}
    return rows


def second_loop_share(passes: list[Json]) -> Optional[float]:
    """Pixel bytes of the second pass over those of the first (None: no second pass)."""
    if len(passes) < 2 or passes[0]["payload_bytes"] <= 0:
        return None
    return float(passes[1]["payload_bytes"] / passes[0]["payload_bytes"])


def playback_section(playback: PlaybackResult) -> list[str]:
    prow = [
        [
            run.subscribers,
            min(run.fps),
            statistics.median(run.fps),
            statistics.median(run.mb_s),
            run.host_cores,
            run.relay_cores,
            run.load_cores,
            run.other_cores,
        ]
        for run in playback.runs
    ]
    steady = statistics.median(playback.runs[0].fps) if playback.runs else float("nan")
    slow = second_loop_share(playback.slow_passes)
    slow_text = "-" if slow is None else f"{slow * 100:.2f} %"
    return [
        "### Sustained playback of a 1080p EXR sequence",
        "",
        "`overshoulder share` (player host + `Sharer` + `FrameEncoder` + `SessionClient`, "
        "its own process) plays the demo's sample sequence (48 frames, 1920x1080 RGB "
        f"half-float ZIP EXR, lin_rec709_scene, 24 fps; {playback.sample_note}) in a loop. "
        f"Subscribers count what arrives (no decode). {PLAYBACK_WARMUP_S:g} s after they "
        f"join, a {PLAYBACK_WINDOW_S:g} s window; the player has been running for 7+ s "
        "(its encoder cache holds the frames it has shown). CPU = utime+stime per wall "
        "second (1.0 = one core); 'other processes' is the rest of the machine's busy time "
        "in the window.",
        "",
        table(
            [
                "subscribers",
                "fps min",
                "fps median",
                "MB/s per subscriber",
                "host process CPU",
                "relay CPU",
                "subscriber process CPU",
                "other processes CPU",
            ],
            prow,
        ),
        "",
        f"The sequence's rate is {PLAYBACK_FPS:g} fps; median delivered to one subscriber: "
        f"{steady:.1f} fps (information, no budget). The player ran {playback.seconds:.0f} s "
        f"and lost its relay connection {playback.reconnects} time(s) meanwhile.",
        "",
        "### Second loop with a frame cache",
        "",
        f"One subscriber with `cache: {CACHE_FRAMES}` (it keeps that many images by hash), "
        "joined before the player started, so its first pass is the player's first (the "
        "encoding one); a pass ends when the frame number wraps. Pixel bytes are "
        "`KIND_FRAME` payloads; a `KIND_REF` is a 48-byte header. 'New images' are frames "
        "this subscriber had not been sent in an earlier pass (the player skipped them: "
        "its clock runs on when a capture is late); 'bytes for held images' is what came "
        "again in full although the subscriber had it. The budget is checked at the "
        f"sequence's rate; the {SLOW_FPS:g} fps rows (a fresh player, `--fps {SLOW_FPS:g}`) "
        "separate the cache from the player's pace.",
        "",
        table(
            [
                "player rate",
                "pass",
                "packets",
                "KIND_FRAME",
                "KIND_REF",
                "pixel bytes",
                "new images (bytes)",
                "bytes for held images",
                "ref bytes",
                "frames/s",
            ],
            pass_rows(playback.passes, f"{PLAYBACK_FPS:g} fps")
            + pass_rows(playback.slow_passes, f"{SLOW_FPS:g} fps"),
        ),
        "",
        f"At {SLOW_FPS:g} fps the second pass carried {slow_text} of the first pass's pixel bytes.",
        "",
    ]


def report(
    args: argparse.Namespace,
    latency: list[LatencyResult],
    playback: Optional[PlaybackResult],
    bg: Background,
) -> str:
    verdicts: list[str] = []
    ok_all = True
    for r in latency:
        ok = r.passed()
        ok_all = ok_all and ok
        p99_budget = f", p99 <= {BUDGET_P99_MS[r.size]:g}" if r.size in BUDGET_P99_MS else ""
        verdicts.append(
            f"{r.size} {r.what.split(',')[0]}: p50 {pct(r.latency_ms, 50):.1f} ms, "
            f"p99 {pct(r.latency_ms, 99):.1f} ms (p50 <= {BUDGET_P50_MS[r.size]:g}{p99_budget}) "
            f"{verdict(ok)}"
        )
    if playback is not None:
        share = second_loop_share(playback.passes)
        ok_loop = share is not None and share < SECOND_LOOP_BUDGET
        ok_all = ok_all and ok_loop
        share_text = "no second pass seen" if share is None else f"{share * 100:.2f} % of the first"
        verdicts.append(
            f"second loop pixel bytes at {PLAYBACK_FPS:g} fps {share_text} "
            f"(< {SECOND_LOOP_BUDGET * 100:g} %) {verdict(ok_loop)}"
        )
    out = [
        "## Frame pipeline through the relay",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        "Relay as its own process on loopback; hosts and subscribers in processes of their own "
        "(subscribers: `websockets` asyncio clients); everything shares the 2 cores. Bytes per "
        "frame and PSNR at the default qualities (q80 4:2:0 fast frames, q92 4:4:4 "
        "refinements) are in [the codec section]"
        "(#bytes-per-frame-and-quality-against-the-8-bit-display-image).",
        "",
    ]
    if latency:
        out += latency_section(args, latency)
    if playback is not None:
        out += playback_section(playback)
    out += [
        bg.line(),
        "",
        "Budgets: " + "; ".join(verdicts) + f": **{'PASS' if ok_all else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def run(args: argparse.Namespace) -> str:
    with Background() as bg:
        latency = latency_phase(args) if not args.no_latency else []
        playback = playback_phase(args) if not args.no_playback else None
    return report(args, latency, playback, bg)


def main(argv: Optional[Sequence[str]] = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["subscriber"]:
        asyncio.run(_subscriber())
        return 0
    if raw[:1] == ["host"]:
        _host()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--no-latency", action="store_true", help="skip the latency runs")
    parser.add_argument("--no-playback", action="store_true", help="skip playback and loops")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the encoder worker (stderr)"
    )
    args = parser.parse_args(raw)
    print(run(args))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

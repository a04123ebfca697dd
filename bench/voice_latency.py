"""Voice: mouth-to-ear latency, concealment and CPU for 2 to 10 speakers, mesh and SFU.

Setup: the relay in its own process; the speakers are reviewer pages in
Debian's headless Chromium (one browser per load process, ``pages`` mode of
this script), every page's fake microphone fed the same WAV of sharp clicks
(a 30 ms 1 kHz burst every second; each page starts it at its own moment,
so the speakers' clicks do not line up). Every page joins voice unmuted and
all talk at once.

Measuring mouth-to-ear (``voice_probe.js``, added to every page before its
own scripts): an AudioWorklet times each click's onset on the page's own
captured track (mouth, after the browser's echo cancellation, noise
suppression and gain control) and on every remote stream the voice engine
hands to the page (ear, after the jitter buffer and decoder). A remote onset
is matched to the latest onset of that speaker's own track before it. Both
ends use ``performance.timeOrigin + performance.now()``, the machine's one
clock, so pages of different browsers (and network namespaces) compare. Not
counted: the capture device's and the sound card's buffers, which are
fakes here (a real device adds its own 10-40 ms on each side).

Runs:

* loopback, mesh (the relay started with ``--voice-mesh-max 10`` and no
  media server) at 2, 4, 6, 8 and 10 members: latency, concealment and the
  browser's CPU per page (the data for where mesh stops carrying well);
* loopback, SFU (the relay's own Janus, default mesh cap) at 10 members,
  and at 4 with the cap lowered to 2 so that size goes through Janus too;
* shaped: one page behind a router namespace with ``netem delay 50ms loss
  1%`` on both directions (100 ms RTT, 1 % loss each way; namespaces from
  ``shaped_link.py``), the others in the root namespace: latency of the
  streams that cross the link and the concealed samples of the receivers;
* control latency (``control_latency.measure``: playhead, pointer,
  annotation) on the relay alone and again while 10 speakers talk in the
  same session.

Physical reference: two RTCPeerConnections inside one page on loopback, no
relay, the same click track: what WebRTC alone costs on this machine.

Budget: mouth-to-ear p50 <= 150 ms on loopback, <= 300 ms shaped, and the
control budget (p50 <= 2 ms, p99 <= 10 ms) held with 10 speakers.

Run: ``python bench/voice_latency.py`` (about 6 minutes; the shaped runs
need root, otherwise they are reported as SKIP).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import functools
import json
import math
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import psutil
from _relay import (
    BENCH_DIR,
    PYTHON,
    REPO_ROOT,
    Background,
    Client,
    Relay,
    command_line,
    join,
    machine_line,
    pct,
    table,
    verdict,
)
from control_latency import P50_BUDGET_MS as CONTROL_P50_MS
from control_latency import P99_BUDGET_MS as CONTROL_P99_MS
from control_latency import POINTER_SENDERS, Receiver, Result
from control_latency import measure as control_measure
from shaped_link import Netns, skip_reason

LOOPBACK_P50_BUDGET_MS = 150.0
SHAPED_P50_BUDGET_MS = 300.0
CLICK_PERIOD_S = 1.0
CLICK_MS = 30
SAMPLE_RATE = 48000
CHROMIUM = Path("/usr/bin/chromium")
PROBE_JS = (BENCH_DIR / "voice_probe.js").read_text(encoding="utf-8")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # Background tabs keep their audio and timers running (every page is a speaker).
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

# The page side of joining voice. The engine is the page's own module, reached as the tests
# reach it; remoteStream is wrapped so the probe times every stream the engine hands over,
# under the speaker's participant id. Every speaker's volume is 0 (the engine's per-person
# gain): all pages share one browser and its sound output, and the echo canceller of each
# page would otherwise take the others' playback of the same click track for an echo of its
# own microphone (people in a real call each have their own machine).
JOIN_JS = """async () => {
    const { voice } = await import('/web/js/voice.js');
    const probe = window.__voiceProbe;
    const handed = voice.remoteStream.bind(voice);
    voice.remoteStream = (id, stream) => {
        probe.watch(id, stream);
        voice.setVolume(id, 0);
        return handed(id, stream);
    };
    await voice.join();
    voice.setMuted(false);
    return true;
}"""
# A bare mesh, signalled by this script (no relay, no engine): what WebRTC alone costs here.
MIC_JS = """async () => {
    window.__bare = { pcs: {} };
    window.__bare.stream = await navigator.mediaDevices.getUserMedia({ audio: {
        echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    window.__bare.gathered = (pc) => new Promise((done) => {
        if (pc.iceGatheringState === "complete") return done();
        pc.addEventListener("icegatheringstatechange", () => {
            if (pc.iceGatheringState === "complete") done();
        });
    });
    return true;
}"""
LINK_JS = """async ([peer, offer]) => {
    const bare = window.__bare, pc = new RTCPeerConnection();
    bare.pcs[peer] = pc;
    pc.ontrack = (e) => window.__voiceProbe.watch(peer, e.streams[0]);
    pc.addTrack(bare.stream.getAudioTracks()[0], bare.stream);
    if (offer) await pc.setRemoteDescription(offer);
    await pc.setLocalDescription();
    await bare.gathered(pc);
    return pc.localDescription.toJSON();
}"""
ANSWERED_JS = """async ([peer, answer]) => {
    await window.__bare.pcs[peer].setRemoteDescription(answer);
    return true;
}"""
#: A page of a trustworthy origin (localhost) that the pages worker serves itself.
BARE_URL = "http://localhost:9/voice-bench"
NOW_JS = "() => performance.timeOrigin + performance.now()"
TAKE_JS = "(since) => window.__voiceProbe.take(since)"
STATS_JS = "() => window.__voiceProbe.stats()"
HEARD_JS = """([others, since]) => {
    const on = window.__voiceProbe.onsets;
    return others.every((id) => (on[id] || []).some((t) => t > since))
        && (on.local || []).some((t) => t > since);
}"""


def click_wav(path: Path, seconds: float = 600.0) -> Path:
    """A mono 48 kHz WAV: a CLICK_MS burst of 1 kHz at -6 dBFS every CLICK_PERIOD_S, silence
    between (Chromium's fake microphone loops it)."""
    period = int(SAMPLE_RATE * CLICK_PERIOD_S)
    burst = int(SAMPLE_RATE * CLICK_MS / 1000)
    one = bytearray(period * 2)
    for i in range(burst):
        v = int(16384 * math.sin(2 * math.pi * 1000 * i / SAMPLE_RATE))
        struct.pack_into("<h", one, i * 2, v)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(bytes(one) * int(seconds / CLICK_PERIOD_S))
    return path


# --------------------------------------------------------------------------------------
# A browser of pages (this script in ``pages`` mode), driven with JSON lines
# --------------------------------------------------------------------------------------


def _pages_worker() -> None:
    """One Chromium; commands on stdin, one JSON answer per line on stdout."""
    from playwright.sync_api import sync_playwright

    config = json.loads(sys.stdin.readline())
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={config['wav']}"]
    if config.get("secure_origin"):
        args.append(f"--unsafely-treat-insecure-origin-as-secure={config['secure_origin']}")
    with sync_playwright() as pw, tempfile.TemporaryDirectory(prefix="osbench-voice-") as prof:
        ctx = pw.chromium.launch_persistent_context(
            # The probe's worklet is a blob: module, which the page's CSP would refuse.
            prof,
            executable_path=str(CHROMIUM),
            headless=True,
            args=args,
            bypass_csp=True,
        )
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(PROBE_JS)
        ctx.route(
            BARE_URL, lambda route: route.fulfill(content_type="text/html", body="<!doctype html>")
        )
        pages: list[Any] = []
        ids: list[str] = []

        def reply(obj: Any) -> None:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

        try:
            for line in sys.stdin:
                cmd = json.loads(line)
                try:
                    if cmd["cmd"] == "open":
                        for url in cmd["urls"]:
                            page = ctx.new_page()
                            seen: dict[str, str] = {}

                            def on_ws(ws: Any, seen: dict[str, str] = seen) -> None:
                                def frame(payload: Any) -> None:
                                    if isinstance(payload, str) and '"welcome"' in payload[:40]:
                                        msg = json.loads(payload)
                                        seen["id"] = msg["data"]["participant"]["id"]

                                ws.on("framereceived", frame)

                            page.on("websocket", on_ws)
                            page.goto(url)
                            if cmd.get("live", True):
                                page.locator("#conn-state[data-state='live']").wait_for()
                            pages.append(page)
                            ids.append(seen.get("id", ""))
                        reply({"ids": ids})
                    elif cmd["cmd"] == "js":
                        which = pages if cmd.get("page") is None else [pages[cmd["page"]]]
                        reply({"results": [p.evaluate(cmd["code"], cmd.get("arg")) for p in which]})
                    elif cmd["cmd"] == "wait":
                        which = pages if cmd.get("page") is None else [pages[cmd["page"]]]
                        for p in which:
                            p.wait_for_function(
                                cmd["code"], arg=cmd.get("arg"), timeout=cmd.get("ms", 30_000)
                            )
                        reply({"ok": True})
                    elif cmd["cmd"] == "pids":
                        me = psutil.Process()
                        reply({"pids": [c.pid for c in me.children(recursive=True)]})
                    else:
                        break
                except Exception as exc:
                    reply({"error": f"{type(exc).__name__}: {exc}"})
        finally:
            ctx.close()


def _die_with_parent() -> None:
    """In a pages worker: the kernel kills it when the benchmark dies (even by SIGKILL), and
    Playwright then closes its browser."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


class Browser:
    """The orchestrator's handle on one pages worker."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.ids: list[str] = []

    @classmethod
    async def start(cls, wav: Path, prefix: Sequence[str] = (), secure_origin: str = "") -> Browser:
        proc = await asyncio.create_subprocess_exec(
            *prefix,
            PYTHON,
            str(Path(__file__).resolve()),
            "pages",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024,
            preexec_fn=_die_with_parent,
        )
        b = cls(proc)
        await b._send({"wav": str(wav), "secure_origin": secure_origin})
        return b

    async def _send(self, obj: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(obj) + "\n").encode())
        await self.proc.stdin.drain()

    async def call(self, timeout: float = 240.0, **cmd: Any) -> Any:
        await self._send(cmd)
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"pages worker exited (rc={await self.proc.wait()})")
        out = json.loads(line)
        if "error" in out:
            raise RuntimeError(f"pages worker: {out['error']}")
        return out

    async def open(self, urls: Sequence[str], live: bool = True) -> list[str]:
        self.ids = (await self.call(cmd="open", urls=list(urls), live=live))["ids"]
        return self.ids

    async def js(self, code: str, arg: Any = None, page: Optional[int] = None) -> list[Any]:
        return list((await self.call(cmd="js", code=code, arg=arg, page=page))["results"])

    def cpu_seconds(self) -> float:
        """CPU seconds of this browser's Chromium processes."""
        total = 0.0
        with contextlib.suppress(psutil.Error):
            for p in psutil.Process(self.proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "chrom" in p.name():
                        t = p.cpu_times()
                        total += t.user + t.system
        return total

    async def close(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await self._send({"cmd": "quit"})
                await asyncio.wait_for(self.proc.wait(), 15)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


# --------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------


def latencies(onsets: dict[str, dict[str, list[float]]], period_ms: float) -> list[float]:
    """Mouth-to-ear samples (ms): every remote onset a page heard, minus the latest onset of
    that speaker's own track before it (within one click period).

    ``onsets``: page's id -> {"local" or a speaker's id -> onset times, ms}.
    """
    out: list[float] = []
    for receiver, heard in onsets.items():
        for speaker, times in heard.items():
            if speaker in ("local", receiver) or speaker not in onsets:
                continue
            mouth = sorted(onsets[speaker].get("local", []))
            for t in times:
                k = bisect.bisect_right(mouth, t)
                if k and t - mouth[k - 1] < period_ms:
                    out.append(t - mouth[k - 1])
    return out


def process_cpu(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
    return total


def media_server_pids(relay_pid: int) -> list[int]:
    """The Janus process(es) the relay started."""
    with contextlib.suppress(psutil.Error):
        return [
            p.pid for p in psutil.Process(relay_pid).children(recursive=True) if "janus" in p.name()
        ]
    return []


def page_url(relay: Relay, sid: str, name: str) -> str:
    """A reviewer's link to session ``sid``: a fresh invite naming them (no name to ask)."""
    body = {"role": "reviewer", "expires": "1h", "name": name}
    token = relay.http("POST", f"/api/sessions/{sid}/invites", body, admin=True)["token"]
    return f"{relay.base}/s/{sid}#t={token}"


@dataclass
class Call:
    """What one voice call measured over its window."""

    name: str
    speakers: int
    mode: str
    lat: list[float] = field(default_factory=list)
    concealed_pct: float = float("nan")
    lost_pct: float = float("nan")
    relay_cores: float = float("nan")
    media_cores: float = float("nan")
    page_cores: float = float("nan")
    links_up: bool = True


@dataclass
class Pages:
    """The browsers of one call: ``near`` in the root namespace, ``far`` (one page) behind
    the shaped link, if any."""

    near: Browser
    far: Optional[Browser] = None

    @property
    def all(self) -> list[Browser]:
        return [self.near] + ([self.far] if self.far is not None else [])

    async def close(self) -> None:
        for b in self.all:
            await b.close()


async def open_pages(wav: Path, near: int, far_prefix: Sequence[str], secure: str) -> Pages:
    pages = Pages(await Browser.start(wav, secure_origin=secure))
    if far_prefix:
        pages.far = await Browser.start(wav, prefix=far_prefix, secure_origin=secure)
    return pages


async def bare_mesh(pages: Pages, near: int) -> None:
    """``near`` pages (and the far one) linked pairwise by this script, each sending its mic."""
    await pages.near.open([BARE_URL] * near, live=False)
    pages.near.ids = [f"p{i}" for i in range(near)]
    where: list[tuple[Browser, int]] = [(pages.near, i) for i in range(near)]
    if pages.far is not None:
        await pages.far.open([BARE_URL], live=False)
        pages.far.ids = [f"p{near}"]
        where.append((pages.far, 0))
    for b, i in where:
        await b.js(MIC_JS, page=i)
    ids = [b.ids[i] for b, i in where]
    for x, (bx, ix) in enumerate(where):
        for y in range(x + 1, len(where)):
            by, iy = where[y]
            offer = (await bx.js(LINK_JS, [ids[y], None], page=ix))[0]
            answer = (await by.js(LINK_JS, [ids[x], offer], page=iy))[0]
            await bx.js(ANSWERED_JS, [ids[y], answer], page=ix)


async def engine_call(pages: Pages, relay: Relay, near: int, sid: str = "") -> None:
    """``near`` pages (and the far one) on session ``sid`` (default a fresh one) of ``relay``,
    each in voice."""
    sid = sid or relay.create_session("voice bench")[0]
    await pages.near.open([page_url(relay, sid, f"Speaker {i + 1}") for i in range(near)])
    if pages.far is not None:
        await pages.far.open([page_url(relay, sid, "Far speaker")])
    for b in pages.all:
        await b.js(JOIN_JS)


async def measure(
    name: str,
    pages: Pages,
    window_s: float,
    relay: Optional[Relay] = None,
    during: Optional[Callable[[], Awaitable[Any]]] = None,
) -> tuple[Call, Any]:
    """Waits until every page hears every other, then measures ``window_s`` seconds. With a
    far page, only the streams that cross the link count. ``during`` runs in the window."""
    ids = [i for b in pages.all for i in b.ids]
    since = (await pages.near.js(NOW_JS, page=0))[0]
    call = Call(name, len(ids), "mesh")
    deadline = time.monotonic() + 60
    for b in pages.all:
        for i, own in enumerate(b.ids):
            others = [x for x in ids if x != own]
            left = int(max(1.0, deadline - time.monotonic()) * 1000)
            try:
                await b.call(cmd="wait", code=HEARD_JS, arg=[others, since], page=i, ms=left)
            except RuntimeError:
                call.links_up = False
    stats0 = [s for b in pages.all for s in await b.js(STATS_JS)]
    media = media_server_pids(relay.pid) if relay is not None else []
    call.mode = "sfu" if media else "mesh"
    relay_pids = [relay.pid] if relay is not None else []
    c_relay, c_media = process_cpu(relay_pids), process_cpu(media)
    c_pages = [b.cpu_seconds() for b in pages.all]
    start = (await pages.near.js(NOW_JS, page=0))[0]
    w0 = time.monotonic()
    result = await during() if during is not None else None
    await asyncio.sleep(max(0.0, window_s - (time.monotonic() - w0)))
    wall = time.monotonic() - w0
    if relay is not None:
        call.relay_cores = (process_cpu(relay_pids) - c_relay) / wall
    if media:
        call.media_cores = (process_cpu(media) - c_media) / wall
    used = sum(b.cpu_seconds() - c for b, c in zip(pages.all, c_pages))
    call.page_cores = used / wall / len(ids)
    stats1 = [s for b in pages.all for s in await b.js(STATS_JS)]
    onsets: dict[str, dict[str, list[float]]] = {}
    for b in pages.all:
        for own, got in zip(b.ids, await b.js(TAKE_JS, start)):
            onsets[own] = got
    if pages.far is not None:
        far = pages.far.ids[0]
        onsets = {
            r: {s: t for s, t in heard.items() if s == "local" or (s == far) != (r == far)}
            for r, heard in onsets.items()
        }
    call.lat = latencies(onsets, CLICK_PERIOD_S * 1000)

    def delta(key: str) -> float:
        return _sum(stats1, key) - _sum(stats0, key)

    total, lost = delta("totalSamplesReceived"), delta("packetsLost")
    call.concealed_pct = 100.0 * delta("concealedSamples") / total if total else float("nan")
    got = lost + delta("packetsReceived")
    call.lost_pct = 100.0 * lost / got if got else float("nan")
    return call, result


def _sum(stats: Sequence[dict[str, Any]], key: str) -> float:
    return float(sum(s[key] for s in stats))


# --------------------------------------------------------------------------------------
# The runs
# --------------------------------------------------------------------------------------


class DelayLink(Netns):
    """shaped_link's namespaces (root -- router -- far page), with the router a delay line:
    this kernel has no netem, so the router namespace holds no addresses and a bridge process
    (``bridge`` mode of this script) copies every frame between its two interfaces after
    ``delay_ms`` and drops ``loss_pct`` of them, each direction. Root and far page share one
    /24; every interface has a 64 KB MTU so no frame is too big to copy whole."""

    def __init__(self, delay_ms: float, loss_pct: float) -> None:
        super().__init__(rate_mbit=0, queue_ms=0, cc="cubic")
        self.delay_ms = delay_ms
        self.loss_pct = loss_pct
        self.bridge: Optional[subprocess.Popen[bytes]] = None
        self.ra, self.rb, self.vb = f"osbra{self.tag}", f"osbrb{self.tag}", f"osbv{self.tag}"

    def create(self) -> None:
        r, v = self.router, self.name
        ra, rb, vb = self.ra, self.rb, self.vb
        mtu = ["mtu", "65535"]
        steps = [
            ["ip", "netns", "add", r],
            ["ip", "netns", "add", v],
            ["ip", "link", "add", self.host_if, *mtu, "type", "veth", "peer", "name", ra, *mtu],
            ["ip", "link", "set", ra, "netns", r],
            ["ip", "link", "add", rb, *mtu, "type", "veth", "peer", "name", vb, *mtu],
            ["ip", "link", "set", rb, "netns", r],
            ["ip", "link", "set", vb, "netns", v],
            ["ip", "addr", "add", f"{self.host_ip}/24", "dev", self.host_if],
            ["ip", "link", "set", self.host_if, "up"],
            ["ip", "-n", r, "link", "set", ra, "promisc", "on", "up"],
            ["ip", "-n", r, "link", "set", rb, "promisc", "on", "up"],
            ["ip", "-n", v, "addr", "add", f"{self.ns_ip}/24", "dev", vb],
            ["ip", "-n", v, "link", "set", vb, "up"],
            ["ip", "-n", v, "link", "set", "lo", "up"],
        ]
        self.created = True
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            if done.returncode != 0:
                raise OSError(f"`{' '.join(cmd)}` failed: {done.stderr.strip()}")
        _no_offload(self.host_if)
        here = [PYTHON, str(Path(__file__).resolve())]
        done = subprocess.run(
            ["ip", "netns", "exec", v, *here, "no-offload", vb], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise OSError(f"could not turn offloads off in the far namespace: {done.stderr}")
        self.bridge = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                r,
                PYTHON,
                str(Path(__file__).resolve()),
                "bridge",
                ra,
                rb,
                str(self.delay_ms),
                str(self.loss_pct),
            ],
            stdout=subprocess.PIPE,
        )
        assert self.bridge.stdout is not None
        if self.bridge.stdout.readline().strip() != b"ready":
            raise OSError("the delay bridge did not start")

    def remove(self) -> None:
        if self.bridge is not None:
            self.bridge.kill()
            self.bridge.wait(timeout=10)
            self.bridge = None
        super().remove()

    def describe(self) -> str:
        return (
            f"a delay line of {self.delay_ms:g} ms and {self.loss_pct:g} % random loss each "
            f"way ({2 * self.delay_ms:g} ms RTT)"
        )


def _no_offload(ifname: str) -> None:
    """Turn off checksum offload, TSO and GSO on ``ifname`` (ethtool's ioctls): the bridge
    copies frames as they are, so each must carry its checksum and fit the MTU."""
    import ctypes
    import fcntl
    import socket

    siocethtool = 0x8946
    stxcsum, stso, sgso = 0x17, 0x1F, 0x24
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for cmd in (stxcsum, stso, sgso):
            value = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
            ifr = bytearray(struct.pack("16sP", ifname.encode(), ctypes.addressof(value)))
            ifr += bytes(40 - len(ifr))
            fcntl.ioctl(sock.fileno(), siocethtool, ifr)


def _bridge(a: str, b: str, delay_ms: float, loss_pct: float) -> None:
    """Copy every frame between interfaces ``a`` and ``b`` after ``delay_ms``, dropping
    ``loss_pct`` % of them at random (each direction; the kernel has no netem here)."""
    import collections
    import random
    import socket
    import threading

    eth_p_all, outgoing = 0x0003, 4
    socks = {}
    for name in (a, b):
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(eth_p_all))
        sock.bind((name, 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        socks[name] = sock
    delay, loss = delay_ms / 1000.0, loss_pct / 100.0

    def direction(src: str, dst: str) -> None:
        line: collections.deque[tuple[float, bytes]] = collections.deque()
        ready = threading.Condition()

        def send() -> None:
            while True:
                with ready:
                    while not line:
                        ready.wait()
                    due, frame = line[0]
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                with ready:
                    line.popleft()
                with contextlib.suppress(OSError):
                    socks[dst].send(frame)

        threading.Thread(target=send, daemon=True).start()
        while True:
            frame, addr = socks[src].recvfrom(65600)
            if addr[2] == outgoing or random.random() < loss:
                continue
            with ready:
                line.append((time.monotonic() + delay, frame))
                ready.notify()

    threading.Thread(target=direction, args=(b, a), daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    direction(a, b)


@functools.cache
def engine_missing() -> Optional[str]:
    """Why the product's voice cannot be measured with this checkout, or None."""
    if not (REPO_ROOT / "relay" / "web" / "js" / "voice.js").exists():
        return "the page's voice engine (relay/web/js/voice.js) is not in this checkout"
    usage = subprocess.run(
        [PYTHON, "-m", "overshoulder.relay", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tempfile.gettempdir(),
    ).stdout
    if "--voice-mesh-max" not in usage:
        return "the relay of this checkout has no voice (no --voice-mesh-max option)"
    return None


def janus_missing() -> Optional[str]:
    return None if shutil.which("janus") else "`janus` is not installed (apt-get install janus)"


@dataclass
class Plan:
    """One call to make: ``near`` pages in the root namespace, one more behind the link when
    ``shaped``; ``engine`` False: the bare mesh; ``relay_args`` for the engine's relay."""

    label: str
    near: int
    shaped: bool
    engine: bool
    relay_args: Sequence[str] = ()
    budget_ms: Optional[float] = None


async def one_call(plan: Plan, wav: Path, window_s: float, net: Optional[DelayLink]) -> Call:
    relay: Optional[Relay] = None
    pages: Optional[Pages] = None
    far_prefix = ["ip", "netns", "exec", net.name] if plan.shaped and net is not None else []
    try:
        secure = ""
        if plan.engine:
            host = net.host_ip if far_prefix and net is not None else "127.0.0.1"
            relay = Relay(host=host, extra_args=plan.relay_args).start()
            secure = relay.base if host != "127.0.0.1" else ""
        pages = await open_pages(wav, plan.near, far_prefix, secure)
        if relay is not None:
            await engine_call(pages, relay, plan.near)
        else:
            await bare_mesh(pages, plan.near)
        call, _ = await measure(plan.label, pages, window_s, relay)
        return call
    finally:
        if pages is not None:
            await pages.close()
        if relay is not None:
            relay.stop()


async def control_with_speakers(
    wav: Path, speakers: int, relay_args: Sequence[str], events: int, window_s: float
) -> tuple[dict[str, Result], dict[str, Result], Optional[Call]]:
    """Control latency on one relay: first with nobody in voice, then while ``speakers`` pages
    of the same session talk (measured inside the call's window)."""
    relay = Relay(extra_args=relay_args).start()
    clients: list[Client] = []
    tasks: list[asyncio.Task[None]] = []
    pages: Optional[Pages] = None
    try:
        sid, host_token = relay.create_session("control with voice")
        host = await join(relay.ws_url, host_token, "Host")
        receiving = await join(relay.ws_url, relay.invite(sid), "Receiver")
        pointers = [
            await join(relay.ws_url, relay.invite(sid), f"Pointer {i}")
            for i in range(POINTER_SENDERS)
        ]
        clients = [host, receiving, *pointers]
        rec = Receiver()
        tasks += [
            asyncio.create_task(rec.read(receiving)),
            asyncio.create_task(rec.read_acks(host)),
        ]
        for c in pointers:
            c.drain()
        kinds = ("playhead", "pointer", "annotation")

        async def all_kinds() -> dict[str, Result]:
            return {k: await control_measure(k, events, 200.0, host, pointers, rec) for k in kinds}

        quiet = await all_kinds()
        if engine_missing() is not None:
            return quiet, {}, None
        pages = await open_pages(wav, speakers, [], "")
        await engine_call(pages, relay, speakers, sid)
        call, talking = await measure(
            f"{speakers} speakers + control clients", pages, window_s, relay, all_kinds
        )
        return quiet, talking, call
    finally:
        for task in tasks:
            task.cancel()
        for c in clients:
            await c.close()
        if pages is not None:
            await pages.close()
        relay.stop()


def plans(args: argparse.Namespace) -> list[Plan]:
    out = [Plan(f"bare mesh, {n} members", n, False, False) for n in args.mesh]
    out.append(Plan("bare mesh, 2 members, 1 shaped", 1, True, False))
    mesh_all = ["--voice-mesh-max", str(max(args.speakers))]
    for n in args.speakers:
        if n <= 6:
            out.append(
                Plan(f"mesh, {n} speakers", n, False, True, mesh_all, LOOPBACK_P50_BUDGET_MS)
            )
    sfu_from = ["--voice-mesh-max", "2", "--media-server", "janus"]
    for n in args.speakers:
        if n > 2:
            out.append(Plan(f"SFU, {n} speakers", n, False, True, sfu_from, LOOPBACK_P50_BUDGET_MS))
    for n in args.speakers:
        mode = "mesh" if n <= 6 else "SFU"
        relay_args = mesh_all if n <= 6 else sfu_from
        out.append(
            Plan(
                f"{mode}, {n} speakers, 1 shaped",
                n - 1,
                True,
                True,
                relay_args,
                SHAPED_P50_BUDGET_MS,
            )
        )
    return out


async def run(args: argparse.Namespace) -> str:
    tmp = Path(tempfile.mkdtemp(prefix="osbench-voice-"))
    no_engine, no_janus, no_netns = engine_missing(), janus_missing(), skip_reason()
    calls: list[tuple[Plan, Optional[Call], str]] = []
    quiet: dict[str, Result] = {}
    talking: dict[str, Result] = {}
    control_call: Optional[Call] = None
    control_error = ""
    try:
        wav = click_wav(tmp / "clicks.wav")
        with Background() as bg:
            for plan in plans(args):
                if args.calls and not any(word in plan.label for word in args.calls):
                    continue
                why = (no_engine if plan.engine else None) or (no_netns if plan.shaped else None)
                if why is None and plan.engine and plan.label.startswith("SFU"):
                    why = no_janus
                if why is not None:
                    calls.append((plan, None, why))
                    continue
                net = DelayLink(args.delay_ms, args.loss_pct) if plan.shaped else None
                try:
                    if net is not None:
                        net.create()
                    call = await one_call(plan, wav, args.window, net)
                    calls.append((plan, call, ""))
                    # Progress on stderr: a run stopped by a time limit still shows its calls.
                    print(
                        f"{plan.label}: p50 {pct(call.lat, 50):.0f} ms, p95 "
                        f"{pct(call.lat, 95):.0f} ms, {call.page_cores:.2f} cores/page",
                        file=sys.stderr,
                        flush=True,
                    )
                except (OSError, RuntimeError, asyncio.TimeoutError) as exc:
                    calls.append((plan, None, f"failed: {exc!r}"))
                finally:
                    if net is not None:
                        net.remove()
            # The cap 2 sends 10 speakers through Janus where there is one; the relay
            # of a checkout without voice takes no voice option.
            ctl_args: list[str] = []
            if no_engine is None:
                ctl_args = ["--voice-mesh-max", "10"]
                if no_janus is None:
                    ctl_args = ["--voice-mesh-max", "2", "--media-server", "janus"]
            try:
                if args.no_control:
                    raise RuntimeError("not asked for (--no-control)")
                quiet, talking, control_call = await control_with_speakers(
                    wav, 10, ctl_args, args.control_events, args.window
                )
            except (OSError, RuntimeError, asyncio.TimeoutError) as exc:
                control_error = f"failed: {exc!r}"
        return report(args, calls, quiet, talking, control_call, control_error, bg.line())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(
    args: argparse.Namespace,
    calls: Sequence[tuple[Plan, Optional[Call], str]],
    quiet: dict[str, Result],
    talking: dict[str, Result],
    control_call: Optional[Call],
    control_error: str,
    background: str,
) -> str:
    rows: list[list[object]] = []
    checks: list[list[object]] = []
    ok_all = True
    measured_engine = False
    for plan, call, why in calls:
        if call is None:
            rows.append([plan.label, "-", 0, *["-"] * 7, f"not run: {why}"])
            if plan.engine and plan.budget_ms is not None and not why.startswith("the page"):
                ok_all = False
            continue
        n = call.speakers
        rows.append(
            [
                plan.label,
                call.mode,
                len(call.lat),
                pct(call.lat, 50),
                pct(call.lat, 95),
                call.concealed_pct,
                call.lost_pct,
                call.page_cores,
                call.relay_cores / n if call.relay_cores == call.relay_cores else float("nan"),
                call.media_cores / n if call.media_cores == call.media_cores else float("nan"),
                "" if call.links_up else "not every page heard every other",
            ]
        )
        if plan.budget_ms is not None:
            measured_engine = True
            ok = bool(call.lat) and call.links_up and pct(call.lat, 50) <= plan.budget_ms
            ok_all = ok_all and ok
            checks.append(
                [
                    f"{plan.label}: p50 <= {plan.budget_ms:g} ms",
                    f"{pct(call.lat, 50):.0f} ms",
                    verdict(ok),
                ]
            )
    ctl_rows: list[list[object]] = []
    for kind in ("playhead", "pointer", "annotation"):
        for label, res in (("nobody in voice", quiet), ("10 speakers talking", talking)):
            if kind not in res:
                continue
            lat, _acks, lost = res[kind]
            ctl_rows.append([kind, label, len(lat), lost, pct(lat, 50), pct(lat, 99)])
            if res is talking:
                ok = pct(lat, 50) <= CONTROL_P50_MS and pct(lat, 99) <= CONTROL_P99_MS and not lost
                ok_all = ok_all and ok
                checks.append(
                    [
                        f"control {kind} with 10 speakers: p50 <= {CONTROL_P50_MS:g} ms, p99 <= "
                        f"{CONTROL_P99_MS:g} ms",
                        f"{pct(lat, 50):.2f} / {pct(lat, 99):.2f} ms",
                        verdict(ok),
                    ]
                )
    bare2 = next(
        (c for p, c, _ in calls if c is not None and p.label == "bare mesh, 2 members"), None
    )
    headers = [
        "call",
        "topology",
        "samples",
        "mouth-to-ear p50 ms",
        "p95 ms",
        "concealed %",
        "packets lost %",
        "browser CPU per page (cores)",
        "relay CPU per speaker",
        "media server CPU per speaker",
        "note",
    ]
    missing = engine_missing()
    out = [
        "## Voice (mouth-to-ear, concealment, CPU; control latency while 10 talk)",
        "",
        machine_line(),
        "",
        f"Command: `{command_line()}`",
        "",
        "Every speaker is a reviewer page in headless Chromium whose fake microphone plays "
        f"a {CLICK_MS} ms 1 kHz burst every {CLICK_PERIOD_S:g} s; all speakers talk at once. "
        "An AudioWorklet times each burst's onset on the speaker's own captured track and "
        "on every remote stream the page receives (machine clock, "
        "`performance.timeOrigin + performance.now()`); a sample is a remote onset minus "
        "that speaker's latest own onset. Not counted: real capture and playout device "
        "buffers (fakes here). `bare mesh` rows: pages linked pairwise by the benchmark "
        "itself (no relay, no voice engine), what WebRTC alone costs. `mesh`/`SFU` rows: "
        "the product (relay + the page's voice engine; SFU = the relay's Janus, the room "
        "switched over by `--voice-mesh-max 2`). `1 shaped`: one page in a network "
        f"namespace behind a router namespace that is "
        f"{DelayLink(args.delay_ms, args.loss_pct).describe()} (this kernel has no netem; "
        "the router copies frames between its interfaces in a process of this script), the "
        "others in the root namespace; only the streams that cross the link are counted "
        f"(concealment and loss: all receivers). Window {args.window:g} s per call, after "
        "every page has heard every other. CPU: utime+stime over the window, the "
        "browser's Chromium processes divided by its pages, the relay and Janus divided by "
        "the speakers.",
        "",
        table(headers, rows),
        "",
        (
            f"Physical reference: two pages linked directly (bare mesh, 2 members): p50 "
            f"{pct(bare2.lat, 50):.0f} ms, p95 {pct(bare2.lat, 95):.0f} ms."
            if bare2 is not None and bare2.lat
            else "Physical reference: not measured."
        ),
        "",
        f"Control latency (`control_latency.measure`: {args.control_events} events per type "
        "at 200/s after 100 warm-up, 6 control clients in one session), on one relay: first "
        "with nobody in voice, then while 10 reviewer pages of the same session talk"
        + (
            f" ({control_call.mode}, every page heard every other: {control_call.links_up})."
            if control_call is not None
            else f"; the second pass did not run: {control_error or missing}."
        ),
        "",
        table(["event", "voice", "n", "lost", "p50 ms", "p99 ms"], ctl_rows),
        "",
        background,
        "",
        table(["check", "measured", "verdict"], checks) if checks else "",
        "",
    ]
    if missing is not None and not measured_engine:
        out.append(f"SKIP voice_latency: {missing}; only the bare mesh was measured.")
    else:
        out.append(
            f"Budget (mouth-to-ear p50 <= {LOOPBACK_P50_BUDGET_MS:g} ms on loopback, <= "
            f"{SHAPED_P50_BUDGET_MS:g} ms shaped; control p50 <= {CONTROL_P50_MS:g} ms and "
            f"p99 <= {CONTROL_P99_MS:g} ms with 10 speakers): "
            f"**{'PASS' if ok_all else 'MISS'}**."
        )
    out.append("")
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    if argv is None and sys.argv[1:2] == ["pages"]:
        _pages_worker()
        return 0
    if argv is None and sys.argv[1:2] == ["no-offload"]:
        _no_offload(sys.argv[2])
        return 0
    if argv is None and sys.argv[1:2] == ["bridge"]:
        a, b, delay, loss = sys.argv[2:6]
        _bridge(a, b, float(delay), float(loss))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--window", type=float, default=12.0, help="seconds measured per call")
    parser.add_argument("--mesh", type=int, nargs="+", default=[2, 4, 6, 8], help="bare mesh sizes")
    parser.add_argument(
        "--speakers", type=int, nargs="+", default=[2, 4, 10], help="product call sizes"
    )
    parser.add_argument("--delay-ms", type=float, default=50.0, help="netem delay each way")
    parser.add_argument("--loss-pct", type=float, default=1.0, help="netem loss each way")
    parser.add_argument("--control-events", type=int, default=1000, help="per control type")
    parser.add_argument(
        "--calls", nargs="*", default=[], help="only the calls whose name has one of these words"
    )
    parser.add_argument("--no-control", action="store_true", help="skip the control latency")
    args = parser.parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

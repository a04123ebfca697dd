"""A voice call that can only go through a real coturn the test starts.

Two reviewer pages join voice on a relay started with ``--turn-url`` and the TURN secret; both
pages are held to relayed ICE candidates (every RTCPeerConnection they make gets
``iceTransportPolicy: "relay"``), so their audio can only flow through coturn's relayed
addresses. The fake microphone plays tone bursts of four pitches at irregular times; what one
page receives is recorded and must be those bursts, pitch after pitch. With a secret coturn does
not know, coturn refuses the allocation, no link connects, and after its ICE restarts the page
says so, in People and a toast; once coturn takes the credentials, Retry connects the same links
again.
"""

from __future__ import annotations

import base64
import io
import math
import random
import re
import struct
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import ANY

import numpy as np
import pytest
from playwright.sync_api import BrowserContext, expect, sync_playwright

from tests.conftest import ARTIFACTS, RelayProcess
from tests.voice_servers import Coturn

from .conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, Review, ReviewerPage

SHOTS = ARTIFACTS / "browser" / "voice-turn"
RATE = 48000
#: The fake microphone's tones (Hz): far enough apart to tell one from another after Opus.
TONES = (440.0, 700.0, 1100.0, 1800.0)
#: 10 ms envelope steps.
STEP = RATE // 100

#: Added to every page before its scripts: every peer connection is relay-only and kept in
#: window.__pcs; every remote stream it receives is kept in window.__remote.
RELAY_ONLY = """(() => {
    const Native = window.RTCPeerConnection;
    window.__pcs = []; window.__remote = []; window.__iceErrors = [];
    window.RTCPeerConnection = function (config, ...rest) {
        const pc = new Native({ ...(config || {}), iceTransportPolicy: "relay" }, ...rest);
        pc.addEventListener("track", (e) => {
            window.__remote.push(e.streams[0] || new MediaStream([e.track]));
        });
        pc.addEventListener("icecandidateerror", (e) => window.__iceErrors.push(e.errorCode));
        window.__pcs.push(pc);
        return pc;
    };
    window.RTCPeerConnection.prototype = Native.prototype;
    Object.setPrototypeOf(window.RTCPeerConnection, Native);
    // Every toast the page shows (they go away by themselves), in window.__toasts.
    window.__toasts = [];
    new MutationObserver((changes) => {
        for (const c of changes) {
            for (const n of c.addedNodes) {
                if (n.classList?.contains("toast")) window.__toasts.push(n.textContent);
            }
        }
    }).observe(document, { childList: true, subtree: true });
})();"""

#: JS: joins voice, speaking (``true``) or listening with the microphone muted; the peers
#: whose link gave up, as the engine tells the page, are kept in window.__failed.
JOIN = """async (speak) => {
    const { voice } = await import('/web/js/voice.js');
    window.__failed = [];
    voice.on("linkfailed", (pid) => window.__failed.push(pid));
    await voice.join();
    voice.setMuted(!speak);
}"""

#: JS: the page's one mesh link (to the other page): its state, attempts and side.
LINK = """async () => {
    const { voice } = await import('/web/js/voice.js');
    const peer = [...voice.members.keys()].find((id) => id !== voice.me.id);
    const link = voice.linkOf(peer);
    return { state: link.state, attempts: link.attempts, offerer: link.offerer };
}"""

#: JS: RTP packets received on all the page's peer connections.
PACKETS_IN = """async () => {
    let n = 0;
    for (const pc of window.__pcs) {
        (await pc.getStats()).forEach((s) => {
            if (s.type === "inbound-rtp") n += s.packetsReceived;
        });
    }
    return n;
}"""

#: How long a link may take to give up: its ICE restarts with their waits (voice-health.js).
GIVE_UP_MS = 60_000

#: JS: the candidate types of every connected link's selected pair.
SELECTED_PAIRS = """async () => {
    const out = [];
    for (const pc of window.__pcs) {
        if (pc.connectionState !== "connected") continue;
        const stats = await pc.getStats(), byId = {};
        stats.forEach((s) => { byId[s.id] = s; });
        stats.forEach((s) => {
            if (s.type !== "transport" || !s.selectedCandidatePairId) return;
            const pair = byId[s.selectedCandidatePairId];
            out.push([byId[pair.localCandidateId].candidateType,
                      byId[pair.remoteCandidateId].candidateType]);
        });
    }
    return out;
}"""

#: JS: ``ms`` of the first remote stream, recorded as WebM/Opus, base64.
RECORD = """async (ms) => {
    const stream = window.__remote[0];
    // Chromium decodes a remote stream only while something plays it.
    const el = new Audio();
    el.muted = true;
    el.srcObject = stream;
    await el.play();
    const rec = new MediaRecorder(stream, { mimeType: "audio/webm;codecs=opus" });
    const parts = [];
    rec.ondataavailable = (e) => parts.push(e.data);
    const done = new Promise((r) => { rec.onstop = r; });
    rec.start(500);
    await new Promise((r) => setTimeout(r, ms));
    rec.stop();
    await done;
    const bytes = new Uint8Array(await new Blob(parts).arrayBuffer());
    let s = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
        s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
}"""


def bursts(seed: int, seconds: float = 12.0) -> tuple[np.ndarray, list[int]]:
    """Mono float samples of tone bursts (60-150 ms, gaps of 100-250 ms), each burst one of
    TONES at random from ``seed`` (never the one before); and the tones' indices in order."""
    rng = random.Random(seed)
    out = np.zeros(int(seconds * RATE), dtype=np.float32)
    tones: list[int] = []
    t = 0
    while True:
        t += int(rng.uniform(0.1, 0.25) * RATE)
        n = int(rng.uniform(0.06, 0.15) * RATE)
        if t + n >= len(out):
            return out, tones
        tones.append(rng.choice([k for k in range(len(TONES)) if not tones or k != tones[-1]]))
        out[t : t + n] = 0.5 * np.sin(2 * math.pi * TONES[tones[-1]] * np.arange(n) / RATE)
        t += n


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
        w.writeframes(struct.pack(f"<{len(pcm)}h", *pcm))
    return path


def heard_tones(samples: np.ndarray) -> list[int]:
    """The tone of each whole burst in ``samples`` (first and last dropped: maybe cut), as
    indices into TONES: bursts are runs of 10 ms steps louder than a fifth of the loudest."""
    n = len(samples) // STEP
    env = np.sqrt((samples[: n * STEP].reshape(n, STEP) ** 2).mean(axis=1))
    on = env > 0.2 * (env.max() or 1.0)
    runs: list[tuple[int, int]] = []
    start = None
    for i, loud in enumerate([*on, False]):
        if loud and start is None:
            start = i
        elif not loud and start is not None:
            if i - start >= 4:
                runs.append((start, i))
            start = None
    out = []
    for a, b in runs[1:-1]:
        piece = samples[(a + 1) * STEP : (b - 1) * STEP]
        freqs = np.fft.rfftfreq(len(piece), 1 / RATE)
        peak = freqs[int(np.argmax(np.abs(np.fft.rfft(piece))))]
        out.append(int(np.argmin([abs(peak - f) for f in TONES])))
    return out


def edit_distance(a: list[int], b: list[int]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def mismatch(heard: list[int], sent: list[int]) -> float:
    """The fewest edits that turn ``heard`` into a stretch of ``sent`` (looped, as the fake
    microphone loops its file), per burst heard: 0 when every burst is the one sent."""
    looped = sent * 3
    best = min(
        edit_distance(heard, looped[i : i + len(heard) + k])
        for i in range(len(sent))
        for k in (-1, 0, 1)
    )
    return best / max(1, len(heard))


def decode_webm(data: bytes) -> np.ndarray:
    import av

    with av.open(io.BytesIO(data)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks = [
            f.to_ndarray().reshape(-1)
            for frame in container.decode(audio=0)
            for f in resampler.resample(frame)
        ]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


@pytest.fixture(scope="module")
def sent_audio() -> tuple[np.ndarray, list[int]]:
    return bursts(seed=15)


@pytest.fixture(scope="module")
def voice_context(sent_audio: tuple[np.ndarray, list[int]]) -> Iterator[BrowserContext]:
    """Chromium with fake microphones playing ``sent_audio`` and the relay-only hook."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with (
        tempfile.TemporaryDirectory(prefix="os-voice-turn-") as tmp,
        sync_playwright() as pw,
    ):
        wav = write_wav(Path(tmp) / "bursts.wav", sent_audio[0])
        context = pw.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(RELAY_ONLY)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    reason = Coturn.missing()
    if reason:
        pytest.skip(reason)
    server = Coturn(tmp_path_factory.mktemp("coturn")).start()
    try:
        yield server
    finally:
        server.stop()


def turn_relay(tmp: Path, turn: Coturn, secret: str) -> RelayProcess:
    secret_file = tmp / "turn.secret"
    secret_file.write_text(secret + "\n", encoding="utf-8")
    return RelayProcess(
        tmp / "relay-data",
        extra_args=["--turn-url", turn.url, "--turn-secret-file", str(secret_file)],
    ).start()


def two_in_voice(relay: RelayProcess, context: BrowserContext) -> tuple[Review, list[ReviewerPage]]:
    created = relay.create_session(name="Shot 010 comp", host_name="Mia")
    r = Review(relay, created["session"]["id"], created["host_token"], None, context)
    pages = [r.open(r.link(name="Sam")), r.open(r.link(name="Ana"))]
    # Sam talks and Ana listens: both pages share one sound output, so Ana's microphone would
    # play the same bursts back into Sam's echo canceller.
    for p, speak in zip(pages, (True, False)):
        p.page.evaluate(JOIN, speak)
    return r, pages


def peer_id(p: ReviewerPage) -> str:
    """The participant id of the other page in voice."""
    return str(
        p.page.evaluate(
            """async () => {
        const { voice } = await import('/web/js/voice.js');
        return [...voice.members.keys()].find((id) => id !== voice.me.id);
    }"""
        )
    )


def close(r: Review, shot: str = "") -> None:
    for i, p in enumerate(r.pages):
        if shot:
            SHOTS.mkdir(parents=True, exist_ok=True)
            p.page.screenshot(path=str(SHOTS / f"{shot}-{i}.png"))
        p.page.close()


def test_a_call_through_coturn_alone_carries_the_speakers_audio(
    tmp_path: Path,
    coturn: Coturn,
    voice_context: BrowserContext,
    sent_audio: tuple[np.ndarray, list[int]],
) -> None:
    relay = turn_relay(tmp_path, coturn, coturn.secret)
    r = None
    try:
        r, (sam, ana) = two_in_voice(relay, voice_context)
        welcome = ana.wait_received(lambda m: m["type"] == "voice_welcome", "voice_welcome")
        servers = welcome["data"]["ice_servers"]
        assert any(coturn.url in s["urls"] and s.get("username") for s in servers), servers
        for p in (sam, ana):
            p.wait_for("() => window.__pcs.some((pc) => pc.connectionState === 'connected')")
            pairs = p.page.evaluate(SELECTED_PAIRS)
            assert pairs and all(pair == ["relay", "relay"] for pair in pairs), pairs
            p.wait_for("() => window.__remote.length > 0")
        assert coturn.allocations() >= 2, coturn.log_tail()
        heard = decode_webm(base64.b64decode(ana.page.evaluate(RECORD, 6000)))
        assert len(heard) > 5 * RATE, f"only {len(heard) / RATE:.1f} s recorded"
        tones = heard_tones(heard)
        wrong = mismatch(tones, sent_audio[1])
        other = mismatch(tones, bursts(seed=16)[1])
        if len(tones) < 12 or wrong > 0.2:
            SHOTS.mkdir(parents=True, exist_ok=True)
            write_wav(SHOTS / "heard.wav", heard)
        # Ana hears Sam's bursts, tone after tone (a glitch of a busy machine may cost one).
        assert len(tones) >= 12 and wrong <= 0.2 < other, (tones, wrong, other, "heard.wav kept")
        for p in (sam, ana):
            assert not p.errors, p.errors
    finally:
        if r is not None:
            close(r, "through-coturn")
        relay.stop()


def test_with_a_secret_coturn_does_not_know_the_call_does_not_connect_and_the_page_says_so(
    tmp_path: Path, coturn: Coturn, voice_context: BrowserContext
) -> None:
    relay = turn_relay(tmp_path, coturn, "not-" + coturn.secret)
    r = None
    try:
        r, pages = two_in_voice(relay, voice_context)
        for p, other in zip(pages, ("Ana", "Sam")):
            # coturn answers the allocation with 401 (wrong credentials), so no candidate
            # exists; the links restart ICE a few times, then give up and say why.
            p.wait_for("() => window.__iceErrors.includes(401)")
            said = f"Voice could not connect to {other}: the TURN server refused the credentials"
            p.page.wait_for_function(
                "(said) => window.__toasts.some((t) => t.startsWith(said))",
                arg=said,
                timeout=GIVE_UP_MS,
            )
            # People says it next to that person, why in its tooltip.
            nolink = p.page.locator(f"#people [data-id='{peer_id(p)}'] .voice-nolink")
            expect(nolink).to_be_visible()
            expect(nolink).to_have_text("no audio link")
            expect(nolink).to_have_attribute("title", re.compile("TURN server refused", re.I))
            # ...and so do the voice settings.
            p.page.locator("#voice-settings").click()
            note = p.page.locator("#voice-note")
            expect(note).to_be_visible()
            expect(note).to_contain_text(re.compile(f"could not connect to {other}", re.I))
            SHOTS.mkdir(parents=True, exist_ok=True)
            p.page.screenshot(path=str(SHOTS / f"coturn-refuses-settings-{other}.png"))
            p.page.keyboard.press("Escape")
        for p in pages:
            assert p.page.evaluate(LINK) == {"state": "failed", "attempts": 3, "offerer": ANY}
            assert not p.page.evaluate(
                "() => window.__pcs.some((pc) => pc.connectionState === 'connected')"
            )
            assert p.page.evaluate(PACKETS_IN) == 0
            # Said once, not at each attempt.
            assert p.page.evaluate("() => window.__failed") == [peer_id(p)]
            toasts = p.page.evaluate("() => window.__toasts")
            assert len([t for t in toasts if "could not connect" in t]) == 1, toasts
            assert not p.errors, p.errors
    finally:
        if r is not None:
            close(r, "coturn-refuses")
        relay.stop()


def test_a_link_that_failed_connects_when_retried_once_coturn_takes_the_credentials(
    tmp_path: Path, voice_context: BrowserContext
) -> None:
    reason = Coturn.missing()
    if reason:
        pytest.skip(reason)
    wrong = Coturn(tmp_path / "coturn-wrong").start()
    right = None
    relay = turn_relay(tmp_path, wrong, "the-relays-" + wrong.secret)
    r = None
    try:
        r, pages = two_in_voice(relay, voice_context)
        for p in pages:
            p.page.locator(f"#people [data-id='{peer_id(p)}'] .voice-nolink").wait_for(
                timeout=GIVE_UP_MS
            )
        made = [p.page.evaluate("() => window.__pcs.length") for p in pages]
        # The TURN server comes back on the same port, with the relay's secret.
        wrong.stop()
        right = Coturn(
            tmp_path / "coturn-right",
            secret="the-relays-" + wrong.secret,
            port=wrong.port,
            min_port=wrong.min_port,
            max_port=wrong.max_port,
        ).start()
        # The answerer's Retry asks the offerer for an ICE restart (its own offer).
        asker = next(p for p in pages if not p.page.evaluate(LINK)["offerer"])
        asker.page.locator(f"#people [data-id='{peer_id(asker)}'] .voice-retry").click()
        for p in pages:
            p.wait_for("() => window.__pcs.some((pc) => pc.connectionState === 'connected')")
            expect(p.page.locator(f"#people [data-id='{peer_id(p)}'] .voice-nolink")).to_be_hidden()
            assert p.page.evaluate(LINK)["state"] == "connected"
            pairs = p.page.evaluate(SELECTED_PAIRS)
            assert pairs and all(pair == ["relay", "relay"] for pair in pairs), pairs
        # The same peer connections, restarted: not a new call.
        assert [p.page.evaluate("() => window.__pcs.length") for p in pages] == made
        ana = pages[1]
        ana.wait_for("() => window.__remote.length > 0")
        heard = decode_webm(base64.b64decode(ana.page.evaluate(RECORD, 3000)))
        assert len(heard) > 2 * RATE and len(heard_tones(heard)) >= 4, right.log_tail()
        for p in pages:
            assert not p.errors, p.errors
    finally:
        if r is not None:
            close(r, "coturn-comes-back")
        relay.stop()
        wrong.stop()
        if right is not None:
            right.stop()

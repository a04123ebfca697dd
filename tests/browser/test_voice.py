"""Voice in the page, end to end: a real relay, one Chromium per person (each with its own fake
microphone playing a speech-like signal of its own), mesh links on loopback.

What each page hears is recorded out of the page (the remote stream through a Web Audio
recorder) and compared with what each microphone played: the speaker's signal matches, the
others' do not.
"""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from overshoulder.core.voice import similarity, write_wav
from tests.conftest import ARTIFACTS, RelayProcess
from tests.voice.signals import rms, speech_like

from .conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, WAIT_MS, ReviewerPage

VOICE_ARGS = [
    "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
SHOTS = ARTIFACTS / "browser" / "voice"
#: How long one recording of what a page hears lasts (ms).
LISTEN_MS = 1500
#: A recording that matches its speaker's signal this well, at least, is that speaker heard
#: (through the browser's speech processing and Opus about 0.45; another signal about 0.13).
HEARD = 0.3
#: ...and matches it better than another person's signal by this much at least.
MARGIN = 0.15
#: Received level (int16 RMS) under which a page is taken as hearing nothing from a peer.
SILENT_RMS = 150.0
#: Muted, what is heard falls to this share of the level heard before, at most (what was on
#: its way when the mute came still plays out).
QUIETER = 0.08
#: ...within this many seconds.
MUTE_S = 3.0

#: JS, run first on every page: the page's sockets (a test closes them to drop the connection).
SOCKETS_JS = """(() => {
  const Base = WebSocket, all = [];
  window.__sockets = all;
  window.WebSocket = class extends Base { constructor(...a) { super(...a); all.push(this); } };
})()"""

#: JS: a client that ignores what the relay says of its role and acts as if it may speak.
FORCE_SPEAK_JS = """(() => {
  const Base = WebSocket;
  window.WebSocket = class extends Base {
    set onmessage(fn) {
      super.onmessage = (ev) => {
        const voice = typeof ev.data === "string" && ev.data.includes('"voice_');
        const text = voice ? ev.data.replaceAll('"can_speak":false', '"can_speak":true') : ev.data;
        fn(new MessageEvent("message", { data: text }));
      };
    }
  };
})()"""

#: JS: what the page hears from participant `pid` for `ms` milliseconds, int16 at 48 kHz
#: as base64 (null when nothing comes from it).
RECORD_JS = """async ([pid, ms]) => {
  const stream = window.__voice.streamOf(pid);
  if (!stream) return null;
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.resume();
  const src = ctx.createMediaStreamSource(stream);
  const proc = ctx.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  proc.onaudioprocess = (e) => chunks.push(Float32Array.from(e.inputBuffer.getChannelData(0)));
  src.connect(proc);
  proc.connect(ctx.destination);
  await new Promise((done) => setTimeout(done, ms));
  src.disconnect();
  proc.disconnect();
  await ctx.close();
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    for (const x of c) out[at++] = Math.max(-32768, Math.min(32767, Math.round(x * 32767)));
  }
  const bytes = new Uint8Array(out.buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}"""

#: JS: RTP packets sent and received on the page's link to `pid` (null: no link).
STATS_JS = """async (pid) => {
  const pc = window.__voice.linkOf(pid)?.connection;
  if (!pc) return null;
  const out = { sent: 0, received: 0, state: pc.connectionState };
  (await pc.getStats()).forEach((r) => {
    if (r.type === "outbound-rtp") out.sent += r.packetsSent;
    if (r.type === "inbound-rtp") out.received += r.packetsReceived;
  });
  return out;
}"""


@dataclass
class Person:
    """One person's page in the call, and the signal their microphone plays."""

    page: ReviewerPage
    name: str
    signal: np.ndarray
    id: str = ""

    @property
    def p(self) -> Any:
        return self.page.page

    def engine(self, js: str, arg: Any = None) -> Any:
        """``js`` evaluated with the page's voice engine as ``v``."""
        return self.p.evaluate(f"(arg) => {{ const v = window.__voice; return ({js}); }}", arg)

    def wait(self, js: str, arg: Any = None, timeout: float = WAIT_MS) -> Any:
        return self.p.wait_for_function(
            f"(arg) => {{ const v = window.__voice; return ({js}); }}", arg=arg, timeout=timeout
        ).json_value()

    def join(self, *, unmute: bool = True) -> None:
        self.p.locator("#voice-join").click()
        self.wait("v.joined")
        if unmute and self.engine("v.canSpeak"):
            self.p.locator("#voice-mute").click()
            self.wait("v.sending")

    def wait_connected(self, other: Person) -> None:
        self.wait("v.linkOf(arg)?.connection?.connectionState === 'connected'", other.id)
        self.wait("!!v.streamOf(arg)", other.id)

    def hear(self, other: Person, ms: int = LISTEN_MS) -> np.ndarray:
        """What this page hears from ``other`` for ``ms`` (empty if nothing comes)."""
        data = self.p.evaluate(RECORD_JS, [other.id, ms])
        if data is None:
            return np.zeros(0, np.int16)
        return np.frombuffer(base64.b64decode(data), "<i2")

    def hears(self, speaker: Person, *others: Person, tries: int = 3) -> np.ndarray:
        """Waits until this page hears ``speaker``: a recording that matches its microphone
        (``HEARD``) better than any of ``others``' (by ``MARGIN``). At most ``tries``
        recordings: on a loaded machine one may catch a glitch. Returns that recording."""
        scores = []
        for _ in range(tries):
            heard = self.hear(speaker)
            mine = matches(heard, speaker)
            theirs = max((matches(heard, o) for o in others), default=0.0)
            scores.append((round(mine, 3), round(theirs, 3)))
            if mine > HEARD and mine > theirs + MARGIN:
                return heard
        raise AssertionError(f"{self.name} does not hear {speaker.name}: (match, other) {scores}")

    def stats(self, other: Person) -> Any:
        return self.p.evaluate(STATS_JS, other.id)

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.p.screenshot(path=str(SHOTS / f"{name}.png"))


def telephone_band(samples: np.ndarray) -> np.ndarray:
    """``samples`` with only 300-3400 Hz kept: below it the browser's speech processing (its
    high-pass filter) shifts the phase of the voice's fundamental, which says nothing of who
    is heard."""
    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(len(samples), 1 / 48_000)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    out = np.fft.irfft(spectrum, len(samples))
    return out / (np.max(np.abs(out)) or 1.0)


def matches(heard: np.ndarray, person: Person) -> float:
    """How well what a page heard matches ``person``'s microphone (normalised
    cross-correlation at the best lag, within the telephone band)."""
    if not len(heard) or not np.any(heard):
        return 0.0
    return similarity(telephone_band(heard), telephone_band(person.signal))[0]


@pytest.fixture(scope="module")
def pw() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium for the browser tests")
    with sync_playwright() as p:
        yield p


class Call:
    """A new session's call on ``relay``: ``call(role, name, seed)`` opens a page on a link of
    that role, in its own Chromium whose microphone plays ``speech_like(seed)``."""

    def __init__(self, pw: Playwright, relay: RelayProcess) -> None:
        self.pw, self.relay = pw, relay
        created = relay.create_session(name="Shot 010 comp", host_name="Mia")
        self.sid, self.host_token = created["session"]["id"], created["host_token"]
        self.browsers: list[Browser] = []
        self.people: list[Person] = []
        self.folder = Path(tempfile.mkdtemp(prefix="os-voice-"))

    def __call__(
        self, role: str, name: str, seed: int, *, init: str = "", token: str = ""
    ) -> Person:
        signal = speech_like(seed, 4.0)
        wav = self.folder / f"mic-{seed}.wav"
        write_wav(wav, signal)
        browser = self.pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CHROMIUM_ARGS, *VOICE_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
        )
        self.browsers.append(browser)
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(SOCKETS_JS)
        if init:
            context.add_init_script(init)
        page = ReviewerPage(context.new_page())
        if not token:
            token = (
                self.host_token if role == "host" else self.relay.invite(self.sid, role, name=name)
            )
        page.page.goto(f"{self.relay.url}/s/{self.sid}#t={token}")
        person = Person(page, name, signal)
        self.people.append(person)
        page.page.locator(
            "#conn-state[data-state='live'], [data-gate='refused']:not([hidden])"
        ).wait_for()
        page.page.evaluate("import('/web/js/voice.js').then((m) => { window.__voice = m.voice; })")
        page.page.wait_for_function("!!window.__voice")
        person.id = page.page.evaluate("window.__voice.me?.id ?? ''")
        return person

    def close(self) -> None:
        for browser in self.browsers:
            browser.close()


@contextmanager
def call_on(pw: Playwright, relay: RelayProcess) -> Iterator[Call]:
    """A call whose pages may see no script error and no relay error a test did not take."""
    made = Call(pw, relay)
    try:
        yield made
        for person in made.people:
            assert not person.page.errors, (person.name, person.page.errors)
    finally:
        made.close()


@pytest.fixture
def call(pw: Playwright, relay_proc: RelayProcess) -> Iterator[Call]:
    with call_on(pw, relay_proc) as made:
        yield made


@pytest.fixture(scope="module")
def small_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """A relay whose voice rooms hold 2 (and no media server to carry more)."""
    proc = RelayProcess(tmp_path_factory.mktemp("voice") / "relay-data")
    proc.extra_args = ["--voice-mesh-max", "2", "--media-server", "none"]
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def assert_falls_silent(listener: Person, speaker: Person, loud: float) -> None:
    """What ``listener`` hears of ``speaker`` falls under ``QUIETER`` of ``loud`` within
    ``MUTE_S`` (what was on its way still plays out; a loaded machine may lag)."""
    since = time.monotonic()
    levels = []
    while True:
        levels.append(round(rms(listener.hear(speaker, 500))))
        if levels[-1] < loud * QUIETER:
            return
        sending = speaker.engine(
            "v.linkOf(arg)?.connection?.getSenders()[0]?.track?.enabled", listener.id
        )
        assert time.monotonic() - since < MUTE_S, (
            f"{listener.name} still hears {speaker.name} (levels {levels}, before {loud:.0f}; "
            f"{speaker.name}'s track enabled: {sending})"
        )


def badge_is(kind: str) -> str:
    """JS (for ``Person.wait`` with a participant id): its People row shows this voice badge."""
    badge = "document.querySelector(`#people [data-id='${arg}'] .voice-badge`)"
    return f"{badge}?.dataset.kind === '{kind}'"


def mia_and_sam(call: Call, seed: int) -> tuple[Person, Person]:
    """Mia (the host) and Sam (a reviewer) in voice, microphones on, linked both ways."""
    mia = call("host", "Mia", seed)
    sam = call("reviewer", "Sam", seed + 1)
    mia.join()
    sam.join()
    mia.wait_connected(sam)
    sam.wait_connected(mia)
    return mia, sam


def test_two_pages_hear_each_other_and_muting_silences(call: Call) -> None:
    mia, sam = mia_and_sam(call, 1)

    # Each hears the other's microphone, and it is not its own signal it hears.
    loud = rms(sam.hears(mia, sam))
    mia.hears(sam, mia)
    assert loud > 5 * SILENT_RMS

    # People shows both in voice, with their microphones open, and who speaks.
    sam.wait(badge_is("speaking"), mia.id)
    mia.wait(badge_is("speaking"), sam.id)
    mia.shot("joined-speaking")

    # Sam's volume in Mia's People row.
    mia.p.locator(f"#people [data-id='{sam.id}'] .voice-volume").fill("0.3")
    assert mia.engine("v.volume(arg)", sam.id) == 0.3

    # M mutes: Sam hears (next to) nothing, and sees Mia muted.
    mia.p.locator("#marks-canvas").focus()
    mia.p.keyboard.press("m")
    mia.wait("!v.sending")
    assert mia.p.locator("#voice-mute").get_attribute("data-state") == "muted"
    sam.wait(badge_is("muted"), mia.id)
    assert_falls_silent(sam, mia, loud)
    mia.shot("muted")

    # The mute button unmutes again.
    mia.p.locator("#voice-mute").click()
    mia.wait("v.sending")
    sam.hears(mia, sam)


def test_push_to_talk_sends_only_while_the_key_is_held(call: Call) -> None:
    mia = call("host", "Mia", 3)
    sam = call("reviewer", "Sam", 4)
    # Before joining, the settings show the microphone's level (the mic opens for it).
    mia.p.locator("#voice-settings").click()
    mia.wait("v.level > 0.3 && v.speaking && v.status === 'off'")
    level = mia.p.locator("#voice-popover .level").evaluate(
        "(e) => Number(e.style.getPropertyValue('--level'))"
    )
    assert level > 0.3
    mia.shot("settings-before-joining")
    mia.p.keyboard.press("Escape")
    mia.wait("v.level === 0")  # closed again: the microphone too
    mia.join(unmute=False)
    sam.join()
    sam.wait_connected(mia)
    assert rms(sam.hear(mia)) < SILENT_RMS  # joined muted

    key = mia.engine("v.pttCode")
    mia.p.locator("#marks-canvas").focus()
    mia.p.keyboard.down(key)
    mia.wait("v.sending")
    assert mia.p.locator("#voice-mute").get_attribute("data-state") == "ptt"
    held = sam.hears(mia, sam)
    mia.p.keyboard.up(key)
    mia.wait("!v.sending")
    assert_falls_silent(sam, mia, rms(held))

    # Another key, chosen in the settings, is kept for the next visit; a shortcut is refused.
    mia.p.locator("#voice-settings").click()
    mia.p.locator("#voice-ptt").click()
    mia.p.keyboard.press("v")  # the select tool's key
    assert mia.engine("v.pttCode") == key
    mia.p.keyboard.press("g")
    mia.wait("v.pttCode === 'KeyG'")
    assert mia.p.evaluate("localStorage.getItem('overshoulder.voice.ptt')") == "KeyG"
    assert mia.p.locator("#voice-ptt").inner_text() == "G"
    mia.p.keyboard.press("Escape")
    mia.p.locator("#marks-canvas").focus()
    mia.p.keyboard.down("g")
    mia.wait("v.sending")
    mia.p.keyboard.up("g")
    mia.wait("!v.sending")


def test_a_viewer_listens_and_cannot_speak_even_forcing_its_microphone_on(
    call: Call,
) -> None:
    mia = call("host", "Mia", 5)
    vic = call("viewer", "Vic", 6, init=FORCE_SPEAK_JS)
    val = call("viewer", "Val", 7)
    mia.join()
    val.join()
    vic.join()
    for viewer in (vic, val):
        viewer.wait_connected(mia)
        viewer.hears(mia, viewer)  # viewers hear the call

    # An honest viewer's page offers listening only: no microphone, "Listening" in the bar.
    assert val.engine("v.canSpeak") is False
    assert val.p.locator("#voice-listening").is_visible()
    assert val.p.locator("#voice-mute").is_hidden()
    val.shot("viewer-listening")

    # The forcing one has its microphone on and believes it sends...
    assert vic.engine("v.sending") is True
    # ...but the relay made its descriptions listen-only: while Mia's voice reaches it, not
    # one packet of its own reaches Mia.
    mia.wait("v.linkOf(arg)?.connection?.connectionState === 'connected'", vic.id)
    vic.p.wait_for_function(
        "async (pid) => ((await (" + STATS_JS + ")(pid))?.received ?? 0) > 100", arg=mia.id
    )
    assert mia.stats(vic)["received"] == 0, mia.stats(vic)
    assert vic.stats(mia)["sent"] == 0, vic.stats(mia)
    assert mia.engine("v.streamOf(arg)", vic.id) is None

    # The host lets the honest viewer speak, from its row in People: now Mia hears it.
    mia.shot("host-sees-viewers")
    mia.p.locator(f"#people [data-id='{val.id}'] .voice-allow").click()
    val.wait("v.joined && v.canSpeak")
    val.p.locator("#voice-mute").click()
    val.wait("v.sending")
    mia.wait_connected(val)
    mia.hears(val, mia, vic)
    # ...and takes it back: Val listens again.
    mia.p.locator(f"#people [data-id='{val.id}'] .voice-allow").click()
    val.wait("v.joined && !v.canSpeak")
    assert val.p.locator("#voice-listening").is_visible()


def test_a_forged_token_gets_no_voice(call: Call) -> None:
    mia = call("host", "Mia", 8)
    mia.join()
    token = call.host_token
    head, payload, sig = token.split(".")
    forged_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    forged = call("host", "Eve", 9, token=f"{head}.{payload}.{forged_sig}")
    assert forged.p.locator("[data-gate='refused']").is_visible()
    assert forged.p.locator("#voice").is_hidden()
    assert forged.engine("v.status") == "off"
    assert not any(m["type"].startswith("voice_") for m in forged.page.received)
    # The relay refused its socket (HTTP 401), as the page says; nothing else went wrong.
    assert all("401" in e for e in forged.page.errors), forged.page.errors
    forged.page.errors.clear()
    # Nobody new is in voice.
    assert mia.engine("[...v.members.keys()]") == [mia.id]


def test_a_dropped_participant_hears_again_within_5_s(call: Call) -> None:
    mia, sam = mia_and_sam(call, 10)
    sam.hears(mia, sam)

    # Sam's control socket drops (as when the network blips): the relay takes Sam out of
    # voice, Mia closes her link, Sam's page reconnects and joins voice again by itself.
    dropped = time.monotonic()
    sam.p.evaluate(
        "window.__sockets.filter((s) => s.url.endsWith('/ws')).forEach((s) => s.close())"
    )
    sam.wait("v.status !== 'joined'")
    while rms(sam.hear(mia, 250)) < 4 * SILENT_RMS:
        assert time.monotonic() - dropped < 5.0, "Sam did not hear Mia again within 5 s"
    took = time.monotonic() - dropped
    assert took < 5.0, f"Sam heard Mia again {took:.1f} s after the drop"
    sam.hears(mia, sam)
    mia.wait_connected(sam)
    mia.hears(sam, mia)


def test_a_full_voice_room_refuses_the_next_joiner_and_says_why(
    pw: Playwright, small_relay: RelayProcess
) -> None:
    with call_on(pw, small_relay) as call:
        mia = call("host", "Mia", 12)
        sam = call("reviewer", "Sam", 13)
        ana = call("reviewer", "Ana", 14)
        mia.join(unmute=False)
        sam.join(unmute=False)
        ana.p.locator("#voice-join").click()
        toast = ana.p.locator(".toast", has_text="voice is full")
        toast.wait_for()
        assert "media server" in toast.inner_text()
        ana.wait("v.status === 'off' && !v.wanted")
        assert ana.p.locator("#voice-join").is_visible()
        ana.shot("voice-full")
        assert [e for e in ana.page.errors if "voice_full" in e], ana.page.errors
        ana.page.errors.clear()
        # The two in voice are untouched; the refused one sees them in People.
        assert ana.engine("v.members.size") == 2
        assert mia.engine("v.members.size") == 2


def test_a_link_that_cannot_connect_says_why(call: Call) -> None:
    """The words People and the toast use, from the link's ICE servers and candidate errors."""
    mia = call("host", "Mia", 20)
    reasons = mia.p.evaluate(
        """async () => {
        const { troubleReason } = await import('/web/js/voice-health.js');
        const turn = [{ urls: ["turn:turn.example:3478?transport=udp"], username: "u" }];
        const stun = [{ urls: ["stun:stun.example:3478"] }];
        return [
            troubleReason(turn, [{ code: 401, text: "Unauthorized", url: turn[0].urls[0] }]),
            troubleReason(turn, [{ code: 701, text: "", url: turn[0].urls[0] }]),
            troubleReason(stun, [{ code: 701, text: "", url: stun[0].urls[0] }]),
            troubleReason([], []),
            troubleReason(turn, []),
        ];
    }"""
    )
    assert reasons == [
        "the TURN server refused the credentials the relay gave out (401 Unauthorized): "
        "the relay's TURN secret is not the TURN server's",
        "the TURN server turn:turn.example:3478?transport=udp could not be reached",
        "the network blocks direct audio, and the relay has no TURN server to carry it",
        "the network blocks direct audio, and the relay has no TURN server to carry it",
        "no network path, not even through the relay's TURN server",
    ]

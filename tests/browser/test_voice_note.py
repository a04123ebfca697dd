"""Voice notes in Chromium with a fake microphone fed from a WAV file: held on a frame in one
page, seen and played in another, fetched by the Python API as the relay stored them, undone
and redone as any note, and still there after the relay restarts."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, sync_playwright

from overshoulder.core import relay_api
from tests import voice_clips
from tests.browser.conftest import BROWSER_ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, VIEWPORT, WAIT_MS

from .shot import FIRST

SHOTS = BROWSER_ARTIFACTS / "voice-note"

#: JS: the recordings the page keeps for the relay in IndexedDB: their key, session and SHA-256.
WAITING_JS = """async () => {
  const ask = (req) => new Promise((ok, no) => {
    req.onsuccess = () => ok(req.result);
    req.onerror = () => no(req.error);
  });
  const open = indexedDB.open("overshoulder-voice-notes", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("pending", { keyPath: "key" });
  const db = await ask(open);
  const all = await ask(db.transaction("pending").objectStore("pending").getAll());
  db.close();
  const out = [];
  for (const rec of all) {
    const bytes = await rec.blob.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    out.push({ key: rec.key, sid: rec.sid, sha256: hex });
  }
  return out;
}"""

#: JS: when the page's voice-note player starts and ends its clip (performance.now, ms).
TIMES_JS = """() => {
  const a = document.getElementById("voice-audio");
  window.voiceTimes = {};
  a.addEventListener("playing", () => (window.voiceTimes.playing ??= performance.now()));
  a.addEventListener("ended", () => (window.voiceTimes.ended = performance.now()));
}"""

#: JS: what the player plays, heard through WebAudio: every 100 ms while it plays, the loudest
#: frequency (Hz) and its level (dBFS), in ``window.voiceHeard``.
HEARD_JS = """() => {
  const a = document.getElementById("voice-audio");
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 8192;
  ctx.createMediaElementSource(a).connect(analyser);
  analyser.connect(ctx.destination);
  window.voiceHeard = [];
  const bins = new Float32Array(analyser.frequencyBinCount);
  const timer = setInterval(() => {
    if (a.dataset.state === "ended") return clearInterval(timer);
    if (a.paused) return;
    analyser.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    window.voiceHeard.push([(best * ctx.sampleRate) / analyser.fftSize, bins[best]]);
  }, 100);
}"""
#: The fake microphone's tone (Hz).
TONE_HZ = 440.0


@pytest.fixture(scope="module")
def browser_context() -> Iterator[BrowserContext]:
    """Chromium with a fake microphone that plays a tone, and audio that may start unasked."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium for the browser tests")
    with tempfile.TemporaryDirectory(prefix="os-voice-note-") as tmp:
        wav = voice_clips.write_wav(Path(tmp) / "tone.wav", 20.0, TONE_HZ)
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
            "--autoplay-policy=no-user-gesture-required",
        ]
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                str(Path(tmp) / "profile"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=args,
                viewport=VIEWPORT,
            )
            context.set_default_timeout(WAIT_MS)
            try:
                yield context
            finally:
                context.close()


def _shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path))
    return path


def _record(page: Any, seconds_left: int, shot: str = "") -> float:
    """Hold the voice-note button until its countdown shows ``seconds_left``; the seconds held
    (``shot``: a screenshot of the page while it records)."""
    button = page.locator("#voice-record")
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.locator("#voice-record.recording").wait_for()
    started = time.monotonic()
    page.wait_for_function(
        """(left) => {
            const text = document.querySelector("#voice-recording .voice-countdown").textContent;
            const [m, s] = text.split(/[: ]/);
            return Number(m) * 60 + Number(s) <= left;
        }""",
        arg=seconds_left,
    )
    if shot:
        _shot(page, shot)
    page.mouse.up()
    return time.monotonic() - started


def _voice_adds(review) -> list[dict[str, Any]]:
    return [
        e["data"]["annotation"]
        for e in review.events()
        if e["type"] == "annotation_add" and e["data"]["annotation"].get("audio")
    ]


def _play(page: Any, button: str, listen: bool = False) -> dict[str, float]:
    """Play a voice note to its end with the ``button`` (a selector); when it played and ended
    (ms). ``listen``: also check that what it played is the microphone's tone."""
    page.evaluate(TIMES_JS)
    if listen:
        page.evaluate(HEARD_JS)
    page.locator(button).click()
    page.locator("#voice-audio[data-state='playing']").wait_for(state="attached")
    page.locator("#voice-audio[data-state='ended']").wait_for(state="attached", timeout=20_000)
    if listen:
        heard = page.evaluate("window.voiceHeard")
        loud = [hz for hz, db in heard if db > -50]
        # Most of the clip is the tone the fake microphone played (not silence, not noise).
        on_tone = [hz for hz in loud if abs(hz - TONE_HZ) < 12]
        assert len(heard) >= 10 and len(on_tone) >= 0.7 * len(heard), heard
    return page.evaluate("window.voiceTimes")


def test_a_voice_note_held_on_a_frame_is_heard_in_another_page_and_kept_by_the_relay(review):
    r = review()
    sam = r.open(r.link("reviewer", "Sam"))
    vic = r.open(r.link("viewer", "Vic"))
    for p in (sam, vic):
        p.page.locator("#stage-message").wait_for(state="hidden")
    # A viewer makes no notes: no voice-note button.
    assert not vic.page.locator("#voice-record").is_visible()

    held = _record(sam.page, 57, "voice-note-recording.png")
    r.shot.wait(lambda: _voice_adds(r), "the voice note in the log")
    [note] = _voice_adds(r)
    clip = note["audio"]
    assert note["anchor"]["frame"] == FIRST
    assert clip["mime"] == "audio/webm" and 0 < clip["duration"] <= 60
    # What MediaRecorder made, measured by the relay, is about as long as the button was held
    # (the microphone opens a moment after the press).
    assert held - 1.0 < clip["duration"] < held + 0.5, (held, clip)

    # The bytes as stored, through the Python API, with a viewer's token.
    viewer_token = r.relay.invite(r.sid, "viewer")
    data = relay_api.fetch_voice_note(r.relay.url, r.sid, clip["id"], viewer_token)
    stored = r.relay.data_dir / "voice-notes" / r.sid / clip["id"][:2] / f"{clip['id']}.webm"
    assert data == stored.read_bytes() and hashlib.sha256(data).hexdigest() == clip["id"]
    assert len(data) == clip["size"]
    # It is Opus that decodes to as long as the relay says.
    assert voice_clips.decoded_seconds(data) == pytest.approx(clip["duration"], abs=0.1)
    # The artist's app holds the note with its audio.
    host_note = r.shot.wait(lambda: r.shot.host.notes.get(note["id"]), "the note at the host")
    assert host_note.audio is not None and host_note.audio.id == clip["id"]

    # The other page shows it on the frame and in the list, and plays it to its end.
    vic.page.locator(f".voice-marker[data-note='{note['id']}']").wait_for()
    vic.page.locator("#notes .note-audio .voice-play").wait_for()
    shot = _shot(vic.page, "voice-note-viewer.png")
    assert shot.stat().st_size > 0
    times = _play(vic.page, "#notes .note-audio .voice-play", listen=True)
    played = (times["ended"] - times["playing"]) / 1000
    assert played == pytest.approx(clip["duration"], abs=0.6), (played, clip)
    _shot(sam.page, "voice-note-author.png")

    # A voice note is a note: undo takes it away everywhere, redo brings it back with its audio.
    sam.page.locator("#marks-canvas").focus()
    sam.page.keyboard.press("Control+z")
    vic.page.locator(".voice-marker").wait_for(state="detached")
    sam.page.keyboard.press("Control+Shift+z")
    vic.page.locator(f".voice-marker[data-note='{note['id']}']").wait_for()

    # After a restart the relay still has it: the pages come back, a new one plays it.
    r.relay.stop()
    r.relay.start()
    vic.page.locator("#conn-state[data-state='live']").wait_for(timeout=30_000)
    ann = r.open(r.link("reviewer", "Ann"))
    ann.page.locator(f".voice-marker[data-note='{note['id']}']").wait_for()
    # This time from its play button on the frame.
    times = _play(ann.page, f".voice-marker[data-note='{note['id']}']")
    assert (times["ended"] - times["playing"]) / 1000 == pytest.approx(clip["duration"], abs=0.6)
    again = relay_api.fetch_voice_note(r.relay.url, r.sid, clip["id"], viewer_token)
    assert again == data
    _shot(ann.page, "voice-note-after-restart.png")


def _waiting(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(WAITING_JS)


def _reviewer(review) -> tuple[Any, Any]:
    """A session and Sam's page on it, its frame shown."""
    r = review()
    sam = r.open(r.link("reviewer", "Sam"))
    sam.page.locator("#stage-message").wait_for(state="hidden")
    return r, sam


def _answer(page: Any, status: int, code: str, why: str) -> list[int]:
    """Make the relay's answer to every upload from ``page`` this refusal; the statuses given."""
    given: list[int] = []

    def refuse(route: Any) -> None:
        given.append(status)
        body = json.dumps({"error": {"code": code, "message": why}})
        route.fulfill(status=status, content_type="application/json", body=body)

    page.route("**/voice-notes", refuse)
    return given


def _none_waiting(page: Any) -> None:
    page.wait_for_function(f"async () => ({WAITING_JS})().then((w) => w.length === 0)")


def _take_errors(p, *said: str) -> None:
    """Take the console errors the browser writes for a request that failed out of the page's
    errors (the page expected them: it keeps the recording and tries again)."""
    p.errors[:] = [e for e in p.errors if not any(s in e for s in said)]


def test_a_voice_note_recorded_while_the_relay_is_down_is_kept_and_sent_when_it_is_back(review):
    r, sam = _reviewer(review)
    r.relay.stop()
    _record(sam.page, 57)
    # The recording waits on the frame, says so, and is kept where a reload finds it.
    waiting = sam.page.locator(".voice-pending[data-state='waiting']")
    waiting.wait_for()
    assert "sending" in waiting.inner_text()
    assert "cannot be reached" in (waiting.get_attribute("title") or "")
    [kept] = _waiting(sam.page)
    assert kept["sid"] == r.sid
    _shot(sam.page, "voice-note-waiting.png")

    r.relay.start()
    r.shot.wait(lambda: _voice_adds(r), "the voice note in the log", timeout=60)
    [note] = _voice_adds(r)
    # What the relay took is what the page kept: the same bytes, by their hash.
    assert note["audio"]["id"] == kept["sha256"]
    stored = r.relay.data_dir / "voice-notes" / r.sid / kept["sha256"][:2]
    kept_bytes = (stored / f"{kept['sha256']}.webm").read_bytes()
    assert hashlib.sha256(kept_bytes).hexdigest() == kept["sha256"]
    sam.page.locator(".voice-pending").wait_for(state="detached")
    sam.page.locator(f".voice-marker[data-note='{note['id']}']").wait_for()
    _none_waiting(sam.page)
    _take_errors(sam, "Failed to load resource")


def test_a_waiting_voice_note_survives_a_reload_and_can_be_discarded(review):
    r, sam = _reviewer(review)
    posts: list[str] = []

    # The relay is up but its answers never reach the page (a proxy that drops them).
    def drop(route: Any) -> None:
        posts.append(route.request.method)
        route.abort()

    sam.page.route("**/voice-notes", drop)
    _record(sam.page, 58)
    sam.page.locator(".voice-pending[data-state='waiting']").wait_for()
    [kept] = _waiting(sam.page)
    sam.page.unroute("**/voice-notes")
    sam.page.reload()
    sam.wait_live()
    # The reloaded page sends it, and adds the note with it, once.
    r.shot.wait(lambda: _voice_adds(r), "the voice note in the log", timeout=30)
    [note] = _voice_adds(r)
    assert note["audio"]["id"] == kept["sha256"] and posts

    # Another one, discarded while it waits: never sent, nothing left.
    sam.page.route("**/voice-notes", lambda route: route.abort())
    _record(sam.page, 58)
    pending = sam.page.locator(".voice-pending[data-state='waiting']")
    pending.wait_for()
    pending.locator(".voice-discard").click()
    sam.page.locator(".voice-pending").wait_for(state="detached")
    _none_waiting(sam.page)
    sam.page.unroute("**/voice-notes")
    assert len(_voice_adds(r)) == 1
    _take_errors(sam, "Failed to load resource")


def test_a_voice_note_the_relay_refuses_for_good_is_not_sent_again_and_says_why(review):
    r, sam = _reviewer(review)
    why = "the recording lasts 61.0 s; a voice note lasts at most 60 s"
    posts = _answer(sam.page, 400, "bad_message", why)
    _record(sam.page, 58)
    sam.page.locator(f".toast:has-text('{why}')").wait_for()
    assert not sam.page.locator(".voice-pending").count()
    _none_waiting(sam.page)
    assert posts == [400] and not _voice_adds(r)
    _take_errors(sam, "Failed to load resource: the server responded with a status of 400")


def test_a_voice_note_the_relay_has_no_room_for_waits_and_is_sent_once_it_has(review):
    r, sam = _reviewer(review)
    why = "the disk of this relay has 900 MiB free, less than the 1024 MiB it keeps free"
    answers = _answer(sam.page, 507, "too_large", why)
    _record(sam.page, 58)
    # It waits, saying why, and goes once the relay has room.
    sam.page.locator(f".voice-pending[data-state='waiting'][title*='{why}']").wait_for()
    sam.page.unroute("**/voice-notes")
    r.shot.wait(lambda: _voice_adds(r), "the voice note in the log", timeout=30)
    assert answers and set(answers) == {507}
    sam.page.locator(".voice-pending").wait_for(state="detached")
    _take_errors(sam, "Failed to load resource: the server responded with a status of 507")

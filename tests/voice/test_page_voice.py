"""A reviewer page in Chromium and a Python participant hear each other through a real relay.

Everything runs in the test's network namespace: the relay, the Python member and Chromium
(launched through a wrapper script that runs it there). The page's microphone is Chromium's
fake device playing one WAV file; the Python member sends another. Each side's recording
must match what the other sent, not what it sent itself.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from overshoulder.core.voice import as_samples, read_wav, similarity_by_window
from tests.conftest import RelayProcess

from .conftest import MakeMember
from .netns import NetNamespace
from .signals import speech_wav

playwright = pytest.importorskip("playwright.sync_api")
from tests.browser.conftest import (  # noqa: E402 - after the skip above
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    WAIT_MS,
    ReviewerPage,
)

#: Seconds compared, and how well they must match. The page's audio goes through the
#: browser's echo cancellation, noise suppression and gain control, so it matches less
#: closely than Python to Python (~0.9): about 0.5 page to Python and 0.75 Python to page,
#: against 0.1-0.25 for the other signal (medians over one-second windows).
LISTEN_S = 3.0
MATCHES = 0.35

VOICE_ARGS = [
    "--allow-loopback-in-peer-connection",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

#: JS: join voice unmuted; returns this page's participant id.
JOIN = """async () => {
    const { voice } = await import("/web/js/voice.js");
    await voice.join();
    voice.setMuted(false);
    return voice.me.id;
}"""

#: JS: [pid, seconds] -> what the page hears from pid, as floats at 48 kHz.
CAPTURE = """async ([pid, seconds]) => {
    const { voice } = await import("/web/js/voice.js");
    const ctx = new AudioContext({ sampleRate: 48000 });
    await ctx.resume();
    const source = ctx.createMediaStreamSource(voice.streamOf(pid));
    const node = ctx.createScriptProcessor(4096, 1, 1);
    const chunks = [];
    let count = 0;
    return await new Promise((resolve) => {
        node.onaudioprocess = (e) => {
            const data = e.inputBuffer.getChannelData(0);
            chunks.push(Array.from(data));
            count += data.length;
            if (count >= seconds * 48000) {
                source.disconnect();
                node.disconnect();
                ctx.close();
                resolve(chunks.flat());
            }
        };
        source.connect(node);
        node.connect(ctx.destination);
    });
}"""

Launch = Callable[[Path], "playwright.BrowserContext"]


@pytest.fixture
def chromium(netns: NetNamespace, tmp_path: Path) -> Iterator[Launch]:
    """``launch(wav)``: Chromium inside the namespace, its fake microphone playing ``wav``."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `make sysdeps` installs Debian's chromium")
    wrapper = netns.wrapper(tmp_path, str(CHROMIUM))
    contexts: list[playwright.BrowserContext] = []
    with playwright.sync_playwright() as pw, tempfile.TemporaryDirectory() as profiles:

        def launch(wav: Path) -> playwright.BrowserContext:
            context = pw.chromium.launch_persistent_context(
                tempfile.mkdtemp(dir=profiles),
                executable_path=str(wrapper),
                headless=True,
                args=[*CHROMIUM_ARGS, *VOICE_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
                viewport=VIEWPORT,
            )
            context.set_default_timeout(WAIT_MS)
            contexts.append(context)
            return context

        try:
            yield launch
        finally:
            for context in contexts:
                context.close()


def test_a_page_and_a_python_participant_hear_each_other(
    members: MakeMember, chromium: Launch, voice_relay: RelayProcess, tmp_path: Path
) -> None:
    page_wav, python_wav = speech_wav(tmp_path, 5), speech_wav(tmp_path, 6)
    page_said, python_said = read_wav(page_wav), read_wav(python_wav)
    mia = members("Mia", python_wav, role="host")
    mia.voice.join()
    sid = members.session["session"]["id"]  # type: ignore[attr-defined]
    page = ReviewerPage(chromium(page_wav).new_page())
    page.page.goto(f"{voice_relay.url}/s/{sid}#t={voice_relay.invite(sid, 'reviewer', name='Leo')}")
    page.wait_live()
    leo = page.page.evaluate(JOIN)
    try:
        assert mia.voice.wait_connected([leo], 20), f"no link to the page: {page.errors}"
        # Python hears the page's microphone.
        since = time.time()
        assert mia.voice.wait_heard(leo, LISTEN_S, since), "Mia heard too little of the page"
        got = mia.voice.recording(leo, since)
        score, wrong = similarity_by_window(got, page_said), similarity_by_window(got, python_said)
        assert score > MATCHES and score > 2 * wrong, ("Mia hears the page", score, wrong)
        # The page hears Python.
        page.wait_for(
            "(pid) => import('/web/js/voice.js').then((m) => !!m.voice.streamOf(pid))", mia.id
        )
        heard = as_samples(np.array(page.page.evaluate(CAPTURE, [mia.id, LISTEN_S])))
        score, wrong = (
            similarity_by_window(heard, python_said),
            similarity_by_window(heard, page_said),
        )
        assert score > MATCHES and score > 2 * wrong, ("the page hears Mia", score, wrong)
    finally:
        page.page.close()
    assert not page.errors, page.errors

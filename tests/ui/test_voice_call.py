"""The panel in a real call: its voice bar (a real SessionClient, the page's engine in a real
QWebEngineView with a fake microphone playing a speech-like signal) and a reviewer's page in
Chromium, through a real relay. Each hears the other: the page's recording of the panel matches
the panel's microphone, and the panel's page receives the reviewer's voice."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from overshoulder.core.voice import write_wav
from tests.browser.test_voice import SILENT_RMS, Call, Person, matches, pw  # noqa: F401 (a fixture)
from tests.ui.child import ROOT
from tests.ui.test_voice_web import has_web_engine
from tests.voice.signals import speech_like

FLAGS = (
    "--use-fake-device-for-media-stream --allow-loopback-in-peer-connection "
    "--autoplay-policy=no-user-gesture-required --use-file-for-fake-audio-capture={wav}"
)


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next(lines: queue.Queue[str], start: str, proc: subprocess.Popen[str]) -> str:
    while True:
        try:
            line = lines.get(timeout=60)
        except queue.Empty:
            raise AssertionError(f"the panel never said {start!r} (exit {proc.poll()})") from None
        if line.startswith(start):
            return line


def test_the_panel_and_a_page_hear_each_other(pw, relay, tmp_path: Path):  # noqa: F811
    if not has_web_engine("PySide6"):
        pytest.skip("PySide6 here has no QtWebEngine (PySide6-Addons is not installed)")
    call = Call(pw, relay)
    proc = None
    stop = tmp_path / "stop"
    try:
        mia = call("host", "Mia", 11)
        mia.join()
        signal = speech_like(12, 4.0)
        wav = tmp_path / "panel-mic.wav"
        write_wav(wav, signal)
        link = f"{relay.url}/s/{call.sid}#t={relay.invite(call.sid, 'reviewer', name='Leo')}"
        env = dict(
            os.environ,
            QT_PREFERRED_BINDING="PySide6",
            QT_QPA_PLATFORM="offscreen",
            QTWEBENGINE_DISABLE_SANDBOX="1",
            QTWEBENGINE_CHROMIUM_FLAGS=FLAGS.format(wav=wav),
            OVERSHOULDER_CONFIG_DIR=str(tmp_path / "config"),
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.voice_call_check", link, str(stop)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=open(tmp_path / "panel.log", "w"),  # noqa: SIM115 (the child owns it)
            text=True,
        )
        lines = _lines(proc)
        leo = Person(mia.page, "Leo (panel)", signal, id=_next(lines, "me ", proc).split()[1])
        mia.wait_connected(leo)
        recorded = mia.hears(leo, mia)  # the page hears the panel's microphone, not its own
        print("the page hears the panel: match", round(matches(recorded, leo), 2))
        heard = _next(lines, "hears ", proc).split()
        assert heard[1] == mia.id, heard
        assert float(heard[3]) > 5 * SILENT_RMS, heard  # the panel's page hears Mia
        print("the panel hears the page: rms", heard[3])
        stop.touch()
        assert _next(lines, "OK", proc) == "OK"
        assert proc.wait(30) == 0
    finally:
        stop.touch()
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)
        call.close()
        if proc is not None and proc.returncode not in (0, None):
            print((tmp_path / "panel.log").read_text()[-4000:])

"""The voice bar with a real QWebEngineView (the page's own engine, a fake microphone), on the
bindings whose wheel here has QtWebEngine; skipped where it does not import."""

from __future__ import annotations

import importlib.util

import pytest

from tests.ui.child import run_check

FLAGS = "--use-fake-device-for-media-stream --autoplay-policy=no-user-gesture-required"


def has_web_engine(binding: str) -> bool:
    try:
        return importlib.util.find_spec(f"{binding}.QtWebEngineWidgets") is not None
    except (ImportError, ValueError):
        return False


@pytest.mark.parametrize("binding", ["PySide6"])
def test_the_real_page_joins_meters_and_unmutes_over_the_bridge(tmp_path, binding):
    """The relay's address is a plain-http LAN one: the page comes from the panel's loopback
    server, so the microphone opens all the same."""
    if not has_web_engine(binding):
        pytest.skip(f"{binding} here has no QtWebEngine (PySide6-Addons is not installed)")
    lines = run_check(
        "tests.ui.voice_web_check",
        binding,
        tmp_path / "config",
        "http://relay.studio:8770",
        QTWEBENGINE_DISABLE_SANDBOX="1",
        QTWEBENGINE_CHROMIUM_FLAGS=FLAGS,
    )
    assert "QtWebEngine imported on the first voice action, not before" in lines, lines
    assert any(line.startswith("the page's engine asked to join") for line in lines), lines
    assert any(line.startswith("the microphone (fake device) is metered") for line in lines)
    assert "unmuted from the bar: the engine says so to the relay" in lines


def test_a_voice_note_held_in_the_bar_is_recorded_uploaded_and_added(tmp_path, relay):
    """The voice-note button held (not in voice): the page records with the fake microphone,
    the bytes cross the bridge, the upload runs off the GUI thread, and the relay keeps a note
    on the frame shown with that audio."""
    if not has_web_engine("PySide6"):
        pytest.skip("PySide6 here has no QtWebEngine (PySide6-Addons is not installed)")
    sid = relay.create_session()["session"]["id"]
    link = f"{relay.url}/s/{sid}#t={relay.invite(sid, 'reviewer', name='Leo')}"
    shots = [str(tmp_path / "recording.png"), str(tmp_path / "kept.png")]
    lines = run_check(
        "tests.ui.voice_note_check",
        "PySide6",
        tmp_path / "config",
        link,
        *shots,
        QTWEBENGINE_DISABLE_SANDBOX="1",
        QTWEBENGINE_CHROMIUM_FLAGS=FLAGS,
    )
    assert "uploaded off the GUI thread" in lines, lines
    assert any(
        line.startswith("a note on frame 1012 with audio the relay stored") for line in lines
    )

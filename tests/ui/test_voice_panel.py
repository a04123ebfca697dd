"""The reviewer's panel in voice, as an artist sees it: joined and muted, someone speaking,
mic on; at 320 and 480 px in a dark palette, with the layout checks of the other panel states
(pictures in test-artifacts/ui/). The page is a fake one here (test_voice_web.py runs the
real one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from overshoulder.core.ui import Panel
from tests.ui.panel_states import WIDTHS, PanelStates, artifacts_dir, use_app_look
from tests.ui.voice_scenarios import FakePage, member

from .qt import wait_for


@pytest.fixture
def states(relay) -> Iterator[PanelStates]:
    use_app_look(dark=True)
    made = PanelStates(relay.url, artifacts_dir())
    try:
        yield made
    finally:
        made.close()
        use_app_look(dark=False)


def _ids(panel: Panel) -> dict[str, str]:
    share = panel.share
    assert share is not None
    return {p.name: p.id for p in share.participants.values()}


def test_the_panel_in_voice_fits_the_dock_and_people_say_who_speaks(states, monkeypatch):
    panel = states.reviewer()
    bar = panel.voice
    bar._factory = FakePage
    FakePage.made = []
    bar.settings_button.setChecked(True)
    ids = _ids(panel)
    bar.join()
    page = FakePage.made[-1]
    page.loaded()
    members = [member(ids["Leo"], "Leo"), member(ids["Sam"], "Sam"), member(ids["Mia"], "Mia")]
    welcome = {"mode": "mesh", "can_speak": True, "ice_servers": [], "mesh_max": 6}
    bar.voice_message("voice_welcome", {**welcome, "members": members})
    page.engine_reports(
        status="joined",
        level=0.1,
        inputs=[{"id": "mic1", "label": "USB microphone"}],
        outputs=[{"id": "out1", "label": "Studio headphones"}],
        input="mic1",
        output="out1",
    )

    def shot(state: str, rows: list[str]) -> None:
        assert wait_for(lambda: all(r in panel.people_rows() for r in rows)), panel.people_rows()
        for width in WIDTHS:
            path, problems = states.picture(panel, f"voice-{state}", width, "dark")
            assert problems == [], (path.name, problems)

    assert bar.state_label.text() == "3 in voice · muted"
    assert bar.input_combo.currentText() == "USB microphone"
    shot("joined", ["Leo (reviewer, you, muted)", "Sam (reviewer, drawing, muted)"])

    speaking = member(ids["Sam"], "Sam", muted=False, speaking=True)
    bar.voice_message("voice_state", speaking)
    bar.voice_message("voice_state", member(ids["Mia"], "Mia", muted=False))
    shot("someone-speaking", ["Sam (reviewer, drawing, speaking)", "Mia (host, drives, in voice)"])
    assert panel.person_row(ids["Sam"]).voice.text() == "speaking"

    bar.set_muted(False)
    page.engine_reports(level=0.6, speaking=True, sending=True, muted=False)
    bar.voice_message("voice_state", member(ids["Leo"], "Leo", muted=False, speaking=True))
    assert bar.state_label.text() == "3 in voice · mic on"
    assert page.commands[-1] == ("mute", {"muted": False})
    shot("mic-on", ["Leo (reviewer, you, speaking)"])

    bar.leave()
    assert page.closed and bar.web is None
    bar.settings_button.setChecked(False)
    bar.check_button.click()
    FakePage.made[-1].loaded()
    FakePage.made[-1].engine_reports(level=0.35)
    assert FakePage.made[-1].commands == [("preview", {"on": True})]
    assert bar.state_label.text() == "Checking the microphone (not in voice)"
    shot("check-mic", ["Leo (reviewer, you)"])
    bar.check_button.click()
    assert FakePage.made[-1].closed

    # No QtWebEngine (PySide6-Essentials, Nuke 16 on macOS): the reason and the browser.
    import overshoulder.core.ui.voice as voice_module

    bar._factory = None
    monkeypatch.setattr(voice_module, "web_engine_present", lambda: False)
    monkeypatch.setattr(voice_module, "_engine_reason", "PySide6 6.11.3 here has no QtWebEngine")
    bar.redraw()
    assert bar.browser_button.isVisible() and not bar.join_button.isVisible()
    shot("no-web-engine", ["Leo (reviewer, you)"])

    panel.close_session()
    assert wait_for(lambda: panel.share is None)

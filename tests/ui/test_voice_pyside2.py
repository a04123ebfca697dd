"""The voice bar on PySide2 (Nuke 13-15, Maya 2022-2024): the scenarios of test_voice.py in a
child process."""

from __future__ import annotations

from pathlib import Path

from tests.ui.child import run_check


def test_the_voice_bar_and_people_work_on_pyside2(tmp_path: Path):
    lines = run_check("tests.ui.voice_check", "PySide2", tmp_path / "config", timeout=120)
    assert "M mutes and unmutes; typed in a text field it is a letter" in lines, lines
    assert "push-to-talk: the key held talks, let go stops" in lines
    assert "push-to-talk held on the viewer talks, let go stops; auto-repeat ignored" in lines
    assert "typed in a line edit of the app the key is a letter" in lines
    assert "the mute shortcut works with the focus on the viewer; M there is the app's" in lines
    assert "the hold-to-talk button talks while held" in lines
    assert (
        "a voice note held in the bar: recorded by the page, uploaded off the GUI thread, added"
        in lines
    )
    assert "leave: voice_leave sent, the page dropped" in lines
    assert "people show voice" in lines
    assert "qwebchannel.js from Qt's resource; the mic granted to the page's origin only" in lines
    assert "a volume per person; a host lets a viewer speak" in lines
    assert "a dropped connection: the engine is told, and joins again after the sync" in lines

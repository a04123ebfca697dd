"""The voice bar on PySide2 (Nuke 13-15, Maya 2022-2024): the scenarios of test_voice.py in a
child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_voice_bar_and_people_work_on_pyside2(tmp_path: Path):
    env = dict(
        os.environ,
        QT_PREFERRED_BINDING="PySide2",
        QT_QPA_PLATFORM="offscreen",
        OVERSHOULDER_CONFIG_DIR=str(tmp_path / "config"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.voice_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert "M mutes and unmutes; typed in a text field it is a letter" in lines, lines
    assert "push-to-talk: the key held talks, let go stops" in lines
    assert "leave: voice_leave sent, the page dropped" in lines
    assert "people show voice" in lines
    assert "a volume per person; a host lets a viewer speak" in lines
    assert "a dropped connection: the engine is told, and joins again after the sync" in lines
    assert lines[-1] == "OK"

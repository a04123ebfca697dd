"""The same UI code on PySide2 (Nuke 13-15, Maya 2022-2024), in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_panel_dispatch_and_overlay_work_on_pyside2(tmp_path: Path):
    env = dict(
        os.environ,
        QT_PREFERRED_BINDING="PySide2",
        QT_QPA_PLATFORM="offscreen",
        OVERSHOULDER_CONFIG_DIR=str(tmp_path / "config"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.pyside2_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "dispatch ran on the GUI thread" in lines
    assert "overlay painted the stroke where it belongs" in lines
    assert "self-test window shows the report" in lines
    assert lines[-1] == "OK"

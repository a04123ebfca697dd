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


def test_the_panel_fits_a_narrow_dark_dock_and_takes_tablet_pressure_on_pyside2(relay, tmp_path):
    """Nuke 13-15 and Maya 2022-2024: the panel's states at 320 and 480 px in a dark palette,
    with the same layout checks as on PySide6 (pictures in test-artifacts/ui/), and a pen
    tablet's stroke keeping its pressure."""
    env = dict(
        os.environ,
        QT_PREFERRED_BINDING="PySide2",
        QT_QPA_PLATFORM="offscreen",
        OVERSHOULDER_CONFIG_DIR=str(tmp_path / "config"),
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.pyside2_panel_check", relay.url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for state in ("before-join", "host-sharing", "reviewer"):
        for width in (320, 480):
            assert any(line.startswith(f"{state} {width}: 0 problems") for line in lines), lines
    assert "thumbnails shown" in lines
    assert "tablet pressure kept: [0.25, 0.5, 0.75]" in lines
    assert lines[-1] == "OK"

"""Running a UI check in a child process with another Qt binding (or other Qt switches), as
the PySide2 checks do: offscreen, its own config folder; its printed lines back."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(
    module: str, binding: str, config: Path, *args: str, timeout: float = 180, **env: str
) -> list[str]:
    """``python -m module args`` with ``QT_PREFERRED_BINDING=binding`` and ``env``; fails the
    test (with what it printed) unless it exits 0 after printing "OK" last."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(
            os.environ,
            QT_PREFERRED_BINDING=binding,
            QT_QPA_PLATFORM="offscreen",
            OVERSHOULDER_CONFIG_DIR=str(config),
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    lines = done.stdout.splitlines()
    assert lines and lines[-1] == "OK", lines
    return lines

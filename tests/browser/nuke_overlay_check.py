"""Paint a saved script's notes with the viewer overlay, in a child process of its own.

Run with QT_PREFERRED_BINDING=PySide2 or PySide6 (see test_nuke_review.py): one Qt binding per
process. Opens the script in the FAKE Nuke (tests/fakes), builds the Nuke adapter on it, puts a
``ViewerOverlay`` over a widget that stands in for Nuke's viewer, and for each check prints
whether a colour shows near a pixel. Output: one JSON object on the last line of stdout.

    python -m tests.browser.nuke_overlay_check SCRIPT.nk CHECKS.json
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from tests.browser.apps import paint_checks
from tests.fakes import nuke_control


def main(script: str, checks_path: str) -> dict[str, Any]:
    nuke = nuke_control.install(gui=True)  # before the adapter imports ``nuke``

    from Qt import QtWidgets

    from overshoulder.plugins.nuke.host import NukeHost
    from tests.ui.qt import app

    nuke.scriptOpen(script)
    with open(checks_path) as f:
        checks = json.load(f)
    app()
    host = NukeHost(main_thread=threading.current_thread())
    viewer = QtWidgets.QWidget()
    viewer.resize(checks["width"], checks["height"])
    viewer.show()
    return paint_checks(viewer, host, checks, nuke.frame)


if __name__ == "__main__":
    out = main(sys.argv[1], sys.argv[2])
    print(json.dumps(out))

"""Paint a saved Maya scene's notes with the viewer overlay, in a child process of its own.

Run with QT_PREFERRED_BINDING=PySide2 or PySide6 (see test_maya_review.py): one Qt binding per
process. Opens the scene in the FAKE Maya (tests/fakes), builds the Maya adapter on it, puts a
``ViewerOverlay`` over a widget that stands in for the model panel's viewport (found through
``M3dView.widget()`` as in Maya), and for each check prints whether a colour shows near a
pixel. Output: one JSON object on the last line of stdout.

    python -m tests.browser.maya_overlay_check SCENE.ma CHECKS.json
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from tests.browser.apps import paint_checks
from tests.fakes import maya_control


def main(scene: str, checks_path: str) -> dict[str, Any]:
    cmds = maya_control.install()  # before the adapter imports ``maya``

    from Qt import QtWidgets

    from overshoulder.plugins.maya.host import MayaHost
    from tests.ui.qt import app

    cmds.file(scene, open=True, force=True)
    with open(checks_path) as f:
        checks = json.load(f)
    app()
    viewport = QtWidgets.QWidget()
    viewport.resize(checks["width"], checks["height"])
    viewport.show()
    maya_control.fake().panel_widgets["modelPanel4"] = viewport
    host = MayaHost(main_thread=threading.current_thread())
    viewer = host.viewer_widget()
    assert viewer is viewport, "the overlay sits on the model panel's viewport"
    return paint_checks(viewer, host, checks, lambda frame: cmds.currentTime(frame))


if __name__ == "__main__":
    out = main(sys.argv[1], sys.argv[2])
    print(json.dumps(out))

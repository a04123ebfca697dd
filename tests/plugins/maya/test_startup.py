"""Startup is safe in batch (nothing at all) and defers the menu in a GUI session; the panel
docks in a workspaceControl and comes back through its uiScript."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes.maya_control import FAKES, fake

ROOT = Path(__file__).resolve().parents[3]

#: What a batch render must not pay for.
HEAVY = ("Qt", "PySide2", "PySide6", "numpy", "simplejpeg", "websocket", "requests")

PROBE = """
import json, sys, threading
sys.path.insert(0, {fakes!r})
from maya._fake import state
state.batch = {batch}
before = set(sys.modules)
import overshoulder.plugins.maya.startup as startup
import overshoulder.plugins.maya.startup
new = sorted(set(sys.modules) - before)
print(json.dumps({{
    "heavy": [m for m in new if m.split(".")[0] in {heavy!r}],
    "ui": [m for m in new if m.startswith("overshoulder.core.ui")],
    "deferred": state.deferred.qsize(),
    "callbacks": len(state.event_callbacks) + len(state.render_callbacks),
    "menus": sorted(state.menus),
    "threads": threading.active_count(),
    "started": startup.started,
}}))
"""


def startup_in_a_fresh_maya(batch: bool) -> dict[str, Any]:
    code = PROBE.format(fakes=str(FAKES), batch=batch, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_in_mayapy_and_batch_renders_startup_does_nothing() -> None:
    seen = startup_in_a_fresh_maya(batch=True)
    assert seen["started"]
    assert seen["heavy"] == [] and seen["ui"] == []
    assert seen["deferred"] == 0 and seen["callbacks"] == 0 and seen["menus"] == []
    assert seen["threads"] == 1


def test_in_a_gui_session_startup_only_defers_the_menu() -> None:
    seen = startup_in_a_fresh_maya(batch=False)
    assert seen["deferred"] == 1, "one evalDeferred: the menu, after Maya's own startup"
    assert seen["menus"] == [] and seen["callbacks"] == 0
    assert seen["ui"] == [] and not [m for m in seen["heavy"] if m.startswith(("Qt", "PySide"))]


def test_the_menu_opens_a_docked_panel_that_the_workspace_restores(
    cmds: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui import qt

    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(tmp_path / "config"))
    qt.app()
    from overshoulder.plugins.maya import panel as panel_module
    from overshoulder.plugins.maya import startup

    startup.install_menu()
    startup.install_menu()  # again: one menu, made anew
    menu = fake().menus["overshoulderMenu"]
    assert menu["parent"] == "MayaWindow"
    assert [i["label"] for i in menu["items"]] == ["Open panel", "Self-test"]

    monkeypatch.setattr(panel_module, "_panel", None)
    menu["items"][0]["command"]()
    control = fake().workspace_controls["overshoulderPanelWorkspaceControl"]
    shown = control["widget"]
    assert isinstance(shown, panel_module.MayaPanel) and shown.isVisible()
    assert control["uiScript"] == panel_module.UI_SCRIPT
    assert shown.host.name == "maya"
    assert panel_module.show_panel() is shown, "opening it again shows the same panel"

    shown.close()
    shown.deleteLater()  # Maya closed: the widget is gone before the next start
    qt.QtCore.QCoreApplication.sendPostedEvents(None, qt.QtCore.QEvent.Type.DeferredDelete)
    qt.pump(0.05)

    # Next Maya start: the workspace runs the uiScript, which rebuilds the panel into the
    # control Maya restored.
    exec(compile(control["uiScript"], "<uiScript>", "exec"), {})
    restored = panel_module._panel
    assert restored is not shown and isinstance(restored, panel_module.MayaPanel)
    from maya.OpenMayaUI import _address
    from Qt import QtCompat

    assert fake().restored_widgets[-1][0] == _address(QtCompat.getCppPointer(restored))
    restored.close()
    restored.deleteLater()
    qt.QtCore.QCoreApplication.sendPostedEvents(None, qt.QtCore.QEvent.Type.DeferredDelete)

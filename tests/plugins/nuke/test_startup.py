"""init.py is safe everywhere (no Qt, no callbacks); menu.py adds the menu and the panel."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overshoulder.plugins.nuke.defaults import PANEL_ID, PANEL_NAME, PANEL_WIDGET
from tests.fakes.nuke_control import FAKES

ROOT = Path(__file__).resolve().parents[3]

#: What a farm render or ``nuke -t`` must not pay for.
HEAVY = ("Qt", "PySide2", "PySide6", "numpy", "simplejpeg", "websocket", "requests")

PROBE = """
import json, sys
sys.path.insert(0, {fakes!r})
import nuke
nuke.GUI = {gui}
before = set(sys.modules)
import overshoulder.plugins.nuke.init
import overshoulder.plugins.nuke.init
import overshoulder.plugins.nuke.menu
new = sorted(set(sys.modules) - before)
print(json.dumps({{
    "heavy": [m for m in new if m.split(".")[0] in {heavy!r}],
    "ui": [m for m in new if m.startswith("overshoulder.core.ui")],
    "callbacks": {{k: len(v) for k, v in nuke._fake.knob_changed.items() if v}},
    "on_create": {{k: len(v) for k, v in nuke._fake.on_create.items() if v}},
    "menus": sorted(nuke._fake.menus),
    "started": overshoulder.plugins.nuke.init.started,
}}))
"""


def startup_in_a_fresh_nuke(gui: bool) -> dict[str, Any]:
    code = PROBE.format(fakes=str(FAKES), gui=gui, heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_in_a_terminal_session_startup_imports_no_qt_and_installs_nothing() -> None:
    seen = startup_in_a_fresh_nuke(gui=False)
    assert seen["started"]
    assert seen["heavy"] == [] and seen["ui"] == []
    assert seen["callbacks"] == {} and seen["on_create"] == {}
    assert seen["menus"] == []


def test_init_in_a_gui_session_stays_light_too() -> None:
    seen = startup_in_a_fresh_nuke(gui=True)
    assert seen["ui"] == [] and not [m for m in seen["heavy"] if m.startswith(("Qt", "PySide"))]
    assert seen["callbacks"] == {}, "sharing starts from the panel, not at startup"


@pytest.fixture
def menu_module(nuke: ModuleType, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    import overshoulder.plugins.nuke.menu as menu

    monkeypatch.setattr(menu, "installed", False)
    return menu


def test_menu_adds_the_commands_and_registers_the_panel(
    nuke: ModuleType, menu_module: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    import nukescripts.panels

    import __main__

    menu_module.install()
    menu_module.install()  # a second import or call changes nothing
    bar = nuke.menu("Nuke").findItem("Overshoulder")
    assert [i.name() for i in bar.items()] == [
        "Open panel",
        "Notes to StickyNotes",
        "Note marks to RotoPaint",
        "Clear resolved notes",
        "Self-test",
    ]
    assert nukescripts.panels.registered == {PANEL_ID: (PANEL_WIDGET, PANEL_NAME)}
    assert nuke.menu("Pane").findItem(PANEL_NAME) is not None
    assert vars(__main__)["overshoulder"].__name__ == "overshoulder"

    bar.findItem("Notes to StickyNotes").invoke()  # nothing viewed, nothing selected
    assert "nuke.message: Select the node whose notes you want" in capsys.readouterr().out
    bar.findItem("Clear resolved notes").invoke()


def test_menu_does_nothing_outside_the_gui(nuke: ModuleType, menu_module: ModuleType) -> None:
    import nukescripts.panels

    nuke.GUI = False
    menu_module.install()
    assert nuke._fake.menus == {} and nukescripts.panels.registered == {}


def test_the_registered_panel_restores_as_a_nuke_panel(
    nuke: ModuleType, menu_module: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("overshoulder.core.ui.panel")
    from tests.fakes.nuke_control import QtMainThread, build_comp
    from tests.ui.qt import app, pump

    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(tmp_path / "config"))
    try:
        app()
    except RuntimeError as exc:  # the Qt binding installed here cannot run the UI tests
        pytest.skip(str(exc))
    build_comp()
    main = QtMainThread()
    try:
        menu_module.install()
        nuke.menu("Nuke").findItem("Overshoulder/Open panel").invoke()
        import nukescripts.panels

        panel = nukescripts.panels.restorePanel(PANEL_ID)
        (widget,) = panel.widgets
        from overshoulder.plugins.nuke.host import NukeHost
        from overshoulder.plugins.nuke.panel import NukePanel

        assert isinstance(widget, NukePanel) and isinstance(widget.host, NukeHost)
        assert widget.host.is_main_thread()
        pump(0.05)
        widget.close()
        widget.deleteLater()
        pump(0.05)
    finally:
        main.stop()

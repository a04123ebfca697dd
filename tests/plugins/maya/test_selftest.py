"""The self-test on the fake Maya: it passes, leaves the scene as it was, reports a refused
call as that check's failure (the others still run), and runs from a terminal (mayapy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes import maya_control
from tests.fakes.maya_control import fake


@pytest.fixture
def gui(cmds: ModuleType, shot: dict[str, str]) -> Iterator[dict[str, str]]:
    """A GUI Maya whose main thread is this (Qt) thread, its viewport a QWidget."""
    from tests.ui import qt

    qt.app()
    from Qt import QtWidgets

    viewport = QtWidgets.QWidget()
    viewport.resize(640, 360)
    fake().panel_widgets["modelPanel4"] = viewport
    main = maya_control.QtMainThread()
    try:
        yield shot
    finally:
        main.stop()
        viewport.deleteLater()


def scene_state(cmds: ModuleType) -> dict[str, Any]:
    return {
        "nodes": sorted(n.uuid for n in fake().live()),
        "selection": cmds.ls(selection=True, long=True),
        "time": fake().time,
        "undo": list(fake().undo_stack),
        "undo_on": fake().undo_on,
        "camera": cmds.modelPanel("modelPanel4", query=True, camera=True),
        "callbacks": fake().callback_count(),
        "pencil": {cam: list(layers) for cam, layers in fake().pencil_layers.items() if layers},
    }


def by_name(report: Any) -> dict[str, Any]:
    return {c.name: c for c in report.checks}


def test_the_self_test_passes_on_the_fake_and_leaves_the_scene_as_it_was(
    gui: dict[str, str], cmds: ModuleType
) -> None:
    from overshoulder.plugins.maya import selftest

    cmds.select(gui["arm"])
    cmds.currentTime(1001.25)
    fake().undo_stack.append("the artist's last edit")
    before = scene_state(cmds)

    report = selftest.run(rounds=3)

    assert report.ok, report.to_text()
    checks = by_name(report)
    assert [c.status for c in report.checks] == ["pass"] * len(report.checks), report.to_text()
    colour = checks["capture_colorbuffer"].figures
    assert colour["colorbuffer_main_count"] == 3 and colour["colorbuffer_main_median_ms"] >= 0
    assert colour["colorbuffer_own_redraws_after"] == 0
    assert checks["capture_playblast"].figures["playblast_main_count"] == 3
    assert "timeChanged" in checks["frame_change_events"].figures["fired_on_frame_change"]
    pencil = checks["pencil"].figures
    assert "importArchive" in pencil["bluePencilFrame_flags"] and pencil["pencil"] == "Blue Pencil"
    assert pencil["layers_after_two_puts"] == 1 and pencil["layers_after_remove"] == 0
    assert checks["scene_restored"].figures["scratch_nodes_left"] == 0
    assert scene_state(cmds) == before, "the user's scene, selection, time, undo queue are kept"
    assert "[PASS] The scene as it was" in report.to_text()


def test_a_call_this_maya_refuses_fails_its_check_by_name_and_the_others_still_run(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import maya.api.OpenMaya as om

    from overshoulder.plugins.maya import selftest

    real = om.MEventMessage.addEventCallback

    def older_maya(name: str, fn: Any, data: Any = None) -> int:
        if name == "cameraChange":
            raise RuntimeError("(kInvalidParameter): Object does not exist: cameraChange")
        return real(name, fn, data)

    monkeypatch.setattr(om.MEventMessage, "addEventCallback", staticmethod(older_maya))
    fake().missing_flags["bluePencilFrame"] = {"importArchive", "ia"}
    before = scene_state(cmds)

    report = selftest.run(rounds=2)  # never raises

    checks = by_name(report)
    events = checks["frame_change_events"]
    assert events.status == "fail" and "cameraChange" in events.detail
    assert "refused 1 of the adapter's names" in events.detail
    assert checks["pencil"].status == "fail"
    assert "bluePencilFrame -importArchive" in checks["pencil"].detail
    others = [c for c in report.checks if c.name not in ("frame_change_events", "pencil")]
    assert [c.status for c in others] == ["pass"] * len(others), report.to_text()
    assert not report.ok and scene_state(cmds) == before


def test_from_a_terminal_it_starts_maya_standalone_writes_both_reports_and_exits_0(
    cmds: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from overshoulder.plugins.maya import selftest

    maya_control.build_shot()
    fake().standalone_pending = True  # a bare mayapy: commands raise until initialize()
    code = selftest.main(["--out", str(tmp_path), "--rounds", "2"])
    assert code == 0, capsys.readouterr().out
    assert fake().standalone_runs == ["python", "uninitialize"]
    written = sorted(p.suffix for p in tmp_path.iterdir())
    assert written == [".json", ".txt"]
    out = capsys.readouterr().out
    assert "[SKIP]" in out and "batch session" in out and "[FAIL]" not in out


def test_the_menu_entry_shows_the_report(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from overshoulder.core.ui import selftest_dialog
    from overshoulder.plugins.maya import startup

    shown: list[tuple[Any, Any]] = []
    monkeypatch.setattr(
        selftest_dialog, "show_report", lambda r, p, parent=None: shown.append((r, p))
    )
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where reports go by default
    startup.install_menu()
    item = next(i for i in fake().menus["overshoulderMenu"]["items"] if i["label"] == "Self-test")
    item["command"]()
    ((report, paths),) = shown
    assert report.app == "maya" and all(Path(p).exists() for p in paths)
    assert all(Path(p).is_relative_to(tmp_path) for p in paths)

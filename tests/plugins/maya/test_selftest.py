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
        "redo": list(fake().redo_stack),
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
    fake().redo_stack.append("the edit the artist undid")
    before = scene_state(cmds)

    report = selftest.run(rounds=3)

    assert report.ok, report.to_text()
    checks = by_name(report)
    assert [c.status for c in report.checks] == ["pass"] * len(report.checks), report.to_text()
    colour = checks["capture_colorbuffer"].figures
    assert colour["colorbuffer_main_count"] == 3 and colour["colorbuffer_size"] == "640x360"
    assert colour["colorbuffer_main_worst_ms"] >= colour["colorbuffer_main_median_ms"]
    assert colour["colorbuffer_own_redraws_after"] == 0
    assert checks["capture_playblast"].figures["playblast_main_count"] == 3
    assert "timeChanged" in checks["frame_change_events"].figures["fired_on_frame_change"]
    edits = checks["edit_events"].figures
    assert edits["fired_on_attribute_change"] == ["redraw"], "an attribute change: a redraw"
    assert "SelectionChanged" in edits["fired_on_selection"]
    assert report.extra["sharing"] is False and "sharing: False" in report.to_text()
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


def test_it_refuses_to_run_while_this_maya_shares_a_session(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.maya import panel, selftest

    monkeypatch.setattr(panel, "_host", None)
    host = panel.session_host()
    host.start()  # what the Sharer does when a session starts
    try:
        before = scene_state(cmds)
        report = selftest.run(rounds=2)
        after = scene_state(cmds)
    finally:
        host.stop()
    ((only,),) = [report.checks]
    assert only.name == "not_while_sharing" and only.status == "fail"
    assert "stop sharing first" in only.detail and report.extra["sharing"] is True
    assert after == before, "nothing was touched"
    assert fake().captures == [] and fake().playblasts == 0


def test_the_undo_check_sees_more_than_the_last_entry(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.maya import selftest

    fake().undo_stack.append("the artist's last edit")
    fake().redo_stack.append("the edit the artist undid")

    def flushes_redo(figures: dict[str, Any]) -> None:
        fake().redo_stack.clear()  # what any undoable action does to Maya's redo queue

    monkeypatch.setattr(selftest, "playhead", flushes_redo)
    report = selftest.run(rounds=1)
    restored = by_name(report)["scene_restored"]
    assert restored.status == "fail" and "undo_kept" in restored.detail
    assert "the edit the artist undid" in restored.figures["undo_was"]


def test_a_restore_that_raises_halfway_still_leaves_no_scratch_behind(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.maya import selftest

    def broken(scratch: Any) -> Any:
        def run(figures: dict[str, Any]) -> None:
            raise RuntimeError("the last check failed before it put anything back")

        return run

    monkeypatch.setattr(selftest, "restored_check", broken)
    before = scene_state(cmds)
    report = selftest.run(rounds=1)
    assert by_name(report)["scene_restored"].status == "fail"
    assert scene_state(cmds) == before, "run() put the scene back in its finally"


def test_every_viewport_grab_the_self_test_makes_is_cleaned_up(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.maya import capture, selftest

    made: list[int] = []
    cleaned: list[int] = []
    real_init, real_cleanup = capture.ViewportGrab.__init__, capture.ViewportGrab.cleanup

    def init(self: Any, *args: Any, **kw: Any) -> None:
        made.append(id(self))
        real_init(self, *args, **kw)

    def cleanup(self: Any) -> None:
        cleaned.append(id(self))
        real_cleanup(self)

    monkeypatch.setattr(capture.ViewportGrab, "__init__", init)
    monkeypatch.setattr(capture.ViewportGrab, "cleanup", cleanup)
    report = selftest.run(rounds=1)
    assert report.ok, report.to_text()
    assert len(made) >= 3, "two capture checks and the notes check's host"
    assert set(made) <= set(cleaned)


def _menu_item(label: str) -> Any:
    from overshoulder.plugins.maya import startup

    startup.install_menu()
    return next(i for i in fake().menus["overshoulderMenu"]["items"] if i["label"] == label)


def test_when_the_window_cannot_open_the_report_goes_to_mayas_message_box(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import tempfile

    from overshoulder.core.ui import selftest_dialog

    def no_window(*_: Any, **__: Any) -> None:
        raise RuntimeError("no QApplication")

    monkeypatch.setattr(selftest_dialog, "show_report", no_window)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _menu_item("Self-test")["command"]()  # nothing raises into Maya
    ((title, text),) = fake().dialogs
    assert title == "Overshoulder self-test"
    assert "Overshoulder self-test in maya" in text and "Saved as " + str(tmp_path) in text


def test_when_the_report_cannot_be_saved_it_is_shown_unsaved_in_mayas_message_box(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.core import selftest as core_selftest
    from overshoulder.core.ui import selftest_dialog

    shown: list[Any] = []

    def full_disk(self: Any, folder: Any = None) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core_selftest.Report, "write", full_disk)
    monkeypatch.setattr(selftest_dialog, "show_report", lambda *a, **k: shown.append(a))
    _menu_item("Self-test")["command"]()
    ((_title, text),) = fake().dialogs
    assert "the report could not be saved: OSError" in text and "[PASS]" in text
    assert shown == []


def test_when_the_self_test_cannot_run_maya_says_so_and_nothing_raises(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.maya import selftest

    def cannot(*_: Any) -> Any:
        raise ImportError("no module named overshoulder.core.model")

    monkeypatch.setattr(selftest, "run", cannot)
    _menu_item("Self-test")["command"]()
    ((_title, text),) = fake().dialogs
    assert text.startswith("Overshoulder: the self-test could not run: ImportError")


def test_when_the_self_test_cannot_even_be_imported_maya_says_so(
    gui: dict[str, str], cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    item = _menu_item("Self-test")
    monkeypatch.setitem(sys.modules, "overshoulder.plugins.maya.selftest", None)
    item["command"]()  # ImportError inside: nothing raises into Maya
    ((_title, text),) = fake().dialogs
    assert text.startswith("Overshoulder: the self-test could not start: ModuleNotFoundError")

"""The Resolve self-test on the fake: it passes, it measures GetEndFrame in either convention,
a refused call fails its own check and the rest still run, and the editor's state comes back."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from overshoulder.plugins.resolve import defaults, selftest
from tests.fakes import resolve_control
from tests.fakes.resolve_control import REEL_START

ALL = [
    "connection",
    "scratch_timeline",
    "end_frame",
    "call_cost",
    "playhead_poll",
    "playhead",
    "markers",
    "still",
    "otio_export",
    "restore",
]


def statuses(report: Any) -> dict[str, str]:
    return {c.name: c.status for c in report.checks}


def result(report: Any, name: str) -> Any:
    return next(c for c in report.checks if c.name == name)


def editor_state(resolve: Any) -> tuple[Any, ...]:
    project = resolve.manager.project
    return (
        resolve.page,
        project.current,
        project.current.frame() if project.current else None,
        list(project.timelines),
        list(project.pool.root.clips),
        {k: dict(v) for k, v in project.current.markers.items()} if project.current else {},
    )


@pytest.fixture
def busy_resolve() -> Any:
    """The fake Resolve with the editor at work: playhead on frame 30, a marker of theirs."""
    resolve = resolve_control.open_resolve()
    timeline = resolve_control.timeline(resolve)
    timeline.seek(REEL_START + 30)
    timeline.AddMarker(12.0, "Red", "editor's", "keep", 1.0, "theirs")
    yield resolve
    resolve_control.not_running()


def test_the_self_test_passes_on_the_fake_and_puts_everything_back(busy_resolve: Any) -> None:
    dvr = resolve_control.install()
    before = editor_state(busy_resolve)
    dvr.threads.clear()
    report = selftest.run()
    assert [c.name for c in report.checks] == ALL
    assert report.ok, report.to_text()
    assert set(statuses(report).values()) == {"pass"}
    assert editor_state(busy_resolve) == before
    # Every call went through the adapter's one thread, as the adapter makes them.
    assert set(dvr.threads) == {"overshoulder-resolve"}
    end = result(report, "end_frame").figures
    assert end["convention"] == "after_last" and end["item_duration"] == defaults.SELFTEST_FRAMES
    cost = result(report, "call_cost").figures
    assert cost["call_count"] == defaults.SELFTEST_CALLS
    assert cost["call_worst_ms"] >= cost["call_median_ms"]
    assert result(report, "connection").figures["edition"] == "Studio"
    assert result(report, "markers").figures["anchor_clip"].startswith("overshoulder_selftest_")
    assert result(report, "still").figures["width"] == resolve_control.WIDTH


@pytest.mark.parametrize("end_frame", ["after_last", "last"])
def test_the_end_frame_convention_is_measured_in_both_conventions(
    end_frame: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve_control.open_resolve(end_frame=end_frame)
    try:
        monkeypatch.setattr(defaults, "END_FRAME_AFTER_LAST", end_frame == "after_last")
        assumed_right = selftest.run()
        monkeypatch.setattr(defaults, "END_FRAME_AFTER_LAST", end_frame != "after_last")
        assumed_wrong = selftest.run()
    finally:
        resolve_control.not_running()
    right = result(assumed_right, "end_frame")
    assert right.status == "pass" and right.figures["convention"] == end_frame
    assert assumed_right.ok, assumed_right.to_text()
    wrong = result(assumed_wrong, "end_frame")
    assert wrong.status == "fail" and wrong.figures["convention"] == end_frame
    flag = end_frame == "after_last"
    assert f"set END_FRAME_AFTER_LAST = {flag} in plugins/resolve/defaults.py" in wrong.detail
    assert result(assumed_wrong, "restore").status == "pass"


def test_a_refused_call_fails_its_check_and_the_others_still_run(
    busy_resolve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dvr = resolve_control.install()
    before = editor_state(busy_resolve)
    monkeypatch.setattr(dvr.Project, "ExportCurrentFrameAsStill", lambda self, path: False)
    report = selftest.run()
    still = result(report, "still")
    assert still.status == "fail"
    assert still.detail == "ExportCurrentFrameAsStill wrote no still on the edit page"
    assert {k: v for k, v in statuses(report).items() if k != "still"} == dict.fromkeys(
        [n for n in ALL if n != "still"], "pass"
    )
    assert not report.ok and editor_state(busy_resolve) == before


def test_a_call_that_raises_is_reported_with_its_error(
    busy_resolve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dvr = resolve_control.install()

    def broken(self: Any, *args: Any) -> bool:
        raise RuntimeError("the export went wrong")

    monkeypatch.setattr(dvr.Timeline, "Export", broken)
    report = selftest.run()
    otio = result(report, "otio_export")
    assert otio.status == "fail" and otio.detail == "RuntimeError: the export went wrong"
    assert otio.error and "the export went wrong" in otio.error
    assert result(report, "restore").status == "pass"


def test_an_unknown_method_in_this_resolve_fails_its_check_by_name(
    busy_resolve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Resolve without a method the adapter calls (an older version): None, not callable."""
    from tests.fakes import resolve_vocabulary

    terms = dict(resolve_vocabulary.VOCABULARY.terms)
    terms["method:MediaPool"] = {
        k: v for k, v in terms["method:MediaPool"].items() if k != "CreateEmptyTimeline"
    }
    monkeypatch.setattr(resolve_vocabulary.VOCABULARY, "terms", terms)
    before = editor_state(busy_resolve)
    report = selftest.run()
    scratch = result(report, "scratch_timeline")
    assert scratch.status == "fail"
    assert scratch.detail == "TypeError: 'NoneType' object is not callable"
    assert "CreateEmptyTimeline" in (scratch.error or "")
    assert statuses(report)["end_frame"] == "skip"
    assert statuses(report)["restore"] == "pass"
    assert editor_state(busy_resolve) == before


def test_from_a_page_without_a_playhead_it_works_on_edit_and_goes_back(busy_resolve: Any) -> None:
    busy_resolve.OpenPage("fusion")
    report = selftest.run()
    assert report.ok, report.to_text()
    assert busy_resolve.page == "fusion"


def test_a_resolve_that_cannot_be_reached_is_a_failed_check_not_an_error() -> None:
    resolve_control.not_running()
    report = selftest.run()
    [check] = report.checks
    assert check.name == "connection" and check.status == "fail"
    assert "could not reach DaVinci Resolve" in check.detail


def test_the_menus_app_is_used_and_said(busy_resolve: Any) -> None:
    dvr = resolve_control.install()
    report = selftest.run(app=dvr.App(busy_resolve))
    assert report.ok and result(report, "connection").figures["way"] == "menu"


def test_the_terminal_entry_writes_both_reports(
    busy_resolve: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert selftest.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "[PASS] GetEndFrame" in out and "10 passed, 0 failed" in out
    assert len(list(tmp_path.glob("overshoulder-selftest-resolve-*.txt"))) == 1
    assert len(list(tmp_path.glob("overshoulder-selftest-resolve-*.json"))) == 1
    resolve_control.not_running()
    assert selftest.main(["--out", str(tmp_path)]) == 1


def test_the_menu_entry_shows_the_report_and_saves_it(
    busy_resolve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from tests.ui.qt import app, pump

    dvr = resolve_control.install()
    app()  # Resolve's script process has its Qt; here the tests' offscreen one
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    from overshoulder.core.ui import selftest_dialog

    shown: list[Any] = []
    real = selftest_dialog.show_report
    monkeypatch.setattr(
        selftest_dialog,
        "show_report",
        lambda r, p, parent=None: shown.append(real(r, p)) or shown[-1],
    )
    assert selftest.menu_main(dvr.App(busy_resolve)) == 0
    pump()
    [window] = shown
    assert window.isVisible() and window.windowTitle() == "Overshoulder self-test"
    assert "[PASS] GetEndFrame" in window.text.toPlainText()
    [text] = (tmp_path / "overshoulder-selftest").glob("*.txt")
    assert "way = menu" in text.read_text()
    window.close()


# --- the menu entry never raises into Resolve ---------------------------------------------------


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the menu entry said in Resolve's Console / message box (``selftest.tell``)."""
    said: list[str] = []
    monkeypatch.setattr(selftest, "tell", said.append, raising=False)
    return said


def test_the_menu_entry_tells_the_report_when_it_cannot_be_saved(
    busy_resolve: Any, told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.core.selftest import Report

    def full_disk(self: Any, folder: Any = None) -> tuple[str, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Report, "write", full_disk)
    dvr = resolve_control.install()
    assert selftest.menu_main(dvr.App(busy_resolve)) == 0
    [text] = told
    assert "[PASS] GetEndFrame" in text
    assert "the report could not be saved: OSError" in text and "No space left" in text


def test_the_menu_entry_tells_the_report_when_no_window_opens(
    busy_resolve: Any, told: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_window(report: Any, paths: Any) -> None:
        raise ImportError("No module named 'PySide6'")

    monkeypatch.setattr(selftest, "show", no_window)
    dvr = resolve_control.install()
    assert selftest.menu_main(dvr.App(busy_resolve), out=str(tmp_path)) == 0
    [text] = told
    assert "10 passed, 0 failed" in text
    [saved] = tmp_path.glob("overshoulder-selftest-resolve-*.txt")
    assert f"Saved as {saved}" in text


def test_the_menu_entry_says_when_the_self_test_cannot_run(
    told: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(app: Any = None) -> Any:
        raise RuntimeError("the scripting module is half loaded")

    monkeypatch.setattr(selftest, "run", broken)
    assert selftest.menu_main(None) == 1
    assert told == [
        "Overshoulder: the self-test could not run: RuntimeError: the scripting module is half "
        "loaded"
    ]


# --- not while a session is shared ---------------------------------------------------------------


def test_it_refuses_to_run_while_a_window_here_is_in_a_session(
    busy_resolve: Any, config_folder: Path
) -> None:
    from overshoulder.plugins.resolve.session_flag import SessionFlag

    dvr = resolve_control.install()
    before = editor_state(busy_resolve)
    SessionFlag(config_folder / "resolve", pid=4242).update(in_session=True, sharing=True)
    dvr.calls.clear()
    report = selftest.run()
    [check] = report.checks
    assert (check.name, check.status) == ("in_session", "fail")
    assert "is in a review session and shares its viewer" in check.detail
    assert "Stop sharing first" in check.detail
    assert report.extra == {"in_session": True, "sharing": True}
    assert not dvr.calls  # nothing asked of Resolve, nothing made or moved
    assert editor_state(busy_resolve) == before


def test_out_of_a_session_the_report_says_so(busy_resolve: Any) -> None:
    report = selftest.run()
    assert report.ok and report.extra["in_session"] is False and report.extra["sharing"] is False


def test_a_flag_is_fresh_while_beaten_and_gone_once_the_session_ends(tmp_path: Path) -> None:
    from overshoulder.plugins.resolve.session_flag import SessionFlag, sessions_open

    now = [1000.0]
    flag = SessionFlag(tmp_path, pid=7, clock=lambda: now[0])
    flag.update(in_session=True, sharing=False)
    assert sessions_open(tmp_path, now=now[0]) == [{"pid": 7, "sharing": False, "beat": 1000.0}]
    # A window that died without removing it: stale after SESSION_FLAG_STALE_S.
    assert sessions_open(tmp_path, now=now[0] + defaults.SESSION_FLAG_STALE_S + 1) == []
    now[0] += defaults.SESSION_FLAG_BEAT_S  # the next beat rewrites it
    flag.update(in_session=True, sharing=True)
    late = now[0] + defaults.SESSION_FLAG_STALE_S - 1
    assert sessions_open(tmp_path, now=late) == [{"pid": 7, "sharing": True, "beat": now[0]}]
    flag.update(in_session=False, sharing=False)
    assert sessions_open(tmp_path, now=now[0]) == [] and not list(tmp_path.iterdir())


def test_the_window_keeps_its_flag_while_in_a_session(resolve: Any, tmp_path: Path) -> None:
    from overshoulder.plugins.resolve.host import ResolveHost
    from overshoulder.plugins.resolve.session_flag import SessionFlag, sessions_open
    from overshoulder.plugins.resolve.window import ResolveWindow
    from tests.ui.qt import app

    app()
    host = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "notes")
    window = ResolveWindow(host, session_flag=SessionFlag(tmp_path / "flags"))
    # In a session with no relay here: a stand-in for the share (held by the panel's model).
    in_session = SimpleNamespace(client=object(), sharing=True)
    try:
        window.beat()
        assert sessions_open(tmp_path / "flags") == []
        window.model.share = in_session  # type: ignore[assignment]
        window.beat()
        [flag] = sessions_open(tmp_path / "flags")
        assert flag["sharing"] is True
        window.model.share = None
        window.beat()
        assert sessions_open(tmp_path / "flags") == []
        in_session.sharing = False
        window.model.share = in_session  # type: ignore[assignment]
        window.beat()
        [flag] = sessions_open(tmp_path / "flags")
        assert flag["sharing"] is False
        window.model.share = None
        window.close()  # closing removes it too
        assert sessions_open(tmp_path / "flags") == []
    finally:
        host.close()


# --- what the self-test made goes, whatever stops it -------------------------------------------


def test_what_it_made_is_deleted_when_the_checks_stop_before_the_restore(
    busy_resolve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.core import selftest as core_selftest

    before = editor_state(busy_resolve)
    ran: list[str] = []

    def stops_halfway(app: str, version: str, checks: Any, extra: Any = None) -> Any:
        for check in checks:
            if check.name == "markers":
                raise RuntimeError("the runner stopped")
            ran.append(core_selftest.run_check(check).status)
        raise AssertionError("the markers check was not reached")

    monkeypatch.setattr(selftest, "run_checks", stops_halfway)
    with pytest.raises(RuntimeError, match="the runner stopped"):
        selftest.run()
    assert ran == ["pass"] * 6  # the scratch timeline was made and used
    assert editor_state(busy_resolve) == before


def test_the_self_test_uses_no_private_state_of_the_host() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(selftest))
    private = sorted(
        {
            f"{ast.unparse(node.value)}.{node.attr}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and ast.unparse(node.value).split(".")[-1] == "host"
        }
    )
    assert private == []

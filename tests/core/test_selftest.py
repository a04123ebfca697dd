"""The self-test runner: every check reported, a failing one never stops the others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from overshoulder.core.selftest import (
    Check,
    CheckFailed,
    CheckSkipped,
    MainThreadMeter,
    cli_main,
    run_checks,
    run_from_menu,
    single_failure,
    terminal_main,
    timed,
    timing_figures,
)


def _checks(ran: list[str]) -> list[Check]:
    def ok(figures: dict) -> str:
        ran.append("ok")
        figures["captures"] = 10
        return "ten captures"

    def refused(figures: dict) -> None:
        ran.append("refused")
        figures["tried"] = 1
        raise CheckFailed("setValue('4:2:0') refused: ValueError", knob="_jpeg_sub_sampling")

    def crashes(figures: dict) -> None:
        ran.append("crashes")
        raise KeyError("nosuch")

    def not_here(figures: dict) -> None:
        ran.append("not_here")
        raise CheckSkipped("no GUI under nuke -t")

    return [
        Check("capture", "Capture", ok),
        Check("write", "Write node", refused),
        Check("crash", "Unexpected", crashes),
        Check("viewer", "Viewer widget", not_here),
    ]


def test_a_failing_or_raising_check_is_reported_and_the_next_one_still_runs() -> None:
    ran: list[str] = []
    report = run_checks("fakeapp", "1.0", _checks(ran), extra={"edition": "Studio"})
    assert ran == ["ok", "refused", "crashes", "not_here"]
    by_name = {c.name: c for c in report.checks}
    assert by_name["capture"].status == "pass" and by_name["capture"].figures == {"captures": 10}
    assert by_name["write"].status == "fail"
    assert by_name["write"].figures == {"tried": 1, "knob": "_jpeg_sub_sampling"}
    assert "4:2:0" in by_name["write"].detail and by_name["write"].error is None
    assert by_name["crash"].status == "fail" and by_name["crash"].detail == "KeyError: 'nosuch'"
    assert "Traceback" in (by_name["crash"].error or "")
    assert by_name["viewer"].status == "skip"
    assert not report.ok and [c.name for c in report.failed] == ["write", "crash"]
    assert report.counts() == {"pass": 1, "fail": 2, "skip": 1}


def test_the_report_says_where_it_ran_in_text_and_json(tmp_path: Path) -> None:
    report = run_checks("fakeapp", "15.0v1", _checks([]), extra={"edition": "Studio"})
    text = report.to_text()
    assert "fakeapp 15.0v1" in text and "edition: Studio" in text
    assert "[FAIL] Write node (write" in text and "knob = _jpeg_sub_sampling" in text
    assert "1 passed, 2 failed, 1 skipped of 4 checks" in text
    text_path, json_path = report.write(str(tmp_path))
    data = json.loads(Path(json_path).read_text())
    assert data["app"] == "fakeapp" and data["python"] and data["os"]
    assert data["summary"] == {"pass": 1, "fail": 2, "skip": 1}
    assert [c["status"] for c in data["checks"]] == ["pass", "fail", "fail", "skip"]
    assert Path(text_path).read_text() == text


def test_the_terminal_entry_exits_non_zero_when_a_check_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failing = run_checks("fakeapp", "1", _checks([]))
    assert cli_main(failing, str(tmp_path / "a")) == 1
    assert "Report written to" in capsys.readouterr().out
    passing = run_checks("fakeapp", "1", [Check("x", "X", lambda f: None)])
    assert cli_main(passing, str(tmp_path / "b")) == 0
    assert len(list((tmp_path / "b").glob("*.json"))) == 1


def test_timings_give_median_worst_and_count() -> None:
    assert timing_figures("capture", [0.010, 0.030, 0.020]) == {
        "capture_median_ms": pytest.approx(20.0),
        "capture_worst_ms": pytest.approx(30.0),
        "capture_count": 3,
    }
    assert timing_figures("none", []) == {"none_count": 0}
    meter = MainThreadMeter()
    for _ in range(3):
        with meter.on_main():
            pass
    figures = meter.figures("main")
    assert figures["main_count"] == 3 and figures["main_total_ms"] >= 0.0


def test_timed_records_milliseconds_even_when_the_block_raises() -> None:
    figures: dict = {}
    with timed(figures, "call_ms"):
        pass
    assert figures["call_ms"] >= 0.0
    with pytest.raises(KeyError), timed(figures, "failed_ms"):
        raise KeyError("x")
    assert "failed_ms" in figures


def test_a_report_of_one_failure_names_why_nothing_could_run() -> None:
    report = single_failure("resolve", "?", "connect", "Reach Resolve", "Resolve is not running")
    assert not report.ok and report.checks[0].detail == "Resolve is not running"


def test_the_menu_entry_shows_the_report_or_falls_back_and_never_raises(tmp_path: Path) -> None:
    told: list[str] = []
    shown: list[tuple] = []
    good = lambda: run_checks("app", "1", [Check("a", "A", lambda f: None)])  # noqa: E731
    assert run_from_menu(good, lambda r, p: shown.append(p), told.append, str(tmp_path))
    assert shown and Path(shown[0][1]).exists() and told == []

    def no_window(report, paths):
        raise ImportError("No module named 'Qt'")

    assert run_from_menu(good, no_window, told.append, str(tmp_path)) is not None
    assert "[PASS] A" in told[-1] and "Saved as" in told[-1]
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert run_from_menu(good, lambda r, p: shown.append(p), told.append, str(blocked))
    assert "could not be saved" in told[-1] and "[PASS] A" in told[-1]

    def broken():
        raise RuntimeError("no scratch node")

    assert run_from_menu(broken, no_window, told.append) is None
    assert told[-1] == "Overshoulder: the self-test could not run: RuntimeError: no scratch node"

    def tell_fails(text):
        raise RuntimeError("no message box either")

    assert run_from_menu(broken, no_window, tell_fails) is None  # still nothing raised


def test_the_terminal_entry_says_when_the_self_test_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(args):
        assert args.rounds == 3
        return run_checks("app", "1", [Check("a", "A", lambda f: None)])

    def more(parser):
        parser.add_argument("--rounds", type=int, default=10)

    assert terminal_main(run, "t", "d", ["--out", str(tmp_path), "--rounds", "3"], more) == 0

    def unreachable(args):
        raise ConnectionError("Resolve is not running")

    assert terminal_main(unreachable, "t", "d", []) == 2
    assert "could not run: ConnectionError: Resolve is not running" in capsys.readouterr().err

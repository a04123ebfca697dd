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

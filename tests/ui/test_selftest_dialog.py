"""The self-test window the apps' menus open: the report, its files, Copy."""

from __future__ import annotations

from pathlib import Path

from overshoulder.core.selftest import Check, CheckFailed, run_checks

from .qt import QtWidgets, app, pump


def _failing(figures: dict) -> None:
    raise CheckFailed("the Write node refused '4:2:0'")


def test_the_window_shows_the_verdict_the_report_and_where_it_was_saved(tmp_path: Path) -> None:
    from overshoulder.core.ui.selftest_dialog import show_report

    app()
    report = run_checks(
        "fakeapp", "1.0", [Check("a", "Capture", lambda f: None), Check("b", "Write", _failing)]
    )
    paths = report.write(str(tmp_path))
    window = show_report(report, paths)
    pump()
    assert window.isVisible()
    assert "1 check(s) failed" in window.summary.text()
    assert "[FAIL] Write" in window.text.toPlainText()
    assert paths[1] in window.where.text()
    window.copy_button.click()
    assert "refused '4:2:0'" in QtWidgets.QApplication.clipboard().text()
    window.grab().save(str(tmp_path / "selftest-window.png"))
    assert (tmp_path / "selftest-window.png").stat().st_size > 0
    window.close()

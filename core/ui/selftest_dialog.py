"""The window the apps' "Self-test" menu entries open: the report, where it was saved, Copy."""

from __future__ import annotations

from typing import Any, Optional

from Qt import QtCore, QtGui, QtWidgets

from ..selftest import Report

#: Windows kept alive while shown (a window nobody holds would be collected at once).
_open: list[Any] = []


class SelfTestWindow(QtWidgets.QDialog):
    """The text of a self-test report, the two files it was written to, and Copy / Close."""

    def __init__(self, report: Report, paths: tuple[str, str], parent: Optional[Any] = None):
        super().__init__(parent)
        self.report = report
        counts = report.counts()
        self.setWindowTitle(f"Overshoulder self-test: {report.app}")
        self.resize(720, 560)
        layout = QtWidgets.QVBoxLayout(self)

        verdict = "Every check passed." if report.ok else f"{counts['fail']} check(s) failed."
        self.summary = QtWidgets.QLabel(
            f"<b>{verdict}</b> {counts['pass']} passed, {counts['fail']} failed, "
            f"{counts['skip']} skipped."
        )
        layout.addWidget(self.summary)

        self.text = QtWidgets.QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlainText(report.to_text())
        self.text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.FixedFont))
        layout.addWidget(self.text, 1)

        self.where = QtWidgets.QLabel(
            "Saved as\n" + "\n".join(paths) + "\nAttach the .json file to a bug report."
        )
        self.where.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.where)

        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        self.copy_button = QtWidgets.QPushButton("Copy report")
        self.copy_button.clicked.connect(self.copy)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def copy(self) -> None:
        """Put the text report on the clipboard."""
        QtWidgets.QApplication.clipboard().setText(self.report.to_text())

    def closeEvent(self, event: Any) -> None:
        if self in _open:
            _open.remove(self)
        super().closeEvent(event)


def show_report(report: Report, paths: tuple[str, str], parent: Optional[Any] = None) -> Any:
    """Open the report's window (not modal: the app stays usable) and return it."""
    window = SelfTestWindow(report, paths, parent)
    _open.append(window)
    window.show()
    return window

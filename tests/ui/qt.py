"""Qt for the UI tests: one offscreen QApplication per process, and waiting that pumps events."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import Qt
from Qt import QtCore, QtGui, QtWidgets

__all__ = ["QtCore", "QtGui", "QtWidgets", "app", "pump", "wait_for"]

_app: Any = None


def _check_none_is_kept() -> None:
    """Fail clearly on a PySide6 that drops a reference to None per void call (6.12.0 on
    Python 3.11): the interpreter would abort later, mid-run, with "deallocating None"."""
    if sys.version_info >= (3, 12) or Qt.__binding__ != "PySide6":
        return
    probe = QtCore.QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setObjectName("probe")
    if sys.getrefcount(None) < before:
        raise RuntimeError(
            f"PySide6 {Qt.__binding_version__} leaks references to None on Python 3.11; "
            "install the version setup.py pins (PySide6-Essentials<6.12)"
        )


def app() -> Any:
    """The process's QApplication (made on first use)."""
    global _app
    existing = QtWidgets.QApplication.instance()
    if existing is not None:
        return existing
    _app = QtWidgets.QApplication(["overshoulder-tests"])
    _check_none_is_kept()
    return _app


def pump(seconds: float = 0.0) -> None:
    """Process Qt events for ``seconds`` (at least once)."""
    deadline = time.monotonic() + seconds
    while True:
        app().processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if time.monotonic() >= deadline:
            return
        time.sleep(0.005)


def wait_for(cond: Callable[[], object], timeout: float = 10.0) -> bool:
    """Like tests/waiting.py's ``wait_for``, but the GUI thread keeps processing events."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pump()
        if cond():
            return True
        time.sleep(0.01)
    pump()
    return bool(cond())

"""Qt for the UI tests: one offscreen QApplication per process, and waiting that pumps events."""

from __future__ import annotations

import ctypes
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


def _keep_none_alive() -> None:
    """Work around PySide6 6.12 on Python 3.11 dropping a reference to None per void call.

    Python 3.12 made None immortal, which hides it there; on 3.11 None's count
    reaches zero within a test run and Python aborts ("deallocating None"). When
    the leak shows, None gets the references it is owed in bulk, as 3.12 would.
    """
    if sys.version_info >= (3, 12) or Qt.__binding__ != "PySide6":
        return
    probe = QtCore.QObject()
    before = sys.getrefcount(None)
    for _ in range(100):
        probe.setObjectName("probe")
    if sys.getrefcount(None) < before:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


def app() -> Any:
    """The process's QApplication (made on first use)."""
    global _app
    existing = QtWidgets.QApplication.instance()
    if existing is not None:
        return existing
    _app = QtWidgets.QApplication(["overshoulder-tests"])
    _keep_none_alive()
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

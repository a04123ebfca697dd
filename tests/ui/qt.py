"""Qt for the UI tests: one offscreen QApplication per process, and waiting that pumps events."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from Qt import QtCore, QtWidgets  # noqa: E402 - the platform must be chosen first

_app: Any = None


def app() -> Any:
    """The process's QApplication (made on first use)."""
    global _app
    existing = QtWidgets.QApplication.instance()
    if existing is not None:
        return existing
    _app = QtWidgets.QApplication(["overshoulder-tests"])
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

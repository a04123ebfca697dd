"""An app's main thread for the FAKE apps (tests only): a loop thread, or the Qt GUI thread.

Each fake app keeps a queue of work posted to its main thread (``executeInMainThread``,
``executeDeferred``) in a state object with ``main_thread``, ``run_next(timeout)`` and
``drain()``; these drive it the same way for every fake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class MainLoop:
    """The app's main thread as a thread of its own: runs what was posted to it, in order."""

    def __init__(self, state: Callable[[], Any], name: str) -> None:
        self._state = state
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> MainLoop:
        self._state().main_thread = self.thread
        self.thread.start()
        return self

    def _run(self) -> None:
        state = self._state()
        while not self._stop.is_set():
            state.run_next(timeout=0.05)

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)
        if self._state().main_thread is self.thread:
            self._state().main_thread = None


class QtMainThread:
    """The Qt GUI thread (the caller's) as the app's main thread: a timer drains the queue."""

    def __init__(self, state: Callable[[], Any], interval_ms: int = 5) -> None:
        from Qt import QtCore

        self._state = state
        state().main_thread = threading.current_thread()
        self.timer = QtCore.QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(state().drain)
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self._state().main_thread = None


def call_on_main(
    main: Any, post: Callable[[Callable[[], None]], Any], fn: Callable[[], Any], timeout: float
) -> Any:
    """Run ``fn`` on ``main`` (through ``post``) and return its result or raise its error;
    at once when there is no main thread yet or the caller is on it."""
    if main is None or threading.current_thread() is main:
        return fn()
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    post(run)
    if not done.wait(timeout):
        raise TimeoutError("the fake app's main thread did not run the call")
    if "error" in box:
        raise box["error"]
    return box.get("value")

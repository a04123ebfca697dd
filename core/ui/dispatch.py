"""Getting work onto the Qt GUI thread and off it.

``GuiDispatcher.post`` is a ``SessionClient`` dispatch: called from any thread,
it queues the callback through a queued signal of a QObject living on the GUI
thread, so it runs there, in order, from the event loop. ``in_background``
runs blocking work (HTTP calls, closing a client) on a worker thread and hands
its result or error back the same way. The GUI thread never waits for either.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, Optional

from Qt import QtCore

log = logging.getLogger("overshoulder.ui")


class GuiDispatcher(QtCore.QObject):
    """Runs callables on the thread this object lives on (make it on the GUI thread)."""

    _posted = QtCore.Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._closed = False
        self._home = threading.get_ident()
        self._posted.connect(self._run, QtCore.Qt.ConnectionType.QueuedConnection)

    def post(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` to run on the GUI thread soon; never waits. Dropped once closed."""
        if self._closed:
            return
        try:
            self._posted.emit(fn)
        except RuntimeError:  # the QObject is gone (the panel was destroyed)
            self._closed = True

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` now when already on the GUI thread (no second hop), else ``post`` it."""
        if threading.get_ident() == self._home:
            self._run(fn)
        else:
            self.post(fn)

    def close(self) -> None:
        """Drop what is posted from now on (the receiver is going away)."""
        self._closed = True

    def _run(self, fn: Any) -> None:
        if self._closed:
            return
        try:
            fn()
        except Exception:
            log.exception("a callback on the GUI thread failed")

    def in_background(
        self,
        work: Callable[[], Any],
        done: Optional[Callable[[Any], None]] = None,
        failed: Optional[Callable[[BaseException], None]] = None,
        name: str = "overshoulder-ui-work",
    ) -> threading.Thread:
        """Run ``work()`` on a worker thread; ``done(result)`` or ``failed(error)`` on this one."""

        def run() -> None:
            try:
                result = work()
            except Exception as exc:
                if failed is not None:
                    self.post(lambda f=failed, e=exc: f(e))  # type: ignore[misc]
                else:
                    log.warning("%s failed: %s", name, exc)
                return
            if done is not None:
                self.post(lambda d=done, r=result: d(r))  # type: ignore[misc]

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread


class SerialWorker:
    """One worker thread that runs jobs in order, each ``done(result)`` back on the GUI thread.

    The thread exists only while there is work: it starts with the first job and ends once
    idle for ``idle_s``, so a panel closed and opened again (Maya's dock) leaves no thread
    behind. A job that raises is logged (as ``what``) and its ``done`` gets None.
    """

    def __init__(self, gui: GuiDispatcher, name: str, what: str, idle_s: float = 2.0) -> None:
        self._gui = gui
        self._name = name
        self._what = what
        self._idle_s = idle_s
        self._jobs: queue.Queue[tuple[Callable[[], Any], Optional[Callable[[Any], None]]]] = (
            queue.Queue()
        )
        self._busy = 0
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    def submit(self, work: Callable[[], Any], done: Optional[Callable[[Any], None]] = None) -> None:
        with self._lock:
            self._busy += 1
            self._jobs.put((work, done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                work, done = self._jobs.get(timeout=self._idle_s)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            result: Any = None
            try:
                result = work()
            except Exception:
                log.exception("%s failed", self._what)
            with self._lock:
                self._busy -= 1
            if done is not None:
                self._gui.post(lambda d=done, r=result: d(r))  # type: ignore[misc]

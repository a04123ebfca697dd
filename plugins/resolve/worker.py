"""The one thread that talks to Resolve: the adapter's "main thread".

Resolve's scripting API is a proxy over IPC to the Resolve process, callable from any
thread of an external script. The adapter still makes every call from this single
thread, in order: nothing runs two calls into Resolve at once, the Qt panel (on the GUI
thread) never waits for Resolve, and Resolve has no events to deliver anywhere else.
``post`` queues a call; periodic tasks (the polls) run between queued calls.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("overshoulder.resolve")


@dataclass
class _Periodic:
    interval: float
    fn: Callable[[], None]
    due: float = 0.0


class AdapterThread:
    """Runs posted calls in order and periodic tasks at their intervals, on one daemon thread."""

    def __init__(self, name: str = "overshoulder-resolve") -> None:
        self._calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self._periodic: list[_Periodic] = []
        self._closed = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on this thread soon, after the calls posted before it."""
        self._calls.put(fn)

    def every(self, interval: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` every ``interval`` seconds (between posted calls) until ``close``."""
        self._periodic.append(_Periodic(interval, fn, time.monotonic() + interval))

    def is_current(self) -> bool:
        return threading.current_thread() is self.thread

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the call running now; calls still queued are dropped."""
        self._closed.set()
        self._calls.put(lambda: None)
        if not self.is_current():
            self.thread.join(timeout)

    def _run(self) -> None:
        while not self._closed.is_set():
            now = time.monotonic()
            wait = min((p.due for p in self._periodic), default=now + 0.5) - now
            try:
                fn = self._calls.get(timeout=max(0.0, wait))
            except queue.Empty:
                fn = None
            if fn is not None:
                self._call(fn)
                if not self._calls.empty():
                    continue  # queued calls first: they are what someone waits for
            now = time.monotonic()
            for p in self._periodic:
                if p.due <= now and not self._closed.is_set():
                    p.due = now + p.interval
                    self._call(p.fn)

    @staticmethod
    def _call(fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:
            log.exception("a call into Resolve failed")

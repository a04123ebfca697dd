"""The player's main thread: a queue of calls and a timer, standing in for an app's UI thread."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Optional

log = logging.getLogger("overshoulder.player")


class MainLoop:
    """One thread that runs posted calls in order, and ``tick`` between them.

    ``tick()`` returns how many seconds may pass before it must run again
    (None: only after the next posted call). A call that raises is logged and
    the loop goes on, as an app's event loop does.
    """

    def __init__(self, tick: Callable[[], Optional[float]], name: str = "overshoulder-player-main"):
        self._tick = tick
        self._calls: queue.SimpleQueue[Optional[Callable[[], None]]] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def on_thread(self) -> bool:
        """True when called from the main thread itself."""
        return threading.current_thread() is self._thread

    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the main thread soon; never waits. Dropped once closed."""
        if not self._closed.is_set():
            self._calls.put(fn)

    def close(self, timeout: float = 5.0) -> None:
        """Run what is queued, then end the thread."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._calls.put(None)
        if not self.on_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            wait = self._safe_tick()
            try:
                fn = self._calls.get(timeout=wait)
            except queue.Empty:
                continue
            if fn is None:
                return
            try:
                fn()
            except Exception:
                log.exception("a call on the player's main thread failed")

    def _safe_tick(self) -> Optional[float]:
        try:
            return self._tick()
        except Exception:
            log.exception("the player's clock failed")
            return 0.5

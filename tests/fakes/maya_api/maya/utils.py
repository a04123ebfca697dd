"""A FAKE of ``maya.utils``: running Python on Maya's main thread, for tests only.

``executeDeferred`` queues a call for the main thread's next idle moment and returns at
once, from any thread; ``executeInMainThreadWithResult`` runs it there and waits (at once
when called on the main thread). The queue is drained by whatever stands in for Maya's event
loop (``tests.fakes.maya_control``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from ._fake import state


def executeDeferred(fn: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(fn, str):
        code = fn
        state.defer(lambda: exec(code, {}))
        return
    state.defer(lambda: fn(*args, **kwargs))


def executeInMainThreadWithResult(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    main = state.main_thread
    if main is None or threading.current_thread() is main:
        return fn(*args, **kwargs)
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    state.defer(run)
    done.wait()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def processIdleEvents() -> None:
    state.check_thread("maya.utils.processIdleEvents")
    state.drain()

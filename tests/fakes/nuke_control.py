"""Driving the FAKE Nuke (tests/fakes/nuke_api) from tests: what Nuke has no API for.

``install()`` puts the fake ``nuke``/``nukescripts`` on ``sys.path`` (tests only)
and resets it. Nuke's main thread is either a ``MainLoop`` (a thread that runs
what ``executeInMainThread`` queued, standing in for Nuke's event loop) or,
for tests that show Qt widgets, the Qt GUI thread (``QtMainThread``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

import numpy as np

from . import main_thread

FAKES = Path(__file__).resolve().parent / "nuke_api"


def install(gui: bool = True) -> ModuleType:
    """The fake ``nuke`` module, on ``sys.path``, reset to an empty GUI (or terminal) session."""
    if str(FAKES) not in sys.path:
        sys.path.insert(0, str(FAKES))
    import nuke

    if not hasattr(nuke, "_fake"):
        raise RuntimeError(f"`import nuke` found {nuke.__file__}, not the fake")
    reset(gui=gui)
    return nuke


def fake() -> Any:
    import nuke

    return nuke._fake


def reset(gui: bool = True) -> None:
    """A new session: no nodes, no callbacks, no menus, no main thread."""
    import nuke
    import nukescripts.panels

    state = nuke._fake
    type(state).__init__(state)
    nuke.GUI = gui
    nukescripts.panels._panels.clear()
    nukescripts.panels.registered.clear()


class MainLoop(main_thread.MainLoop):
    """Nuke's main thread: runs what ``executeInMainThread`` queued, in order."""

    def __init__(self) -> None:
        super().__init__(fake, "fake-nuke-main")


class QtMainThread(main_thread.QtMainThread):
    """The Qt GUI thread (the caller's) as Nuke's main thread: a timer drains the queue."""

    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__(fake, interval_ms)


def on_main(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Run ``fn`` on Nuke's main thread and return its result (or raise its error)."""
    import nuke

    return main_thread.call_on_main(fake().main_thread, nuke.executeInMainThread, fn, timeout)


def settle() -> None:
    """Let Nuke go idle once now: the updateUI callbacks run for what changed so far."""
    on_main(fake().idle)


def user_sets(node: Any, knob: str, value: Any) -> None:
    """The artist changes ``node``'s ``knob`` in its open control panel (opened if it is not)."""

    def change() -> None:
        node.showControlPanel()
        node[knob].setValue(value)

    on_main(change)


def build_comp(
    first: int = 1001, last: int = 1010, width: int = 320, height: int = 180, fps: float = 24.0
) -> dict[str, Any]:
    """A small comp viewed by Viewer1: Constant1 -> Blur1 -> Grade1, and an unrelated Blur2."""
    import nuke

    root = nuke.root()
    root["first_frame"].setValue(first)
    root["last_frame"].setValue(last)
    root["fps"].setValue(fps)
    root["format"].setValue(nuke.Format(width, height, f"fake_{width}x{height}"))
    nuke.frame(first)
    constant = nuke.nodes.Constant(color=0.25)
    blur = nuke.nodes.Blur(size=2.0)
    blur.setInput(0, constant)
    grade = nuke.nodes.Grade(white=1.5)
    grade.setInput(0, blur)
    other = nuke.nodes.Blur(size=9.0)
    viewer = nuke.nodes.Viewer()
    viewer.setInput(0, grade)
    for i, n in enumerate([constant, blur, grade, viewer]):
        n.setXYpos(0, i * 100)
    other.setXYpos(300, 0)
    fake().undo_stack.clear()
    return {
        "constant": constant,
        "blur": blur,
        "grade": grade,
        "other": other,
        "viewer": viewer,
    }


def expected_pattern(node: Any, frame: int, width: Optional[int] = None) -> np.ndarray:
    """What the fake renders for ``node`` at ``frame`` (before JPEG), H x W x 3 uint8."""
    import nuke

    def pattern() -> np.ndarray:
        fmt = nuke.root()["format"].value()
        source = nuke.pattern_source(node)
        return nuke.pattern_pixels(source, frame, width or fmt.width(), fmt.height())

    return on_main(pattern)

"""How long a viewport capture costs Maya's main thread: frame buffer read vs one-frame playblast.

Runs inside an interactive Maya (a viewport is needed: mayapy and ``maya -batch`` have none),
with Overshoulder importable (installed with ``overshoulder install maya``). In the Script
Editor (Python tab)::

    import runpy; runpy.run_path("/path/to/overshoulder/bench/maya_capture.py", run_name="__main__")

or from a shell, ``maya -command 'python("import runpy; runpy.run_path(\\"bench/maya_capture.py\\",
run_name=\\"__main__\\")")'``. It opens nothing and changes nothing in the scene: it reads the
active model panel at the current frame ``ROUNDS`` times each way, and prints, per method, the
median and 95th percentile of the main-thread time, and the time to a finished image (RGB
array, or JPEG bytes) on the calling thread. Record the numbers in docs/maya.md with the Maya
version, renderer (Viewport 2.0 / OpenGL Core), GPU and viewport size.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

ROUNDS = 30


def timed(fn: Callable[[], Any], rounds: int) -> tuple[list[float], Any]:
    times, last = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        last = fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return times, last


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{name:<34} median {statistics.median(times):7.2f} ms   p95 {p95:7.2f} ms"


def main() -> int:
    from maya import cmds

    if cmds.about(batch=True):
        print("maya_capture: needs an interactive Maya with a viewport (this is batch)")
        return 2
    from overshoulder.plugins.maya.capture import ViewportGrab, read_back, to_rgb

    print(
        f"Maya {cmds.about(version=True)}, panel {cmds.getPanel(withFocus=True)}, "
        f"frame {cmds.currentTime(query=True)}"
    )
    for method in ("colorbuffer", "playblast"):
        grab = ViewportGrab(method)
        try:
            grab.grab()  # warm-up (first playblast sets things up)
            main_ms, grabbed = timed(grab.grab, ROUNDS)
            if grabbed is None:
                print(f"{method}: no model panel to read")
                continue
            print(f"{method}: {grabbed.width}x{grabbed.height}")
            print(summary("  main thread (grab)", main_ms))

            if grabbed.jpeg_path is not None:
                read_back(grabbed)
                finish_ms, _ = timed(lambda g=grab: len(read_back(g.grab())), ROUNDS)
                print(summary("  grab + read the JPEG back", finish_ms))
            else:
                finish_ms, _ = timed(lambda g=grabbed: to_rgb(g), ROUNDS)
                print(summary("  bytes -> RGB array (off main)", finish_ms))
        finally:
            grab.cleanup()
    return 0


if __name__ == "__main__":
    code = main()
    if code and "maya" not in sys.modules:
        sys.exit(code)

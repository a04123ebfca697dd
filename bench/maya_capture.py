"""How long a viewport capture costs Maya's main thread: frame buffer read vs one-frame playblast.

Runs inside an interactive Maya (a viewport is needed: mayapy and ``maya -batch`` have none),
with Overshoulder importable (installed with ``overshoulder install maya``). In the Script
Editor (Python tab)::

    import runpy; runpy.run_path("/path/to/overshoulder/bench/maya_capture.py", run_name="__main__")

It measures with the self-test's own code (``overshoulder.plugins.maya.selftest.measure_grabs``,
also run by Overshoulder > Self-test, which reports the same figures for 10 reads): it reads
the active model panel at the current frame ``ROUNDS`` times each way and prints, per method,
the median, worst and total of the main-thread time, the time to a finished image off the
main thread, and the redraws that arrived after a read had returned. It changes nothing in the
scene. Record the numbers in docs/maya.md with the Maya version, renderer (Viewport 2.0 /
OpenGL Core), GPU and viewport size.
"""

from __future__ import annotations

import sys
from typing import Any

ROUNDS = 30


def main() -> int:
    from maya import cmds

    if cmds.about(batch=True):
        print("maya_capture: needs an interactive Maya with a viewport (this is batch)")
        return 2
    from overshoulder.plugins.maya.selftest import measure_grabs

    print(f"Maya {cmds.about(version=True)}, panel {cmds.getPanel(withFocus=True)}, {ROUNDS} reads")
    for method in ("colorbuffer", "playblast"):
        figures: dict[str, Any] = {}
        try:
            measure_grabs(method, ROUNDS, figures)
        except Exception as exc:  # reported with what was measured before it
            print(f"{method}: {type(exc).__name__}: {exc}")
        for key, value in figures.items():
            shown = f"{value:9.2f}" if isinstance(value, float) else str(value)
            print(f"  {key:<40} {shown}")
    return 0


if __name__ == "__main__":
    code = main()
    if code and "maya" not in sys.modules:
        sys.exit(code)

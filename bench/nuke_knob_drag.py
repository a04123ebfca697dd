"""What a slider drag costs Nuke's main thread while sharing: renders per second and time blocked.

Runs on the FAKE Nuke of the tests (tests/fakes/nuke_api), which cannot measure Nuke's own
render time: each Write render is given a simulated cost (``--render-ms``, default 40 ms, a
light 1080p comp). The artist drags a Grade's ``white`` in its open panel at 60 values per
second for ``--seconds``; the capture loop does what the Sharer does (a burst of requests
makes one capture, at most one per ``MIN_CAPTURE_INTERVAL_S``). Measured: renders, the main
thread's time inside them per second of drag, and how long after the last value its image
was rendered. "before" is the adapter without coalescing (``knob_drag_interval_s`` 0),
"after" with ``KNOB_DRAG_CAPTURE_INTERVAL_S``.

    python bench/nuke_knob_drag.py                 # 3 runs of 3 s each way
    python bench/nuke_knob_drag.py --runs 5 --render-ms 80
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _relay import command_line, machine_line, table  # noqa: E402

from overshoulder.core.share import MIN_CAPTURE_INTERVAL_S  # noqa: E402
from tests.fakes import nuke_control  # noqa: E402

DRAG_HZ = 60


def one_run(interval_s: float, seconds: float, render_s: float) -> dict[str, float]:
    nuke = nuke_control.install(gui=True)
    nuke._fake.render_cost_s = render_s
    loop = nuke_control.MainLoop().start()
    from overshoulder.plugins.nuke.defaults import KNOB_DRAG_CAPTURE_INTERVAL_S
    from overshoulder.plugins.nuke.host import NukeHost

    comp = nuke_control.on_main(nuke_control.build_comp)
    with tempfile.TemporaryDirectory(prefix="nuke-drag-") as folder:
        host = NukeHost(main_thread=loop.thread, temp_dir=folder)
        host.knob_drag_interval_s = KNOB_DRAG_CAPTURE_INTERVAL_S if interval_s < 0 else interval_s
        blocked: list[tuple[float, float, float]] = []  # (start, end, white rendered)
        render = host._render.render

        def timed_render() -> Any:
            start = time.perf_counter()
            white = float(comp["grade"]["white"].value())
            try:
                return render()
            finally:
                blocked.append((start, time.perf_counter(), white))

        host._render.render = timed_render  # type: ignore[method-assign]
        wanted = threading.Event()
        stop = threading.Event()
        host.events.image_changed = wanted.set
        nuke_control.on_main(host.start)

        def capture_loop() -> None:  # as Sharer._capture_loop does
            last = 0.0
            while not stop.is_set():
                if not wanted.wait(0.05):
                    continue
                wanted.clear()
                wait = MIN_CAPTURE_INTERVAL_S - (time.monotonic() - last)
                if wait > 0:
                    time.sleep(wait)
                last = time.monotonic()
                host.capture()

        worker = threading.Thread(target=capture_loop, daemon=True)
        worker.start()
        nuke_control.on_main(comp["grade"].showControlPanel)
        t0 = time.perf_counter()
        steps = int(seconds * DRAG_HZ)
        for i in range(steps):
            value = 1.0 + (i + 1) / steps
            nuke.executeInMainThread(lambda v=value: comp["grade"]["white"].setValue(v))
            time.sleep(max(0.0, t0 + (i + 1) / DRAG_HZ - time.perf_counter()))
        drag_end = time.perf_counter()
        final = 2.0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(w == final for _, _, w in blocked):
            time.sleep(0.01)
        stop.set()
        worker.join(5)
        nuke_control.on_main(host.stop)
        loop.stop()
    during = [(s, e) for s, e, _ in blocked if s < drag_end]
    busy = sum(min(e, drag_end) - max(s, t0) for s, e in during if e > t0)
    last_render = next((e for _, e, w in blocked if w == final), float("nan"))
    return {
        "renders": float(len(during)),
        "blocked_ms_per_s": busy / (drag_end - t0) * 1000.0,
        "final_after_ms": (last_render - drag_end) * 1000.0,
    }


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--render-ms", type=float, default=40.0)
    args = parser.parse_args(argv)
    from overshoulder.plugins.nuke.defaults import KNOB_DRAG_CAPTURE_INTERVAL_S

    rows = []
    for label, interval in (("before (no coalescing)", 0.0), ("after", -1.0)):
        runs = [one_run(interval, args.seconds, args.render_ms / 1000.0) for _ in range(args.runs)]
        rows.append(
            [
                label,
                summary([r["renders"] / args.seconds for r in runs]),
                summary([r["blocked_ms_per_s"] for r in runs]),
                summary([r["final_after_ms"] for r in runs]),
            ]
        )
    print(
        f"## Nuke: knob drag (fake Nuke, {args.render_ms:.0f} ms per render, "
        f"{DRAG_HZ} values/s for {args.seconds:.0f} s)\n"
    )
    print(machine_line())
    print(command_line())
    print(
        f"\n`KNOB_DRAG_CAPTURE_INTERVAL_S` = {KNOB_DRAG_CAPTURE_INTERVAL_S} s. Median of"
        f" {args.runs} runs (min-max).\n"
    )
    print(
        table(
            [
                "adapter",
                "renders per s of drag",
                "main thread blocked, ms per s",
                "last value rendered after, ms",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the apps' end-to-end tests share: waiting on two event loops, pixels, a child per binding.

An app's panel lives on the Qt GUI thread, which the fake app also uses as its main
thread; the browser is Playwright's. A test turns both loops while it waits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

from .conftest import ReviewerPage

#: How long a wait in these tests may take before it fails, in seconds.
WAIT_S = 20.0


def wait(
    qt: Any, page: ReviewerPage, cond: Callable[[], Any], what: str, timeout: float = WAIT_S
) -> Any:
    """Wait for ``cond``, turning both event loops: Qt's (the panel, the app's main thread) and
    Playwright's (socket events reach the page's logs only while it runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        qt.pump()
        value = cond()
        if value:
            return value
        page.page.wait_for_timeout(15)
    raise AssertionError(f"timed out waiting for {what}")


def wait_qt(qt: Any, cond: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Wait for ``cond`` turning Qt's loop only (no page open)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        qt.pump(0.01)
        value = cond()
        if value:
            return value
    raise AssertionError(f"timed out waiting for {what}")


def colour_near(image: Any, x: int, y: int, colour: str, reach: int = 3) -> bool:
    """True when a strong ``colour`` ("red", "green") shows within ``reach`` pixels of (x, y)
    of a QImage."""
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            px, py = x + dx, y + dy
            if not (0 <= px < image.width() and 0 <= py < image.height()):
                continue
            c = image.pixelColor(px, py)
            if c.alpha() < 150:
                continue
            r, g, b = c.red(), c.green(), c.blue()
            if colour == "red" and r > 190 and g < 110 and b < 110:
                return True
            if colour == "green" and g > 190 and r < 110 and b < 110:
                return True
    return False


def overlay_in_child(
    module: str, binding: str, document: Path, checks: Path, tmp: Path
) -> dict[str, Any]:
    """Run ``python -m module DOCUMENT CHECKS`` on one Qt binding (one binding per process);
    its last line of output is a JSON object."""
    env = dict(
        os.environ,
        QT_PREFERRED_BINDING=binding,
        QT_QPA_PLATFORM="offscreen",
        OVERSHOULDER_CONFIG_DIR=str(tmp / f"config-{binding}"),
    )
    done = subprocess.run(
        [sys.executable, "-m", module, str(document), str(checks)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def paint_checks(
    viewer: Any, host: Any, checks: dict[str, Any], go_to: Callable[[int], None]
) -> dict[str, Any]:
    """In a child process: an overlay over ``viewer`` shows ``host``'s stored notes; for each
    check, go to its frame and say whether its colour shows near its pixel."""
    import Qt

    from overshoulder.core.ui import ViewerOverlay
    from tests.ui.qt import pump

    overlay = ViewerOverlay(viewer, host)
    overlay.set_image_size(checks["width"], checks["height"])
    notes = list(host.stored_annotations())
    overlay.set_annotations(notes)
    results = []
    for check in checks["checks"]:
        go_to(check["frame"])
        pump(0.1)
        image = overlay.grab().toImage()
        results.append(colour_near(image, check["x"], check["y"], check["colour"]))
    return {
        "binding": Qt.__binding__,
        "notes": sorted(n.id for n in notes),
        "results": results,
    }

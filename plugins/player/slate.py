"""The slate shown for a frame that cannot be read: a plain frame saying which file and why."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import raster
from .errors import FrameUnreadable

#: The slate's background and text colours (sRGB display values, 0..1).
BACKGROUND = (0.13, 0.13, 0.14)
BAND = (0.75, 0.12, 0.12, 1.0)
TITLE = (1.0, 1.0, 1.0, 1.0)
BODY = (0.85, 0.85, 0.85, 1.0)


def render_slate(problem: FrameUnreadable, width: int, height: int) -> Any:
    """A ``height`` x ``width`` x 3 uint8 sRGB image naming the frame, the file and the reason."""
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = np.rint(np.array(BACKGROUND) * 255).astype(np.uint8)
    band = max(2, height // 60)
    raster.box(image, 0, 0, width, band, BAND)
    margin = max(4, width // 24)
    heading = f"Frame {problem.frame} cannot be shown"
    title = raster.fit_size(heading, max(8.0, height / 14), width - 2 * margin, smallest=8.0)
    body = max(7.0, min(height / 24, title * 0.6))
    y = float(band + margin)
    for piece in raster.wrap(heading, title, width - 2 * margin):  # one line unless tiny
        y += title
        raster.text(image, margin, y, piece, title, TITLE)
    y += title * 0.6
    lines = [problem.path.name, problem.reason, str(problem.path.parent)]
    for line in lines:
        for piece in raster.wrap(line, body, width - 2 * margin):
            y += body * 1.35
            if y > height - body * 0.3:
                return image
            raster.text(image, margin, y, piece, body, BODY)
    return image

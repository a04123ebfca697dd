"""How a mark is drawn, the same everywhere: arrow heads and the polylines of each shape kind.

The browser (relay/web/js), the Qt overlay, the player's burned-in PNGs and the
apps' own objects (Nuke's RotoPaint strokes, Maya's pencil frames) all draw a
note's shape; this is the one rule they share, so an arrow looks the same in
each. Pure Python, no app, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .model import Shape

Point = tuple[float, float]

#: An arrow head's sides are this many line widths long...
ARROW_HEAD_WIDTHS = 5.0
#: ...and at least this share of the image height (a thin arrow keeps a visible head)...
ARROW_HEAD_MIN = 0.02
#: ...at most half the shaft, at this angle to it (as the browser draws them).
ARROW_HEAD_ANGLE = math.radians(28)
#: Points of an ellipse drawn as a closed polyline.
ELLIPSE_POINTS = 96


def arrow_head(a: Sequence[float], b: Sequence[float], width: float, unit: float) -> list[Point]:
    """The two ends of an arrow head at ``b`` for a shaft from ``a``.

    Any coordinates where ``unit`` is the image height in them and ``width`` the
    line width: widget pixels (unit = the image's height on screen), image pixels,
    or ORI coordinates (unit = 1, width = the style's width).
    """
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    if length == 0:
        return []
    size = min(max(ARROW_HEAD_WIDTHS * width, ARROW_HEAD_MIN * unit), length * 0.5)
    back = math.atan2(a[1] - b[1], a[0] - b[0])
    return [
        (b[0] + size * math.cos(back + s), b[1] + size * math.sin(back + s))
        for s in (ARROW_HEAD_ANGLE, -ARROW_HEAD_ANGLE)
    ]


def ellipse_ring(x0: float, y0: float, x1: float, y1: float) -> list[Point]:
    """The closed polyline of the ellipse inside the box (x0, y0)-(x1, y1)."""
    cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, abs(x1 - x0) / 2, abs(y1 - y0) / 2
    steps = [2 * math.pi * i / ELLIPSE_POINTS for i in range(ELLIPSE_POINTS + 1)]
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in steps]


def outlines(shape: Shape, width: float = 0.004) -> list[list[Point]]:
    """The polylines, in ORI coordinates, that draw ``shape`` with lines ``width`` wide (the
    style's width, in image heights: it sizes arrow heads); none for text."""
    if shape.kind == "stroke" and shape.points:
        return [[(p[0], p[1]) for p in shape.points]]
    if shape.kind in ("line", "arrow") and shape.start and shape.end:
        start, end = (shape.start[0], shape.start[1]), (shape.end[0], shape.end[1])
        lines = [[start, end]]
        if shape.kind == "arrow":
            lines.extend([end, side] for side in arrow_head(start, end, width, 1.0))
        return lines
    if shape.kind == "rect" and shape.min and shape.max:
        (x0, y0), (x1, y1) = shape.min, shape.max
        return [[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
    if shape.kind == "ellipse" and shape.min and shape.max:
        (x0, y0), (x1, y1) = shape.min, shape.max
        return [ellipse_ring(x0, y0, x1, y1)]
    return []

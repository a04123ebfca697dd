"""Where marks go on screen: ORI coordinates <-> viewer pixels, and which mark is under a point.

ORI coordinates (core/model.py) are normalised to the image height, origin at
the image centre, y up. On screen the image fills a rectangle of the viewer
widget (``ImageRect``): the one the host reports (``Host.viewer_view``, which
follows pan and zoom) or, when it reports none, the image fitted and centred.

The hit tests follow the browser reviewer (relay/web/js/shapes.js), so the
eraser and the move tool pick the same mark in the app as in the browser.
No Qt here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

from .host import ViewerView
from .model import Annotation, Shape
from .shapes import arrow_head as arrow_head  # the overlay draws heads as everyone does

Point = tuple[float, float]

#: Text size (image-height units) when a text mark names none, as in the browser.
DEFAULT_TEXT_SIZE = 0.04
#: Marks may reach a little outside the image, never past the protocol's bound (10).
COORD_LIMIT = 9.99


@dataclass(frozen=True)
class ImageRect:
    """The image on screen: its rectangle in widget pixels and its size in image pixels."""

    left: float
    top: float
    width: float
    height: float
    image_width: int
    image_height: int

    @property
    def unit(self) -> float:
        """Widget pixels per image height (what ORI coordinates are measured in)."""
        return self.height

    def to_widget(self, x: float, y: float) -> Point:
        """Widget pixels of the ORI point (x, y)."""
        w, h = self.image_width, self.image_height
        px = (x * h + w / 2) * (self.width / w)
        py = (h / 2 - y * h) * (self.height / h)
        return self.left + px, self.top + py

    def to_ori(self, px: float, py: float) -> Point:
        """The ORI point under widget pixel (px, py)."""
        w, h = self.image_width, self.image_height
        ix = (px - self.left) * (w / self.width)
        iy = (py - self.top) * (h / self.height)
        return (ix - w / 2) / h, -(iy - h / 2) / h

    def contains(self, px: float, py: float) -> bool:
        return (
            self.left <= px <= self.left + self.width and self.top <= py <= self.top + self.height
        )


def image_rect(
    view: Optional[ViewerView],
    widget_size: tuple[float, float],
    image_size: Optional[tuple[int, int]] = None,
) -> Optional[ImageRect]:
    """Where the image is in a widget of ``widget_size``; None when nothing can be shown.

    With a ``view`` from the host, its rectangle (pan and zoom included). Without,
    an image of ``image_size`` fitted into the widget and centred; without a size
    either, the image is taken to fill the widget.
    """
    if view is not None:
        left, top, width, height = view.rect
        if width <= 0 or height <= 0 or view.image_width <= 0 or view.image_height <= 0:
            return None
        return ImageRect(left, top, width, height, view.image_width, view.image_height)
    ww, wh = widget_size
    if ww <= 0 or wh <= 0:
        return None
    if image_size is None or image_size[0] <= 0 or image_size[1] <= 0:
        return ImageRect(0.0, 0.0, float(ww), float(wh), max(1, round(ww)), max(1, round(wh)))
    iw, ih = image_size
    scale = min(ww / iw, wh / ih)
    width, height = iw * scale, ih * scale
    return ImageRect((ww - width) / 2, (wh - height) / 2, width, height, iw, ih)


def clamp_point(x: float, y: float) -> Point:
    """(x, y) within the protocol's bound, rounded as the relay keeps coordinates."""

    def clamp(v: float) -> float:
        return round(min(COORD_LIMIT, max(-COORD_LIMIT, v)), 5)

    return clamp(x), clamp(y)


# --- shapes -------------------------------------------------------------------------------------


def shape_points(shape: Shape) -> list[Point]:
    """The ORI points a shape is made of (for bounds, hit tests and moves)."""
    if shape.kind == "stroke":
        return [(p[0], p[1]) for p in shape.points or []]
    if shape.kind == "text":
        return [_pt(shape.at)]
    if shape.kind in ("rect", "ellipse"):
        return [_pt(shape.min), _pt(shape.max)]
    return [_pt(shape.start), _pt(shape.end)]


def bounds(shape: Shape) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) in ORI units; text is measured roughly, as in the browser."""
    pts = shape_points(shape)
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    if shape.kind == "text":
        size = shape.size or DEFAULT_TEXT_SIZE
        lines = (shape.text or "").split("\n")
        longest = max(len(line) for line in lines)
        x, y = xs[0], ys[0]
        bottom = y - size * 1.25 * (len(lines) - 1) - size * 0.3
        return x, bottom, x + longest * size * 0.58, y + size
    return min(xs), min(ys), max(xs), max(ys)


def distance(shape: Shape, p: Point) -> float:
    """How far ORI point ``p`` is from the mark's outline (0 inside a text box)."""
    if shape.kind == "stroke":
        pts = shape_points(shape)
        if len(pts) == 1:
            return math.hypot(p[0] - pts[0][0], p[1] - pts[0][1])
        return min(_segment_distance(p, a, b) for a, b in zip(pts, pts[1:]))
    if shape.kind in ("line", "arrow"):
        return _segment_distance(p, _pt(shape.start), _pt(shape.end))
    x0, y0, x1, y1 = bounds(shape)
    if shape.kind == "rect":
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        return min(_segment_distance(p, corners[i], corners[(i + 1) % 4]) for i in range(4))
    if shape.kind == "ellipse":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx, ry = (x1 - x0) / 2 or 1e-9, (y1 - y0) / 2 or 1e-9
        r = math.hypot((p[0] - cx) / rx, (p[1] - cy) / ry)
        return abs(r - 1) * min(rx, ry)
    return math.hypot(max(x0 - p[0], 0, p[0] - x1), max(y0 - p[1], 0, p[1] - y1))


def pick(
    notes: Iterable[Annotation],
    at: Point,
    tolerance: float,
    allowed: Optional[Callable[[Annotation], bool]] = None,
) -> Optional[Annotation]:
    """The note whose mark is nearest ``at`` within ``tolerance`` (ORI units); later ones win ties.

    A mark's own half width counts as part of it, so a thick stroke is picked at its edge.
    """
    best: Optional[tuple[float, Annotation]] = None
    for note in notes:
        if allowed is not None and not allowed(note):
            continue
        d = distance(note.shape, at) - note.style.width / 2
        if d <= tolerance and (best is None or d <= best[0]):
            best = (d, note)
    return best[1] if best else None


def moved(shape: Shape, dx: float, dy: float) -> Shape:
    """The shape moved by (dx, dy) ORI units, rounded as the relay keeps coordinates."""

    def shift(p: Sequence[float]) -> tuple[float, float]:
        return round(p[0] + dx, 5), round(p[1] + dy, 5)

    changes: dict[str, object] = {}
    if shape.points is not None:
        changes["points"] = [[*shift(p), *p[2:]] for p in shape.points]
    for name in ("start", "end", "min", "max", "at"):
        value = getattr(shape, name)
        if value is not None:
            changes[name] = shift(value)
    return dataclasses.replace(shape, **changes)  # type: ignore[arg-type]


def degenerate(shape: Shape) -> bool:
    """A line, arrow, box or ellipse with no extent (a click, not a drag)."""
    if shape.kind in ("stroke", "text"):
        return False
    a, b = shape_points(shape)
    return math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-4


def _pt(value: Optional[Sequence[float]]) -> Point:
    assert value is not None, "the shape was checked when it was made"
    return value[0], value[1]


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    len2 = dx * dx + dy * dy
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) if len2 else 0.0
    return math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy))

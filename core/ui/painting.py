"""Drawing marks with a QPainter, as the browser and the player's burn-in draw them.

Round caps and joins, line width in image-height units (at least one pixel),
arrow heads at the end, text from its baseline with a dark outline, pressure
strokes as wide as the pressure at each segment's end.
"""

from __future__ import annotations

from typing import Any, Optional

from Qt import QtCore, QtGui

from ..geometry import DEFAULT_TEXT_SIZE, ImageRect, arrow_head
from ..model import Shape, Style

#: Alpha of done notes and of others' marks while they draw (as in the browser).
DONE_ALPHA = 0.35
DRAFT_ALPHA = 0.9
TEXT_FAMILY = "Sans Serif"


def qcolor(rgba: tuple[float, float, float, float], alpha: float = 1.0) -> Any:
    r, g, b, a = (min(1.0, max(0.0, v)) for v in rgba)
    return QtGui.QColor.fromRgbF(r, g, b, a * alpha)


def paint_mark(
    painter: Any, shape: Shape, style: Optional[Style], rect: ImageRect, alpha: float = 1.0
) -> None:
    """Draw one mark in ``rect``'s mapping; ``alpha`` fades it."""
    style = style or Style()
    width = max(1.0, style.width * rect.unit)
    color = qcolor(style.color, alpha)
    painter.save()
    pen = QtGui.QPen(color)
    pen.setWidthF(width)
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    kind = shape.kind
    if kind == "stroke":
        _stroke(painter, shape, rect, pen, width)
    elif kind in ("line", "arrow"):
        assert shape.start is not None and shape.end is not None
        a, b = rect.to_widget(*shape.start), rect.to_widget(*shape.end)
        _polyline(painter, [a, b])
        if kind == "arrow":
            for side in arrow_head(a, b, width, rect.unit):
                _polyline(painter, [b, side])
    elif kind in ("rect", "ellipse"):
        assert shape.min is not None and shape.max is not None
        x0, y0 = rect.to_widget(*shape.min)
        x1, y1 = rect.to_widget(*shape.max)
        box = QtCore.QRectF(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))
        if kind == "rect":
            painter.drawRect(box)
        else:
            painter.drawEllipse(box)
    elif kind == "text":
        _text(painter, shape, rect, color)
    painter.restore()


def _polyline(painter: Any, pts: list[tuple[float, float]]) -> None:
    if len(pts) == 1:
        x, y = pts[0]
        pts = [(x, y), (x + 0.01, y)]
    painter.drawPolyline(QtGui.QPolygonF([QtCore.QPointF(x, y) for x, y in pts]))


def _stroke(painter: Any, shape: Shape, rect: ImageRect, pen: Any, width: float) -> None:
    points = shape.points or []
    pts = [rect.to_widget(p[0], p[1]) for p in points]
    if not points or len(points[0]) < 3:
        _polyline(painter, pts)
        return
    for i, p in enumerate(points):  # with pressure: each segment as wide as its end's pressure
        pen.setWidthF(max(1.0, width * (0.2 + 1.6 * (p[2] if len(p) > 2 else 0.5))))
        painter.setPen(pen)
        _polyline(painter, [pts[0]] if i == 0 else [pts[i - 1], pts[i]])


def _text(painter: Any, shape: Shape, rect: ImageRect, color: Any) -> None:
    assert shape.at is not None
    px = (shape.size or DEFAULT_TEXT_SIZE) * rect.unit
    x, y = rect.to_widget(*shape.at)
    font = QtGui.QFont(TEXT_FAMILY)
    font.setPixelSize(max(1, round(px)))
    font.setWeight(QtGui.QFont.Weight.DemiBold)
    outline = QtGui.QPen(QtGui.QColor(0, 0, 0, 140))
    outline.setWidthF(max(1.0, px / 8))
    for i, line in enumerate((shape.text or "").split("\n")):
        path = QtGui.QPainterPath()
        path.addText(QtCore.QPointF(x, y + i * px * 1.25), font, line)
        painter.strokePath(path, outline)
        painter.fillPath(path, QtGui.QBrush(color))

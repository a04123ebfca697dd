"""Who is drawing, and on which frame: "Ana is drawing on 1018", painted over the viewer.

The browser page shows the same notice over its stage. A mark is anchored to the frame its
drawer had on screen at pen-down, and its drafts carry that frame, so a notice can say where
to look while the shot plays on elsewhere. Qt through Qt.py only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Optional

from Qt import QtCore, QtGui

#: Pixels from the top edge of the viewer, the pill's height and the gap between two.
TOP_PX, HEIGHT_PX, GAP_PX = 10, 26, 6


def notice_text(name: str, frame: Optional[int]) -> str:
    """The words of one notice (a draft from an older client may name no frame)."""
    return f"{name} is drawing" if frame is None else f"{name} is drawing on {frame}"


def drawing_notices(
    drafts: Iterable[tuple[Optional[str], Optional[int]]], names: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(participant id, words) for each person drawing now, from (sender, frame) of the
    drafts still under way, latest draft last; one notice per person, in first-seen order."""
    frames: dict[str, Optional[int]] = {}
    for sender, frame in drafts:
        if sender:
            frames[sender] = frame
    return [(pid, notice_text(names.get(pid) or "someone", f)) for pid, f in frames.items()]


def person_color(person_id: str) -> Any:
    """The person's colour as the browser page draws it (``personColor``: a hue from the id)."""
    h = 0
    for ch in person_id:
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    return QtGui.QColor.fromHslF((h % 360) / 360.0, 0.55, 0.62)


def paint_notices(painter: Any, width: int, notices: list[tuple[str, str]]) -> None:
    """Pills centred at the top of a ``width`` px wide widget: a dot in the person's colour and
    the words (a long name gives way in the middle, the frame stays), light on dark."""
    if not notices:
        return
    painter.save()
    font = painter.font()
    font.setPixelSize(13)
    painter.setFont(font)
    metrics = QtGui.QFontMetricsF(font)
    y = float(TOP_PX)
    for pid, text in notices:
        room = max(40.0, width - 40.0)
        words = metrics.elidedText(text, QtCore.Qt.TextElideMode.ElideMiddle, room - 34)
        w = min(room, metrics.horizontalAdvance(words) + 34)
        x = (width - w) / 2
        box = QtCore.QRectF(x, y, w, HEIGHT_PX)
        painter.setPen(QtGui.QPen(QtGui.QColor(64, 64, 64), 1))
        painter.setBrush(QtGui.QColor(20, 20, 20, 230))
        painter.drawRoundedRect(box, HEIGHT_PX / 2, HEIGHT_PX / 2)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(person_color(pid))
        painter.drawEllipse(QtCore.QPointF(x + 14, y + HEIGHT_PX / 2), 4.0, 4.0)
        painter.setPen(QtGui.QColor(228, 228, 228))
        baseline = y + HEIGHT_PX / 2 + (metrics.ascent() - metrics.descent()) / 2
        painter.drawText(QtCore.QPointF(x + 24, baseline), words)
        y += HEIGHT_PX + GAP_PX
    painter.restore()

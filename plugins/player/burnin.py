"""Notes burned into frames: ORI coordinates to pixels, each shape drawn, the words listed below."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import OpenImageIO as oiio

from overshoulder.core.files import replacing
from overshoulder.core.model import Annotation, Shape
from overshoulder.core.shapes import arrow_head, ellipse_ring

from . import raster
from .defaults import DEFAULT_TEXT_SIZE

#: The caption box listing each note's author and words.
CAPTION_TEXT = 0.028
CAPTION_BACKGROUND = (0.0, 0.0, 0.0, 0.6)
CAPTION_INK = (1.0, 1.0, 1.0, 1.0)


def to_pixels(x: float, y: float, width: int, height: int) -> tuple[float, float]:
    """ORI (normalised to the height, origin at the centre, y up) to pixels (y down)."""
    return x * height + width / 2.0, height / 2.0 - y * height


def burn_in(image: Any, notes: Sequence[Annotation]) -> Any:
    """A copy of ``image`` (H x W x 3 uint8, display-referred) with ``notes`` drawn over it.

    Notes marked done are left out. Each note's shape is drawn in its style's
    colour and width; a note with words gets a line ``author: words`` in a box
    at the bottom of the frame.
    """
    out = np.array(image, dtype=np.uint8, copy=True)
    height = out.shape[0]
    shown = [n for n in notes if n.status != "done"]
    for note in shown:
        draw_shape(out, note.shape, note.style.color, note.style.width * height)
    _captions(out, [n for n in shown if n.text])
    return out


def draw_shape(image: Any, shape: Shape, color: raster.RGBA, line_px: float) -> None:
    """Draw one shape (ORI coordinates) onto ``image``; ``line_px`` is the line width in pixels."""
    height, width = image.shape[:2]

    def px(point: Sequence[float]) -> raster.Point:
        return to_pixels(point[0], point[1], width, height)

    if shape.kind == "stroke" and shape.points:
        raster.polyline(image, [px(p) for p in shape.points], line_px, color)
    elif shape.kind in ("line", "arrow") and shape.start and shape.end:
        start, end = px(shape.start), px(shape.end)
        raster.polyline(image, [start, end], line_px, color)
        if shape.kind == "arrow":
            for side in arrow_head(start, end, line_px, height):
                raster.polyline(image, [end, side], line_px, color)
    elif shape.kind in ("rect", "ellipse") and shape.min and shape.max:
        (x0, y0), (x1, y1) = px(shape.min), px(shape.max)
        if shape.kind == "rect":
            corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
            raster.polyline(image, corners, line_px, color)
        else:
            raster.polyline(image, ellipse_ring(x0, y0, x1, y1), line_px, color)
    elif shape.kind == "text" and shape.at and shape.text:
        x, y = px(shape.at)
        size = (shape.size or DEFAULT_TEXT_SIZE) * height
        for i, line in enumerate(shape.text.splitlines()):
            raster.text(image, x, y + i * size * 1.25, line, size, color)


def write_png(path: Path, image: Any) -> None:
    """Write ``image`` (uint8 RGB) as a PNG, atomically (a temporary file renamed into place)."""
    buf = oiio.ImageBuf(np.ascontiguousarray(image))
    with replacing(path, suffix=".png") as tmp:  # OpenImageIO reads the format from it
        if not buf.write(str(tmp), "uint8"):
            raise OSError(f"cannot write {path}: {buf.geterror() or oiio.geterror()}")


def _captions(image: Any, notes: Sequence[Annotation]) -> None:
    if not notes:
        return
    height, width = image.shape[:2]
    size = max(8.0, CAPTION_TEXT * height)
    margin = size * 0.5
    lines: list[tuple[str, raster.RGBA]] = []
    for note in notes:
        who = note.author_name or "note"
        for line in raster.wrap(f"{who}: {note.text}", size, width - 4 * margin):
            lines.append((line, note.style.color))
    lines = lines[-max(1, int(height * 0.4 / (size * 1.3))) :]  # at most 40% of the frame
    top = height - margin - len(lines) * size * 1.3 - margin
    raster.box(image, 0, top, width, height, CAPTION_BACKGROUND)
    y = top + margin
    for line, color in lines:
        y += size * 1.3
        raster.box(image, margin, y - size * 0.8, margin + size * 0.35, y, (*color[:3], 1.0))
        raster.text(image, margin * 2 + size * 0.35, y - size * 0.1, line, size, CAPTION_INK)

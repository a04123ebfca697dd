"""Drawing into 8-bit RGB images with numpy: thick anti-aliased polylines, filled boxes, text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import OpenImageIO as oiio

RGBA = tuple[float, float, float, float]
Point = tuple[float, float]


def polyline(image: Any, points: Sequence[Point], width: float, color: RGBA) -> None:
    """Draw connected segments through ``points`` (pixels, y down), ``width`` pixels wide.

    One point draws a dot. Overlapping segments are blended once, so a
    half-transparent stroke does not darken where it crosses itself.
    """
    if not points:
        return
    height, wide = image.shape[:2]
    radius = max(width, 1.0) / 2.0
    pad = radius + 1.0
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = max(int(np.floor(min(xs) - pad)), 0), min(int(np.ceil(max(xs) + pad)) + 1, wide)
    y0, y1 = max(int(np.floor(min(ys) - pad)), 0), min(int(np.ceil(max(ys) + pad)) + 1, height)
    if x0 >= x1 or y0 >= y1:
        return
    cover = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
    pairs = list(zip(points[:-1], points[1:])) or [(points[0], points[0])]
    for (ax, ay), (bx, by) in pairs:
        sx0 = max(int(np.floor(min(ax, bx) - pad)), x0)
        sx1 = min(int(np.ceil(max(ax, bx) + pad)) + 1, x1)
        sy0 = max(int(np.floor(min(ay, by) - pad)), y0)
        sy1 = min(int(np.ceil(max(ay, by) + pad)) + 1, y1)
        if sx0 >= sx1 or sy0 >= sy1:
            continue
        # Pixel centres of the segment's box; distance from each to the segment.
        px = np.arange(sx0, sx1, dtype=np.float32)[np.newaxis, :] + 0.5
        py = np.arange(sy0, sy1, dtype=np.float32)[:, np.newaxis] + 0.5
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        if length2 > 0:
            t = np.clip(((px - ax) * dx + (py - ay) * dy) / length2, 0.0, 1.0)
        else:
            t = np.zeros((1, 1), dtype=np.float32)
        dist = np.hypot(px - (ax + t * dx), py - (ay + t * dy))
        part = np.clip(radius + 0.5 - dist, 0.0, 1.0)
        view = cover[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
        np.maximum(view, part, out=view)
    _blend(image, (y0, y1, x0, x1), cover, color)


def box(image: Any, x0: float, y0: float, x1: float, y1: float, color: RGBA) -> None:
    """Fill the box from (x0, y0) to (x1, y1) (pixels, y down)."""
    height, width = image.shape[:2]
    ix0, iy0 = max(round(min(x0, x1)), 0), max(round(min(y0, y1)), 0)
    ix1, iy1 = min(round(max(x0, x1)), width), min(round(max(y0, y1)), height)
    if ix0 >= ix1 or iy0 >= iy1:
        return
    cover = np.ones((iy1 - iy0, ix1 - ix0), dtype=np.float32)
    _blend(image, (iy0, iy1, ix0, ix1), cover, color)


def text(image: Any, x: float, y: float, words: str, size: float, color: RGBA) -> None:
    """Write ``words`` with its baseline starting at (x, y) (pixels, y down), ``size`` px high."""
    if not words.strip() or size < 1:
        return
    px = round(size)
    roi = oiio.ImageBufAlgo.text_size(words, px)
    if not roi.defined:
        return
    pad = 2
    w, h = roi.xend - roi.xbegin + 2 * pad, roi.yend - roi.ybegin + 2 * pad
    glyphs = oiio.ImageBuf(oiio.ImageSpec(w, h, 1, "float"))
    oiio.ImageBufAlgo.render_text(glyphs, pad - roi.xbegin, pad - roi.ybegin, words, px)
    cover = np.asarray(glyphs.get_pixels(oiio.FLOAT))[:, :, 0]
    # Where the glyph box lands in the image, clipped to it.
    left, top = round(x) + roi.xbegin - pad, round(y) + roi.ybegin - pad
    height, width = image.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + w, width), min(top + h, height)
    if x0 >= x1 or y0 >= y1:
        return
    _blend(image, (y0, y1, x0, x1), cover[y0 - top : y1 - top, x0 - left : x1 - left], color)


def text_width(words: str, size: float) -> int:
    """How many pixels wide ``words`` is at ``size``."""
    roi = oiio.ImageBufAlgo.text_size(words, round(size))
    return int(roi.xend - roi.xbegin) if roi.defined else int(len(words) * size * 0.6)


def fit_size(words: str, size: float, width: float, smallest: float = 7.0) -> float:
    """The largest size up to ``size`` (not below ``smallest``) at which ``words`` fit ``width``."""
    wide = text_width(words, size)
    if wide <= width:
        return size
    fitted = max(smallest, float(np.floor(size * width / max(wide, 1))))
    while fitted > smallest and text_width(words, fitted) > width:  # glyphs round per size
        fitted -= 1.0
    return fitted


def wrap(words: str, size: float, width: float) -> list[str]:
    """``words`` broken into lines no wider than ``width`` pixels (long words are cut)."""
    lines: list[str] = []
    for paragraph in words.splitlines() or [""]:
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if text_width(candidate, size) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while text_width(line, size) > width and len(line) > 1:
                cut = max(1, int(len(line) * width / max(text_width(line, size), 1)))
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _blend(image: Any, where: tuple[int, int, int, int], cover: Any, color: RGBA) -> None:
    """Mix ``color`` into ``image[y0:y1, x0:x1]`` by ``cover`` (0..1) times the colour's alpha."""
    y0, y1, x0, x1 = where
    alpha = (cover * float(color[3]))[:, :, np.newaxis]
    if not alpha.any():
        return
    region = image[y0:y1, x0:x1].astype(np.float32)
    ink = np.array(color[:3], dtype=np.float32) * 255.0
    mixed = region * (1.0 - alpha) + ink * alpha
    image[y0:y1, x0:x1] = np.clip(np.rint(mixed), 0, 255).astype(np.uint8)

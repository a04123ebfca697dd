"""Fitting an 8-bit RGB image into the largest size any subscriber asked for.

``fit_size`` keeps the aspect ratio and never upscales; ``downscale`` is an
area (box) filter: each output pixel is the mean of the input area it covers,
fractional pixels at the edges weighted by their coverage.

Whole-number factors (UHD -> 1080p, 1080p -> 540p) sum strided views in uint16
(exact). Other ratios run two separable passes in numpy, rows first (row
gathers are contiguous copies), each a weighted sum of a few gathers laid out
flat so numpy's inner loops span whole rows. Measured here (bench/codec.py,
8-bit RGB): 1080p -> 960x540 8 ms, -> 1280x720 12 ms, -> 1600x900 20 ms; UHD ->
1920x1080 35-44 ms. OpenImageIO's ``resize`` with a box filter is 3-7x slower;
its ``resample`` is about as fast but samples points (bilinear), which aliases
fine detail and grain instead of averaging it. So numpy it is, and it needs no
OpenImageIO.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np


def fit_size(
    width: int, height: int, max_width: Optional[int], max_height: Optional[int]
) -> tuple[int, int]:
    """The largest size with ``width:height``'s aspect inside the limits (None: no limit)."""
    scale = 1.0
    if max_width is not None and max_width > 0:
        scale = min(scale, max_width / width)
    if max_height is not None and max_height > 0:
        scale = min(scale, max_height / height)
    if scale >= 1.0:
        return width, height
    out_w = max(1, min(width, round(width * scale)))
    out_h = max(1, min(height, round(height * scale)))
    return out_w, out_h


def downscale(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area-filter an H x W x C ``uint8`` image down to ``width`` x ``height`` (never up)."""
    in_h, in_w, channels = image.shape
    if width > in_w or height > in_h:
        raise ValueError(f"downscale {in_w}x{in_h} -> {width}x{height} would upscale")
    if (width, height) == (in_w, in_h):
        return image
    if in_w % width == 0 and in_h % height == 0 and (in_w // width) * (in_h // height) <= 257:
        return _box_integer(image, in_w // width, in_h // height)
    rows = np.ascontiguousarray(image).reshape(in_h, in_w * channels)
    if height != in_h:
        rows = _area_rows(rows, height)
    if width != in_w:
        rows = _area_columns(rows, channels, width)
    out = rows.astype(np.float32, copy=False)
    np.rint(out, out=out)
    return out.astype(np.uint8).reshape(height, width, channels)


def _box_integer(image: np.ndarray, fx: int, fy: int) -> np.ndarray:
    """Exact box filter for whole-number factors: sums of strided views in uint16."""
    acc = image[0::fy].astype(np.uint16)
    for i in range(1, fy):
        acc += image[i::fy]
    if fx > 1:
        cols = acc[:, 0::fx].copy()
        for j in range(1, fx):
            cols += acc[:, j::fx]
        acc = cols
    count = fx * fy
    acc += count // 2
    acc //= count
    return acc.astype(np.uint8)


def _area_rows(rows: np.ndarray, size: int) -> np.ndarray:
    """Area-resample along axis 0 of a 2-D array, as float32 (rows are contiguous copies)."""
    n = rows.shape[0]
    starts, weights = _area_weights(n, size)
    acc = np.multiply(rows[starts], weights[0][:, None], dtype=np.float32)
    for j in range(1, weights.shape[0]):
        picked = rows[np.minimum(starts + j, n - 1)]
        acc += np.multiply(picked, weights[j][:, None], dtype=np.float32)
    return acc


def _area_columns(rows: np.ndarray, channels: int, size: int) -> np.ndarray:
    """Area-resample the pixels of (H, W * C) rows to ``size`` pixels, as float32.

    Gathers and weights are laid out flat (W * C long), so numpy's inner loops
    run over whole rows, not over 3-element pixels.
    """
    n = rows.shape[1] // channels
    starts, weights = _area_weights(n, size)
    lanes = np.arange(channels)
    acc: Optional[np.ndarray] = None
    for j in range(weights.shape[0]):
        picks = (np.minimum(starts + j, n - 1)[:, None] * channels + lanes).ravel()
        term = np.multiply(
            np.take(rows, picks, axis=1), np.repeat(weights[j], channels), dtype=np.float32
        )
        if acc is None:
            acc = term
        else:
            acc += term
    assert acc is not None
    return acc


def _area_weights(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """First input index of each output sample and the weights of the next ``k`` inputs.

    Output ``i`` covers input ``[i * n / size, (i + 1) * n / size)``; input ``s + j``
    contributes its overlap with that span, divided by the span's length.
    """
    ratio = n / size
    edges = np.arange(size + 1, dtype=np.float64) * ratio
    starts = np.floor(edges[:-1]).astype(np.intp)
    taps = math.ceil(ratio) + 1
    weights = np.zeros((taps, size), dtype=np.float64)
    for j in range(taps):
        left = np.maximum(starts + j, edges[:-1])
        right = np.minimum(starts + j + 1, edges[1:])
        weights[j] = np.clip(right - left, 0.0, None) / ratio
    used = np.flatnonzero(weights.any(axis=1))
    weights = weights[: used[-1] + 1] if used.size else weights[:1]
    return starts, weights.astype(np.float32)

"""JPEG through libjpeg-turbo (``simplejpeg``), which releases the GIL while it works.

Why simplejpeg: libjpeg-turbo speed (measured here, bench/codec.py: 1080p q80
4:2:0 4.9 ms, q92 4:4:4 10 ms, decode 4.3 / 8.5 ms; UHD 19 / 40 ms) and the GIL
is released for the whole encode, so two threads encode 2.0x as many frames
and an app's Python keeps running meanwhile. Pillow holds the GIL while it
encodes; Qt's writer is ~5x slower.
"""

from __future__ import annotations

import numpy as np
import simplejpeg

from .limits import SUBSAMPLINGS


def encode_jpeg(rgb: np.ndarray, quality: int, subsampling: str = "420") -> bytes:
    """H x W x 3 ``uint8`` RGB (or x 4 RGBX: the 4th ignored) -> JPEG bytes.

    ``quality`` 1-100, ``subsampling`` e.g. ``"444"``.
    """
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be 1-100, got {quality}")
    if subsampling not in SUBSAMPLINGS:
        raise ValueError(
            f"JPEG subsampling {subsampling!r} is not one of {', '.join(SUBSAMPLINGS)}"
        )
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"encode_jpeg takes H x W x 3 (or 4) uint8, got {rgb.dtype} {rgb.shape}")
    data: bytes = simplejpeg.encode_jpeg(
        np.ascontiguousarray(rgb),
        quality=quality,
        colorspace="RGB" if rgb.shape[2] == 3 else "RGBX",
        colorsubsampling=subsampling,
    )
    return data


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG bytes -> H x W x 3 ``uint8`` RGB."""
    image: np.ndarray = simplejpeg.decode_jpeg(data, colorspace="RGB")
    return image


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's header, without decoding it."""
    height, width, _, _ = simplejpeg.decode_jpeg_header(data)
    return int(width), int(height)

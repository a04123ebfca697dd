"""What a capture may hand over, checked up front and cheaply (no pass over the pixels).

Pixels are ``numpy`` arrays, height x width x channels, as apps produce them:

- dtype ``uint8``, ``uint16``, ``float16`` or ``float32``;
- 1 channel (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); a 2-D array is grey;
- each side 1..``MAX_SIDE`` (8192).

Alpha is dropped, never composited: what a viewer shows is its RGB, and a
reviewer sees the same. Encoded captures (``Capture.encoded``) must be JPEG or
PNG bytes (checked by their magic numbers) no larger than ``MAX_SIDE`` a side.

The encoder reads the array later, on its worker thread: an app must hand over
an array it will not write to again (a fresh readback, not a reused buffer).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..host import Capture
from .limits import CHANNELS, MAX_SIDE, PIXEL_DTYPES

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
ENCODED_CODECS = {"jpeg": JPEG_MAGIC, "png": PNG_MAGIC}


def check_pixels(pixels: Any) -> tuple[int, int, int]:
    """(height, width, channels) of an acceptable pixel array; ``ValueError`` naming the fault."""
    if not isinstance(pixels, np.ndarray):
        raise ValueError(
            f"capture pixels must be a numpy array (height x width x channels), "
            f"got {type(pixels).__name__}"
        )
    if pixels.dtype.name not in PIXEL_DTYPES:
        raise ValueError(
            f"capture pixels have dtype {pixels.dtype.name}; supported: {', '.join(PIXEL_DTYPES)}"
        )
    if pixels.ndim == 2:
        height, width = pixels.shape
        channels = 1
    elif pixels.ndim == 3:
        height, width, channels = pixels.shape
    else:
        raise ValueError(
            f"capture pixels have shape {pixels.shape}; expected height x width x channels"
        )
    if channels not in CHANNELS:
        raise ValueError(
            f"capture pixels have {channels} channels; supported: 1 (grey), 2 (grey+alpha), "
            "3 (RGB), 4 (RGBA)"
        )
    check_size(width, height, "capture pixels")
    return height, width, channels


def check_size(width: int, height: int, what: str = "capture") -> None:
    """``ValueError`` unless both sides are in 1..``MAX_SIDE``."""
    if width < 1 or height < 1:
        raise ValueError(f"{what} is {width}x{height}; both sides must be at least 1")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ValueError(
            f"{what} is {width}x{height}; at most {MAX_SIDE} pixels a side are supported "
            "(scale the capture down in the app)"
        )


def check_capture(capture: Capture) -> None:
    """Everything the encoder can check without touching the pixels; ``ValueError`` if wrong."""
    if not isinstance(capture, Capture):
        raise ValueError(f"submit() takes a Capture, got {type(capture).__name__}")
    if capture.encoded is not None:
        magic = ENCODED_CODECS.get(capture.codec)
        if magic is None:
            raise ValueError(
                f"encoded capture has codec {capture.codec!r}; supported: "
                f"{', '.join(ENCODED_CODECS)}"
            )
        if not isinstance(capture.encoded, (bytes, bytearray, memoryview)):
            raise ValueError(
                f"encoded capture bytes must be bytes, got {type(capture.encoded).__name__}"
            )
        if bytes(capture.encoded[: len(magic)]) != magic:
            raise ValueError(
                f"encoded capture says codec {capture.codec!r} but its bytes do not start "
                f"like a {capture.codec.upper()} file"
            )
        check_size(capture.width, capture.height, "encoded capture")
        return
    height, width, _ = check_pixels(capture.pixels)
    if (width, height) != (capture.width, capture.height):
        raise ValueError(
            f"capture says {capture.width}x{capture.height} but its pixels are {width}x{height}"
        )

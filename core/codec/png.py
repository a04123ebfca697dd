"""PNG for lossless stills: numpy row filters + zlib (which releases the GIL).

The encoder picks, per row, the PNG filter (None, Sub or Up) whose output has the
smallest sum of absolute values (the heuristic libpng uses), all rows at once in
numpy, then deflates with zlib at ``PNG_LEVEL``. ``bench/codec.py`` sets it
against OpenImageIO's PNG writer (libpng). Average and Paeth filters are left
out on purpose: they compress a graded frame a few per cent better but need a
per-pixel loop to decode in numpy, and ``decode_png`` must read what this
module writes quickly (tests, benchmarks). PNGs from elsewhere (Paeth/Average
rows, palettes, 16 bits, interlacing) are decoded through OpenImageIO.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib

import numpy as np

from .limits import PNG_LEVEL
from .pixels import PNG_MAGIC

_COLOR_TYPES = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type (grey, RGB, RGBA)
_CHANNELS = {v: k for k, v in _COLOR_TYPES.items()}


def encode_png(image: np.ndarray, level: int = PNG_LEVEL) -> bytes:
    """H x W x 3 (or 1 / 4) ``uint8`` -> PNG bytes, lossless."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in _COLOR_TYPES:
        raise ValueError(
            f"encode_png takes H x W x 1, 3 or 4 uint8, got {image.dtype} {image.shape}"
        )
    height, width, channels = image.shape
    rows = np.ascontiguousarray(image).reshape(height, width * channels)
    sub = rows.copy()
    sub[:, channels:] -= rows[:, :-channels]
    up = rows.copy()
    up[1:] -= rows[:-1]
    candidates = np.stack([rows, sub, up])
    cost = np.abs(candidates.view(np.int8).astype(np.int16)).sum(axis=2, dtype=np.int64)
    choice = cost.argmin(axis=0)
    filtered = np.empty((height, width * channels + 1), dtype=np.uint8)
    filtered[:, 0] = choice
    filtered[:, 1:] = candidates[choice, np.arange(height)]
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [
            PNG_MAGIC,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(filtered.tobytes(), level)),
            _chunk(b"IEND", b""),
        ]
    )


def decode_png(data: bytes) -> np.ndarray:
    """PNG bytes -> H x W x C ``uint8`` (C: 1, 3 or 4, as stored)."""
    if data[:8] != PNG_MAGIC:
        raise ValueError("not PNG data (bad signature)")
    pos = 8
    header = b""
    idat: list[bytes] = []
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if len(header) != 13:
        raise ValueError("PNG has no valid IHDR chunk")
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = _CHANNELS.get(ctype)
    raw = zlib.decompress(b"".join(idat))
    stride = width * (channels or 0) + 1
    if depth != 8 or channels is None or interlace or len(raw) != height * stride:
        return _decode_with_oiio(data)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride)
    kinds = rows[:, 0]
    if kinds.max(initial=0) > 2:
        return _decode_with_oiio(data)
    out = np.array(rows[:, 1:])
    for y in np.flatnonzero(kinds == 1).tolist():
        row = out[y].reshape(width, channels)
        np.cumsum(row, axis=0, dtype=np.uint8, out=row)
    for y in np.flatnonzero(kinds == 2).tolist():
        if y > 0:
            out[y] += out[y - 1]
    return out.reshape(height, width, channels)


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR."""
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return b"".join(
        [struct.pack(">I", len(body)), kind, body, struct.pack(">I", zlib.crc32(kind + body))]
    )


def _decode_with_oiio(data: bytes) -> np.ndarray:
    from .transform import oiio_module

    oiio = oiio_module()
    fd, path = tempfile.mkstemp(suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        buf = oiio.ImageBuf(path)
        pixels = np.asarray(buf.get_pixels(oiio.UINT8), dtype=np.uint8)
        spec = buf.spec()
        return pixels.reshape(spec.height, spec.width, spec.nchannels)
    finally:
        os.unlink(path)

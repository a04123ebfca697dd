"""Thumbnails of kept frames: fitted into the note card, and a frame whose header claims more
pixels than any shot has is refused before a pixel is unpacked."""

from __future__ import annotations

import struct
import zlib

from overshoulder.core import relay_api
from overshoulder.core.ui import thumbs

from .qt import QtCore, QtGui, app


def _png_of(width: int, height: int) -> bytes:
    app()
    image = QtGui.QImage(width, height, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor(200, 40, 40))
    data = QtCore.QByteArray()
    buffer = QtCore.QBuffer(data)
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(data)


def _claims(width: int, height: int) -> bytes:
    """A PNG whose header says ``width`` x ``height`` (one compressed grey row follows)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\0" * (width + 1), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")


def test_a_kept_frame_becomes_a_thumbnail_fitted_to_the_card():
    shrunk = thumbs._shrink(relay_api.FrameImage(_png_of(1920, 1080), "image/png"))
    assert shrunk is not None and not shrunk.isNull()
    assert (shrunk.width(), shrunk.height()) == (thumbs.THUMB_W, thumbs.THUMB_H)
    assert QtGui.QColor(shrunk.pixel(10, 10)).red() > 150


def test_a_frame_claiming_billions_of_pixels_is_not_decoded(caplog):
    bomb = _claims(60_000, 60_000)  # 3.6 gigapixels from a few kilobytes
    assert len(bomb) < 64 * 1024
    assert thumbs._shrink(relay_api.FrameImage(bomb, "image/png")) is None
    assert "60000x60000 is not shown" in caplog.text

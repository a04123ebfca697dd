"""The binary media packet: a fixed 48-byte header, then the encoded image.

Frames travel as binary WebSocket messages, never base64. All integers are
big-endian (network order), so the browser reads them with a DataView::

    offset size field
    0      2    magic "OS"
    2      1    version (1)
    3      1    kind: 1 frame (bytes follow), 2 frame reference (no bytes:
                the receiver already holds the image with this hash)
    4      2    header length in bytes (48; a later version may add fields)
    6      2    flags (bit 0: refinement of a still image, bit 1: lossless)
    8      4    frame id, counted per session by the host
    12     4    frame number (signed)
    16     2    width
    18     2    height
    20     1    codec (1 JPEG, 2 PNG, 3 raw RGB8)
    21     3    reserved (0)
    24     16   content hash (16 bytes; hex on the JSON side)
    40     8    capture timestamp, microseconds since the Unix epoch
    48     ...  payload (kind 1 only)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from ..errors import ErrorCode, ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import FrameInfo

MAGIC = b"OS"
PACKET_VERSION = 1
HEADER = struct.Struct(">2sBBHHIiHHB3s16sQ")
HEADER_SIZE = HEADER.size
assert HEADER_SIZE == 48

KIND_FRAME = 1
KIND_REF = 2

FLAG_REFINEMENT = 0x1
FLAG_LOSSLESS = 0x2

CODECS = {1: "jpeg", 2: "png", 3: "rgb8"}
CODEC_IDS = {name: i for i, name in CODECS.items()}


@dataclass(frozen=True)
class FrameHeader:
    """The header of one media packet."""

    frame_id: int
    frame: int
    width: int
    height: int
    codec: str
    hash: bytes
    captured_us: int
    kind: int = KIND_FRAME
    flags: int = 0

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()

    def info(self, size: int) -> FrameInfo:
        """The JSON-side description of this frame (``size``: payload bytes)."""
        return FrameInfo(
            frame_id=self.frame_id,
            frame=self.frame,
            width=self.width,
            height=self.height,
            codec=self.codec,
            hash=self.hash_hex,
            captured_us=self.captured_us,
            size=size,
        )

    def as_ref(self) -> FrameHeader:
        return replace(self, kind=KIND_REF)


def pack(header: FrameHeader, payload: bytes = b"") -> bytes:
    """Header + payload as one binary message."""
    if len(header.hash) != 16:
        raise ValueError("content hash must be 16 bytes")
    codec = CODEC_IDS.get(header.codec)
    if codec is None:
        raise ValueError(f"unknown codec {header.codec!r}; known: {', '.join(CODEC_IDS)}")
    head = HEADER.pack(
        MAGIC,
        PACKET_VERSION,
        header.kind,
        HEADER_SIZE,
        header.flags,
        header.frame_id & 0xFFFFFFFF,
        header.frame,
        header.width,
        header.height,
        codec,
        b"\0\0\0",
        header.hash,
        header.captured_us,
    )
    if header.kind == KIND_REF:
        return head
    return head + payload


def unpack(
    data: bytes | bytearray | memoryview, limits: Limits = DEFAULT_LIMITS
) -> tuple[FrameHeader, memoryview]:
    """Check and split one media packet. Raises ``ProtocolError`` naming the bad field."""
    size = len(data)
    if size > limits.max_frame_bytes:
        raise ProtocolError(
            ErrorCode.TOO_LARGE,
            f"frame message is {size} bytes, at most {limits.max_frame_bytes} allowed",
        )
    if size < HEADER_SIZE:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"frame message is {size} bytes, shorter than its {HEADER_SIZE}-byte header",
            "header",
        )
    view = memoryview(data)
    (
        magic,
        version,
        kind,
        header_len,
        flags,
        frame_id,
        frame,
        width,
        height,
        codec,
        _r,
        digest,
        captured,
    ) = HEADER.unpack_from(view)
    if magic != MAGIC:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "frame message does not start with the magic bytes 'OS'", "magic"
        )
    if version != PACKET_VERSION:
        raise ProtocolError(
            ErrorCode.VERSION_UNSUPPORTED,
            f"frame packet version {version} is not supported (this side: {PACKET_VERSION})",
            "version",
        )
    if kind not in (KIND_FRAME, KIND_REF):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"unknown frame packet kind {kind}", "kind")
    if header_len < HEADER_SIZE or header_len > size:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"header length {header_len} is out of range", "header_length"
        )
    if codec not in CODECS:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, f"unknown codec id {codec}", "codec")
    for name, side in (("width", width), ("height", height)):
        if side == 0 or side > limits.max_frame_side:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"{name} {side} is out of range (1..{limits.max_frame_side})",
                name,
            )
    payload = view[header_len:]
    if kind == KIND_FRAME and len(payload) == 0:
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "frame packet carries no image bytes", "payload")
    header = FrameHeader(
        frame_id=frame_id,
        frame=frame,
        width=width,
        height=height,
        codec=CODECS[codec],
        hash=bytes(digest),
        captured_us=captured,
        kind=kind,
        flags=flags,
    )
    return header, payload

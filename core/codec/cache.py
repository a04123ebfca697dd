"""Recently encoded frames, by (hash, variant, size), within a byte budget.

Looping playback shows the same images again and again; each was encoded the
first time round. The cache hands the bytes back so the encoder does not
encode again (and the relay, seeing a hash its subscribers hold, sends them a
reference instead of the bytes). Least recently used first out.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Optional

#: Kinds of encoding of one image, worst to best.
FAST = "fast"
REFINE = "refine"
LOSSLESS = "lossless"
VARIANTS = (FAST, REFINE, LOSSLESS)


@dataclass(frozen=True)
class EncodedFrame:
    """One encoding of one image: what ``on_frame`` receives, minus the per-emission fields."""

    hash: bytes
    variant: str
    codec: str
    width: int
    height: int
    payload: bytes
    #: The display transform's key (``DisplayTransform.key``), e.g. "scene_linear|sRGB|default".
    transform_key: str


CacheKey = tuple[bytes, str, int, int]


class FrameCache:
    """LRU of ``EncodedFrame`` within ``max_bytes`` of payload (0 disables it)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._frames: OrderedDict[CacheKey, EncodedFrame] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def get(self, digest: bytes, variant: str, width: int, height: int) -> Optional[EncodedFrame]:
        key = (digest, variant, width, height)
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def put(self, frame: EncodedFrame) -> None:
        size = len(frame.payload)
        if size > self.max_bytes:
            return
        key = (frame.hash, frame.variant, frame.width, frame.height)
        old = self._frames.pop(key, None)
        if old is not None:
            self.bytes -= len(old.payload)
        self._frames[key] = frame
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, dropped = self._frames.popitem(last=False)
            self.bytes -= len(dropped.payload)

"""The frames this client holds, by content hash, as the relay believes it holds them."""

from __future__ import annotations

from collections import OrderedDict
from typing import Optional


class FrameCache:
    """Encoded frames by content hash, least recently used dropped first.

    Mirrors the relay's record of what this client holds (it sends a reference,
    not the bytes, for a hash it believes is here), so both use the same policy:
    every frame received, or referred to, becomes the most recent.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._frames: OrderedDict[bytes, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._frames)

    def remember(self, digest: bytes, payload: bytes) -> None:
        if self.capacity <= 0:
            return
        self._frames[digest] = payload
        self._frames.move_to_end(digest)
        while len(self._frames) > self.capacity:
            self._frames.popitem(last=False)

    def recall(self, digest: bytes) -> Optional[bytes]:
        payload = self._frames.get(digest)
        if payload is not None:
            self._frames.move_to_end(digest)
        return payload

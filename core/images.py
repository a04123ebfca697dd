"""Which image was last published for each frame, so notes drawn on another one can say so.

``PublishedImages.wrap`` goes between the frame encoder and the client (a
``ShareSession`` puts it there): every frame that goes out is recorded (frame
number -> content hash, hex as in ``ImageRef.hash``) on its way. Thread-safe: the
encoder records on its worker thread, the panel reads on the UI thread. No Qt here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Optional

from .protocol.packet import FrameHeader

Publish = Callable[[FrameHeader, bytes], None]

#: Frames remembered at most (the least recently published are forgotten first).
MAX_FRAMES = 100_000


class PublishedImages:
    """Frame number -> hash of the image last published for it."""

    def __init__(self, most: int = MAX_FRAMES) -> None:
        self._lock = threading.Lock()
        self._hashes: OrderedDict[int, str] = OrderedDict()
        self._most = most
        self.version = 0

    def record(self, frame: int, hash_hex: str) -> None:
        with self._lock:
            if self._hashes.get(frame) == hash_hex:
                return
            self._hashes[frame] = hash_hex
            self._hashes.move_to_end(frame)
            while len(self._hashes) > self._most:
                self._hashes.popitem(last=False)
            self.version += 1

    def hash_of(self, frame: int) -> Optional[str]:
        with self._lock:
            return self._hashes.get(frame)

    def wrap(self, publish: Publish) -> Publish:
        """``publish`` that records each frame's hash first."""

        def publish_and_record(header: FrameHeader, payload: bytes) -> None:
            self.record(header.frame, header.hash_hex)
            publish(header, payload)

        return publish_and_record

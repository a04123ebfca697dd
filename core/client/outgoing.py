"""What waits to go out: control messages in order, and the one newest frame to publish."""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from typing import Optional, Union

from ..errors import ErrorCode, ProtocolError
from ..limits import Limits
from ..protocol.packet import CODEC_IDS, HEADER_SIZE, KIND_FRAME, FrameHeader

#: Ephemeral messages where only the newest unsent (or undelivered) one matters.
COALESCED = frozenset({"pointer", "presence", "playhead", "timeline", "voice_state"})
#: A frame's image bytes as callers hand them in.
Payload = Union[bytes, bytearray, memoryview]


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One text for the control socket, for connection ``gen`` only."""

    gen: int
    text: str
    kind: str = ""


class SendQueue:
    """Texts for the control socket in order; a newer pointer/presence/playhead replaces an older
    unsent one (and moves to the back, after what was queued before it)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._items: deque[Outgoing] = deque()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def put(self, item: Outgoing) -> None:
        with self._cond:
            if item.kind in COALESCED:
                stale = [i for i in self._items if i.kind == item.kind]
                for old in stale:
                    self._items.remove(old)
            self._items.append(item)
            self._cond.notify()

    def get(self, timeout: float) -> Optional[Outgoing]:
        """The oldest item, waiting up to ``timeout`` seconds; None if there is none."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            return self._items.popleft() if self._items else None

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def snapshot(self) -> list[Outgoing]:
        with self._cond:
            return list(self._items)


class FrameSlot:
    """The one frame waiting to be published: a newer frame replaces it (never a queue)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: Optional[tuple[FrameHeader, Payload]] = None
        self.replaced = 0

    def put(self, header: FrameHeader, payload: Payload) -> None:
        with self._cond:
            if self._item is not None:
                self.replaced += 1
            self._item = (header, payload)
            self._cond.notify()

    def put_back(self, item: tuple[FrameHeader, Payload]) -> None:
        """Return a frame that could not be sent, unless a newer one came meanwhile."""
        with self._cond:
            if self._item is None:
                self._item = item
                self._cond.notify()

    def take(self, timeout: float) -> Optional[tuple[FrameHeader, Payload]]:
        with self._cond:
            if self._item is None:
                self._cond.wait(timeout)
            item, self._item = self._item, None
            return item

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


def check_frame(header: FrameHeader, payload: Payload, limits: Limits) -> None:
    """Refuse now what the relay would refuse later (and what ``pack`` cannot write)."""
    if header.kind != KIND_FRAME:
        raise ValueError("publish frames with their bytes (kind KIND_FRAME)")
    if len(header.hash) != 16:
        raise ValueError(f"the frame hash must be 16 bytes, got {len(header.hash)}")
    if header.codec not in CODEC_IDS:
        raise ValueError(f"unknown codec {header.codec!r}; known: {', '.join(CODEC_IDS)}")
    for side, value in (("width", header.width), ("height", header.height)):
        if not 1 <= value <= limits.max_frame_side:
            raise ValueError(f"frame {side} {value} is outside 1..{limits.max_frame_side}")
    size = HEADER_SIZE + len(payload)
    if not len(payload):
        raise ValueError("the frame has no image bytes")
    if size > limits.max_frame_bytes:
        raise ProtocolError(
            ErrorCode.TOO_LARGE,
            f"the frame is {size} bytes; the relay takes at most {limits.max_frame_bytes}",
        )

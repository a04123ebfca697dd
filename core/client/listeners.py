"""The callbacks a ``SessionClient`` takes, and the relay messages one may listen to."""

from __future__ import annotations

from collections.abc import Callable

from ..protocol import MESSAGES, Envelope
from ..protocol.packet import FrameHeader

#: Runs a callback somewhere (an app's UI thread); the default runs it at once.
Dispatch = Callable[[Callable[[], None]], None]
#: ``on(mtype, fn)``: called with each message of that type from the relay.
EnvelopeListener = Callable[[Envelope], None]
#: ``on_state(fn)``: called with the new state (see ``STATES``).
StateListener = Callable[[str], None]
#: ``on_frame(fn)``: called with the newest frame's header and image bytes.
FrameListener = Callable[[FrameHeader, bytes], None]

#: Message types a listener may subscribe to: what the relay sends on the control socket.
LISTENABLE = frozenset(
    t for t, s in MESSAGES.items() if s.direction in ("relay", "both") and t != "media_welcome"
)


def call_direct(fn: Callable[[], None]) -> None:
    """The default ``Dispatch``: run the callback at once, on the calling thread."""
    fn()

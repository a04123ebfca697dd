"""The Python client: one participant's connection to a relay session.

``SessionClient`` is what an app uses; the rest is exported for tools and tests
that work with its parts (the protocol without I/O, the outbox file, the send queues,
the state mirror).
"""

from .backoff import reconnect_delay
from .decode import decode_relay_message
from .frame_cache import FrameCache
from .listeners import Dispatch, EnvelopeListener, FrameListener, StateListener, VoiceListener
from .outbox import Outbox, PendingEvent
from .outgoing import FrameSlot, Outgoing, SendQueue
from .protocol import SessionProtocol, StateChanged
from .replica import SessionReplica
from .session import SessionClient
from .sockets import control_url, media_url
from .status import CONNECTION_LOST, REPLACED, STATES, UNREACHABLE, ClientState

__all__ = [
    "CONNECTION_LOST",
    "REPLACED",
    "STATES",
    "UNREACHABLE",
    "ClientState",
    "Dispatch",
    "EnvelopeListener",
    "FrameCache",
    "FrameListener",
    "FrameSlot",
    "Outbox",
    "Outgoing",
    "PendingEvent",
    "SendQueue",
    "SessionClient",
    "SessionProtocol",
    "SessionReplica",
    "StateChanged",
    "StateListener",
    "VoiceListener",
    "control_url",
    "decode_relay_message",
    "media_url",
    "reconnect_delay",
]

"""The wire protocol: control messages (JSON) and media packets (binary).

Pure data and checks; no I/O: the messages, the packets, and how stored events change a
session's state (``events``). Used by the relay, the Python client and, through
docs/protocol.md and the shared fixtures, the browser.
"""

from ..errors import ErrorCode, ProtocolError
from .events import RELAY_FILLED, Filled, SessionState, fill
from .messages import (
    CAPABILITIES,
    CLEARABLE,
    MESSAGES,
    PERSISTED_TYPES,
    PROTOCOL_MAJOR,
    PROTOCOL_VERSION,
    Envelope,
    MessageSpec,
    build,
    check_protocol_version,
    dumps,
    error_message,
    parse,
)
from .packet import FrameHeader, pack, unpack

__all__ = [
    "CAPABILITIES",
    "CLEARABLE",
    "MESSAGES",
    "PERSISTED_TYPES",
    "PROTOCOL_MAJOR",
    "PROTOCOL_VERSION",
    "RELAY_FILLED",
    "Envelope",
    "ErrorCode",
    "Filled",
    "FrameHeader",
    "MessageSpec",
    "ProtocolError",
    "SessionState",
    "build",
    "check_protocol_version",
    "dumps",
    "error_message",
    "fill",
    "pack",
    "parse",
    "unpack",
]

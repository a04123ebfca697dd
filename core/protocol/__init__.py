"""The wire protocol: control messages (JSON) and media packets (binary).

Pure data and checks; no I/O. Used by the relay, the Python client and, through
docs/protocol.md and the shared fixtures, the browser.
"""

from ..errors import ErrorCode, ProtocolError
from .messages import (
    CAPABILITIES,
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
    "MESSAGES",
    "PERSISTED_TYPES",
    "PROTOCOL_MAJOR",
    "PROTOCOL_VERSION",
    "Envelope",
    "ErrorCode",
    "FrameHeader",
    "MessageSpec",
    "ProtocolError",
    "build",
    "check_protocol_version",
    "dumps",
    "error_message",
    "pack",
    "parse",
    "unpack",
]

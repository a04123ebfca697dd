"""Protocol errors: what was wrong, in which field, with a stable code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ErrorCode:
    """Stable error codes. Clients switch on these; the message is for people."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LARGE = "too_large"
    VERSION_UNSUPPORTED = "version_unsupported"
    UNAUTHORIZED = "unauthorized"
    TOKEN_EXPIRED = "token_expired"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    SESSION_FULL = "session_full"
    NOT_READY = "not_ready"
    INTERNAL = "internal"
    #: An event of the session's stored log could not be read; it was skipped (the relay
    #: started with ``--carry-on``, or one row was damaged).
    DAMAGED_EVENT = "damaged_event"
    #: The voice room holds as many as a mesh carries and the relay has no media server.
    VOICE_FULL = "voice_full"
    #: A voice message from, or to, someone who is not in voice.
    NOT_IN_VOICE = "not_in_voice"


@dataclass
class ProtocolError(Exception):
    """A message could not be accepted. ``field`` is a dotted path into it."""

    code: str
    message: str
    field: str | None = None
    #: The refused message's ``ref`` and ``type`` when they could be read, so the
    #: sender can tie the refusal to what it sent even when the body was bad.
    ref: str | None = None
    mtype: str | None = None

    def __str__(self) -> str:
        where = f" (field {self.field!r})" if self.field else ""
        return f"{self.code}: {self.message}{where}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        return out

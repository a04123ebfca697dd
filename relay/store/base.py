"""What the relay needs of a durable event log, whatever engine holds it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional, Protocol

from overshoulder.core.errors import ErrorCode
from overshoulder.core.model import SessionInfo, Watermark

#: The error code a participant and an export see for an event of the log that cannot be read.
DAMAGED_EVENT = ErrorCode.DAMAGED_EVENT


@dataclass(frozen=True)
class SessionRecord:
    """A session as stored: what a session no room holds is listed with, and what a room
    starts from before its log is replayed."""

    id: str
    name: str
    created: float
    host_name: Optional[str] = None
    closed: bool = False
    #: Who sees the watermark (set by the log's ``session`` events, kept here too).
    watermark: Watermark = "viewers"

    def as_info(self) -> SessionInfo:
        """The session as the protocol describes it, with nobody connected."""
        return SessionInfo(
            id=self.id,
            name=self.name,
            created=self.created,
            host_name=self.host_name,
            closed=self.closed,
            watermark=self.watermark,
        )


@dataclass(frozen=True)
class EventRecord:
    """One persisted event: its place in the session's log and its wire text.

    ``text`` is the envelope exactly as broadcast (with ``seq``), so a resume
    or an export replays the stored bytes as they were. ``damage`` says why a
    stored row cannot be used (its text is then empty when it could not be read):
    only ``events_since(..., damaged=True)`` returns such records.
    """

    session: str
    seq: int
    eid: str
    type: str
    sender: str
    ts: float
    text: str
    damage: Optional[str] = None


@dataclass(frozen=True)
class AuditEntry:
    """Who did what to a session's people and data: joined, left, invited, downloaded,
    exported. Kept beside the event log (never sent to participants), read by the host and
    the admin key."""

    session: str
    ts: float
    action: str
    who: str
    role: Optional[str] = None
    detail: str = ""


class EventStore(Protocol):
    """A durable, per-session, gap-free event log.

    ``append`` hands events to the store and returns at once; ``done`` is
    called (on the thread that called ``append``'s event loop, through
    ``call_soon_threadsafe`` or directly) once every event of the batch is
    durable, with ``None``, or with the exception that stopped the write.
    Events are written in the order they were appended.
    """

    def create_session(self, record: SessionRecord) -> None: ...

    def get_session(self, session_id: str) -> Optional[SessionRecord]: ...

    def list_sessions(self, include_closed: bool = False) -> list[SessionRecord]: ...

    def update_session(
        self,
        session_id: str,
        *,
        name: Optional[str] = None,
        closed: Optional[bool] = None,
        watermark: Optional[Watermark] = None,
    ) -> None:
        """Keep what a ``session`` event changed (None: left as it is)."""
        ...

    def append(
        self,
        events: Sequence[EventRecord],
        done: Callable[[Optional[BaseException]], None],
    ) -> None: ...

    def events_since(
        self, session_id: str, since: int, limit: Optional[int] = None, *, damaged: bool = False
    ) -> list[EventRecord]:
        """The session's events after ``since``, in order. Rows that cannot be read (or were
        reported damaged) are left out, or returned with their ``damage`` when ``damaged``."""
        ...

    def report_damage(self, session_id: str, seq: int, why: str) -> None:
        """Note that event ``seq`` of a session cannot be used (named in ``problems``)."""
        ...

    def last_seq(self, session_id: str) -> int: ...

    def open_sessions(self) -> int:
        """How many sessions are not closed (without reading them)."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Keep one audit entry (small and rare: may be done inline)."""
        ...

    def audit_log(self, session_id: str, limit: int = 10_000) -> list[AuditEntry]:
        """A session's audit entries, oldest first."""
        ...

    def problems(self) -> list[str]:
        """Sentences naming what keeps the store from working now (empty when healthy)."""
        ...

    def close(self) -> None: ...

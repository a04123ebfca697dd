"""What the relay needs of a durable event log, whatever engine holds it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Optional, Protocol


@dataclass(frozen=True)
class SessionRecord:
    """A session as stored."""

    id: str
    name: str
    created: float
    host_name: Optional[str] = None
    closed: bool = False


@dataclass(frozen=True)
class EventRecord:
    """One persisted event: its place in the session's log and its wire text.

    ``text`` is the envelope exactly as broadcast (with ``seq``), so a resume
    or an export replays the stored bytes as they were.
    """

    session: str
    seq: int
    eid: str
    type: str
    sender: str
    ts: float
    text: str


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
        self, session_id: str, *, name: Optional[str] = None, closed: Optional[bool] = None
    ) -> None: ...

    def append(
        self,
        events: Sequence[EventRecord],
        done: Callable[[Optional[BaseException]], None],
    ) -> None: ...

    def events_since(
        self, session_id: str, since: int, limit: Optional[int] = None
    ) -> list[EventRecord]: ...

    def last_seq(self, session_id: str) -> int: ...

    def problems(self) -> list[str]:
        """Sentences naming what keeps the store from working now (empty when healthy)."""
        ...

    def close(self) -> None: ...

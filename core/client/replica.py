"""The session as this client knows it: participants, notes, chat, playhead, and seq tracking."""

from __future__ import annotations

import dataclasses
import logging
from collections import deque
from collections.abc import Mapping, Set
from typing import Any, Optional

from ..errors import ProtocolError
from ..limits import Limits
from ..model import Annotation, ChatMessage, Participant, Playhead, SessionInfo
from ..protocol import MESSAGES, Envelope
from ..protocol.events import (
    RELAY_FILLED,
    Filled,
    SessionState,
    as_stored,
    fill,
    read_filled,
    relay_fill,
)
from ..protocol.messages import AnnotationUpdate, Snapshot, SnapshotPage, Stream, Welcome
from ..schema import decode
from .outbox import PendingEvent

log = logging.getLogger("overshoulder.client")

#: Fields ``annotation_update`` may change (``clear`` names those it removes).
UPDATABLE = tuple(f.name for f in dataclasses.fields(AnnotationUpdate) if f.name != "id")

__all__ = ["RELAY_FILLED", "UPDATABLE", "SessionReplica"]


class SessionReplica:
    """The session's state built from the relay's messages: no I/O, no threads, no locks.

    Sequence numbers: ``last_seq`` is the point to resume from: every persisted
    event up to it has been applied. Events seen beyond a gap (an ack can
    overtake another participant's event) are remembered, so a resume that
    sends them again does not apply them twice.
    """

    def __init__(self) -> None:
        #: The notes, deleted ids, chat and session, as the stored events made them.
        self.state = SessionState()
        self.me: Optional[Participant] = None
        self.participants: dict[str, Participant] = {}
        self.playhead: Optional[Playhead] = None
        self.stream: Optional[Stream] = None
        self.driver: Optional[str] = None
        self.joined = False
        self.last_seq = 0
        self._ahead: set[int] = set()
        #: Whether the latest snapshot was a full one (its seq is where this state stands).
        self._full_snapshot = False
        #: Bumped when the collection changes, so readers can cache copies.
        self.annotations_version = 0
        self.participants_version = 0
        self.chat_version = 0

    @property
    def session(self) -> Optional[SessionInfo]:
        return self.state.session

    @property
    def annotations(self) -> dict[str, Annotation]:
        return self.state.notes

    @property
    def deleted(self) -> Set[str]:
        """Ids of notes deleted in the session (from the snapshot and later deletes)."""
        return self.state.deleted.keys()

    @property
    def chat(self) -> deque[ChatMessage]:
        return self.state.chat

    # sequence numbers

    def mark(self, seq: int) -> bool:
        """Note that event ``seq`` has been seen; False if it had been already."""
        if self.seen(seq):
            return False
        self._ahead.add(seq)
        self._advance()
        return True

    def seen(self, seq: int) -> bool:
        return seq <= self.last_seq or seq in self._ahead

    def _advance(self) -> None:
        """Move ``last_seq`` over the events seen beyond it without a gap."""
        while self.last_seq + 1 in self._ahead:
            self.last_seq += 1
            self._ahead.discard(self.last_seq)

    # joining

    def welcome(self, welcome: Welcome) -> None:
        self.state.session = welcome.session
        self.me = welcome.participant
        self.participants[welcome.participant.id] = welcome.participant
        self.participants_version += 1

    def snapshot(self, snap: Snapshot) -> None:
        """Take the session's state; with ``full`` also its notes and chat, and its seq."""
        self.state.session = snap.session
        self.participants = {p.id: p for p in snap.participants}
        if self.me is not None and self.me.id not in self.participants:
            self.participants[self.me.id] = self.me
        self.participants_version += 1
        self.playhead = snap.playhead
        self.stream = snap.stream
        self.driver = snap.driver
        if snap.full:
            self.state.reset(snap.annotations or (), snap.deleted or (), snap.chat or (), snap.seq)
            self.annotations_version += 1
            self.chat_version += 1
            self.last_seq = snap.seq
            self._ahead.clear()
        self._full_snapshot = snap.full
        self.joined = True

    def snapshot_page(self, page: SnapshotPage) -> None:
        """More of a full snapshot's notes (``snapshot.pages`` of them come before ``synced``)."""
        self.state.add_notes(page.annotations)
        self.annotations_version += 1

    def synced(self, seq: int) -> None:
        """The relay has sent every event up to ``seq``.

        After a resume this ends the missed events. After a full snapshot it only
        confirms the snapshot's seq, which newer events may have passed already:
        then it never moves the resume point back.
        """
        if seq < self.last_seq:
            if self._full_snapshot:
                return
            log.warning(
                "the relay is at event %d but this client had seen %d; its log was reset?",
                seq,
                self.last_seq,
            )
            self._ahead.clear()
        self.last_seq = seq
        self._ahead = {s for s in self._ahead if s > seq}
        self._advance()

    # events

    def apply(self, mtype: str, body: Any, seq: Optional[int] = None) -> bool:
        """Apply a persisted event's body, stored at ``seq``; True if the state changed."""
        part = self.state.apply(mtype, body, seq)
        if part == "notes":
            self.annotations_version += 1
        elif part == "chat":
            self.chat_version += 1
        return part is not None

    def apply_own(
        self,
        event: PendingEvent,
        limits: Limits,
        now: float,
        filled: Optional[Mapping[str, Any]] = None,
        seq: Optional[int] = None,
    ) -> bool:
        """Apply this client's own event once the relay has stored it (its ``ack``, at ``seq``:
        a chat line goes where the relay stored it, before another's line stored later).

        The relay stores shapes rounded (``as_stored``) and writes some fields of a
        note or chat line itself (author, time, the note's image); its ``ack`` says
        which values (``filled``), so this copy equals everyone else's. Where it does
        not say, this client fills them by the relay's rule (``relay_fill``), with ``now``.
        """
        body = as_stored(decode(MESSAGES[event.type].body, event.data, "data", limits))
        values = Filled() if self.me is None else relay_fill(event.type, body, self.me, now)
        if filled:
            try:
                values = values.over(read_filled(event.type, filled, limits))
            except ProtocolError as exc:
                log.warning(
                    "the relay's ack filled in values of this client's %s it cannot read (%s); "
                    "using its own",
                    event.type,
                    exc,
                )
        return self.apply(event.type, fill(event.type, body, values), seq)

    def apply_live(self, env: Envelope) -> None:
        """Apply an ephemeral message: join, leave, presence, playhead, lease."""
        data = env.data
        if env.type == "join":
            self.participants[data.participant.id] = data.participant
            self.participants_version += 1
        elif env.type == "leave":
            pid = data.id or env.sender
            if pid is not None and self.participants.pop(pid, None) is not None:
                self.participants_version += 1
        elif env.type == "presence":
            pid = data.id or env.sender
            person = self.participants.get(pid or "")
            if person is not None:
                self.participants[person.id] = dataclasses.replace(
                    person, state=data.state, following=data.following
                )
                self.participants_version += 1
        elif env.type == "playhead":
            self.playhead = data
        elif env.type == "stream":
            self.stream = data
        elif env.type == "lease":
            self.driver = data.holder

"""The session as this client knows it: participants, notes, chat, playhead, and seq tracking."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, Optional

from ..errors import ProtocolError
from ..limits import Limits
from ..model import Annotation, ChatMessage, Participant, Playhead, SessionInfo
from ..protocol import MESSAGES, Envelope
from ..protocol.messages import AnnotationUpdate, Snapshot, SnapshotPage, Stream, Welcome
from ..schema import decode
from .outbox import PendingEvent

log = logging.getLogger("overshoulder.client")

#: Fields ``annotation_update`` may change.
UPDATABLE = tuple(f.name for f in dataclasses.fields(AnnotationUpdate) if f.name != "id")
#: The fields of a sender's own event that the relay writes (its ``ack`` says how, in
#: ``filled``); "image" is the annotation anchor's image ref.
RELAY_FILLED = {
    "annotation_add": ("author", "author_name", "created", "image"),
    "chat": ("author", "author_name", "ts"),
}


class SessionReplica:
    """The session's state built from the relay's messages: no I/O, no threads, no locks.

    Sequence numbers: ``last_seq`` is the point to resume from: every persisted
    event up to it has been applied. Events seen beyond a gap (an ack can
    overtake another participant's event) are remembered, so a resume that
    sends them again does not apply them twice.
    """

    def __init__(self) -> None:
        self.session: Optional[SessionInfo] = None
        self.me: Optional[Participant] = None
        self.participants: dict[str, Participant] = {}
        self.annotations: dict[str, Annotation] = {}
        #: Ids of notes deleted in the session (from the snapshot and later deletes).
        self.deleted: set[str] = set()
        self.chat: list[ChatMessage] = []
        self._chat_ids: set[str] = set()
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
        self.session = welcome.session
        self.me = welcome.participant
        self.participants[welcome.participant.id] = welcome.participant
        self.participants_version += 1

    def snapshot(self, snap: Snapshot) -> None:
        """Take the session's state; with ``full`` also its notes and chat, and its seq."""
        self.session = snap.session
        self.participants = {p.id: p for p in snap.participants}
        if self.me is not None and self.me.id not in self.participants:
            self.participants[self.me.id] = self.me
        self.participants_version += 1
        self.playhead = snap.playhead
        self.stream = snap.stream
        self.driver = snap.driver
        if snap.full:
            self.annotations = {a.id: a for a in snap.annotations or ()}
            self.deleted = set(snap.deleted or ()) - set(self.annotations)
            self.annotations_version += 1
            self.chat = list(snap.chat or ())
            self._chat_ids = {c.id for c in self.chat}
            self.chat_version += 1
            self.last_seq = snap.seq
            self._ahead.clear()
        self._full_snapshot = snap.full
        self.joined = True

    def snapshot_page(self, page: SnapshotPage) -> None:
        """More of a full snapshot's notes (``snapshot.pages`` of them come before ``synced``)."""
        for ann in page.annotations:
            self.annotations[ann.id] = ann
            self.deleted.discard(ann.id)
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

    def apply(self, mtype: str, body: Any) -> bool:
        """Apply a persisted event's body; True if the state changed."""
        if mtype == "annotation_add":
            ann: Annotation = body.annotation
            self.annotations[ann.id] = ann
            self.deleted.discard(ann.id)
            self.annotations_version += 1
            return True
        if mtype == "annotation_update":
            current = self.annotations.get(body.id)
            if current is None:
                return False
            changes = {k: getattr(body, k) for k in UPDATABLE if getattr(body, k) is not None}
            self.annotations[body.id] = dataclasses.replace(current, **changes)
            self.annotations_version += 1
            return True
        if mtype == "annotation_delete":
            if self.annotations.pop(body.id, None) is None:
                return False
            self.deleted.add(body.id)
            self.annotations_version += 1
            return True
        if mtype == "chat":
            if body.id in self._chat_ids:
                return False
            self._chat_ids.add(body.id)
            self.chat.append(body)
            self.chat_version += 1
            return True
        if mtype == "session" and self.session is not None:
            changes = {
                k: getattr(body, k)
                for k in ("name", "closed", "watermark")
                if getattr(body, k) is not None
            }
            self.session = dataclasses.replace(self.session, **changes)
            return True
        return False

    def apply_own(
        self,
        event: PendingEvent,
        limits: Limits,
        now: float,
        filled: Optional[Mapping[str, Any]] = None,
    ) -> bool:
        """Apply this client's own event once the relay has stored it (its ``ack``).

        The relay writes some fields of a note or chat line itself (author, time,
        the note's image) and its ``ack`` says which values (``filled``), so this
        copy equals everyone else's. Where it does not say, this client fills
        them as the relay would: this participant, and ``now``.
        """
        spec = MESSAGES[event.type]
        own = self._own_fields(event, now)
        given = {k: v for k, v in (filled or {}).items() if k in RELAY_FILLED.get(event.type, ())}
        body: Any
        try:
            body = decode(spec.body, _fill(event, {**own, **given}), "data", limits)
        except ProtocolError as exc:
            if not given:
                raise
            log.warning(
                "the relay's ack filled in values of this client's %s it cannot read (%s); "
                "using its own",
                event.type,
                exc,
            )
            body = decode(spec.body, _fill(event, own), "data", limits)
        return self.apply(event.type, body)

    def _own_fields(self, event: PendingEvent, now: float) -> dict[str, Any]:
        """The fields the relay writes into ``event``, as this client expects them."""
        me = self.me
        if me is None:
            return {}
        if event.type == "annotation_add":
            created = event.data["annotation"].get("created") or now
            return {"author": me.id, "author_name": me.name, "created": created}
        if event.type == "chat":
            return {"author": me.id, "author_name": me.name, "ts": now}
        return {}

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


def _fill(event: PendingEvent, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``event.data`` with ``fields`` (see ``RELAY_FILLED``) written in."""
    if not fields:
        return event.data
    if event.type == "annotation_add":
        note = dict(event.data["annotation"])
        for key, value in fields.items():
            if key == "image":
                note["anchor"] = dict(note["anchor"], image=value)
            else:
                note[key] = value
        return dict(event.data, annotation=note)
    return dict(event.data, **fields)

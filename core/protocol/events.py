"""How a stored event changes a session's state, and what the relay writes into events.

One definition, used by the relay's rooms and by the Python client's replica; the page's
``state.js`` follows the same rules, and the session fixtures under tests/ check that all
three end in the same state. Bodies are the typed ones of ``messages.MESSAGES``.

- ``SessionState``: the notes by id, the deleted notes, the chat and the session's name,
  closed flag and watermark; ``SessionState.apply`` takes one persisted event.
- Chat order: lines are kept in the order the relay stored them (seq). A line whose seq is
  known (a relay event, or a client's own line once acknowledged) goes after every line of
  lower seq and before every line of higher seq; a client's own lines not yet acknowledged
  (no seq) stay at the end, in the order sent. A full snapshot's chat is in seq order, and
  every line of it is at or before the snapshot's seq.
- ``updated``: a note after an ``annotation_update`` (given fields set, then ``clear``).
- ``as_stored``: a sender's body as the relay stores it (shapes' coordinates rounded).
- ``RELAY_FILLED``, ``Filled`` and ``fill``: the fields the relay writes into an event it
  stores (who, when, the note's image), and one function that writes them, used by the relay
  when it stores an event and by a client when its own event is acknowledged (``ack.filled``).
- ``relay_fill``: which values those are for a sender at a time (all but the image): the
  relay's rule, which a client also follows for an ``ack`` that does not say (no ``filled``).
- ``read_stored``: a stored event's text back to its typed body (a room rebuilt from the log).
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from .. import fastschema
from ..errors import ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Annotation, ChatMessage, ImageRef, Participant, SessionInfo, Shape
from ..schema import MAX_SAFE_INT, Bounds, decode
from .messages import MESSAGES, AnnotationAdd, AnnotationUpdate, SessionUpdate

#: The fields of a note ``annotation_update`` may set (``clear`` removes some of them).
SETTABLE = tuple(
    f.name for f in dataclasses.fields(AnnotationUpdate) if f.name not in ("id", "clear")
)

#: What ``SessionState.apply`` changed: the notes, the chat or the session (None: nothing).
Part = Literal["notes", "chat", "session"]


def _no_text(note: Annotation) -> Annotation:
    return dataclasses.replace(note, text=None) if note.text is not None else note


def _no_duration(note: Annotation) -> Annotation:
    if note.anchor.duration is None:
        return note
    return dataclasses.replace(note, anchor=dataclasses.replace(note.anchor, duration=None))


#: How each name of ``messages.CLEARABLE`` is removed from a note.
_CLEARS = {"text": _no_text, "anchor.duration": _no_duration}


def updated(note: Annotation, update: AnnotationUpdate) -> Annotation:
    """``note`` after ``update``: the fields it gives replace the note's (whole objects: a
    new anchor replaces the old one), then the fields it clears are removed."""
    changes = {}
    for name in SETTABLE:
        value = getattr(update, name)
        if value is not None:
            changes[name] = value
    if changes:
        note = dataclasses.replace(note, **changes)
    for name in update.clear or ():
        note = _CLEARS[name](note)
    return note


def note_id(mtype: str, body: Any) -> Optional[str]:
    """The id of the note an event is about (None for chat and session events)."""
    if mtype == "annotation_add":
        return str(body.annotation.id)
    if mtype in ("annotation_update", "annotation_delete"):
        return str(body.id)
    return None


class SessionState:
    """What a session's stored events add up to: no I/O.

    ``deleted`` maps the id of each note deleted in the session to the note as it was
    (None when only its id is known, as from a snapshot), so a restore can be checked
    against its author. ``chat`` keeps the latest ``chat_kept`` lines (all when None), in
    the relay's order (see "Chat order" above): a line applied with its ``seq`` is placed
    by it, one without goes at the end. When the chat is full, its first line goes.
    """

    def __init__(self, session: Optional[SessionInfo] = None, chat_kept: Optional[int] = None):
        self.session = session
        self.notes: dict[str, Annotation] = {}
        self.deleted: dict[str, Optional[Annotation]] = {}
        self.chat: deque[ChatMessage] = deque(maxlen=chat_kept)
        #: The seq of each line of ``chat``, in step with it (None: not known yet).
        self._chat_seqs: deque[Optional[int]] = deque(maxlen=chat_kept)
        self._chat_ids: set[str] = set()

    def reset(
        self,
        notes: Iterable[Annotation],
        deleted: Iterable[str],
        chat: Iterable[ChatMessage],
        seq: int = 0,
    ) -> None:
        """Take a full snapshot's notes, deleted ids and chat (stored at or before ``seq``)."""
        self.notes = {n.id: n for n in notes}
        self.deleted = {i: None for i in deleted if i not in self.notes}
        self.chat.clear()
        self.chat.extend(chat)
        self._chat_seqs.clear()
        self._chat_seqs.extend(seq for _ in self.chat)
        self._chat_ids = {c.id for c in self.chat}

    def add_notes(self, notes: Iterable[Annotation]) -> None:
        """More of a snapshot's notes (a ``snapshot_page``)."""
        for note in notes:
            self.notes[note.id] = note
            self.deleted.pop(note.id, None)

    def apply(self, mtype: str, body: Any, seq: Optional[int] = None) -> Optional[Part]:
        """Apply a persisted event's typed body, stored at ``seq`` (None: not known, or
        applied in seq order); what changed, or None."""
        if mtype == "chat":
            return self._chat(body, seq)
        step = _STEPS.get(mtype)
        return step(self, body) if step is not None else None

    def _add(self, body: Any) -> Optional[Part]:
        note: Annotation = body.annotation
        self.notes[note.id] = note
        self.deleted.pop(note.id, None)
        return "notes"

    def _update(self, body: AnnotationUpdate) -> Optional[Part]:
        note = self.notes.get(body.id)
        if note is None:
            return None
        self.notes[body.id] = updated(note, body)
        return "notes"

    def _delete(self, body: Any) -> Optional[Part]:
        note = self.notes.pop(body.id, None)
        if note is None:
            return None
        self.deleted[body.id] = note
        return "notes"

    def _chat(self, body: ChatMessage, seq: Optional[int] = None) -> Optional[Part]:
        if body.id in self._chat_ids:
            return None
        self._chat_ids.add(body.id)
        seqs = self._chat_seqs
        at = len(seqs)
        while seq is not None and at:  # before the lines of higher seq or of none yet
            before = seqs[at - 1]
            if before is not None and before <= seq:
                break
            at -= 1
        if len(seqs) == seqs.maxlen:
            if at == 0:
                return None  # older than every line kept: the first to go
            self.chat.popleft()
            seqs.popleft()
            at -= 1
        self.chat.insert(at, body)
        seqs.insert(at, seq)
        return "chat"

    def _session(self, body: SessionUpdate) -> Optional[Part]:
        if self.session is None:
            return None
        changes = {}
        for name in ("name", "closed", "watermark"):
            value = getattr(body, name)
            if value is not None:
                changes[name] = value
        self.session = dataclasses.replace(self.session, **changes)
        return "session"


_STEPS = {
    "annotation_add": SessionState._add,
    "annotation_update": SessionState._update,
    "annotation_delete": SessionState._delete,
    "chat": SessionState._chat,
    "session": SessionState._session,
}
assert set(_STEPS) == {t for t, s in MESSAGES.items() if s.persisted}, "a stored type has no step"


# --- what the relay stores -------------------------------------------------------------------

#: Decimals kept of a coordinate: 1e-5 of the image height is 0.02 px at 2160 lines.
COORD_DECIMALS = 5


def rounded(shape: Shape) -> Shape:
    """A shape with its coordinates rounded: a third the size in the log and in snapshots."""
    changes: dict[str, Any] = {}
    if shape.points is not None:
        changes["points"] = [[round(v, COORD_DECIMALS) for v in pt] for pt in shape.points]
    for key in ("start", "end", "min", "max", "at"):
        pt = getattr(shape, key)
        if pt is not None:
            changes[key] = (round(pt[0], COORD_DECIMALS), round(pt[1], COORD_DECIMALS))
    return dataclasses.replace(shape, **changes) if changes else shape


def as_stored(body: Any) -> Any:
    """A sender's body as the relay stores it, before ``fill``: shapes' coordinates rounded."""
    if isinstance(body, AnnotationAdd):
        note = body.annotation
        return AnnotationAdd(dataclasses.replace(note, shape=rounded(note.shape)))
    if isinstance(body, AnnotationUpdate) and body.shape is not None:
        return dataclasses.replace(body, shape=rounded(body.shape))
    return body


#: The fields of a stored event that the relay writes, by type ("image": the note
#: anchor's image, when the session's latest frame is the note's frame). The sender's
#: values of these are replaced (see ``fill``); its ``ack`` says which were written.
RELAY_FILLED: dict[str, tuple[str, ...]] = {
    "annotation_add": ("author", "author_name", "created", "image"),
    "chat": ("author", "author_name", "ts"),
}


@dataclass(frozen=True)
class Filled:
    """Values of ``RELAY_FILLED`` fields, as ``ack.filled`` carries them (None: not written)."""

    author: Annotated[Optional[str], Bounds(max_len=64)] = None
    author_name: Annotated[Optional[str], Bounds(limit="max_name_chars")] = None
    created: Optional[float] = None
    ts: Optional[float] = None
    image: Optional[ImageRef] = None

    def over(self, other: Filled) -> Filled:
        """These values with those ``other`` gives written over them."""
        given = {k: v for k, v in vars(other).items() if v is not None}
        return dataclasses.replace(self, **given) if given else self


def fill(mtype: str, body: Any, values: Filled) -> Any:
    """``body`` with the given ``values`` written in (only the fields ``RELAY_FILLED``
    names for ``mtype``): what the relay stores, or a client's copy of its own event."""
    names = RELAY_FILLED.get(mtype, ())
    changes = {}
    for name in names:
        value = getattr(values, name)
        if value is not None:
            changes[name] = value
    if not changes:
        return body
    if mtype == "annotation_add":
        note: Annotation = body.annotation
        image = changes.pop("image", None)
        if image is not None:
            changes["anchor"] = dataclasses.replace(note.anchor, image=image)
        return dataclasses.replace(body, annotation=dataclasses.replace(note, **changes))
    return dataclasses.replace(body, **changes)


#: How far ahead of the relay's clock a note's own ``created`` may be and still be kept.
CREATED_AHEAD_S = 60.0


def relay_fill(mtype: str, body: Any, sender: Participant, now: float) -> Filled:
    """The values the relay writes into an event ``sender`` sent at ``now`` (``fill`` writes
    them), all but a note's image, which only the relay can know (its latest frame).

    The sender's name and id, and the time: ``created`` for a note, ``ts`` for a chat line.
    A host's note that says, whole, who made it and when (back from the host's document:
    a script reopened and shared again) keeps its own; a host may change any note anyway.
    """
    if mtype == "annotation_add":
        if sender.role == "host" and _authored(body.annotation, now):
            return Filled()
        return Filled(author=sender.id, author_name=sender.name, created=now)
    if mtype == "chat":
        return Filled(author=sender.id, author_name=sender.name, ts=now)
    return Filled()


def _authored(note: Annotation, now: float) -> bool:
    """The note says, whole, who made it and when (as the relay once stored it)."""
    created = note.created
    return (
        bool(note.author)
        and bool(note.author_name)
        and created is not None
        and 0 < created <= now + CREATED_AHEAD_S
    )


def filled_in(mtype: str, body: Any) -> Optional[Filled]:
    """The ``RELAY_FILLED`` fields of a stored event's body (what its ``ack`` reports)."""
    if mtype == "annotation_add":
        note: Annotation = body.annotation
        image = note.anchor.image
        return Filled(
            author=note.author,
            author_name=note.author_name,
            created=note.created,
            image=image if image is not None and image != ImageRef() else None,
        )
    if mtype == "chat":
        return Filled(author=body.author, author_name=body.author_name, ts=body.ts)
    return None


def read_filled(mtype: str, values: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> Filled:
    """An ``ack.filled`` as sent, checked: only the fields ``RELAY_FILLED`` names for ``mtype``.

    Raises ``ProtocolError`` naming the field when a value does not fit.
    """
    names = RELAY_FILLED.get(mtype, ())
    return decode(Filled, {k: v for k, v in values.items() if k in names}, "filled", limits)


# --- stored events ----------------------------------------------------------------------------

#: Stored events are read back without this relay's size limits, which may have been lowered
#: since they were stored: what was kept once stays readable.
_STORED_LIMITS = dataclasses.replace(
    DEFAULT_LIMITS,
    max_id_chars=MAX_SAFE_INT,
    max_name_chars=MAX_SAFE_INT,
    max_text_chars=MAX_SAFE_INT,
    max_stroke_points=MAX_SAFE_INT,
)


def stored_body(mtype: str, data: Any) -> Any:
    """A stored event's typed body from its ``data`` (None for a type that is not stored).

    Raises ``ProtocolError`` naming the field when ``data`` does not fit its type.
    """
    spec = MESSAGES.get(mtype)
    if spec is None or not spec.persisted:
        return None
    return decode(spec.body, data, "data", _STORED_LIMITS)


class Unreadable(ValueError):
    """A stored event's text that is not a JSON event; the message says why."""


def read_stored(mtype: str, text: str) -> Any:
    """A stored event's typed body from its text as stored (None for a type not stored).

    Parsed and checked in one pass where msgspec is installed (``core.fastschema``);
    what that refuses, and everything without it, goes through ``json`` and
    ``stored_body``, whose verdict stands. Raises ``ProtocolError`` for a body that
    does not fit its type, ``Unreadable`` for text that is not a JSON event.
    """
    fast = _stored_decoder(mtype)
    if fast is not None:
        try:
            return fast.one(text).data
        except _FAST_REFUSED:
            pass
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Unreadable(f"its stored text is not JSON ({exc})") from None
    data = msg.get("data", {}) if isinstance(msg, dict) else None
    if not isinstance(data, dict):
        raise Unreadable("its stored text is not a JSON event with a data object")
    return stored_body(mtype, data)


_stored_decoders: dict[str, Optional[fastschema.FastDecoder[Any]]] = {}
#: What the fast decoder raises for an event it does not take (a model check included).
_FAST_REFUSED: tuple[type[BaseException], ...] = (*fastschema.REFUSED, ProtocolError)


def _stored_decoder(mtype: str) -> Optional[fastschema.FastDecoder[Any]]:
    """A fast decoder of a stored ``mtype`` event's text, read as far as its ``data``."""
    if mtype not in _stored_decoders:
        spec = MESSAGES.get(mtype)
        found: Optional[fastschema.FastDecoder[Any]] = None
        if spec is not None and spec.persisted:
            event = dataclasses.make_dataclass(f"Stored_{mtype}", [("data", spec.body)])
            found = fastschema.compile_decoder(event, _STORED_LIMITS)
        _stored_decoders[mtype] = found
    return _stored_decoders[mtype]


__all__ = [
    "COORD_DECIMALS",
    "CREATED_AHEAD_S",
    "RELAY_FILLED",
    "SETTABLE",
    "Filled",
    "Part",
    "SessionState",
    "Unreadable",
    "as_stored",
    "fill",
    "filled_in",
    "note_id",
    "read_filled",
    "read_stored",
    "relay_fill",
    "rounded",
    "stored_body",
    "updated",
]

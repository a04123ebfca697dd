"""The outbox: persisted events the relay has not acknowledged yet, optionally kept in a file."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Optional

from ..files import write_atomic
from ..protocol import PERSISTED_TYPES, build, dumps

log = logging.getLogger("overshoulder.client")


@dataclasses.dataclass(frozen=True)
class PendingEvent:
    """A persisted event the relay has not acknowledged yet: kept, and re-sent, until it has."""

    eid: str
    type: str
    data: dict[str, Any]
    #: The session it belongs to (None until this client has been welcomed).
    session: Optional[str] = None

    def wire(self) -> str:
        """The message text; ``ref`` is the eid, so an error names the event it refuses."""
        return dumps(build(self.type, self.data, eid=self.eid, ref=self.eid))

    def to_json(self) -> dict[str, Any]:
        return {"eid": self.eid, "type": self.type, "data": self.data, "session": self.session}

    @classmethod
    def from_json(cls, obj: Any) -> PendingEvent:
        if not isinstance(obj, dict):
            raise ValueError("an outbox entry must be an object")
        eid, mtype, data, session = (
            obj.get("eid"),
            obj.get("type"),
            obj.get("data"),
            obj.get("session"),
        )
        if not isinstance(eid, str) or mtype not in PERSISTED_TYPES or not isinstance(data, dict):
            raise ValueError(f"not an outbox entry: {str(obj)[:80]}")
        if session is not None and not isinstance(session, str):
            raise ValueError("an outbox entry's session must be text")
        return cls(eid=eid, type=mtype, data=data, session=session)


class Outbox:
    """Persisted events not yet acknowledged, oldest first, optionally mirrored to a JSON file.

    Not thread-safe on its own: ``SessionClient`` guards it, and its protocol, with one
    lock. ``save`` writes the file atomically (a crash leaves the old or the new file, never half).
    """

    FORMAT = "overshoulder-outbox"
    VERSION = 1

    def __init__(self, path: Optional[str] = None) -> None:
        self.path = path
        self._events: OrderedDict[str, PendingEvent] = OrderedDict()
        if path is not None:
            self._load(path)

    def __len__(self) -> int:
        return len(self._events)

    def __contains__(self, eid: object) -> bool:
        return eid in self._events

    def __iter__(self) -> Iterator[PendingEvent]:
        return iter(list(self._events.values()))

    def get(self, eid: str) -> Optional[PendingEvent]:
        return self._events.get(eid)

    def add(self, event: PendingEvent) -> bool:
        """Append ``event``; False (and nothing changes) if its eid is already here."""
        if event.eid in self._events:
            return False
        self._events[event.eid] = event
        return True

    def discard(self, eid: Optional[str]) -> Optional[PendingEvent]:
        """Remove and return the event with ``eid`` (acknowledged, or seen in the log)."""
        if eid is None:
            return None
        return self._events.pop(eid, None)

    def for_session(self, session: str) -> list[PendingEvent]:
        """The events to send in ``session``, oldest first; unclaimed ones are claimed for it.

        Events of another session (an outbox file shared between sessions) stay
        untouched: they are kept, never sent here.
        """
        out = []
        for eid, event in list(self._events.items()):
            if event.session is None:
                event = self._events[eid] = dataclasses.replace(event, session=session)
            if event.session == session:
                out.append(event)
        return out

    def count(self, session: Optional[str]) -> int:
        """How many events wait to be sent in ``session`` (None: not known yet, count all)."""
        return sum(
            1 for e in self._events.values() if session is None or e.session in (None, session)
        )

    def to_text(self) -> str:
        events = [e.to_json() for e in self._events.values()]
        return json.dumps(
            {"format": self.FORMAT, "version": self.VERSION, "events": events},
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def save(self, text: Optional[str] = None) -> None:
        """Write the file (``text``: a ``to_text`` taken earlier under a lock)."""
        if self.path is None:
            return
        write_atomic(self.path, self.to_text() if text is None else text)

    def _load(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as fh:
                obj = json.load(fh)
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            aside = f"{path}.unreadable"
            log.error("outbox %s cannot be read (%s); moved aside to %s", path, exc, aside)
            try:
                os.replace(path, aside)
            except OSError:
                pass
            return
        if not isinstance(obj, dict) or obj.get("format") != self.FORMAT:
            log.error("%s is not an Overshoulder outbox; not using it", path)
            return
        for item in obj.get("events") or []:
            try:
                self.add(PendingEvent.from_json(item))
            except ValueError as exc:
                log.warning("skipping an outbox entry in %s: %s", path, exc)
        if self._events:
            log.info("%d unsent event(s) restored from %s", len(self._events), path)

"""Telling a damaged event log apart from a healthy one, and saying what to do about it.

At start the relay looks at its log before opening it for writing:

- the file's first 16 bytes must be SQLite's header (``SQLite format 3``);
- SQLite's own ``PRAGMA quick_check`` must answer ``ok`` (it walks every page of
  every table and index: a torn or overwritten page, a file cut short);
- the log must hold at least as many sessions and events as it held when the
  relay last saw it. That count is kept beside the log in ``events-seen.json``
  (written when a session is made, about once a second while events are
  written, and at a clean stop), so a log emptied or cut to 0 bytes, which
  SQLite would take for a new one, is noticed instead of starting empty in silence.

A damaged log stops the start with one sentence (which file, what is wrong, what to
do) unless the relay is told to carry on (``--carry-on``). Carrying on moves the
damaged file aside and makes a new log of what can be read from it, a placeholder
for each event that cannot (relay/store/sqlite.py: ``_rebuild``); one SQLite cannot
open at all leaves a new, empty log; an emptied one is copied and used. What was lost
is named in health and in the log. Why: docs/decisions/damaged-store.md.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from overshoulder.core.files import write_atomic

from ..config import DataDirError
from .base import DAMAGED_EVENT, EventRecord

log = logging.getLogger("overshoulder.relay.store")

#: The first 16 bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: What the log held when last seen, kept beside it.
SEEN_FILE = "events-seen.json"
#: Lines of ``quick_check``'s answer quoted in the sentence at most.
QUICK_CHECK_LINES = 3
#: Files SQLite keeps beside the log while it is open (write-ahead log, shared memory).
SIDE_SUFFIXES = ("-wal", "-shm")


class StoreDamaged(DataDirError):
    """The event log cannot be trusted; the message says which file, what and what to do."""


@dataclass(frozen=True)
class Damage:
    """What is wrong with the log, and whether SQLite can still open it."""

    path: Path
    what: str
    openable: bool
    #: The log holds less than it did (emptied, missing, fewer rows), rather than bad pages.
    shrunk: bool = False

    def advice(self) -> str:
        """The sentence the relay stops with."""
        name = self.path.name
        on_purpose = (
            f" If {name} was emptied or removed on purpose, delete {SEEN_FILE} as well."
            if self.shrunk
            else ""
        )
        return (
            f"the event log {self.path} is damaged: {self.what}. "
            f"Before anything else, keep a copy of the data dir as it is (cp -a). "
            f"To get back what is still readable, make a new log from it with SQLite's "
            f"recover command (in the data dir: sqlite3 {name} .recover | sqlite3 "
            f"{name}.recovered, then move {name}.recovered to {name}), or restore {name} from "
            f"a backup. To start anyway, run the relay with --carry-on: it keeps the damaged "
            f"file beside a new log of what can be read, and names what was lost in /api/health."
            f"{on_purpose}"
        )


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """A damaged file (a corrupt page, not a database), not a busy log or a full disk."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF in (11, 26))  # SQLITE_CORRUPT, SQLITE_NOTADB
    text = str(exc)
    return "malformed" in text or "not a database" in text


def unusable(path: Path, why: str) -> DataDirError:
    """The sentence for a log that cannot be opened at all, though nothing says it is damaged
    (no permission, a full disk, a directory where the file should be)."""
    return DataDirError(
        f"the event log {path} cannot be opened: {why}. Check that the user running the relay "
        f"may read and write {path.parent} and that its disk is not full"
    )


def inspect(path: Path) -> Optional[Damage]:
    """What is wrong with the log at ``path`` (None: nothing found, or no log yet)."""
    seen = read_seen(path)
    size = path.stat().st_size if path.exists() else None
    if not size:
        if seen and (seen.get("sessions") or seen.get("events")):
            state = "is missing" if size is None else "is empty (0 bytes)"
            return Damage(path, f"it {state}, but held {_held(seen)}", True, shrunk=True)
        return None
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_HEADER))
    if head != SQLITE_HEADER:
        return Damage(
            path,
            f"it is not an SQLite database (its first bytes are {head[:16]!r}, "
            f"not {SQLITE_HEADER[:15].decode()!r})",
            openable=False,
        )
    try:
        lines, counts = _quick_check(path)
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):
            raise  # cannot be opened (permissions, a full disk): not damage
        # "file is not a database": nothing to open; "malformed": parts may still be read.
        openable = "not a database" not in str(exc)
        return Damage(path, f"SQLite's quick check stopped: {exc}", openable=openable)
    if lines != ["ok"]:
        shown = "; ".join(lines[:QUICK_CHECK_LINES])
        more = (
            f" (and {len(lines) - QUICK_CHECK_LINES} more)"
            if len(lines) > QUICK_CHECK_LINES
            else ""
        )
        return Damage(path, f"SQLite's quick check found: {shown}{more}", openable=True)
    if seen and counts is not None:
        sessions, events = counts
        if sessions < int(seen.get("sessions", 0)) or events < int(seen.get("events", 0)):
            return Damage(
                path,
                f"it holds {sessions} sessions and {events} events, but held {_held(seen)}",
                openable=True,
                shrunk=True,
            )
    return None


def _quick_check(path: Path) -> tuple[list[str], Optional[tuple[int, int]]]:
    """quick_check's answer, and the numbers of sessions and events when the tables exist.

    Read-only, so a check never changes the file it looks at (the write-ahead log, if
    one was left by a killed relay, is read as SQLite reads it).
    """
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            lines = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
        except sqlite3.OperationalError:
            # Read-only cannot open a write-ahead log left without its -shm file: as the
            # relay itself would open it, then.
            db.close()
            db = sqlite3.connect(path)
            lines = [str(row[0]) for row in db.execute("PRAGMA quick_check")]
        if lines != ["ok"]:
            return lines, None
        tables = {
            str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not {"sessions", "events"} <= tables:
            return lines, (0, 0)
        sessions = int(db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
        events = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        return lines, (sessions, events)
    finally:
        db.close()


def _held(seen: dict[str, Any]) -> str:
    when = seen.get("at")
    at = f" on {when}" if isinstance(when, str) else ""
    return (
        f"{int(seen.get('sessions', 0))} sessions and {int(seen.get('events', 0))} events "
        f"when the relay last saw it{at} ({SEEN_FILE} beside it says so)"
    )


def seen_path(path: Path) -> Path:
    return path.parent / SEEN_FILE


def read_seen(path: Path) -> Optional[dict[str, Any]]:
    """The counts kept beside the log, or None (none kept, or unreadable: only a hint)."""
    marker = seen_path(path)
    try:
        seen = json.loads(marker.read_text(encoding="utf-8"))
        if not isinstance(seen, dict):
            raise ValueError("not a JSON object")
        int(seen.get("sessions", 0))
        int(seen.get("events", 0))
        return seen
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log.warning("ignoring %s, which cannot be read (%s)", marker, exc)
        return None


def write_seen(path: Path, sessions: int, events: int) -> None:
    """Keep what the log holds now beside it (atomically; a failure is only logged)."""
    marker = seen_path(path)
    body = {
        "sessions": sessions,
        "events": events,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    try:
        write_atomic(marker, json.dumps(body) + "\n")
    except OSError as exc:
        log.warning("could not write %s: %s", marker, exc)


def set_aside(path: Path, move: bool) -> Path:
    """Keep a copy of a damaged log (moved away, when a new log takes its place).

    Returns the copy's path: ``events.sqlite3.damaged-<UTC time>``, with its ``-wal``
    and ``-shm`` files beside it when there were any.
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    copy = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", *SIDE_SUFFIXES):
        src = Path(f"{path}{suffix}")
        if not src.exists():
            continue
        dst = Path(f"{copy}{suffix}")
        if move:
            os.replace(src, dst)
        else:
            shutil.copy2(src, dst)
    return copy


def placeholder(record: EventRecord, why: str) -> dict[str, Any]:
    """What an export shows in place of an event that cannot be read: its seq, and why."""
    out: dict[str, Any] = {
        "v": 1,
        "type": "damaged",
        "seq": record.seq,
        "data": {"code": DAMAGED_EVENT, "message": why},
    }
    if record.eid:
        out["eid"] = record.eid
    return out


def check_body(mtype: str, data: dict[str, Any]) -> None:
    """Raise ``KeyError``/``TypeError`` unless a stored event's data has what replaying it
    into a room reads (relay/rooms.py: ``Room._replay``, which types it with
    ``events.read_stored`` and applies it with ``SessionState.apply``)."""
    if mtype == "annotation_add":
        ann = data["annotation"]
        if not isinstance(ann, dict) or not isinstance(ann["id"], str):
            raise TypeError("annotation must be an object with a text id")
    elif mtype.startswith("annotation_") and not isinstance(data["id"], str):
        raise TypeError("id must be text")


def exported(records: list[EventRecord], report: Any) -> list[dict[str, Any]]:
    """The export's events: each stored event as sent, a named placeholder for a damaged one.

    ``report(session, seq, why)`` is told of each event found damaged here, so health
    names it too.
    """
    out: list[dict[str, Any]] = []
    for rec in records:
        why = rec.damage
        if why is None:
            try:
                event = json.loads(rec.text)
                data = event.get("data", {}) if isinstance(event, dict) else None
                if not isinstance(data, dict):
                    raise ValueError("not a JSON event with a data object")
            except (ValueError, RecursionError) as exc:
                why = f"its stored text is not JSON ({exc})"
            else:
                try:
                    check_body(rec.type, data)
                    out.append(event)
                    continue
                except (KeyError, TypeError) as exc:
                    why = (
                        f"its {rec.type or 'event'} body does not fit ({type(exc).__name__}: {exc})"
                    )
            report(rec.session, rec.seq, why)
        out.append(placeholder(rec, f"event {rec.seq} of this session could not be read: {why}"))
    return out

"""The embedded event log: SQLite in WAL mode, written by one thread with group commit.

The event loop never waits on the disk: ``append`` queues events for a writer
thread, which commits whatever has queued up in one transaction (group
commit) and then reports back. With ``synchronous=NORMAL`` (the default) a
committed event is in the WAL file before anyone is told, so it survives a
killed or crashed relay; a power cut or kernel crash may lose the last
commits. ``full`` adds an fsync per commit: safe against power loss too, at
0.4-2.5 ms a commit on the disks measured (docs/decisions/event-log.md).
Reads (snapshot loading, resume, export) use their own connection: WAL lets
them run beside the writer.

A damaged log (relay/store/damage.py) stops the relay at start unless it is told to
carry on; a row that cannot be read is skipped, logged once and named in ``problems``,
and reads step around a damaged page one event at a time.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import queue
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional, get_args

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.model import Watermark

from . import damage as damage_mod
from .base import AuditEntry, EventRecord, SessionRecord

log = logging.getLogger("overshoulder.relay.store")

#: The tables of a new log. ``sessions.watermark`` is NULL for the default ("viewers").
SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    host_name TEXT,
    closed INTEGER NOT NULL DEFAULT 0,
    watermark TEXT
);
CREATE TABLE IF NOT EXISTS events (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    eid TEXT NOT NULL,
    type TEXT NOT NULL,
    sender TEXT NOT NULL,
    ts REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS events_eid ON events (session, eid);
CREATE TABLE IF NOT EXISTS audit (
    session TEXT NOT NULL,
    ts REAL NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    role TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS audit_session ON audit (session, ts);
"""
#: The schema's version (``PRAGMA user_version``). 1: the first release's; 2: sessions keep
#: their watermark (``_migrate`` brings a version 1 log up to date at start).
SCHEMA_VERSION = 2
#: Who may see the watermark, as a ``session`` event sets it (``core.model.Watermark``).
WATERMARKS: tuple[Watermark, ...] = get_args(Watermark)
#: Each session's latest watermark in its log: one pass over the ``session`` events (a body
#: that is not JSON is passed over; the room names it when it loads).
LOGGED_WATERMARKS = f"""
SELECT session, mark, MAX(seq) FROM (
    SELECT session, seq,
        CASE WHEN json_valid(body) THEN json_extract(body, '$.data.watermark') END AS mark
    FROM events WHERE type = 'session'
) WHERE mark IN ({", ".join(f"'{w}'" for w in WATERMARKS)}) GROUP BY session
"""

#: Most events one transaction takes from the queue.
MAX_BATCH = 512
#: How often the checkpointer copies the WAL into the database file (seconds).
CHECKPOINT_INTERVAL_S = 1.0
#: Reading around a damaged page: unreadable events in a row after which the rest of the
#: session is taken to be lost (past the end of a log, every seq looks unreadable too).
MAX_UNREADABLE_RUN = 64
#: Sessions with unreadable events named one by one in ``problems`` (the rest counted).
MAX_DAMAGE_SENTENCES = 20

#: How a read around damage names an unreadable run it cannot see the end of.
TAIL_LOST = "this event and any after it cannot be read"
#: The type of a row a rebuilt log holds where an event could not be recovered.
DAMAGED_TYPE = "damaged"
#: Why such a row is skipped.
REBUILT_LOST = (
    "it was lost to a damaged page of the log (a placeholder since the log was rebuilt "
    "with --carry-on)"
)

_SESSION_COLUMNS = ("id", "name", "created", "host_name", "closed", "watermark")
#: The sessions table's columns, as every read of it selects them.
_SESSIONS = f"SELECT {', '.join(_SESSION_COLUMNS)} FROM sessions"
_INSERT_SESSION = (
    f"INSERT INTO sessions ({', '.join(_SESSION_COLUMNS)}) VALUES "
    f"({', '.join('?' for _ in _SESSION_COLUMNS)})"
)

_Batch = tuple[Sequence[EventRecord], Callable[[Optional[BaseException]], None]]


class SqliteStore:
    """``EventStore`` on one SQLite file."""

    def __init__(self, path: Path, synchronous: str = "normal", carry_on: bool = False) -> None:
        """Open the log at ``path``, after checking it (``StoreDamaged`` if it is damaged,
        unless ``carry_on``: then a copy is kept and the damage is named in ``problems``)."""
        if synchronous not in ("full", "normal"):
            raise ValueError("synchronous must be 'full' or 'normal'")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sync = synchronous.upper()
        #: Sentences about what was found at start (only when told to carry on).
        self._startup: list[str] = []
        #: Events found unreadable: session -> seq -> why.
        self._damaged: dict[str, dict[int, str]] = {}
        #: Sentences about session rows that could not be read.
        self._session_damage: list[str] = []
        self._damage_lock = threading.Lock()
        self._read = self._open_checked(carry_on)
        _owner_only(self.path)
        self._read_lock = threading.Lock()
        self._seen_lock = threading.Lock()
        self._seen_file_lock = threading.Lock()
        self._seen = self._count()
        self._seen_written: Optional[tuple[int, int]] = None
        self._write_seen()
        self._queue: queue.Queue[Optional[_Batch]] = queue.Queue()
        #: When the writer thread died (it should not: every batch's failure is caught).
        self.writer_stopped: Optional[float] = None
        self._writer = threading.Thread(
            target=self._write_loop, name="event-log-writer", daemon=True
        )
        self._writer_db = self._connect()
        # SQLite's own checkpoint runs inside a commit (three fsyncs every ~1000 WAL
        # pages): notes waited behind it. A thread of its own does it instead.
        self._writer_db.execute("PRAGMA wal_autocheckpoint=0")
        self._writer.start()
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="event-log-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _open_checked(self, carry_on: bool) -> sqlite3.Connection:
        try:
            return self._open_inspected(carry_on)
        except OSError as exc:  # not damage: the file or its dir cannot be used
            raise damage_mod.unusable(self.path, exc.strerror or str(exc)) from None
        except sqlite3.DatabaseError as exc:
            if damage_mod.is_damage(exc):
                raise damage_mod.StoreDamaged(
                    damage_mod.Damage(self.path, f"SQLite cannot open it ({exc})", False).advice()
                ) from None
            raise damage_mod.unusable(self.path, str(exc)) from None

    def _open_inspected(self, carry_on: bool) -> sqlite3.Connection:
        found = damage_mod.inspect(self.path)
        if found is not None:
            if not carry_on:
                raise damage_mod.StoreDamaged(found.advice())
            self._carry_on(found)
        db: Optional[sqlite3.Connection] = None
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._tune(db)
            self._made_current(db)
            return db
        except sqlite3.DatabaseError as exc:
            if db is not None:
                db.close()
            if not carry_on or not damage_mod.is_damage(exc):
                raise
            # Told to carry on, and the file cannot even be opened: start a new one.
            moved = damage_mod.set_aside(self.path, move=True)
            self._said(
                f"the event log {self.path.name} could not be opened ({exc}); it was moved to "
                f"{moved.name} and the relay started with a new, empty log (--carry-on)"
            )
            db = self._connect()
            self._made_current(db)
            return db

    def _made_current(self, db: sqlite3.Connection) -> None:
        """Make the tables of a new log, or bring an older log's up to this version."""
        db.executescript(SCHEMA)
        found = _migrate(db)
        if found is not None:
            log.info(
                "the event log %s was brought from schema version %s to %s",
                self.path.name,
                found,
                SCHEMA_VERSION,
            )

    def _carry_on(self, found: damage_mod.Damage) -> None:
        """Start on a damaged log as told: keep it, and go on with what can be read.

        A log that lost rows but whose pages are sound (emptied, cut to fewer rows) is
        copied and used. One with damaged pages is moved aside and a new log made of what
        can be read from it: writing into a damaged b-tree can damage it further, and a
        new file passes the next start's check. One SQLite cannot open is moved aside.
        """
        what = f"the event log {self.path.name} was damaged at start ({found.what})"
        if found.shrunk:
            copy = damage_mod.set_aside(self.path, move=False)
            self._said(
                f"{what}; it was copied to {copy.name} and the relay carries on with what it "
                "holds (--carry-on)"
            )
            return
        moved = damage_mod.set_aside(self.path, move=True)
        if not found.openable:
            self._said(
                f"{what}; it was moved to {moved.name} and the relay started with a new, "
                "empty log (--carry-on)"
            )
            return
        try:
            sessions, events, lost = _rebuild(moved, self.path)
        except sqlite3.DatabaseError as exc:
            _remove_log(self.path)
            self._said(
                f"{what}; it was moved to {moved.name}, nothing could be read from it "
                f"({exc}), and the relay started with a new, empty log (--carry-on)"
            )
            return
        self._said(
            f"{what}; it was moved to {moved.name} and a new log was made of what could be "
            f"read: {sessions} sessions, {events} events (--carry-on)"
        )
        for sentence in lost:
            self._said(sentence)

    def _said(self, sentence: str) -> None:
        log.error("%s", sentence)
        self._startup.append(sentence)

    def _count(self) -> list[int]:
        try:
            sessions = int(self._read.execute("SELECT COUNT(*) FROM sessions").fetchone()[0])
            events = int(self._read.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        except sqlite3.DatabaseError as exc:  # carrying on over a damaged file
            log.warning("could not count what the event log holds: %s", exc)
            seen = damage_mod.read_seen(self.path) or {}
            return [int(seen.get("sessions", 0)), int(seen.get("events", 0))]
        return [sessions, events]

    def _write_seen(self) -> None:
        """Keep the counts beside the log when they changed (for the next start's check)."""
        with self._seen_file_lock:  # one writer of the file at a time (its .part is shared)
            with self._seen_lock:
                now = (self._seen[0], self._seen[1])
            if now == self._seen_written:
                return
            self._seen_written = now
            damage_mod.write_seen(self.path, *now)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._tune(db)
        return db

    def _tune(self, db: sqlite3.Connection) -> None:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self._sync}")
        db.execute("PRAGMA busy_timeout=5000")

    # --- sessions (small, rare: done inline) --------------------------------

    def create_session(self, record: SessionRecord) -> None:
        with self._read_lock:
            self._read.execute(_INSERT_SESSION, _session_row(record))
        with self._seen_lock:
            self._seen[0] += 1
        self._write_seen()

    def get_session(self, session_id: str) -> Optional[SessionRecord]:
        rows = self._session_rows(_SESSIONS + " WHERE id = ?", (session_id,))
        return rows[0] if rows else None

    def open_sessions(self) -> int:
        with self._read_lock:
            row = self._read.execute("SELECT COUNT(*) FROM sessions WHERE closed = 0").fetchone()
        return int(row[0] or 0)

    def audit(self, entry: AuditEntry) -> None:
        try:
            with self._read_lock:
                self._read.execute(
                    "INSERT INTO audit (session, ts, action, who, role, detail) "
                    "VALUES (?,?,?,?,?,?)",
                    (entry.session, entry.ts, entry.action, entry.who, entry.role, entry.detail),
                )
        except (sqlite3.Error, UnicodeEncodeError) as exc:  # never stops what it records
            log.warning("could not keep an audit entry (%s %s): %s", entry.action, entry.who, exc)

    def audit_log(self, session_id: str, limit: int = 10_000) -> list[AuditEntry]:
        with self._read_lock:
            rows = self._read.execute(
                "SELECT session, ts, action, who, role, detail FROM audit WHERE session = ? "
                "ORDER BY ts, rowid LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [
            AuditEntry(str(r[0]), float(r[1]), str(r[2]), str(r[3]), r[4], str(r[5] or ""))
            for r in rows
        ]

    def list_sessions(self, include_closed: bool = False) -> list[SessionRecord]:
        sql = _SESSIONS
        if not include_closed:
            sql += " WHERE closed = 0"
        return self._session_rows(sql + " ORDER BY created DESC", ())

    def _session_rows(self, sql: str, args: tuple[object, ...]) -> list[SessionRecord]:
        """Sessions read; a row that cannot be read is left out and named in ``problems``;
        a damaged page refuses with a ``ProtocolError`` saying so (not a traceback)."""
        with self._read_lock:
            try:
                rows = self._read.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                if not (damage_mod.is_damage(exc) or "decode" in str(exc)):
                    raise
                self._read.text_factory = bytes
                try:
                    rows = self._read.execute(sql, args).fetchall()
                except sqlite3.DatabaseError as again:
                    if not damage_mod.is_damage(again):
                        raise
                    raise self._unreadable_sessions(f"a damaged page ({again})") from None
                finally:
                    self._read.text_factory = str
        out: list[SessionRecord] = []
        for row in rows:
            try:
                fields = [
                    _text(v, name) if isinstance(v, bytes) else v
                    for v, name in zip(row, _SESSION_COLUMNS)
                ]
                out.append(_session(tuple(fields)))
            except (_Unreadable, TypeError, ValueError) as exc:
                self._unreadable_sessions(f"the row of session {row[0]!r} is skipped: {exc}")
        return out

    def _unreadable_sessions(self, why: str) -> ProtocolError:
        sentence = f"the sessions table of {self.path.name} cannot be read: {why}"
        with self._damage_lock:
            new = sentence not in self._session_damage
            if new and len(self._session_damage) < MAX_DAMAGE_SENTENCES:
                self._session_damage.append(sentence)
        if new:
            log.error("%s", sentence)
        return ProtocolError(
            ErrorCode.INTERNAL,
            "the relay's log of sessions is damaged and cannot be read here; "
            "its operator sees why in /api/health",
        )

    def update_session(
        self,
        session_id: str,
        *,
        name: Optional[str] = None,
        closed: Optional[bool] = None,
        watermark: Optional[Watermark] = None,
    ) -> None:
        if watermark is not None and watermark not in WATERMARKS:
            raise ValueError(f"watermark must be one of {', '.join(WATERMARKS)}, not {watermark!r}")
        changes: dict[str, object] = {}
        if name is not None:
            changes["name"] = name
        if closed is not None:
            changes["closed"] = int(closed)
        if watermark is not None:
            changes["watermark"] = None if watermark == "viewers" else watermark
        if not changes:
            return
        sql = f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in changes)} WHERE id = ?"
        with self._read_lock:
            self._read.execute(sql, (*changes.values(), session_id))

    # --- the log --------------------------------------------------------------

    def append(
        self,
        events: Sequence[EventRecord],
        done: Callable[[Optional[BaseException]], None],
    ) -> None:
        if self.writer_stopped is not None:  # nothing would ever write it: say so now
            done(RuntimeError("the event log writer has stopped; nothing is being stored"))
            return
        self._queue.put((events, done))

    def problems(self) -> list[str]:
        """What keeps the store from doing its work now (for the relay's health)."""
        out = list(self._startup)
        if self.writer_stopped is not None:
            when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.writer_stopped))
            out.append(f"the event log writer stopped at {when}: events are not being stored")
        with self._damage_lock:
            damaged = [(sid, sorted(seqs.items())) for sid, seqs in self._damaged.items()]
            out.extend(self._session_damage)
        for sid, items in damaged[:MAX_DAMAGE_SENTENCES]:
            first, why = items[0]
            if len(items) == 1:
                out.append(f"event {first} of session {sid} cannot be read and is skipped: {why}")
            else:
                shown = ", ".join(str(seq) for seq, _ in items[:8])
                more = ", ..." if len(items) > 8 else ""
                out.append(
                    f"{len(items)} events of session {sid} cannot be read and are skipped "
                    f"({shown}{more}); event {first}: {why}"
                )
        if len(damaged) > MAX_DAMAGE_SENTENCES:
            out.append(
                f"and {len(damaged) - MAX_DAMAGE_SENTENCES} more sessions with unreadable events"
            )
        return out

    def report_damage(self, session_id: str, seq: int, why: str) -> None:
        """Note an unusable event (logged the first time it is found)."""
        with self._damage_lock:
            seqs = self._damaged.setdefault(session_id, {})
            if seq in seqs:
                return
            seqs[seq] = why
        log.error("event %s of session %s cannot be read and is skipped: %s", seq, session_id, why)

    def events_since(
        self, session_id: str, since: int, limit: Optional[int] = None, *, damaged: bool = False
    ) -> list[EventRecord]:
        sql = (
            "SELECT session, seq, eid, type, sender, ts, body FROM events "
            "WHERE session = ? AND seq > ? ORDER BY seq"
        )
        args: tuple[object, ...] = (session_id, since)
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        with self._read_lock:
            try:
                rows: list[Any] = self._read.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                # One text that is not UTF-8 fails the whole read (a damaged page can do
                # that too): read again as bytes, decoded here row by row.
                if not (damage_mod.is_damage(exc) or "decode" in str(exc)):
                    raise
                log.info("reading session %s hit damaged rows: %s", session_id, exc)
                rows = self._read_as_bytes(session_id, sql, args, since, limit)
        out: list[EventRecord] = []
        with self._damage_lock:
            known = dict(self._damaged.get(session_id, {}))
        for row in rows:
            if isinstance(row, EventRecord):
                rec = row
            elif _well_typed(row):
                rec = EventRecord(*row)
            else:
                rec = _record(session_id, row)
            if rec.damage is None and rec.type == DAMAGED_TYPE:
                rec = dataclasses.replace(rec, damage=REBUILT_LOST)
            if rec.damage is not None:
                self.report_damage(session_id, rec.seq, rec.damage)
            elif known and rec.seq in known:
                rec = dataclasses.replace(rec, damage=known[rec.seq])
            if rec.damage is None or damaged:
                out.append(rec)
        return out

    def _read_as_bytes(
        self,
        session_id: str,
        sql: str,
        args: tuple[object, ...],
        since: int,
        limit: Optional[int],
    ) -> list[Any]:
        """The rows with text as bytes (the caller holds the read lock)."""
        self._read.text_factory = bytes
        try:
            try:
                return self._read.execute(sql, args).fetchall()
            except sqlite3.DatabaseError as exc:
                if not damage_mod.is_damage(exc):
                    raise
                log.info("reading session %s hit a damaged page: %s", session_id, exc)
                return _around_damage(self._read, session_id, since, limit)
        finally:
            self._read.text_factory = str

    def last_seq(self, session_id: str) -> int:
        with self._read_lock:
            row = self._read.execute(
                "SELECT MAX(seq) FROM events WHERE session = ?", (session_id,)
            ).fetchone()
        return int(row[0] or 0)

    def close(self) -> None:
        """Write what is queued, then stop the writer and the checkpointer."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout=30)
        self._stop_checkpoints.set()
        self._checkpointer.join(timeout=30)
        self._write_seen()
        self._read.close()

    def _checkpoint_loop(self) -> None:
        """Copy committed WAL pages into the database file, beside the writer.

        PASSIVE never blocks the writer or readers; what it cannot copy now it
        copies next time. The last one, at close, leaves the WAL short.
        """
        db = self._connect()
        try:
            while True:
                stopping = self._stop_checkpoints.wait(CHECKPOINT_INTERVAL_S)
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self._write_seen()
                except Exception as exc:  # a full disk, a locked file: this worker goes on
                    log.warning(
                        "event log checkpoint failed (will retry): %s: %s", type(exc).__name__, exc
                    )
                if stopping:
                    return
        finally:
            db.close()

    # --- writer thread ---------------------------------------------------------

    def _write_loop(self) -> None:
        try:
            self._write_batches()
        except BaseException:
            self.writer_stopped = time.time()
            log.critical("the event log writer stopped; nothing more is stored", exc_info=True)

    def _write_batches(self) -> None:
        db = self._writer_db
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batches = [first]
            count = len(first[0])
            while count < MAX_BATCH:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batches.append(nxt)
                count += len(nxt[0])
            self._write(db, batches)
        db.close()

    def _write(self, db: sqlite3.Connection, batches: list[_Batch]) -> None:
        """Commit ``batches`` in one transaction; when that fails, each batch alone, so one
        bad event fails only its own sender's batch. Whatever goes wrong, the writer goes on:
        every batch's callback is told, with the error when its events were not stored."""
        error = self._commit(db, [b[0] for b in batches])
        if error is not None and len(batches) > 1:
            results = [self._commit(db, [events]) for events, _ in batches]
        else:
            results = [error] * len(batches)
        for (_, done), result in zip(batches, results):
            try:
                done(result)
            except Exception:  # a callback's failure must not stop the writer
                log.exception("event log completion callback failed")

    def _commit(
        self, db: sqlite3.Connection, groups: list[Sequence[EventRecord]]
    ) -> Optional[BaseException]:
        try:
            db.execute("BEGIN")
            for events in groups:
                db.executemany(
                    "INSERT INTO events (session, seq, eid, type, sender, ts, body) "
                    "VALUES (?,?,?,?,?,?,?)",
                    [(e.session, e.seq, e.eid, e.type, e.sender, e.ts, e.text) for e in events],
                )
            db.execute("COMMIT")
            with self._seen_lock:
                self._seen[1] += sum(len(events) for events in groups)
            return None
        except Exception as exc:  # sqlite3.Error, and text SQLite cannot take (encoding)
            log.error("event log write failed: %s: %s", type(exc).__name__, exc)
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            return exc


def _around_damage(
    db: sqlite3.Connection, session_id: str, since: int, limit: Optional[int]
) -> list[Any]:
    """Read one event at a time past a damaged page: the rows that can be read, and a
    damaged record for each seq that cannot (the caller holds ``db``'s lock)."""
    out: list[Any] = []
    seq = since
    run = 0
    one = (
        "SELECT session, seq, eid, type, sender, ts, body FROM events WHERE session = ? AND seq = ?"
    )
    while limit is None or len(out) < limit:
        seq += 1
        try:
            row = db.execute(one, (session_id, seq)).fetchone()
        except sqlite3.DatabaseError as exc:
            run += 1
            if run > MAX_UNREADABLE_RUN:
                break
            out.append(_unreadable(session_id, seq, f"its page of the log is damaged ({exc})"))
            continue
        if row is None:
            try:
                nxt = db.execute(
                    "SELECT MIN(seq) FROM events WHERE session = ? AND seq > ?",
                    (session_id, seq),
                ).fetchone()[0]
            except sqlite3.DatabaseError:
                nxt = seq + 1 if run < MAX_UNREADABLE_RUN else None
            if nxt is None:
                break
            seq = int(nxt) - 1
            continue
        run = 0
        out.append(row)
    if run > MAX_UNREADABLE_RUN:
        # A long unreadable run cannot be told from seqs never written: one record for it.
        start = seq - run + 1
        while out and isinstance(out[-1], EventRecord):
            out.pop()
        out.append(
            _unreadable(
                session_id,
                start,
                f"{TAIL_LOST} (its page of the log is damaged; "
                f"{MAX_UNREADABLE_RUN} in a row were unreadable)",
            )
        )
    return out


def _rebuild(src: Path, dst: Path) -> tuple[int, int, list[str]]:
    """Make a new log at ``dst`` of what can be read from the damaged log ``src``.

    Every session row and event that can be read is copied as it was; an event that
    cannot is kept as a placeholder row (type ``damaged``) so seqs stay gap-free and the
    loss stays visible. Returns the numbers of sessions and events copied, and a
    sentence for each loss.
    """
    try:
        source = _open_read_only(src)
        scratch = None
    except sqlite3.DatabaseError as exc:
        if not damage_mod.is_damage(exc):
            raise
        # A file cut short (a full disk, a copy that stopped) still says in its header how
        # many pages it had, and SQLite refuses it whole: read a copy that says the truth.
        scratch = _with_true_size(src, dst.with_name(dst.name + ".reading"))
        try:
            source = _open_read_only(scratch)
        except sqlite3.DatabaseError:
            _remove_log(scratch)
            raise exc from None
    source.text_factory = bytes
    target = sqlite3.connect(dst, isolation_level=None)
    lost: list[str] = []
    try:
        target.execute("PRAGMA journal_mode=WAL")
        target.executescript(SCHEMA)
        target.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        sessions, logged = _readable_sessions(source, lost)
        target.execute("BEGIN")
        target.executemany(_INSERT_SESSION, [_session_row(r) for r in sessions])
        copied = 0
        for record in sessions:
            copied += _copy_events(source, target, record.id, lost)
        if not logged:  # an older log: the watermarks are in the events copied
            _fill_watermarks(target)
        target.execute("COMMIT")
        return len(sessions), copied, lost
    finally:
        source.close()
        target.close()
        if scratch is not None:
            _remove_log(scratch)


def _with_true_size(src: Path, scratch: Path) -> Path:
    """A copy of ``src`` cut to whole pages, whose header gives the pages it really has."""
    shutil.copyfile(src, scratch)
    for suffix in ("-wal",):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{scratch}{suffix}")
    with open(scratch, "r+b") as fh:
        header = fh.read(100)
        size = int.from_bytes(header[16:18], "big")
        page = 65536 if size == 1 else size
        if page < 512 or page & (page - 1):
            return scratch  # not a page size: the header is damaged too; read as it is
        pages = scratch.stat().st_size // page
        fh.truncate(pages * page)
        fh.seek(28)  # the "in-header database size" (pages), big-endian
        fh.write(pages.to_bytes(4, "big"))
    return scratch


def _remove_log(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _open_read_only(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:  # a write-ahead log without its -shm: open as usual
        db.close()
        db = sqlite3.connect(path)
    return db


def _readable_sessions(
    source: sqlite3.Connection, lost: list[str]
) -> tuple[list[SessionRecord], bool]:
    """Every session row that can be read, and sessions known only from their events; and
    whether the rows keep their watermark (a log older than ``SCHEMA_VERSION`` 2 does not)."""
    try:
        logged = "watermark" in _columns(source, "sessions")
    except sqlite3.DatabaseError as exc:
        if not damage_mod.is_damage(exc):
            raise
        logged = False
    columns = _SESSION_COLUMNS if logged else _SESSION_COLUMNS[:-1]
    sql = f"SELECT {', '.join(columns)} FROM sessions"
    try:
        rows = source.execute(sql).fetchall()
    except sqlite3.DatabaseError as exc:
        if not damage_mod.is_damage(exc):
            raise
        rows = []
        run = 0
        rowid = 0
        while run <= MAX_UNREADABLE_RUN:
            rowid += 1
            try:
                row = source.execute(sql + " WHERE rowid = ?", (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                row = None
            if row is None:
                run += 1
                continue
            run = 0
            rows.append(row)
    out: dict[str, SessionRecord] = {}
    for row in rows:
        try:
            fields = [
                _text(v, name) if isinstance(v, bytes) else v
                for v, name in zip(row, _SESSION_COLUMNS)
            ]
            record = _session(tuple(fields))
        except (_Unreadable, TypeError, ValueError) as exc:
            lost.append(f"a session row could not be read ({exc}); its events are kept")
            continue
        out[record.id] = record
    try:
        ids = [r[0] for r in source.execute("SELECT DISTINCT session FROM events").fetchall()]
    except sqlite3.DatabaseError:
        ids = []
    for raw in ids:
        try:
            sid = _text(raw, "session")
        except _Unreadable:
            continue
        if sid not in out:
            out[sid] = SessionRecord(id=sid, name="Recovered session", created=0.0)
            lost.append(
                f"session {sid} had lost its row in the sessions table: its events are kept "
                "and it is listed as 'Recovered session'"
            )
    return list(out.values()), logged


def _copy_events(
    source: sqlite3.Connection, target: sqlite3.Connection, sid: str, lost: list[str]
) -> int:
    """Copy one session's events; a placeholder row for each that cannot be read."""
    try:
        rows: list[Any] = source.execute(
            "SELECT session, seq, eid, type, sender, ts, body FROM events "
            "WHERE session = ? ORDER BY seq",
            (sid,),
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        if not damage_mod.is_damage(exc):
            raise
        rows = _around_damage(source, sid, 0, None)
    copied = 0
    placeholders: list[int] = []
    tail: Optional[int] = None
    done: set[int] = set()
    insert = (
        "INSERT OR IGNORE INTO events (session, seq, eid, type, sender, ts, body) "
        "VALUES (?,?,?,?,?,?,?)"
    )

    def placeholder(seq: int, damage: str) -> None:
        why = f"event {seq} of this session could not be read: {damage}"
        body = json.dumps(damage_mod.placeholder(_unreadable(sid, seq, damage), why))
        target.execute(insert, (sid, seq, f"damaged:{seq}", DAMAGED_TYPE, "", 0.0, body))
        placeholders.append(seq)
        done.add(seq)

    for row in rows:
        rec = row if isinstance(row, EventRecord) else _record(sid, row)
        if rec.damage is None:
            target.execute(insert, (sid, rec.seq, rec.eid, rec.type, rec.sender, rec.ts, rec.text))
            copied += 1
            done.add(rec.seq)
        elif rec.damage.startswith(TAIL_LOST):
            tail = rec.seq
        elif rec.seq > 0:
            placeholder(rec.seq, rec.damage)
    # The index of eids is a b-tree of its own: it still names events whose pages are lost.
    try:
        indexed = [
            int(r[0])
            for r in source.execute(
                "SELECT seq FROM events INDEXED BY events_eid WHERE session = ?", (sid,)
            )
        ]
    except sqlite3.DatabaseError:
        indexed = []
    for seq in sorted(set(indexed) - done):
        if seq > 0:
            placeholder(seq, "its page of the log is lost (the log's index still names it)")
    if placeholders:
        placeholders.sort()
        shown = ", ".join(str(seq) for seq in placeholders[:8])
        more = ", ..." if len(placeholders) > 8 else ""
        lost.append(
            f"session {sid}: {len(placeholders)} events could not be read ({shown}{more}) "
            "and are kept as placeholders"
        )
    if tail is not None and not any(seq >= tail for seq in indexed):
        lost.append(f"session {sid}: any events from {tail} on could not be read")
    return copied


def _well_typed(row: tuple[Any, ...]) -> bool:
    """A row whose fields have the types they were written with (the common case)."""
    return (
        type(row[6]) is str
        and type(row[2]) is str
        and type(row[3]) is str
        and type(row[4]) is str
        and type(row[5]) is float
    )


def _unreadable(session_id: str, seq: int, why: str) -> EventRecord:
    return EventRecord(session_id, seq, "", "", "", 0.0, "", damage=why)


def _record(session_id: str, row: tuple[object, ...]) -> EventRecord:
    """An event from a row read as bytes; a damaged record when a field is not as written."""
    _sid, seq_v, eid_v, type_v, sender_v, ts_v, body_v = row
    try:
        seq = int(seq_v)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        seq = -1
    try:
        eid = _text(eid_v, "eid")
        mtype = _text(type_v, "type")
        sender = _text(sender_v, "sender")
        body = _text(body_v, "body")
        try:
            ts = float(ts_v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _Unreadable(f"its time is {ts_v!r}, not a number") from None
    except _Unreadable as exc:
        return _unreadable(session_id, seq, str(exc))
    return EventRecord(session_id, seq, eid, mtype, sender, ts, body)


class _Unreadable(Exception):
    pass


def _text(value: object, name: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Unreadable(
                f"its {name} is not UTF-8 text (byte 0x{value[exc.start]:02x} at {exc.start})"
            ) from None
    if isinstance(value, str):
        return value
    raise _Unreadable(f"its {name} is {type(value).__name__}, not text")


def _session(row: tuple[object, ...]) -> SessionRecord:
    """A session from its row (``_SESSION_COLUMNS``; an older log's rows lack the watermark)."""
    sid, name, created, host_name, closed, *rest = row
    mark = rest[0] if rest else None
    if mark is not None and mark not in WATERMARKS:
        raise ValueError(f"its watermark is {mark!r}, not one of {', '.join(WATERMARKS)}")
    return SessionRecord(
        id=str(sid),
        name=str(name),
        created=float(created),  # type: ignore[arg-type]
        host_name=None if host_name is None else str(host_name),
        closed=bool(closed),
        watermark="viewers" if mark is None else mark,
    )


def _session_row(record: SessionRecord) -> tuple[object, ...]:
    """A session's row (``_SESSION_COLUMNS``): the default watermark is kept as NULL."""
    mark = None if record.watermark == "viewers" else record.watermark
    return (record.id, record.name, record.created, record.host_name, int(record.closed), mark)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    """The names of a table's columns (read as text or, by a reader of bytes, as bytes)."""
    names = (row[1] for row in db.execute(f"PRAGMA table_info({table})"))
    return {n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n) for n in names}


def _migrate(db: sqlite3.Connection) -> Optional[int]:
    """Bring a log made by an older release up to ``SCHEMA_VERSION``, in one transaction.

    Version 1 kept no watermark in the sessions table: the column is added and filled from
    each session's latest ``session`` event that set one, so nothing saved is lost. Returns
    the version found when it changed anything (None for a current log, or a new one).
    """
    found = int(db.execute("PRAGMA user_version").fetchone()[0])
    missing = "watermark" not in _columns(db, "sessions")
    if found >= SCHEMA_VERSION and not missing:
        return None
    if found == 0 and not missing:  # just made by ``SCHEMA``
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return None
    db.execute("BEGIN IMMEDIATE")
    try:
        if missing:
            db.execute("ALTER TABLE sessions ADD COLUMN watermark TEXT")
            _fill_watermarks(db)
        if found < SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite ends some failed transactions itself (a full disk)
            db.execute("ROLLBACK")
        raise
    return found


def _fill_watermarks(db: sqlite3.Connection) -> None:
    """Each session's watermark from its log (``LOGGED_WATERMARKS``), the default left NULL."""
    marks = [
        (mark, session)
        for session, mark, _seq in db.execute(LOGGED_WATERMARKS)
        if mark != "viewers"
    ]
    db.executemany("UPDATE sessions SET watermark = ? WHERE id = ?", marks)


def _owner_only(path: Path) -> None:
    """The log and its WAL files readable by the relay's user alone (every note, chat line
    and name is in them). SQLite gives the WAL files the log's own mode."""
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            os.chmod(name, 0o600)
        except FileNotFoundError:
            pass

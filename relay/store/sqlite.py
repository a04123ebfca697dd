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
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Optional

from .base import EventRecord, SessionRecord

log = logging.getLogger("overshoulder.relay.store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    host_name TEXT,
    closed INTEGER NOT NULL DEFAULT 0
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
PRAGMA user_version = 1;
"""

#: Most events one transaction takes from the queue.
MAX_BATCH = 512
#: How often the checkpointer copies the WAL into the database file (seconds).
CHECKPOINT_INTERVAL_S = 1.0

_Batch = tuple[Sequence[EventRecord], Callable[[Optional[BaseException]], None]]


class SqliteStore:
    """``EventStore`` on one SQLite file."""

    def __init__(self, path: Path, synchronous: str = "normal") -> None:
        if synchronous not in ("full", "normal"):
            raise ValueError("synchronous must be 'full' or 'normal'")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._sync = synchronous.upper()
        self._read = self._connect()
        self._read.executescript(SCHEMA)
        self._read_lock = threading.Lock()
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

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={self._sync}")
        db.execute("PRAGMA busy_timeout=5000")
        return db

    # --- sessions (small, rare: done inline) --------------------------------

    def create_session(self, record: SessionRecord) -> None:
        with self._read_lock:
            self._read.execute(
                "INSERT INTO sessions (id, name, created, host_name, closed) VALUES (?,?,?,?,?)",
                (record.id, record.name, record.created, record.host_name, int(record.closed)),
            )

    def get_session(self, session_id: str) -> Optional[SessionRecord]:
        with self._read_lock:
            row = self._read.execute(
                "SELECT id, name, created, host_name, closed FROM sessions WHERE id = ?",
                (session_id,),
            ).fetchone()
        return _session(row) if row else None

    def list_sessions(self, include_closed: bool = False) -> list[SessionRecord]:
        sql = "SELECT id, name, created, host_name, closed FROM sessions"
        if not include_closed:
            sql += " WHERE closed = 0"
        with self._read_lock:
            rows = self._read.execute(sql + " ORDER BY created DESC").fetchall()
        return [_session(r) for r in rows]

    def update_session(
        self, session_id: str, *, name: Optional[str] = None, closed: Optional[bool] = None
    ) -> None:
        with self._read_lock:
            if name is not None:
                self._read.execute("UPDATE sessions SET name = ? WHERE id = ?", (name, session_id))
            if closed is not None:
                self._read.execute(
                    "UPDATE sessions SET closed = ? WHERE id = ?", (int(closed), session_id)
                )

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
        if self.writer_stopped is None:
            return []
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.writer_stopped))
        return [f"the event log writer stopped at {when}: events are not being stored"]

    def events_since(
        self, session_id: str, since: int, limit: Optional[int] = None
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
            rows = self._read.execute(sql, args).fetchall()
        return [EventRecord(*row) for row in rows]

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
                except sqlite3.Error as exc:
                    log.warning("event log checkpoint failed (will retry): %s", exc)
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
            return None
        except Exception as exc:  # sqlite3.Error, and text SQLite cannot take (encoding)
            log.error("event log write failed: %s: %s", type(exc).__name__, exc)
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            return exc


def _session(row: tuple[object, ...]) -> SessionRecord:
    sid, name, created, host_name, closed = row
    return SessionRecord(
        id=str(sid),
        name=str(name),
        created=float(created),  # type: ignore[arg-type]
        host_name=None if host_name is None else str(host_name),
        closed=bool(closed),
    )

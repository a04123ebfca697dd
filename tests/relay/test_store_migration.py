"""A data dir made by the first release opens and keeps working: its log (schema version 1,
no watermark in the sessions table) is brought to version 2 at start, each session's
watermark filled from its log's latest ``session`` event that set one."""

from __future__ import annotations

import logging
import random
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

from overshoulder.core.protocol import build, dumps
from overshoulder.relay.config import DataDirError
from overshoulder.relay.store import sqlite as sqlite_store
from overshoulder.relay.store.base import SessionRecord
from overshoulder.relay.store.sqlite import SCHEMA_VERSION, SqliteStore
from tests.conftest import RawClient, RelayProcess
from tests.waiting import wait_for

#: The log's schema as the first release wrote it (``PRAGMA user_version = 1``).
SCHEMA_V1 = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    host_name TEXT,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    eid TEXT NOT NULL,
    type TEXT NOT NULL,
    sender TEXT NOT NULL,
    ts REAL NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_eid ON events (session, eid);
CREATE TABLE audit (
    session TEXT NOT NULL,
    ts REAL NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    role TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_session ON audit (session, ts);
PRAGMA user_version = 1;
"""

#: Session id -> the session events of its log, in order (None: a body that is not JSON).
LOGS: dict[str, list[Optional[dict[str, Any]]]] = {
    # Changed twice, then renamed (a session event without a watermark).
    "twice": [{"watermark": "off"}, {"watermark": "everyone"}, {"name": "Shot 010 v2"}],
    # Never changed: stays the default.
    "never": [{"name": "Shot 020 v2"}],
    # Set to "off", then a row that is not JSON: the last readable one counts.
    "damaged": [{"watermark": "off"}, None],
    # Set back to the default.
    "back": [{"watermark": "off"}, {"watermark": "viewers"}],
}


def _event(sid: str, seq: int, mtype: str, data: Optional[dict[str, Any]]) -> tuple[Any, ...]:
    eid = f"{sid}-{seq}"
    text = "{not json" if data is None else dumps(build(mtype, data, eid=eid, seq=seq, ts=1.0))
    return (sid, seq, eid, mtype, "p1", 1.0, text)


def _chat(sid: str, seq: int, words: str = "") -> dict[str, Any]:
    line = uuid.uuid5(uuid.NAMESPACE_URL, f"{sid}/{seq}")
    return {"id": str(line), "text": f"{sid}-line-{seq:04d} {words}", "author": "p1", "ts": 1.0}


def make_v1_log(path: Path, filler: int = 0) -> None:
    """A log as the first release left it: sessions, chat between their session events, and
    a session of ``filler`` long chat lines (spread over many pages of the file)."""
    logs = dict(LOGS)
    if filler:
        logs["filler"] = []
    db = sqlite3.connect(path)
    insert = "INSERT INTO events VALUES (?,?,?,?,?,?,?)"
    try:
        db.executescript(SCHEMA_V1)
        with db:
            for i, (sid, updates) in enumerate(logs.items()):
                db.execute(
                    "INSERT INTO sessions (id, name, created, host_name, closed) "
                    "VALUES (?,?,?,?,0)",
                    (sid, f"Shot {sid}", 100.0 + i, "Mia"),
                )
                seq = 0
                for data in updates:
                    seq += 1
                    db.execute(insert, _event(sid, seq, "chat", _chat(sid, seq)))
                    seq += 1
                    db.execute(insert, _event(sid, seq, "session", data))
            for seq in range(1, filler + 1):
                db.execute(insert, _event("filler", seq, "chat", _chat("filler", seq, "x" * 300)))
    finally:
        db.close()


def _version_and_columns(path: Path) -> tuple[int, list[str]]:
    db = sqlite3.connect(path)
    try:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        columns = [str(r[1]) for r in db.execute("PRAGMA table_info(sessions)")]
        return version, columns
    finally:
        db.close()


def _stored_marks(path: Path) -> dict[str, Optional[str]]:
    db = sqlite3.connect(path)
    try:
        return {str(r[0]): r[1] for r in db.execute("SELECT id, watermark FROM sessions")}
    finally:
        db.close()


EXPECTED = {"twice": "everyone", "never": "viewers", "damaged": "off", "back": "viewers"}


def test_a_version_1_log_is_migrated_and_keeps_each_sessions_watermark(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "events.sqlite3"
    make_v1_log(path)
    assert _version_and_columns(path) == (1, ["id", "name", "created", "host_name", "closed"])

    with caplog.at_level(logging.INFO, logger="overshoulder.relay.store"):
        store = SqliteStore(path)
    try:
        assert _version_and_columns(path) == (
            SCHEMA_VERSION,
            ["id", "name", "created", "host_name", "closed", "watermark"],
        )
        assert "from schema version 1 to 2" in caplog.text
        assert {s.id: s.watermark for s in store.list_sessions()} == EXPECTED
        # The default is kept as NULL, as in a session never changed.
        assert _stored_marks(path) == {**EXPECTED, "never": None, "back": None}
        assert store.problems() == []
        # Nothing else moved: names, hosts and the log as they were.
        twice = store.get_session("twice")
        assert twice == SessionRecord("twice", "Shot twice", 100.0, "Mia", watermark="everyone")
        assert store.last_seq("twice") == 6
        # A later change is stored, and a change of something else leaves it be.
        store.update_session("never", watermark="off")
        store.update_session("twice", watermark="viewers")
        store.update_session("damaged", name="Renamed")
    finally:
        store.close()

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="overshoulder.relay.store"):
        again = SqliteStore(path)
    try:
        assert "schema version" not in caplog.text, "a current log is not migrated again"
        marks = {s.id: s.watermark for s in again.list_sessions()}
        assert marks == {**EXPECTED, "never": "off", "twice": "viewers"}
        assert again.get_session("damaged") == SessionRecord(
            "damaged", "Renamed", 102.0, "Mia", watermark="off"
        )
    finally:
        again.close()


def test_a_new_log_is_made_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    store = SqliteStore(path)
    try:
        store.create_session(SessionRecord("s1", "Shot 010", 1.0, "Mia", watermark="off"))
        store.create_session(SessionRecord("s2", "Shot 020", 2.0))
        assert [(s.id, s.watermark) for s in store.list_sessions()] == [
            ("s2", "viewers"),
            ("s1", "off"),
        ]
        with pytest.raises(ValueError, match="watermark must be one of viewers, everyone, off"):
            store.update_session("s1", watermark="purple")  # type: ignore[arg-type]
    finally:
        store.close()
    assert _version_and_columns(path)[0] == SCHEMA_VERSION
    assert _stored_marks(path) == {"s1": "off", "s2": None}


def test_a_stored_watermark_that_is_not_one_of_the_three_is_named_and_its_row_skipped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.sqlite3"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT INTO sessions VALUES ('s1', 'A', 1.0, NULL, 0, 'purple')")
        db.execute("INSERT INTO sessions VALUES ('s2', 'B', 2.0, NULL, 0, 'everyone')")
    db.close()
    store = SqliteStore(path)
    try:
        assert [(s.id, s.watermark) for s in store.list_sessions()] == [("s2", "everyone")]
        assert any("'s1'" in p and "'purple'" in p for p in store.problems()), store.problems()
    finally:
        store.close()


def _spoil_page_holding(path: Path, needle: bytes) -> None:
    """Random bytes over the leaf page of the events table that holds ``needle``."""
    db = sqlite3.connect(path)
    try:
        size = int(db.execute("PRAGMA page_size").fetchone()[0])
        leaves = {
            int(r[0])
            for r in db.execute(
                "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'"
            )
        }
    finally:
        db.close()
    data = path.read_bytes()
    pages = [n for n in sorted(leaves) if needle in data[(n - 1) * size : n * size]]
    assert pages, f"{needle!r} is on no leaf page of the events table"
    with open(path, "r+b") as fh:
        fh.seek((pages[0] - 1) * size)
        fh.write(random.Random(3).randbytes(size))


def test_a_damaged_version_1_log_carried_on_keeps_the_watermarks_its_events_hold(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.sqlite3"
    make_v1_log(path, filler=60)
    _spoil_page_holding(path, b"filler-line-0030")

    store = SqliteStore(path, carry_on=True)
    try:
        assert any("a new log was made" in p for p in store.problems()), store.problems()
        marks = {s.id: s.watermark for s in store.list_sessions()}
        assert marks == {**EXPECTED, "filler": "viewers"}
        kept = store.events_since("filler", 0)
        assert 0 < len(kept) < 60, "the damaged page's events are the ones lost"
    finally:
        store.close()
    assert _version_and_columns(path)[0] == SCHEMA_VERSION


def test_a_relay_started_on_a_version_1_data_dir_lists_joins_and_stores_the_watermark(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "old-data"
    data_dir.mkdir(mode=0o700)
    make_v1_log(data_dir / "events.sqlite3")
    relay = RelayProcess(data_dir).start()
    try:
        r = requests.get(relay.url + "/api/sessions", timeout=5)
        assert r.status_code == 200, r.text
        assert {s["id"]: s["watermark"] for s in r.json()["sessions"]} == EXPECTED
        health = requests.get(relay.url + "/api/health", timeout=5).json()
        assert (health["status"], health["problems"]) == ("ok", [])

        # A room loaded from the migrated log agrees, and a change made in it is stored.
        host = RawClient(relay.ws_url)
        try:
            host.join(relay.invite("twice", "host"), "Mia")
            snapshot = host.expect("snapshot")
            assert snapshot["data"]["session"]["watermark"] == "everyone"
            assert snapshot["data"]["session"]["name"] == "Shot 010 v2"
            assert len(snapshot["data"]["chat"]) == 3
            host.send("session", {"watermark": "off"}, eid="5b0c8d0e-1f7e-4c1a-9d55-1a2b3c4d5e11")
            host.expect("ack")
        finally:
            host.close()
        assert wait_for(lambda: _stored_marks(data_dir / "events.sqlite3")["twice"] == "off"), (
            "the change was not stored in the sessions table"
        )

        relay.stop()
        relay.start()
        listed = requests.get(relay.url + "/api/sessions", timeout=5).json()["sessions"]
        assert {s["id"]: s["watermark"] for s in listed} == {**EXPECTED, "twice": "off"}
        assert "Traceback" not in relay.log_text()
    finally:
        relay.stop()


def test_a_migration_that_fails_leaves_the_log_as_it_was_and_the_next_start_migrates_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.sqlite3"
    make_v1_log(path)

    def full_disk(db: sqlite3.Connection) -> None:
        db.execute("UPDATE sessions SET watermark = 'off'")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite_store, "_fill_watermarks", full_disk)
    with pytest.raises(DataDirError, match="cannot be opened: database or disk is full"):
        SqliteStore(path)
    assert _version_and_columns(path) == (1, ["id", "name", "created", "host_name", "closed"])

    monkeypatch.undo()
    store = SqliteStore(path)
    try:
        assert {s.id: s.watermark for s in store.list_sessions()} == EXPECTED
    finally:
        store.close()

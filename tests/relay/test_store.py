"""The SQLite event log: ordered, durable on acknowledgement, readable beside the writer."""

from __future__ import annotations

import sqlite3
import threading

from overshoulder.relay.store.base import EventRecord, SessionRecord
from overshoulder.relay.store.sqlite import SqliteStore
from tests.waiting import wait_for


def _append_and_wait(store, records):
    done = threading.Event()
    errors = []

    def cb(err):
        errors.append(err)
        done.set()

    store.append(records, cb)
    assert done.wait(10)
    return errors[0]


def test_events_are_durable_once_done_is_called_and_read_back_in_order(tmp_path):
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("s1", "Shot 10", 1.0, "Mia"))
    recs = [
        EventRecord("s1", i, f"e{i}", "chat", "p", float(i), f'{{"seq":{i}}}') for i in range(1, 6)
    ]
    assert _append_and_wait(store, recs[:3]) is None
    # Another connection (another process, after a crash) sees them at once.
    other = sqlite3.connect(tmp_path / "log.sqlite3")
    assert other.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3
    assert _append_and_wait(store, recs[3:]) is None
    assert [r.seq for r in store.events_since("s1", 2)] == [3, 4, 5]
    assert [r.seq for r in store.events_since("s1", 0, limit=2)] == [1, 2]
    assert store.last_seq("s1") == 5 and store.last_seq("nope") == 0
    store.close()


def test_a_failed_write_is_reported_and_keeps_nothing_of_its_batch(tmp_path):
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("s1", "x", 1.0))
    assert _append_and_wait(store, [EventRecord("s1", 1, "a", "chat", "p", 1.0, "{}")]) is None
    err = _append_and_wait(
        store,
        [
            EventRecord("s1", 2, "b", "chat", "p", 1.0, "{}"),
            EventRecord("s1", 3, "a", "chat", "p", 1.0, "{}"),
        ],
    )
    assert isinstance(err, sqlite3.IntegrityError)
    assert [r.seq for r in store.events_since("s1", 0)] == [1]
    # The writer goes on after a failure.
    assert _append_and_wait(store, [EventRecord("s1", 2, "c", "chat", "p", 1.0, "{}")]) is None
    store.close()


def test_sessions_are_listed_newest_first_and_closed_ones_hidden(tmp_path):
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("a", "A", 1.0))
    store.create_session(SessionRecord("b", "B", 2.0))
    store.update_session("a", closed=True)
    store.update_session("b", name="B2")
    assert [s.id for s in store.list_sessions()] == ["b"]
    assert [s.name for s in store.list_sessions(include_closed=True)] == ["B2", "A"]
    store.close()
    # Reopened: everything is still there.
    again = SqliteStore(tmp_path / "log.sqlite3")
    assert again.get_session("a").closed is True
    again.close()


def test_the_wal_is_checkpointed_beside_the_writer_and_stays_bounded(tmp_path, monkeypatch):
    import time

    from overshoulder.relay.store import sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "CHECKPOINT_INTERVAL_S", 0.02)
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("s1", "x", 1.0))
    body = "x" * 2000
    wal = tmp_path / "log.sqlite3-wal"
    sizes = []
    for start in range(0, 2000, 100):
        recs = [
            EventRecord("s1", i, f"e{i}", "chat", "p", 1.0, body)
            for i in range(start + 1, start + 101)
        ]
        assert _append_and_wait(store, recs) is None
        time.sleep(0.1)  # people pause; the checkpointer catches up
        sizes.append(wal.stat().st_size)
    # 4 MB went through the WAL while it was open; checkpoints let SQLite reuse it.
    # (Without them it grows by every commit; SQLite's own would let it reach ~4 MB.)
    assert max(sizes) < 1_500_000, sizes
    store.close()
    db = sqlite3.connect(tmp_path / "log.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2000


def test_an_event_sqlite_cannot_encode_fails_only_its_own_batch_and_the_writer_goes_on(tmp_path):
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("s1", "Shot 10", 1.0, "Mia"))
    # Hold the writer so the three batches are taken together, in one transaction.
    gate = threading.Event()
    store.append([], lambda err: gate.wait(10))
    results: dict[str, object] = {}
    finished = threading.Event()

    def cb(name):
        def done(err):
            results[name] = err
            if len(results) == 3:
                finished.set()

        return done

    good = EventRecord("s1", 1, "e1", "chat", "p", 1.0, '{"text":"ok"}')
    bad = EventRecord("s1", 2, "e2", "chat", "p", 2.0, '{"text":"x\ud800y"}')
    after = EventRecord("s1", 3, "e3", "chat", "p", 3.0, '{"text":"after"}')
    store.append([good], cb("good"))
    store.append([bad], cb("bad"))
    store.append([after], cb("after"))
    gate.set()
    assert finished.wait(10)
    assert results["good"] is None and results["after"] is None
    assert isinstance(results["bad"], UnicodeEncodeError)
    assert [r.eid for r in store.events_since("s1", 0)] == ["e1", "e3"]
    # The writer is still alive: a later event is stored.
    later = EventRecord("s1", 4, "e4", "chat", "p", 4.0, '{"text":"later"}')
    assert _append_and_wait(store, [later]) is None
    assert store.last_seq("s1") == 4
    store.close()


def test_a_writer_that_stopped_anyway_is_reported_and_refuses_at_once(tmp_path):
    class Broken(SqliteStore):
        def _write(self, db, batches):
            raise SystemExit("simulated death of the writer thread")

    store = Broken(tmp_path / "log.sqlite3")
    assert store.problems() == []
    store.append([EventRecord("s1", 1, "e1", "chat", "p", 1.0, "{}")], lambda err: None)
    store._writer.join(10)
    assert not store._writer.is_alive()
    (problem,) = store.problems()
    assert "writer stopped at" in problem and "not being stored" in problem
    # A later event is refused with a sentence at once instead of waiting forever.
    assert "has stopped" in str(
        _append_and_wait(store, [EventRecord("s1", 2, "e2", "chat", "p", 2.0, "{}")])
    )
    store._stop_checkpoints.set()


def test_the_checkpointer_survives_a_failing_step_and_keeps_checkpointing(tmp_path, monkeypatch):
    from overshoulder.relay.store import sqlite as sqlite_mod

    monkeypatch.setattr(sqlite_mod, "CHECKPOINT_INTERVAL_S", 0.01)
    store = SqliteStore(tmp_path / "log.sqlite3")
    calls = {"n": 0}
    real = store._write_seen

    def flaky():
        calls["n"] += 1
        if calls["n"] <= 2:
            raise OSError(28, "No space left on device")
        real()

    monkeypatch.setattr(store, "_write_seen", flaky)
    assert wait_for(lambda: calls["n"] >= 4), calls
    assert store._checkpointer.is_alive()
    store.close()

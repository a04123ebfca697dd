"""A damaged data dir says so: which file, what is wrong, what to do; never a traceback.

Each test damages a real relay's data dir while the relay is stopped (as a full disk, a
bad sector or a careless copy would) and starts the relay again as a studio runs it.
"""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

from overshoulder.core.client import SessionClient
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from tests.conftest import RawClient, RelayProcess
from tests.waiting import wait_for

NOTES = 6


def _note(i: int, words: str = "") -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[0.1, 0.1 * (i % 9)], [0.2, 0.3]]),
        anchor=Anchor(frame=1001 + i),
        text=f"note-{i:04d}-{words}",
    )


def _fill(relay: RelayProcess, notes: int = NOTES, words: str = "") -> str:
    """A session with ``notes`` stored notes; the relay is stopped cleanly after."""
    created = relay.create_session()
    sid = str(created["session"]["id"])
    with SessionClient(relay.url, created["host_token"], "Mia") as host:
        assert host.wait_synced(10)
        for i in range(notes):
            host.add_annotation(_note(i, words))
        assert wait_for(lambda: host.pending == 0, 30), "the notes were not acknowledged"
    relay.stop()
    # Everything in the main file, nothing left in a write-ahead log, as after a clean stop.
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sid


def _start_refused(data_dir: Path, *extra: str) -> tuple[int, str]:
    """Start a relay that must refuse: its exit status and what it wrote to stderr.

    A relay that starts instead fails the test (it is stopped first).
    """
    cmd = [sys.executable, "-m", "overshoulder.relay", "--host", "127.0.0.1", "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(data_dir.parent),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    if "listening" in first:
        proc.terminate()
        proc.wait(10)
        pytest.fail(f"the relay started on a damaged data dir: {first.strip()}")
    rc = proc.wait(30)
    return rc, proc.stderr.read()


def _health(relay: RelayProcess) -> dict[str, Any]:
    return dict(requests.get(relay.url + "/api/health", timeout=5).json())


def _join(relay: RelayProcess, sid: str) -> tuple[RawClient, dict[str, Any]]:
    """A viewer joined over a raw socket, and the snapshot it got."""
    token = relay.invite(sid, "viewer")
    client = RawClient(relay.ws_url)
    client.join(token, "Late")
    snapshot = client.expect("snapshot")
    client.expect("synced")
    return client, snapshot


def _page_size(path: Path) -> int:
    with open(path, "rb") as fh:
        header = fh.read(100)
    size = int.from_bytes(header[16:18], "big")
    return 65536 if size == 1 else size


def _overwrite_page_holding(path: Path, needle: bytes, seed: int = 12) -> int:
    """Random bytes over the page of the log that holds ``needle``; that page's number."""
    data = path.read_bytes()
    at = data.find(needle)
    assert at > 0, f"{needle!r} is not in the log file"
    size = _page_size(path)
    page = at // size
    with open(path, "r+b") as fh:
        fh.seek(page * size)
        fh.write(random.Random(seed).randbytes(size))
    return page + 1


# --- one bad row ---------------------------------------------------------------------------

BAD_ROWS = {
    # A body cut short (a torn write): not JSON.
    "cut-json": "UPDATE events SET body = substr(body, 1, 30) WHERE session = ? AND seq = ?",
    # Bytes that are not UTF-8 where the text was (a damaged sector under the row).
    "not-utf8": (
        "UPDATE events SET body = CAST(X'7B2276223A31FFFE2C2274797065223A2278227D' AS TEXT) "
        "WHERE session = ? AND seq = ?"
    ),
    # Nesting deeper than any decoder follows (a body written before depth was bounded).
    "deep-nesting": (
        'UPDATE events SET body = \'{"v":1,"data":\' || replace(hex(zeroblob(100000)), '
        "'00', '[') || replace(hex(zeroblob(100000)), '00', ']') || '}' "
        "WHERE session = ? AND seq = ?"
    ),
    # JSON, but not the body its type needs.
    "wrong-shape": (
        'UPDATE events SET body = \'{"v":1,"type":"annotation_add","data":{"annotation":[1]}}\' '
        "WHERE session = ? AND seq = ?"
    ),
}


def _export_with_placeholder(relay: RelayProcess, sid: str) -> None:
    r = requests.get(
        f"{relay.url}/api/sessions/{sid}/events",
        headers={"Authorization": f"Bearer {relay.admin_key}"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert [e["seq"] for e in events] == list(range(1, NOTES + 1))
    placeholder = events[2]
    assert placeholder["type"] == "damaged"
    assert placeholder["data"]["code"] == "damaged_event"
    assert "event 3" in placeholder["data"]["message"]
    assert all(e["type"] == "annotation_add" for i, e in enumerate(events) if i != 2)


@pytest.mark.parametrize("export_first", [False, True], ids=["join-first", "export-first"])
@pytest.mark.parametrize("damage", sorted(BAD_ROWS))
def test_one_bad_row_is_skipped_named_and_the_rest_of_the_session_loads(
    relay: RelayProcess, damage: str, export_first: bool
) -> None:
    sid = _fill(relay)
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    with db:
        db.execute(BAD_ROWS[damage], (sid, 3))
    db.close()
    relay.start()
    if export_first:  # the export of a session nobody has joined since the start
        _export_with_placeholder(relay, sid)

    client, snapshot = _join(relay, sid)
    try:
        # The joiner is told, by a named error, that one event was skipped...
        notice = client.expect("error", code="damaged_event")
        assert "event 3 of this session's log" in notice["data"]["message"]
        # ...and gets everything else.
        texts = sorted(a["text"] for a in snapshot["data"]["annotations"])
        assert len(texts) == NOTES - 1
        assert not any(t.startswith("note-0002-") for t in texts)
        assert snapshot["data"]["seq"] == NOTES
    finally:
        client.close()

    health = _health(relay)
    assert health["status"] == "degraded"
    assert any(f"event 3 of session {sid}" in p for p in health["problems"]), health
    _export_with_placeholder(relay, sid)

    log = relay.log_text()
    assert f"event 3 of session {sid} cannot be read" in log
    assert "Traceback" not in log


def test_random_bytes_inside_a_row_skip_that_row_and_nothing_else(relay: RelayProcess) -> None:
    sid = _fill(relay, notes=NOTES, words="y" * 200)
    log_file = relay.data_dir / "events.sqlite3"
    data = log_file.read_bytes()
    at = data.find(b"note-0003-" + b"y" * 50)
    assert at > 0
    spoiled = bytes([0xFF]) + random.Random(5).randbytes(15)  # 0xff: never in UTF-8
    log_file.write_bytes(data[: at + 20] + spoiled + data[at + 20 + len(spoiled) :])
    # The pages still parse (SQLite's quick check passes), so the relay starts...
    relay.start()
    client, snapshot = _join(relay, sid)
    try:
        notice = client.expect("error", code="damaged_event")
        assert "event 4 of this session's log" in notice["data"]["message"]
        texts = sorted(a["text"][:9] for a in snapshot["data"]["annotations"])
        assert texts == [f"note-{i:04d}" for i in range(NOTES) if i != 3]
    finally:
        client.close()
    # ...and says which event it could not read, and why.
    problems = _health(relay)["problems"]
    assert any(f"event 4 of session {sid}" in p and "not UTF-8" in p for p in problems)
    assert "Traceback" not in relay.log_text()


def test_a_resume_past_a_skipped_row_gets_the_rest_and_never_the_bad_text(
    relay: RelayProcess,
) -> None:
    sid = _fill(relay)
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    with db:
        db.execute(BAD_ROWS["cut-json"], (sid, 3))
    db.close()
    relay.start()
    first, _ = _join(relay, sid)  # loads the session
    first.close()
    client = RawClient(relay.ws_url)
    try:
        client.join(relay.invite(sid, "viewer"), "Back", since=1)
        client.expect("snapshot")
        synced = client.expect("synced")
        replayed = [m["seq"] for m in client.seen if m["type"] == "annotation_add"]
        assert replayed == [2, 4, 5, 6]
        assert synced["data"]["seq"] == NOTES
    finally:
        client.close()


def test_a_session_row_that_cannot_be_read_is_left_out_of_the_list(relay: RelayProcess) -> None:
    keep = relay.create_session(name="Shot 020")["session"]["id"]
    bad = relay.create_session(name="Shot 030")["session"]["id"]
    relay.stop()
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    with db:
        db.execute("UPDATE sessions SET name = CAST(X'53686FFF74' AS TEXT) WHERE id = ?", (bad,))
    db.close()
    relay.start()
    r = requests.get(relay.url + "/api/sessions", timeout=5)
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["sessions"]] == [keep]
    health = _health(relay)
    assert health["status"] == "degraded"
    assert any("sessions table" in p and bad in p for p in health["problems"]), health
    assert "Traceback" not in relay.log_text()


def test_a_new_note_after_a_skipped_row_is_stored_after_it(relay: RelayProcess) -> None:
    sid = _fill(relay)
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    with db:
        db.execute(BAD_ROWS["cut-json"], (sid, NOTES))  # the last one
    db.close()
    relay.start()
    with SessionClient(relay.url, relay.invite(sid, "reviewer"), "Sam") as rev:
        assert rev.wait_synced(10)
        rev.add_annotation(_note(99))
        assert wait_for(lambda: rev.pending == 0, 10), rev.last_error
    seqs = [e["seq"] for e in relay.events(sid)]
    assert seqs == list(range(1, NOTES + 2)), "the new note must not reuse the skipped seq"


# --- a damaged log file ----------------------------------------------------------------------


def _cut_in_half(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as fh:
        fh.truncate(size // 2)


def _garbage_header(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.write(random.Random(7).randbytes(100))


def _random_page(path: Path) -> None:
    _overwrite_page_holding(path, b"note-0030-")


#: SQLite's files beside a database (write-ahead log, shared memory).
SIDE = ("-wal", "-shm")

DAMAGED_FILES = {
    "cut-in-half": (_cut_in_half, "quick check"),
    "garbage-header": (_garbage_header, "not an SQLite database"),
    "random-page": (_random_page, "quick check"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED_FILES))
def test_a_damaged_log_stops_the_start_with_what_to_do_unless_told_to_carry_on(
    relay: RelayProcess, damage: str
) -> None:
    sid = _fill(relay, notes=60, words="x" * 400)
    log_file = relay.data_dir / "events.sqlite3"
    spoil, says = DAMAGED_FILES[damage]
    spoil(log_file)
    before = log_file.read_bytes()

    rc, err = _start_refused(relay.data_dir)
    assert rc == 1
    assert "Traceback" not in err
    assert str(log_file) in err and "is damaged" in err
    assert says in err
    assert "keep a copy" in err and ".recover" in err and "--carry-on" in err
    assert log_file.read_bytes() == before, "a refused start must leave the file as it was"

    relay.extra_args = ["--carry-on"]
    relay.start()
    health = _health(relay)
    assert health["status"] == "degraded"
    assert any("damaged at start" in p and "--carry-on" in p for p in health["problems"])
    copies = [p for p in relay.data_dir.glob("events.sqlite3.damaged-*") if p.name[-4:] not in SIDE]
    assert len(copies) == 1 and copies[0].read_bytes() == before
    # The relay works on: a session can be made and joined, and the old one does not
    # close sockets without a word.
    fresh = relay.create_session()["session"]["id"]
    client, _ = _join(relay, fresh)
    client.close()
    token_ok = requests.get(relay.url + "/api/sessions", timeout=5)
    assert token_ok.status_code == 200
    if damage != "garbage-header":
        # What could be read was carried over; each event that could not is a named gap.
        client, snapshot = _join(relay, sid)
        try:
            client.expect("error", code="damaged_event")
            kept = len(snapshot["data"]["annotations"])
            assert (0 < kept < 60) if damage == "random-page" else kept < 60
            assert snapshot["data"]["seq"] == 60, "a lost event's seq is never handed out again"
        finally:
            client.close()
        r = requests.get(
            f"{relay.url}/api/sessions/{sid}/events",
            headers={"Authorization": f"Bearer {relay.admin_key}"},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        assert any(e["type"] == "damaged" for e in r.json()["events"])
    assert "Traceback" not in relay.log_text()
    # Carrying on made a new, whole log of what could be read: the next start is quiet,
    # and what was lost stays named where it was.
    relay.stop()
    relay.extra_args = []
    relay.start()
    assert _health(relay)["status"] == "ok"
    listed = [
        s["id"] for s in requests.get(relay.url + "/api/sessions", timeout=5).json()["sessions"]
    ]
    assert fresh in listed
    if damage != "garbage-header":
        assert sid in listed
        client, _ = _join(relay, sid)
        try:
            client.expect("error", code="damaged_event")
        finally:
            client.close()


def test_a_log_emptied_to_0_bytes_is_noticed_not_started_empty_in_silence(
    relay: RelayProcess,
) -> None:
    _fill(relay)
    log_file = relay.data_dir / "events.sqlite3"
    log_file.write_bytes(b"")

    rc, err = _start_refused(relay.data_dir)
    assert rc == 1 and "Traceback" not in err
    assert "is empty (0 bytes)" in err
    assert f"held 1 sessions and {NOTES} events" in err

    relay.extra_args = ["--carry-on"]
    relay.start()
    health = _health(relay)
    assert health["status"] == "degraded"
    assert any("is empty (0 bytes)" in p for p in health["problems"]), health
    relay.stop()
    # Carrying on was the word that the loss is known: the next start is quiet.
    relay.extra_args = []
    relay.start()
    assert _health(relay)["status"] == "ok"


def test_a_clean_restart_and_a_new_data_dir_start_without_a_warning(relay: RelayProcess) -> None:
    _fill(relay)
    relay.start()
    health = _health(relay)
    assert (health["status"], health["problems"]) == ("ok", [])
    assert (relay.data_dir / "events-seen.json").exists()


def test_a_data_dir_that_cannot_be_used_is_named_not_a_traceback(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data dir should be\n")
    rc, err = _start_refused(not_a_dir)
    assert rc == 1 and "Traceback" not in err
    assert f"cannot use the data dir {not_a_dir}" in err

    data = tmp_path / "data2"
    (data / "events.sqlite3").mkdir(parents=True)
    rc, err = _start_refused(data)
    assert rc == 1 and "Traceback" not in err
    assert f"the event log {data / 'events.sqlite3'} cannot be opened" in err
    assert "may read and write" in err


# --- key files ----------------------------------------------------------------------------

BAD_KEYS = {
    "not-hex": ("secret.key", b"this is not a key at all, it is a sentence\n", "not hex digits"),
    "binary": ("secret.key", b"\x00\xff\x13garbage" * 8, "not text"),
    "empty": ("secret.key", b"", "is empty"),
    "cut": ("secret.key", b"0123456789abcdef0123\n", "20 hex digits"),
    "odd": ("secret.key", b"a" * 65 + b"\n", "odd number"),
    "admin-binary": ("admin.key", b"\xfe\xff" * 30, "not text"),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_a_damaged_key_file_is_named_with_what_to_do(relay: RelayProcess, case: str) -> None:
    relay.create_session()
    relay.stop()
    name, content, says = BAD_KEYS[case]
    (relay.data_dir / name).write_bytes(content)

    rc, err = _start_refused(relay.data_dir)
    assert rc == 1
    assert "Traceback" not in err
    assert str(relay.data_dir / name) in err and "is damaged" in err
    assert says in err
    assert "backup" in err
    if name == "secret.key":
        assert "every invite and host link made so far stops working" in err


# --- kept frames ----------------------------------------------------------------------------


def test_half_written_frame_files_are_removed_at_start(relay: RelayProcess) -> None:
    sid = relay.create_session()["session"]["id"]
    relay.stop()
    folder = relay.data_dir / "frames" / sid / "ab"
    folder.mkdir(parents=True)
    kept = folder / ("ab" + "0" * 30 + ".jpg")
    kept.write_bytes(b"\xff\xd8 a whole frame")
    partial = [folder / f"ab{i:030d}.jpg.4242.tmp" for i in range(30)]
    for p in partial:
        p.write_bytes(b"\xff\xd8 cut sho")

    relay.start()
    assert not any(p.exists() for p in partial)
    assert kept.exists()
    assert "removed 30 half-written frame files" in relay.log_text()


def _first_line(text: str) -> Optional[str]:
    return next((line for line in text.splitlines() if line.strip()), None)


def test_the_refusal_is_one_sentence_a_person_can_act_on(relay: RelayProcess) -> None:
    _fill(relay)
    _garbage_header(relay.data_dir / "events.sqlite3")
    _, err = _start_refused(relay.data_dir)
    line = _first_line(err)
    assert line is not None and line.startswith("overshoulder relay: the event log ")
    assert len(err.strip().splitlines()) == 1, err

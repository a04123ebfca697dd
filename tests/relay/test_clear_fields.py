"""Removing a note's words or range with ``annotation_update``'s ``clear``: applied after the
given fields, stored and relayed as sent, kept across a relay restart and a resume; bad
``clear`` values get errors naming what is wrong while the connection and the session go on."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from overshoulder.core.model import new_id


def _note(text: str | None = "soften the rim light", duration: int | None = 9) -> dict:
    anchor: dict[str, Any] = {"frame": 1012}
    if duration is not None:
        anchor["duration"] = duration
    note: dict[str, Any] = {
        "id": new_id(),
        "shape": {"kind": "rect", "min": [-0.1, -0.1], "max": [0.1, 0.1]},
        "anchor": anchor,
    }
    if text is not None:
        note["text"] = text
    return note


def _update(client, data: dict, ref: str | None = None) -> dict:
    """Send an ``annotation_update``; its ack, or the error for it."""
    ref = ref or str(uuid.uuid4())
    client.send("annotation_update", data, eid=str(uuid.uuid4()), ref=ref)
    while True:
        msg = client.recv()
        if msg["type"] in ("ack", "error") and msg["data"].get("ref") == ref:
            return msg


def _host_and_reviewer(relay, raw) -> tuple[dict, Any, Any, str]:
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    token = relay.invite(s["session"]["id"], "reviewer")
    rev = raw()
    rev.join(token, "Sam")
    rev.expect("snapshot")
    return s, host, rev, token


def _add(host, rev, note: dict) -> None:
    host.send("annotation_add", {"annotation": note})
    host.expect("ack")
    rev.expect("annotation_add")


def _late_snapshot(relay, raw, sid: str) -> dict[str, dict]:
    """The notes a new reviewer's full snapshot holds, by id."""
    late = raw()
    late.join(relay.invite(sid, "reviewer"), "Dana")
    snap = late.expect("snapshot")["data"]
    assert snap["full"] is True
    return {n["id"]: n for n in snap["annotations"]}


def test_clearing_words_and_range_is_stored_as_sent_relayed_and_in_late_snapshots(relay, raw):
    s, host, rev, _ = _host_and_reviewer(relay, raw)
    sid = s["session"]["id"]
    note = _note()
    _add(host, rev, note)

    ack = _update(host, {"id": note["id"], "clear": ["text"]})
    assert ack["type"] == "ack" and ack["data"]["seq"] == 2
    relayed = rev.expect("annotation_update")
    assert relayed["data"] == {"id": note["id"], "clear": ["text"]}, "relayed as sent"
    stored = relay.events(sid)[-1]
    assert stored["type"] == "annotation_update"
    assert stored["data"] == {"id": note["id"], "clear": ["text"]}, "stored as sent"

    got = _late_snapshot(relay, raw, sid)[note["id"]]
    assert "text" not in got, "the words are gone"
    assert got["anchor"] == {"frame": 1012, "duration": 9}, "the range stays"

    ack = _update(host, {"id": note["id"], "clear": ["anchor.duration"]})
    assert ack["type"] == "ack"
    got = _late_snapshot(relay, raw, sid)[note["id"]]
    assert got["anchor"] == {"frame": 1012}, "one frame again"
    assert got["shape"] == note["shape"] and got["author_name"] == "Mia"


def test_given_fields_are_set_before_the_cleared_ones_are_removed(relay, raw):
    s, host, rev, _ = _host_and_reviewer(relay, raw)
    note = _note()
    _add(host, rev, note)

    # A new anchor without duration, and the range cleared: both apply, in that order.
    ack = _update(
        host,
        {
            "id": note["id"],
            "anchor": {"frame": 1020},
            "status": "done",
            "clear": ["anchor.duration", "text"],
        },
    )
    assert ack["type"] == "ack"
    got = _late_snapshot(relay, raw, s["session"]["id"])[note["id"]]
    assert got["anchor"] == {"frame": 1020} and got["status"] == "done"
    assert "text" not in got

    # New words with the range cleared in one update.
    note2 = _note(text=None)
    _add(host, rev, note2)
    ack = _update(host, {"id": note2["id"], "text": "new words", "clear": ["anchor.duration"]})
    assert ack["type"] == "ack"
    got = _late_snapshot(relay, raw, s["session"]["id"])[note2["id"]]
    assert got["text"] == "new words" and got["anchor"] == {"frame": 1012}


def test_clearing_a_field_the_note_lacks_changes_nothing_but_is_stored(relay, raw):
    s, host, rev, _ = _host_and_reviewer(relay, raw)
    sid = s["session"]["id"]
    note = _note(text=None, duration=None)
    _add(host, rev, note)
    before = _late_snapshot(relay, raw, sid)[note["id"]]

    ack = _update(host, {"id": note["id"], "clear": ["text", "anchor.duration"]})
    assert ack["type"] == "ack" and ack["data"]["seq"] == 2
    assert rev.expect("annotation_update")["seq"] == 2
    assert _late_snapshot(relay, raw, sid)[note["id"]] == before


def test_cleared_fields_stay_cleared_after_a_relay_restart_and_a_resume(relay, raw):
    s, host, rev, token = _host_and_reviewer(relay, raw)
    sid = s["session"]["id"]
    rid = str(uuid.uuid4())
    away = raw()
    away.join(token, "Lee", client_id=rid)
    away.expect("snapshot")
    kept, cleared = _note(), _note()
    _add(host, rev, kept)
    _add(host, rev, cleared)
    assert away.expect("annotation_add")["seq"] == 1
    assert away.expect("annotation_add")["seq"] == 2
    away.close()  # gone before the update

    ack = _update(host, {"id": cleared["id"], "clear": ["text", "anchor.duration"]})
    assert ack["type"] == "ack"
    assert _update(host, {"id": kept["id"], "text": "warmer"})["type"] == "ack"

    relay.stop()
    relay.start()  # the room is rebuilt from the log

    notes = _late_snapshot(relay, raw, sid)
    assert "text" not in notes[cleared["id"]] and notes[cleared["id"]]["anchor"] == {"frame": 1012}
    assert notes[kept["id"]]["text"] == "warmer"
    assert notes[kept["id"]]["anchor"] == {"frame": 1012, "duration": 9}

    back = raw()
    back.join(token, "Lee", since=2, client_id=rid)
    assert back.expect("snapshot")["data"]["full"] is False
    missed = []
    while (msg := back.recv())["type"] != "synced":
        if "seq" in msg:
            missed.append((msg["seq"], msg["type"], msg["data"]))
    assert missed == [
        (3, "annotation_update", {"id": cleared["id"], "clear": ["text", "anchor.duration"]}),
        (4, "annotation_update", {"id": kept["id"], "text": "warmer"}),
    ]


BAD_CLEARS = [
    pytest.param(
        {"clear": ["nope"]},
        ("bad_message", "data.clear[0]", ["'nope'", "'text'", "'anchor.duration'"]),
        id="not-clearable",
    ),
    pytest.param({"clear": [5]}, ("bad_message", "data.clear[0]", ["got 5"]), id="not-a-name"),
    pytest.param(
        {"clear": "text"}, ("bad_message", "data.clear", ["must be a list"]), id="not-a-list"
    ),
    pytest.param(
        {"clear": ["text", "text"]}, ("bad_message", "data.clear", ["text twice"]), id="repeated"
    ),
    pytest.param(
        {"clear": ["text", "anchor.duration", "text"]},
        ("too_large", "data.clear", ["3 items, at most 2"]),
        id="too-many",
    ),
    pytest.param(
        {"text": "x", "clear": ["text"]},
        ("bad_message", "data.clear", ["text is both set and cleared"]),
        id="text-set-and-cleared",
    ),
    pytest.param(
        {"anchor": {"frame": 1001, "duration": 3}, "clear": ["anchor.duration"]},
        ("bad_message", "data.clear", ["anchor.duration is both set and cleared"]),
        id="range-set-and-cleared",
    ),
]


@pytest.mark.parametrize(("change", "refusal"), BAD_CLEARS)
def test_a_bad_clear_is_refused_naming_what_is_wrong_and_the_session_goes_on(
    relay, raw, change, refusal
):
    s, host, rev, _ = _host_and_reviewer(relay, raw)
    sid = s["session"]["id"]
    note = _note()
    _add(host, rev, note)

    err = _update(host, {"id": note["id"], **change}, ref="bad")
    code, field, words = refusal
    assert err["type"] == "error", err
    assert err["data"]["code"] == code and err["data"]["field"] == field, err["data"]
    assert err["data"]["ref"] == "bad" and err["data"]["type"] == "annotation_update"
    for word in words:
        assert word in err["data"]["message"], err["data"]["message"]

    # Nothing was stored or changed; the same connection goes on.
    assert [e["seq"] for e in relay.events(sid)] == [1]
    ack = _update(host, {"id": note["id"], "clear": ["text"]})
    assert ack["type"] == "ack" and ack["data"]["seq"] == 2
    assert rev.expect("annotation_update")["data"]["clear"] == ["text"]


def test_clearing_another_participant_s_words_is_for_a_host_only(relay, raw):
    s, host, rev, _ = _host_and_reviewer(relay, raw)
    note = _note()
    _add(host, rev, note)
    err = _update(rev, {"id": note["id"], "clear": ["text"]})
    assert err["type"] == "error" and err["data"]["code"] == "forbidden"
    assert "Mia" in err["data"]["message"]
    # Marking it done is open to every drawing participant; taking its words away too is not.
    err = _update(rev, {"id": note["id"], "status": "done", "clear": ["text"]})
    assert err["type"] == "error" and err["data"]["code"] == "forbidden"
    assert _update(rev, {"id": note["id"], "status": "done"})["type"] == "ack"
    assert _late_snapshot(relay, raw, s["session"]["id"])[note["id"]]["text"] == note["text"]

"""A host and reviewers in one session over real sockets to a real relay process."""

from __future__ import annotations

import uuid

from overshoulder.core.model import new_id


def _arrow(frame: int = 1001, text: str = "lift the shadows here") -> dict:
    return {
        "id": new_id(),
        "shape": {"kind": "arrow", "start": [-0.2, 0.1], "end": [0.05, -0.02]},
        "style": {"color": [1, 0.8, 0, 1], "width": 0.003},
        "anchor": {"frame": frame, "object": {"kind": "nuke.node", "path": "Grade1"}},
        "text": text,
    }


def test_annotation_is_acked_stored_and_broadcast_with_author(relay, raw):
    s = relay.create_session()
    sid, host_token = s["session"]["id"], s["host_token"]
    host = raw()
    w = host.join(host_token, "Mia")
    assert w["data"]["participant"]["role"] == "host"
    snap = host.expect("snapshot")
    assert snap["data"]["full"] is True and snap["data"]["annotations"] == []

    rev = raw()
    rev.join(relay.invite(sid, "reviewer"), "Sam")
    rev.expect("snapshot")
    joined = host.expect("join")
    assert joined["data"]["participant"]["name"] == "Sam"

    ann = _arrow()
    eid = str(uuid.uuid4())
    rev.send("annotation_add", {"annotation": ann}, eid=eid, ref="r1")
    ack = rev.expect("ack")["data"]
    filled = ack.pop("filled")
    assert ack == {"ref": "r1", "eid": eid, "seq": 1, "duplicate": False}
    assert filled["author_name"] == "Sam" and filled["created"] > 0

    got = host.expect("annotation_add")
    assert got["seq"] == 1 and got["eid"] == eid
    a = got["data"]["annotation"]
    assert a["id"] == ann["id"] and a["author_name"] == "Sam" and a["text"] == ann["text"]
    assert a["author"] == filled["author"] and a["created"] == filled["created"]
    assert a["anchor"]["object"] == {"kind": "nuke.node", "path": "Grade1"}

    events = relay.events(sid)
    assert [e["seq"] for e in events] == [1]
    assert events[0]["data"]["annotation"]["id"] == ann["id"]


def test_retry_with_same_eid_is_acknowledged_once_and_not_applied_twice(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    eid = str(uuid.uuid4())
    ann = _arrow()
    host.send("annotation_add", {"annotation": ann}, eid=eid)
    first = host.expect("ack")
    host.send("annotation_add", {"annotation": ann}, eid=eid)
    again = host.expect("ack")
    assert first["data"]["seq"] == again["data"]["seq"] == 1
    assert again["data"]["duplicate"] is True
    assert len(relay.events(s["session"]["id"])) == 1


def test_late_joiner_gets_snapshot_with_annotations_playhead_and_participants(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    ids = []
    for i in range(5):
        ann = _arrow(1001 + i, f"note {i}")
        ids.append(ann["id"])
        host.send("annotation_add", {"annotation": ann}, eid=str(uuid.uuid4()))
        host.expect("ack")
    host.send("chat", {"id": new_id(), "text": "can you see it?"})
    host.expect("ack")
    host.send("playhead", {"frame": 1003, "rate": 24, "playing": False, "range": [1001, 1100]})

    late = raw()
    late.join(relay.invite(sid, "viewer"), "Producer")
    snap = late.expect("snapshot")["data"]
    assert [a["id"] for a in snap["annotations"]] == ids
    assert snap["chat"][0]["text"] == "can you see it?"
    assert snap["playhead"]["frame"] == 1003
    assert snap["seq"] == 6
    assert {p["name"] for p in snap["participants"]} == {"Mia"}
    assert snap["driver"] is not None


def test_coordinates_are_stored_rounded_to_five_decimals(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    ann = {
        "id": new_id(),
        "shape": {"kind": "stroke", "points": [[0.123456789, -0.3333333333, 0.87654321], [1, 2]]},
        "anchor": {"frame": 1},
    }
    host.send("annotation_add", {"annotation": ann})
    host.expect("ack")
    stored = relay.events(s["session"]["id"])[0]["data"]["annotation"]["shape"]["points"]
    assert stored == [[0.12346, -0.33333, 0.87654], [1.0, 2.0]]

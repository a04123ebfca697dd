"""One driver of the playhead at a time, with hand-over and take-back."""

from __future__ import annotations


def _join(relay, raw, token, name):
    c = raw()
    w = c.join(token, name)
    c.expect("snapshot")
    return c, w["data"]["participant"]["id"]


def test_drive_lease_request_handover_and_take_back(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host, host_id = _join(relay, raw, s["host_token"], "Mia")
    assert host.expect("lease")["data"]["holder"] == host_id  # the host drives by default
    rev, rev_id = _join(relay, raw, relay.invite(sid, "reviewer"), "Sam")

    # Sam may not move the playhead while Mia drives.
    rev.send("playhead", {"frame": 1042, "rate": 24, "playing": False})
    err = rev.expect("error")["data"]
    assert err["code"] == "forbidden" and "Mia drives" in err["message"]

    # He asks; Mia sees the request and hands over.
    rev.send("lease_claim", {"name": "playhead"})
    req = host.expect("lease")["data"]
    assert req["holder"] == host_id and req["requested_by"] == rev_id
    host.send("lease_release", {"name": "playhead", "to": rev_id})
    assert rev.expect("lease", holder=rev_id)["data"]["holder_name"] == "Sam"

    rev.send("playhead", {"frame": 1042, "rate": 24, "playing": True, "range": [1030, 1060]})
    ph = host.expect("playhead")
    assert (
        ph["data"]["frame"] == 1042 and ph["data"]["range"] == [1030, 1060] and ph["from"] == rev_id
    )

    # Mia takes it back at any time.
    host.send("lease_claim", {"name": "playhead"})
    assert rev.expect("lease", holder=host_id)
    rev.send("playhead", {"frame": 1, "rate": 24})
    assert rev.expect("error")["data"]["code"] == "forbidden"


def test_the_drive_returns_to_the_host_when_the_driver_leaves(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host, host_id = _join(relay, raw, s["host_token"], "Mia")
    rev, rev_id = _join(relay, raw, relay.invite(sid, "reviewer"), "Sam")
    host.send("lease_release", {"name": "playhead", "to": rev_id})
    host.expect("lease", holder=rev_id)
    rev.close()
    assert host.expect("lease", holder=host_id)


def test_a_viewer_can_never_drive_even_when_no_one_does(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    viewer, _ = _join(relay, raw, relay.invite(sid, "viewer"), "Producer")
    viewer.send("playhead", {"frame": 1001, "rate": 24})
    err = viewer.expect("error")["data"]
    assert err["code"] == "forbidden" and "viewer" in err["message"]


def test_a_driver_stepping_past_the_shot_is_held_at_its_last_frame_for_everyone(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host, _ = _join(relay, raw, s["host_token"], "Mia")
    rev, rev_id = _join(relay, raw, relay.invite(sid, "reviewer"), "Sam")
    host.send("playhead", {"frame": 1010, "rate": 24, "range": [1001, 1048]})
    assert rev.expect("playhead")["data"]["frame"] == 1010
    host.send("lease_release", {"name": "playhead", "to": rev_id})
    rev.expect("lease", holder=rev_id)

    # Sam's page sends no range and steps to 1060: everyone hears 1048, Sam too.
    rev.send("playhead", {"frame": 1060, "rate": 24})
    ph = host.expect("playhead")["data"]
    assert ph["frame"] == 1048 and ph["range"] == [1001, 1048]
    mine = rev.expect("playhead")
    assert mine["data"]["frame"] == 1048 and mine["from"] == rev_id
    # Before the first frame too, even with a range given the wrong way round.
    rev.send("playhead", {"frame": 900, "rate": 24, "range": [1048, 1001]})
    assert host.expect("playhead")["data"]["frame"] == 1001
    # Playing, it goes round the loop, as the page and the Python client do.
    rev.send("playhead", {"frame": 1050, "rate": 24, "playing": True})
    assert host.expect("playhead")["data"]["frame"] == 1002
    rev.send("playhead", {"frame": 900, "rate": 24})
    assert host.expect("playhead")["data"]["frame"] == 1001
    # A late joiner's snapshot says where the session really is.
    late, _ = _join(relay, raw, relay.invite(sid, "viewer"), "Ana")
    snap = next(m for m in late.seen if m["type"] == "snapshot")
    assert snap["data"]["playhead"]["frame"] == 1001
    # Inside the range nothing changes, and the sender hears nothing back.
    rev.send("playhead", {"frame": 1020, "rate": 24})
    assert host.expect("playhead")["data"]["frame"] == 1020
    rev.send("chat", {"id": "7e0b8a4c-3c1f-4f5e-9d7a-0c9e8f7a6b5d", "text": "here"})
    assert rev.expect("ack")  # no playhead came back before the chat's ack
    assert not [m for m in rev.seen if m["type"] == "playhead" and m["data"]["frame"] == 1020]

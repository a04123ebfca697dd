"""Seats: one link cannot fill a session, and a host always finds a seat."""

from __future__ import annotations

import pytest
import requests

from overshoulder.cli import main


def _invite(relay, sid: str, role: str = "viewer", **more) -> requests.Response:
    return requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": role, "expires": "1h", **more},
        headers={"Authorization": f"Bearer {relay.admin_key}"},
        timeout=5,
    )


def test_a_forwarded_link_seats_as_many_as_it_admits_and_no_more(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    link = _invite(relay, sid).json()["token"]
    for i in range(4):  # the relay's default seats per link
        raw().join(link, f"Viewer {i}")
    fifth = raw()
    fifth.send("hello", {"protocol": "1.0", "token": link, "name": "Fifth"})
    err = fifth.expect("error")["data"]
    assert err["code"] == "session_full" and "this link" in err["message"]
    # Another link, and the host, still get in.
    raw().join(_invite(relay, sid).json()["token"], "Someone else")
    assert raw().join(s["host_token"], "Mia")["type"] == "welcome"
    # An invite may name its own seats.
    two = _invite(relay, sid, seats=2).json()["token"]
    raw().join(two, "A")
    raw().join(two, "B")
    third = raw()
    third.send("hello", {"protocol": "1.0", "token": two, "name": "C"})
    assert third.expect("error")["data"]["code"] == "session_full"


def test_a_session_full_of_guests_still_has_a_seat_for_its_host(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    big = _invite(relay, sid, "reviewer", seats=63).json()["token"]
    for i in range(63):
        raw().join(big, f"Reviewer {i}")
    late = raw()
    late.send(
        "hello", {"protocol": "1.0", "token": _invite(relay, sid).json()["token"], "name": "Late"}
    )
    err = late.expect("error")["data"]
    assert err["code"] == "session_full" and "kept for the host" in err["message"]
    assert raw().join(s["host_token"], "Mia")["type"] == "welcome"


def test_seats_out_of_range_are_refused_by_name(relay, capsys):
    sid = relay.create_session()["session"]["id"]
    for seats in (0, 64, "3", 2.5, True):
        r = _invite(relay, sid, seats=seats)
        assert r.status_code == 400 and "seats must be" in r.json()["error"]["message"], seats
    args = ["--relay", relay.url, "--data-dir", str(relay.data_dir)]
    assert main(["invite", sid, "--role", "viewer", "--expires", "1h", "--seats", "10", *args]) == 0
    assert capsys.readouterr().out.startswith(relay.url)


def test_a_flood_of_lease_claims_or_chat_is_cut_and_nobody_else_notices(relay, raw):
    import uuid

    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    flooder, watcher = raw(), raw()
    flooder.join(_invite(relay, sid, "reviewer").json()["token"], "Flood")
    flooder.expect("snapshot")
    watcher.join(_invite(relay, sid, "reviewer").json()["token"], "Watch")
    watcher.expect("snapshot")
    for _ in range(500):
        flooder.send("lease_claim", {"name": "playhead"})
    assert flooder.expect("error", code="rate_limited")["data"]["message"]
    chats = [str(uuid.uuid4()) for _ in range(60)]
    for cid in chats:
        flooder.send("chat", {"id": cid, "text": "spam"}, eid=str(uuid.uuid4()))
    host.send("chat", {"id": str(uuid.uuid4()), "text": "still here"}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] >= 1
    # The watcher saw far fewer lease requests than were sent, and the host's line.
    seen: list[dict] = []
    while True:
        msg = watcher.recv(5)
        seen.append(msg)
        if msg["type"] == "chat" and msg["data"]["text"] == "still here":
            break
    claims = [m for m in seen if m["type"] == "lease" and m["data"].get("requested_by")]
    assert len(claims) <= 40, len(claims)
    # Most of the 60 lines were refused by name, not kept.
    assert flooder.expect("error", code="rate_limited")["data"]["message"].startswith("more than")
    spam = [e for e in relay.events(sid) if e["type"] == "chat" and e["data"]["text"] == "spam"]
    assert 0 < len(spam) < 40, len(spam)


def test_one_reviewer_cannot_fill_the_relay_with_notes(relay, raw):
    import uuid

    from overshoulder.core.limits import DEFAULT_LIMITS
    from overshoulder.core.model import new_id

    s = relay.create_session()
    sid = s["session"]["id"]
    reviewer = raw()
    reviewer.join(_invite(relay, sid, "reviewer").json()["token"], "Heavy")
    reviewer.expect("snapshot")

    def note(points: int) -> dict:
        return {
            "id": new_id(),
            "shape": {"kind": "stroke", "points": [[0.1235, -0.1235, 0.5]] * points},
            "anchor": {"frame": 1001},
        }

    reviewer.send("annotation_add", {"annotation": note(7000)}, eid=str(uuid.uuid4()))
    err = reviewer.expect("error")["data"]
    assert err["code"] == "too_large" and "bytes stored" in err["message"]
    # Notes of ~100 KB: the per-minute budget runs out long before 1,000 of them.
    answers = []
    for _ in range(DEFAULT_LIMITS.note_bytes_per_minute // 100_000 + 10):
        reviewer.send("annotation_add", {"annotation": note(4500)}, eid=str(uuid.uuid4()))
        msg = reviewer.recv(5)
        while msg["type"] not in ("ack", "error"):
            msg = reviewer.recv(5)
        answers.append(msg)
    acked = [m for m in answers if m["type"] == "ack"]
    refused = [m["data"] for m in answers if m["type"] == "error"]
    assert acked and refused and all(e["code"] == "rate_limited" for e in refused)
    assert len(acked) * 90_000 <= DEFAULT_LIMITS.note_bytes_per_minute  # each ~95 KB stored
    # The host is not slowed by it.
    host = raw()
    host.join(s["host_token"], "Mia")
    host.send("annotation_add", {"annotation": note(10)}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] == len(acked) + 1


def test_a_media_socket_lives_only_while_its_control_socket_does(relay, raw):
    import base64
    import json as json_mod

    s = relay.create_session()
    sid = s["session"]["id"]
    invite = _invite(relay, sid, expires="10m").json()["token"]
    viewer = raw()
    welcome = viewer.join(invite, "Pat")["data"]
    ticket = welcome["media_ticket"]

    def exp(token: str) -> int:
        body = token.split(".")[1]
        return int(json_mod.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["exp"])

    assert exp(ticket) <= exp(invite)  # never outlives the invite (it was 7 days)
    media = raw(relay.media_url)
    media.send("media_hello", {"ticket": ticket})
    assert media.expect("media_welcome")
    viewer.close()
    with pytest.raises(ConnectionError, match="left the session"):
        media.recv(5)
    # The same ticket opens nothing once its participant has left.
    again = raw(relay.media_url)
    again.send("media_hello", {"ticket": ticket})
    err = again.expect("error")["data"]
    assert err["code"] == "not_ready" and "join the session first" in err["message"]


def test_one_address_cannot_create_sessions_without_end(relay):
    from overshoulder.core.limits import DEFAULT_LIMITS

    made = refused = 0
    for i in range(DEFAULT_LIMITS.rate_burst + 15):
        r = requests.post(relay.url + "/api/sessions", json={"name": f"s{i}"}, timeout=5)
        if r.status_code == 201:
            made += 1
        else:
            assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
            assert "new sessions a minute" in r.json()["error"]["message"]
            refused += 1
    assert refused >= 10 and made <= DEFAULT_LIMITS.rate_burst + 5
    # The studio's tools, with the admin key, are not limited; the relay goes on serving.
    admin = {"Authorization": f"Bearer {relay.admin_key}"}
    r = requests.post(relay.url + "/api/sessions", json={"name": "tool"}, headers=admin, timeout=5)
    assert r.status_code == 201
    assert requests.get(relay.url + "/api/health", timeout=5).json()["status"] == "ok"


def test_a_relay_holds_at_most_its_documented_number_of_open_sessions(relay):
    from overshoulder.core.limits import DEFAULT_LIMITS

    admin = {"Authorization": f"Bearer {relay.admin_key}"}
    with requests.Session() as http:
        open_now = len(http.get(relay.url + "/api/sessions", timeout=5).json()["sessions"])
        for i in range(DEFAULT_LIMITS.max_open_sessions - open_now):
            r = http.post(
                relay.url + "/api/sessions", json={"name": f"s{i}"}, headers=admin, timeout=5
            )
            assert r.status_code == 201, r.text
        r = http.post(
            relay.url + "/api/sessions", json={"name": "one more"}, headers=admin, timeout=5
        )
    assert r.status_code == 503 and r.json()["error"]["code"] == "session_full"
    assert str(DEFAULT_LIMITS.max_open_sessions) in r.json()["error"]["message"]


def test_a_participant_that_keeps_flooding_is_disconnected_and_may_come_back(relay, raw):
    import uuid

    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    link = _invite(relay, sid, "reviewer").json()["token"]
    flooder = raw()
    flooder.join(link, "Flood", client_id=str(uuid.uuid4()))
    flooder.expect("snapshot")
    closed = None
    try:
        for _ in range(5000):
            flooder.send("lease_claim", {"name": "playhead"})
        while True:
            flooder.recv(5)
    except (ConnectionError, OSError) as exc:
        closed = str(exc)
    # Closed mid-flood (1008, or the pipe broke under the sender), and the relay says why.
    assert closed is not None and ("03f0" in closed or "Broken pipe" in closed or "reset" in closed)
    assert "flooding past its rate limits" in relay.log_text()
    host.send("chat", {"id": str(uuid.uuid4()), "text": "fine"}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] >= 1
    assert raw().join(link, "Flood again")["type"] == "welcome"

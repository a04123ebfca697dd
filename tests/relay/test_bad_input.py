"""Bad input gets an error naming the problem; the relay, the others and the log carry on."""

from __future__ import annotations

import json
import socket
import time
import uuid

import requests
import websocket

from overshoulder.core.model import new_id
from overshoulder.core.protocol.packet import FrameHeader, pack
from overshoulder.relay import config
from overshoulder.relay.tokens import TokenSigner

#: What every JSON body is sent with (the relay reads no other content type).
JSON = {"Content-Type": "application/json"}


def _ann(frame: int = 1001) -> dict:
    return {
        "id": new_id(),
        "shape": {"kind": "rect", "min": [-0.1, -0.1], "max": [0.1, 0.1]},
        "anchor": {"frame": frame},
    }


def _session_with_host(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    return s, host


def test_malformed_messages_get_named_errors_and_the_connection_goes_on(relay, raw):
    _, host = _session_with_host(relay, raw)
    cases = [
        ("{not json", "bad_json", None),
        ("[1, 2]", "bad_message", None),
        (json.dumps({"v": 1, "type": "teleport", "data": {}}), "unknown_type", "type"),
        (
            json.dumps({"v": 1, "type": "chat", "data": {"id": new_id(), "text": 42}}),
            "bad_message",
            "data.text",
        ),
        (
            json.dumps(
                {
                    "v": 1,
                    "type": "annotation_add",
                    "data": {"annotation": {**_ann(), "shape": {"kind": "line", "start": [0, 0]}}},
                }
            ),
            "bad_message",
            "data.annotation.shape.end",
        ),
        (
            json.dumps({"v": 1, "type": "playhead", "data": {"frame": "ten"}}),
            "bad_message",
            "data.frame",
        ),
        (
            json.dumps({"v": 1, "type": "pointer", "data": {"x": 1e9, "y": 0}}),
            "bad_message",
            "data.x",
        ),
        (
            json.dumps({"v": 1, "type": "chat", "data": {"id": new_id(), "text": "x" * 300_000}}),
            "too_large",
            None,
        ),
        (json.dumps({"v": 1, "type": "welcome", "data": {}}), "unknown_type", "type"),
    ]
    for text, code, field in cases:
        host.send_raw(text)
        err = host.expect("error")["data"]
        assert err["code"] == code, (text[:60], err)
        if field:
            assert err.get("field") == field, (text[:60], err)
        assert err["message"]
    # Still joined and working: a good event is stored.
    host.send("annotation_add", {"annotation": _ann()}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] == 1
    assert requests.get(relay.url + "/api/health", timeout=5).json()["status"] == "ok"


def test_unknown_major_version_is_refused_clearly(relay, raw):
    s = relay.create_session()
    c = raw()
    c.send("hello", {"protocol": "2.0", "token": s["host_token"], "name": "Future"})
    err = c.expect("error")["data"]
    assert err["code"] == "version_unsupported"
    assert "2.0" in err["message"] and "1." in err["message"]
    c2 = raw()
    c2.send_raw(json.dumps({"v": 7, "type": "hello", "data": {}}))
    assert c2.expect("error")["data"]["code"] == "version_unsupported"


def test_forged_expired_and_foreign_tokens_are_refused(relay, raw, tmp_path):
    s = relay.create_session()
    sid = s["session"]["id"]
    good = relay.invite(sid, "reviewer")
    head, body, sig = good.split(".")
    # Claim the host role by editing the payload: the signature no longer matches.
    import base64

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["r"] = "host"
    forged_body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    forged = f"{head}.{forged_body}.{sig}"
    signer = TokenSigner(config.token_secret(relay.data_dir))
    expired = signer.issue(sid, "reviewer", 60, now=time.time() - 3600)
    other_relay = TokenSigner(b"x" * 32).issue(sid, "host", 3600)
    for token, code, words in [
        (forged, "unauthorized", "altered"),
        (expired, "token_expired", "expired"),
        (other_relay, "unauthorized", "another relay"),
        ("not-a-token", "unauthorized", "malformed"),
    ]:
        c = raw()
        c.send("hello", {"protocol": "1.0", "token": token, "name": "Mallory"})
        err = c.expect("error")["data"]
        assert err["code"] == code and words in err["message"], err
    # The HTTP API says the same.
    r = requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": "host"},
        headers={"Authorization": f"Bearer {good}"},
        timeout=5,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = requests.get(
        f"{relay.url}/api/sessions/{sid}/events",
        headers={"Authorization": f"Bearer {expired}"},
        timeout=5,
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"


def test_roles_are_enforced_by_the_relay(relay, raw):
    s, _ = _session_with_host(relay, raw)
    sid = s["session"]["id"]
    viewer = raw()
    vw = viewer.join(relay.invite(sid, "viewer"), "Producer")
    viewer.expect("snapshot")
    viewer.send("annotation_add", {"annotation": _ann()})
    err = viewer.expect("error")["data"]
    assert err["code"] == "forbidden" and "viewer" in err["message"]
    viewer.send("lease_claim", {"name": "playhead"})
    assert viewer.expect("error")["data"]["code"] == "forbidden"
    # A viewer may chat.
    viewer.send("chat", {"id": new_id(), "text": "looks great"})
    assert viewer.expect("ack")["data"]["seq"] == 1

    # A reviewer may not publish frames.
    rev = raw()
    rw = rev.join(relay.invite(sid, "reviewer"), "Sam")
    media = websocket.create_connection(relay.media_url, timeout=5)
    media.send(
        json.dumps({"v": 1, "type": "media_hello", "data": {"ticket": rw["data"]["media_ticket"]}})
    )
    assert json.loads(media.recv())["type"] == "media_welcome"
    header = FrameHeader(1, 1001, 64, 32, "jpeg", b"\1" * 16, 0)
    media.send_binary(pack(header, b"\xff\xd8fakejpeg"))
    err = json.loads(media.recv())
    assert err["type"] == "error" and err["data"]["code"] == "forbidden"
    media.close()
    # A viewer's media ticket is not a join token, and a join token is not a media ticket.
    c = raw()
    c.send("hello", {"protocol": "1.0", "token": vw["data"]["media_ticket"], "name": "x"})
    assert c.expect("error")["data"]["code"] == "unauthorized"
    # Nothing the refused messages tried is in the log; the chat line is.
    assert [e["type"] for e in relay.events(sid)] == ["chat"]


def test_bad_frames_get_errors_and_the_host_keeps_publishing(relay, raw):
    _, host = _session_with_host(relay, raw)
    hw = host.seen[0]  # welcome
    media = websocket.create_connection(relay.media_url, timeout=5)
    media.send(
        json.dumps({"v": 1, "type": "media_hello", "data": {"ticket": hw["data"]["media_ticket"]}})
    )
    assert json.loads(media.recv())["type"] == "media_welcome"
    good = pack(FrameHeader(1, 1001, 64, 32, "jpeg", b"\2" * 16, 0), b"\xff\xd8jpeg")
    bad = [
        (b"short", "bad_message", "shorter"),
        (b"XX" + good[2:], "bad_message", "magic"),
        (good[:20] + bytes([9]) + good[21:], "bad_message", "codec"),
        (
            pack(FrameHeader(1, 1, 64, 32, "jpeg", b"\3" * 16, 0), b"\0" * (9 * 1024 * 1024)),
            "too_large",
            "bytes",
        ),
    ]
    for packet, code, words in bad:
        media.send_binary(packet)
        err = json.loads(media.recv())
        assert err["data"]["code"] == code and words in err["data"]["message"], err
    media.send_binary(good)
    media.close()
    assert requests.get(relay.url + "/api/health", timeout=5).ok


def test_clients_that_vanish_mid_message_leave_no_traceback(relay, raw):
    s, host = _session_with_host(relay, raw)
    sid = s["session"]["id"]
    for _ in range(20):
        c = raw()
        c.join(relay.invite(sid, "reviewer"), "Flaky")
        c.send("annotation_add", {"annotation": _ann()}, eid=str(uuid.uuid4()))
        # Drop the TCP connection without a WebSocket close.
        c.ws.sock.shutdown(socket.SHUT_RDWR)
        c.ws.sock.close()
    # Half a frame header then gone.
    s2 = socket.create_connection(("127.0.0.1", relay.port))
    s2.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
    s2.close()
    host.send("chat", {"id": new_id(), "text": "still here"})
    host.expect("ack")
    time.sleep(0.5)
    assert relay.alive()
    log = relay.log_text()
    assert "Traceback" not in log, log[-3000:]


def test_a_refused_body_still_names_the_ref_and_type_it_came_with(relay, raw):
    _, host = _session_with_host(relay, raw)
    host.send("chat", {"id": new_id(), "text": 42}, ref="outbox-7")
    err = host.expect("error")
    assert err["data"]["ref"] == "outbox-7" and err["data"]["type"] == "chat"
    assert err["data"]["field"] == "data.text"


def test_a_lone_surrogate_is_refused_where_it_enters_and_the_log_keeps_storing(relay, raw):
    """``"x\\ud800y"`` is valid JSON but no UTF-8 encoder can write it: once it killed the
    event-log writer (every session stopped being stored) and the other readers' senders."""
    s, host = _session_with_host(relay, raw)
    viewer = raw()
    viewer.join(relay.invite(s["session"]["id"], "viewer"), "Pat")
    viewer.expect("snapshot")
    # json.dumps writes the lone surrogate as the escape a hostile client would send.
    bad_chat = json.dumps({"v": 1, "type": "chat", "data": {"id": new_id(), "text": "x\ud800y"}})
    assert "\\ud800" in bad_chat
    viewer.send_raw(bad_chat)
    err = viewer.expect("error")["data"]
    assert (err["code"], err["field"]) == ("bad_message", "data.text"), err
    assert "cannot be encoded" in err["message"]
    draft = '{"v": 1, "type": "draft", "data": {"id": "d\\udfff", "shape": null}}'
    host.send_raw(draft)
    assert host.expect("error")["data"]["field"] == "data.id"
    late = raw()
    hello = {"protocol": "1.0", "token": s["host_token"], "name": "\ud800"}
    late.send_raw(json.dumps({"v": 1, "type": "hello", "data": hello}))
    assert late.expect("error")["data"]["code"] == "bad_message"
    r = requests.post(
        relay.url + "/api/sessions", data='{"name": "a\\ud800"}', headers=JSON, timeout=5
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_message"
    assert "name" in r.json()["error"]["message"]
    # A valid pair (an emoji) is fine, and everything after is stored and reaches everyone.
    host.send("chat", {"id": new_id(), "text": "ok \U0001f600"}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] == 1
    assert viewer.expect("chat")["data"]["text"] == "ok \U0001f600"
    host.send("annotation_add", {"annotation": _ann()}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] == 2
    assert viewer.expect("annotation_add")
    assert [e["type"] for e in relay.events(s["session"]["id"])][-2:] == ["chat", "annotation_add"]
    assert requests.get(relay.url + "/api/health", timeout=5).json()["status"] == "ok"


def test_numbers_out_of_range_and_deep_nesting_get_named_errors_not_internal(relay, raw):
    s, host = _session_with_host(relay, raw)
    huge = int("9" * 400)
    rect = {"kind": "rect", "min": [-0.1, -0.1], "max": [0.1, 0.1]}
    cases = [
        ({"type": "pointer", "data": {"x": huge, "y": 0}}, "data.x"),
        (
            {
                "type": "annotation_add",
                "data": {"annotation": {**_ann(), "anchor": {"frame": huge}}},
            },
            "data.annotation.anchor.frame",
        ),
        (
            {
                "type": "annotation_add",
                "data": {"annotation": {**_ann(), "anchor": {"frame": -1e308}}},
            },
            "data.annotation.anchor.frame",
        ),
        (
            {
                "type": "annotation_add",
                "data": {
                    "annotation": {**_ann(), "shape": {"kind": "stroke", "points": [[0, 0, 7.5]]}}
                },
            },
            "data.annotation.shape.points[0]",
        ),
        (
            {
                "type": "annotation_add",
                "data": {
                    "annotation": {**_ann(), "shape": {"kind": "stroke", "points": [[huge, 0]]}}
                },
            },
            "data.annotation.shape.points[0][0]",
        ),
        ({"type": "playhead", "data": {"frame": 1, "range": [0, huge]}}, "data.range[1]"),
        ({"type": "chat", "ts": huge, "data": {"id": new_id(), "text": "hi"}}, "ts"),
        (
            {
                "type": "annotation_add",
                "data": {
                    "annotation": {
                        **_ann(),
                        "shape": rect,
                        "anchor": {"frame": 1, "time": {"value": huge, "rate": 24}},
                    }
                },
            },
            "data.annotation.anchor.time.value",
        ),
    ]
    for body, field in cases:
        host.send_raw(json.dumps({"v": 1, **body}))
        err = host.expect("error")["data"]
        assert err["code"] == "bad_message" and err["field"] == field, (field, err)
        assert len(err["message"]) < 200, err["message"]  # a 400-digit number is not echoed
    for v in (True, 1.0):
        host.send_raw(json.dumps({"v": v, "type": "chat", "data": {"id": new_id(), "text": "x"}}))
        assert host.expect("error")["data"]["code"] == "version_unsupported"
    host.send_raw('{"v": 1, "type": "chat", "data": ' + "[" * 3000 + "]" * 3000 + "}")
    assert "nests deeper" in host.expect("error")["data"]["message"]
    # A deeply nested hello gets an error too instead of a silent close.
    late = raw()
    late.send_raw('{"v": 1, "type": "hello", "data": ' + "{" + '"a":{' * 2000 + "}" * 2001 + "}")
    assert late.expect("error")["data"]["code"] == "bad_message"
    # A protocol version in other digits than ASCII is not "1.0".
    arabic = raw()
    arabic.send("hello", {"protocol": "\u0661.\u0660", "token": s["host_token"], "name": "A"})
    assert arabic.expect("error")["data"]["code"] == "version_unsupported"
    # Over HTTP: a 400-digit expiry and deep nesting get a JSON 400, not a plain-text 500.
    auth = {"Authorization": f"Bearer {relay.admin_key}", **JSON}
    url = f"{relay.url}/api/sessions/{s['session']['id']}/invites"
    for body in (
        '{"role": "viewer", "expires": ' + "9" * 400 + "}",
        '{"role": "viewer", "expires": "' + "9" * 400 + 'h"}',
        '{"role": "viewer", "x": ' + "[" * 3000 + "]" * 3000 + "}",
    ):
        r = requests.post(url, data=body, headers=auth, timeout=5)
        assert r.status_code == 400, (body[:40], r.status_code, r.text[:200])
        assert r.json()["error"]["code"] == "bad_message", r.text[:200]
    # Nothing of that was stored, and the relay and the session go on.
    host.send("annotation_add", {"annotation": _ann()}, eid=str(uuid.uuid4()))
    assert host.expect("ack")["data"]["seq"] == 1
    assert requests.get(relay.url + "/api/health", timeout=5).json()["status"] == "ok"
    assert "Traceback" not in relay.log_text()

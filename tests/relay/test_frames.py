"""Frames: latest to late joiners, newest wins per subscriber, references for held frames."""

from __future__ import annotations

import hashlib
import json
import threading
import time

import requests
import websocket

from overshoulder.core.model import new_id
from overshoulder.core.protocol.packet import KIND_FRAME, KIND_REF, FrameHeader, pack, unpack


def _media(relay, welcome, cache=0):
    m = websocket.create_connection(relay.media_url, timeout=10)
    m.send(
        json.dumps(
            {
                "v": 1,
                "type": "media_hello",
                "data": {"ticket": welcome["data"]["media_ticket"], "cache": cache},
            }
        )
    )
    assert json.loads(m.recv())["type"] == "media_welcome"
    return m


def _frame(i: int, size: int = 1000, frame: int | None = None) -> tuple[FrameHeader, bytes]:
    payload = hashlib.sha256(str(i).encode()).digest() * (size // 32)
    h = FrameHeader(
        i,
        1000 + i if frame is None else frame,
        1920,
        1080,
        "jpeg",
        hashlib.blake2b(payload, digest_size=16).digest(),
        int(time.time() * 1e6),
    )
    return h, payload


def _recv_packet(m, timeout=10):
    m.settimeout(timeout)
    while True:
        op, data = m.recv_data()
        if op == websocket.ABNF.OPCODE_BINARY:
            return unpack(data)


def test_a_late_subscriber_gets_the_latest_frame_and_cached_frames_come_as_references(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    hw = host.join(s["host_token"], "Mia")
    hm = _media(relay, hw)
    h1, p1 = _frame(1)
    hm.send_binary(pack(h1, p1))
    time.sleep(0.2)

    rev = raw()
    rw = rev.join(relay.invite(sid, "reviewer"), "Sam")
    snap = rev.expect("snapshot")["data"]
    assert snap["latest_frame"]["hash"] == h1.hash.hex()
    rm = _media(relay, rw, cache=8)
    header, payload = _recv_packet(rm)
    assert header.kind == KIND_FRAME and header.hash == h1.hash and bytes(payload) == p1

    h2, p2 = _frame(2)
    hm.send_binary(pack(h2, p2))
    header, payload = _recv_packet(rm)
    assert header.hash == h2.hash and bytes(payload) == p2
    # Looping back to frame 1: the reviewer holds it, so only a reference travels.
    hm.send_binary(pack(h1, p1))
    header, payload = _recv_packet(rm)
    assert header.kind == KIND_REF and header.hash == h1.hash and len(payload) == 0


def test_annotated_frames_are_kept_and_served_by_hash(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    hw = host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    hm = _media(relay, hw)
    h, p = _frame(7, frame=1042)
    hm.send_binary(pack(h, p))
    time.sleep(0.2)
    ann = {
        "id": new_id(),
        "shape": {"kind": "ellipse", "min": [0, 0], "max": [0.2, 0.1]},
        "anchor": {"frame": 1042},
    }
    host.send("annotation_add", {"annotation": ann})
    host.expect("ack")
    events = relay.events(sid)
    assert events[0]["data"]["annotation"]["anchor"]["image"]["hash"] == h.hash.hex()
    auth = {"Authorization": f"Bearer {relay.admin_key}"}
    deadline = time.monotonic() + 10
    while (
        not list((relay.data_dir / "frames").rglob(h.hash.hex() + ".*"))
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    # Restart: the frame now comes from disk, byte for byte.
    relay.stop()
    relay.start()
    r = requests.get(
        f"{relay.url}/api/sessions/{sid}/frames/{h.hash.hex()}", headers=auth, timeout=5
    )
    assert r.status_code == 200 and r.content == p and r.headers["Content-Type"] == "image/jpeg"
    r = requests.get(f"{relay.url}/api/sessions/{sid}/frames/{'0' * 32}", headers=auth, timeout=5)
    assert r.status_code == 404
    # The download is in the audit trail, with who and which frame; the miss is not.
    r = requests.get(f"{relay.url}/api/sessions/{sid}/audit", headers=auth, timeout=5)
    downloads = [e for e in r.json()["audit"] if e["action"] == "download"]
    assert [(e["who"], e["detail"]) for e in downloads] == [
        ("the admin key", f"frame {h.hash.hex()}")
    ]


def test_subscriber_size_requests_reach_the_host_as_the_largest_asked(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    a, b = raw(), raw()
    a.join(relay.invite(sid, "reviewer"), "A")
    b.join(relay.invite(sid, "viewer"), "B")
    a.send("frame_request", {"max_width": 1280, "max_height": 720})
    assert host.expect("frame_size", max_width=1280)["data"]["max_height"] == 720
    b.send("frame_request", {"max_width": 1920, "max_height": 1080})
    assert host.expect("frame_size", max_width=1920)
    b.close()
    assert host.expect("frame_size", max_width=1280)


def test_a_reviewer_that_stops_reading_does_not_delay_frames_to_others(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    hw = host.join(s["host_token"], "Mia")
    hm = _media(relay, hw)
    stuck = raw()
    sw = stuck.join(relay.invite(sid, "reviewer"), "Stuck")
    stuck_media = _media(relay, sw)  # never read from again
    stuck_media.sock.setsockopt(
        __import__("socket").SOL_SOCKET, __import__("socket").SO_RCVBUF, 4096
    )
    good = raw()
    gw = good.join(relay.invite(sid, "reviewer"), "Good")
    gm = _media(relay, gw)
    received: list[int] = []

    def reader():
        gm.settimeout(10)
        while True:
            try:
                op, data = gm.recv_data()
            except Exception:
                return
            if op == websocket.ABNF.OPCODE_BINARY:
                h, _ = unpack(data)
                received.append(h.frame_id)
                if h.frame_id == 120:
                    return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    for i in range(1, 121):
        h, p = _frame(i, size=400_000)
        hm.send_binary(pack(h, p))  # would block here if the relay stalled on "Stuck"
        time.sleep(1 / 60)
    t.join(timeout=30)
    # The stuck reviewer held back 400 KB frames it never read; the good one got
    # (nearly) every frame and the newest one, and the host was never held up.
    assert received and received[-1] == 120
    assert len(received) >= 100, len(received)
    assert received == sorted(received)


def test_a_refinement_of_a_held_image_is_sent_in_full_and_then_referenced(relay, raw):
    from overshoulder.core.protocol.packet import FLAG_REFINEMENT

    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    hw = host.join(s["host_token"], "Mia")
    hm = _media(relay, hw)
    rev = raw()
    rw = rev.join(relay.invite(sid, "reviewer"), "Sam")
    rm = _media(relay, rw, cache=8)
    fast_h, fast_p = _frame(1)
    hm.send_binary(pack(fast_h, fast_p))
    assert _recv_packet(rm)[0].kind == KIND_FRAME
    # The same image, sharper: same hash, refinement flag, new bytes.
    refined_h = FrameHeader(
        2, fast_h.frame, 1920, 1080, "jpeg", fast_h.hash, 0, flags=FLAG_REFINEMENT
    )
    refined_p = b"\xff\xd8" + b"sharper" * 500
    hm.send_binary(pack(refined_h, refined_p))
    header, payload = _recv_packet(rm)
    assert (
        header.kind == KIND_FRAME and header.flags & FLAG_REFINEMENT and bytes(payload) == refined_p
    )
    # Later the fast variant comes round again (looping): the reviewer holds better; a reference.
    hm.send_binary(pack(fast_h, fast_p))
    header, payload = _recv_packet(rm)
    assert header.kind == KIND_REF and header.hash == fast_h.hash


def test_a_lossless_still_request_reaches_the_hosts(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    rev = raw()
    rid = rev.join(relay.invite(sid, "viewer"), "Colourist")["data"]["participant"]["id"]
    rev.send("frame_request", {"lossless": True})
    assert host.expect("still_request")["data"] == {"id": rid}

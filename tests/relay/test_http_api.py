"""The JSON API: sessions, invites, export, kept frames; refusals name what was wrong."""

from __future__ import annotations

import time

import requests

from tests.conftest import RelayProcess


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_sessions_are_listed_and_invites_made_by_admin_key_or_host_token(relay):
    a = relay.create_session("Shot 010", "Mia")
    listed = requests.get(relay.url + "/api/sessions", timeout=5).json()["sessions"]
    assert [(s["id"], s["name"], s["host_name"]) for s in listed] == [
        (a["session"]["id"], "Shot 010", "Mia")
    ]
    assert a["host_link"].endswith(f"/s/{a['session']['id']}#t={a['host_token']}")
    sid = a["session"]["id"]
    r = requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": "viewer", "expires": "2d"},
        headers=_bearer(a["host_token"]),
        timeout=5,
    )
    assert r.status_code == 201
    body = r.json()
    assert body["role"] == "viewer" and "#t=" in body["link"]
    # A host's invite never outlives the host's own token (7 days by default).
    r = requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": "host", "expires": "30d"},
        headers=_bearer(a["host_token"]),
        timeout=5,
    )
    assert r.json()["expires_at"] <= time.time() + 7 * 86400 + 5


def test_bad_api_input_gets_400_with_a_sentence(relay):
    sid = relay.create_session()["session"]["id"]
    admin = _bearer(relay.admin_key)
    cases = [
        ("post", f"/api/sessions/{sid}/invites", {"role": "god"}, "role must be one of"),
        ("post", f"/api/sessions/{sid}/invites", {"expires": "forever"}, "forever"),
        ("post", f"/api/sessions/{sid}/invites", {"expires": True}, "duration"),
        ("post", f"/api/sessions/{sid}/invites", {"expires": "90d"}, "30 days"),
        ("post", "/api/sessions", {"name": "x" * 500}, "at most"),
    ]
    for method, path, body, words in cases:
        r = getattr(requests, method)(relay.url + path, json=body, headers=admin, timeout=5)
        assert r.status_code == 400, (path, body, r.text)
        assert words in r.json()["error"]["message"], r.json()
    r = requests.post(
        relay.url + "/api/sessions",
        data="{nope",
        headers={**admin, "Content-Type": "application/json"},
        timeout=5,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_json"
    r = requests.get(f"{relay.url}/api/sessions/{sid}/events?limit=0", headers=admin, timeout=5)
    assert r.status_code == 400 and ">= 1" in r.json()["error"]["message"]
    r = requests.get(f"{relay.url}/api/sessions/{sid}/events", timeout=5)
    assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
    r = requests.get(f"{relay.url}/api/sessions/nope/events", headers=admin, timeout=5)
    assert r.status_code == 404


def test_kept_frames_of_one_session_are_not_reachable_with_another_sessions_token(relay, raw):
    import hashlib
    import json

    import websocket

    from overshoulder.core.model import new_id
    from overshoulder.core.protocol.packet import FrameHeader, pack

    a, b = relay.create_session("A"), relay.create_session("B")
    host = raw()
    w = host.join(a["host_token"], "Mia")
    host.expect("snapshot")
    media = websocket.create_connection(relay.media_url, timeout=5)
    media.send(
        json.dumps({"v": 1, "type": "media_hello", "data": {"ticket": w["data"]["media_ticket"]}})
    )
    media.recv()
    payload = b"\xff\xd8" + b"secret pixels" * 100
    digest = hashlib.blake2b(payload, digest_size=16).digest()
    media.send_binary(pack(FrameHeader(1, 5, 64, 64, "jpeg", digest, 0), payload))
    time.sleep(0.2)
    ann = {
        "id": new_id(),
        "shape": {"kind": "rect", "min": [0, 0], "max": [0.1, 0.1]},
        "anchor": {"frame": 5},
    }
    host.send("annotation_add", {"annotation": ann})
    host.expect("ack")
    own = requests.get(
        f"{relay.url}/api/sessions/{a['session']['id']}/frames/{digest.hex()}",
        headers=_bearer(a["host_token"]),
        timeout=5,
    )
    assert own.status_code == 200 and own.content == payload
    for sid, token in (
        (b["session"]["id"], b["host_token"]),
        (b["session"]["id"], relay.admin_key),
    ):
        r = requests.get(
            f"{relay.url}/api/sessions/{sid}/frames/{digest.hex()}",
            headers=_bearer(token),
            timeout=5,
        )
        assert r.status_code == 404
    r = requests.get(
        f"{relay.url}/api/sessions/{a['session']['id']}/frames/{digest.hex()}",
        headers=_bearer(b["host_token"]),
        timeout=5,
    )
    assert r.status_code == 403


def test_a_locked_relay_lists_and_creates_sessions_for_its_admin_key_only(tmp_path):
    relay = RelayProcess(tmp_path / "locked", extra_args=["--lock"]).start()
    try:
        r = requests.post(relay.url + "/api/sessions", json={"name": "x"}, timeout=5)
        assert r.status_code == 401
        r = requests.post(
            relay.url + "/api/sessions",
            json={"name": "x"},
            headers=_bearer(relay.admin_key),
            timeout=5,
        )
        assert r.status_code == 201
        host_token = r.json()["host_token"]
        r = requests.get(relay.url + "/api/sessions", headers=_bearer(host_token), timeout=5)
        assert r.status_code == 403 and "locked" in r.json()["error"]["message"]
        assert (
            len(
                requests.get(
                    relay.url + "/api/sessions", headers=_bearer(relay.admin_key), timeout=5
                ).json()["sessions"]
            )
            == 1
        )
    finally:
        relay.stop()


def test_session_ids_can_be_typed_as_command_line_arguments() -> None:
    from overshoulder.relay.api import new_session_id

    ids = {new_session_id() for _ in range(3000)}
    assert len(ids) == 3000
    # About 1 in 32 random ids would start with "-" or "_" (argparse reads "-x" as an option).
    assert all(len(i) == 12 and i[0] not in "-_" for i in ids)

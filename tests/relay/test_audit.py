"""The audit trail: who joined, left, invited and exported, for the host and the admin."""

from __future__ import annotations

import requests

from tests.waiting import wait_for


def test_joins_leaves_invites_and_exports_are_kept_for_the_host_and_no_one_else(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host_auth = {"Authorization": f"Bearer {s['host_token']}"}
    r = requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": "viewer", "expires": "1h", "name": "Pat", "seats": 2},
        headers=host_auth,
        timeout=5,
    )
    viewer_token = r.json()["token"]
    host = raw()
    host.join(s["host_token"], "Mia")
    viewer = raw()
    viewer.join(viewer_token, "Pat")
    viewer.close()
    assert wait_for(lambda: any(e["action"] == "leave" for e in _audit(relay, sid, host_auth)))
    relay.events(sid)  # an export, with the admin key
    entries = _audit(relay, sid, host_auth)
    actions = [(e["action"], e["role"]) for e in entries]
    assert actions[:4] == [
        ("invite", "host"),
        ("join", "host"),
        ("join", "viewer"),
        ("leave", "viewer"),
    ]
    assert ("export", None) in actions
    invite = entries[0]
    assert "a viewer link for Pat, 2 seats" in invite["detail"] and "host link" in invite["who"]
    assert entries[2]["who"].startswith("Pat (") and "client test" in entries[2]["detail"]
    assert [e["who"] for e in entries if e["action"] == "export"] == ["the admin key"]
    # A viewer's link may not read who was there.
    r = requests.get(
        f"{relay.url}/api/sessions/{sid}/audit",
        headers={"Authorization": f"Bearer {viewer_token}"},
        timeout=5,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_a_hosts_watermark_change_is_in_the_audit_with_who_made_it(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("synced")
    host.send("session", {"watermark": "everyone"}, eid="8d0f3c52-4a55-4b3f-9a55-2f0f1c0b7a11")
    host.expect("ack")
    entries = _audit(relay, sid, {"Authorization": f"Bearer {s['host_token']}"})
    settings = [e for e in entries if e["action"] == "settings"]
    assert len(settings) == 1 and settings[0]["detail"] == "watermark everyone"
    assert settings[0]["who"].startswith("Mia (") and settings[0]["role"] == "host"


def _audit(relay, sid, auth):
    r = requests.get(f"{relay.url}/api/sessions/{sid}/audit", headers=auth, timeout=5)
    r.raise_for_status()
    return r.json()["audit"]

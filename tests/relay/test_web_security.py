"""What the relay tells browsers about its pages, and which pages may use its sockets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket

from overshoulder.relay.http import PAGE_POLICY, page_policy
from tests.conftest import RelayProcess

WEB = Path(__file__).resolve().parents[2] / "relay" / "web"


def _join(url: str, token: str, origin: Any = None) -> dict[str, Any]:
    options: dict[str, Any] = {"timeout": 5}
    if origin is None:
        options["suppress_origin"] = True
    elif origin != "default":
        options["origin"] = origin
    ws = websocket.create_connection(url, **options)
    try:
        ws.send(
            json.dumps(
                {"v": 1, "type": "hello", "data": {"protocol": "1.0", "token": token, "name": "A"}}
            )
        )
        return json.loads(ws.recv())
    finally:
        ws.close()


def test_every_page_file_and_answer_says_what_it_may_load_and_that_no_site_may_frame_it(relay):
    session = relay.create_session()
    paths = [
        "/",
        f"/s/{session['session']['id']}",
        "/web/js/main.js",
        "/web/css/reviewer.css",
        "/api/health",
        "/api/nosuch",
    ]
    for path in paths:
        r = requests.get(relay.url + path, timeout=5)
        assert r.headers["Content-Security-Policy"] == page_policy(), path
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["Referrer-Policy"] == "no-referrer", path
    # The page's own <meta> policy is the same one the header sends.
    meta = re.search(
        r'Content-Security-Policy"\s+content="([^"]+)"', (WEB / "index.html").read_text()
    )
    assert meta and meta.group(1) == PAGE_POLICY


def test_allow_embed_names_who_may_frame_the_page(tmp_path):
    proc = RelayProcess(
        tmp_path / "data", extra_args=["--allow-embed", "https://Tracker.Studio.example/"]
    )
    proc.start()
    try:
        policy = requests.get(proc.url + "/", timeout=5).headers["Content-Security-Policy"]
        assert policy.endswith("frame-ancestors https://tracker.studio.example")
    finally:
        proc.stop()


def test_a_page_of_another_site_cannot_open_a_socket_even_with_a_valid_token(relay):
    token = relay.create_session()["host_token"]
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        _join(relay.ws_url, token, origin="https://evil.example")
    assert refused.value.status_code == 403
    body = json.loads(refused.value.resp_body)
    assert body["error"]["code"] == "forbidden" and "evil.example" in body["error"]["message"]
    with pytest.raises(websocket.WebSocketBadStatusException):
        _join(relay.media_url, token, origin="https://evil.example")
    # A sandboxed page or a file says "null"; it is refused as a stranger, not an error.
    for origin in ("null", "not an origin"):
        with pytest.raises(websocket.WebSocketBadStatusException) as odd:
            _join(relay.ws_url, token, origin=origin)
        assert odd.value.status_code == 403
        assert json.loads(odd.value.resp_body)["error"]["code"] == "forbidden"
    # The relay's own pages, and clients that are not browsers (no Origin), are let in.
    assert _join(relay.ws_url, token, origin=relay.url)["type"] == "welcome"
    assert _join(relay.ws_url, token, origin="default")["type"] == "welcome"
    assert _join(relay.ws_url, token, origin=None)["type"] == "welcome"


def test_allow_origin_lets_a_named_site_in(tmp_path):
    proc = RelayProcess(
        tmp_path / "data", extra_args=["--allow-origin", "https://review.studio.example"]
    )
    proc.start()
    try:
        token = proc.create_session()["host_token"]
        assert (
            _join(proc.ws_url, token, origin="https://review.studio.example")["type"] == "welcome"
        )
        with pytest.raises(websocket.WebSocketBadStatusException):
            _join(proc.ws_url, token, origin="https://other.example")
    finally:
        proc.stop()


def test_a_cross_site_text_plain_post_cannot_create_a_session(relay):
    before = requests.get(relay.url + "/api/sessions", timeout=5).json()
    r = requests.post(
        relay.url + "/api/sessions",
        data='{"name": "from a form"}',
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert r.status_code == 415
    assert (
        r.json()["error"]["code"] == "bad_message"
        and "application/json" in r.json()["error"]["message"]
    )
    assert requests.get(relay.url + "/api/sessions", timeout=5).json() == before


def test_an_origin_option_that_is_no_origin_stops_the_relay_with_a_sentence(tmp_path):
    proc = RelayProcess(tmp_path / "data", extra_args=["--allow-origin", "review.studio.example"])
    with pytest.raises(RuntimeError, match="relay exited"):
        proc.start()
    assert "is not an origin such as https://" in proc.log_text()


def test_the_data_dir_the_log_and_kept_frames_are_the_relays_users_alone(tmp_path):
    import os
    import stat

    from overshoulder.relay.frames import FrameStore

    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)  # an older data dir, readable by everyone
    proc = RelayProcess(data).start()
    try:
        proc.create_session()
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in [data, *data.iterdir()]
            if p.name.startswith(("data", "events.sqlite3", "secret", "admin", "frames"))
        }
    finally:
        proc.stop()
    assert modes["data"] == 0o700, modes
    assert modes["events.sqlite3"] == 0o600 and modes["frames"] == 0o700, modes
    assert all(
        mode == 0o600 for name, mode in modes.items() if name.endswith((".key", "-wal", "-shm"))
    ), modes
    old_umask = os.umask(0o022)
    try:
        kept = FrameStore(tmp_path / "frames").keep("s1", "ab" * 16, "jpeg", b"\xff\xd8 a frame")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700

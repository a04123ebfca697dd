"""One JSON shape of a session: the list, session creation and a snapshot give the same keys
(``messages.session_json``), a session no room holds included, and the Python client reads it
back with ``decode(SessionInfo, ...)``, naming the field of a reply that does not fit."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from overshoulder.core import relay_api
from overshoulder.core.model import SessionInfo
from overshoulder.core.schema import decode
from tests.conftest import ROOT, RelayProcess
from tests.waiting import wait_for

KEYS = {f.name for f in dataclasses.fields(SessionInfo)}


def _listed(relay: RelayProcess) -> dict[str, dict[str, Any]]:
    r = requests.get(relay.url + "/api/sessions", timeout=5)
    r.raise_for_status()
    return {s["id"]: s for s in r.json()["sessions"]}


def _no_room_loaded(relay: RelayProcess) -> bool:
    return requests.get(relay.url + "/api/health", timeout=5).json()["sessions_live"] == 0


def _set_watermark(raw: Any, token: str, mode: str, eid: str) -> None:
    host = raw()
    host.join(token, "Mia")
    host.expect("synced")
    host.send("session", {"watermark": mode}, eid=eid)
    host.expect("ack")
    host.close()


def test_the_list_creation_and_a_snapshot_give_one_shape(relay: RelayProcess, raw: Any) -> None:
    made = relay.create_session("Shot 010", "Mia")
    session = made["session"]
    assert set(session) == KEYS
    assert decode(SessionInfo, session) == SessionInfo(
        session["id"], "Shot 010", session["created"], "Mia", watermark="viewers"
    )
    assert _listed(relay)[session["id"]] == session

    host = raw()
    welcome = host.join(made["host_token"], "Mia")
    snapshot = host.expect("snapshot")
    live = _listed(relay)[session["id"]]
    # The joiner's welcome and snapshot are made before it is counted in.
    assert snapshot["data"]["session"] == session
    assert decode(SessionInfo, welcome["data"]["session"]) == decode(SessionInfo, session)
    assert live == {**session, "participants": 1}

    # No host name: the key is there, null, in the list and in the answer to creation.
    r = requests.post(relay.url + "/api/sessions", json={}, timeout=5)
    nameless = r.json()["session"]
    assert set(nameless) == KEYS and nameless["host_name"] is None
    assert _listed(relay)[nameless["id"]] == nameless


def test_the_openapi_description_lists_every_key_as_required() -> None:
    doc = json.loads((ROOT / "relay" / "openapi.json").read_text(encoding="utf-8"))
    schema = doc["components"]["schemas"]["SessionInfo"]
    assert set(schema["required"]) == set(schema["properties"]) == KEYS


def test_a_session_no_room_holds_gives_its_watermark_from_the_log(
    relay: RelayProcess, raw: Any
) -> None:
    made = relay.create_session("Shot 020", "Mia")
    sid = made["session"]["id"]
    _set_watermark(raw, made["host_token"], "off", "5b0c8d0e-1f7e-4c1a-9d55-1a2b3c4d5e01")
    assert wait_for(lambda: _no_room_loaded(relay))
    resting = _listed(relay)[sid]
    assert set(resting) == KEYS
    assert (resting["watermark"], resting["participants"]) == ("off", 0)

    # Changed again while a room held it: the room stored the change in the session's record.
    _set_watermark(raw, made["host_token"], "everyone", "5b0c8d0e-1f7e-4c1a-9d55-1a2b3c4d5e02")
    assert wait_for(lambda: _no_room_loaded(relay))
    assert _listed(relay)[sid]["watermark"] == "everyone"

    # A relay started again lists it from the stored record, reading no log.
    relay.stop()
    relay.start()
    again = _listed(relay)[sid]
    assert again == {**resting, "watermark": "everyone"}
    assert [s.watermark for s in relay_api.list_sessions(relay.url)] == ["everyone"]


def test_a_record_behind_its_log_is_brought_up_to_it_when_a_room_loads(
    relay: RelayProcess, raw: Any
) -> None:
    """A relay stopped between storing a session event and its record: the next load of
    the room writes the record as the log says, so the list is right once more."""
    made = relay.create_session("Shot 030", "Mia")
    sid = made["session"]["id"]
    _set_watermark(raw, made["host_token"], "off", "5b0c8d0e-1f7e-4c1a-9d55-1a2b3c4d5e03")
    relay.stop()
    db = sqlite3.connect(relay.data_dir / "events.sqlite3")
    with db:
        db.execute("UPDATE sessions SET watermark = NULL WHERE id = ?", (sid,))
    db.close()
    relay.start()
    assert _listed(relay)[sid]["watermark"] == "viewers"  # the record, behind its log

    viewer = raw()
    viewer.join(made["host_token"], "Mia")
    viewer.expect("synced")
    viewer.close()
    assert wait_for(lambda: _no_room_loaded(relay))
    assert _listed(relay)[sid]["watermark"] == "off"


# --- the Python client reading a reply that does not fit ---------------------------------------


class _OddRelay(BaseHTTPRequestHandler):
    """Answers the session calls with JSON whose sessions do not fit ``SessionInfo``."""

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        good = {"id": "a", "name": "A", "created": 1.0, "host_name": None}
        self._answer(200, {"sessions": [good, {**good, "id": "b", "created": "yesterday"}]})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        session = {"id": "c", "name": "C", "created": 1.0, "watermark": "purple"}
        self._answer(201, {"session": session, "host_token": "t"})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def odd_relay() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OddRelay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_reply_whose_session_does_not_fit_is_a_relay_error_naming_the_field(
    odd_relay: str,
) -> None:
    with pytest.raises(relay_api.RelayError) as listed:
        relay_api.list_sessions(odd_relay)
    assert str(listed.value) == (
        f"the relay at {odd_relay} answered with a session that does not fit: "
        "sessions[1].created must be a number, got a string"
    )
    assert listed.value.relay == odd_relay
    with pytest.raises(relay_api.RelayError) as created:
        relay_api.create_session(odd_relay, "C", "Mia")
    assert str(created.value) == (
        f"the relay at {odd_relay} answered with a session that does not fit: "
        "session.watermark must be one of 'viewers', 'everyone', 'off', got 'purple'"
    )
    # The list as sent is still there for a caller that shows it as it is (the CLI).
    assert [s["id"] for s in relay_api.session_list(odd_relay)] == ["a", "b"]

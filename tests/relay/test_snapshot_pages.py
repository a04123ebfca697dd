"""A late joiner of a big session gets its notes in pages, each made when the one before has
been sent: a joiner that does not read costs the relay one page, not a copy of the session."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

import websocket

from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import new_id
from overshoulder.core.protocol import PROTOCOL_VERSION
from tests.conftest import RawClient, RelayProcess

PAGE = DEFAULT_LIMITS.snapshot_page_bytes


def _stroke(points: int, text: str = "") -> dict[str, Any]:
    # Distinct points so nothing shares a text by chance; about 24 bytes a point as stored.
    pts = [[round(0.1 + i * 1e-4, 4), round(-0.1 - i * 1e-4, 4), 0.5] for i in range(points)]
    return {
        "id": new_id(),
        "shape": {"kind": "stroke", "points": pts},
        "anchor": {"frame": 1001},
        "text": text,
    }


def _fill(host: RawClient, count: int, points: int) -> list[str]:
    """Add ``count`` notes as the host (its document sync is not rate-limited)."""
    ids = []
    for i in range(count):
        ann = _stroke(points, f"note {i}")
        ids.append(ann["id"])
        host.send("annotation_add", {"annotation": ann}, eid=str(uuid.uuid4()))
    for _ in range(count):
        host.expect("ack", timeout=30)
    return ids


def _hello(token: str, name: str, pages: bool) -> str:
    caps = ["resume", "snapshot_pages"] if pages else ["resume"]
    data = {
        "protocol": PROTOCOL_VERSION,
        "token": token,
        "name": name,
        "client": "test",
        "capabilities": caps,
    }
    return json.dumps({"v": 1, "type": "hello", "data": data})


def _read_until_synced(ws: websocket.WebSocket) -> list[tuple[str, dict[str, Any], int]]:
    """Every message up to ``synced``: (type, data, length of its text)."""
    got = []
    while True:
        text = ws.recv()
        msg = json.loads(text)
        got.append((msg["type"], msg["data"], len(text)))
        if msg["type"] == "synced":
            return got


def test_a_joiner_that_asks_for_pages_gets_the_notes_in_pages_in_order_then_synced(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("synced")
    # About 70 KB a note: three or four to a page, twenty notes in six or seven pages.
    ids = _fill(host, 20, 3000)
    token = relay.invite(s["session"]["id"], "viewer")

    paged = websocket.create_connection(relay.ws_url, timeout=10)
    paged.send(_hello(token, "Ana", pages=True))
    got = _read_until_synced(paged)
    types = [t for t, _, _ in got]
    snap = next(d for t, d, _ in got if t == "snapshot")
    pages = [(d, n) for t, d, n in got if t == "snapshot_page"]
    assert types == ["welcome", "snapshot", *["snapshot_page"] * len(pages), "synced"]
    assert snap["full"] is True and snap["annotations"] == []
    assert snap["pages"] == len(pages) > 1
    assert [d["index"] for d, _ in pages] == list(range(len(pages)))
    for d, length in pages:
        notes = json.dumps(d["annotations"], separators=(",", ":"))
        assert len(notes) <= PAGE or len(d["annotations"]) == 1
        assert length < PAGE + 200
    # Every note once, in the order they were made.
    assert [a["id"] for d, _ in pages for a in d["annotations"]] == ids
    paged.close()

    # A client that did not ask for pages gets them all in the snapshot, as before.
    whole = websocket.create_connection(relay.ws_url, timeout=10)
    whole.send(_hello(token, "Sam", pages=False))
    got = _read_until_synced(whole)
    assert [t for t, _, _ in got] == ["welcome", "snapshot", "synced"]
    snap = got[1][1]
    assert "pages" not in snap and [a["id"] for a in snap["annotations"]] == ids
    whole.close()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _stalled_joiner(relay: RelayProcess, token: str, name: str) -> websocket.WebSocket:
    """A joiner that says hello and then does not read, with a small receive buffer."""
    small = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    ws = websocket.create_connection(relay.ws_url, timeout=20, sockopt=small)
    ws.send(_hello(token, name, pages=True))
    return ws


def test_joiners_that_never_read_hold_a_page_each_not_a_copy_of_the_session(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("synced")
    ids = _fill(host, 80, 4500)  # about 100 KB a note: 8 MB of notes
    stored = sum(len(json.dumps(e["data"])) for e in relay.events(sid))
    assert stored > 7_000_000
    assert relay.proc is not None
    before = _rss(relay.proc.pid)

    # Twelve joiners on three links (a few seats per link) that do not read. A copy of the
    # session each would be twelve times the notes.
    tokens = [relay.invite(sid, "viewer") for _ in range(3)]
    stalled = [_stalled_joiner(relay, tokens[i % 3], f"Viewer {i}") for i in range(12)]
    for _ in stalled:  # every one is in the session, its snapshot on its way
        host.expect("join", timeout=20)
    grown = _rss(relay.proc.pid) - before
    assert grown < stored, (grown, stored)

    # A note changed while their snapshots wait reaches them after it, as an event.
    host.send("annotation_update", {"id": ids[-1], "text": "changed"}, eid=str(uuid.uuid4()))
    host.expect("ack")
    reader = stalled[0]
    got = _read_until_synced(reader)
    pages = [d for t, d, _ in got if t == "snapshot_page"]
    last = [a for d in pages for a in d["annotations"] if a["id"] == ids[-1]]
    assert len(last) == 1 and last[0]["text"] == "note 79"
    update = json.loads(reader.recv())
    while update["type"] != "annotation_update":
        update = json.loads(reader.recv())
    assert update["data"] == {"id": ids[-1], "text": "changed"}
    for ws in stalled:
        ws.close()
    assert requests_health(relay)["status"] == "ok"


def requests_health(relay: RelayProcess) -> dict[str, Any]:
    import requests

    return dict(requests.get(f"{relay.url}/api/health", timeout=5).json())


def test_a_client_too_far_behind_to_resume_gets_a_full_snapshot(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("synced")
    limit = DEFAULT_LIMITS.max_resume_events
    _fill(host, limit + 5, 1)  # the host's notes: no rate limit for its document's sync
    back = raw()
    back.join(relay.invite(s["session"]["id"], "viewer"), "Ana", since=1)
    snap = back.expect("snapshot")["data"]
    assert snap["full"] is True and snap["seq"] == limit + 5
    assert back.expect("synced")["data"]["seq"] == limit + 5
    # Within the bound it resumes: the missed events only.
    again = raw()
    again.join(relay.invite(s["session"]["id"], "viewer"), "Sam", since=limit)
    assert again.expect("snapshot")["data"]["full"] is False
    seqs = []
    while (msg := again.recv())["type"] != "synced":
        if "seq" in msg:
            seqs.append(msg["seq"])
    assert seqs == list(range(limit + 1, limit + 6))

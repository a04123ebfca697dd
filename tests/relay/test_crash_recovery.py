"""kill -9 of the relay while notes are flowing: nothing acknowledged is lost, nothing doubles."""

from __future__ import annotations

import threading
import time
from collections import Counter

import requests

from overshoulder.core.client import SessionClient
from overshoulder.core.model import Anchor, Annotation, Shape, new_id

NOTES_EACH = 150


def _stroke(i: int) -> Annotation:
    pts = [[0.01 * k, 0.005 * k * (i % 7)] for k in range(12)]
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=pts),
        anchor=Anchor(frame=1001 + i % 48),
        text=f"note {i}",
    )


def _wait(cond, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_kill9_mid_stream_keeps_every_acked_note_once_and_outboxes_deliver_the_rest(relay):
    created = relay.create_session()
    sid = created["session"]["id"]
    host = SessionClient(relay.url, created["host_token"], "Mia")
    rev = SessionClient(relay.url, relay.invite(sid, "reviewer"), "Sam")
    acked: dict[str, set[str]] = {"Mia": set(), "Sam": set()}
    sent: dict[str, list[str]] = {"Mia": [], "Sam": []}
    for name, client in (("Mia", host), ("Sam", rev)):
        client.on("ack", lambda env, n=name: acked[n].add(env.data.eid))
        client.start()
        assert client.wait_synced(10)

    def stream(name: str, client: SessionClient) -> None:
        for i in range(NOTES_EACH):
            note = _stroke(i)
            client.add_annotation(note)
            sent[name].append(note.id)
            time.sleep(0.004)

    threads = [
        threading.Thread(target=stream, args=("Mia", host)),
        threading.Thread(target=stream, args=("Sam", rev)),
    ]
    for t in threads:
        t.start()
    # Crash the relay once notes are flowing and some are acknowledged.
    assert _wait(lambda: len(acked["Mia"]) > 20 and len(acked["Sam"]) > 20, 30)
    acked_before = {name: set(eids) for name, eids in acked.items()}
    relay.kill9()
    time.sleep(0.3)
    # Notes kept coming while the relay was down: they wait in the outboxes.
    assert host.pending + rev.pending > 0
    relay.start()
    for t in threads:
        t.join(60)

    assert _wait(lambda: host.pending == 0 and rev.pending == 0)
    assert host.wait_synced(20) and rev.wait_synced(20)
    events = relay.events(sid)
    ids = [e["data"]["annotation"]["id"] for e in events if e["type"] == "annotation_add"]
    counts = Counter(ids)
    # Exactly once each, and all of them: acknowledged before the crash or sent by the outboxes.
    assert all(n == 1 for n in counts.values()), [i for i, n in counts.items() if n > 1][:5]
    assert set(ids) == set(sent["Mia"]) | set(sent["Sam"])
    assert len(ids) == 2 * NOTES_EACH
    # Every eid acknowledged before the kill survived it.
    stored_eids = {e["eid"] for e in events}
    for name in ("Mia", "Sam"):
        assert acked_before[name] <= stored_eids
    # The log has no gaps, and both clients converged on it.
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert _wait(lambda: len(host.annotations) == len(rev.annotations) == 2 * NOTES_EACH)
    # A killed relay is not a damaged one: its log passes the start-up check (quick check,
    # and at least what the log held when last seen), so it started with nothing to report.
    health = requests.get(relay.url + "/api/health", timeout=5).json()
    assert (health["status"], health["problems"]) == ("ok", []), health
    # A fresh joiner sees each note once.
    late = SessionClient(relay.url, relay.invite(sid, "viewer"), "Late")
    late.start()
    try:
        assert late.wait_synced(20)
        assert sorted(late.annotations) == sorted(ids)
    finally:
        late.close()
        host.close()
        rev.close()

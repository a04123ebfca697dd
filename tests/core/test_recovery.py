"""Coming back: a host whose relay went away and came back, and a document shared again.

Real relay processes on real sockets; the host is the in-memory one of tests/hosts/memory.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.share import Sharer
from tests.conftest import RelayProcess
from tests.hosts.memory import MemoryHost
from tests.waiting import wait_for


@pytest.fixture
def clients() -> Iterator[list[SessionClient]]:
    made: list[SessionClient] = []
    yield made
    for client in made:
        client.close()


def joined(made: list[SessionClient], relay: RelayProcess, token: str, name: str, **kw: Any):
    client = SessionClient(relay.url, token, name, **kw)
    made.append(client)
    client.start()
    assert client.wait_synced(15), f"{name}: {client.state} {client.last_error}"
    return client


def test_a_note_shared_again_from_the_document_keeps_its_author_time_and_words(
    relay: RelayProcess, clients: list[SessionClient]
) -> None:
    # Monday: Sam writes a note in Mia's session, then adds words to it; Mia's document keeps it.
    monday = relay.create_session(host_name="Mia")
    sid = monday["session"]["id"]
    document = MemoryHost()
    mia = joined(clients, relay, monday["host_token"], "Mia")
    sharer = Sharer(document, mia)
    sharer.start()
    sam = joined(clients, relay, relay.invite(sid, "reviewer", name="Sam"), "Sam")
    note_id = new_id()
    sam.add_annotation(
        Annotation(
            id=note_id,
            shape=Shape(kind="arrow", start=(0.2, 0.2), end=(0.4, 0.3)),
            anchor=Anchor(frame=1012),
            text="the key light is too hot",
        )
    )
    assert wait_for(lambda: note_id in mia.annotations, 15)
    sam.update_annotation(note_id, text="the key light is too hot; and warmer, please")
    assert wait_for(
        lambda: "please" in (getattr(document.notes.get(note_id), "text", "") or ""), 15
    )
    original = document.notes[note_id]
    assert original.author_name == "Sam" and original.author == sam.participant.id  # type: ignore[union-attr]
    assert original.created is not None
    sharer.stop()
    mia.close()

    # Tuesday: the script is reopened and shared into a new session; the note goes back.
    tuesday = relay.create_session(host_name="Mia")
    reopened = MemoryHost()
    reopened.notes = dict(document.notes)
    mia2 = joined(clients, relay, tuesday["host_token"], "Mia")
    again = Sharer(reopened, mia2)
    again.start()
    try:
        assert wait_for(lambda: note_id in mia2.annotations and mia2.pending == 0, 15)
        viewer = joined(clients, relay, relay.invite(tuesday["session"]["id"], "viewer"), "Vic")
        for seen in (mia2.annotations[note_id], viewer.annotations[note_id]):
            assert (seen.author, seen.author_name, seen.created, seen.text) == (
                original.author,
                "Sam",
                original.created,
                "the key light is too hot; and warmer, please",
            )
        stored = [
            e["data"]["annotation"]
            for e in relay.events(tuesday["session"]["id"])
            if e["type"] == "annotation_add"
        ]
        assert [(a["author_name"], a["created"]) for a in stored] == [("Sam", original.created)]
        # The document is not rewritten with the host as the author either.
        assert wait_for(lambda: reopened.notes[note_id].author_name == "Sam", 5)
    finally:
        again.stop()


def test_only_a_host_restores_authorship_and_only_whole(
    relay: RelayProcess, session: dict[str, Any], clients: list[SessionClient]
) -> None:
    """A reviewer's claimed author is overwritten; so is a host's that lacks the time."""
    mia = joined(clients, relay, session["host_token"], "Mia")
    sam = joined(clients, relay, relay.invite(session["session"]["id"], "reviewer"), "Sam")

    def claimed(**authorship: Any) -> Annotation:
        return Annotation(
            id=new_id(),
            shape=Shape(kind="arrow", start=(0.2, 0.2), end=(0.4, 0.3)),
            anchor=Anchor(frame=1001),
            **authorship,
        )

    by_sam = claimed(author=mia.participant.id, author_name="Director", created=1_700_000_000.0)  # type: ignore[union-attr]
    by_mia = claimed(author_name="Director")
    sam.add_annotation(by_sam)
    mia.add_annotation(by_mia)
    assert wait_for(lambda: {by_sam.id, by_mia.id} <= set(mia.annotations), 15)
    notes = mia.annotations
    assert (notes[by_sam.id].author_name, notes[by_sam.id].author) == ("Sam", sam.participant.id)  # type: ignore[union-attr]
    assert notes[by_sam.id].created != 1_700_000_000.0
    assert notes[by_mia.id].author_name == "Mia"


def test_a_host_back_first_after_a_relay_restart_hands_the_drive_back(
    relay: RelayProcess, session: dict[str, Any], clients: list[SessionClient]
) -> None:
    sid = session["session"]["id"]
    mia = joined(clients, relay, session["host_token"], "Mia")
    token = relay.invite(sid, "reviewer", name="Sam")
    sam = joined(clients, relay, token, "Sam")
    sam_id = sam.participant.id  # type: ignore[union-attr]
    mia.release_lease(to=sam_id)
    assert wait_for(lambda: mia.driver == sam_id and sam.driver == sam_id, 15)

    relay.kill9()
    # Sam's app is away for longer than the relay: Mia is back first and gets the free drive.
    sam.close()
    relay.start()
    assert wait_for(lambda: mia.state == "synced" and mia.driver == mia.participant.id, 30)  # type: ignore[union-attr]
    # Sam comes back (same app: same client id, so the same participant): the drive is his again.
    back = joined(clients, relay, token, "Sam", client_id=sam.client_id)
    assert back.participant.id == sam_id  # type: ignore[union-attr]
    assert wait_for(lambda: back.driver == sam_id and mia.driver == sam_id, 15), mia.driver

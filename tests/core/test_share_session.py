"""ShareSession without Qt: a real relay, an in-memory host, a real frame encoder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, Optional

import numpy as np
import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.codec import FrameEncoder
from overshoulder.core.host import Capture
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.share_session import ShareOptions, ShareSession
from tests.hosts.memory import MemoryHost
from tests.waiting import wait_for


class HopHost(MemoryHost):
    """Shares a small sRGB image, and counts the hops onto its main thread behind each note.

    A job posted from off the main thread is one hop; a job posted from inside a job is one
    more than that job.
    """

    def __init__(self) -> None:
        super().__init__()
        self.shade = 40
        self._hops_now = 0
        #: (note, hops onto the main thread it took to get here), for each note applied.
        self.applied: list[tuple[Annotation, int]] = []
        self.removed_at: list[tuple[str, int]] = []

    def capture(self) -> Optional[Capture]:
        pixels = np.full((32, 64, 3), self.shade, np.uint8)
        return Capture(frame=self.frame, width=64, height=32, pixels=pixels, colorspace="sRGB")

    def run_on_main(self, fn: Callable[[], None]) -> None:
        hops = self._hops_now if self.is_main_thread() else 0

        def job() -> None:
            self._hops_now = hops + 1
            try:
                fn()
            finally:
                self._hops_now = 0

        super().run_on_main(job)

    def apply_annotation(self, annotation: Annotation) -> None:
        assert self.is_main_thread()
        self.applied.append((annotation, self._hops_now))
        super().apply_annotation(annotation)

    def remove_annotation(self, annotation_id: str) -> None:
        assert self.is_main_thread()
        self.removed_at.append((annotation_id, self._hops_now))
        super().remove_annotation(annotation_id)


def arrow(frame: int = 1001) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0, 0), end=(0.1, 0.1)),
        anchor=Anchor(frame=frame),
    )


@pytest.fixture
def made(relay: Any) -> Iterator[tuple[Any, str, str]]:
    """(relay, session id, host token) of a new session."""
    created = relay.create_session()
    yield relay, created["session"]["id"], created["host_token"]


@pytest.fixture
def host() -> Iterator[HopHost]:
    h = HopHost()
    yield h
    h.shut()


@pytest.fixture
def guests(relay: Any) -> Iterator[Callable[..., SessionClient]]:
    clients: list[SessionClient] = []

    def join(token: str, name: str, **kw: Any) -> SessionClient:
        client = SessionClient(relay.url, token, name, **kw)
        clients.append(client)
        client.start()
        assert client.wait_synced(10), client.last_error
        return client

    yield join
    for client in clients:
        client.close()


@pytest.fixture
def shares() -> Iterator[Callable[..., ShareSession]]:
    """Makes ShareSessions and closes them after the test."""
    made: list[ShareSession] = []

    def make(*args: Any, **kw: Any) -> ShareSession:
        share = ShareSession(*args, **kw)
        made.append(share)
        return share

    yield make
    for share in made:
        share.close()


def test_a_host_shares_pixels_turns_them_off_and_on_and_stays_in_the_session(
    made, host, guests, shares
):
    relay, sid, token = made
    share = shares(relay.url, token, "Mia", host, "host", ShareOptions(sharing=True))
    assert share.role == "host" and share.sharing
    received: list[FrameHeader] = []
    rita = guests(relay.invite(sid, "reviewer"), "Rita", receive_frames=True)
    rita.on_frame(lambda header, payload: received.append(header))
    share.start()
    assert share.wait_synced(10)
    assert share.wait_first_frame(10)
    assert isinstance(share.encoder, FrameEncoder)
    # The frame pipe: what went out for 1001 is kept, and it is what the reviewer got.
    assert wait_for(lambda: share.images.hash_of(1001) is not None)
    first = share.images.hash_of(1001)
    assert wait_for(lambda: any(h.frame == 1001 and h.hash_hex == first for h in received))
    assert share.session is not None and share.session.id == sid
    assert wait_for(lambda: any(p.name == "Rita" for p in share.participants.values()))
    assert share.driving  # a host drives a session nobody else drives

    # Off: the session stays (same client, in sync), only the pixels stop.
    client = share.client
    turned: list[bool] = []
    assert share.set_sharing(False, lambda: turned.append(share.sharing))
    assert share.sharer is None and share.restarting
    assert not share.set_sharing(True), "a change under way is not started twice"
    assert wait_for(lambda: turned == [False] and share.sharer is not None)
    assert share.encoder is None and share.client is client and share.state == "synced"
    assert share.note_actions.sharer is share.sharer
    assert not share.wait_first_frame(0.1)

    # On again: a new image for 1001 goes out and is kept in the same images.
    host.shade = 200
    assert share.set_sharing(True, lambda: turned.append(share.sharing))
    assert wait_for(lambda: turned == [False, True])
    assert wait_for(lambda: share.images.hash_of(1001) not in (None, first))
    assert wait_for(lambda: received[-1].hash_hex == share.images.hash_of(1001))

    share.close()
    assert share.closed and share.sharer is None and share.state == "closed"
    assert wait_for(lambda: all(p.name != "Mia" for p in rita.participants.values()))
    assert not share.set_sharing(False), "nothing starts once left"


def test_a_remote_note_reaches_the_main_thread_in_one_hop_as_its_event_carried_it(
    made, host, guests, shares
):
    """The client's callbacks posted to the app's main thread (as a panel's are): the Sharer
    applies the note there at once, from the event, even when the note is gone by then."""
    relay, sid, token = made
    options = ShareOptions(dispatch=host.run_on_main)
    share = shares(relay.url, token, "Mia", host, "host", options)
    share.start()
    assert share.wait_synced(10)
    sam = guests(relay.invite(sid, "reviewer"), "Sam")

    gate = threading.Event()
    host.run_on_main(lambda: gate.wait(10))  # the app is busy: callbacks queue behind this
    note = arrow()
    sam.add_annotation(note)
    assert wait_for(lambda: note.id in sam.annotations)  # stored before it is deleted
    sam.delete_annotation(note.id)
    assert wait_for(lambda: note.id in share.client.deleted_ids)  # the state moved on already
    gate.set()
    assert wait_for(lambda: (note.id, 1) in host.removed_at)
    assert [(n.id, hops) for n, hops in host.applied] == [(note.id, 1)]
    applied = host.applied[0][0]
    assert applied.author == sam.participant.id and applied.author_name == "Sam"
    assert note.id not in host.notes


def test_with_the_clients_own_thread_the_sharer_posts_each_note_once(made, host, guests, shares):
    relay, sid, token = made
    share = shares(relay.url, token, "Mia", host, "host")  # no dispatch: the client's thread
    share.start()
    assert share.wait_synced(10)
    sam = guests(relay.invite(sid, "reviewer"), "Sam")
    note = arrow(1010)
    sam.add_annotation(note)
    assert wait_for(lambda: any(n.id == note.id for n, _ in host.applied))
    sam.update_annotation(note.id, text="warmer")
    assert wait_for(lambda: host.notes.get(note.id) is not None and host.notes[note.id].text)
    assert host.notes[note.id].text == "warmer"
    assert {hops for n, hops in host.applied if n.id == note.id} == {1}
    assert share.annotations[note.id].text == "warmer"


def test_following_is_kept_across_a_restart_and_the_others_see_it(made, host, guests, shares):
    relay, sid, token = made
    share = shares(relay.url, token, "Mia", host, "host", ShareOptions(follow=False))
    share.start()
    assert share.wait_synced(10)
    sam = guests(relay.invite(sid, "reviewer"), "Sam")
    me = share.participant
    assert me is not None
    assert share.sharer is not None and not share.sharer.following
    assert wait_for(lambda: sam.participants[me.id].following is False)
    share.follow(True)
    assert wait_for(lambda: sam.participants[me.id].following is True)
    share.follow(False)
    assert share.set_sharing(True)
    assert wait_for(lambda: share.sharer is not None)
    assert not share.sharer.following


def test_leaving_while_sharing_is_switched_starts_nothing_after(made, host, shares):
    relay, _, token = made
    share = shares(relay.url, token, "Mia", host, "host")
    share.start()
    assert share.wait_synced(10)
    left = threading.Event()
    started: list[bool] = []
    # As a panel does it: both asked for on the main thread, one after the other.
    host.run_on_main(lambda: share.set_sharing(True, lambda: started.append(True)))
    host.run_on_main(lambda: share.leave(left.set))
    assert left.wait(10)
    host.call_on_main(lambda: None)  # what was posted back has run
    assert started == [] and share.sharer is None and share.state == "closed"


def test_listeners_given_to_the_session_go_when_it_is_left(made, host, guests, shares):
    relay, sid, token = made
    share = shares(relay.url, token, "Mia", host, "host")
    heard: list[str] = []
    share.on("chat", lambda env: heard.append(env.data.text))
    states: list[str] = []
    share.on_state(states.append)
    share.start()
    assert share.wait_synced(10)
    sam = guests(relay.invite(sid, "reviewer"), "Sam")
    sam.chat("one")
    assert wait_for(lambda: heard == ["one"])
    assert [c.text for c in share.chat_log] == ["one"]
    share.close()
    assert "closed" not in states, "the session's listeners went before the client closed"


def test_bad_input_is_refused_before_any_socket(host):
    with pytest.raises(ValueError, match="quality 0 is outside 1-100"):
        ShareSession("http://127.0.0.1:9", "os1.a.b", "Mia", host, "host", ShareOptions(quality=0))
    with pytest.raises(ValueError, match="this token is for a reviewer"):
        ShareSession("http://127.0.0.1:9", "os1.a.b", "Sam", host, "reviewer", ShareOptions(True))
    with pytest.raises(ValueError):
        ShareSession("http://127.0.0.1:9", "os1.a.b", "", host, "host")


def test_a_remote_update_reaches_the_main_thread_as_its_event_left_the_note(
    made, host, guests, shares
):
    """The update's note is the one its event left, even when the note is gone by then."""
    relay, sid, token = made
    share = shares(relay.url, token, "Mia", host, "host", ShareOptions(dispatch=host.run_on_main))
    share.start()
    assert share.wait_synced(10)
    sam = guests(relay.invite(sid, "reviewer"), "Sam")
    note = arrow()
    sam.add_annotation(note)
    assert wait_for(lambda: note.id in share.client.annotations)
    gate = threading.Event()
    host.run_on_main(lambda: gate.wait(10))
    sam.update_annotation(note.id, text="warmer")
    assert wait_for(lambda: share.client.annotations[note.id].text == "warmer")
    sam.delete_annotation(note.id)
    assert wait_for(lambda: note.id in share.client.deleted_ids)
    gate.set()
    assert wait_for(lambda: (note.id, 1) in host.removed_at)
    assert [(n.text, hops) for n, hops in host.applied] == [(None, 1), ("warmer", 1)]

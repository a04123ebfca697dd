"""The Sharer between a Host (tests/hosts/memory.py) and a real relay session."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Optional

import numpy as np
import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.client.listeners import NoteUpdated
from overshoulder.core.host import Capture
from overshoulder.core.model import Anchor, Annotation, Playhead, Shape, new_id
from overshoulder.core.protocol import Envelope
from overshoulder.core.protocol.messages import AnnotationUpdate
from overshoulder.core.share import Sharer, _compensated
from tests.hosts.memory import MemoryHost
from tests.waiting import wait_for


class FlakyHost(MemoryHost):
    """Hands over one malformed capture when asked to."""

    fail_next_capture = False

    def capture(self) -> Optional[Capture]:
        if self.fail_next_capture:
            self.fail_next_capture = False
            return Capture(frame=self.frame, width=8, height=8, pixels=np.zeros((8, 8, 7)))
        return super().capture()


class CountingSink:
    def __init__(self) -> None:
        self.submitted: list[Capture] = []
        self.lossless_requests = 0

    def submit(self, capture: Capture) -> None:
        if capture.pixels is not None and capture.pixels.shape[2] > 4:
            raise ValueError("pixels have 7 channels; 1 to 4 are supported")
        self.submitted.append(capture)

    def set_max_size(self, width: Optional[int], height: Optional[int]) -> None:
        pass

    def close(self) -> None:
        pass

    def request_lossless(self) -> None:
        self.lossless_requests += 1


def note(frame: int = 1001) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0, 0), end=(0.1, 0.1)),
        anchor=Anchor(frame=frame),
    )


@pytest.fixture
def pair(relay: Any):
    created = relay.create_session()
    sid = created["session"]["id"]
    made: list[Any] = []

    def client(token: str, name: str) -> SessionClient:
        c = SessionClient(relay.url, token, name)
        c.start()
        assert c.wait_synced(10)
        made.append(c)
        return c

    host_client = client(created["host_token"], "Mia")
    rev = client(relay.invite(sid, "reviewer"), "Sam")
    yield relay, sid, host_client, rev
    for c in made:
        c.close()


def test_a_failing_capture_or_encoder_does_not_stop_sharing(pair):
    _, _, client, _ = pair
    host, sink = FlakyHost(), CountingSink()
    sharer = Sharer(host, client, sink)
    sharer.start()
    try:
        assert wait_for(lambda: len(sink.submitted) >= 1)
        host.fail_next_capture = True
        sharer.request_capture()
        assert wait_for(lambda: sharer.capture_errors == 1)
        host.run_on_main(lambda: host.set_playhead(1010))
        assert wait_for(lambda: any(c.frame == 1010 for c in sink.submitted))
    finally:
        sharer.stop()


def test_the_follower_moves_to_the_drivers_frame_and_going_free_stops_it(pair):
    _, _, client, rev = pair
    host = MemoryHost()
    sharer = Sharer(host, client)
    sharer.start()
    try:
        assert wait_for(lambda: sharer.driving)
        rev.claim_lease()  # asked while the host drives: granted by default
        assert wait_for(lambda: rev.driver == rev.participant.id)
        rev.set_playhead(Playhead(frame=1042, rate=24.0, playing=False))
        assert wait_for(lambda: host.frame == 1042)
        sharer.follow(False)
        rev.set_playhead(Playhead(frame=1050, rate=24.0, playing=False))
        time.sleep(0.3)
        assert host.frame == 1042
        sharer.follow(True)  # back: jump to where the driver is
        assert wait_for(lambda: host.frame == 1050)
    finally:
        sharer.stop()


def test_ask_mode_leaves_the_drive_request_to_the_panel(pair):
    _, _, client, rev = pair
    asked: list[tuple[str, str]] = []
    sharer = Sharer(
        MemoryHost(),
        client,
        drive_requests="ask",
        on_drive_request=lambda p, n: asked.append((p, n)),
    )
    sharer.start()
    try:
        assert wait_for(lambda: sharer.driving)
        rev.claim_lease()
        assert wait_for(lambda: asked == [(rev.participant.id, "Sam")])
        time.sleep(0.2)
        assert sharer.driving
        sharer.give_drive(rev.participant.id)
        assert wait_for(lambda: rev.driver == rev.participant.id)
    finally:
        sharer.stop()


def test_steady_playback_sends_a_few_playheads_and_seeks_go_at_once(pair):
    _, _, client, rev = pair
    host = MemoryHost()
    seen: list[Playhead] = []
    rev.on("playhead", lambda env: seen.append(env.data))
    sharer = Sharer(host, client)
    sharer.start()
    try:
        assert wait_for(lambda: sharer.driving)
        host.run_on_main(lambda: host.set_playhead(1001, True))
        start = time.monotonic()
        frame = 1001
        while time.monotonic() - start < 1.0:  # 24 fps for a second
            frame += 1
            host.run_on_main(lambda f=frame: host.set_playhead(f))
            time.sleep(1 / 24)
        assert wait_for(lambda: len(seen) >= 2)
        steady = len(seen)
        assert steady <= 6, [p.frame for p in seen]  # not one per frame
        host.run_on_main(lambda: host.set_playhead(1080))  # a seek while playing
        assert wait_for(lambda: seen[-1].frame == 1080)
        host.run_on_main(lambda: host.set_playhead(1080, False))  # pause
        assert wait_for(lambda: seen[-1].playing is False)
    finally:
        sharer.stop()


def test_a_playing_drivers_frame_is_compensated_for_travel_time():
    sent = Playhead(
        frame=1000,
        rate=24.0,
        playing=True,
        range=(1000, 1010),
        sender_clock=(time.time() - 0.5) * 1000,
    )
    assert _compensated(sent) == 1000 + 12 - 11  # 12 frames later, wrapped in an 11-frame range
    paused = Playhead(frame=1000, rate=24.0, playing=False, sender_clock=(time.time() - 0.5) * 1000)
    assert _compensated(paused) == 1000
    stale = Playhead(frame=1000, rate=24.0, playing=True, sender_clock=(time.time() - 60) * 1000)
    assert _compensated(stale) == 1000


def test_notes_come_into_the_document_and_deleted_ones_are_not_sent_back(pair):
    relay, sid, _, rev = pair
    kept, gone = note(), note()
    rev.add_annotation(kept)
    rev.add_annotation(gone)
    assert wait_for(lambda: rev.pending == 0)
    rev.delete_annotation(gone.id)
    assert wait_for(lambda: rev.pending == 0)
    offline_only = note(1003)
    host = MemoryHost()
    # The document kept both of the reviewer's notes from an earlier call, and one of its own.
    host.notes = {n.id: n for n in (kept, gone, offline_only)}
    fresh = SessionClient(relay.url, relay.invite(sid, "host"), "Mia again")
    fresh.start()
    assert fresh.wait_synced(10)
    sharer = Sharer(host, fresh)
    sharer.start()
    try:
        assert wait_for(lambda: offline_only.id in rev.annotations)
        assert wait_for(lambda: gone.id not in host.notes)
        assert kept.id in host.notes
        time.sleep(0.3)
        assert gone.id not in rev.annotations
        ids = [
            e["data"]["annotation"]["id"]
            for e in relay.events(sid)
            if e["type"] == "annotation_add"
        ]
        assert sorted(ids) == sorted([kept.id, gone.id, offline_only.id])
    finally:
        sharer.stop()
        fresh.close()


class _NoLookups:
    """A client whose state may not be read: what the Sharer needs comes with the event."""

    @property
    def annotations(self) -> Any:
        raise AssertionError("the note was looked up instead of taken from its event")


def test_an_update_goes_into_the_document_as_its_event_carried_it():
    host = MemoryHost()
    try:
        sharer = Sharer(host, _NoLookups())  # type: ignore[arg-type]
        unknown = AnnotationUpdate(new_id(), status="done")
        sharer._remote_note(NoteUpdated.of(Envelope("annotation_update", unknown), None))
        changed = dataclasses.replace(note(), text="warmer")
        update = Envelope("annotation_update", AnnotationUpdate(changed.id, text="warmer"), seq=2)
        sharer._remote_note(NoteUpdated.of(update, changed))
        assert wait_for(lambda: changed.id in host.notes)
        assert list(host.notes.values()) == [changed], "nothing for a note the client lacks"
    finally:
        host.shut()


def test_a_note_update_keeps_its_event_and_only_an_update_becomes_one():
    update = Envelope(
        "annotation_update", AnnotationUpdate("n1", text="x"), eid="e1", seq=7, sender="p2"
    )
    delivered = NoteUpdated.of(update, note())
    assert isinstance(delivered, Envelope) and delivered.note is not None
    assert dataclasses.replace(delivered, note=None) == NoteUpdated.of(update, None)
    assert (delivered.type, delivered.data, delivered.eid, delivered.seq, delivered.sender) == (
        "annotation_update",
        update.data,
        "e1",
        7,
        "p2",
    )
    with pytest.raises(ValueError, match="a chat message is not a note update"):
        NoteUpdated.of(Envelope("chat", None), None)


def test_what_is_shared_reaches_reviewers_and_late_joiners(pair):
    relay, sid, client, rev = pair
    host, sink = MemoryHost(), CountingSink()
    seen: list[Any] = []
    rev.on("stream", lambda env: seen.append(env.data))
    sharer = Sharer(host, client, sink)
    sharer.start()
    try:
        assert wait_for(lambda: bool(seen))
        assert seen[-1].colorspace == "scene_linear" and (seen[-1].width, seen[-1].height) == (8, 8)
        late = SessionClient(relay.url, relay.invite(sid, "viewer"), "Late")
        late.start()
        try:
            assert late.wait_synced(10)
            assert late.stream is not None and late.stream.colorspace == "scene_linear"
        finally:
            late.close()
    finally:
        sharer.stop()


def test_a_reviewers_lossless_request_reaches_the_encoder(pair):
    _, _, client, rev = pair
    sink = CountingSink()
    sharer = Sharer(MemoryHost(), client, sink)
    sharer.start()
    try:
        rev.request_still()
        assert wait_for(lambda: sink.lossless_requests == 1)
    finally:
        sharer.stop()


def test_a_driver_that_starts_after_syncing_tells_the_session_where_it_is(pair):
    _, _, client, rev = pair
    seen: list[Playhead] = []
    rev.on("playhead", lambda env: seen.append(env.data))
    host = MemoryHost(frame=1017)
    sharer = Sharer(host, client)
    sharer.start()  # the client synced long ago and already drives
    try:
        assert wait_for(lambda: any(p.frame == 1017 and p.range == (1001, 1100) for p in seen))
    finally:
        sharer.stop()


class CutHost(MemoryHost):
    """A MemoryHost with an editor's timeline."""

    def __init__(self, cut: Any) -> None:
        super().__init__()
        self.cut = cut

    def timeline(self) -> Any:
        return self.cut


def test_a_host_shares_its_cut_and_a_guest_is_warned_where_its_own_differs(pair):
    import dataclasses

    from overshoulder.core.protocol.messages import SharedTimeline, TimelineClip

    _, _, host_client, rev = pair
    cut = SharedTimeline("Reel 1", 24.0, 1001, 1100, [TimelineClip("sh010", 1001, 48)])
    host = CutHost(cut)
    sharer = Sharer(host, host_client)
    guest_host = CutHost(dataclasses.replace(cut, clips=[TimelineClip("sh010", 1001, 50)]))
    guest = Sharer(guest_host, rev)
    sharer.start()
    guest.start()
    try:
        assert wait_for(lambda: rev.stream is not None and rev.stream.timeline == cut)
        assert wait_for(lambda: "timeline" in guest.warnings)
        assert "sh010: your clip is 2 frames longer (50 against 48)" in guest.warnings["timeline"]
        assert "timeline" not in sharer.warnings  # the host's cut is the reference
        # The guest conforms: the warning goes. A host warning shows, and goes, by its key.
        guest_host.cut = cut
        guest_host.run_on_main(guest_host.events.timeline_changed)
        assert wait_for(lambda: "timeline" not in guest.warnings)
        guest_host.run_on_main(lambda: guest_host.events.warning("app.page", "on a bad page"))
        assert wait_for(lambda: guest.warnings.get("app.page") == "on a bad page")
        guest_host.run_on_main(lambda: guest_host.events.warning("app.page", None))
        assert wait_for(lambda: "app.page" not in guest.warnings)
    finally:
        guest.stop()
        sharer.stop()


def test_the_host_is_warned_when_it_follows_a_guest_whose_cut_differs(pair):
    import dataclasses

    from overshoulder.core.protocol.messages import SharedTimeline, TimelineClip

    _, _, host_client, rev = pair
    cut = SharedTimeline("Reel 1", 24.0, 1001, 1100, [TimelineClip("sh010", 1001, 48)])
    host = CutHost(cut)
    sharer = Sharer(host, host_client)
    guest_host = CutHost(dataclasses.replace(cut, clips=[TimelineClip("sh010", 1001, 40)]))
    guest = Sharer(guest_host, rev)
    sharer.start()
    guest.start()
    try:
        assert wait_for(lambda: "timeline" in guest.warnings)
        assert "timeline" not in sharer.warnings  # the host drives: its cut is the reference
        # The guest takes the drive: now the host follows a cut that differs, and is told.
        guest.drive()
        assert wait_for(lambda: "timeline" in sharer.warnings)
        text = sharer.warnings["timeline"]
        assert "sh010: your clip is 8 frames longer (48 against 40)" in text
        assert text.startswith("Your timeline differs from Sam's:")
        assert wait_for(lambda: "timeline" not in guest.warnings)  # the driver is not warned
        # The guest leaves: nothing to compare with any more.
        rev.close()
        assert wait_for(lambda: "timeline" not in sharer.warnings)
    finally:
        guest.stop()
        sharer.stop()

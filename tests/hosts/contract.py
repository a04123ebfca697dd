"""The Host contract as tests: every app adapter's test suite subclasses ``HostContract``."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from overshoulder.core.host import Capture, Host, PlayheadState
from overshoulder.core.model import Anchor, Annotation, Shape, new_id

#: Seconds an event may take to fire on the main thread.
EVENT_TIMEOUT_S = 5.0


class EventLog:
    """Records ``events.playhead_changed`` calls with the thread they came on."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.fired = threading.Event()

    def __call__(self) -> None:
        self.threads.append(threading.get_ident())
        self.fired.set()


def on_main(host: Host, fn: Any) -> Any:
    return host.call_on_main(fn, timeout=EVENT_TIMEOUT_S)


def note_here(host: Host, text: str = "tighten the edge") -> Annotation:
    anchor: Anchor = on_main(host, host.anchor)
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.1, 0.0], [0.0, 0.05], [0.1, 0.0]]),
        anchor=anchor,
        text=text,
    )


class HostContract:
    """What the shared parts (Sharer, panel, overlay) rely on, for any ``Host``.

    A subclass provides a ``host`` fixture: a started Host, at a known frame,
    with something to show, whose range holds at least two frames. It overrides
    ``other_frame`` when the range does not say where else to go. The tests call
    the host as the Sharer does: ``capture`` off the main thread, everything
    else on it (through ``call_on_main``).
    """

    @pytest.fixture
    def host(self) -> Host:
        raise NotImplementedError("a HostContract subclass provides a started host fixture")

    @pytest.fixture
    def other_frame(self, host: Host) -> int:
        """A frame in range other than the current one."""
        state: PlayheadState = on_main(host, host.playhead)
        if state.first is not None and state.last is not None and state.last > state.first:
            return state.first if state.frame != state.first else state.first + 1
        return state.frame + 1

    # --- pixels ---------------------------------------------------------------------------

    def test_capture_shows_the_frame_under_the_playhead(self, host: Host) -> None:
        state: PlayheadState = on_main(host, host.playhead)
        capture = host.capture()
        assert isinstance(capture, Capture)
        assert capture.frame == state.frame
        assert capture.width > 0 and capture.height > 0
        assert (capture.pixels is None) != (capture.encoded is None)
        if capture.pixels is not None:
            assert tuple(capture.pixels.shape[:2]) == (capture.height, capture.width)

    # --- playhead ---------------------------------------------------------------------------

    def test_set_playhead_moves_the_playhead_and_reports_it(
        self, host: Host, other_frame: int
    ) -> None:
        log = EventLog()
        host.events.playhead_changed = log
        on_main(host, lambda: host.set_playhead(other_frame, False))
        assert log.fired.wait(EVENT_TIMEOUT_S), "set_playhead did not fire playhead_changed"
        state: PlayheadState = on_main(host, host.playhead)
        assert state.frame == other_frame
        assert not state.playing

    def test_events_fire_on_the_main_thread(self, host: Host, other_frame: int) -> None:
        log = EventLog()
        host.events.playhead_changed = log
        main = on_main(host, threading.get_ident)
        on_main(host, lambda: host.set_playhead(other_frame, False))
        assert log.fired.wait(EVENT_TIMEOUT_S)
        assert set(log.threads) == {main}

    def test_capture_follows_the_playhead(self, host: Host, other_frame: int) -> None:
        on_main(host, lambda: host.set_playhead(other_frame, False))
        capture = host.capture()
        assert capture is not None and capture.frame == other_frame

    def test_anchor_is_at_the_playhead(self, host: Host, other_frame: int) -> None:
        on_main(host, lambda: host.set_playhead(other_frame, False))
        anchor: Anchor = on_main(host, host.anchor)
        state: PlayheadState = on_main(host, host.playhead)
        assert anchor.frame == state.frame == other_frame

    # --- notes -----------------------------------------------------------------------------

    def test_an_applied_note_is_stored_replaced_by_its_update_and_removed(self, host: Host) -> None:
        note = note_here(host)
        on_main(host, lambda: host.apply_annotation(note))
        stored = on_main(host, host.stored_annotations)
        assert [n.id for n in stored].count(note.id) == 1
        assert next(n for n in stored if n.id == note.id).text == note.text

        changed = dataclasses.replace(note, text="warmer", status="done")
        on_main(host, lambda: host.apply_annotation(changed))
        stored = on_main(host, host.stored_annotations)
        mine = [n for n in stored if n.id == note.id]
        assert len(mine) == 1
        assert (mine[0].text, mine[0].status) == ("warmer", "done")

        on_main(host, lambda: host.remove_annotation(note.id))
        assert note.id not in {n.id for n in on_main(host, host.stored_annotations)}

    def test_removing_an_unknown_note_is_harmless(self, host: Host) -> None:
        before = list(on_main(host, host.stored_annotations))
        on_main(host, lambda: host.remove_annotation(new_id()))
        assert list(on_main(host, host.stored_annotations)) == before

    # --- threads ----------------------------------------------------------------------------

    def test_run_on_main_runs_on_one_main_thread_that_is_not_the_callers(self, host: Host) -> None:
        seen: list[int] = []
        done = threading.Event()

        def record(last: bool) -> None:
            seen.append(threading.get_ident())
            if last:
                done.set()

        for i in range(5):
            host.run_on_main(lambda last=(i == 4): record(last))
        assert done.wait(EVENT_TIMEOUT_S), "run_on_main did not run the calls"
        assert len(seen) == 5
        assert len(set(seen)) == 1
        assert seen[0] != threading.get_ident()

    def test_run_on_main_keeps_the_order_of_calls(self, host: Host) -> None:
        order: list[int] = []
        for i in range(20):
            host.run_on_main(lambda i=i: order.append(i))
        on_main(host, lambda: None)
        assert order == list(range(20))

    def test_call_on_main_returns_the_value_and_raises_the_error(self, host: Host) -> None:
        assert host.call_on_main(lambda: 42) == 42
        assert host.call_on_main(threading.get_ident) != threading.get_ident()

        def fail() -> None:
            raise KeyError("no such node")

        with pytest.raises(KeyError, match="no such node"):
            host.call_on_main(fail)
        assert host.call_on_main(lambda: "still alive") == "still alive"

    # --- life cycle ---------------------------------------------------------------------------

    def test_after_stop_events_no_longer_fire(self, host: Host, other_frame: int) -> None:
        log = EventLog()
        host.events.playhead_changed = log
        host.events.image_changed = log
        host.stop()
        on_main(host, lambda: host.set_playhead(other_frame, False))
        on_main(host, lambda: None)  # whatever the move queued has run
        assert not log.threads, "events fired after stop()"

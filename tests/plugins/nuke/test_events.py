"""What NukeHost reports: the playhead from Viewer frame knobs, image changes from upstream.

The fake runs knobChanged as Nuke 13-16 does (a change in a node's open control panel, the
dummy knobs, a Viewer's frame) and updateUI during idle after any change; ``settle()`` lets
it go idle once. The host's updateUI check is unthrottled here (``update_ui_interval_s``
0) unless a test says otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.fakes.nuke_control import on_main, settle, user_sets


class Events:
    def __init__(self, host: Any) -> None:
        self.playhead: list[int] = []
        self.image: list[int] = []
        host.events.playhead_changed = lambda: self.playhead.append(threading.get_ident())
        host.events.image_changed = lambda: self.image.append(threading.get_ident())


@pytest.fixture
def host(nuke_host: Any) -> Iterator[Any]:
    nuke_host.update_ui_interval_s = 0.0
    yield nuke_host


def test_a_knob_set_by_a_script_upstream_is_seen_by_the_update_ui_check(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)
    main = on_main(threading.get_ident)
    on_main(lambda: comp["blur"]["size"].setValue(4.0))  # panel closed: no knobChanged
    assert seen.image == []
    settle()
    assert seen.image == [main]
    on_main(lambda: comp["grade"]["white"].setValue(2.0))
    settle()
    assert len(seen.image) == 2
    settle()  # nothing changed since: nothing more
    assert len(seen.image) == 2 and not seen.playhead


def test_a_knob_changed_in_an_open_panel_is_reported_at_once_and_once(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)
    user_sets(comp["grade"], "white", 1.7)
    assert len(seen.image) == 1  # knobChanged, before Nuke is idle
    settle()
    assert len(seen.image) == 1, "the updateUI check must not report it a second time"


def test_a_script_change_inside_a_group_upstream_is_seen(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    def build() -> Any:
        group = nuke.nodes.Group()
        with group:
            inner = nuke.nodes.Grade(white=1.1)
        group.setInput(0, comp["grade"])
        comp["viewer"].setInput(0, group)
        return inner

    inner = on_main(build)
    settle()
    seen = Events(host)
    on_main(lambda: inner["white"].setValue(3.0))
    settle()
    assert len(seen.image) == 1
    user_sets(inner, "white", 3.5)  # in its open panel: knobChanged names Group1.Grade1
    assert len(seen.image) == 2


def test_unrelated_nodes_and_dag_moves_change_nothing(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)

    def fiddle() -> None:
        comp["other"]["size"].setValue(1.0)  # not above the viewed node
        comp["blur"].setXYpos(50, 50)  # moving a node in the DAG
        comp["blur"].setSelected(True)
        comp["blur"]["label"].setValue("a label")

    on_main(fiddle)
    user_sets(comp["other"], "size", 2.0)
    settle()
    assert seen.image == [] and seen.playhead == []


def test_connecting_a_node_above_makes_its_knobs_count(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)
    on_main(lambda: comp["constant"].setInput(0, None))
    on_main(lambda: comp["blur"].setInput(0, comp["other"]))  # a reconnection upstream
    assert len(seen.image) == 1  # the dummy knob inputChange runs knobChanged
    settle()
    assert len(seen.image) == 1
    user_sets(comp["other"], "size", 3.0)
    assert len(seen.image) == 2
    user_sets(comp["constant"], "color", 0.9)  # no longer upstream
    settle()
    assert len(seen.image) == 2


def test_viewing_another_node_or_changing_the_viewer_process_changes_the_image(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)
    on_main(lambda: comp["viewer"].setInput(0, comp["other"]))
    settle()
    on_main(lambda: comp["viewer"]["viewerProcess"].setValue("rec709 (default)"))
    settle()
    on_main(lambda: nuke.root()["format"].setValue(nuke.Format(64, 32)))
    settle()
    assert len(seen.image) == 3
    assert seen.playhead == []


def test_nuke_17s_rule_knob_changed_for_every_change_reports_each_once(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    nuke._fake.knob_changed_rule = "any"  # Nuke 17.1's documented behaviour
    seen = Events(host)
    on_main(lambda: comp["blur"]["size"].setValue(6.0))
    assert len(seen.image) == 1
    settle()
    assert len(seen.image) == 1


def test_the_update_ui_check_is_throttled_and_still_sees_the_last_change(
    nuke: ModuleType, comp: dict[str, Any], clocked_host: Any, clock: Any
) -> None:
    clocked_host.update_ui_interval_s = 0.3
    seen = Events(clocked_host)
    for size in (1.0, 2.0, 3.0):  # all within the interval: the clock does not move
        on_main(lambda size=size: comp["blur"]["size"].setValue(size))
        settle()
    # the first check reports at once; the later ones wait for the interval: one more check
    assert len(seen.image) == 1
    assert clock.waits() == [pytest.approx(0.3)]
    clock.advance(0.1)
    assert clock.run_due() == 0  # not yet
    clock.advance(0.2)
    assert clock.run_due() == 1
    on_main(lambda: None)  # the deferred check, queued for the main thread, has run
    assert len(seen.image) == 2  # and it saw the last value
    settle()
    assert len(seen.image) == 2 and clock.waits() == []


def test_the_roots_range_set_by_a_script_reports_the_playhead(
    nuke: ModuleType, comp: dict[str, Any], host: Any
) -> None:
    seen = Events(host)
    on_main(lambda: nuke.root()["last_frame"].setValue(1100))
    settle()
    assert len(seen.playhead) == 1 and seen.image == []
    assert on_main(host.playhead).last == 1100


def test_a_frame_change_on_the_viewer_reports_the_playhead_once(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    on_main(lambda: nuke.nodes.Viewer())  # a second viewer: its frame knob fires too
    seen = Events(nuke_host)
    main = on_main(threading.get_ident)
    on_main(lambda: nuke.frame(1003))
    assert seen.playhead == [main]
    assert on_main(nuke_host.playhead).frame == 1003
    on_main(lambda: nuke.activeViewer().frameControl(1))
    assert len(seen.playhead) == 2 and on_main(nuke_host.playhead).frame == 1004
    assert seen.image == []


def test_playhead_has_the_roots_range_and_rate(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    on_main(lambda: nuke.root()["fps"].setValue(23.976))
    state = on_main(nuke_host.playhead)
    assert (state.first, state.last, state.rate, state.playing) == (1001, 1010, 23.976, False)


def test_a_remote_driver_starts_and_stops_playback(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    window = on_main(nuke.activeViewer)
    seen = Events(nuke_host)
    on_main(lambda: nuke_host.set_playhead(1005, True))
    assert window.playing == 1 and on_main(nuke_host.playhead).playing
    on_main(lambda: nuke_host.set_playhead(1005, False))
    assert window.playing is None and not on_main(nuke_host.playhead).playing
    assert len(seen.playhead) == 2  # the move, then the stop


def test_newer_nukes_root_frame_is_used_when_there(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, monkeypatch: Any
) -> None:
    from overshoulder.plugins.nuke.graph import current_frame

    monkeypatch.setattr(nuke.Root, "frame", lambda self: 1234, raising=False)
    assert on_main(current_frame) == 1234


def test_nothing_is_reported_while_capturing_or_after_stop(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    seen = Events(nuke_host)
    nuke_host.capture()  # its temporary nodes' knob changes are not the artist's
    assert seen.image == [] and seen.playhead == []
    on_main(nuke_host.stop)
    on_main(lambda: comp["blur"]["size"].setValue(5.0))
    user_sets(comp["grade"], "white", 1.2)
    settle()
    assert seen.image == []
    assert not nuke._fake.knob_changed.get("*") and not nuke._fake.knob_changed.get("Viewer")
    assert not nuke._fake.update_ui.get("Viewer")

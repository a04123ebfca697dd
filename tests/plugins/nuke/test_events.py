"""What NukeHost reports: the playhead from Viewer frame knobs, image changes from upstream."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from tests.fakes.nuke_control import on_main


class Events:
    def __init__(self, host: Any) -> None:
        self.playhead: list[int] = []
        self.image: list[int] = []
        host.events.playhead_changed = lambda: self.playhead.append(threading.get_ident())
        host.events.image_changed = lambda: self.image.append(threading.get_ident())


def test_a_knob_upstream_of_the_viewed_node_changes_the_image(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    seen = Events(nuke_host)
    main = on_main(threading.get_ident)
    on_main(lambda: comp["blur"]["size"].setValue(4.0))
    assert seen.image == [main]
    on_main(lambda: comp["grade"]["white"].setValue(2.0))
    assert len(seen.image) == 2
    assert not seen.playhead


def test_unrelated_nodes_and_dag_moves_change_nothing(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    seen = Events(nuke_host)

    def fiddle() -> None:
        comp["other"]["size"].setValue(1.0)  # not above the viewed node
        comp["blur"].setXYpos(50, 50)  # moving a node in the DAG
        comp["blur"].setSelected(True)
        comp["blur"]["label"].setValue("a label")

    on_main(fiddle)
    assert seen.image == [] and seen.playhead == []


def test_connecting_a_node_above_makes_its_knobs_count(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    seen = Events(nuke_host)
    on_main(lambda: comp["constant"].setInput(0, None))
    on_main(lambda: comp["blur"].setInput(0, comp["other"]))  # a reconnection upstream
    assert len(seen.image) == 1
    on_main(lambda: comp["other"]["size"].setValue(3.0))
    assert len(seen.image) == 2
    on_main(lambda: comp["constant"]["color"].setValue(0.9))  # no longer upstream
    assert len(seen.image) == 2


def test_viewing_another_node_or_changing_the_viewer_process_changes_the_image(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    seen = Events(nuke_host)
    on_main(lambda: comp["viewer"].setInput(0, comp["other"]))
    on_main(lambda: comp["viewer"]["viewerProcess"].setValue("rec709 (default)"))
    on_main(lambda: nuke.root()["format"].setValue(nuke.Format(64, 32)))
    assert len(seen.image) == 3
    assert seen.playhead == []


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
    assert seen.image == []
    assert not nuke._fake.knob_changed.get("*") and not nuke._fake.knob_changed.get("Viewer")

"""The playhead and change events: Maya's time, units, range, play state, redraws, cleanup."""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import pytest

from overshoulder.plugins.maya.timeunits import fps_of_unit, frame_of
from tests.fakes.maya_control import fake, on_main


class Log:
    def __init__(self) -> None:
        self.seen: list[str] = []
        self.threads: set[int] = set()

    def __call__(self, what: str) -> Any:
        def record() -> None:
            self.seen.append(what)
            self.threads.add(threading.get_ident())

        return record


@pytest.fixture
def log(maya_host: Any) -> Log:
    log = Log()
    maya_host.events.playhead_changed = log("playhead")
    maya_host.events.image_changed = log("image")
    return log


def test_a_time_change_reports_the_playhead_once_per_whole_frame(
    maya_host: Any, cmds: ModuleType, log: Log
) -> None:
    on_main(lambda: cmds.currentTime(1001.3))
    assert log.seen.count("playhead") == 0, "still frame 1001"
    on_main(lambda: cmds.currentTime(1001.5))
    assert log.seen.count("playhead") == 1
    state = on_main(maya_host.playhead)
    assert state.frame == 1002, "sub-frames round half up"
    on_main(lambda: cmds.currentTime(1005))
    assert log.seen.count("playhead") == 2
    assert log.threads == {fake().main_thread.ident}


@pytest.mark.parametrize(
    ("unit", "rate"),
    [
        ("film", 24.0),
        ("ntsc", 30.0),
        ("pal", 25.0),
        ("game", 15.0),
        ("show", 48.0),
        ("palf", 50.0),
        ("ntscf", 60.0),
        ("23.976fps", 24000 / 1001),
        ("29.97fps", 30000 / 1001),
        ("29.97df", 30000 / 1001),
        ("12fps", 12.0),
    ],
)
def test_the_rate_is_the_scenes_time_unit(
    maya_host: Any, cmds: ModuleType, log: Log, unit: str, rate: float
) -> None:
    on_main(lambda: cmds.currentUnit(time=unit))
    state = on_main(maya_host.playhead)
    assert state.rate == pytest.approx(rate, abs=1e-9)
    assert (state.first, state.last) == (1001, 1100)
    if unit != "film":
        assert "playhead" in log.seen, "a unit change re-times the playhead"


def test_unknown_and_clock_units_are_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"'sec'.*not a frame rate"):
        fps_of_unit("sec")
    with pytest.raises(ValueError, match=r"unknown Maya time unit 'fortnight'"):
        fps_of_unit("fortnight")
    assert frame_of(1001.49) == 1001 and frame_of(1001.5) == 1002 and frame_of(-0.5) == 0


def test_range_changes_and_play_state_are_reported(
    maya_host: Any, cmds: ModuleType, log: Log
) -> None:
    on_main(lambda: cmds.playbackOptions(minTime=990, maxTime=1050))
    assert log.seen == ["playhead"]
    state = on_main(maya_host.playhead)
    assert (state.first, state.last, state.playing) == (990, 1050, False)
    on_main(lambda: maya_host.set_playhead(1010, True))
    state = on_main(maya_host.playhead)
    assert (state.frame, state.playing) == (1010, True)
    on_main(lambda: maya_host.set_playhead(1010, False))
    assert not on_main(maya_host.playhead).playing
    assert log.seen.count("playhead") >= 3


def test_selection_camera_and_redraws_report_image_changes(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str], log: Log
) -> None:
    on_main(lambda: cmds.select(shot["arm"]))
    assert "image" in log.seen and "playhead" not in log.seen
    log.seen.clear()
    on_main(lambda: cmds.lookThru("modelPanel4", "persp"))
    assert "image" in log.seen
    log.seen.clear()
    on_main(lambda: cmds.setAttr(shot["arm"] + ".translateX", 3.0))  # an edit redraws
    assert log.seen == ["image"]


def test_stop_removes_every_callback_it_added(maya_host: Any, cmds: ModuleType, log: Log) -> None:
    assert fake().event_callbacks and fake().render_callbacks
    on_main(maya_host.stop)
    assert fake().event_callbacks == {} and fake().render_callbacks == {}
    on_main(lambda: cmds.currentTime(1020))
    on_main(lambda: cmds.select(clear=True))
    assert log.seen == []


def test_a_second_start_adds_no_callbacks_and_only_the_last_stop_removes_them(
    maya_host: Any, cmds: ModuleType, log: Log
) -> None:
    count = fake().callback_count()
    on_main(maya_host.start)  # a second panel's share on the session's one host
    assert fake().callback_count() == count, "no second set of callbacks"
    on_main(maya_host.stop)  # the first panel closes: the second still shares
    assert fake().callback_count() == count
    on_main(lambda: cmds.currentTime(1020))
    assert "playhead" in log.seen
    on_main(maya_host.stop)
    assert fake().callback_count() == 0


def test_play_state_comes_from_the_playing_back_condition_which_is_no_event(
    maya_host: Any, cmds: ModuleType, log: Log
) -> None:
    import maya.api.OpenMaya as om

    with pytest.raises(RuntimeError, match="playingBack"):
        on_main(lambda: om.MEventMessage.addEventCallback("playingBack", lambda *_: None))
    assert [name for name, _fn, _data in fake().condition_callbacks.values()] == ["playingBack"]
    on_main(lambda: cmds.play(state=True))
    assert "playhead" in log.seen and on_main(maya_host.playhead).playing
    on_main(lambda: cmds.play(state=False))

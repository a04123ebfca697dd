"""PlayerHost as follower and as app: following a driver, new renders, autoplay, its main thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from overshoulder.plugins.player import PlayerHost, open_media

from . import media_files


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    media_files.sequence(tmp_path, frames=range(1, 49))
    return tmp_path / "shot.####.exr"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def player(shot: Path, fake_time: FakeTime) -> Iterator[PlayerHost]:
    host = PlayerHost(open_media(shot), autoplay=False, clock=fake_time)
    host.start()
    try:
        yield host
    finally:
        host.close()


def follow(host: PlayerHost, frame: int, playing: bool) -> None:
    host.call_on_main(lambda: host.set_playhead(frame, playing))


def test_a_paused_driver_puts_the_follower_on_exactly_its_frame(
    player: PlayerHost, fake_time: FakeTime
) -> None:
    follow(player, 20, True)
    fake_time.now += 0.5
    follow(player, 7, False)
    state = player.playhead()
    assert (state.frame, state.playing) == (7, False)


def test_while_both_play_a_one_frame_drift_is_left_to_the_followers_clock(
    player: PlayerHost, fake_time: FakeTime
) -> None:
    follow(player, 10, True)
    fake_time.now += 2 / 24
    player.call_on_main(player.sync)
    assert player.playhead().frame == 12
    follow(player, 11, True)  # the driver's message was a frame behind: no jump back
    assert player.playhead().frame == 12
    follow(player, 30, True)  # a real jump (the driver seeked)
    state = player.playhead()
    assert (state.frame, state.playing) == (30, True)


def test_a_drivers_frame_outside_the_range_is_clamped(player: PlayerHost) -> None:
    follow(player, 5000, False)
    assert player.playhead().frame == 48
    follow(player, -3, False)
    assert player.playhead().frame == 1


def test_a_new_render_of_the_frame_under_the_playhead_reports_a_changed_image(
    shot: Path, player: PlayerHost, fake_time: FakeTime
) -> None:
    changed = threading.Event()
    player.events.image_changed = changed.set
    for _ in range(2):  # the first look only notes the file's state
        fake_time.now += 2.0
        player.call_on_main(lambda: None)
        player.call_on_main(lambda: None)
    assert not changed.is_set()
    media_files.write_image(shot.parent / "shot.0001.exr", media_files.frame_pixels(40))
    fake_time.now += 2.0
    player.call_on_main(lambda: None)
    player.call_on_main(lambda: None)
    assert changed.wait(5)
    capture = player.capture()
    assert capture is not None and capture.frame == 1


def test_playback_starts_when_sharing_starts_unless_told_not_to(
    shot: Path, fake_time: FakeTime
) -> None:
    host = PlayerHost(open_media(shot), clock=fake_time)
    try:
        host.call_on_main(lambda: None)
        assert not host.playhead().playing
        host.start()
        host.call_on_main(lambda: None)
        assert host.playhead().playing
    finally:
        host.close()


def test_the_controls_move_the_playhead_from_any_thread(
    player: PlayerHost, fake_time: FakeTime
) -> None:
    player.seek(10)
    player.step(1)
    player.step(-3)
    player.call_on_main(lambda: None)
    assert player.playhead().frame == 8
    player.toggle_play()
    player.call_on_main(lambda: None)
    fake_time.now += 1.0
    player.call_on_main(player.sync)
    assert player.playhead().frame == 8 + 24
    player.pause()
    player.set_loop(False)
    player.call_on_main(lambda: None)
    assert not player.playhead().playing and not player.loop


def test_call_on_main_from_the_main_thread_runs_at_once(player: PlayerHost) -> None:
    inner = player.call_on_main(lambda: player.call_on_main(lambda: "nested", timeout=0.5))
    assert inner == "nested"


def test_a_failing_call_on_the_main_thread_does_not_stop_it(player: PlayerHost) -> None:
    player.run_on_main(lambda: 1 / 0)  # type: ignore[func-returns-value]
    assert player.call_on_main(lambda: "alive") == "alive"


def test_every_frame_playback_waits_for_each_capture_and_skips_none(
    shot: Path, fake_time: FakeTime
) -> None:
    host = PlayerHost(open_media(shot), autoplay=False, clock=fake_time, every_frame=True)
    host.start()
    try:
        host.play()
        host.call_on_main(lambda: None)
        captured = [host.capture().frame]  # type: ignore[union-attr]
        for _ in range(5):
            fake_time.now += 10 / 24  # ten frame times pass for each read
            host.sync()
            host.call_on_main(lambda: None)
            captured.append(host.capture().frame)  # type: ignore[union-attr]
        assert captured == list(range(1, 7)), "one frame on per capture, none skipped"
        host.call_on_main(lambda: None)
        assert host.playhead().playing

        free = PlayerHost(open_media(shot), autoplay=False, clock=fake_time)
        free.start()
        try:
            free.play()
            free.call_on_main(lambda: None)
            free.capture()
            fake_time.now += 10 / 24
            free.sync()
            free.call_on_main(lambda: None)
            assert free.capture().frame == 11  # type: ignore[union-attr]  # real time: skips
        finally:
            free.close()
    finally:
        host.close()

"""The playback clock: play, pause, step, seek and loop as a function of time, without drift."""

from __future__ import annotations

import pytest

from overshoulder.plugins.player import PlaybackClock


def test_playing_advances_one_frame_per_frame_time_from_where_play_started() -> None:
    clock = PlaybackClock(1001, 1100, 24.0)
    clock.play(10.0)
    assert clock.until_next(10.0) == pytest.approx(1 / 24)
    assert not clock.advance(10.0 + 0.5 / 24)
    assert clock.advance(10.0 + 1 / 24) and clock.frame == 1002
    clock.advance(10.0 + 2.0)  # a late tick skips frames; the clock does not slow down
    assert clock.frame == 1001 + 48


def test_looping_wraps_and_one_shot_stops_on_the_last_frame() -> None:
    looping = PlaybackClock(1, 10, 10.0)
    looping.play(0.0)
    looping.advance(1.25)  # 12 frames later
    assert (looping.frame, looping.playing) == (3, True)

    once = PlaybackClock(1, 10, 10.0, loop=False)
    once.play(0.0)
    assert once.advance(5.0)
    assert (once.frame, once.playing) == (10, False)
    once.play(6.0)  # play at the end starts over
    assert once.frame == 1 and once.playing


def test_pause_keeps_the_frame_and_seek_while_playing_plays_on_from_there() -> None:
    clock = PlaybackClock(0, 99, 24.0)
    clock.play(0.0)
    clock.pause(0.5)
    assert (clock.frame, clock.playing) == (12, False)
    assert clock.until_next(0.6) is None
    assert not clock.advance(5.0) and clock.frame == 12
    clock.play(5.0)
    clock.seek(50, 5.0)
    clock.advance(5.0 + 2 / 24)
    assert clock.frame == 52


def test_step_pauses_and_wraps_when_looping_and_clamps_when_not() -> None:
    clock = PlaybackClock(1, 5, 24.0, frame=5)
    clock.play(0.0)
    clock.step(1, 0.0)
    assert (clock.frame, clock.playing) == (1, False)
    clock.step(-1, 0.0)
    assert clock.frame == 5
    clock.set_loop(False, 0.0)
    clock.step(3, 0.0)
    assert clock.frame == 5
    clock.seek(-100, 0.0)
    assert clock.frame == 1


def test_an_empty_range_or_a_rate_of_zero_is_refused() -> None:
    with pytest.raises(ValueError):
        PlaybackClock(10, 9, 24.0)
    with pytest.raises(ValueError):
        PlaybackClock(1, 9, 0.0)


def test_a_hold_makes_playback_wait_there_and_slip_instead_of_skipping() -> None:
    clock = PlaybackClock(1, 10, 10.0)
    clock.play(0.0)
    clock.hold = 3
    clock.advance(0.55)  # five frame times: the clock stops at the hold
    assert clock.frame == 3
    clock.advance(0.9)
    assert clock.frame == 3
    clock.hold = clock.after(3)  # the frame was read: one more may come
    clock.advance(0.95)  # not yet a frame time since it waited at 3
    assert clock.frame == 3
    clock.advance(1.0)
    assert clock.frame == 4
    clock.hold = None  # free again: real time, from where it slipped to
    clock.advance(1.3)
    assert clock.frame == 7


def test_a_hold_behind_the_loop_end_is_reached_by_wrapping_and_seek_clears_it() -> None:
    clock = PlaybackClock(1, 10, 10.0)
    clock.seek(9, 0.0)
    clock.play(0.0)
    clock.hold = clock.after(10)
    assert clock.hold == 1
    clock.advance(0.5)  # 9 -> 10 -> 1, then held
    assert clock.frame == 1
    clock.seek(5, 0.6)
    assert clock.hold is None
    clock.advance(0.8)
    assert clock.frame == 7
    one_shot = PlaybackClock(1, 10, 10.0, loop=False)
    assert one_shot.after(10) == 10 and one_shot.ahead(2, of=5) == -3

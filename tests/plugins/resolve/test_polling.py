"""What the adapter notices by polling (Resolve has no events), what it costs, and following."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest

from overshoulder.core.codec import decode_jpeg
from overshoulder.plugins.resolve import defaults
from overshoulder.plugins.resolve.host import PAGE_WARNING, ResolveHost
from tests.fakes import resolve_control
from tests.fakes.resolve_control import HEIGHT, REEL_START, WIDTH
from tests.waiting import wait_for


class Events:
    """Every event the host reports, with the thread it came on."""

    def __init__(self, host: ResolveHost) -> None:
        self.playhead = 0
        self.timeline = 0
        self.warnings: dict[str, Any] = {}
        self.threads: set[int] = set()
        host.events.playhead_changed = self._playhead
        host.events.timeline_changed = self._timeline
        host.events.warning = self._warning

    def _playhead(self) -> None:
        self.playhead += 1
        self.threads.add(threading.get_ident())

    def _timeline(self) -> None:
        self.timeline += 1

    def _warning(self, key: str, text: Any) -> None:
        self.warnings[key] = text


def test_a_seek_in_resolve_is_noticed_within_two_polls(resolve: Any, resolve_host: Any) -> None:
    events = Events(resolve_host)
    started = time.monotonic()
    resolve_control.timeline(resolve).seek(REEL_START + 77)
    assert wait_for(lambda: resolve_host.playhead().frame == REEL_START + 77, 2)
    assert time.monotonic() - started < 2 * defaults.PLAYHEAD_POLL_S + 0.1
    assert events.playhead >= 1
    assert events.threads == {resolve_host.call_on_main(threading.get_ident)}


def test_playback_is_told_apart_from_a_seek_and_its_end_noticed(
    resolve: Any, resolve_host: Any
) -> None:
    timeline = resolve_control.timeline(resolve)
    timeline.play()
    assert wait_for(lambda: resolve_host.playhead().playing, 2), "playback not noticed"
    timeline.stop()
    assert wait_for(lambda: not resolve_host.playhead().playing, 2), "the stop not noticed"
    assert resolve_host.playhead().frame == timeline.frame()


def test_following_a_playing_driver_steps_the_playhead_on_its_clock(
    resolve: Any, resolve_host: Any
) -> None:
    resolve_host.call_on_main(lambda: resolve_host.set_playhead(REEL_START + 10, True))
    began = time.monotonic()
    time.sleep(0.6)
    frame = resolve_control.timeline(resolve).frame()
    expected = REEL_START + 10 + (time.monotonic() - began) * 24
    assert abs(frame - expected) <= 1.5, (frame, expected)
    resolve_host.call_on_main(lambda: resolve_host.set_playhead(REEL_START + 30, False))
    time.sleep(0.2)
    assert resolve_control.timeline(resolve).frame() == REEL_START + 30


def test_capture_is_the_still_of_the_clip_at_the_playhead(resolve: Any, resolve_host: Any) -> None:
    dvr = resolve_control.install()
    resolve_host.call_on_main(lambda: resolve_host.set_playhead(REEL_START + 50, False))
    capture = resolve_host.capture()
    assert capture is not None and capture.frame == REEL_START + 50
    assert (capture.width, capture.height, capture.codec) == (WIDTH, HEIGHT, "jpeg")
    expected = dvr.pattern_pixels("sh020", 1011, WIDTH, HEIGHT)
    assert np.abs(decode_jpeg(capture.encoded).astype(int) - expected).mean() < 4
    assert capture.source is not None and capture.source.label == "sh020"
    assert not list(resolve_host._temp.glob("still-*")), "the temporary still is deleted"


def test_pages_without_a_playhead_are_warned_about_and_the_warning_goes(
    resolve: Any, resolve_host: Any
) -> None:
    events = Events(resolve_host)
    resolve.OpenPage("fusion")
    assert wait_for(lambda: events.warnings.get(PAGE_WARNING), defaults.CONNECTION_POLL_S + 2)
    assert "Fusion page" in events.warnings[PAGE_WARNING]
    assert resolve_host.capture() is None
    resolve.OpenPage("color")
    assert wait_for(
        lambda: PAGE_WARNING in events.warnings and not events.warnings[PAGE_WARNING], 5
    )


def test_an_edit_re_shares_the_cut(resolve: Any, resolve_host: Any) -> None:
    events = Events(resolve_host)
    resolve_control.trim(resolve, "sh020", 8)
    assert wait_for(lambda: events.timeline >= 1, defaults.STRUCTURE_POLL_S + 2)
    cut = resolve_host.timeline()
    assert [c.duration for c in cut.clips if c.name == "sh020"] == [44]


def test_quitting_resolve_is_noticed_and_told(resolve: Any, resolve_host: Any) -> None:
    gone = threading.Event()
    resolve_host.on_disconnect.append(gone.set)
    resolve_control.quit_resolve(resolve)
    assert gone.wait(defaults.CONNECTION_POLL_S + 2)
    assert not resolve_host.connected


def test_what_polling_costs(resolve: Any, resolve_host: Any) -> None:
    """Calls per second into Resolve while idle, and the time one playhead poll takes here.

    docs/resolve.md quotes these numbers; the cost in Resolve is per call (an IPC round trip).
    """
    dvr = resolve_control.install()
    time.sleep(0.3)
    before = dict(dvr.calls)
    seconds = 3.0
    time.sleep(seconds)
    made = {k: v - before.get(k, 0) for k, v in dvr.calls.items() if v - before.get(k, 0)}
    per_second = sum(made.values()) / seconds
    polls = made.get("Timeline.GetCurrentTimecode", 0) / seconds
    assert 0.6 / defaults.PLAYHEAD_POLL_S <= polls <= 1.2 / defaults.PLAYHEAD_POLL_S
    # Idle: the playhead poll, the page/connection check, the shape check; no exports.
    assert per_second < 1.6 / defaults.PLAYHEAD_POLL_S, made
    assert "Project.ExportCurrentFrameAsStill" not in made  # nobody asked for a capture
    n = 2000
    began = time.perf_counter()
    for _ in range(n):
        resolve_host.call_on_main(lambda: resolve_host._poll_playhead(report=False))
    per_poll = (time.perf_counter() - began) / n
    print(
        f"\nidle: {per_second:.1f} calls/s ({made}); one poll, thread hop included: "
        f"{per_poll * 1e6:.0f} us"
    )
    assert per_poll < 0.005


@pytest.mark.parametrize("rate", ["29.97"])
def test_drop_frame_timelines_are_followed_frame_exactly(rate: str, tmp_path: Any) -> None:
    resolve = resolve_control.open_resolve(rate=rate, drop=True)
    host = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "notes")
    try:
        host.call_on_main(host.start)
        timeline = resolve_control.timeline(resolve)
        for frame in (107892 + 3, 107892 + 100, 107892 + 194):
            host.call_on_main(lambda f=frame: host.set_playhead(f, False))
            assert timeline.frame() == frame
            assert ";" in timeline.GetCurrentTimecode()
            timeline.seek(frame - 3)
            assert wait_for(lambda f=frame: host.playhead().frame == f - 3, 2)
    finally:
        host.close()
        resolve_control.not_running()

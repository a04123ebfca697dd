"""The playback clock: frame, rate, play/pause, loop, step and seek, driven by a time source."""

from __future__ import annotations

import math
from typing import Optional


class PlaybackClock:
    """Where playback is, as a pure function of time.

    While playing, the frame is ``anchor_frame + floor((now - anchor_time) * rate)``:
    no drift however late the ticks come. At the end it wraps to ``first`` when
    looping, else it stops on ``last``. Every method takes ``now`` (seconds,
    monotonic) so tests can run it without waiting. Not thread-safe: the
    player's main thread owns it.

    ``hold``: a frame playback may reach but not pass until it is moved on (the
    player sets it to the frame after the last one it captured, so a slow reader
    makes playback wait instead of skipping frames reviewers would never see).
    Waiting at it slips the clock; seeking, stepping and playing clear it.
    """

    def __init__(
        self,
        first: int,
        last: int,
        rate: float,
        *,
        frame: Optional[int] = None,
        loop: bool = True,
    ) -> None:
        if last < first:
            raise ValueError(f"empty range {first}..{last}")
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.first = first
        self.last = last
        self.rate = float(rate)
        self.loop = loop
        self.frame = self.clamp(first if frame is None else frame)
        self.playing = False
        self.hold: Optional[int] = None
        self._done = 0  # frames played since the anchor, at the last advance
        self._anchor_time = 0.0
        self._anchor_frame = self.frame

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def clamp(self, frame: int) -> int:
        return min(max(int(frame), self.first), self.last)

    def play(self, now: float) -> None:
        if self.playing:
            return
        if not self.loop and self.frame >= self.last:
            self.frame = self.first  # play at the end of a one-shot range: from the start
        self.playing = True
        self._anchor(now)

    def pause(self, now: float) -> None:
        if self.playing:
            self.advance(now)
            self.playing = False

    def seek(self, frame: int, now: float) -> None:
        self.frame = self.clamp(frame)
        self._anchor(now)

    def step(self, frames: int, now: float) -> None:
        """Move ``frames`` (negative: back) and pause; wraps when looping."""
        self.pause(now)
        target = self.frame + frames
        if self.loop:
            target = self.first + (target - self.first) % self.length
        self.seek(target, now)

    def set_loop(self, loop: bool, now: float) -> None:
        self.advance(now)
        self.loop = loop
        self._anchor(now)

    def advance(self, now: float) -> bool:
        """Bring ``frame`` up to ``now``; True when it changed (or playback stopped)."""
        if not self.playing:
            return False
        elapsed = max(0, math.floor((now - self._anchor_time) * self.rate + 1e-9))
        before = self.frame
        if self.hold is not None and elapsed - self._done > max(0, self.ahead(self.hold)):
            # Wait at the hold: the clock slips, and runs on from here once it moves.
            self.frame = self.hold
            self._anchor_frame, self._anchor_time, self._done = self.hold, now, 0
            return self.frame != before
        self._done = elapsed
        target = self._anchor_frame + elapsed
        if target > self.last:
            if self.loop:
                target = self.first + (target - self.first) % self.length
            else:
                self.frame = self.last
                self.playing = False
                return True
        self.frame = target
        return self.frame != before

    def ahead(self, frame: int, of: Optional[int] = None) -> int:
        """Frames from ``of`` (default: the current frame) forward to ``frame`` in playback
        order (wrapping when looping); negative when ``frame`` is behind on a one-shot range."""
        start = self.frame if of is None else of
        if self.loop:
            return (frame - start) % self.length
        return frame - start

    def after(self, frame: int) -> int:
        """The frame playback shows after ``frame``."""
        if frame >= self.last:
            return self.first if self.loop else self.last
        return frame + 1

    def until_next(self, now: float) -> Optional[float]:
        """Seconds until the frame changes on its own (None while paused)."""
        if not self.playing:
            return None
        elapsed = (now - self._anchor_time) * self.rate
        next_tick = (math.floor(elapsed + 1e-9) + 1) / self.rate
        return max(0.0, next_tick - (now - self._anchor_time))

    def _anchor(self, now: float) -> None:
        self.hold = None
        self._done = 0
        self._anchor_time = now
        self._anchor_frame = self.frame

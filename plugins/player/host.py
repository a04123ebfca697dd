"""``PlayerHost``: the Host contract over a playlist on disk, with its own main thread and clock."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

import numpy as np

from overshoulder.core.codec import ColorUnavailable, DisplayTransform
from overshoulder.core.host import Capture, Host, PlayheadState
from overshoulder.core.model import Anchor, Annotation, HostObject, ImageRef, RationalTime

from .clock import PlaybackClock
from .defaults import FILE_WATCH_S, FOLLOW_TOLERANCE_FRAMES
from .errors import FrameUnreadable
from .images import LINEAR_REC709, FrameImage
from .mainloop import MainLoop
from .media import Clip, Playlist
from .notes import NoteBook
from .slate import render_slate

log = logging.getLogger("overshoulder.player")

#: What identifies the image under the playhead: timeline frame, file, (mtime, size) or None.
_ImageKey = tuple[int, str, Optional[tuple[int, int]]]


class PlayerHost(Host):
    """A small player: plays a ``Playlist`` on a clock and shows it to the session.

    Its main thread (a queue plus the playback timer) stands in for an app's UI
    thread: ``run_on_main`` posts to it, the clock ticks on it, and every event
    fires from it. ``capture`` reads the frame under the playhead with
    OpenImageIO on the caller's thread; a frame that cannot be read becomes a
    slate naming the file, the frame and why, and playback goes on.

    The controls (``play``, ``pause``, ``step``, ``seek``, ...) may be called
    from any thread; they run on the main thread. Notes received are kept per
    frame in ``notes`` (a ``NoteBook``).
    """

    name = "player"

    def __init__(
        self,
        playlist: Playlist,
        *,
        loop: bool = True,
        autoplay: bool = True,
        frame: Optional[int] = None,
        notes: Optional[NoteBook] = None,
        clock: Callable[[], float] = time.monotonic,
        every_frame: bool = False,
    ) -> None:
        """``every_frame``: playback never runs more than one frame ahead of the last frame
        captured (shared), so reviewers get every frame and a slow read slows playback
        down; off, the clock keeps real time and frames read too late are skipped."""
        super().__init__()
        self.every_frame = every_frame
        self.playlist = playlist
        self.notes = notes if notes is not None else NoteBook()
        self._now = clock
        self._lock = threading.RLock()
        self._clock = PlaybackClock(
            playlist.first, playlist.last, playlist.rate, frame=frame, loop=loop
        )
        self._autoplay = autoplay
        self._reported = (self._clock.frame, self._clock.playing, self._clock.loop)
        self._reporting = False
        self._started_once = False
        self._capture_lock = threading.Lock()
        self._last_capture: Optional[tuple[_ImageKey, Capture]] = None
        self._problems: dict[int, FrameUnreadable] = {}
        self._colorspaces: dict[str, str] = {}
        self._next_watch = 0.0
        self._watched: Optional[_ImageKey] = None
        self._main = MainLoop(self._tick)

    # --- controls (any thread) -------------------------------------------------------------

    def play(self) -> None:
        self._on_main(lambda: self._change(lambda now: self._clock.play(now)))

    def pause(self) -> None:
        self._on_main(lambda: self._change(lambda now: self._clock.pause(now)))

    def toggle_play(self) -> None:
        def toggle(now: float) -> None:
            if self._clock.playing:
                self._clock.pause(now)
            else:
                self._clock.play(now)

        self._on_main(lambda: self._change(toggle))

    def step(self, frames: int = 1) -> None:
        """Move ``frames`` (negative: back) and pause."""
        self._on_main(lambda: self._change(lambda now: self._clock.step(frames, now)))

    def seek(self, frame: int) -> None:
        """Go to timeline ``frame`` (clamped to the playlist), playing on if playing."""
        self._on_main(lambda: self._change(lambda now: self._clock.seek(frame, now)))

    def set_loop(self, loop: bool) -> None:
        self._on_main(lambda: self._change(lambda now: self._clock.set_loop(loop, now)))

    def sync(self) -> None:
        """Bring the playhead up to the clock now and report it.

        The main loop does this by itself; tests with a fake clock call it.
        """
        self._on_main(lambda: self._change(lambda now: None))

    @property
    def loop(self) -> bool:
        return self._clock.loop

    def problem(self, frame: int) -> Optional[FrameUnreadable]:
        """Why ``frame`` was last shown as a slate (None: it read fine, or was not read yet)."""
        with self._lock:
            return self._problems.get(frame)

    def close(self) -> None:
        """Stop reporting and end the main thread (the app quits)."""
        self.stop()
        self._main.close()

    # --- Host: pixels ---------------------------------------------------------------------------

    def capture(self) -> Optional[Capture]:
        with self._lock:
            frame = self._clock.frame
        clip, source_frame = self.playlist.locate(frame)
        path = clip.path(source_frame)
        key = (frame, str(path), _stamp(path))
        with self._capture_lock:
            if self._last_capture is not None and self._last_capture[0] == key:
                self._captured(frame)
                return self._last_capture[1]
        source = self._object(clip, source_frame)
        matrix: Optional[tuple[float, ...]] = None
        try:
            image = clip.read(source_frame)
            pixels, colorspace = image.pixels, self._usable(image.colorspace, image)
            matrix, label = self._colour(colorspace, image)
            self._solved(frame)
        except FrameUnreadable as problem:
            self._report(frame, problem)
            pixels, colorspace = render_slate(problem, clip.width, clip.height), "sRGB"
            label = "sRGB (slate)"
        capture = Capture(
            frame=frame,
            width=int(pixels.shape[1]),
            height=int(pixels.shape[0]),
            pixels=pixels,
            colorspace=colorspace,
            matrix=matrix,
            colorspace_label=label,
            version=path.name,
            source=source,
        )
        with self._capture_lock:
            self._last_capture = (key, capture)
        self._captured(frame)
        return capture

    def _captured(self, frame: int) -> None:
        """With ``every_frame``: playback may go on to the frame after ``frame``."""
        if not self.every_frame:
            return
        with self._lock:
            clock = self._clock
            if not clock.playing:
                return
            if clock.frame == frame:
                clock.hold = clock.after(frame)
            elif clock.hold is None:  # the first capture after a play or a seek came late
                clock.hold = clock.after(clock.frame)
            else:
                return
        self._on_main(lambda: self._change(lambda now: None))

    def display_image(self, frame: int) -> Any:
        """Timeline ``frame`` as reviewers see it: H x W x 3 uint8 sRGB (a slate if unreadable)."""
        clip, source_frame = self.playlist.locate(frame)
        try:
            image = clip.read(source_frame)
        except FrameUnreadable as problem:
            return render_slate(problem, clip.width, clip.height)
        colorspace = self._usable(image.colorspace, image)
        matrix, _ = self._colour(colorspace, image)
        return DisplayTransform(colorspace, matrix=matrix).apply(image.pixels)

    # --- Host: playhead -----------------------------------------------------------------------

    def playhead(self) -> PlayheadState:
        with self._lock:
            return PlayheadState(
                frame=self._clock.frame,
                rate=self._clock.rate,
                playing=self._clock.playing,
                first=self.playlist.first,
                last=self.playlist.last,
                timeline_id=self.playlist.timeline_id,
            )

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        """Follow a driver: go to ``frame``; while both play, small drift is left to our clock."""

        def follow(now: float) -> None:
            clock = self._clock
            target = clock.clamp(frame)
            if target != frame:
                log.info("the driver's frame %d is outside %d-%d", frame, clock.first, clock.last)
            if playing is False:
                clock.pause(now)
            near = abs(clock.frame - target) <= FOLLOW_TOLERANCE_FRAMES
            if not (playing and clock.playing and near):
                clock.seek(target, now)
            if playing:
                clock.play(now)

        self._on_main(lambda: self._change(follow))

    # --- Host: notes ----------------------------------------------------------------------------

    def anchor(self) -> Anchor:
        with self._lock:
            frame, rate = self._clock.frame, self._clock.rate
        clip, source_frame = self.playlist.locate(frame)
        return Anchor(
            frame=frame,
            time=RationalTime(value=float(frame), rate=rate),
            object=self._object(clip, source_frame),
            image=ImageRef(version=clip.path(source_frame).name),
        )

    def select(self, obj: HostObject) -> bool:
        """Jump to the clip (and its frame) a note names."""
        if obj.kind != "player.clip":
            return False
        frame = self.playlist.find(obj.path, obj.item_frame)
        if frame is None:
            return False
        self.seek(frame)
        return True

    def apply_annotation(self, annotation: Annotation) -> None:
        self.notes.put(annotation)

    def remove_annotation(self, annotation_id: str) -> None:
        self.notes.remove(annotation_id)

    def stored_annotations(self) -> Sequence[Annotation]:
        return self.notes.all()

    # --- Host: threads and life cycle -----------------------------------------------------------

    def run_on_main(self, fn: Callable[[], None]) -> None:
        self._main.post(fn)

    def is_main_thread(self) -> bool:
        return self._main.on_thread()

    @property
    def main_thread(self) -> threading.Thread:
        return self._main.thread

    def start(self) -> None:
        with self._lock:
            self._reporting = True
            first = not self._started_once
            self._started_once = True
        if first and self._autoplay:
            self.play()

    def stop(self) -> None:
        with self._lock:
            self._reporting = False

    # --- the main thread ------------------------------------------------------------------------

    def _on_main(self, fn: Callable[[], None]) -> None:
        if self._main.on_thread():
            fn()
        else:
            self._main.post(fn)

    def _change(self, action: Callable[[float], None]) -> None:
        """Run ``action(now)`` on the clock, then report what changed."""
        with self._lock:
            now = self._now()
            self._clock.advance(now)
            action(now)
        self._report_playhead()

    def _tick(self) -> Optional[float]:
        with self._lock:
            now = self._now()
            self._clock.advance(now)
            wait = self._clock.until_next(now)
        self._report_playhead()
        if now >= self._next_watch:
            self._next_watch = now + FILE_WATCH_S
            self._watch_file()
        until_watch = max(0.0, self._next_watch - now)
        return until_watch if wait is None else min(wait, until_watch)

    def _report_playhead(self) -> None:
        """``playhead_changed`` when frame, play state or loop differ from the last report."""
        with self._lock:
            state = (self._clock.frame, self._clock.playing, self._clock.loop)
            if state == self._reported:
                return
            self._reported = state
        self._fire(self.events.playhead_changed)

    def _watch_file(self) -> None:
        """A new render of the frame under the playhead: the image changed, the frame did not."""
        with self._lock:
            frame = self._clock.frame
        clip, source_frame = self.playlist.locate(frame)
        path = clip.path(source_frame)
        key = (frame, str(path), _stamp(path))
        seen, self._watched = self._watched, key
        if seen is not None and seen[:2] == key[:2] and seen[2] != key[2]:
            log.info("%s changed on disk", path.name)
            self._fire(self.events.image_changed)

    def _fire(self, event: Callable[[], None]) -> None:
        with self._lock:
            if not self._reporting:
                return
        try:
            event()
        except Exception:
            log.exception("a player event handler failed")

    # --- pieces -------------------------------------------------------------------------------

    def _object(self, clip: Clip, source_frame: int) -> HostObject:
        return HostObject(
            kind="player.clip", path=clip.media_path, label=clip.name, item_frame=source_frame
        )

    def _usable(self, colorspace: str, image: FrameImage) -> str:
        """``colorspace`` if the OCIO config knows it, else the default for the pixel type.

        A name from a file's metadata that the config lacks would make the encoder
        refuse every frame; the frame is shown (and this said once) instead.
        """
        with self._lock:
            known = self._colorspaces.get(colorspace)
        if known is None:
            try:
                DisplayTransform(colorspace).check()
                known = colorspace
            except (ValueError, ColorUnavailable) as exc:
                known = "sRGB" if np.issubdtype(image.pixels.dtype, np.integer) else _linear()
                log.warning(
                    "%s: colour space %r cannot be used (%s); showing it as %s "
                    "(--colorspace sets it)",
                    image.path.name,
                    colorspace,
                    exc,
                    known,
                )
            with self._lock:
                self._colorspaces[colorspace] = known
        return known

    def _colour(
        self, colorspace: str, image: FrameImage
    ) -> tuple[Optional[tuple[float, ...]], str]:
        """The primaries matrix and the badge's words for ``image`` taken as ``colorspace``."""
        if image.colour is None:
            return None, colorspace
        if colorspace != image.colorspace:  # the config lacks the file's space: see _usable
            linear = not np.issubdtype(image.pixels.dtype, np.integer)
            label = f"{colorspace} (fallback: {image.colorspace})"
            return (image.matrix if linear else None), label
        return image.matrix, image.colour.label

    def _report(self, frame: int, problem: FrameUnreadable) -> None:
        with self._lock:
            known = self._problems.get(frame)
            self._problems[frame] = problem
        if known is None or known.reason != problem.reason:
            log.warning("frame %d cannot be shown: %s: %s", frame, problem.path, problem.reason)

    def _solved(self, frame: int) -> None:
        with self._lock:
            if self._problems.pop(frame, None) is not None:
                log.info("frame %d reads fine again", frame)


def _linear() -> str:
    """Linear Rec.709 when the OCIO config has it, else its ``scene_linear`` role."""
    try:
        DisplayTransform(LINEAR_REC709).check()
    except (ValueError, ColorUnavailable):
        return "scene_linear"
    return LINEAR_REC709


def _stamp(path: os.PathLike[str]) -> Optional[tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size

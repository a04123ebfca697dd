"""``ResolveHost``: the Host contract on DaVinci Resolve's scripting API."""

from __future__ import annotations

import dataclasses
import functools
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import simplejpeg

from overshoulder.core.host import Capture, Host, PlayheadState
from overshoulder.core.model import Anchor, Annotation, HostObject, ImageRef, RationalTime
from overshoulder.core.protocol.messages import SharedTimeline, TimelineClip
from overshoulder.core.settings import config_dir

from .connection import page_warning
from .cut import CutError, read_cut
from .defaults import (
    CALL_TIMEOUT_S,
    CONNECTION_POLL_S,
    FOLLOW_STEP_S,
    MARKER_POLL_S,
    PAUSED_REFRESH_S,
    PLAYBACK_CAPTURE_INTERVAL_S,
    PLAYHEAD_POLL_S,
    STRUCTURE_POLL_S,
)
from .markers import ITEM_KIND, ItemIndex, ItemSpan, MarkerBook, NoteSidecar, last_frame
from .timecode import TimelineRate, parse_rate, to_frame, to_timecode
from .worker import AdapterThread

if TYPE_CHECKING:
    from fusionscript import Project, Resolve, Timeline

log = logging.getLogger("overshoulder.resolve")

#: Warning keys (``HostEvents.warning``).
PAGE_WARNING = "resolve.page"
TIMELINE_WARNING = "resolve.timeline"
CONNECTION_WARNING = "resolve.connection"


@dataclass
class _FollowClock:
    """A playing driver's position, run here: Resolve's API cannot start playback."""

    frame: int
    since: float
    rate: float
    last: Optional[int]

    def now(self) -> int:
        frame = self.frame + int((time.monotonic() - self.since) * self.rate)
        return min(frame, self.last) if self.last is not None else frame


class ResolveHost(Host):
    """The timeline open in Resolve, as the shared parts of Overshoulder see it.

    - Every call into Resolve runs on one thread (``AdapterThread``, the adapter's main
      thread); ``playhead``, ``anchor`` and ``timeline`` answer from what that thread last
      read when called elsewhere, so the Qt panel never waits for Resolve.
    - The playhead is polled (``GetCurrentTimecode``, every ``PLAYHEAD_POLL_S``): Resolve has
      no events. Frames advancing at the timeline's rate mean it plays.
    - Following a playing driver steps the playhead on a local clock (``FOLLOW_STEP_S``).
    - ``capture`` exports the current frame as a JPEG still (``ExportCurrentFrameAsStill``),
      at most every ``PLAYBACK_CAPTURE_INTERVAL_S`` while the playhead runs; while paused the
      still is refreshed every ``PAUSED_REFRESH_S``.
    - The cut is the timeline's OTIO export, re-read when its shape changes.
    - Notes are markers (``MarkerBook``); a marker the editor deletes resolves its note.
    """

    name = "resolve"

    def __init__(
        self,
        resolve: Resolve,
        *,
        temp_dir: Optional[str] = None,
        notes_dir: Optional[Path] = None,
    ) -> None:
        super().__init__()
        self.resolve = resolve
        self.connected = True
        #: Called (on the adapter's thread) once Resolve has gone away.
        self.on_disconnect: list[Callable[[], None]] = []
        self._temp = Path(tempfile.mkdtemp(prefix="overshoulder-resolve-", dir=temp_dir))
        self._notes_dir = notes_dir or config_dir() / "resolve"
        self._project: Optional[Project] = None
        self._project_uid = ""
        self._timeline: Optional[Timeline] = None
        self._signature: Optional[tuple[Any, ...]] = None
        self._rate = TimelineRate(24.0)
        self._state = PlayheadState(frame=0, rate=24.0)
        self._cut: Optional[SharedTimeline] = None
        self._index = ItemIndex()
        self._book: Optional[MarkerBook] = None
        self._reporting = False
        self._clock: Optional[_FollowClock] = None
        self._last_read: Optional[tuple[int, float]] = None
        self._advancing = 0
        self._last_move = 0.0
        self._warnings: dict[str, Optional[str]] = {}
        self._capture_lock = threading.Lock()
        self._last_capture = 0.0
        self._stills = 0
        self._thread = AdapterThread()
        self._thread.every(PLAYHEAD_POLL_S, self._poll_playhead)
        self._thread.every(FOLLOW_STEP_S, self._follow_step)
        self._thread.every(STRUCTURE_POLL_S, self._poll_structure)
        self._thread.every(MARKER_POLL_S, self._poll_markers)
        self._thread.every(CONNECTION_POLL_S, self._poll_connection)
        self._thread.every(PAUSED_REFRESH_S, self._refresh_still)

    # --- pixels -----------------------------------------------------------------------------

    def capture(self) -> Optional[Capture]:
        with self._capture_lock:
            if self._state.playing:
                wait = self._last_capture + PLAYBACK_CAPTURE_INTERVAL_S - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            self._last_capture = time.monotonic()
            self._stills += 1
            path = self._temp / f"still-{self._stills % 4}.jpg"
            got = self.call_on_main(lambda: self._export_still(path), timeout=CALL_TIMEOUT_S)
            if got is None:
                return None
            frame, source = got
            try:
                data = path.read_bytes()
            finally:
                path.unlink(missing_ok=True)
        height, width, _, _ = simplejpeg.decode_jpeg_header(data)
        cut = self._cut
        return Capture(
            frame=frame,
            width=width,
            height=height,
            encoded=data,
            codec="jpeg",
            colorspace="sRGB",
            version=cut.name if cut is not None else None,
            source=source,
        )

    def _export_still(self, path: Path) -> Optional[tuple[int, Optional[HostObject]]]:
        """On the adapter's thread: the frame under the playhead as a still at ``path``."""
        project = self._project
        if project is None or self._timeline is None:
            return None
        frame = self._read_frame()
        if frame is None or not project.ExportCurrentFrameAsStill(str(path)):
            return None
        return frame, self._item_object(frame)

    # --- playhead ----------------------------------------------------------------------------

    def playhead(self) -> PlayheadState:
        """What the adapter's thread last read (every ``PLAYHEAD_POLL_S``, and at each move)."""
        return self._state

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        """Go to ``frame``; ``playing`` runs a local clock that steps the playhead (follow)."""
        was = self._state
        if playing:
            last = self._state.last
            # A frame number is where the driver was somewhere within that frame: half a frame
            # on average before the next; starting the clock there halves the lag.
            since = time.monotonic() - 0.5 / self._rate.fps
            self._clock = _FollowClock(frame, since, self._rate.fps, last)
        elif playing is not None:
            self._clock = None
        self._go(frame, playing if playing is not None else was.playing)

    def _go(self, frame: int, playing: bool) -> None:
        timeline = self._timeline
        if timeline is None:
            return
        moved = frame != self._state.frame
        if moved and not timeline.SetCurrentTimecode(to_timecode(frame, self._rate)):
            self._check_page()
            return
        changed = moved or playing != self._state.playing
        self._state = self._moved(frame, playing)
        self._last_read = (frame, time.monotonic())
        if changed:
            self.fire(self.events.playhead_changed)

    def _follow_step(self) -> None:
        clock = self._clock
        if clock is None or not self._reporting:
            return
        frame = clock.now()
        if frame != self._state.frame:
            self._go(frame, True)

    def _read_frame(self) -> Optional[int]:
        timeline = self._timeline
        if timeline is None:
            return None
        text = timeline.GetCurrentTimecode()
        if not text:
            self._check_page()
            return None
        try:
            return to_frame(text, self._rate)
        except ValueError as exc:
            log.warning("Resolve's playhead is unreadable: %s", exc)
            return None

    def _poll_playhead(self, report: bool = True) -> None:
        """Read the playhead (one call); a change, or play starting or stopping, is reported."""
        if report and (not self._reporting or self._clock is not None):
            return
        frame = self._read_frame()
        if frame is None:
            return
        now = time.monotonic()
        prev = self._last_read
        playing = self._state.playing
        if prev is not None and frame != prev[0]:
            self._last_move = now
            expected = (now - prev[1]) * self._rate.fps
            step = frame - prev[0]
            in_step = 0 < step <= expected + 2 and step >= expected - max(2.0, expected / 2)
            self._advancing = self._advancing + 1 if in_step else 0
            playing = self._advancing >= 2
        elif now - self._last_move > 1.5 / self._rate.fps + PLAYHEAD_POLL_S:
            self._advancing = 0
            playing = False
        self._last_read = (frame, now)
        if frame == self._state.frame and playing == self._state.playing:
            return
        self._state = self._moved(frame, playing)
        if report:
            self.fire(self.events.playhead_changed)

    def _moved(self, frame: int, playing: bool) -> PlayheadState:
        """The playhead at ``frame`` (playing or not), at the timeline's rate, in its range."""
        return dataclasses.replace(self._state, frame=frame, rate=self._rate.fps, playing=playing)

    # --- what a note is about ---------------------------------------------------------------

    def anchor(self) -> Anchor:
        """Frame, the clip under the playhead (``GetCurrentVideoItem``), the timeline's name."""
        if self.is_main_thread():
            frame = self._read_frame()
            frame = self._state.frame if frame is None else frame
            obj = self._current_item(frame)
        else:
            frame = self._state.frame
            obj = self._item_object(frame)
        cut = self._cut
        return Anchor(
            frame=frame,
            time=RationalTime(value=float(frame), rate=self._rate.fps),
            object=obj,
            image=ImageRef(version=cut.name) if cut is not None else None,
        )

    def _current_item(self, frame: int) -> Optional[HostObject]:
        timeline = self._timeline
        item = timeline.GetCurrentVideoItem() if timeline is not None else None
        if item is None:
            return None
        uid = str(item.GetUniqueId())
        span = self._index.by_uid(uid)
        start = span.start if span is not None else int(item.GetStart(False))
        return HostObject(ITEM_KIND, uid, str(item.GetName())[:80], frame - start)

    def _item_object(self, frame: int) -> Optional[HostObject]:
        span = self._index.at(frame)
        if span is None:
            return None
        return HostObject(ITEM_KIND, span.uid, span.name[:80], frame - span.start)

    def select(self, obj: HostObject) -> bool:
        """Move the playhead onto the clip (Resolve's API cannot select timeline items)."""
        span = self._index.by_uid(obj.path) if obj.kind == ITEM_KIND else None
        if span is None:
            return False
        self._clock = None
        self._go(span.start + max(0, min(obj.item_frame or 0, span.end - span.start)), False)
        return True

    def timeline(self) -> Optional[SharedTimeline]:
        return self._cut

    # --- notes ------------------------------------------------------------------------------

    def apply_annotation(self, annotation: Annotation) -> None:
        book, timeline = self._book, self._timeline
        if book is None or timeline is None:
            log.warning("no Resolve timeline open: note %s not kept", annotation.id)
            return
        book.apply(annotation, timeline, self._index)

    def remove_annotation(self, annotation_id: str) -> None:
        if self._book is not None:
            self._book.remove(annotation_id, self._timeline, self._index)

    def stored_annotations(self) -> Sequence[Annotation]:
        if self._book is None or self._timeline is None:
            return []
        return self._book.stored(self._timeline, self._index, self._rate.fps)

    def _poll_markers(self) -> None:
        """Markers of ours the editor deleted (their notes are resolved in the session) or
        gave another duration (their notes' ranges follow)."""
        book, timeline = self._book, self._timeline
        if not self._reporting or book is None or timeline is None:
            return
        gone, resized = book.edits(timeline, self._index)
        for ann_id in gone:
            log.info("the marker of note %s was deleted in Resolve: resolved", ann_id)
            self.fire(functools.partial(self.events.note_edited, ann_id, {"deleted": True}))
        for ann_id, anchor in resized.items():
            log.info("the marker of note %s now spans frames %s", ann_id, anchor.span())
            self.fire(functools.partial(self.events.note_edited, ann_id, {"anchor": anchor}))

    # --- threads ------------------------------------------------------------------------------

    def run_on_main(self, fn: Callable[[], None]) -> None:
        self._thread.post(fn)

    def is_main_thread(self) -> bool:
        return self._thread.is_current()

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Begin polling (on the adapter's thread; returns at once elsewhere)."""
        if not self.is_main_thread():
            self.run_on_main(self.start)
            return
        if self._reporting:
            return
        self._reporting = True
        self._warnings = {}  # said again to whoever listens now
        self._poll_structure()
        self._poll_playhead(report=False)
        self._check_page()

    def stop(self) -> None:
        """Stop polling and following; the adapter's thread stays for calls until ``close``."""
        self._reporting = False
        self._clock = None

    def close(self) -> None:
        """Stop, end the adapter's thread and delete the temporary stills."""
        self.stop()
        self._thread.close()
        shutil.rmtree(self._temp, ignore_errors=True)

    # --- one poll now (the self-test, tests; on the adapter's thread) -------------------------

    def refresh(self) -> None:
        """Read the current project and timeline now, as the structure poll does every
        ``STRUCTURE_POLL_S`` (rate, clips, range, the cut); on the adapter's thread."""
        self._poll_structure()

    def read_playhead(self) -> PlayheadState:
        """One playhead poll now, as the periodic one does it (one ``GetCurrentTimecode``),
        without reporting it; on the adapter's thread. Returns the state it leaves."""
        self._poll_playhead(report=False)
        return self._state

    def check_markers(self) -> None:
        """One marker poll now (deleted or resized markers of ours are reported, as every
        ``MARKER_POLL_S``); on the adapter's thread."""
        self._poll_markers()

    @property
    def rate(self) -> TimelineRate:
        """The current timeline's frame rate, as the last structure poll read it."""
        return self._rate

    def clips(self) -> list[ItemSpan]:
        """The current timeline's video clips, as the last structure poll read them."""
        return list(self._index.spans)

    # --- polls (the adapter's thread) ----------------------------------------------------------

    def _poll_structure(self) -> None:
        """The project and timeline open now, and the timeline's shape; re-read what changed."""
        project = self.resolve.GetProjectManager().GetCurrentProject()
        timeline = project.GetCurrentTimeline() if project is not None else None
        if project is None or timeline is None:
            self._project = self._timeline = None
            self._warn(TIMELINE_WARNING, "no timeline is open in Resolve: open one to share it")
            return
        self._warn(TIMELINE_WARNING, None)
        uid = str(project.GetUniqueId())
        if uid != self._project_uid or self._book is None:
            self._project_uid = uid
            self._book = MarkerBook(NoteSidecar(self._notes_dir / f"notes-{_safe(uid)}.json"))
        self._project, self._timeline = project, timeline
        signature = _signature(timeline)
        if signature == self._signature:
            return
        self._signature = signature
        self._rate = parse_rate(
            timeline.GetSetting("timelineFrameRate"),
            timeline.GetSetting("timelineDropFrameTimecode"),
        )
        self._index = ItemIndex.read(timeline)
        first, last = int(timeline.GetStartFrame()), last_frame(timeline)
        self._state = PlayheadState(
            frame=self._state.frame,
            rate=self._rate.fps,
            playing=self._state.playing,
            first=first,
            last=max(first, last),
            timeline_id=str(timeline.GetName())[:512],
        )
        self._cut = self._export_cut(timeline)
        if self._reporting:
            self.fire(self.events.timeline_changed)
            self.fire(self.events.playhead_changed)

    def _export_cut(self, timeline: Timeline) -> SharedTimeline:
        """The timeline's OTIO export read back; the clips listed one by one where it fails."""
        path = self._temp / "cut.otio"
        try:
            if timeline.Export(str(path), self.resolve.EXPORT_OTIO, self.resolve.EXPORT_NONE):
                return read_cut(path, self._rate.fps)
            log.warning("Resolve did not export the timeline to OTIO: listing its clips instead")
        except (AttributeError, CutError) as exc:  # no EXPORT_OTIO before Resolve 18.5
            log.warning("no OTIO export (%s): listing the timeline's clips instead", exc)
        finally:
            path.unlink(missing_ok=True)
        first, last = int(timeline.GetStartFrame()), last_frame(timeline)
        clips = [
            TimelineClip(s.name[:128] or "clip", s.start, s.end - s.start + 1, min(s.track, 999))
            for s in self._index.spans
        ][:500]
        return SharedTimeline(str(timeline.GetName())[:256], self._rate.fps, first, last, clips)

    def _poll_connection(self) -> None:
        """Resolve still there (else say so once, and tell ``on_disconnect``); its page."""
        if not self.connected:
            return
        try:
            alive = bool(self.resolve.GetProductName())
        except Exception as exc:
            log.info("Resolve does not answer: %s", exc)
            alive = False
        if not alive:
            self.connected = False
            self._warn(CONNECTION_WARNING, "DaVinci Resolve has gone away")
            for fn in list(self.on_disconnect):
                fn()
            return
        self._check_page()

    def _check_page(self) -> None:
        try:
            page = self.resolve.GetCurrentPage()
        except Exception as exc:
            log.info("Resolve's page is unknown: %s", exc)
            return
        self._warn(PAGE_WARNING, page_warning(page))

    def _refresh_still(self) -> None:
        """While paused, look at the image again (a grade changes it without moving)."""
        if self._reporting and not self._state.playing and self._clock is None:
            self.fire(self.events.image_changed)

    # --- reporting -------------------------------------------------------------------------------

    def _warn(self, key: str, text: Optional[str]) -> None:
        if self._warnings.get(key) == text:
            return
        self._warnings[key] = text
        if text:
            log.warning("%s", text)
        self.fire(lambda: self.events.warning(key, text))


def _signature(timeline: Timeline) -> tuple[Any, ...]:
    """What changes when the cut does: id, name, start, end, clips per video track."""
    tracks = int(timeline.GetTrackCount("video") or 0)
    counts = tuple(len(timeline.GetItemListInTrack("video", i) or []) for i in range(1, tracks + 1))
    return (
        str(timeline.GetUniqueId()),
        str(timeline.GetName()),
        int(timeline.GetStartFrame()),
        int(timeline.GetEndFrame()),
        counts,
    )


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:80] or "project"

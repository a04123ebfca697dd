"""``NukeHost``: the Host contract on Nuke's Python API."""

from __future__ import annotations

import functools
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Optional, TypeVar

import nuke

from overshoulder.core.host import Capture, FramePace, Host, PlayheadState, ViewerView
from overshoulder.core.model import Anchor, Annotation, HostObject, ImageRef, RationalTime

from . import identity
from .capture import ViewerRender, jpeg_size, read_back
from .defaults import (
    KNOB_DRAG_CAPTURE_INTERVAL_S,
    KNOB_DRAG_GAP_S,
    OUR_KNOBS,
    PLAYBACK_CAPTURE_INTERVAL_S,
    PLAYBACK_GAP_S,
    RENDER_TIMEOUT_S,
    ROOT_PLAYHEAD_KNOBS,
    UI_KNOBS,
    UPDATE_UI_INTERVAL_S,
)
from .graph import (
    active_viewer_node,
    current_frame,
    deselect_all,
    frame_range,
    go_to_frame,
    image_version,
    knob_script,
    knob_value,
    node_by_full_name,
    parent_group,
    selected_nodes,
    upstream,
    upstream_fingerprint,
    viewed_node,
    within,
)
from .notes import NoteStore
from .viewer import find_viewer_widget

log = logging.getLogger("overshoulder.nuke")

_F = TypeVar("_F", bound=Callable[..., Any])


def never_raises(fn: _F) -> _F:
    """For a function Nuke calls back: an error is logged, never raised into Nuke.

    Nuke's own callback runner (``_doCallbacks`` in nuke_internal/callbacks.py) catches
    nothing, so a callback that raised would skip every callback queued after it for
    that change, other tools' included.
    """

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("Overshoulder: %s failed (Nuke carries on)", fn.__name__)
            return None

    return guarded  # type: ignore[return-value]


def _timer(seconds: float, fn: Callable[[], None]) -> threading.Timer:
    """``fn`` on a daemon thread after ``seconds``."""
    timer = threading.Timer(seconds, fn)
    timer.daemon = True
    timer.start()
    return timer


#: The NukeHosts reporting to a session in this Nuke (a panel in a session starts one).
_started: weakref.WeakSet[NukeHost] = weakref.WeakSet()


def sharing() -> bool:
    """True while Overshoulder reports this Nuke to a session (a NukeHost between ``start``
    and ``stop``): its frame and image changes reach the reviewers."""
    return len(_started) > 0


class NukeHost(Host):
    """The open Nuke script, as the shared parts of Overshoulder see it.

    - ``capture`` renders the viewed node through a temporary Write node on the
      main thread (``call_on_main``) and reads the JPEG back on the caller's thread;
      while the frame changes fast (playback, scrubbing) it renders at most once
      per ``PLAYBACK_CAPTURE_INTERVAL_S``.
    - The playhead is Nuke's current frame; Viewer ``frame`` knob changes report
      it. Nuke has no API that tells whether the viewer plays, so ``playing`` is
      what a remote driver last asked for.
    - ``image_changed`` fires for a knob change on the viewed node or above it
      (inside Groups too), on the active Viewer, on Root's format, or a reconnection:
      at once from knobChanged (changes in an open panel), and from an updateUI check
      (a fingerprint of what the viewer shows, at most every ``UPDATE_UI_INTERVAL_S``)
      for changes knobChanged does not see (a script's, a closed panel's). While
      knobs keep moving, ``capture`` renders at most every
      ``KNOB_DRAG_CAPTURE_INTERVAL_S``.
    - Notes live on the nodes they are about (``NoteStore``); a note about no
      node lands on the node the viewer shows when it arrives, else on Root.

    ``main_thread`` is Nuke's main thread: the Python main thread in a GUI
    session (the default).
    """

    name = "nuke"

    def __init__(
        self,
        *,
        main_thread: Optional[threading.Thread] = None,
        temp_dir: Optional[str] = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        later: Optional[Callable[[float, Callable[[], None]], Any]] = None,
    ) -> None:
        super().__init__()
        #: What the pacing of captures and checks reads the time from and waits with (a test
        #: passes its own, so no assertion depends on how fast the machine is).
        self._clock = clock
        self._sleep = sleep
        #: Runs a function (off the main thread) after some seconds; returns a handle with
        #: ``cancel()``. A thread timer unless a test passes its own.
        self._later = later or _timer
        self._main = main_thread or threading.main_thread()
        self.notes = NoteStore()
        self._render = ViewerRender(temp_dir)
        self._remote_playing = False
        self._reported_frame: Optional[int] = None
        self._pace = FramePace(PLAYBACK_GAP_S)
        self._changes = FramePace(KNOB_DRAG_GAP_S)
        #: Least time between two renders while knobs move (0: no coalescing).
        self.knob_drag_interval_s = KNOB_DRAG_CAPTURE_INTERVAL_S
        #: Least time between two updateUI checks of what the viewer shows.
        self.update_ui_interval_s = UPDATE_UI_INTERVAL_S
        self._last_render = 0.0
        self._capture_lock = threading.Lock()
        self._upstream: Optional[tuple[str, frozenset[str]]] = None
        #: What the viewer showed at the last updateUI check (None: not checked yet).
        self._state: Optional[tuple[Any, ...]] = None
        self._image_reported = False
        self._last_check = 0.0
        self._check_pending = False
        self._timer: Any = None

    # --- pixels -----------------------------------------------------------------------------

    def capture(self) -> Optional[Capture]:
        with self._capture_lock:
            interval = 0.0
            now = self._clock()
            if self._pace.fast(now):
                interval = PLAYBACK_CAPTURE_INTERVAL_S
            elif self._changes.fast(now):
                interval = self.knob_drag_interval_s
            wait = self._last_render + interval - now
            if interval and wait > 0:
                self._sleep(wait)  # on the capture thread: Nuke's main thread is free
            self._last_render = self._clock()
            rendered = self.call_on_main(self._render.render, timeout=RENDER_TIMEOUT_S)
            if rendered is None:
                return None
            data = read_back(rendered)
        width, height = jpeg_size(data)
        return Capture(
            frame=rendered.frame,
            width=width,
            height=height,
            encoded=data,
            codec="jpeg",
            colorspace="sRGB",
            display=rendered.display,
            view=rendered.view,
            version=rendered.version,
            source=rendered.source,
        )

    # --- playhead ----------------------------------------------------------------------------

    def playhead(self) -> PlayheadState:
        first, last, fps = frame_range()
        return PlayheadState(
            frame=current_frame(),
            rate=fps,
            playing=self._remote_playing,
            first=first,
            last=last,
        )

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        """Go to ``frame``; ``playing`` starts or stops the active viewer's playback."""
        window = nuke.activeViewer() if nuke.GUI else None
        was = self._remote_playing
        if playing is False and window is not None and was:
            window.stop()
        moved = current_frame() != frame
        if moved:
            go_to_frame(frame)
        if playing is not None:
            self._remote_playing = playing
        if playing and not was and window is not None:
            window.play(1)
        if not moved and playing is not None and playing != was:
            self.fire(self.events.playhead_changed)

    # --- what a note is about ---------------------------------------------------------------------

    def anchor(self) -> Anchor:
        """Frame, the selected node (in any Group; else the viewed one), and the viewed image's
        version."""
        frame = current_frame()
        _, _, fps = frame_range()
        viewed = viewed_node()
        chosen = selected_nodes()
        about = chosen[-1] if len(chosen) == 1 else viewed
        return Anchor(
            frame=frame,
            time=RationalTime(value=float(frame), rate=fps),
            object=identity.host_object(about) if about is not None else None,
            image=ImageRef(version=image_version(viewed)) if viewed is not None else None,
        )

    def select(self, obj: HostObject) -> bool:
        """Select the node alone, centre the DAG on it and open its panel."""
        if obj.kind != identity.KIND:
            return False
        node = identity.find(obj.path)
        if node is None:
            return False
        group = parent_group(node)
        deselect_all()
        node.setSelected(True)
        if nuke.GUI:
            if group is not nuke.root():
                nuke.showDag(group)  # the Group's own node graph
            centre = (node.xpos() + node.screenWidth() / 2, node.ypos() + node.screenHeight() / 2)
            nuke.zoom(1, centre)
            node.showControlPanel()
        return True

    # --- the viewer, for the overlay -------------------------------------------------------------

    def viewer_widget(self) -> Any:
        viewer = active_viewer_node()
        return find_viewer_widget(viewer.name()) if viewer is not None else None

    def viewer_view(self) -> Optional[ViewerView]:
        """None: Nuke's Python API does not tell the viewer's pan and zoom (docs/nuke.md)."""
        return None

    # --- notes ------------------------------------------------------------------------------------

    def apply_annotation(self, annotation: Annotation) -> None:
        cleared = self.notes.cleared()
        if annotation.id in cleared:
            if annotation.status == "done":
                return  # cleared from the script as resolved; stays out
            self.notes.set_cleared(cleared - {annotation.id})
        self.notes.put(annotation, self._holder_for(annotation))

    def _holder_for(self, note: Annotation) -> nuke.Node:
        """The node a note goes on: the one it names, else where it is, else the viewed one."""
        about = note.anchor.object
        if about is not None and about.kind == identity.KIND:
            node = identity.find(about.path)
            if node is not None:
                return node
        where = self.notes.where(note.id)
        if where is not None:
            return where
        if about is None:
            viewed = viewed_node()
            if viewed is not None:
                return viewed
        return nuke.root()

    def remove_annotation(self, annotation_id: str) -> None:
        self.notes.remove(annotation_id)

    def stored_annotations(self) -> Sequence[Annotation]:
        identity.fix_duplicates()
        return self.notes.all()

    # --- threads ----------------------------------------------------------------------------------

    def run_on_main(self, fn: Callable[[], None]) -> None:
        """Queue ``fn`` for Nuke's main thread; an error in it is logged, not raised into Nuke."""
        nuke.executeInMainThread(never_raises(fn))

    def is_main_thread(self) -> bool:
        return threading.current_thread() is self._main

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._reporting:
            return
        self._reporting = True
        _started.add(self)
        self._reported_frame = current_frame()
        self._state = self._viewer_state()
        nuke.addKnobChanged(self._viewer_knob_changed, nodeClass="Viewer")
        nuke.addKnobChanged(self._knob_changed)
        nuke.addUpdateUI(self._update_ui, nodeClass="Viewer")

    def stop(self) -> None:
        _started.discard(self)
        if self._reporting:
            self._reporting = False
            nuke.removeKnobChanged(self._viewer_knob_changed, nodeClass="Viewer")
            nuke.removeKnobChanged(self._knob_changed)
            nuke.removeUpdateUI(self._update_ui, nodeClass="Viewer")
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self._check_pending = False
        # Not under the capture lock: a capture waiting for this (main) thread holds it.
        self._render.cleanup()

    # --- callbacks (main thread; each logs its errors, none raises into Nuke) ---------------

    def _image_changed(self) -> None:
        self._changes.note(self._clock())
        self._image_reported = True
        self.fire(self.events.image_changed)

    def _frame_moved(self) -> None:
        frame = current_frame()
        if frame != self._reported_frame:
            self._reported_frame = frame
            self._pace.note(self._clock())
            self.fire(self.events.playhead_changed)

    @never_raises
    def _viewer_knob_changed(self) -> None:
        """A Viewer's knob: ``frame`` moves the playhead; others, on the active one, the image."""
        knob = nuke.thisKnob()
        if knob is None or not self._reporting or self._render.busy:
            return
        name = knob.name()
        if name == "frame":
            self._frame_moved()
            return
        if name in UI_KNOBS or name in OUR_KNOBS:
            return
        active = active_viewer_node()
        if active is not None and active.name() == nuke.thisNode().name():
            self._upstream = None
            self._image_changed()

    @never_raises
    def _knob_changed(self) -> None:
        """Any node's knob: an image change when the node is the viewed one, above it, or
        inside a Group that is."""
        if not self._reporting or self._render.busy:
            return
        node, knob = nuke.thisNode(), nuke.thisKnob()
        if knob is None or node.Class() == "Viewer":
            return
        name = knob.name()
        if name in ("inputChange", "name"):
            self._upstream = None
        if name in ("showPanel", "hidePanel"):
            return
        if node.Class() == "Root":
            if name in ROOT_PLAYHEAD_KNOBS:
                if name != "frame":
                    self.fire(self.events.playhead_changed)
            elif name not in UI_KNOBS and name not in OUR_KNOBS:
                self._image_changed()
            return
        if name in UI_KNOBS or name in OUR_KNOBS:
            return
        if within(self._upstream_names(), node.fullName()):
            self._image_changed()

    @never_raises
    def _update_ui(self) -> None:
        """Nuke's idle-time callback, once per Viewer when things changed: a check of what the
        viewer shows, at most every ``UPDATE_UI_INTERVAL_S`` (a later one is scheduled)."""
        if not self._reporting or self._render.busy:
            return
        active = active_viewer_node()
        if active is None or active.name() != nuke.thisNode().name():
            return
        wait = self._last_check + self.update_ui_interval_s - self._clock()
        if wait <= 0:
            self._check_state()
        elif not self._check_pending:
            self._check_pending = True
            self._timer = self._later(wait, lambda: self.run_on_main(self._deferred_check))

    @never_raises
    def _deferred_check(self) -> None:
        self._check_pending = False
        if self._reporting and not self._render.busy:
            self._check_state()

    def _check_state(self) -> None:
        """Report what changed since the last check that knobChanged did not report.

        While the playhead runs (frames closer than ``PLAYBACK_GAP_S``), only the frame and
        the range are read: the upstream hash costs a pass over every knob above the viewed
        node, and playback changes no knob."""
        self._last_check = self._clock()
        before = self._state
        if before is not None and self._pace.fast(self._last_check):
            state = (current_frame(), frame_range(), *before[2:])
        else:
            state = self._viewer_state()
        self._state = state
        reported, self._image_reported = self._image_reported, False
        if before is None:
            return
        if state[0] != before[0]:
            self._frame_moved()
        if state[1] != before[1]:
            self.fire(self.events.playhead_changed)
        if state[2:] != before[2:] and not reported:
            self._upstream = None
            self._changes.note(self._clock())
            self.fire(self.events.image_changed)

    def _viewer_state(self) -> tuple[Any, ...]:
        """(frame, range and rate, viewed node, viewer process settings, upstream hash)."""
        frame = current_frame()
        span = frame_range()
        viewer = active_viewer_node()
        viewed = viewed_node()
        if viewer is None or viewed is None:
            return (frame, span, None)
        process = None
        if knob_value(viewer, "input_process", False):
            process = node_by_full_name(str(knob_value(viewer, "input_process_node", "")))
        return (
            frame,
            span,
            viewed.fullName(),
            str(knob_value(viewer, "viewerProcess", "")),
            bool(knob_value(viewer, "input_process", False)),
            upstream_fingerprint(viewed, process),
            knob_script(nuke.root(), "format"),
        )

    def _upstream_names(self) -> frozenset[str]:
        """Full names of the viewed node, the nodes above it and the input process node."""
        viewed = viewed_node()
        if viewed is None:
            return frozenset()
        key = viewed.fullName()
        if self._upstream is not None and self._upstream[0] == key:
            return self._upstream[1]
        names = {n.fullName() for n in upstream(viewed)}
        viewer = active_viewer_node()
        if viewer is not None and knob_value(viewer, "input_process", False):
            names.add(str(knob_value(viewer, "input_process_node", "")))
        self._upstream = (key, frozenset(names))
        return self._upstream[1]

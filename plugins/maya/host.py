"""``MayaHost``: the Host contract on maya.cmds and the Maya API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Optional

import maya.api.OpenMaya as om
import maya.api.OpenMayaAnim as oma
import maya.api.OpenMayaUI as omui
import maya.utils
from maya import cmds

from overshoulder.core.host import Capture, FramePace, Host, PlayheadState, ViewerView
from overshoulder.core.model import Anchor, Annotation, HostObject, ImageRef, RationalTime

from . import callouts, identity, scene, sketches
from .capture import Grabbed, ViewportGrab, read_back, to_rgb
from .defaults import (
    CAPTURE_TIMEOUT_S,
    DEFAULT_CAPTURE,
    IMAGE_EVENTS,
    KIND,
    PENCIL_WARNING,
    PLAY_CONDITION,
    PLAYBACK_CAPTURE_INTERVAL_S,
    PLAYBACK_GAP_S,
    PLAYHEAD_EVENTS,
    SKETCH_SIZE,
)
from .notes import NoteStore, Stored
from .viewer import find_viewport_widget

log = logging.getLogger("overshoulder.maya")


class MayaHost(Host):
    """The open Maya scene, as the shared parts of Overshoulder see it.

    - ``capture`` reads the active model panel's viewport on the main thread
      (``call_on_main``: a frame-buffer copy, or a one-frame playblast) and makes the
      image on the caller's thread; while Maya plays it reads at most once per
      ``PLAYBACK_CAPTURE_INTERVAL_S``.
    - The playhead is Maya's current time rounded to a whole frame (sub-frames round
      half up), the scene's time unit as a rate (23.976 is 24000/1001), the playback range.
      ``MEventMessage`` "timeChanged", "playbackRangeChanged" and "timeUnitChanged" and
      the ``MConditionMessage`` condition "playingBack" report it.
    - ``image_changed`` fires on "SelectionChanged", "cameraChange", a change of the
      active panel, and every redraw of the active viewport (``MUiMessage`` post-render:
      tumbling, edits), except while playing (the time changes say it) or capturing.
    - Notes live on one network node (``NoteStore``); a note's marks also become a pencil
      frame on the camera it was seen through, its words a callout on its object.

    ``main_thread`` is Maya's main thread: the Python main thread in a GUI session.
    """

    name = "maya"

    def __init__(
        self,
        *,
        main_thread: Optional[threading.Thread] = None,
        temp_dir: Optional[str] = None,
        capture_method: str = DEFAULT_CAPTURE,
        pencil: bool = True,
    ) -> None:
        super().__init__()
        self._main = main_thread or threading.main_thread()
        self.notes = NoteStore()
        self._grab = ViewportGrab(capture_method, temp_dir)
        self._pencil = pencil
        self._callbacks: list[int] = []
        self._starts = 0
        self._render_callback: Optional[tuple[str, int]] = None
        self._playing = False
        self._reported_frame: Optional[int] = None
        self._pace = FramePace(PLAYBACK_GAP_S)
        self._last_grab = 0.0
        self._capture_lock = threading.Lock()
        self._image_size: Optional[tuple[int, int]] = None

    # --- pixels ----------------------------------------------------------------------------------

    def capture(self) -> Optional[Capture]:
        with self._capture_lock:
            if self._playing or self._pace.fast():
                wait = self._last_grab + PLAYBACK_CAPTURE_INTERVAL_S - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            self._last_grab = time.monotonic()
            grabbed: Optional[Grabbed] = self.call_on_main(
                self._grab_with_source, timeout=CAPTURE_TIMEOUT_S
            )
        if grabbed is None:
            return None
        self._image_size = (grabbed.width, grabbed.height)
        source = self._camera_object
        version = self._version
        # The frame buffer's pixels, or the playblast's JPEG as Maya wrote it.
        pixels = to_rgb(grabbed) if grabbed.rgba is not None else None
        return Capture(
            frame=grabbed.frame,
            width=grabbed.width,
            height=grabbed.height,
            pixels=pixels,
            encoded=read_back(grabbed) if grabbed.rgba is None else None,
            codec="jpeg",
            colorspace="sRGB",
            version=version,
            source=source,
        )

    def _grab_with_source(self) -> Optional[Grabbed]:
        """On the main thread: the pixels, and the camera and image version they show."""
        grabbed = self._grab.grab()
        camera = grabbed.camera if grabbed is not None else None
        self._camera_object = identity.host_object(camera) if camera else None
        self._version = image_version(camera)
        return grabbed

    _camera_object: Optional[HostObject] = None
    _version: Optional[str] = None

    # --- playhead --------------------------------------------------------------------------------

    def playhead(self) -> PlayheadState:
        first, last = scene.frame_range()
        return PlayheadState(
            frame=scene.current_frame(),
            rate=self._rate(),
            playing=scene.is_playing(),
            first=first,
            last=last,
        )

    def _rate(self) -> float:
        try:
            return scene.fps()
        except ValueError as exc:
            log.warning("%s; reporting 24 fps", exc)
            return 24.0

    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        """Go to ``frame``; ``playing`` starts or stops Maya's playback."""
        was = scene.is_playing()
        if playing is False and was:
            oma.MAnimControl.stop()
        moved = scene.current_frame() != frame or scene.current_time() != float(frame)
        if moved:
            scene.go_to_frame(frame)
        if playing and not was:
            oma.MAnimControl.playForward()
        if not moved and playing is not None and playing != was:
            self.fire(self.events.playhead_changed)

    # --- what a note is about --------------------------------------------------------------------

    def anchor(self) -> Anchor:
        """Frame, the one selected DAG object (else the camera looked through), the image."""
        frame = scene.current_frame()
        panel = scene.active_model_panel()
        camera = scene.panel_camera(panel) if panel else None
        chosen = scene.selected_dag()
        about = chosen[0] if len(chosen) == 1 else camera
        return Anchor(
            frame=frame,
            time=RationalTime(value=float(frame), rate=self._rate()),
            object=identity.host_object(about) if about else None,
            image=ImageRef(version=image_version(camera)) if camera else None,
        )

    def select(self, obj: HostObject) -> bool:
        """Select the object alone (found by its UUID, wherever it went)."""
        path = identity.find(obj)
        if path is None:
            return False
        cmds.select(path, replace=True)
        return True

    # --- the viewer, for the overlay -------------------------------------------------------------

    def viewer_widget(self) -> Any:
        panel = scene.active_model_panel()
        return find_viewport_widget(panel) if panel else None

    def viewer_view(self) -> Optional[ViewerView]:
        """The viewport shows the whole captured image over the whole widget."""
        widget = self.viewer_widget()
        if widget is None:
            return None
        size = self._image_size or (widget.width(), widget.height())
        return ViewerView(size[0], size[1], (0.0, 0.0, float(widget.width()), widget.height()))

    # --- notes -----------------------------------------------------------------------------------

    def apply_annotation(self, annotation: Annotation) -> None:
        """Keep the note in the scene; draw it when it is new or its marks changed.

        Idempotent: applying the same note again changes nothing, and a note whose marks
        changed replaces its own pencil drawing (a Blue Pencil layer of its own) instead of
        adding one. A note marked done keeps what it showed."""
        old = self.notes.get(annotation.id)
        camera = old.camera if old is not None else self._camera_for(annotation)
        callout = self._callout_for(annotation, old)
        sketch_camera = old.sketch_camera if old is not None else None
        redraw = sketch_camera is None or (
            old is not None and _marks(old.note) != _marks(annotation)
        )
        if redraw and annotation.status == "open":
            sketch_camera = self._sketch(annotation, camera) or sketch_camera
        self.notes.put(Stored(annotation, camera, callout, sketch_camera))

    def _camera_for(self, note: Annotation) -> Optional[str]:
        """The camera a new note was seen through: its object if that is a camera, else the
        camera the active viewport looks through now."""
        about = note.anchor.object
        if about is not None and about.kind == KIND:
            path = identity.find(about)
            if path is not None and is_camera(path):
                return scene.uuid_of(path)
        panel = scene.active_model_panel()
        camera = scene.panel_camera(panel) if panel else None
        return scene.uuid_of(camera) if camera else None

    def _callout_for(self, note: Annotation, old: Optional[Stored]) -> Optional[str]:
        """The note's callout: kept while its words, frames and object stay, else made anew."""
        same = old is not None and (
            callouts.words(old.note),
            old.note.anchor.frame,
            old.note.anchor.last,
            old.note.anchor.object,
        ) == (callouts.words(note), note.anchor.frame, note.anchor.last, note.anchor.object)
        if same and old is not None and old.callout and scene.path_of(old.callout):
            return old.callout
        if old is not None:
            callouts.remove(old.callout)
        about = note.anchor.object
        path = identity.find(about) if about is not None else None
        if path is None or is_camera(path):
            return None
        try:
            return callouts.make(note, path)
        except Exception as exc:
            log.warning("no callout for note %s on %s: %s", note.id, path, exc)
            return None

    def _sketch(self, note: Annotation, camera_uuid: Optional[str]) -> Optional[str]:
        """A pencil drawing of the note's marks on its camera; that camera's UUID, or None
        (then the panel is told why, when the reason is this Maya's pencil)."""
        if not self._pencil or camera_uuid is None or not sketches.draws(note):
            return None
        camera = scene.path_of(camera_uuid)
        panel = scene.active_model_panel()
        if camera is None or panel is None:
            return None
        try:
            writer, why = sketches.writer_for_this_maya()
            if writer is None:
                if why:
                    self._pencil_warning(why)
                return None
            others = [
                s.note
                for s in self.notes.all()
                if s.sketch_camera == camera_uuid
                and s.note.anchor.frame == note.anchor.frame
                and s.note.id != note.id
                and s.note.status == "open"
                and sketches.draws(s.note)
            ]
            writer.put(panel, camera, note, others, self._image_size or SKETCH_SIZE, self._rate())
        except sketches.PencilUnsupported as exc:
            self._pencil_warning(str(exc))
            return None
        except Exception as exc:
            log.warning("no pencil frame for note %s on %s: %s", note.id, camera, exc)
            return None
        return camera_uuid

    def _pencil_warning(self, why: str) -> None:
        text = f"Notes are kept as data and callouts, without pencil drawings: {why}."
        if text != self._pencil_said:
            self._pencil_said = text
            log.warning("%s", text)
        self.fire(lambda: self.events.warning(PENCIL_WARNING, text))

    _pencil_said: Optional[str] = None

    def remove_annotation(self, annotation_id: str) -> None:
        old = self.notes.get(annotation_id)
        if old is None:
            return
        callouts.remove(old.callout)
        camera = scene.path_of(old.sketch_camera) if old.sketch_camera else None
        if camera is not None:
            try:
                writer, _ = sketches.writer_for_this_maya()
                if writer is not None:
                    writer.remove(camera, annotation_id)
            except Exception as exc:
                log.warning("the pencil drawing of note %s stays: %s", annotation_id, exc)
        self.notes.remove(annotation_id)

    def stored_annotations(self) -> Sequence[Annotation]:
        return [stored.note for stored in self.notes.all()]

    # --- threads ---------------------------------------------------------------------------------

    def run_on_main(self, fn: Callable[[], None]) -> None:
        maya.utils.executeDeferred(fn)

    def is_main_thread(self) -> bool:
        return threading.current_thread() is self._main

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Report Maya's changes (callbacks on). Counted: one host serves every panel of the
        session, so a second start adds nothing and only the last matching stop ends it
        (a panel closed while a new one already shares must not take its callbacks away)."""
        self._starts += 1
        if scene.is_batch():
            return
        if self._reporting:
            return
        self._reporting = True
        self._reported_frame = scene.current_frame()
        self._playing = scene.is_playing()
        self._callbacks = [
            om.MEventMessage.addEventCallback(event, self._playhead_event)
            for event in PLAYHEAD_EVENTS
            if event != "timeChanged"
        ]
        self._callbacks.append(om.MEventMessage.addEventCallback("timeChanged", self._time_changed))
        self._callbacks += [
            om.MEventMessage.addEventCallback(event, self._image_event) for event in IMAGE_EVENTS
        ]
        self._callbacks.append(
            om.MConditionMessage.addConditionCallback(PLAY_CONDITION, self._play_state)
        )
        self._watch_panel()

    @property
    def sharing(self) -> bool:
        """True while a session shares through this host (between ``start`` and ``stop``)."""
        return self._starts > 0

    def stop(self) -> None:
        self._starts = max(0, self._starts - 1)
        if self._starts > 0:
            return
        if self._reporting:
            self._reporting = False
            ids = self._callbacks + ([self._render_callback[1]] if self._render_callback else [])
            self._callbacks, self._render_callback = [], None
            for cid in ids:
                try:
                    om.MMessage.removeCallback(cid)
                except Exception as exc:  # a new scene may have dropped it already
                    log.debug("callback %s was gone: %s", cid, exc)
        self._grab.cleanup()

    def _watch_panel(self) -> None:
        """Redraws of the active model panel report image changes (re-aimed when it changes)."""
        panel = scene.active_model_panel()
        current = self._render_callback
        if current is not None and current[0] == panel:
            return
        if current is not None:
            om.MMessage.removeCallback(current[1])
            self._render_callback = None
        if panel is not None:
            cid = omui.MUiMessage.add3dViewPostRenderMsgCallback(panel, self._redrawn)
            self._render_callback = (panel, cid)

    # --- callbacks (main thread) ------------------------------------------------------------------

    def _time_changed(self, *_: Any) -> None:
        if not self._reporting or self._grab.busy:
            return
        frame = scene.current_frame()
        if frame != self._reported_frame:
            self._reported_frame = frame
            self._pace.note()
            self.fire(self.events.playhead_changed)

    def _playhead_event(self, *_: Any) -> None:
        if not self._reporting or self._grab.busy:
            return
        self._playing = scene.is_playing()
        self.fire(self.events.playhead_changed)

    def _play_state(self, playing: bool, *_: Any) -> None:
        if not self._reporting or self._grab.busy:
            return
        self._playing = bool(playing)
        self.fire(self.events.playhead_changed)

    def _image_event(self, *_: Any) -> None:
        if not self._reporting or self._grab.busy:
            return
        self._watch_panel()
        self.fire(self.events.image_changed)

    def _redrawn(self, *_: Any) -> None:
        if not self._reporting or self._grab.busy or self._playing:
            return
        self.fire(self.events.image_changed)


def _marks(note: Annotation) -> tuple[Any, ...]:
    """What a note's pencil drawing shows: its shape, style and frame."""
    return (note.shape, note.style, note.anchor.frame)


def is_camera(path: str) -> bool:
    """Whether the DAG object at ``path`` is a camera (its transform or its shape)."""
    if cmds.nodeType(path) == "camera":
        return True
    return bool(cmds.listRelatives(path, shapes=True, type="camera", fullPath=True))


def image_version(camera: Optional[str]) -> Optional[str]:
    """How a note names the image it was drawn on: the scene file and the camera."""
    if not camera:
        return None
    return f"{scene.scene_label()}:{scene.short_name(camera)}"

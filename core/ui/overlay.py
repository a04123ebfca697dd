"""The viewer overlay: the session's marks drawn over the app's viewer, and the drawing tools.

A transparent child of the app's viewer widget that covers it (an event filter
follows the viewer's resizes). It draws the notes of the current frame in the
image's coordinates (``Host.viewer_view``, or the image fitted and centred),
others' marks while they draw (``draft``) and their laser pointers, and offers
the browser's tools: pen, line, arrow, rect, ellipse, text, eraser, move and
laser, with colour, width and undo/redo of one's own notes.

With no tool the overlay is transparent for the mouse: the artist's clicks go
to the viewer untouched. Everything here runs on the GUI thread (the app's main
thread); client callbacks run there at once when they arrive on it, and are
posted to it when they come from another thread.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from Qt import QtCore, QtGui, QtWidgets

from .. import geometry, notes
from ..geometry import DEFAULT_TEXT_SIZE, ImageRect, clamp_point, image_rect
from ..history import NoteActions
from ..host import Host, ViewerView
from ..images import PublishedImages
from ..model import Anchor, Annotation, ImageRef, Shape, Style, new_id
from ..protocol import Envelope
from ..protocol.messages import Draft
from ..share import Sharer
from .dispatch import GuiDispatcher
from .drawing_notice import drawing_notices, paint_notices
from .painting import DONE_ALPHA, DRAFT_ALPHA, paint_mark

log = logging.getLogger("overshoulder.ui")

#: The tools, as the browser names them ("move" is its "select").
TOOLS = ("pen", "line", "arrow", "rect", "ellipse", "text", "eraser", "move", "laser")
DRAWING = ("pen", "line", "arrow", "rect", "ellipse")
#: Colours offered (as the browser's palette), RGBA 0-1.
PALETTE: tuple[tuple[str, tuple[float, float, float, float]], ...] = (
    ("Red", (1.0, 0.2, 0.2, 1.0)),
    ("Orange", (1.0, 0.6, 0.0, 1.0)),
    ("Yellow", (1.0, 0.9, 0.1, 1.0)),
    ("Green", (0.2, 0.9, 0.3, 1.0)),
    ("Cyan", (0.1, 0.8, 1.0, 1.0)),
    ("Blue", (0.35, 0.5, 1.0, 1.0)),
    ("Magenta", (0.95, 0.3, 0.9, 1.0)),
    ("White", (1.0, 1.0, 1.0, 1.0)),
    ("Black", (0.0, 0.0, 0.0, 1.0)),
)
#: Line widths offered, image-height units (the browser's slider range).
MIN_WIDTH, MAX_WIDTH = 0.001, 0.03
#: Widget pixels within which a click picks a mark (eraser, move).
PICK_PX = 8.0
#: A pen point is kept when it is at least this many pixels from the last one.
PEN_STEP_PX = 1.5
#: A press that never moves this far from where it started is a tap, not a mark (the page's
#: figures for a mouse and a pen): it makes no note, sends no draft and stops nothing.
TAP_PX = {"mouse": 3.0, "pen": 4.0}
#: Drafts sent a second at most, and the share of the relay's pointer rate used.
DRAFT_HZ = 20.0
RATE_SHARE = 0.5
#: Others' drafts: kept this long after "done" (until the note arrives), or when silent.
DRAFT_DONE_S = 1.0
DRAFT_SILENT_S = 5.0
#: Laser trails fade over this long; the dot goes after this long without a move.
TRAIL_S = 0.7
POINTER_IDLE_S = 2.5
LASER_RGB = (255, 45, 45)
#: How often the overlay checks the frame, the view and the notes (ms), and animates fades.
POLL_MS = 100
ANIMATE_MS = 33


@dataclass
class _RemoteDraft:
    shape: Shape
    style: Optional[Style]
    frame: Optional[int]
    sender: Optional[str]
    at: float
    done_at: Optional[float] = None


@dataclass
class _Trail:
    points: list[tuple[float, float, float]] = field(default_factory=list)
    last: Optional[tuple[float, float]] = None
    visible: bool = True
    at: float = 0.0
    label: str = ""


@dataclass
class _Gesture:
    kind: str  # draw, move, erase
    mark_id: str = ""
    shape: Optional[Shape] = None
    start: tuple[float, float] = (0.0, 0.0)
    last_px: tuple[float, float] = (0.0, 0.0)
    note: Optional[Annotation] = None
    dx: float = 0.0
    dy: float = 0.0
    ids: set[str] = field(default_factory=set)
    #: A mark: where the press was (widget pixels), the frame and anchor taken then, and
    #: whether it has gone past a tap's distance (only then is it drawn, sent, stored).
    press_px: tuple[float, float] = (0.0, 0.0)
    frame: Optional[int] = None
    anchor: Optional[Anchor] = None
    started: bool = False


class _Throttle:
    """At most ``hz`` calls a second; an early call is kept (latest wins) and made on time."""

    def __init__(self, fn: Callable[..., None], hz: float, parent: Any) -> None:
        self.fn = fn
        self.hz = hz
        self._last = 0.0
        self._args: Optional[tuple[Any, ...]] = None
        self._timer = QtCore.QTimer(parent)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def call(self, *args: Any) -> None:
        self._args = args
        wait = self._last + 1.0 / self.hz - time.monotonic()
        if wait <= 0:
            self._fire()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait * 1000)))

    def cancel(self) -> None:
        self._timer.stop()
        self._args = None

    def _fire(self) -> None:
        self._timer.stop()
        self._last = time.monotonic()
        args, self._args = self._args, None
        if args is not None:
            self.fn(*args)


class ViewerOverlay(QtWidgets.QWidget):
    """Marks over ``viewer`` (the app's viewer widget), lined up with the image ``host`` shows."""

    #: The tool, colour, width, undo/redo state or the hidden authors changed.
    changed = QtCore.Signal()

    def __init__(self, viewer: Any, host: Host) -> None:
        super().__init__(viewer)
        self.viewer = viewer
        self.host = host
        self.tool: Optional[str] = None
        self.color: tuple[float, float, float, float] = PALETTE[0][1]
        self.width_units = 0.004
        self.hidden_authors: set[str] = set()
        self.selected: Optional[str] = None
        self._sharer: Optional[Sharer] = None
        self._actions: Optional[NoteActions] = None
        self._images: Optional[PublishedImages] = None
        self._static: dict[str, Annotation] = {}
        self._image_size: Optional[tuple[int, int]] = None
        self._undo_listeners: list[Callable[[], None]] = []
        self._drafts: dict[str, _RemoteDraft] = {}
        self._trails: dict[str, _Trail] = {}
        self._gesture: Optional[_Gesture] = None
        #: The pen's pressure (0-1) while a tablet event is handled; None for the mouse.
        self._pressure: Optional[float] = None
        self._text_box: Optional[Any] = None
        self._text_at: Optional[tuple[float, float, float]] = None
        self._seen: tuple[Any, ...] = ()
        self._gui = GuiDispatcher(self)
        self._draft_send = _Throttle(self._send_draft, DRAFT_HZ, self)
        self._pointer_send = _Throttle(self._send_pointer, 30.0, self)

        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TranslucentBackground, True)
        self.setAutoFillBackground(False)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.ClickFocus)
        self._pass_through(True)
        self.setGeometry(viewer.rect())
        viewer.installEventFilter(self)
        self._poll = QtCore.QTimer(self)
        self._poll.timeout.connect(self._tick)
        self._poll.start(POLL_MS)
        self.raise_()
        self.show()

    # --- what is shown ----------------------------------------------------------------------

    def set_session(
        self,
        sharer: Optional[Sharer],
        *,
        actions: Optional[NoteActions] = None,
        images: Optional[PublishedImages] = None,
    ) -> None:
        """Show and draw into ``sharer``'s session (None: no session, only ``set_annotations``).

        ``actions`` shares undo history with a panel; ``images`` tells which image
        was published for each frame (a new note names it as the one drawn on).
        """
        self.cancel()
        for undo in self._undo_listeners:
            undo()
        self._undo_listeners = []
        self._drafts.clear()
        self._trails.clear()
        self.selected = None
        self._sharer = sharer
        self._images = images
        self._actions = None
        if sharer is not None:
            self._actions = actions or NoteActions(sharer)
            client = sharer.client
            post = self._gui.call  # at once when the client's callbacks run on this thread
            self._undo_listeners = [
                client.on("draft", lambda env: post(lambda: self._on_draft(env))),
                client.on("pointer", lambda env: post(lambda: self._on_pointer(env))),
                client.on("annotation_add", lambda env: post(lambda: self._on_note(env))),
                client.on("leave", lambda env: post(lambda: self._on_leave(env))),
            ]
            hz = min(DRAFT_HZ, client.limits.pointer_rate_hz * RATE_SHARE)
            self._draft_send.hz = max(1.0, hz)
            self._pointer_send.hz = max(1.0, client.limits.pointer_rate_hz * RATE_SHARE)
        else:
            self.set_tool(None)
        self.changed.emit()
        self.update()

    @property
    def sharer(self) -> Optional[Sharer]:
        return self._sharer

    @property
    def note_actions(self) -> Optional[NoteActions]:
        return self._actions

    def set_annotations(self, annotations: Iterable[Annotation]) -> None:
        """The notes to show while no session is set (a session's own notes win)."""
        self._static = {n.id: n for n in annotations}
        self.update()

    def set_image_size(self, width: int, height: int) -> None:
        """The image's size, for fitting it when the host gives no ``viewer_view``."""
        self._image_size = (width, height)
        self.update()

    def annotations(self) -> Mapping[str, Annotation]:
        """The notes the overlay draws from (the session's, or those set)."""
        if self._sharer is not None:
            return self._sharer.client.annotations
        return self._static

    def drawing_frames(self) -> dict[str, int]:
        """Participant id -> the frame each other person is drawing on now (from drafts)."""
        return {
            d.sender: d.frame
            for d in self._drafts.values()
            if d.done_at is None and d.sender and d.frame is not None
        }

    def drawing_notices(self) -> list[tuple[str, str]]:
        """(participant id, "Ana is drawing on 1018") for each other person drawing now."""
        client = self._sharer.client if self._sharer is not None else None
        names = {p.id: p.name for p in client.participants.values()} if client else {}
        live = [(d.sender, d.frame) for d in self._drafts.values() if d.done_at is None]
        return drawing_notices(live, names)

    def set_author_visible(self, author: str, visible: bool) -> None:
        """Show or hide one participant's marks (their layer)."""
        if visible:
            self.hidden_authors.discard(author)
        else:
            self.hidden_authors.add(author)
        self.changed.emit()
        self.update()

    def current_frame(self) -> Optional[int]:
        try:
            return int(self.host.playhead().frame)
        except Exception as exc:  # the app is between documents, or the adapter failed
            log.debug("no playhead for the overlay: %s", exc)
            return None

    def image_rect(self) -> Optional[ImageRect]:
        """Where the image is in this widget now."""
        return image_rect(self._view(), (self.width(), self.height()), self._size())

    def _view(self) -> Optional[ViewerView]:
        try:
            return self.host.viewer_view()
        except Exception as exc:
            log.debug("viewer_view failed: %s", exc)
            return None

    def _size(self) -> Optional[tuple[int, int]]:
        if self._image_size is not None:
            return self._image_size
        stream = self._sharer.client.stream if self._sharer is not None else None
        if stream is not None and stream.width and stream.height:
            return stream.width, stream.height
        return None

    # --- tools ------------------------------------------------------------------------------

    def set_tool(self, name: Optional[str]) -> None:
        """Pick a tool (see ``TOOLS``); None: no tool, clicks go through to the viewer."""
        if name is not None and name not in TOOLS:
            raise ValueError(f"no tool {name!r}; one of: {', '.join(TOOLS)}")
        self.cancel()
        if self.tool == "laser":
            self._hide_pointer()
        self.tool = name
        if name != "move":
            self.selected = None
        self._pass_through(name is None)
        self.setMouseTracking(name == "laser")
        cursor = {
            None: QtCore.Qt.CursorShape.ArrowCursor,
            "text": QtCore.Qt.CursorShape.IBeamCursor,
            "move": QtCore.Qt.CursorShape.SizeAllCursor,
            "eraser": QtCore.Qt.CursorShape.PointingHandCursor,
            "laser": QtCore.Qt.CursorShape.BlankCursor,
        }.get(name, QtCore.Qt.CursorShape.CrossCursor)
        self.setCursor(QtGui.QCursor(cursor))
        self.changed.emit()
        self.update()

    def set_color(self, rgba: tuple[float, float, float, float]) -> None:
        self.color = rgba
        self.changed.emit()

    def set_width(self, width: float) -> None:
        """Line width in image-height units (kept within what the browser offers)."""
        self.width_units = min(MAX_WIDTH, max(MIN_WIDTH, width))
        self.changed.emit()

    def undo(self) -> None:
        if self._actions is not None:
            self._actions.undo()
            self.changed.emit()
            self.update()

    def redo(self) -> None:
        if self._actions is not None:
            self._actions.redo()
            self.changed.emit()
            self.update()

    def cancel(self) -> None:
        """Drop what is under way (Escape): the mark being drawn, moved or erased, the text."""
        g = self._gesture
        self._gesture = None
        if g is not None and g.kind == "draw":
            self._draft_send.cancel()
            self._send_draft_done(g.mark_id)
            self._presence("idle")
        self._close_text(keep=False)
        self.update()

    def _pass_through(self, on: bool) -> None:
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_TransparentForMouseEvents, on)

    # --- following the viewer -----------------------------------------------------------------

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj is self.viewer:
            kind = event.type()
            if kind == QtCore.QEvent.Type.Resize:
                self.setGeometry(self.viewer.rect())
            elif kind == QtCore.QEvent.Type.ChildAdded:
                QtCore.QTimer.singleShot(0, self._stay_on_top)
            elif kind == QtCore.QEvent.Type.Paint:
                QtCore.QTimer.singleShot(0, self._tick)
        return False

    def _stay_on_top(self) -> None:
        try:
            self.raise_()
        except RuntimeError:  # deleted meanwhile
            pass

    def _tick(self) -> None:
        """Repaint when the frame, the view or the notes changed, or while something fades."""
        now = time.monotonic()
        self._expire(now)
        key = (
            self.current_frame(),
            self._view(),
            id(self.annotations()),
            len(self.annotations()),
            self._size(),
        )
        animating = bool(self._drafts or self._trails)
        if key != self._seen or animating:
            self._seen = key
            self.update()
        interval = ANIMATE_MS if animating else POLL_MS
        if self._poll.interval() != interval:
            self._poll.setInterval(interval)

    def _expire(self, now: float) -> None:
        for draft_id, d in list(self._drafts.items()):
            if (d.done_at is not None and now - d.done_at > DRAFT_DONE_S) or (
                now - d.at > DRAFT_SILENT_S
            ):
                del self._drafts[draft_id]
        for sender, trail in list(self._trails.items()):
            trail.points = [p for p in trail.points if now - p[2] < TRAIL_S]
            dot = trail.visible and trail.last is not None and now - trail.at < POINTER_IDLE_S
            if not trail.points and not dot:
                del self._trails[sender]

    # --- from the session ------------------------------------------------------------------------

    def _on_draft(self, env: Envelope) -> None:
        draft: Draft = env.data
        if draft.done:
            kept = self._drafts.get(draft.id)
            if kept is not None:
                kept.done_at = time.monotonic()
        elif draft.shape is not None:
            if draft.id in self.annotations():
                return  # the note arrived already
            self._drafts[draft.id] = _RemoteDraft(
                draft.shape, draft.style, draft.frame, env.sender, time.monotonic()
            )
        self._tick()

    def _on_note(self, env: Envelope) -> None:
        self._drafts.pop(env.data.annotation.id, None)
        self.update()

    def _on_leave(self, env: Envelope) -> None:
        gone = env.data.id or env.sender
        for draft_id, d in list(self._drafts.items()):
            if d.sender == gone:
                del self._drafts[draft_id]
        self._trails.pop(gone or "", None)
        self.update()

    def _on_pointer(self, env: Envelope) -> None:
        data = env.data
        sender = data.id or env.sender or "?"
        frame = self.current_frame()
        if data.frame is not None and frame is not None and data.frame != frame:
            return
        client = self._sharer.client if self._sharer is not None else None
        person = client.participants.get(sender) if client is not None else None
        self._trail(sender, data.x, data.y, data.visible, person.name if person else "")

    def _trail(self, sender: str, x: float, y: float, visible: bool, label: str) -> None:
        now = time.monotonic()
        trail = self._trails.setdefault(sender, _Trail())
        if visible:
            trail.points.append((x, y, now))
            trail.last = (x, y)
        trail.visible, trail.at, trail.label = visible, now, label
        self._tick()

    # --- to the session --------------------------------------------------------------------------

    def _send_draft(self, mark_id: str, shape: Shape, style: Style, frame: Optional[int]) -> None:
        if self._sharer is None:
            return
        draft = Draft(id=mark_id, frame=frame, shape=shape, style=style)
        _send_draft(self._sharer.client, draft)

    def _send_draft_done(self, mark_id: str) -> None:
        if self._sharer is not None:
            _send_draft(self._sharer.client, Draft(id=mark_id, done=True))

    def _send_pointer(self, x: float, y: float, frame: Optional[int]) -> None:
        if self._sharer is not None:
            try:
                self._sharer.client.pointer(x, y, frame=frame, visible=True)
            except Exception as exc:
                log.debug("pointer not sent: %s", exc)

    def _hide_pointer(self) -> None:
        self._pointer_send.cancel()
        me = self._me()
        if me is not None:
            self._trails.pop(me, None)
        if self._sharer is not None:
            try:
                self._sharer.client.pointer(0.0, 0.0, visible=False)
            except Exception as exc:
                log.debug("pointer not hidden: %s", exc)

    def _presence(self, state: str) -> None:
        if self._sharer is None:
            return
        try:
            self._sharer.client.presence(state, self._sharer.following)
        except Exception as exc:
            log.debug("presence not sent: %s", exc)

    def _me(self) -> Optional[str]:
        if self._sharer is None:
            return None
        me = self._sharer.client.participant
        return me.id if me else None

    def _anchor(self) -> Optional[Anchor]:
        """The anchor for a new note (host.anchor() on this, the main thread) with its image."""
        try:
            anchor = self.host.anchor()
        except Exception as exc:
            log.warning("%s: no anchor for a new note: %s", self.host.name, exc)
            return None
        published = self._images.hash_of(anchor.frame) if self._images is not None else None
        if published and (anchor.image is None or not anchor.image.hash):
            version = anchor.image.version if anchor.image else None
            anchor = dataclasses.replace(anchor, image=ImageRef(hash=published, version=version))
        return anchor

    def _commit(
        self,
        mark_id: str,
        shape: Shape,
        text: Optional[str] = None,
        anchor: Optional[Anchor] = None,
    ) -> None:
        if self._actions is None:
            return
        anchor = anchor or self._anchor()
        if anchor is None:
            return
        note = Annotation(
            id=mark_id,
            shape=shape,
            anchor=anchor,
            style=Style(color=self.color, width=self.width_units),
            text=text,
        )
        try:
            self._actions.add(note)
        except Exception as exc:  # refused at once (too many points, a viewer's role)
            log.warning("note not sent: %s", exc)
        self.changed.emit()

    # --- mouse and keys ---------------------------------------------------------------------------

    def _at(self, event: Any) -> Optional[tuple[tuple[float, float], tuple[float, float]]]:
        """(ORI point, widget pixel) under the event; None when no image is placed."""
        rect = self.image_rect()
        if rect is None:
            return None
        px, py = event_pos(event)
        return clamp_point(*rect.to_ori(px, py)), (px, py)

    def _can_draw(self) -> bool:
        return self._actions is not None and self._actions.can_draw

    def _frame_notes(self) -> list[Annotation]:
        frame = self.current_frame()
        if frame is None:
            return []
        return notes.on_frame(self.annotations().values(), frame, self.hidden_authors)

    def mousePressEvent(self, event: Any) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton or self.tool is None:
            event.ignore()
            return
        event.accept()
        self.setFocus()
        hit = self._at(event)
        if hit is None or not self._can_draw():
            return
        at, px = hit
        tool = self.tool
        if tool == "laser":
            self._laser(at)
        elif tool == "move":
            self._start_move(at)
        elif tool == "eraser":
            self._gesture = _Gesture("erase")
            self._erase(at)
        elif tool == "text":
            self._open_text(at, px)
        elif tool in DRAWING:
            # The frame on screen at pen-down is the mark's, whatever plays on meanwhile.
            self._gesture = _Gesture(
                "draw",
                mark_id=new_id(),
                shape=_start_shape(tool, at, self._pressure),
                start=at,
                last_px=px,
                press_px=px,
                frame=self.current_frame(),
                anchor=self._anchor(),
            )
        self.update()

    def mouseMoveEvent(self, event: Any) -> None:
        hit = self._at(event)
        if hit is None:
            return
        at, px = hit
        g = self._gesture
        if self.tool == "laser" and g is None:
            self._laser(at)
            return
        if g is None:
            return
        if g.kind == "move":
            g.dx, g.dy = at[0] - g.start[0], at[1] - g.start[1]
        elif g.kind == "erase":
            self._erase(at)
        elif g.kind == "draw" and g.shape is not None:
            if not g.started:
                reach = TAP_PX["pen" if self._pressure is not None else "mouse"]
                if math.dist(px, g.press_px) < reach:
                    return
                g.started = True
                self._hold_frame(g.frame)
                self._presence("drawing")
            g.shape = self._extend(g, at, px)
            self._draft_now()
        self.update()

    def mouseReleaseEvent(self, event: Any) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        g, self._gesture = self._gesture, None
        if g is None or self._actions is None:
            return
        if g.kind == "move" and g.note is not None and (g.dx or g.dy):
            self._actions.move(g.note, geometry.moved(g.note.shape, g.dx, g.dy))
        elif g.kind == "erase" and g.ids:
            self._actions.delete(sorted(g.ids))
        elif g.kind == "draw" and g.shape is not None and g.started:
            self._presence("idle")
            self._draft_send.cancel()
            if not geometry.degenerate(g.shape):
                self._commit(g.mark_id, g.shape, anchor=g.anchor)
            self._send_draft_done(g.mark_id)
        self.changed.emit()
        self.update()

    def tabletEvent(self, event: Any) -> None:
        """A pen tablet: the mouse's tools, and the pen's pressure on every point of a freehand
        stroke, as the browser page takes a stylus's. Accepted, so Qt makes no mouse event
        of it; with no tool it is left to the viewer."""
        handlers = {
            QtCore.QEvent.Type.TabletPress: self.mousePressEvent,
            QtCore.QEvent.Type.TabletMove: self.mouseMoveEvent,
            QtCore.QEvent.Type.TabletRelease: self.mouseReleaseEvent,
        }
        handle = handlers.get(event.type())
        if handle is None or (self.tool is None and self._gesture is None):
            event.ignore()
            return
        self._pressure = round(min(1.0, max(0.0, float(event.pressure()))), 3)
        try:
            handle(event)
        finally:
            self._pressure = None
        event.accept()

    def leaveEvent(self, event: Any) -> None:
        if self.tool == "laser":
            self._hide_pointer()
            self.update()

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == QtCore.Qt.Key.Key_Escape:
            self.cancel()
            self.selected = None
        elif event.matches(QtGui.QKeySequence.StandardKey.Undo):
            self.undo()
        elif event.matches(QtGui.QKeySequence.StandardKey.Redo):
            self.redo()
        elif event.key() in (QtCore.Qt.Key.Key_Delete, QtCore.Qt.Key.Key_Backspace):
            if self.selected and self._actions is not None:
                self._actions.delete([self.selected])
                self.selected = None
                self.changed.emit()
        else:
            event.ignore()
            return
        self.update()

    def _draft_now(self) -> None:
        g = self._gesture
        if g is not None and g.shape is not None:
            style = Style(color=self.color, width=self.width_units)
            frame = g.frame if g.frame is not None else self.current_frame()
            self._draft_send.call(g.mark_id, g.shape, style, frame)

    def _hold_frame(self, frame: Optional[int]) -> None:
        """A mark begun while the shot plays: the app stops on the mark's frame (the page
        stops a driver's playback for everyone the same way)."""
        if frame is None:
            return
        try:
            if self.host.playhead().playing:
                self.host.set_playhead(frame, playing=False)
        except Exception as exc:  # the app said no: the mark keeps its frame all the same
            log.warning("%s: could not stop on frame %s: %s", self.host.name, frame, exc)

    def _extend(self, g: _Gesture, at: tuple[float, float], px: tuple[float, float]) -> Shape:
        shape = g.shape
        assert shape is not None
        if shape.kind == "stroke":
            points = shape.points or []
            limit = self._sharer.client.limits.max_stroke_points if self._sharer else 20000
            step = ((px[0] - g.last_px[0]) ** 2 + (px[1] - g.last_px[1]) ** 2) ** 0.5
            if step < PEN_STEP_PX or len(points) >= limit:
                return shape
            g.last_px = px
            return dataclasses.replace(shape, points=[*points, _point(at, self._pressure)])
        if shape.kind in ("line", "arrow"):
            return dataclasses.replace(shape, end=at)
        lo = (min(g.start[0], at[0]), min(g.start[1], at[1]))
        hi = (max(g.start[0], at[0]), max(g.start[1], at[1]))
        return dataclasses.replace(shape, min=lo, max=hi)

    def _tolerance(self) -> float:
        rect = self.image_rect()
        return PICK_PX / rect.unit if rect is not None and rect.unit > 0 else 0.01

    def _start_move(self, at: tuple[float, float]) -> None:
        note = geometry.pick(self._frame_notes(), at, self._tolerance())
        self.selected = note.id if note else None
        if note is not None and self._actions is not None and self._actions.mine(note):
            self._gesture = _Gesture("move", note=note, start=at)
        self.changed.emit()

    def _erase(self, at: tuple[float, float]) -> None:
        g = self._gesture
        if g is None or self._actions is None:
            return
        note = geometry.pick(self._frame_notes(), at, self._tolerance(), self._actions.mine)
        if note is not None:
            g.ids.add(note.id)

    def _laser(self, at: tuple[float, float]) -> None:
        me = self._me() or "me"
        self._trail(me, at[0], at[1], True, "")
        self._pointer_send.call(at[0], at[1], self.current_frame())

    # --- text ---------------------------------------------------------------------------------

    def _open_text(self, at: tuple[float, float], px: tuple[float, float]) -> None:
        self._close_text(keep=True)
        rect = self.image_rect()
        size = max(DEFAULT_TEXT_SIZE / 2, min(0.12, self.width_units * 10))
        height = size * (rect.unit if rect else 1000)
        box = QtWidgets.QLineEdit(self)
        box.setFrame(False)
        font = box.font()
        font.setPixelSize(max(8, round(height)))
        box.setFont(font)
        r, g, b, _ = (round(v * 255) for v in self.color)
        box.setStyleSheet(f"background: rgba(0, 0, 0, 90); color: rgb({r}, {g}, {b});")
        box.setPlaceholderText("Type, then Enter")
        box.move(round(px[0]), round(px[1] - height))
        box.resize(max(160, round(height * 8)), round(height * 1.4) + 4)
        box.returnPressed.connect(lambda: self._close_text(keep=True))
        box.editingFinished.connect(lambda: self._close_text(keep=True))
        box.show()
        box.setFocus()
        self._text_box, self._text_at = box, (at[0], at[1], size)

    def text_box(self) -> Optional[Any]:
        """The text entry while the text tool is writing (for tests and glue)."""
        return self._text_box

    def _close_text(self, keep: bool) -> None:
        box, at = self._text_box, self._text_at
        if box is None or at is None:
            return
        self._text_box, self._text_at = None, None
        text = box.text().strip()
        box.hide()
        box.deleteLater()
        if keep and text:
            shape = Shape(kind="text", at=(at[0], at[1]), text=text, size=round(at[2], 5))
            self._commit(new_id(), shape, text=text)
        self.update()

    # --- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: Any) -> None:
        rect = self.image_rect()
        frame = self.current_frame()
        if rect is None or frame is None:
            return
        painter = QtGui.QPainter(self)
        try:
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing, True)
            self._paint(painter, rect, frame)
        finally:
            painter.end()

    def _paint(self, painter: Any, rect: ImageRect, frame: int) -> None:
        g = self._gesture
        hides: set[str] = set()
        if g is not None and g.kind == "move" and g.note is not None:
            hides.add(g.note.id)
        if g is not None and g.kind == "erase":
            hides |= g.ids
        shown = self._frame_notes()
        for note in shown:
            if note.id not in hides:
                alpha = DONE_ALPHA if note.status == "done" else 1.0
                paint_mark(painter, note.shape, note.style, rect, alpha)
        for d in self._drafts.values():
            if (d.frame is None or d.frame == frame) and d.sender not in self.hidden_authors:
                paint_mark(painter, d.shape, d.style, rect, DRAFT_ALPHA)
        style = Style(color=self.color, width=self.width_units)
        if g is not None and g.kind == "draw" and g.shape is not None and g.started:
            paint_mark(painter, g.shape, style, rect)
        if g is not None and g.kind == "move" and g.note is not None:
            paint_mark(painter, geometry.moved(g.note.shape, g.dx, g.dy), g.note.style, rect)
        selected = next((n for n in shown if n.id == self.selected), None)
        if selected is not None and selected.id not in hides:
            self._paint_selection(painter, rect, selected)
        self._paint_trails(painter, rect)
        paint_notices(painter, self.width(), self.drawing_notices())

    def _paint_selection(self, painter: Any, rect: ImageRect, note: Annotation) -> None:
        x0, y0, x1, y1 = geometry.bounds(note.shape)
        (ax, ay), (bx, by) = rect.to_widget(x0, y1), rect.to_widget(x1, y0)
        pen = QtGui.QPen(QtGui.QColor(255, 255, 255, 217))
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
        painter.save()
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawRect(QtCore.QRectF(ax - 6, ay - 6, bx - ax + 12, by - ay + 12))
        painter.restore()

    def _paint_trails(self, painter: Any, rect: ImageRect) -> None:
        now = time.monotonic()
        r, g, b = LASER_RGB
        painter.save()
        for trail in self._trails.values():
            pts = trail.points
            for (x0, y0, _), (x1, y1, t1) in zip(pts, pts[1:]):
                fade = max(0.0, 1 - (now - t1) / TRAIL_S)
                pen = QtGui.QPen(QtGui.QColor(r, g, b, round(217 * fade)))
                pen.setWidthF(2 + 5 * fade)
                pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                a, c = rect.to_widget(x0, y0), rect.to_widget(x1, y1)
                painter.drawLine(QtCore.QPointF(*a), QtCore.QPointF(*c))
            if trail.visible and trail.last is not None and now - trail.at < POINTER_IDLE_S:
                x, y = rect.to_widget(*trail.last)
                painter.setPen(QtCore.Qt.PenStyle.NoPen)
                painter.setBrush(QtGui.QColor(r, g, b))
                painter.drawEllipse(QtCore.QPointF(x, y), 5.0, 5.0)
                if trail.label:
                    painter.setPen(QtGui.QColor(255, 255, 255))
                    painter.drawText(QtCore.QPointF(x + 10, y + 18), trail.label)
        painter.restore()


def event_pos(event: Any) -> tuple[float, float]:
    """A mouse or tablet event's position in its widget (Qt 6 ``position()``; Qt 5
    ``localPos()`` for the mouse, ``posF()`` for a tablet)."""
    if hasattr(event, "position"):
        pos = event.position()
    elif hasattr(event, "localPos"):
        pos = event.localPos()
    else:
        pos = event.posF()
    return float(pos.x()), float(pos.y())


def _point(at: tuple[float, float], pressure: Optional[float]) -> list[float]:
    """A stroke point: [x, y], or [x, y, pressure] from a pen (docs/protocol.md, stroke)."""
    return [at[0], at[1]] if pressure is None else [at[0], at[1], pressure]


def _start_shape(tool: str, at: tuple[float, float], pressure: Optional[float] = None) -> Shape:
    if tool == "pen":
        return Shape(kind="stroke", points=[_point(at, pressure)])
    if tool in ("line", "arrow"):
        return Shape(kind=tool, start=at, end=at)  # type: ignore[arg-type]
    return Shape(kind=tool, min=at, max=at)  # type: ignore[arg-type]


def _send_draft(client: Any, draft: Draft) -> None:
    """A draft to the session; one that cannot go (offline, rejected) is only logged."""
    try:
        client.draft(draft)
    except Exception as exc:
        log.debug("draft not sent: %s", exc)

"""The Host contract: what every app adapter (Nuke, Maya, Resolve, the player) provides.

An adapter adapts and nothing else: it captures what the app's viewer shows,
reads and moves the playhead, names what a note is about, turns notes into the
app's own objects, and runs functions on the app's main thread. Everything
else (the client, the codec, the panel, the overlay) is shared and drives the
adapter through this class. ``overshoulder.core.share.Sharer`` is that driver.

Threads: the ``Sharer`` calls ``capture`` on its capture thread and every other
method on the app's main thread (through ``run_on_main``). Adapters call the
``HostEvents`` they were given from the main thread, and must not block in it.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from .model import Anchor, Annotation, HostObject
from .protocol.messages import SharedTimeline

log = logging.getLogger("overshoulder.host")

#: Pixel layouts a capture may hand over: height x width x channels (1-4),
#: dtype uint8, uint16, float16 or float32. Kept as ``Any`` so core imports no numpy.
Pixels = Any


@dataclass(frozen=True)
class Capture:
    """What the viewer shows now, as the app gives it.

    Exactly one of ``pixels`` (an array, H x W x C) or ``encoded`` (bytes the app
    wrote itself, e.g. a JPEG from a Write node: passed through untouched) is set.

    ``colorspace`` names the pixels' colour space in the host's OCIO config
    (``"scene_linear"`` for linear renders, ``"sRGB"`` / ``"srgb_display"`` for
    display-referred pixels that need no transform); ``display`` and ``view``
    pick the OCIO display/view the artist sees (None: a plain conversion to
    sRGB, no tone mapping; a tone-mapping view costs far more per frame).
    ``matrix`` (9 numbers, row-major) takes linear pixels in other primaries to
    ``colorspace``'s first (an EXR's ``chromaticities``; None: none needed).
    ``colorspace_label`` is how reviewers see the colour handling named, with why
    (``"lin_rec709 (EXR default)"``; None: ``colorspace``).
    ``version`` is how the app names this image (a file version, a render id),
    shown to reviewers when a note was drawn on a different one.
    """

    frame: int
    width: int
    height: int
    pixels: Pixels = None
    encoded: Optional[bytes] = None
    codec: str = "jpeg"
    colorspace: str = "scene_linear"
    display: Optional[str] = None
    view: Optional[str] = None
    ocio_config: Optional[str] = None
    matrix: Optional[tuple[float, ...]] = None
    colorspace_label: Optional[str] = None
    version: Optional[str] = None
    source: Optional[HostObject] = None

    def __post_init__(self) -> None:
        if (self.pixels is None) == (self.encoded is None):
            raise ValueError("a Capture carries either pixels or encoded bytes, not both or none")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"a Capture needs a positive size, got {self.width}x{self.height}")


@dataclass(frozen=True)
class PlayheadState:
    """The app's playhead: frame, rate (may be fractional, 23.976), playing, range."""

    frame: int
    rate: float
    playing: bool = False
    first: Optional[int] = None
    last: Optional[int] = None
    timeline_id: Optional[str] = None


@dataclass(frozen=True)
class ViewerView:
    """Where the image sits in the app's viewer widget, for the overlay to line up with it.

    ``rect`` is (left, top, width, height) of the whole image in the viewer
    widget's own pixel coordinates (so it follows the viewer's pan and zoom);
    ``image_width`` x ``image_height`` is the image's size in pixels.
    """

    image_width: int
    image_height: int
    rect: tuple[float, float, float, float]


@dataclass
class HostEvents:
    """What an adapter reports, from the app's main thread. Set by the Sharer."""

    #: The playhead moved (frame, play/pause, range).
    playhead_changed: Callable[[], None] = lambda: None
    #: What the viewer shows changed without the frame moving (viewed node, a knob, the camera).
    image_changed: Callable[[], None] = lambda: None
    #: The user changed or removed, in the app, a note that came from the session
    #: (e.g. deleted a Resolve marker): the annotation id and what to do with it.
    note_edited: Callable[[str, dict[str, Any]], None] = lambda ann_id, changes: None
    #: The structure ``Host.timeline`` returns changed (an edit, another timeline opened).
    timeline_changed: Callable[[], None] = lambda: None
    #: Something the user should know about the app's state, shown in the panel
    #: (e.g. "Resolve is on the Fusion page"): a ``key`` naming the warning and its
    #: text; ``None`` as text takes the warning with that key away.
    warning: Callable[[str, Optional[str]], None] = lambda key, text: None
    extra: dict[str, Callable[..., None]] = field(default_factory=dict)


class FramePace:
    """Tells playback or scrubbing from single steps by how close frame changes come.

    Adapters whose app cannot say it plays (Nuke) or whose captures cost a render
    (Maya) note each frame change and capture less often while ``fast``.
    """

    def __init__(self, gap_s: float) -> None:
        self.gap_s = gap_s
        self._times: list[float] = []

    def note(self, now: Optional[float] = None) -> None:
        """The frame changed (now)."""
        self._times = [*self._times[-2:], time.monotonic() if now is None else now]

    def fast(self, now: Optional[float] = None) -> bool:
        """True while frame changes come closer than ``gap_s`` (and the last one is recent)."""
        times = self._times
        now = time.monotonic() if now is None else now
        return (
            len(times) >= 2
            and now - times[-1] < self.gap_s
            and times[-1] - times[0] < self.gap_s * (len(times) - 1)
        )


class Host(abc.ABC):
    """One app, as the shared parts of Overshoulder see it."""

    #: Short app name: "nuke", "maya", "resolve", "player".
    name: str = "host"

    def __init__(self) -> None:
        self.events = HostEvents()
        #: Between ``start`` and ``stop``: events are reported (see ``fire``).
        self._reporting = False

    def fire(self, event: Callable[[], None]) -> None:
        """Call one of ``events`` if reporting; a failing handler is logged, never raised into
        the app's callback."""
        if not self._reporting:
            return
        try:
            event()
        except Exception:
            log.exception("%s: an Overshoulder event handler failed", self.name)

    # --- pixels -----------------------------------------------------------------

    @abc.abstractmethod
    def capture(self) -> Optional[Capture]:
        """What the viewer shows now; None when there is nothing to show.

        Called off the main thread by the Sharer; an adapter that must touch the
        app for it uses ``call_on_main`` and keeps the work there as short as the
        app allows.
        """

    # --- playhead -------------------------------------------------------------------

    @abc.abstractmethod
    def playhead(self) -> PlayheadState:
        """The current frame, rate, play state and range."""

    @abc.abstractmethod
    def set_playhead(self, frame: int, playing: Optional[bool] = None) -> None:
        """Move to ``frame`` (following a remote driver); start/stop when ``playing`` is set."""

    # --- what a note is about ----------------------------------------------------------

    @abc.abstractmethod
    def anchor(self) -> Anchor:
        """The anchor a new note gets now: frame, the object under the viewer, the image."""

    def select(self, obj: HostObject) -> bool:
        """Jump-to: select and show ``obj`` in the app. False when it no longer exists."""
        return False

    def timeline(self) -> Optional[SharedTimeline]:
        """The cut the app shows (an editor's timeline), for reviewers' timeline bar and for
        comparing with another editor's; None for apps without one (the default).

        Called on the main thread; keep it cheap (answer from what the adapter already
        read, and say ``events.timeline_changed`` when it changes).
        """
        return None

    # --- the viewer, for the overlay ------------------------------------------------------

    def viewer_widget(self) -> Any:
        """The app's viewer QWidget the overlay sits on; None when the app has none to offer.

        Called on the main thread. Typed ``Any`` so that core imports no Qt.
        """
        return None

    def viewer_view(self) -> Optional[ViewerView]:
        """Where the image is in ``viewer_widget`` now; None: fit it into the widget, centred.

        Called on the main thread, often (each repaint of the overlay): keep it cheap.
        """
        return None

    # --- notes in the app's own objects -----------------------------------------------

    @abc.abstractmethod
    def apply_annotation(self, annotation: Annotation) -> None:
        """Keep ``annotation`` in the document (new or changed): a knob, attribute or marker.

        Keep it whole, ``author``, ``author_name`` and ``created`` included: a note shared
        again from the document (``stored_annotations``) keeps who made it and when."""

    @abc.abstractmethod
    def remove_annotation(self, annotation_id: str) -> None:
        """The note was deleted in the session: remove it from the document."""

    @abc.abstractmethod
    def stored_annotations(self) -> Sequence[Annotation]:
        """Notes the document holds (e.g. after reopening a script), to sync back to the session."""

    # --- threads ---------------------------------------------------------------------------

    @abc.abstractmethod
    def run_on_main(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the app's main thread, soon; never waits for it."""

    @abc.abstractmethod
    def is_main_thread(self) -> bool:
        """True when called on the app's main thread."""

    def call_on_main(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Run ``fn`` on the main thread and return its result (or raise its error).

        On the main thread it runs at once; elsewhere it waits at most ``timeout``.
        """
        if self.is_main_thread():
            return fn()
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # handed back to the caller's thread
                box["error"] = exc
            finally:
                done.set()

        self.run_on_main(run)
        if not done.wait(timeout):
            raise TimeoutError(f"{self.name}: the main thread did not run a call within {timeout}s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    # --- life cycle ---------------------------------------------------------------------------

    @abc.abstractmethod
    def start(self) -> None:
        """Begin reporting events (install callbacks, start polling)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop reporting events and remove every callback installed by ``start``."""

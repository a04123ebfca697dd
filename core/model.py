"""The things a review session is made of: people, the playhead, annotations, chat.

Coordinates follow the Open Review Initiative convention (docs/protocol.md,
"Coordinates"): normalised to the image height, origin at the image centre,
y up. A point ``(nx, ny)`` is ``((px - W/2) / H, -(py - H/2) / H)`` in pixels
``(px, py)`` of a W x H image, so proxies and full resolution line up.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal, Optional

from .errors import ErrorCode, ProtocolError
from .schema import Bounds

Role = Literal["host", "reviewer", "viewer"]
ROLES: tuple[Role, ...] = ("host", "reviewer", "viewer")

ShapeKind = Literal["stroke", "line", "arrow", "rect", "ellipse", "text"]

#: Who sees their name and the time tiled over the frame (and burned into PNG downloads), so a
#: leaked screenshot names its source: viewers only (the default), everyone, or nobody.
Watermark = Literal["viewers", "everyone", "off"]

#: Shapes may reach a little outside the image (an arrow pointing in from the
#: margin) but not to absurd coordinates.
COORD_LIMIT = 10.0

#: The longest range a note may hold, in frames (over an hour at 24 fps).
MAX_NOTE_FRAMES = 100_000

#: The longest voice note, in seconds (the relay measures each one it keeps).
MAX_VOICE_NOTE_S = 60.0

#: The largest frame number (either sign) any message carries: a day of 1,000 fps
#: material is 86.4 M frames; beyond this a frame is a bug or an attack, and would
#: stretch every reviewer's timeline.
MAX_FRAME = 10**9

#: A frame number, as every message carries it.
Frame = Annotated[int, Bounds(min=-MAX_FRAME, max=MAX_FRAME)]
#: A frame number that may be absent.
OptionalFrame = Annotated[Optional[int], Bounds(min=-MAX_FRAME, max=MAX_FRAME)]


def new_id() -> str:
    """A fresh client-made id (UUID4, text form)."""
    return str(uuid.uuid4())


#: The usual text form of a UUID, which ``uuid.UUID`` always reads: checked first, as a
#: snapshot checks ten thousand ids.
_UUID_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def check_uuid(value: str, path: str) -> str:
    if type(value) is str and _UUID_TEXT.fullmatch(value):
        return value
    try:
        uuid.UUID(value)
    except ValueError:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{path} must be a UUID, got {value[:40]!r}", path
        ) from None
    return value


def _points_in_range(points: list[list[float]]) -> bool:
    """True when every point is a list [x, y] or [x, y, pressure] that ``_check_point``
    accepts, found in one tight loop (a snapshot holds ~200,000 points). False means
    "check each point and say what is wrong"."""
    if type(points) is not list:
        return False
    try:
        for pt in points:
            if type(pt) is not list:
                return False
            if len(pt) == 2:
                x, y = pt
            else:
                x, y, pressure = pt
                if not 0.0 <= pressure <= 1.0:
                    return False
            # A NaN coordinate fails here, and _check_point then lets it through as ever.
            if not (-COORD_LIMIT <= x <= COORD_LIMIT and -COORD_LIMIT <= y <= COORD_LIMIT):
                return False
    except (ValueError, TypeError):  # the wrong number of values, or not numbers
        return False
    return True


def _check_point(pt: tuple[float, ...] | list[float], path: str) -> None:
    for v in pt[:2]:
        if abs(v) > COORD_LIMIT:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"{path} is outside the image's normalised range (|coordinate| <= {COORD_LIMIT})",
                path,
            )
    if len(pt) > 2 and not 0.0 <= pt[2] <= 1.0:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{path}: pressure must be 0..1, got {pt[2]:.3g}", path
        )


@dataclass(frozen=True)
class RationalTime:
    """OpenTimelineIO's RationalTime: ``value`` frames at ``rate`` per second."""

    value: float
    rate: Annotated[float, Bounds(min=0.001, max=1000.0)]


@dataclass(frozen=True)
class HostObject:
    """What in the app a note is about.

    ``kind``: ``nuke.node`` (path: the node's stable id, label: its full name),
    ``maya.dag`` (path: the DAG object's UUID, which survives renames and
    reparenting; label: its full DAG path when the note was made),
    ``resolve.item`` (path: timeline item id; ``item_frame``: frame relative to
    the clip), ``player.clip`` (path: media path). ``path`` is what finds the
    object again; ``label`` is for people.
    """

    kind: Annotated[str, Bounds(max_len=64)]
    path: Annotated[str, Bounds(limit="max_id_chars")]
    label: Annotated[Optional[str], Bounds(limit="max_name_chars")] = None
    item_frame: OptionalFrame = None


@dataclass(frozen=True)
class ImageRef:
    """The exact image a note was drawn on: content hash and/or a version string."""

    hash: Annotated[Optional[str], Bounds(max_len=128)] = None
    version: Annotated[Optional[str], Bounds(max_len=256)] = None


@dataclass(frozen=True)
class Anchor:
    """Where a note belongs: a frame or a range, maybe a host object, maybe an image.

    ``duration`` makes a range: the note holds frames ``frame .. frame + duration - 1``.
    Absent (or 1), it holds ``frame`` only. Use ``last``, ``holds`` and ``span``
    rather than reading ``duration``, so every app applies the same rule.
    """

    frame: Frame
    time: Optional[RationalTime] = None
    object: Optional[HostObject] = None
    image: Optional[ImageRef] = None
    duration: Annotated[Optional[int], Bounds(min=1, max=MAX_NOTE_FRAMES)] = None

    def __post_init__(self) -> None:
        d = self.duration
        if d is None:
            return
        if isinstance(d, bool) or not isinstance(d, int):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"duration must be an integer, got {d!r}", "duration"
            )
        if not 1 <= d <= MAX_NOTE_FRAMES:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"duration must be 1..{MAX_NOTE_FRAMES} frames, got {d}",
                "duration",
            )

    @property
    def length(self) -> int:
        """How many frames the note holds (1 for a single-frame note)."""
        return self.duration or 1

    @property
    def last(self) -> int:
        """The note's last frame (``frame`` for a single-frame note)."""
        return self.frame + self.length - 1

    def holds(self, frame: int) -> bool:
        """Whether the note is drawn on ``frame``."""
        return self.frame <= frame <= self.last

    def span(self) -> str:
        """The frames for people: "1012" or "1012-1020"."""
        return str(self.frame) if self.last == self.frame else f"{self.frame}-{self.last}"

    def over(self, first: int, last: int) -> Anchor:
        """The same anchor over ``first .. last`` (either order); one frame drops ``duration``."""
        first, last = min(first, last), max(first, last)
        return dataclasses.replace(
            self, frame=first, duration=last - first + 1 if last > first else None
        )


@dataclass(frozen=True)
class Style:
    """RGBA colour in 0-1 and a line width in image-height units."""

    color: Annotated[tuple[float, float, float, float], Bounds(min=0.0, max=1.0)] = (
        1.0,
        0.2,
        0.2,
        1.0,
    )
    width: Annotated[float, Bounds(min=0.0, max=1.0)] = 0.004


#: The fields each kind of shape needs.
_SHAPE_NEEDS: dict[str, tuple[str, ...]] = {
    "stroke": ("points",),
    "line": ("start", "end"),
    "arrow": ("start", "end"),
    "rect": ("min", "max"),
    "ellipse": ("min", "max"),
    "text": ("at", "text"),
}


@dataclass(frozen=True)
class Shape:
    """One mark. Which fields it needs depends on ``kind``.

    - stroke: ``points`` ([x, y] or [x, y, pressure] each)
    - line, arrow: ``start``, ``end``
    - rect, ellipse: ``min``, ``max`` (corners)
    - text: ``at`` and ``text`` (``size`` in image-height units)
    """

    kind: ShapeKind
    points: Annotated[Optional[list[list[float]]], Bounds(limit="max_stroke_points")] = None
    start: Optional[tuple[float, float]] = None
    end: Optional[tuple[float, float]] = None
    min: Optional[tuple[float, float]] = None
    max: Optional[tuple[float, float]] = None
    at: Optional[tuple[float, float]] = None
    text: Annotated[Optional[str], Bounds(limit="max_text_chars")] = None
    size: Annotated[Optional[float], Bounds(min=0.0, max=1.0)] = None

    #: What a parser that checks while it reads (core.fastschema) may check of each of a
    #: stroke's points, field name -> (fewest values, most values, largest magnitude): 2 or
    #: 3 numbers, each within COORD_LIMIT. It then calls ``_post_parse`` instead of
    #: ``__post_init__``, which checks only what is left (a pressure's 0..1).
    PARSED_POINTS: ClassVar[dict[str, tuple[int, int, float]]] = {"points": (2, 3, COORD_LIMIT)}

    def __post_init__(self) -> None:
        self._check_needs()
        points = self.points
        if points is not None:
            if not points:
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "a stroke needs points", "points")
            if not _points_in_range(points):
                self._check_each_point(points)
        self._check_corners()

    def _post_parse(self) -> None:
        """``__post_init__`` for a shape whose points a parser already found to be 2 or 3
        numbers each within COORD_LIMIT (``PARSED_POINTS``; not empty either)."""
        self._check_needs()
        points = self.points
        # Pressure is the only thing left; most strokes carry none (max() runs in C).
        if points is not None and max(map(len, points)) == 3:
            for pt in points:
                if len(pt) == 3 and not 0.0 <= pt[2] <= 1.0:
                    self._check_each_point(points)
        self._check_corners()

    def _check_needs(self) -> None:
        need = _SHAPE_NEEDS.get(self.kind)
        if need is None:  # a caller in Python, not through decode
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"kind is {self.kind!r}; a shape is one of {', '.join(_SHAPE_NEEDS)}",
                "kind",
            )
        for name in need:
            if getattr(self, name) is None:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"a {self.kind} needs {' and '.join(need)}; {name} is missing",
                    name,
                )

    @staticmethod
    def _check_each_point(points: list[list[float]]) -> None:
        for i, pt in enumerate(points):
            if len(pt) not in (2, 3):
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"points[{i}] must be [x, y] or [x, y, pressure]",
                    f"points[{i}]",
                )
            _check_point(pt, f"points[{i}]")

    def _check_corners(self) -> None:
        for name in ("start", "end", "min", "max", "at"):
            pt = getattr(self, name)
            if pt is not None:
                _check_point(pt, name)


#: The containers a voice note may come in: WebM (what browsers record) or Ogg, Opus inside.
AudioMime = Literal["audio/webm", "audio/ogg"]
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AudioClip:
    """A voice note's recording as the relay keeps it (``POST .../voice-notes`` answers it).

    ``id`` is the SHA-256 of the bytes (lower-case hex); ``duration`` and ``size`` are what
    the relay measured. The bytes are fetched by id from the session that holds them.
    """

    id: Annotated[str, Bounds(max_len=64)]
    mime: AudioMime
    duration: Annotated[float, Bounds(min=0.0, max=MAX_VOICE_NOTE_S)]
    size: Annotated[int, Bounds(min=1, max=2**31 - 1)]

    def __post_init__(self) -> None:
        if type(self.id) is not str or not _SHA256_HEX.fullmatch(self.id):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"a clip's id is the SHA-256 of its bytes in lower-case hex, "
                f"got {str(self.id)[:70]!r}",
                "id",
            )


@dataclass(frozen=True)
class Annotation:
    """A note: a mark, its style, where it belongs, optional words.

    ``id`` is made by the client (a UUID), so a retry never makes a second
    note. ``author``, ``author_name`` and ``created`` are set by the relay. ``audio``
    makes it a voice note: a clip uploaded to the same session first.
    """

    id: Annotated[str, Bounds(max_len=64)]
    shape: Shape
    anchor: Anchor
    style: Style = field(default_factory=Style)
    text: Annotated[Optional[str], Bounds(limit="max_text_chars")] = None
    status: Literal["open", "done"] = "open"
    author: Annotated[Optional[str], Bounds(max_len=64)] = None
    author_name: Annotated[Optional[str], Bounds(limit="max_name_chars")] = None
    created: Optional[float] = None
    audio: Optional[AudioClip] = None

    def __post_init__(self) -> None:
        check_uuid(self.id, "id")


@dataclass(frozen=True)
class Playhead:
    """Where the driver is: frame, rate, playing, range, timeline, sender clock (ms)."""

    frame: Frame
    rate: Annotated[float, Bounds(min=0.001, max=1000.0)] = 24.0
    playing: bool = False
    range: Annotated[Optional[tuple[int, int]], Bounds(min=-MAX_FRAME, max=MAX_FRAME)] = None
    timeline_id: Annotated[Optional[str], Bounds(limit="max_id_chars")] = None
    sender_clock: Optional[float] = None


@dataclass(frozen=True)
class Participant:
    """Someone in the session, as everyone sees them."""

    id: str
    name: str
    role: Role
    client: str = "unknown"
    state: str = "idle"
    following: bool = True


@dataclass(frozen=True)
class ChatMessage:
    """A chat line. ``id`` is client-made (UUID); author fields set by the relay."""

    id: Annotated[str, Bounds(max_len=64)]
    text: Annotated[str, Bounds(limit="max_text_chars")]
    author: Optional[str] = None
    author_name: Optional[str] = None
    ts: Optional[float] = None

    def __post_init__(self) -> None:
        check_uuid(self.id, "id")
        if not self.text.strip():
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "chat text is empty", "text")


@dataclass(frozen=True)
class FrameInfo:
    """What the relay knows of a frame without its bytes."""

    frame_id: int
    frame: int
    width: int
    height: int
    codec: str
    hash: str
    captured_us: int
    size: int


@dataclass(frozen=True)
class SessionInfo:
    """A session as the "find sessions" list shows it."""

    id: str
    name: str
    created: float
    host_name: Optional[str] = None
    participants: int = 0
    closed: bool = False
    watermark: Watermark = "viewers"

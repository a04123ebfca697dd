"""The control messages: one typed body per message type, and who may send it.

A control message is one JSON text WebSocket message, an envelope::

    {"v": 1, "type": "annotation_add", "data": {...},
     "ref": "...", "eid": "...", "seq": 12, "from": "...", "ts": 1700000000.0}

- ``v``: the protocol's major version; ``type``: a name from ``MESSAGES``;
  ``data``: the body, checked against the type's dataclass.
- ``ref``: optional, chosen by the sender; the relay's ``ack`` or ``error``
  for that message carries it back.
- ``eid``: the event id of a persisted event (a UUID the client keeps for
  retries: the relay stores an ``eid`` once, so a retry is acknowledged
  again and never applied twice).
- ``seq``, ``from``, ``ts``: set by the relay on what it relays: the event's
  sequence number in the session's log (persisted events only), the sender's
  participant id, and the relay's clock (seconds since the Unix epoch).
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Optional, get_args

from ..errors import ErrorCode, ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import (
    MAX_FRAME,
    Anchor,
    Annotation,
    ChatMessage,
    Frame,
    FrameInfo,
    OptionalFrame,
    Participant,
    Playhead,
    Role,
    SessionInfo,
    Shape,
    Style,
    Watermark,
)
from ..schema import MAX_JSON_DEPTH, MAX_SAFE_INT, Bounds, decode, encode

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 0
PROTOCOL_VERSION = f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR}"

#: WebSocket close codes the relay uses, and what a client should do after each.
CLOSE_SHUTDOWN = 1001  # the relay is stopping: reconnect later and resume
CLOSE_PROTOCOL = 1002  # a malformed hello: fix the client
CLOSE_POLICY = 1008  # no hello in time: reconnect
CLOSE_TOO_SLOW = 1013  # the client stopped reading: reconnect and resume with since=N
CLOSE_REPLACED = 4001  # a newer connection of the same participant took the seat
CLOSE_REFUSED = 4003  # a fatal hello error: do not retry with this token or ticket

#: Hello errors after which a client must not retry the same hello.
FATAL_HELLO_ERRORS = frozenset(
    {
        ErrorCode.UNAUTHORIZED,
        ErrorCode.TOKEN_EXPIRED,
        ErrorCode.VERSION_UNSUPPORTED,
        ErrorCode.FORBIDDEN,
        ErrorCode.SESSION_FULL,
        ErrorCode.NOT_FOUND,
    }
)

#: Capabilities this implementation understands (sent in hello / welcome).
CAPABILITIES = (
    "resume",
    "media_socket",
    "frame_cache",
    "lease_handover",
    "draft",
    "snapshot_pages",
)


# --- bodies ---------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    """First message on a control socket: who I am and what I may do (the token)."""

    protocol: Annotated[str, Bounds(max_len=16)]
    token: Annotated[str, Bounds(max_len=2048)]
    name: Annotated[str, Bounds(limit="max_name_chars")]
    client: Annotated[str, Bounds(max_len=64)] = "unknown"
    client_id: Annotated[Optional[str], Bounds(max_len=64)] = None
    capabilities: Annotated[list[str], Bounds(max_len=32)] = field(default_factory=list)
    since: Annotated[Optional[int], Bounds(min=0)] = None


@dataclass(frozen=True)
class Welcome:
    protocol: str
    session: SessionInfo
    participant: Participant
    media_ticket: str
    limits: dict[str, Any]
    capabilities: list[str]
    seq: int
    server_time: float


@dataclass(frozen=True)
class Snapshot:
    """State of the session at ``seq``. ``annotations``/``chat`` are None on a resume."""

    session: SessionInfo
    participants: list[Participant]
    seq: int
    full: bool
    playhead: Optional[Playhead] = None
    driver: Optional[str] = None
    annotations: Optional[list[Annotation]] = None
    chat: Optional[list[ChatMessage]] = None
    latest_frame: Optional[FrameInfo] = None
    #: Ids of notes deleted in this session (tombstones), so an app that kept a
    #: note while offline removes it instead of sending it back.
    deleted: Optional[list[str]] = None
    stream: Optional[Stream] = None
    #: How many ``snapshot_page`` messages follow with the notes (for a client that said
    #: ``snapshot_pages`` in its hello); ``annotations`` is then empty. The state is whole
    #: at ``synced``.
    pages: Optional[int] = None


@dataclass(frozen=True)
class SnapshotPage:
    """Part of a full snapshot's notes, in creation order: page ``index`` of ``snapshot.pages``."""

    index: int
    annotations: list[Annotation]


@dataclass(frozen=True)
class Synced:
    """Sent after the missed events of a resume: you are up to date at ``seq``."""

    seq: int


@dataclass(frozen=True)
class Join:
    participant: Participant


@dataclass(frozen=True)
class Leave:
    """Client: I am leaving. Relay: participant ``id`` left."""

    id: Annotated[Optional[str], Bounds(max_len=64)] = None
    reason: Annotated[Optional[str], Bounds(max_len=200)] = None


@dataclass(frozen=True)
class Presence:
    """Ephemeral state: idle / drawing / typing / away, and whether I follow the driver."""

    state: Literal["idle", "drawing", "typing", "away"] = "idle"
    following: bool = True
    id: Annotated[Optional[str], Bounds(max_len=64)] = None


@dataclass(frozen=True)
class TimelineClip:
    """One clip of a shared timeline: where it sits (timeline frames), what it shows.

    ``start`` is the timeline frame of its first frame, ``duration`` its length in
    frames, ``track`` its video track (1 is the lowest), ``media`` the name of its
    media (a file name, no folders) and ``source_start`` the first frame it uses of it.
    """

    name: Annotated[str, Bounds(max_len=128)]
    start: Frame
    duration: Annotated[int, Bounds(min=1, max=MAX_FRAME)]
    track: Annotated[int, Bounds(min=1, max=999)] = 1
    media: Annotated[Optional[str], Bounds(max_len=128)] = None
    source_start: OptionalFrame = None


#: Clips one shared timeline carries at most (a stream message stays far below
#: ``max_message_bytes``); a longer timeline is sent cut short with ``truncated``.
MAX_TIMELINE_CLIPS = 500


@dataclass(frozen=True)
class SharedTimeline:
    """The cut a host shares (video tracks only): its clips in timeline frames.

    ``start`` and ``end`` are the first and last timeline frames, ``rate`` its
    frame rate. Reviewers draw the clips on their timeline bar; another editor's
    app compares them with its own timeline before following.
    """

    name: Annotated[str, Bounds(max_len=256)]
    rate: Annotated[float, Bounds(min=0.001, max=1000.0)]
    start: Frame
    end: Frame
    clips: Annotated[list[TimelineClip], Bounds(max_len=MAX_TIMELINE_CLIPS)] = field(
        default_factory=list
    )
    truncated: bool = False


@dataclass(frozen=True)
class Stream:
    """Host: what is being shared, so reviewers can see it named and its colour handling.

    ``colorspace`` is the source's colour space as the host's OCIO config names it,
    ``display``/``view`` the display transform applied (None: a plain conversion to
    sRGB). ``timeline``: the cut shared, for hosts that have one (an editor's
    timeline). The relay keeps the latest for late joiners (``snapshot.stream``).
    """

    name: Annotated[Optional[str], Bounds(max_len=256)] = None
    colorspace: Annotated[Optional[str], Bounds(max_len=128)] = None
    display: Annotated[Optional[str], Bounds(max_len=128)] = None
    view: Annotated[Optional[str], Bounds(max_len=128)] = None
    width: Annotated[Optional[int], Bounds(min=1, max=65535)] = None
    height: Annotated[Optional[int], Bounds(min=1, max=65535)] = None
    rate: Annotated[Optional[float], Bounds(min=0.001, max=1000.0)] = None
    timeline: Optional[SharedTimeline] = None


@dataclass(frozen=True)
class GuestTimeline:
    """A guest's cut (another editor's app), so whoever follows can compare it with theirs.

    Never stored: the relay stamps ``id`` (who sent it) and passes it on; a client
    sends it again when someone joins. ``timeline`` None: the guest has none now.
    """

    timeline: Optional[SharedTimeline] = None
    id: Annotated[Optional[str], Bounds(max_len=64)] = None


@dataclass(frozen=True)
class FrameRequest:
    """Ask for frames no larger than this, for one kept frame by ``hash``, or for a
    ``lossless`` still of the current image (colour-critical calls: the host sends a PNG)."""

    max_width: Annotated[Optional[int], Bounds(min=16, max=16384)] = None
    max_height: Annotated[Optional[int], Bounds(min=16, max=16384)] = None
    hash: Annotated[Optional[str], Bounds(max_len=128)] = None
    lossless: Optional[bool] = None


@dataclass(frozen=True)
class StillRequest:
    """Relay -> hosts: participant ``id`` asks for a lossless still of the current image."""

    id: Optional[str] = None


@dataclass(frozen=True)
class FrameSize:
    """Relay -> host: the largest size any subscriber asked for (None: full size)."""

    max_width: Optional[int] = None
    max_height: Optional[int] = None


@dataclass(frozen=True)
class AnnotationAdd:
    annotation: Annotation


#: A field ``annotation_update`` may remove from a note (``clear``): its words, its range.
Clearable = Literal["text", "anchor.duration"]
CLEARABLE: tuple[str, ...] = get_args(Clearable)


@dataclass(frozen=True)
class AnnotationUpdate:
    """Change some fields of an annotation; fields left out stay as they are.

    ``clear`` names fields to remove (from ``CLEARABLE``), after the given ones are set;
    clearing a field the note does not have changes nothing. A field may not be both
    given and cleared in one update.
    """

    id: Annotated[str, Bounds(max_len=64)]
    shape: Optional[Shape] = None
    style: Optional[Style] = None
    anchor: Optional[Anchor] = None
    text: Annotated[Optional[str], Bounds(limit="max_text_chars")] = None
    status: Optional[Literal["open", "done"]] = None
    clear: Annotated[Optional[list[Clearable]], Bounds(max_len=len(CLEARABLE))] = None

    def __post_init__(self) -> None:
        if self.clear is None:
            return
        seen: set[str] = set()
        for name in self.clear:
            if name not in CLEARABLE:  # a caller in Python, not through decode
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"clear names {name!r}; the fields that can be cleared are "
                    f"{', '.join(CLEARABLE)}",
                    "clear",
                )
            if name in seen:
                raise ProtocolError(ErrorCode.BAD_MESSAGE, f"clear names {name} twice", "clear")
            seen.add(name)
            if self.given(name):
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, f"{name} is both set and cleared", "clear"
                )

    def given(self, name: str) -> bool:
        """Whether this update sets the field ``name`` (a name of ``CLEARABLE``)."""
        if name == "anchor.duration":
            return self.anchor is not None and self.anchor.duration is not None
        return getattr(self, name) is not None


@dataclass(frozen=True)
class AnnotationDelete:
    id: Annotated[str, Bounds(max_len=64)]


@dataclass(frozen=True)
class Pointer:
    """The laser pointer: ORI coordinates; ``visible`` False when it leaves the image."""

    x: Annotated[float, Bounds(min=-10.0, max=10.0)]
    y: Annotated[float, Bounds(min=-10.0, max=10.0)]
    frame: OptionalFrame = None
    visible: bool = True
    id: Annotated[Optional[str], Bounds(max_len=64)] = None


@dataclass(frozen=True)
class Draft:
    """A mark while it is being drawn, so the others see it grow; never stored.

    ``id`` is the id the mark will have as an annotation; each draft carries the
    whole shape so far (a dropped draft loses nothing). ``done``: the drawer let
    go; the mark arrives as ``annotation_add`` with this id, or was abandoned.
    """

    id: Annotated[str, Bounds(max_len=64)]
    frame: OptionalFrame = None
    shape: Optional[Shape] = None
    style: Optional[Style] = None
    done: bool = False

    def __post_init__(self) -> None:
        if self.shape is None and not self.done:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, "a draft needs a shape unless it is done", "shape"
            )


@dataclass(frozen=True)
class LeaseClaim:
    """Ask to drive the playhead. A host always gets it; others when it is free."""

    name: Literal["playhead"] = "playhead"


@dataclass(frozen=True)
class LeaseRelease:
    """Give the drive away: to nobody, or hand it over ``to`` a participant."""

    name: Literal["playhead"] = "playhead"
    to: Annotated[Optional[str], Bounds(max_len=64)] = None


@dataclass(frozen=True)
class Lease:
    """Relay -> all: who drives now; ``requested_by`` when someone asks to drive."""

    name: Literal["playhead"]
    holder: Optional[str] = None
    holder_name: Optional[str] = None
    requested_by: Optional[str] = None


@dataclass(frozen=True)
class SessionUpdate:
    """Host: rename or close the session, or set who sees the watermark (persisted)."""

    name: Annotated[Optional[str], Bounds(limit="max_name_chars")] = None
    closed: Optional[bool] = None
    watermark: Optional[Watermark] = None


@dataclass(frozen=True)
class MediaHello:
    """First message on a media socket: the ticket from ``welcome``, frames I keep."""

    ticket: Annotated[str, Bounds(max_len=2048)]
    cache: Annotated[int, Bounds(min=0, max=4096)] = 0


@dataclass(frozen=True)
class MediaWelcome:
    """The media socket is open; binary packets may flow."""

    participant: Optional[str] = None


@dataclass(frozen=True)
class Ack:
    """A persisted event is stored at ``seq``.

    ``filled``: what the relay added to the sender's event (author fields, the
    relay's time, an annotation's pinned image), so the sender's copy matches
    everyone else's without the whole event coming back.
    """

    ref: Optional[str] = None
    eid: Optional[str] = None
    seq: Optional[int] = None
    duplicate: bool = False
    filled: Optional[dict[str, Any]] = None


@dataclass(frozen=True)
class Error:
    code: str
    message: str
    field: Optional[str] = None
    ref: Optional[str] = None
    type: Optional[str] = None


# --- voice ------------------------------------------------------------------
#
# Voice is signalled on the control socket and never stored: the relay checks each message,
# keeps who is in voice in memory and forwards what peers need to set up their audio links.

#: How voice media flows: peer to peer between every pair (``mesh``), or through the relay's
#: media server (``sfu``), whose peer ids in ``voice_signal`` are ``SFU_PEER`` (publish)
#: and ``SFU_SUBSCRIBE_PEER`` (subscribe).
VoiceTopology = Literal["mesh", "sfu"]
SFU_PEER = "sfu"
SFU_SUBSCRIBE_PEER = "sfu-sub"


@dataclass(frozen=True)
class VoiceJoin:
    """Client: put me in the session's voice room (muted until I say otherwise)."""

    muted: bool = True


@dataclass(frozen=True)
class VoiceLeave:
    """Client: take me out of voice (the control socket stays)."""


@dataclass(frozen=True)
class VoiceState:
    """Client: my microphone is muted / I am speaking now (display only).

    The relay passes it on to everyone as a whole ``VoiceMember`` (the same fields, all
    set), so a client reading ``voice_state`` finds ``id``, ``name``, ``joined`` and
    ``can_speak`` filled; what a client sends in them is ignored."""

    muted: bool = True
    speaking: bool = False
    id: Annotated[Optional[str], Bounds(max_len=64)] = None
    name: Annotated[Optional[str], Bounds(limit="max_name_chars")] = None
    joined: Optional[bool] = None
    can_speak: Optional[bool] = None


@dataclass(frozen=True)
class VoiceMember:
    """Relay -> all: one participant's voice: in voice or not, its flags, whether it may speak."""

    id: str
    name: str
    joined: bool
    muted: bool = True
    speaking: bool = False
    can_speak: bool = False


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server, in the shape of the browser's ``RTCIceServer``."""

    urls: list[str]
    username: Optional[str] = None
    credential: Optional[str] = None


@dataclass(frozen=True)
class VoiceWelcome:
    """Relay -> the joiner: you are in voice. Offer to every member listed (mesh)."""

    mode: VoiceTopology
    can_speak: bool
    ice_servers: list[IceServer]
    members: list[VoiceMember]
    mesh_max: int


@dataclass(frozen=True)
class VoiceRoster:
    """Relay -> a (re)joining participant: who is in voice now."""

    members: list[VoiceMember]


@dataclass(frozen=True)
class SessionDescription:
    """An SDP offer or answer (the browser's ``RTCSessionDescriptionInit``)."""

    type: Literal["offer", "answer"]
    sdp: Annotated[str, Bounds(limit="max_sdp_chars")]


@dataclass(frozen=True)
class IceCandidate:
    """An ICE candidate (``RTCIceCandidateInit``: ``sdpMid``, ``sdpMLineIndex``).

    An empty ``candidate`` is the end of candidates."""

    candidate: Annotated[str, Bounds(max_len=512)]
    sdp_mid: Annotated[Optional[str], Bounds(max_len=32)] = None
    sdp_mline_index: Annotated[Optional[int], Bounds(min=0, max=63)] = None


@dataclass(frozen=True)
class VoiceStream:
    """Which media line of a media server's offer carries whose voice."""

    mid: Annotated[str, Bounds(max_len=32)]
    id: Annotated[str, Bounds(max_len=64)]


@dataclass(frozen=True)
class VoiceSignal:
    """One step of setting up an audio link with peer ``to``: a description or a candidate.

    ``to`` is a participant id, or ``"sfu"`` / ``"sfu-sub"`` for the media server. The relay
    sets ``id`` to the sender on what it forwards."""

    to: Annotated[str, Bounds(max_len=64)]
    description: Optional[SessionDescription] = None
    candidate: Optional[IceCandidate] = None
    streams: Annotated[Optional[list[VoiceStream]], Bounds(max_len=64)] = None
    id: Annotated[Optional[str], Bounds(max_len=64)] = None

    def __post_init__(self) -> None:
        if (self.description is None) == (self.candidate is None):
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                "a voice_signal carries exactly one of description and candidate",
                "description",
            )


@dataclass(frozen=True)
class VoiceAllow:
    """Host: let viewer ``id`` speak in voice, or stop letting it."""

    id: Annotated[str, Bounds(max_len=64)]
    allowed: bool


@dataclass(frozen=True)
class VoiceMode:
    """Relay -> all in voice: media now flows this way; set the links up again."""

    mode: VoiceTopology


#: Every voice message type (never stored, never in an outbox).
VOICE_TYPES = frozenset(
    {
        "voice_join",
        "voice_welcome",
        "voice_leave",
        "voice_state",
        "voice_roster",
        "voice_signal",
        "voice_allow",
        "voice_mode",
    }
)


# --- the table --------------------------------------------------------------

Direction = Literal["client", "relay", "both"]


@dataclass(frozen=True)
class MessageSpec:
    """What a message type carries, who sends it, who may, and whether it is stored."""

    type: str
    body: builtins.type
    direction: Direction
    roles: tuple[Role, ...] = ("host", "reviewer", "viewer")
    persisted: bool = False
    needs_eid: bool = False
    doc: str = ""


_ALL: tuple[Role, ...] = ("host", "reviewer", "viewer")
_DRAW: tuple[Role, ...] = ("host", "reviewer")

MESSAGES: dict[str, MessageSpec] = {
    s.type: s
    for s in (
        MessageSpec("hello", Hello, "client", doc="first message: token, name, since"),
        MessageSpec("welcome", Welcome, "relay", doc="accepted: who you are, limits"),
        MessageSpec("snapshot", Snapshot, "relay", doc="the session's state at seq"),
        MessageSpec("snapshot_page", SnapshotPage, "relay", doc="part of a snapshot's notes"),
        MessageSpec("synced", Synced, "relay", doc="a resume has caught up"),
        MessageSpec("join", Join, "relay", doc="someone joined"),
        MessageSpec("leave", Leave, "both", doc="leaving / someone left"),
        MessageSpec("presence", Presence, "both", doc="ephemeral state, rate-limited"),
        MessageSpec("playhead", Playhead, "both", _DRAW, doc="the driver's playhead"),
        MessageSpec("stream", Stream, "both", ("host",), doc="what the host shares"),
        MessageSpec("timeline", GuestTimeline, "both", _DRAW, doc="a guest's cut, never stored"),
        MessageSpec("frame_announce", FrameInfo, "relay", doc="a new frame exists"),
        MessageSpec("frame_request", FrameRequest, "client", doc="size wanted / a kept frame"),
        MessageSpec("frame_size", FrameSize, "relay", doc="to the host: size to send"),
        MessageSpec("still_request", StillRequest, "relay", doc="to the host: send a PNG still"),
        MessageSpec(
            "annotation_add", AnnotationAdd, "both", _DRAW, persisted=True, doc="a new note"
        ),
        MessageSpec(
            "annotation_update",
            AnnotationUpdate,
            "both",
            _DRAW,
            persisted=True,
            needs_eid=True,
            doc="change a note (author or host)",
        ),
        MessageSpec(
            "annotation_delete",
            AnnotationDelete,
            "both",
            _DRAW,
            persisted=True,
            needs_eid=True,
            doc="remove a note (author or host)",
        ),
        MessageSpec("chat", ChatMessage, "both", _ALL, persisted=True, doc="a chat line"),
        MessageSpec("pointer", Pointer, "both", _DRAW, doc="laser pointer, never stored"),
        MessageSpec("draft", Draft, "both", _DRAW, doc="a mark being drawn, never stored"),
        MessageSpec("lease_claim", LeaseClaim, "client", _DRAW, doc="ask to drive"),
        MessageSpec("lease_release", LeaseRelease, "client", _DRAW, doc="give the drive away"),
        MessageSpec("lease", Lease, "relay", doc="who drives"),
        MessageSpec(
            "session",
            SessionUpdate,
            "both",
            ("host",),
            persisted=True,
            needs_eid=True,
            doc="rename / close the session",
        ),
        MessageSpec("voice_join", VoiceJoin, "client", doc="join the session's voice"),
        MessageSpec("voice_welcome", VoiceWelcome, "relay", doc="to the joiner: in voice"),
        MessageSpec("voice_leave", VoiceLeave, "client", doc="leave voice"),
        MessageSpec(
            "voice_state", VoiceState, "both", doc="muted / speaking; relayed as VoiceMember"
        ),
        MessageSpec("voice_roster", VoiceRoster, "relay", doc="who is in voice, after a join"),
        MessageSpec("voice_signal", VoiceSignal, "both", doc="an SDP or ICE step to one peer"),
        MessageSpec("voice_allow", VoiceAllow, "client", ("host",), doc="let a viewer speak"),
        MessageSpec("voice_mode", VoiceMode, "relay", doc="voice goes mesh or through the SFU"),
        MessageSpec("media_hello", MediaHello, "client", doc="media socket: first message"),
        MessageSpec("media_welcome", MediaWelcome, "relay", doc="media socket accepted"),
        MessageSpec("ack", Ack, "relay", doc="a message was applied (and stored at seq)"),
        MessageSpec("error", Error, "relay", doc="a message was refused, and why"),
    )
}

PERSISTED_TYPES = frozenset(t for t, s in MESSAGES.items() if s.persisted)


@dataclass
class Envelope:
    """A parsed control message. ``data`` is the typed body."""

    type: str
    data: Any
    ref: Optional[str] = None
    eid: Optional[str] = None
    seq: Optional[int] = None
    sender: Optional[str] = None
    ts: Optional[float] = None
    raw_data: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> MessageSpec:
        return MESSAGES[self.type]


def _str_or_none(obj: dict[str, Any], key: str, most: int = 128) -> Optional[str]:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > most:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"{key} must be a string of at most {most} characters", key
        )
    return value


#: A JSON escape of a UTF-16 surrogate: the only way text that UTF-8 cannot carry gets in.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
#: A surrogate itself (in text that came as a Python str rather than as UTF-8 bytes).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def unencodable_field(obj: Any, path: str = "") -> Optional[str]:
    """The path of the first string (or key) in ``obj`` holding a lone surrogate, which no
    UTF-8 encoder can write (``"x\\ud800y"`` in JSON); None when all text encodes.

    Such text decodes as JSON but fails later, wherever it is encoded (the event log,
    every reader's socket), so it is refused where it enters.
    """
    if isinstance(obj, str):
        return path or "(message)" if _has_surrogate(obj) else None
    if isinstance(obj, dict):
        for key, value in obj.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _has_surrogate(key):
                return here
            found = unencodable_field(value, here)
            if found:
                return found
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            found = unencodable_field(value, f"{path}[{index}]")
            if found:
                return found
    return None


def check_encodable(text: str | bytes, obj: Any) -> None:
    """Refuse ``obj`` (parsed from ``text``) when a string in it cannot be written as UTF-8,
    naming the field. Costs one regex scan of the text; the walk only runs on a hit."""
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if not _SURROGATE_ESCAPE.search(raw) and not _has_surrogate(raw):
        return
    where = unencodable_field(obj)
    if where is not None:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            f"{where} holds text that cannot be encoded as UTF-8 (a lone surrogate escape "
            "such as \\ud800); send valid Unicode",
            where,
        )


def parse(
    text: str | bytes,
    limits: Limits = DEFAULT_LIMITS,
    direction: Direction = "client",
) -> Envelope:
    """Parse and check one control message from a peer sending as ``direction``."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > limits.max_message_bytes:
        raise ProtocolError(
            ErrorCode.TOO_LARGE,
            f"message is {size} bytes, at most {limits.max_message_bytes} allowed",
        )
    try:
        obj = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"message is not valid JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"message nests deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    if not isinstance(obj, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "message must be a JSON object")
    check_encodable(text, obj)
    ref = _str_or_none(obj, "ref")
    v = obj.get("v")
    if type(v) is not int or v != PROTOCOL_MAJOR:  # not True, not 1.0
        raise ProtocolError(
            ErrorCode.VERSION_UNSUPPORTED,
            f"protocol version {v!r} is not supported; this side speaks {PROTOCOL_MAJOR}",
            "v",
        )
    mtype = obj.get("type")
    if not isinstance(mtype, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "type is required and must be a string", "type")
    spec = MESSAGES.get(mtype)
    if spec is None or spec.direction not in (direction, "both"):
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {mtype[:40]!r}", "type")
    raw = obj.get("data", {})
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "data must be an object", "data")
    try:
        data: Any = decode(spec.body, raw, "data", limits)
    except ProtocolError as exc:
        exc.ref, exc.mtype = ref, mtype
        raise
    eid = _str_or_none(obj, "eid", 64)
    seq = obj.get("seq")
    if seq is not None and (type(seq) is not int or not 0 <= seq <= MAX_SAFE_INT):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"seq must be an integer from 0 to {MAX_SAFE_INT}", "seq"
        )
    ts = obj.get("ts")
    if ts is not None and (
        isinstance(ts, bool)
        or not isinstance(ts, (int, float))
        or not -MAX_SAFE_INT <= ts <= MAX_SAFE_INT  # NaN and infinities fail this too
    ):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, f"ts must be a number within +-{MAX_SAFE_INT}", "ts"
        )
    return Envelope(
        type=mtype,
        data=data,
        ref=ref,
        eid=eid,
        seq=seq,
        sender=_str_or_none(obj, "from", 64),
        ts=ts,
        raw_data=raw,
    )


def build(
    mtype: str,
    data: Any = None,
    *,
    ref: Optional[str] = None,
    eid: Optional[str] = None,
    seq: Optional[int] = None,
    sender: Optional[str] = None,
    ts: Optional[float] = None,
) -> dict[str, Any]:
    """An envelope as a dict.

    ``data`` is a body dataclass, or a dict that is already plain JSON (the
    relay's stored events are; walking them again would only cost time).
    """
    if mtype not in MESSAGES:
        raise ValueError(f"unknown message type {mtype!r}")
    msg: dict[str, Any] = {
        "v": PROTOCOL_MAJOR,
        "type": mtype,
        "data": data if type(data) is dict else (encode(data) or {}),
    }
    for key, value in (("ref", ref), ("eid", eid), ("seq", seq), ("from", sender), ("ts", ts)):
        if value is not None:
            msg[key] = value
    return msg


def dumps(msg: dict[str, Any]) -> str:
    """Compact JSON for the wire (no spaces, UTF-8 kept as is)."""
    return json.dumps(msg, separators=(",", ":"), ensure_ascii=False)


def session_json(session: SessionInfo) -> dict[str, Any]:
    """A session as the relay sends it in a snapshot and in its HTTP API (``GET`` and ``POST
    /api/sessions``): ``SessionInfo`` encoded, with ``host_name`` null when there is none
    rather than left out. ``decode(SessionInfo, ...)`` reads it back."""
    out: dict[str, Any] = encode(session)
    out.setdefault("host_name", None)
    return out


def error_message(
    exc: ProtocolError, ref: Optional[str] = None, mtype: Optional[str] = None
) -> str:
    """The wire text of an ``error`` for ``exc``."""
    return dumps(
        build(
            "error",
            Error(code=exc.code, message=exc.message, field=exc.field, ref=ref, type=mtype),
        )
    )


#: A protocol version as a client writes it: ASCII digits, major.minor ("1.0").
_VERSION = re.compile(r"[0-9]{1,6}\.[0-9]{1,6}")


def check_protocol_version(version: str) -> None:
    """Refuse a hello whose major version this side does not speak."""
    if _VERSION.fullmatch(version) is None or int(version.split(".", 1)[0]) != PROTOCOL_MAJOR:
        raise ProtocolError(
            ErrorCode.VERSION_UNSUPPORTED,
            f"client speaks protocol {version!r}; this relay speaks {PROTOCOL_VERSION} "
            f"(major {PROTOCOL_MAJOR}). Update the client or the relay.",
            "data.protocol",
        )

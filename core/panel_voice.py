"""Who is in voice, as the panel shows it, what its voice bar says, and the loopback server of
the page its web view runs; no Qt here.

``VoiceRoster`` follows the relay's voice messages (``voice_welcome``, ``voice_roster``,
``voice_state``, ``voice_mode``) as the client's ``on_voice`` hands them on, and says for each
person whether they are in voice, speaking or muted (People shows it). The relay is the one
authority on who is in voice; the muted and speaking flags come from each member's client and
are shown as they are. Bodies may be the protocol's dataclasses or plain dicts (as the page
sends them); both are read the same way.
"""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

from .model import Anchor, Annotation, AudioClip, Shape, Style, new_id

log = logging.getLogger("overshoulder.ui")

#: The voice messages that change who is in voice.
ROSTER_TYPES = frozenset({"voice_welcome", "voice_roster", "voice_state", "voice_mode"})


def field(body: Any, name: str, default: Any = None) -> Any:
    """``body.name`` of a dataclass, or ``body[name]`` of a dict (``default`` when absent)."""
    if isinstance(body, Mapping):
        return body.get(name, default)
    return getattr(body, name, default)


@dataclass(frozen=True)
class VoicePerson:
    """One member of the voice room, as the relay last said."""

    id: str
    name: str
    muted: bool
    speaking: bool
    can_speak: bool

    @classmethod
    def of(cls, body: Any) -> VoicePerson:
        return cls(
            id=str(field(body, "id", "")),
            name=str(field(body, "name", "") or ""),
            muted=bool(field(body, "muted", True)),
            speaking=bool(field(body, "speaking", False)),
            can_speak=bool(field(body, "can_speak", True)),
        )


class VoiceRoster:
    """The voice room's members by participant id; ``version`` grows with every change."""

    def __init__(self) -> None:
        self.members: dict[str, VoicePerson] = {}
        self.mode = "mesh"
        self.version = 0
        #: This client is in voice (a ``voice_welcome`` came, no leave since).
        self.joined = False

    def apply(self, mtype: str, body: Any) -> bool:
        """Take one voice message; True when what People shows changed."""
        if mtype == "voice_welcome":
            self.joined = True
            self.mode = str(field(body, "mode", "mesh"))
            return self._replace(field(body, "members", None) or [])
        if mtype == "voice_roster":
            return self._replace(field(body, "members", None) or [])
        if mtype == "voice_mode":
            self.mode = str(field(body, "mode", self.mode))
            return False
        if mtype == "voice_state":
            person = VoicePerson.of(body)
            if not person.id:
                return False
            if not field(body, "joined", True):
                if self.members.pop(person.id, None) is None:
                    return False
            elif self.members.get(person.id) == person:
                return False
            else:
                self.members[person.id] = person
            self.version += 1
            return True
        return False

    def left(self, me: Optional[str]) -> None:
        """This client left voice: it is no longer listed (the others are, as the relay keeps
        saying of them to everyone in the session)."""
        self.joined = False
        if me is not None and self.members.pop(me, None) is not None:
            self.version += 1

    def clear(self) -> None:
        """Out of the session: nobody is listed."""
        self.joined = False
        self.mode = "mesh"
        if self.members:
            self.members = {}
            self.version += 1

    def get(self, person_id: str) -> Optional[VoicePerson]:
        return self.members.get(person_id)

    def others(self, me: Optional[str]) -> list[VoicePerson]:
        """The members other than ``me``, by name (whose volume one may set)."""
        people = [p for p in self.members.values() if p.id != me]
        return sorted(people, key=lambda p: (p.name.lower(), p.id))

    def _replace(self, members: Any) -> bool:
        people: dict[str, VoicePerson] = {}
        for member in members:
            person = VoicePerson.of(member)
            if person.id and field(member, "joined", True):
                people[person.id] = person
        if people == self.members:
            return False
        self.members = people
        self.version += 1
        return True


def voice_word(person: Optional[VoicePerson]) -> str:
    """What People says of someone's voice: "speaking", "muted", "in voice", "listening" (a
    viewer who may not speak), or "" when not in voice."""
    if person is None:
        return ""
    if not person.can_speak:
        return "listening"
    if person.speaking and not person.muted:
        return "speaking"
    return "muted" if person.muted else "in voice"


#: The voice bar's phases (``VoiceBar.phase``).
PHASES = ("off", "starting", "checking", "joining", "joined", "unavailable", "failed")


def bar_text(
    phase: str,
    *,
    muted: bool,
    push_to_talk: bool,
    talking: bool,
    count: int,
    mode: str = "mesh",
    error: str = "",
) -> str:
    """The voice bar's one line of state."""
    if phase == "off":
        return "Not in voice" + (f" · {count} in it" if count else "")
    if phase == "starting":
        return "Starting voice…"
    if phase == "checking":
        return "Checking the microphone (not in voice)"
    if phase == "joining":
        return "Joining voice…"
    if phase == "unavailable":
        return "Voice is not available inside this app"
    if phase == "failed":
        return f"Voice stopped: {error}" if error else "Voice stopped"
    people = f"{count} in voice" if count != 1 else "only you in voice"
    via = " · through the media server" if mode == "sfu" else ""
    if push_to_talk:
        you = "talking" if talking else "hold the key to talk"
    else:
        you = "muted" if muted else "mic on"
    return f"{people} · {you}{via}"


# --- the page the panel's web view runs ----------------------------------------------------------

#: The reviewer page's files, shipped with the package (``package_data`` of overshoulder.relay).
WEB_DIR = Path(__file__).resolve().parent.parent / "relay" / "web"
#: What the loopback server answers each file ending with.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


class PageServer:
    """The panel's voice page from this machine's loopback (``http://127.0.0.1:<port>/web/``).

    A browser engine lets a page use the microphone only from a secure origin (https, or
    loopback); a studio relay is often plain http on the LAN. The page needs nothing of the
    relay (its signalling goes through the panel's session), so the panel serves the package's
    own copy of it here, on a daemon thread: the same version as the panel's bridge. Only the
    files under ``WEB_DIR`` are served, read only.
    """

    _shared: Optional[PageServer] = None
    _lock = threading.Lock()

    def __init__(self, folder: Path = WEB_DIR) -> None:
        root = folder.resolve()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                name = path[len("/web/") :] if path.startswith("/web/") else ""
                target = (root / name).resolve() if name else root
                if root not in target.parents or not target.is_file():
                    self.send_error(404, f"{path} is not a file of the voice page")
                    return
                body = target.read_bytes()
                self.send_response(200)
                self.send_header(
                    "Content-Type", TYPES.get(target.suffix, "application/octet-stream")
                )
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("voice page: " + format, *args)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="overshoulder-voice-page", daemon=True
        )
        self._thread.start()

    @classmethod
    def shared(cls) -> PageServer:
        """The process's one server (started on first use)."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def url(self, name: str = "panel-voice.html") -> str:
        return f"http://127.0.0.1:{self.port}/web/{name}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with PageServer._lock:
            if PageServer._shared is self:
                PageServer._shared = None


# --- a voice note recorded in the panel -----------------------------------------------------------

#: The marker a voice note draws, as the reviewer page draws it: a small circle near the frame's
#: top left corner, the next one of the same frame beside it (image-height units).
MARKER_R = 0.022
MARKER_STEP = 0.1
MARKER_INSET = 0.08


def voice_note(
    anchor: Anchor, clip: AudioClip, others: int, style: Optional[Style] = None, aspect: float = 1.0
) -> Annotation:
    """The note a recording makes: a marker on the frame (beside the frame's ``others`` voice
    notes) with the relay's clip. ``aspect``: the image's width over its height (1.0 keeps the
    marker on any image at least as wide as it is high)."""
    half = aspect / 2
    x = min(half - MARKER_R, -half + MARKER_INSET + (others % 12) * MARKER_STEP)
    y = 0.5 - MARKER_INSET - (others // 12) * MARKER_STEP
    shape = Shape(
        kind="ellipse",
        min=(round(x - MARKER_R, 5), round(y - MARKER_R, 5)),
        max=(round(x + MARKER_R, 5), round(y + MARKER_R, 5)),
    )
    return Annotation(new_id(), shape, anchor, style=style or Style(), audio=clip)


def voice_notes_on(notes: Mapping[str, Annotation], frame: int) -> int:
    """How many voice notes the frame holds (the next marker goes beside them)."""
    return sum(1 for n in notes.values() if n.audio is not None and n.anchor.holds(frame))

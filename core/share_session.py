"""One participant's share of one app in one session, without any UI.

``ShareSession`` is what a panel, the player or any other front end holds while it is
in a session. Given the relay, a token, a name, the app's ``Host`` and the role the
token was made for, it makes and owns:

- the ``SessionClient`` (the connection; a host's also publishes frames);
- the ``Sharer`` (the app and the session kept in step: playhead, notes, timeline);
- the frame pipe while sharing pixels: the Sharer's captures go to a ``FrameEncoder``
  whose frames go through ``PublishedImages`` (which image went out for each frame)
  to the client's ``publish_frame``;
- ``NoteActions`` (this participant's note edits and their undo history).

It starts and stops them together, turns the pixels on and off without leaving the
session (``set_sharing``: the Sharer is stopped off the main thread and made again
with or without an encoder), and gives views what they show (state, people, notes,
chat, warnings) and listeners that go when the session does.

Threads: the client delivers its callbacks through ``dispatch`` (a panel's GUI
thread; by default the client's own thread). Blocking steps (stopping a Sharer,
closing the client) run through ``background``; a panel passes its worker, the
default is a thread of its own whose result comes back through the host's
``run_on_main``. Nothing here imports Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .client import Dispatch, EnvelopeListener, SessionClient, StateListener
from .history import NoteActions
from .host import Host
from .images import PublishedImages
from .model import Anchor, Annotation, ChatMessage, ImageRef, Participant, SessionInfo
from .protocol.messages import Error
from .share import DriveRequests, Sharer

if TYPE_CHECKING:
    from .codec import FrameEncoder

log = logging.getLogger("overshoulder.share")

#: Runs ``work()`` off the main thread, then ``done(result)`` where the caller's views live
#: (``done(None)`` when ``work`` raised; the error is logged).
Background = Callable[[Callable[[], Any], Callable[[Any], None]], None]


@dataclass(frozen=True)
class ShareOptions:
    """How a ``ShareSession`` shares (all optional)."""

    #: Share the app's pixels from the start (a host only; else ``set_sharing(True)`` later).
    sharing: bool = False
    #: Follow the driver's playhead from the start.
    follow: bool = True
    #: What a drive request does while this participant drives (see ``Sharer``).
    drive_requests: DriveRequests = "grant"
    on_drive_request: Optional[Callable[[str, str], None]] = None
    #: JPEG quality of moving frames, 1-100 (None: the encoder's default).
    quality: Optional[int] = None
    #: The client's kind, as the others see it (None: the host's name).
    client: Optional[str] = None
    #: Where the client's callbacks run (None: on the client's own thread).
    dispatch: Optional[Dispatch] = None
    #: Where blocking steps run (None: a thread each, the result posted to the host's main).
    background: Optional[Background] = None


class ShareSession:
    """The client, the Sharer, the encoder, the kept images and the note history of a share."""

    def __init__(
        self,
        relay: str,
        token: str,
        name: str,
        host: Host,
        role: Optional[str] = None,
        options: Optional[ShareOptions] = None,
    ) -> None:
        """Make everything, start nothing (``start``). A bad name or token raises
        ``ValueError`` here, before any socket opens."""
        self.options = options if options is not None else ShareOptions()
        if self.options.quality is not None and not 1 <= self.options.quality <= 100:
            raise ValueError(f"quality {self.options.quality} is outside 1-100")
        if self.options.sharing and role != "host":
            who = role or "guest"
            raise ValueError(f"only a host shares its pixels; this token is for a {who}")
        self.host = host
        self.token = token
        self._given_role = role
        self.client = SessionClient(
            relay,
            token,
            name,
            client=self.options.client or host.name,
            dispatch=self.options.dispatch,
            publish_frames=role == "host",
        )
        #: Which image went out for each frame (kept across sharing off and on again).
        self.images = PublishedImages()
        self.following = self.options.follow
        self.sharing = self.options.sharing
        #: True while the Sharer is being made again (``set_sharing``); ``sharer`` is None then.
        self.restarting = False
        self.closed = False
        #: Leaving and a new Sharer starting never cross (``close`` may run on any thread).
        self._lock = threading.Lock()
        self.encoder: Optional[FrameEncoder] = None
        self.sharer: Optional[Sharer] = self._new_sharer(self.sharing)
        self.note_actions = NoteActions(self.sharer)
        self._background = self.options.background or self._in_thread
        self._undo: list[Callable[[], None]] = [self.client.on_state(self._state)]

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Start sharing and connect (returns at once). Call on the app's main thread."""
        if self.sharer is not None:
            self.sharer.start()
        self.client.start()

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Wait until in step with the relay (False on timeout or refusal); never on a thread
        that ``dispatch`` runs callbacks on."""
        return self.client.wait_synced(timeout)

    def wait_first_frame(self, timeout: float) -> bool:
        """Wait until the first capture is encoded and handed to the client (sharing only).

        The first frame pays once for what every later one reuses (the display transform,
        the reader's and the encoder's set-up); a player that waits for it before playing
        does not skip the frames of that time.
        """
        sharer, encoder = self.sharer, self.encoder
        if sharer is None or encoder is None:
            return False
        deadline = time.monotonic() + timeout
        while sharer.captures + sharer.capture_errors == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        idle = encoder.wait_idle(max(0.0, deadline - time.monotonic()))
        return idle and sharer.captures > 0

    def close(self) -> None:
        """Leave now: stop sharing, close the client. Waits (a second or so): call it off the
        app's main thread, or where waiting is fine (a command line)."""
        self._shut(self._detach())

    def leave(self, done: Optional[Callable[[], None]] = None) -> None:
        """Leave without waiting: from now on nothing new starts; stopping and closing run
        through ``background``, then ``done()``."""
        if self.closed:
            return
        sharer = self._detach()
        self._background(lambda: self._shut(sharer), lambda _: done() if done else None)

    def _detach(self) -> Optional[Sharer]:
        """Mark closed and take the listeners off; the running Sharer, to stop."""
        with self._lock:
            if self.closed:
                return None
            self.closed = True
            sharer, self.sharer = self.sharer, None
        for undo in self._undo:
            undo()
        self._undo = []
        return sharer

    def _shut(self, sharer: Optional[Sharer]) -> None:
        if sharer is not None:
            sharer.stop()
        self.client.close()

    # --- sharing pixels on and off --------------------------------------------------------

    def set_sharing(self, on: bool, done: Optional[Callable[[], None]] = None) -> bool:
        """Share the app's pixels (on) or only the playhead and notes (off); the session stays.

        The running Sharer is stopped through ``background``, then one with (or without)
        an encoder starts where ``done`` runs, and ``done()`` is called. False (and nothing
        done) when already so, while a change is under way, or once closed.
        """
        if on == self.sharing or self.restarting or self.closed:
            return False
        old, self.sharer = self.sharer, None
        self.restarting = True
        self.sharing = on

        def start_new(_: Any) -> None:
            self.restarting = False
            with self._lock:
                if self.closed:  # left meanwhile
                    return
                sharer = self._new_sharer(on)
                self.sharer = sharer
                self.note_actions.sharer = sharer
                sharer.start()
            if done is not None:
                done()

        self._background(lambda: old.stop() if old is not None else None, start_new)
        return True

    def _new_sharer(self, pixels: bool) -> Sharer:
        """A Sharer for the host; with pixels, the frame pipe behind it."""
        self.encoder = self._new_encoder() if pixels else None
        return Sharer(
            self.host,
            self.client,
            self.encoder,
            follow=self.following,
            drive_requests=self.options.drive_requests,
            on_drive_request=self.options.on_drive_request,
        )

    def _new_encoder(self) -> FrameEncoder:
        """Captures -> JPEG (the encoder's thread) -> kept images -> the client's publisher."""
        from .codec import FrameEncoder  # the codec's libraries load only when sharing

        publish = self.images.wrap(self.client.publish_frame)
        if self.options.quality is None:
            return FrameEncoder(publish)
        return FrameEncoder(publish, fast_quality=self.options.quality)

    def _in_thread(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """The default ``background``: a thread for ``work``, ``done`` on the host's main."""

        def run() -> None:
            result: Any = None
            try:
                result = work()
            except Exception:
                log.exception("%s: a share step failed", self.host.name)
            self.host.run_on_main(lambda: done(result))

        threading.Thread(target=run, name="overshoulder-share-step", daemon=True).start()

    # --- driving and following --------------------------------------------------------------

    @property
    def driving(self) -> bool:
        return self.sharer is not None and self.sharer.driving

    def drive(self) -> None:
        """Take the drive (on), or give it back (already driving)."""
        if self.sharer is None:
            return
        if self.sharer.driving:
            self.sharer.give_drive()
        else:
            self.sharer.drive()

    def follow(self, on: bool) -> None:
        """Follow the driver's playhead (True) or go free; the others see which."""
        self.following = on
        if self.sharer is not None:
            self.sharer.follow(on)
            self.announce_presence()

    def announce_presence(self) -> None:
        """Tell the others this participant is here and whether it follows (once in sync)."""
        if self.client.state == "synced":
            try:
                self.client.presence("idle", self.following)
            except Exception as exc:
                log.debug("presence not sent: %s", exc)

    def _state(self, state: str) -> None:
        if state == "synced":
            self.announce_presence()

    # --- notes and the app's playhead ---------------------------------------------------------

    def frame(self) -> Optional[int]:
        """The frame the app shows now (None when the app cannot say)."""
        try:
            return int(self.host.playhead().frame)
        except Exception:
            return None

    def anchor(self) -> Optional[Anchor]:
        """What the app shows now, as a note would be anchored (None when it cannot say)."""
        try:
            return self.host.anchor()
        except Exception as exc:
            log.debug("no anchor for the image check: %s", exc)
            return None

    def current_image(self, frame: int, anchor: Optional[Anchor] = None) -> Optional[ImageRef]:
        """What is known of the image now shown for ``frame``: published hash, the app's version.

        ``anchor``: the app's anchor now, when the caller has it (one ``host.anchor()``
        per render of a note list, not one per frame of it).
        """
        published = self.images.hash_of(frame)
        version = None
        if anchor is None:
            anchor = self.anchor()
        if anchor is not None and anchor.frame == frame and anchor.image is not None:
            version = anchor.image.version
        if published is None and version is None:
            return None
        return ImageRef(hash=published, version=version)

    def jump_to(self, note_id: str) -> bool:
        """Move the app to the note's frame and select what it is about (on the host's main
        thread). Following someone else's playhead, this goes free first, as the browser does:
        True when it did."""
        note = self.annotations.get(note_id)
        if note is None:
            return False
        sharer = self.sharer
        free = sharer is not None and sharer.following and not sharer.driving
        if free:
            self.follow(False)
        host, frame, obj = self.host, note.anchor.frame, note.anchor.object

        def go() -> None:
            host.set_playhead(frame)
            if obj is not None and not host.select(obj):
                log.info("%s: %s is no longer there", host.name, obj.path)

        host.run_on_main(go)
        return free

    def end_here(self, note_id: str, frame: int) -> bool:
        """As in the browser: the note now ends on ``frame`` (or starts there, when ``frame`` is
        before its first), for everyone. False for a note not known; ``PermissionError`` unless
        it is this participant's note or this participant hosts."""
        note = self.annotations.get(note_id)
        if note is None:
            return False
        if not self.note_actions.mine(note):
            raise PermissionError("only the note's author or a host may change its frames")
        start = note.anchor.frame
        first, last = (start, frame) if frame >= start else (frame, note.anchor.last)
        self.note_actions.set_range(note_id, first, last)
        return True

    # --- what views show ----------------------------------------------------------------------

    @property
    def relay(self) -> str:
        return self.client.relay_url

    @property
    def role(self) -> Optional[str]:
        """This participant's role: as the relay says once in, else as the token said."""
        me = self.client.participant
        return me.role if me is not None else self._given_role

    @property
    def state(self) -> str:
        return self.client.state

    @property
    def last_error(self) -> Optional[Error]:
        return self.client.last_error

    @property
    def session(self) -> Optional[SessionInfo]:
        return self.client.session

    @property
    def participant(self) -> Optional[Participant]:
        return self.client.participant

    @property
    def participants(self) -> Mapping[str, Participant]:
        return self.client.participants

    @property
    def driver(self) -> Optional[str]:
        return self.client.driver

    @property
    def annotations(self) -> Mapping[str, Annotation]:
        return self.client.annotations

    @property
    def chat_log(self) -> Sequence[ChatMessage]:
        return self.client.chat_log

    @property
    def warnings(self) -> dict[str, str]:
        """What the user should know now (the app's state, a timeline that differs), by key."""
        return self.sharer.warnings if self.sharer is not None else {}

    def on(self, mtype: str, fn: EnvelopeListener) -> Callable[[], None]:
        """``fn(envelope)`` for each ``mtype`` message (through ``dispatch``) until the
        session is left; returns an undo."""
        undo = self.client.on(mtype, fn)
        self._undo.append(undo)
        return undo

    def on_state(self, fn: StateListener) -> Callable[[], None]:
        """``fn(state)`` on each change of the connection's state, until the session is left."""
        undo = self.client.on_state(fn)
        self._undo.append(undo)
        return undo

"""SessionClient: one participant's connection to a relay session, with resume and an outbox.

The protocol itself (phases, resume, the outbox, acks, errors, the drive lease) is
``SessionProtocol`` in protocol.py, which does no I/O. This module is its driver and the
public API: it wires the protocol to the control socket (control.py), the media socket
(media.py) and the app's callbacks (listeners.py), all under one lock.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Optional

from ..errors import ProtocolError
from ..limits import Limits
from ..model import (
    Annotation,
    ChatMessage,
    Participant,
    Playhead,
    SessionInfo,
    Watermark,
    check_uuid,
    new_id,
)
from ..protocol import CAPABILITIES, MESSAGES, PROTOCOL_VERSION, Envelope
from ..protocol.messages import (
    Draft,
    Error,
    FrameRequest,
    GuestTimeline,
    Hello,
    LeaseClaim,
    LeaseRelease,
    MediaHello,
    Pointer,
    SessionUpdate,
    SharedTimeline,
    Stream,
)
from ..protocol.packet import FrameHeader
from ..schema import decode, encode
from ..timeline import in_range
from . import timeouts
from .control import ControlLink
from .listeners import (
    Dispatch,
    EnvelopeListener,
    FrameListener,
    Listeners,
    StateListener,
    VoiceListener,
    call_direct,
)
from .media import MediaLink
from .outbox import Outbox
from .outgoing import Payload, SendQueue, check_frame
from .protocol import VOICE_PREFIX, SessionProtocol, StateChanged, annotation_changes, is_voice
from .sockets import abort, control_url, media_url

log = logging.getLogger("overshoulder.client")


class SessionClient:
    """One participant in one session: control socket, optional media socket, outbox.

    Nothing here blocks the caller: ``start`` spawns the threads, send methods
    queue and return, and callbacks arrive through ``dispatch`` (give one that
    runs them on your UI thread; the default runs them on the network thread).

    The read-only state (``annotations``, ``participants``, ...) is the latest
    the client knows; it may be ahead of the callback being delivered. Mappings
    and sequences returned are snapshots, safe to keep and iterate on any thread.
    Your own persisted events (notes, chat) enter the state once the relay has
    stored them (its ``ack``); they are not echoed to ``on(...)`` listeners.
    """

    def __init__(
        self,
        relay_url: str,
        token: str,
        name: str,
        *,
        client: str = "python",
        client_id: Optional[str] = None,
        dispatch: Optional[Dispatch] = None,
        publish_frames: bool = False,
        receive_frames: bool = False,
        frame_cache: int = 0,
        outbox_path: Optional[str] = None,
    ) -> None:
        self.relay_url = relay_url
        self.client_id = check_uuid(client_id, "client_id") if client_id else str(uuid.uuid4())
        if not name.strip():
            raise ValueError("name is empty: give the name other participants will see")
        hello = Hello(
            protocol=PROTOCOL_VERSION,
            token=token,
            name=name,
            client=client,
            client_id=self.client_id,
            capabilities=list(CAPABILITIES),
        )
        decode(Hello, encode(hello), "data")  # a bad name or token fails here, not later
        try:
            decode(MediaHello, {"ticket": "-", "cache": frame_cache}, "frame_cache")
        except ProtocolError as exc:
            raise ValueError(f"frame_cache: {exc.message}") from None
        self.publish_frames = publish_frames
        self.receive_frames = receive_frames
        self._protocol = SessionProtocol(hello, Outbox(outbox_path))

        self._lock = threading.RLock()
        self._state_cond = threading.Condition(self._lock)
        self._listeners = Listeners(dispatch or call_direct)
        self._started = False
        self._closing = threading.Event()
        self._save_wake = threading.Event()
        self._save_lock = threading.Lock()
        self._queue = SendQueue()
        self._control = ControlLink(
            control_url(relay_url),
            relay_url,
            self._protocol,
            self._lock,
            self._closing,
            self._queue,
            pump=self._pump,
            flush=self._flush_notes,
            on_ticket=lambda: self._media.wake.set(),
            voice=self._listeners.flush_voice,
        )
        self._media = MediaLink(
            media_url(relay_url),
            self._protocol,
            self._lock,
            self._closing,
            self._listeners,
            publish=publish_frames,
            receive=receive_frames,
            cache=frame_cache,
            refused=self._media_refused,
            errors=self._media_error,
            ask=self._ask_frame,
        )
        self._views: dict[str, tuple[int, Any]] = {}
        self._threads: list[threading.Thread] = []
        self._writer: Optional[threading.Thread] = None

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; returns at once. Call once."""
        with self._lock:
            if self._started:
                raise RuntimeError("this SessionClient was started already")
            if self._closing.is_set():
                raise RuntimeError("this SessionClient is closed; make a new one")
            self._started = True
            self._protocol.start()
            self._pump()
        targets: list[tuple[str, Callable[[], None]]] = [
            ("control", self._control.run),
            ("writer", self._control.write),
        ]
        if self.publish_frames or self.receive_frames:
            targets.append(("media", self._media.run))
        if self.publish_frames:
            targets.append(("publisher", self._media.publish))
        if self._protocol.outbox.path is not None:
            targets.append(("outbox", self._save_loop))
        for label, target in targets:
            thread = threading.Thread(
                target=target, name=f"overshoulder-{label}-{self.client_id[:8]}", daemon=True
            )
            self._threads.append(thread)
            if label == "writer":
                self._writer = thread
            thread.start()
        self._flush_notes()

    def close(self) -> None:
        """Say goodbye, close the sockets and stop the threads (waits about a second at most).

        Events not yet acknowledged stay in the outbox file, if there is one, and
        go out from the next client that uses it.
        """
        with self._lock:
            if self._closing.is_set():
                return
            self._closing.set()
            goodbye, ws = self._protocol.close(), self._control.ws
        self._media.stop()
        self._save_wake.set()
        if goodbye is not None and ws is not None:
            # After what is queued already: a note added just before close() still goes out.
            self._queue.put(goodbye)
        else:
            self._queue.clear()
            self._queue.wake()
        me = threading.current_thread()
        deadline = time.monotonic() + timeouts.CLOSE_GRACE_S
        if self._writer is not None and self._writer is not me:
            self._writer.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            control, media = self._control.ws, self._media.ws
        abort(control)
        abort(media)
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.05, deadline + timeouts.CLOSE_GRACE_S - time.monotonic()))
        self._save_outbox()
        with self._lock:
            self._protocol.closed()
            self._pump()
        self._flush_notes()

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Wait until the client is up to date with the relay; False on timeout or refusal.

        Never call this on a UI thread that your ``dispatch`` runs callbacks on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state_cond:
            while self._protocol.state != "synced":
                if self._protocol.state == "refused" or self._closing.is_set():
                    return False
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._state_cond.wait(left)
            return True

    def __enter__(self) -> SessionClient:
        if not self._started:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- listeners ---------------------------------------------------------------------------

    def on(self, mtype: str, fn: EnvelopeListener) -> Callable[[], None]:
        """Call ``fn(envelope)`` for each ``mtype`` message from the relay; returns an undo."""
        return self._listeners.on(mtype, fn)

    def on_state(self, fn: StateListener) -> Callable[[], None]:
        """Call ``fn(state)`` on every change of ``state``; returns an undo."""
        return self._listeners.on_state(fn)

    def on_frame(self, fn: FrameListener) -> Callable[[], None]:
        """Call ``fn(header, payload)`` with the newest frame (a slow receiver skips frames).

        ``header.kind`` is ``KIND_REF`` when the bytes came from this client's frame
        cache (the relay sent only the hash); the payload is the image either way.
        """
        return self._listeners.on_frame(fn)

    def on_voice(self, fn: VoiceListener) -> Callable[[], None]:
        """Call ``fn(type, body)`` for every voice message from the relay (``voice_welcome``,
        ``voice_signal``, ``voice_state`` ...) and for each ``error`` refusing one of this
        client's voice messages (``body.type`` names it); returns an undo.

        Unlike the other listeners, ``fn`` runs on the client's network thread, not
        through ``dispatch``, so a voice engine's signalling never waits for a busy UI
        thread: return quickly, and hand the work to your own thread or loop.
        """
        return self._listeners.on_voice(fn)

    # --- persisted events ----------------------------------------------------------------------

    def add_annotation(self, annotation: Annotation) -> str:
        """Send a new note; returns its event id. It enters ``annotations`` once stored."""
        return self._submit("annotation_add", {"annotation": encode(annotation)})

    def update_annotation(
        self, annotation_id: str, *, clear: Sequence[str] = (), **changes: Any
    ) -> str:
        """Change fields of a note (shape, style, anchor, text, status); returns the event id.

        ``clear``: names of fields to remove (a note's words, its range); an update may
        only clear.
        """
        return self._submit("annotation_update", annotation_changes(annotation_id, clear, changes))

    def delete_annotation(self, annotation_id: str) -> str:
        """Remove a note (yours, or any as a host); returns the event id."""
        return self._submit("annotation_delete", {"id": annotation_id})

    def chat(self, text: str) -> str:
        """Send a chat line; returns the event id."""
        return self._submit("chat", encode(ChatMessage(id=new_id(), text=text)))

    def update_session(
        self,
        *,
        name: Optional[str] = None,
        closed: Optional[bool] = None,
        watermark: Optional[Watermark] = None,
    ) -> str:
        """Host: rename or close the session, or set who sees the watermark ("viewers",
        "everyone", "off"); returns the event id."""
        update = SessionUpdate(name=name, closed=closed, watermark=watermark)
        return self._submit("session", encode(update))

    # --- ephemeral messages --------------------------------------------------------------------

    def pointer(
        self, x: float, y: float, frame: Optional[int] = None, visible: bool = True
    ) -> None:
        """Move the laser pointer (ORI coordinates); dropped while not connected."""
        self._send("pointer", Pointer(x=x, y=y, frame=frame, visible=visible))

    def draft(self, draft: Draft) -> None:
        """Show a mark while it is drawn (the whole shape so far, or ``done``); never stored,
        rate-limited by the relay, dropped while not connected."""
        self._send("draft", draft)

    def presence(self, state: str, following: bool) -> None:
        """Say what you are doing (idle/drawing/typing/away) and whether you follow the driver."""
        self._act("presence", {"state": state, "following": following}, "set_presence")

    def set_timeline(self, timeline: Optional[SharedTimeline]) -> None:
        """As a guest with a cut of your own (an editor): share it, so whoever follows you can
        compare it with theirs. Never stored; sent again after each join, yours or someone's."""
        self._act("timeline", GuestTimeline(timeline=timeline), "set_timeline")

    def set_stream(self, stream: Stream) -> None:
        """As the host: what you share (name, colour space, size). Kept and re-sent on reconnect."""
        self._act("stream", stream, "set_stream")

    @property
    def stream(self) -> Optional[Stream]:
        """What the host shares, as it last said."""
        return self._protocol.replica.stream

    def set_playhead(self, playhead: Playhead) -> None:
        """As the driver: where the playhead is. Kept and sent on reconnect if you still drive.

        A frame outside the playhead's own range goes to its nearest end (round the loop while
        playing): a step past the last frame stays on the last frame.
        """
        with self._lock:
            self._protocol.set_playhead(in_range(self._protocol.checked("playhead", playhead)))
            self._pump()

    def claim_lease(self) -> None:
        """Ask to drive the playhead (a host always gets it; others when it is free)."""
        with self._lock:
            self._protocol.checked("lease_claim", LeaseClaim())
            self._protocol.claim_lease()
            self._pump()

    def release_lease(self, to: Optional[str] = None) -> None:
        """Stop driving; ``to``: hand the drive to that participant."""
        self._act("lease_release", LeaseRelease(to=to), "release_lease")

    def request_frames(
        self, max_width: Optional[int] = None, max_height: Optional[int] = None
    ) -> None:
        """Ask for frames no larger than this (None: full size); kept across reconnects."""
        request = FrameRequest(max_width=max_width, max_height=max_height)
        self._act("frame_request", request, "set_frame_request")

    def request_still(self) -> None:
        """Ask the host for a lossless (PNG) still of the current image, once."""
        self._send("frame_request", FrameRequest(lossless=True))

    def publish_frame(self, header: FrameHeader, payload: Payload) -> None:
        """Publish a frame; a newer call replaces a frame not yet sent (never a queue)."""
        if not self.publish_frames:
            raise RuntimeError("construct the SessionClient with publish_frames=True to publish")
        check_frame(header, payload, self._protocol.limits)
        self._media.slot.put(header, payload)

    def send_voice(self, mtype: str, data: Any = None) -> bool:
        """Send a voice message (``voice_join``, ``voice_leave``, ``voice_state``,
        ``voice_signal``, ``voice_allow``): ``data`` is its body, a dataclass or a dict.

        Checked now (ProtocolError names a bad field or a role that may not send it), sent
        if connected, dropped otherwise (returns False); never stored or kept in the outbox.
        After a ``voice_join`` the client joins voice again by itself after each reconnect
        (a new ``voice_welcome`` follows), until ``voice_leave``.
        """
        spec = MESSAGES.get(mtype)
        if not mtype.startswith(VOICE_PREFIX) or spec is None or spec.direction == "relay":
            sendable = sorted(
                t
                for t, s in MESSAGES.items()
                if t.startswith(VOICE_PREFIX) and s.direction != "relay"
            )
            raise ValueError(
                f"{mtype!r} is no voice message a client sends; one of: {', '.join(sendable)}"
            )
        with self._lock:
            sent = self._protocol.send_voice(mtype, self._protocol.checked(mtype, data or {}))
            self._pump()
        return sent

    # --- state -----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """connecting, synced, reconnecting, refused or closed (also before ``start``)."""
        return self._protocol.state

    @property
    def last_error(self) -> Optional[Error]:
        """The latest problem: the relay's error, or a connection failure (see UNREACHABLE)."""
        return self._protocol.last_error

    @property
    def session(self) -> Optional[SessionInfo]:
        return self._protocol.replica.session

    @property
    def participant(self) -> Optional[Participant]:
        """Who this client is in the session (from ``welcome``)."""
        return self._protocol.replica.me

    @property
    def participants(self) -> Mapping[str, Participant]:
        replica = self._protocol.replica
        return self._view(
            "participants",
            lambda: replica.participants_version,
            lambda: MappingProxyType(dict(replica.participants)),
        )

    @property
    def deleted_ids(self) -> frozenset[str]:
        """Ids of notes deleted in the session (so apps do not send kept copies back)."""
        with self._lock:
            return frozenset(self._protocol.replica.deleted)

    @property
    def annotations(self) -> Mapping[str, Annotation]:
        replica = self._protocol.replica
        return self._view(
            "annotations",
            lambda: replica.annotations_version,
            lambda: MappingProxyType(dict(replica.annotations)),
        )

    @property
    def chat_log(self) -> Sequence[ChatMessage]:
        replica = self._protocol.replica
        return self._view("chat", lambda: replica.chat_version, lambda: tuple(replica.chat))

    @property
    def playhead(self) -> Optional[Playhead]:
        return self._protocol.replica.playhead

    @property
    def driver(self) -> Optional[str]:
        """The participant id that drives the playhead, if anyone does."""
        return self._protocol.replica.driver

    @property
    def last_seq(self) -> int:
        """Every persisted event up to this sequence number has been applied."""
        return self._protocol.replica.last_seq

    @property
    def pending(self) -> int:
        """Persisted events sent (or to send) that the relay has not acknowledged yet."""
        with self._lock:
            return self._protocol.pending

    @property
    def limits(self) -> Limits:
        """The relay's limits (from ``welcome``; the defaults until then)."""
        return self._protocol.limits

    def _view(self, key: str, version: Callable[[], int], build_view: Callable[[], Any]) -> Any:
        with self._lock:
            cached = self._views.get(key)
            if cached is None or cached[0] != version():
                cached = self._views[key] = (version(), build_view())
            return cached[1]

    # --- handing the protocol's output on ----------------------------------------------------

    def _pump(self) -> None:
        """Queue what the protocol says to send and to deliver (call with the lock held)."""
        protocol = self._protocol
        for item in protocol.data_to_send():
            self._queue.put(item)
        for delivery in protocol.events_received():
            if isinstance(delivery, StateChanged):
                self._state_cond.notify_all()
                self._listeners.state(delivery.state)
            else:
                self._listeners.envelope(delivery)
                if is_voice(delivery):
                    self._listeners.voice(delivery)
        if protocol.take_outbox_changed():
            self._save_wake.set()
        if protocol.deadline() is not None:
            self._queue.wake()  # the writer waits until then at most

    def _submit(self, mtype: str, data: dict[str, Any]) -> str:
        with self._lock:
            eid = self._protocol.submit(mtype, data)
            self._pump()
        return eid

    def _send(self, mtype: str, body: Any) -> None:
        """Check ``body`` now and send it if live (dropped otherwise)."""
        with self._lock:
            self._protocol.send_live(mtype, self._protocol.checked(mtype, body))
            self._pump()

    def _act(self, mtype: str, body: Any, action: str) -> None:
        """Check ``body`` now and hand it to the protocol's ``action``, which keeps it."""
        with self._lock:
            getattr(self._protocol, action)(self._protocol.checked(mtype, body))
            self._pump()

    def _save_loop(self) -> None:
        while True:
            self._save_wake.wait()
            if self._closing.is_set():
                return  # close() writes the final state
            self._save_wake.clear()
            self._save_outbox()

    def _save_outbox(self) -> None:
        outbox = self._protocol.outbox
        if outbox.path is None:
            return
        with self._save_lock:
            with self._lock:
                text = outbox.to_text()
            try:
                outbox.save(text)
            except OSError as exc:
                log.error("could not write the outbox %s: %s", outbox.path, exc)

    # --- what the media socket says ---------------------------------------------------------

    def _media_refused(self, err: Error, serial: int) -> None:
        with self._lock:
            if self._protocol.media_refused(err, serial, time.monotonic()):
                abort(self._control.ws)  # only a welcome brings a new ticket: resume for one

    def _ask_frame(self, digest: str) -> None:
        with self._lock:
            self._protocol.send_live("frame_request", FrameRequest(hash=digest))
            self._pump()

    def _media_error(self, env: Envelope) -> None:
        with self._lock:
            self._protocol.media_error(env)
            self._pump()
        self._flush_notes()

    def _flush_notes(self) -> None:
        self._listeners.flush()

"""SessionClient: one participant's connection to a relay session, with resume and an outbox."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Literal, Optional, Union

import websocket

from ..errors import ErrorCode, ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
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
from ..protocol import (
    CAPABILITIES,
    MESSAGES,
    PERSISTED_TYPES,
    PROTOCOL_VERSION,
    Envelope,
    build,
    dumps,
    parse,
)
from ..protocol.messages import (
    CLOSE_REFUSED,
    CLOSE_REPLACED,
    FATAL_HELLO_ERRORS,
    Ack,
    Draft,
    Error,
    FrameRequest,
    GuestTimeline,
    Hello,
    LeaseClaim,
    LeaseRelease,
    Leave,
    MediaHello,
    Pointer,
    Presence,
    SessionUpdate,
    SharedTimeline,
    Stream,
    Welcome,
)
from ..protocol.packet import (
    CODEC_IDS,
    HEADER_SIZE,
    KIND_FRAME,
    KIND_REF,
    FrameHeader,
    pack,
    unpack,
)
from ..schema import decode, encode
from ..timeline import in_range
from . import timeouts
from .backoff import reconnect_delay
from .decode import decode_relay_message, limits_from_welcome
from .frame_cache import FrameCache
from .listeners import (
    LISTENABLE,
    Dispatch,
    EnvelopeListener,
    FrameListener,
    StateListener,
    call_direct,
)
from .outbox import Outbox, PendingEvent
from .outgoing import COALESCED, FrameSlot, Outgoing, Payload, SendQueue
from .replica import UPDATABLE, SessionReplica
from .sockets import (
    abort,
    close_quietly,
    close_reason,
    control_url,
    frames_while_alive,
    media_url,
    open_socket,
)
from .status import CONNECTION_LOST, REPLACED, UNREACHABLE, ClientState

log = logging.getLogger("overshoulder.client")

#: Refusals of a persisted event that may pass later: the event stays in the outbox.
RETRYABLE = frozenset({ErrorCode.INTERNAL, ErrorCode.NOT_READY, ErrorCode.RATE_LIMITED})

_Phase = Literal["down", "hello", "syncing", "live"]
#: What to do about the drive lease once (re)connected.
_LeaseIntent = Union[Literal["claim", "reclaim"], LeaseRelease, None]


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
        self._control_url = control_url(relay_url)
        self._media_url = media_url(relay_url)
        self.client_id = check_uuid(client_id, "client_id") if client_id else str(uuid.uuid4())
        if not name.strip():
            raise ValueError("name is empty: give the name other participants will see")
        self._hello = Hello(
            protocol=PROTOCOL_VERSION,
            token=token,
            name=name,
            client=client,
            client_id=self.client_id,
            capabilities=list(CAPABILITIES),
        )
        decode(Hello, encode(self._hello), "data")  # a bad name or token fails here, not later
        try:
            decode(MediaHello, {"ticket": "-", "cache": frame_cache}, "frame_cache")
        except ProtocolError as exc:
            raise ValueError(f"frame_cache: {exc.message}") from None
        self._dispatch_fn: Dispatch = dispatch or call_direct
        self.publish_frames = publish_frames
        self.receive_frames = receive_frames
        self._frame_cache = FrameCache(frame_cache)

        self._lock = threading.RLock()
        self._state_cond = threading.Condition(self._lock)
        self._notify_lock = threading.Lock()
        self._notifier: Optional[threading.Thread] = None
        self._notes: list[Callable[[], None]] = []
        self._state: ClientState = "closed"
        self._started = False
        self._closing = threading.Event()
        self._refusal: Optional[Error] = None
        self._last_error: Optional[Error] = None

        self._replica = SessionReplica()
        self._limits = DEFAULT_LIMITS
        self._outbox = Outbox(outbox_path)
        self._save_wake = threading.Event()
        self._save_lock = threading.Lock()
        self._queue = SendQueue()
        self._retry_at: Optional[float] = None

        self._gen = 0
        self._phase: _Phase = "down"
        self._ws: Optional[websocket.WebSocket] = None
        self._went_live = False
        # Ephemeral state the relay forgets with a connection: sent again after each join.
        self._presence: Optional[Presence] = None
        self._timeline_share: Optional[Any] = None
        self._stream: Optional[Any] = None
        self._frame_request: Optional[FrameRequest] = None
        self._lease_intent: _LeaseIntent = None
        # A host whose connection dropped while someone else drove: hand the drive back to
        # them when both are in again (the relay gives a host the drive when it is free).
        self._hand_back: Optional[str] = None
        self._hand_back_until = 0.0
        self._playhead_pending: Optional[Playhead] = None

        self._media_ws: Optional[websocket.WebSocket] = None
        self._media_ticket: Optional[str] = None
        self._ticket_serial = 0
        self._bad_ticket = 0
        self._last_rejoin = -timeouts.MEDIA_REJOIN_MIN_S
        self._media_wake = threading.Event()
        self._media_ready = threading.Event()
        self._out_slot = FrameSlot()
        self._last_published: Optional[tuple[FrameHeader, Payload]] = None
        self._frame_lock = threading.Lock()
        self._frame_in: Optional[tuple[FrameHeader, bytes]] = None
        self._frame_pending = False

        self._listeners: dict[str, list[EnvelopeListener]] = {}
        self._state_listeners: list[StateListener] = []
        self._frame_listeners: list[FrameListener] = []
        self._views: dict[str, tuple[int, Any]] = {}
        self._latest: dict[tuple[str, str], Envelope] = {}
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
            self._set_state("connecting")
        targets: list[tuple[str, Callable[[], None]]] = [
            ("control", self._control_loop),
            ("writer", self._writer_loop),
        ]
        if self.publish_frames or self.receive_frames:
            targets.append(("media", self._media_loop))
        if self.publish_frames:
            targets.append(("publisher", self._publish_loop))
        if self._outbox.path is not None:
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
            ws, gen, live = self._ws, self._gen, self._phase == "live"
        self._media_wake.set()
        self._media_ready.set()
        self._save_wake.set()
        self._out_slot.wake()
        if live and ws is not None:
            # After what is queued already: a note added just before close() still goes out.
            self._queue.put(Outgoing(gen, dumps(build("leave", Leave(reason="closed"))), "close"))
        else:
            self._queue.clear()
            self._queue.wake()
        me = threading.current_thread()
        deadline = time.monotonic() + timeouts.CLOSE_GRACE_S
        if self._writer is not None and self._writer is not me:
            self._writer.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            control, media = self._ws, self._media_ws
        abort(control)
        abort(media)
        for thread in self._threads:
            if thread is not me:
                thread.join(max(0.05, deadline + timeouts.CLOSE_GRACE_S - time.monotonic()))
        self._save_outbox()
        with self._lock:
            self._set_state("closed")
        self._flush_notes()

    def wait_synced(self, timeout: Optional[float] = None) -> bool:
        """Wait until the client is up to date with the relay; False on timeout or refusal.

        Never call this on a UI thread that your ``dispatch`` runs callbacks on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state_cond:
            while self._state != "synced":
                if self._state == "refused" or self._closing.is_set():
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
        if mtype not in LISTENABLE:
            raise ValueError(f"no relay message {mtype!r}; one of: {', '.join(sorted(LISTENABLE))}")
        with self._lock:
            self._listeners[mtype] = [*self._listeners.get(mtype, []), fn]

        def remove() -> None:
            with self._lock:
                self._listeners[mtype] = [f for f in self._listeners.get(mtype, []) if f is not fn]

        return remove

    def on_state(self, fn: StateListener) -> Callable[[], None]:
        """Call ``fn(state)`` on every change of ``state``; returns an undo."""
        with self._lock:
            self._state_listeners = [*self._state_listeners, fn]

        def remove() -> None:
            with self._lock:
                self._state_listeners = [f for f in self._state_listeners if f is not fn]

        return remove

    def on_frame(self, fn: FrameListener) -> Callable[[], None]:
        """Call ``fn(header, payload)`` with the newest frame (a slow receiver skips frames).

        ``header.kind`` is ``KIND_REF`` when the bytes came from this client's frame
        cache (the relay sent only the hash); the payload is the image either way.
        """
        with self._lock:
            self._frame_listeners = [*self._frame_listeners, fn]

        def remove() -> None:
            with self._lock:
                self._frame_listeners = [f for f in self._frame_listeners if f is not fn]

        return remove

    # --- persisted events ----------------------------------------------------------------------

    def add_annotation(self, annotation: Annotation) -> str:
        """Send a new note; returns its event id. It enters ``annotations`` once stored."""
        return self._submit("annotation_add", {"annotation": encode(annotation)})

    def update_annotation(self, annotation_id: str, **changes: Any) -> str:
        """Change fields of a note (shape, style, anchor, text, status); returns the event id."""
        unknown = sorted(set(changes) - set(UPDATABLE))
        if unknown:
            raise TypeError(
                f"update_annotation() cannot change {', '.join(unknown)}; "
                f"it changes {', '.join(UPDATABLE)}"
            )
        given = {k: encode(v) for k, v in changes.items() if v is not None}
        if not given:
            raise ValueError("update_annotation() needs at least one field to change")
        return self._submit("annotation_update", {"id": annotation_id, **given})

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
        body = self._checked("pointer", Pointer(x=x, y=y, frame=frame, visible=visible))
        self._send_live("pointer", body)

    def draft(self, draft: Draft) -> None:
        """Show a mark while it is drawn (the whole shape so far, or ``done``); never stored,
        rate-limited by the relay, dropped while not connected."""
        self._send_live("draft", self._checked("draft", draft))

    def presence(self, state: str, following: bool) -> None:
        """Say what you are doing (idle/drawing/typing/away) and whether you follow the driver."""
        body = self._checked("presence", {"state": state, "following": following})
        with self._lock:
            self._presence = body
            self._send_live("presence", body)

    def set_timeline(self, timeline: Optional[SharedTimeline]) -> None:
        """As a guest with a cut of your own (an editor): share it, so whoever follows you can
        compare it with theirs. Never stored; sent again after each join, yours or someone's."""
        body = self._checked("timeline", GuestTimeline(timeline=timeline))
        with self._lock:
            if body == self._timeline_share:
                return
            self._timeline_share = body
            self._send_live("timeline", body)

    def set_stream(self, stream: Stream) -> None:
        """As the host: what you share (name, colour space, size). Kept and re-sent on reconnect."""
        body = self._checked("stream", stream)
        with self._lock:
            self._stream = body
            self._replica.stream = body
            self._send_live("stream", body)

    @property
    def stream(self) -> Optional[Stream]:
        """What the host shares, as it last said."""
        return self._replica.stream

    def set_playhead(self, playhead: Playhead) -> None:
        """As the driver: where the playhead is. Kept and sent on reconnect if you still drive.

        A frame outside the playhead's own range goes to its nearest end (round the loop while
        playing): a step past the last frame stays on the last frame.
        """
        body = in_range(self._checked("playhead", playhead))
        with self._lock:
            me = self._replica.me
            if self._replica.driver is None or (me is not None and self._replica.driver == me.id):
                self._replica.playhead = body
            if not self._send_live("playhead", body):
                self._playhead_pending = body

    def claim_lease(self) -> None:
        """Ask to drive the playhead (a host always gets it; others when it is free)."""
        body = self._checked("lease_claim", LeaseClaim())
        with self._lock:
            self._hand_back = None
            if not self._send_live("lease_claim", body):
                self._lease_intent = "claim"

    def release_lease(self, to: Optional[str] = None) -> None:
        """Stop driving; ``to``: hand the drive to that participant."""
        body = self._checked("lease_release", LeaseRelease(to=to))
        with self._lock:
            self._hand_back = None
            if not self._send_live("lease_release", body):
                self._lease_intent = body

    def request_frames(
        self, max_width: Optional[int] = None, max_height: Optional[int] = None
    ) -> None:
        """Ask for frames no larger than this (None: full size); kept across reconnects."""
        request = FrameRequest(max_width=max_width, max_height=max_height)
        body = self._checked("frame_request", request)
        with self._lock:
            self._frame_request = body
            self._send_live("frame_request", body)

    def request_still(self) -> None:
        """Ask the host for a lossless (PNG) still of the current image, once."""
        body = self._checked("frame_request", FrameRequest(lossless=True))
        with self._lock:
            self._send_live("frame_request", body)

    def publish_frame(self, header: FrameHeader, payload: Payload) -> None:
        """Publish a frame; a newer call replaces a frame not yet sent (never a queue)."""
        if not self.publish_frames:
            raise RuntimeError("construct the SessionClient with publish_frames=True to publish")
        self._check_frame(header, payload)
        self._out_slot.put(header, payload)

    def _check_frame(self, header: FrameHeader, payload: Payload) -> None:
        """Refuse now what the relay would refuse later (and what ``pack`` cannot write)."""
        limits = self._limits
        if header.kind != KIND_FRAME:
            raise ValueError("publish frames with their bytes (kind KIND_FRAME)")
        if len(header.hash) != 16:
            raise ValueError(f"the frame hash must be 16 bytes, got {len(header.hash)}")
        if header.codec not in CODEC_IDS:
            raise ValueError(f"unknown codec {header.codec!r}; known: {', '.join(CODEC_IDS)}")
        for side, value in (("width", header.width), ("height", header.height)):
            if not 1 <= value <= limits.max_frame_side:
                raise ValueError(f"frame {side} {value} is outside 1..{limits.max_frame_side}")
        size = HEADER_SIZE + len(payload)
        if not len(payload):
            raise ValueError("the frame has no image bytes")
        if size > limits.max_frame_bytes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"the frame is {size} bytes; the relay takes at most {limits.max_frame_bytes}",
            )

    # --- state -----------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """connecting, synced, reconnecting, refused or closed (also before ``start``)."""
        return self._state

    @property
    def last_error(self) -> Optional[Error]:
        """The latest problem: the relay's error, or a connection failure (see UNREACHABLE)."""
        return self._last_error

    @property
    def session(self) -> Optional[SessionInfo]:
        return self._replica.session

    @property
    def participant(self) -> Optional[Participant]:
        """Who this client is in the session (from ``welcome``)."""
        return self._replica.me

    @property
    def participants(self) -> Mapping[str, Participant]:
        with self._lock:
            return self._view(
                "participants",
                self._replica.participants_version,
                lambda: MappingProxyType(dict(self._replica.participants)),
            )

    @property
    def deleted_ids(self) -> frozenset[str]:
        """Ids of notes deleted in the session (so apps do not send kept copies back)."""
        with self._lock:
            return frozenset(self._replica.deleted)

    @property
    def annotations(self) -> Mapping[str, Annotation]:
        with self._lock:
            return self._view(
                "annotations",
                self._replica.annotations_version,
                lambda: MappingProxyType(dict(self._replica.annotations)),
            )

    @property
    def chat_log(self) -> Sequence[ChatMessage]:
        with self._lock:
            return self._view("chat", self._replica.chat_version, lambda: tuple(self._replica.chat))

    @property
    def playhead(self) -> Optional[Playhead]:
        return self._replica.playhead

    @property
    def driver(self) -> Optional[str]:
        """The participant id that drives the playhead, if anyone does."""
        return self._replica.driver

    @property
    def last_seq(self) -> int:
        """Every persisted event up to this sequence number has been applied."""
        return self._replica.last_seq

    @property
    def pending(self) -> int:
        """Persisted events sent (or to send) that the relay has not acknowledged yet."""
        with self._lock:
            session = self._replica.session
            return self._outbox.count(session.id if session else None)

    @property
    def limits(self) -> Limits:
        """The relay's limits (from ``welcome``; the defaults until then)."""
        return self._limits

    def _view(self, key: str, version: int, build_view: Callable[[], Any]) -> Any:
        cached = self._views.get(key)
        if cached is None or cached[0] != version:
            cached = self._views[key] = (version, build_view())
        return cached[1]

    # --- sending -------------------------------------------------------------------------------

    def _checked(self, mtype: str, body: Any) -> Any:
        """``body`` as the relay will check it, or ProtocolError now; role checked if known."""
        spec = MESSAGES[mtype]
        me = self._replica.me
        if me is not None and me.role not in spec.roles:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"a {me.role} may not send {mtype}", "type")
        data = body if isinstance(body, dict) else encode(body)
        return decode(spec.body, data, "data", self._limits)

    def _submit(self, mtype: str, data: dict[str, Any]) -> str:
        self._checked(mtype, data)
        event = PendingEvent(eid=new_id(), type=mtype, data=data)
        with self._lock:
            session = self._replica.session
            if session is not None:
                event = dataclasses.replace(event, session=session.id)
            self._outbox.add(event)
            if self._phase == "live":
                self._queue.put(Outgoing(self._gen, event.wire(), mtype))
        self._save_wake.set()
        return event.eid

    def _send_live(self, mtype: str, body: Any) -> bool:
        """Queue ``body`` if the connection is live; False (nothing sent) otherwise."""
        with self._lock:
            if self._phase != "live":
                return False
            self._queue.put(Outgoing(self._gen, dumps(build(mtype, body)), mtype))
            return True

    def _writer_loop(self) -> None:
        last_sent = time.monotonic()
        while not self._closing.is_set() or len(self._queue):
            wait = timeouts.PING_INTERVAL_S - (time.monotonic() - last_sent)
            with self._lock:
                if self._retry_at is not None:
                    wait = min(wait, self._retry_at - time.monotonic())
            item = self._queue.get(max(0.0, wait))
            self._resend_if_due()
            with self._lock:
                ws, gen = self._ws, self._gen
            if item is None:
                if self._closing.is_set():
                    return
                if ws is not None and time.monotonic() - last_sent >= timeouts.PING_INTERVAL_S:
                    try:
                        ws.ping()
                    except Exception as exc:
                        log.debug("ping failed: %s", exc)
                        abort(ws)
                    last_sent = time.monotonic()
                continue
            if item.gen != gen or ws is None:
                continue
            try:
                ws.send(item.text)
                if item.kind == "close":
                    ws.send_close(reason=b"closed")
            except Exception as exc:
                log.debug("send failed: %s", exc)
                abort(ws)
            last_sent = time.monotonic()
            if item.kind == "close":
                return

    def _resend_if_due(self) -> None:
        with self._lock:
            due = self._retry_at is not None and time.monotonic() >= self._retry_at
            if not due:
                return
            self._retry_at = None
            session = self._replica.session
            if self._phase != "live" or session is None:
                return  # the next join sends the outbox anyway
            for event in self._outbox.for_session(session.id):
                self._queue.put(Outgoing(self._gen, event.wire(), event.type))

    def _save_loop(self) -> None:
        while True:
            self._save_wake.wait()
            if self._closing.is_set():
                return  # close() writes the final state
            self._save_wake.clear()
            self._save_outbox()

    def _save_outbox(self) -> None:
        if self._outbox.path is None:
            return
        with self._save_lock:
            with self._lock:
                text = self._outbox.to_text()
            try:
                self._outbox.save(text)
            except OSError as exc:
                log.error("could not write the outbox %s: %s", self._outbox.path, exc)

    # --- the control connection ------------------------------------------------------------------

    def _control_loop(self) -> None:
        attempt = 0
        while not self._closing.is_set():
            ws = self._connect()
            if ws is not None:
                try:
                    self._read(ws)
                except Exception:
                    log.exception("the control connection failed; reconnecting")
                    with self._lock:
                        self._error(Error(code=CONNECTION_LOST, message="client error (see log)"))
                if self._went_live:
                    attempt = 0
            with self._lock:
                if self._refusal is not None and not self._closing.is_set():
                    self._set_state("refused")
                elif not self._closing.is_set():
                    self._set_state("reconnecting")
            self._flush_notes()
            if self._refusal is not None:
                return
            self._closing.wait(reconnect_delay(attempt))
            attempt += 1

    def _connect(self) -> Optional[websocket.WebSocket]:
        with self._lock:
            self._gen += 1
            self._phase = "hello"
            self._went_live = False
            since = self._replica.last_seq if self._replica.joined else None
        try:
            ws = open_socket(self._control_url)
        except websocket.WebSocketBadStatusException as exc:
            status = exc.status_code
            code = {401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN}.get(status)
            message = f"the relay at {self.relay_url} answered HTTP {status} to the socket"
            with self._lock:
                self._error(Error(code=code or UNREACHABLE, message=message))
                if code is not None:
                    self._refusal = self._last_error
            return None
        except (OSError, websocket.WebSocketException) as exc:
            with self._lock:
                self._error(
                    Error(
                        code=UNREACHABLE,
                        message=f"cannot reach the relay at {self.relay_url}: {exc}",
                    )
                )
            return None
        hello = dataclasses.replace(self._hello, since=since)
        try:
            ws.settimeout(timeouts.RECV_TIMEOUT_S)
            ws.send(dumps(build("hello", hello)))
        except (OSError, websocket.WebSocketException) as exc:
            close_quietly(ws)
            with self._lock:
                self._error(Error(code=CONNECTION_LOST, message=f"could not say hello: {exc}"))
            return None
        with self._lock:
            if self._closing.is_set():
                close_quietly(ws)
                return None
            self._ws = ws
        return ws

    def _read(self, ws: websocket.WebSocket) -> None:
        with self._lock:
            gen = self._gen
        try:
            for opcode, data in frames_while_alive(ws, self._closing):
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    if not self._on_text(data, gen):
                        break
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    self._on_close_frame(data)
                    break
        except websocket.WebSocketTimeoutException:
            with self._lock:
                self._error(
                    Error(
                        code=CONNECTION_LOST,
                        message=f"nothing from the relay for {timeouts.RECV_TIMEOUT_S:.0f} s",
                    )
                )
        except (OSError, websocket.WebSocketException) as exc:
            if not self._closing.is_set():
                with self._lock:
                    self._error(Error(code=CONNECTION_LOST, message=f"connection lost: {exc}"))
        finally:
            with self._lock:
                if self._ws is ws:
                    self._ws = None
                me, driver = self._replica.me, self._replica.driver
                if self._lease_intent is None and me is not None and driver == me.id:
                    self._lease_intent = "reclaim"
                elif me is not None and me.role == "host" and driver not in (None, me.id):
                    self._hand_back = driver
                self._phase = "down"
                self._queue.clear()
            close_quietly(ws)
            self._flush_notes()

    def _on_close_frame(self, data: bytes) -> None:
        code, reason = close_reason(data)
        with self._lock:
            if code == CLOSE_REPLACED:
                self._refusal = Error(
                    code=REPLACED,
                    message=reason or "another connection with this client id took this seat",
                )
                self._error(self._refusal)
            elif code == CLOSE_REFUSED and self._refusal is None:
                self._refusal = Error(code=ErrorCode.UNAUTHORIZED, message=reason or "refused")
                self._error(self._refusal)
            elif self._phase == "live":
                self._error(
                    Error(
                        code=CONNECTION_LOST,
                        message=f"the relay closed the connection: {reason}",
                    )
                )

    def _on_text(self, data: Union[bytes, str], gen: int) -> bool:
        """Handle one control message; False ends this connection."""
        try:
            env = decode_relay_message(data, self._limits)
        except ProtocolError as exc:
            return self._on_undecodable(data, exc)
        except Exception:
            log.exception("failed to decode a message from the relay; skipped")
            return True
        try:
            return self._handle(env, gen)
        except Exception:
            log.exception("failed to handle a %s message from the relay", env.type)
            return True
        finally:
            self._flush_notes()

    def _on_undecodable(self, data: Union[bytes, str], exc: ProtocolError) -> bool:
        try:
            mtype = json.loads(data).get("type")
        except (ValueError, AttributeError, UnicodeDecodeError):
            mtype = None
        log.warning("the relay sent a %s message this client cannot read: %s", mtype, exc)
        needed = mtype in ("welcome", "snapshot", "snapshot_page", "synced")
        with self._lock:
            self._error(Error(code=exc.code, message=f"unreadable {mtype} from the relay: {exc}"))
        self._flush_notes()
        return not needed  # without these this connection cannot become live

    def _handle(self, env: Envelope, gen: int) -> bool:
        deliver = True
        keep = True
        saved = False
        with self._lock:
            if gen != self._gen or self._closing.is_set():
                return False
            mtype = env.type
            if mtype == "welcome":
                self._on_welcome(env.data)
            elif mtype == "snapshot":
                self._replica.snapshot(env.data)
                if env.data.full and not env.data.pages:
                    saved = self._go_live()
            elif mtype == "snapshot_page":
                # The notes of a paged snapshot: live (and the outbox sent) only at
                # synced, once the state is whole, so nothing is sent twice.
                self._replica.snapshot_page(env.data)
            elif mtype == "synced":
                # Ends a resume; after a full snapshot (live already) it only confirms it.
                self._replica.synced(env.data.seq)
                saved = self._go_live()
            elif mtype == "ack":
                saved = self._on_ack(env.data)
            elif mtype == "error":
                keep, saved = self._on_error(env.data)
            elif mtype in PERSISTED_TYPES:
                if self._outbox.discard(env.eid) is not None:
                    saved = True
                if env.seq is not None and not self._replica.mark(env.seq):
                    deliver = False  # already applied (a resume overlapping what we had)
                else:
                    self._replica.apply(mtype, env.data)
            else:
                if mtype == "playhead":
                    # A driver elsewhere may step past its range: this side shows a frame there is.
                    env = dataclasses.replace(env, data=in_range(env.data))
                self._replica.apply_live(env)
                if mtype == "lease":
                    self._on_lease(env.data)
                elif mtype == "join":
                    if self._timeline_share is not None:
                        # The relay keeps no guest's timeline: newcomers hear it from the guest.
                        self._send_live("timeline", self._timeline_share)
                    self._maybe_hand_back()
            if deliver:
                self._emit(env)
        if saved:
            self._save_wake.set()
        return keep

    def _on_welcome(self, welcome: Welcome) -> None:
        self._replica.welcome(welcome)
        self._limits = limits_from_welcome(welcome.limits)
        self._phase = "syncing"
        self._media_ticket = welcome.media_ticket
        self._ticket_serial += 1
        self._media_wake.set()

    def _go_live(self) -> bool:
        """The state is current: send what waited for a connection. True if the outbox changed."""
        if self._phase == "live":
            return False
        self._phase = "live"
        self._went_live = True
        gen, replica = self._gen, self._replica
        me = replica.me.id if replica.me else None
        put = self._queue.put
        if self._presence is not None:
            put(Outgoing(gen, dumps(build("presence", self._presence)), "presence"))
        if self._timeline_share is not None:
            put(Outgoing(gen, dumps(build("timeline", self._timeline_share)), "timeline"))
        if self._frame_request is not None:
            put(Outgoing(gen, dumps(build("frame_request", self._frame_request)), "frame_request"))
        if self._stream is not None:
            put(Outgoing(gen, dumps(build("stream", self._stream)), "stream"))
        intent, self._lease_intent = self._lease_intent, None
        claiming = intent == "claim" or (intent == "reclaim" and replica.driver is None)
        if claiming:
            put(Outgoing(gen, dumps(build("lease_claim", LeaseClaim())), "lease_claim"))
        elif isinstance(intent, LeaseRelease) and replica.driver == me:
            put(Outgoing(gen, dumps(build("lease_release", intent)), "lease_release"))
        if self._hand_back is not None:
            self._hand_back_until = time.monotonic() + timeouts.HAND_BACK_S
            self._maybe_hand_back()
        playhead, self._playhead_pending = self._playhead_pending, None
        if playhead is not None and (claiming or replica.driver in (None, me)):
            put(Outgoing(gen, dumps(build("playhead", playhead)), "playhead"))
        session = replica.session
        changed = any(event.session is None for event in self._outbox)
        if session is not None:
            for event in self._outbox.for_session(session.id):
                put(Outgoing(gen, event.wire(), event.type))
        self._set_state("synced")
        return changed

    def _on_ack(self, ack: Ack) -> bool:
        event = self._outbox.discard(ack.eid)
        if event is None:
            return False
        if ack.seq is None or self._replica.mark(ack.seq):
            try:
                self._replica.apply_own(event, self._limits, time.time(), ack.filled)
            except ProtocolError as exc:
                log.warning("could not apply this client's own %s: %s", event.type, exc)
        return True

    def _on_error(self, err: Error) -> tuple[bool, bool]:
        """(keep the connection, the outbox changed)."""
        self._error(err)
        if self._phase == "hello":
            if err.code in FATAL_HELLO_ERRORS:
                self._refusal = err
                return False, False
            return True, False  # the relay closes; the next attempt may pass
        event = self._outbox.get(err.ref) if err.ref else None
        if event is not None and err.code not in RETRYABLE:
            self._outbox.discard(event.eid)
            log.warning("the relay refused %s %s: %s", event.type, event.eid, err.message)
            return True, True
        if event is not None or err.code == ErrorCode.INTERNAL:
            self._retry_at = time.monotonic() + timeouts.RETRY_AFTER_ERROR_S
            self._queue.wake()
        return True, False

    def _on_lease(self, lease: Any) -> None:
        me = self._replica.me
        if me is not None and lease.holder not in (None, me.id):
            self._playhead_pending = None
            if self._phase == "live":
                self._hand_back = None  # someone drives: the drive went where it goes

    def _maybe_hand_back(self) -> None:
        """As a host back after a dropped connection: give the drive back to whoever held it,
        once they are in again too (within ``HAND_BACK_S``; call with the lock held)."""
        whom, replica = self._hand_back, self._replica
        me = replica.me
        if whom is None or me is None or self._phase != "live":
            return
        if time.monotonic() > self._hand_back_until or replica.driver not in (None, me.id):
            self._hand_back = None
            return
        if whom in replica.participants:
            self._hand_back = None
            log.info("giving the drive back to %s, who held it before the connection dropped", whom)
            self._send_live("lease_release", LeaseRelease(to=whom))

    # --- the media connection --------------------------------------------------------------------

    def _media_loop(self) -> None:
        attempt = 0
        while not self._closing.is_set() and self._refusal is None:
            with self._lock:
                ticket, serial = self._media_ticket, self._ticket_serial
            if ticket is None or serial == self._bad_ticket:
                self._media_wake.wait(1.0)
                self._media_wake.clear()
                continue
            try:
                ws = self._connect_media(ticket, serial)
                if ws is not None:
                    attempt = 0
                    self._read_media(ws)
            except Exception:
                log.exception("the media connection failed; reconnecting")
            if self._closing.is_set():
                return
            self._media_wake.wait(reconnect_delay(attempt))
            self._media_wake.clear()
            attempt += 1

    def _connect_media(self, ticket: str, serial: int) -> Optional[websocket.WebSocket]:
        hello = build("media_hello", MediaHello(ticket=ticket, cache=self._frame_cache.capacity))
        try:
            ws = open_socket(self._media_url)
        except (OSError, websocket.WebSocketException) as exc:
            log.info("media socket: cannot connect: %s", exc)
            return None
        try:
            ws.send(dumps(hello))
            opcode, data = ws.recv_data()
        except (OSError, websocket.WebSocketException) as exc:
            log.info("media socket: no answer to media_hello: %s", exc)
            close_quietly(ws)
            return None
        try:
            env = parse(data, direction="relay") if opcode == websocket.ABNF.OPCODE_TEXT else None
        except ProtocolError as exc:
            env = None
            log.warning("media socket: unreadable answer: %s", exc)
        if env is None or env.type != "media_welcome":
            close_quietly(ws)
            with self._lock:
                if env is not None and env.type == "error":
                    self._error(env.data)
                    self._bad_ticket = serial
                    now = time.monotonic()
                    if (
                        self._phase == "live"
                        and now - self._last_rejoin >= timeouts.MEDIA_REJOIN_MIN_S
                    ):
                        # Only a welcome brings a new ticket: resume the control socket.
                        log.info("media ticket refused (%s); rejoining for a new one", env.data)
                        self._last_rejoin = now
                        abort(self._ws)
            self._flush_notes()
            return None
        ws.settimeout(timeouts.RECV_TIMEOUT_S)
        with self._lock:
            if self._closing.is_set():
                close_quietly(ws)
                return None
            self._media_ws = ws
            if self.publish_frames and self._last_published is not None:
                self._out_slot.put_back(self._last_published)
        self._media_ready.set()
        return ws

    def _read_media(self, ws: websocket.WebSocket) -> None:
        try:
            for opcode, data in frames_while_alive(ws, self._closing):
                if opcode == websocket.ABNF.OPCODE_BINARY:
                    if self.receive_frames:
                        self._on_packet(data)
                elif opcode == websocket.ABNF.OPCODE_TEXT:
                    self._on_media_text(data)
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    code, reason = close_reason(data)
                    log.info("media socket closed by the relay: %s %s", code, reason)
                    break
        except (OSError, websocket.WebSocketException) as exc:
            if not self._closing.is_set():
                log.info("media socket lost: %s", exc)
        finally:
            self._media_ready.clear()
            with self._lock:
                if self._media_ws is ws:
                    self._media_ws = None
            close_quietly(ws)

    def _on_media_text(self, data: bytes) -> None:
        try:
            env = parse(data, direction="relay")
        except ProtocolError as exc:
            log.warning("media socket: unreadable message: %s", exc)
            return
        if env.type == "error":
            with self._lock:
                self._error(env.data)
                self._emit(env)
            self._flush_notes()

    def _on_packet(self, data: bytes) -> None:
        try:
            header, view = unpack(data, self._limits)
        except ProtocolError as exc:
            log.warning("media socket: bad frame packet: %s", exc)
            return
        if header.kind == KIND_REF:
            payload = self._frame_cache.recall(header.hash)
            if payload is None:
                # The relay thinks this frame is here, but it is not (any more): ask for it.
                self._send_live("frame_request", FrameRequest(hash=header.hash_hex))
                return
        else:
            payload = bytes(view)
            self._frame_cache.remember(header.hash, payload)
        with self._frame_lock:
            self._frame_in = (header, payload)
            if self._frame_pending:
                return  # the callback already on its way takes this newer frame
            self._frame_pending = True
        self._dispatch(self._deliver_frame)

    def _deliver_frame(self) -> None:
        with self._frame_lock:
            item, self._frame_in = self._frame_in, None
            self._frame_pending = False
        if item is None:
            return
        for fn in self._frame_listeners:
            try:
                fn(*item)
            except Exception:
                log.exception("an on_frame listener failed")

    def _publish_loop(self) -> None:
        while not self._closing.is_set() and self._refusal is None:
            if not self._media_ready.wait(0.5):
                continue
            item = self._out_slot.take(0.5)
            if item is None:
                continue
            with self._lock:
                ws = self._media_ws
            if ws is None:
                self._out_slot.put_back(item)
                continue
            try:
                ws.send_binary(pack(item[0], bytes(item[1])))
                self._last_published = item
            except Exception as exc:
                log.info("media socket: sending a frame failed: %s", exc)
                self._out_slot.put_back(item)
                abort(ws)

    # --- callbacks -------------------------------------------------------------------------------

    def _error(self, err: Error) -> None:
        """Record ``err`` as ``last_error`` (call with the lock held)."""
        self._last_error = err

    def _set_state(self, state: ClientState) -> None:
        """Change ``state`` and queue the callbacks (call with the lock held)."""
        if state == self._state:
            return
        if self._state == "closed" and self._closing.is_set():
            return
        self._state = state
        self._state_cond.notify_all()
        listeners = self._state_listeners
        self._notes.append(lambda: self._call_each(listeners, state))

    def _emit(self, env: Envelope) -> None:
        """Queue the listeners of ``env.type`` (call with the lock held).

        Pointer, presence and playhead keep only the newest message per sender
        while a callback for it waits in the dispatcher: a UI thread that was
        busy for a second gets the current position, not sixty stale ones.
        """
        listeners = self._listeners.get(env.type)
        if not listeners:
            return
        if env.type not in COALESCED:
            self._notes.append(lambda: self._call_each(listeners, env))
            return
        key = (env.type, getattr(env.data, "id", None) or env.sender or "")
        waiting = key in self._latest
        self._latest[key] = env
        if not waiting:
            self._notes.append(lambda: self._deliver_latest(key))

    def _deliver_latest(self, key: tuple[str, str]) -> None:
        with self._lock:
            env = self._latest.pop(key, None)
            listeners = self._listeners.get(key[0], [])
        if env is not None:
            self._call_each(listeners, env)

    def _flush_notes(self) -> None:
        """Hand queued callbacks to the dispatcher, in order, outside the state lock.

        A callback run directly (the default dispatcher) may call back into the
        client; what it queues is handed over by the loop already running here.
        """
        me = threading.current_thread()
        if self._notifier is me:
            return
        with self._notify_lock:
            self._notifier = me
            try:
                while True:
                    with self._lock:
                        notes, self._notes = self._notes, []
                    if not notes:
                        return
                    for note in notes:
                        self._dispatch(note)
            finally:
                self._notifier = None

    def _dispatch(self, fn: Callable[[], None]) -> None:
        try:
            self._dispatch_fn(fn)
        except Exception:
            log.exception("the dispatcher failed to take a callback")

    @staticmethod
    def _call_each(listeners: Iterable[Callable[[Any], None]], arg: Any) -> None:
        for fn in listeners:
            try:
                fn(arg)
            except Exception:
                log.exception("a SessionClient listener failed")

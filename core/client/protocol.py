"""The session protocol as a state machine that does no I/O.

``SessionProtocol`` is told what happened (a connection opened, text arrived, the relay
closed the socket, the app called ``submit`` ...) and answers with what to do: texts to send
(``data_to_send``, each tagged with the connection it is for), things to deliver
(``events_received``: envelopes for listeners, state changes), whether the outbox changed
(``take_outbox_changed``) and when to call ``tick`` next (``deadline``). It owns the phases of
a connection, where to resume from, the outbox and its resends, acks, errors and the drive
lease; its session state is a ``SessionReplica``.

It never touches sockets, threads, locks or clocks: the times it needs come in as ``now``
(a monotonic clock, seconds) and ``wall`` (seconds since the epoch). ``SessionClient`` is the
driver that owns the sockets and threads and calls it under one lock.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from typing import Any, Literal, Optional, Union

from ..errors import ErrorCode, ProtocolError
from ..limits import DEFAULT_LIMITS, Limits
from ..model import Playhead, new_id
from ..protocol import MESSAGES, PERSISTED_TYPES, Envelope, build, dumps
from ..protocol.messages import (
    CLOSE_REFUSED,
    CLOSE_REPLACED,
    FATAL_HELLO_ERRORS,
    Ack,
    Error,
    FrameRequest,
    Hello,
    LeaseClaim,
    LeaseRelease,
    Leave,
    Presence,
    Welcome,
)
from ..schema import decode, encode
from ..timeline import in_range
from . import timeouts
from .decode import decode_relay_message, limits_from_welcome
from .listeners import NoteUpdated
from .outbox import Outbox, PendingEvent
from .outgoing import Outgoing
from .replica import UPDATABLE, SessionReplica
from .status import CONNECTION_LOST, REPLACED, UNREACHABLE, ClientState

log = logging.getLogger("overshoulder.client")

#: Refusals of a persisted event that may pass later: the event stays in the outbox.
RETRYABLE = frozenset({ErrorCode.INTERNAL, ErrorCode.NOT_READY, ErrorCode.RATE_LIMITED})
#: Messages without which a connection cannot become live: unreadable, the connection ends.
NEEDED_TO_JOIN = frozenset({"welcome", "snapshot", "snapshot_page", "synced"})
#: HTTP answers to the socket's upgrade that mean "no" for good, as the relay's error codes.
REFUSING_STATUS = {401: ErrorCode.UNAUTHORIZED, 403: ErrorCode.FORBIDDEN}
#: Every voice message's type starts so (``voice_join``, ``voice_signal`` ...).
VOICE_PREFIX = "voice_"

#: down (no connection), hello (said hello, no welcome yet), syncing (welcomed, catching up),
#: live (up to date: what waited for a connection has been sent).
Phase = Literal["down", "hello", "syncing", "live"]
#: What to do about the drive lease once (re)connected.
LeaseIntent = Union[Literal["claim", "reclaim"], LeaseRelease, None]


@dataclasses.dataclass(frozen=True)
class StateChanged:
    """``SessionClient.state`` became ``state``: tell the state listeners."""

    state: ClientState


#: What ``events_received`` gives: a relay message for its listeners, or a state change.
Delivery = Union[Envelope, StateChanged]


class SessionProtocol:
    """One participant's side of the session protocol; see the module's docstring.

    Not thread-safe: the driver calls it under one lock. Three things are safe off the
    lock, and ``SessionClient``'s links use them so: ``decode_text`` (it changes nothing and
    reads only ``limits``, which a welcome replaces whole), and reading ``went_live`` and
    ``refusal`` (one attribute each, for a loop deciding whether to go on; what they lead
    to is done under the lock). Every input names the connection generation it is about
    (``gen``, from ``connect``); texts of an older connection are ignored, and texts to
    send carry the generation they are for.
    """

    def __init__(self, hello: Hello, outbox: Optional[Outbox] = None) -> None:
        self.hello = hello
        self.replica = SessionReplica()
        self.outbox = outbox if outbox is not None else Outbox()
        self.limits: Limits = DEFAULT_LIMITS
        self.state: ClientState = "closed"
        self.closing = False
        #: The refusal that ended this client for good (bad token, seat taken), if any.
        self.refusal: Optional[Error] = None
        self.last_error: Optional[Error] = None
        self.gen = 0
        self.phase: Phase = "down"
        #: Whether the current connection became live (the driver resets its backoff then).
        self.went_live = False
        #: When to send the outbox again after a refusal that may pass (see ``tick``).
        self.retry_at: Optional[float] = None
        # Ephemeral state the relay forgets with a connection: sent again after each join.
        self.presence: Optional[Presence] = None
        self.timeline_share: Optional[Any] = None
        self.stream: Optional[Any] = None
        self.frame_request: Optional[FrameRequest] = None
        self.lease_intent: LeaseIntent = None
        # The voice_join to say again after each join while this client is in voice (the
        # relay drops a participant from voice when its connection ends).
        self.voice_join: Optional[Any] = None
        self.voice_join_gen = 0  # the connection it was last said on
        self.voice_welcomed = False  # the relay has answered the latest join
        # A host whose connection dropped while someone else drove: hand the drive back to
        # them when both are in again (the relay gives a host the drive when it is free).
        self.hand_back: Optional[str] = None
        self.hand_back_until = 0.0
        self.playhead_pending: Optional[Playhead] = None
        # The media socket's ticket (from each welcome), and the one the relay refused.
        self.media_ticket: Optional[str] = None
        self.ticket_serial = 0
        self.bad_ticket = 0
        self.last_rejoin = -timeouts.MEDIA_REJOIN_MIN_S
        self._to_send: list[Outgoing] = []
        self._events: list[Delivery] = []
        self._outbox_changed = False

    # --- outputs ---------------------------------------------------------------------------------

    def data_to_send(self) -> list[Outgoing]:
        """The texts to send since the last call, in order (each for connection ``gen``)."""
        out, self._to_send = self._to_send, []
        return out

    def events_received(self) -> list[Delivery]:
        """What to deliver since the last call, in order: envelopes and state changes."""
        out, self._events = self._events, []
        return out

    def take_outbox_changed(self) -> bool:
        """Whether the outbox changed since the last call (the driver then saves it)."""
        changed, self._outbox_changed = self._outbox_changed, False
        return changed

    def deadline(self) -> Optional[float]:
        """When (``now``'s clock) to call ``tick`` next; None: no timer is needed."""
        return self.retry_at

    @property
    def pending(self) -> int:
        """Persisted events sent (or to send) that the relay has not acknowledged yet."""
        session = self.replica.session
        return self.outbox.count(session.id if session else None)

    # --- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """The driver starts connecting."""
        self._set_state("connecting")

    def close(self) -> Optional[Outgoing]:
        """The app closes the client: the goodbye to send after what is queued, if live."""
        self.closing = True
        if self.phase != "live":
            return None
        return Outgoing(self.gen, dumps(build("leave", Leave(reason="closed"))), "close")

    def closed(self) -> None:
        """Everything has stopped."""
        self._set_state("closed")

    def connect(self) -> Outgoing:
        """A new connection attempt begins: its generation and hello (resuming if joined)."""
        self.gen += 1
        self.phase = "hello"
        self.went_live = False
        since = self.replica.last_seq if self.replica.joined else None
        hello = dataclasses.replace(self.hello, since=since)
        return Outgoing(self.gen, dumps(build("hello", hello)), "hello")

    def connect_failed(self, message: str, status: Optional[int] = None) -> None:
        """The socket did not open; ``status``: the HTTP answer to the upgrade, if any."""
        code = REFUSING_STATUS.get(status) if status is not None else None
        self._error(Error(code=code or UNREACHABLE, message=message))
        if code is not None:
            self.refusal = self.last_error

    def connection_error(self, message: str) -> None:
        """An open connection failed (silence, a reset, a hello that could not be sent)."""
        self._error(Error(code=CONNECTION_LOST, message=message))

    def close_frame(self, code: Optional[int], reason: str) -> None:
        """The relay closed the connection with ``code`` and ``reason``."""
        if code == CLOSE_REPLACED:
            self.refusal = Error(
                code=REPLACED,
                message=reason or "another connection with this client id took this seat",
            )
            self._error(self.refusal)
        elif code == CLOSE_REFUSED and self.refusal is None:
            self.refusal = Error(code=ErrorCode.UNAUTHORIZED, message=reason or "refused")
            self._error(self.refusal)
        elif self.phase == "live":
            self._error(
                Error(code=CONNECTION_LOST, message=f"the relay closed the connection: {reason}")
            )

    def connection_lost(self) -> None:
        """The connection ended: remember the drive to take (or hand) back on the next one."""
        me, driver = self.replica.me, self.replica.driver
        if self.lease_intent is None and me is not None and driver == me.id:
            self.lease_intent = "reclaim"
        elif me is not None and me.role == "host" and driver not in (None, me.id):
            self.hand_back = driver
        self.phase = "down"
        self._to_send.clear()

    def connection_ended(self) -> None:
        """After a connection (or a failed attempt): refused for good, or reconnecting."""
        if self.closing:
            return
        self._set_state("refused" if self.refusal is not None else "reconnecting")

    # --- what the relay says -------------------------------------------------------------------

    def receive_text(self, data: Union[bytes, str], gen: int, now: float, wall: float) -> bool:
        """Handle one control message of connection ``gen``; False ends that connection."""
        return self.receive_decoded(data, self.decode_text(data), gen, now, wall)

    def decode_text(self, data: Union[bytes, str]) -> Union[Envelope, ProtocolError, None]:
        """Decode a control message without changing anything (a driver may do this slow
        part outside its lock): the envelope, the reason it is unreadable, or None."""
        try:
            return decode_relay_message(data, self.limits)
        except ProtocolError as exc:
            return exc
        except Exception:
            log.exception("failed to decode a message from the relay; skipped")
            return None

    def receive_decoded(
        self,
        data: Union[bytes, str],
        decoded: Union[Envelope, ProtocolError, None],
        gen: int,
        now: float,
        wall: float,
    ) -> bool:
        """``receive_text`` for a message ``decode_text`` has decoded already."""
        if isinstance(decoded, ProtocolError):
            return self._undecodable(data, decoded)
        if decoded is None:
            return True
        try:
            return self.receive(decoded, gen, now, wall)
        except Exception:
            log.exception("failed to handle a %s message from the relay", decoded.type)
            return True

    def receive(self, env: Envelope, gen: int, now: float, wall: float) -> bool:
        """Handle one decoded control message of connection ``gen``; False ends it."""
        if gen != self.gen or self.closing:
            return False
        deliver = True
        keep = True
        mtype = env.type
        if mtype == "welcome":
            self._welcome(env.data)
        elif mtype == "snapshot":
            self.replica.snapshot(env.data)
            if env.data.full and not env.data.pages:
                self._go_live(now)
        elif mtype == "snapshot_page":
            # The notes of a paged snapshot: live (and the outbox sent) only at
            # synced, once the state is whole, so nothing is sent twice.
            self.replica.snapshot_page(env.data)
        elif mtype == "synced":
            # Ends a resume; after a full snapshot (live already) it only confirms it.
            self.replica.synced(env.data.seq)
            self._go_live(now)
        elif mtype == "ack":
            self._ack(env.data, wall)
        elif mtype == "error":
            keep = self._relay_error(env.data, now)
        elif mtype in PERSISTED_TYPES:
            if self.outbox.discard(env.eid) is not None:
                self._outbox_changed = True
            if env.seq is not None and not self.replica.mark(env.seq):
                deliver = False  # already applied (a resume overlapping what we had)
            else:
                self.replica.apply(mtype, env.data, env.seq)
                if mtype == "annotation_update":  # listeners get the whole note it left
                    env = NoteUpdated.of(env, self.replica.annotations.get(env.data.id))
        else:
            if mtype == "playhead":
                # A driver elsewhere may step past its range: this side shows a frame there is.
                env = dataclasses.replace(env, data=in_range(env.data))
            self.replica.apply_live(env)
            if mtype == "voice_state":
                self._voice_state(env.data)
            elif mtype == "voice_welcome":
                self.voice_welcomed = True
            if mtype == "lease":
                self._lease(env.data)
            elif mtype == "join":
                if self.timeline_share is not None:
                    # The relay keeps no guest's timeline: newcomers hear it from the guest.
                    self.send_live("timeline", self.timeline_share)
                self._maybe_hand_back(now)
        if deliver:
            self._events.append(env)
        return keep

    def tick(self, now: float) -> None:
        """Time has passed: send the outbox again if a retry is due."""
        if self.retry_at is None or now < self.retry_at:
            return
        self.retry_at = None
        session = self.replica.session
        if self.phase != "live" or session is None:
            return  # the next join sends the outbox anyway
        for event in self.outbox.for_session(session.id):
            self._put(event.type, event.wire())

    # --- the media socket ------------------------------------------------------------------------

    def media_refused(self, err: Error, serial: int, now: float) -> bool:
        """The relay refused media ticket ``serial``; True: rejoin (abort the control socket).

        Only a welcome brings a new ticket, so a live client resumes its control
        connection for one, at most every ``MEDIA_REJOIN_MIN_S``.
        """
        self._error(err)
        self.bad_ticket = serial
        if self.phase != "live" or now - self.last_rejoin < timeouts.MEDIA_REJOIN_MIN_S:
            return False
        log.info("media ticket refused (%s); rejoining for a new one", err)
        self.last_rejoin = now
        return True

    def media_error(self, env: Envelope) -> None:
        """An error on the open media socket: recorded, and delivered to its listeners."""
        self._error(env.data)
        self._events.append(env)

    def usable_ticket(self) -> Optional[tuple[str, int]]:
        """The media ticket to connect with and its serial; None while there is none to try."""
        if self.media_ticket is None or self.ticket_serial == self.bad_ticket:
            return None
        return self.media_ticket, self.ticket_serial

    # --- what the app does -------------------------------------------------------------------

    def checked(self, mtype: str, body: Any) -> Any:
        """``body`` as the relay will check it, or ProtocolError now; role checked if known."""
        spec = MESSAGES[mtype]
        me = self.replica.me
        if me is not None and me.role not in spec.roles:
            raise ProtocolError(ErrorCode.FORBIDDEN, f"a {me.role} may not send {mtype}", "type")
        data = body if isinstance(body, dict) else encode(body)
        return decode(spec.body, data, "data", self.limits)

    def submit(self, mtype: str, data: dict[str, Any]) -> str:
        """A persisted event: checked, kept in the outbox, sent if live; returns its eid."""
        self.checked(mtype, data)
        event = PendingEvent(eid=new_id(), type=mtype, data=data)
        session = self.replica.session
        if session is not None:
            event = dataclasses.replace(event, session=session.id)
        self.outbox.add(event)
        self._outbox_changed = True
        if self.phase == "live":
            self._put(mtype, event.wire())
        return event.eid

    def send_live(self, mtype: str, body: Any) -> bool:
        """Send ``body`` if the connection is live; False (nothing sent) otherwise."""
        if self.phase != "live":
            return False
        self._put(mtype, dumps(build(mtype, body)))
        return True

    def send_voice(self, mtype: str, body: Any) -> bool:
        """A voice message (body checked): sent if live, dropped otherwise; never stored.

        A ``voice_join`` is kept (with the latest muted flag of ``voice_state``) and said
        again after each join until a ``voice_leave``: voice survives a reconnect. The same
        join again on a connection that said it already is not sent twice (an engine that
        joins again itself after a reconnect, as the page's does, finds it done).
        """
        if mtype == "voice_join":
            if body == self.voice_join and self.voice_join_gen == self.gen and self.phase == "live":
                return True
            self.voice_join = body
            if self.send_live(mtype, body):
                self.voice_join_gen, self.voice_welcomed = self.gen, False
                return True
            return False
        elif mtype == "voice_leave":
            self.voice_join = None
        elif mtype == "voice_state" and self.voice_join is not None:
            self.voice_join = dataclasses.replace(self.voice_join, muted=body.muted)
        return self.send_live(mtype, body)

    # The ``set_`` calls keep what the relay forgets with a connection, to say it again
    # after each join; the bodies come checked (see ``checked``).

    def set_presence(self, body: Presence) -> None:
        self.presence = body
        self.send_live("presence", body)

    def set_timeline(self, body: Any) -> None:
        """A guest's own timeline (``GuestTimeline``); an unchanged one is not sent again."""
        if body == self.timeline_share:
            return
        self.timeline_share = body
        self.send_live("timeline", body)

    def set_stream(self, body: Any) -> None:
        self.stream = body
        self.replica.stream = body
        self.send_live("stream", body)

    def set_frame_request(self, body: FrameRequest) -> None:
        self.frame_request = body
        self.send_live("frame_request", body)

    def set_playhead(self, body: Playhead) -> None:
        """Where this driver's playhead is; kept to send on reconnect if not live."""
        me = self.replica.me
        if self.replica.driver is None or (me is not None and self.replica.driver == me.id):
            self.replica.playhead = body
        if not self.send_live("playhead", body):
            self.playhead_pending = body

    def claim_lease(self) -> None:
        """Ask to drive now, or once live; a host gives up handing the drive back."""
        self.hand_back = None
        if not self.send_live("lease_claim", LeaseClaim()):
            self.lease_intent = "claim"

    def release_lease(self, body: LeaseRelease) -> None:
        """Give the drive away now, or once live if this client still drives then."""
        self.hand_back = None
        if not self.send_live("lease_release", body):
            self.lease_intent = body

    # --- inside ----------------------------------------------------------------------------------

    def _put(self, kind: str, text: str) -> None:
        self._to_send.append(Outgoing(self.gen, text, kind))

    def _error(self, err: Error) -> None:
        self.last_error = err

    def _set_state(self, state: ClientState) -> None:
        if state == self.state:
            return
        if self.state == "closed" and self.closing:
            return
        self.state = state
        self._events.append(StateChanged(state))

    def _undecodable(self, data: Union[bytes, str], exc: ProtocolError) -> bool:
        try:
            mtype = json.loads(data).get("type")
        except (ValueError, AttributeError, UnicodeDecodeError):
            mtype = None
        log.warning("the relay sent a %s message this client cannot read: %s", mtype, exc)
        self._error(Error(code=exc.code, message=f"unreadable {mtype} from the relay: {exc}"))
        return mtype not in NEEDED_TO_JOIN

    def _welcome(self, welcome: Welcome) -> None:
        self.replica.welcome(welcome)
        self.limits = limits_from_welcome(welcome.limits)
        self.phase = "syncing"
        self.media_ticket = welcome.media_ticket
        self.ticket_serial += 1

    def _go_live(self, now: float) -> None:
        """The state is current: send what waited for a connection."""
        if self.phase == "live":
            return
        self.phase = "live"
        self.went_live = True
        replica = self.replica
        me = replica.me.id if replica.me else None
        kept = (
            ("presence", self.presence),
            ("timeline", self.timeline_share),
            ("frame_request", self.frame_request),
            ("stream", self.stream),
        )
        for mtype, body in kept:
            if body is not None:
                self.send_live(mtype, body)
        intent, self.lease_intent = self.lease_intent, None
        claiming = intent == "claim" or (intent == "reclaim" and replica.driver is None)
        if claiming:
            self.send_live("lease_claim", LeaseClaim())
        elif isinstance(intent, LeaseRelease) and replica.driver == me:
            self.send_live("lease_release", intent)
        if self.hand_back is not None:
            self.hand_back_until = now + timeouts.HAND_BACK_S
            self._maybe_hand_back(now)
        playhead, self.playhead_pending = self.playhead_pending, None
        if playhead is not None and (claiming or replica.driver in (None, me)):
            self.send_live("playhead", playhead)
        if self.voice_join is not None:
            self.send_live("voice_join", self.voice_join)
            self.voice_join_gen, self.voice_welcomed = self.gen, False
        session = replica.session
        if any(event.session is None for event in self.outbox):
            self._outbox_changed = True
        if session is not None:
            for event in self.outbox.for_session(session.id):
                self._put(event.type, event.wire())
        self._set_state("synced")

    def _ack(self, ack: Ack, wall: float) -> None:
        event = self.outbox.discard(ack.eid)
        if event is None:
            return  # not ours, or acknowledged already
        self._outbox_changed = True
        if ack.seq is None or self.replica.mark(ack.seq):
            try:
                self.replica.apply_own(event, self.limits, wall, ack.filled, ack.seq)
            except ProtocolError as exc:
                log.warning("could not apply this client's own %s: %s", event.type, exc)

    def _relay_error(self, err: Error, now: float) -> bool:
        """Record the relay's error; False ends the connection (a refused hello)."""
        self._error(err)
        if err.type == "voice_join" and err.code not in RETRYABLE:
            self.voice_join = None  # not in voice (full, or not allowed): no joining again
        if self.phase == "hello":
            if err.code in FATAL_HELLO_ERRORS:
                self.refusal = err
                return False
            return True  # the relay closes; the next attempt may pass
        event = self.outbox.get(err.ref) if err.ref else None
        if event is not None and err.code not in RETRYABLE:
            self.outbox.discard(event.eid)
            self._outbox_changed = True
            log.warning("the relay refused %s %s: %s", event.type, event.eid, err.message)
            return True
        if event is not None or err.code == ErrorCode.INTERNAL:
            self.retry_at = now + timeouts.RETRY_AFTER_ERROR_S
        return True

    def _voice_state(self, member: Any) -> None:
        """The relay took this client out of voice (a host's ``voice_allow``): it is not in
        voice any more until it joins again. (Out before the latest join was welcomed is
        the relay's word on an earlier leave, not on that join.)"""
        me = self.replica.me
        if me is not None and member.id == me.id and member.joined is False and self.voice_welcomed:
            self.voice_join = None

    def _lease(self, lease: Any) -> None:
        me = self.replica.me
        if me is not None and lease.holder not in (None, me.id):
            self.playhead_pending = None
            if self.phase == "live":
                self.hand_back = None  # someone drives: the drive went where it goes

    def _maybe_hand_back(self, now: float) -> None:
        """As a host back after a dropped connection: give the drive back to whoever held it,
        once they are in again too (within ``HAND_BACK_S``)."""
        whom, replica = self.hand_back, self.replica
        me = replica.me
        if whom is None or me is None or self.phase != "live":
            return
        if now > self.hand_back_until or replica.driver not in (None, me.id):
            self.hand_back = None
            return
        if whom in replica.participants:
            self.hand_back = None
            log.info("giving the drive back to %s, who held it before the connection dropped", whom)
            self.send_live("lease_release", LeaseRelease(to=whom))


def is_voice(env: Envelope) -> bool:
    """Whether ``env`` is for voice listeners: a voice message, or the relay's refusal of one."""
    if env.type.startswith(VOICE_PREFIX):
        return True
    return env.type == "error" and (env.data.type or "").startswith(VOICE_PREFIX)


def annotation_changes(
    annotation_id: str, clear: Sequence[str], changes: dict[str, Any]
) -> dict[str, Any]:
    """The body of an ``annotation_update``: the fields to change, and those to remove.

    Which fields may be cleared, and how, is the message's own rule (``AnnotationUpdate``):
    ``checked`` refuses the rest.
    """
    updatable = tuple(name for name in UPDATABLE if name != "clear")
    unknown = sorted(set(changes) - set(updatable))
    if unknown:
        raise TypeError(
            f"update_annotation() cannot change {', '.join(unknown)}; "
            f"it changes {', '.join(updatable)}"
        )
    if isinstance(clear, str) or not all(isinstance(name, str) for name in clear):
        raise TypeError(f"clear must be a sequence of field names, got {clear!r}")
    given = {k: encode(v) for k, v in changes.items() if v is not None}
    if not given and not clear:
        raise ValueError("update_annotation() needs at least one field to change or clear")
    body: dict[str, Any] = {"id": annotation_id, **given}
    if clear:
        body["clear"] = list(clear)
    return body

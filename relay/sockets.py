"""The relay's two sockets: the control socket (JSON messages) and the media socket (binary
frame packets).

Routes::

    GET  /ws        the control socket: hello, then messages both ways
    GET  /ws/media  the media socket: media_hello, then frame packets

A control socket's first message is a hello: its token says which session and role, the
relay checks the seats, sends welcome and the state (a snapshot, or what a resume missed)
and adds the participant to the room. After that each message goes through ``HANDLERS``, a
table from every message type a client may send (``overshoulder.core.protocol.MESSAGES``)
to what the room does with it. A bad message gets an error naming what is wrong; the socket
and the session go on.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Optional

from aiohttp import WSMsgType, web

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import Limits
from overshoulder.core.model import Participant
from overshoulder.core.protocol import (
    CAPABILITIES,
    PROTOCOL_VERSION,
    Envelope,
    build,
    check_protocol_version,
    dumps,
    error_message,
    parse,
    unpack,
)
from overshoulder.core.protocol.messages import (
    CLOSE_POLICY,
    CLOSE_PROTOCOL,
    CLOSE_REFUSED,
    CLOSE_SHUTDOWN,
    FATAL_HELLO_ERRORS,
    PERSISTED_TYPES,
    MediaWelcome,
    Welcome,
)
from overshoulder.core.protocol.packet import KIND_FRAME

from .http import check_origin
from .rooms import ControlConn, HeldFrame, MediaConn, Room
from .store.sqlite import SqliteStore
from .tokens import Claims, TokenSigner

log = logging.getLogger("overshoulder.relay")

MEDIA_TICKET_S = 7 * 86400
#: TCP_NOTSENT_LOWAT (Linux value where the socket module lacks the name).
TCP_NOTSENT_LOWAT = getattr(socket, "TCP_NOTSENT_LOWAT", 25)
#: What a handler returns when the participant leaves: the socket's read loop ends.
LEAVE = "leave"

#: Message kinds that share one rate limit per participant (``Limits.control_rate_hz``), with
#: the lossless-still ``frame_request`` (each asks the host for a render).
_CONTROL_RATED = frozenset({"lease_claim", "lease_release", "stream", "session"})
#: Voice messages counted with them too, but refused rather than dropped over the rate (a
#: lost join or leave would leave the sender's voice in a state it does not know).
_VOICE_CONTROL = frozenset({"voice_join", "voice_leave", "voice_allow"})

# --- what each message a client sends does ------------------------------------------------

#: A handler applies one parsed, allowed message to the room; ``LEAVE`` ends the socket.
Handler = Callable[[Room, ControlConn, Envelope], Optional[str]]


def _submit(room: Room, conn: ControlConn, env: Envelope) -> None:
    """A stored message: checked, written to the log, then acknowledged and broadcast."""
    room.submit(conn, env)


def _ephemeral(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.relay_ephemeral(conn, env)


def _playhead(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.set_playhead(conn, env)


def _stream(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.set_stream(conn, env)


def _lease_claim(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.claim(conn)


def _lease_release(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.release(conn, env.data.to)


def _frame_request(room: Room, conn: ControlConn, env: Envelope) -> None:
    if env.data.lossless:
        room.request_still(conn)
    elif env.data.hash is not None:
        room.request_frame(conn, env.data.hash)
    else:
        room.set_frame_size(conn, env.data.max_width, env.data.max_height)


def _voice_join(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.voice.join(conn, env.data, env.ref)


def _voice_leave(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.voice.leave(conn)


def _voice_state(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.voice.state(conn, env.data)


def _voice_signal(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.voice.signal(conn, env.data, env.ref)


def _voice_allow(room: Room, conn: ControlConn, env: Envelope) -> None:
    room.voice.allow(conn, env.data)


def _leave(room: Room, conn: ControlConn, env: Envelope) -> str:
    return LEAVE


def _hello_again(room: Room, conn: ControlConn, env: Envelope) -> None:
    raise ProtocolError(ErrorCode.CONFLICT, "already joined: hello is sent once", "type")


#: Every message type a client may send on a joined control socket, and its handler.
HANDLERS: dict[str, Handler] = {
    **{mtype: _submit for mtype in sorted(PERSISTED_TYPES)},
    "pointer": _ephemeral,
    "draft": _ephemeral,
    "presence": _ephemeral,
    "timeline": _ephemeral,
    "playhead": _playhead,
    "stream": _stream,
    "lease_claim": _lease_claim,
    "lease_release": _lease_release,
    "frame_request": _frame_request,
    "voice_join": _voice_join,
    "voice_leave": _voice_leave,
    "voice_state": _voice_state,
    "voice_signal": _voice_signal,
    "voice_allow": _voice_allow,
    "leave": _leave,
    "hello": _hello_again,
    "media_hello": _hello_again,
}


class Sockets:
    """The control and media sockets of one relay: handshakes, seats and dispatch."""

    def __init__(
        self,
        *,
        store: SqliteStore,
        signer: TokenSigner,
        limits: Limits,
        allow_origins: Iterable[str],
        room: Callable[[str], Awaitable[Room]],
        left: Callable[[Room], None],
    ) -> None:
        """``room``: a session's live room, loaded if need be; ``left``: called when someone
        leaves a room, so the relay may forget it once it is idle."""
        self.store = store
        self.signer = signer
        self.limits = limits
        self.allow_origins = frozenset(allow_origins)
        self.room = room
        self.left = left
        #: Every open socket, closed at shutdown.
        self.open: set[web.WebSocketResponse] = set()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/ws", self.control_socket),
            web.get("/ws/media", self.media_socket),
        ]

    def check_seats(self, room: Room, claims: Claims) -> None:
        """A new participant takes a seat: within the session's seats (one always kept for
        a host) and within the seats of the link it came with."""
        most = self.limits.max_connections_per_session
        taken = len(room.conns)
        if taken >= most or (claims.role != "host" and taken >= most - 1):
            raise ProtocolError(
                ErrorCode.SESSION_FULL,
                f"the session is full ({most} people, one seat kept for the host)",
            )
        seats = claims.seats if claims.seats is not None else self.limits.seats_per_link
        through = sum(1 for c in room.conns.values() if c.link == claims.nonce)
        if claims.role != "host" and through >= seats:
            raise ProtocolError(
                ErrorCode.SESSION_FULL,
                f"this link is in use by {through} people already, as many as it admits; "
                "ask the host for a link of your own",
            )

    async def _accept(self, request: web.Request, max_msg_size: int) -> web.WebSocketResponse:
        """A socket from an allowed origin, upgraded, tuned and counted as open."""
        check_origin(request, self.allow_origins)
        ws = web.WebSocketResponse(heartbeat=20.0, compress=False, max_msg_size=max_msg_size)
        await ws.prepare(request)
        _tune(request, self.limits)
        self.open.add(ws)
        return ws

    async def control_socket(self, request: web.Request) -> web.StreamResponse:
        ws = await self._accept(request, 4 * self.limits.max_message_bytes)
        room: Optional[Room] = None
        conn: Optional[ControlConn] = None
        try:
            joined = await self._hello(ws)
            if joined is None:
                return ws
            room, conn = joined
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    if self.handle(room, conn, msg.data) == LEAVE:
                        break
                elif msg.type == WSMsgType.BINARY:
                    conn.error(
                        ProtocolError(
                            ErrorCode.BAD_MESSAGE,
                            "frames go on the media socket (/ws/media), not the control socket",
                        )
                    )
                elif msg.type == WSMsgType.ERROR:
                    log.info("control socket of %s failed: %s", conn.pid, ws.exception())
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.open.discard(ws)
            if room is not None and conn is not None:
                room.remove(conn)
                await conn.stop()
                log.info("%s (%s) left session %s", conn.participant.name, conn.pid, room.info.id)
                self.left(room)
            if not ws.closed:
                await ws.close()
        return ws

    async def _refuse(self, ws: web.WebSocketResponse, exc: ProtocolError, code: int) -> None:
        log.info("refused a connection: %s", exc)
        try:
            await ws.send_str(error_message(exc, mtype="hello"))
            await ws.close(code=code, message=exc.message.encode()[:120])
        except ConnectionError:
            pass

    async def _hello(self, ws: web.WebSocketResponse) -> Optional[tuple[Room, ControlConn]]:
        """Read and check the hello; register the participant; send welcome + state."""
        try:
            msg = await asyncio.wait_for(ws.receive(), timeout=self.limits.hello_timeout_s)
        except asyncio.TimeoutError:
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.BAD_MESSAGE, "no hello within the time allowed"),
                CLOSE_POLICY,
            )
            return None
        if msg.type != WSMsgType.TEXT:
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return None
            await self._refuse(
                ws,
                ProtocolError(ErrorCode.BAD_MESSAGE, "the first message must be a hello"),
                CLOSE_POLICY,
            )
            return None
        try:
            env = parse(msg.data, self.limits)
            if env.type != "hello":
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"the first message must be a hello, not {env.type}",
                    "type",
                )
            hello = env.data
            check_protocol_version(hello.protocol)
            claims = self.signer.verify(hello.token)
            room = await self.room(claims.session)
            if room.info.closed and claims.role != "host":
                raise ProtocolError(ErrorCode.NOT_FOUND, "this session has been closed by its host")
            pid = _participant_id(claims, hello.client_id)
            if pid not in room.conns:
                self.check_seats(room, claims)
        except ProtocolError as exc:
            fatal = exc.code in FATAL_HELLO_ERRORS
            await self._refuse(ws, exc, CLOSE_REFUSED if fatal else CLOSE_PROTOCOL)
            return None
        participant = Participant(
            id=pid,
            name=(claims.name or hello.name).strip() or "Anonymous",
            role=claims.role,
            client=hello.client,
        )
        conn = ControlConn(ws, participant, self.limits)
        conn.link = claims.nonce
        conn.expires = claims.expires
        conn.start()
        ticket = self.signer.issue(
            room.info.id,
            claims.role,
            # Never beyond the invite's own expiry.
            min(MEDIA_TICKET_S, max(1.0, claims.expires - time.time())),
            kind="media",
            participant=pid,
        )
        welcome = Welcome(
            protocol=PROTOCOL_VERSION,
            session=room.session(),
            participant=participant,
            media_ticket=ticket,
            limits=self.limits.to_json(),
            capabilities=list(CAPABILITIES),
            seq=room.seq,
            server_time=time.time(),
        )
        conn.send(dumps(build("welcome", welcome)))
        # From here to room.add there is no await: the state sent and the live
        # stream that follows meet exactly, with nothing missed or doubled.
        since = hello.since
        if since is not None and 0 <= room.seq - since <= self.limits.max_resume_events:
            conn.send(room.snapshot_text(full=False))
            conn.last_seq = since
            # At most max_resume_events rows: a short read, bounded, on the loop.
            for record in self.store.events_since(room.info.id, since):
                conn.send_event(record.seq, record.text)
        else:
            # Sent a page at a time by the joiner's sender task, made as it goes.
            conn.send(room.full_snapshot(paged="snapshot_pages" in hello.capabilities))
            conn.last_seq = room.seq
        conn.send(dumps(build("synced", {"seq": conn.last_seq})))
        room.add(conn)
        log.info(
            "%s joined session %s as %s (%s)%s",
            participant.name,
            room.info.id,
            participant.role,
            participant.client,
            f", resuming after {since}" if since is not None else "",
        )
        return room, conn

    def handle(self, room: Room, conn: ControlConn, text: str) -> Optional[str]:
        """One message from a joined participant: parsed, checked against the sender's role
        and rates, and given to its handler; a refusal goes back to the sender."""
        env = None
        try:
            env = parse(text, self.limits)
            if conn.participant.role not in env.spec.roles:
                raise ProtocolError(
                    ErrorCode.FORBIDDEN,
                    f"a {conn.participant.role} may not send {env.type}",
                    "type",
                )
            if not self._within_rate(conn, env):
                return None
            return HANDLERS[env.type](room, conn, env)
        except ProtocolError as exc:
            log.info("refused %s from %s: %s", env.type if env else "a message", conn.pid, exc)
            conn.error(exc, env)
            if exc.code == ErrorCode.RATE_LIMITED:
                conn.dropped()
        except Exception:
            log.exception("failed to handle a message from %s", conn.pid)
            conn.error(
                ProtocolError(
                    ErrorCode.INTERNAL, "the relay failed on this message; it was not applied"
                ),
                env,
            )
        return None

    def _within_rate(self, conn: ControlConn, env: Envelope) -> bool:
        """False (after a warning) for a message over its kind's rate; a chat line over its
        rate is refused, as it would otherwise be lost."""
        mtype = env.type
        if mtype in _CONTROL_RATED or (mtype == "frame_request" and env.data.lossless):
            if not conn.control_rate.allow():
                conn.warn_rate(mtype)
                return False
        elif mtype == "frame_request" and not conn.frame_request_rate.allow():
            conn.warn_rate(mtype)  # a cache miss per frame at most, as pointers
            return False
        elif mtype in ("playhead", "voice_state"):
            bucket = conn.playhead_rate if mtype == "playhead" else conn.voice_state_rate
            if not bucket.allow():
                conn.warn_rate(mtype)
                return False
        if mtype == "chat" and not conn.chat_rate.allow():
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"more than {self.limits.chat_rate_hz:g} chat lines a second; this one was "
                "not kept, send it again",
            )
        if mtype in _VOICE_CONTROL and not conn.control_rate.allow():
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"more than {self.limits.control_rate_hz:g} control messages a second; this "
                f"{mtype} was not applied, send it again",
            )
        if mtype == "voice_signal" and not conn.voice_signal_rate.allow():
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"more than {self.limits.voice_signal_rate_hz:g} voice signals a second "
                f"(after a burst of {self.limits.voice_signal_burst}); this one was not "
                "passed on, send it again",
            )
        return True

    # --- the media socket ----------------------------------------------------------------

    async def media_socket(self, request: web.Request) -> web.StreamResponse:
        ws = await self._accept(request, 2 * self.limits.max_frame_bytes)
        room: Optional[Room] = None
        media: Optional[MediaConn] = None
        try:
            try:
                msg = await asyncio.wait_for(ws.receive(), timeout=self.limits.hello_timeout_s)
                if msg.type != WSMsgType.TEXT:
                    raise ProtocolError(
                        ErrorCode.BAD_MESSAGE, "the first message must be media_hello"
                    )
                env = parse(msg.data, self.limits)
                if env.type != "media_hello":
                    raise ProtocolError(
                        ErrorCode.BAD_MESSAGE,
                        f"the first message must be media_hello, not {env.type}",
                    )
                claims = self.signer.verify(env.data.ticket, kind="media")
                room = await self.room(claims.session)
                if room.conns.get(claims.participant or "") is None:
                    raise ProtocolError(
                        ErrorCode.NOT_READY,
                        "join the session first: a media socket lives only while its "
                        "participant's control socket does",
                    )
            except asyncio.TimeoutError:
                await self._refuse(
                    ws, ProtocolError(ErrorCode.BAD_MESSAGE, "no media_hello in time"), CLOSE_POLICY
                )
                return ws
            except ProtocolError as exc:
                fatal = exc.code in FATAL_HELLO_ERRORS
                await self._refuse(ws, exc, CLOSE_REFUSED if fatal else CLOSE_PROTOCOL)
                return ws
            media = MediaConn(ws, claims.participant or "", claims.role, env.data.cache)
            media.start()
            await ws.send_str(dumps(build("media_welcome", MediaWelcome(participant=media.pid))))
            room.add_media(media)
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    self._publish(room, media, msg.data)
                elif msg.type == WSMsgType.TEXT:
                    await ws.send_str(
                        error_message(
                            ProtocolError(
                                ErrorCode.BAD_MESSAGE,
                                "the media socket carries binary frame packets only",
                            )
                        )
                    )
                elif msg.type == WSMsgType.ERROR:
                    log.info("media socket of %s failed: %s", media.pid, ws.exception())
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self.open.discard(ws)
            if room is not None and media is not None:
                room.remove_media(media)
                await media.stop()
                self.left(room)
            if not ws.closed:
                await ws.close()
        return ws

    def _publish(self, room: Room, media: MediaConn, data: bytes) -> None:
        try:
            if media.role != "host":
                raise ProtocolError(ErrorCode.FORBIDDEN, f"a {media.role} may not publish frames")
            header, payload = unpack(data, self.limits)
            if header.kind != KIND_FRAME:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE, "publish frames with their bytes", "kind"
                )
        except ProtocolError as exc:
            log.info("refused a frame from %s: %s", media.pid, exc)
            asyncio.get_running_loop().create_task(_send_quietly(media, error_message(exc)))
            return
        room.publish(HeldFrame(header, data, len(data) - len(payload)), media.pid)

    async def shutdown(self, app: web.Application) -> None:
        for ws in list(self.open):
            try:
                await ws.close(code=CLOSE_SHUTDOWN, message=b"relay shutting down")
            except Exception:
                pass


async def _send_quietly(media: MediaConn, text: str) -> None:
    try:
        await media.ws.send_str(text)
    except (ConnectionError, RuntimeError):
        pass


def _participant_id(claims: Claims, client_id: Optional[str]) -> str:
    """A participant id only the holder of this token and this client id can claim.

    Participant ids are public (everyone sees who is here), client ids are not:
    deriving one from the other and the token keeps anyone from taking over
    another person's seat, notes or drive lease by sending their id.
    """
    if client_id:
        try:
            cid = uuid.UUID(client_id)
        except ValueError:
            pass
        else:
            return str(uuid.uuid5(cid, f"{claims.session}:{claims.role}:{claims.nonce}"))
    return str(uuid.uuid4())


def _tune(request: web.Request, limits: Limits) -> None:
    """Keep the kernel's unsent backlog small, so newer data is not stuck behind old."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return
    try:
        sock.setsockopt(socket.IPPROTO_TCP, TCP_NOTSENT_LOWAT, limits.notsent_lowat_bytes)
    except OSError:
        pass

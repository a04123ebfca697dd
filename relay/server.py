"""The relay process: the JSON API, the live sockets and the web page on one port.

Routes::

    GET  /api/health                      is it up
    GET  /api/sessions                    the "find sessions" list
    POST /api/sessions                    create a session; returns the host's link
    POST /api/sessions/{id}/invites       a signed, expiring link for a role
    GET  /api/sessions/{id}/events        the session's log (export, ?since=N)
    GET  /api/sessions/{id}/frames/{hash} an image a note was drawn on
    GET  /api/openapi.json                this API, described
    GET  /ws                              the control socket (JSON messages)
    GET  /ws/media                        the media socket (binary frame packets)
    GET  /, /s/{id}, /web/...             the browser reviewer

Why aiohttp: docs/decisions/relay-server.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import hmac
import logging
import os
import secrets
import signal
import socket
import ssl
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

from aiohttp import WSMsgType, web

from overshoulder import __version__
from overshoulder.core.durations import parse_duration
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS, Limits
from overshoulder.core.model import ROLES, Participant, SessionInfo
from overshoulder.core.protocol import (
    CAPABILITIES,
    PROTOCOL_VERSION,
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
    MediaWelcome,
    Welcome,
    unencodable_field,
)
from overshoulder.core.protocol.packet import KIND_FRAME
from overshoulder.core.schema import MAX_JSON_DEPTH, decode

from . import config
from .frames import CONTENT_TYPES, EXTENSIONS, FrameStore, valid_hash
from .guard import ConnectionGuard, quiet_accept_errors, raise_descriptor_limit
from .ratelimit import TokenBucket
from .rooms import ControlConn, HeldFrame, MediaConn, Room
from .store.base import AuditEntry, SessionRecord
from .store.damage import exported
from .store.sqlite import SqliteStore
from .tokens import Claims, TokenSigner

log = logging.getLogger("overshoulder.relay")

WEB_DIR = Path(__file__).parent / "web"
OPENAPI = Path(__file__).parent / "openapi.json"

#: Invite lifetimes: default and the longest allowed.
DEFAULT_INVITE = "8h"
MAX_INVITE_S = 30 * 86400
HOST_TOKEN_S = 7 * 86400
MEDIA_TICKET_S = 7 * 86400
#: Events one export page returns at most.
EXPORT_PAGE = 5000
#: How often Python may switch threads (default 5 ms): short, for the writer hand-over.
SWITCH_INTERVAL_S = 0.0005
#: The cyclic collector's thresholds (Python's default: 700, 10, 10).
GC_THRESHOLDS = (20_000, 20, 20)
#: TCP_NOTSENT_LOWAT (Linux value where the socket module lacks the name).
TCP_NOTSENT_LOWAT = getattr(socket, "TCP_NOTSENT_LOWAT", 25)


def new_session_id() -> str:
    """12 URL-safe characters (72 random bits) that never start with "-" or "_", so an id can
    be typed as a command-line argument (``overshoulder invite ID``) without looking like an
    option."""
    while True:
        sid = secrets.token_urlsafe(9)
        if sid[0] not in "-_":
            return sid


class HttpError(Exception):
    """An API error with an HTTP status, a code and a sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Relay:
    """Everything one relay process holds: the store, the rooms, the keys."""

    def __init__(
        self,
        data_dir: Path,
        *,
        limits: Limits = DEFAULT_LIMITS,
        public_url: Optional[str] = None,
        locked: bool = False,
        synchronous: str = "normal",
        carry_on: bool = False,
        allow_origins: Sequence[str] = (),
        allow_embed: Sequence[str] = (),
    ) -> None:
        """Open the data dir: keys, event log, kept frames. A damaged key file or log raises
        ``config.DataDirError`` naming it (a damaged log only without ``carry_on``).

        ``allow_origins``: web origins besides the relay's own whose pages may open its
        sockets; ``allow_embed``: origins that may show the reviewer page in a frame."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Keys, the log and kept frames are the studio's: no other local user may list or
        # read them (an older data dir is tightened too).
        os.chmod(self.data_dir, 0o700)
        self.limits = limits
        self.public_url = public_url.rstrip("/") if public_url else None
        self.locked = locked
        self.allow_origins = {_origin(o) for o in allow_origins}
        if self.public_url:
            self.allow_origins.add(_origin(self.public_url))
        self.csp = page_policy(allow_embed)
        #: Session creations per client address (an unlocked relay's one open door).
        self._session_rates: dict[str, TokenBucket] = {}
        self.signer = TokenSigner(config.token_secret(self.data_dir))
        self.admin_key = config.admin_key(self.data_dir)
        self.store = SqliteStore(
            self.data_dir / "events.sqlite3", synchronous=synchronous, carry_on=carry_on
        )
        self.frames = FrameStore(self.data_dir / "frames")
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.started = time.time()

    # --- rooms -----------------------------------------------------------------

    async def room(self, session_id: str) -> Room:
        """The live room of a session, loaded from the log on a worker thread if need be."""
        room = self.rooms.get(session_id)
        if room is not None:
            return room
        loading = self._loading.get(session_id)
        if loading is None:
            record = self.store.get_session(session_id)
            if record is None:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
            fresh = Room(record, self.store, self.frames, self.limits, on_idle=self._drop_if_idle)
            loop = asyncio.get_running_loop()
            loading = self._loading[session_id] = loop.create_task(self._load(fresh))
        return await asyncio.shield(loading)

    async def _load(self, room: Room) -> Room:
        try:
            await asyncio.get_running_loop().run_in_executor(None, room.load)
            self.rooms[room.info.id] = room
            return room
        finally:
            self._loading.pop(room.info.id, None)

    def _drop_if_idle(self, room: Room) -> None:
        """Forget a room nobody is in once its last events are durable.

        A room with events still being written stays: a new joiner would
        otherwise replay a log that lacks them and hand out their seqs again.
        """
        if room.idle and self.rooms.get(room.info.id) is room:
            del self.rooms[room.info.id]

    # --- links -------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        return self.public_url or f"{request.scheme}://{request.host}"

    def link(self, request: web.Request, session_id: str, token: str) -> str:
        """The reviewer link; the token rides in the fragment, so it never reaches logs."""
        return f"{self.base_url(request)}/s/{session_id}#t={token}"

    # --- HTTP API ------------------------------------------------------------------

    def _auth(self, request: web.Request, session_id: Optional[str] = None) -> Optional[Claims]:
        """None for the admin key; the claims of a token of ``session_id``; else 401/403.

        Without ``session_id`` only the admin key passes (a locked relay's lists).
        """
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise HttpError(
                401, ErrorCode.UNAUTHORIZED, "send 'Authorization: Bearer <key or token>'"
            )
        token = header[7:].strip()
        if hmac.compare_digest(token.encode(), self.admin_key.encode()):
            return None
        try:
            claims = self.signer.verify(token)
        except ProtocolError as exc:
            raise HttpError(401, exc.code, exc.message) from None
        if session_id is None:
            raise HttpError(
                403,
                ErrorCode.FORBIDDEN,
                "this relay is locked: only its admin key may list or create sessions",
            )
        if claims.session != session_id:
            raise HttpError(403, ErrorCode.FORBIDDEN, "this token is for another session")
        return claims

    async def health(self, request: web.Request) -> web.Response:
        problems = self.store.problems()
        return web.json_response(
            {
                "status": "degraded" if problems else "ok",
                "problems": problems,
                "version": __version__,
                "protocol": PROTOCOL_VERSION,
                "sessions_live": len(self.rooms),
                "connections": sum(len(r.conns) for r in self.rooms.values()),
                "uptime_s": round(time.time() - self.started, 1),
            }
        )

    def _session_json(self, record: SessionRecord) -> dict[str, Any]:
        room = self.rooms.get(record.id)
        if room is not None:
            return room.session_info()
        return {
            "id": record.id,
            "name": record.name,
            "created": record.created,
            "host_name": record.host_name,
            "participants": 0,
            "closed": record.closed,
        }

    async def list_sessions(self, request: web.Request) -> web.Response:
        if self.locked:
            self._auth(request)
        include_closed = request.query.get("all") in ("1", "true", "yes")
        sessions = self.store.list_sessions(include_closed=include_closed)
        return web.json_response({"sessions": [self._session_json(s) for s in sessions]})

    def _is_admin(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), self.admin_key.encode()
        )

    async def create_session(self, request: web.Request) -> web.Response:
        if self.locked:
            self._auth(request)
        elif not self._is_admin(request):
            address = request.remote or "unknown"
            bucket = self._session_rates.get(address)
            if bucket is None:
                if len(self._session_rates) > 10_000:  # forget quiet addresses
                    self._session_rates.clear()
                bucket = self._session_rates[address] = TokenBucket(
                    self.limits.sessions_per_minute / 60.0, self.limits.rate_burst
                )
            if not bucket.allow():
                raise HttpError(
                    429,
                    ErrorCode.RATE_LIMITED,
                    f"more than {self.limits.sessions_per_minute:g} new sessions a minute from "
                    f"{address}; wait a moment, or use the admin key",
                )
        if self.store.open_sessions() >= self.limits.max_open_sessions:
            raise HttpError(
                503,
                ErrorCode.SESSION_FULL,
                f"this relay holds {self.limits.max_open_sessions} open sessions, as many as it "
                "may; close some (or raise max_open_sessions)",
            )
        body = await _json_body(request)
        name = _text(body, "name", self.limits.max_name_chars, default="Review session")
        host_name = _text(body, "host_name", self.limits.max_name_chars, default=None)
        expires_s = _duration(body, "expires", HOST_TOKEN_S)
        record = SessionRecord(
            id=new_session_id(),
            name=name,
            created=round(time.time(), 3),
            host_name=host_name,
        )
        self.store.create_session(record)
        token = self.signer.issue(record.id, "host", expires_s, name=host_name)
        log.info("session %s created (%s)", record.id, name)
        return web.json_response(
            {
                "session": self._session_json(record),
                "host_token": token,
                "host_link": self.link(request, record.id, token),
                "expires_at": int(time.time() + expires_s),
            },
            status=201,
        )

    def _check_seats(self, room: Room, claims: Claims) -> None:
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

    async def create_invite(self, request: web.Request) -> web.Response:
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        if claims is not None and claims.role != "host":
            raise HttpError(403, ErrorCode.FORBIDDEN, "only a host (or the admin key) can invite")
        record = self.store.get_session(session_id)
        if record is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        body = await _json_body(request)
        role = body.get("role", "reviewer")
        if role not in ROLES:
            raise HttpError(
                400, ErrorCode.BAD_MESSAGE, f"role must be one of {', '.join(ROLES)}, got {role!r}"
            )
        expires_s = _duration(body, "expires", parse_duration(DEFAULT_INVITE))
        if claims is not None:
            # A host's invites never outlive the host's own link.
            expires_s = min(expires_s, max(1.0, claims.expires - time.time()))
        name = _text(body, "name", self.limits.max_name_chars, default=None)
        seats = body.get("seats")
        most = self.limits.max_connections_per_session - 1
        if seats is not None and (type(seats) is not int or not 1 <= seats <= most):
            raise HttpError(
                400, ErrorCode.BAD_MESSAGE, f"seats must be a whole number from 1 to {most}"
            )
        token = self.signer.issue(session_id, role, expires_s, name=name, seats=seats)
        self._audit(
            session_id,
            "invite",
            claims,
            f"a {role} link for {name or 'anyone'}, "
            f"{seats or self.limits.seats_per_link} seats, {round(expires_s)} s",
        )
        log.info("invite for session %s as %s, %ds", session_id, role, expires_s)
        return web.json_response(
            {
                "token": token,
                "link": self.link(request, session_id, token),
                "role": role,
                "session": session_id,
                "expires_at": int(time.time() + expires_s),
            },
            status=201,
        )

    async def check_link(self, request: web.Request) -> web.Response:
        """What a link's token lets its holder do, without joining: the page asks before it
        asks for a name, so a tampered, expired or closed link says so at once."""
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        record = self.store.get_session(session_id)
        if record is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        if claims is None:
            return web.json_response({"session": session_id, "role": None, "name": None})
        if record.closed and claims.role != "host":
            raise HttpError(404, ErrorCode.NOT_FOUND, "this session has been closed by its host")
        return web.json_response(
            {
                "session": session_id,
                "role": claims.role,
                "name": claims.name,
                "expires_at": int(claims.expires),
            }
        )

    async def export_events(self, request: web.Request) -> web.Response:
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        if self.store.get_session(session_id) is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        since = _int_query(request, "since", 0)
        if since == 0:  # one entry per export, not per page
            self._audit(session_id, "export", claims, "the event log")
        limit = min(_int_query(request, "limit", EXPORT_PAGE, least=1), EXPORT_PAGE)
        records = self.store.events_since(session_id, since, limit + 1, damaged=True)
        more = len(records) > limit
        records = records[:limit]
        events = exported(records, self.store.report_damage)
        return web.json_response(
            {
                "session": session_id,
                "events": events,
                "next": records[-1].seq if records else since,
                "more": more,
            }
        )

    def _audit(self, session_id: str, action: str, claims: Optional[Claims], detail: str) -> None:
        """An audit entry for an HTTP action: by the admin key, or by whose link."""
        if claims is None:
            who, role = "the admin key", None
        else:
            who = f"{claims.name or 'a ' + claims.role} ({claims.role} link {claims.nonce[:8]})"
            role = claims.role
        self.store.audit(AuditEntry(session_id, round(time.time(), 6), action, who, role, detail))

    async def audit_log(self, request: web.Request) -> web.Response:
        """Who joined, left, invited, downloaded and exported: the host's and the admin's."""
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        if claims is not None and claims.role != "host":
            raise HttpError(
                403, ErrorCode.FORBIDDEN, "only a host (or the admin key) reads the audit"
            )
        if self.store.get_session(session_id) is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        entries = self.store.audit_log(session_id)
        return web.json_response(
            {"session": session_id, "audit": [dataclasses.asdict(e) for e in entries]}
        )

    async def get_frame(self, request: web.Request) -> web.StreamResponse:
        session_id, digest = request.match_info["sid"], request.match_info["hash"]
        claims = self._auth(request, session_id)
        if not valid_hash(digest):
            raise HttpError(400, ErrorCode.BAD_MESSAGE, "a frame hash is 32 hex digits")
        if self.store.get_session(session_id) is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        room = self.rooms.get(session_id)
        kept = room.recent.get(digest) if room else None
        if kept is not None:
            self._audit(session_id, "download", claims, f"frame {digest}")
            ext = EXTENSIONS.get(kept.header.codec, "bin")
            return web.Response(
                body=kept.payload,
                content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
            )
        found = self.frames.find(session_id, digest)
        if found is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"frame {digest} is not kept here")
        self._audit(session_id, "download", claims, f"frame {digest}")
        path, ctype = found
        return web.FileResponse(path, headers={"Content-Type": ctype})

    async def openapi(self, request: web.Request) -> web.Response:
        return web.Response(
            text=OPENAPI.read_text(encoding="utf-8"), content_type="application/json"
        )

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "index.html")

    # --- the control socket -----------------------------------------------------------

    def check_origin(self, request: web.Request) -> None:
        """A page of another site may not open a socket with a token it got hold of: a
        browser names the page's origin, which must be the relay's own or an allowed one.
        Clients that are not browsers send the relay's own origin or none."""
        origin = request.headers.get("Origin")
        if origin is None:
            return
        own = f"{request.scheme}://{request.host}".lower()
        if origin.lower() == own or _origin(origin) in self.allow_origins:
            return
        raise HttpError(
            403,
            ErrorCode.FORBIDDEN,
            f"a page from {origin[:100]} may not connect to this relay; the relay accepts its "
            "own pages and the origins given with --allow-origin",
        )

    async def control_socket(self, request: web.Request) -> web.StreamResponse:
        self.check_origin(request)
        ws = web.WebSocketResponse(
            heartbeat=20.0,
            compress=False,
            max_msg_size=4 * self.limits.max_message_bytes,
        )
        await ws.prepare(request)
        _tune(request, self.limits)
        self.sockets.add(ws)
        room: Optional[Room] = None
        conn: Optional[ControlConn] = None
        try:
            joined = await self._hello(ws)
            if joined is None:
                return ws
            room, conn = joined
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    if self._handle(room, conn, msg.data) == "leave":
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
            self.sockets.discard(ws)
            if room is not None and conn is not None:
                room.remove(conn)
                await conn.stop()
                log.info("%s (%s) left session %s", conn.participant.name, conn.pid, room.info.id)
                self._drop_if_idle(room)
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
                self._check_seats(room, claims)
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
            session=decode_session(room),
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

    def _handle(self, room: Room, conn: ControlConn, text: str) -> Optional[str]:
        env = None
        try:
            env = parse(text, self.limits)
            spec = env.spec
            if conn.participant.role not in spec.roles:
                raise ProtocolError(
                    ErrorCode.FORBIDDEN,
                    f"a {conn.participant.role} may not send {env.type}",
                    "type",
                )
            mtype = env.type
            if mtype in _CONTROL_RATED or (mtype == "frame_request" and env.data.lossless):
                if not conn.control_rate.allow():
                    conn.warn_rate(mtype)
                    return None
            elif mtype == "frame_request" and not conn.frame_request_rate.allow():
                conn.warn_rate(mtype)  # a cache miss per frame at most, as pointers
                return None
            elif mtype == "playhead" and not conn.playhead_rate.allow():
                conn.warn_rate(mtype)
                return None
            if mtype == "chat" and not conn.chat_rate.allow():
                raise ProtocolError(
                    ErrorCode.RATE_LIMITED,
                    f"more than {self.limits.chat_rate_hz:g} chat lines a second; this one was "
                    "not kept, send it again",
                )
            if spec.persisted:
                room.submit(conn, env)
            elif mtype in ("pointer", "draft", "presence", "timeline"):
                room.relay_ephemeral(conn, env)
            elif mtype == "playhead":
                room.set_playhead(conn, env)
            elif mtype == "stream":
                room.set_stream(conn, env)
            elif mtype == "lease_claim":
                room.claim(conn)
            elif mtype == "lease_release":
                room.release(conn, env.data.to)
            elif mtype == "frame_request":
                if env.data.lossless:
                    room.request_still(conn)
                elif env.data.hash is not None:
                    room.request_frame(conn, env.data.hash)
                else:
                    room.set_frame_size(conn, env.data.max_width, env.data.max_height)
            elif mtype == "leave":
                return "leave"
            elif mtype in ("hello", "media_hello"):
                raise ProtocolError(
                    ErrorCode.CONFLICT, "already joined: hello is sent once", "type"
                )
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

    # --- the media socket ----------------------------------------------------------------

    async def media_socket(self, request: web.Request) -> web.StreamResponse:
        self.check_origin(request)
        ws = web.WebSocketResponse(
            heartbeat=20.0,
            compress=False,
            max_msg_size=2 * self.limits.max_frame_bytes,
        )
        await ws.prepare(request)
        _tune(request, self.limits)
        self.sockets.add(ws)
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
            self.sockets.discard(ws)
            if room is not None and media is not None:
                room.remove_media(media)
                await media.stop()
                self._drop_if_idle(room)
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

    async def _security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """On every page, file and API answer: what the page may load, that it is never
        framed by another site, no content sniffing, and no referrer leaving the relay
        (an invite link's path names the session)."""
        response.headers["Content-Security-Policy"] = self.csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"

    # --- life cycle -------------------------------------------------------------------------

    async def shutdown(self, app: web.Application) -> None:
        for ws in list(self.sockets):
            try:
                await ws.close(code=CLOSE_SHUTDOWN, message=b"relay shutting down")
            except Exception:
                pass

    async def cleanup(self, app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.store.close)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_errors_middleware], client_max_size=1024 * 1024)
        app.add_routes(
            [
                web.get("/api/health", self.health),
                web.get("/api/sessions", self.list_sessions),
                web.post("/api/sessions", self.create_session),
                web.post("/api/sessions/{sid}/invites", self.create_invite),
                web.get("/api/sessions/{sid}/link", self.check_link),
                web.get("/api/sessions/{sid}/events", self.export_events),
                web.get("/api/sessions/{sid}/audit", self.audit_log),
                web.get("/api/sessions/{sid}/frames/{hash}", self.get_frame),
                web.get("/api/openapi.json", self.openapi),
                web.get("/ws", self.control_socket),
                web.get("/ws/media", self.media_socket),
                web.get("/", self.index),
                web.get("/s/{sid}", self.index),
            ]
        )
        app.router.add_static("/web/", WEB_DIR)
        app.on_response_prepare.append(self._security_headers)
        app.on_shutdown.append(self.shutdown)
        app.on_cleanup.append(self.cleanup)
        return app


def decode_session(room: Room) -> SessionInfo:
    return decode(SessionInfo, room.session_info())


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


@web.middleware
async def _errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except HttpError as exc:
        return _error_response(exc.status, exc.code, exc.message)
    except ProtocolError as exc:
        status = {ErrorCode.NOT_FOUND: 404, ErrorCode.FORBIDDEN: 403}.get(exc.code, 400)
        return _error_response(status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/"):
            return _error_response(exc.status, "http_error", exc.reason)
        raise


#: Message kinds that share one rate limit per participant (``Limits.control_rate_hz``), with
#: the lossless-still ``frame_request`` (each asks the host for a render).
_CONTROL_RATED = frozenset({"lease_claim", "lease_release", "stream", "session"})


#: The reviewer page's content policy (also in its <meta> tag): only the relay's own scripts,
#: styles and sockets; images from itself and the frames it decodes.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'none'"
)


def page_policy(allow_embed: Sequence[str] = ()) -> str:
    """The Content-Security-Policy header: the page's policy, and who may frame it (nobody
    unless ``--allow-embed`` names origins)."""
    ancestors = " ".join(_origin(o) for o in allow_embed) or "'none'"
    return f"{PAGE_POLICY}; frame-ancestors {ancestors}"


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case, as browsers send it in ``Origin``."""
    parts = url.strip().rstrip("/").split("/")
    if len(parts) < 3 or not parts[0].endswith(":") or not parts[2]:
        raise ValueError(f"{url!r} is not an origin such as https://review.studio.example")
    return f"{parts[0]}//{parts[2]}".lower()


def _error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    if request.content_type != "application/json":
        # A cross-site form or text/plain POST needs no CORS preflight: only JSON is read.
        raise HttpError(
            415,
            ErrorCode.BAD_MESSAGE,
            f"send the body as application/json (got {request.content_type[:60] or 'none'})",
        )
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, ErrorCode.BAD_JSON, "the request body is not valid JSON") from None
    except RecursionError:
        raise HttpError(
            400,
            ErrorCode.BAD_MESSAGE,
            f"the request body nests deeper than {MAX_JSON_DEPTH} levels",
        ) from None
    if not isinstance(body, dict):
        raise HttpError(400, ErrorCode.BAD_MESSAGE, "the request body must be a JSON object")
    where = unencodable_field(body)
    if where is not None:
        raise HttpError(
            400,
            ErrorCode.BAD_MESSAGE,
            f"{where} holds text that cannot be encoded as UTF-8 (a lone surrogate escape)",
        )
    return body


def _text(body: dict[str, Any], key: str, most: int, default: Any) -> Any:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str) or len(value) > most:
        raise HttpError(
            400, ErrorCode.BAD_MESSAGE, f"{key} must be text of at most {most} characters"
        )
    return value.strip() or default


def _duration(body: dict[str, Any], key: str, default: float) -> float:
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        raise HttpError(400, ErrorCode.BAD_MESSAGE, f"{key} must be a duration such as 8h")
    try:
        seconds = parse_duration(value) if isinstance(value, str) else float(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise HttpError(400, ErrorCode.BAD_MESSAGE, f"{key}: {exc}") from None
    if not 0 < seconds <= MAX_INVITE_S:  # NaN fails this too
        raise HttpError(
            400,
            ErrorCode.BAD_MESSAGE,
            f"{key} must be between 1 second and {MAX_INVITE_S // 86400} days",
        )
    return seconds


def _int_query(request: web.Request, key: str, default: int, least: int = 0) -> int:
    raw = request.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(
            400, ErrorCode.BAD_MESSAGE, f"{key} must be an integer, got {raw!r}"
        ) from None
    if value < least:
        raise HttpError(400, ErrorCode.BAD_MESSAGE, f"{key} must be >= {least}")
    return value


# --- command line ------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="overshoulder relay",
        description="Run an Overshoulder relay: JSON API, live sockets and web page on one port.",
    )
    parser.add_argument(
        "--host", default=config.DEFAULT_HOST, help="address to listen on (0.0.0.0: all)"
    )
    parser.add_argument(
        "--port", type=int, default=config.DEFAULT_PORT, help="port (0: any free one)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the event log, keys and kept frames live (default: %(default)s, "
        "else $OVERSHOULDER_DATA_DIR or ~/.local/share/overshoulder/relay)",
    )
    parser.add_argument("--public-url", help="the address reviewers use, e.g. behind a TLS proxy")
    parser.add_argument(
        "--lock", action="store_true", help="only the admin key may list and create sessions"
    )
    parser.add_argument(
        "--cert", type=Path, help="TLS certificate (PEM) to serve https/wss directly"
    )
    parser.add_argument("--key", type=Path, help="TLS private key (PEM) for --cert")
    parser.add_argument(
        "--sync",
        choices=("full", "normal"),
        default="normal",
        help="normal (default): an acknowledged event survives a killed relay, the last "
        "ones may not survive a power cut; full: an fsync before every acknowledgement",
    )
    parser.add_argument(
        "--carry-on",
        action="store_true",
        help="start even when the event log is damaged: it is kept aside, a new log is made "
        "of what can be read and what was lost is named in /api/health (without it the relay "
        "stops and says what is wrong)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_LIMITS.header_timeout_s,
        metavar="S",
        help="seconds a new connection has to send its request headers (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=int,
        default=DEFAULT_LIMITS.max_connections_per_address,
        metavar="N",
        help="open connections one client address may hold (default %(default)s; a studio's "
        "NAT is one address)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin (https://host[:port]) besides the relay's own whose pages may open "
        "its sockets; repeatable (--public-url's origin is always allowed)",
    )
    parser.add_argument(
        "--allow-embed",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin whose pages may show the reviewer page in a frame; repeatable "
        "(default: no site may frame it)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=("debug", "info", "warning", "error")
    )
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # The event-log writer and the loop hand work to each other: with Python's
    # default 5 ms switch interval, a hand-over can wait that long for the GIL.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    # A relay holds many long-lived small objects (notes, events): collect the
    # young generation less often, so full collections do not pause the loop.
    gc.set_threshold(*GC_THRESHOLDS)
    data_dir = args.data_dir or config.default_data_dir()
    ssl_ctx = None
    if args.cert:
        if not args.key:
            print("overshoulder relay: --cert needs --key", file=sys.stderr)
            return 2
        ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_ctx.load_cert_chain(args.cert, args.key)
    try:
        return asyncio.run(_serve(args, data_dir, ssl_ctx))
    except KeyboardInterrupt:
        return 0


async def _serve(
    args: argparse.Namespace, data_dir: Path, ssl_ctx: Optional[ssl.SSLContext]
) -> int:
    try:
        if not (0 < args.header_timeout <= 3600) or args.max_connections_per_address < 1:
            raise ValueError(
                "--header-timeout must be 0-3600 seconds and --max-connections-per-address "
                "at least 1"
            )
        relay = Relay(
            data_dir,
            limits=dataclasses.replace(
                DEFAULT_LIMITS,
                header_timeout_s=args.header_timeout,
                max_connections_per_address=args.max_connections_per_address,
            ),
            public_url=args.public_url,
            locked=args.lock,
            synchronous=args.sync,
            carry_on=args.carry_on,
            allow_origins=args.allow_origin,
            allow_embed=args.allow_embed,
        )
    except ValueError as exc:  # an option out of range, or an --allow-* that is no origin
        print(f"overshoulder relay: {exc}", file=sys.stderr, flush=True)
        return 2
    except config.DataDirError as exc:
        print(f"overshoulder relay: {exc}", file=sys.stderr, flush=True)
        return 1
    except OSError as exc:  # e.g. the data dir is a file, or cannot be made
        where = exc.filename or data_dir
        print(
            f"overshoulder relay: cannot use the data dir {data_dir}: {where}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    runner = web.AppRunner(relay.app(), access_log=None, handle_signals=False)
    await runner.setup()
    loop = asyncio.get_running_loop()
    quiet_accept_errors(loop)
    soft, _ = raise_descriptor_limit()
    # aiohttp's protocols, behind per-address limits and a header timeout (relay/guard.py).
    assert runner.server is not None
    guard = ConnectionGuard(
        runner.server,
        header_timeout_s=relay.limits.header_timeout_s,
        per_address=relay.limits.max_connections_per_address,
    )
    try:
        server = await loop.create_server(
            guard, args.host, args.port, ssl=ssl_ctx, reuse_address=True, backlog=128
        )
    except OSError as exc:
        print(
            f"overshoulder relay: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        await runner.cleanup()
        return 1
    if soft:
        log.info("open files allowed: %d", soft)
    sockets = getattr(server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else args.port
    scheme = "https" if ssl_ctx else "http"
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    url = relay.public_url or f"{scheme}://{shown}:{port}"
    print(f"overshoulder relay listening on {scheme}://{args.host}:{port}", flush=True)
    print(f"  reviewers go to: {url}", flush=True)
    print(f"  data: {data_dir} (admin key in {data_dir / 'admin.key'})", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    await stop.wait()
    log.info("shutting down")
    server.close()
    await runner.cleanup()
    await server.wait_closed()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

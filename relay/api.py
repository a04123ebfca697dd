"""The relay's HTTP API: health, sessions, invites, link checks, exports, the audit, kept
frames, the API's own description and the reviewer page.

Routes (described in relay/openapi.json)::

    GET  /api/health                      is it up
    GET  /api/sessions                    the "find sessions" list
    POST /api/sessions                    create a session; returns the host's link
    POST /api/sessions/{id}/invites       a signed, expiring link for a role
    GET  /api/sessions/{id}/link          what a link's token lets its holder do
    GET  /api/sessions/{id}/events        the session's log (export, ?since=N)
    GET  /api/sessions/{id}/audit         who joined, invited, downloaded, exported
    GET  /api/sessions/{id}/frames/{hash} an image a note was drawn on
    POST /api/sessions/{id}/voice-notes   keep a voice note's recording (WebM or Ogg Opus)
    GET  /api/sessions/{id}/voice-notes/{clip}  a kept recording's bytes
    GET  /api/openapi.json                this API, described
    GET  /, /s/{id}                       the browser reviewer

Every answer of the API is JSON; an error is ``{"error": {"code", "message"}}`` (see
relay/http.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from aiohttp import web

from overshoulder import __version__
from overshoulder.core.durations import parse_duration
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import Limits
from overshoulder.core.model import ROLES
from overshoulder.core.protocol import PROTOCOL_VERSION
from overshoulder.core.protocol.messages import session_json

from .frames import CONTENT_TYPES, EXTENSIONS, FrameStore, valid_hash
from .http import HttpError, json_body
from .ratelimit import TokenBucket
from .rooms import Room
from .store.base import AuditEntry, SessionRecord
from .store.damage import exported
from .store.sqlite import SqliteStore
from .tokens import Claims, TokenSigner
from .voicenotes import NoRoom, SessionFull, VoiceNoteRefused, VoiceNoteStore, valid_id

log = logging.getLogger("overshoulder.relay")

WEB_DIR = Path(__file__).parent / "web"
OPENAPI = Path(__file__).parent / "openapi.json"

#: Invite lifetimes: default and the longest allowed.
DEFAULT_INVITE = "8h"
MAX_INVITE_S = 30 * 86400
HOST_TOKEN_S = 7 * 86400
#: Events one export page returns at most.
EXPORT_PAGE = 5000
#: Seconds between two sweeps of unused voice notes (one starts with an upload).
VOICE_SWEEP_EVERY_S = 3600.0


def new_session_id() -> str:
    """12 URL-safe characters (72 random bits) that never start with "-" or "_", so an id can
    be typed as a command-line argument (``overshoulder invite ID``) without looking like an
    option."""
    while True:
        sid = secrets.token_urlsafe(9)
        if sid[0] not in "-_":
            return sid


class Api:
    """The HTTP routes of one relay, over its store, keys and live rooms."""

    def __init__(
        self,
        *,
        store: SqliteStore,
        frames: FrameStore,
        signer: TokenSigner,
        admin_key: str,
        limits: Limits,
        rooms: Mapping[str, Room],
        public_url: Optional[str],
        locked: bool,
        voice_notes: Optional[VoiceNoteStore] = None,
    ) -> None:
        """``rooms``: the relay's live rooms by session id (read, never changed here);
        ``voice_notes``: where recordings are kept (none: voice notes are refused)."""
        self.store = store
        self.frames = frames
        self.signer = signer
        self.admin_key = admin_key
        self.limits = limits
        self.rooms = rooms
        self.public_url = public_url
        self.locked = locked
        #: Session creations per client address (an unlocked relay's one open door).
        self._session_rates: dict[str, TokenBucket] = {}
        self.voice_notes = voice_notes
        #: Voice-note uploads per link (the token's nonce).
        self._voice_rates: dict[str, TokenBucket] = {}
        #: The sweep of unused voice notes under way, and when the last one started.
        self._voice_sweep: Optional[asyncio.Future[int]] = None
        self._voice_swept = -VOICE_SWEEP_EVERY_S
        self.started = time.time()

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/health", self.health),
            web.get("/api/sessions", self.list_sessions),
            web.post("/api/sessions", self.create_session),
            web.post("/api/sessions/{sid}/invites", self.create_invite),
            web.get("/api/sessions/{sid}/link", self.check_link),
            web.get("/api/sessions/{sid}/events", self.export_events),
            web.get("/api/sessions/{sid}/audit", self.audit_log),
            web.get("/api/sessions/{sid}/frames/{hash}", self.get_frame),
            web.post("/api/sessions/{sid}/voice-notes", self.upload_voice_note),
            web.get("/api/sessions/{sid}/voice-notes/{clip}", self.get_voice_note),
            web.get("/api/openapi.json", self.openapi),
            web.get("/", self.index),
            web.get("/s/{sid}", self.index),
        ]

    # --- links -------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        return self.public_url or f"{request.scheme}://{request.host}"

    def link(self, request: web.Request, session_id: str, token: str) -> str:
        """The reviewer link; the token rides in the fragment, so it never reaches logs."""
        return f"{self.base_url(request)}/s/{session_id}#t={token}"

    # --- the routes ---------------------------------------------------------------------

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
        """A session as the API answers it (``session_json``): its live room's, or, with no
        room loaded, the stored record's."""
        room = self.rooms.get(record.id)
        if room is not None:
            return room.session_info()
        return session_json(record.as_info())

    async def list_sessions(self, request: web.Request) -> web.Response:
        if self.locked:
            self._auth(request)
        include_closed = request.query.get("all") in ("1", "true", "yes")
        sessions = self.store.list_sessions(include_closed=include_closed)
        listed = [self._session_json(s) for s in sessions]
        return web.json_response({"sessions": listed})

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
            per_minute = self.limits.sessions_per_minute
            if not _allowed(self._session_rates, address, per_minute, self.limits.rate_burst):
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
        body = await json_body(request)
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

    async def create_invite(self, request: web.Request) -> web.Response:
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        if claims is not None and claims.role != "host":
            raise HttpError(403, ErrorCode.FORBIDDEN, "only a host (or the admin key) can invite")
        record = self.store.get_session(session_id)
        if record is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        body = await json_body(request)
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

    def _voice_store(self) -> VoiceNoteStore:
        if self.voice_notes is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, "this relay keeps no voice notes")
        return self.voice_notes

    async def upload_voice_note(self, request: web.Request) -> web.Response:
        """Keep a recording for a voice note (hosts and reviewers): checked, measured and
        written by its hash; the answer's clip goes into the note's ``audio``."""
        session_id = request.match_info["sid"]
        claims = self._auth(request, session_id)
        if claims is not None and claims.role == "viewer":
            raise HttpError(
                403, ErrorCode.FORBIDDEN, "a viewer cannot make notes, voice notes included"
            )
        store = self._voice_store()
        record = self.store.get_session(session_id)
        if record is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        if record.closed:
            raise HttpError(409, ErrorCode.CONFLICT, "this session is closed; nothing more is kept")
        limits = self.limits
        if claims is not None:
            self._voice_rate(claims)
        data = await _read_body(request, limits.max_voice_note_bytes)
        loop = asyncio.get_running_loop()
        try:
            clip = await loop.run_in_executor(
                None,
                functools.partial(
                    store.keep,
                    relay_bytes=limits.max_voice_notes_bytes,
                    min_free_bytes=limits.voice_notes_min_free_bytes,
                ),
                session_id,
                data,
                limits.max_session_voice_bytes,
                limits.max_voice_note_s,
            )
        except SessionFull as exc:
            raise HttpError(413, ErrorCode.TOO_LARGE, str(exc)) from None
        except NoRoom as exc:
            self.sweep_voice_notes()
            raise HttpError(507, ErrorCode.TOO_LARGE, str(exc)) from None
        except VoiceNoteRefused as exc:
            raise HttpError(400, ErrorCode.BAD_MESSAGE, str(exc)) from None
        self.sweep_voice_notes()
        return web.json_response({"clip": dataclasses.asdict(clip)}, status=201)

    def sweep_voice_notes(self) -> Optional[asyncio.Future[int]]:
        """Start removing the recordings no note names (on a worker thread) unless a sweep
        runs or one started less than an hour ago; the sweep under way, if any."""
        now = time.monotonic()
        running = self._voice_sweep is not None and not self._voice_sweep.done()
        if self.voice_notes is None or running or now - self._voice_swept < VOICE_SWEEP_EVERY_S:
            return self._voice_sweep if running else None
        self._voice_swept = now
        store, older = self.voice_notes, self.limits.voice_note_unused_s
        loop = asyncio.get_running_loop()
        self._voice_sweep = loop.run_in_executor(None, store.sweep, self._clips_named, older)
        self._voice_sweep.add_done_callback(_sweep_done)
        return self._voice_sweep

    def _clips_named(self, session_id: str, ids: set[str]) -> Optional[set[str]]:
        """Which of ``ids`` the session's log names (any event, so a deleted note's recording
        stays for its undo), or None if the log grew meanwhile (a note naming one may have come
        in). Blocking."""
        last = self.store.last_seq(session_id)
        named: set[str] = set()
        seq = 0
        while seq < last and len(named) < len(ids):
            page = self.store.events_since(session_id, seq, EXPORT_PAGE)
            if not page:
                break
            for event in page:
                if '"audio"' in event.text:
                    named.update(i for i in ids if i in event.text)
            seq = page[-1].seq
        return None if self.store.last_seq(session_id) != last else named

    def _voice_rate(self, claims: Claims) -> None:
        per_minute = self.limits.voice_notes_per_minute
        if not _allowed(self._voice_rates, claims.nonce, per_minute, self.limits.rate_burst):
            raise HttpError(
                429,
                ErrorCode.RATE_LIMITED,
                f"more than {self.limits.voice_notes_per_minute:g} voice notes a minute through "
                "this link; wait a moment and send it again",
            )

    async def get_voice_note(self, request: web.Request) -> web.StreamResponse:
        """A kept recording's bytes, for any role of the session; they never change."""
        session_id, clip_id = request.match_info["sid"], request.match_info["clip"]
        claims = self._auth(request, session_id)
        if not valid_id(clip_id):
            raise HttpError(
                400, ErrorCode.BAD_MESSAGE, "a voice note's id is 64 hex digits (its SHA-256)"
            )
        if self.store.get_session(session_id) is None:
            raise HttpError(404, ErrorCode.NOT_FOUND, f"no session {session_id!r} on this relay")
        found = self._voice_store().find(session_id, clip_id)
        if found is None:
            raise HttpError(
                404, ErrorCode.NOT_FOUND, f"no voice note {clip_id} in session {session_id}"
            )
        clip, path = found
        self._audit(session_id, "download", claims, f"voice note {clip_id}")
        headers = {
            "Content-Type": clip.mime,
            # Named by the hash of its bytes: the same URL is always the same recording.
            "Cache-Control": "private, max-age=31536000, immutable",
            "ETag": f'"{clip.id}"',
        }
        return web.FileResponse(path, headers=headers)

    async def openapi(self, request: web.Request) -> web.Response:
        return web.Response(
            text=OPENAPI.read_text(encoding="utf-8"), content_type="application/json"
        )

    async def index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB_DIR / "index.html")


def _sweep_done(done: asyncio.Future[int]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.error("the sweep of unused voice notes failed", exc_info=done.exception())


def _allowed(rates: dict[str, TokenBucket], key: str, per_minute: float, burst: int) -> bool:
    """Whether ``key`` may make one more request, by its bucket in ``rates`` (all forgotten
    past 10,000 keys: a quiet key's bucket would be full again anyway)."""
    bucket = rates.get(key)
    if bucket is None:
        if len(rates) > 10_000:
            rates.clear()
        bucket = rates[key] = TokenBucket(per_minute / 60.0, burst)
    return bucket.allow()


async def _read_body(request: web.Request, most: int) -> bytes:
    """The request's bytes, refused (413) past ``most``, before reading them all."""
    if request.content_length is not None and request.content_length > most:
        raise HttpError(
            413,
            ErrorCode.TOO_LARGE,
            f"the recording is {request.content_length} bytes; at most {most} are kept",
        )
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        total += len(chunk)
        if total > most:
            raise HttpError(
                413,
                ErrorCode.TOO_LARGE,
                f"the recording is over {most} bytes; at most {most} are kept",
            )
        chunks.append(chunk)
    return b"".join(chunks)


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

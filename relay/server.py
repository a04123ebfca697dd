"""The relay process: the JSON API, the live sockets and the web page on one port.

A ``Relay`` is the composition of one process: it opens the data dir (keys, event log, kept
frames), holds the live rooms by session id (loaded from the log when someone joins, dropped
when idle) and wires the parts into one aiohttp application:

- relay/api.py: the HTTP API (``Api``);
- relay/http.py: what every HTTP answer shares (JSON errors, security headers, origins);
- relay/sockets.py: the control and media sockets (``Sockets``) and ``HANDLERS``, what each
  message a client sends does;
- relay/rooms.py: one session's live state and fan-out (``Room``);
- relay/store/: the durable event log;
- relay/start.py: the command line and serving (``main``).

Why aiohttp: docs/decisions/relay-server.md.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from aiohttp import web

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS, Limits

from . import config
from .api import WEB_DIR, Api
from .frames import FrameStore
from .http import errors_middleware, origin_of, page_policy, security_headers
from .rooms import Room
from .sockets import Sockets
from .store.sqlite import SqliteStore
from .tokens import TokenSigner
from .voice import VoiceOptions
from .voicenotes import VoiceNoteStore


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
        voice: Optional[VoiceOptions] = None,
    ) -> None:
        """Open the data dir: keys, event log, kept frames. A damaged key file or log raises
        ``config.DataDirError`` naming it (a damaged log only without ``carry_on``).

        ``allow_origins``: web origins besides the relay's own whose pages may open its
        sockets; ``allow_embed``: origins that may show the reviewer page in a frame;
        ``voice``: the STUN/TURN servers and media server voice rooms use."""
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Keys, the log and kept frames are the studio's: no other local user may list or
        # read them (an older data dir is tightened too).
        os.chmod(self.data_dir, 0o700)
        self.limits = limits
        self.voice = voice or VoiceOptions()
        self.public_url = public_url.rstrip("/") if public_url else None
        origins = {origin_of(o) for o in allow_origins}
        if self.public_url:
            origins.add(origin_of(self.public_url))
        self.csp = page_policy(allow_embed)
        self.signer = TokenSigner(config.token_secret(self.data_dir))
        self.admin_key = config.admin_key(self.data_dir)
        self.store = SqliteStore(
            self.data_dir / "events.sqlite3", synchronous=synchronous, carry_on=carry_on
        )
        self.frames = FrameStore(self.data_dir / "frames")
        self.voice_notes = VoiceNoteStore(self.data_dir / "voice-notes")
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Task[Room]] = {}
        self.api = Api(
            store=self.store,
            frames=self.frames,
            signer=self.signer,
            admin_key=self.admin_key,
            limits=limits,
            rooms=self.rooms,
            public_url=self.public_url,
            locked=locked,
            voice_notes=self.voice_notes,
        )
        self.sockets = Sockets(
            store=self.store,
            signer=self.signer,
            limits=limits,
            allow_origins=origins,
            room=self.room,
            left=self._drop_if_idle,
        )

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
            fresh = Room(
                record,
                self.store,
                self.frames,
                self.limits,
                on_idle=self._drop_if_idle,
                voice_notes=self.voice_notes,
                voice=self.voice,
            )
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

    # --- life cycle -------------------------------------------------------------------------

    async def cleanup(self, app: web.Application) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.store.close)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[errors_middleware], client_max_size=1024 * 1024)
        app.add_routes(self.api.routes() + self.sockets.routes())
        app.router.add_static("/web/", WEB_DIR)
        app.on_response_prepare.append(security_headers(self.csp))
        app.on_shutdown.append(self.sockets.shutdown)
        app.on_cleanup.append(self.cleanup)
        return app

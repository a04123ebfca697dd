"""A session's voice room: who is in voice, who may speak, and the signals between them.

One ``VoiceRoom`` per live ``Room`` (``room.voice``). Voice is signalled on the control
socket and never stored; media never passes through the relay:

- **mesh** (the default): every pair of members has one audio link, peer to peer. A joiner
  gets ``voice_welcome`` (the members, its STUN/TURN servers) and offers to each member;
  ``voice_signal`` goes only to its ``to``, only between members, with ``id`` set to the
  sender.
- **sfu**: when a join would take the room past ``Limits.voice_mesh_max`` and the relay has
  a media server, the room switches: everyone gets ``voice_mode {"mode": "sfu"}`` and
  signals to the peer ids ``"sfu"`` (publish) and ``"sfu-sub"`` (subscribe), which the
  relay hands to its ``VoiceBridge``. Without a media server the next joiner gets
  ``voice_full``. The room goes back to mesh once voice is empty. A media server the relay
  starts itself is started then, the first time a room needs it (``MediaStarter``); the
  joiner waits for it, or gets ``voice_full`` saying why it could not start.

The relay, not the sender, enforces who may speak: a member who may not (a viewer the host
has not allowed) has its descriptions rewritten so that they never send
(``a=sendrecv`` -> ``a=recvonly``, ``a=sendonly`` -> ``a=inactive``), and a description
with anything but audio m-lines is refused, naming the line.

Everything the room sends goes through the members' control connections' queues
(``ControlConn.send``): a member whose socket stalls is closed by its own queue's bound and
never holds up the others, their control messages or frames.

The media server is reached through a ``VoiceBridge`` (``relay/voice_sfu.py``'s
``SfuBridge`` is one), made by a ``BridgeFactory`` given in ``VoiceOptions.media``. Its
calls are async; the room runs them as tasks, in order per member, and sends a refusal from
the bridge back to the member as an ``error``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.protocol import build, dumps
from overshoulder.core.protocol.messages import (
    SFU_PEER,
    SFU_SUBSCRIBE_PEER,
    SessionDescription,
    VoiceAllow,
    VoiceJoin,
    VoiceMember,
    VoiceMode,
    VoiceRoster,
    VoiceSignal,
    VoiceState,
    VoiceTopology,
    VoiceWelcome,
)

from .turn import IceConfig

if TYPE_CHECKING:
    from .rooms import ControlConn, Room

log = logging.getLogger("overshoulder.relay.voice")

#: Roles that speak in voice without the host's leave.
SPEAKING_ROLES = frozenset({"host", "reviewer"})
_SFU_PEERS = frozenset({SFU_PEER, SFU_SUBSCRIBE_PEER})


# --- the media server's side ------------------------------------------------------------------


class VoiceSend(Protocol):
    """How a bridge reaches a member: ``send(participant_id, "voice_signal", body)``.

    ``body`` is a plain JSON object (a ``VoiceSignal``'s fields, ``id`` the media server's
    peer id); it is sent to that member only, and dropped if it has left voice."""

    def __call__(self, pid: str, mtype: str, data: dict[str, Any]) -> None: ...


class VoiceBridge(Protocol):
    """One voice room's media through a media server (an SFU).

    ``join`` a member (``can_speak``: whether it may publish), hand it each ``voice_signal``
    it sends to ``"sfu"`` / ``"sfu-sub"``, ``leave`` it, and ``close`` when voice empties.
    Each may raise ``ProtocolError`` (sent back to the member) and is awaited in order per
    member. What the media server says goes back through the ``VoiceSend`` it was made with.
    """

    async def join(self, pid: str, can_speak: bool) -> None: ...

    async def signal(self, pid: str, sig: VoiceSignal) -> None: ...

    async def leave(self, pid: str) -> None: ...

    async def close(self) -> None: ...


class BridgeFactory(Protocol):
    """Makes a room's bridge: ``factory(send, name)`` (``name``: the session id, for logs)."""

    def __call__(self, send: VoiceSend, name: str) -> VoiceBridge: ...


class MediaUnavailable(Exception):
    """The media server could not be started; the message says why."""


class MediaStarter(Protocol):
    """A media server the relay starts the first time a room needs it (not at relay start:
    most sessions never do). ``running()``: up now; ``ensure_started()``: start it if not,
    shared by every room asking at once; ``MediaUnavailable`` says why it could not."""

    def running(self) -> bool: ...

    async def ensure_started(self) -> None: ...


@dataclass(frozen=True)
class VoiceOptions:
    """What a relay gives its voice rooms: STUN/TURN servers and, if any, a media server
    (``media``), started on first need by ``media_start`` when given."""

    ice: IceConfig = field(default_factory=IceConfig)
    media: Optional[BridgeFactory] = None
    media_start: Optional[MediaStarter] = None


# --- descriptions --------------------------------------------------------------------------

_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
#: What a member who may not speak says instead of each direction: never sending.
_LISTEN_ONLY = {"sendrecv": "recvonly", "sendonly": "inactive"}
_SDP_FIELD = "data.description.sdp"


def check_audio_only(sdp: str) -> None:
    """Refuse a description that is not SDP, or has a media line other than audio."""
    lines = sdp.splitlines()
    if not lines or lines[0].strip() != "v=0":
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE,
            "the description is not SDP: its first line must be v=0",
            _SDP_FIELD,
        )
    mlines = [(n, line) for n, line in enumerate(lines, 1) if line.startswith("m=")]
    if not mlines:
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "the description has no m=audio line", _SDP_FIELD
        )
    for number, line in mlines:
        media = line[2:].split(" ", 1)[0]
        if media != "audio":
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"voice is audio only: line {number} of the description is {line[:80]!r} "
                f"(a {media[:20]!r} m-line); offer audio m-lines only",
                _SDP_FIELD,
            )


def listen_only(sdp: str) -> str:
    """``sdp`` with every direction turned into one that never sends; a media section with
    no direction (sendrecv by default) gets ``a=recvonly``."""
    newline = "\r\n" if "\r\n" in sdp else "\n"
    lines = sdp.splitlines()
    out: list[str] = []
    session_direction = False
    section_direction: Optional[bool] = None  # None: still in the session part

    def close_section() -> None:
        if section_direction is False and not session_direction:
            out.append("a=recvonly")

    for line in lines:
        if line.startswith("m="):
            close_section()
            section_direction = False
        elif line.startswith("a=") and line[2:].strip() in _DIRECTIONS:
            direction = line[2:].strip()
            line = f"a={_LISTEN_ONLY.get(direction, direction)}"
            if section_direction is None:
                session_direction = True
            else:
                section_direction = True
        out.append(line)
    close_section()
    return newline.join(out) + (newline if sdp.endswith(("\n", "\r")) else "")


def sends(sdp: str) -> bool:
    """Whether any media section of a description sends: its direction (or the session's,
    or sendrecv when neither says) has "send" in it."""
    session: Optional[str] = None
    sections: list[Optional[str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            sections.append(None)
        elif line.startswith("a=") and line[2:].strip() in _DIRECTIONS:
            if sections:
                sections[-1] = line[2:].strip()
            else:
                session = line[2:].strip()
    return any((d or session or "sendrecv").startswith("send") for d in sections)


# --- the room ----------------------------------------------------------------------------


@dataclass
class _Member:
    pid: str
    name: str
    muted: bool
    speaking: bool = False

    def member(self, can_speak: bool) -> VoiceMember:
        return VoiceMember(
            id=self.pid,
            name=self.name,
            joined=True,
            muted=self.muted,
            speaking=self.speaking,
            can_speak=can_speak,
        )


class VoiceRoom:
    """The voice of one session (see the module's docstring)."""

    def __init__(self, room: Room, options: Optional[VoiceOptions] = None) -> None:
        self.room = room
        self.options = options or VoiceOptions()
        self.members: dict[str, _Member] = {}
        #: Viewers the host let speak (by participant id), while the room lives.
        self.allowed: set[str] = set()
        self.mode: VoiceTopology = "mesh"
        self.bridge: Optional[VoiceBridge] = None
        #: The last bridge call queued for each member: the next waits for it.
        self._tails: dict[str, asyncio.Task[None]] = {}
        #: Joiners past the mesh cap waiting for the media server to start (by pid).
        self._pending: dict[str, tuple[ControlConn, VoiceJoin, Optional[str]]] = {}
        self._starting: Optional[asyncio.Task[None]] = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def mesh_max(self) -> int:
        return self.room.limits.voice_mesh_max

    def can_speak(self, pid: str) -> bool:
        conn = self.room.conns.get(pid)
        if conn is None:
            return False
        return conn.participant.role in SPEAKING_ROLES or pid in self.allowed

    def voice_member(self, pid: str) -> VoiceMember:
        """``pid``'s voice as everyone sees it (``joined`` False when not in voice)."""
        member = self.members.get(pid)
        if member is not None:
            return member.member(self.can_speak(pid))
        conn = self.room.conns.get(pid)
        name = conn.participant.name if conn is not None else ""
        return VoiceMember(id=pid, name=name, joined=False, can_speak=self.can_speak(pid))

    def roster(self) -> list[VoiceMember]:
        return [m.member(self.can_speak(pid)) for pid, m in self.members.items()]

    # --- what clients send ---------------------------------------------------------------

    def join(
        self, conn: ControlConn, body: VoiceJoin, ref: Optional[str] = None, started: bool = False
    ) -> None:
        """``voice_join``: welcome the joiner with the members and its ICE servers, tell
        everyone. Joining again (to renegotiate) leaves first.

        Every member counts toward ``voice_mesh_max``, listeners too: in a mesh each speaker
        sends a stream of its own to every listener (docs/voice.md). A joiner past the cap
        whose media server is not running yet waits for it to start (``started``: it has)."""
        pid = conn.pid
        if pid in self.members or pid in self._pending:
            self.remove(pid)
        if len(self.members) + 1 > self.mesh_max and self.mode == "mesh":
            if self.options.media is None:
                raise ProtocolError(
                    ErrorCode.VOICE_FULL,
                    f"voice is full: {self.mesh_max} people talk peer to peer at most "
                    "(voice_mesh_max), and this relay has no media server to carry more; "
                    "a relay with a media server lifts the cap",
                )
            starter = self.options.media_start
            if starter is not None and not started and not starter.running():
                self._wait_for_media(starter, conn, body, ref)
                return
            self._to_sfu()
        others = self.roster()
        self.members[pid] = _Member(pid, conn.participant.name, body.muted)
        can_speak = self.can_speak(pid)
        welcome = VoiceWelcome(
            mode=self.mode,
            can_speak=can_speak,
            # Fresh TURN credentials on every join, good no longer than the member's token.
            ice_servers=self.options.ice.ice_servers(pid, until=conn.expires),
            members=others,
            mesh_max=self.mesh_max,
        )
        conn.send(dumps(build("voice_welcome", welcome, ts=_now())))
        self._broadcast_member(pid)
        if self.mode == "sfu":
            self._bridge_join(pid)
        log.info(
            "%s (%s) joined voice (%s, %d in voice)",
            conn.participant.name,
            pid,
            self.mode,
            len(self.members),
        )

    def leave(self, conn: ControlConn) -> None:
        """``voice_leave``: out of voice (nothing happens if it was not in)."""
        self.remove(conn.pid)

    def state(self, conn: ControlConn, body: VoiceState) -> None:
        """``voice_state``: muted / speaking, passed on to everyone as a ``VoiceMember``;
        a repeat of the flags last passed on (a client's meter saying "speaking" again) is
        dropped."""
        member = self._member(conn, "voice_state")
        if (member.muted, member.speaking) == (body.muted, body.speaking):
            return
        member.muted, member.speaking = body.muted, body.speaking
        self._broadcast_member(conn.pid)

    def signal(self, conn: ControlConn, sig: VoiceSignal, ref: Optional[str] = None) -> None:
        """``voice_signal``: checked, rewritten for a member who may not speak, and handed to
        its peer (mesh) or to the media server (sfu)."""
        self._member(conn, "voice_signal")
        if sig.to == conn.pid:
            raise ProtocolError(ErrorCode.BAD_MESSAGE, "a voice_signal to oneself", "data.to")
        if sig.description is not None:
            sig = self._checked(conn.pid, sig, sig.description)
        sig = dataclasses.replace(sig, id=conn.pid)
        if sig.to in _SFU_PEERS:
            if self.mode != "sfu" or self.bridge is None:
                raise ProtocolError(
                    ErrorCode.BAD_MESSAGE,
                    f"this voice room is peer to peer (mesh): there is no {sig.to!r} to "
                    "signal; signal to the members of voice_welcome",
                    "data.to",
                )
            pid = conn.pid
            self._bridge_call(pid, conn, "voice_signal", ref, lambda b: b.signal(pid, sig))
            return
        if self.mode == "sfu" and sig.to in self.members:
            # A mesh signal still in flight when the room switched (a late ICE candidate,
            # an answer): both ends are closing that link, so it is dropped, not refused.
            log.debug("a mesh signal from %s to %s after the switch to sfu", conn.pid, sig.to)
            return
        if self.mode == "sfu":
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"this voice room goes through the media server: signal to {SFU_PEER!r} "
                f"and {SFU_SUBSCRIBE_PEER!r}, not to a participant",
                "data.to",
            )
        target = self.room.conns.get(sig.to)
        if sig.to not in self.members or target is None:
            raise ProtocolError(
                ErrorCode.NOT_IN_VOICE,
                f"{self._name(sig.to)} is not in voice; signal only to voice members",
                "data.to",
            )
        target.send(dumps(build("voice_signal", sig, sender=conn.pid, ts=_now())))

    def allow(self, conn: ControlConn, body: VoiceAllow) -> None:
        """``voice_allow`` (a host): let a viewer speak, or stop letting it.

        Everyone gets the viewer's new ``VoiceMember``. Its client joins voice again to
        renegotiate; a viewer no longer allowed is taken out of voice at once, so its
        links (made while it could speak) end now, not when its client gets round to it.
        """
        target = self.room.conns.get(body.id)
        if target is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, f"no participant {body.id[:64]!r} is connected", "data.id"
            )
        if target.participant.role != "viewer":
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"{target.participant.name} is a {target.participant.role} and speaks "
                "already; voice_allow is for viewers",
                "data.id",
            )
        if (body.id in self.allowed) == body.allowed:
            return
        if body.allowed:
            self.allowed.add(body.id)
            self._broadcast_member(body.id)
            return
        self.allowed.discard(body.id)
        if body.id in self.members:
            self.remove(body.id)
        else:
            self._broadcast_member(body.id)

    # --- the session's side ------------------------------------------------------------

    def remove(self, pid: str) -> None:
        """``pid`` is out of voice (it left voice, or its control socket closed or was
        replaced): everyone hears ``joined: false`` and closes its link to it."""
        self._pending.pop(pid, None)
        if self.members.pop(pid, None) is None:
            return
        self._broadcast_member(pid)
        if self.bridge is not None:
            self._bridge_call(pid, None, "voice_leave", None, lambda b: b.leave(pid))
            if not self.members:
                self._close_bridge()
        log.info("%s left voice (%d in voice)", pid, len(self.members))

    def send_roster(self, conn: ControlConn) -> None:
        """Who is in voice, to a participant that has just joined the session (after its
        snapshot), when anyone is."""
        if self.members:
            roster = VoiceRoster(members=self.roster())
            conn.send(dumps(build("voice_roster", roster, ts=_now())))

    async def close(self) -> None:
        """The room goes: the media server's room too; pending bridge calls are waited for
        (not a start of the media server: nobody is left to wait for it)."""
        self.members.clear()
        self._pending.clear()
        if self._starting is not None:
            self._starting.cancel()
        if self.bridge is not None:
            self._close_bridge()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- inside ------------------------------------------------------------------------

    def _member(self, conn: ControlConn, what: str) -> _Member:
        member = self.members.get(conn.pid)
        if member is None:
            raise ProtocolError(
                ErrorCode.NOT_IN_VOICE, f"join voice (voice_join) before sending {what}"
            )
        return member

    def _name(self, pid: str) -> str:
        conn = self.room.conns.get(pid)
        return conn.participant.name if conn is not None else f"participant {pid[:64]!r}"

    def _checked(self, pid: str, sig: VoiceSignal, desc: SessionDescription) -> VoiceSignal:
        check_audio_only(desc.sdp)
        if self.can_speak(pid):
            return sig
        sdp = listen_only(desc.sdp)
        if len(sdp) > self.room.limits.max_sdp_chars:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"the description is {len(sdp)} characters once made listen-only, at most "
                f"{self.room.limits.max_sdp_chars}",
                _SDP_FIELD,
            )
        return dataclasses.replace(sig, description=dataclasses.replace(desc, sdp=sdp))

    def _broadcast_member(self, pid: str) -> None:
        """``pid``'s ``VoiceMember`` as a ``voice_state``, to everyone in the session."""
        text = dumps(build("voice_state", self.voice_member(pid), sender=pid, ts=_now()))
        for conn in list(self.room.conns.values()):
            conn.send(text)

    def _wait_for_media(
        self, starter: MediaStarter, conn: ControlConn, body: VoiceJoin, ref: Optional[str]
    ) -> None:
        """Start the media server for a joiner past the mesh cap; once it is up the joiner
        (and any that came meanwhile) joins again, else it gets ``voice_full`` saying so (why
        goes to the relay's log only: it names the machine's interfaces and ports)."""
        self._pending[conn.pid] = (conn, body, ref)
        if self._starting is None:
            self._starting = self._spawn(self._start_media(starter), "starting the media server")

    async def _start_media(self, starter: MediaStarter) -> None:
        failure: Optional[str] = None
        try:
            await starter.ensure_started()
        except MediaUnavailable as exc:
            failure = str(exc) or "no reason given"
            log.info("voice of session %s stays at the mesh cap: %s", self.room.info.id, failure)
        finally:
            self._starting = None
        waiting, self._pending = self._pending, {}
        for pid, (conn, body, ref) in waiting.items():
            if self.room.conns.get(pid) is not conn or conn.closed:
                continue
            try:
                if failure is not None:
                    raise ProtocolError(
                        ErrorCode.VOICE_FULL,
                        f"voice is full: {self.mesh_max} people talk peer to peer at most "
                        "(voice_mesh_max), and the media server that carries more could not "
                        "start (the relay's log says why)",
                    )
                self.join(conn, body, ref, started=True)
            except ProtocolError as exc:
                exc.ref, exc.mtype = ref, "voice_join"
                conn.error(exc)

    def _to_sfu(self) -> None:
        factory = self.options.media
        assert factory is not None
        self.bridge = factory(self._from_bridge, self.room.info.id)
        self.mode = "sfu"
        log.info("voice of session %s goes through the media server", self.room.info.id)
        text = dumps(build("voice_mode", VoiceMode(mode="sfu"), ts=_now()))
        for conn in list(self.room.conns.values()):
            conn.send(text)
        for pid in self.members:
            self._bridge_join(pid)

    def _bridge_join(self, pid: str) -> None:
        can_speak = self.can_speak(pid)
        conn = self.room.conns.get(pid)
        self._bridge_call(pid, conn, "voice_join", None, lambda b: b.join(pid, can_speak))

    def _close_bridge(self) -> None:
        """Voice is empty: the media server's room goes once every call queued is done; the
        next joiner starts a mesh again."""
        bridge, self.bridge = self.bridge, None
        self.mode = "mesh"
        if bridge is None:
            return
        pending = list(self._tails.values())

        async def close() -> None:
            if pending:
                await asyncio.wait(pending)
            await bridge.close()

        self._spawn(close(), "closing the media server's room")

    def _from_bridge(self, pid: str, mtype: str, data: dict[str, Any]) -> None:
        """What the media server sends a member; dropped once it has left voice."""
        conn = self.room.conns.get(pid)
        if conn is None or pid not in self.members:
            return
        sender = data.get("id")
        conn.send(
            dumps(build(mtype, data, sender=sender if isinstance(sender, str) else None, ts=_now()))
        )

    def _bridge_call(
        self,
        pid: str,
        conn: Optional[ControlConn],
        mtype: str,
        ref: Optional[str],
        call: Callable[[VoiceBridge], Awaitable[None]],
    ) -> None:
        """Run ``call(bridge)`` after the member's previous bridge call; a refusal goes back
        to it (``conn``) as an error of its ``mtype`` message."""
        before = self._tails.get(pid)
        bridge = self.bridge
        if bridge is None:
            return

        async def run() -> None:
            if before is not None:
                await asyncio.wait([before])
            try:
                await call(bridge)
            except ProtocolError as exc:
                if conn is not None:
                    exc.ref, exc.mtype = ref, mtype
                    conn.error(exc)
            except Exception:
                log.exception("the media server failed on %s of %s", mtype, pid)
                if conn is not None:
                    conn.error(
                        ProtocolError(
                            ErrorCode.INTERNAL,
                            f"the media server failed on this {mtype}; join voice again",
                            None,
                            ref,
                            mtype,
                        )
                    )

        task = self._spawn(run(), f"{mtype} of {pid}")
        self._tails[pid] = task
        task.add_done_callback(
            lambda t: self._tails.pop(pid, None) if self._tails.get(pid) is t else None
        )

    def _spawn(self, coro: Awaitable[None], what: str) -> asyncio.Task[None]:
        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("voice: %s failed", what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _now() -> float:
    return round(time.time(), 6)

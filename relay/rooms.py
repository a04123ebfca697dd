"""Live sessions: who is connected, the state a late joiner needs, and fan-out.

A ``Room`` holds one session's live state in memory (annotations, recent chat,
playhead, the drive lease, the latest frames) and the connections in it.

Control messages go to each connection through its own queue and sender
task, in order. Frames go through a separate media socket per subscriber
with a one-slot mailbox: a new frame replaces one not yet sent, so a slow
reviewer skips frames and never delays the host or anyone else.

Persisted events are checked and applied to the in-memory state at once (so
the next message sees them), handed to the store, and acknowledged and
broadcast only once the store says they are durable.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import Any, Optional, Protocol, Union

try:
    import msgspec
except ImportError:  # the relay runs without it, a little slower
    msgspec = None  # type: ignore[assignment]

from overshoulder.core.collector import collector_paused
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import Limits
from overshoulder.core.model import (
    Annotation,
    AudioClip,
    ChatMessage,
    ImageRef,
    Participant,
    SessionInfo,
)
from overshoulder.core.protocol import PROTOCOL_MAJOR, Envelope, build, dumps, error_message
from overshoulder.core.protocol.events import (
    Filled,
    SessionState,
    Unreadable,
    as_stored,
    fill,
    filled_in,
    note_id,
    read_stored,
    relay_fill,
    updated,
)
from overshoulder.core.protocol.messages import (
    CLOSE_POLICY,
    CLOSE_REFUSED,
    CLOSE_REPLACED,
    CLOSE_TOO_SLOW,
    Ack,
    AnnotationAdd,
    AnnotationUpdate,
    FrameSize,
    Join,
    Lease,
    Leave,
    Presence,
    SessionUpdate,
    StillRequest,
    session_json,
)
from overshoulder.core.protocol.packet import (
    FLAG_LOSSLESS,
    FLAG_REFINEMENT,
    KIND_FRAME,
    FrameHeader,
    pack,
)
from overshoulder.core.schema import encode

from .frames import FrameStore
from .ratelimit import TokenBucket
from .store.base import DAMAGED_EVENT, AuditEntry, EventRecord, EventStore, SessionRecord
from .voice import VoiceOptions, VoiceRoom
from .voicenotes import VoiceNoteStore

log = logging.getLogger("overshoulder.relay.rooms")


class Socket(Protocol):
    """What rooms need of a WebSocket (aiohttp's WebSocketResponse fits)."""

    async def send_str(self, data: str) -> None: ...

    async def send_bytes(self, data: bytes) -> None: ...

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class _Sender:
    """A socket's sender task: woken when there is something to send, stopped once."""

    def __init__(self, ws: Socket, pid: str) -> None:
        self.ws = ws
        self._pid = pid
        self.closed = False
        self._wake = asyncio.Event()
        self.task: Optional[asyncio.Task[None]] = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        failed = False
        try:
            while not self.closed:
                await self._wake.wait()
                self._wake.clear()
                try:
                    await self._send_pending()
                except (ConnectionError, RuntimeError, asyncio.CancelledError):
                    raise
                except Exception:  # one bad item: dropped; the socket keeps its sender
                    if not failed:
                        log.exception(
                            "sender for %s dropped a message it could not send", self._pid
                        )
                    failed = True
                    self._wake.set()  # what is queued behind it still goes
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass

    async def _send_pending(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        self.closed = True
        self._wake.set()
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except (asyncio.CancelledError, Exception):
                pass


@dataclasses.dataclass(frozen=True)
class _SnapshotHead:
    """A snapshot's body without its notes; ``text`` makes the message around them."""

    data: str
    with_notes: bool

    def text(self, notes: str = "") -> str:
        body = self.data
        if self.with_notes:
            body = f'{body[:-1]},"annotations":[{notes}]}}'
        return f'{{"v":{PROTOCOL_MAJOR},"type":"snapshot","data":{body}}}'


@dataclasses.dataclass(frozen=True)
class SnapshotParts:
    """A full snapshot waiting in a joiner's queue: its head and its notes' texts by page."""

    head: _SnapshotHead
    pages: list[list[str]]
    paged: bool

    def messages(self) -> Iterator[str]:
        """The messages to send, each made when asked for."""
        if not self.paged:
            yield self.head.text(",".join(t for page in self.pages for t in page))
            return
        yield self.head.text()
        for index, page in enumerate(self.pages):
            notes = ",".join(page)
            yield (
                f'{{"v":{PROTOCOL_MAJOR},"type":"snapshot_page",'
                f'"data":{{"index":{index},"annotations":[{notes}]}}}}'
            )


class ControlConn(_Sender):
    """One participant's control socket: an ordered queue and a sender task."""

    def __init__(self, ws: Socket, participant: Participant, limits: Limits) -> None:
        super().__init__(ws, participant.id)
        self.participant = participant
        self.limits = limits
        self.last_seq = 0
        self._queue: deque[Union[str, SnapshotParts]] = deque()
        #: The invite link this participant came with (its nonce), for seats per link.
        self.link = ""
        #: When the token this participant came with expires (unix time; None: unknown).
        self.expires: Optional[float] = None
        self.pointer_rate = TokenBucket(limits.pointer_rate_hz, limits.rate_burst)
        self.draft_rate = TokenBucket(limits.pointer_rate_hz, limits.rate_burst)
        self.presence_rate = TokenBucket(limits.presence_rate_hz, limits.rate_burst)
        self.control_rate = TokenBucket(limits.control_rate_hz, limits.rate_burst)
        #: (time, bytes) of the notes this participant sent in the last minute.
        self.note_window: deque[tuple[float, int]] = deque()
        #: Refusals for rate this participant may still have before it counts as a flood.
        self.flood = TokenBucket(limits.flood_drops_per_s, int(limits.flood_drops_per_s * 10))
        #: The driver's playhead (a correction per frame at most).
        self.playhead_rate = TokenBucket(limits.playhead_rate_hz, limits.rate_burst)
        #: Frame requests by hash or size: one per frame at most, as pointers.
        self.frame_request_rate = TokenBucket(limits.pointer_rate_hz, limits.rate_burst)
        self.chat_rate = TokenBucket(limits.chat_rate_hz, limits.rate_burst)
        self.voice_signal_rate = TokenBucket(limits.voice_signal_rate_hz, limits.voice_signal_burst)
        self.voice_state_rate = TokenBucket(limits.voice_state_rate_hz, limits.rate_burst)
        self._rate_warned = 0.0

    @property
    def pid(self) -> str:
        return self.participant.id

    def send(self, text: Union[str, SnapshotParts]) -> None:
        if self.closed:
            return
        if len(self._queue) >= self.limits.max_queued_control:
            log.warning(
                "participant %s (%s) is not reading; closing it, it will resume",
                self.pid,
                self.participant.name,
            )
            self.close(CLOSE_TOO_SLOW, "too slow: reconnect and resume")
            return
        self._queue.append(text)
        self._wake.set()

    def send_event(self, seq: int, text: str) -> None:
        """A persisted event, unless this connection already has it (snapshot/replay)."""
        if seq <= self.last_seq:
            return
        self.last_seq = seq
        self.send(text)

    def error(self, exc: ProtocolError, env: Optional[Envelope] = None) -> None:
        ref = env.ref if env else exc.ref
        self.send(error_message(exc, ref, env.type if env else exc.mtype))

    def dropped(self) -> None:
        """One message refused for its rate; a participant that keeps flooding is closed."""
        if not self.flood.allow() and not self.closed:
            log.warning(
                "closed the socket of %s (%s): flooding past its rate limits",
                self.pid,
                self.participant.name,
            )
            self.close(CLOSE_POLICY, "flooding: too many messages past the rate limits")

    def warn_rate(self, what: str) -> None:
        self.dropped()
        now = time.monotonic()
        if now - self._rate_warned > 5.0:
            self._rate_warned = now
            self.error(
                ProtocolError(
                    ErrorCode.RATE_LIMITED,
                    f"too many {what} messages; extra ones are dropped",
                )
            )

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self._queue.clear()
        self._wake.set()
        asyncio.get_running_loop().create_task(
            self.ws.close(code=code, message=reason.encode()[:120])
        )

    async def _send_pending(self) -> None:
        while self._queue and not self.closed:
            item = self._queue.popleft()
            if isinstance(item, str):
                await self.ws.send_str(item)
                continue
            # A full snapshot: each message is made only once the one before has been
            # sent (send_str waits while the socket's buffer is full), so a joiner that
            # reads slowly, or not at all, holds one page of memory, not the session.
            for text in item.messages():
                if self.closed:
                    return
                await self.ws.send_str(text)


def _rank(flags: int) -> int:
    """How good an encoding of an image is: fast 0, refined 1, lossless 2."""
    if flags & FLAG_LOSSLESS:
        return 2
    return 1 if flags & FLAG_REFINEMENT else 0


class MediaConn(_Sender):
    """One participant's media socket: a one-slot mailbox, newest wins.

    With ``cache`` > 0 the client keeps that many images by hash: an image it
    already holds at the same or a better quality is sent as a reference
    (header only); a better encoding of it (a refinement) is sent in full.
    """

    def __init__(self, ws: Socket, pid: str, role: str, cache: int) -> None:
        super().__init__(ws, pid)
        self.pid = pid
        self.role = role
        self.cache = cache
        self._held: OrderedDict[bytes, int] = OrderedDict()
        self._slot: Optional[tuple[FrameHeader, bytes]] = None
        self.sent = 0
        self.skipped = 0

    def offer(self, header: FrameHeader, packet: bytes, force_bytes: bool = False) -> None:
        if self._slot is not None:
            self.skipped += 1
        held = self._held.get(header.hash) if self.cache else None
        if not force_bytes and held is not None and held >= _rank(header.flags):
            self._held.move_to_end(header.hash)
            self._slot = (header, pack(header.as_ref()))
        else:
            self._slot = (header, packet)
        self._wake.set()

    async def _send_pending(self) -> None:
        slot, self._slot = self._slot, None
        if slot is None:
            return
        header, data = slot
        await self.ws.send_bytes(data)
        self.sent += 1
        if self.cache and header.kind == KIND_FRAME:
            rank = max(_rank(header.flags), self._held.get(header.hash, 0))
            self._held[header.hash] = rank
            self._held.move_to_end(header.hash)
            while len(self._held) > self.cache:
                self._held.popitem(last=False)


def _now() -> float:
    return round(time.time(), 6)


@dataclasses.dataclass(frozen=True)
class HeldFrame:
    """A published frame as it travels: header, the whole packet, where the image starts."""

    header: FrameHeader
    packet: bytes
    payload_start: int

    @property
    def payload(self) -> bytes:
        return self.packet[self.payload_start :]

    def info(self) -> dict[str, Any]:
        return dict(encode(self.header.info(len(self.packet) - self.payload_start)))


class Room:
    """One session's live state and connections."""

    def __init__(
        self,
        record: SessionRecord,
        store: EventStore,
        frames: FrameStore,
        limits: Limits,
        on_idle: Optional[Callable[[Room], None]] = None,
        voice_notes: Optional[VoiceNoteStore] = None,
        voice: Optional[VoiceOptions] = None,
    ) -> None:
        self._on_idle = on_idle
        #: Who is in the session's voice, and the signals between them (relay/voice.py).
        self.voice = VoiceRoom(self, voice)
        #: Where voice notes' recordings are kept: a note's ``audio`` must name one of this
        #: session's (none: notes with audio are refused).
        self.voice_notes = voice_notes
        self.store = store
        self.frames = frames
        self.limits = limits
        self.seq = 0
        #: The notes, deleted notes, recent chat and the session's name, closed flag and
        #: watermark, as the log's events made them (``SessionState.apply``).
        self.state = _state(record, limits)
        self.eids: dict[str, int] = {}
        #: Each note's JSON text, made once per change and shared by every snapshot; a note
        #: added since the last snapshot waits as its encoded form (``_ann_json``).
        self._ann_text: dict[str, str] = {}
        self._ann_json: dict[str, dict[str, Any]] = {}
        #: The chat as snapshots carry it, made once per change.
        self._chat_json: Optional[list[Any]] = None
        #: Stored bytes of each note, and their total (``_note_sizes``; None until needed).
        self._ann_size: Optional[dict[str, int]] = None
        self._note_total = 0
        self.conns: dict[str, ControlConn] = {}
        self.media: dict[str, MediaConn] = {}
        self.playhead: Optional[dict[str, Any]] = None
        self.stream: Optional[dict[str, Any]] = None
        self.driver: Optional[str] = None
        self.latest: Optional[HeldFrame] = None
        self.recent: OrderedDict[str, HeldFrame] = OrderedDict()
        # Retries of an event that is not yet durable: acknowledged once it is.
        self._waiting: dict[str, list[tuple[ControlConn, Optional[str]]]] = {}
        self.size_prefs: dict[str, tuple[Optional[int], Optional[int]]] = {}
        self._sent_size: Optional[tuple[Optional[int], Optional[int]]] = None
        #: The ``damaged_event`` error each joiner gets when the log had rows that were skipped.
        self.damage_notice: Optional[str] = None
        self._loop = asyncio.get_running_loop()

    # --- state from the log ----------------------------------------------------

    @property
    def info(self) -> SessionRecord:
        """The session as stored, with the name, closed flag and watermark its events gave it."""
        session = self._session
        return SessionRecord(
            session.id,
            session.name,
            session.created,
            session.host_name,
            session.closed,
            session.watermark,
        )

    @property
    def watermark(self) -> str:
        """Who sees the watermark (``SessionUpdate.watermark``), from the log's session events."""
        return self._session.watermark

    @property
    def _session(self) -> SessionInfo:
        session = self.state.session
        if session is None:  # a room's state is made with its session
            raise RuntimeError(f"room without a session: {self.state!r}")
        return session

    @property
    def annotations(self) -> dict[str, Annotation]:
        return self.state.notes

    @property
    def deleted(self) -> dict[str, Optional[Annotation]]:
        return self.state.deleted

    @property
    def chat(self) -> deque[ChatMessage]:
        return self.state.chat

    def load(self) -> None:
        """Rebuild the state from the log, and keep each note's JSON for snapshots.

        A session with thousands of notes takes a while: the relay runs this on
        a worker thread before the room takes its first connection.

        A row that cannot be used (damaged text, not a JSON event, a body that does not
        fit its type) is skipped: the store names it in health and the log, the room
        tells each joiner (``damaged_event``), and the rest of the session loads.
        """
        skipped: list[int] = []
        before = self.info
        # The stored text of the add each note comes from, while no later event changed it.
        added: dict[str, str] = {}
        # The notes and their texts live as long as the room: they go straight to the
        # collector's oldest generation instead of being scanned by its next passes.
        with collector_paused(keep=True):
            for rec in self.store.events_since(self.info.id, 0, damaged=True):
                self.seq = max(self.seq, rec.seq)
                why = rec.damage or self._replay(rec, added)
                if why is not None:
                    if rec.damage is None:
                        self.store.report_damage(self.info.id, rec.seq, why)
                    skipped.append(rec.seq)
                    continue
                self.eids[rec.eid] = rec.seq
            for ann_id, note in self.annotations.items():
                stored = added.get(ann_id)
                text = _stored_note_text(note, stored) if stored is not None else None
                if text is not None:
                    self._ann_text[ann_id] = text
                else:
                    self._annotation_text(ann_id)
        self.damage_notice = _damage_notice(skipped)
        self._store_record_as_replayed(before)

    def _store_record_as_replayed(self, before: SessionRecord) -> None:
        """The stored record again as the log says, where they differ: a relay stopped
        between storing a ``session`` event and its record keeps the record behind, and a
        session no room holds is listed from the record."""
        after = self.info
        if after == before:
            return
        self.store.update_session(
            after.id,
            name=after.name if after.name != before.name else None,
            closed=after.closed if after.closed != before.closed else None,
            watermark=after.watermark if after.watermark != before.watermark else None,
        )
        log.info("session %s: its stored record is brought up to its log", after.id)

    def _replay(self, rec: EventRecord, added: dict[str, str]) -> Optional[str]:
        """Apply one stored event; why it cannot be, or None. ``added``: see ``load``."""
        try:
            # Typed before applying: a half-applied event would leave the state torn.
            body = read_stored(rec.type, rec.text)
        except ProtocolError as exc:
            return f"its {rec.type or 'event'} body does not fit ({exc.message})"
        except Unreadable as exc:
            return str(exc)
        if body is not None:
            self._apply(rec.type, body)
            ann_id = note_id(rec.type, body)
            if ann_id is not None:
                added.pop(ann_id, None)
                if rec.type == "annotation_add":
                    added[ann_id] = rec.text
        return None

    def _apply(self, mtype: str, body: Any, note: Union[str, dict[str, Any], None] = None) -> None:
        """Apply a typed body to the state; ``note``: the changed note's JSON (text, or
        encoded and not yet text), when it was made already."""
        part = self.state.apply(mtype, body)
        if part == "notes":
            ann_id = str(note_id(mtype, body))
            self._ann_text.pop(ann_id, None)
            self._ann_json.pop(ann_id, None)
            if ann_id in self.annotations:
                if isinstance(note, str):
                    self._ann_text[ann_id] = note
                elif note is not None:
                    self._ann_json[ann_id] = note
        elif part == "chat":
            self._chat_json = None

    # --- participants -----------------------------------------------------------

    @property
    def idle(self) -> bool:
        """Nobody connected and nothing waiting to be written."""
        return not self.conns and not self.media and not self._waiting

    def participants(self) -> list[Participant]:
        return [c.participant for c in self.conns.values()]

    def hosts(self) -> list[ControlConn]:
        return [c for c in self.conns.values() if c.participant.role == "host"]

    def add(self, conn: ControlConn) -> None:
        old = self.conns.get(conn.pid)
        if old is not None:
            old.close(CLOSE_REPLACED, "replaced by a newer connection of the same client")
            self.voice.remove(conn.pid)  # its client joins voice again on the new socket
        self.conns[conn.pid] = conn
        self._audit("join", conn, f"client {conn.participant.client}; link {conn.link[:8]}")
        if self.damage_notice is not None:
            conn.send(self.damage_notice)
        self.broadcast(dumps(build("join", Join(conn.participant), ts=_now())), skip=conn.pid)
        self.voice.send_roster(conn)
        if conn.participant.role == "host":
            if self._sent_size is not None:
                conn.send(self._frame_size_text())
            if self.driver is None:
                self._set_driver(conn.pid)

    def remove(self, conn: ControlConn) -> None:
        if self.conns.get(conn.pid) is not conn:
            return  # replaced: the new connection keeps the seat
        self.voice.remove(conn.pid)
        del self.conns[conn.pid]
        self._audit("leave", conn)
        self.size_prefs.pop(conn.pid, None)
        media = self.media.get(conn.pid)
        if media is not None:  # a media socket lives only as long as its control socket
            media.closed = True
            self._loop.create_task(media.ws.close(code=CLOSE_REFUSED, message=b"left the session"))
        self.broadcast(dumps(build("leave", Leave(id=conn.pid), ts=_now())))
        if self.driver == conn.pid:
            hosts = self.hosts()
            self._set_driver(hosts[0].pid if hosts else None)
        self._update_frame_size()

    def _audit(self, action: str, conn: ControlConn, detail: str = "") -> None:
        me = conn.participant
        who = f"{me.name} ({me.id})"
        self.store.audit(AuditEntry(self.info.id, _now(), action, who, me.role, detail))

    def snapshot_text(self, full: bool) -> str:
        """The ``snapshot`` message, with annotations and chat when ``full``, as one text."""
        if not full:
            return self._snapshot_head(False).text()
        return "".join(self.full_snapshot(paged=False).messages())

    def full_snapshot(self, paged: bool) -> SnapshotParts:
        """A full snapshot as of now, to be sent later by the joiner's sender task.

        Each note's JSON is kept from the moment it changes, and the snapshot holds
        references to those texts, not copies: a late joiner of a session with
        thousands of notes costs a list of references, the same texts shared by every
        joiner, and each message is made only when it is sent. A note changed after
        this point keeps its old text alive for this joiner; the change reaches it as
        an event after ``synced``, as it would have after one big message.

        ``paged`` (the client said ``snapshot_pages``): the snapshot carries no notes
        and says how many ``snapshot_page`` messages of at most ``snapshot_page_bytes``
        follow. Otherwise one message holds them all, for older clients.
        """
        notes = [self._annotation_text(a) for a in self.annotations]
        if not paged:
            return SnapshotParts(self._snapshot_head(True), [notes], paged=False)
        pages: list[list[str]] = []
        page: list[str] = []
        size = 0
        budget = self.limits.snapshot_page_bytes
        for text in notes:
            if page and size + len(text) > budget:
                pages.append(page)
                page, size = [], 0
            page.append(text)
            size += len(text) + 1
        if page:
            pages.append(page)
        return SnapshotParts(self._snapshot_head(True, pages=len(pages)), pages, paged=True)

    def _snapshot_head(self, full: bool, pages: Optional[int] = None) -> _SnapshotHead:
        data: dict[str, Any] = {
            "session": self.session_info(),
            "participants": [encode(p) for p in self.participants()],
            "seq": self.seq,
            "full": full,
        }
        if self.playhead is not None:
            data["playhead"] = self.playhead
        if self.driver is not None:
            data["driver"] = self.driver
        if self.latest is not None:
            data["latest_frame"] = self.latest.info()
        if self.stream is not None:
            data["stream"] = self.stream
        if full:
            if self._chat_json is None:
                self._chat_json = [encode(c) for c in self.chat]
            data["chat"] = self._chat_json
            data["deleted"] = list(self.deleted)
        if pages is not None:
            data["pages"] = pages
        return _SnapshotHead(dumps(data), with_notes=full)

    def _annotation_text(self, ann_id: str) -> str:
        text = self._ann_text.get(ann_id)
        if text is None:
            made = self._ann_json.pop(ann_id, None)
            text = _note_text(self.annotations[ann_id]) if made is None else dumps(made)
            self._ann_text[ann_id] = text
        return text

    def session(self) -> SessionInfo:
        """The session now, with how many are connected."""
        return dataclasses.replace(self._session, participants=len(self.conns))

    def session_info(self) -> dict[str, Any]:
        """The session as snapshots and the HTTP API send it (``messages.session_json``)."""
        return session_json(self.session())

    def broadcast(self, text: str, skip: Optional[str] = None) -> None:
        for pid, conn in self.conns.items():
            if pid != skip:
                conn.send(text)

    # --- persisted events --------------------------------------------------------

    def submit(self, conn: ControlConn, env: Envelope) -> None:
        """Check, apply and store a persisted event; ack and broadcast once durable."""
        eid = env.eid or _derived_eid(env)
        if eid is None:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"{env.type} needs an eid (a UUID the client keeps for retries)",
                "eid",
            )
        known = self.eids.get(eid)
        if known is not None:
            waiting = self._waiting.get(eid)
            if waiting is not None:  # not on disk yet: acknowledge when it is
                waiting.append((conn, env.ref))
            else:
                conn.send(dumps(build("ack", Ack(ref=env.ref, eid=eid, seq=known, duplicate=True))))
            return
        if self._session.closed and env.type != "session":
            raise ProtocolError(ErrorCode.CONFLICT, "this session is closed; nothing more is kept")
        ts = _now()
        body = self._prepare(conn, env, ts)
        data = encode(body)
        note = None
        if env.type in ("annotation_add", "annotation_update", "annotation_delete"):
            note = self._check_note_budget(conn, env.type, body, data)
        self.seq += 1
        seq = self.seq
        self.eids[eid] = seq
        self._waiting[eid] = []
        text = dumps(build(env.type, data, eid=eid, seq=seq, sender=conn.pid, ts=ts))
        self._apply(env.type, body, note)
        record = EventRecord(self._session.id, seq, eid, env.type, conn.pid, ts, text)

        def done(error: Optional[BaseException]) -> None:
            self._loop.call_soon_threadsafe(self._persisted, conn, env.ref, record, body, error)

        self.store.append([record], done)

    def _check_note_budget(
        self, conn: ControlConn, mtype: str, body: Any, data: dict[str, Any]
    ) -> Union[str, dict[str, Any], None]:
        """One note's size, what one participant may add per minute, what a session holds.

        Returns the note's JSON after the event: its text for a change (made to count it),
        its encoded form for an add (text only once a snapshot needs it), None for a delete.
        """
        limits = self.limits
        ann_id = str(note_id(mtype, body))
        size = len(dumps(data)) if mtype != "annotation_delete" else 0
        if size > limits.max_note_bytes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"this note is {size} bytes stored; at most {limits.max_note_bytes} allowed "
                "(fewer points, shorter text)",
            )
        if mtype == "annotation_add" and len(self.annotations) >= limits.max_session_notes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"this session holds {limits.max_session_notes} notes, as many as it may",
            )
        sizes = self._note_sizes()
        note: Union[str, dict[str, Any], None] = None
        stored = 0
        if mtype == "annotation_add":
            note, stored = data["annotation"], size
        elif mtype == "annotation_update" and ann_id in self.annotations:
            note = _note_text(updated(self.annotations[ann_id], body))
            stored = len(note)
        after = self._note_total - sizes.get(ann_id, 0) + stored
        if stored and after > limits.max_session_note_bytes:
            raise ProtocolError(
                ErrorCode.TOO_LARGE,
                f"this session's notes would take {after // (1024 * 1024)} MiB; at most "
                f"{limits.max_session_note_bytes // (1024 * 1024)} MiB are kept per session",
            )
        if conn.participant.role != "host":
            self._check_note_rate(conn, size)
        self._note_total = after
        if stored:
            sizes[ann_id] = stored
        else:
            sizes.pop(ann_id, None)
        return note

    def _note_sizes(self) -> dict[str, int]:
        """Bytes of each note the session holds, counted once (the first time a note arrives
        after the room was loaded), then kept up to date."""
        if self._ann_size is None:
            self._ann_size = {i: len(self._annotation_text(i)) for i in self.annotations}
            self._note_total = sum(self._ann_size.values())
        return self._ann_size

    def _check_note_rate(self, conn: ControlConn, size: int) -> None:
        limits = self.limits
        now = time.monotonic()
        window = conn.note_window
        while window and now - window[0][0] > 60.0:
            window.popleft()
        count, total = len(window), sum(b for _, b in window)
        if count >= limits.notes_per_minute or total + size > limits.note_bytes_per_minute:
            raise ProtocolError(
                ErrorCode.RATE_LIMITED,
                f"more notes in a minute than a participant may send ({limits.notes_per_minute} "
                f"notes or {limits.note_bytes_per_minute // (1024 * 1024)} MiB); this one was not "
                "kept, send it again in a moment",
            )
        window.append((now, size))

    def _persisted(
        self,
        conn: ControlConn,
        ref: Optional[str],
        record: EventRecord,
        body: Any,
        error: Optional[BaseException],
    ) -> None:
        retries = self._waiting.pop(record.eid, [])
        if self.idle and self._on_idle is not None:
            self._loop.call_soon(self._on_idle, self)
        if error is not None:
            log.error(
                "could not store event %s of session %s: %s", record.seq, record.session, error
            )
            failed = ProtocolError(
                ErrorCode.INTERNAL,
                "the relay could not store this event; it was not kept, send it again",
            )
            for who, who_ref in [(conn, ref), *retries]:
                who.send(error_message(failed, who_ref, record.type))
            self._reload()
            return
        if isinstance(body, SessionUpdate):
            self.store.update_session(
                self._session.id, name=body.name, closed=body.closed, watermark=body.watermark
            )
        filled = filled_in(record.type, body)
        ack = Ack(
            ref=ref, eid=record.eid, seq=record.seq, filled=encode(filled) if filled else None
        )
        conn.send(dumps(build("ack", ack)))
        for who, who_ref in retries:
            who.send(
                dumps(
                    build("ack", Ack(ref=who_ref, eid=record.eid, seq=record.seq, duplicate=True))
                )
            )
        for pid, other in self.conns.items():
            if pid != conn.pid:
                other.send_event(record.seq, record.text)

    def _reload(self) -> None:
        """After a failed write: rebuild the state from what the log really holds."""
        record = self.store.get_session(self.info.id) or self.info
        self._waiting.clear()
        self._ann_text.clear()
        self._ann_json.clear()
        self._ann_size = None
        self._chat_json = None
        self.state = _state(record, self.limits)
        self.eids.clear()
        self.seq = 0
        self.load()

    def _prepare(self, conn: ControlConn, env: Envelope, now: float) -> Any:
        """The event's typed body as stored: checked against the state, relay fields filled."""
        me = conn.participant
        body = env.data
        if isinstance(body, AnnotationAdd):
            ann = body.annotation
            if ann.id in self.annotations:
                raise ProtocolError(
                    ErrorCode.CONFLICT,
                    f"annotation {ann.id} already exists; use annotation_update",
                    "data.annotation.id",
                )
            if ann.id in self.deleted:
                self._check_owner(me, self.deleted[ann.id], "restore")
            if ann.audio is not None:
                self._check_audio(ann.audio)
            values = relay_fill(env.type, body, me, now).over(Filled(image=self._pin_image(ann)))
            body = fill(env.type, as_stored(body), values)
        elif env.type in ("annotation_update", "annotation_delete"):
            current = self.annotations.get(body.id)
            if current is None:
                raise ProtocolError(
                    ErrorCode.NOT_FOUND, f"no annotation {body.id} in this session", "data.id"
                )
            action = "change" if env.type == "annotation_update" else "delete"
            if not (isinstance(body, AnnotationUpdate) and _only_status(body)):
                self._check_owner(me, current, action)
            body = as_stored(body)
        elif env.type == "chat":
            body = fill(env.type, body, relay_fill(env.type, body, me, now))
        elif isinstance(body, SessionUpdate):
            if body == SessionUpdate():
                raise ProtocolError(ErrorCode.BAD_MESSAGE, "session update changes nothing", "data")
            if body.watermark is not None:
                self._audit("settings", conn, f"watermark {body.watermark}")
        return body

    @staticmethod
    def _check_owner(me: Participant, ann: Optional[Annotation], action: str) -> None:
        if me.role != "host" and (ann is None or ann.author != me.id):
            who = ann.author_name if ann is not None else None
            raise ProtocolError(
                ErrorCode.FORBIDDEN,
                f"only the author ({who}) or a host may {action} this note",
            )

    def _check_audio(self, clip: AudioClip) -> None:
        """A voice note names a recording uploaded to this session, as the relay measured it."""
        found = self.voice_notes.find(self._session.id, clip.id) if self.voice_notes else None
        if found is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND,
                f"voice note {clip.id} was not uploaded to this session (POST it to "
                f"/api/sessions/{self._session.id}/voice-notes first)",
                "data.annotation.audio.id",
            )
        if found[0] != clip:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE,
                f"audio does not match voice note {clip.id} as kept: send the clip the upload "
                f"answered ({found[0].mime}, {found[0].duration} s, {found[0].size} bytes)",
                "data.annotation.audio",
            )

    def _pin_image(self, ann: Annotation) -> Optional[ImageRef]:
        """Name the image a note was drawn on, and keep that image.

        Returns the image to write into the note's anchor (None: it names one already, or
        the latest frame is not the note's frame).
        """
        anchor = ann.anchor
        image = anchor.image or ImageRef()
        digest = image.hash
        pinned = None
        latest = self.latest
        if digest is None and latest is not None and latest.header.frame == anchor.frame:
            digest = latest.header.hash_hex
            pinned = dataclasses.replace(image, hash=digest)
        kept = self.recent.get(digest) if digest else None
        if digest and kept is not None:
            writing = self._loop.run_in_executor(
                None, self.frames.keep, self._session.id, digest, kept.header.codec, kept.payload
            )
            writing.add_done_callback(_report_keep_failure)
        return pinned

    # --- ephemeral -------------------------------------------------------------

    def relay_ephemeral(self, conn: ControlConn, env: Envelope) -> None:
        """Pointer, draft, presence and a guest's timeline: rate-limited, never stored."""
        bucket = {"pointer": conn.pointer_rate, "draft": conn.draft_rate}.get(
            env.type, conn.presence_rate
        )
        if not bucket.allow():
            conn.warn_rate(env.type)
            return
        body = env.data
        if env.type != "draft":  # a draft's id names the mark; ``from`` names the sender
            body = dataclasses.replace(body, id=conn.pid)
        if isinstance(body, Presence):
            conn.participant = dataclasses.replace(
                conn.participant, state=body.state, following=body.following
            )
        self.broadcast(dumps(build(env.type, body, sender=conn.pid, ts=_now())), skip=conn.pid)

    def set_stream(self, conn: ControlConn, env: Envelope) -> None:
        """A host says what it shares: kept for late joiners, relayed to the others."""
        self.stream = encode(env.data)
        self.broadcast(
            dumps(build("stream", self.stream, sender=conn.pid, ts=_now())), skip=conn.pid
        )

    def set_playhead(self, conn: ControlConn, env: Envelope) -> None:
        if self.driver is None:
            self._set_driver(conn.pid)
        if self.driver != conn.pid:
            holder = self.conns.get(self.driver or "")
            who = holder.participant.name if holder else "someone else"
            raise ProtocolError(
                ErrorCode.FORBIDDEN, f"{who} drives the playhead; claim the drive lease first"
            )
        playhead = encode(env.data)
        asked = playhead["frame"]
        playhead = self._within_range(playhead)
        self.playhead = playhead
        self.broadcast(
            dumps(build("playhead", self.playhead, sender=conn.pid, ts=_now())), skip=conn.pid
        )
        if playhead["frame"] != asked:
            # The driver stepped past the shot: it hears where the session really is.
            conn.send(dumps(build("playhead", playhead, sender=conn.pid, ts=_now())))

    def _within_range(self, playhead: dict[str, Any]) -> dict[str, Any]:
        """The playhead with its frame inside its range, or the session's last known one:
        held at the end when paused, round the loop when playing.

        A driver (a page, an app, a script) that steps past the last frame would
        otherwise stretch everyone's timeline and leave the followers behind the image.
        """
        known = playhead.get("range") or (self.playhead or {}).get("range")
        if not known:
            return playhead
        first, last = min(known), max(known)
        frame = playhead["frame"]
        if playhead.get("playing"):  # round the loop, as the page and the Python client do
            frame = first + (frame - first) % (last - first + 1)
        else:
            frame = min(max(frame, first), last)
        if frame == playhead["frame"] and playhead.get("range"):
            return playhead
        return {**playhead, "frame": frame, "range": [first, last]}

    def claim(self, conn: ControlConn) -> None:
        if self.driver in (None, conn.pid) or conn.participant.role == "host":
            self._set_driver(conn.pid)
        else:
            self._broadcast_lease(requested_by=conn.pid)

    def release(self, conn: ControlConn, to: Optional[str]) -> None:
        if self.driver != conn.pid and conn.participant.role != "host":
            raise ProtocolError(ErrorCode.FORBIDDEN, "you do not hold the drive lease")
        if to is not None:
            target = self.conns.get(to)
            if target is None:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"no participant {to} here", "data.to")
            if target.participant.role == "viewer":
                raise ProtocolError(
                    ErrorCode.FORBIDDEN, "a viewer cannot drive the playhead", "data.to"
                )
            self._set_driver(to)
            return
        others = [h.pid for h in self.hosts() if h.pid != conn.pid]
        self._set_driver(others[0] if others else None)

    def _set_driver(self, pid: Optional[str]) -> None:
        self.driver = pid
        self._broadcast_lease()

    def _broadcast_lease(self, requested_by: Optional[str] = None) -> None:
        holder = self.conns.get(self.driver or "")
        lease = Lease(
            name="playhead",
            holder=self.driver,
            holder_name=holder.participant.name if holder else None,
            requested_by=requested_by,
        )
        self.broadcast(dumps(build("lease", lease, ts=_now())))

    # --- frames ------------------------------------------------------------------

    def publish(self, frame: HeldFrame, publisher: str) -> None:
        """A host's new frame: keep it as the latest and offer it to every subscriber."""
        header, packet = frame.header, frame.packet
        self.latest = frame
        digest = header.hash_hex
        self.recent[digest] = frame
        self.recent.move_to_end(digest)
        while len(self.recent) > self.limits.recent_frames:
            self.recent.popitem(last=False)
        for pid, media in self.media.items():
            if pid != publisher:
                media.offer(header, packet)

    def request_frame(self, conn: ControlConn, digest: str) -> None:
        media = self.media.get(conn.pid)
        if media is None:
            raise ProtocolError(
                ErrorCode.NOT_READY, "open the media socket before asking for frames"
            )
        kept = self.recent.get(digest)
        if kept is None:
            raise ProtocolError(
                ErrorCode.NOT_FOUND, f"frame {digest[:16]} is no longer held", "data.hash"
            )
        media.offer(kept.header, kept.packet, force_bytes=True)

    def request_still(self, conn: ControlConn) -> None:
        """Ask the hosts for a lossless still of what they show now."""
        text = dumps(build("still_request", StillRequest(id=conn.pid), ts=_now()))
        for host in self.hosts():
            host.send(text)

    def set_frame_size(
        self, conn: ControlConn, width: Optional[int], height: Optional[int]
    ) -> None:
        self.size_prefs[conn.pid] = (width, height)
        self._update_frame_size()

    def _update_frame_size(self) -> None:
        """Tell the hosts the largest size any subscriber asked for."""
        if not self.size_prefs:
            size: tuple[Optional[int], Optional[int]] = (None, None)
        elif any(w is None or h is None for w, h in self.size_prefs.values()):
            size = (None, None)
        else:
            size = (
                max(w for w, _ in self.size_prefs.values() if w is not None),
                max(h for _, h in self.size_prefs.values() if h is not None),
            )
        if size == self._sent_size:
            return
        self._sent_size = size
        for host in self.hosts():
            host.send(self._frame_size_text())

    def _frame_size_text(self) -> str:
        width, height = self._sent_size or (None, None)
        return dumps(build("frame_size", FrameSize(max_width=width, max_height=height)))

    def add_media(self, media: MediaConn) -> None:
        old = self.media.get(media.pid)
        if old is not None:
            old.closed = True
            self._loop.create_task(old.ws.close(code=CLOSE_REPLACED, message=b"replaced"))
        self.media[media.pid] = media
        if self.latest is not None:
            media.offer(self.latest.header, self.latest.packet)

    def remove_media(self, media: MediaConn) -> None:
        if self.media.get(media.pid) is media:
            del self.media[media.pid]


def _damage_notice(skipped: list[int]) -> Optional[str]:
    """The error a joiner gets about the events of its session's log that were skipped."""
    if not skipped:
        return None
    if len(skipped) == 1:
        what = f"event {skipped[0]} of this session's log cannot be read and was skipped"
    else:
        shown = ", ".join(str(seq) for seq in skipped[:8]) + (", ..." if len(skipped) > 8 else "")
        what = (
            f"{len(skipped)} events of this session's log ({shown}) cannot be read and were skipped"
        )
    return error_message(
        ProtocolError(
            DAMAGED_EVENT,
            f"{what}; everything else in the session is here (the relay's health names it)",
        )
    )


def _report_keep_failure(future: asyncio.Future[Any]) -> None:
    """A frame that could not be kept costs the note its picture, not the session."""
    if not future.cancelled() and future.exception() is not None:
        log.error("could not keep an annotated frame: %s", future.exception())


def _derived_eid(env: Envelope) -> Optional[str]:
    """Adds and chat lines are idempotent by their own client-made id."""
    if env.type == "annotation_add":
        return f"add:{env.data.annotation.id}"
    if env.type == "chat":
        return f"chat:{env.data.id}"
    return None


def _only_status(update: AnnotationUpdate) -> bool:
    """Marking a note done (or open again) is open to every drawing participant."""
    return update.status is not None and update == AnnotationUpdate(update.id, status=update.status)


#: Field names of each dataclass a note is made of, in order (as ``schema.encode`` walks them).
_note_fields: dict[type, tuple[str, ...]] = {}


def _fields_of(obj: Any) -> dict[str, Any]:
    """One dataclass as ``schema.encode`` gives it, one level deep: its fields that are set."""
    kind = type(obj)
    names = _note_fields.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(obj):
            raise TypeError(f"Object of type {kind.__name__} is not JSON serializable")
        names = _note_fields[kind] = tuple(f.name for f in dataclasses.fields(obj))
    out = {}
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            out[name] = value
    return out


#: ``dumps(encode(note))`` with the walk done by the JSON encoder itself: it takes lists,
#: tuples and numbers as they are and asks ``_fields_of`` only for each dataclass, so a
#: note's text costs half as much (a room loaded from a log of 10,000 notes makes them all).
_note_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_fields_of)


def _note_text(note: Annotation) -> str:
    """A note's JSON text as a snapshot carries it: the same text as ``dumps(encode(note))``."""
    return _note_encoder.encode(note)


#: How the relay writes an ``annotation_add`` event: its note's text follows this.
_ADD_PREFIX = f'{{"v":{PROTOCOL_MAJOR},"type":"annotation_add","data":{{"annotation":'
#: A field left as None, as msgspec writes it (``schema.encode`` leaves it out): after another
#: member, and first in its object. Inside a string a quote is escaped, so neither matches there.
_NULL_AFTER = re.compile(rb',"[A-Za-z_]\w*":null')
_NULL_FIRST = re.compile(rb'\{"[A-Za-z_]\w*":null,?')
_msgspec_encoder = msgspec.json.Encoder() if msgspec is not None else None


def _stored_note_text(note: Annotation, stored: str) -> Optional[str]:
    """The note's text taken from the stored ``annotation_add`` it was read from, when the
    stored text holds exactly the note's text (``dumps(encode(note))``); None otherwise, or
    without msgspec.

    msgspec writes the note (its None fields as null, taken out here) at a quarter of the cost
    of ``_note_text``, but writes some numbers otherwise than Python (0.00001 for 1e-05), so
    its text is used only when the stored text has it at the note's place. The relay writes
    stored texts with Python's json, which writes one text per value: a stored text equal to
    msgspec's is Python's text of the note. Otherwise (such a number, an older key order or
    form of the note) the note is written as always.
    """
    if _msgspec_encoder is None or not stored.startswith(_ADD_PREFIX):
        return None
    try:
        made = _msgspec_encoder.encode(note)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
        return None
    text = _NULL_FIRST.sub(b"{", _NULL_AFTER.sub(b"", made)).decode()
    return text if stored.startswith(text, len(_ADD_PREFIX)) else None


def _state(record: SessionRecord, limits: Limits) -> SessionState:
    """A room's state before its log is replayed: the session as stored (its watermark
    included, which the log's session events then agree with), no events."""
    return SessionState(record.as_info(), chat_kept=limits.snapshot_chat)

"""VoiceParticipant: a Python member of a session's voice, on an asyncio loop of its own.

It joins voice through its ``SessionClient`` (``send_voice`` / ``on_voice``), follows the
relay's ``voice_welcome``: in a mesh it offers a link to every member listed and answers
the offers of those who join later; in SFU mode it publishes to ``"sfu"`` and answers the
``"sfu-sub"`` offer whose ``streams`` say which audio is whose. Candidates a peer trickles
are added as they come (aiortc puts its own in the description). It sends one paced audio
track per link (``Voice``: a WAV file, an array, silence; muted or not) and records what
each member sounds like here (48 kHz mono int16), for tests and benchmarks.

Everything that touches aiortc runs on the participant's loop thread; the public methods
may be called from any other thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .audio import FRAME_S
from .sender import Voice

if TYPE_CHECKING:
    from ..client import SessionClient
    from . import rtc

log = logging.getLogger("overshoulder.voice")

#: The peer ids of the media server's links in SFU mode: publishing, and subscribing.
SFU_PUBLISH = "sfu"
SFU_SUBSCRIBE = "sfu-sub"
#: How often the speaking flag is looked at (voice_state goes out only when it changes).
SPEAKING_POLL_S = 0.1
#: How many seconds of what each member said are kept (older audio is dropped).
RECORD_S = 120.0


def load_rtc() -> Any:
    """The aiortc side (``core.voice.rtc``), or a RuntimeError saying how to install it."""
    try:
        from . import rtc
    except ImportError as exc:
        raise RuntimeError(
            f"voice from Python needs aiortc ({exc.name or exc} is missing): "
            "pip install 'overshoulder[voice]'"
        ) from None
    return rtc


@dataclasses.dataclass(eq=False)
class _Link:
    """One peer connection: to a member (mesh) or to the media server (``"sfu"``...)."""

    id: str
    pc: rtc.RTCPeerConnection
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    remote_set: bool = False
    pending: list[Any] = dataclasses.field(default_factory=list)
    #: An SFU subscription's audio by mid: whose voice each is.
    streams: dict[str, str] = dataclasses.field(default_factory=dict)
    closed: bool = False


class VoiceParticipant:
    """A Python voice member of ``client``'s session; see the module's docstring.

    ``source``: what it says (a WAV file's path, samples as a numpy array, None for
    silence), looped unless ``loop_source`` is False. ``record_s``: seconds of each
    member's audio to keep (0: none). ``join()`` starts it, ``leave()`` ends it; it joins
    again by itself when the client reconnects (the client says ``voice_join`` again and
    a new ``voice_welcome`` rebuilds every link).
    """

    def __init__(
        self,
        client: SessionClient,
        source: Any = None,
        *,
        loop_source: bool = True,
        muted: bool = False,
        record_s: float = RECORD_S,
    ) -> None:
        self.client = client
        self._voice = Voice(source, loop=loop_source, muted=muted)
        self._record_s = record_s
        self._cond = threading.Condition()
        self._recorded: dict[str, list[tuple[float, np.ndarray]]] = {}
        self._connected: set[str] = set()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._undo: Optional[Any] = None
        self._links: dict[str, _Link] = {}  # loop thread only
        # What the loop sends goes through one thread of its own, in order: the client's
        # lock may be held a while (a large snapshot), and the loop paces audio.
        self._outbox: Optional[ThreadPoolExecutor] = None
        self._rtc: Any = None
        self._t0 = 0.0
        self._said: Optional[tuple[bool, bool]] = None
        #: What the latest ``voice_welcome`` said, and how many came (one per (re)join).
        self.mode = "mesh"
        self.can_speak = False
        self.ice_servers: list[Any] = []
        self.welcomes = 0
        #: The voice members as the relay last told (``VoiceMember`` by participant id).
        self.members: dict[str, Any] = {}
        #: The relay's latest refusal of a voice message of this client.
        self.last_error: Optional[Any] = None

    # --- life cycle --------------------------------------------------------------------------

    def join(self) -> None:
        """Start the loop thread and join voice; returns at once."""
        if self._thread is not None:
            raise RuntimeError("this VoiceParticipant has joined already; make a new one")
        self._rtc = load_rtc()
        loop = self._loop = asyncio.new_event_loop()
        self._t0 = loop.time()
        self._thread = threading.Thread(
            target=self._run, name=f"overshoulder-voice-{self.client.client_id[:8]}", daemon=True
        )
        self._outbox = ThreadPoolExecutor(1, thread_name_prefix="overshoulder-voice-send")
        self._thread.start()
        self._undo = self.client.on_voice(self._heard)
        self._send("voice_join", {"muted": self._voice.muted})
        asyncio.run_coroutine_threadsafe(self._say_speaking(), loop)

    def leave(self, timeout: float = 5.0) -> None:
        """Leave voice: tell the relay, close every link, stop the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or loop.is_closed():
            return
        if threading.current_thread() is thread:
            raise RuntimeError("leave() from the voice loop's own thread would wait for itself")
        if self._undo is not None:
            self._undo()
            self._undo = None
        self._send("voice_leave", {})
        if self._outbox is not None:
            self._outbox.shutdown(wait=False)  # the leave goes after what was queued
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(timeout)
        except Exception as exc:  # a link that would not close in time: the loop stops anyway
            log.warning("voice links did not all close: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    def __enter__(self) -> VoiceParticipant:
        self.join()
        return self

    def __exit__(self, *exc: object) -> None:
        self.leave()

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    # --- what the app does -------------------------------------------------------------------

    @property
    def muted(self) -> bool:
        return self._voice.muted

    def mute(self, muted: bool = True) -> None:
        """Send silence (or the source again) from the next frame, and tell the session."""
        self._voice.muted = muted
        self._on_loop(self._say_state, True)

    def play(self, source: Any, loop: bool = False) -> float:
        """Say ``source`` (a WAV path or samples) from the next frame on; returns the wall
        clock time (``time.time()``) at which its first sample is handed to the encoder."""
        now = time.monotonic()
        at = int((now - self._t0) / FRAME_S) + 1
        self._voice.play(source, at, loop)
        return time.time() + (self._t0 + at * FRAME_S - now)

    @property
    def connected(self) -> frozenset[str]:
        """The peers (participant ids, or ``"sfu"``...) whose link is up."""
        with self._cond:
            return frozenset(self._connected)

    def wait_connected(self, peers: Iterable[str], timeout: float = 20.0) -> bool:
        """Wait until the link to each of ``peers`` is up; False on timeout."""
        wanted = set(peers)
        with self._cond:
            return self._cond.wait_for(lambda: wanted <= self._connected, timeout)

    def recording(self, member: str, since: Optional[float] = None) -> np.ndarray:
        """What ``member`` sounded like here (48 kHz mono int16), the frames that arrived
        at or after wall time ``since`` if given; empty if nothing came."""
        with self._cond:
            chunks = [c for t, c in self._recorded.get(member, []) if since is None or t >= since]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    def wait_heard(self, member: str, seconds: float, since: float, timeout: float = 20.0) -> bool:
        """Wait until ``seconds`` of ``member``'s audio arrived after wall time ``since``."""
        frames = round(seconds / FRAME_S)

        def enough() -> bool:
            return sum(1 for t, _ in self._recorded.get(member, []) if t >= since) >= frames

        with self._cond:
            return self._cond.wait_for(enough, timeout)

    # --- what the relay says (on the client's thread, handed to the loop) -----------------

    def _heard(self, mtype: str, data: Any) -> None:
        self._on_loop(self._dispatch, mtype, data)

    def _on_loop(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` on the loop thread, unless it is not running (not joined, left)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop closed meanwhile: leaving

    def _dispatch(self, mtype: str, data: Any) -> None:
        """One voice message, on the loop thread. Links are made here, in order, so each
        link's signals queue on its lock in the order they came."""
        if mtype == "voice_welcome":
            self._welcome(data)
        elif mtype == "voice_signal":
            self._signal(data)
        elif mtype == "voice_state":
            self._member(data)
        elif mtype == "voice_roster":
            self.members = {m.id: m for m in data.members if m.joined}
        elif mtype == "voice_mode":
            self._mode(data.mode)
        elif mtype == "error":
            self.last_error = data
            log.warning("the relay refused %s: %s (%s)", data.type, data.message, data.code)

    def _me(self) -> Optional[str]:
        me = self.client.participant
        return me.id if me is not None else None

    def _welcome(self, welcome: Any) -> None:
        self.mode, self.can_speak = welcome.mode, welcome.can_speak
        self.ice_servers = list(welcome.ice_servers)
        self.members = {m.id: m for m in welcome.members if m.joined}
        self.welcomes += 1
        self._said = None
        self._say_state()
        for link in list(self._links.values()):
            self._drop(link)
        if self.mode == "sfu":
            if self.can_speak:
                self._spawn(self._offer(self._link(SFU_PUBLISH)))
            return
        me = self._me()
        for member in welcome.members:
            if member.id != me and member.joined:
                self._spawn(self._offer(self._link(member.id)))

    def _mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        if mode == "sfu":
            self.mode = mode
            for link in list(self._links.values()):
                self._drop(link)
            if self.can_speak:
                self._spawn(self._offer(self._link(SFU_PUBLISH)))
        else:
            self._rejoin()  # a fresh welcome lists the members to offer to

    def _member(self, member: Any) -> None:
        others = {pid: m for pid, m in self.members.items() if pid != member.id}
        self.members = {**others, member.id: member} if member.joined else others
        if member.id == self._me():
            if self.welcomes and member.can_speak != self.can_speak:
                # The host let this viewer speak (or stopped it): links again, as it may now.
                self.can_speak = member.can_speak
                if member.joined:
                    self._rejoin()
                else:  # taken out of voice: back in, listening
                    self._send("voice_join", {"muted": self._voice.muted})
            return
        if not member.joined:
            link = self._links.get(member.id)
            if link is not None:
                self._drop(link)

    def _rejoin(self) -> None:
        self._send("voice_leave", {})
        self._send("voice_join", {"muted": self._voice.muted})

    def _signal(self, signal: Any) -> None:
        peer = signal.id
        if peer is None:
            return
        link = self._links.get(peer)
        description = signal.description
        if description is not None and description.type == "offer":
            if link is not None and peer != SFU_SUBSCRIBE:
                self._drop(link)  # the peer starts again (it rejoined): so does this side
                link = None
            if link is None:
                link = self._link(peer)
            if signal.streams is not None:
                # The media server renegotiates its one subscription as publishers come and go.
                link.streams = {s.mid: s.id for s in signal.streams}
        if link is None:
            log.debug("a voice signal from %s, with whom there is no link; ignored", peer)
            return
        if description is not None:
            self._spawn(self._described(link, description))
        elif signal.candidate is not None:
            self._spawn(self._candidate(link, signal.candidate))

    # --- links (loop thread) ----------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        task.add_done_callback(_log_failure)

    def _link(self, peer: str) -> _Link:
        pc = self._rtc.peer_connection(self.ice_servers)
        link = self._links[peer] = _Link(peer, pc)

        @pc.on("track")
        def on_track(track: Any) -> None:
            mid = next((t.mid for t in pc.getTransceivers() if t.receiver.track is track), None)
            self._spawn(self._listen(link, track, mid or ""))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            state, current = pc.connectionState, self._links.get(peer) is link
            if not current:
                return  # a link replaced already says nothing about the peer
            with self._cond:
                if state == "connected":
                    self._connected.add(peer)
                else:
                    self._connected.discard(peer)
                self._cond.notify_all()
            if state in ("failed", "closed"):
                self._drop(link)

        return link

    def _drop(self, link: _Link) -> None:
        """Close ``link`` (after what it is doing) and forget it."""
        if self._links.get(link.id) is link:
            del self._links[link.id]
        if link.closed:
            return
        link.closed = True
        with self._cond:
            if link.id not in self._links:
                self._connected.discard(link.id)
            self._cond.notify_all()
        self._spawn(self._close(link))

    async def _close(self, link: _Link) -> None:
        async with link.lock:
            await link.pc.close()

    async def _close_all(self) -> None:
        links = list(self._links.values())
        for link in links:
            self._drop(link)
        await asyncio.gather(*(link.pc.close() for link in links), return_exceptions=True)

    def _add_sender(self, link: _Link, offering: bool) -> None:
        """This side's audio on ``link``: the paced track if it speaks there, else receive only."""
        speaks = self.can_speak and link.id != SFU_SUBSCRIBE
        if speaks:
            track = self._rtc.PacedTrack(self._t0, self._voice.frame)
            if link.id == SFU_PUBLISH:
                link.pc.addTransceiver(track, direction="sendonly")
            else:
                link.pc.addTrack(track)
        elif offering:
            link.pc.addTransceiver("audio", direction="recvonly")

    async def _offer(self, link: _Link) -> None:
        async with link.lock:
            if link.closed:
                return
            self._add_sender(link, offering=True)
            await link.pc.setLocalDescription(await link.pc.createOffer())
            self._send_description(link)

    async def _described(self, link: _Link, description: Any) -> None:
        from aiortc import RTCSessionDescription

        async with link.lock:
            if link.closed:
                return
            remote = RTCSessionDescription(sdp=description.sdp, type=description.type)
            await link.pc.setRemoteDescription(remote)
            link.remote_set = True
            pending, link.pending = link.pending, []
            for candidate in pending:
                await link.pc.addIceCandidate(candidate)
            if description.type == "offer":
                self._add_sender(link, offering=False)
                await link.pc.setLocalDescription(await link.pc.createAnswer())
                self._send_description(link)

    async def _candidate(self, link: _Link, candidate: Any) -> None:
        ice = self._rtc.candidate_from_wire(candidate)
        async with link.lock:
            if link.closed:
                return
            if not link.remote_set:
                link.pending.append(ice)
            else:
                await link.pc.addIceCandidate(ice)

    def _send_description(self, link: _Link) -> None:
        local = link.pc.localDescription
        body = {"to": link.id, "description": {"type": local.type, "sdp": local.sdp}}
        self._send("voice_signal", body)

    async def _listen(self, link: _Link, track: Any, mid: str) -> None:
        """Read a track until it ends, keeping the last ``record_s`` seconds of it under the
        member whose voice it is (the peer; in SFU mode, as the line's ``streams`` say)."""
        keep = int(self._record_s / FRAME_S)
        while True:
            try:
                frame = await track.recv()
            except self._rtc.MediaStreamError:
                return
            if keep <= 0:
                continue
            samples = self._rtc.samples_of(frame)
            who = link.streams.get(mid, link.id)
            with self._cond:
                chunks = self._recorded.setdefault(who, [])
                chunks.append((time.time(), samples))
                if len(chunks) > keep:
                    del chunks[: len(chunks) - keep]
                self._cond.notify_all()

    # --- muted and speaking -----------------------------------------------------------------

    async def _say_speaking(self) -> None:
        while True:
            await asyncio.sleep(SPEAKING_POLL_S)
            self._say_state()

    def _say_state(self, force: bool = False) -> None:
        """Send ``voice_state`` when muted or speaking changed (or ``force``), if in voice."""
        if not self.welcomes:
            return
        muted = self._voice.muted
        said = (muted, self._voice.speaking and not muted)
        if said == self._said and not force:
            return
        self._said = said
        self._send("voice_state", {"muted": said[0], "speaking": said[1]})

    def _send(self, mtype: str, body: dict[str, Any]) -> None:
        """``client.send_voice`` on the sending thread, after what was sent before."""
        outbox = self._outbox
        if outbox is None:
            return
        try:
            outbox.submit(self.client.send_voice, mtype, body).add_done_callback(_log_refusal)
        except RuntimeError:
            pass  # shut down: leaving


def _log_refusal(sent: Future[Any]) -> None:
    exc = sent.exception()
    if exc is not None:
        log.warning("a voice message was not sent: %s", exc)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.warning("a voice link failed: %s", exc, exc_info=exc)

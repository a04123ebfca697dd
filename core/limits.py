"""Every size, rate and timeout of the protocol, named once.

The relay enforces these; the Python client and the browser read the same
numbers from the ``welcome`` message, so nobody guesses. Change a number
here and the relay, the client and docs/protocol.md ("Limits") follow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Limits one relay enforces. Defaults suit a studio relay on a LAN."""

    #: Largest JSON control message, in bytes of UTF-8.
    max_message_bytes: int = 256 * 1024
    #: Largest binary media message (header + encoded image). UHD JPEGs reach ~2 MB.
    max_frame_bytes: int = 8 * 1024 * 1024
    #: Largest image side a frame packet may announce.
    max_frame_side: int = 8192
    #: Points in one freehand stroke.
    max_stroke_points: int = 20_000
    #: Characters of chat text, annotation text and note text.
    max_text_chars: int = 4000
    #: Characters of a display name.
    max_name_chars: int = 80
    #: Characters of any identifier (session id, annotation id, node path...).
    max_id_chars: int = 512
    #: Participants connected to one session at once. One seat is always kept for a host.
    max_connections_per_session: int = 64
    #: People in a session at once through one invite link, unless the invite says
    #: otherwise (``seats``): a link forwarded around cannot fill the session.
    seats_per_link: int = 4
    #: Pointer messages per second per participant, and drafts (counted apart);
    #: extra ones are dropped.
    pointer_rate_hz: float = 60.0
    #: Presence messages per second per participant; extra ones are dropped.
    presence_rate_hz: float = 4.0
    #: Burst allowance of the rate limiters (messages).
    rate_burst: int = 20
    #: Playhead messages per second from one participant (a driver's correction per frame
    #: during playback: 120 fps twice over); extra ones are dropped.
    playhead_rate_hz: float = 240.0
    #: Lease claims and releases, ``stream``, ``session`` and lossless-still requests per
    #: second per participant (a lease claim reaches everyone, a still asks the host for a
    #: render); extra ones are dropped.
    control_rate_hz: float = 10.0
    #: Chat lines per second per participant; extra ones are refused (``rate_limited``, not
    #: stored: send again later).
    chat_rate_hz: float = 5.0
    #: Messages per second one participant may have refused for its rates, on average
    #: (bursts of ten times that), before the relay closes its socket as a flood (1008); it
    #: may come back and resume.
    flood_drops_per_s: float = 100.0
    #: Bytes of one note as stored (its shape, style, anchor and text as JSON).
    max_note_bytes: int = 128 * 1024
    #: Notes added or changed per minute by one participant other than a host (a host's
    #: app syncs the notes its document holds when it shares, so it is not counted).
    notes_per_minute: int = 600
    #: Bytes of notes added or changed per minute by one participant other than a host.
    note_bytes_per_minute: int = 8 * 1024 * 1024
    #: Notes one session holds at most.
    max_session_notes: int = 50_000
    #: Bytes of notes (as stored) one session holds at most: about a thousand notes of the
    #: largest size, or a hundred thousand ordinary strokes.
    max_session_note_bytes: int = 128 * 1024 * 1024
    #: Sessions one client address may create per minute without the admin key (on an
    #: unlocked relay), after a burst of ``rate_burst``.
    sessions_per_minute: float = 10.0
    #: Open sessions one relay holds; creating one more is refused until some are closed.
    max_open_sessions: int = 1000
    #: Control messages queued for one slow client before it is disconnected
    #: (it resumes with "since" when it comes back).
    max_queued_control: int = 2048
    #: Seconds a client has to send "hello" before the relay closes the socket.
    hello_timeout_s: float = 10.0
    #: Chat messages included in a snapshot (the full history is in the export).
    snapshot_chat: int = 500
    #: Frames (encoded bytes) kept in memory per session so an annotation can
    #: pin the exact image it was drawn on.
    recent_frames: int = 32
    #: Send buffer kept in the kernel per socket: TCP_NOTSENT_LOWAT in bytes.
    notsent_lowat_bytes: int = 64 * 1024
    #: Seconds a new connection has to send its request line and headers; one that trickles
    #: them (holding a descriptor) is closed.
    header_timeout_s: float = 10.0
    #: Open connections from one client address (a studio's NAT counts as one address:
    #: every browser tab holds two sockets).
    max_connections_per_address: int = 256
    #: Bytes of notes in one ``snapshot_page``: a late joiner gets a big session's notes a
    #: page at a time, each sent once the one before has left, so a joiner that does not
    #: read holds one page of the relay's memory, not a copy of the session.
    snapshot_page_bytes: int = 256 * 1024
    #: Missed events a resume replays at most; a client further behind gets a full snapshot
    #: (replaying more would fill ``max_queued_control`` before it could read them).
    max_resume_events: int = 1024
    #: Bytes of one voice note's recording (a minute of speech in Opus is ~250 KB).
    max_voice_note_bytes: int = 1024 * 1024
    #: Seconds of one voice note, as the relay measures it (at most the model's 60).
    max_voice_note_s: float = 60.0
    #: Voice notes uploaded per minute through one invite link (hosts' links too), after a
    #: burst of ``rate_burst``.
    voice_notes_per_minute: float = 20.0
    #: Bytes of voice notes one session keeps at most.
    max_session_voice_bytes: int = 256 * 1024 * 1024
    #: Bytes of voice notes the relay keeps at most, all sessions together; past it an
    #: upload is refused (507).
    max_voice_notes_bytes: int = 4 * 1024**3
    #: Bytes the data folder's disk keeps free: an upload that would leave less is refused
    #: (507).
    voice_notes_min_free_bytes: int = 1024**3
    #: Seconds an uploaded recording that no note names is kept; then the relay removes it
    #: (at start, and at most hourly as uploads come).
    voice_note_unused_s: float = 86400.0
    #: Voice signals (SDP descriptions and ICE candidates) per second per participant, after
    #: a burst of ``voice_signal_burst`` (a joiner's offers and candidates to every member come
    #: at once); extra ones are refused (``rate_limited``), as losing one breaks a call.
    voice_signal_rate_hz: float = 40.0
    voice_signal_burst: int = 200
    #: ``voice_state`` messages (muted, speaking) per second per participant; extra ones are
    #: dropped. ``voice_join``/``voice_leave``/``voice_allow`` count with ``control_rate_hz``.
    voice_state_rate_hz: float = 10.0
    #: Characters of one SDP description in a ``voice_signal``.
    max_sdp_chars: int = 16384
    #: People in one voice room linked peer to peer (every pair); beyond it the room goes
    #: through the relay's media server, or, without one, the next joiner gets ``voice_full``.
    voice_mesh_max: int = 6

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_LIMITS = Limits()

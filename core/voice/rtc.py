"""The aiortc side of a Python voice member: its paced track, and frames to and from numpy.

Imported only once a member joins (aiortc is the ``voice`` extra).
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Callable
from typing import Any, Optional

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.sdp import candidate_from_sdp
from av import AudioFrame

from .audio import FRAME_S, FRAME_SAMPLES, SAMPLE_RATE

__all__ = [
    "MediaStreamError",
    "PacedTrack",
    "RTCPeerConnection",
    "candidate_from_wire",
    "peer_connection",
    "samples_of",
]

_TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
#: A sender this many frames behind the clock (its loop was held up) skips to the frame due
#: now; less late, it catches up, as a sound card's capture buffer (200 ms) would let it.
MAX_LATE_FRAMES = 10


class PacedTrack(MediaStreamTrack):
    """An audio track that hands out frame n at ``t0 + n * 20 ms`` of the event loop's clock.

    Pacing on the loop (rather than a player thread) keeps the send side's delay to one
    frame, at half the CPU of aiortc's ``MediaPlayer``. ``frame(n)`` gives the samples.
    """

    kind = "audio"

    def __init__(self, t0: float, frame: Callable[[int], np.ndarray]) -> None:
        super().__init__()
        self._t0 = t0
        self._frame = frame
        self._next: Optional[int] = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        due_now = int((loop.time() - self._t0) / FRAME_S)
        n = self._next
        if n is None or n < due_now - MAX_LATE_FRAMES:
            n = max(due_now, 0)
        wait = self._t0 + n * FRAME_S - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        self._next = n + 1
        samples = self._frame(n)
        frame = AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = n * FRAME_SAMPLES
        frame.time_base = _TIME_BASE
        return frame


def samples_of(frame: AudioFrame) -> np.ndarray:
    """A decoded frame's first channel as int16 at 48 kHz (Opus decodes to stereo s16)."""
    data = frame.to_ndarray()
    channels = len(frame.layout.channels)
    mono = data[0] if frame.format.is_planar else data.reshape(-1, channels)[:, 0]
    if mono.dtype != np.int16:
        mono = (np.clip(mono.astype(np.float32), -1.0, 1.0) * 32767.0).astype(np.int16)
    if frame.sample_rate != SAMPLE_RATE:
        from .audio import resample

        mono = resample(mono.astype(np.float32), frame.sample_rate).astype(np.int16)
    return np.ascontiguousarray(mono)


def peer_connection(ice_servers: list[Any]) -> RTCPeerConnection:
    """A peer connection with the relay's ICE servers (none: host candidates only; aiortc
    would otherwise reach for a public STUN server)."""
    servers = [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in ice_servers
    ]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


def candidate_from_wire(candidate: Any) -> Optional[RTCIceCandidate]:
    """An ``IceCandidate`` as aiortc takes it; None for the end of candidates (empty text)."""
    text = candidate.candidate.strip()
    if text.startswith("candidate:"):
        text = text[len("candidate:") :]
    if not text:
        return None
    ice = candidate_from_sdp(text)
    ice.sdpMid = candidate.sdp_mid
    ice.sdpMLineIndex = candidate.sdp_mline_index
    return ice

"""What a Python voice member says: frame n of its audio, muted or not, and whether it speaks.

``Voice`` holds the audio (a WAV file's samples, an array, silence) on a timeline of 20 ms
frames counted from its start; every peer's track asks it for the frame due now, so all
peers hear the same audio at the same moment, paced on the event loop's clock. It knows no
asyncio or aiortc (numpy only).
"""

from __future__ import annotations

import threading
from typing import Any, Optional

import numpy as np

from .audio import FRAME_SAMPLES, PathLike, as_samples, read_wav

#: The level (RMS of int16 samples over 200 ms) above which a member is speaking.
SPEAKING_RMS = 300.0
#: Frames averaged for the level, and frames of quiet before speaking ends (200 / 400 ms).
LEVEL_FRAMES = 10
QUIET_FRAMES = 20

_SILENCE = np.zeros(FRAME_SAMPLES, np.int16)


def load_source(source: Any) -> Optional[np.ndarray]:
    """The samples of ``source``: a WAV file's path, an array of samples, or None (silence)."""
    if source is None:
        return None
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        path: PathLike = source.decode() if isinstance(source, bytes) else source
        return read_wav(path)
    return as_samples(source)


class Voice:
    """The frames one member sends; safe to change (``play``, ``muted``) from any thread."""

    def __init__(self, source: Any = None, loop: bool = True, muted: bool = False) -> None:
        self._lock = threading.Lock()
        self.muted = muted
        self._samples = load_source(source)
        self._start = 0
        self._loop = loop
        self._levels: list[float] = []
        self._last = -1
        self._quiet = QUIET_FRAMES
        self.speaking = False

    def play(self, source: Any, at: int, loop: bool = False) -> None:
        """Say ``source`` from frame ``at`` on (then silence, or again and again if ``loop``)."""
        samples = load_source(source)
        with self._lock:
            self._samples, self._start, self._loop = samples, at, loop

    def frame(self, n: int) -> np.ndarray:
        """Frame ``n``'s 960 samples (silence while muted, before the audio, after its end)."""
        with self._lock:
            samples, start, loop, muted = self._samples, self._start, self._loop, self.muted
        out = _SILENCE
        if samples is not None and not muted and n >= start and len(samples):
            first = (n - start) * FRAME_SAMPLES
            if loop:
                at = np.arange(first, first + FRAME_SAMPLES) % len(samples)
                out = samples[at]
            elif first < len(samples):
                out = samples[first : first + FRAME_SAMPLES]
                if len(out) < FRAME_SAMPLES:
                    out = np.concatenate([out, _SILENCE[len(out) :]])
        self._level(n, out)
        return out

    def _level(self, n: int, frame: np.ndarray) -> None:
        """Follow the speaking flag on each new frame (every peer asks for the same ones)."""
        with self._lock:
            if n <= self._last:
                return
            self._last = n
            rms = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
            self._levels = [*self._levels[-(LEVEL_FRAMES - 1) :], rms]
            loud = float(np.mean(self._levels)) > SPEAKING_RMS
            self._quiet = 0 if loud else self._quiet + 1
            self.speaking = self._quiet < QUIET_FRAMES

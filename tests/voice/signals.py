"""Speech-like test signals: voiced sound with a wandering pitch, in syllables, one per seed.

Two seeds give different signals (their best normalised cross-correlation over a second
stays near 0.1-0.2, against about 0.9 for a signal and itself through Opus), and each goes
through a browser's speech processing as speech does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from overshoulder.core.voice import SAMPLE_RATE, write_wav


def speech_like(seed: int, seconds: float = 4.0) -> np.ndarray:
    """Mono int16 at 48 kHz: harmonics of a pitch that glides, cut into syllables."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    # Pitch: a base per speaker, wandering slowly (a few points joined smoothly).
    base = rng.uniform(110.0, 220.0)
    knots = base * rng.uniform(0.8, 1.3, size=int(seconds * 4) + 2)
    pitch = np.interp(t, np.linspace(0, seconds, len(knots)), knots)
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    amps = rng.uniform(0.3, 1.0, size=8) / np.arange(1, 9)
    voiced = sum(a * np.sin((k + 1) * phase) for k, a in enumerate(amps))
    # Syllables: 120-300 ms of sound, 40-120 ms of quiet between, smooth edges.
    envelope = np.zeros(n)
    at = 0
    while at < n:
        length = int(rng.uniform(0.12, 0.3) * SAMPLE_RATE)
        end = min(n, at + length)
        envelope[at:end] = np.sin(np.linspace(0, np.pi, end - at)) ** 0.5
        at = end + int(rng.uniform(0.04, 0.12) * SAMPLE_RATE)
    out = voiced * envelope
    return (0.5 * 32767 * out / np.max(np.abs(out))).astype(np.int16)


def speech_wav(folder: Path, seed: int, seconds: float = 4.0) -> Path:
    """``speech_like(seed)`` written as a 48 kHz 16-bit WAV file in ``folder``."""
    path = folder / f"speech-{seed}.wav"
    write_wav(path, speech_like(seed, seconds))
    return path


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0

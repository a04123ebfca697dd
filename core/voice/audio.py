"""Voice audio as numpy arrays: 48 kHz mono int16, sent and received in 20 ms frames.

Reading a WAV file into that form (``read_wav``), taking an array a caller made
(``as_samples``), writing one (``write_wav``), and ``similarity``: how well received audio
matches what was sent, and at which lag (tests and benchmarks use it).
"""

from __future__ import annotations

import os
import wave
from typing import Any, Union

import numpy as np

#: The rate voice runs at end to end (Opus's own).
SAMPLE_RATE = 48_000
#: One frame: 20 ms, what the sender paces and Opus packs.
FRAME_SAMPLES = 960
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE

PathLike = Union[str, "os.PathLike[str]"]


def read_wav(path: PathLike) -> np.ndarray:
    """A PCM WAV file (8, 16, 24 or 32 bit, any channels, any rate) as 48 kHz mono int16."""
    try:
        with wave.open(os.fspath(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"{os.fspath(path)} is not a PCM WAV file: {exc}") from None
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        data = ints.astype(np.float32) / 8388608.0
    elif width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / 2147483648.0
    else:
        raise ValueError(f"{os.fspath(path)}: {width * 8}-bit samples; voice reads 8 to 32 bit PCM")
    data = resample(data.reshape(-1, channels).mean(axis=1), rate)
    return np.clip(np.round(data * 32768.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, rate: int) -> np.ndarray:
    """``samples`` at ``rate`` Hz brought to 48 kHz (linear; voice needs no better)."""
    if rate <= 0:
        raise ValueError(f"sample rate {rate} Hz: it must be positive")
    if rate == SAMPLE_RATE or not len(samples):
        return samples
    count = round(len(samples) * SAMPLE_RATE / rate)
    at = np.arange(count) * (rate / SAMPLE_RATE)
    return np.interp(at, np.arange(len(samples)), samples).astype(samples.dtype)


def as_samples(data: Any) -> np.ndarray:
    """Audio as voice sends it: 1-D int16 at 48 kHz (floats are -1..1; 2-D is (n, channels))."""
    arr = np.asarray(data)
    if arr.ndim == 2:
        kind = arr.dtype.kind
        arr = arr.mean(axis=1)
        if kind != "f":
            arr = np.round(arr).astype(np.int64)
    if arr.ndim != 1:
        raise ValueError(f"audio must be 1-D samples or (samples, channels); got shape {arr.shape}")
    if arr.dtype == np.int16:
        return arr
    if arr.dtype.kind == "f":
        return (np.clip(arr, -1.0, 1.0) * 32767.0).astype(np.int16)
    if arr.dtype.kind in "iu":
        return np.clip(arr, -32768, 32767).astype(np.int16)
    raise ValueError(f"audio samples must be int16 or floats in -1..1, not {arr.dtype}")


def write_wav(path: PathLike, samples: Any, rate: int = SAMPLE_RATE) -> None:
    """Write mono int16 ``samples`` as a 16-bit PCM WAV file."""
    data = as_samples(samples)
    with wave.open(os.fspath(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.astype("<i2").tobytes())


def similarity(received: Any, reference: Any) -> tuple[float, int]:
    """How well ``received`` matches some stretch of ``reference`` (taken as looping).

    Returns the best normalised cross-correlation (0: unrelated, 1: the same waveform)
    and the lag in samples at which ``received`` starts within ``reference``. A codec
    keeps speech-like audio near 0.9; unrelated audio stays under 0.2.
    """
    rec = as_samples(received).astype(np.float64)
    ref = as_samples(reference).astype(np.float64)
    if not len(rec) or not len(ref):
        return 0.0, 0
    if len(rec) > len(ref):
        rec = rec[-len(ref) :]
    n, size = len(rec), len(ref)
    rec_norm = float(np.sqrt(np.dot(rec, rec)))
    if rec_norm == 0.0:
        return 0.0, 0
    # Circular correlation of rec against the looping reference, for every start k.
    fft = np.fft.rfft
    corr = np.fft.irfft(np.conj(fft(rec, size)) * fft(ref, size), size)
    # The reference's energy under each window of n samples starting at k (circular).
    sq = np.concatenate([ref, ref[: n - 1]]) ** 2 if n > 1 else ref**2
    csum = np.concatenate([[0.0], np.cumsum(sq)])
    energy = np.maximum(csum[n : n + size] - csum[:size], 1e-9)
    scores = corr / (rec_norm * np.sqrt(energy))
    best = int(np.argmax(scores))
    return float(scores[best]), best


def similarity_by_window(received: Any, reference: Any, window_s: float = 1.0) -> float:
    """The median of ``similarity`` over consecutive windows of ``received``: robust to a gap
    (a stalled sender skipping ahead, a jitter buffer dropping late packets), after which
    one lag no longer fits the whole recording."""
    rec = as_samples(received)
    size = int(window_s * SAMPLE_RATE)
    if len(rec) < size:
        return similarity(rec, reference)[0]
    scores = [
        similarity(rec[i : i + size], reference)[0] for i in range(0, len(rec) - size + 1, size)
    ]
    return float(np.median(scores))

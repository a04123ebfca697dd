"""Opus recordings for the voice-note tests: WebM shaped as Chromium's MediaRecorder writes
it (a Segment and Clusters of unknown size, no Duration, no Cues), WebM and Ogg as libav
writes them, and a WAV of a tone for a fake microphone."""

from __future__ import annotations

import io
import math
import struct
import wave
from pathlib import Path

import av
import numpy as np

RATE = 48_000


def tone(seconds: float, freq: float = 440.0, rate: int = RATE) -> np.ndarray:
    """A mono tone as int16 samples, with a little amplitude wobble so it is speech-like."""
    t = np.arange(int(seconds * rate)) / rate
    wobble = 0.6 + 0.4 * np.sin(2 * math.pi * 3 * t)
    return (0.4 * 32767 * wobble * np.sin(2 * math.pi * freq * t)).astype(np.int16)


def write_wav(path: Path, seconds: float, freq: float = 440.0, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone(seconds, freq, rate).tobytes())
    return path


def opus_packets(seconds: float) -> tuple[bytes, list[tuple[int, bytes]]]:
    """(OpusHead, [(pts in samples at 48 kHz, packet)]) of a tone, 20 ms packets."""
    codec = av.CodecContext.create("libopus", "w")
    codec.sample_rate = RATE
    codec.layout = "mono"
    codec.format = "s16"
    codec.bit_rate = 32_000
    codec.open()
    samples = tone(seconds)
    packets: list[tuple[int, bytes]] = []
    step = 960
    for i in range(0, len(samples), step):
        chunk = samples[i : i + step]
        if len(chunk) < step:
            chunk = np.pad(chunk, (0, step - len(chunk)))
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = i
        packets += [(int(p.pts or 0), bytes(p)) for p in codec.encode(frame)]
    packets += [(int(p.pts or 0), bytes(p)) for p in codec.encode(None)]
    head = bytes(codec.extradata or b"")
    return head, packets


# --- EBML, as MediaRecorder writes it ------------------------------------------------------------

UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def _size(n: int) -> bytes:
    for length in range(1, 9):
        if n < (1 << (7 * length)) - 1:
            return (n | (1 << (7 * length))).to_bytes(length, "big")
    raise ValueError(n)


def element(eid: int, body: bytes) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big") + _size(len(body)) + body


def _uint(eid: int, value: int) -> bytes:
    return element(eid, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def ebml_header(doctype: bytes = b"webm") -> bytes:
    return element(
        0x1A45DFA3,
        _uint(0x4286, 1)
        + _uint(0x42F7, 1)
        + _uint(0x42F2, 4)
        + _uint(0x42F3, 8)
        + element(0x4282, doctype)
        + _uint(0x4287, 4)
        + _uint(0x4285, 2),
    )


def track_entry(head: bytes, codec: bytes = b"A_OPUS", kind: int = 2, number: int = 1) -> bytes:
    return element(
        0xAE,
        _uint(0xD7, number)
        + _uint(0x73C5, 1234)
        + _uint(0x83, kind)
        + element(0x86, codec)
        + element(0x63A2, head)
        + element(0xE1, element(0xB5, struct.pack(">d", 48000.0)) + _uint(0x9F, 1)),
    )


def mediarecorder_webm(
    seconds: float, *, cluster_ms: int = 5000, tracks: bytes | None = None
) -> bytes:
    """A WebM file as Chromium's MediaRecorder makes it: no Duration, unknown sizes."""
    head, packets = opus_packets(seconds)
    info = element(
        0x1549A966,
        _uint(0x2AD7B1, 1_000_000) + element(0x4D80, b"Chrome") + element(0x5741, b"Chrome"),
    )
    out = [ebml_header(), b"\x18\x53\x80\x67" + UNKNOWN_SIZE, info]
    out.append(element(0x1654AE6B, tracks if tracks is not None else track_entry(head)))
    cluster_start = None
    zero = packets[0][0]  # the encoder's first packet starts before 0 (its pre-skip)
    for pts, packet in packets:
        ms = (pts - zero) * 1000 // RATE
        if cluster_start is None or ms - cluster_start >= cluster_ms:
            cluster_start = ms
            out.append(b"\x1f\x43\xb6\x75" + UNKNOWN_SIZE + _uint(0xE7, ms))
        block = b"\x81" + struct.pack(">h", ms - cluster_start) + b"\x80" + packet
        out.append(element(0xA3, block))
    return b"".join(out)


def libav(fmt: str, seconds: float) -> bytes:
    """Opus in ``fmt`` ("webm" or "ogg") as libav's muxer writes it."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream("libopus", rate=RATE)
        stream.layout = "mono"  # type: ignore[union-attr]
        samples = tone(seconds)
        for i in range(0, len(samples), 960):
            chunk = samples[i : i + 960]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = i
            for p in stream.encode(frame):  # type: ignore[union-attr]
                out.mux(p)
        for p in stream.encode(None):  # type: ignore[union-attr]
            out.mux(p)
    return buf.getvalue()


def decoded_seconds(data: bytes) -> float:
    """How long libav finds the recording when it decodes it (a check on the clips above)."""
    samples = 0
    with av.open(io.BytesIO(data)) as f:
        for frame in f.decode(audio=0):
            samples += frame.samples
    return samples / RATE

"""The numpy side of voice from Python, without a network: reading WAV files, the frames a
member sends (muted, looped, replaced), its speaking flag, the similarity measure, and that
core.voice imports (and says what to install) without aiortc."""

from __future__ import annotations

import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from overshoulder.core.voice import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    Voice,
    as_samples,
    read_wav,
    similarity,
    similarity_by_window,
    write_wav,
)

from .signals import speech_like


def _wav(path: Path, data: bytes, width: int, channels: int, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)
    return path


def test_wav_files_of_any_pcm_width_channels_and_rate_read_as_48k_mono_int16(tmp_path):
    ramp = np.linspace(-0.5, 0.5, 4800)
    as16 = (ramp * 32767).astype("<i2")
    stereo = np.stack([as16, as16], axis=1).tobytes()
    got = read_wav(_wav(tmp_path / "s16.wav", stereo, 2, 2, 48_000))
    assert got.dtype == np.int16 and np.array_equal(got, as16)
    as8 = np.round(ramp * 128 + 128).astype(np.uint8).tobytes()
    assert np.abs(read_wav(_wav(tmp_path / "u8.wav", as8, 1, 1, 48_000)) - as16).max() < 300
    as32 = (ramp * 2**31).astype("<i4").tobytes()
    assert np.abs(read_wav(_wav(tmp_path / "s32.wav", as32, 4, 1, 48_000)) - as16).max() <= 1
    as24 = b"".join(int(v).to_bytes(3, "little", signed=True) for v in (ramp * 2**23).astype(int))
    assert np.abs(read_wav(_wav(tmp_path / "s24.wav", as24, 3, 1, 48_000)) - as16).max() <= 1
    slow = read_wav(_wav(tmp_path / "16k.wav", as16[::3].tobytes(), 2, 1, 16_000))
    assert len(slow) == 4800 and np.abs(slow.astype(int) - as16).max() < 20
    (tmp_path / "not.wav").write_bytes(b"RIFF????WAVEjunk")
    with pytest.raises(ValueError, match=r"not\.wav is not a PCM WAV file"):
        read_wav(tmp_path / "not.wav")


def test_arrays_become_int16_samples_and_bad_ones_are_named():
    assert as_samples(np.array([0.5, -2.0])).tolist() == [16383, -32767]
    assert as_samples(np.array([[100, 300], [-100, -300]])).tolist() == [200, -200]
    assert as_samples([40000]).tolist() == [32767]
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\)"):
        as_samples(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="not complex128"):
        as_samples(np.zeros(3, complex))


def test_a_voice_gives_each_frame_once_for_every_peer_muted_looped_or_replaced(tmp_path):
    samples = np.arange(2 * FRAME_SAMPLES + 10, dtype=np.int16)
    path = tmp_path / "two.wav"
    write_wav(path, samples)
    voice = Voice(path)  # loops
    assert np.array_equal(voice.frame(0), samples[:FRAME_SAMPLES])
    assert np.array_equal(voice.frame(0), voice.frame(0))  # the same frame for every peer
    wrapped = voice.frame(2)
    assert wrapped[:10].tolist() == samples[-10:].tolist() and wrapped[10] == 0
    voice.muted = True
    assert not voice.frame(3).any()
    voice.muted = False
    voice.play(np.full(FRAME_SAMPLES + 5, 7, np.int16), at=10)  # once, from frame 10
    assert not voice.frame(9).any()
    assert set(voice.frame(10).tolist()) == {7}
    tail = voice.frame(11)
    assert tail[:5].tolist() == [7] * 5 and not tail[5:].any()
    assert not voice.frame(12).any()
    assert not Voice(None).frame(0).any()


def test_speaking_follows_the_level_of_what_is_sent_with_a_hangover():
    loud = (np.sin(np.arange(FRAME_SAMPLES) / 3) * 8000).astype(np.int16)
    voice = Voice(np.tile(loud, 30), loop=False)  # 600 ms of sound, then silence
    speaking = []
    for n in range(80):
        voice.frame(n)
        speaking.append(voice.speaking)
    assert speaking[0] and all(speaking[:30])
    assert speaking[45]  # a word's gap does not end it (the level's window, then 400 ms)
    assert not any(speaking[65:])
    voice.muted = True  # muted sends silence, so it is no speech either
    assert not voice.frame(80).any()
    quiet = Voice(np.full(FRAME_SAMPLES * 20, 50, np.int16))
    for n in range(15):
        quiet.frame(n)
    assert not quiet.speaking


def test_similarity_finds_the_stretch_and_lag_and_tells_other_audio_apart():
    said, other = speech_like(21), speech_like(22)
    score, lag = similarity(said[30_000:78_000] // 2, said)
    assert score > 0.999 and lag == 30_000  # gain does not matter
    looped = np.concatenate([said[-24_000:], said[:24_000]])
    assert similarity(looped, said) == (pytest.approx(1.0), len(said) - 24_000)
    assert similarity(other[:48_000], said)[0] < 0.3
    assert similarity(np.zeros(100, np.int16), said) == (0.0, 0)
    # A gap (a second of it skipped) spoils one lag for all, not the windows either side.
    gapped = np.concatenate([said[: SAMPLE_RATE * 2], said[SAMPLE_RATE * 3 :]])
    assert similarity_by_window(gapped, said) > 0.99
    assert similarity_by_window(other, said) < 0.3


def test_core_voice_imports_without_aiortc_and_joining_says_what_to_install():
    code = """
import sys
sys.modules["aiortc"] = None  # as if not installed
import overshoulder.core.voice as voice

class Client:
    client_id = "x" * 8

try:
    voice.VoiceParticipant(Client(), None).join()
except RuntimeError as exc:
    print(exc)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert "pip install 'overshoulder[voice]'" in out.stdout, out.stdout + out.stderr

"""Voice from Python: a session's voice member that sends audio and records what it hears.

``VoiceParticipant`` joins voice through a ``SessionClient`` and runs its links on an asyncio
loop of its own. The links need aiortc (``pip install 'overshoulder[voice]'``); this package
imports without it, and ``VoiceParticipant.join`` says what to install when it is missing.
"""

from .audio import (
    FRAME_S,
    FRAME_SAMPLES,
    SAMPLE_RATE,
    as_samples,
    read_wav,
    similarity,
    similarity_by_window,
    write_wav,
)
from .participant import SFU_PUBLISH, SFU_SUBSCRIBE, VoiceParticipant, load_rtc
from .sender import Voice

__all__ = [
    "FRAME_S",
    "FRAME_SAMPLES",
    "SAMPLE_RATE",
    "SFU_PUBLISH",
    "SFU_SUBSCRIBE",
    "Voice",
    "VoiceParticipant",
    "as_samples",
    "load_rtc",
    "read_wav",
    "similarity",
    "similarity_by_window",
    "write_wav",
]

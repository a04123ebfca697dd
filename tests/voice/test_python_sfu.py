"""Python participants through the relay's media server: a real Janus the relay starts, with
``--voice-mesh-max 2`` so that a third speaker takes the room through it. Each participant
publishes to ``"sfu"``, answers the one ``"sfu-sub"`` subscription, and hears the other two,
each under its own id (the subscription's ``streams`` say whose each line is)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from overshoulder.core.voice import SFU_PUBLISH, SFU_SUBSCRIBE, read_wav, similarity_by_window
from overshoulder.relay.janus import find_janus
from tests.conftest import RelayProcess
from tests.waiting import wait_for

from .conftest import MakeMember
from .netns import NetNamespace, why_not_available
from .signals import speech_wav

#: Janus gathers no loopback candidates: the namespace gets this address on a veth end.
MEDIA_ADDRESS = "10.214.0.1/24"
#: Seconds compared, and how well they must match: the median over one-second windows, as
#: three members in one process on a busy machine now and then stall long enough for a gap
#: (a sender skipping ahead, a late packet dropped), after which one lag no longer fits.
#: Measured: 0.65-0.85 for the right speaker, at most 0.25 for the others.
LISTEN_S = 2.0
MATCHES = 0.5


@pytest.fixture
def netns() -> Iterator[NetNamespace]:
    """The voice namespace, with an address Janus gathers candidates on."""
    reason = why_not_available()
    if find_janus() is None:
        reason = "janus is not installed (apt-get install janus): this test runs a real Janus"
    if reason is not None:
        pytest.skip(reason)
    pytest.importorskip("aiortc", reason="voice from Python needs aiortc (the dev extra has it)")
    with NetNamespace(prefix="os-vsfu").inside(veth=MEDIA_ADDRESS) as ns:
        yield ns


@pytest.fixture
def voice_relay(netns: NetNamespace, tmp_path: Path) -> Iterator[RelayProcess]:
    """A relay in the namespace with its own Janus, going through it beyond two speakers."""
    base = 23000 + (os.getpid() * 11) % 8000
    args = ["--media-server", "janus", "--janus-rtp-ports", f"{base}-{base + 199}"]
    proc = RelayProcess(tmp_path / "relay-data", extra_args=[*args, "--voice-mesh-max", "2"])
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


def test_three_python_speakers_hear_each_other_through_janus(
    members: MakeMember, tmp_path: Path
) -> None:
    wavs = [speech_wav(tmp_path, seed) for seed in (11, 12, 13)]
    said = [read_wav(w) for w in wavs]
    people = [
        members(name, wav, role=role)
        for name, wav, role in zip(("Mia", "Leo", "Sam"), wavs, ("host", "reviewer", "reviewer"))
    ]
    for person in people:
        person.voice.join()
    for person in people:
        assert wait_for(lambda p=person: p.voice.mode == "sfu", 20), "the room stayed a mesh"
        assert person.voice.wait_connected([SFU_PUBLISH, SFU_SUBSCRIBE], 30), (
            f"{person.voice.connected}, {person.voice.last_error}"
        )
    since = time.time()
    for i, listener in enumerate(people):
        for j, speaker in enumerate(people):
            if i == j:
                continue
            assert listener.voice.wait_heard(speaker.id, LISTEN_S, since, 30), (i, j)
            got = listener.voice.recording(speaker.id, since)
            score = similarity_by_window(got, said[j])
            others = [similarity_by_window(got, said[k]) for k in range(3) if k != j]
            assert score > MATCHES and score > 2 * max(others), (i, j, score, others)

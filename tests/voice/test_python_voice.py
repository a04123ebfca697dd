"""Two Python voice participants through a real relay, in a network namespace: they hear each
other (what each records matches what the other sent, not what it sent itself), mute
silences, leaving closes the link, and a dropped connection joins voice again by itself."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from overshoulder.core.client.sockets import abort
from overshoulder.core.voice import read_wav, similarity_by_window
from tests.waiting import wait_for

from .conftest import MakeMember, Member
from .signals import rms, speech_wav

#: Seconds of audio compared, and how well each second must match (the median over seconds:
#: on a busy machine a held-up loop may leave a gap). Measured: about 0.9 for the right
#: speaker, 0.1-0.25 for the other.
LISTEN_S = 3.0
MATCHES = 0.6
#: Level (int16 RMS) under which audio is silence; the signals are at about 5,000.
SILENT = 30.0


def heard(listener: Member, speaker: Member, since: float) -> np.ndarray:
    """``LISTEN_S`` of ``speaker`` at ``listener``, arrived after ``since``."""
    assert listener.voice.wait_heard(speaker.id, LISTEN_S, since), (
        f"{listener.client.participant} heard under {LISTEN_S} s of {speaker.id} "
        f"(links up: {sorted(listener.voice.connected)}; error: {listener.voice.last_error})"
    )
    return listener.voice.recording(speaker.id, since)


def assert_hears(listener: Member, speaker: Member, said: np.ndarray, other: np.ndarray) -> None:
    got = heard(listener, speaker, time.time())
    score, wrong = similarity_by_window(got, said), similarity_by_window(got, other)
    assert score > MATCHES and score > 3 * wrong, (score, wrong)


def both_linked(a: Member, b: Member, timeout: float = 20.0) -> None:
    assert a.voice.wait_connected([b.id], timeout), f"no link {a.id} -> {b.id}"
    assert b.voice.wait_connected([a.id], timeout), f"no link {b.id} -> {a.id}"


def two(
    members: MakeMember, folder: Path, seed: int, name: str = "Leo", role: str = "reviewer"
) -> tuple[Member, np.ndarray, Member, np.ndarray]:
    """Mia (the host) and one more member, each with speech of their own (seeds ``seed`` and
    ``seed + 1``, from WAV files); neither in voice yet."""
    mia_wav, other_wav = speech_wav(folder, seed), speech_wav(folder, seed + 1)
    mia = members("Mia", mia_wav, role="host")
    other = members(name, other_wav, role=role)
    return mia, read_wav(mia_wav), other, read_wav(other_wav)


def test_two_python_participants_hear_each_other_and_mute_silences(
    members: MakeMember, tmp_path: Path
) -> None:
    mia, mia_said, leo, leo_said = two(members, tmp_path, 1)
    mia.voice.join()
    assert wait_for(lambda: mia.voice.welcomes == 1), "no voice_welcome for Mia"
    assert mia.voice.members.keys() <= {mia.id}  # alone in voice: nobody to offer to
    leo.voice.join()
    both_linked(mia, leo)
    assert_hears(mia, leo, leo_said, mia_said)
    assert_hears(leo, mia, mia_said, leo_said)
    # Mia mutes: once Leo's client knows, what comes from her is silence (and Leo still talks).
    assert rms(heard(leo, mia, time.time())) > 100 * SILENT
    mia.voice.mute()
    assert wait_for(lambda: leo.voice.members.get(mia.id) and leo.voice.members[mia.id].muted)
    after = heard(leo, mia, time.time() + 0.3)  # what was on the way when she muted has played
    assert rms(after) < SILENT, rms(after)
    assert_hears(mia, leo, leo_said, mia_said)
    mia.voice.mute(False)
    assert_hears(leo, mia, mia_said, leo_said)


def test_leaving_closes_the_link_and_a_dropped_participant_joins_again_by_itself(
    members: MakeMember, tmp_path: Path
) -> None:
    mia, mia_said, leo, leo_said = two(members, tmp_path, 3)
    mia.voice.join()
    leo.voice.join()
    both_linked(mia, leo)
    # Leo's connection drops: the relay takes him out of voice; once his client is back it
    # joins voice again, and both hear each other again.
    abort(leo.client._control.ws)
    assert wait_for(lambda: leo.id not in mia.voice.connected, 10), "Mia kept a dead link"
    assert wait_for(lambda: leo.voice.welcomes == 2, 15), "Leo did not join voice again"
    both_linked(mia, leo, 10)
    assert_hears(mia, leo, leo_said, mia_said)
    assert_hears(leo, mia, mia_said, leo_said)
    # Leo leaves voice (his session stays): Mia's link to him closes.
    leo.voice.leave()
    assert wait_for(lambda: leo.id not in mia.voice.connected, 10), "Mia kept Leo's link"
    # The link may close before the relay's word that Leo left arrives.
    assert wait_for(lambda: leo.id not in mia.voice.members, 10), "Mia still lists Leo"
    assert leo.client.state == "synced"


def test_a_viewer_is_heard_only_while_the_host_lets_it_speak(
    members: MakeMember, tmp_path: Path
) -> None:
    mia, mia_said, vic, vic_said = two(members, tmp_path, 7, "Vic", "viewer")
    mia.voice.join()
    vic.voice.join()
    both_linked(mia, vic)
    assert vic.voice.can_speak is False
    assert_hears(vic, mia, mia_said, vic_said)  # the link carries audio (for seconds)
    assert rms(mia.voice.recording(vic.id)) < SILENT  # but not the viewer's
    # The host lets Vic speak: Vic's voice joins again, and now Mia hears it.
    mia.client.send_voice("voice_allow", {"id": vic.id, "allowed": True})
    assert wait_for(lambda: vic.voice.welcomes == 2 and vic.voice.can_speak), "no new welcome"
    both_linked(mia, vic)
    assert_hears(mia, vic, vic_said, mia_said)
    # And stops it: Vic listens again, and what Mia gets from Vic is silence.
    mia.client.send_voice("voice_allow", {"id": vic.id, "allowed": False})
    assert wait_for(lambda: vic.voice.welcomes == 3 and not vic.voice.can_speak), "no welcome"
    both_linked(mia, vic)
    since = time.time()
    assert_hears(vic, mia, mia_said, vic_said)  # the link carries audio (for seconds)
    assert rms(mia.voice.recording(vic.id, since)) < SILENT

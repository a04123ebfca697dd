"""Who is in voice as the panel shows it, and what its voice bar says (no Qt)."""

from __future__ import annotations

from overshoulder.core import panel_text
from overshoulder.core.model import Participant
from overshoulder.core.panel_voice import VoicePerson, VoiceRoster, bar_text, voice_word


def person(pid: str, **flags: object) -> dict[str, object]:
    return {
        "id": pid,
        "name": pid.title(),
        "joined": True,
        "muted": True,
        "speaking": False,
        "can_speak": True,
        **flags,
    }


def test_the_roster_follows_welcome_roster_and_states_and_counts_its_changes():
    roster = VoiceRoster()
    assert roster.apply(
        "voice_welcome", {"mode": "mesh", "members": [person("mia"), person("sam", joined=False)]}
    )
    assert roster.joined and set(roster.members) == {"mia"}
    before = roster.version
    assert not roster.apply("voice_state", person("mia")), "the same again changes nothing"
    assert roster.apply("voice_state", person("sam", muted=False, speaking=True))
    assert roster.get("sam") == VoicePerson(
        "sam", "Sam", muted=False, speaking=True, can_speak=True
    )
    assert roster.apply("voice_state", person("mia", joined=False))
    assert set(roster.members) == {"sam"} and roster.version == before + 2
    assert not roster.apply("voice_state", person("nobody", joined=False))
    assert not roster.apply("voice_mode", {"mode": "sfu"}) and roster.mode == "sfu"
    assert roster.apply("voice_roster", {"members": [person("ana")]})
    assert [p.id for p in roster.others("ana")] == []
    roster.left("ana")
    assert not roster.joined and roster.members == {}


def test_what_people_and_the_bar_say():
    assert voice_word(None) == ""
    assert (
        voice_word(VoicePerson("a", "A", muted=False, speaking=True, can_speak=True)) == "speaking"
    )
    assert voice_word(VoicePerson("a", "A", muted=True, speaking=True, can_speak=True)) == "muted"
    assert (
        voice_word(VoicePerson("a", "A", muted=False, speaking=False, can_speak=True)) == "in voice"
    )
    assert (
        voice_word(VoicePerson("a", "A", muted=True, speaking=False, can_speak=False))
        == "listening"
    )
    sam = Participant("s", "Sam", "reviewer")
    assert (
        panel_text.person_text("Sam", sam, False, False, "speaking") == "Sam (reviewer, speaking)"
    )
    assert panel_text.person_text("Sam", sam, False, False) == "Sam (reviewer)"
    common = {"muted": True, "push_to_talk": False, "talking": False}
    assert bar_text("off", **common, count=0) == "Not in voice"
    assert bar_text("off", **common, count=2) == "Not in voice · 2 in it"
    assert bar_text("joined", **common, count=1) == "only you in voice · muted"
    assert bar_text("joined", **{**common, "muted": False}, count=3, mode="sfu") == (
        "3 in voice · mic on · through the media server"
    )
    assert bar_text("joined", **{**common, "push_to_talk": True}, count=2) == (
        "2 in voice · hold the key to talk"
    )
    assert (
        bar_text("failed", **common, count=0, error="voice is full")
        == "Voice stopped: voice is full"
    )

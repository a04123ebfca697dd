"""Voice fixtures: a network namespace the test's thread works in, a relay inside it, and
session members with a Python voice participant each.

The namespace's ``lo`` carries 127.0.0.2 (aioice skips 127.0.0.1). The test's main thread
enters it before starting anything, so the relay process, every client's threads and every
voice loop it starts are inside; it leaves and deletes the namespace at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.voice import VoiceParticipant
from tests.conftest import RelayProcess

from .netns import NetNamespace, why_not_available


@pytest.fixture
def netns() -> Iterator[NetNamespace]:
    reason = why_not_available()
    if reason is not None:
        pytest.skip(reason)
    pytest.importorskip("aiortc", reason="voice from Python needs aiortc (the dev extra has it)")
    with NetNamespace().inside() as ns:
        yield ns


@pytest.fixture
def voice_relay(netns: NetNamespace, tmp_path: Path) -> Iterator[RelayProcess]:
    """A relay process inside the namespace."""
    proc = RelayProcess(tmp_path / "relay-data").start()
    try:
        yield proc
    finally:
        proc.stop()


@dataclass
class Member:
    """One person in the session: their client and their voice."""

    client: SessionClient
    voice: VoiceParticipant

    @property
    def id(self) -> str:
        me = self.client.participant
        assert me is not None, "not welcomed yet"
        return me.id


MakeMember = Callable[..., Member]


@pytest.fixture
def members(voice_relay: RelayProcess) -> Iterator[MakeMember]:
    """``make(name, source, role="reviewer")``: a synced client in one shared session and a
    VoiceParticipant for it (not joined yet); all left and closed at the end. The session
    (as the relay created it) is ``make.session``."""
    made: list[Member] = []
    session = voice_relay.create_session()
    sid = session["session"]["id"]

    def make(name: str, source: Any = None, role: str = "reviewer", **kw: Any) -> Member:
        token: Optional[str] = session["host_token"] if role == "host" else None
        client = SessionClient(voice_relay.url, token or voice_relay.invite(sid, role), name)
        client.start()
        member = Member(client, VoiceParticipant(client, source, **kw))
        made.append(member)
        assert client.wait_synced(10), f"{name} did not sync: {client.last_error}"
        return member

    make.session = session  # type: ignore[attr-defined]
    yield make
    for member in made:
        member.voice.leave()
        member.client.close()

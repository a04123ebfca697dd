"""Every session fixture, replayed by the Python client's protocol and replica, ends where the
relay's room does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RelayProcess
from tests.state_replay import Fixture, Recorder, check_fixture, fixtures, replay_replicas

FIXTURES = fixtures()


@pytest.fixture(scope="module")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """One relay for every fixture (each plays in a session of its own)."""
    relay = RelayProcess(tmp_path_factory.mktemp("fixtures") / "relay-data").start()
    try:
        yield Recorder(relay)
    finally:
        relay.stop()


def test_there_are_fixtures_of_every_persisted_kind_and_of_clear() -> None:
    sent = {a_key for f in FIXTURES for a in f.actions for a_key in a}
    assert len(FIXTURES) >= 30, len(FIXTURES)
    assert {"add", "update", "delete", "undo", "chat", "session"} <= sent
    assert {"join", "leave", "drop", "presence", "claim", "release", "playhead"} <= sent
    assert any("clear" in a.get("update", {}) for f in FIXTURES for a in f.actions)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_the_replica_of_every_participant_ends_in_the_relay_s_state(
    recorder: Recorder, fixture: Fixture
) -> None:
    check_fixture(recorder, fixture, replay_replicas, "replica")

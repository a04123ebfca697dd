"""Every session fixture, replayed by the Python client's protocol and replica, ends where the
relay's room does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from overshoulder.core.protocol import MESSAGES
from tests.conftest import RelayProcess
from tests.state_replay import (
    Fixture,
    Recorder,
    check_fixture,
    fixtures,
    replay_replicas,
    sent_type,
)

FIXTURES = fixtures()


@pytest.fixture(scope="module")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorder]:
    """One relay for every fixture (each plays in a session of its own)."""
    relay = RelayProcess(tmp_path_factory.mktemp("fixtures") / "relay-data").start()
    try:
        yield Recorder(relay)
    finally:
        relay.stop()


def test_every_message_a_client_may_send_is_in_a_fixture() -> None:
    """A new message kind needs a fixture (tests/fixtures/sessions/README.md)."""
    sent = {sent_type(a) for f in FIXTURES for a in f.actions}
    may_send = {t for t, spec in MESSAGES.items() if spec.direction in ("client", "both")}
    assert may_send <= sent, f"no fixture sends {sorted(may_send - sent)}"
    keys = {key for f in FIXTURES for a in f.actions for key in a}
    assert {"undo", "drop", "lost", "again", "refused", "resume", "pages"} <= keys
    assert any("clear" in a.get("update", {}) for f in FIXTURES for a in f.actions)
    assert len(FIXTURES) >= 30, len(FIXTURES)


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_the_replica_of_every_participant_ends_in_the_relay_s_state(
    recorder: Recorder, fixture: Fixture
) -> None:
    check_fixture(recorder, fixture, replay_replicas, "replica")

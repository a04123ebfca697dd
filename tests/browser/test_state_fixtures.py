"""Every session fixture, replayed by the page's state.js in Chromium, ends where the relay's
room does: one relay and one page for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from overshoulder.core.protocol import PERSISTED_TYPES
from tests.conftest import RelayProcess
from tests.state_replay import Fixture, Recorder, Recording, check_fixture, fixtures

FIXTURES = fixtures()

#: Feeds each transcript to a SessionState as the page's connection.js and main.js do:
#: its own persisted events applied when first sent (a retry of the same eid is the
#: outbox sending it again) and kept in an Outbox until their ack; a refused one taken out
#: of the outbox; every other message to ``apply``.
REPLAY_JS = """async ([transcripts, persisted]) => {
  const { SessionState } = await import("/web/js/state.js");
  const { Outbox } = await import("/web/js/outbox.js");
  const { RETRYABLE } = await import("/web/js/protocol.js");
  const PERSISTED = new Set(persisted);
  const out = {};
  for (const [key, entries] of Object.entries(transcripts)) {
    sessionStorage.clear();
    const outbox = new Outbox(`fixture-${key}`);
    const state = new SessionState(outbox);
    const sent = new Set();
    for (const [direction, msg] of entries) {
      const d = msg.data ?? {};
      if (direction === "out") {
        if (PERSISTED.has(msg.type) && !sent.has(msg.eid)) {
          sent.add(msg.eid);
          state.applyOwn(msg.type, d);
          outbox.add(msg.type, d, msg.eid);
        }
        continue;
      }
      if (msg.type === "welcome") state.onWelcome(d);
      else if (msg.type === "ack") state.onAck(d, outbox.remove(d.eid));
      else if (msg.type === "error") {
        const item = d.ref ? outbox.get(d.ref) : undefined;
        if (item && !RETRYABLE.has(d.code)) outbox.remove(item.eid);
        continue;
      }
      state.apply(msg);
    }
    out[key] = {
      session: state.session,
      participants: [...state.people.values()],
      notes: [...state.notes.values()],
      deleted: [...(state.deleted ?? [])],
      chat: state.chat,
      driver: state.driver,
      playhead: state.playhead,
    };
  }
  return out;
}"""


@pytest.fixture(scope="module")
def recorder(relay_proc: RelayProcess) -> Recorder:
    return Recorder(relay_proc)


@pytest.fixture(scope="module")
def page(relay_proc: RelayProcess, browser_context: BrowserContext) -> Iterator[Page]:
    """One page of the relay's origin, where the page's modules load as the page loads them."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{relay_proc.url}/api/health")
    yield page
    page.close()
    assert not errors, errors


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_state_js_of_every_participant_ends_in_the_relay_s_state(
    recorder: Recorder, page: Page, fixture: Fixture
) -> None:
    def replay(recording: Recording) -> dict[str, Any]:
        transcripts = {k: t.entries for k, t in recording.transcripts.items()}
        return dict(page.evaluate(REPLAY_JS, [transcripts, sorted(PERSISTED_TYPES)]))

    check_fixture(recorder, fixture, replay, "state.js")

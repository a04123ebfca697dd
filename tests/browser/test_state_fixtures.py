"""Every session fixture, replayed by the page's state.js in Chromium, ends where the relay's
room does: one relay and one page for all of them. And state.js keeps chat lines in the
relay's order, as core/protocol/events.py says: by seq, with our own lines not acknowledged
yet at the end, whatever arrives first."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

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
def page(module_page: Page) -> Page:
    return module_page


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.name for f in FIXTURES])
def test_state_js_of_every_participant_ends_in_the_relay_s_state(
    recorder: Recorder, page: Page, fixture: Fixture
) -> None:
    def replay(recording: Recording) -> dict[str, Any]:
        transcripts = {k: t.entries for k, t in recording.transcripts.items()}
        return dict(page.evaluate(REPLAY_JS, [transcripts, sorted(PERSISTED_TYPES)]))

    check_fixture(recorder, fixture, replay, "state.js")


#: Feeds state.js steps as main.js does: ``own`` (sent: shown at once and kept in the
#: outbox), ``theirs`` (another's line, relayed at a seq), ``copy`` (the relay's copy of our
#: line, as a resume sends it), ``ack`` (ours stored at a seq). Returns the chat shown.
STEPS_JS = """async ([snapshotChat, steps]) => {
  const { SessionState } = await import("/web/js/state.js");
  const { Outbox } = await import("/web/js/outbox.js");
  sessionStorage.clear();
  const outbox = new Outbox("chat-order");
  const state = new SessionState(outbox);
  const session = { id: "s", name: "Shot", created: 1 };
  state.onWelcome({ participant: { id: "me", name: "Sam", role: "reviewer" }, session });
  const stored = (id, author) => ({
    id, text: id, author, author_name: author === "me" ? "Sam" : "Mia", ts: 5,
  });
  const chat = snapshotChat.map((id) => stored(id, "mia"));
  state.apply({ type: "snapshot", data: { session, participants: [], full: true, seq: 4, chat } });
  for (const [kind, id, seq] of steps) {
    if (kind === "own") {
      state.applyOwn("chat", { id, text: id });
      outbox.add("chat", { id, text: id }, id);
    } else if (kind === "theirs" || kind === "copy") {
      const author = kind === "copy" ? "me" : "mia";
      state.apply({ type: "chat", seq, eid: id, data: stored(id, author) });
    } else {
      const filled = { author: "me", author_name: "Sam", ts: 5 };
      state.onAck({ eid: id, ref: id, seq, filled }, outbox.remove(id));
    }
  }
  return state.chat;
}"""


def shown(page: Page, steps: list[tuple[Any, ...]], snapshot: tuple[str, ...] = ()) -> list[str]:
    return [c["id"] for c in page.evaluate(STEPS_JS, [list(snapshot), steps])]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # Ours is sent, theirs (stored first) arrives, then our ack.
        ([("own", "mine"), ("theirs", "theirs", 6), ("ack", "mine", 7)], ["theirs", "mine"]),
        # Our ack first, then theirs stored before it.
        ([("own", "mine"), ("ack", "mine", 7), ("theirs", "theirs", 6)], ["theirs", "mine"]),
        # Two of ours acknowledged out of order.
        ([("own", "a"), ("own", "b"), ("ack", "b", 6), ("ack", "a", 5)], ["a", "b"]),
        # Not acknowledged yet: at the end, in the order sent, behind a later line of theirs.
        ([("own", "a"), ("own", "b"), ("theirs", "theirs", 7)], ["theirs", "a", "b"]),
        (
            [("own", "a"), ("own", "b"), ("theirs", "theirs", 7), ("ack", "b", 6)],
            ["b", "theirs", "a"],
        ),
        # The relay's copy of ours (a resume) before its ack, then theirs stored before it.
        (
            [("own", "mine"), ("copy", "mine", 7), ("theirs", "theirs", 6), ("ack", "mine", 7)],
            ["theirs", "mine"],
        ),
    ],
)
def test_chat_lines_end_in_the_relay_s_order(
    page: Page, steps: list[tuple[Any, ...]], expected: list[str]
) -> None:
    assert shown(page, steps) == expected


def test_lines_after_a_snapshot_go_after_its_chat_and_ours_gets_the_relay_s_values(
    page: Page,
) -> None:
    steps = [("own", "mine"), ("theirs", "theirs", 5), ("ack", "mine", 6)]
    chat = page.evaluate(STEPS_JS, [["earlier"], steps])
    assert [c["id"] for c in chat] == ["earlier", "theirs", "mine"]
    assert chat[-1] == {"id": "mine", "text": "mine", "author": "me", "author_name": "Sam", "ts": 5}

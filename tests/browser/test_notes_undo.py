"""The page's undo and redo of one's own notes (notes.js in Chromium, on a stand-in connection
and state): each undoes or redoes the latest step, in order, and says the stacks changed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

#: Adds notes a and b, moves a, deletes b, then runs ``ops`` (undo / redo); returns what was
#: submitted after the four edits, whether undo and redo are offered after each op, and how
#: many times the page was told to redraw.
UNDO_JS = """async (ops) => {
  const { Notes } = await import("/web/js/notes.js");
  const state = {
    role: "host",
    me: { id: "me" },
    notes: new Map(),
    applyOwn(type, data) {
      const note = data.annotation;
      if (type === "annotation_add") this.notes.set(note.id, { ...note, author: "me" });
      if (type === "annotation_delete") this.notes.delete(data.id);
      if (type === "annotation_update" && data.shape) this.notes.get(data.id).shape = data.shape;
    },
  };
  const sent = [];
  let changes = 0;
  const conn = { submit: (type, data) => sent.push([type, data]) };
  const notes = new Notes(conn, state, () => changes++);
  notes.add({ id: "a", shape: "s1" });
  notes.add({ id: "b", shape: "s2" });
  notes.move("a", "s1", "s5");
  notes.remove(["b"]);
  sent.length = 0;
  changes = 0;
  const offered = [];
  for (const op of ops) {
    notes[op]();
    offered.push([notes.canUndo, notes.canRedo]);
  }
  return { sent, offered, changes };
}"""


@pytest.fixture(scope="module")
def page(module_page: Page) -> Page:
    return module_page


def test_undo_takes_back_each_step_latest_first_and_redo_does_them_again(page: Page) -> None:
    got: dict[str, Any] = page.evaluate(UNDO_JS, ["undo", "undo", "undo", "redo", "redo"])
    assert got["sent"] == [
        ["annotation_add", {"annotation": {"id": "b", "shape": "s2"}}],  # the delete undone
        ["annotation_update", {"id": "a", "shape": "s1"}],  # the move undone
        ["annotation_delete", {"id": "b"}],  # the add of b undone
        ["annotation_add", {"annotation": {"id": "b", "shape": "s2"}}],  # b added again
        ["annotation_update", {"id": "a", "shape": "s5"}],  # moved again
    ]
    assert got["offered"] == [[True, True]] * 5
    assert got["changes"] == 5


def test_with_nothing_to_undo_or_redo_nothing_is_sent_and_nothing_redrawn(page: Page) -> None:
    got: dict[str, Any] = page.evaluate(UNDO_JS, ["undo"] * 5 + ["redo"] * 6)
    undone, redone = got["sent"][:4], got["sent"][4:]
    assert [(t, d.get("id") or d["annotation"]["id"]) for t, d in undone] == [
        ("annotation_add", "b"),
        ("annotation_update", "a"),
        ("annotation_delete", "b"),
        ("annotation_delete", "a"),
    ]
    assert [(t, d.get("id") or d["annotation"]["id"]) for t, d in redone] == [
        ("annotation_add", "a"),
        ("annotation_add", "b"),
        ("annotation_update", "a"),
        ("annotation_delete", "b"),
    ]
    assert got["offered"][3:5] == [[False, True], [False, True]]
    assert got["offered"][-3:] == [[True, False]] * 3
    assert got["changes"] == 8

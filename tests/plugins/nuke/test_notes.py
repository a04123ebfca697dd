"""Anchors name nodes by a stable id; notes live in hidden knobs and survive save and reopen."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import ModuleType
from typing import Any

from overshoulder.core.model import Anchor, Annotation, HostObject, Shape, new_id
from overshoulder.plugins.nuke.defaults import ID_KNOB, NOTES_KNOB
from tests.fakes.nuke_control import on_main

TRICKY = 'quotes " and \\ backslash,\nnew lines, unicode: é 漢字 🎬, braces {x} [value size]'


def note_about(obj: Any, frame: int = 1003, text: str = "tighten the edge") -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.25, 0.1], [0.0, 0.2], [0.25, 0.1]]),
        anchor=Anchor(frame=frame, object=obj),
        text=text,
        author_name="Rita",
    )


def hidden_knob(node: Any, name: str) -> tuple[str, bool]:
    """The knob's value and whether it is invisible (on the main thread)."""
    import nuke

    knob = node.knob(name)
    return knob.value(), knob.getFlag(nuke.INVISIBLE)


def test_the_anchor_names_the_viewed_node_by_a_hidden_id(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    on_main(lambda: nuke.frame(1004))
    anchor = on_main(nuke_host.anchor)
    assert anchor.frame == 1004 and anchor.time.rate == 24.0
    assert anchor.object.kind == "nuke.node" and anchor.object.label == "Grade1"
    value, hidden = on_main(lambda: hidden_knob(comp["grade"], ID_KNOB))
    assert value == anchor.object.path and hidden
    assert anchor.image.version.startswith("Grade1#")
    assert on_main(nuke_host.anchor).object == anchor.object, "the id is made once"


def test_the_selected_node_is_the_anchor_when_there_is_one(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    on_main(lambda: comp["blur"].setSelected(True))
    assert on_main(nuke_host.anchor).object.label == "Blur1"


def test_a_read_upstream_names_the_image(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    plate = tmp_path / "sh010_plate_v012.1001.exr"
    plate.write_bytes(b"")
    on_main(lambda: comp["blur"].setInput(0, nuke.nodes.Read(file=str(plate))))
    assert on_main(nuke_host.anchor).image.version == "sh010_plate_v012.1001.exr"
    assert nuke_host.capture().version == "sh010_plate_v012.1001.exr"


def test_a_rename_keeps_the_identity_and_select_finds_the_node(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    obj = on_main(nuke_host.anchor).object
    on_main(lambda: comp["grade"].setName("Grade_hero"))
    again = on_main(nuke_host.anchor).object
    assert again.path == obj.path and again.label == "Grade_hero"

    on_main(lambda: comp["blur"].setSelected(True))
    assert on_main(lambda: nuke_host.select(obj))
    assert on_main(lambda: [n.name() for n in nuke.selectedNodes()]) == ["Grade_hero"]
    assert nuke._fake.shown_panels[-1] == "Grade_hero" and nuke._fake.zoomed

    on_main(lambda: nuke.delete(comp["grade"]))
    assert not on_main(lambda: nuke_host.select(obj))
    assert not on_main(lambda: nuke_host.select(HostObject(kind="maya.dag", path="|cam")))


def test_a_pasted_copy_gets_an_id_of_its_own_and_not_the_notes(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    obj = on_main(nuke_host.anchor).object
    note = note_about(obj)
    on_main(lambda: nuke_host.apply_annotation(note))

    def copy_paste() -> Any:
        comp["grade"].selectOnly()
        nuke.nodeCopy(str(tmp_path / "clip.nk"))
        return nuke.nodePaste(str(tmp_path / "clip.nk"))

    pasted = on_main(copy_paste)
    assert on_main(lambda: pasted.knob(ID_KNOB).value()) == obj.path  # Nuke copies hidden knobs
    assert [n.id for n in on_main(nuke_host.stored_annotations)] == [note.id]
    assert on_main(lambda: pasted.knob(ID_KNOB).value()) != obj.path
    assert on_main(lambda: pasted.knob(NOTES_KNOB)) is None
    found = on_main(lambda: nuke_host.select(obj))
    assert found and on_main(lambda: [n.name() for n in nuke.selectedNodes()]) == ["Grade1"]


def test_notes_are_json_in_a_hidden_knob_on_their_node(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    obj = on_main(nuke_host.anchor).object
    note = note_about(obj, text=TRICKY)
    undo_before = list(nuke._fake.undo_stack)
    on_main(lambda: nuke_host.apply_annotation(note))
    text, hidden = on_main(lambda: hidden_knob(comp["grade"], NOTES_KNOB))
    assert hidden
    stored = json.loads(text)
    assert list(stored) == [note.id] and stored[note.id]["text"] == TRICKY
    assert stored[note.id]["anchor"]["frame"] == 1003
    assert nuke._fake.undo_stack == undo_before, "notes from the session are not artist undo"


def test_a_note_about_no_node_lands_on_the_viewed_one_and_stays_there(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    note = note_about(None)
    on_main(lambda: nuke_host.apply_annotation(note))
    assert on_main(lambda: comp["grade"].knob(NOTES_KNOB)) is not None
    on_main(lambda: comp["viewer"].setInput(0, comp["blur"]))
    on_main(lambda: nuke_host.apply_annotation(dataclasses.replace(note, status="done")))
    assert on_main(lambda: comp["blur"].knob(NOTES_KNOB)) is None
    (kept,) = on_main(nuke_host.stored_annotations)
    assert kept.status == "done" and kept.anchor.object is None

    on_main(lambda: comp["viewer"].setInput(0, None))
    lonely = note_about(None)
    on_main(lambda: nuke_host.apply_annotation(lonely))
    assert lonely.id in on_main(lambda: json.loads(nuke.root().knob(NOTES_KNOB).value()))


def test_a_note_moves_when_its_node_changes(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    note = note_about(on_main(nuke_host.anchor).object)
    on_main(lambda: nuke_host.apply_annotation(note))
    on_main(lambda: comp["blur"].setSelected(True))
    blur = on_main(nuke_host.anchor).object
    moved = dataclasses.replace(note, anchor=Anchor(1003, object=blur))
    on_main(lambda: nuke_host.apply_annotation(moved))
    assert on_main(lambda: comp["grade"].knob(NOTES_KNOB)) is None
    assert note.id in on_main(lambda: json.loads(comp["blur"].knob(NOTES_KNOB).value()))
    on_main(lambda: nuke_host.remove_annotation(note.id))
    assert on_main(lambda: comp["blur"].knob(NOTES_KNOB)) is None
    assert on_main(nuke_host.stored_annotations) == []


def test_notes_survive_save_clear_and_reopen(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    grade = on_main(nuke_host.anchor).object
    on_main(lambda: nuke.frame(1007))
    notes = [note_about(grade, text=TRICKY), note_about(None, frame=1007, text="loose")]
    for n in notes:
        on_main(lambda n=n: nuke_host.apply_annotation(n))
    script = tmp_path / "sh010_comp_v003.nk"
    on_main(lambda: nuke.scriptSave(str(script)))
    on_main(nuke.scriptClear)
    assert on_main(nuke_host.stored_annotations) == []
    on_main(lambda: nuke.scriptOpen(str(script)))
    back = {n.id: n for n in on_main(nuke_host.stored_annotations)}
    assert back == {n.id: n for n in notes}
    assert back[notes[0].id].text == TRICKY
    assert on_main(lambda: nuke.toNode("Grade1").knob(ID_KNOB).value()) == grade.path

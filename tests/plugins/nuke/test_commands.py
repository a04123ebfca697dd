"""Menu commands: notes to StickyNotes, marks to RotoPaint strokes on their frame, clearing."""

from __future__ import annotations

import dataclasses
import json
from types import ModuleType
from typing import Any

import pytest

from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id
from overshoulder.plugins.nuke import commands
from overshoulder.plugins.nuke.defaults import CLEARED_KNOB, MADE_FOR_KNOB, NOTES_KNOB
from tests.fakes.nuke_control import on_main

GREEN = (0.0, 1.0, 0.0, 1.0)


@pytest.fixture
def notes(nuke: ModuleType, comp: dict[str, Any], nuke_host: Any) -> list[Annotation]:
    """Two notes on Grade1: a green stroke on 1003, a rectangle with words on 1005-1012."""
    grade = on_main(nuke_host.anchor).object
    made = [
        Annotation(
            id=new_id(),
            shape=Shape(kind="stroke", points=[[-0.25, 0.1], [0.0, 0.2], [0.25, 0.1]]),
            anchor=Anchor(frame=1003, object=grade),
            style=Style(color=GREEN, width=0.01),
            text="tighten the edge",
            author_name="Rita",
            created=1.0,
        ),
        Annotation(
            id=new_id(),
            shape=Shape(kind="rect", min=(-0.5, -0.25), max=(0.5, 0.25)),
            anchor=Anchor(frame=1005, object=grade, duration=8),
            text="too warm [here]",
            author_name="Sam",
            created=2.0,
        ),
    ]
    for n in made:
        on_main(lambda n=n: nuke_host.apply_annotation(n))
    return made


def test_ori_points_become_nuke_pixels() -> None:
    # 1920 x 1080: the centre, the top-left corner, a point right of centre and below.
    assert commands.ori_to_pixels(0.0, 0.0, 1920, 1080) == (960.0, 540.0)
    assert commands.ori_to_pixels(-960 / 1080, 0.5, 1920, 1080) == pytest.approx((0.0, 1080.0))
    assert commands.ori_to_pixels(0.25, -0.1, 1920, 1080) == pytest.approx((1230.0, 432.0))


def test_notes_become_sticky_notes_beside_the_node_once(
    nuke: ModuleType, comp: dict[str, Any], notes: list[Annotation]
) -> None:
    def labels() -> list[tuple[str, list[str], int, int]]:
        return [
            (n["label"].value(), json.loads(n[MADE_FOR_KNOB].value()), n.xpos(), n.ypos())
            for n in nuke.allNodes("StickyNote")
        ]

    on_main(lambda: comp["grade"].setSelected(True))
    on_main(commands.notes_to_stickies)
    gx, gy = on_main(lambda: (comp["grade"].xpos(), comp["grade"].ypos()))
    assert on_main(labels) == [
        ("Rita, frame 1003\ntighten the edge", [notes[0].id], gx + 150, gy),
        ("Sam, frames 1005-1012\ntoo warm \\[here\\]", [notes[1].id], gx + 150, gy + 70),
    ]
    assert on_main(lambda: nuke.Undo().undoSize()) > 0, "a command is the artist's, undoable"

    nuke_host_notes = on_main(lambda: comp["grade"][NOTES_KNOB].value())
    assert notes[0].id in nuke_host_notes
    on_main(commands.notes_to_stickies)
    assert len(on_main(labels)) == 2, "running it again updates, it does not duplicate"


def test_marks_become_rotopaint_strokes_in_pixels_living_over_their_frames(
    nuke: ModuleType, comp: dict[str, Any], notes: list[Annotation]
) -> None:
    paint = on_main(lambda: commands.notes_to_roto(comp["grade"]))

    def strokes() -> list[Any]:
        assert paint.input(0) is comp["grade"]
        return list(paint["curves"].rootLayer)

    stroke, rect = on_main(strokes)
    # 320 x 180: (-0.25, 0.1) -> (160 - 45, 90 + 18); (0, 0.2) -> (160, 126).
    points = [c for p in stroke for c in (p.getPosition(1003).x, p.getPosition(1003).y)]
    assert points == pytest.approx([115.0, 108.0, 160.0, 126.0, 205.0, 108.0])
    attrs = stroke.getAttributes()
    assert [attrs.getValue(0, k) for k in ("ltt", "ltn", "ltm")] == [4, 1003, 1003]
    assert [attrs.getValue(0, k) for k in ("r", "g", "b", "a")] == list(GREEN)
    assert attrs.getValue(0, "bs") == pytest.approx(0.01 * 180)
    assert stroke.name == f"note_{notes[0].id[:8]}_1"

    corners = [c for p in rect for c in (p.getPosition(1005).x, p.getPosition(1005).y)]
    assert corners == pytest.approx([70, 45, 250, 45, 250, 135, 70, 135, 70, 45])
    # A note over 1005-1012: its strokes live over that range, first to last frame.
    assert [rect.getAttributes().getValue(0, k) for k in ("ltt", "ltn", "ltm")] == [4, 1005, 1012]
    assert on_main(lambda: paint["curves"].changes) == 1


def test_arrows_and_ellipses_are_drawn_as_strokes() -> None:
    arrow = commands.outlines(Shape(kind="arrow", start=(0.0, 0.0), end=(0.5, 0.0)))
    assert len(arrow) == 3 and arrow[0] == [(0.0, 0.0), (0.5, 0.0)]
    assert all(line[0] == (0.5, 0.0) and line[1][0] < 0.5 for line in arrow[1:])
    (ring,) = commands.outlines(Shape(kind="ellipse", min=(-0.2, -0.1), max=(0.2, 0.1)))
    assert ring[0] == pytest.approx((0.2, 0.0)) and ring[-1] == pytest.approx(ring[0])
    assert commands.outlines(Shape(kind="text", at=(0.0, 0.0), text="hi")) == []


def test_clearing_resolved_notes_removes_them_and_what_was_made_of_them(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, notes: list[Annotation]
) -> None:
    on_main(lambda: commands.notes_to_stickies(comp["grade"]))
    paint = on_main(lambda: commands.notes_to_roto(comp["grade"]))
    done = dataclasses.replace(notes[0], status="done")
    on_main(lambda: nuke_host.apply_annotation(done))

    assert on_main(commands.clear_resolved) == 1
    assert [n.id for n in on_main(nuke_host.stored_annotations)] == [notes[1].id]
    assert on_main(lambda: len(nuke.allNodes("StickyNote"))) == 1
    assert on_main(lambda: [e.name for e in paint["curves"].rootLayer]) == [
        f"note_{notes[1].id[:8]}_1"
    ]
    assert json.loads(on_main(lambda: nuke.root()[CLEARED_KNOB].value())) == [done.id]

    on_main(lambda: nuke_host.apply_annotation(done))  # the session syncs it again
    assert done.id not in {n.id for n in on_main(nuke_host.stored_annotations)}
    reopened = dataclasses.replace(done, status="open")
    on_main(lambda: nuke_host.apply_annotation(reopened))
    assert done.id in {n.id for n in on_main(nuke_host.stored_annotations)}
    assert on_main(commands.clear_resolved) == 0


def test_a_command_without_notes_tells_the_artist(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    on_main(lambda: comp["other"].setSelected(True))
    with pytest.raises(commands.CommandError, match="Blur2 has no Overshoulder notes"):
        on_main(commands.notes_to_roto)
    on_main(lambda: commands.run("stickies"))
    assert "nuke.message: Blur2 has no Overshoulder notes." in capsys.readouterr().out

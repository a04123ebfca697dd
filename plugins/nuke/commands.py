"""Menu commands: notes into Nuke's own nodes (StickyNote, RotoPaint), and clearing resolved ones.

Coordinates: notes use the Open Review Initiative's normalised coordinates
(divided by the image height, origin at the image centre, y up); Nuke's pixel
coordinates have their origin at the bottom-left corner, y up. So a point
(x, y) of a W x H image is at pixel (W/2 + x * H, H/2 + y * H).

These run on Nuke's main thread, as menu commands do; unlike the notes kept
in hidden knobs, what they make is recorded in the undo stack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Optional

import nuke
import nuke.rotopaint as rp

from overshoulder.core.model import Annotation
from overshoulder.core.shapes import Point, outlines

from .defaults import (
    LIFETIME_FRAME_RANGE,
    LIFETIME_FROM,
    LIFETIME_TO,
    LIFETIME_TYPE,
    MADE_FOR_KNOB,
    ROTO_OFFSET,
    STICKY_OFFSET,
    STICKY_STEP_Y,
)
from .graph import (
    all_nodes,
    hidden_text,
    inside,
    parent_group,
    selected_nodes,
    set_hidden_text,
    viewed_node,
)
from .notes import NoteStore

log = logging.getLogger("overshoulder.nuke")


class CommandError(RuntimeError):
    """A command cannot run; the message tells the artist what to do."""


def ori_to_pixels(x: float, y: float, width: int, height: int) -> Point:
    """A normalised ORI point (height units, centre origin, y up) in Nuke pixels."""
    return (width / 2.0 + x * height, height / 2.0 + y * height)


def sticky_label(note: Annotation) -> str:
    """The StickyNote text: who, which frame (or "frames 1012-1020"), what they wrote.

    Nuke evaluates [...] in labels as TCL, so brackets and backslashes are escaped.
    """
    who = note.author_name or note.author or "reviewer"
    status = " (resolved)" if note.status == "done" else ""
    anchor = note.anchor
    where = f"frames {anchor.span()}" if anchor.last != anchor.frame else f"frame {anchor.frame}"
    lines = [f"{who}, {where}{status}"]
    text = note.text or (note.shape.text if note.shape.kind == "text" else None)
    if text:
        lines.append(text)
    label = "\n".join(lines)
    return label.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


# --- commands -------------------------------------------------------------------------------


def target_node(node: Optional[nuke.Node] = None) -> nuke.Node:
    """The node a command is about: ``node``, else the one selected, else the viewed one."""
    if node is not None:
        return node
    chosen = selected_nodes()
    if len(chosen) == 1:
        return chosen[0]
    viewed = viewed_node()
    if viewed is None:
        raise CommandError("Select the node whose notes you want (or view it).")
    return viewed


def notes_to_stickies(node: Optional[nuke.Node] = None) -> list[nuke.Node]:
    """One StickyNote per note on the node, beside it; an existing one is updated."""
    target = target_node(node)
    notes = _in_order(NoteStore().on(target))
    if not notes:
        raise CommandError(f"{target.name()} has no Overshoulder notes.")
    made: dict[str, nuke.Node] = {}
    for existing in all_nodes("StickyNote"):
        for note_id in _made_for(existing):
            made[note_id] = existing
    out = []
    for i, note in enumerate(notes):
        sticky = made.get(note.id)
        if sticky is None:
            with inside(parent_group(target)):  # beside the node, in its Group
                sticky = nuke.nodes.StickyNote()
            set_hidden_text(sticky, MADE_FOR_KNOB, json.dumps([note.id]))
            sticky.setXYpos(
                int(target.xpos() + STICKY_OFFSET[0]),
                int(target.ypos() + STICKY_OFFSET[1] + i * STICKY_STEP_Y),
            )
        sticky.knob("label").setValue(sticky_label(note))
        out.append(sticky)
    return out


def notes_to_roto(node: Optional[nuke.Node] = None) -> nuke.Node:
    """A RotoPaint node below the node: each note's marks as strokes living over its frames.

    A stroke's life time is the note's frame range (its one frame for a single-frame note).

    Points go from normalised coordinates to the node's format in pixels;
    colour and width come from the note's style.
    """
    target = target_node(node)
    notes = [n for n in _in_order(NoteStore().on(target)) if outlines(n.shape, n.style.width)]
    if not notes:
        raise CommandError(f"{target.name()} has no Overshoulder notes with marks.")
    width, height = target.width(), target.height()
    with inside(parent_group(target)):
        paint = nuke.nodes.RotoPaint()
    paint.setInput(0, target)
    paint.setXYpos(int(target.xpos() + ROTO_OFFSET[0]), int(target.ypos() + ROTO_OFFSET[1]))
    curves = paint.knob("curves")
    for note in notes:
        for i, line in enumerate(outlines(note.shape, note.style.width)):
            stroke = rp.Stroke(curves)
            for x, y in line:
                stroke.append(rp.AnimControlPoint(*ori_to_pixels(x, y, width, height)))
            stroke.name = f"note_{note.id[:8]}_{i + 1}"
            attrs = stroke.getAttributes()
            attrs.set(LIFETIME_TYPE, LIFETIME_FRAME_RANGE)
            attrs.set(LIFETIME_FROM, note.anchor.frame)
            attrs.set(LIFETIME_TO, note.anchor.last)
            r, g, b, a = note.style.color
            for channel, value in (("r", r), ("g", g), ("b", b), ("a", a)):
                attrs.set(channel, value)
            attrs.set("bs", max(1.0, note.style.width * height))
            curves.rootLayer.append(stroke)
    curves.changed()
    set_hidden_text(paint, MADE_FOR_KNOB, json.dumps([n.id for n in notes]))
    return paint


def clear_resolved() -> int:
    """Remove resolved notes from the script, with the StickyNotes and strokes made of them.

    Their ids are remembered on Root so that a later sync does not bring them
    back. Returns how many notes were cleared.
    """
    store = NoteStore()
    gone: set[str] = set()
    for holder in list(store.holders()):
        for note in store.on(holder):
            if note.status == "done":
                store.remove(note.id)
                gone.add(note.id)
    if not gone:
        return 0
    store.set_cleared(store.cleared() | gone)
    for made in [*all_nodes("StickyNote"), *all_nodes("RotoPaint")]:
        ids = _made_for(made)
        if not ids or not set(ids) & gone:
            continue
        left = [i for i in ids if i not in gone]
        if made.Class() == "StickyNote" or not left:
            nuke.delete(made)
            continue
        layer = made.knob("curves").rootLayer
        for element in list(layer):
            if any(element.name.startswith(f"note_{i[:8]}_") for i in gone):
                layer.remove(element)
        made.knob("curves").changed()
        set_hidden_text(made, MADE_FOR_KNOB, json.dumps(left))
    return len(gone)


def _in_order(notes: list[Annotation]) -> list[Annotation]:
    """By frame, then by when they were made."""
    return sorted(notes, key=lambda n: (n.anchor.frame, n.created or 0.0))


def _made_for(node: nuke.Node) -> list[str]:
    text = hidden_text(node, MADE_FOR_KNOB)
    try:
        ids = json.loads(text) if text else []
    except ValueError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []


# --- as menu items: errors become a message to the artist ------------------------------------


#: Menu command names and how the menu labels them.
TITLES = {
    "stickies": "Notes to StickyNotes",
    "roto": "Note marks to RotoPaint",
    "clear": "Clear resolved notes",
}


def run(command: str) -> None:
    """Run a command by name from the menu; a ``CommandError`` is shown, not raised, and so
    is anything else that goes wrong (logged with its traceback): a menu command never
    raises into Nuke."""
    actions: dict[str, Callable[[], object]] = {
        "stickies": notes_to_stickies,
        "roto": notes_to_roto,
        "clear": clear_resolved,
    }
    try:
        actions[command]()
    except CommandError as exc:
        nuke.message(str(exc))
    except Exception as exc:
        log.exception("Overshoulder: the %s command failed", command)
        title = TITLES.get(command, command)
        nuke.message(f"Overshoulder: {title} failed: {type(exc).__name__}: {exc}")

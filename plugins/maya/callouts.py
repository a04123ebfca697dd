"""A note's words as a callout in the viewport: an annotationShape pointing at the object.

``cmds.annotate(object, text=..., point=...)`` makes a transform ("annotation1") with an
annotationShape whose arrow follows the object. An annotationShape has no time of its own,
so its visibility is keyed with step keys (off before the note's first frame, on at it, off
after its last): it shows over the note's frames only (one frame, or the note's range). The
transform carries ``overshoulderNote`` (the note's id) so it is recognisable in the Outliner
and by tools. Made with undo off.
"""

from __future__ import annotations

from typing import Optional

from maya import cmds

from overshoulder.core.model import Annotation

from . import scene
from .defaults import CALLOUT_LIFT, MADE_FOR_ATTR


def words(note: Annotation) -> str:
    """What the callout says: the note's text, else a text mark's words, with the author."""
    text = (note.text or note.shape.text or "").strip()
    if not text:
        return ""
    who = note.author_name or note.author
    return f"{who}: {text}" if who else text


def make(note: Annotation, obj_path: str) -> Optional[str]:
    """A callout for ``note`` on the object at ``obj_path``; its transform's UUID (None: no
    words to show)."""
    label = words(note)
    if not label:
        return None
    box = cmds.exactWorldBoundingBox(obj_path)
    point = ((box[0] + box[3]) / 2, box[4] + CALLOUT_LIFT, (box[2] + box[5]) / 2)
    first, last = note.anchor.frame, note.anchor.last
    with scene.undo_off():
        shape = cmds.annotate(obj_path, text=label, point=point)
        parents = cmds.listRelatives(shape, parent=True, fullPath=True) or []
        transform = str(parents[0]) if parents else str(shape)
        cmds.addAttr(transform, longName=MADE_FOR_ATTR, dataType="string")
        cmds.setAttr(f"{transform}.{MADE_FOR_ATTR}", note.id, type="string")
        for time, value in ((first - 1, 0), (first, 1), (last + 1, 0)):
            cmds.setKeyframe(
                transform,
                attribute="visibility",
                time=time,
                value=value,
                inTangentType="step",
                outTangentType="step",
            )
    return scene.uuid_of(transform)


def remove(callout_uuid: Optional[str]) -> None:
    """Delete a callout made by ``make`` (nothing when it is already gone)."""
    if not callout_uuid:
        return
    path = scene.path_of(callout_uuid)
    if path is not None:
        with scene.undo_off():
            cmds.delete(path)

"""The note list's logic: notes per frame in order, what each row says, and stale-image warnings.

A note remembers the image it was drawn on (``anchor.image``: the content hash
of the frame shown, and/or the app's version name). When the image now shown
for that frame is a different one (a new render, a changed grade), the panel
says so next to the note. No Qt here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Optional

from .model import Annotation, ImageRef

#: How the list names each kind of mark (as the browser's note list does).
KIND_LABELS = {
    "stroke": "drawing",
    "line": "line",
    "arrow": "arrow",
    "rect": "box",
    "ellipse": "ellipse",
    "text": "text",
}


@dataclass(frozen=True)
class FrameNotes:
    """The notes that start on one frame, oldest first (a range note is listed at its first)."""

    frame: int
    notes: tuple[Annotation, ...]

    @property
    def open(self) -> int:
        """How many are not done yet."""
        return sum(1 for n in self.notes if n.status != "done")


def sort_key(note: Annotation) -> tuple[int, float, str]:
    """Frame, then creation time (notes not stored yet last), then id for a stable order."""
    return note.anchor.frame, note.created if note.created is not None else float("inf"), note.id


def by_frame(
    notes: Iterable[Annotation], hidden_authors: Collection[Optional[str]] = ()
) -> list[FrameNotes]:
    """Notes grouped per first frame, frames ascending, each group oldest first.

    A note over a range (``anchor.duration``) is listed once, under its first frame.
    Notes by an author in ``hidden_authors`` are left out (their layer is hidden).
    """
    groups: dict[int, list[Annotation]] = {}
    for note in sorted(notes, key=sort_key):
        if note.author in hidden_authors:
            continue
        groups.setdefault(note.anchor.frame, []).append(note)
    return [FrameNotes(frame, tuple(items)) for frame, items in groups.items()]


def on_frame(
    notes: Iterable[Annotation], frame: int, hidden_authors: Collection[Optional[str]] = ()
) -> list[Annotation]:
    """The notes drawn on ``frame``, oldest first, without hidden authors'.

    A note over a range is drawn on every frame of it (``Anchor.holds``).
    """
    return sorted(
        (n for n in notes if n.anchor.holds(frame) and n.author not in hidden_authors),
        key=sort_key,
    )


def stale_warning(note: Annotation, current: Optional[ImageRef]) -> Optional[str]:
    """Why the note may not fit what is shown now, or None when it fits (or nobody can tell).

    ``current`` is what is known of the image now shown for the note's frame: the
    hash of the image last published for it, the version the app names. Only
    what both sides know is compared.
    """
    drawn = note.anchor.image
    if drawn is None or current is None:
        return None
    if drawn.version and current.version and drawn.version != current.version:
        return f"drawn on {drawn.version}, now showing {current.version}"
    if drawn.hash and current.hash and drawn.hash != current.hash:
        return "drawn on a different image than the one now shown for this frame"
    return None


def describe(note: Annotation) -> str:
    """One line for the list: kind, author, the range if any, the words (or the mark's text)."""
    kind = KIND_LABELS.get(note.shape.kind, note.shape.kind)
    who = note.author_name or "someone"
    words = note.text or (note.shape.text if note.shape.kind == "text" else None)
    line = f"{kind} by {who}"
    if note.anchor.last != note.anchor.frame:
        line += f", frames {note.anchor.span()}"
    if words:
        line += f": {words}"
    if note.status == "done":
        line += " (done)"
    return line


def about(note: Annotation) -> Optional[str]:
    """What in the app the note is about (node, object, clip), for the list; None if nothing."""
    obj = note.anchor.object
    if obj is None:
        return None
    return obj.label or obj.path

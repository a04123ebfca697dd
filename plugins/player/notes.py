"""The notes the player keeps, per frame, and the JSON file they are written to and read from."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Optional

from overshoulder.core.errors import ProtocolError
from overshoulder.core.files import write_atomic
from overshoulder.core.model import Annotation
from overshoulder.core.schema import decode, encode

from .defaults import NOTES_FORMAT, NOTES_VERSION
from .errors import MediaError

#: Called with the frames whose notes changed.
ChangeListener = Callable[[set[int]], None]


class NoteBook:
    """Annotations by id and by the frames they hold (``anchor.frame`` .. ``anchor.last``);
    safe to use from any thread."""

    def __init__(self, notes: Iterable[Annotation] = ()) -> None:
        self._lock = threading.Lock()
        self._notes: dict[str, Annotation] = {n.id: n for n in notes}
        self._listeners: list[ChangeListener] = []

    def put(self, note: Annotation) -> None:
        """Keep ``note``, replacing the one with its id (which may have been on another frame)."""
        with self._lock:
            old = self._notes.get(note.id)
            if old == note:
                return
            self._notes[note.id] = note
        changed = _held(note)
        if old is not None:
            changed |= _held(old)
        self._tell(changed)

    def remove(self, note_id: str) -> bool:
        with self._lock:
            old = self._notes.pop(note_id, None)
        if old is None:
            return False
        self._tell(_held(old))
        return True

    def get(self, note_id: str) -> Optional[Annotation]:
        with self._lock:
            return self._notes.get(note_id)

    def all(self) -> list[Annotation]:
        """Every note, by frame, then by creation time."""
        with self._lock:
            notes = list(self._notes.values())
        return sorted(notes, key=lambda n: (n.anchor.frame, n.created or 0.0, n.id))

    def on(self, frame: int) -> list[Annotation]:
        """The notes drawn on ``frame`` (a range note on every frame of its range)."""
        return [n for n in self.all() if n.anchor.holds(frame)]

    def frames(self) -> list[int]:
        """Frames that have notes (every frame of a range note), ascending."""
        with self._lock:
            notes = list(self._notes.values())
        return sorted(set().union(*(_held(n) for n in notes)))

    def __len__(self) -> int:
        with self._lock:
            return len(self._notes)

    def subscribe(self, fn: ChangeListener) -> Callable[[], None]:
        """Call ``fn(frames)`` after every change; returns an undo."""
        with self._lock:
            self._listeners = [*self._listeners, fn]

        def undo() -> None:
            with self._lock:
                self._listeners = [f for f in self._listeners if f is not fn]

        return undo

    def _tell(self, frames: set[int]) -> None:
        for fn in self._listeners:
            fn(set(frames))


def _held(note: Annotation) -> set[int]:
    """The frames ``note`` is drawn on."""
    return set(range(note.anchor.frame, note.anchor.last + 1))


# --- the notes file ------------------------------------------------------------------------------


def notes_document(
    notes: Iterable[Annotation], media: str, files: Callable[[int], Optional[str]]
) -> dict[str, Any]:
    """The JSON of a notes file: the media, then each annotated frame with its file and notes.

    Each note is the protocol's ``Annotation`` as JSON (id, author, text, shape,
    style, anchor, status, created), so any Overshoulder tool reads it back. A note over a
    range is listed under its first frame; its ``anchor.duration`` says how many it holds.
    """
    frames: dict[int, list[Annotation]] = {}
    for note in notes:
        frames.setdefault(note.anchor.frame, []).append(note)
    return {
        "format": NOTES_FORMAT,
        "version": NOTES_VERSION,
        "media": media,
        "saved": round(time.time(), 3),
        "frames": [
            {
                "frame": frame,
                "file": files(frame),
                "notes": [encode(n) for n in frames[frame]],
            }
            for frame in sorted(frames)
        ],
    }


def write_notes(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` to ``path`` atomically: readers see the old file or the new, whole."""
    path = Path(path)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomic(path, text, mode=0o644)


def read_notes(path: Path) -> list[Annotation]:
    """The notes in the file at ``path`` (none when it does not exist).

    ``MediaError`` (one sentence naming the file and what is wrong) when it is
    not a notes file: nothing is overwritten then.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path}: cannot read the notes file: {exc}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise MediaError(f"{path}: not a notes file (invalid JSON: {exc})") from None
    if not isinstance(document, dict) or document.get("format") != NOTES_FORMAT:
        raise MediaError(f"{path}: not an Overshoulder notes file (no format {NOTES_FORMAT!r})")
    notes: list[Annotation] = []
    frames = document.get("frames")
    if not isinstance(frames, list):
        raise MediaError(f"{path}: the notes file has no list of frames")
    for i, entry in enumerate(frames):
        items = entry.get("notes") if isinstance(entry, dict) else None
        if not isinstance(items, list):
            raise MediaError(f"{path}: frames[{i}] has no list of notes")
        for j, item in enumerate(items):
            try:
                notes.append(decode(Annotation, item, f"frames[{i}].notes[{j}]"))
            except ProtocolError as exc:
                raise MediaError(f"{path}: {exc.message}") from None
    return notes

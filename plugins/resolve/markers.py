"""Notes as Resolve markers: on the clip they are about (else on the timeline), found by id.

A marker carries what an editor reads in Resolve: the note's text, a name with the author,
a colour per author, the duration of the note's range (``anchor.duration``; one frame for a
single-frame note; cut short where its clip or the timeline ends), and, in its
invisible ``customData``, ``overshoulder:<annotation id>``, the key the API finds it by
(``GetMarkerByCustomData``, ``DeleteMarkerByCustomData``). The rest of a note (its marks,
style, author id) does not fit a marker: it is kept in a sidecar JSON file per Resolve
project in Overshoulder's config folder (``NoteSidecar``). On a machine without the sidecar
a marker still reads back as a text note at its frame.

Resolve keeps one marker per frame on each timeline or clip, so a note whose frame already
holds a marker goes to the nearest free frame after it (its frame in the session is kept).
Resolve cannot change a marker's text or colour in place, so a changed note's marker is
deleted and added again; the customData key never changes. A marker's duration counts frames
of what holds it (source frames of a clip, timeline frames of the timeline); at the clip's
speed those are as many as the note's timeline frames. When the editor drags a marker's
duration in Resolve, ``edits`` reports the note's new range.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union, cast

from overshoulder.core.files import OWNER_ONLY, read_json_file, write_atomic
from overshoulder.core.model import (
    MAX_NOTE_FRAMES,
    Anchor,
    Annotation,
    HostObject,
    RationalTime,
    Shape,
)
from overshoulder.core.schema import decode, encode

from . import defaults
from .defaults import (
    CUSTOM_DATA_PREFIX,
    MARKER_COLOURS,
    MARKER_NAME_CHARS,
    MARKER_SEARCH_FRAMES,
    NO_AUTHOR_COLOUR,
)

if TYPE_CHECKING:
    from fusionscript import MarkerColor, Timeline, TimelineItem

    Holder = Union[Timeline, TimelineItem]

log = logging.getLogger("overshoulder.resolve")

#: HostObject kind of a timeline item (``path``: its unique id; ``item_frame``: frame in it).
ITEM_KIND = "resolve.item"


def custom_data(annotation_id: str) -> str:
    """The customData of the marker of ``annotation_id``."""
    return f"{CUSTOM_DATA_PREFIX}{annotation_id}"


def annotation_id(data: str) -> Optional[str]:
    """The annotation id in a marker's customData, or None for markers that are not ours."""
    return data[len(CUSTOM_DATA_PREFIX) :] if data.startswith(CUSTOM_DATA_PREFIX) else None


def last_frame(timeline: Timeline) -> int:
    """The timeline's last frame (absolute), from ``GetEndFrame`` and the convention
    ``END_FRAME_AFTER_LAST`` says Resolve follows."""
    end = int(timeline.GetEndFrame())
    return end - 1 if defaults.END_FRAME_AFTER_LAST else end


def colour_for(author: Optional[str]) -> str:
    """Resolve's marker colour for an author: the same on every machine (a hash of the id)."""
    if not author:
        return NO_AUTHOR_COLOUR
    return MARKER_COLOURS[zlib.crc32(author.encode("utf-8")) % len(MARKER_COLOURS)]


@dataclass(frozen=True)
class ItemSpan:
    """A video clip on the timeline: track, first and last timeline frame, the item itself."""

    track: int
    start: int
    end: int
    uid: str
    name: str
    item: TimelineItem

    def holds(self, frame: int) -> bool:
        return self.start <= frame <= self.end


@dataclass
class ItemIndex:
    """The timeline's video clips by position, read once per timeline shape."""

    spans: list[ItemSpan] = field(default_factory=list)

    @classmethod
    def read(cls, timeline: Timeline) -> ItemIndex:
        spans = []
        for track in range(1, int(timeline.GetTrackCount("video") or 0) + 1):
            for item in timeline.GetItemListInTrack("video", track) or []:
                start = int(item.GetStart(False))
                end = int(item.GetEnd(False)) - 1  # GetEnd is the frame after the clip
                spans.append(
                    ItemSpan(track, start, end, str(item.GetUniqueId()), str(item.GetName()), item)
                )
        return cls(spans)

    def at(self, frame: int) -> Optional[ItemSpan]:
        """The clip seen at ``frame``: the highest video track that has one there."""
        found = [s for s in self.spans if s.holds(frame)]
        return max(found, key=lambda s: s.track) if found else None

    def by_uid(self, uid: str) -> Optional[ItemSpan]:
        return next((s for s in self.spans if s.uid == uid), None)


@dataclass
class Placed:
    """Where a note's marker is: timeline (``holder`` "") or item uid, at which frameId, and
    the duration it was given (None in sidecars written before notes had ranges)."""

    timeline: str
    holder: str
    frame_id: int
    duration: Optional[int] = None


class NoteSidecar:
    """The full notes of one Resolve project, beside its markers: a JSON file, written whole.

    ``{"notes": {id: {"annotation": {...}, "timeline": uid, "holder": uid, "frame_id": n}},
    "resolved": [id, ...]}``; ``resolved`` lists notes whose marker the editor deleted, so a
    session that marks them done does not bring the marker back.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes: dict[str, dict[str, Any]] = {}
        self.resolved: set[str] = set()
        self._load()

    def _load(self) -> None:
        data = read_json_file(self.path, "notes sidecar", log=log)
        if data is None:
            return
        self.notes = dict(data.get("notes") or {})
        self.resolved = set(data.get("resolved") or [])

    def save(self) -> None:
        """Write the sidecar whole (readable by its owner alone, as the notes' pictures are)."""
        text = json.dumps({"notes": self.notes, "resolved": sorted(self.resolved)}, indent=1)
        write_atomic(self.path, text, mode=OWNER_ONLY)

    def annotation(self, ann_id: str) -> Optional[Annotation]:
        entry = self.notes.get(ann_id)
        if entry is None:
            return None
        try:
            return decode(Annotation, entry["annotation"])
        except Exception as exc:
            log.warning("note %s in %s is unreadable: %s", ann_id, self.path, exc)
            return None

    def placed(self, ann_id: str) -> Optional[Placed]:
        entry = self.notes.get(ann_id)
        if entry is None:
            return None
        duration = entry.get("duration")
        return Placed(
            str(entry["timeline"]),
            str(entry["holder"]),
            int(entry["frame_id"]),
            int(duration) if duration is not None else None,
        )

    def put(self, note: Annotation, where: Placed) -> None:
        self.notes[note.id] = {
            "annotation": encode(note),
            "timeline": where.timeline,
            "holder": where.holder,
            "frame_id": where.frame_id,
            "duration": where.duration,
        }


class MarkerBook:
    """Notes to markers and back, on one project's timelines (called on the adapter's thread)."""

    def __init__(self, sidecar: NoteSidecar) -> None:
        self.sidecar = sidecar

    # --- session -> Resolve ---------------------------------------------------------------

    def apply(self, note: Annotation, timeline: Timeline, index: ItemIndex) -> None:
        """Make or refresh the marker of ``note`` (on the current ``timeline``)."""
        book = self.sidecar
        if note.id in book.resolved:
            if note.status == "done":
                return  # the editor deleted its marker as resolved: it stays out
            book.resolved.discard(note.id)
        tl_uid = str(timeline.GetUniqueId())
        old = book.placed(note.id)
        if old is not None and old.timeline != tl_uid:
            book.put(note, old)  # kept for its own timeline; markers of other timelines stay
            book.save()
            return
        span, holder, frame_id, last_id = self._target(note, timeline, index)
        if old is not None:
            old_holder = self._holder(old.holder, timeline, index)
            current = _marker(old_holder, note.id) if old_holder is not None else None
            if (
                current is not None
                and old.holder == (span.uid if span else "")
                and current[0] == old.frame_id
                and _same(current[1], _fields(note, last_id - old.frame_id + 1))
            ):
                book.put(note, dataclasses.replace(old, duration=_duration(current[1])))
                book.save()
                return
            if old_holder is not None:
                old_holder.DeleteMarkerByCustomData(custom_data(note.id))
        added = _add(holder, frame_id, last_id, note)
        if added is None:
            log.warning("no free frame for the marker of note %s near %s", note.id, frame_id)
            return
        placed_at, duration = added
        book.put(note, Placed(tl_uid, span.uid if span else "", placed_at, duration))
        book.save()

    def remove(self, ann_id: str, timeline: Optional[Timeline], index: ItemIndex) -> None:
        """The note was deleted in the session: its marker goes, and so does its sidecar entry."""
        book = self.sidecar
        placed = book.placed(ann_id)
        if placed is None:
            return
        if timeline is not None and placed.timeline == str(timeline.GetUniqueId()):
            holder = self._holder(placed.holder, timeline, index)
            if holder is not None:
                holder.DeleteMarkerByCustomData(custom_data(ann_id))
        del book.notes[ann_id]
        book.resolved.discard(ann_id)
        book.save()

    # --- Resolve -> session ----------------------------------------------------------------

    def edits(self, timeline: Timeline, index: ItemIndex) -> tuple[list[str], dict[str, Anchor]]:
        """What the editor did to this timeline's markers of ours, in one pass over them.

        Returns the notes whose marker is gone (the editor deleted it, or its clip; they move
        to ``resolved``) and the new anchors of notes whose marker's duration the editor
        changed (the note keeps its first frame; the range follows the marker). The caller
        reports both to the session.
        """
        book = self.sidecar
        tl_uid = str(timeline.GetUniqueId())
        by_holder: dict[str, list[str]] = {}
        for ann_id, entry in book.notes.items():
            if entry["timeline"] == tl_uid and ann_id not in book.resolved:
                by_holder.setdefault(str(entry["holder"]), []).append(ann_id)
        gone: list[str] = []
        resized: dict[str, Anchor] = {}
        for uid, ids in by_holder.items():
            holder = self._holder(uid, timeline, index)
            present = _ours(holder.GetMarkers() or {}) if holder is not None else {}
            for ann_id in ids:
                if ann_id not in present:
                    gone.append(ann_id)
                    continue
                anchor = self._resized(ann_id, present[ann_id][1])
                if anchor is not None:
                    resized[ann_id] = anchor
        if gone:
            book.resolved.update(gone)
        if gone or resized:
            book.save()
        return gone, resized

    def _resized(self, ann_id: str, info: Any) -> Optional[Anchor]:
        """The note's new anchor when its marker's duration is not the one it was given."""
        placed, note = self.sidecar.placed(ann_id), self.sidecar.annotation(ann_id)
        now = _duration(info)
        if placed is None or note is None or placed.duration is None or now == placed.duration:
            return None
        anchor = note.anchor.over(note.anchor.frame, note.anchor.frame + now - 1)
        self.sidecar.put(dataclasses.replace(note, anchor=anchor), placed)
        self.sidecar.notes[ann_id]["duration"] = now
        return anchor

    def stored(self, timeline: Timeline, index: ItemIndex, rate: float) -> list[Annotation]:
        """Every note whose marker is on this timeline (sidecar notes, or rebuilt from markers)."""
        start = int(timeline.GetStartFrame())
        found: list[Annotation] = []
        holders: list[tuple[Optional[ItemSpan], Holder]] = [(None, timeline)]
        holders += [(s, s.item) for s in index.spans]
        for span, holder in holders:
            for ann_id, (frame_id, info) in _ours(holder.GetMarkers() or {}).items():
                note = self.sidecar.annotation(ann_id)
                if note is None:
                    frame = _frame_of(span, frame_id, start)
                    note = _rebuilt(ann_id, info, frame, span, rate)
                    if note is None:
                        continue
                found.append(note)
        return found

    # --- where --------------------------------------------------------------------------------

    def _target(
        self, note: Annotation, timeline: Timeline, index: ItemIndex
    ) -> tuple[Optional[ItemSpan], Holder, int, int]:
        """The holder a note's marker goes on, its frameId there and the last frameId it has."""
        about = note.anchor.object
        span = index.by_uid(about.path) if about is not None and about.kind == ITEM_KIND else None
        frame = note.anchor.frame
        if span is not None and about is not None and about.item_frame is not None:
            frame = span.start + about.item_frame
        if span is None or not span.holds(frame):
            span = index.at(frame)
        if span is not None:
            item = span.item
            offset = int(item.GetLeftOffset(False))
            return span, item, offset + frame - span.start, offset + span.end - span.start
        start, last = int(timeline.GetStartFrame()), last_frame(timeline)
        return None, timeline, max(0, frame - start), max(0, last - start)

    @staticmethod
    def _holder(uid: str, timeline: Timeline, index: ItemIndex) -> Optional[Holder]:
        if not uid:
            return timeline
        span = index.by_uid(uid)
        return span.item if span is not None else None


def _fields(note: Annotation, room: int) -> dict[str, Any]:
    """What the note's marker says; its duration is the note's, at most ``room`` frames."""
    words = (note.text or "").strip() or f"({note.shape.kind} mark)"
    who = note.author_name or "someone"
    name = f"{'✓ ' if note.status == 'done' else ''}{who}: {words.splitlines()[0]}"
    if len(name) > MARKER_NAME_CHARS:
        name = name[: MARKER_NAME_CHARS - 1] + "…"
    return {
        "color": colour_for(note.author or note.author_name),
        "name": name,
        "note": words,
        "duration": float(max(1, min(note.anchor.length, room))),
        "customData": custom_data(note.id),
    }


def _same(info: Any, fields: dict[str, Any]) -> bool:
    return all(info.get(k) == v for k, v in fields.items() if k != "duration") and float(
        info.get("duration", 0)
    ) == float(fields["duration"])


def _duration(info: Any) -> int:
    """A marker's duration in whole frames, within what a note may hold."""
    try:
        frames = round(float(info.get("duration") or 1))
    except (TypeError, ValueError):
        return 1
    return max(1, min(MAX_NOTE_FRAMES, frames))


def _marker(holder: Holder, ann_id: str) -> Optional[tuple[int, Any]]:
    """(frameId, info) of the note's marker on ``holder``, or None."""
    found = holder.GetMarkerByCustomData(custom_data(ann_id)) or {}
    for frame_id, info in found.items():
        return int(frame_id), info
    return None


def _add(
    holder: Holder, frame_id: int, last_id: int, note: Annotation
) -> Optional[tuple[int, int]]:
    """Add the note's marker at ``frame_id`` or the nearest free frame after it.

    Returns its frameId and duration (cut short at ``last_id``), or None.
    """
    taken = {int(f) for f in (holder.GetMarkers() or {})}
    for candidate in _candidates(frame_id, max(frame_id, last_id)):
        if candidate in taken:
            continue
        fields = _fields(note, last_id - candidate + 1)
        ok = holder.AddMarker(
            float(candidate),
            cast("MarkerColor", fields["color"]),
            fields["name"],
            fields["note"],
            fields["duration"],
            fields["customData"],
        )
        if ok:
            return candidate, int(fields["duration"])
    return None


def _candidates(first: int, last: int) -> Iterable[int]:
    yield from range(first, min(last, first + MARKER_SEARCH_FRAMES) + 1)
    yield from range(first - 1, max(-1, first - MARKER_SEARCH_FRAMES - 1), -1)


def _ours(markers: Any) -> dict[str, tuple[int, Any]]:
    """Our markers in a ``GetMarkers()`` answer: annotation id -> (frameId, info)."""
    out: dict[str, tuple[int, Any]] = {}
    for frame_id, info in markers.items():
        ann_id = annotation_id(str(info.get("customData") or ""))
        if ann_id:
            out[ann_id] = (int(frame_id), info)
    return out


def _frame_of(span: Optional[ItemSpan], frame_id: int, start: int) -> int:
    if span is None:
        return start + frame_id
    return span.start + frame_id - int(span.item.GetLeftOffset(False))


def _rebuilt(
    ann_id: str, info: Any, frame: int, span: Optional[ItemSpan], rate: float
) -> Optional[Annotation]:
    """A marker without its sidecar entry, as a text note over its frames."""
    text = str(info.get("note") or info.get("name") or "note")
    obj = (
        HostObject(ITEM_KIND, span.uid, span.name[:80], frame - span.start)
        if span is not None
        else None
    )
    try:
        return Annotation(
            id=ann_id,
            shape=Shape(kind="text", at=(0.0, 0.0), text=text[:4000]),
            anchor=Anchor(
                frame=frame,
                time=RationalTime(float(frame), rate),
                object=obj,
                duration=_duration(info) if _duration(info) > 1 else None,
            ),
            text=text[:4000],
        )
    except Exception as exc:  # a customData that is not a UUID: not a note of ours
        log.info("marker %s is not an Overshoulder note: %s", ann_id, exc)
        return None

"""Notes as markers: on the clip at the note's frame (else the timeline), found by customData,
replaced on edits, removed on deletes; a marker the editor deletes resolves its note."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.plugins.resolve.defaults import MARKER_COLOURS
from overshoulder.plugins.resolve.host import ResolveHost
from overshoulder.plugins.resolve.markers import ITEM_KIND, NoteSidecar, colour_for, custom_data
from tests.fakes import resolve_control
from tests.fakes.resolve_control import REEL_START


def note(
    frame: int,
    text: str = "hold the cut two frames",
    author: str = "sam-id",
    duration: int | None = None,
) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0.0, 0.0), end=(0.2, 0.1)),
        anchor=Anchor(frame=frame, duration=duration),
        text=text,
        author=author,
        author_name="Sam",
    )


def apply(host: ResolveHost, n: Annotation) -> None:
    host.call_on_main(lambda: host.apply_annotation(n))


def test_a_note_on_a_clip_becomes_a_marker_on_that_clip(resolve: Any, resolve_host: Any) -> None:
    n = note(REEL_START + 50)  # sh020 starts at 86448 with source frame 1009
    apply(resolve_host, n)
    sh020 = resolve_control.item(resolve, "sh020")
    assert sh020.markers == {
        1011.0: {
            "color": colour_for("sam-id"),
            "duration": 1.0,
            "note": "hold the cut two frames",
            "name": "Sam: hold the cut two frames",
            "customData": f"overshoulder:{n.id}",
        }
    }
    assert resolve_control.timeline(resolve).markers == {}


def test_a_range_note_becomes_a_marker_as_long_as_its_range(resolve: Any, resolve_host: Any):
    n = note(REEL_START + 50, duration=9)  # sh020's source frames 1011-1019
    apply(resolve_host, n)
    [(frame, info)] = resolve_control.item(resolve, "sh020").markers.items()
    assert (frame, info["duration"]) == (1011.0, 9.0)
    [back] = resolve_host.call_on_main(resolve_host.stored_annotations)
    assert back.anchor == n.anchor


def test_a_range_past_the_end_of_its_clip_is_cut_short_there(resolve: Any, resolve_host: Any):
    n = note(REEL_START + 80, duration=10)  # sh020's last four frames, then the gap
    apply(resolve_host, n)
    [(frame, info)] = resolve_control.item(resolve, "sh020").markers.items()
    assert (frame, info["duration"]) == (1041.0, 4.0)
    apply(resolve_host, n)  # nothing changed: the marker is left as it is
    assert resolve_control.item(resolve, "sh020").markers == {frame: info}


def test_a_marker_the_editor_lengthens_gives_the_note_that_range(
    resolve: Any, resolve_host: Any
) -> None:
    edited: list[tuple[str, dict[str, Any]]] = []
    seen = threading.Event()

    def on_edit(ann_id: str, changes: dict[str, Any]) -> None:
        edited.append((ann_id, changes))
        seen.set()

    resolve_host.events.note_edited = on_edit
    n = note(REEL_START + 100, duration=3)  # on sh030
    apply(resolve_host, n)
    sh030 = resolve_control.item(resolve, "sh030")
    [(frame, info)] = sh030.markers.items()
    info["duration"] = 12.0  # the editor drags the marker's end in Resolve
    assert seen.wait(5), "the longer marker was not noticed"
    assert edited == [(n.id, {"anchor": Anchor(frame=REEL_START + 100, duration=12)})]
    [back] = resolve_host.call_on_main(resolve_host.stored_annotations)
    assert back.anchor.span() == f"{REEL_START + 100}-{REEL_START + 111}"
    # The session's update comes back: the marker stays as the editor left it, reported once.
    apply(resolve_host, dataclasses.replace(n, anchor=edited[0][1]["anchor"]))
    assert sh030.markers == {frame: {**info, "duration": 12.0}}
    resolve_host.call_on_main(resolve_host.check_markers)  # one more poll, after the update
    assert len(edited) == 1


def test_a_note_where_no_clip_is_goes_on_the_timeline(resolve: Any, resolve_host: Any) -> None:
    n = note(REEL_START + 90)  # the gap between sh020 and sh030
    apply(resolve_host, n)
    markers = resolve_control.timeline(resolve).markers
    assert list(markers) == [90.0]  # timeline frameIds count from the timeline's start
    assert markers[90.0]["customData"] == custom_data(n.id)


def test_the_clip_on_the_highest_track_gets_it(resolve: Any, resolve_host: Any) -> None:
    n = note(REEL_START + 62)  # "sh020 insert" on V2 covers 86460-86471
    apply(resolve_host, n)
    assert list(resolve_control.item(resolve, "sh020 insert").markers) == [1022.0]
    assert resolve_control.item(resolve, "sh020").markers == {}


def test_an_edit_replaces_the_marker_and_a_delete_removes_it(
    resolve: Any, resolve_host: Any
) -> None:
    n = note(REEL_START + 10)
    apply(resolve_host, n)
    apply(resolve_host, dataclasses.replace(n, text="lift the shadows", status="done"))
    sh010 = resolve_control.item(resolve, "sh010")
    [(frame, info)] = sh010.markers.items()
    assert (frame, info["note"], info["name"]) == (
        1011.0,
        "lift the shadows",
        "✓ Sam: lift the shadows",
    )
    resolve_host.call_on_main(lambda: resolve_host.remove_annotation(n.id))
    assert sh010.markers == {}
    assert resolve_host.call_on_main(resolve_host.stored_annotations) == []


def test_two_notes_on_one_frame_get_neighbouring_markers(resolve: Any, resolve_host: Any) -> None:
    a, b = note(REEL_START + 5), note(REEL_START + 5, "and the grade")
    apply(resolve_host, a)
    apply(resolve_host, b)
    markers = resolve_control.item(resolve, "sh010").markers
    assert {f: m["customData"] for f, m in markers.items()} == {
        1006.0: custom_data(a.id),
        1007.0: custom_data(b.id),
    }
    stored = {n.id: n for n in resolve_host.call_on_main(resolve_host.stored_annotations)}
    assert stored[b.id].anchor.frame == REEL_START + 5  # the session's frame is kept


def test_a_marker_the_editor_deletes_resolves_the_note_and_stays_deleted(
    resolve: Any, resolve_host: Any
) -> None:
    edited: list[tuple[str, dict[str, Any]]] = []
    seen = threading.Event()

    def on_edit(ann_id: str, changes: dict[str, Any]) -> None:
        edited.append((ann_id, changes))
        seen.set()

    resolve_host.events.note_edited = on_edit
    n = note(REEL_START + 100)  # on sh030
    apply(resolve_host, n)
    sh030 = resolve_control.item(resolve, "sh030")
    resolve_control.delete_marker(sh030, custom_data(n.id))
    assert seen.wait(5), "the deleted marker was not noticed"
    assert edited == [(n.id, {"deleted": True})]
    # The session marks it done: the marker does not come back. Reopened: it does.
    apply(resolve_host, dataclasses.replace(n, status="done"))
    assert sh030.markers == {}
    apply(resolve_host, dataclasses.replace(n, status="open"))
    assert [m["customData"] for m in sh030.markers.values()] == [custom_data(n.id)]


def test_stored_notes_come_back_whole_from_the_sidecar(resolve: Any, resolve_host: Any) -> None:
    notes = [note(REEL_START + 3), note(REEL_START + 90, "gap note")]
    for n in notes:
        apply(resolve_host, n)
    stored = {n.id: n for n in resolve_host.call_on_main(resolve_host.stored_annotations)}
    assert stored == {n.id: n for n in notes}


def test_without_the_sidecar_a_marker_reads_back_as_a_text_note(
    resolve: Any, resolve_host: Any, tmp_path: Path
) -> None:
    n = note(REEL_START + 50)
    apply(resolve_host, n)
    elsewhere = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "other")
    try:
        elsewhere.call_on_main(elsewhere.start)
        [back] = elsewhere.call_on_main(elsewhere.stored_annotations)
    finally:
        elsewhere.close()
    assert back.id == n.id and back.text == n.text
    assert back.anchor.frame == REEL_START + 50
    assert back.anchor.object is not None and back.anchor.object.kind == ITEM_KIND
    assert (back.anchor.object.label, back.anchor.object.item_frame) == ("sh020", 2)
    assert back.anchor.duration is None


def test_without_the_sidecar_a_long_marker_reads_back_as_a_range_note(
    resolve: Any, resolve_host: Any, tmp_path: Path
) -> None:
    apply(resolve_host, note(REEL_START + 50, duration=6))
    elsewhere = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "other")
    try:
        elsewhere.call_on_main(elsewhere.start)
        [back] = elsewhere.call_on_main(elsewhere.stored_annotations)
    finally:
        elsewhere.close()
    assert (back.anchor.frame, back.anchor.last) == (REEL_START + 50, REEL_START + 55)


def test_an_author_has_one_colour_everywhere() -> None:
    assert colour_for("ana") == colour_for("ana") in MARKER_COLOURS
    assert len({colour_for(f"author-{i}") for i in range(40)}) > 8
    assert colour_for(None) == "Yellow"


def test_a_new_note_here_is_about_the_clip_under_the_playhead(
    resolve: Any, resolve_host: Any
) -> None:
    resolve_host.call_on_main(lambda: resolve_host.set_playhead(REEL_START + 40, False))
    anchor = resolve_host.call_on_main(resolve_host.anchor)
    assert anchor.object.label == "sh010" and anchor.object.item_frame == 40


@pytest.mark.parametrize("end_frame", ["after_last", "last"])
def test_a_note_in_a_gap_is_cut_short_at_the_timelines_last_frame(
    end_frame: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whichever ``GetEndFrame`` convention Resolve follows, once ``END_FRAME_AFTER_LAST`` says
    it, the timeline's last frame is the same: the reel's 156 frames end at offset 155."""
    from overshoulder.plugins.resolve import defaults

    monkeypatch.setattr(defaults, "END_FRAME_AFTER_LAST", end_frame == "after_last")
    resolve = resolve_control.open_resolve(end_frame=end_frame)
    host = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "notes")
    try:
        host.call_on_main(host.start)
        assert host.playhead().last == REEL_START + 155
        n = note(REEL_START + 90, duration=500)  # in the gap: a timeline marker
        apply(host, n)
        [(frame, info)] = resolve_control.timeline(resolve).markers.items()
        assert (frame, info["duration"]) == (90.0, 66.0)  # offsets 90-155
    finally:
        host.close()
        resolve_control.not_running()


@pytest.mark.parametrize("content", ["{not json", "null"])
def test_a_damaged_sidecar_starts_a_new_one_and_the_next_save_replaces_it(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "project.json"
    path.write_text(content, encoding="utf-8")
    sidecar = NoteSidecar(path)
    assert (sidecar.notes, sidecar.resolved) == ({}, set())
    sidecar.resolved.add("a1")
    sidecar.save()
    assert NoteSidecar(path).resolved == {"a1"}

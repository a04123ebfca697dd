"""Notes kept per frame, the notes file (round trip, atomic, refusals) and burned-in PNGs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from overshoulder.core.model import Anchor, Annotation, HostObject, Shape, Style, new_id
from overshoulder.plugins.player import (
    MediaError,
    NoteBook,
    NotesWriter,
    PlayerHost,
    burn_in,
    open_media,
    read_notes,
    to_pixels,
)
from tests.waiting import wait_for

from . import media_files
from .media_files import HEIGHT, WIDTH

GREEN = (0.0, 1.0, 0.0, 1.0)


def note(frame: int, shape: Shape, **kw: object) -> Annotation:
    fields: dict[str, object] = {
        "id": new_id(),
        "shape": shape,
        "anchor": Anchor(frame=frame, object=HostObject("player.clip", "/shots/a.####.exr")),
    }
    fields.update(kw)
    return Annotation(**fields)  # type: ignore[arg-type]


def stroke(frame: int, y: float = 0.1, color: tuple[float, ...] = GREEN) -> Annotation:
    return note(
        frame,
        Shape(kind="stroke", points=[[-0.5, y], [0.0, y], [0.5, y]]),
        style=Style(color=color, width=0.02),  # type: ignore[arg-type]
        text="hold this line",
        author="p1",
        author_name="Dana",
        created=1700000000.0,
    )


def read_png(path: Path) -> np.ndarray:
    buf = oiio.ImageBuf(str(path))
    return np.asarray(buf.get_pixels(oiio.UINT8))


# --- the note book ------------------------------------------------------------------------------


def test_the_note_book_keeps_notes_per_frame_and_reports_the_frames_that_changed() -> None:
    book = NoteBook()
    changes: list[set[int]] = []
    book.subscribe(changes.append)
    a, b = stroke(1001), stroke(1003)
    book.put(a)
    book.put(b)
    book.put(a)  # the same note again: nothing changed
    moved = dataclasses.replace(a, anchor=Anchor(frame=1002))
    book.put(moved)
    assert book.frames() == [1002, 1003]
    assert book.on(1002) == [moved]
    assert book.remove(b.id) and not book.remove(b.id)
    assert changes == [{1001}, {1003}, {1001, 1002}, {1003}]
    ranged = dataclasses.replace(moved, anchor=Anchor(frame=1002, duration=3))
    book.put(ranged)
    assert changes[-1] == {1002, 1003, 1004}
    assert book.frames() == [1002, 1003, 1004]
    assert book.on(1003) == book.on(1004) == [ranged] and book.on(1005) == []


# --- the notes file -------------------------------------------------------------------------------


@pytest.fixture
def shot(tmp_path: Path) -> Path:
    media_files.sequence(tmp_path / "plates", frames=range(1001, 1005))
    return tmp_path / "plates" / "shot.####.exr"


@pytest.fixture
def player(shot: Path) -> Iterator[PlayerHost]:
    host = PlayerHost(open_media(shot), autoplay=False)
    host.start()
    try:
        yield host
    finally:
        host.close()


def writer_for(player: PlayerHost, tmp_path: Path, **kw: object) -> NotesWriter:
    return NotesWriter(
        player.notes,
        player.playlist,
        player.display_image,
        notes_path=tmp_path / "notes.json",
        burnin_dir=tmp_path / "burn",
        **kw,  # type: ignore[arg-type]
    )


def test_the_notes_file_holds_each_frames_notes_and_reads_back_the_same(
    tmp_path: Path, player: PlayerHost
) -> None:
    writer = writer_for(player, tmp_path)
    writer.start()
    notes = [stroke(1002), stroke(1002, y=-0.2), stroke(1004)]
    for n in notes:
        player.call_on_main(lambda n=n: player.apply_annotation(n))
    writer.close()

    document = json.loads((tmp_path / "notes.json").read_text())
    assert document["format"] == "overshoulder.player.notes"
    assert document["media"] == str(player.playlist.source)
    assert [f["frame"] for f in document["frames"]] == [1002, 1004]
    first = document["frames"][0]
    assert first["file"].endswith("shot.1002.exr")
    assert len(first["notes"]) == 2
    saved = first["notes"][0]
    assert (saved["author_name"], saved["text"]) == ("Dana", "hold this line")
    assert saved["shape"]["kind"] == "stroke" and saved["anchor"]["frame"] == 1002
    back = read_notes(tmp_path / "notes.json")
    assert sorted(back, key=lambda n: n.id) == sorted(notes, key=lambda n: n.id)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".notes.json")], "temp file left"


def test_the_notes_file_follows_changes_while_sharing(tmp_path: Path, player: PlayerHost) -> None:
    writer = writer_for(player, tmp_path)
    writer.start()
    try:
        n = stroke(1003)
        player.call_on_main(lambda: player.apply_annotation(n))
        assert wait_for(lambda: [x.id for x in read_notes(tmp_path / "notes.json")] == [n.id])
        player.call_on_main(lambda: player.remove_annotation(n.id))
        assert wait_for(lambda: read_notes(tmp_path / "notes.json") == [])
    finally:
        writer.close()


def test_a_missing_notes_file_is_no_notes_and_a_foreign_one_is_refused(tmp_path: Path) -> None:
    assert read_notes(tmp_path / "none.json") == []
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(MediaError, match="invalid JSON"):
        read_notes(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"name": "something else"}')
    with pytest.raises(MediaError, match="not an Overshoulder notes file"):
        read_notes(tmp_path / "other.json")
    broken = {
        "format": "overshoulder.player.notes",
        "frames": [{"frame": 1, "notes": [{"id": new_id(), "anchor": {"frame": 1}}]}],
    }
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    with pytest.raises(MediaError, match=r"frames\[0\]\.notes\[0\]\.shape is required"):
        read_notes(tmp_path / "broken.json")


# --- burn-ins ---------------------------------------------------------------------------------


def test_ori_coordinates_become_pixels_as_the_protocol_says() -> None:
    assert to_pixels(0.4444444, 0.25, 1920, 1080) == pytest.approx((1440, 270), abs=1e-3)
    assert to_pixels(-0.8888889, 0.5, 1920, 1080) == pytest.approx((0, 0), abs=1e-3)
    assert to_pixels(0.0, 0.0, 320, 180) == (160.0, 90.0)


def test_a_burned_in_stroke_has_its_colour_on_its_pixels_and_nowhere_else(
    tmp_path: Path, player: PlayerHost
) -> None:
    writer = writer_for(player, tmp_path)
    writer.start()
    player.call_on_main(lambda: player.apply_annotation(stroke(1002, y=0.1)))
    writer.close()
    assert sorted(p.name for p in (tmp_path / "burn").iterdir()) == ["shot.1002.png"]
    image = read_png(tmp_path / "burn" / "shot.1002.png")
    assert image.shape == (HEIGHT, WIDTH, 3)
    # ORI (-0.5, 0.1)..(0.5, 0.1) on 320x180 is the row y = 90 - 18 = 72, x = 70..250.
    row = 72
    for x in (75, 120, 160, 200, 245):
        assert image[row, x].tolist() == [0, 255, 0], f"no stroke at ({x}, {row})"
    for x, y in ((40, row), (290, row), (160, row - 8), (160, row + 8)):
        assert image[y, x].tolist() != [0, 255, 0], f"stroke colour at ({x}, {y})"
    # Away from the stroke (and above the caption box), the frame itself, as displayed.
    frame = player.display_image(1002)
    assert np.abs(image[100, 10].astype(int) - frame[100, 10].astype(int)).max() <= 1
    assert frame[row, 160].tolist() != [0, 255, 0]


def test_a_range_note_is_burned_into_every_frame_of_its_range_the_playlist_has(
    tmp_path: Path, player: PlayerHost
) -> None:
    writer = writer_for(player, tmp_path)
    writer.start()
    try:
        pop = stroke(1002, y=0.1)
        pop = dataclasses.replace(pop, anchor=dataclasses.replace(pop.anchor, duration=5))
        player.call_on_main(lambda: player.apply_annotation(pop))
        writer.flush()
        # 1002-1006 on a playlist of 1001-1004: 1002, 1003 and 1004 get the marks.
        burned = sorted(p.name for p in (tmp_path / "burn").iterdir())
        assert burned == ["shot.1002.png", "shot.1003.png", "shot.1004.png"]
        middle = read_png(tmp_path / "burn" / "shot.1003.png")
        assert middle[72, 160].tolist() == [0, 255, 0]
        document = json.loads((tmp_path / "notes.json").read_text())
        assert [f["frame"] for f in document["frames"]] == [1002]
        assert document["frames"][0]["notes"][0]["anchor"]["duration"] == 5
        assert read_notes(tmp_path / "notes.json") == [pop]
        # Shortened to one frame: the frames after it lose their PNGs.
        one = dataclasses.replace(pop, anchor=pop.anchor.over(1002, 1002))
        player.call_on_main(lambda: player.apply_annotation(one))
        assert wait_for(lambda: not (tmp_path / "burn" / "shot.1003.png").exists())
        assert sorted(p.name for p in (tmp_path / "burn").iterdir()) == ["shot.1002.png"]
    finally:
        writer.close()


def test_rectangles_ellipses_arrows_and_text_are_drawn_where_they_belong() -> None:
    blank = np.zeros((180, 320, 3), dtype=np.uint8)
    red = Style(color=(1.0, 0.0, 0.0, 1.0), width=0.02)
    shapes = [
        Shape(kind="rect", min=(-0.5, -0.25), max=(0.5, 0.25)),
        Shape(kind="ellipse", min=(-0.25, -0.25), max=(0.25, 0.25)),
        Shape(kind="arrow", start=(-0.8, 0.4), end=(-0.6, 0.4)),
        Shape(kind="text", at=(0.55, -0.3), text="WIP", size=0.1),
    ]
    image = burn_in(blank, [note(1, s, style=red) for s in shapes])
    red_px = [255, 0, 0]
    assert image[45, 160].tolist() == red_px  # rect top edge: y = 90 - 0.25*180
    assert image[90, 70].tolist() == red_px  # rect left edge: x = 160 - 90
    assert image[90, 115].tolist() == red_px  # ellipse leftmost point: x = 160 - 45
    assert image[90, 160].tolist() == [0, 0, 0]  # inside: untouched
    assert image[18, 30].tolist() == red_px  # arrow shaft at y = 18
    assert image[18, 52].tolist() == red_px  # arrow tip: x = 160 - 0.6*180 = 52
    text_box = image[120:144, 259:320]  # text baseline at y = 144, from x = 259
    assert (text_box == red_px).all(axis=2).any()


def test_notes_marked_done_are_left_out_and_a_frame_without_notes_loses_its_png(
    tmp_path: Path, player: PlayerHost
) -> None:
    writer = writer_for(player, tmp_path)
    writer.start()
    try:
        n = stroke(1001)
        player.call_on_main(lambda: player.apply_annotation(n))
        png = tmp_path / "burn" / "shot.1001.png"
        assert wait_for(png.exists)
        done = dataclasses.replace(n, status="done")
        player.call_on_main(lambda: player.apply_annotation(done))
        assert wait_for(lambda: not png.exists())
        assert [x.status for x in read_notes(tmp_path / "notes.json")] == ["done"]
    finally:
        writer.close()


def test_notes_on_a_missing_frame_are_burned_onto_its_slate(tmp_path: Path, shot: Path) -> None:
    (shot.parent / "shot.1003.exr").unlink()
    host = PlayerHost(open_media(shot), autoplay=False)
    try:
        writer = writer_for(host, tmp_path)
        writer.start()
        host.call_on_main(lambda: host.apply_annotation(stroke(1003)))
        writer.close()
        image = read_png(tmp_path / "burn" / "shot.1003.png")
        assert image[72, 160].tolist() == [0, 255, 0]
    finally:
        host.close()

"""Naming a sequence: ``####``, ``%04d``, ``#``, a folder, one frame; range and gaps from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from overshoulder.plugins.player import MediaError, find_sequence, sequences_in


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


@pytest.mark.parametrize("pattern", ["shot.####.exr", "shot.%04d.exr", "shot.#.exr"])
def test_each_pattern_form_finds_the_frames_on_disk(tmp_path: Path, pattern: str) -> None:
    touch(tmp_path, "shot.1001.exr", "shot.1002.exr", "shot.1003.exr", "other.1001.exr")
    seq = find_sequence(tmp_path / pattern)
    assert seq.frames == (1001, 1002, 1003)
    assert (seq.first, seq.last, seq.missing) == (1001, 1003, ())
    assert seq.path(1002) == tmp_path.resolve() / "shot.1002.exr"
    assert seq.pattern == "shot.####.exr"


def test_the_padding_of_a_pattern_is_kept_and_a_single_hash_takes_any(tmp_path: Path) -> None:
    touch(tmp_path, "a.0001.png", "a.0002.png", "a.01.png", "b.1.png", "b.2.png", "b.10.png")
    assert find_sequence(tmp_path / "a.####.png").frames == (1, 2)
    assert find_sequence(tmp_path / "a.%02d.png").frames == (1,)
    unpadded = find_sequence(tmp_path / "b.%d.png")
    assert unpadded.frames == (1, 2, 10)
    assert unpadded.path(3).name == "b.3.png"
    assert find_sequence(tmp_path / "b.#.png").path(3).name == "b.3.png"


def test_gaps_come_from_the_files_on_disk(tmp_path: Path) -> None:
    touch(tmp_path, "shot.1001.exr", "shot.1002.exr", "shot.1005.exr")
    seq = find_sequence(tmp_path / "shot.####.exr")
    assert (seq.first, seq.last) == (1001, 1005)
    assert seq.missing == (1003, 1004)
    assert seq.describe() == "shot.####.exr (1001-1005, 2 missing)"


def test_a_folder_with_one_sequence_is_that_sequence(tmp_path: Path) -> None:
    touch(tmp_path, "plate_v003.0100.dpx", "plate_v003.0101.dpx", "notes.json", ".hidden.0001.exr")
    seq = find_sequence(tmp_path)
    assert seq.pattern == "plate_v003.####.dpx"
    assert seq.frames == (100, 101)


def test_a_folder_with_several_sequences_is_an_error_that_lists_them(tmp_path: Path) -> None:
    touch(tmp_path, "bg.1001.exr", "bg.1002.exr", "fg.0001.exr")
    with pytest.raises(MediaError) as caught:
        find_sequence(tmp_path)
    message = str(caught.value)
    assert "2 sequences" in message
    assert "bg.####.exr (1001-1002)" in message and "fg.####.exr (1-1)" in message
    assert [s.pattern for s in sequences_in(tmp_path)] == ["bg.####.exr", "fg.####.exr"]


def test_one_frame_of_a_sequence_stands_for_the_sequence(tmp_path: Path) -> None:
    touch(tmp_path, "shot_v012.1001.exr", "shot_v012.1002.exr")
    seq = find_sequence(tmp_path / "shot_v012.1002.exr")
    assert seq.pattern == "shot_v012.####.exr"
    assert seq.frames == (1001, 1002)


def test_a_file_without_a_frame_number_is_a_still(tmp_path: Path) -> None:
    touch(tmp_path, "poster.png")
    seq = find_sequence(tmp_path / "poster.png")
    assert seq.still and seq.frames == (1,)
    assert seq.path(1) == tmp_path.resolve() / "poster.png"


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("nothing/shot.####.exr", "no such folder"),
        ("shot.####.exr", "no frames on disk match"),
        ("missing.exr", "no such file or folder"),
        ("empty", "no image files in this folder"),
        ("shot.##.%04d.exr", "more than one frame number token"),
    ],
)
def test_a_path_with_nothing_to_play_says_why(tmp_path: Path, given: str, says: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(MediaError, match=says):
        find_sequence(tmp_path / given)

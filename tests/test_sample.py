"""The demo's sample sequence: what the files say, what the picture holds, rendered only once."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from overshoulder import sample
from overshoulder.core.codec import DisplayTransform
from overshoulder.plugins.player import open_media, read_frame
from overshoulder.plugins.player.images import probe

SIZE = (96, 54)


def mtimes(made: sample.Sample) -> list[int]:
    return [p.stat().st_mtime_ns for p in made.paths]


def temporaries(folder: Path) -> list[str]:
    """Files a render left besides the frames and the manifest."""
    return sorted(
        p.name
        for p in folder.iterdir()
        if p.name != sample.MANIFEST and not re.fullmatch(r"shot\.\d{4}\.exr", p.name)
    )


def test_the_files_are_labelled_scene_linear_rec709_and_the_codec_takes_its_exact_table(
    tmp_path: Path,
) -> None:
    made = sample.ensure_sample(tmp_path, frames=3, size=SIZE, jobs=1)
    assert (made.rendered, made.first, made.last) == (3, 1001, 1003)
    assert sorted(p.name for p in tmp_path.glob("*.exr")) == [
        "shot.1001.exr",
        "shot.1002.exr",
        "shot.1003.exr",
    ]
    info = probe(made.path(1001), 1001)
    assert (info.width, info.height, info.colorspace, info.fps) == (*SIZE, "lin_rec709_scene", 24)
    inp = oiio.ImageInput.open(str(made.path(1001)))
    try:
        spec = inp.spec()
        assert spec.format == oiio.HALF and tuple(spec.channelnames) == ("R", "G", "B")
        assert spec.getattribute("chromaticities") == pytest.approx(
            sample.REC709_CHROMATICITIES, abs=1e-6
        )
    finally:
        inp.close()
    frame = read_frame(made.path(1002), 1002)
    assert frame.pixels.dtype == np.float16
    assert DisplayTransform(frame.colorspace).path(frame.pixels.dtype) == "lut"
    playlist = open_media(str(made.pattern))
    assert (playlist.first, playlist.last, playlist.rate) == (1001, 1003, 24.0)


def test_complete_files_are_kept_and_only_what_is_missing_is_rendered(tmp_path: Path) -> None:
    made = sample.ensure_sample(tmp_path, frames=4, size=SIZE, jobs=1)
    before = mtimes(made)
    again = sample.ensure_sample(tmp_path, frames=4, size=SIZE, jobs=1)
    assert again.rendered == 0 and mtimes(again) == before

    made.path(1003).unlink()
    made.path(1002).write_bytes(b"")  # a damaged file counts as missing
    calls: list[tuple[int, int]] = []
    fixed = sample.ensure_sample(
        tmp_path, frames=4, size=SIZE, jobs=1, progress=lambda d, t: calls.append((d, t))
    )
    assert fixed.rendered == 2 and calls == [(0, 2), (1, 2), (2, 2)]
    after = mtimes(fixed)
    assert (after[0], after[3]) == (before[0], before[3])
    assert temporaries(tmp_path) == []


def test_other_settings_replace_the_old_frames(tmp_path: Path) -> None:
    sample.ensure_sample(tmp_path, frames=4, size=SIZE, jobs=1)
    made = sample.ensure_sample(tmp_path, frames=2, size=(64, 36), jobs=2)
    assert made.rendered == 2
    assert sorted(p.name for p in tmp_path.glob("*.exr")) == ["shot.1001.exr", "shot.1002.exr"]
    assert probe(made.path(1002), 1002).width == 64
    manifest = json.loads((tmp_path / sample.MANIFEST).read_text())
    assert (manifest["frames"], manifest["width"], manifest["height"]) == (2, 64, 36)


def test_a_progress_callback_that_raises_stops_the_rendering(tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sample.ensure_sample(tmp_path, frames=6, size=SIZE, jobs=2, progress=interrupt)
    assert temporaries(tmp_path) == []
    done = sample.ensure_sample(tmp_path, frames=6, size=SIZE, jobs=1)
    assert 0 < done.rendered < 6  # what was finished before the interruption is kept


def test_a_temporary_left_by_a_killed_render_is_removed_and_not_taken_for_a_frame(
    tmp_path: Path,
) -> None:
    made = sample.ensure_sample(tmp_path, frames=2, size=SIZE, jobs=1)
    # What a render killed while writing frame 1002 leaves: the frame's temporary, cut short.
    made.path(1002).unlink()
    left = tmp_path / ".shot.1002.exr.4242.1.tmp.exr"
    left.write_bytes(made.path(1001).read_bytes()[:100])
    again = sample.ensure_sample(tmp_path, frames=2, size=SIZE, jobs=1)
    assert again.rendered == 1 and temporaries(tmp_path) == []
    assert probe(again.path(1002), 1002).width == SIZE[0]
    assert open_media(str(again.pattern)).last == 1002


def test_the_picture_holds_bars_a_counter_and_moves() -> None:
    width, height = 320, 180
    frames = [sample.render_frame(i, 8, width, height) for i in (0, 1, 8)]
    assert all(f.shape == (height, width, 3) and f.dtype == np.float32 for f in frames)
    assert all(f.min() >= 0.0 for f in frames)
    assert frames[0].max() > 2.0  # the disc's highlight is above display white
    display = [DisplayTransform(sample.COLORSPACE).apply(f.astype(np.float16)) for f in frames]
    for i, rgb in enumerate(sample.BARS):
        x = int((i + 0.5) * width / len(sample.BARS))
        patch = display[0][30:40, x - 4 : x + 4].reshape(-1, 3).mean(axis=0)
        assert np.abs(patch - np.array(rgb) * 191.0).max() < 12, (i, patch)
    # Frame 1 differs from frame 0 (shapes, counter, grain); frame 8 of an 8-frame loop is
    # frame 0's picture again apart from its number and grain.
    counter = (slice(int(height * 0.7), height), slice(int(width * 0.6), width))
    shapes = (slice(height // 2, int(height * 0.7)), slice(0, int(width * 0.6)))
    assert np.abs(display[1].astype(int) - display[0].astype(int))[shapes].mean() > 1
    loop = np.abs(display[2].astype(int) - display[0].astype(int))
    assert loop[shapes].mean() < 4 and loop[counter].mean() > 4


def test_without_a_font_the_digits_are_drawn_with_numpy() -> None:
    cover, left, top = sample._segment_glyphs("1048", 40)
    assert (left, top) == (0, -40) and cover.shape[0] == 40
    assert 0.1 < cover.mean() < 0.6
    # Each digit has its own pattern: "1" lights fewer pixels than "8".
    one, _, _ = sample._segment_glyphs("1", 40)
    eight, _, _ = sample._segment_glyphs("8", 40)
    assert one.sum() < eight.sum()


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="frames"):
        sample.ensure_sample(tmp_path, frames=0)
    with pytest.raises(ValueError, match="size"):
        sample.ensure_sample(tmp_path, size=(8, 8))

"""Opening media: formats and their colour spaces, multi-part EXRs, frame rates, display windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from overshoulder.plugins.player import MediaError, open_media, read_frame

from . import media_files
from .media_files import HEIGHT, WIDTH


@pytest.mark.parametrize(
    ("ext", "pixel_type", "dtype", "label"),
    [
        ("exr", "half", np.float16, "lin_rec709 (EXR default)"),
        ("exr", "float", np.float32, "lin_rec709 (EXR default)"),
        ("dpx", "float", np.float32, "lin_rec709 (float default)"),
        ("dpx", "uint16", np.uint16, "sRGB (integer default)"),
        ("tif", "uint8", np.uint8, "sRGB (integer default)"),
        ("tif", "uint16", np.uint16, "sRGB (integer default)"),
        ("png", "uint8", np.uint8, "srgb_rec709_scene (from the file)"),
        ("jpg", "uint8", np.uint8, "srgb_rec709_scene (from the file)"),
    ],
)
def test_each_format_reads_as_rgb_with_its_colour_space(
    tmp_path: Path, ext: str, pixel_type: str, dtype: type, label: str
) -> None:
    media_files.sequence(tmp_path, frames=[7], ext=ext, pixel_type=pixel_type)
    playlist = open_media(tmp_path / f"shot.####.{ext}")
    image = playlist.clips[0].read(7)
    assert image.pixels.shape == (HEIGHT, WIDTH, 3)
    assert image.pixels.dtype == dtype
    assert image.colour is not None and image.colour.label == label
    assert image.colorspace == label.split(" ")[0]
    expected = media_files.frame_pixels(7)
    got = image.pixels.astype(np.float32)
    if np.issubdtype(dtype, np.integer):
        got /= np.iinfo(dtype).max
    if ext == "jpg":  # lossy: close on average
        assert float(np.abs(got - expected).mean()) < 0.01
    else:
        assert np.allclose(got, expected, atol=0.01)


def test_the_files_colour_space_metadata_wins_and_the_option_overrides_it(tmp_path: Path) -> None:
    path = tmp_path / "acescg.0001.exr"
    media_files.write_image(path, media_files.frame_pixels(1), colorspace="ACEScg")
    assert read_frame(path, 1).colorspace == "lin_ap1_scene"  # OpenImageIO's name for ACEScg
    playlist = open_media(path, colorspace="lin_rec709")
    image = playlist.clips[0].read(1)
    assert image.colorspace == "lin_rec709"
    assert image.colour is not None and image.colour.label == "lin_rec709 (--colorspace)"


def test_the_frame_rate_comes_from_the_files_unless_given(tmp_path: Path) -> None:
    media_files.sequence(tmp_path, frames=[1, 2], fps=(25, 1))
    assert open_media(tmp_path / "shot.####.exr").rate == 25.0
    assert open_media(tmp_path / "shot.####.exr", fps=23.976).rate == 23.976
    bare = tmp_path / "bare"
    media_files.sequence(bare, frames=[1, 2], ext="png")
    assert open_media(bare).rate == 24.0


def test_a_multi_part_exr_shows_the_first_part_with_rgb_unless_a_part_is_named(
    tmp_path: Path,
) -> None:
    parts = [("depth", ["Z"], 0.25), ("beauty", ["R", "G", "B", "A"], 0.5), ("spec", "RGB", 0.75)]
    media_files.multipart_exr(tmp_path / "mp.0001.exr", parts)
    default = open_media(tmp_path / "mp.####.exr").clips[0].read(1)
    assert default.pixels.shape == (HEIGHT, WIDTH, 3)
    assert np.allclose(default.pixels.astype(np.float32), 0.5)
    named = open_media(tmp_path / "mp.####.exr", part="spec").clips[0].read(1)
    assert np.allclose(named.pixels.astype(np.float32), 0.75)
    grey = open_media(tmp_path / "mp.####.exr", part="depth").clips[0].read(1)
    assert np.allclose(grey.pixels.astype(np.float32), 0.25)


def test_an_unknown_part_is_an_error_listing_the_parts(tmp_path: Path) -> None:
    media_files.multipart_exr(tmp_path / "mp.0001.exr", [("beauty", "RGB", 0.5), ("Z", "Z", 1)])
    with pytest.raises(MediaError, match=r"no part named 'diffuse'; its parts are: beauty, Z"):
        open_media(tmp_path / "mp.####.exr", part="diffuse")


def test_layer_channels_in_one_part_are_found(tmp_path: Path) -> None:
    spec = oiio.ImageSpec(WIDTH, HEIGHT, 4, "half")
    spec.channelnames = ("depth.Z", "diffuse.B", "diffuse.G", "diffuse.R")
    out = oiio.ImageOutput.create(str(tmp_path / "layers.1.exr"))
    out.open(str(tmp_path / "layers.1.exr"), spec)
    data = np.zeros((HEIGHT, WIDTH, 4), dtype=np.float32)
    data[:, :, 3] = 1.0  # diffuse.R
    out.write_image(data)
    out.close()
    image = open_media(tmp_path / "layers.#.exr").clips[0].read(1)
    assert image.pixels[0, 0].astype(np.float32).tolist() == [1.0, 0.0, 0.0]


def test_a_data_window_is_placed_in_the_display_window(tmp_path: Path) -> None:
    spec = oiio.ImageSpec(100, 50, 3, "half")
    spec.x, spec.y = 20, 10
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, WIDTH, HEIGHT
    path = tmp_path / "crop.0001.exr"
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), spec)
    out.write_image(np.ones((50, 100, 3), dtype=np.float32))
    out.close()
    playlist = open_media(path)
    assert (playlist.clips[0].width, playlist.clips[0].height) == (WIDTH, HEIGHT)
    pixels = playlist.clips[0].read(1).pixels.astype(np.float32)
    assert pixels.shape == (HEIGHT, WIDTH, 3)
    assert pixels[10, 20, 0] == 1.0 and pixels[59, 119, 0] == 1.0
    assert pixels[9, 20, 0] == 0.0 and pixels[10, 120, 0] == 0.0


def test_a_sequence_is_one_clip_whose_timeline_frames_are_its_file_frames(tmp_path: Path) -> None:
    media_files.sequence(tmp_path, frames=range(1001, 1004))
    playlist = open_media(tmp_path / "shot.%04d.exr")
    assert (playlist.first, playlist.last, len(playlist.clips)) == (1001, 1003, 1)
    clip, source_frame = playlist.locate(1002)
    assert source_frame == 1002
    assert clip.path(source_frame).name == "shot.1002.exr"
    assert clip.media_path == str(tmp_path.resolve() / "shot.####.exr")

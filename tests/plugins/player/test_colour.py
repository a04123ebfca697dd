"""Colour: what reviewers see is what the file holds, and the badge says what it was taken as.

Reference numbers: a linear 0.5 red in Rec.709 is sRGB-encoded as 1.055 * 0.5^(1/2.4) - 0.055
= 0.7354, 187.5 of 255: the reference render shows 188. Taken as ACEScg (the OCIO config's
``scene_linear`` role, what untagged EXRs used to be read as) the same pixel shows 238.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Optional

import numpy as np
import OpenImageIO as oiio
import pytest

from overshoulder.core.codec import DisplayTransform, primaries
from overshoulder.plugins.player import PlayerHost, open_media, read_frame, render_slate
from overshoulder.plugins.player.errors import FrameUnreadable
from overshoulder.plugins.player.images import probe
from tests.conftest import ARTIFACTS

from . import media_files

#: 8-bit sRGB of linear 0.5 (Rec.709 red at half intensity): the reference render's value.
REFERENCE_RED = 188
#: The same pixel taken as ACEScg (the old default): too saturated, too bright.
ACESCG_RED = 238

#: A luminance/chroma EXR, 8x4: Y at full resolution (0.5), RY (0.1) and BY (-0.1) sampled
#: every 2nd pixel in x and y; no compression. Written by the OpenEXR 3.5 Python package
#: (``OpenEXR.File(header, {"Y": Channel("Y", y, 1, 1), "RY": Channel("RY", ry, 2, 2), ...})``),
#: which OpenImageIO refuses to open: "Subsampled channels are not supported".
LUMA_CHROMA_EXR = bytes.fromhex(
    "762f3101020000006368616e6e656c730063686c697374003900000042590001000000000000000200000002"
    "000000525900010000000000000002000000020000005900010000000000000001000000010000000063"
    "6f6d7072657373696f6e00636f6d7072657373696f6e0001000000006461746157696e646f7700626f78"
    "3269001000000000000000000000000700000003000000646973706c617957696e646f7700626f783269"
    "0010000000000000000000000007000000030000006c696e654f72646572006c696e654f726465720001"
    "00000000706978656c417370656374526174696f00666c6f617400040000000000803f73637265656e57"
    "696e646f7743656e746572007632660008000000000000000000000073637265656e57696e646f775769"
    "64746800666c6f617400040000000000803f7479706500737472696e67000d0000007363616e6c696e65"
    "696d616765007801000000000000a001000000000000b801000000000000e00100000000000000000000"
    "2000000066ae66ae66ae66ae662e662e662e662e00380038003800380038003800380038010000001000"
    "000000380038003800380038003800380038020000002000000066ae66ae66ae66ae662e662e662e662e"
    "00380038003800380038003800380038030000001000000000380038003800380038003800380038"
)


def write_exr(
    path: Path,
    pixels: Any,
    *,
    pixel_type: str = "float",
    chromaticities: Optional[tuple[float, ...]] = None,
    neutral: Optional[tuple[float, float]] = None,
) -> Path:
    height, width, channels = pixels.shape
    spec = oiio.ImageSpec(width, height, channels, pixel_type)
    if chromaticities is not None:
        spec.attribute("chromaticities", oiio.TypeDesc("float[8]"), tuple(chromaticities))
    if neutral is not None:
        spec.attribute("adoptedNeutral", oiio.TypeDesc("float[2]"), neutral)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = oiio.ImageOutput.create(str(path))
    assert out is not None and out.open(str(path), spec), oiio.geterror()
    assert out.write_image(np.ascontiguousarray(pixels)), out.geterror()
    out.close()
    return path


def chart() -> Any:
    """Linear Rec.709: saturated patches (0.5 red first), greys, a ramp, highlights; float32."""
    patches = [
        (0.5, 0.0, 0.0),
        (0.0, 0.5, 0.0),
        (0.0, 0.0, 0.5),
        (0.9, 0.8, 0.0),
        (0.0, 0.7, 0.9),
        (0.18, 0.18, 0.18),
        (1.0, 1.0, 1.0),
        (4.0, 2.0, 0.5),
    ]
    image = np.zeros((48, 128, 3), dtype=np.float32)
    for i, rgb in enumerate(patches):
        image[:24, i * 16 : (i + 1) * 16] = rgb
    ramp = np.linspace(0.0, 1.2, 128, dtype=np.float32)
    image[24:36] = ramp[None, :, None] * np.array([1.0, 0.6, 0.3], dtype=np.float32)
    image[36:] = np.random.default_rng(5).uniform(0.0, 1.0, (12, 128, 3)).astype(np.float32)
    return image


def ocio_convert(pixels: Any, source: str, target: str) -> Any:
    """``pixels`` from ``source`` to ``target`` by OpenImageIO's OCIO (the built-in config)."""
    out = oiio.ImageBufAlgo.colorconvert(
        oiio.ImageBuf(np.ascontiguousarray(pixels)), source, target
    )
    assert not out.has_error, out.geterror()
    return np.asarray(out.get_pixels(oiio.FLOAT), dtype=np.float32)


def shown(path: Path, frame: int = 1) -> tuple[Any, Any]:
    """What a reviewer is sent for ``path`` (the capture, decoded by the codec) and the image."""
    host = PlayerHost(open_media(path), autoplay=False)
    try:
        capture = host.capture()
        assert capture is not None
        return capture, host.display_image(frame)
    finally:
        host.close()


def max_code_difference(a: Any, b: Any) -> int:
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())


# --- untagged float EXRs ---------------------------------------------------------------------


@pytest.mark.parametrize("pixel_type", ["half", "float"])
def test_an_untagged_float_exr_is_linear_rec709_as_openexr_says(
    tmp_path: Path, pixel_type: str
) -> None:
    path = write_exr(tmp_path / "plate.0001.exr", chart(), pixel_type=pixel_type)
    capture, image = shown(path)
    assert capture.colorspace == "lin_rec709" and capture.matrix is None
    assert capture.colorspace_label == "lin_rec709 (EXR default)"
    assert image[10, 8].tolist() == [REFERENCE_RED, 0, 0], "0.5 linear red is 188 in sRGB"
    assert DisplayTransform("scene_linear").apply(chart()[10:11, 8:9])[0, 0, 0] == ACESCG_RED
    # The exact fast path: half floats through the exact table, as OpenImageIO computes it.
    dtype = capture.pixels.dtype
    assert DisplayTransform.of(capture).path(dtype) == (
        "lut" if pixel_type == "half" else "uniform"
    )
    assert max_code_difference(image, oiio_srgb(chart(), "lin_rec709")) <= 1


def oiio_srgb(pixels: Any, source: str) -> Any:
    """OpenImageIO's own 8-bit result for ``pixels`` in ``source`` (the reference)."""
    src = oiio.ImageBuf(np.ascontiguousarray(pixels))
    height, width = pixels.shape[:2]
    dst = oiio.ImageBuf(oiio.ImageSpec(width, height, 3, oiio.UINT8))
    assert oiio.ImageBufAlgo.colorconvert(dst, src, source, "sRGB")
    return np.asarray(dst.get_pixels(oiio.UINT8))


# --- the chromaticities attribute ------------------------------------------------------------


def test_an_exr_whose_rgb_are_the_cie_xyz_axes_looks_like_its_rec709_twin(tmp_path: Path) -> None:
    rec709 = chart()
    # The twin, by OCIO (not by the code under test): CIE XYZ of the same colours, D65 seen.
    xyz = ocio_convert(rec709, "lin_rec709", "CIE XYZ-D65 - Scene-referred")
    assert np.abs(xyz[10, 8] - [0.2062, 0.1063, 0.0097]).max() < 1e-3  # 0.5 x Rec.709 red's XYZ
    twin = write_exr(tmp_path / "rec709.0001.exr", rec709)
    axes = write_exr(tmp_path / "xyz.0001.exr", xyz, chromaticities=primaries.CIE_XYZ)
    _, twin_image = shown(twin)
    capture, image = shown(axes)
    assert max_code_difference(image, twin_image) <= 1
    assert image[10, 8].tolist() == [REFERENCE_RED, 0, 0]
    assert capture.colorspace_label == "CIE XYZ \u2192 lin_rec709 (from chromaticities)"
    assert capture.matrix is not None
    # In the fast path: one matrix (the file's and the transform's together) and a table.
    assert DisplayTransform.of(capture).path(np.float32) == "matrix"
    # Ignoring the attribute (the bug) shows XYZ numbers as if they were Rec.709 RGB.
    wrong = DisplayTransform("lin_rec709").apply(xyz)
    assert max_code_difference(wrong, twin_image) > 40


@pytest.mark.parametrize(
    ("name", "colorspace"),
    [("ACEScg (AP1)", "ACEScg"), ("ACES2065-1 (AP0)", "ACES2065-1"), ("Rec.2020", "lin_rec2020")],
)
def test_other_primaries_and_white_points_look_like_their_rec709_twin(
    tmp_path: Path, name: str, colorspace: str
) -> None:
    """AP0 and AP1 have the ACES white (D60): Bradford-adapted to D65, as OCIO's config does."""
    rec709 = chart()
    other = ocio_convert(rec709, "lin_rec709", colorspace)
    twin = write_exr(tmp_path / "rec709.0001.exr", rec709)
    tagged = write_exr(tmp_path / "other.0001.exr", other, chromaticities=primaries.KNOWN[name])
    _, twin_image = shown(twin)
    capture, image = shown(tagged)
    assert max_code_difference(image, twin_image) <= 1
    assert capture.colorspace_label == f"{name} \u2192 lin_rec709 (from chromaticities)"


def test_half_float_files_with_chromaticities_stay_within_their_own_rounding(
    tmp_path: Path,
) -> None:
    rec709 = chart()
    other = ocio_convert(rec709, "lin_rec709", "ACEScg").astype(np.float16)
    tagged = write_exr(
        tmp_path / "ap1.0001.exr",
        other,
        pixel_type="half",
        chromaticities=primaries.KNOWN["ACEScg (AP1)"],
    )
    capture, image = shown(tagged)
    assert DisplayTransform.of(capture).path(np.float16) == "matrix"
    reference = oiio_srgb(other.astype(np.float32), "ACEScg")  # OCIO from the very same halfs
    assert max_code_difference(image, reference) <= 1


def test_rec709_chromaticities_keep_the_exact_table(tmp_path: Path) -> None:
    path = write_exr(
        tmp_path / "tagged.0001.exr", chart(), pixel_type="half", chromaticities=primaries.REC709
    )
    capture, image = shown(path)
    assert capture.matrix is None and capture.colorspace_label == "lin_rec709 (from chromaticities)"
    assert DisplayTransform.of(capture).path(np.float16) == "lut"
    assert image[10, 8].tolist() == [REFERENCE_RED, 0, 0]


def test_an_adopted_neutral_is_the_white_adapted_from(tmp_path: Path) -> None:
    """Rec.709 primaries whose author calls D60 neutral: D60 greys show as neutral grey."""
    d60 = primaries.KNOWN["ACEScg (AP1)"][6:8]
    xyz_d60 = np.array([d60[0] / d60[1], 1.0, (1 - d60[0] - d60[1]) / d60[1]]) * 0.18
    grey_d60 = np.linalg.inv(primaries.rgb_to_xyz(primaries.REC709)) @ xyz_d60
    pixels = np.broadcast_to(grey_d60.astype(np.float32), (4, 4, 3)).copy()
    path = write_exr(tmp_path / "n.0001.exr", pixels, chromaticities=primaries.REC709, neutral=d60)
    capture, image = shown(path)
    assert capture.matrix is not None
    r, g, b = image[0, 0].tolist()
    assert max(r, g, b) - min(r, g, b) <= 1, (
        f"a D60 grey under a D60 neutral shows grey, got {r, g, b}"
    )


def test_the_colorspace_option_wins_over_chromaticities(tmp_path: Path) -> None:
    path = write_exr(tmp_path / "x.0001.exr", chart(), chromaticities=primaries.CIE_XYZ)
    host = PlayerHost(open_media(path, colorspace="lin_rec709"), autoplay=False)
    try:
        capture = host.capture()
        assert capture is not None and capture.matrix is None
        assert capture.colorspace_label == "lin_rec709 (--colorspace)"
    finally:
        host.close()


def test_chromaticities_that_describe_no_rgb_space_are_a_slate_saying_so(tmp_path: Path) -> None:
    on_a_line = (0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.3127, 0.329)
    path = write_exr(tmp_path / "odd.0001.exr", chart(), chromaticities=on_a_line)
    with pytest.raises(FrameUnreadable, match=r"colour cannot be known: .*lie on one line"):
        read_frame(path, 1)


# --- frames OpenImageIO cannot read ----------------------------------------------------------


def test_a_luminance_chroma_exr_with_subsampled_channels_is_a_slate_naming_why(
    tmp_path: Path,
) -> None:
    good = media_files.sequence(tmp_path, frames=[1001])[0]
    (tmp_path / "shot.1002.exr").write_bytes(LUMA_CHROMA_EXR)
    assert oiio.ImageInput.open(str(tmp_path / "shot.1002.exr")) is None
    assert "Subsampled channels" in oiio.geterror()
    host = PlayerHost(open_media(good), autoplay=False, frame=1002)
    try:
        capture = host.capture()
        problem = host.problem(1002)
        assert problem is not None and problem.path.name == "shot.1002.exr"
        assert problem.reason.startswith("subsampled channels (BY, RY at 1/2 x 1/2)")
        assert "luminance/chroma" in problem.reason
        assert capture is not None and capture.colorspace_label == "sRGB (slate)"
        assert (capture.width, capture.height) == (media_files.WIDTH, media_files.HEIGHT)
    finally:
        host.close()


def test_a_damaged_file_whose_message_is_not_utf8_is_unreadable_naming_the_file(
    tmp_path: Path,
) -> None:
    """OpenImageIO quotes the damaged bytes back; its binding cannot make them a str."""
    clean = media_files.sequence(tmp_path, frames=[1])[0].read_bytes()
    damaged = tmp_path / "shot.0002.exr"
    damaged.write_bytes(clean.replace(b"chlist", b"c\xffhlist", 1))
    with pytest.raises(UnicodeDecodeError):
        oiio.ImageInput.open(str(damaged))
        oiio.geterror()
    with pytest.raises(FrameUnreadable) as caught:
        read_frame(damaged, 2)
    assert caught.value.path == damaged and caught.value.frame == 2
    assert "Invalid type 'c\\xffhlist'" in caught.value.reason
    assert str(tmp_path) not in caught.value.reason  # the file is named once, by FrameUnreadable
    # Opening the sequence probes its first frames: the damaged one is skipped, not fatal.
    with pytest.raises(FrameUnreadable, match="c\\\\xffhlist"):
        probe(damaged, 2)
    (tmp_path / "shot.0001.exr").rename(tmp_path / "shot.0003.exr")
    playlist = open_media(tmp_path / "shot.####.exr")
    assert (playlist.first, playlist.last) == (2, 3)
    assert (playlist.clips[0].width, playlist.clips[0].height) == (
        media_files.WIDTH,
        media_files.HEIGHT,
    )


def test_fuzzed_and_truncated_exrs_read_or_raise_frame_unreadable_never_anything_else(
    tmp_path: Path,
) -> None:
    """Damaged bytes anywhere (the header's names and types too): never a UnicodeDecodeError."""
    bases = []
    for compression in ("zip", "piz", "none", "rle"):
        path = tmp_path / f"base_{compression}.exr"
        pixels = media_files.frame_pixels(1, 32, 16)
        spec = oiio.ImageSpec(32, 16, 3, "half")
        spec.attribute("compression", compression)
        out = oiio.ImageOutput.create(str(path))
        assert out.open(str(path), spec) and out.write_image(pixels)
        out.close()
        bases.append(path.read_bytes())
    rng = random.Random(20261202)
    target = tmp_path / "fuzz.0001.exr"
    outcomes = {"read": 0, "unreadable": 0, "not utf-8": 0}
    for _ in range(400):
        data = bytearray(rng.choice(bases))
        if rng.random() < 0.25:
            data = data[: rng.randrange(8, len(data))]
        else:
            header = data.index(b"\x00\x00", 8)  # damage the header's text as often as the pixels
            for _ in range(rng.randint(1, 6)):
                where = (
                    rng.randrange(8, header + 200)
                    if rng.random() < 0.5
                    else rng.randrange(len(data))
                )
                data[min(where, len(data) - 1)] = rng.choice(
                    [0x80, 0xAD, 0xC3, 0xFF, rng.randrange(256)]
                )
        target.write_bytes(bytes(data))
        try:
            read_frame(target, 1)
            outcomes["read"] += 1
        except FrameUnreadable as problem:
            assert problem.path == target and problem.reason
            outcomes["unreadable"] += 1
            outcomes["not utf-8"] += "\\x" in problem.reason
    assert outcomes["unreadable"] > 100 and outcomes["not utf-8"] > 0, outcomes


# --- the slate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(1080, 1920), (320, 180), (180, 320), (96, 54)])
def test_the_slate_title_fits_the_slate_whatever_its_shape(width: int, height: int) -> None:
    problem = FrameUnreadable(
        Path("/shows/x/shot_comp_v012.1003.exr"), 1003, "damaged or truncated"
    )
    image = render_slate(problem, width, height)
    ARTIFACTS.joinpath("player").mkdir(parents=True, exist_ok=True)
    oiio.ImageBuf(image).write(str(ARTIFACTS / "player" / f"slate-{width}x{height}.png"))
    background = image[-1, -1]
    inked = np.any(image != background, axis=2)
    band = max(2, height // 60)
    inked[:band] = False
    margin = max(4, width // 24)
    assert not inked[:, width - margin + 2 :].any(), "text ran past the right margin"
    rows = np.flatnonzero(inked.any(axis=1))
    assert rows.size and rows.min() < height / 3, "the title is drawn near the top"

"""The frame pipeline: display transform, scaling, JPEG/PNG, hashing, and the FrameEncoder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Optional

import numpy as np
import pytest
import simplejpeg

from overshoulder.core.codec import (
    COLOR_EXTRA_HINT,
    MAX_SIDE,
    DisplayTransform,
    FrameEncoder,
    decode_jpeg,
    decode_png,
    downscale,
    encode_jpeg,
    encode_png,
    encoded_hash,
    fit_size,
    primaries,
)
from overshoulder.core.host import Capture
from overshoulder.core.protocol.packet import FLAG_LOSSLESS, FLAG_REFINEMENT, FrameHeader

oiio = pytest.importorskip("OpenImageIO")

LINEAR_709 = DisplayTransform("lin_rec709")


# --- helpers ---------------------------------------------------------------------------------


class FakeClock:
    """The encoder's injectable clock: time moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Frames:
    """Collects what ``on_frame`` receives; lets a test wait for a count."""

    def __init__(self) -> None:
        self.got: list[tuple[FrameHeader, bytes]] = []
        self.cond = threading.Condition()

    def __call__(self, header: FrameHeader, payload: bytes) -> None:
        with self.cond:
            self.got.append((header, payload))
            self.cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[FrameHeader, bytes]]:
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.got) >= count, timeout)
        assert ok, f"expected {count} frames, got {len(self.got)}"
        return self.got

    @property
    def headers(self) -> list[FrameHeader]:
        return [h for h, _ in self.got]


def scene(width: int, height: int, seed: int = 0, channels: int = 4) -> np.ndarray:
    """A smooth scene-linear half-float image with mild grain (what a render looks like)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = x / width, y / height
    rgb = np.stack([0.05 + 0.9 * u, 0.05 + 0.6 * v, 0.3 + 0.5 * u * v], axis=2)
    rgb *= 1.0 + rng.standard_normal((height, width, 1)).astype(np.float32) * 0.01
    planes = [rgb, np.ones((height, width, 1), np.float32)][: 1 if channels == 3 else 2]
    return np.concatenate(planes, axis=2).astype(np.float16)[:, :, :channels]


def capture(
    pixels: np.ndarray, frame: int = 1, colorspace: Optional[str] = "lin_rec709"
) -> Capture:
    height, width = pixels.shape[:2]
    return Capture(frame=frame, width=width, height=height, pixels=pixels, colorspace=colorspace)


def oiio_colorconvert_u8(rgb: np.ndarray, source: str, target: str = "sRGB") -> np.ndarray:
    """OpenImageIO's own colorconvert of a whole image, quantised by OpenImageIO."""
    src = oiio.ImageBuf(np.ascontiguousarray(rgb))
    dst = oiio.ImageBuf(oiio.ImageSpec(rgb.shape[1], rgb.shape[0], 3, oiio.UINT8))
    assert oiio.ImageBufAlgo.colorconvert(dst, src, source, target)
    return np.asarray(dst.get_pixels(oiio.UINT8)).reshape(rgb.shape[0], rgb.shape[1], 3)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    err = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10.0 * np.log10(255.0**2 / err) if err else float("inf")


@pytest.fixture
def frames() -> Frames:
    return Frames()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def encoder(frames: Frames, clock: FakeClock) -> Iterator[FrameEncoder]:
    enc = FrameEncoder(frames, still_after_s=1.0, clock=clock)
    yield enc
    enc.close()


# --- display transform -----------------------------------------------------------------------


def test_linear_to_srgb_of_known_values_matches_oiio_colorconvert() -> None:
    greys = np.array([[[0.0] * 3, [0.18] * 3, [1.0] * 3]], dtype=np.float32)
    for transform in (DisplayTransform(), LINEAR_709):
        out = transform.apply(greys)
        assert out[0, :, 0].tolist() == [0, 118, 255]
        assert np.array_equal(out, oiio_colorconvert_u8(greys, transform.colorspace or ""))
    assert DisplayTransform().key == "scene_linear|sRGB|default"


def test_half_float_table_equals_the_oiio_path_exactly_on_a_random_image() -> None:
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 65536, size=(96, 128, 4), dtype=np.uint32).astype(np.uint16)
    pixels = bits.view(np.float16).copy()  # every half value: NaN, inf, subnormals, negatives
    pixels[:48] = (rng.random((48, 128, 4)) * 1.5).astype(np.float16)  # and the usual range
    assert LINEAR_709.per_channel
    assert LINEAR_709.path(np.float16) == "lut"
    got = LINEAR_709.apply(pixels)
    want = oiio_colorconvert_u8(pixels[:, :, :3], "lin_rec709")
    assert np.array_equal(got, want)


def test_float32_through_the_uniform_table_is_within_one_code_value_of_oiio() -> None:
    rng = np.random.default_rng(4)
    pixels = (rng.random((64, 96, 3), dtype=np.float32) * 3.0 - 0.2) ** 3
    assert LINEAR_709.path(np.float32) == "uniform"
    diff = LINEAR_709.apply(pixels).astype(int) - oiio_colorconvert_u8(pixels, "lin_rec709")
    assert np.abs(diff).max() <= 1
    assert np.count_nonzero(diff) < diff.size * 0.01


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16", "float32"])
def test_a_gamut_matrix_then_curve_is_recognised_and_within_one_code_value_of_oiio(
    dtype: str,
) -> None:
    # In OpenImageIO's built-in (ACES) config scene_linear is ACEScg: not per-channel,
    # but a 3x3 matrix (to Rec.709 primaries) followed by the sRGB curve.
    default = DisplayTransform()
    assert not default.per_channel
    assert default.path(dtype) == "matrix"
    rng = np.random.default_rng(8)
    values = rng.random((48, 64, 4)) ** 2 * 1.6 - 0.05
    if dtype in ("uint8", "uint16"):
        pixels = (np.clip(values, 0, 1) * np.iinfo(dtype).max).astype(dtype)
    else:
        pixels = values.astype(dtype)
    for channels in (1, 3, 4):
        part = np.ascontiguousarray(pixels[:, :, :channels])
        rgb = np.repeat(part, 3, axis=2) if channels == 1 else part[:, :, :3]
        diff = default.apply(part).astype(int) - oiio_colorconvert_u8(rgb, "scene_linear")
        assert np.abs(diff).max() <= 1, channels


def test_tone_mapping_views_and_log_encodings_take_the_oiio_path_exactly() -> None:
    aces_view = DisplayTransform("scene_linear", "sRGB - Display")
    assert not aces_view.per_channel
    assert aces_view.path(np.float16) == "oiio"
    assert aces_view.key.startswith("scene_linear|sRGB - Display|ACES")
    log = DisplayTransform("ACEScct")
    assert log.path(np.float32) == "oiio"
    pixels = scene(32, 16, channels=3)
    assert np.array_equal(log.apply(pixels), oiio_colorconvert_u8(pixels, "ACEScct"))
    assert DisplayTransform("lin_rec709", "sRGB - Display", "Un-tone-mapped").per_channel


# --- a file's primaries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "colorspace"),
    [
        ("ACEScg (AP1)", "ACEScg"),
        ("ACES2065-1 (AP0)", "ACES2065-1"),
        ("P3-D65", "lin_p3d65_scene"),
        ("Rec.2020", "lin_rec2020_scene"),
        ("CIE XYZ", "CIE XYZ-D65 - Scene-referred"),
    ],
)
def test_chromaticities_give_the_matrix_ocio_uses_for_the_same_space(
    name: str, colorspace: str
) -> None:
    """Bradford from the ACES white (D60) to D65 as the built-in config does; XYZ seen at D65."""
    ours = primaries.to_rec709(primaries.KNOWN[name])
    theirs = np.empty((3, 3))
    for j in range(3):
        unit = np.zeros((1, 1, 3), dtype=np.float32)
        unit[0, 0, j] = 1.0
        out = oiio.ImageBufAlgo.colorconvert(oiio.ImageBuf(unit), colorspace, "lin_rec709")
        theirs[:, j] = np.asarray(out.get_pixels(oiio.FLOAT)).reshape(3)
    assert np.abs(ours - theirs).max() < 1e-5
    assert primaries.is_identity(primaries.to_rec709(primaries.REC709))


def test_bradford_is_identity_for_one_white_and_maps_white_to_white() -> None:
    assert np.allclose(primaries.bradford(primaries.D65, (0.31270, 0.32900)), np.eye(3))
    d60 = primaries.KNOWN["ACEScg (AP1)"][6:8]
    adapt = primaries.bradford(d60, primaries.D65)
    white = lambda xy: np.array([xy[0] / xy[1], 1.0, (1 - xy[0] - xy[1]) / xy[1]])  # noqa: E731
    assert np.allclose(adapt @ white(d60), white(primaries.D65), atol=1e-9)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ((0.64, 0.33, 0.3), "3 numbers, not 8"),
        ((0.2, 0.2, 0.4, 0.4, 0.6, 0.6, 0.3127, 0.329), "lie on one line"),
        ((0.64, 0.33, 0.3, 0.6, 0.15, 0.06, 0.3127, 0.0), "the white has y = 0"),
        ((0.64, 0.33, 0.3, 0.6, 0.15, 0.06, float("nan"), 0.329), "not finite"),
        ("red", "not numbers"),
    ],
)
def test_chromaticities_that_describe_no_rgb_space_are_refused_saying_why(
    value: object, message: str
) -> None:
    with pytest.raises(primaries.BadChromaticities, match=message):
        primaries.parse(value)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_a_primaries_matrix_joins_the_transforms_own_within_one_code_of_the_reference(
    dtype: str,
) -> None:
    """XYZ -> Rec.709 before lin_rec709 (per channel alone) and before ACEScg (a matrix too)."""
    to_709 = tuple(primaries.to_rec709(primaries.CIE_XYZ).ravel())
    to_ap1 = np.linalg.inv(primaries.to_rec709(primaries.KNOWN["ACEScg (AP1)"]))
    rng = np.random.default_rng(11)
    rgb709 = (rng.random((32, 48, 3)) ** 2 * 1.4).astype(np.float32)
    xyz = (rgb709 @ primaries.rgb_to_xyz(primaries.REC709).T).astype(dtype)
    for colorspace, extra in (("lin_rec709", np.eye(3)), ("ACEScg", to_ap1)):
        matrix = tuple((extra @ np.reshape(to_709, (3, 3))).ravel())
        transform = DisplayTransform(colorspace, matrix=matrix)
        assert transform.path(dtype) == "matrix" and not transform.per_channel
        assert transform.key.startswith(f"{colorspace}|sRGB|default|m=")
        reference = np.asarray(xyz, dtype=np.float32) @ np.reshape(matrix, (3, 3)).T
        expected = oiio_colorconvert_u8(reference.astype(np.float32), colorspace)
        assert np.abs(transform.apply(xyz).astype(int) - expected).max() <= 1, colorspace


def test_an_identity_matrix_is_dropped_and_a_matrix_needs_linear_pixels() -> None:
    near = (1.00001, 0, 0, 0, 1, 0, 0, 0, 0.99999)
    assert DisplayTransform("lin_rec709", matrix=near) == LINEAR_709
    assert DisplayTransform("lin_rec709", matrix=near).path(np.float16) == "lut"
    with pytest.raises(ValueError, match="9 finite numbers"):
        DisplayTransform("lin_rec709", matrix=(1.0, 2.0))
    with pytest.raises(ValueError, match="needs linear pixels; 'sRGB' is display-referred"):
        DisplayTransform("sRGB", matrix=(0, 1, 0, 1, 0, 0, 0, 0, 1)).check()
    capture = Capture(frame=1, width=2, height=2, pixels=np.zeros((2, 2, 3), np.float16))
    assert DisplayTransform.of(capture).matrix is None


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16", "float32"])
@pytest.mark.parametrize("channels", [0, 1, 2, 3, 4])
def test_every_dtype_and_channel_count_comes_out_as_rgb8(dtype: str, channels: int) -> None:
    # Display-referred values chosen so each dtype means the same 8-bit codes.
    codes = np.array([0, 1, 64, 128, 200, 255], dtype=np.float64)
    scale = {"uint8": 1.0, "uint16": 257.0}.get(dtype, 1.0 / 255.0)
    grey = (codes * scale).astype(dtype).reshape(2, 3)
    if channels == 0:
        pixels = grey
    else:
        planes = [grey] * (1 if channels <= 2 else 3)
        if channels in (2, 4):
            planes.append(np.zeros_like(grey))  # alpha 0: dropped, not composited
        pixels = np.stack(planes, axis=2)
    for transform in (DisplayTransform(None), DisplayTransform("sRGB")):
        out = transform.apply(pixels)
        assert out.shape == (2, 3, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
        assert out[:, :, 0].ravel().tolist() == codes.astype(int).tolist()
        assert (out == out[:, :, :1]).all()
    linear = LINEAR_709.apply(pixels)
    assert linear.shape == (2, 3, 3) and linear.dtype == np.uint8


def test_display_referred_floats_round_to_nearest_clamp_and_zero_nan() -> None:
    values = np.array([[[-1.0, 0.5 / 255, 1.5 / 255], [2.0, np.nan, 0.5]]], dtype=np.float32)
    out = DisplayTransform(None).apply(values.reshape(1, 2, 3))
    assert out.reshape(-1).tolist() == [0, 0, 2, 255, 0, 128]


# --- what submit refuses ---------------------------------------------------------------------


def test_8k_is_accepted_and_8193_is_refused_with_a_clear_message(
    encoder: FrameEncoder, frames: Frames
) -> None:
    big = np.zeros((MAX_SIDE // 2, MAX_SIDE, 1), dtype=np.uint8)
    big[:, ::64] = 200
    encoder.submit(capture(big, colorspace=None))
    header, payload = frames.wait_for(1)[0]
    assert (header.width, header.height) == (8192, 4096)
    assert decode_jpeg(payload).shape == (4096, 8192, 3)
    for shape in ((8193, 4, 3), (4, 8193, 3)):
        with pytest.raises(ValueError, match=r"8193.*at most 8192"):
            encoder.submit(capture(np.zeros(shape, np.uint8), colorspace=None))


@pytest.mark.parametrize(
    ("pixels", "message"),
    [
        (np.zeros((4, 4, 3), np.int32), "dtype int32"),
        (np.zeros((4, 4, 3), np.float64), "dtype float64"),
        (np.zeros((4, 4, 5), np.uint8), "5 channels"),
        (np.zeros((2, 4, 4, 3), np.uint8), "shape"),
        ([[0, 1], [2, 3]], "numpy array"),
    ],
)
def test_unsupported_pixels_raise_value_error_naming_the_fault_and_the_worker_goes_on(
    encoder: FrameEncoder, frames: Frames, pixels: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        encoder.submit(Capture(frame=1, width=4, height=4, pixels=pixels, colorspace=None))
    encoder.submit(capture(np.zeros((4, 4, 3), np.uint8), colorspace=None))
    assert frames.wait_for(1)[0][0].width == 4


def test_a_capture_whose_size_disagrees_with_its_pixels_is_refused(encoder: FrameEncoder) -> None:
    with pytest.raises(ValueError, match="says 8x4 but its pixels are 4x4"):
        encoder.submit(Capture(frame=1, width=8, height=4, pixels=np.zeros((4, 4, 3), np.uint8)))


def test_unknown_colour_spaces_and_bad_encoded_bytes_are_refused(encoder: FrameEncoder) -> None:
    with pytest.raises(ValueError, match="'no-such-space' is not in the OCIO config"):
        encoder.submit(capture(scene(4, 4), colorspace="no-such-space"))
    with pytest.raises(ValueError, match="do not start like a JPEG"):
        encoder.submit(Capture(frame=1, width=4, height=4, encoded=b"GIF89a..."))
    with pytest.raises(ValueError, match="codec 'webp'"):
        encoder.submit(Capture(frame=1, width=4, height=4, encoded=b"RIFF", codec="webp"))


def test_without_openimageio_display_referred_works_and_scene_linear_says_what_to_install() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["OpenImageIO"] = None  # as if not installed
        import numpy as np
        from overshoulder.core.codec import ColorUnavailable, FrameEncoder
        from overshoulder.core.host import Capture
        got = []
        enc = FrameEncoder(lambda h, p: got.append(h))
        enc.submit(Capture(frame=1, width=8, height=8, pixels=np.zeros((8, 8, 4), np.uint8),
                           colorspace="sRGB"))
        enc.wait_idle(10)
        assert len(got) == 1, got
        try:
            enc.submit(Capture(frame=2, width=8, height=8,
                               pixels=np.zeros((8, 8, 4), np.float16)))
        except ColorUnavailable as exc:
            print("refused:", exc)
        enc.close()
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"refused: {COLOR_EXTRA_HINT}" in run.stdout


# --- encoded captures ------------------------------------------------------------------------


def test_app_encoded_bytes_pass_through_byte_for_byte(
    encoder: FrameEncoder, frames: Frames
) -> None:
    rgb = LINEAR_709.apply(scene(64, 48))
    jpeg = encode_jpeg(rgb, 75, "420")
    png = encode_png(rgb)
    encoder.submit(Capture(frame=7, width=64, height=48, encoded=jpeg))
    frames.wait_for(1)
    encoder.submit(Capture(frame=8, width=64, height=48, encoded=png, codec="png"))
    (h1, p1), (h2, p2) = frames.wait_for(2)
    assert p1 == jpeg and h1.codec == "jpeg" and h1.flags == 0
    assert (h1.frame, h1.width, h1.height) == (7, 64, 48)
    assert h1.hash == encoded_hash(jpeg, "jpeg", 64, 48)
    assert p2 == png and h2.codec == "png" and h2.flags == FLAG_LOSSLESS
    assert encoder.stats.encoded == {"fast": 0, "refine": 0, "lossless": 0}


# --- change detection, refinement, cache -----------------------------------------------------


def test_an_unchanged_capture_is_not_sent_again(encoder: FrameEncoder, frames: Frames) -> None:
    pixels = scene(64, 32)
    encoder.submit(capture(pixels, frame=1))
    frames.wait_for(1)
    encoder.submit(capture(pixels.copy(), frame=2))  # same image, new array, new frame number
    assert encoder.wait_idle(10)
    assert len(frames.got) == 1
    assert encoder.stats.skipped_unchanged == 1
    encoder.submit(capture(scene(64, 32, seed=1), frame=3))
    assert frames.wait_for(2)[1][0].frame == 3


def test_a_still_image_gets_exactly_one_refinement_after_still_after_s(
    encoder: FrameEncoder, frames: Frames, clock: FakeClock
) -> None:
    pixels = scene(96, 64)
    encoder.submit(capture(pixels))
    fast, fast_payload = frames.wait_for(1)[0]
    clock.advance(0.6)
    time.sleep(0.2)  # the worker polls the clock: it had time to act, and must not
    assert len(frames.got) == 1
    clock.advance(0.5)  # 1.1 s still
    refine, payload = frames.wait_for(2)[1]
    clock.advance(30.0)
    encoder.submit(capture(pixels.copy()))
    time.sleep(0.2)
    assert encoder.wait_idle(10)
    assert len(frames.got) == 2
    assert fast.flags == 0 and refine.flags == FLAG_REFINEMENT
    assert refine.hash == fast.hash
    assert (refine.width, refine.height) == (96, 64)
    assert simplejpeg.decode_jpeg_header(payload)[3] == "444"
    assert simplejpeg.decode_jpeg_header(fast_payload)[3] == "420"
    assert len(payload) > len(fast_payload)


def test_a_changing_image_is_not_refined_until_it_holds_still(
    encoder: FrameEncoder, frames: Frames, clock: FakeClock
) -> None:
    encoder.submit(capture(scene(32, 32, seed=1)))
    frames.wait_for(1)
    clock.advance(0.7)
    encoder.submit(capture(scene(32, 32, seed=2)))
    frames.wait_for(2)
    clock.advance(0.7)  # the first image would be due now; the second is not
    time.sleep(0.2)
    assert [h.flags for h in frames.headers] == [0, 0]
    clock.advance(0.4)
    third = frames.wait_for(3)[2][0]
    assert third.flags == FLAG_REFINEMENT and third.hash == frames.headers[1].hash


def test_a_looped_sequence_is_served_from_the_cache_on_its_second_pass(
    encoder: FrameEncoder, frames: Frames
) -> None:
    loop = [scene(48, 32, seed=i) for i in range(5)]
    for lap in range(2):
        for i, pixels in enumerate(loop):
            encoder.submit(capture(pixels, frame=i))
            frames.wait_for(lap * 5 + i + 1)
    assert encoder.stats.encoded["fast"] == 5
    assert encoder.stats.cache_hits == 5
    assert encoder.stats.emitted["fast"] == 10
    first, second = frames.got[:5], frames.got[5:]
    assert [h.hash for h, _ in first] == [h.hash for h, _ in second]
    assert [p for _, p in first] == [p for _, p in second]
    assert [h.frame_id for h in frames.headers] == list(range(1, 11))


def test_a_cached_refinement_goes_out_at_once_when_the_image_comes_back(
    encoder: FrameEncoder, frames: Frames, clock: FakeClock
) -> None:
    a, b = scene(40, 30, seed=1), scene(40, 30, seed=2)
    encoder.submit(capture(a))
    frames.wait_for(1)
    clock.advance(2.0)
    frames.wait_for(2)  # a refined
    encoder.submit(capture(b))
    frames.wait_for(3)
    encoder.submit(capture(a))
    back = frames.wait_for(4)[3][0]
    assert back.flags == FLAG_REFINEMENT and back.hash == frames.headers[0].hash
    assert encoder.stats.encoded["refine"] == 1


def test_lossless_request_emits_a_png_of_the_current_image(
    encoder: FrameEncoder, frames: Frames
) -> None:
    pixels = scene(50, 20)
    encoder.submit(capture(pixels))
    frames.wait_for(1)
    encoder.request_lossless()
    header, payload = frames.wait_for(2)[1]
    assert header.codec == "png" and header.flags == FLAG_LOSSLESS
    assert header.hash == frames.headers[0].hash
    assert np.array_equal(decode_png(payload), LINEAR_709.apply(pixels))


# --- scaling and JPEG ------------------------------------------------------------------------


def test_set_max_size_scales_fast_frames_down_and_keeps_the_aspect(
    encoder: FrameEncoder, frames: Frames, clock: FakeClock
) -> None:
    pixels = scene(320, 180)
    encoder.set_max_size(160, 160)
    encoder.submit(capture(pixels))
    first = frames.wait_for(1)[0][0]
    assert (first.width, first.height) == (160, 90)
    encoder.set_max_size(100, 50)  # the current image goes out again at the new size
    second, payload = frames.wait_for(2)[1]
    assert (second.width, second.height) == (89, 50)
    assert decode_jpeg(payload).shape == (50, 89, 3)
    assert second.hash == first.hash
    encoder.set_max_size(4000, 4000)  # never upscaled
    assert (frames.wait_for(3)[2][0].width, frames.headers[2].height) == (320, 180)
    encoder.set_max_size(100, 50)
    frames.wait_for(4)
    clock.advance(2.0)
    refine = frames.wait_for(5)[4][0]
    assert (refine.width, refine.height) == (320, 180)  # refinements are full size


def test_fit_size_and_area_downscale() -> None:
    assert fit_size(1920, 1080, None, None) == (1920, 1080)
    assert fit_size(3840, 2160, 1920, 1080) == (1920, 1080)
    assert fit_size(1920, 1080, 1280, 2000) == (1280, 720)
    assert fit_size(1080, 1920, 1000, 1000) == (562, 1000)
    assert fit_size(100, 100, 1, 1) == (1, 1)
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, size=(60, 90, 3), dtype=np.uint8)
    half = downscale(image, 45, 30)
    block_means = image.reshape(30, 2, 45, 2, 3).mean(axis=(1, 3))
    assert np.abs(half - block_means).max() <= 0.5
    odd = downscale(image, 37, 23)
    assert odd.shape == (23, 37, 3)
    assert abs(float(odd.mean()) - float(image.mean())) < 1.0
    flat = np.full((61, 97, 3), 77, np.uint8)
    assert (downscale(flat, 40, 25) == 77).all()
    with pytest.raises(ValueError, match="upscale"):
        downscale(image, 91, 60)


def test_jpeg_frames_decode_to_their_size_with_psnr_above_a_floor(
    encoder: FrameEncoder, frames: Frames, clock: FakeClock
) -> None:
    pixels = scene(320, 240)
    display = LINEAR_709.apply(pixels)
    encoder.submit(capture(pixels))
    clock.advance(2.0)
    (fast, fast_payload), (refine, refine_payload) = frames.wait_for(2)
    for header, payload, floor in ((fast, fast_payload, 34.0), (refine, refine_payload, 40.0)):
        decoded = decode_jpeg(payload)
        assert decoded.shape == (header.height, header.width, 3) == (240, 320, 3)
        assert psnr(decoded, display) > floor


def test_png_round_trips_and_is_readable_by_openimageio(tmp_path: object) -> None:
    rng = np.random.default_rng(6)
    for channels in (1, 3, 4):
        image = rng.integers(0, 256, size=(33, 47, channels), dtype=np.uint8)
        image[10:20] = 128  # flat rows choose other filters than noisy ones
        data = encode_png(image)
        assert np.array_equal(decode_png(data), image)
        path = f"{tmp_path}/t{channels}.png"
        with open(path, "wb") as fh:
            fh.write(data)
        config = oiio.ImageSpec()
        config.attribute("oiio:UnassociatedAlpha", 1)  # PNG alpha is straight, keep it so
        reader = oiio.ImageInput.open(path, config)
        read = np.asarray(reader.read_image(0, 0, 0, channels, oiio.UINT8))
        reader.close()
        assert np.array_equal(read.reshape(image.shape), image)


# --- identity --------------------------------------------------------------------------------


def test_the_hash_names_the_image_transform_and_size_not_the_encoding(
    frames: Frames, clock: FakeClock
) -> None:
    pixels = scene(64, 64)
    with FrameEncoder(frames, still_after_s=1.0, clock=clock) as enc:
        enc.set_max_size(32, 32)
        enc.submit(capture(pixels))
        clock.advance(2.0)
        frames.wait_for(2)
        assert enc.last_frame is not None
        assert enc.last_frame.transform_key == "lin_rec709|sRGB|default"
        enc.submit(capture(pixels, colorspace="sRGB"))  # same bytes, other transform
        frames.wait_for(3)
    fast, refine, other = frames.headers
    assert (fast.width, refine.width) == (32, 64)
    assert fast.hash == refine.hash and len(fast.hash) == 16
    assert other.hash != fast.hash


# --- threads and life cycle ------------------------------------------------------------------


def test_submits_from_many_threads_never_queue_and_the_newest_wins(clock: FakeClock) -> None:
    release = threading.Event()
    got: list[FrameHeader] = []

    def slow_sink(header: FrameHeader, payload: bytes) -> None:
        got.append(header)
        release.wait(10)

    small = [scene(8, 8, seed=i) for i in range(50)]
    with FrameEncoder(slow_sink, still_after_s=None, clock=clock) as enc:
        enc.submit(capture(small[0], frame=0))
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)  # the worker is now inside on_frame, blocked

        def hammer(t: int) -> None:
            for i in range(50):
                enc.submit(capture(small[i], frame=1000 * (t + 1) + i))

        threads = [threading.Thread(target=hammer, args=(t,)) for t in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
            assert not t.is_alive()  # submit never waited for the worker
        enc.submit(capture(scene(8, 8, seed=99), frame=9999))
        release.set()
        assert enc.wait_idle(10)
        assert enc.stats.submitted == 402
        assert enc.stats.superseded == 400  # one slot: each submit replaced the one waiting
    assert [h.frame for h in got] == [0, 9999]


def test_an_exception_in_the_worker_is_logged_and_the_encoder_goes_on(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def flaky(header: FrameHeader, payload: bytes) -> None:
        calls.append(header.frame)
        if len(calls) == 1:
            raise RuntimeError("sink broke")

    with FrameEncoder(flaky, still_after_s=None, clock=clock) as enc:
        enc.submit(capture(scene(8, 8, seed=1), frame=1))
        assert enc.wait_idle(10)
        enc.submit(capture(scene(8, 8, seed=2), frame=2))
        assert enc.wait_idle(10)
        assert enc.stats.errors == 1
    assert calls == [1, 2]
    assert "sink broke" in caplog.text


def test_an_encode_failure_is_logged_once_per_image_and_the_next_image_encodes(
    frames: Frames, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.core.codec import encoder as encoder_module

    real = encoder_module.encode_jpeg
    broken = [True]

    def encode(rgb: np.ndarray, quality: int, subsampling: str = "420") -> bytes:
        if broken[0]:
            raise MemoryError("no room")
        return real(rgb, quality, subsampling)

    monkeypatch.setattr(encoder_module, "encode_jpeg", encode)
    with FrameEncoder(frames, still_after_s=0.5, clock=clock) as enc:
        enc.submit(capture(scene(8, 8, seed=1)))
        assert enc.wait_idle(10)
        clock.advance(5.0)  # a refinement would be due: it must not retry in a loop
        time.sleep(0.2)
        assert enc.stats.errors == 1 and frames.got == []
        broken[0] = False
        enc.submit(capture(scene(8, 8, seed=2)))
        assert frames.wait_for(1)[0][0].flags == 0


def test_close_stops_the_worker_and_later_submits_are_refused(frames: Frames) -> None:
    enc = FrameEncoder(frames)
    enc.close(timeout=5)
    assert not enc._thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        enc.submit(capture(scene(8, 8)))


def test_frame_headers_are_complete(encoder: FrameEncoder, frames: Frames) -> None:
    before = time.time_ns() // 1000
    encoder.submit(capture(scene(24, 16), frame=-3))
    header = frames.wait_for(1)[0][0]
    after = time.time_ns() // 1000
    assert header.frame_id == 1 and header.frame == -3
    assert (header.width, header.height, header.codec) == (24, 16, "jpeg")
    assert before <= header.captured_us <= after


@pytest.mark.parametrize("rows", [1, 7, 1080])
def test_banded_threaded_lookup_gives_exactly_what_one_take_gives(rows: int) -> None:
    from overshoulder.core.codec import transform

    rng = np.random.default_rng(rows)
    table = rng.integers(0, 256, 65536, dtype=np.uint8)
    index = rng.integers(0, 65536, (rows, 1931, 3), dtype=np.uint16)  # large ones split
    assert index.size >= transform.LOOKUP_SPLIT_VALUES or rows < 1080
    assert np.array_equal(transform.take_rows(table, index), np.take(table, index))
    # Into one channel of a wider image (a strided output), as per-channel tables do.
    out = np.zeros((rows, 1931, 3), dtype=np.uint8)
    transform.take_rows(table, index[:, :, 1], out[:, :, 1])
    assert np.array_equal(out[:, :, 1], np.take(table, index[:, :, 1]))
    assert not out[:, :, 0].any() and not out[:, :, 2].any()

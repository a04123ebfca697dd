"""The demo's sample sequence: a looping half-float EXR shot rendered with numpy and OpenImageIO.

``ensure_sample(folder)`` writes ``shot.1001.exr`` .. ``shot.1048.exr`` (48 frames,
1920x1080, 24 fps, RGB half float, ZIP) once; later calls find the files complete
and write nothing. ``render_frame`` is the picture alone (for tests and
benchmarks).

Colour: the pixels are scene-linear with Rec.709 primaries and a D65 white. The
files say so twice: ``oiio:ColorSpace`` = ``lin_rec709_scene`` (the Color
Interop Forum name of OpenImageIO's built-in config, written to the EXR as
``colorInteropID`` and read back as ``oiio:ColorSpace``; ``lin_rec709`` and
``Linear Rec.709 (sRGB)`` are aliases of the same space) and the EXR
``chromaticities`` attribute (Rec.709 primaries, D65). The player hands that
name to the codec, whose transform to sRGB is per channel, so half-float
frames take its exact lookup table (``DisplayTransform.path`` is ``"lut"``).

A frame holds: a soft exposure gradient; 75 % SMPTE-like colour bars (white,
yellow, cyan, green, magenta, red, blue) over the reverse "castellation" row
and an even grey ramp; an orange disc with a highlight well above 1.0, a turning
square and a sweeping light bar, all periodic over the sequence so the loop has
no jump; the frame number drawn large (OpenImageIO's ``render_text`` with its
bundled font, else seven-segment digits drawn with numpy); a label; and a
film-like grain that differs per frame.

Completeness: each file is written to a temporary file beside it and renamed
into place (``overshoulder.core.files.replacing``), so a file under its final
name is whole; temporaries a killed render left are removed on the next call.
``sample.json`` records what the files were rendered as (size, frames, rate,
version); when it differs from what is asked, the old frames are removed and all
are rendered again. Missing frames alone are rendered when the rest are there.
Rendering uses up to ``jobs`` threads (default: the CPUs, at most 4); 48 frames
at 1080p take about 10 s on 2 cores.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import numpy as np
import OpenImageIO as oiio

from overshoulder.core.files import replacing, write_atomic

#: What ``ensure_sample`` makes unless told otherwise.
NAME = "shot"
FIRST_FRAME = 1001
FRAMES = 48
SIZE = (1920, 1080)
FPS = 24
#: The files' colour space, as OpenImageIO's built-in config names it.
COLORSPACE = "lin_rec709_scene"
#: EXR ``chromaticities``: red x, y, green x, y, blue x, y, white x, y (Rec.709, D65).
REC709_CHROMATICITIES = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)
COMPRESSION = "zip"
MANIFEST = "sample.json"
MANIFEST_FORMAT = "overshoulder.demo.sample"
#: Bumped when the picture changes, so old renders are replaced.
VERSION = 1

#: 75 % bars, display value 0.75 -> scene-linear (the sRGB curve's inverse).
BAR = ((0.75 + 0.055) / 1.055) ** 2.4
BARS = ((1, 1, 1), (1, 1, 0), (0, 1, 1), (0, 1, 0), (1, 0, 1), (1, 0, 0), (0, 0, 1))
#: The reverse row under the bars: blue, black, magenta, black, cyan, black, white.
CASTELLATIONS = ((0, 0, 1), (0, 0, 0), (1, 0, 1), (0, 0, 0), (0, 1, 1), (0, 0, 0), (1, 1, 1))
#: Fonts tried for the frame number, in order ("": OpenImageIO's default).
FONTS = ("DroidSans-Bold", "")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Sample:
    """The sequence on disk: ``folder/shot.####.exr``, frames ``first`` .. ``last``."""

    folder: Path
    frames: int
    width: int
    height: int
    fps: int = FPS
    first: int = FIRST_FRAME
    #: Files rendered by the call that returned this (0: all were there already).
    rendered: int = 0

    @property
    def last(self) -> int:
        return self.first + self.frames - 1

    @property
    def pattern(self) -> Path:
        """What ``overshoulder share`` takes: ``folder/shot.####.exr``."""
        return self.folder / f"{NAME}.####.exr"

    def path(self, frame: int) -> Path:
        return self.folder / f"{NAME}.{frame:04d}.exr"

    @property
    def paths(self) -> list[Path]:
        return [self.path(f) for f in range(self.first, self.last + 1)]


def ensure_sample(
    folder: Path,
    *,
    frames: int = FRAMES,
    size: tuple[int, int] = SIZE,
    fps: int = FPS,
    jobs: Optional[int] = None,
    progress: Optional[Progress] = None,
) -> Sample:
    """The sample sequence in ``folder``, rendering only what is missing (see the module doc).

    ``progress(done, total)`` is called with 0 before rendering starts (only when
    there is something to render) and after each frame; an exception it raises
    stops the rendering (frames not started are dropped) and comes out of here.
    """
    width, height = size
    if frames < 1 or frames > 9999 - FIRST_FRAME:
        raise ValueError(f"frames must be 1-{9999 - FIRST_FRAME}, got {frames}")
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ValueError(f"size must be 16-8192 on each side, got {width}x{height}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sample = Sample(folder, frames, width, height, fps)
    wanted = _manifest(sample)
    stale = _read_manifest(folder) != wanted
    for old in folder.iterdir():
        # Temporaries a killed render left (hidden: ".shot.1001.exr...exr"), and the old
        # frames when they were rendered as something else.
        if re.fullmatch(rf"\.{NAME}\.\d+\.exr\..*\.exr", old.name) or (
            stale and re.fullmatch(rf"{NAME}\.\d+\.exr", old.name)
        ):
            old.unlink()
    if stale:
        write_atomic(folder / MANIFEST, json.dumps(wanted, indent=2) + "\n")
    todo = [i for i, path in enumerate(sample.paths) if not _complete(path, width, height)]
    if not todo:
        return sample
    if progress is not None:
        progress(0, len(todo))
    jobs = min(jobs or min(os.cpu_count() or 1, 4), len(todo))
    done = 0
    if jobs <= 1:
        for i in todo:
            _render_file(folder, i, frames, width, height, fps)
            done += 1
            if progress is not None:
                progress(done, len(todo))
    else:
        # Threads: numpy and OpenImageIO release the GIL for the heavy parts, and a
        # process pool would fork OpenImageIO's locks (or, spawned, re-import __main__).
        with ThreadPoolExecutor(jobs, thread_name_prefix="sample") as pool:
            futures = [
                pool.submit(_render_file, folder, i, frames, width, height, fps) for i in todo
            ]
            try:
                for future in futures:
                    future.result()
                    done += 1
                    if progress is not None:
                        progress(done, len(todo))
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return Sample(folder, frames, width, height, fps, rendered=len(todo))


def render_frame(index: int, frames: int, width: int, height: int) -> np.ndarray:
    """Frame ``index`` (0-based) of a ``frames``-long loop: H x W x 3 float32, scene-linear."""
    image = _static(width, height).copy()
    phase = (index % frames) / frames
    _shapes(image, phase)
    _counter(image, FIRST_FRAME + index)
    _grain(image, index)
    np.maximum(image, 0.0, out=image)
    return image


def write_exr(path: Path, pixels: np.ndarray, fps: int = FPS) -> None:
    """``pixels`` (H x W x 3, scene-linear Rec.709) as a half-float EXR labelled as such."""
    height, width = pixels.shape[:2]
    spec = oiio.ImageSpec(width, height, 3, oiio.HALF)
    spec.channelnames = ("R", "G", "B")
    spec.attribute("oiio:ColorSpace", COLORSPACE)
    spec.attribute("chromaticities", oiio.TypeDesc("float[8]"), REC709_CHROMATICITIES)
    spec.attribute("FramesPerSecond", oiio.TypeDesc("rational"), (fps, 1))
    spec.attribute("compression", COMPRESSION)
    spec.attribute("Software", "overshoulder demo sample")
    out = oiio.ImageOutput.create(str(path))
    if out is None:
        raise OSError(f"cannot write {path}: {oiio.geterror()}")
    try:
        if not out.open(str(path), spec):
            raise OSError(f"cannot write {path}: {out.geterror()}")
        if not out.write_image(np.ascontiguousarray(pixels, dtype=np.float16)):
            raise OSError(f"cannot write {path}: {out.geterror()}")
    finally:
        out.close()


# --- files -----------------------------------------------------------------------------------


def _manifest(sample: Sample) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "version": VERSION,
        "width": sample.width,
        "height": sample.height,
        "first": sample.first,
        "frames": sample.frames,
        "fps": sample.fps,
        "colorspace": COLORSPACE,
    }


def _read_manifest(folder: Path) -> Optional[dict[str, Any]]:
    try:
        found = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _complete(path: Path, width: int, height: int) -> bool:
    """A whole file of the right size (files only get their name once fully written)."""
    try:
        if path.stat().st_size == 0:
            return False
    except OSError:
        return False
    inp = oiio.ImageInput.open(str(path))
    if inp is None:
        oiio.geterror()
        return False
    try:
        spec = inp.spec()
        return (spec.width, spec.height, spec.nchannels) == (width, height, 3)
    finally:
        inp.close()


def _render_file(folder: Path, index: int, frames: int, width: int, height: int, fps: int) -> None:
    pixels = render_frame(index, frames, width, height)
    with replacing(folder / f"{NAME}.{FIRST_FRAME + index:04d}.exr", suffix=".exr") as partial:
        write_exr(partial, pixels, fps)


# --- the picture -----------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _static(width: int, height: int) -> np.ndarray:
    """Gradient, bars, castellations, grey ramp and the label: the same in every frame."""
    u = (np.arange(width, dtype=np.float32) + 0.5) / width
    v = (np.arange(height, dtype=np.float32) + 0.5) / height
    # A soft exposure gradient, bright top-left to dark bottom-right, cool to warm.
    lum = 0.015 + 0.22 * (1.0 - v[:, None]) ** 1.6 * (1.1 - 0.5 * u[None, :])
    tint = np.stack([0.75 + 0.45 * u, 0.9 + 0.05 * u, 1.25 - 0.5 * u], axis=1)  # W x 3
    image = lum[:, :, None] * tint[None, :, :]
    column = np.minimum((u * len(BARS)).astype(int), len(BARS) - 1)
    bars_end, castle_end, ramp_end = (round(height * f) for f in (0.40, 0.46, 0.50))
    image[:bars_end] = (np.array(BARS, dtype=np.float32) * BAR)[column][None]
    image[bars_end:castle_end] = (np.array(CASTELLATIONS, dtype=np.float32) * BAR)[column][None]
    # An even ramp on the display: sRGB 0..1 turned into linear light.
    ramp = np.where(u <= 0.04045, u / 12.92, ((u + 0.055) / 1.055) ** 2.4)
    image[castle_end:ramp_end] = ramp[None, :, None]
    label = f"Overshoulder sample - {COLORSPACE} - {width}x{height}"
    _draw_text(image, label, round(width * 0.02), round(height * 0.97), height * 0.032, 0.6)
    return np.ascontiguousarray(image, dtype=np.float32)


def _shapes(image: np.ndarray, phase: float) -> None:
    height, width = image.shape[:2]
    turn = 2.0 * math.pi * phase
    # A sweeping light bar across the lower half, wrapping around.
    top = round(height * 0.5)
    bar_w = max(2, width // 60)
    x0 = round(phase * width)
    for a, b in ((x0, min(x0 + bar_w, width)), (0, max(0, x0 + bar_w - width))):
        if b > a:
            image[top:, a:b] = image[top:, a:b] * 0.4 + 0.35
    # A turning square (a quarter turn per loop: its symmetry makes the loop seamless).
    _square(image, width * 0.2, height * 0.74, height * 0.1, turn / 4.0, (0.04, 0.42, 0.55))
    # An orange disc on a Lissajous path, with a specular highlight up to 6.0.
    cx = width * (0.5 + 0.3 * math.cos(turn))
    cy = height * (0.74 + 0.1 * math.sin(2.0 * turn))
    _disc(image, cx, cy, height * 0.1, (0.9, 0.33, 0.06))


def _box(image: np.ndarray, cx: float, cy: float, r: float) -> tuple[slice, slice, Any, Any]:
    height, width = image.shape[:2]
    y0, y1 = max(0, int(cy - r - 2)), min(height, int(cy + r + 3))
    x0, x1 = max(0, int(cx - r - 2)), min(width, int(cx + r + 3))
    ys = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5 - cy
    xs = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5 - cx
    return slice(y0, y1), slice(x0, x1), xs, ys


def _disc(image: np.ndarray, cx: float, cy: float, r: float, colour: Sequence[float]) -> None:
    rows, cols, xs, ys = _box(image, cx, cy, r)
    d = np.sqrt(xs * xs + ys * ys)
    cover = np.clip(r - d + 0.5, 0.0, 1.0)[:, :, None]
    hx, hy = xs + r * 0.35, ys + r * 0.35
    spec = 6.0 * np.exp(-(hx * hx + hy * hy) / (r * 0.12) ** 2)[:, :, None]
    ink = np.asarray(colour, dtype=np.float32) * (1.0 - 0.5 * d / r)[:, :, None] + spec
    region = image[rows, cols]
    image[rows, cols] = region * (1.0 - cover) + ink * cover


def _square(
    image: np.ndarray, cx: float, cy: float, half: float, angle: float, colour: Sequence[float]
) -> None:
    rows, cols, xs, ys = _box(image, cx, cy, half * math.sqrt(2.0))
    c, s = math.cos(angle), math.sin(angle)
    inside = np.maximum(np.abs(xs * c + ys * s), np.abs(-xs * s + ys * c))
    cover = np.clip(half - inside + 0.5, 0.0, 1.0)[:, :, None]
    region = image[rows, cols]
    image[rows, cols] = region * (1.0 - cover) + np.asarray(colour, dtype=np.float32) * cover


def _counter(image: np.ndarray, number: int) -> None:
    height, width = image.shape[:2]
    size = height * 0.26
    x, y = round(width * 0.6), round(height * 0.95)
    shadow = max(1, round(size * 0.03))
    _draw_text(image, str(number), x + shadow, y + shadow, size, 0.0, opacity=0.8)
    _draw_text(image, str(number), x, y, size, 0.9)


def _draw_text(
    image: np.ndarray,
    words: str,
    x: int,
    y: int,
    size: float,
    level: float,
    opacity: float = 1.0,
) -> None:
    """Mix grey ``level`` into ``image`` where ``words`` (baseline at x, y; ``size`` px) covers."""
    px = max(6, round(size))
    glyphs = _glyphs(words, px)
    if glyphs is None:
        glyphs = _segment_glyphs(words, px)
    cover, left, top = glyphs
    left, top = x + left, y + top
    height, width = image.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + cover.shape[1], width), min(top + cover.shape[0], height)
    if x0 >= x1 or y0 >= y1:
        return
    alpha = cover[y0 - top : y1 - top, x0 - left : x1 - left, None] * opacity
    region = image[y0:y1, x0:x1]
    image[y0:y1, x0:x1] = region * (1.0 - alpha) + level * alpha


def _glyphs(words: str, px: int) -> Optional[tuple[np.ndarray, int, int]]:
    """Coverage of ``words`` by OpenImageIO's text renderer, and its offset from the baseline."""
    for font in FONTS:
        roi = oiio.ImageBufAlgo.text_size(words, px, font)
        if not roi.defined:
            oiio.geterror()
            continue
        pad = 2
        w, h = roi.xend - roi.xbegin + 2 * pad, roi.yend - roi.ybegin + 2 * pad
        buf = oiio.ImageBuf(oiio.ImageSpec(w, h, 1, oiio.FLOAT))
        ok = oiio.ImageBufAlgo.render_text(
            buf, pad - roi.xbegin, pad - roi.ybegin, words, px, font, (1.0,)
        )
        if not ok:
            buf.geterror()
            continue
        cover = np.asarray(buf.get_pixels(oiio.FLOAT), dtype=np.float32)[:, :, 0]
        return cover, roi.xbegin - pad, roi.ybegin - pad
    return None


#: Seven segments per digit: top, top-right, bottom-right, bottom, bottom-left, top-left, middle.
_SEGMENTS = {
    "0": "abcdef",
    "1": "bc",
    "2": "abdeg",
    "3": "abcdg",
    "4": "bcfg",
    "5": "acdfg",
    "6": "acdefg",
    "7": "abc",
    "8": "abcdefg",
    "9": "abcdfg",
}


def _segment_glyphs(words: str, px: int) -> tuple[np.ndarray, int, int]:
    """Seven-segment digits drawn with numpy (when no font can be found); others are blank."""
    h = px
    w = max(3, round(px * 0.55))
    t = max(1, round(px * 0.11))
    gap = max(1, round(px * 0.15))
    cover = np.zeros((h, len(words) * (w + gap)), dtype=np.float32)
    mid = (h - t) // 2
    boxes = {
        "a": (0, t, 0, w),
        "b": (0, mid + t, w - t, w),
        "c": (mid, h, w - t, w),
        "d": (h - t, h, 0, w),
        "e": (mid, h, 0, t),
        "f": (0, mid + t, 0, t),
        "g": (mid, mid + t, 0, w),
    }
    for i, char in enumerate(words):
        x = i * (w + gap)
        for seg in _SEGMENTS.get(char, ""):
            y0, y1, x0, x1 = boxes[seg]
            cover[y0:y1, x + x0 : x + x1] = 1.0
    return cover, 0, -h


@lru_cache(maxsize=2)
def _noise(width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(1001)
    return rng.standard_normal((height + 64, width + 64), dtype=np.float32)


def _grain(image: np.ndarray, index: int) -> None:
    """Luminance-scaled grain with a little chroma: crops of one noise field, moved per frame."""
    height, width = image.shape[:2]
    noise = _noise(width, height)
    oy, ox = (index * 37) % 64, (index * 53) % 64
    luma = 0.03 * noise[oy : oy + height, ox : ox + width]
    for channel in range(3):
        cy, cx = (index * 11 + 17 * channel + 5) % 64, (index * 29 + 23 * channel + 3) % 64
        chroma = 0.01 * noise[cy : cy + height, cx : cx + width]
        image[:, :, channel] *= 1.0 + luma + chroma

"""Benchmark of the frame pipeline (``overshoulder.core.codec``) at 1080p and UHD.

Measures, on a realistic scene-linear test image rendered with numpy (exposure
gradients, colour bars, soft shapes with highlights, film-like grain):

* the display transform: the exact half-float lookup table against
  OpenImageIO's path for the same per-channel transform, float32 through the
  uniform table, the default ``scene_linear`` transform (ACEScg in OpenImageIO's
  built-in config: a gamut matrix then the sRGB curve) against OpenImageIO, an
  ACES 2.0 view (OpenImageIO only), and display-referred quantisation;
* the area downscale (numpy; whole-number and fractional ratios) against
  OpenImageIO's ``resize`` (box) and ``resample``;
* JPEG encode (q80 4:2:0 fast, q92 4:4:4 refinement) and decode, PNG encode;
* the content hash: xxh3_128 against blake2b;
* bytes per frame and PSNR at the default qualities;
* two-thread JPEG encode scaling (simplejpeg releases the GIL);
* the whole ``FrameEncoder``: ``submit`` -> ``on_frame`` for changing frames,
  plus the reviewer's decode, against the viewer-frame budget.

Every figure is the median of repeats with min-max beside it. Prints a markdown
section (``bench/run_all.py`` collects it). About 80 s on 2 cores.

    python bench/codec.py               # 1080p and UHD
    python bench/codec.py --repeats 5   # quicker (default 9)
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
import xxhash
from _relay import Background, command_line, machine_line, table

from overshoulder.core.codec import (
    DisplayTransform,
    FrameEncoder,
    decode_jpeg,
    decode_png,
    downscale,
    encode_jpeg,
    encode_png,
    fit_size,
)
from overshoulder.core.codec.transform import _compiled
from overshoulder.core.host import Capture
from overshoulder.core.protocol import FrameHeader

SIZES = {"1080p": (1920, 1080), "UHD": (3840, 2160)}
#: The viewer-frame budget (ARCHITECTURE.md): capture handed over -> decoded, p50.
BUDGET_MS = {"1080p": 25.0, "UHD": 80.0}
#: A per-channel transform (the table applies) and the default one.
PER_CHANNEL = DisplayTransform("lin_rec709")
DEFAULT = DisplayTransform()
ACES_VIEW = DisplayTransform("scene_linear", "sRGB - Display")


def render_test_image(width: int, height: int, seed: int = 1) -> np.ndarray:
    """A scene-linear float32 RGB frame that stresses a codec like real footage does."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    u, v = x / width, y / height
    # Sky-to-ground exposure gradient with a hue drift, 0.02 .. ~1.6 linear.
    lum = 0.02 + 1.6 * (1.0 - v) ** 2.2
    img = np.stack([lum * (0.8 + 0.3 * u), lum * (0.9 + 0.1 * v), lum * (1.1 - 0.4 * u)], axis=2)
    # 75 % colour bars across the top fifth (display 0.75 -> linear ~0.52).
    bars = np.array(
        [[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1]],
        dtype=np.float32,
    )
    top = int(height * 0.2)
    index = np.minimum((u[0] * len(bars)).astype(int), len(bars) - 1)
    img[:top] = bars[index][None, :, :] * 0.52
    # A grey ramp strip (0 .. 1 linear) under the bars.
    img[top : top + height // 20] = np.repeat(u[:1, :, None], 3, axis=2)
    # Soft-edged discs, one with a specular highlight well above 1.0.
    for cx, cy, r, colour in (
        (0.3, 0.6, 0.12, (0.9, 0.25, 0.1)),
        (0.62, 0.55, 0.09, (0.1, 0.5, 0.9)),
        (0.8, 0.75, 0.15, (0.2, 0.7, 0.25)),
    ):
        d = np.sqrt(((u - cx) * width / height) ** 2 + (v - cy) ** 2)
        mask = np.clip((r - d) / (r * 0.08), 0.0, 1.0)[:, :, None]
        img = img * (1 - mask) + mask * np.array(colour, dtype=np.float32)
        spec = np.exp(-(((u - cx + r * 0.3) ** 2 + (v - cy + r * 0.4) ** 2) / (r * 0.1) ** 2))
        img += 4.0 * spec[:, :, None] * mask
    # A hard-edged rectangle (text-like edges for the chroma subsampling).
    y0, y1, x0, x1 = int(height * 0.82), int(height * 0.9), int(width * 0.05), int(width * 0.4)
    img[y0:y1, x0:x1] = (0.01, 0.01, 0.012)
    img[y0 + 8 : y1 - 8 : 6, x0 + 8 : x1 - 8] = 0.8
    # Film grain: luminance-scaled gaussian noise, a touch of chroma noise.
    grain = rng.standard_normal((height, width, 1), dtype=np.float32) * 0.035
    chroma = rng.standard_normal((height, width, 3), dtype=np.float32) * 0.008
    img = img * (1.0 + grain) + chroma * np.sqrt(np.maximum(img, 0.0))
    return np.ascontiguousarray(np.maximum(img, 0.0), dtype=np.float32)


def as_half_rgba(rgb: np.ndarray) -> np.ndarray:
    alpha = np.ones((*rgb.shape[:2], 1), dtype=np.float32)
    return np.ascontiguousarray(np.concatenate([rgb, alpha], axis=2).astype(np.float16))


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def ms(values: Sequence[float]) -> str:
    med = statistics.median(values)
    return f"{med:.1f} ({min(values):.1f}-{max(values):.1f})"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    err = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if err == 0 else 10.0 * np.log10(255.0**2 / err)


def oiio_png_bytes(rgb: np.ndarray) -> bytes:
    import OpenImageIO as oiio

    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as d:
        path = str(Path(d) / "f.png")
        buf = oiio.ImageBuf(rgb)
        if not buf.write(path):
            raise RuntimeError(buf.geterror())
        return Path(path).read_bytes()


def transform_rows(label: str, img16: np.ndarray, img32: np.ndarray, reps: int) -> list[list[Any]]:
    per = _compiled(PER_CHANNEL)
    rgb32 = np.ascontiguousarray(img32[:, :, :3])
    rgb16 = np.ascontiguousarray(img16[:, :, :3])
    u8 = DisplayTransform(None).render(img16)
    display = DisplayTransform(None)
    few = 3 if width_of(img16) <= 1920 else 2
    default = _compiled(DEFAULT)
    cases: list[tuple[str, Callable[[], Any], int]] = [
        (
            "half RGBA, per-channel (lin_rec709): exact table",
            lambda: PER_CHANNEL.render(img16),
            reps,
        ),
        ("same transform, OpenImageIO (float32 in)", lambda: per.oiio_apply(rgb32), few),
        ("same transform, OpenImageIO (half in)", lambda: per.oiio_apply(rgb16), few),
        ("float32 RGBA, per-channel: uniform table", lambda: PER_CHANNEL.render(img32), reps),
        ("half RGBA, scene_linear (ACEScg): matrix + table", lambda: DEFAULT.render(img16), reps),
        (
            "float32 RGBA, scene_linear (ACEScg): matrix + table",
            lambda: DEFAULT.render(img32),
            reps,
        ),
        ("same transform, OpenImageIO (half in)", lambda: default.oiio_apply(rgb16), few),
        ("half RGBA, ACES 2.0 SDR view: OpenImageIO", lambda: ACES_VIEW.render(img16), 2),
        ("half RGBA, display-referred: quantise table", lambda: display.render(img16), reps),
        ("float32 RGBA, display-referred: quantise", lambda: display.render(img32), reps),
        ("uint8 RGBA, display-referred (no copy)", lambda: display.render(u8), reps),
    ]
    return [[label, what, ms(timed(fn, n))] for what, fn, n in cases]


def scale_rows(label: str, rgb: np.ndarray, reps: int) -> list[list[Any]]:
    import OpenImageIO as oiio

    height, width = rgb.shape[:2]
    buf = oiio.ImageBuf(rgb)
    few = max(3, reps // 3)
    rows: list[list[Any]] = []
    targets = {
        (width // 2, height // 2),
        fit_size(width, height, 1280, 720),
        fit_size(width, height, 1600, 900),
    }
    for w, h in sorted(targets, reverse=True):
        roi = oiio.ROI(0, w, 0, h, 0, 1, 0, 3)

        def ours(w: int = w, h: int = h) -> Any:
            return downscale(rgb, w, h)

        def box(roi: Any = roi) -> Any:
            return oiio.ImageBufAlgo.resize(buf, filtername="box", roi=roi).get_pixels(oiio.UINT8)

        def resample(roi: Any = roi) -> Any:
            out = oiio.ImageBufAlgo.resample(buf, interpolate=True, roi=roi)
            return out.get_pixels(oiio.UINT8)

        rows.append(
            [
                label,
                f"-> {w}x{h}",
                ms(timed(ours, reps)),
                ms(timed(box, few)),
                ms(timed(resample, few)),
            ]
        )
    return rows


def jpeg_rows(label: str, rgb: np.ndarray, reps: int) -> tuple[list[list[Any]], list[list[Any]]]:
    fast = encode_jpeg(rgb, 80, "420")
    refine = encode_jpeg(rgb, 92, "444")
    png3 = encode_png(rgb, 3)
    speed = [
        [label, "JPEG encode q80 4:2:0", ms(timed(lambda: encode_jpeg(rgb, 80, "420"), reps))],
        [label, "JPEG encode q92 4:4:4", ms(timed(lambda: encode_jpeg(rgb, 92, "444"), reps))],
        [label, "JPEG decode (q80 4:2:0)", ms(timed(lambda: decode_jpeg(fast), reps))],
        [label, "JPEG decode (q92 4:4:4)", ms(timed(lambda: decode_jpeg(refine), reps))],
    ]
    quality = [
        [
            label,
            "JPEG q80 4:2:0 (fast)",
            f"{len(fast) / 1024:.0f}",
            f"{psnr(decode_jpeg(fast), rgb):.1f}",
        ],
        [
            label,
            "JPEG q92 4:4:4 (refinement)",
            f"{len(refine) / 1024:.0f}",
            f"{psnr(decode_jpeg(refine), rgb):.1f}",
        ],
    ]
    big = rgb.shape[1] > 1920
    png_reps = 1 if big else 3
    for level in (1,) if big else (1, 3, 6):
        data = encode_png(rgb, level)
        assert np.array_equal(decode_png(data), rgb)
        speed.append(
            [
                label,
                f"PNG encode, numpy filters + zlib level {level}",
                ms(timed(lambda level=level: encode_png(rgb, level), png_reps)),
            ]
        )
        quality.append([label, f"PNG zlib {level} (lossless)", f"{len(data) / 1024:.0f}", "inf"])
    try:
        oiio_png = oiio_png_bytes(rgb)
        speed.append(
            [
                label,
                "PNG encode, OpenImageIO (libpng, via /dev/shm)",
                ms(timed(lambda: oiio_png_bytes(rgb), png_reps, warmup=0)),
            ]
        )
        quality.append([label, "PNG OpenImageIO (lossless)", f"{len(oiio_png) / 1024:.0f}", "inf"])
    except ImportError:
        pass
    del png3
    return speed, quality


def hash_rows(label: str, img16: np.ndarray, reps: int) -> list[list[Any]]:
    mb = img16.nbytes / 1e6
    xx = timed(lambda: xxhash.xxh3_128(img16).digest(), reps * 2)
    bl = timed(lambda: hashlib.blake2b(memoryview(img16).cast("B"), digest_size=16).digest(), reps)
    return [
        [label, f"xxh3_128, half RGBA ({mb:.1f} MB)", ms(xx), f"{mb / statistics.median(xx):.1f}"],
        [
            label,
            f"blake2b-128, half RGBA ({mb:.1f} MB)",
            ms(bl),
            f"{mb / statistics.median(bl):.2f}",
        ],
    ]


def threads_rows(label: str, rgb: np.ndarray, per_thread: int) -> list[Any]:
    """Frames per second encoding on one thread, then on two at once (best of three runs)."""

    def work(n: int) -> None:
        for _ in range(n):
            encode_jpeg(rgb, 80, "420")

    def one_thread() -> float:
        t0 = time.perf_counter()
        work(2 * per_thread)
        return 2 * per_thread / (time.perf_counter() - t0)

    def two_threads() -> float:
        threads = [threading.Thread(target=work, args=(per_thread,)) for _ in range(2)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return 2 * per_thread / (time.perf_counter() - t0)

    one = max(one_thread() for _ in range(3))
    two = max(two_threads() for _ in range(3))
    return [label, f"{one:.0f}", f"{two:.0f}", f"{two / one:.2f}x"]


def width_of(image: np.ndarray) -> int:
    return int(image.shape[1])


def pipeline_rows(
    label: str,
    frames: list[np.ndarray],
    colorspace: Optional[str],
    what: str,
    max_size: Optional[tuple[int, int]] = None,
) -> tuple[list[Any], float]:
    """submit -> on_frame for a run of changing frames, then the reviewer's decode."""
    height, width = frames[0].shape[:2]
    latencies: list[float] = []
    decodes: list[float] = []
    done = threading.Event()
    submitted: dict[int, float] = {}

    def on_frame(header: FrameHeader, payload: bytes) -> None:
        now = time.perf_counter()
        latencies.append((now - submitted[header.frame]) * 1000.0)
        t0 = time.perf_counter()
        decode_jpeg(payload)
        decodes.append((time.perf_counter() - t0) * 1000.0)
        done.set()

    encoder = FrameEncoder(on_frame, still_after_s=None, cache_bytes=0)
    if max_size is not None:
        encoder.set_max_size(*max_size)
    try:
        for i, pixels in enumerate(frames * 2):
            done.clear()
            submitted[i] = time.perf_counter()
            encoder.submit(
                Capture(frame=i, width=width, height=height, pixels=pixels, colorspace=colorspace)
            )
            done.wait(30)
        stages = dict(encoder.stats.last_stage_ms)
    finally:
        encoder.close()
    lat, dec = latencies[1:], decodes[1:]
    total = [a + b for a, b in zip(lat, dec)]
    stage_text = ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
    return [label, what, ms(lat), ms(dec), ms(total), stage_text], statistics.median(total)


def variants(base: np.ndarray, count: int) -> list[np.ndarray]:
    """``count`` different frames: the base shifted a few pixels each time (a slow pan)."""
    return [np.ascontiguousarray(np.roll(base, 3 * i, axis=1)) for i in range(count)]


def run(args: argparse.Namespace) -> str:
    reps = args.repeats
    transform_t: list[list[Any]] = []
    scale_t: list[list[Any]] = []
    codec_t: list[list[Any]] = []
    quality_t: list[list[Any]] = []
    hash_t: list[list[Any]] = []
    thread_t: list[list[Any]] = []
    pipe_t: list[list[Any]] = []
    verdicts: list[str] = []
    ok = True
    with Background() as bg:
        for label in args.sizes:
            width, height = SIZES[label]
            linear = render_test_image(width, height)
            img16 = as_half_rgba(linear)
            img32 = img16.astype(np.float32)
            del linear
            rgb = PER_CHANNEL.apply(img16)
            transform_t += transform_rows(label, img16, img32, reps)
            del img32
            scale_t += scale_rows(label, rgb, reps)
            speed, quality = jpeg_rows(label, rgb, reps)
            codec_t += speed
            quality_t += quality
            hash_t += hash_rows(label, img16, reps)
            thread_t.append(threads_rows(label, rgb, 24 if width <= 1920 else 6))
            count = 6 if label == "1080p" else 4
            rgbx = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255, np.uint8)], axis=2)
            cases: list[tuple[list[np.ndarray], Optional[str], str, Optional[tuple[int, int]]]] = [
                (variants(rgbx, count), None, "uint8 RGBA display-referred, full size", None),
                (
                    variants(img16, count),
                    "lin_rec709",
                    "half RGBA lin_rec709 (table), full size",
                    None,
                ),
                (variants(img16, count), "scene_linear", "half RGBA scene_linear (matrix)", None),
            ]
            if label == "UHD":
                cases.append(
                    (
                        variants(rgbx, count),
                        None,
                        "uint8 RGBA display-referred -> 1920x1080",
                        (1920, 1080),
                    )
                )
            for frames, colorspace, what, max_size in cases:
                row, median = pipeline_rows(label, frames, colorspace, what, max_size)
                pipe_t.append(row)
                if colorspace is None and max_size is None:
                    passed = median <= BUDGET_MS[label]
                    ok = ok and passed
                    verdicts.append(
                        f"{label} display-referred: {median:.1f} ms against {BUDGET_MS[label]:g} ms"
                    )
                del frames
            del img16, rgb, rgbx

    out = [
        "## Frame pipeline (codec)",
        "",
        f"`{command_line()}`. " + machine_line(),
        "",
        "Test image: scene-linear float32 rendered with numpy (exposure gradient, 75 % colour "
        "bars, grey ramp, soft discs with highlights up to ~5.0, a hard-edged block with thin "
        "lines, luminance-scaled grain), handed over as half-float RGBA. Times in ms: median "
        f"(min-max) of {reps} repeats unless noted (slow OpenImageIO paths: fewer).",
        "",
        "### Display transform (to 8-bit RGB)",
        "",
        table(["size", "path", "ms"], transform_t),
        "",
        "### Area downscale (8-bit RGB)",
        "",
        table(["size", "to", "numpy area (used)", "OIIO resize box", "OIIO resample"], scale_t),
        "",
        "### Encode and decode",
        "",
        table(["size", "step", "ms"], codec_t),
        "",
        "### Bytes per frame and quality (against the 8-bit display image)",
        "",
        table(["size", "variant", "KiB", "PSNR dB"], quality_t),
        "",
        "### Content hash",
        "",
        table(["size", "hash", "ms", "GB/s"], hash_t),
        "",
        "### Two threads (JPEG q80 4:2:0, full size)",
        "",
        table(["size", "frames/s, 1 thread", "frames/s, 2 threads", "scaling"], thread_t),
        "",
        "Best of three runs each: simplejpeg releases the GIL for the whole encode, so two "
        "threads use both cores.",
        "",
        "### FrameEncoder: submit -> on_frame, then the reviewer's JPEG decode",
        "",
        "Changing frames (a slow pan), cache off, no refinements; the first frame is left out "
        "(tables built, config loaded). Stages are the last frame's.",
        "",
        table(["size", "input", "submit->on_frame", "decode", "sum", "stages (ms)"], pipe_t),
        "",
        bg.line(),
        "",
        "Budget: the codec's share of the viewer-frame budget (capture handed over -> decoded, "
        "p50; the relay adds its own), display-referred input: "
        + "; ".join(verdicts)
        + f": **{'PASS' if ok else 'MISS'}**.",
        "",
    ]
    return "\n".join(out)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    args = parser.parse_args(argv)
    print(run(args))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Which ``_jpeg_sub_sampling`` the Nuke capture's Write node should use: bytes and quality.

Nuke's JPEG writer offers "4:1:1", "4:2:2" and "4:4:4" (docs/nuke.md). Nuke itself cannot
run here, so the three chroma layouts are encoded with libjpeg through OpenImageIO (the same
library family Nuke's writer uses) at the capture's quality (``JPEG_QUALITY`` 0.9 -> 90), on
the codec benchmark's scene-like test image taken to 8-bit sRGB, and on a frame that looks
like a comp under review (saturated thin lines and small coloured text-like marks on grey,
where chroma subsampling shows first). For each: bytes, encode time, PSNR of the whole RGB
image and of the chroma alone (Cb/Cr against the original's), so that the choice is a
measurement, not a habit.

    python bench/nuke_jpeg_subsampling.py              # 1080p
    python bench/nuke_jpeg_subsampling.py --repeats 5

OIIO's "4:1:1" is libjpeg's 4x horizontal chroma decimation; Nuke's menu entry of that name
is taken to be the same (unverified: the self-test in a real Nuke reports the file size of
each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _relay import command_line, machine_line, table
from codec import render_test_image

from overshoulder.core.codec import DisplayTransform

#: The values Nuke's Write offers for ``_jpeg_sub_sampling`` (tests/fakes/nuke_vocabulary.py).
LAYOUTS = ("4:1:1", "4:2:2", "4:4:4")
QUALITY = 90


def comp_frame(width: int, height: int) -> np.ndarray:
    """8-bit RGB: mid grey with 1-3 px saturated lines and small coloured blocks (marks, text)."""
    img = np.full((height, width, 3), 118, np.uint8)
    rng = np.random.default_rng(7)
    colours = np.array([[230, 30, 30], [30, 200, 60], [40, 80, 240], [250, 220, 20]], np.uint8)
    for i in range(60):
        c = colours[i % len(colours)]
        x, y = int(rng.integers(0, width - 200)), int(rng.integers(0, height - 40))
        thick = 1 + i % 3
        img[y : y + thick, x : x + 180] = c
        img[y : y + 30, x + 190 : x + 190 + thick] = c
    for i in range(400):  # glyph-sized blocks
        c = colours[i % len(colours)]
        x, y = int(rng.integers(0, width - 8)), int(rng.integers(0, height - 12))
        img[y : y + 10, x : x + 2] = c
        img[y : y + 2, x : x + 7] = c
    return img


def ycc(rgb: np.ndarray) -> np.ndarray:
    """JFIF Y, Cb, Cr (float) of 8-bit RGB."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
    cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
    return np.stack([y, cb, cr], axis=2)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    err = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if err == 0 else 10.0 * np.log10(255.0**2 / err)


def encode(rgb: np.ndarray, layout: str, path: str) -> None:
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(rgb.shape[1], rgb.shape[0], 3, oiio.UINT8)
    spec.attribute("Compression", f"jpeg:{QUALITY}")
    spec.attribute("jpeg:subsampling", layout)
    out = oiio.ImageOutput.create(path)
    if out is None or not out.open(path, spec):
        raise RuntimeError(f"OpenImageIO cannot write {path}: {oiio.geterror()}")
    out.write_image(rgb)
    out.close()


def decode(path: str) -> np.ndarray:
    import OpenImageIO as oiio

    buf = oiio.ImageBuf(path)
    pixels = buf.get_pixels(oiio.UINT8)
    if pixels is None:
        raise RuntimeError(f"OpenImageIO cannot read {path}: {oiio.geterror()}")
    return np.asarray(pixels)[..., :3]


def measure(name: str, rgb: np.ndarray, repeats: int, folder: str) -> list[list[str]]:
    rows = []
    for layout in LAYOUTS:
        path = os.path.join(folder, f"{name}-{layout.replace(':', '')}.jpg")
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            encode(rgb, layout, path)
            times.append((time.perf_counter() - t0) * 1000.0)
        back = decode(path)
        chroma = psnr(ycc(back)[..., 1:], ycc(rgb)[..., 1:])
        rows.append(
            [
                name,
                layout,
                f"{os.path.getsize(path) / 1024:.0f}",
                f"{statistics.median(times):.1f} ({min(times):.1f}-{max(times):.1f})",
                f"{psnr(back, rgb):.2f}",
                f"{chroma:.2f}",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    args = parser.parse_args(argv)
    scene = DisplayTransform().render(render_test_image(args.width, args.height))
    scene = np.ascontiguousarray(scene[..., :3], dtype=np.uint8)
    comp = comp_frame(args.width, args.height)
    with tempfile.TemporaryDirectory(prefix="nuke-jpeg-") as folder:
        rows = measure("scene", scene, args.repeats, folder)
        rows += measure("marks on grey", comp, args.repeats, folder)
    print(f"## Nuke capture: JPEG chroma subsampling ({args.width}x{args.height}, q{QUALITY})\n")
    print(machine_line())
    print(command_line())
    print()
    print(
        table(
            [
                "image",
                "_jpeg_sub_sampling",
                "KB",
                "encode ms, median (min-max)",
                "PSNR RGB dB",
                "PSNR chroma dB",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

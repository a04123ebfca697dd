"""Test media made on the fly with numpy and OpenImageIO: sequences, multi-part EXRs, OTIO."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np
import OpenImageIO as oiio
import opentimelineio as otio

WIDTH, HEIGHT = 320, 180


def frame_pixels(frame: int, width: int = WIDTH, height: int = HEIGHT) -> Any:
    """A recognisable float image for ``frame``: gradients, and a bright square that moves."""
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[np.newaxis, :]
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, np.newaxis]
    image = np.zeros((height, width, 3), dtype=np.float32)
    image[:, :, 0] = 0.6 * x
    image[:, :, 1] = 0.4 * y
    image[:, :, 2] = 0.1 + 0.05 * (frame % 10)
    left = (frame * 13) % max(1, width - 20)
    image[20:40, left : left + 20] = 0.9
    return image


def write_image(
    path: Path,
    pixels: Any,
    *,
    pixel_type: str = "half",
    fps: Optional[tuple[int, int]] = None,
    colorspace: Optional[str] = None,
) -> Path:
    height, width, channels = pixels.shape
    spec = oiio.ImageSpec(width, height, channels, pixel_type)
    if fps is not None:
        spec.attribute("FramesPerSecond", oiio.TypeDesc("rational"), fps)
    if colorspace is not None:
        spec.attribute("oiio:ColorSpace", colorspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = oiio.ImageOutput.create(str(path))
    assert out is not None, oiio.geterror()
    assert out.open(str(path), spec), out.geterror()
    assert out.write_image(np.ascontiguousarray(pixels)), out.geterror()
    out.close()
    return path


def sequence(
    folder: Path,
    name: str = "shot",
    frames: Iterable[int] = range(1001, 1006),
    *,
    ext: str = "exr",
    padding: int = 4,
    pixel_type: Optional[str] = None,
    fps: Optional[tuple[int, int]] = None,
    size: tuple[int, int] = (WIDTH, HEIGHT),
) -> list[Path]:
    """Frames ``name.<frame>.<ext>``; EXRs are half float, other formats 8-bit unless told."""
    kind = pixel_type or ("half" if ext in ("exr",) else "uint8")
    paths = []
    for frame in frames:
        path = folder / f"{name}.{frame:0{padding}d}.{ext}"
        paths.append(write_image(path, frame_pixels(frame, *size), pixel_type=kind, fps=fps))
    return paths


def multipart_exr(path: Path, parts: Sequence[tuple[str, Sequence[str], float]]) -> Path:
    """An EXR with one part per ``(name, channels, value)``, each filled with ``value``."""
    specs = []
    for name, channels, _ in parts:
        spec = oiio.ImageSpec(WIDTH, HEIGHT, len(channels), "half")
        spec.channelnames = tuple(channels)
        spec.attribute("name", name)
        specs.append(spec)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), specs), out.geterror()
    for i, (spec, (_, channels, value)) in enumerate(zip(specs, parts)):
        if i:
            assert out.open(str(path), spec, "AppendSubimage"), out.geterror()
        out.write_image(np.full((HEIGHT, WIDTH, len(channels)), value, dtype=np.float32))
    out.close()
    return path


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def otio_clip(
    name: str,
    reference: Any,
    first: int,
    duration: int,
    rate: float = 24.0,
) -> Any:
    return otio.schema.Clip(
        name=name,
        media_reference=reference,
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(first, rate), otio.opentime.RationalTime(duration, rate)
        ),
    )


def image_sequence_reference(
    folder: Path, prefix: str, start: int, count: int, rate: float = 24.0, padding: int = 4
) -> Any:
    """An ``ImageSequenceReference`` whose available range is media time ``start``.."""
    return otio.schema.ImageSequenceReference(
        target_url_base=folder.as_uri() + "/",
        name_prefix=prefix,
        name_suffix=".exr",
        start_frame=start,
        frame_step=1,
        rate=rate,
        frame_zero_padding=padding,
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(start, rate), otio.opentime.RationalTime(count, rate)
        ),
    )


def write_timeline(path: Path, clips: Sequence[Any], name: str = "cut") -> Path:
    timeline = otio.schema.Timeline(name=name)
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for clip in clips:
        track.append(clip)
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(path))
    return path

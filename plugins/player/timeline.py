"""OpenTimelineIO timelines as playlists: the image-sequence clips of a video track, in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import opentimelineio as otio

from .errors import MediaError
from .sequence import ImageSequence, find_sequence, pattern_sequence, scan

log = logging.getLogger("overshoulder.player")


@dataclass(frozen=True)
class ClipSource:
    """One clip of a timeline: its frames ``first``..``last`` (every ``step``) of ``sequence``."""

    name: str
    sequence: ImageSequence
    first: int
    last: int
    step: int = 1
    rate: Optional[float] = None


@dataclass(frozen=True)
class TimelineSource:
    """The clips to play, in track order, and the timeline frame the first one starts at."""

    name: str
    clips: tuple[ClipSource, ...]
    start: int
    rate: Optional[float]


def read_timeline(path: Path) -> TimelineSource:
    """The clips of the first video track of the ``.otio`` file at ``path`` that has any.

    A clip's media is an ``ImageSequenceReference`` or an ``ExternalReference``
    whose URL is a sequence (``shot.####.exr``, ``shot.%04d.exr``), a folder or a
    frame file; its source range picks the frames. Gaps between clips are skipped
    (a playlist plays clip after clip); clips without image media are skipped
    with a warning. ``MediaError`` when the file cannot be read or has no clips.
    """
    try:
        root = otio.adapters.read_from_file(str(path))
    except Exception as exc:
        raise MediaError(f"{path}: not a readable OTIO timeline: {_first_line(exc)}") from None
    if isinstance(root, otio.schema.Timeline):
        tracks = list(root.video_tracks())
        name = root.name or path.stem
        start_time = root.global_start_time
    elif isinstance(root, otio.schema.Track):
        tracks, name, start_time = [root], root.name or path.stem, None
    else:
        kind = type(root).__name__
        raise MediaError(f"{path}: holds a {kind}, not a timeline or a track")
    for index, track in enumerate(tracks):
        clips = [c for c in (_clip(item, path) for item in track) if c is not None]
        if clips:
            if len(tracks) > 1:
                log.info("%s: playing video track %d of %d", path.name, index + 1, len(tracks))
            rate = clips[0].rate
            start = round(start_time.to_frames()) if start_time is not None else 0
            return TimelineSource(name, tuple(clips), start, rate)
    raise MediaError(f"{path}: no clip in its video tracks refers to an image sequence")


def _clip(item: Any, otio_path: Path) -> Optional[ClipSource]:
    if not isinstance(item, otio.schema.Clip):
        if not isinstance(item, otio.schema.Gap):
            log.warning("%s: skipping %s %r", otio_path.name, type(item).__name__, item.name)
        return None
    ref = item.media_reference
    try:
        span = item.trimmed_range()
    except Exception:
        log.warning("%s: clip %r has no source range; skipped", otio_path.name, item.name)
        return None
    rate = float(span.start_time.rate)
    start, end = span.start_time, span.end_time_inclusive()
    if isinstance(ref, otio.schema.ImageSequenceReference):
        folder = _local_path(ref.target_url_base, otio_path)
        padding = int(ref.frame_zero_padding)
        sequence = scan(folder, ref.name_prefix, ref.name_suffix, padding)
        step = max(1, int(ref.frame_step))
        first, last = _sequence_frame(ref, start), _sequence_frame(ref, end)
        return ClipSource(item.name or sequence.name, sequence, first, last, step, rate)
    if isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
        sequence_or_none = _external_sequence(_local_path(ref.target_url, otio_path))
        if sequence_or_none is None:
            log.warning(
                "%s: clip %r: no image sequence at %s; skipped",
                otio_path.name,
                item.name,
                ref.target_url,
            )
            return None
        sequence = sequence_or_none
        first = _external_frame(ref, sequence, start)
        last = _external_frame(ref, sequence, end)
        return ClipSource(item.name or sequence.name, sequence, first, last, 1, rate)
    log.warning(
        "%s: clip %r has no image-sequence media (%s); skipped",
        otio_path.name,
        item.name,
        type(ref).__name__,
    )
    return None


def _sequence_frame(ref: Any, time: Any) -> int:
    """The image number of ``time`` in an ``ImageSequenceReference``."""
    if ref.available_range is not None:
        return int(ref.frame_for_time(time))
    offset = round(time.value_rescaled_to(ref.rate)) if ref.rate else round(time.to_frames())
    return int(ref.start_frame) + offset * max(1, int(ref.frame_step))


def _external_frame(ref: Any, sequence: ImageSequence, time: Any) -> int:
    """A frame of an ``ExternalReference`` sequence: its first file is the available range's start.

    Without an available range, media time in frames is the frame number.
    """
    available = ref.available_range
    if available is None or not sequence.frames:
        return round(time.to_frames())
    offset = round((time - available.start_time).to_frames())
    return sequence.first + offset


def _external_sequence(path: Path) -> Optional[ImageSequence]:
    """The sequence at ``path``; a pattern whose files are gone gives an empty one (slates)."""
    try:
        return find_sequence(path)
    except MediaError:
        return pattern_sequence(path)


def _local_path(url: str, otio_path: Path) -> Path:
    """A ``file://`` URL or a path (relative: to the .otio file's folder) as a local path."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if parts.scheme and len(parts.scheme) > 1:
        raise MediaError(f"{otio_path}: media at {url} is not on a local disk")
    local = Path(url).expanduser()
    return local if local.is_absolute() else (otio_path.parent / local)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""A Resolve timeline as the session shares it: its OTIO export read into a ``SharedTimeline``.

``Timeline.Export(path, resolve.EXPORT_OTIO, resolve.EXPORT_NONE)`` writes the cut as
OpenTimelineIO; this module reads the video tracks back into clips in absolute timeline
frames (the timeline's start timecode included), which reviewers draw on their timeline
bar and another editor's app compares with its own (``overshoulder.core.timeline``).
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any, Optional
from urllib.parse import unquote, urlsplit

import opentimelineio as otio

from overshoulder.core.protocol.messages import MAX_TIMELINE_CLIPS, SharedTimeline, TimelineClip


class CutError(ValueError):
    """The exported file is not a timeline this module can read (the message says why)."""


def read_cut(path: Path, rate: Optional[float] = None) -> SharedTimeline:
    """The video clips of the OTIO timeline at ``path``, in absolute timeline frames.

    ``rate`` is the timeline's rate when known (Resolve's setting); otherwise the
    file's. Gaps, transitions and audio tracks are left out.
    """
    try:
        root = otio.adapters.read_from_file(str(path))
    except Exception as exc:
        raise CutError(f"{path.name}: not a readable OTIO timeline: {exc}") from None
    if not isinstance(root, otio.schema.Timeline):
        raise CutError(f"{path.name}: holds a {type(root).__name__}, not a timeline")
    return from_otio(root, rate)


def from_otio(timeline: Any, rate: Optional[float] = None) -> SharedTimeline:
    """A ``SharedTimeline`` of an ``otio.schema.Timeline`` (see ``read_cut``)."""
    start_time = timeline.global_start_time
    fps = float(rate or (start_time.rate if start_time is not None else 0) or _first_rate(timeline))
    start = round(start_time.rescaled_to(fps).value) if start_time is not None else 0
    clips: list[TimelineClip] = []
    end = start - 1
    for index, track in enumerate(timeline.video_tracks(), start=1):
        for item in track:
            if not isinstance(item, otio.schema.Clip):
                continue
            span = item.range_in_parent()
            first = start + round(span.start_time.rescaled_to(fps).value)
            duration = round(span.duration.rescaled_to(fps).value)
            if duration < 1:
                continue
            end = max(end, first + duration - 1)
            source = item.source_range
            clips.append(
                TimelineClip(
                    name=(item.name or _media_name(item) or "clip")[:128],
                    start=first,
                    duration=duration,
                    track=min(index, 999),
                    media=_media_name(item),
                    source_start=round(source.start_time.to_frames()) if source else None,
                )
            )
    clips.sort(key=lambda c: (c.track, c.start))
    return SharedTimeline(
        name=(timeline.name or "Timeline")[:256],
        rate=fps,
        start=start,
        end=max(end, start),
        clips=clips[:MAX_TIMELINE_CLIPS],
        truncated=len(clips) > MAX_TIMELINE_CLIPS,
    )


def _first_rate(timeline: Any) -> float:
    for track in timeline.video_tracks():
        for item in track:
            if isinstance(item, otio.schema.Clip) and item.source_range is not None:
                return float(item.source_range.duration.rate)
    return 24.0


def _media_name(clip: Any) -> Optional[str]:
    """The media's file name (no folders), or the reference's name; None without media."""
    ref = clip.media_reference
    url = getattr(ref, "target_url", None) or getattr(ref, "target_url_base", None)
    if url:
        path = unquote(urlsplit(url).path) if "://" in url else url
        name = posixpath.basename(path.replace("\\", "/").rstrip("/"))
        pattern = getattr(ref, "name_prefix", None)
        if pattern is not None:
            name = f"{pattern}####{getattr(ref, 'name_suffix', '')}"
        return name[:128] or None
    if ref is not None and not isinstance(ref, otio.schema.MissingReference) and ref.name:
        return str(ref.name)[:128]
    return None

"""What the player plays: a playlist of clips (a sequence, or the clips of an OTIO timeline)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .defaults import DEFAULT_FPS, PROBE_FILES, SLATE_SIZE
from .errors import FrameUnreadable, MediaError
from .images import FrameImage, ImageInfo, PartNotFound, probe, read_frame
from .sequence import ImageSequence, find_sequence
from .timeline import ClipSource, read_timeline

log = logging.getLogger("overshoulder.player")


@dataclass(frozen=True)
class Clip:
    """Frames ``first``..``last`` (every ``step``) of a sequence, from timeline frame ``start``.

    ``width`` and ``height`` are the size of its readable frames (slates take it
    too); ``colorspace`` overrides the files' own when set.
    """

    name: str
    sequence: ImageSequence
    first: int
    last: int
    start: int
    width: int
    height: int
    step: int = 1
    fps: Optional[float] = None
    part: Optional[str] = None
    colorspace: Optional[str] = None

    @property
    def length(self) -> int:
        return (self.last - self.first) // self.step + 1

    @property
    def end(self) -> int:
        """The clip's last timeline frame."""
        return self.start + self.length - 1

    @property
    def media_path(self) -> str:
        """What a note's ``player.clip`` object names: the sequence's folder and pattern."""
        return str(self.sequence.pattern_path)

    def source_frame(self, frame: int) -> int:
        """The file's frame number at timeline ``frame`` (inside this clip)."""
        return self.first + (frame - self.start) * self.step

    def timeline_frame(self, source_frame: int) -> int:
        return self.start + (source_frame - self.first) // self.step

    def path(self, source_frame: int) -> Path:
        return self.sequence.path(source_frame)

    def read(self, source_frame: int) -> FrameImage:
        """The frame's pixels, or ``FrameUnreadable`` naming the file, the frame and why."""
        return read_frame(self.path(source_frame), source_frame, self.part, self.colorspace)


@dataclass(frozen=True)
class Playlist:
    """Clips one after another on a timeline starting at ``clips[0].start``, played at ``rate``."""

    name: str
    source: Path
    clips: tuple[Clip, ...]
    rate: float
    #: A short name for files made from it (burn-ins): the sequence's name or the .otio's stem.
    stem: str = "frames"

    @property
    def first(self) -> int:
        return self.clips[0].start

    @property
    def last(self) -> int:
        return self.clips[-1].end

    @property
    def timeline_id(self) -> str:
        """How the playhead names this timeline: the media's file or folder name."""
        return self.source.name or str(self.source)

    def locate(self, frame: int) -> tuple[Clip, int]:
        """The clip at timeline ``frame`` (clamped to the playlist) and its file frame number."""
        frame = min(max(frame, self.first), self.last)
        for clip in self.clips:
            if frame <= clip.end:
                return clip, clip.source_frame(frame)
        last = self.clips[-1]
        return last, last.source_frame(last.end)

    def find(self, media_path: str, source_frame: Optional[int]) -> Optional[int]:
        """The timeline frame of ``source_frame`` in the clip of ``media_path`` (None: not here)."""
        for clip in self.clips:
            if clip.media_path != media_path:
                continue
            if source_frame is None:
                return clip.start
            if clip.first <= source_frame <= clip.last:
                return clip.timeline_frame(source_frame)
        return None

    def describe(self) -> str:
        """``shot.####.exr, frames 1001-1010 at 24 fps`` for the console."""
        clips = f"{len(self.clips)} clips, " if len(self.clips) > 1 else ""
        return f"{self.name}: {clips}frames {self.first}-{self.last} at {self.rate:g} fps"


def open_media(
    path: str | os.PathLike[str],
    *,
    fps: Optional[float] = None,
    part: Optional[str] = None,
    colorspace: Optional[str] = None,
) -> Playlist:
    """The playlist of ``path``: an image sequence (pattern, folder, frame file) or a ``.otio``.

    The rate is ``fps``, else the timeline's, else the files', else 24. ``part``
    picks a part of multi-part EXRs, ``colorspace`` overrides the files' colour
    space. Raises ``MediaError`` (one sentence) when there is nothing to play.
    """
    source = Path(path).expanduser()
    if fps is not None and not 0.001 <= fps <= 1000:
        raise MediaError(f"--fps {fps:g} is outside 0.001..1000")
    if source.suffix.lower() == ".otio":
        if not source.is_file():
            raise MediaError(f"{source}: no such file")
        timeline = read_timeline(source)
        sources, start, timeline_rate = timeline.clips, timeline.start, timeline.rate
        name, stem = timeline.name, source.stem
    else:
        sequence = find_sequence(source)
        first, last = sequence.first, sequence.last
        sources = (ClipSource(sequence.name, sequence, first, last),)
        start, timeline_rate = first, None
        name, stem = sequence.pattern, sequence.name
    clips = []
    for item in sources:
        clip = _open_clip(item, start, part, colorspace)
        clips.append(clip)
        start = clip.end + 1
    rate = fps or timeline_rate or clips[0].fps or DEFAULT_FPS
    return Playlist(name, source.resolve(), tuple(clips), float(rate), stem)


def _open_clip(
    item: ClipSource, start: int, part: Optional[str], colorspace: Optional[str]
) -> Clip:
    info = _probe(item, part)
    if info is None:
        width, height = SLATE_SIZE
        log.warning("%s: no readable frame; every frame shows a slate", item.sequence.describe())
    else:
        width, height = info.width, info.height
    fps = item.rate or (info.fps if info else None)
    return Clip(
        name=item.name,
        sequence=item.sequence,
        first=item.first,
        last=max(item.first, item.last),
        start=start,
        width=width,
        height=height,
        step=item.step,
        fps=fps,
        part=part,
        colorspace=colorspace,
    )


def _probe(item: ClipSource, part: Optional[str]) -> Optional[ImageInfo]:
    """The header of the clip's first readable frame (a wrong ``part`` is a ``MediaError``)."""
    frames = [f for f in item.sequence.frames if item.first <= f <= item.last] or list(
        item.sequence.frames
    )
    for frame in frames[:PROBE_FILES]:
        try:
            return probe(item.sequence.path(frame), frame, part)
        except PartNotFound as exc:
            raise MediaError(f"{exc.path}: {exc.reason}") from None
        except FrameUnreadable as exc:
            log.warning("%s", exc)
    return None

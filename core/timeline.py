"""Two editors' timelines, compared clip by clip before one follows the other, and the
playhead kept inside the driver's range.

Pure Python on the protocol's ``SharedTimeline``: the app adapters turn their own
timelines into one (Resolve through its OTIO export), the ``Sharer`` compares the
driver's with its own and shows the differences as a warning. Following works
by timeline frame, so what matters is where each clip sits and what it shows.

A playhead's ``range`` is the first and last frame there is: a frame past it (a driver
stepping on from the last frame) is no frame anyone can show. ``in_range`` brings it back:
to the nearest end while paused, round the loop while playing (playback loops its range).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from .model import Playhead
from .protocol.messages import SharedTimeline, TimelineClip

#: Differences listed by name at most; the rest are counted.
MAX_LISTED = 8


@dataclass(frozen=True)
class Difference:
    """One place where the two timelines differ, as a sentence about the clip."""

    clip: str
    text: str


def frame_in_range(frame: int, span: Optional[tuple[int, int]], playing: bool) -> int:
    """``frame`` inside ``span`` (first, last): clamped while paused, wrapped while playing.

    No span, or one whose last frame comes before its first, leaves the frame as it is.
    """
    if span is None:
        return frame
    first, last = span
    if last < first or first <= frame <= last:
        return frame
    if playing:
        return first + (frame - first) % (last - first + 1)
    return first if frame < first else last


def in_range(playhead: Playhead) -> Playhead:
    """``playhead`` with its frame inside its own range (see ``frame_in_range``)."""
    frame = frame_in_range(playhead.frame, playhead.range, playhead.playing)
    return playhead if frame == playhead.frame else dataclasses.replace(playhead, frame=frame)


def compare(mine: SharedTimeline, theirs: SharedTimeline) -> list[Difference]:
    """Where ``mine`` differs from ``theirs``: rate, start, and each clip (cut, length, media).

    Clips are paired by track and name, in order (a name used twice pairs first
    with first). A clip only one side has is reported as missing or extra; a pair
    that sits at another frame, lasts another length or shows other media is
    reported with the numbers, from ``mine``'s point of view ("your clip ...").
    """
    out: list[Difference] = []
    if abs(mine.rate - theirs.rate) > 1e-3:
        out.append(
            Difference(
                "",
                f"your timeline runs at {_fps(mine.rate)} fps, theirs at {_fps(theirs.rate)} fps",
            )
        )
    if mine.start != theirs.start:
        out.append(
            Difference("", f"your timeline starts at frame {mine.start}, theirs at {theirs.start}")
        )
    pairs, only_mine, only_theirs = _pair(mine.clips, theirs.clips)
    for a, b in pairs:
        out.extend(_clip_differences(a, b))
    out.extend(
        Difference(c.name, f"{_label(c)}: only in your timeline (at frame {c.start})")
        for c in only_mine
    )
    out.extend(
        Difference(c.name, f"{_label(c)}: missing from your timeline (theirs at frame {c.start})")
        for c in only_theirs
    )
    if mine.truncated or theirs.truncated:
        out.append(Difference("", "only the first clips of a long timeline were compared"))
    return out


def summary(differences: Sequence[Difference], theirs: str = "the driver's") -> str:
    """One warning for the panel: a line per difference (the first few), or "" when none."""
    if not differences:
        return ""
    lines = [f"Your timeline differs from {theirs}:"]
    lines.extend(f"- {d.text}" for d in differences[:MAX_LISTED])
    if len(differences) > MAX_LISTED:
        lines.append(f"- and {len(differences) - MAX_LISTED} more")
    return "\n".join(lines)


def _pair(
    mine: Sequence[TimelineClip], theirs: Sequence[TimelineClip]
) -> tuple[list[tuple[TimelineClip, TimelineClip]], list[TimelineClip], list[TimelineClip]]:
    left = sorted(mine, key=lambda c: (c.track, c.start))
    pool: dict[tuple[int, str], list[TimelineClip]] = {}
    for c in sorted(theirs, key=lambda c: (c.track, c.start)):
        pool.setdefault((c.track, c.name), []).append(c)
    pairs: list[tuple[TimelineClip, TimelineClip]] = []
    alone: list[TimelineClip] = []
    for c in left:
        match = pool.get((c.track, c.name))
        if match:
            pairs.append((c, match.pop(0)))
        else:
            alone.append(c)
    rest = sorted((c for cs in pool.values() for c in cs), key=lambda c: (c.track, c.start))
    return pairs, alone, rest


def _clip_differences(a: TimelineClip, b: TimelineClip) -> list[Difference]:
    out: list[Difference] = []
    label = _label(a)
    if a.duration != b.duration:
        longer = a.duration - b.duration
        word = "longer" if longer > 0 else "shorter"
        out.append(
            Difference(
                a.name,
                f"{label}: your clip is {_frames(abs(longer))} {word} "
                f"({a.duration} against {b.duration})",
            )
        )
    if a.start != b.start:
        out.append(
            Difference(a.name, f"{label}: your cut is at frame {a.start}, theirs at {b.start}")
        )
    if a.media != b.media and a.media is not None and b.media is not None:
        out.append(Difference(a.name, f"{label}: your clip shows {a.media}, theirs {b.media}"))
    elif (
        a.source_start is not None
        and b.source_start is not None
        and a.source_start != b.source_start
    ):
        out.append(
            Difference(
                a.name,
                f"{label}: your clip starts at source frame {a.source_start}, "
                f"theirs at {b.source_start}",
            )
        )
    return out


def _label(c: TimelineClip) -> str:
    return c.name if c.track == 1 else f"{c.name} (V{c.track})"


def _frames(n: int) -> str:
    return f"{n} frame" if n == 1 else f"{n} frames"


def _fps(rate: float) -> str:
    return f"{rate:.3f}".rstrip("0").rstrip(".")

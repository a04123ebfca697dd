"""Resolve's timecode strings and frame numbers, through ``opentimelineio.opentime``.

Resolve reports the playhead as a timecode (``01:00:10:05``; drop-frame rates with ``;``,
``01:00:10;05``) and takes one to move it. The session speaks frames: the timeline's
absolute frame count, the one ``Timeline.GetStartFrame()`` / ``GetEndFrame()`` use
(01:00:00:00 at 24 fps is frame 86400).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

from opentimelineio import opentime

#: Resolve's NTSC rates, as its settings write them, and their exact values.
NTSC_RATES = {
    "23.976": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
#: Rates at which SMPTE drop-frame timecode exists.
DROP_FRAME_RATES = frozenset({Fraction(30000, 1001), Fraction(60000, 1001)})


@dataclass(frozen=True)
class TimelineRate:
    """A timeline's frame rate and whether its timecode drops frames."""

    fps: float
    drop_frame: bool = False


def parse_rate(setting: str, drop_setting: Optional[str] = None) -> TimelineRate:
    """``GetSetting("timelineFrameRate")`` (``"24"``, ``"23.976"``, ``"29.97 DF"``) as a rate.

    ``drop_setting`` is ``GetSetting("timelineDropFrameTimecode")`` ("1" drops frames);
    either saying so makes a drop-frame rate, where drop frame exists.
    """
    m = re.match(r"\s*(\d+(?:\.\d+)?)\s*(DF|NDF)?", setting or "", re.I)
    if not m:
        raise ValueError(f"not a frame rate: timelineFrameRate is {setting!r}")
    exact = NTSC_RATES.get(m.group(1), Fraction(m.group(1)))
    if exact <= 0:
        raise ValueError(f"not a frame rate: timelineFrameRate is {setting!r}")
    says_df = (m.group(2) or "").upper() == "DF" or (drop_setting or "").strip() == "1"
    return TimelineRate(float(exact), says_df and exact in DROP_FRAME_RATES)


def to_frame(timecode: str, rate: TimelineRate) -> int:
    """The frame number of ``timecode`` (``;`` or ``:`` before the frames) at ``rate``."""
    text = timecode.strip()
    if not re.fullmatch(r"\d{1,2}[:;.]\d{2}[:;.]\d{2}[:;.,]\d{2,3}", text):
        raise ValueError(f"not a timecode: {timecode!r}")
    text = text[:8] + ";" + text[9:] if rate.drop_frame else text[:8] + ":" + text[9:]
    text = text[:2] + ":" + text[3:5] + ":" + text[6:]
    return round(opentime.from_timecode(text, rate.fps).to_frames())


def to_timecode(frame: int, rate: TimelineRate) -> str:
    """The timecode of ``frame`` at ``rate`` as Resolve writes it (``;`` for drop frame)."""
    rt = opentime.RationalTime(frame, rate.fps)
    return str(opentime.to_timecode(rt, rate.fps, rate.drop_frame))

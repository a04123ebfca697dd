"""Maya's time units (``cmds.currentUnit(query=True, time=True)``) as frames per second.

Maya names its rates: "film" is 24, "ntsc" 30, "pal" 25, "game" 15, "show" 48, "palf" 50,
"ntscf" 60; the NTSC-derived ones are written "23.976fps", "29.97fps", "29.97df" (drop
frame: the same 30000/1001 frames a second, counted differently in timecode), "47.952fps",
"59.94fps"; any other whole rate is "<n>fps" ("12fps", "120fps"). The NTSC rates are exact
fractions (24000/1001), not the rounded names.
"""

from __future__ import annotations

import math
import re

NAMED_RATES: dict[str, float] = {
    "game": 15.0,
    "film": 24.0,
    "pal": 25.0,
    "ntsc": 30.0,
    "show": 48.0,
    "palf": 50.0,
    "ntscf": 60.0,
    "23.976fps": 24000 / 1001,
    "29.97fps": 30000 / 1001,
    "29.97df": 30000 / 1001,
    "47.952fps": 48000 / 1001,
    "59.94fps": 60000 / 1001,
    "119.88fps": 120000 / 1001,
}
#: Units that are not frame rates (time in seconds): the scene has no frames to review.
CLOCK_UNITS = frozenset({"hour", "min", "sec", "millisec"})

_FPS = re.compile(r"^(\d+(?:\.\d+)?)fps$")


def fps_of_unit(unit: str) -> float:
    """Frames per second of a Maya time unit name; ``ValueError`` naming the unit if unknown."""
    name = unit.strip()
    if name in NAMED_RATES:
        return NAMED_RATES[name]
    match = _FPS.match(name)
    if match:
        value = float(match.group(1))
        if value > 0:
            return value
    if name in CLOCK_UNITS:
        raise ValueError(
            f"the scene's time unit is {name!r} (a clock unit, not a frame rate): set a frame "
            f"rate in Preferences > Settings > Time"
        )
    raise ValueError(f"unknown Maya time unit {name!r} (expected e.g. 'film', '29.97fps')")


def frame_of(time: float) -> int:
    """The whole frame a Maya time is on: sub-frames round to the nearest frame, halves up
    (1001.5 is 1002), so a time and the frame it is reported as differ by at most half."""
    return math.floor(time + 0.5)

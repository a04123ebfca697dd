"""Durations written the way people type them: "90s", "30m", "8h", "2d", "1h30m"."""

from __future__ import annotations

import math
import re

#: Seconds per unit, largest first; each unit's accepted spellings.
_UNITS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (7 * 86400, ("w", "week", "weeks")),
    (86400, ("d", "day", "days")),
    (3600, ("h", "hr", "hrs", "hour", "hours")),
    (60, ("m", "min", "mins", "minute", "minutes")),
    (1, ("s", "sec", "secs", "second", "seconds")),
)
_SECONDS = {name: seconds for seconds, names in _UNITS for name in names}
_PART = re.compile(r"\s*(\d{1,9}(?:\.\d{1,6})?)\s*([a-zA-Z]+)")
#: Longer than any sensible lifetime; a typo with too many digits is an error, not a century.
MAX_SECONDS = 100 * 365 * 86400
EXAMPLES = "90s, 30m, 8h, 2d or 1h30m"


class DurationError(ValueError):
    """A duration could not be read; the message names the value and what to write."""


def parse_duration(text: str) -> int:
    """The number of seconds ``text`` says, e.g. ``parse_duration("1h30m") == 5400``.

    Parts are a number (decimals allowed: "1.5h") and a unit (w, d, h, m, s or
    their long names), largest unit first, each unit at most once; spaces are
    allowed. The total is rounded to whole seconds. Less than a second, a bare
    number (seconds? hours?) and unknown units raise ``DurationError``.
    """
    if not isinstance(text, str):
        raise DurationError(f"a duration must be text such as {EXAMPLES}, got {text!r}")
    value = text.strip()
    if not value:
        raise DurationError(f"the duration is empty; write it like {EXAMPLES}")
    if value.replace(".", "", 1).isdigit():
        raise DurationError(
            f"duration {text!r} has no unit (did you mean {value}s?); write it like {EXAMPLES}"
        )
    total = 0.0
    last_unit = None
    pos = 0
    while pos < len(value):
        match = _PART.match(value, pos)
        if match is None:
            raise DurationError(f"cannot read duration {text!r}; write it like {EXAMPLES}")
        amount, unit = float(match.group(1)), match.group(2).lower()
        seconds = _SECONDS.get(unit)
        if seconds is None:
            raise DurationError(
                f"unknown unit {match.group(2)!r} in duration {text!r}; units are w, d, h, m and s"
            )
        if last_unit is not None and seconds >= last_unit:
            raise DurationError(
                f"in duration {text!r} units must go from largest to smallest, each once "
                "(e.g. 1h30m)"
            )
        last_unit = seconds
        total += amount * seconds
        pos = match.end()
        while pos < len(value) and value[pos].isspace():
            pos += 1
    if not math.isfinite(total) or total > MAX_SECONDS:
        raise DurationError(f"duration {text!r} is longer than 100 years")
    seconds = round(total)
    if seconds < 1:
        raise DurationError(f"duration {text!r} is shorter than a second; it must be at least 1s")
    if seconds > MAX_SECONDS:
        raise DurationError(f"duration {text!r} is longer than 100 years")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as the shortest text ``parse_duration`` reads back, e.g. ``5400 -> "1h30m"``."""
    left = round(seconds)
    if left <= 0:
        raise DurationError(f"cannot write a duration of {seconds!r} seconds; it must be >= 1s")
    parts = []
    for size, names in _UNITS:
        if size == 7 * 86400:
            continue  # "2w" reads less plainly than "14d"
        amount, left = divmod(left, size)
        if amount:
            parts.append(f"{amount}{names[0]}")
    return "".join(parts)

"""Human durations such as ``90s``, ``30m``, ``8h``, ``2d`` or ``1h30m``, in seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; ``ValueError`` naming the text when it is not a duration."""
    cleaned = text.strip().lower().replace(" ", "")
    if cleaned.isdigit():
        return float(cleaned)
    pos = 0
    total = 0.0
    for match in _PART.finditer(cleaned):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not cleaned or pos != len(cleaned):
        raise ValueError(
            f"{text!r} is not a duration; write e.g. 90s, 30m, 8h, 2d or 1h30m"
        )
    if total <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return total

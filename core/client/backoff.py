"""How long to wait before the next reconnect attempt: exponential, capped, jittered."""

from __future__ import annotations

import random
from collections.abc import Callable

from . import timeouts


def reconnect_delay(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before reconnect ``attempt`` (0 = the first retry).

    0.25 s doubling to at most 10 s, each jittered down to 50-100 % of that so
    that a relay restart is not met by every client in the same millisecond.
    """
    first, longest = timeouts.BACKOFF_FIRST_S, timeouts.BACKOFF_MAX_S
    base = min(longest, first * (2.0 ** min(max(attempt, 0), 30)))
    return base * (0.5 + 0.5 * rand())

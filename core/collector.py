"""Pausing Python's cyclic garbage collector while bulk data is built.

Building tens of thousands of small objects (a snapshot's notes, a session's
replayed log) sets off full collections that scan them again and again: half
the time of parsing a 10,000-note snapshot, and 20-80 ms pauses of the relay's
event loop while a room loads. The objects built there form no cycles, so
reference counting frees them and nothing is left uncollected.

What is built to be kept (a snapshot's notes live as long as the session) can
also skip the young generations: ``collector_paused(keep=True)`` moves every
object the collector tracks into the oldest generation when the block ends
(``gc.freeze`` then ``gc.unfreeze``: two list splices, no scan). Otherwise the
first collections after the block scan the new objects two or three times over
before they settle there anyway: 80-100 ms of a 10,000-note snapshot
(docs/decisions/snapshot-decoding.md). The objects other code made just before
(garbage cycles among them) are promoted too, so they wait for the next full
collection instead of the next young one: memory held a little longer, nothing
lost. Where something else has frozen objects (``gc.get_freeze_count()``), that
is left alone: unfreezing would hand its objects back to the collector.

What the pause means for a host app: cyclic collection is off in the whole process
(every thread, the app's main thread too) for as long as the block runs, a few
milliseconds per snapshot page; reference counting frees as ever. The collector is
turned back on at the end if it was on at the start, so an app that turns it off
from another thread during the block gets it back on. Another thread freezing
objects between the count's check and ``gc.freeze`` would have them unfrozen with
ours; no app or library we know of freezes objects after start-up (``gc.freeze`` is
meant for just before ``fork``).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused(keep: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block (process-wide; keep the block short).

    ``keep``: what the block built is kept for long; it goes straight to the oldest
    generation when the block ends (see the module's docstring).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if keep:
            promote_to_oldest()
        if was_enabled:
            gc.enable()


def promote_to_oldest() -> bool:
    """Move every tracked object into the oldest generation without scanning them.

    False (and nothing done) where some other code keeps objects frozen.
    """
    if gc.get_freeze_count():
        return False
    gc.freeze()
    gc.unfreeze()
    return True

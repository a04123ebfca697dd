"""The collector's pause, and what a kept block's objects become (core.collector)."""

from __future__ import annotations

import gc

import pytest

from overshoulder.core.collector import collector_paused, promote_to_oldest


class Node:
    """A tracked object that can hold a cycle."""

    def __init__(self) -> None:
        self.other: object = None


def _generation_of(obj: object) -> int:
    for generation in range(3):
        if any(o is obj for o in gc.get_objects(generation=generation)):
            return generation
    raise AssertionError("not tracked")


def test_a_paused_block_collects_nothing_and_leaves_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        cycle = Node()
        cycle.other = cycle
        assert gc.collect(0) >= 0  # an explicit collection still runs when asked
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused(keep=True):
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()


def test_what_a_kept_block_builds_goes_straight_to_the_oldest_generation() -> None:
    gc.collect()
    with collector_paused():
        young = Node()
    assert _generation_of(young) == 0
    with collector_paused(keep=True):
        kept = [Node() for _ in range(1000)]
    assert _generation_of(kept) == 2
    assert _generation_of(kept[500]) == 2
    assert gc.get_freeze_count() == 0  # nothing is left frozen


def test_kept_objects_are_still_collected_when_they_become_garbage() -> None:
    with collector_paused(keep=True):
        cycle = Node()
        cycle.other = cycle
    assert _generation_of(cycle) == 2
    del cycle
    gc.collect()
    assert not any(isinstance(o, Node) and o.other is o for o in gc.get_objects())


@pytest.fixture
def frozen_by_someone_else():
    gc.freeze()
    try:
        yield gc.get_freeze_count()
    finally:
        gc.unfreeze()


def test_objects_someone_else_froze_stay_frozen(frozen_by_someone_else: int) -> None:
    assert frozen_by_someone_else > 0
    with collector_paused(keep=True):
        young = Node()
    # Still frozen (the count falls only by what was freed meanwhile).
    assert gc.get_freeze_count() > frozen_by_someone_else // 2
    assert _generation_of(young) == 0
    assert promote_to_oldest() is False

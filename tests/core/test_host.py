"""What core/host.py gives every adapter besides the contract: event reports and the frame pace."""

from __future__ import annotations

import logging

import pytest

from overshoulder.core.host import FramePace
from tests.hosts.memory import MemoryHost


def test_frames_closer_than_the_gap_are_fast_a_single_step_or_a_pause_is_not() -> None:
    pace = FramePace(0.25)
    pace.note(10.0)
    assert not pace.fast(10.05), "one change is a step"
    pace.note(10.04)
    pace.note(10.08)
    assert pace.fast(10.1)
    assert not pace.fast(10.5), "stopped: the last change is older than the gap"
    pace.note(11.0)
    pace.note(11.6)
    assert not pace.fast(11.61), "changes further apart than the gap are steps"


def test_fire_reports_only_while_started_and_never_raises_into_the_app(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = MemoryHost()
    seen: list[str] = []
    try:
        host.fire(lambda: seen.append("before start"))
        host._reporting = True  # what an adapter's start() sets

        def broken() -> None:
            raise RuntimeError("handler bug")

        with caplog.at_level(logging.ERROR):
            host.fire(broken)
        host.fire(lambda: seen.append("started"))
        assert seen == ["started"]
        assert "an Overshoulder event handler failed" in caplog.text
    finally:
        host.shut()

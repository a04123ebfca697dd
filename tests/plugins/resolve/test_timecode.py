"""Resolve's timecode strings and frames: OTIO's conversion against the fake's own SMPTE one."""

from __future__ import annotations

import pytest

from overshoulder.plugins.resolve.timecode import parse_rate, to_frame, to_timecode
from tests.fakes.resolve_control import install

dvr = install()


@pytest.mark.parametrize(
    ("setting", "drop", "fps", "is_drop"),
    [
        ("24", "0", 24.0, False),
        ("23.976", None, 24000 / 1001, False),
        ("29.97", "1", 30000 / 1001, True),
        ("29.97 DF", None, 30000 / 1001, True),
        ("29.97", "0", 30000 / 1001, False),
        ("59.94", "1", 60000 / 1001, True),
        ("25", "1", 25.0, False),  # no drop frame at 25 fps, whatever the setting says
    ],
)
def test_rates_are_read_from_resolves_settings(
    setting: str, drop: str | None, fps: float, is_drop: bool
) -> None:
    rate = parse_rate(setting, drop)
    assert rate.fps == pytest.approx(fps)
    assert rate.drop_frame is is_drop


def test_a_rate_that_is_not_one_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="timelineFrameRate is 'fast'"):
        parse_rate("fast")


@pytest.mark.parametrize(
    ("setting", "drop"), [("24", "0"), ("23.976", "0"), ("29.97", "1"), ("59.94", "1"), ("25", "0")]
)
def test_frames_and_timecodes_agree_with_smpte_both_ways(setting: str, drop: str) -> None:
    rate = parse_rate(setting, drop)
    for frame in [0, 1, 1799, 1800, 1801, 17982, 17983, 86400, 107892, 107893, 215784]:
        smpte = dvr.frame_to_timecode(frame, rate.fps, rate.drop_frame)
        assert to_timecode(frame, rate) == smpte, (setting, frame)
        assert to_frame(smpte, rate) == frame, (setting, smpte)


def test_drop_frame_timecode_skips_the_first_two_frames_of_a_minute() -> None:
    rate = parse_rate("29.97", "1")
    assert to_timecode(1799, rate) == "00:00:59;29"
    assert to_timecode(1800, rate) == "00:01:00;02"
    assert to_timecode(17982, rate) == "00:10:00;00"  # every tenth minute keeps them
    assert to_frame("00:01:00;02", rate) == 1800


def test_not_a_timecode_is_refused() -> None:
    with pytest.raises(ValueError, match="not a timecode"):
        to_frame("", parse_rate("24"))

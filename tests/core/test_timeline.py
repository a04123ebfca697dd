"""Two editors' timelines compared clip by clip: each kind of difference, named by its clip."""

from __future__ import annotations

import dataclasses

from overshoulder.core.model import Playhead
from overshoulder.core.protocol.messages import SharedTimeline, TimelineClip
from overshoulder.core.timeline import MAX_LISTED, compare, frame_in_range, in_range, summary

CUT = SharedTimeline(
    name="Reel 1",
    rate=24.0,
    start=86400,
    end=86555,
    clips=[
        TimelineClip("sh010", 86400, 48, media="sh010_v012.mov", source_start=1001),
        TimelineClip("sh020", 86448, 36, media="sh020_v007.mov", source_start=1009),
        TimelineClip("sh030", 86496, 60, media="sh030_v004.mov", source_start=1001),
        TimelineClip("insert", 86460, 12, track=2, media="ins.mov"),
    ],
)


def edited(**changes: object) -> SharedTimeline:
    return dataclasses.replace(CUT, **changes)  # type: ignore[arg-type]


def clips_with(name: str, **changes: object) -> list[TimelineClip]:
    return [dataclasses.replace(c, **changes) if c.name == name else c for c in CUT.clips]  # type: ignore[arg-type]


def texts(mine: SharedTimeline, theirs: SharedTimeline = CUT) -> list[str]:
    return [d.text for d in compare(mine, theirs)]


def test_the_same_cut_has_no_differences_and_no_warning() -> None:
    assert compare(CUT, CUT) == []
    assert summary([]) == ""


def test_a_longer_clip_is_named_with_how_many_frames() -> None:
    mine = edited(clips=clips_with("sh020", duration=44))
    assert texts(mine) == ["sh020: your clip is 8 frames longer (44 against 36)"]
    assert compare(mine, CUT)[0].clip == "sh020"


def test_a_moved_cut_and_a_shorter_clip_on_another_track() -> None:
    mine = edited(clips=clips_with("insert", start=86462, duration=11))
    assert texts(mine) == [
        "insert (V2): your clip is 1 frame shorter (11 against 12)",
        "insert (V2): your cut is at frame 86462, theirs at 86460",
    ]


def test_other_media_or_another_part_of_it() -> None:
    assert texts(edited(clips=clips_with("sh030", media="sh030_v005.mov"))) == [
        "sh030: your clip shows sh030_v005.mov, theirs sh030_v004.mov"
    ]
    assert texts(edited(clips=clips_with("sh010", source_start=1005))) == [
        "sh010: your clip starts at source frame 1005, theirs at 1001"
    ]


def test_clips_only_one_side_has() -> None:
    mine = edited(
        clips=[c for c in CUT.clips if c.name != "sh030"] + [TimelineClip("sh040", 86556, 10)]
    )
    assert texts(mine) == [
        "sh040: only in your timeline (at frame 86556)",
        "sh030: missing from your timeline (theirs at frame 86496)",
    ]


def test_rate_and_start_differences_come_first() -> None:
    mine = edited(rate=25.0, start=90000)
    assert texts(mine)[:2] == [
        "your timeline runs at 25 fps, theirs at 24 fps",
        "your timeline starts at frame 90000, theirs at 86400",
    ]


def test_the_summary_lists_the_first_few_and_counts_the_rest() -> None:
    many = edited(clips=[TimelineClip(f"x{i}", 90000 + i, 1) for i in range(MAX_LISTED + 3)])
    text = summary(compare(many, CUT), "Ana's")
    lines = text.splitlines()
    assert lines[0] == "Your timeline differs from Ana's:"
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == f"- and {len(compare(many, CUT)) - MAX_LISTED} more"


def test_a_paused_playhead_past_its_range_stops_at_the_nearest_end() -> None:
    assert frame_in_range(1060, (1001, 1048), playing=False) == 1048
    assert frame_in_range(990, (1001, 1048), playing=False) == 1001
    assert frame_in_range(1020, (1001, 1048), playing=False) == 1020
    assert in_range(Playhead(frame=1060, range=(1001, 1048))).frame == 1048


def test_a_playing_playhead_past_its_range_goes_round_the_loop() -> None:
    assert frame_in_range(1049, (1001, 1048), playing=True) == 1001
    assert frame_in_range(1060, (1001, 1048), playing=True) == 1012
    assert frame_in_range(1000, (1001, 1048), playing=True) == 1048


def test_a_playhead_without_a_usable_range_is_left_alone() -> None:
    head = Playhead(frame=1060)
    assert in_range(head) is head
    assert frame_in_range(1060, (1048, 1001), playing=False) == 1060

"""OTIO timelines: a playlist over the clips of a video track, each with its source range."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio
import pytest

from overshoulder.core.model import HostObject
from overshoulder.plugins.player import MediaError, PlayerHost, open_media

from . import media_files


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    """Two shots: sh010 (ImageSequenceReference, frames 1001-1010) and sh020 (ExternalReference)."""
    media_files.sequence(tmp_path / "sh010", "sh010", range(1001, 1011))
    media_files.sequence(tmp_path / "sh020", "sh020", range(1, 7), padding=4)
    first = media_files.otio_clip(
        "sh010",
        media_files.image_sequence_reference(tmp_path / "sh010", "sh010.", 1001, 10),
        first=1003,
        duration=4,
    )
    second = otio.schema.Clip(
        name="sh020",
        media_reference=otio.schema.ExternalReference(
            target_url="sh020/sh020.%04d.exr",  # relative to the .otio file
            available_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(6, 24)
            ),
        ),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(2, 24), otio.opentime.RationalTime(3, 24)
        ),
    )
    gap = otio.schema.Gap(
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(5, 24)
        )
    )
    return media_files.write_timeline(tmp_path / "cut.otio", [first, gap, second])


def test_clips_play_one_after_another_with_their_source_ranges(cut: Path) -> None:
    playlist = open_media(cut)
    assert [c.name for c in playlist.clips] == ["sh010", "sh020"]
    assert playlist.rate == 24.0
    assert (playlist.first, playlist.last) == (0, 6)  # 4 + 3 frames, the gap skipped
    sh010, sh020 = playlist.clips
    assert (sh010.first, sh010.last, sh010.start) == (1003, 1006, 0)
    assert (sh020.first, sh020.last, sh020.start) == (3, 5, 4)  # media time 2 is the 3rd file
    assert [playlist.locate(f)[0].path(playlist.locate(f)[1]).name for f in range(7)] == [
        "sh010.1003.exr",
        "sh010.1004.exr",
        "sh010.1005.exr",
        "sh010.1006.exr",
        "sh020.0003.exr",
        "sh020.0004.exr",
        "sh020.0005.exr",
    ]


def test_the_player_names_the_clip_and_its_frame_in_captures_and_anchors(cut: Path) -> None:
    player = PlayerHost(open_media(cut), autoplay=False, frame=5)
    try:
        player.start()
        capture = player.capture()
        assert capture is not None and capture.frame == 5
        assert capture.version == "sh020.0004.exr"
        assert capture.source is not None
        assert capture.source.kind == "player.clip"
        assert capture.source.path.endswith("sh020.####.exr")
        assert (capture.source.label, capture.source.item_frame) == ("sh020", 4)
        anchor = player.call_on_main(player.anchor)
        assert anchor.frame == 5 and anchor.object == capture.source
        assert anchor.time is not None and (anchor.time.value, anchor.time.rate) == (5.0, 24.0)
        sh010 = str((cut.parent / "sh010").resolve() / "sh010.####.exr")
        assert player.select(HostObject("player.clip", sh010, item_frame=1004))
        player.call_on_main(lambda: None)
        assert player.playhead().frame == 1
        assert not player.select(HostObject("nuke.node", "Grade1"))
    finally:
        player.close()


def test_the_timelines_start_time_numbers_the_frames(tmp_path: Path) -> None:
    media_files.sequence(tmp_path, "a", range(1, 4))
    clip = media_files.otio_clip(
        "a", media_files.image_sequence_reference(tmp_path, "a.", 1, 3), 1, 3
    )
    timeline = otio.schema.Timeline(
        name="reel", global_start_time=otio.opentime.RationalTime(86400, 24)
    )
    track = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    track.append(clip)
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "reel.otio"))
    playlist = open_media(tmp_path / "reel.otio")
    assert (playlist.first, playlist.last) == (86400, 86402)


def test_a_clip_whose_files_are_gone_still_plays_as_slates(tmp_path: Path) -> None:
    media_files.sequence(tmp_path / "here", "here", range(1, 3))
    clips = [
        media_files.otio_clip(
            "here", media_files.image_sequence_reference(tmp_path / "here", "here.", 1, 2), 1, 2
        ),
        media_files.otio_clip(
            "gone", media_files.image_sequence_reference(tmp_path / "gone", "gone.", 1, 2), 1, 2
        ),
    ]
    playlist = open_media(media_files.write_timeline(tmp_path / "t.otio", clips))
    assert [c.name for c in playlist.clips] == ["here", "gone"]
    player = PlayerHost(playlist, autoplay=False, frame=3)
    try:
        capture = player.capture()
        assert capture is not None and capture.colorspace == "sRGB"  # the slate
        problem = player.problem(3)
        assert problem is not None and problem.path.name == "gone.0002.exr"
    finally:
        player.close()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not a readable OTIO timeline"),
        ('{"OTIO_SCHEMA": "Timeline.1", "tracks": 5}', "not a readable OTIO timeline"),
    ],
)
def test_an_unreadable_timeline_is_one_clear_error(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "bad.otio"
    path.write_text(content)
    with pytest.raises(MediaError, match=says):
        open_media(path)


def test_a_timeline_without_image_sequences_is_an_error(tmp_path: Path) -> None:
    clip = otio.schema.Clip(
        name="audio",
        media_reference=otio.schema.MissingReference(),
        source_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(5, 24)
        ),
    )
    path = media_files.write_timeline(tmp_path / "empty.otio", [clip])
    with pytest.raises(MediaError, match="no clip in its video tracks refers to an image sequence"):
        open_media(path)

"""Missing, empty, damaged and truncated frames: a slate naming file and frame; playback goes on."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from overshoulder.core.codec import FrameEncoder
from overshoulder.plugins.player import PlayerHost, open_media, render_slate
from overshoulder.plugins.player.errors import FrameUnreadable

from . import media_files
from .media_files import HEIGHT, WIDTH


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """shot.1001-1006: 1002 truncated, 1003 empty, 1004 missing (a gap), 1005 text named .exr."""
    paths = media_files.sequence(tmp_path, frames=range(1001, 1007))
    media_files.truncate(paths[1])
    paths[2].write_bytes(b"")
    paths[3].unlink()
    paths[4].write_text("this is not an image\n")
    return tmp_path


@pytest.fixture
def player(damaged: Path) -> Iterator[PlayerHost]:
    host = PlayerHost(open_media(damaged / "shot.####.exr"), autoplay=False)
    host.start()
    try:
        yield host
    finally:
        host.close()


@pytest.mark.parametrize(
    ("frame", "file", "reason"),
    [
        (1002, "shot.1002.exr", "damaged or truncated"),
        (1003, "shot.1003.exr", "the file is empty (0 bytes)"),
        (1004, "shot.1004.exr", "missing on disk (a gap in the sequence)"),
        (1005, "shot.1005.exr", "not a readable image"),
    ],
)
def test_a_bad_frame_becomes_a_slate_that_names_the_file_and_the_frame(
    player: PlayerHost,
    caplog: pytest.LogCaptureFixture,
    frame: int,
    file: str,
    reason: str,
) -> None:
    player.call_on_main(lambda: player.set_playhead(frame, False))
    with caplog.at_level(logging.WARNING, logger="overshoulder.player"):
        capture = player.capture()
    assert capture is not None and capture.frame == frame
    assert (capture.width, capture.height) == (WIDTH, HEIGHT)  # the clip's size
    assert capture.colorspace == "sRGB" and capture.pixels.dtype == np.uint8
    assert capture.version == file
    assert len(np.unique(capture.pixels.reshape(-1, 3), axis=0)) > 10, "the slate has no text"
    problem = player.problem(frame)
    assert problem is not None
    assert (problem.frame, problem.path.name) == (frame, file)
    assert reason in problem.reason
    logged = caplog.text
    assert f"frame {frame}" in logged and file in logged and reason in logged


def test_the_good_frames_around_bad_ones_still_read(player: PlayerHost) -> None:
    for frame in (1001, 1006):
        player.call_on_main(lambda frame=frame: player.set_playhead(frame, False))
        capture = player.capture()
        assert capture is not None and capture.frame == frame
        assert capture.colorspace == "lin_rec709" and capture.pixels.dtype == np.float16
        expected = media_files.frame_pixels(frame)
        assert np.allclose(capture.pixels.astype(np.float32), expected, atol=0.01)
        assert player.problem(frame) is None


def test_playback_runs_through_bad_frames(damaged: Path) -> None:
    """A fake clock: play from 1001 past every bad frame and loop around."""
    now = [0.0]
    host = PlayerHost(open_media(damaged / "shot.####.exr"), clock=lambda: now[0], autoplay=True)
    try:
        host.start()
        seen = []
        for step in range(8):
            now[0] = step / 24 + 0.001
            host.call_on_main(host.sync)
            capture = host.capture()
            assert capture is not None
            seen.append(capture.frame)
        assert seen == [1001, 1002, 1003, 1004, 1005, 1006, 1001, 1002]
    finally:
        host.close()


def test_a_problem_is_logged_once_and_cleared_when_the_file_is_fixed(
    damaged: Path, player: PlayerHost, caplog: pytest.LogCaptureFixture
) -> None:
    player.call_on_main(lambda: player.set_playhead(1004, False))
    with caplog.at_level(logging.WARNING, logger="overshoulder.player"):
        player.capture()
        player.capture()
    assert caplog.text.count("shot.1004.exr") == 1
    media_files.write_image(damaged / "shot.1004.exr", media_files.frame_pixels(1004))
    capture = player.capture()
    assert capture is not None and capture.colorspace == "lin_rec709"
    assert player.problem(1004) is None


def test_a_clip_without_any_readable_frame_shows_slates_at_a_default_size(tmp_path: Path) -> None:
    (tmp_path / "bad.0001.exr").write_bytes(b"")
    host = PlayerHost(open_media(tmp_path / "bad.####.exr"), autoplay=False)
    try:
        capture = host.capture()
        assert capture is not None and (capture.width, capture.height) == (1280, 720)
    finally:
        host.close()


def test_a_slate_wraps_a_long_reason_inside_the_frame() -> None:
    problem = FrameUnreadable(Path("/x/shot.1001.exr"), 1001, "word " * 200)
    image = render_slate(problem, 320, 180)
    background = image[100, 0]
    inked = np.any(image != background, axis=2)
    inked[:4] = False  # the red band at the top
    rows = np.flatnonzero(inked.any(axis=1))
    assert rows.max() - rows.min() > 120, "the words should fill the frame, line after line"
    assert not inked[:, 320 - 10 :].any(), "text ran into the right margin"


def test_a_colour_space_the_config_does_not_know_is_shown_as_the_default_and_said_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Files (or callers) may name spaces the OCIO config lacks: the frames still go out."""
    path = media_files.write_image(tmp_path / "odd.0001.exr", media_files.frame_pixels(1))
    host = PlayerHost(open_media(path, colorspace="Studio Log v3"), autoplay=False)
    try:
        with caplog.at_level(logging.WARNING, logger="overshoulder.player"):
            capture = host.capture()
            host.display_image(1)
        assert capture is not None and capture.colorspace == "lin_rec709"
        assert caplog.text.count("'Studio Log v3' cannot be used") == 1
        encoder = FrameEncoder(lambda header, payload: None)
        try:
            encoder.submit(capture)  # the encoder takes it (a name it does not know: ValueError)
        finally:
            encoder.close()
    finally:
        host.close()

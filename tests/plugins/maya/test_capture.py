"""Capturing the viewport: the frame buffer's pixels, a playblast's JPEG, fallbacks, playback."""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from overshoulder.core.codec import decode_jpeg
from tests.fakes.maya_control import expected_pattern, fake, on_main


def test_the_frame_buffer_capture_is_exactly_what_the_viewport_shows(maya_host: Any) -> None:
    capture = maya_host.capture()
    assert (capture.frame, capture.width, capture.height) == (1001, 640, 360)
    assert capture.encoded is None and capture.colorspace == "sRGB"
    assert np.array_equal(capture.pixels, expected_pattern("shotCam", 1001))
    assert capture.source.label == "|shotCam" and capture.source.kind == "maya.dag"
    assert capture.version == "untitled:shotCam"
    assert fake().read_color_buffers == 1 and fake().playblasts == 0


def test_another_camera_and_another_frame_give_another_image(
    maya_host: Any, cmds: ModuleType
) -> None:
    on_main(lambda: cmds.lookThru("modelPanel4", "persp"))
    on_main(lambda: cmds.currentTime(1010))
    capture = maya_host.capture()
    assert capture.frame == 1010 and capture.source.label == "|persp"
    assert np.array_equal(capture.pixels, expected_pattern("persp", 1010))
    assert not np.array_equal(capture.pixels, expected_pattern("shotCam", 1010))


def test_a_playblast_capture_is_a_jpeg_maya_wrote_and_its_file_is_removed(
    maya_host: Any, tmp_path: Path
) -> None:
    maya_host._grab.method = "playblast"
    moved: list[str] = []
    maya_host.events.playhead_changed = lambda: moved.append("playhead")
    capture = maya_host.capture()
    assert capture.pixels is None and capture.codec == "jpeg"
    assert (capture.width, capture.height) == (640, 360)
    image = decode_jpeg(capture.encoded)
    assert np.abs(image.astype(int) - expected_pattern("shotCam", 1001)).mean() < 4
    assert fake().playblasts == 1 and fake().read_color_buffers == 0
    assert list((tmp_path / "captures").iterdir()) == [], "the JPEG is removed once read"
    assert moved == [], "the playblast's own time changes are not reported"
    assert fake().undo_stack == []


def test_a_frame_buffer_that_cannot_be_read_falls_back_to_a_playblast(
    maya_host: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import maya.api.OpenMayaUI as omui

    def broken(self: Any, image: Any, rgba: bool = False) -> None:
        raise RuntimeError("(kFailure): Unexpected Internal Failure")

    monkeypatch.setattr(omui.M3dView, "readColorBuffer", broken)
    first = maya_host.capture()
    second = maya_host.capture()
    assert first.codec == second.codec == "jpeg" and first.encoded is not None
    assert fake().playblasts == 2
    warnings = [r for r in caplog.records if "using a playblast instead" in r.getMessage()]
    assert len(warnings) == 1, "said once, not per frame"


def test_a_batch_session_captures_nothing(cmds: ModuleType, tmp_path: Path) -> None:
    from overshoulder.plugins.maya.host import MayaHost

    fake().batch = True
    host = MayaHost(temp_dir=str(tmp_path))
    host.start()
    assert host.capture() is None
    assert fake().event_callbacks == {} and fake().render_callbacks == {}


def test_while_maya_plays_captures_are_spaced(maya_host: Any, cmds: ModuleType) -> None:
    from overshoulder.plugins.maya.defaults import PLAYBACK_CAPTURE_INTERVAL_S

    on_main(lambda: cmds.play(state=True))
    on_main(lambda: None)
    start = time.monotonic()
    for _ in range(3):
        maya_host.capture()
    assert time.monotonic() - start >= 2 * PLAYBACK_CAPTURE_INTERVAL_S * 0.9
    on_main(lambda: cmds.play(state=False))


def test_the_view_is_refreshed_before_its_frame_buffer_is_read_and_that_redraw_is_not_news(
    maya_host: Any,
) -> None:
    changes: list[str] = []
    maya_host.events.image_changed = lambda: changes.append("image")
    fake().captures.clear()
    for _ in range(3):
        maya_host.capture()
    steps = [(c["how"], c["panel"], c.get("force")) for c in fake().captures]
    assert steps == [("refresh", "modelPanel4", True), ("readColorBuffer", "modelPanel4", None)] * 3
    assert changes == [], "the adapter's own redraws never ask for another capture"


@pytest.mark.parametrize("renderer", [2, 0], ids=["viewport2-floats", "legacy-bytes"])
def test_float_and_byte_frame_buffers_give_the_same_pixels(maya_host: Any, renderer: int) -> None:
    fake().renderer = renderer
    capture = maya_host.capture()
    assert np.array_equal(capture.pixels, expected_pattern("shotCam", 1001))


def test_a_frame_buffer_of_another_pixel_type_is_refused_by_name_and_played_blast(
    maya_host: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake().image_pixel_type = 0  # MImage.kUnknown
    capture = maya_host.capture()
    assert capture.codec == "jpeg" and fake().playblasts == 1
    (warning,) = [r.getMessage() for r in caplog.records if "using a playblast" in r.getMessage()]
    assert "pixel type 0" in warning and "kByte" in warning


def test_a_playblast_puts_the_exact_time_back_and_reports_nothing(
    maya_host: Any, cmds: ModuleType
) -> None:
    maya_host._grab.method = "playblast"
    on_main(lambda: cmds.currentTime(1001.3))  # a sub-frame: the playblast blasts 1001
    moved: list[str] = []
    maya_host.events.playhead_changed = lambda: moved.append("playhead")
    maya_host.events.image_changed = lambda: moved.append("image")
    capture = maya_host.capture()
    assert capture.frame == 1001 and capture.codec == "jpeg"
    assert fake().time == 1001.3, "the time is where the artist left it"
    assert moved == [] and fake().undo_stack == []

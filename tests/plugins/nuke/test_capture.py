"""Capture: the viewed node rendered by Nuke through a temporary Write, as JPEG bytes."""

from __future__ import annotations

import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from overshoulder.core.codec import decode_jpeg
from overshoulder.plugins.nuke.capture import CaptureFailed, display_view, jpeg_size
from tests.fakes.nuke_control import expected_pattern, on_main


def nodes_now(nuke: ModuleType) -> list[str]:
    return on_main(lambda: sorted(n.name() for n in nuke.allNodes()))


def looks_like(image: np.ndarray, expected: np.ndarray) -> bool:
    return image.shape == expected.shape and float(np.abs(image.astype(int) - expected).mean()) < 4


def test_capture_is_the_jpeg_nuke_wrote_of_the_viewed_node(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    before, undo_before = nodes_now(nuke), list(nuke._fake.undo_stack)
    capture = nuke_host.capture()
    assert capture is not None
    assert (capture.codec, capture.colorspace, capture.pixels) == ("jpeg", "sRGB", None)
    assert capture.encoded[:2] == b"\xff\xd8"
    assert (capture.width, capture.height, capture.frame) == (320, 180, 1001)
    image = decode_jpeg(capture.encoded)
    assert looks_like(image, expected_pattern(comp["grade"], 1001))
    assert capture.source is not None and capture.source.label == "Grade1"

    render = nuke._fake.renders[-1]
    assert render["source"] == "Grade1" and render["raw"] is True
    assert render["thread"] == "fake-nuke-main", "the render must run on Nuke's main thread"
    assert [step["class"] for step in render["chain"]] == ["OCIODisplay"]
    ocio = render["chain"][0]["knobs"]
    assert (ocio["display"], ocio["view"]) == ("default", "sRGB")

    assert nodes_now(nuke) == before, "a temporary node was left in the script"
    assert nuke._fake.undo_stack == undo_before, "capture touched the undo stack"
    assert not nuke._fake.undo_disabled
    assert list((tmp_path / "captures").iterdir()) == [], "a rendered file was left behind"


def test_a_different_node_frame_or_knob_gives_a_different_image(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    first = decode_jpeg(nuke_host.capture().encoded)

    on_main(lambda: nuke_host.set_playhead(1004, False))
    moved = nuke_host.capture()
    assert moved.frame == 1004
    assert looks_like(decode_jpeg(moved.encoded), expected_pattern(comp["grade"], 1004))
    assert not looks_like(decode_jpeg(moved.encoded), first)

    on_main(lambda: comp["blur"]["size"].setValue(7.0))
    tweaked = decode_jpeg(nuke_host.capture().encoded)
    assert looks_like(tweaked, expected_pattern(comp["grade"], 1004))
    assert not looks_like(tweaked, decode_jpeg(moved.encoded))

    on_main(lambda: comp["viewer"].setInput(0, comp["blur"]))
    other = nuke_host.capture()
    assert other.source.label == "Blur1"
    assert looks_like(decode_jpeg(other.encoded), expected_pattern(comp["blur"], 1004))


def test_the_viewers_input_process_and_display_are_baked_in(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    def set_up() -> None:
        nuke.nodes.Vectorfield(name="VIEWER_INPUT", vfield_file="/luts/show.cube")
        comp["viewer"]["viewerProcess"].setValue("Rec.709 (ACES)")

    on_main(set_up)
    before = nodes_now(nuke)
    capture = nuke_host.capture()
    chain = nuke._fake.renders[-1]["chain"]
    assert [s["class"] for s in chain] == ["OCIODisplay", "Vectorfield"]
    assert chain[1]["knobs"]["vfield_file"] == "/luts/show.cube"
    assert (chain[0]["knobs"]["display"], chain[0]["knobs"]["view"]) == ("ACES", "Rec.709")
    assert (capture.display, capture.view) == ("ACES", "Rec.709")
    assert nodes_now(nuke) == before

    on_main(lambda: comp["viewer"]["input_process"].setValue(False))
    nuke_host.capture()
    assert [s["class"] for s in nuke._fake.renders[-1]["chain"]] == ["OCIODisplay"]


@pytest.mark.parametrize(
    ("process", "expected"),
    [
        ("sRGB (ACES)", ("ACES", "sRGB")),
        ("Rec.709 (ACES)", ("ACES", "Rec.709")),
        ("sRGB - Display (sRGB - Display)", ("sRGB - Display", "sRGB - Display")),
        ("rec709", (None, "rec709")),
        ("None", (None, None)),
    ],
)
def test_viewer_process_names_become_display_and_view(
    nuke: ModuleType, process: str, expected: tuple[Any, Any]
) -> None:
    viewer = nuke.nodes.Viewer(viewerProcess=process)
    assert display_view(viewer) == expected


def test_a_failed_render_says_why_and_leaves_nothing_behind(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    def broken_read() -> None:
        read = nuke.nodes.Read(file=str(tmp_path / "missing.####.exr"))
        comp["blur"].setInput(0, read)

    on_main(broken_read)
    before, undo_before = nodes_now(nuke), list(nuke._fake.undo_stack)
    with pytest.raises(CaptureFailed, match=r"rendering Grade1 at frame 1001 failed: Read1: "):
        nuke_host.capture()
    assert nodes_now(nuke) == before
    assert nuke._fake.undo_stack == undo_before and not nuke._fake.undo_disabled
    assert list((tmp_path / "captures").iterdir()) == []

    nuke._fake.fail_render = "out of memory"
    on_main(lambda: comp["viewer"].setInput(0, comp["constant"]))
    with pytest.raises(CaptureFailed, match="out of memory"):
        nuke_host.capture()
    assert nodes_now(nuke) == before


def test_nothing_viewed_is_no_capture(nuke: ModuleType, comp: dict[str, Any], nuke_host: Any):
    on_main(lambda: comp["viewer"].setInput(0, None))
    assert nuke_host.capture() is None


def test_the_temporary_folder_goes_when_the_host_stops(
    nuke: ModuleType, comp: dict[str, Any], main_loop: Any
) -> None:
    from overshoulder.plugins.nuke.host import NukeHost

    host = NukeHost(main_thread=main_loop.thread)
    on_main(host.start)
    host.capture()
    folder = Path(host._render.folder())
    assert folder.is_dir() and folder.name.startswith("overshoulder-nuke-")
    on_main(host.stop)
    assert not folder.exists()


def test_playback_renders_at_most_once_per_interval(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import overshoulder.plugins.nuke.host as host_module

    monkeypatch.setattr(host_module, "PLAYBACK_CAPTURE_INTERVAL_S", 0.3)
    for f in range(1001, 1005):  # frames changing fast: playback
        on_main(lambda f=f: nuke.frame(f))
    nuke_host.capture()
    started = threading.Event()
    took: list[float] = []

    def again() -> None:
        import time

        t0 = time.monotonic()
        started.set()
        on_main(lambda: nuke.frame(1005))
        took.append(time.monotonic() - t0)
        capture = nuke_host.capture()
        took.append(time.monotonic() - t0)
        assert capture.frame == 1005

    worker = threading.Thread(target=again)
    worker.start()
    worker.join(10)
    assert took and took[-1] >= 0.25, f"a playback capture came too soon: {took}"


def test_jpeg_size_reads_the_frame_header() -> None:
    import simplejpeg

    data = simplejpeg.encode_jpeg(np.zeros((37, 53, 3), np.uint8), quality=80)
    assert jpeg_size(data) == (53, 37)
    with pytest.raises(ValueError, match="not a JPEG"):
        jpeg_size(b"\x89PNG")

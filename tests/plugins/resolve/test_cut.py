"""The cut the session shares: Resolve's OTIO export (the fake writes a real one) read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from overshoulder.core.protocol.messages import SharedTimeline
from overshoulder.core.schema import decode, encode
from overshoulder.plugins.resolve.cut import CutError, read_cut
from tests.fakes import resolve_control
from tests.fakes.resolve_control import REEL, REEL_START


def names_and_spans(cut: SharedTimeline) -> list[tuple[str, int, int, int]]:
    return [(c.name, c.track, c.start, c.duration) for c in cut.clips]


def test_the_test_reel_reads_as_its_clips_in_absolute_frames() -> None:
    cut = read_cut(REEL)
    assert (cut.name, cut.rate, cut.start, cut.end) == ("Reel 1 v3", 24.0, REEL_START, 86555)
    assert names_and_spans(cut) == [
        ("sh010", 1, 86400, 48),
        ("sh020", 1, 86448, 36),
        ("sh030", 1, 86496, 60),  # after a 12-frame gap
        ("sh020 insert", 2, 86460, 12),
    ]
    assert cut.clips[0].media == "sh010_comp_v012.mov"
    assert cut.clips[1].source_start == 1009


def test_resolves_export_reads_back_as_the_same_cut(resolve: Any, tmp_path: Path) -> None:
    timeline = resolve_control.timeline(resolve)
    out = tmp_path / "export.otio"
    assert timeline.Export(str(out), resolve.EXPORT_OTIO, resolve.EXPORT_NONE)
    assert read_cut(out) == read_cut(REEL)


def test_a_trim_shows_in_the_next_export(resolve: Any, tmp_path: Path) -> None:
    resolve_control.trim(resolve, "sh020", 8)
    out = tmp_path / "trimmed.otio"
    assert resolve_control.timeline(resolve).Export(str(out), resolve.EXPORT_OTIO, 0)
    spans = names_and_spans(read_cut(out))
    assert ("sh020", 1, 86448, 44) in spans and ("sh030", 1, 86504, 60) in spans


def test_the_cut_round_trips_through_the_protocol() -> None:
    cut = read_cut(REEL)
    assert decode(SharedTimeline, encode(cut)) == cut


def test_a_file_that_is_not_a_timeline_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "broken.otio"
    bad.write_text("{not json")
    with pytest.raises(CutError, match=r"broken\.otio: not a readable OTIO timeline"):
        read_cut(bad)


def test_a_2997_drop_frame_timeline_keeps_its_frames(tmp_path: Path) -> None:
    resolve = resolve_control.open_resolve(rate="29.97", drop=True)
    out = tmp_path / "df.otio"
    assert resolve_control.timeline(resolve).Export(str(out), resolve.EXPORT_OTIO, 0)
    cut = read_cut(out, 30000 / 1001)
    assert cut.rate == pytest.approx(29.97, abs=1e-3)
    # The 24 fps reel conformed to 29.97 keeps its times: one hour in is 01:00:00;00.
    assert cut.start == 107892
    assert resolve_control.timeline(resolve).GetStartTimecode() == "01:00:00;00"
    assert [c.duration for c in cut.clips] == [60, 45, 75, 15]
    resolve_control.not_running()

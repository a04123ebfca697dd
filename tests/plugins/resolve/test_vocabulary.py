"""Resolve's vocabulary: the literal scan catches a name nobody sourced, and the fake refuses
such names the way Resolve does (one list for both: tests/fakes/resolve_vocabulary.py)."""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import resolve_control
from tests.fakes.resolve_vocabulary import METHODS, VOCABULARY, literal_uses
from tests.fakes.vocabulary import ConstantResolver

PLANTED = """
from typing import cast
from Qt import QtCore
import opentimelineio as otio

from .defaults import GOOD_COLOUR

REVIEW_PAGES = frozenset({"edit", "review"})


def f(resolve, timeline, item):
    timeline.AddMarker(1.0, "Scarlet", "n", "note", 1.0, "x")
    item.AddMarker(1.0, cast("MarkerColor", GOOD_COLOUR), "n", "note", 1.0, "x")
    resolve.OpenPage("Edit")
    if resolve.GetCurrentPage() == "colour":
        pass
    timeline.GetSetting("timelineFps")
    timeline.GetCurrentTimeCode()
    timeline.Export("x.otio", resolve.EXPORT_OTIOX, resolve.EXPORT_NONE)
    QtCore.QTimer(None)
    otio.schema.Clip(name="x")
"""


def planted_uses(tmp_path: Path) -> list[Any]:
    (tmp_path / "defaults.py").write_text('GOOD_COLOUR = "Mint"\n')
    (tmp_path / "planted.py").write_text(textwrap.dedent(PLANTED))
    resolver = ConstantResolver(tmp_path)
    return list(literal_uses(resolver.trees["planted"], "planted", resolver))


def test_the_literal_scan_catches_every_planted_name_resolve_lacks(tmp_path: Path) -> None:
    uses = planted_uses(tmp_path)
    unknown = {(u.category, u.name) for u in uses if not VOCABULARY.has(u.category, u.name)}
    assert unknown == {
        ("marker_color", "Scarlet"),
        ("page", "Edit"),  # Resolve's pages are lower case
        ("page", "colour"),
        ("page", "review"),
        ("setting", "timelineFps"),
        ("method", "GetCurrentTimeCode"),
        ("constant:Resolve", "EXPORT_OTIOX"),
    }
    found = {(u.category, u.name) for u in uses}
    assert ("marker_color", "Mint") in found  # through cast() and a constant of defaults
    assert ("page", "edit") in found and ("method", "AddMarker") in found
    # Qt and OTIO are not Resolve: their capitalised calls are not Resolve methods.
    assert not {"QTimer", "Clip"} & {u.name for u in uses}
    lines = {u.name: u.line for u in uses}
    assert lines["Scarlet"] == 12 and lines["GetCurrentTimeCode"] == 18


# --- the fake refuses the same names ---------------------------------------------------------


def test_a_method_resolve_lacks_is_none_and_calling_it_raises_as_in_resolve(resolve: Any) -> None:
    timeline = resolve_control.timeline(resolve)
    assert timeline.GetCurrentTimeCode is None
    with pytest.raises(TypeError, match="'NoneType' object is not callable"):
        timeline.GetCurrentTimeCode()
    assert resolve.EXPORT_OTIOX is None
    assert timeline.GetCurrentTimecode()  # the right spelling works


def test_the_fake_refuses_unsourced_values_as_resolve_answers_them(
    resolve: Any, tmp_path: Path
) -> None:
    timeline = resolve_control.timeline(resolve)
    project = resolve.GetProjectManager().GetCurrentProject()
    assert timeline.AddMarker(0.0, "Scarlet", "n", "note", 1.0, "x") is False
    assert timeline.AddMarker(0.0, "Mint", "n", "note", 1.0, "x") is True
    assert resolve.OpenPage("Edit") is False and resolve.GetCurrentPage() == "edit"
    assert resolve.OpenPage("color") is True
    assert timeline.GetSetting("timelineFps") == ""  # "a trivial result"
    assert timeline.GetSetting("timelineFrameRate") == "24"
    assert project.ExportCurrentFrameAsStill(str(tmp_path / "still.exr")) is False
    assert project.ExportCurrentFrameAsStill(str(tmp_path / "still.jpg")) is True


def test_every_method_the_fake_has_is_in_the_vocabulary_of_its_class() -> None:
    dvr = resolve_control.install()
    for cls in (*METHODS, "App"):
        fake = getattr(dvr, cls)
        mine = {n for n, v in inspect.getmembers(fake) if n[:1].isupper() and callable(v)}
        missing = {n for n in mine if not VOCABULARY.has(f"method:{cls}", n)}
        assert not missing, f"the fake {cls} has methods with no source: {missing}"


def test_the_adapter_is_scanned_at_all() -> None:
    root = Path(__file__).resolve().parents[3] / "plugins" / "resolve"
    resolver = ConstantResolver(root)
    uses = [u for m, t in resolver.modules() for u in literal_uses(t, m, resolver)]
    categories = {u.category for u in uses}
    assert {"method", "marker_color", "page", "setting", "constant:Resolve"} <= categories


def test_a_marker_longer_than_its_clip_is_refused(resolve: Any) -> None:
    sh020 = resolve_control.item(resolve, "sh020")  # 36 frames from source frame 1009
    assert sh020.AddMarker(1040.0, "Mint", "n", "note", 6.0, "x") is False  # 1040-1045
    assert sh020.AddMarker(1040.0, "Mint", "n", "note", 5.0, "x") is True  # 1040-1044

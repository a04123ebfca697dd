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
UNUSED_PAGES = ("not-a-page",)  # reaches no call of Resolve: not a use


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
    if resolve.GetCurrentPage() in REVIEW_PAGES:
        pass
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
    assert lines["Scarlet"] == 13 and lines["GetCurrentTimeCode"] == 19
    assert "not-a-page" not in lines


#: Each line of ``g`` hands Resolve a bad name in a way the scan once missed: through a
#: variable, a dict, a function's answer, a keyword, a tuple's item, a parameter, a chain
#: from an imported function, a lower-case method, a method of another class.
GAPS = """
from typing import TYPE_CHECKING, Union

from .connection import connect
from .defaults import MARKS, NOTE_COLOR

if TYPE_CHECKING:
    from fusionscript import Timeline, TimelineItem

    Holder = Union[Timeline, TimelineItem]


def colour_of(author):
    return NOTE_COLOR if author else "Yellow"


def is_review(page):
    return page == "review"


def g(resolve, project, timeline: Timeline, holder: "Holder", self_page, user_colour):
    page = resolve.GetCurrentPage()
    if page != "colour":
        pass
    is_review(resolve.GetCurrentPage())
    fields = {"color": colour_of("sam"), "name": "n"}
    timeline.AddMarker(1.0, fields["color"], fields["name"], "note", 1.0, "x")
    timeline.AddMarker(frameId=1.0, color="Magenta", name="n", note="", duration=1.0)
    colour = MARKS[0]
    holder.AddMarker(1.0, colour, "n", "", 1.0, "x")
    connect(None).GetVersionStrin()
    timeline.getName()
    holder.GetLeftOffset(False)
    current = project.GetCurrentTimeline()
    current.GetMediaPool()
    key = "timelineFps"
    current.GetSetting(key)
    pool = project.GetMediaPool()
    pool.ImportMedia([{"FilePath": "x_%03d.jpg", "FirstIndex": 1, "EndIndex": 9}])
    for item in current.GetItemListInTrack("video", 1) or []:
        item.GetMarkerz()
    resolve.OpenPage(self_page)
    timeline.AddMarker(1.0, user_colour(), "n", "", 1.0, "x")
    resolve.OpenPage(page)  # a page Resolve answered: fine
"""


def test_the_scan_follows_values_and_receivers_instead_of_guessing_from_names(
    tmp_path: Path,
) -> None:
    (tmp_path / "defaults.py").write_text('NOTE_COLOR = "Crimson"\nMARKS = ("Teal", "Mint")\n')
    (tmp_path / "gaps.py").write_text(textwrap.dedent(GAPS))
    resolver = ConstantResolver(tmp_path)
    uses = list(literal_uses(resolver.trees["gaps"], "gaps", resolver))
    unknown = {(u.category, u.name) for u in uses if not VOCABULARY.has(u.category, u.name)}
    assert unknown == {
        ("page", "colour"),  # a variable holding GetCurrentPage()
        ("page", "review"),  # a parameter handed GetCurrentPage()
        ("marker_color", "Crimson"),  # a dict's value, from a function, from defaults
        ("marker_color", "Magenta"),  # by keyword
        ("marker_color", "Teal"),  # an item of a constant tuple
        ("method", "GetVersionStrin"),  # on what an imported function answers
        ("method:Timeline", "getName"),  # lower case, on an evident Timeline
        ("method:Timeline", "GetLeftOffset"),  # a Holder may be a Timeline, which lacks it
        ("method:Timeline", "GetMediaPool"),  # a Project's method on a Timeline
        ("setting", "timelineFps"),  # through a local variable
        ("clip_info:ImportMedia", "FirstIndex"),
        ("method:TimelineItem", "GetMarkerz"),  # an item of GetItemListInTrack
        ("page", "<not a constant: self_page>"),  # cannot be followed: fails
        ("marker_color", "<not a constant: user_colour()>"),
    }
    found = {(u.category, u.name) for u in uses}
    assert ("marker_color", "Yellow") in found and ("marker_color", "Mint") in found
    assert ("method:TimelineItem", "AddMarker") in found  # the Holder's other class
    assert ("method:Project", "GetCurrentTimeline") not in found  # ``project``: not evident
    assert ("method", "GetCurrentTimeline") in found


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


def test_import_media_refuses_a_clip_info_key_resolve_does_not_list(
    resolve: Any, tmp_path: Path
) -> None:
    for n in (1, 2):
        (tmp_path / f"f_{n:03d}.jpg").write_bytes(b"x")
    pool = resolve.GetProjectManager().GetCurrentProject().GetMediaPool()
    pattern = str(tmp_path / "f_%03d.jpg")
    assert pool.ImportMedia([{"FilePath": pattern, "FirstIndex": 1, "EndIndex": 2}]) == []
    [clip] = pool.ImportMedia([{"FilePath": pattern, "StartIndex": 1, "EndIndex": 2}])
    assert clip.frames == 2
    project = resolve.GetProjectManager().GetCurrentProject()
    project.SetCurrentTimeline(project.GetTimelineByIndex(1))
    assert pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "end": 1}]) == []
    [item] = pool.AppendToTimeline([{"mediaPoolItem": clip, "startFrame": 0, "endFrame": 0}])
    assert item.duration == 1


def test_a_marker_longer_than_its_clip_is_refused(resolve: Any) -> None:
    sh020 = resolve_control.item(resolve, "sh020")  # 36 frames from source frame 1009
    assert sh020.AddMarker(1040.0, "Mint", "n", "note", 6.0, "x") is False  # 1040-1045
    assert sh020.AddMarker(1040.0, "Mint", "n", "note", 5.0, "x") is True  # 1040-1044


def test_every_source_can_be_checked_by_a_stranger() -> None:
    """A repository at a full commit, a path and a line; a package pinned on PyPI, a path and a
    line; or "assumed" (and then listed in docs/resolve.md)."""
    import re

    checkable = re.compile(
        r"^(?:[\w.-]+/[\w.-]+@[0-9a-f]{40}:|PyPI [\w.-]+==[\w.]+ )[\w./-]+\.\w+:\d+$"
    )
    bad = sorted(
        f"{category} {name}: {VOCABULARY.source(category, name).where}"
        for category in VOCABULARY.categories()
        for name in VOCABULARY.names(category)
        if not checkable.match(VOCABULARY.source(category, name).where)
        and not VOCABULARY.source(category, name).where.startswith("assumed")
    )
    assert bad == []


OWN_CLASSES = """
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from fusionscript import Resolve, Timeline


@dataclass
class Saved:
    timeline: Optional[Timeline] = None


@dataclass
class Session:
    saved: Saved
    timeline: Optional[Timeline] = None

    @property
    def resolve(self) -> Resolve:
        return self.connection

    def need_timeline(self) -> Timeline:
        return self.timeline

    def look(self):
        self.timeline.GetStartFrames()


def check(s: Session):
    s.timeline.GetEndFrames()
    s.saved.timeline.GetCurrentTimecodes()
    s.resolve.GetCurrentTimeline()  # a Project's method, not Resolve's
    timeline, resolve = s.need_timeline(), s.resolve
    timeline.GetNames()
    resolve.GetProductName()
"""


def test_the_scan_reads_receivers_through_the_adapters_own_annotated_classes(
    tmp_path: Path,
) -> None:
    (tmp_path / "own.py").write_text(textwrap.dedent(OWN_CLASSES))
    resolver = ConstantResolver(tmp_path)
    uses = list(literal_uses(resolver.trees["own"], "own", resolver))
    unknown = {(u.category, u.name) for u in uses if not VOCABULARY.has(u.category, u.name)}
    assert unknown == {
        ("method:Timeline", "GetStartFrames"),  # self's field
        ("method:Timeline", "GetEndFrames"),  # a dataclass field of a parameter's class
        ("method:Timeline", "GetCurrentTimecodes"),  # a field of a field
        ("method:Resolve", "GetCurrentTimeline"),  # what a property returns
        ("method:Timeline", "GetNames"),  # what a method returns, unpacked
    }
    assert ("method:Resolve", "GetProductName") in {(u.category, u.name) for u in uses}

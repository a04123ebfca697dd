"""What real Nuke refuses or does differently, and the adapter doing it Nuke's way.

Each test here failed before its fix: the JPEG chroma layout Nuke offers, a callback
runner that catches nothing, nodes inside Groups, knob drags rendering once per value,
and the vocabulary scan that keeps unsourced literals out of the adapter.
"""

from __future__ import annotations

import re
import textwrap
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overshoulder.core.model import Anchor, Annotation, HostObject, Shape, new_id
from tests.fakes import nuke_vocabulary
from tests.fakes.nuke_control import on_main, settle, user_sets
from tests.fakes.vocabulary import ConstantResolver

ROOT = Path(__file__).resolve().parents[3]


def sampling_factors(jpeg: bytes) -> list[tuple[int, int]]:
    """(horizontal, vertical) sampling factor of each component, from the SOF header."""
    i = 2
    while i + 4 <= len(jpeg):
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            count = jpeg[i + 9]
            comps = jpeg[i + 10 : i + 10 + 3 * count]
            return [(comps[k + 1] >> 4, comps[k + 1] & 15) for k in range(0, 3 * count, 3)]
        i += 2 + length
    raise AssertionError("no SOF marker")


# --- 1. the JPEG writer's chroma layouts ------------------------------------------------------


def test_nukes_jpeg_writer_refuses_4_2_0_and_the_capture_asks_for_a_layout_it_offers(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    from overshoulder.plugins.nuke.defaults import JPEG_SUB_SAMPLING

    def refused() -> str:
        write = nuke.nodes.Write()
        try:
            with pytest.raises(ValueError, match="'4:2:0' is not one of its values") as err:
                write["_jpeg_sub_sampling"].setValue("4:2:0")
            write["_jpeg_sub_sampling"].setValue(2)  # an index works, as the stubs say
            assert write["_jpeg_sub_sampling"].value() == "4:4:4"
            return str(err.value)
        finally:
            nuke.delete(write)

    assert "Write1._jpeg_sub_sampling" in on_main(refused)
    assert JPEG_SUB_SAMPLING in ("4:1:1", "4:2:2", "4:4:4")
    capture = nuke_host.capture()
    assert capture is not None
    assert sampling_factors(capture.encoded) == [(1, 1), (1, 1), (1, 1)]  # 4:4:4


def test_nuke_refuses_an_unknown_node_class_and_knob(nuke: ModuleType, comp: dict[str, Any]):
    with pytest.raises(RuntimeError, match="NoSuchClass: Unknown command"):
        on_main(lambda: nuke.nodes.NoSuchClass())
    with pytest.raises(NameError, match="knob nosuch does not exist"):
        on_main(lambda: comp["grade"]["nosuch"])
    assert on_main(lambda: comp["grade"].knob("nosuch")) is None


# --- 3. callbacks: Nuke's runner catches nothing -------------------------------------------------


def test_a_raising_callback_skips_the_ones_after_it_as_in_nuke(nuke: ModuleType, comp: dict):
    ran: list[str] = []

    def bad() -> None:
        ran.append("bad")
        raise RuntimeError("boom")

    def after() -> None:
        ran.append("after")

    nuke.addKnobChanged(bad)
    nuke.addKnobChanged(after)
    try:
        user_sets(comp["blur"], "size", 7.0)
    finally:
        nuke.removeKnobChanged(bad)
        nuke.removeKnobChanged(after)
    assert "after" not in ran and "bad" in ran
    assert nuke._fake.callback_errors and "boom" in nuke._fake.callback_errors[-1]
    nuke._fake.callback_errors.clear()  # that error was the point of this test


def test_no_overshoulder_callback_raises_into_nuke(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import overshoulder.plugins.nuke.host as host_module

    def broken(*args: Any) -> Any:
        raise RuntimeError("an adapter bug")

    monkeypatch.setattr(host_module, "viewed_node", broken)
    monkeypatch.setattr(host_module, "current_frame", broken)
    nuke_host.update_ui_interval_s = 0.0
    after: list[str] = []
    nuke.addKnobChanged(lambda: after.append(nuke.thisKnob().name()))
    nuke.addKnobChanged(lambda: after.append("viewer"), nodeClass="Viewer")
    nuke.addUpdateUI(lambda: after.append("idle"), nodeClass="Viewer")
    user_sets(comp["grade"], "white", 1.3)  # our knobChanged fails inside
    on_main(lambda: nuke.frame(1004))  # our Viewer knobChanged fails inside
    settle()  # our updateUI fails inside
    assert "white" in after and "viewer" in after and "idle" in after
    assert nuke._fake.callback_errors == []


def test_a_failing_menu_command_is_a_message_not_a_traceback(
    nuke: ModuleType, comp: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from overshoulder.plugins.nuke import commands

    def broken() -> None:
        raise KeyError("overshoulder_notes")

    monkeypatch.setattr(commands, "notes_to_stickies", broken)
    on_main(lambda: commands.run("stickies"))
    assert "Notes to StickyNotes failed" in capsys.readouterr().out


# --- 4. nodes inside Groups ----------------------------------------------------------------------


def grouped(nuke: ModuleType, comp: dict[str, Any]) -> tuple[Any, Any]:
    """Group1 (holding Grade1) between Grade1 of the top level and the viewer."""

    def build() -> tuple[Any, Any]:
        group = nuke.nodes.Group()
        with group:
            inner = nuke.nodes.Grade(white=1.2)
        group.setInput(0, comp["grade"])
        comp["viewer"].setInput(0, group)
        return group, inner

    return on_main(build)


def test_a_note_about_a_node_inside_a_group_lands_there_and_survives_renames(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    group, inner = grouped(nuke, comp)

    def choose() -> Any:
        with group:
            inner.setSelected(True)
        return nuke_host.anchor().object

    obj = on_main(choose)
    assert obj.label == "Group1.Grade1"
    assert on_main(lambda: nuke.toNode("Group1.Grade1")) is inner
    note = Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[0.0, 0.0], [0.1, 0.1]]),
        anchor=Anchor(frame=1002, object=obj),
        text="inside the group",
    )
    on_main(lambda: nuke_host.apply_annotation(note))
    assert on_main(lambda: inner.knob("overshoulder_notes") is not None)
    assert on_main(lambda: nuke.root().knob("overshoulder_notes")) is None

    on_main(lambda: group.setName("Hero"))
    on_main(lambda: inner.setName("Grade_edge"))
    assert [n.id for n in on_main(nuke_host.stored_annotations)] == [note.id]
    assert on_main(lambda: nuke_host.select(obj))
    assert nuke._fake.shown_dags[-1] == "Hero"
    assert nuke._fake.shown_panels[-1] == "Hero.Grade_edge"
    moved = dataclasses_replace_text(note, "still there")
    on_main(lambda: nuke_host.apply_annotation(moved))
    assert on_main(lambda: "still there" in inner.knob("overshoulder_notes").value())


def dataclasses_replace_text(note: Annotation, text: str) -> Annotation:
    import dataclasses

    return dataclasses.replace(note, text=text)


def test_notes_inside_a_group_survive_save_and_reopen(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any, tmp_path: Path
) -> None:
    _group, inner = grouped(nuke, comp)
    obj = on_main(lambda: HostObject(kind="nuke.node", path=_id_of(inner), label="x"))
    note = Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[0.0, 0.0], [0.1, 0.0]]),
        anchor=Anchor(frame=1001, object=obj),
    )
    on_main(lambda: nuke_host.apply_annotation(note))
    path = str(tmp_path / "grouped.nk")
    on_main(lambda: nuke.scriptSave(path))
    on_main(nuke.scriptClear)
    on_main(lambda: nuke.scriptOpen(path))
    assert on_main(lambda: nuke.toNode("Group1.Grade1").knob("overshoulder_notes") is not None)
    assert [n.id for n in on_main(nuke_host.stored_annotations)] == [note.id]


def _id_of(node: Any) -> str:
    from overshoulder.plugins.nuke.identity import node_id

    made = node_id(node)
    assert made is not None
    return made


def test_stickies_for_a_node_in_a_group_go_into_that_group(
    nuke: ModuleType, comp: dict[str, Any], nuke_host: Any
) -> None:
    from overshoulder.plugins.nuke import commands

    _group, inner = grouped(nuke, comp)
    obj = on_main(lambda: HostObject(kind="nuke.node", path=_id_of(inner), label="x"))
    note = Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[0.0, 0.0], [0.1, 0.0]]),
        anchor=Anchor(frame=1001, object=obj),
    )
    on_main(lambda: nuke_host.apply_annotation(note))
    stickies = on_main(lambda: commands.notes_to_stickies(inner))
    assert on_main(lambda: [s.fullName() for s in stickies]) == ["Group1.StickyNote1"]


# --- 2. a knob drag renders at most every KNOB_DRAG_CAPTURE_INTERVAL_S ---------------------------


def test_while_knobs_keep_moving_captures_are_spaced_and_the_last_state_is_rendered(
    nuke: ModuleType, comp: dict[str, Any], clocked_host: Any, clock: Any
) -> None:
    clocked_host.knob_drag_interval_s = 0.3
    for value in (1.1, 1.2, 1.3, 1.4):  # a slider drag: a change per value
        user_sets(comp["grade"], "white", value)
        clock.advance(0.02)
    first = clocked_host.capture()  # the first render of the drag: at once
    assert clock.slept == []
    renders = len(nuke._fake.renders)
    clock.advance(0.05)
    user_sets(comp["grade"], "white", 1.5)  # the drag ends here
    last = clocked_host.capture()
    # it waited on the capture thread for the rest of the interval, then rendered once
    assert clock.slept == [pytest.approx(0.25)]
    assert len(nuke._fake.renders) == renders + 1
    assert first is not None and last is not None and last.encoded != first.encoded
    assert on_main(lambda: comp["grade"]["white"].value()) == 1.5


def test_a_single_change_is_rendered_without_waiting(
    nuke: ModuleType, comp: dict[str, Any], clocked_host: Any, clock: Any
) -> None:
    clocked_host.knob_drag_interval_s = 5.0
    clocked_host.capture()
    clock.advance(10.0)
    user_sets(comp["grade"], "white", 2.5)  # one change, not a drag
    renders = len(nuke._fake.renders)
    assert clocked_host.capture() is not None
    assert clock.slept == [], "a lone knob change waited for the drag interval"
    assert len(nuke._fake.renders) == renders + 1


# --- 6. the vocabulary scan ----------------------------------------------------------------------


def planted_uses(source: str, tmp_path: Path) -> list[Any]:
    """The uses the scan finds in ``source`` planted as a module of a copy of the adapter, so
    it resolves ``from .defaults import X`` as it does for the adapter's own modules."""
    import shutil

    package = tmp_path / "nuke"
    if not package.exists():
        shutil.copytree(ROOT / "plugins" / "nuke", package)
    (package / "planted.py").write_text(textwrap.dedent(source))
    resolver = ConstantResolver(package)
    return list(nuke_vocabulary.literal_uses(resolver.trees["planted"], "planted", resolver))


def scan(source: str, tmp_path: Path) -> list[str]:
    """The planted uses that are not in the vocabulary, as "category name"."""
    return [
        f"{u.category} {u.name}"
        for u in planted_uses(source, tmp_path)
        if not nuke_vocabulary.VOCABULARY.has(u.category, u.name)
    ]


def test_the_literal_scan_catches_a_planted_4_2_0_and_other_unsourced_names(
    tmp_path: Path,
) -> None:
    bad = scan(
        """
        import nuke
        def capture(node):
            write = nuke.nodes.Write(file="x.jpg", file_type="jpeg", compresion="none")
            write.knob("_jpeg_sub_sampling").setValue("4:2:0")
            write["_jpeg_qualty"].setValue(0.9)
            node.knob("viewer_process")
            nuke.createNode("Wirte")
            nuke.addKnobChanging(capture, nodeClass="Veiwer")
            if node.Class() == "Grop":
                pass
            node.knob("x").setFlag(nuke.INVISBLE)
        """,
        tmp_path,
    )
    assert set(bad) == {
        "knob:Write compresion",
        "enum:Write._jpeg_sub_sampling 4:2:0",
        "knob:Write _jpeg_qualty",
        "knob viewer_process",
        "node_class Wirte",
        "callback addKnobChanging",
        "node_class Veiwer",
        "node_class Grop",
        "knob x",
        "flag INVISBLE",
    }


def test_the_literal_scan_follows_the_adapters_defaults(tmp_path: Path) -> None:
    from overshoulder.plugins.nuke.defaults import JPEG_SUB_SAMPLING

    uses = planted_uses(
        """
        import nuke
        from .defaults import JPEG_SUB_SAMPLING
        def capture():
            write = nuke.nodes.Write()
            write.knob("_jpeg_sub_sampling").setValue(JPEG_SUB_SAMPLING)
        """,
        tmp_path,
    )
    found = [u.name for u in uses if u.category == "enum:Write._jpeg_sub_sampling"]
    assert found == [JPEG_SUB_SAMPLING], uses
    assert all(nuke_vocabulary.VOCABULARY.has(u.category, u.name) for u in uses)


def test_the_literal_scan_checks_knobs_on_call_results_and_on_any_variable(
    tmp_path: Path,
) -> None:
    """No knob lookup escapes by the shape of its owner: a call's result, a variable of any
    name, a parameter; only names that plainly hold no node (a dict, an annotated figures
    dict) are left alone."""
    bad = scan(
        """
        import json
        import nuke
        from typing import Any
        def f(grade, name, figures: dict[str, Any]):
            nuke.root()["nosuch"].value()
            nuke.toNode(name)["nosuch2"].value()
            grade["nosuch3"].setValue(1)
            nuke.thisNode().knob("nosuch4")
            nuke.root()["colorManagement"].setValue("Bogus")
            self_made = nuke.nodes.Write()
            self_made["file_type"].setValue("tiff")
            figures["not_a_knob"] = 1
            data = {"a": 1}
            data["not_a_knob_either"] = 2
            json.loads("{}")["nor_this"]
        """,
        tmp_path,
    )
    assert set(bad) == {
        "knob:Root nosuch",
        "knob nosuch2",
        "knob nosuch3",
        "knob nosuch4",
        "enum:Root.colorManagement Bogus",
        "enum:Write.file_type tiff",
    }


def test_the_literal_scan_checks_stroke_attributes_whatever_holds_them(tmp_path: Path) -> None:
    bad = scan(
        """
        import nuke.rotopaint as rp
        def f(stroke, a):
            a.set("nosuchattr", 1)
            held = stroke.getAttributes()
            held.set("nosuchattr2", 1)
            stroke.getAttributes().set("nosuchattr3", 1)
            held.getValue(1001, "nosuchattr4")
            held.set("ltt", 4)
        """,
        tmp_path,
    )
    assert set(bad) == {
        "stroke_attr nosuchattr",
        "stroke_attr nosuchattr2",
        "stroke_attr nosuchattr3",
        "stroke_attr nosuchattr4",
    }


def test_the_literal_scan_follows_a_loop_over_constants(tmp_path: Path) -> None:
    """The RotoPaint colour is set in a loop over (name, value) pairs: a wrong name there, or a
    knob named by a loop, is caught like one written in place."""
    bad = scan(
        """
        def f(stroke, node, r, g):
            attrs = stroke.getAttributes()
            for channel, value in (("r", r), ("gg", g)):
                attrs.set(channel, value)
            for name in ("white", "whit"):
                node.knob(name).setValue(1)
            node.knob(pick()).setValue(1)  # not a constant: nothing to check
        """,
        tmp_path,
    )
    assert set(bad) == {"stroke_attr gg", "knob whit"}


def test_the_fake_and_the_literal_scan_use_one_sourced_list(nuke: ModuleType) -> None:
    """Every node class and knob the fake offers is in the vocabulary with a source."""
    vocab = nuke_vocabulary.VOCABULARY
    for node_class, knobs in nuke._CLASS_KNOBS.items():
        assert vocab.has("node_class", node_class), node_class
        for name, _, _ in knobs + nuke._COMMON_KNOBS:
            assert vocab.has(f"knob:{node_class}", name), (node_class, name)
    kinds = [n for n in dir(nuke) if re.fullmatch(r"(add|remove)[A-Z]\w*", n)]
    assert "addUpdateUI" in kinds
    for name in kinds:
        assert vocab.has("callback", name), f"the fake offers {name}, which has no source"


def test_work_posted_to_nukes_main_thread_and_the_panel_entry_never_raise_into_nuke(
    nuke: ModuleType,
    comp: dict[str, Any],
    nuke_host: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
) -> None:
    import nukescripts.panels

    from overshoulder.plugins.nuke import menu

    errors_before = len(nuke._fake.callback_errors)
    ran = threading.Event()

    def broken() -> None:
        ran.set()
        raise RuntimeError("a queued call failed")

    nuke_host.run_on_main(broken)
    assert ran.wait(5)
    on_main(lambda: None)  # the queued call has finished
    assert len(nuke._fake.callback_errors) == errors_before

    def refuse(panel_id: str) -> None:
        raise RuntimeError(f"no panel {panel_id}")

    monkeypatch.setattr(nukescripts.panels, "restorePanel", refuse)
    on_main(menu.open_panel)
    assert "the panel could not open: RuntimeError" in capsys.readouterr().out


#: The forms a source in the Nuke vocabulary may take (see its docstring): a stub, AYON or
#: OpenRV file and line at the commits it names, a Foundry page, a repository at a commit with
#: a path, a knob of ours, or "assumed".
SOURCE_FORMS = re.compile(
    r"^(stubs:\S+:\d+|ayon:\S+:\d+|rvnuke:\d+|foundry:.+|ours$|assumed$"
    r"|[\w.-]+/[\w.-]+@[0-9a-f]{40} \S+:\d+)"
)


def test_every_nuke_source_is_checkable_and_every_assumed_name_is_in_the_docs() -> None:
    vocab = nuke_vocabulary.VOCABULARY
    docs = (ROOT / "docs" / "nuke.md").read_text(encoding="utf-8")
    assumed_section = docs.split("### Assumed names", 1)[-1].split("\n## ", 1)[0]
    vague, undocumented = [], []
    for category in sorted(vocab.categories()):
        for name in sorted(vocab.names(category)):
            where = vocab.source(category, name).where
            if not SOURCE_FORMS.match(where) or "docs/" in where or "HOSTS.md" in where:
                vague.append(f"{category} {name}: {where}")
            if where == "assumed" and f"`{name}`" not in assumed_section:
                undocumented.append(f"{category} {name}")
    assert not vague, "sources a stranger cannot check:\n" + "\n".join(vague)
    assert not undocumented, "assumed, and not listed in docs/nuke.md:\n" + "\n".join(undocumented)

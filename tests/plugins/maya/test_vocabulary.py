"""The Maya vocabulary: the literal scan catches what Maya would refuse, every stub line it
cites says what it is cited for, and the fake refuses what is not in it as Maya does."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from tests.fakes import maya_vocabulary
from tests.fakes.maya_vocabulary import STUB_FILE, VOCABULARY, literal_uses
from tests.fakes.vocabulary import ConstantResolver

PLANTED = """
from maya import cmds
import maya.api.OpenMaya as om

from .defaults import GOOD_EVENTS, WRONG_EVENTS


def f(panel, node):
    cmds.playblast(format="image", compression="jpeg", frmae=[1.0], viewer=False)
    om.MEventMessage.addEventCallback("playingBack", f)
    for event in WRONG_EVENTS:
        om.MEventMessage.addEventCallback(event, f)
    ids = [om.MEventMessage.addEventCallback(event, f) for event in GOOD_EVENTS]
    cmds.createNode("netwrok", skipSelect=True)
    cmds.ls(sll=True, l=True)
    cmds.setAttr(f"{node}.visibilty", 1)
    cmds.getAttr(node + ".txt")
    cmds.loadPlugin("bluepencil", quiet=True)
    if cmds.nodeType(node) == "camrea":
        pass
    return ids
"""


def scan(tmp_path: Path) -> list[tuple[str, str]]:
    (tmp_path / "defaults.py").write_text(
        'GOOD_EVENTS = ("timeChanged", "SelectionChanged")\nWRONG_EVENTS = ("timeChange",)\n'
    )
    (tmp_path / "planted.py").write_text(textwrap.dedent(PLANTED))
    resolver = ConstantResolver(tmp_path)
    tree = resolver.trees["planted"]
    return [(u.category, u.name) for u in literal_uses(tree, "planted", resolver)]


def test_the_literal_scan_catches_every_planted_name_maya_would_refuse(tmp_path: Path) -> None:
    found = scan(tmp_path)
    unknown = {use for use in found if not VOCABULARY.has(*use)}
    assert unknown == {
        ("enum:playblast.compression", "jpeg"),
        ("flags:playblast", "frmae"),
        ("event", "playingBack"),
        ("event", "timeChange"),
        ("node_type", "netwrok"),
        ("attr", "visibilty"),
        ("attr", "txt"),
        ("plugin", "bluepencil"),
        ("node_type", "camrea"),
        ("flags:ls", "sll"),
    }
    # ... and it saw the good ones too (so a pass means something).
    assert {("event", "timeChanged"), ("event", "SelectionChanged")} <= set(found)
    assert {("enum:playblast.format", "image"), ("flags:playblast", "viewer")} <= set(found)
    assert ("flags:ls", "l") in found, "a short flag is checked like a long one"


#: Calls into Maya the scan used to miss: an alias of maya.cmds, the dotted package, a command
#: fetched with getattr, flags in a dict, an imported MEventMessage, a plug built before the call,
#: a node type compared the other way round, a parameter given by the function's callers.
PLANTED_HIDDEN = """
import maya
import maya.cmds
import maya.cmds as mc
from maya import cmds as mayacmds
from maya.api.OpenMaya import MEventMessage as Events


def make(kind, name):
    return mc.createNode(kind, name=name)


def g(node, options, name, fn):
    mc.playblast(formt="image")
    mayacmds.currentTime(1.0, updte=True)
    maya.cmds.playbackOptions(query=True, minTme=True)
    getattr(mc, "bluePencilFram")(importArchive="x.zip")
    mc.playblast(**{"offScren": True})
    Events.addEventCallback("timeChangd", fn)
    plug = f"{node}.translateQ"
    mc.getAttr(plug)
    if "camra" == mc.nodeType(node):
        make("transfrom", "a")
    make("locator", "b")
    mc.playblast(**options)
    getattr(mc, name)()
    Events.addEventCallback(name, fn)
    mc.setAttr(f"{node}.{name}", 1)
"""


def test_the_scan_reads_calls_into_maya_by_import_not_by_name_and_fails_what_it_cannot_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "planted.py").write_text(textwrap.dedent(PLANTED_HIDDEN))
    resolver = ConstantResolver(tmp_path)
    found = [
        (u.category, u.name) for u in literal_uses(resolver.trees["planted"], "planted", resolver)
    ]
    unknown = [use for use in found if not VOCABULARY.has(*use)]
    named = {use for use in unknown if use[0] != maya_vocabulary.UNREAD}
    assert named == {
        ("flags:playblast", "formt"),
        ("flags:currentTime", "updte"),
        ("flags:playbackOptions", "minTme"),
        ("command", "bluePencilFram"),
        ("flags:bluePencilFram", "importArchive"),
        ("flags:playblast", "offScren"),
        ("event", "timeChangd"),
        ("attr", "translateQ"),
        ("node_type", "camra"),
        ("node_type", "transfrom"),
    }
    unread = sorted(name for category, name in unknown if category == maya_vocabulary.UNREAD)
    assert len(unread) == 4, unread
    assert any("**options" in u for u in unread) and any("getattr" in u for u in unread)
    assert any(u.startswith("event name: name") for u in unread)
    assert any("cmds.setAttr(f'{node}.{name}')" in u for u in unread)
    assert ("node_type", "locator") in found, "a parameter is read from every caller"


def test_the_scan_takes_names_maya_answers_and_the_adapters_prefixed_attributes(
    tmp_path: Path,
) -> None:
    (tmp_path / "defaults.py").write_text('PREFIX = "osNote_"\n')
    (tmp_path / "planted.py").write_text(
        textwrap.dedent(
            """
            from maya import cmds
            from .defaults import PREFIX

            def attr_name(i):
                return PREFIX + i

            def read(node, attr):
                return cmds.getAttr(f"{node}.{attr}")

            def every(node):
                for attr in cmds.listAttr(node, userDefined=True) or []:
                    read(node, str(attr))
                read(node, attr_name("x"))
                cmds.addAttr(node, longName=attr_name("y"), dataType="string")
            """
        )
    )
    resolver = ConstantResolver(tmp_path)
    found = {
        (u.category, u.name) for u in literal_uses(resolver.trees["planted"], "planted", resolver)
    }
    assert ("attr", "osNote_*") in found
    assert not [u for u in found if u[0] == maya_vocabulary.UNREAD], found


def test_every_stub_line_cited_defines_that_command_with_that_flag() -> None:
    import importlib.metadata as metadata

    try:
        files = metadata.distribution("types-maya").files or []
    except metadata.PackageNotFoundError:
        pytest.fail("types-maya is not installed: `make venv` installs the dev extras")
    (stub,) = [f for f in files if str(f).replace("\\", "/").endswith("maya-stubs/cmds.pyi")]
    lines = Path(str(stub.locate())).read_text(encoding="utf-8").splitlines()
    checked = 0
    for category in VOCABULARY.categories():
        for name in VOCABULARY.names(category):
            where = VOCABULARY.source(category, name).where
            if not where.startswith(STUB_FILE + ":"):
                continue
            line = lines[int(where.rsplit(":", 1)[1]) - 1]
            if category == "command":
                assert line.startswith(f"def {name}("), (category, name, line[:80])
            elif category.startswith("flags:"):
                command = category.split(":", 1)[1]
                assert line.startswith(f"def {command}("), (category, name, line[:80])
                assert re.search(rf"\b{re.escape(name)}:", line), (category, name, line[:120])
            checked += 1
    assert checked > 100


def test_the_fake_refuses_an_unknown_flag_as_maya_cmds_does(cmds: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"^Invalid flag 'frmae'$"):
        cmds.playblast(frmae=[1.0], format="image")
    with pytest.raises(TypeError, match=r"^Invalid flag 'minTim'$"):
        cmds.playbackOptions(query=True, minTim=True)
    assert cmds.playbackOptions(q=True, min=True) == 1.0, "short names are accepted"


def test_the_fake_refuses_unknown_values_events_and_node_types(
    cmds: ModuleType, tmp_path: Path
) -> None:
    import maya.api.OpenMaya as om
    from maya._fake import MayaError

    with pytest.raises(MayaError, match="Invalid compression 'jpeg'"):
        cmds.playblast(
            frame=[1.0],
            format="image",
            compression="jpeg",
            completeFilename=str(tmp_path / "x.jpg"),
        )
    with pytest.raises(MayaError, match="Unknown object type: netwrok"):
        cmds.createNode("netwrok")
    with pytest.raises(RuntimeError, match=r"timeChange$"):
        om.MEventMessage.addEventCallback("timeChange", lambda *_: None)
    assert sorted(om.MEventMessage.getEventNames()) == sorted(VOCABULARY.names("event"))


def test_the_scan_of_the_adapter_sees_its_calls() -> None:
    root = Path(__file__).resolve().parents[3] / "plugins" / "maya"
    resolver = ConstantResolver(root)
    seen = {
        (u.category, u.name)
        for module, tree in resolver.modules()
        for u in maya_vocabulary.literal_uses(tree, module, resolver)
    }
    for expected in [
        ("event", "playbackRangeChanged"),
        ("condition", "playingBack"),
        ("flags:bluePencilFrame", "importArchive"),
        ("flags:bluePencilLayer", "editName"),
        ("enum:playblast.compression", "jpg"),
        ("attr", "overshoulderStore"),
        ("plugin", "bluePencil"),
    ]:
        assert expected in seen, expected


#: What a source may be: a stub file and line, an Autodesk page, a public repository's file at a
#: commit, this project's own defaults (the adapter's own names), or the word "assumed".
CHECKABLE = re.compile(
    r"^(types-maya [\d.]+ maya-stubs/\S+:\d+"
    r"|https://help\.autodesk\.com/\S+\.html"
    r"|[\w.-]+/[\w.-]+ \S+@[0-9a-f]{7,40}\b"
    r"|plugins/maya/defaults\.py [A-Z_]+$"
    r"|assumed\b)"
)


def test_every_source_is_checkable_by_a_stranger_and_every_assumed_one_is_in_the_docs() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "maya.md").read_text(encoding="utf-8")
    vague, undocumented = [], []
    for category in VOCABULARY.categories():
        for name in VOCABULARY.names(category):
            source = VOCABULARY.source(category, name)
            if not CHECKABLE.match(source.where):
                vague.append((category, name, source.where))
            if source.where.startswith("assumed") and f'"{name}"' not in docs:
                undocumented.append((category, name))
    assert not vague, vague
    assert not undocumented, f"assumed names must be listed in docs/maya.md: {undocumented}"

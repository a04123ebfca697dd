"""What Nuke accepts from the Overshoulder adapter, each name with the public source it came from.

One list serves twice: the FAKE Nuke (tests/fakes/nuke_api) refuses every node class,
knob, enumeration value and callback kind that is not here, raising what Nuke raises,
and ``literal_uses`` finds, in the adapter's source, every literal it hands Nuke so
that tests/plugins/test_vocabulary_literals.py fails on one nobody found in a source.

Sources, abbreviated:

- ``stubs:<file>:<line>``: sisoe24/nuke-python-stubs at commit
  b0dd0e8716603baa98a7fa2b49ebad31fabf48eb (generated inside Nuke 15.0v1), path under
  ``stubs/``. Nuke's own Python (``nukescripts``, ``nuke_internal``) is in it verbatim.
- ``ayon:<path>:<line>``: ynput/ayon-nuke at commit 1437a4cc2bf50fe0c8954f8d883ec629fe0b6a1c.
- ``rvnuke:<line>``: AcademySoftwareFoundation/OpenRV at commit
  94a0cd907389d9dd00c25d0a73f66468d6c9e2b7, src/plugins/rv-packages/rvnuke/rvNuke.py.
- ``foundry:<page>``: Foundry's Nuke Python developer guide, learn.foundry.com/nuke/developers/.
- ``JEEVES``: tws0002/jeeves at commit db198f0f02d4fd24af29dfdc0c22047c6dfd6e4f,
  jnuke/pipeline/thumbnail.py.
- ``ours``: a name Overshoulder makes itself (hidden knobs it adds with ``addKnob``).
- ``assumed``: no public source found; listed under what is unverified in docs/nuke.md
  and checked by the self-test in a real Nuke.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any, Optional

from tests.fakes.vocabulary import ConstantResolver, Source, Use, Vocabulary, dotted

#: A public pipeline's thumbnail script that sets the Write's JPEG knobs (by index).
JEEVES = "tws0002/jeeves@db198f0f02d4fd24af29dfdc0c22047c6dfd6e4f jnuke/pipeline/thumbnail.py"


def S(where: str, note: str = "") -> Source:
    return Source(where, note)


# --- node classes ---------------------------------------------------------------------------

NODE_CLASSES: dict[str, Source] = {
    "Root": S("stubs:nuke/classes/Root.py:12", "class Root(Group); nuke.root()"),
    "Group": S("stubs:nuke/classes/Group.py:12", "begin/end/nodes/__enter__"),
    "Gizmo": S("stubs:nuke/classes/Gizmo.py:12", "a Group made from a .gizmo file"),
    "Viewer": S("stubs:nuke/classes/Viewer.py:12; rvnuke:285 (node.Class() == 'Viewer')"),
    "Write": S("stubs:nuke/classes/Enumeration_Knob.py:92 (nuke.nodes.Write())"),
    "Read": S("ayon:client/ayon_nuke/api/plugin.py:1302 (nuke.createNode('Read'))"),
    "OCIODisplay": S("ayon:client/ayon_nuke/api/plugin.py:1358 (nuke.createNode('OCIODisplay'))"),
    "StickyNote": S("stubs:nukescripts/toolbars.py:779 (nuke.createNode('StickyNote'))"),
    "RotoPaint": S('stubs:nukescripts/toolbars.py:73 (nuke.createNode("RotoPaint"))'),
    "BackdropNode": S("stubs:nukescripts/autobackdrop.py:60 (nuke.nodes.BackdropNode)"),
    "Dot": S("ayon:client/ayon_nuke/api/pipeline.py:672 (Class() in ['Viewer', 'Dot'])"),
    "Grade": S("foundry:Nuke 15 node reference, Color > Grade (white, black knobs)"),
    "Blur": S("foundry:Nuke 15 node reference, Filter > Blur (size knob)"),
    "Constant": S("foundry:Nuke 15 node reference, Image > Constant (color knob)"),
    "NoOp": S("foundry:Nuke 15 node reference, Other > NoOp"),
    "Vectorfield": S("foundry:Nuke 15 node reference, Color > Vectorfield (vfield_file)"),
}

# --- knobs per class (every node has the common ones) -----------------------------------------

COMMON_KNOBS: dict[str, Source] = {
    "name": S(
        "stubs:nukescripts/misc.py:23 ('name', 'xpos', 'ypos' excluded from copied knobs);"
        " stubs:nukescripts/pyQtExamples/pyQtRender.py:41 (n['name'].value())"
    ),
    "label": S("stubs:nukescripts/toolbars.py:780 (sticky.knob('label'))"),
    "selected": S("stubs:nuke/nuke_internal/overrides.py:142 (i['selected'].setValue)"),
    "xpos": S("stubs:nuke/classes/Node.py:340 (xpos(); the knob of the same name)"),
    "ypos": S("stubs:nuke/classes/Node.py:375 (ypos(); the knob of the same name)"),
    "tile_color": S("stubs:nukescripts/precomp.py:131"),
    "disable": S("stubs:nukescripts/precomp.py:131"),
}

CLASS_KNOBS: dict[str, dict[str, Source]] = {
    "Root": {
        "first_frame": S("stubs:nukescripts/renderpanel.py:18"),
        "last_frame": S("stubs:nukescripts/renderpanel.py:19"),
        "fps": S("ayon:client/ayon_nuke/api/lib.py:2168 (root['fps'].setValue)"),
        "frame": S(
            "stubs:nuke/__init__.py:999 ('frame' evaluates to the context's frame)",
            "assumed to be a knob of Root (the adapter only compares thisKnob() names with it)",
        ),
        "format": S("stubs:nukescripts/snap3d.py:853 (nuke.root()['format'].value())"),
        "colorManagement": S("assumed", "Root's colour management switch (fake only)"),
    },
    "Viewer": {
        "frame": S("rvnuke:285 (knob.name() == 'frame' on a Viewer)"),
        "viewerProcess": S(
            "stubs:hiero/exporters/FnExportUtil.py:63; ayon:client/ayon_nuke/api/lib.py:1623"
        ),
        "input_process": S(
            "assumed", "the Viewer's input process switch; the self-test's capture reads it"
        ),
        "input_process_node": S("ayon:client/ayon_nuke/api/lib.py:810"),
        "gain": S("assumed", "the viewer's gain slider (fake only)"),
        "gamma": S("assumed", "the viewer's gamma slider (fake only)"),
        "file": S("stubs:nukescripts/captureViewer.py:32 (self._viewer['file'])"),
    },
    "Write": {
        "file": S("ayon:client/ayon_nuke/api/lib.py:552 (w['file'].setValue)"),
        "file_type": S("stubs:nuke/classes/Enumeration_Knob.py:93 (w['file_type'])"),
        "_jpeg_quality": S(
            f"{JEEVES}:38 (w['_jpeg_quality'].setValue(1))",
        ),
        "_jpeg_sub_sampling": S(
            f"{JEEVES}:37 (w['_jpeg_sub_sampling'].setValue(2): an index)",
        ),
        "raw": S("ayon:client/ayon_nuke/api/plugin.py:1488 (write_node['raw'].setValue(1))"),
        "colorspace": S("stubs:nukescripts/renderdialog.py:961"),
        "channels": S("stubs:nukescripts/precomp.py:246 (w.knob('channels'))"),
        "create_directories": S(
            "stubs:hiero/exporters/FnExternalRender.py:236"
            " (writeNode.setKnob('create_directories', ...))"
        ),
    },
    "Read": {
        "file": S("stubs:nukescripts/camera.py:25 (i.knob('file'))"),
        "first": S("ayon:client/ayon_nuke/api/plugin.py:1308"),
        "last": S("ayon:client/ayon_nuke/api/plugin.py:1310"),
        "colorspace": S("stubs:nuke/nuke_internal/colorspaces.py:24"),
    },
    "OCIODisplay": {
        "display": S("ayon:client/ayon_nuke/api/plugin.py:1362 (node['display'].setValue)"),
        "view": S("ayon:client/ayon_nuke/api/plugin.py:1364 (node['view'].setValue)"),
        "colorspace": S("assumed", "the OCIODisplay's input colour space (fake only)"),
    },
    "StickyNote": {
        "note_font_size": S("stubs:nukescripts/precomp.py:312 (b['note_font_size'])"),
    },
    "BackdropNode": {
        "note_font_size": S("stubs:nukescripts/autobackdrop.py:65"),
        "bdwidth": S("stubs:nukescripts/autobackdrop.py:61"),
    },
    "RotoPaint": {
        "curves": S(
            "stubs:nukescripts/toolbars.py:820 (a Roto node's rotoNode['curves']);"
            " stubs:nuke/nuke_internal/curvelib.py:2 (one curve library for Roto and RotoPaint)"
        )
    },
    "Grade": {
        "white": S("foundry:Nuke 15 node reference, Grade (gain/white)"),
        "black": S("foundry:Nuke 15 node reference, Grade (lift/black)"),
    },
    "Blur": {"size": S("foundry:Nuke 15 node reference, Blur (size)")},
    "Constant": {"color": S("foundry:Nuke 15 node reference, Constant (color)")},
    "Vectorfield": {"vfield_file": S("foundry:Nuke 15 node reference, Vectorfield")},
    "Group": {},
    "Gizmo": {"gizmo_file": S("ayon:client/ayon_nuke/api/utils.py:45 ('gizmo_file' in knobs)")},
    "Dot": {},
    "NoOp": {},
}

#: Knobs Overshoulder adds to nodes itself (invisible String_Knobs; plugins/nuke/defaults.py).
OUR_KNOBS: dict[str, Source] = {
    name: S("ours", "added with nuke.String_Knob + Node.addKnob (stubs:nuke/classes/Node.py)")
    for name in (
        "overshoulder_id",
        "overshoulder_notes",
        "overshoulder_cleared",
        "overshoulder_made_for",
    )
}

#: Dummy knobs Nuke passes to knobChanged. That there are such knobs, for an opened panel and
#: for changed inputs, is in addKnobChanged's docstring (stubs:nuke/nuke_internal/callbacks.py,
#: and Foundry's page learn.foundry.com/nuke/developers/132/pythondevguide/_autosummary/
#: nuke.addKnobChanged.html); neither page names them.
DUMMY_KNOBS: dict[str, Source] = {
    "showPanel": S(
        "assumed", "the dummy knob of an opened panel; the self-test reports whether it fires"
    ),
    "inputChange": S(
        "Psyop/Cryptomatte@968d5e4b6171e29ba5f89d554117132a164e747e"
        " nuke/cryptomatte_utilities.py:455 (knob.name() == 'inputChange' in knobChanged)"
    ),
}

#: Enumeration knobs and the values each accepts (as strings; an index 0..n-1 also works).
ENUMS: dict[str, dict[str, Source]] = {
    "Write.file_type": {
        "jpeg": S("ayon:client/ayon_nuke/api/lib.py:1174 (ext = jpg / file_type = jpeg)"),
        "exr": S("stubs:nuke/classes/Enumeration_Knob.py:94 (k.setValue('exr'))"),
        "png": S("assumed", "fake only"),
    },
    # The menu's three entries in this order: assumed (public code that names them could not
    # be traced to a repository and path); that index 2 exists is in jeeves' thumbnail.py.
    # The self-test lists the menu of the real Nuke (figure ``offered``).
    "Write._jpeg_sub_sampling": {
        "4:1:1": S("assumed", "entry 0 of the menu"),
        "4:2:2": S("assumed", "entry 1 of the menu"),
        "4:4:4": S("assumed", f"entry 2 of the menu; {JEEVES}:37 sets index 2"),
    },
    "Write.colorspace": {"default": S("assumed", "fake only")},
    "Read.colorspace": {"default": S("assumed", "fake only")},
    "Root.colorManagement": {
        "OCIO": S("assumed", "fake only"),
        "Nuke": S("assumed", "fake only"),
    },
    "OCIODisplay.colorspace": {"scene_linear": S("assumed", "fake only")},
}

#: Enumeration knobs whose values are the studio's own (OCIO displays and views, LUTs):
#: any string is accepted (the OCIO config decides), so no value is listed.
OPEN_ENUMS = {"Viewer.viewerProcess", "OCIODisplay.display", "OCIODisplay.view"}

CALLBACKS: dict[str, Source] = {
    "addKnobChanged": S("stubs:nuke/nuke_internal/callbacks.py:164"),
    "removeKnobChanged": S("stubs:nuke/nuke_internal/callbacks.py:174"),
    "addUpdateUI": S("stubs:nuke/nuke_internal/callbacks.py:186"),
    "removeUpdateUI": S("stubs:nuke/nuke_internal/callbacks.py:193"),
    "addOnCreate": S("stubs:nuke/nuke_internal/callbacks.py:79"),
    "removeOnCreate": S("stubs:nuke/nuke_internal/callbacks.py:84"),
    "addOnScriptLoad": S("stubs:nuke/nuke_internal/callbacks.py:96"),
    "removeOnScriptLoad": S("stubs:nuke/nuke_internal/callbacks.py:101"),
}

FLAGS: dict[str, Source] = {
    "INVISIBLE": S("stubs:nuke/__init__.py:43"),
    "INPUTS": S("stubs:nuke/__init__.py:38"),
    "HIDDEN_INPUTS": S("stubs:nuke/__init__.py:35"),
    "TO_SCRIPT": S("stubs:nuke/__init__.py:99"),
    "WRITE_NON_DEFAULT_ONLY": S("stubs:nuke/__init__.py:105"),
    "GUI": S("stubs:nuke/__init__.py:34"),
    "NUKE_VERSION_STRING": S("stubs:nuke/__init__.py:72"),
    "NUKE_VERSION_MAJOR": S("stubs:nuke/__init__.py:67"),
}

#: RotoPaint stroke attributes (``stroke.getAttributes().set(name, value)``).
STROKE_ATTRS: dict[str, Source] = {
    "ltt": S("assumed", "life time type; not in the stubs (a Nukepedia script sets it)"),
    "ltn": S("assumed", "life time from; not in the stubs (a Nukepedia script sets it)"),
    "ltm": S("assumed", "life time to; not in the stubs (a Nukepedia script sets it)"),
    "r": S("assumed", "stroke colour red"),
    "g": S("assumed", "stroke colour green"),
    "b": S("assumed", "stroke colour blue"),
    "a": S("assumed", "stroke colour alpha"),
    "bs": S("assumed", "brush size"),
}


def _terms() -> dict[str, dict[str, Source]]:
    terms: dict[str, dict[str, Source]] = {
        "node_class": dict(NODE_CLASSES),
        "callback": dict(CALLBACKS),
        "flag": dict(FLAGS),
        "stroke_attr": dict(STROKE_ATTRS),
        "dummy_knob": dict(DUMMY_KNOBS),
    }
    every: dict[str, Source] = {}
    for cls in NODE_CLASSES:
        knobs = {**COMMON_KNOBS, **CLASS_KNOBS.get(cls, {}), **OUR_KNOBS}
        terms[f"knob:{cls}"] = knobs
        every.update(knobs)
    #: A knob looked up on a node whose class the scan cannot tell: any class's knob.
    terms["knob"] = every
    by_knob: dict[str, dict[str, Source]] = {}
    for key, values in ENUMS.items():
        terms[f"enum:{key}"] = dict(values)
        by_knob.setdefault(key.split(".", 1)[1], {}).update(values)
    for knob, values in by_knob.items():
        terms[f"enum:*.{knob}"] = values
    return terms


VOCABULARY = Vocabulary("nuke", _terms())


def enum_values(node_class: str, knob: str) -> Optional[list[str]]:
    """The values the enumeration knob accepts (None: not a listed enumeration, or open)."""
    key = f"{node_class}.{knob}"
    if key in OPEN_ENUMS:
        return None
    if not VOCABULARY.categories() & {f"enum:{key}"}:
        return None
    return sorted(VOCABULARY.names(f"enum:{key}"))


def is_enum(node_class: str, knob: str) -> bool:
    key = f"{node_class}.{knob}"
    return key in OPEN_ENUMS or f"enum:{key}" in VOCABULARY.categories()


# --- the literal scan -------------------------------------------------------------------------

#: Helpers of the adapter (plugins/nuke/graph.py) that take a node and a knob name.
_KNOB_HELPERS = {"knob_value", "hidden_text", "set_hidden_text"}

#: Calls whose result is plainly not a node (``json.loads(text)["id"]`` is no knob lookup).
_NOT_NODE_CALLS = {"json.loads", "dict", "vars", "globals", "locals", "getattr"}

#: Annotations under which a name may hold a node (any other annotation says it does not).
_NODE_ANNOTATIONS = ("Node", "Any", "Group", "Root", "Viewer")


def _scope_names(
    func: ast.AST, resolver: ConstantResolver, module: str
) -> tuple[dict[str, str], set[str], set[str]]:
    """In one scope: names bound to a node of a known class (``w = nuke.nodes.Write()``,
    ``root = nuke.root()``), names that plainly hold no node (a parameter annotated with a
    type that is not a node's, a dict or list display, ``json.loads(...)``), and names bound
    to stroke attributes (``attrs = stroke.getAttributes()``). Any other name may hold a node:
    a string subscript on it is checked as a knob lookup."""
    bound: dict[str, str] = {}
    not_nodes: set[str] = set()
    attributes: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
                if arg.annotation is not None and not _may_be_node(arg.annotation):
                    not_nodes.add(arg.arg)
        is_annotated = isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        if is_annotated and not _may_be_node(node.annotation):  # type: ignore[union-attr]
            not_nodes.add(node.target.id)  # type: ignore[union-attr]
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Call):
                cls = _made_class(value, resolver, module)
                if cls:
                    bound[target.id] = cls
                elif dotted(value.func) in _NOT_NODE_CALLS:
                    not_nodes.add(target.id)
                elif isinstance(value.func, ast.Attribute) and value.func.attr == "getAttributes":
                    attributes.add(target.id)
            elif isinstance(
                value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
            ):
                not_nodes.add(target.id)
    return bound, not_nodes, attributes


def _may_be_node(annotation: ast.AST) -> bool:
    """``nuke.Node``, ``Any``, ``Optional[nuke.Node]``: may be a node; ``dict[str, Any]``,
    ``Figures``, ``str``: not."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return True
    if isinstance(annotation, ast.BinOp):  # Node | None
        return _may_be_node(annotation.left) or _may_be_node(annotation.right)
    if isinstance(annotation, ast.Subscript):
        if dotted(annotation.value).rsplit(".", 1)[-1] in ("Optional", "Union"):
            inner = annotation.slice
            items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            return any(_may_be_node(item) for item in items)
        return False
    return dotted(annotation).rsplit(".", 1)[-1] in _NODE_ANNOTATIONS


def _made_class(call: ast.Call, resolver: ConstantResolver, module: str) -> Optional[str]:
    """The class of the node a call makes or returns, when the call says it."""
    name = dotted(call.func)
    if name.startswith("nuke.nodes.") and name.count(".") == 2:
        return name.rsplit(".", 1)[1]
    if name == "nuke.createNode" and call.args:
        value = resolver.value(call.args[0], module)
        return value if isinstance(value, str) else None
    if name == "nuke.root":
        return "Root"
    return None


def _knob_lookup(
    node: ast.AST, resolver: Any, module: str, not_nodes: set[str]
) -> Optional[tuple[ast.AST, list[str]]]:
    """(the node expression, the knob names) of ``n.knob("x")`` or ``n["x"]`` (several when
    the name is a loop's variable over constants).

    A string subscript counts unless its owner plainly holds no node (see ``_scope_names``):
    on a call's result (``nuke.root()["x"]``, ``nuke.toNode(name)["x"]``, a helper's), on
    an attribute, or on a name of unknown origin it is a knob lookup, so a wrong knob name
    cannot escape by the name of the variable that holds the node."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "knob"
        and node.args
        and dotted(node.func.value) != "nuke"
    ):
        names = resolver.strings(node.args[0], module)
        if names:
            return node.func.value, names
    if isinstance(node, ast.Subscript):
        names = resolver.strings(node.slice, module)
        if names and not _not_a_node(node.value, not_nodes):
            return node.value, names
    return None


def _not_a_node(owner: ast.AST, not_nodes: set[str]) -> bool:
    base = owner
    while isinstance(base, ast.Subscript):  # data["a"]["b"]: as data is
        base = base.value
    if isinstance(base, ast.Name):
        return base.id in not_nodes
    if isinstance(base, ast.Call):
        return dotted(base.func) in _NOT_NODE_CALLS
    if isinstance(base, ast.Attribute):
        return dotted(base).split(".", 1)[0] in ("os", "sys")
    # displays and comprehensions ({...}["x"]) hold no node
    return isinstance(base, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.Constant))


def _owner_class(owner: ast.AST, bound: dict[str, str], resolver: ConstantResolver, module: str):
    """The node class of a knob lookup's owner, when the code says it (else None)."""
    if isinstance(owner, ast.Name):
        return bound.get(owner.id)
    if isinstance(owner, ast.Call):
        return _made_class(owner, resolver, module)
    return None


def literal_uses(tree: ast.Module, module: str, resolver: ConstantResolver) -> Iterator[Use]:
    """Every literal one adapter module hands Nuke: node classes (``nuke.nodes.X``,
    ``createNode``, ``allNodes``, ``Class() ==``), knobs (``knob("x")``, ``["x"]`` on anything
    that may be a node, keyword knobs of ``nuke.nodes.X(k=...)``, the graph helpers),
    enumeration values set on a knob looked up by a literal name, callback kinds
    (``nuke.add*``/``remove*``) with their ``nodeClass``, ``nuke.`` constants (flags) and
    stroke attributes (``set(name, value)`` and ``getValue(frame, name)``)."""
    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    scopes: list[ast.AST] = list(functions)
    seen: set[tuple[str, str, int]] = set()

    def use(category: str, name: str, line: int) -> Iterator[Use]:
        key = (category, name, line)
        if key not in seen:
            seen.add(key)
            yield Use(category, name, module, line)

    top = ast.Module(
        body=[
            stmt
            for stmt in tree.body
            if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ],
        type_ignores=[],
    )
    for scope in [top, *scopes]:
        bound, not_nodes, attributes = _scope_names(scope, resolver, module)
        scoped = _LoopAware(resolver, _loop_values(scope, resolver, module))
        for node in ast.walk(scope):
            line = getattr(node, "lineno", 0)
            is_flag = isinstance(node, ast.Attribute) and dotted(node.value) == "nuke"
            if is_flag and node.attr.isupper():  # type: ignore[union-attr]
                yield from use("flag", node.attr, line)  # type: ignore[union-attr]
            if isinstance(node, ast.Compare) and len(node.ops) == 1:
                left = node.left
                if (
                    isinstance(left, ast.Call)
                    and isinstance(left.func, ast.Attribute)
                    and left.func.attr == "Class"
                ):
                    for name in scoped.strings(node.comparators[0], module):
                        yield from use("node_class", name, line)
            if not isinstance(node, (ast.Call, ast.Subscript)):
                continue
            lookup = _knob_lookup(node, scoped, module, not_nodes)
            if lookup is not None:
                owner, knobs = lookup
                cls = _owner_class(owner, bound, resolver, module)
                for knob in knobs:
                    yield from use(f"knob:{cls}" if cls else "knob", knob, line)
            if not isinstance(node, ast.Call):
                continue
            name = dotted(node.func)
            made = _made_class(node, resolver, module) if name != "nuke.root" else None
            if made:
                yield from use("node_class", made, line)
                for kw in node.keywords:
                    if kw.arg and kw.arg != "inputs":
                        yield from use(f"knob:{made}", kw.arg, line)
                        key = f"{made}.{kw.arg}"
                        if is_enum(made, kw.arg) and key not in OPEN_ENUMS:
                            for value in scoped.strings(kw.value, module):
                                yield from use(f"enum:{key}", value, line)
            if name == "nuke.allNodes" and node.args:
                for cls in scoped.strings(node.args[0], module):
                    yield from use("node_class", cls, line)
            if name.startswith("nuke.add") or name.startswith("nuke.remove"):
                kind = name.split(".", 1)[1]
                if kind not in ("removeKnob",):
                    yield from use("callback", kind, line)
                for kw in node.keywords:
                    if kw.arg == "nodeClass":
                        for cls in scoped.strings(kw.value, module):
                            yield from use("node_class", cls, line)
            if (
                isinstance(node.func, ast.Name)
                and node.func.id in _KNOB_HELPERS
                and len(node.args) >= 2
            ):
                for knob in scoped.strings(node.args[1], module):
                    yield from use("knob", knob, line)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "setValue" and node.args:
                inner = _knob_lookup(node.func.value, scoped, module, not_nodes)
                values = scoped.strings(node.args[0], module)
                if inner is not None and values:
                    owner, knobs = inner
                    cls = _owner_class(owner, bound, resolver, module)
                    for knob, value in ((k, v) for k in knobs for v in values):
                        if cls and is_enum(cls, knob):
                            if f"{cls}.{knob}" not in OPEN_ENUMS:
                                yield from use(f"enum:{cls}.{knob}", value, line)
                        elif not cls and f"enum:*.{knob}" in VOCABULARY.categories():
                            yield from use(f"enum:*.{knob}", value, line)
            if isinstance(node.func, ast.Attribute) and _is_attributes(
                node.func.value, attributes, not_nodes
            ):
                # stroke.getAttributes().set(name, value) / .getValue(frame, name)
                if node.func.attr == "set" and len(node.args) == 2:
                    for attr in scoped.strings(node.args[0], module):
                        yield from use("stroke_attr", attr, line)
                bound_here = isinstance(node.func.value, ast.Call) or (
                    isinstance(node.func.value, ast.Name) and node.func.value.id in attributes
                )
                # getValue(index, view) of a knob takes a string too: only known attributes
                if node.func.attr == "getValue" and len(node.args) == 2 and bound_here:
                    for attr in scoped.strings(node.args[1], module):
                        yield from use("stroke_attr", attr, line)


class _LoopAware:
    """The resolver, plus the constants a loop's variable takes in one scope:
    ``for channel, value in (("r", r), ("g", g)): attrs.set(channel, value)`` is checked as
    "r" and "g"."""

    def __init__(self, resolver: ConstantResolver, loops: dict[str, list[str]]) -> None:
        self.resolver = resolver
        self.loops = loops

    def value(self, node: Optional[ast.AST], module: str) -> Any:
        return self.resolver.value(node, module)

    def strings(self, node: Optional[ast.AST], module: str) -> list[str]:
        if isinstance(node, ast.Name) and node.id in self.loops:
            return list(self.loops[node.id])
        return self.resolver.strings(node, module)


def _loop_values(scope: ast.AST, resolver: ConstantResolver, module: str) -> dict[str, list[str]]:
    """Names bound only by a ``for`` (or comprehension) over a literal tuple or list, to the
    strings they take: ``for k in ("a", "b")`` and ``for k, v in (("a", 1), ("b", 2))``."""
    stores: dict[str, int] = {}
    for node in ast.walk(scope):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            stores[node.id] = stores.get(node.id, 0) + 1
    found: dict[str, list[str]] = {}
    for node in ast.walk(scope):
        if not isinstance(node, (ast.For, ast.comprehension)):
            continue
        items = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List)) else None
        if items is None:
            continue
        targets = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        for i, target in enumerate(targets):
            if not isinstance(target, ast.Name) or stores.get(target.id) != 1:
                continue
            values = []
            for item in items:
                if isinstance(node.target, ast.Tuple):
                    if not isinstance(item, (ast.Tuple, ast.List)) or len(item.elts) <= i:
                        continue
                    item = item.elts[i]
                value = resolver.value(item, module)
                if isinstance(value, str):
                    values.append(value)
            if values:
                found[target.id] = values
    return found


def _is_attributes(owner: ast.AST, attributes: set[str], not_nodes: set[str]) -> bool:
    """Stroke attributes: ``x.getAttributes()`` itself or a name bound to it. Only the
    RotoPaint attributes take ``set(name, value)`` in the adapter's calls into Nuke, so any
    other receiver of unknown origin counts too (a name that plainly holds something else
    does not)."""
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute):
        return owner.func.attr == "getAttributes"
    if isinstance(owner, ast.Name):
        return owner.id in attributes or owner.id not in not_nodes
    return True

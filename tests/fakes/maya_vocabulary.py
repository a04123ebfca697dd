"""What the fake Maya accepts, each name with the public source it was taken from.

One list, used twice: the fake (tests/fakes/maya_api) refuses every command flag, event,
condition, node type, plug-in and enumeration value that is not here, raising what Maya
raises, and ``tests/plugins/test_vocabulary_literals.py`` scans the adapter
(plugins/maya) with ``literal_uses`` and fails on any literal that is not here.

Sources, most to least direct:

- ``STUB``: the types-maya stubs (0.6.1, a dev dependency; ``maya-stubs/cmds.pyi`` is
  generated from Maya's own command table, long and short flag names side by side). The
  line given is the ``def`` that lists both of a flag's names; ``test_vocabulary_sources``
  checks every such line against the installed stubs.
- Autodesk's command and node reference pages (``autodesk(...)``), for what the stubs
  lack: ``bluePencilLayer``'s layer flags, ``greasePencilCtx`` (gone from 2023), the
  query form of ``currentTime``.
- Public production code calling the same API (repository and path), for event names,
  conditions and values.

Messages the fake raises for anything else: an unknown flag is ``TypeError: Invalid flag
'xyz'`` (what maya.cmds raises: ynput/OpenPype issue #4033 shows ``TypeError: Invalid flag
''`` from ``cmds.modelEditor``); the other refusals' wording is assumed (docs/maya.md).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any, Optional

from tests.fakes.vocabulary import ConstantResolver, Source, Use, Vocabulary, calls, dotted

STUB_FILE = "types-maya 0.6.1 maya-stubs/cmds.pyi"
OPENMAYA_STUB = "types-maya 0.6.1 maya-stubs/api/OpenMaya.pyi"


def stub(line: int, note: str = "") -> Source:
    return Source(f"{STUB_FILE}:{line}", note)


def autodesk(year: int, page: str, note: str = "") -> Source:
    """An Autodesk Maya reference page (``CommandsPython/<cmd>`` or ``Nodes/<type>``)."""
    return Source(
        f"https://help.autodesk.com/cloudhelp/{year}/ENU/Maya-Tech-Docs/{page}.html", note
    )


#: Command -> long flag -> (short flag, the stub line whose ``def`` lists both), or (short,
#: the line listing the long name, the line listing the short one) for query-only overloads.
STUB_FLAGS: dict[str, dict[str, tuple[Any, ...]]] = {
    "about": {"batch": ("b", 4), "version": ("v", 4)},
    "evalDeferred": {"lowestPriority": ("low", 24568)},
    "undoInfo": {
        "query": ("q", 90163, 90165),
        "stateWithoutFlush": ("swf", 90161),
        "state": ("st", 90161),
        "openChunk": ("ock", 90161),
        "closeChunk": ("cck", 90161),
        "chunkName": ("cn", 90161),
        "undoName": ("un", 90231, 90235),
    },
    "pluginInfo": {
        "query": ("q", 51559, 51561),
        "loaded": ("l", 51711, 51715),
        "registered": ("r", 51759, 51763),
    },
    "loadPlugin": {"quiet": ("qt", 40727)},
    "currentTime": {"update": ("u", 19792)},
    "currentUnit": {"query": ("q", 19826, 19828), "time": ("t", 19824)},
    "playbackOptions": {
        "query": ("q", 51402, 51404),
        "minTime": ("min", 51400),
        "maxTime": ("max", 51400),
        "animationStartTime": ("ast", 51400),
        "animationEndTime": ("aet", 51400),
    },
    "createNode": {"name": ("n", 19784), "skipSelect": ("ss", 19784), "parent": ("p", 19784)},
    "addAttr": {"longName": ("ln", 6), "attributeType": ("at", 6), "dataType": ("dt", 6)},
    "setAttr": {"type": ("typ", 74972)},
    "getAttr": {"time": ("t", 29490)},
    "attributeQuery": {"node": ("n", 10053), "exists": ("ex", 10053)},
    "listAttr": {"userDefined": ("ud", 40658)},
    "ls": {
        "type": ("typ", 40851),
        "long": ("l", 40851),
        "uuid": ("uid", 40851),
        "selection": ("sl", 40851),
        "objectsOnly": ("o", 40851),
    },
    "listRelatives": {
        "shapes": ("s", 40694),
        "type": ("typ", 40694),
        "fullPath": ("f", 40694),
        "parent": ("p", 40694),
    },
    "select": {"replace": ("r", 72836), "clear": ("cl", 72836)},
    "annotate": {"text": ("tx", 2063), "point": ("p", 2063)},
    "setKeyframe": {
        "attribute": ("at", 75108),
        "time": ("t", 75108),
        "value": ("v", 75108),
        "inTangentType": ("itt", 75108),
        "outTangentType": ("ott", 75108),
    },
    "getPanel": {
        "withFocus": ("wf", 29499),
        "typeOf": ("to", 29499),
        "visiblePanels": ("vis", 29499),
    },
    "modelPanel": {"query": ("q", 44644, 44646), "camera": ("cam", 44740)},
    "playblast": {
        "frame": ("fr", 51529),
        "format": ("fmt", 51529),
        "compression": ("c", 51529),
        "quality": ("qlt", 51529),
        "completeFilename": ("cf", 51529),
        "editorPanelName": ("epn", 51529),
        "widthHeight": ("wh", 51529),
        "percent": ("p", 51529),
        "viewer": ("v", 51529),
        "showOrnaments": ("orn", 51529),
        "offScreen": ("os", 51529),
        "forceOverwrite": ("fo", 51529),
    },
    "bluePencilFrame": {
        "importArchive": ("ia", 11323),
        "exportArchive": ("ea", 11323),
        "importFrames": ("im", 11323),
    },
    "file": {
        "query": ("q", 25979, 25981),
        "sceneName": ("sn", 26235, 26239),
        "rename": ("rn", 25977),
        "save": ("s", 25977),
        "type": ("typ", 25977),
        "new": ("new", 25977),
        "force": ("f", 25977),
        "open": ("o", 25977),
    },
    "menu": {
        "exists": ("ex", 42316),
        "label": ("l", 42316),
        "parent": ("p", 42316),
        "tearOff": ("to", 42316),
    },
    "menuItem": {"label": ("l", 42902), "command": ("c", 42902), "parent": ("p", 42902)},
    "workspaceControl": {
        "exists": ("ex", 92494),
        "edit": ("e", 92636, 92638),
        "restore": ("rs", 92494),
    },
    "parent": {"world": ("w", 50358)},
    "play": {"state": ("st", 51358)},
}

#: Flags the stubs lack, from Autodesk's reference: command -> long -> (short, source).
DOC_FLAGS: dict[str, dict[str, tuple[str, Source]]] = {
    "currentTime": {
        "query": (
            "q",
            autodesk(
                2024, "CommandsPython/currentTime", "queryable and editable; the stubs omit both"
            ),
        ),
        "edit": (
            "e",
            autodesk(
                2024, "CommandsPython/currentTime", "queryable and editable; the stubs omit both"
            ),
        ),
    },
    "bluePencilLayer": {
        # Python page: delete(delete); the MEL page names the short flag -del.
        "count": (
            "cnt",
            autodesk(2023, "CommandsPython/bluePencilLayer", "Returns the number of layers"),
        ),
        "queryName": (
            "qn",
            autodesk(2023, "CommandsPython/bluePencilLayer", "Returns the specified layer's name"),
        ),
        "delete": (
            "delete",
            autodesk(
                2023, "CommandsPython/bluePencilLayer", "Removes the layer at the specified index"
            ),
        ),
        "editName": (
            "en",
            autodesk(
                2023,
                "CommandsPython/bluePencilLayer",
                "Sets name of the layer at the specified index",
            ),
        ),
    },
    "greasePencilCtx": {
        "edit": (
            "e",
            autodesk(2020, "CommandsPython/greasePencilCtx", "undoable, queryable and editable"),
        ),
        "importArchive": (
            "iac",
            autodesk(2020, "CommandsPython/greasePencilCtx", "importArchive(iac) string, edit"),
        ),
    },
}

#: Commands called without flags (or only positionally): the stub line of their ``def``.
PLAIN_COMMANDS: dict[str, Source] = {
    "delete": stub(21134),
    "deleteAttr": stub(21135),
    "deleteUI": stub(21138),
    "exactWorldBoundingBox": stub(24891),
    "help": stub(31521, "help(command) prints the command's flags, one a line"),
    "lookThru": stub(40850),
    "nodeType": stub(46589),
    "objExists": stub(47755),
    "rename": stub(67605),
    "bluePencilLayer": stub(11325, "the stubs list only -active; the layer flags are in DOC_FLAGS"),
    "greasePencilCtx": autodesk(2020, "CommandsPython/greasePencilCtx", "Maya 2022 and older"),
}

MGUI = "theodox/mGui mGui/scriptJobs.py@d21b986f (scriptJob -e event names)"
EVENT_LIST = (
    "public Maya callback code listing MEventMessage.getEventNames() of a recent Maya "
    "(the index found it by its 'playbackModeChanged'; it names no repository)"
)

#: ``MEventMessage.addEventCallback`` names (``MEventMessage.getEventNames()``).
EVENTS: dict[str, Source] = {
    name: Source(MGUI, f"class for {name!r}; also in: {EVENT_LIST}")
    for name in (
        "timeChanged",
        "playbackRangeChanged",
        "timeUnitChanged",
        "SelectionChanged",
        "cameraChange",
        "ModelPanelSetFocus",
        "ActiveViewChanged",
        "NameChanged",
        "SceneOpened",
        "NewSceneOpened",
        "Undo",
        "Redo",
    )
}

#: ``MConditionMessage.addConditionCallback`` names: "playingBack" is a condition, not an
#: event (mGui lists it with the scriptJob conditions; the event list above lacks it).
CONDITIONS: dict[str, Source] = {
    "playingBack": Source(
        f"{OPENMAYA_STUB}:760 (MConditionMessage.addConditionCallback)",
        "condition PlayingBack in theodox/mGui mGui/scriptJobs.py; public plug-ins call "
        "om.MConditionMessage.addConditionCallback('playingBack', fn)",
    ),
}

#: Node types the adapter (and the tests) create, list or compare with.
NODE_TYPES: dict[str, Source] = {
    "network": autodesk(2024, "Nodes/network"),
    "transform": autodesk(2024, "Nodes/transform"),
    "camera": autodesk(2024, "Nodes/camera"),
    "annotationShape": autodesk(2024, "Nodes/annotationShape", "what cmds.annotate makes"),
    "locator": autodesk(2024, "Nodes/locator", "the self-test's scratch object"),
}

#: What ``getPanel(typeOf=...)`` answers for a 3D view.
PANEL_TYPES: dict[str, Source] = {
    "modelPanel": stub(44642, "modelPanel is the command of the 3D view's panel type"),
}

OWN_ATTR = (
    "made by the adapter with addAttr(longName=...): a dynamic attribute (letters, digits, _)"
)

#: Attributes read, set, keyed or added. Dynamic ones are the adapter's own names.
ATTRIBUTES: dict[str, Source] = {
    "visibility": autodesk(2024, "Nodes/dagNode", "visibility (v), keyable"),
    "translateX": autodesk(2024, "Nodes/transform", "translate (t): translateX (tx)"),
    "translateY": autodesk(2024, "Nodes/transform", "translate (t): translateY (ty)"),
    "translateZ": autodesk(2024, "Nodes/transform", "translate (t): translateZ (tz)"),
    "text": autodesk(2024, "Nodes/annotationShape", "text (txt), string"),
    "overshoulderStore": Source("plugins/maya/defaults.py STORE_MARK", OWN_ATTR),
    "overshoulderNote": Source("plugins/maya/defaults.py MADE_FOR_ATTR", OWN_ATTR),
}

#: Values of enumerated flags, by "command.flag".
ENUMS: dict[str, dict[str, Source]] = {
    "playblast.format": {
        "image": Source(
            "abstractfactory/maya-capture capture.py snap(): format='image'",
            "also NMVHS/mayaScripts PlayblastCam.py",
        ),
    },
    "playblast.compression": {
        "jpg": Source("NMVHS/mayaScripts PlayblastCam.py: format='image', compression='jpg'"),
        "png": Source("abstractfactory/maya-capture capture.py snap(): compression='png'"),
    },
    "setAttr.type": {
        "string": autodesk(2024, "CommandsPython/setAttr", "type 'string' for string attributes"),
    },
    "addAttr.dataType": {"string": autodesk(2024, "CommandsPython/addAttr", "dataType 'string'")},
    "addAttr.attributeType": {
        "bool": autodesk(2024, "CommandsPython/addAttr", "attributeType 'bool'")
    },
    "setKeyframe.inTangentType": {
        "step": autodesk(2024, "CommandsPython/setKeyframe", "tangent types include 'step'"),
    },
    "setKeyframe.outTangentType": {
        "step": autodesk(2024, "CommandsPython/setKeyframe", "tangent types include 'step'"),
    },
    "file.type": {"mayaAscii": autodesk(2024, "CommandsPython/file", "type 'mayaAscii'")},
    "menu.parent": {
        "MayaWindow": Source(
            "public Maya menus parent to 'MayaWindow' (e.g. ShotGrid tk-maya, AYON ayon-maya "
            "menu.py: cmds.menu(..., parent='MayaWindow'))"
        ),
    },
}

#: Plug-ins loaded by name.
PLUGINS: dict[str, Source] = {
    "bluePencil": Source(
        "public Blue Pencil tools: cmds.pluginInfo('bluePencil', query=True, loaded=True) then "
        "cmds.loadPlugin('bluePencil', quiet=True)",
        "Maya 2023+",
    ),
}

#: Tool contexts named in commands.
CONTEXTS: dict[str, Source] = {
    "greasePencilContext": Source(
        "public Maya tools call cmds.setToolTo('greasePencilContext') (Maya 2022 and older)",
        "the context Maya makes for the Grease Pencil tool",
    ),
}


def flag_pairs(command: str) -> dict[str, str]:
    """Long flag -> short flag of ``command``, as the vocabulary knows them."""
    pairs = {long: cited[0] for long, cited in STUB_FLAGS.get(command, {}).items()}
    pairs.update({long: short for long, (short, _src) in DOC_FLAGS.get(command, {}).items()})
    return pairs


def _terms() -> dict[str, dict[str, Source]]:
    terms: dict[str, dict[str, Source]] = {"command": dict(PLAIN_COMMANDS)}
    for command, flags in STUB_FLAGS.items():
        names = terms.setdefault(f"flags:{command}", {})
        terms["command"].setdefault(command, stub(min(c[1] for c in flags.values())))
        for long, (short, line, *short_line) in flags.items():
            names[long] = stub(line, f"-{long} (-{short})")
            names[short] = stub(short_line[0] if short_line else line, f"-{short} (-{long})")
    for command, doc_flags in DOC_FLAGS.items():
        names = terms.setdefault(f"flags:{command}", {})
        for long, (short, source) in doc_flags.items():
            names[long] = names[short] = source
    terms["event"] = dict(EVENTS)
    terms["condition"] = dict(CONDITIONS)
    terms["node_type"] = dict(NODE_TYPES)
    terms["panel_type"] = dict(PANEL_TYPES)
    terms["attr"] = dict(ATTRIBUTES)
    terms["plugin"] = dict(PLUGINS)
    terms["context"] = dict(CONTEXTS)
    for key, values in ENUMS.items():
        terms[f"enum:{key}"] = dict(values)
    return terms


VOCABULARY = Vocabulary("maya", _terms())

#: "command.flag" whose value is a node type, not an enumeration of its own.
_NODE_TYPE_FLAGS = {
    ("ls", "type"),
    ("ls", "typ"),
    ("listRelatives", "type"),
    ("listRelatives", "typ"),
}
#: Commands whose first argument is a "node.attribute" plug (or an attribute name).
_PLUG_COMMANDS = {"getAttr", "setAttr", "deleteAttr", "objExists"}


def literal_uses(tree: ast.Module, module: str, resolver: ConstantResolver) -> Iterator[Use]:
    """Every literal one adapter module hands Maya: ``cmds.<command>`` names and their
    keyword flags (long or short), enumerated flag values, node types (``createNode``,
    ``ls(type=)``, ``listRelatives(type=)``, comparisons with ``nodeType``), attribute names
    (``"node.attr"`` plugs, ``addAttr(longName=)``, ``setKeyframe(attribute=)``,
    ``attributeQuery``), plug-in and context names, ``MEventMessage.addEventCallback``
    event names and ``MConditionMessage.addConditionCallback`` conditions (also through a
    loop variable over a constant tuple, ``for event in PLAYHEAD_EVENTS``)."""
    loops = _loop_sources(tree)

    def strings(node: Optional[ast.AST]) -> list[str]:
        found = resolver.strings(node, module)
        if not found and isinstance(node, ast.Name):
            found = resolver.strings(loops.get(id(node)), module)
        return found

    def use(category: str, name: str, node: ast.AST) -> Use:
        return Use(category, name, module, getattr(node, "lineno", 0))

    for call in calls(tree):
        name = dotted(call.func)
        first = call.args[0] if call.args else None
        if name.endswith("MEventMessage.addEventCallback"):
            yield from (use("event", s, call) for s in strings(first))
            continue
        if name.endswith("MConditionMessage.addConditionCallback"):
            yield from (use("condition", s, call) for s in strings(first))
            continue
        if not name.startswith("cmds."):
            continue
        command = name.split(".", 1)[1]
        yield use("command", command, call)
        for kw in call.keywords:
            if kw.arg is None:
                continue
            yield use(f"flags:{command}", kw.arg, kw)
            long = _long(command, kw.arg)
            if (command, kw.arg) in _NODE_TYPE_FLAGS:
                yield from (use("node_type", s, kw) for s in strings(kw.value))
            elif (
                VOCABULARY.categories() & {f"enum:{command}.{long}"}
                or (command, long) in _ENUM_FLAGS
            ):
                yield from (use(f"enum:{command}.{long}", s, kw) for s in strings(kw.value))
            if (command, long) in {("addAttr", "longName"), ("setKeyframe", "attribute")}:
                yield from (use("attr", s, kw) for s in strings(kw.value))
        if command == "createNode":
            yield from (use("node_type", s, call) for s in strings(first))
        elif command in ("pluginInfo", "loadPlugin"):
            yield from (use("plugin", s, call) for s in strings(first))
        elif command == "greasePencilCtx":
            yield from (use("context", s, call) for s in strings(first))
        elif command == "attributeQuery":
            yield from (use("attr", s, call) for s in strings(first))
        elif command in _PLUG_COMMANDS and first is not None:
            attr = _plug_attr(first, module, resolver)
            if attr:
                yield use("attr", attr, call)
    for compare in ast.walk(tree):
        if isinstance(compare, ast.Compare) and len(compare.comparators) == 1:
            inner = _unwrap_str(compare.left)
            what = dotted(inner.func) if isinstance(inner, ast.Call) else ""
            if what == "cmds.nodeType":
                category = "node_type"
            elif what == "cmds.getPanel":
                category = "panel_type"
            else:
                continue
            for s in strings(compare.comparators[0]):
                yield use(category, s, compare)


#: Enumerated flags whose values are checked (command, long flag).
_ENUM_FLAGS = {tuple(key.split(".", 1)) for key in ENUMS}


def _long(command: str, flag: str) -> str:
    for long, short in flag_pairs(command).items():
        if flag in (long, short):
            return long
    return flag


def _unwrap_str(node: ast.AST) -> ast.AST:
    """``str(x)`` -> ``x`` (the adapter wraps answers the stubs mistype)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "str"
        and len(node.args) == 1
    ):
        return node.args[0]
    return node


def _loop_sources(tree: ast.AST) -> dict[int, ast.AST]:
    """For each use of a loop variable (``for x in ITER`` or a comprehension's ``x``), by the
    id of its Name node: the ITER it runs over (the innermost loop that binds the name)."""
    found: dict[int, ast.AST] = {}

    def visit(node: ast.AST, env: dict[str, ast.AST]) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in env:
            found[id(node)] = env[node.id]
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            visit(node.iter, env)
            inner = {**env, node.target.id: node.iter}
            for child in [*node.body, *node.orelse]:
                visit(child, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            inner = dict(env)
            for gen in node.generators:
                visit(gen.iter, inner)
                if isinstance(gen.target, ast.Name):
                    inner[gen.target.id] = gen.iter
                for cond in gen.ifs:
                    visit(cond, inner)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                visit(part, inner)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, env)

    visit(tree, {})
    return found


def _plug_attr(node: ast.AST, module: str, resolver: ConstantResolver) -> Optional[str]:
    """The attribute of a ``"node.attr"`` plug: a literal, ``x + ".attr"``, or an f-string
    whose part after its last "." is literal or constant; None when it is not known."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        node = node.right
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.rsplit(".", 1)[1] if "." in node.value else None
    if isinstance(node, ast.JoinedStr):
        pieces: list[Optional[str]] = []
        for piece in node.values:
            if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                pieces.append(piece.value)
            elif isinstance(piece, ast.FormattedValue):
                value = resolver.value(piece.value, module)
                pieces.append(value if isinstance(value, str) else None)
        for i in range(len(pieces) - 1, -1, -1):
            text = pieces[i]
            if (
                text is not None
                and "." in text
                and not isinstance(node.values[i], ast.FormattedValue)
            ):
                tail = [text.rsplit(".", 1)[1], *pieces[i + 1 :]]
                if any(p is None for p in tail):
                    return None
                return "".join(p for p in tail if p is not None) or None
    return None

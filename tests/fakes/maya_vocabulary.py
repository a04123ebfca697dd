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
CAPTURE = "abstractfactory/maya-capture capture.py@1caf3169"  # snap(), lines 252-253
PLAYBLAST_CAM = "NMVHS/mayaScripts PlayblastCam.py@8ad58146"  # line 20


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
        "redoName": ("rn", 90199, 90203),
        "undoQueueEmpty": ("uqe", 90239, 90243),
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
    "confirmDialog": {
        "title": ("t", 18658),
        "message": ("m", 18658),
        "button": ("b", 18658),
    },
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

MGUI = "theodox/mGui mGui/scriptJobs.py@0aa6a7735e2a5f61dcc3c8cb3cbc60a9b29d2c2e"

#: ``MEventMessage.addEventCallback`` names (``MEventMessage.getEventNames()``).
EVENTS: dict[str, Source] = {
    name: Source(MGUI, f"the ScriptJobE class whose EVENT is {name!r} (scriptJob -e names)")
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
        f"the name: class PlayingBack(ScriptJobC), CONDITION = 'playingBack', in {MGUI}",
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
    # What the scan reports for an attribute built on a constant prefix (notes.attr_name).
    "osNote_*": Source(
        "plugins/maya/defaults.py NOTE_ATTR_PREFIX", OWN_ATTR + "; one per note, + its id's hex"
    ),
}

#: Values of enumerated flags, by "command.flag".
ENUMS: dict[str, dict[str, Source]] = {
    "playblast.format": {
        "image": Source(
            f"{CAPTURE} snap():252 format default 'image'",
            f"also {PLAYBLAST_CAM}",
        ),
    },
    "playblast.compression": {
        "jpg": Source(f"{PLAYBLAST_CAM}:20 format='image', compression='jpg'"),
        "png": Source(f"{CAPTURE} snap():253 compression default 'png'"),
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
            "ynput/ayon-maya client/ayon_maya/api/menu.py@11f4b01b install(): "
            "cmds.menu(MENU_NAME, ..., tearOff=True, parent='MayaWindow')"
        ),
    },
}

#: Plug-ins loaded by name.
PLUGINS: dict[str, Source] = {
    "bluePencil": Source(
        "assumed (docs/maya.md): the plug-in name of Maya 2023+'s Blue Pencil; no repository "
        "or Autodesk page that names it was found",
        "Maya 2023+",
    ),
}

#: Tool contexts named in commands.
CONTEXTS: dict[str, Source] = {
    "greasePencilContext": Source(
        "assumed (docs/maya.md): the context Maya 2022 and older makes for the Grease Pencil "
        "tool; Autodesk's greasePencilCtx page names no default context",
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


#: What the scan yields for a call into Maya it cannot read (a flag dict it cannot see into,
#: a command or event name that is not a constant, a plug whose attribute it cannot tell):
#: no vocabulary has this category, so the literal test fails on it and names the line.
UNREAD = "unread"


def literal_uses(tree: ast.Module, module: str, resolver: ConstantResolver) -> Iterator[Use]:
    """Every literal one adapter module hands Maya: ``maya.cmds`` commands and their
    keyword flags (long or short, also in a ``**{...}`` dict), enumerated flag values, node
    types (``createNode``, ``ls(type=)``, ``listRelatives(type=)``, comparisons with
    ``nodeType``), attribute names (``"node.attr"`` plugs, ``addAttr(longName=)``,
    ``setKeyframe(attribute=)``, ``attributeQuery``), plug-in and context names,
    ``MEventMessage.addEventCallback`` event names and
    ``MConditionMessage.addConditionCallback`` conditions (also through a loop variable over
    a constant tuple, ``for event in PLAYHEAD_EVENTS``, or a name assigned once in the
    function).

    Which calls go to Maya is read from the module's imports, not guessed from a name:
    ``cmds`` is whatever ``from maya import cmds [as x]`` / ``import maya.cmds [as x]`` bound
    (``getattr(cmds, "name")`` included), and ``MEventMessage`` / ``MConditionMessage``
    whatever was imported as them or reached through an ``OpenMaya`` module. A call into
    Maya whose names the scan cannot read (``cmds.playblast(**options)``, ``getattr(cmds,
    name)``, an event name held in a variable, a plug whose attribute is neither constant nor
    one the adapter builds from a constant prefix) is yielded in category ``UNREAD``, which
    no vocabulary holds: the scan fails rather than let it pass unread."""
    loops = _loop_sources(tree)
    local = _single_assignments(tree)
    params = _parameter_sources(tree)
    binds = _maya_bindings(tree)
    prefixes = _prefix_functions(resolver)

    def resolve(node: Optional[ast.AST], pattern: bool, depth: int = 0) -> Optional[list[str]]:
        """The names ``node`` can stand for ([] when Maya itself named them, as a loop over
        ``cmds.listAttr``), "PREFIX*" for one the adapter builds on a constant prefix (when
        ``pattern``); None when the scan cannot tell."""
        if node is None or depth > 8:
            return None
        node = _unwrap_str(node)
        found = resolver.strings(node, module)
        if found:
            return found
        if isinstance(node, (ast.Tuple, ast.List)) and node.elts:
            out: list[str] = []
            for item in node.elts:
                part = resolve(
                    item.value if isinstance(item, ast.Starred) else item, pattern, depth + 1
                )
                if part is None:
                    return None
                out += part
            return out
        if isinstance(node, ast.Name):
            if id(node) in loops:
                source = loops[id(node)]
                if _from_maya(source, binds, module, resolver):
                    return []
                return resolve(source, pattern, depth + 1)
            if id(node) in local:
                return resolve(local[id(node)], pattern, depth + 1)
            if id(node) in params:
                out = []
                for arg in params[id(node)]:
                    part = resolve(arg, pattern, depth + 1)
                    if part is None:
                        return None
                    out += part
                return out
        if pattern:
            prefix = _prefix_of(node, module, prefixes)
            if prefix:
                return [prefix + "*"]
        return None

    def use(category: str, name: str, node: ast.AST) -> Use:
        return Use(category, name, module, getattr(node, "lineno", 0))

    def named(
        category: str, node: Optional[ast.AST], what: str, at: ast.AST, pattern: bool = False
    ) -> Iterator[Use]:
        found = resolve(node, pattern)
        if found is None:
            shown = ast.unparse(node) if node is not None else "nothing"
            yield use(UNREAD, f"{what}: {shown}", at)
            return
        for s in found:
            yield use(category, s, at)

    def plug_attr(node: ast.AST) -> Optional[list[str]]:
        """The attribute part of a ``"node.attr"`` plug (see ``resolve``)."""
        node = _unwrap_str(node)
        if isinstance(node, ast.Name):
            target = local.get(id(node))
            if target is None and id(node) in params and len(params[id(node)]) == 1:
                target = params[id(node)][0]
            return plug_attr(target) if target is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            tail = resolver.value(node.right, module)
            if isinstance(tail, str) and "." in tail:
                return [tail.rsplit(".", 1)[1]]
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value.rsplit(".", 1)[1]] if "." in node.value else []
        if isinstance(node, ast.JoinedStr):
            values = node.values
            for i in range(len(values) - 1, -1, -1):
                piece = values[i]
                if (
                    isinstance(piece, ast.Constant)
                    and isinstance(piece.value, str)
                    and "." in piece.value
                ):
                    head = piece.value.rsplit(".", 1)[1]
                    rest = values[i + 1 :]
                    if not rest:
                        return [head] if head else None
                    if len(rest) == 1 and isinstance(rest[0], ast.FormattedValue):
                        names = resolve(rest[0].value, True)
                        return None if names is None else [head + n for n in names]
                    return None
            return None
        return None

    for call in calls(tree):
        command = _command_of(call, binds, module, resolver)
        first = call.args[0] if call.args else None
        message = _message_of(call.func, binds)
        if message == "MEventMessage.addEventCallback":
            yield from named("event", first, "event name", call)
            continue
        if message == "MConditionMessage.addConditionCallback":
            yield from named("condition", first, "condition name", call)
            continue
        if command is None:
            continue
        if command == "":
            yield use(
                UNREAD, f"a maya.cmds command named at run time: {ast.unparse(call.func)}", call
            )
            continue
        yield use("command", command, call)
        flags: list[tuple[str, ast.AST, ast.AST]] = []
        for kw in call.keywords:
            if kw.arg is not None:
                flags.append((kw.arg, kw.value, kw))
            elif isinstance(kw.value, ast.Dict) and all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) for k in kw.value.keys
            ):
                flags += [
                    (str(k.value), v, kw.value)
                    for k, v in zip(kw.value.keys, kw.value.values)
                    if isinstance(k, ast.Constant)
                ]
            else:
                yield use(UNREAD, f"flags of cmds.{command} in **{ast.unparse(kw.value)}", call)
        for flag, value, at in flags:
            yield use(f"flags:{command}", flag, at)
            long = _long(command, flag)
            if (command, flag) in _NODE_TYPE_FLAGS:
                yield from named("node_type", value, f"cmds.{command} -{flag}", at)
            elif (command, long) in _ENUM_FLAGS:
                yield from named(f"enum:{command}.{long}", value, f"cmds.{command} -{long}", at)
            if (command, long) in {("addAttr", "longName"), ("setKeyframe", "attribute")}:
                yield from named("attr", value, f"cmds.{command} -{long}", at, pattern=True)
        if command == "createNode":
            yield from named("node_type", first, "cmds.createNode type", call)
        elif command in ("pluginInfo", "loadPlugin") and first is not None:
            yield from named("plugin", first, f"cmds.{command} plug-in", call)
        elif command == "greasePencilCtx" and first is not None:
            yield from named("context", first, "cmds.greasePencilCtx context", call)
        elif command == "attributeQuery":
            yield from named("attr", first, "cmds.attributeQuery attribute", call, pattern=True)
        elif command in _PLUG_COMMANDS and first is not None:
            attrs = plug_attr(first)
            if attrs is None and command != "objExists":  # objExists also takes a node name
                yield use(UNREAD, f"the attribute of cmds.{command}({ast.unparse(first)})", call)
            for attr in attrs or []:
                yield use("attr", attr, call)
    for compare in ast.walk(tree):
        if isinstance(compare, ast.Compare) and len(compare.comparators) == 1:
            for asked, answer in (
                (compare.left, compare.comparators[0]),
                (compare.comparators[0], compare.left),
            ):
                inner = _unwrap_str(asked)
                what = (
                    _command_of(inner, binds, module, resolver)
                    if isinstance(inner, ast.Call)
                    else None
                )
                if what == "nodeType":
                    category = "node_type"
                elif what == "getPanel":
                    category = "panel_type"
                else:
                    continue
                for s in resolve(answer, False) or []:
                    yield use(category, s, compare)


def _maya_bindings(tree: ast.AST) -> dict[str, str]:
    """Local name -> what of Maya it is bound to by the module's imports: "cmds" (maya.cmds),
    "maya" (the maya package, so ``maya.cmds.x``), "OpenMaya" (maya.api.OpenMaya or the
    1.0 maya.OpenMaya), or the class name for ``from maya.api.OpenMaya import MEventMessage``."""
    found: dict[str, str] = {}
    for stmt in ast.walk(tree):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.name == "maya.cmds" and alias.asname:
                    found[alias.asname] = "cmds"
                elif alias.name in ("maya.api.OpenMaya", "maya.OpenMaya") and alias.asname:
                    found[alias.asname] = "OpenMaya"
                elif alias.name.split(".")[0] == "maya" and not alias.asname:
                    found["maya"] = "maya"
        elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            for alias in stmt.names:
                local = alias.asname or alias.name
                if stmt.module == "maya" and alias.name == "cmds":
                    found[local] = "cmds"
                elif stmt.module in ("maya", "maya.api") and alias.name == "OpenMaya":
                    found[local] = "OpenMaya"
                elif stmt.module in ("maya.api.OpenMaya", "maya.OpenMaya"):
                    found[local] = alias.name
    return found


def _command_of(
    call: ast.Call, binds: dict[str, str], module: str, resolver: ConstantResolver
) -> Optional[str]:
    """The maya.cmds command ``call`` runs: its name, "" when it is named at run time
    (``getattr(cmds, name)(...)``), None when the call is not into maya.cmds."""
    func = call.func
    if (
        isinstance(func, ast.Call)
        and isinstance(func.func, ast.Name)
        and func.func.id == "getattr"
        and len(func.args) >= 2
        and _is_cmds(func.args[0], binds)
    ):
        name = resolver.value(func.args[1], module)
        return name if isinstance(name, str) else ""
    if isinstance(func, ast.Attribute) and _is_cmds(func.value, binds):
        return func.attr
    return None


def _is_cmds(node: ast.AST, binds: dict[str, str]) -> bool:
    if isinstance(node, ast.Name):
        return binds.get(node.id) == "cmds"
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "cmds"
        and isinstance(node.value, ast.Name)
        and binds.get(node.value.id) == "maya"
    )


def _message_of(func: ast.AST, binds: dict[str, str]) -> str:
    """``"MEventMessage.addEventCallback"`` for a call of that method however its class was
    reached (``om.MEventMessage``, an imported ``MEventMessage``, ``maya.api.OpenMaya.``...)."""
    if not isinstance(func, ast.Attribute):
        return ""
    owner = func.value
    if isinstance(owner, ast.Name):
        cls = binds.get(owner.id, "")
    elif isinstance(owner, ast.Attribute):
        base = dotted(owner.value)
        reaches = (
            isinstance(owner.value, ast.Name) and binds.get(owner.value.id) == "OpenMaya"
        ) or base in ("maya.api.OpenMaya", "maya.OpenMaya")
        cls = owner.attr if reaches else ""
    else:
        cls = ""
    return f"{cls}.{func.attr}" if cls else ""


def _single_assignments(tree: ast.AST) -> dict[int, ast.AST]:
    """For each read of a name assigned exactly once in its function (``plug = f"..."``), by
    the id of the Name node: the value it was given."""
    found: dict[int, ast.AST] = {}
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        values: dict[str, list[ast.AST]] = {}
        params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
        targets: set[int] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        values.setdefault(target.id, []).append(node.value)
                        targets.add(id(target))
        for node in ast.walk(fn):
            stored = isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
            if stored and id(node) not in targets:  # a loop, with or walrus target: not once
                values.setdefault(node.id, []).extend([node, node])
        once = {
            name: vals[0]
            for name, vals in values.items()
            if len(vals) == 1 and name not in params and not isinstance(vals[0], ast.Name)
        }
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in once:
                found[id(node)] = once[node.id]
    return found


def _prefix_functions(resolver: ConstantResolver) -> dict[tuple[str, str], str]:
    """(module, function) -> the constant prefix of what it returns, for the adapter's
    helpers that build attribute names (``return NOTE_ATTR_PREFIX + uuid.hex``)."""
    found: dict[tuple[str, str], str] = {}
    for module, tree in resolver.modules():
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            returns = [n for n in ast.walk(fn) if isinstance(n, ast.Return)]
            prefixes = {
                resolver.value(r.value.left, module)
                for r in returns
                if isinstance(r.value, ast.BinOp) and isinstance(r.value.op, ast.Add)
            }
            if (
                len(returns) >= 1
                and len(prefixes) == 1
                and len(returns) == sum(isinstance(r.value, ast.BinOp) for r in returns)
            ):
                (prefix,) = prefixes
                if isinstance(prefix, str) and prefix:
                    found[(module, fn.name)] = prefix
    return found


def _prefix_of(
    node: Optional[ast.AST], module: str, prefixes: dict[tuple[str, str], str]
) -> Optional[str]:
    """The constant prefix of an attribute name made by one of ``prefixes``'s functions."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        own = prefixes.get((module, node.func.id))
        if own:
            return own
        for (where, name), prefix in prefixes.items():
            if name == node.func.id and where != module:
                return prefix
    return None


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


def _from_maya(
    node: ast.AST, binds: dict[str, str], module: str, resolver: ConstantResolver
) -> bool:
    """True for what Maya answers (``cmds.listAttr(...)``, ``cmds.ls(...) or []``): names in
    it are Maya's own, not literals of the adapter."""
    if isinstance(node, ast.BoolOp) and node.values:
        node = node.values[0]
    return isinstance(node, ast.Call) and bool(_command_of(node, binds, module, resolver))


def _parameter_sources(tree: ast.AST) -> dict[int, list[ast.AST]]:
    """For each read of a function's parameter (never reassigned in it), by the id of the
    Name node: what every call of that function in this module passes for it (its default
    where a call passes nothing). Methods are matched by name (``self.node(...)``)."""
    functions: dict[str, list[ast.FunctionDef]] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef):
            functions.setdefault(fn.name, []).append(fn)
    sites: dict[str, list[ast.Call]] = {}
    for call in calls(tree):
        name = (
            call.func.attr
            if isinstance(call.func, ast.Attribute)
            else (call.func.id if isinstance(call.func, ast.Name) else "")
        )
        if name in functions:
            sites.setdefault(name, []).append(call)
    found: dict[int, list[ast.AST]] = {}
    for name, defs in functions.items():
        if len(defs) != 1 or name not in sites:
            continue
        (fn,) = defs
        positional = [*fn.args.posonlyargs, *fn.args.args]
        method = bool(positional) and positional[0].arg in ("self", "cls")
        defaults = dict(
            zip(
                [a.arg for a in positional[len(positional) - len(fn.args.defaults) :]],
                fn.args.defaults,
            )
        )
        stored = {
            n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        for index, arg in enumerate(positional):
            if arg.arg in stored or (method and index == 0):
                continue
            passed: list[ast.AST] = []
            for call in sites[name]:
                at = index - 1 if method and isinstance(call.func, ast.Attribute) else index
                given = next((k.value for k in call.keywords if k.arg == arg.arg), None)
                if given is None and 0 <= at < len(call.args):
                    given = call.args[at]
                if given is None:
                    given = defaults.get(arg.arg)
                if given is None or isinstance(given, ast.Starred):
                    passed = []
                    break
                passed.append(given)
            if not passed:
                continue
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Name)
                    and isinstance(node.ctx, ast.Load)
                    and node.id == arg.arg
                ):
                    found[id(node)] = passed
    return found

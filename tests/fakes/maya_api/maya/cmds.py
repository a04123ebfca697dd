"""A FAKE of ``maya.cmds``: the commands the Overshoulder adapter uses, for tests only.

Every flag a command accepts is in the vocabulary (tests/fakes/maya_vocabulary.py, each with
its source: the ``types-maya`` stubs or Autodesk's reference); long and short names both work,
and any other flag raises ``TypeError: Invalid flag 'x'`` as maya.cmds does. Enumerated
values, node types and event names are checked against it too. Commands are queried with
``query=True``/``q=True`` and edited with ``edit=True``/``e=True``; other errors are raised as
``RuntimeError`` with Maya-like messages. Every command checks that it runs on Maya's main
thread (see ``maya._fake``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

try:
    from tests.fakes.maya_vocabulary import VOCABULARY, flag_pairs
except ImportError:  # a fresh interpreter with only the fake on sys.path (startup probes)
    sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
    from tests.fakes.maya_vocabulary import VOCABULARY, flag_pairs

from ._fake import (
    DAG_TYPES,
    SHAPE_TYPES,
    TIME_UNITS,
    Attr,
    MayaError,
    Node,
    dumps,
    state,
    write_png_rgb,
)


def _flag(kw: dict[str, Any], *names: str, default: Any = None) -> Any:
    for n in names:
        if n in kw:
            return kw[n]
    return default


def _q(kw: dict[str, Any]) -> bool:
    return bool(_flag(kw, "query", "q", default=False))


def _e(kw: dict[str, Any]) -> bool:
    return bool(_flag(kw, "edit", "e", default=False))


def _check(what: str, kw: Optional[dict[str, Any]] = None) -> None:
    """Maya's threading rule, then every flag against the vocabulary: an unknown one (or one
    this fake Maya lacks, ``state.missing_flags``) raises ``TypeError: Invalid flag 'x'`` as
    maya.cmds does (ynput/OpenPype issue #4033)."""
    state.check_thread(f"maya.cmds.{what}")
    missing = state.missing_flags.get(what, set())
    for flag in kw or {}:
        if not VOCABULARY.has(f"flags:{what}", flag) or flag in missing:
            raise TypeError(f"Invalid flag '{flag}'")


def _value(command: str, flag: str, value: Any) -> Any:
    """An enumerated flag's value, refused unless the vocabulary lists it (the wording of
    Maya's refusal is assumed)."""
    if value is not None and not VOCABULARY.has(f"enum:{command}.{flag}", str(value)):
        raise MayaError(f"{command}: Invalid {flag} '{value}'")
    return value


def _names(args: tuple[Any, ...]) -> list[str]:
    out: list[str] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(str(x) for x in a)
        else:
            out.append(str(a))
    return out


def _out(node: Node, long: bool) -> str:
    return node.path() if (long and node.dag) else node.name


# --- the application ----------------------------------------------------------------------


def about(*args: Any, **kw: Any) -> Any:
    _check("about", kw)
    if _flag(kw, "batch", "b"):
        return state.batch
    if _flag(kw, "version", "v"):
        return state.version
    if _flag(kw, "apiVersion", "api"):
        return int(state.version) * 10000
    if _flag(kw, "majorVersion", "mjv"):
        return state.version
    raise MayaError("about: the fake answers batch, version, apiVersion and majorVersion")


def evalDeferred(*args: Any, **kw: Any) -> None:
    _check("evalDeferred", kw)
    fn = args[0] if args else None
    if isinstance(fn, str):
        code = fn
        state.defer(lambda: exec(code, {}))
    elif callable(fn):
        state.defer(fn)
    else:
        raise MayaError("evalDeferred: give a callable or a Python string")


def undoInfo(*args: Any, **kw: Any) -> Any:
    _check("undoInfo", kw)
    if _q(kw):
        if _flag(kw, "stateWithoutFlush", "swf", "state", "st"):
            return state.undo_on
        if _flag(kw, "undoName", "un"):
            return state.undo_stack[-1] if state.undo_stack else ""
        if _flag(kw, "redoName", "rn"):
            return state.redo_stack[-1] if state.redo_stack else ""
        if _flag(kw, "undoQueueEmpty", "uqe"):
            return not state.undo_stack
        raise MayaError(
            "undoInfo: the fake queries state, stateWithoutFlush, undoName, redoName and "
            "undoQueueEmpty"
        )
    on = _flag(kw, "stateWithoutFlush", "swf")
    if on is not None:
        state.undo_on = bool(on)
        return None
    on = _flag(kw, "state", "st")
    if on is not None:
        state.undo_on = bool(on)
        if not on:
            state.undo_stack.clear()  # state=False flushes the queue (swf does not)
    return None


def pluginInfo(*args: Any, **kw: Any) -> Any:
    _check("pluginInfo", kw)
    name = str(args[0]) if args else ""
    if _q(kw) and _flag(kw, "loaded", "l"):
        return name in state.plugins_loaded
    if _q(kw) and _flag(kw, "registered", "r"):
        return name in state.plugins_available
    raise MayaError("pluginInfo: the fake queries loaded and registered")


def loadPlugin(*args: Any, **kw: Any) -> list[str]:
    _check("loadPlugin", kw)
    done = []
    for name in _names(args):
        if name not in state.plugins_available:
            if _flag(kw, "quiet", "qt"):
                continue
            raise MayaError(f'Plug-in, "{name}", was not found on MAYA_PLUG_IN_PATH.')
        state.plugins_loaded.add(name)
        done.append(name)
    return done


# --- time -----------------------------------------------------------------------------------


def currentTime(*args: Any, **kw: Any) -> Any:
    _check("currentTime", kw)
    if _q(kw):
        return state.time
    if not args:
        raise MayaError("currentTime: give a time")
    state.set_time(float(args[0]))
    return state.time


def currentUnit(*args: Any, **kw: Any) -> Any:
    _check("currentUnit", kw)
    if _q(kw):
        if _flag(kw, "time", "t"):
            return state.unit
        if _flag(kw, "linear", "l"):
            return "cm"
        raise MayaError("currentUnit: the fake queries time and linear")
    unit = _flag(kw, "time", "t")
    if unit is not None:
        if unit not in TIME_UNITS and not (str(unit).endswith("fps") and unit[:-3].isdigit()):
            raise MayaError(f"currentUnit: Invalid time unit: {unit}")
        state.unit = str(unit)
        state.fire("timeUnitChanged")
    return None


def playbackOptions(*args: Any, **kw: Any) -> Any:
    _check("playbackOptions", kw)
    names = {
        "minTime": ("minTime", "min"),
        "maxTime": ("maxTime", "max"),
        "animationStartTime": ("animationStartTime", "ast"),
        "animationEndTime": ("animationEndTime", "aet"),
    }
    attrs = {
        "minTime": "min_time",
        "maxTime": "max_time",
        "animationStartTime": "anim_start",
        "animationEndTime": "anim_end",
    }
    if _q(kw):
        for key, flags in names.items():
            if _flag(kw, *flags):
                return float(getattr(state, attrs[key]))
        raise MayaError("playbackOptions: the fake queries the four time range flags")
    changed = False
    for key, flags in names.items():
        value = _flag(kw, *flags)
        if value is not None:
            setattr(state, attrs[key], float(value))
            changed = True
    if changed:
        state.fire("playbackRangeChanged")
    return None


def play(*args: Any, **kw: Any) -> Any:
    _check("play", kw)
    if _q(kw) and _flag(kw, "state", "st"):
        return state.playing
    on = _flag(kw, "state", "st")
    state.set_playing(True if on is None else bool(on))
    return None


# --- nodes and the DAG ----------------------------------------------------------------------


def createNode(kind: str, **kw: Any) -> str:
    _check("createNode", kw)
    if not VOCABULARY.has("node_type", kind) or (kind not in DAG_TYPES and kind != "network"):
        raise MayaError(f"createNode: Unknown object type: {kind}")  # wording assumed
    parent_name = _flag(kw, "parent", "p")
    parent = state.need(parent_name) if parent_name else None
    if parent is None and kind in SHAPE_TYPES:
        parent = state.create("transform", kind + "Transform1")
    node = state.create(kind, _flag(kw, "name", "n"), parent)
    if not _flag(kw, "skipSelect", "ss", default=False) and node.dag:
        state.selection = [node]
    return node.name


def objExists(name: str) -> bool:
    _check("objExists")
    node = state.resolve(str(name))
    if node is None:
        return False
    if "." in str(name):
        return str(name).split(".", 1)[1] in node.attrs
    return True


def nodeType(name: str, **kw: Any) -> str:
    _check("nodeType", kw)
    return state.need(name).kind


def ls(*args: Any, **kw: Any) -> list[str]:
    _check("ls", kw)
    long = bool(_flag(kw, "long", "l", default=False))
    if _flag(kw, "selection", "sl"):
        nodes = list(state.selection)
    elif args:
        nodes = []
        for name in _names(args):
            node = state.resolve(name)
            if node is not None and node not in nodes:
                nodes.append(node)
    else:
        nodes = state.live()
    kinds = _flag(kw, "type", "typ", "exactType", "et")
    if kinds is not None:
        wanted = {kinds} if isinstance(kinds, str) else set(kinds)
        if "dagNode" in wanted:
            wanted |= DAG_TYPES
        nodes = [n for n in nodes if n.kind in wanted]
    if _flag(kw, "transforms", "tr"):
        nodes = [n for n in nodes if n.kind in ("transform", "joint")]
    if _flag(kw, "cameras", "ca"):
        nodes = [n for n in nodes if n.kind == "camera"]
    if _flag(kw, "dag", "dagObjects"):
        nodes = [n for n in nodes if n.dag]
    if _flag(kw, "uuid", "uid"):
        return [n.uuid for n in nodes]
    return [_out(n, long) for n in nodes]


def listRelatives(*args: Any, **kw: Any) -> list[str]:
    _check("listRelatives", kw)
    full = bool(_flag(kw, "fullPath", "f", "path", "pa", default=False))
    out: list[Node] = []
    for name in _names(args):
        node = state.need(name)
        if _flag(kw, "parent", "p"):
            if node.parent is not None:
                out.append(node.parent)
            continue
        kids = state.children(node)
        if _flag(kw, "shapes", "s"):
            kids = [k for k in kids if k.kind in SHAPE_TYPES]
        kind = _flag(kw, "type", "typ")
        if kind:
            kids = [k for k in kids if k.kind == kind]
        out.extend(kids)
    return [_out(n, full) for n in out]


def select(*args: Any, **kw: Any) -> None:
    _check("select", kw)
    if _flag(kw, "clear", "cl"):
        state.selection = []
    else:
        nodes = [state.need(n) for n in _names(args)]
        if _flag(kw, "add", "af", "addFirst"):
            state.selection += [n for n in nodes if n not in state.selection]
        elif _flag(kw, "deselect", "d"):
            state.selection = [n for n in state.selection if n not in nodes]
        else:
            state.selection = nodes
    state.fire("SelectionChanged")
    state.redraw()


def rename(old: str, new: str, **kw: Any) -> str:
    _check("rename", kw)
    node = state.need(old)
    if state.find_name(new) not in (None, node):
        new = state.unique(new.rstrip("0123456789"))
    node.name = new
    state.record(f"rename {old} {new}")
    state.fire("NameChanged")
    return new


def parent(*args: Any, **kw: Any) -> list[str]:
    _check("parent", kw)
    names = _names(args)
    if _flag(kw, "world", "w"):
        children, target = names, None
    else:
        children, target = names[:-1], state.need(names[-1])
    out = []
    for name in children:
        node = state.need(name)
        node.parent = target
        out.append(node.name)
    state.record(f"parent {names}")
    state.redraw()
    return out


def delete(*args: Any, **kw: Any) -> None:
    _check("delete", kw)
    for name in _names(args):
        state.delete(state.need(name))
    state.redraw()


def exactWorldBoundingBox(*args: Any, **kw: Any) -> list[float]:
    _check("exactWorldBoundingBox", kw)
    node = state.need(_names(args)[0])
    x, y, z = (
        sum(float(n.attrs[a].value) for n in _chain(node) if a in n.attrs)
        for a in ("translateX", "translateY", "translateZ")
    )
    return [x - 0.5, y - 0.5, z - 0.5, x + 0.5, y + 0.5, z + 0.5]


def _chain(node: Node) -> list[Node]:
    out = []
    n: Optional[Node] = node
    while n is not None:
        out.append(n)
        n = n.parent
    return out


# --- attributes -----------------------------------------------------------------------------

_ATTR_TYPES = {"string": "string", "long": "long", "double": "double", "bool": "bool"}


def _plug(args: tuple[Any, ...], kw: dict[str, Any]) -> tuple[Node, str]:
    names = _names(args)
    if len(names) == 1 and "." in names[0]:
        node_name, attr = names[0].split(".", 1)
        return state.need(node_name), attr
    attr = _flag(kw, "attribute", "at", default="")
    return state.need(names[0]), str(attr)


def addAttr(*args: Any, **kw: Any) -> None:
    _check("addAttr", kw)
    node = state.need(_names(args)[0])
    name = _flag(kw, "longName", "ln")
    if not name or not str(name).replace("_", "a").isalnum() or str(name)[0].isdigit():
        raise MayaError(f"addAttr: invalid attribute name {name!r}")
    if name in node.attrs:
        raise MayaError(f"Found more than one attribute named '{name}' on {node.name}")
    data_type = _value("addAttr", "dataType", _flag(kw, "dataType", "dt"))
    attr_type = _value("addAttr", "attributeType", _flag(kw, "attributeType", "at"))
    kind = _ATTR_TYPES.get(str(data_type or attr_type))
    if kind is None:
        raise MayaError(f"addAttr: the fake supports string, long, double and bool, not {kind}")
    default = {"string": None, "long": 0, "double": 0.0, "bool": False}[kind]
    node.attrs[str(name)] = Attr(kind, default, True)
    state.record(f"addAttr {node.name}.{name}")


def deleteAttr(*args: Any, **kw: Any) -> None:
    _check("deleteAttr", kw)
    node, attr = _plug(args, kw)
    held = node.attrs.get(attr)
    if held is None or not held.dynamic:
        raise MayaError(f"deleteAttr: {node.name} has no dynamic attribute {attr}")
    del node.attrs[attr]
    state.record(f"deleteAttr {node.name}.{attr}")


def attributeQuery(name: str, **kw: Any) -> Any:
    _check("attributeQuery", kw)
    node = state.need(_flag(kw, "node", "n"))
    if _flag(kw, "exists", "ex"):
        return name in node.attrs
    raise MayaError("attributeQuery: the fake answers exists")


def listAttr(*args: Any, **kw: Any) -> list[str]:
    _check("listAttr", kw)
    node = state.need(_names(args)[0])
    if _flag(kw, "userDefined", "ud"):
        return [n for n, a in node.attrs.items() if a.dynamic]
    return list(node.attrs)


def getAttr(*args: Any, **kw: Any) -> Any:
    _check("getAttr", kw)
    node, attr = _plug(args, kw)
    held = node.attrs.get(attr)
    if held is None:
        raise MayaError(f"getAttr: No object matches name: {node.name}.{attr}")
    if _flag(kw, "type", "typ"):
        return held.kind
    time = _flag(kw, "time", "t")
    return held.at(state.time if time is None else float(time))


def setAttr(*args: Any, **kw: Any) -> None:
    _check("setAttr", kw)
    plug, *values = args
    node, attr = _plug((plug,), {})
    held = node.attrs.get(attr)
    if held is None:
        raise MayaError(f"setAttr: No object matches name: {plug}")
    if not values:
        raise MayaError(f"setAttr: no value for {plug}")
    value = values[0]
    if held.kind == "string":
        if _value("setAttr", "type", _flag(kw, "type", "typ")) != "string":
            raise MayaError(f"setAttr: {plug} is a string attribute: pass type='string'")
        if not isinstance(value, str):
            raise MayaError(f"setAttr: {plug} takes a string, not {type(value).__name__}")
    elif held.kind == "long":
        value = int(value)
    elif held.kind == "double":
        value = float(value)
    elif held.kind == "bool":
        value = bool(value)
    held.value = value
    state.record(f"setAttr {node.name}.{attr}")
    if node.dag:
        state.redraw()


def setKeyframe(*args: Any, **kw: Any) -> int:
    _check("setKeyframe", kw)
    node = state.need(_names(args)[0])
    attr = str(_flag(kw, "attribute", "at"))
    held = node.attrs.get(attr)
    if held is None:
        raise MayaError(f"setKeyframe: {node.name} has no attribute {attr}")
    times = _flag(kw, "time", "t", default=state.time)
    value = _flag(kw, "value", "v", default=held.value)
    _value("setKeyframe", "inTangentType", _flag(kw, "inTangentType", "itt"))
    if _value("setKeyframe", "outTangentType", _flag(kw, "outTangentType", "ott")) != "step":
        raise MayaError("setKeyframe: the fake only keeps step keys (outTangentType='step')")
    for t in times if isinstance(times, (list, tuple)) else [times]:
        held.keys[float(t)] = type(held.value)(value) if held.value is not None else value
    state.record(f"setKeyframe {node.name}.{attr}")
    return 1


# --- annotations ----------------------------------------------------------------------------


def annotate(*args: Any, **kw: Any) -> str:
    """An annotation pointing at the object: a transform "annotationN" with an
    annotationShape "annotationShapeN" whose arrow follows the object."""
    _check("annotate", kw)
    names = _names(args)
    target = state.need(names[0]) if names else None
    point = _flag(kw, "point", "p", default=(0.0, 0.0, 0.0))
    transform = state.create("transform", state.unique("annotation"))
    shape = state.create("annotationShape", state.unique("annotationShape"), transform)
    shape.attrs["text"].value = str(_flag(kw, "text", "tx", default=""))
    shape.target = target.uuid if target is not None else None
    for axis, v in zip("XYZ", point):
        transform.attrs[f"translate{axis}"].value = float(v)
    state.redraw()
    return shape.name


# --- panels and viewports -------------------------------------------------------------------


def getPanel(*args: Any, **kw: Any) -> Any:
    _check("getPanel", kw)
    if _flag(kw, "withFocus", "wf"):
        return state.active_panel
    of = _flag(kw, "typeOf", "to")
    if of is not None:
        return "modelPanel" if of in state.panels else "scriptedPanel"
    if _flag(kw, "type", "typ") == "modelPanel":
        return list(state.panels)
    if _flag(kw, "visiblePanels", "vis"):
        return list(state.panels)
    raise MayaError("getPanel: the fake answers withFocus, typeOf, type and visiblePanels")


def modelPanel(name: str, **kw: Any) -> Any:
    _check("modelPanel", kw)
    if name not in state.panels:
        if _flag(kw, "exists", "ex"):
            return False
        raise MayaError(f"modelPanel: Object '{name}' not found.")
    if _flag(kw, "exists", "ex"):
        return True
    if _q(kw) and _flag(kw, "camera", "cam"):
        cam = state.panel_camera(name)
        return cam.name if cam is not None else ""
    if _e(kw) and _flag(kw, "camera", "cam"):
        state.look_through(name, state.need(_flag(kw, "camera", "cam")))
        return None
    raise MayaError("modelPanel: the fake answers exists and camera")


def lookThru(*args: Any, **kw: Any) -> None:
    _check("lookThru", kw)
    names = _names(args)
    if len(names) == 2:
        panel, camera = names
    else:
        panel, camera = state.active_panel, names[0]
    state.look_through(panel, state.need(camera))


def playblast(*args: Any, **kw: Any) -> str:
    """One frame of the active (or named) panel's view written to ``completeFilename``."""
    _check("playblast", kw)
    if _value("playblast", "format", _flag(kw, "format", "fmt")) != "image":
        raise MayaError("playblast: the fake writes format='image' only")
    path = _flag(kw, "completeFilename", "cf")
    if not path:
        raise MayaError("playblast: the fake needs completeFilename")
    panel = _flag(kw, "editorPanelName", "epn") or state.active_panel
    frames = _flag(kw, "frame", "fr")
    frames = frames if isinstance(frames, (list, tuple)) else [frames]
    if len(frames) != 1 or frames[0] is None:
        raise MayaError("playblast: the fake writes one frame")
    state.playblasts += 1
    before = state.time
    state.set_time(float(frames[0]))  # a playblast moves the time ...
    try:
        image = state.frame_buffer(panel)[::-1, :, :3]
    finally:
        # ... and back, except with undo off, where it is known to leave the time disturbed
        # (abstractfactory/maya-capture capture.py@1caf3169, bug #21: set the time before,
        # restore it after). Where exactly it leaves it is assumed: at the frame it blasted.
        if state.undo_on:
            state.set_time(before)
    size = _flag(kw, "widthHeight", "wh")
    if size and tuple(size) != image.shape[1::-1]:
        raise MayaError("playblast: the fake does not scale; give the viewport's size")
    compression = _value("playblast", "compression", _flag(kw, "compression", "c", default="png"))
    if compression in ("jpg", "jpeg"):
        import simplejpeg

        data = simplejpeg.encode_jpeg(
            image.copy(), quality=int(_flag(kw, "quality", "qlt", default=90))
        )
    elif compression == "png":
        data = write_png_rgb(image)
    else:
        raise MayaError(f"playblast: the fake writes jpg or png, not {compression}")
    with open(path, "wb") as fh:
        fh.write(data)
    state.captures.append({"how": "playblast", "panel": panel, "frame": frames[0]})
    return str(path)


# --- pencils -------------------------------------------------------------------------------


def bluePencilFrame(*args: Any, **kw: Any) -> None:
    _check("bluePencilFrame", kw)
    if "bluePencil" not in state.plugins_loaded:
        raise MayaError('Cannot find procedure "bluePencilFrame" (plug-in bluePencil not loaded)')
    archive = _flag(kw, "importArchive", "ia")
    if archive is None:
        raise MayaError("bluePencilFrame: the fake imports archives only")
    state.import_archive(str(archive), "bluePencil")


def bluePencilLayer(*args: Any, **kw: Any) -> Any:
    """Blue Pencil layers of the camera given as argument (Autodesk, bluePencilLayer, 2023):
    ``count`` the number of layers, ``queryName=i`` a layer's name, ``delete=i`` removes one,
    ``editName=(name, i)`` renames one. Indexes out of range raise (message assumed)."""
    _check("bluePencilLayer", kw)
    if "bluePencil" not in state.plugins_loaded:
        raise MayaError('Cannot find procedure "bluePencilLayer" (plug-in bluePencil not loaded)')
    names = _names(args)
    if not names:
        raise MayaError("bluePencilLayer: The command requires a camera name as argument.")
    layers = state.camera_layers(names[0])

    def at(index: Any) -> dict[str, Any]:
        i = int(index)
        if not 0 <= i < len(layers):
            raise MayaError(f"bluePencilLayer: no layer at index {i} on {names[0]}")
        return layers[i]

    if _flag(kw, "count", "cnt"):
        return len(layers)
    if _flag(kw, "queryName", "qn") is not None:
        return at(_flag(kw, "queryName", "qn"))["name"]
    if _flag(kw, "delete", "delete") is not None:
        layers.remove(at(_flag(kw, "delete", "delete")))
        state.record("bluePencilLayer -delete")
        state.redraw()
        return None
    edit = _flag(kw, "editName", "en")
    if edit is not None:
        name, index = edit
        at(index)["name"] = str(name)
        state.record("bluePencilLayer -editName")
        return None
    raise MayaError("bluePencilLayer: the fake answers count, queryName, delete and editName")


def help(*args: Any, **kw: Any) -> str:
    """A command's synopsis, one flag a line as ``-short -long type`` (the layout
    Muream/maya-stubs parses: maya-stubgen/maya_stubgen/cli/generate_stubs/parsers/
    cmds_parsers/synopsis_parser.py at 0c633a2a). Here: the flags the
    vocabulary lists for the command, less those this fake Maya lacks."""
    _check("help", kw)
    names = _names(args)
    if len(names) != 1:
        raise MayaError("help: the fake answers help(command)")
    command = names[0]
    missing = state.missing_flags.get(command, set())
    lines = [f"Synopsis: {command} [flags]", "Flags:"]
    for long, short in sorted(flag_pairs(command).items()):
        if long not in missing and short not in missing:
            lines.append(f"  -{short} -{long}")
    return "\n".join(lines) + "\n"


def greasePencilCtx(*args: Any, **kw: Any) -> Any:
    """Grease Pencil (Maya 2022 and older; gone from the 2023+ command set)."""
    _check("greasePencilCtx", kw)
    if int(state.version) >= 2023:
        raise MayaError('Cannot find procedure "greasePencilCtx".')
    name = str(args[0]) if args else ""
    if name not in state.contexts:
        raise MayaError(f"greasePencilCtx: Object '{name}' not found.")
    archive = _flag(kw, "importArchive", "ia")
    if not _e(kw) or archive is None:
        raise MayaError("greasePencilCtx: the fake edits importArchive only")
    state.import_archive(str(archive), "greasePencil")
    return None


# --- files ----------------------------------------------------------------------------------


def file(*args: Any, **kw: Any) -> Any:
    _check("file", kw)
    if _q(kw):
        if _flag(kw, "sceneName", "sn"):
            return state.scene_name
        if _flag(kw, "modified", "mf"):
            return bool(state.undo_stack)
        raise MayaError("file: the fake queries sceneName and modified")
    rename_to = _flag(kw, "rename", "rn")
    if rename_to is not None:
        state.scene_name = os.path.abspath(str(rename_to)).replace(os.sep, "/")
        return state.scene_name
    if _flag(kw, "new", "f_new"):
        state.new_scene()
        state.fire("NewSceneOpened")
        return ""
    if _flag(kw, "save", "s"):
        if not state.scene_name:
            raise MayaError("file: the scene has no name yet: rename it first")
        with open(state.scene_name, "w", encoding="utf-8") as fh:
            fh.write(dumps(state.dump()))
        return state.scene_name
    if _flag(kw, "open", "o"):
        path = str(args[0])
        with open(path, encoding="utf-8") as fh:
            state.load(json.load(fh))
        state.scene_name = os.path.abspath(path).replace(os.sep, "/")
        state.fire("SceneOpened")
        return state.scene_name
    raise MayaError("file: the fake does rename, new, save and open")


# --- UI -------------------------------------------------------------------------------------


def menu(*args: Any, **kw: Any) -> Any:
    _check("menu", kw)
    name = str(args[0]) if args else _unique_menu()
    if _flag(kw, "exists", "ex"):
        return name in state.menus
    state.menus[name] = {
        "label": _flag(kw, "label", "l"),
        "parent": _flag(kw, "parent", "p"),
        "items": [],
    }
    return name


def menuItem(*args: Any, **kw: Any) -> str:
    _check("menuItem", kw)
    parent_menu = _flag(kw, "parent", "p")
    if parent_menu not in state.menus:
        raise MayaError(f"menuItem: no menu {parent_menu}")
    items: list[dict[str, Any]] = state.menus[parent_menu]["items"]
    items.append({"label": _flag(kw, "label", "l"), "command": _flag(kw, "command", "c")})
    return f"{parent_menu}|item{len(items)}"


def confirmDialog(*args: Any, **kw: Any) -> str:
    """Maya's modal message box: recorded in ``state.dialogs``; answers its first button."""
    _check("confirmDialog", kw)
    title = str(_flag(kw, "title", "t", default="") or "")
    state.dialogs.append((title, str(_flag(kw, "message", "m", default="") or "")))
    buttons = _flag(kw, "button", "b", default=["Confirm"])
    return str(buttons if isinstance(buttons, str) else next(iter(buttons)))


def deleteUI(*args: Any, **kw: Any) -> None:
    _check("deleteUI", kw)
    for name in _names(args):
        state.menus.pop(name, None)
        state.workspace_controls.pop(name, None)


def workspaceControl(name: str, **kw: Any) -> Any:
    _check("workspaceControl", kw)
    if _flag(kw, "exists", "ex"):
        return name in state.workspace_controls
    if _q(kw):
        control = state.workspace_controls.get(name)
        if control is None:
            raise MayaError(f"workspaceControl: Object '{name}' not found.")
        if _flag(kw, "visible", "vis"):
            return control.get("visible", True)
        if _flag(kw, "uiScript", "ui"):
            return control.get("uiScript", "")
        raise MayaError("workspaceControl: the fake queries visible and uiScript")
    if _e(kw):
        control = state.workspace_controls.setdefault(name, {})
        if _flag(kw, "restore", "rs"):
            control["visible"] = True
        if _flag(kw, "visible", "vis") is not None:
            control["visible"] = bool(_flag(kw, "visible", "vis"))
        return None
    state.workspace_controls[name] = {
        "label": _flag(kw, "label", "l"),
        "uiScript": _flag(kw, "uiScript", "ui"),
        "retain": _flag(kw, "retain", "rt"),
        "visible": True,
    }
    return name


def _unique_menu() -> str:
    i = 1
    while f"menu{i}" in state.menus:
        i += 1
    return f"menu{i}"

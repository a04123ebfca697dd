"""A FAKE of Nuke's Python API (the ``nuke`` module), for tests.

Written from Foundry's public Python API documentation and the stubs generated
inside Nuke 15.0v1 (sisoe24/nuke-python-stubs), not from Foundry's code. It
covers what the Overshoulder adapter and its tests use, and behaves as the
documentation says where it exists: a node graph with knobs (hidden knobs
too), Viewer nodes and the active viewer window, knobChanged/onCreate
callbacks run with ``thisNode()``/``thisKnob()`` set, the current frame,
``executeInMainThread`` onto a designated main thread, an undo stack,
menus, script save/open/clear to a real text file, and ``execute`` of a Write
node that writes a real JPEG of a test pattern.

What the real Nuke renders is not imitated: the pattern is a function of the
viewed node's name, its upstream knob values and the frame (see
``pattern_key``), so tests can tell images apart. Colour nodes (OCIODisplay,
Vectorfield, ...) pass pixels through and are recorded in ``_fake.renders``.

Everything a test drives that Nuke has no API for lives in ``_fake`` (and in
``tests.fakes.nuke_control``). Calls made off the designated main thread
raise, so tests prove the adapter keeps to Nuke's threading rule.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any, Optional

from tests.fakes.nuke_vocabulary import VOCABULARY, enum_values

# --- constants (values as in the stubs) -----------------------------------------------------

GUI = True
INTERACTIVE = True
INVISIBLE = 1024
DISABLED = 128
NO_ANIMATION = 256
DO_NOT_WRITE = 512
STARTLINE = 4096
ENDLINE = 8192
TO_SCRIPT = 1
TO_VALUE = 2
WRITE_ALL = 8
WRITE_NON_DEFAULT_ONLY = 16
INPUTS = 2
HIDDEN_INPUTS = 4
EXPRESSIONS = 1
LINKINPUTS = 8
NUKE_VERSION_MAJOR = 15
NUKE_VERSION_MINOR = 0
NUKE_VERSION_STRING = "15.0v1"
env: dict[str, Any] = {"gui": True, "hiero": False, "LINUX": sys.platform.startswith("linux")}

#: Knobs every node has (name, class, default).
_COMMON_KNOBS: list[tuple[str, str, Any]] = [
    ("name", "String_Knob", ""),
    ("label", "Multiline_Eval_String_Knob", ""),
    ("disable", "Boolean_Knob", False),
    ("selected", "Boolean_Knob", False),
    ("xpos", "Int_Knob", 0),
    ("ypos", "Int_Knob", 0),
    ("tile_color", "Int_Knob", 0),
]

#: Knobs by node class, beyond the common ones.
_CLASS_KNOBS: dict[str, list[tuple[str, str, Any]]] = {
    "Root": [
        ("first_frame", "Int_Knob", 1),
        ("last_frame", "Int_Knob", 100),
        ("fps", "Double_Knob", 24.0),
        ("frame", "Int_Knob", 1),
        ("format", "Format_Knob", None),
        ("colorManagement", "Enumeration_Knob", "OCIO"),
    ],
    "Viewer": [
        ("frame", "Int_Knob", 1),
        ("viewerProcess", "Enumeration_Knob", "sRGB (default)"),
        ("input_process", "Boolean_Knob", True),
        ("input_process_node", "String_Knob", "VIEWER_INPUT"),
        ("gain", "Double_Knob", 1.0),
        ("gamma", "Double_Knob", 1.0),
    ],
    "Write": [
        ("file", "File_Knob", ""),
        ("file_type", "Enumeration_Knob", ""),
        ("_jpeg_quality", "Double_Knob", 0.75),
        ("_jpeg_sub_sampling", "Enumeration_Knob", "4:2:2"),
        ("raw", "Boolean_Knob", False),
        ("colorspace", "Enumeration_Knob", "default"),
        ("channels", "String_Knob", "rgb"),
        ("create_directories", "Boolean_Knob", False),
    ],
    "Read": [
        ("file", "File_Knob", ""),
        ("first", "Int_Knob", 1),
        ("last", "Int_Knob", 1),
        ("colorspace", "Enumeration_Knob", "default"),
    ],
    "OCIODisplay": [
        ("colorspace", "Enumeration_Knob", "scene_linear"),
        ("display", "Enumeration_Knob", "default"),
        ("view", "Enumeration_Knob", "sRGB"),
    ],
    "StickyNote": [("note_font_size", "Int_Knob", 20)],
    "RotoPaint": [("curves", "CurveKnob", None)],
    "Grade": [("white", "Double_Knob", 1.0), ("black", "Double_Knob", 0.0)],
    "Blur": [("size", "Double_Knob", 0.0)],
    "Constant": [("color", "Double_Knob", 0.0)],
    "Vectorfield": [("vfield_file", "File_Knob", "")],
}

#: Classes that pass pixels through (colour transforms, plumbing): the pattern is that
#: of the nearest other node upstream; their settings go into the render log.
_PASS_THROUGH = {
    "Write",
    "Viewer",
    "Dot",
    "OCIODisplay",
    "OCIOColorSpace",
    "OCIOFileTransform",
    "Vectorfield",
    "Group",
    "Gizmo",
    "NoOp",
}

#: Knobs that do not change pixels (left out of the pattern).
_UI_KNOBS = {"name", "label", "selected", "xpos", "ypos", "tile_color", "note_font_size"}

_MAX_INPUTS = {"Viewer": 10, "Root": 0, "StickyNote": 0, "Constant": 0, "Read": 0, "Merge2": 2}


# --- fake state ------------------------------------------------------------------------------


class _FakeState:
    """What the fake keeps, and what tests drive that Nuke has no API for."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.calls: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]
        self.calls = queue.SimpleQueue()
        self.main_thread: Optional[threading.Thread] = None
        self.strict_threads = True
        self.knob_changed: dict[str, list[tuple[Any, ...]]] = {}
        self.update_ui: dict[str, list[tuple[Any, ...]]] = {}
        #: When knobChanged runs. "panel" (Nuke 13-16: "when the user changes a knob" with its
        #: control panel open, plus the dummy knobs; stubs: nuke/nuke_internal/callbacks.py:164)
        #: or "any" (Nuke 17.1's documentation: "any knob change, including changes made
        #: programmatically and ... when the Properties panel is closed").
        self.knob_changed_rule = "panel"
        #: Simulated cost of one frame of a Write render, seconds (benchmarks).
        self.render_cost_s = 0.0
        self.on_create: dict[str, list[tuple[Any, ...]]] = {}
        self.on_script_load: dict[str, list[tuple[Any, ...]]] = {}
        self.callback_errors: list[str] = []
        self.menus: dict[str, Menu] = {}
        self.reset_script()

    def reset_script(self) -> None:
        self.nodes: list[Node] = []
        self.root = Root("Root")
        #: The group context (``Group.begin``/``with group:``); Root at the bottom.
        self.groups: list[Group] = [self.root]
        #: Something changed since updateUI last ran (it runs "during idle").
        self.dirty = False
        self.idle_passes = 0
        self.script_name = ""
        self.active_viewer: Optional[Node] = None
        self.windows: dict[int, ViewerWindow] = {}
        self.undo_stack: list[str] = []
        self.undo_disabled = 0
        self.modified = False
        self.context: list[tuple[Node, Optional[Knob]]] = []
        self.renders: list[dict[str, Any]] = []
        self.zoomed: list[tuple[Any, ...]] = []
        self.shown_panels: list[str] = []
        self.shown_dags: list[str] = []
        self.fail_render: Optional[str] = None

    # undo
    def record(self, what: str) -> None:
        self.modified = True
        if self.undo_disabled == 0:
            self.undo_stack.append(what)

    # threads
    def check_thread(self, what: str) -> None:
        main = self.main_thread
        if self.strict_threads and main is not None and threading.current_thread() is not main:
            raise RuntimeError(
                f"FAKE nuke: {what} called on thread {threading.current_thread().name!r}, "
                f"not on Nuke's main thread {main.name!r}"
            )

    def run_next(self, timeout: Optional[float] = None) -> bool:
        """Run the next call queued by executeInMainThread (waiting up to ``timeout``)."""
        try:
            call, args, kwargs = (
                self.calls.get(timeout=timeout) if timeout else self.calls.get_nowait()
            )
        except queue.Empty:
            self.idle()
            return False
        try:
            call(*args, **kwargs)
        except Exception:  # Nuke prints the error and goes on
            self.callback_errors.append(traceback.format_exc())
            traceback.print_exc()
        return True

    def idle(self) -> None:
        """Nuke is idle: if anything changed, run the updateUI callbacks on every node
        ("Add code to execute on every node when things change. This is done during idle",
        stubs: nuke/nuke_internal/callbacks.py:186-189). On the main thread only."""
        main = self.main_thread
        if main is not None and threading.current_thread() is not main:
            return
        if not self.dirty or not any(self.update_ui.values()):
            self.dirty = False
            return
        self.dirty = False
        self.idle_passes += 1
        for node in [self.root, *self.nodes]:
            if not node._deleted:
                _run_callbacks(self.update_ui, node, None)

    def drain(self) -> int:
        """Run every queued call (on the main thread); how many ran."""
        ran = 0
        while self.run_next():
            ran += 1
        return ran


_fake = _FakeState.__new__(_FakeState)


def _check(what: str) -> None:
    _fake.check_thread(what)


# --- formats ----------------------------------------------------------------------------------


class Format:
    """An image format: name, width, height, pixel aspect."""

    def __init__(self, width: int = 640, height: int = 360, name: str = "fake_640", pa=1.0):
        self._w, self._h, self._name, self._pa = int(width), int(height), name, float(pa)

    def name(self) -> str:
        return self._name

    def width(self) -> int:
        return self._w

    def height(self) -> int:
        return self._h

    def pixelAspect(self) -> float:
        return self._pa

    def setWidth(self, w: int) -> None:
        self._w = int(w)

    def setHeight(self, h: int) -> None:
        self._h = int(h)

    def x(self) -> int:
        return 0

    def y(self) -> int:
        return 0

    def r(self) -> int:
        return self._w

    def t(self) -> int:
        return self._h

    def __repr__(self) -> str:
        return f"{self._w} {self._h} {self._pa} {self._name}"


# --- knobs ------------------------------------------------------------------------------------


class Knob:
    """A knob: a named value on a node, with flags."""

    _default: Any = None

    def __init__(self, name: str, label: Optional[str] = None, value: Any = None, *args: Any):
        self._name = name
        self._label = label if label is not None else name
        self._node: Optional[Node] = None
        self._value = self._coerce(value) if value is not None else self._default
        self._flags = 0
        self._tooltip = ""

    def _coerce(self, value: Any) -> Any:
        return value

    def Class(self) -> str:
        return type(self).__name__

    def name(self) -> str:
        return self._name

    def setName(self, s: str) -> None:
        self._name = s

    def label(self) -> str:
        return self._label

    def setLabel(self, s: str) -> None:
        self._label = s

    def tooltip(self) -> str:
        return self._tooltip

    def setTooltip(self, s: str) -> None:
        self._tooltip = s

    def node(self) -> Node:
        if self._node is None:
            raise ValueError(f"knob {self._name} is on no node")
        return self._node

    def setFlag(self, f: int) -> None:
        self._flags |= int(f)

    def clearFlag(self, f: int) -> None:
        self._flags &= ~int(f)

    def getFlag(self, f: int) -> bool:
        return bool(self._flags & int(f))

    def visible(self) -> bool:
        return not self.getFlag(INVISIBLE)

    def setVisible(self, visible: bool) -> None:
        if visible:
            self.clearFlag(INVISIBLE)
        else:
            self.setFlag(INVISIBLE)

    def value(self, *args: Any, **kwargs: Any) -> Any:
        _check(f"{self._name}.value()")
        return self._value

    def getValue(self, *args: Any, **kwargs: Any) -> Any:
        return self.value()

    def setValue(self, val: Any, *args: Any, **kwargs: Any) -> bool:
        _check(f"{self._name}.setValue()")
        new = self._coerce(val)
        if new == self._value and type(new) is type(self._value):
            return True
        self._value = new
        node = self._node
        if node is not None:
            node._valid()
            _fake.record(f"set {node._name}.{self._name}")
            _knob_changed(node, self)
        return True

    def toScript(self, quote: Any = None, context: Any = None) -> str:
        return str(self._value)

    def fromScript(self, s: str) -> bool:
        self.setValue(s)
        return True

    # save/load in the fake's script format
    def _dump(self) -> Any:
        return self._value

    def _load(self, data: Any) -> None:
        self._value = self._coerce(data) if data is not None else self._default


class String_Knob(Knob):
    _default = ""

    def _coerce(self, value: Any) -> Any:
        return str(value)

    def getText(self, oc: Any = None) -> str:
        return str(self.value())

    def value(self, oc: Any = None) -> str:
        return str(super().value())


class EvalString_Knob(String_Knob):
    pass


class Multiline_Eval_String_Knob(EvalString_Knob):
    pass


class File_Knob(EvalString_Knob):
    pass


class Int_Knob(Knob):
    _default = 0

    def _coerce(self, value: Any) -> Any:
        return int(value)


class Double_Knob(Knob):
    _default = 0.0

    def _coerce(self, value: Any) -> Any:
        return float(value)


class Boolean_Knob(Knob):
    _default = False

    def _coerce(self, value: Any) -> Any:
        return bool(value)


class Enumeration_Knob(Knob):
    """A menu knob. ``setValue(item)``: "item will first be converted into a string and matched
    against the enum values. If this fails, it will attempt to be used as an index into the
    enum" (stubs: nuke/classes/Enumeration_Knob.py:84-95). The values of each class's menu
    come from tests/fakes/nuke_vocabulary.py; anything else raises ValueError (the class and
    the message are assumed: the stubs do not say what is raised)."""

    _default = ""

    def values(self) -> list[str]:
        node = self._node
        listed = enum_values(node._class, self._name) if node is not None else None
        return list(listed) if listed is not None else []

    def _coerce(self, value: Any) -> Any:
        node = self._node
        listed = enum_values(node._class, self._name) if node is not None else None
        text = str(value)
        if listed is None or text in listed:
            return text
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(listed):
            return listed[value]
        if text.isdigit() and int(text) < len(listed):
            return listed[int(text)]
        owner = node.fullName() if node is not None else "?"
        raise ValueError(
            f"{owner}.{self._name}: {text!r} is not one of its values ({', '.join(listed)})"
        )


class Format_Knob(Knob):
    def __init__(self, name: str, label: Optional[str] = None, value: Any = None, *args: Any):
        super().__init__(name, label, value)
        if self._value is None:
            self._value = Format()

    def _dump(self) -> Any:
        f = self._value
        return [f.width(), f.height(), f.name(), f.pixelAspect()]

    def _load(self, data: Any) -> None:
        self._value = Format(*data) if data else Format()


class PyScript_Knob(Knob):
    pass


class Text_Knob(Knob):
    pass


class Tab_Knob(Knob):
    pass


class PyCustom_Knob(Knob):
    pass


class CurveKnob(Knob):
    """The ``curves`` knob of Roto/RotoPaint (its API lives in ``nuke.rotopaint``)."""

    def __init__(self, name: str, label: Optional[str] = None, value: Any = None, *args: Any):
        super().__init__(name, label, value)
        from . import rotopaint

        self.rootLayer = rotopaint.Layer(self)
        self.rootLayer.name = "Root"
        self.changes = 0

    def changed(self) -> None:
        self.changes += 1
        if self._node is not None:
            _fake.record(f"curves {self._node._name}")

    def toElement(self, path: str) -> Any:
        element: Any = self.rootLayer
        for part in path.split("/"):
            element = next(e for e in element if e.name == part)
        return element

    def _dump(self) -> Any:
        return self.rootLayer._dump()

    def _load(self, data: Any) -> None:
        from . import rotopaint

        self.rootLayer = rotopaint.Layer(self)
        if data:
            self.rootLayer._load(data)


_KNOB_CLASSES: dict[str, type[Knob]] = {
    k.__name__: k
    for k in (
        Knob,
        String_Knob,
        EvalString_Knob,
        Multiline_Eval_String_Knob,
        File_Knob,
        Int_Knob,
        Double_Knob,
        Boolean_Knob,
        Enumeration_Knob,
        Format_Knob,
        PyScript_Knob,
        Text_Knob,
        Tab_Knob,
        PyCustom_Knob,
        CurveKnob,
    )
}


# --- nodes ------------------------------------------------------------------------------------


class Node:
    """A node of the graph: a class, a unique name, knobs and inputs."""

    def __init__(
        self, node_class: str, name: Optional[str] = None, parent: Optional[Group] = None
    ) -> None:
        self._class = node_class
        #: The Group (or Root) the node lives in; None for Root itself.
        self._parent: Optional[Group] = parent
        self._knobs: dict[str, Knob] = {}
        self._order: list[str] = []
        self._inputs: list[Optional[Node]] = []
        self._deleted = False
        self._panel_shown = False
        for kname, kclass, default in _COMMON_KNOBS + _CLASS_KNOBS.get(node_class, []):
            knob = _KNOB_CLASSES[kclass](kname, kname, default)
            self._attach(knob)
        self._name = name or node_class
        self._knobs["name"]._value = self._name

    # identity
    def _valid(self) -> None:
        if self._deleted:
            raise ValueError("A PythonObject is not attached to a node")

    def Class(self) -> str:
        self._valid()
        return self._class

    def name(self) -> str:
        _check("Node.name()")
        self._valid()
        return self._name

    def fullName(self) -> str:
        """'group.group.name' (stubs: nuke/classes/Node.py:332-337); top-level nodes: the name."""
        self._valid()
        parts = [self._name]
        parent = self._parent
        while parent is not None and parent is not _fake.root:
            parts.append(parent._name)
            parent = parent._parent
        return ".".join(reversed(parts))

    def setName(self, name: str, uncollide: bool = True, updateExpressions: bool = False) -> None:
        _check("Node.setName()")
        self._valid()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(f"Illegal name: {name!r}")
        taken = {n._name for n in _siblings(self._parent) if n is not self}
        if name in taken:
            if not uncollide:
                raise ValueError(f"{name} already exists")
            name = _unique_name(re.sub(r"\d+$", "", name) or name, self._parent)
        self._name = name
        self._knobs["name"]._value = name
        _fake.record(f"rename {name}")
        _knob_changed(self, self._knobs["name"])

    def __repr__(self) -> str:
        return f"<{self._class} {self._name if self._parent is None else self.fullName()}>"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    # knobs
    def _attach(self, knob: Knob) -> None:
        knob._node = self
        if knob._name not in self._knobs:
            self._order.append(knob._name)
        self._knobs[knob._name] = knob

    def knob(self, p: Any, follow_link: Any = None) -> Optional[Knob]:
        _check("Node.knob()")
        self._valid()
        if isinstance(p, int):
            return self._knobs[self._order[p]]
        return self._knobs.get(p)

    def __getitem__(self, key: str) -> Knob:
        """``node["x"]``: NameError for a missing knob (message shape assumed); ``knob("x")``
        returns None instead (public code relies on it: adrianpueyo/KnobScripter#19)."""
        knob = self.knob(key)
        if knob is None:
            raise NameError(f"knob {key} does not exist")
        return knob

    def knobs(self) -> dict[str, Knob]:
        _check("Node.knobs()")
        self._valid()
        return dict(self._knobs)

    def allKnobs(self) -> list[Knob]:
        return list(self.knobs().values())

    def numKnobs(self) -> int:
        return len(self._knobs)

    def addKnob(self, k: Knob) -> None:
        _check("Node.addKnob()")
        self._valid()
        if k._node is not None:
            raise RuntimeError(f"{k.name()} already belongs to a node")
        if k._name in self._knobs:
            raise RuntimeError(f"{self._name} already has a knob named {k._name}")
        self._attach(k)
        _fake.record(f"add knob {self._name}.{k._name}")

    def removeKnob(self, k: Knob) -> None:
        _check("Node.removeKnob()")
        self._valid()
        if self._knobs.get(k._name) is not k:
            raise ValueError(f"{k._name} is not a knob of {self._name}")
        del self._knobs[k._name]
        self._order.remove(k._name)
        k._node = None
        _fake.record(f"remove knob {self._name}.{k._name}")

    def writeKnobs(self, i: int) -> str:
        """The knobs as text (the fake's form: JSON of the non-UI values)."""
        self._valid()
        return json.dumps({n: k._dump() for n, k in self._knobs.items() if n not in _UI_KNOBS})

    def readKnobs(self, s: str) -> None:
        self._valid()
        for name, value in json.loads(s).items():
            knob = self._knobs.get(name)
            if knob is not None:
                knob._load(value)

    # inputs
    def maximumInputs(self) -> int:
        return _MAX_INPUTS.get(self._class, 1)

    def inputs(self) -> int:
        self._valid()
        n = len(self._inputs)
        while n and self._inputs[n - 1] is None:
            n -= 1
        return n

    def input(self, i: int) -> Optional[Node]:
        _check("Node.input()")
        self._valid()
        return self._inputs[i] if 0 <= i < len(self._inputs) else None

    def setInput(self, i: int, node: Optional[Node]) -> bool:
        _check("Node.setInput()")
        self._valid()
        if node is not None:
            node._valid()
        if i < 0 or i >= max(self.maximumInputs(), 1):
            return False
        while len(self._inputs) <= i:
            self._inputs.append(None)
        if self._inputs[i] is node:
            return True
        self._inputs[i] = node
        _fake.record(f"connect {self._name}.{i}")
        _knob_changed(self, Knob("inputChange"), dummy=True)
        return True

    def connectInput(self, i: int, node: Node) -> bool:
        return self.setInput(i, node)

    def dependencies(self, what: Any = None) -> list[Node]:
        _check("Node.dependencies()")
        self._valid()
        seen: list[Node] = []
        for n in self._inputs:
            if n is not None and n not in seen:
                seen.append(n)
        return seen

    def dependent(self, what: Any = None, forceEvaluate: Any = None) -> list[Node]:
        self._valid()
        return [n for n in _fake.nodes if self in n._inputs]

    def parent(self) -> Optional[Group]:
        return self._parent

    # selection, position, panels
    def setSelected(self, selected: bool) -> None:
        _check("Node.setSelected()")
        self._valid()
        knob = self._knobs["selected"]
        if knob._value != bool(selected):
            knob._value = bool(selected)
            _knob_changed(self, knob)

    def isSelected(self) -> bool:
        self._valid()
        return bool(self._knobs["selected"]._value)

    def selectOnly(self) -> None:
        for n in _siblings(self._parent):
            n.setSelected(n is self)

    def xpos(self) -> int:
        return int(self._knobs["xpos"]._value)

    def ypos(self) -> int:
        return int(self._knobs["ypos"]._value)

    def setXpos(self, x: int) -> None:
        self._knobs["xpos"]._value = int(x)

    def setYpos(self, y: int) -> None:
        self._knobs["ypos"]._value = int(y)

    def setXYpos(self, x: int, y: int) -> None:
        self.setXpos(x)
        self.setYpos(y)

    def screenWidth(self) -> int:
        return 80

    def screenHeight(self) -> int:
        return 18

    def showControlPanel(self, forceFloat: bool = False) -> None:
        """Open the panel: knobChanged runs with the dummy knob "showPanel"
        (stubs: nuke/nuke_internal/callbacks.py:167)."""
        self._valid()
        was = self._panel_shown
        self._panel_shown = True
        _fake.shown_panels.append(self.fullName())
        if not was:
            _knob_changed(self, Knob("showPanel"), dummy=True)

    def hideControlPanel(self) -> None:
        if self._panel_shown:
            self._panel_shown = False
            _knob_changed(self, Knob("hidePanel"), dummy=True)

    def shown(self) -> bool:
        return self._panel_shown

    # image
    def format(self) -> Format:
        return _fake.root._knobs["format"]._value

    def width(self) -> int:
        return self.format().width()

    def height(self) -> int:
        return self.format().height()

    def pixelAspect(self) -> float:
        return self.format().pixelAspect()

    def firstFrame(self) -> int:
        return int(_fake.root._knobs["first_frame"]._value)

    def lastFrame(self) -> int:
        return int(_fake.root._knobs["last_frame"]._value)

    def error(self) -> bool:
        try:
            _render_error(self)
        except RuntimeError:
            return True
        return False

    def hasError(self) -> bool:
        return self.error()


class Viewer(Node):
    """A Viewer node (its window is ``activeViewer()``)."""

    def capture(self, file: str) -> None:
        raise NotImplementedError("FAKE nuke: Viewer.capture is not faked")


class Group(Node):
    """A Group: nodes inside it, a context for names (stubs: nuke/classes/Group.py).

    ``begin()``/``end()`` and ``with group:`` make it the context in which new nodes are
    made and names are looked up ("All names are evaluated relative to this object",
    Group.begin's docstring); ``nodes()`` lists the nodes directly inside.
    """

    def nodes(self) -> list[Node]:
        _check("Group.nodes()")
        self._valid()
        return _siblings(self)

    def numNodes(self) -> int:
        return len(self.nodes())

    def node(self, s: str) -> Optional[Node]:
        self._valid()
        return _resolve(s, self)

    def begin(self) -> Group:
        self._valid()
        _fake.groups.append(self)
        return self

    def end(self) -> None:
        if len(_fake.groups) <= 1 or _fake.groups[-1] is not self:
            raise RuntimeError(f"FAKE nuke: {self.fullName()}.end() without its begin()")
        _fake.groups.pop()

    def __enter__(self) -> Group:
        return self.begin()

    def __exit__(self, *args: Any) -> None:
        self.end()

    def run(self, call: Callable[[], Any]) -> Any:
        with self:
            return call()

    def output(self) -> Optional[Node]:
        return next((n for n in self.nodes() if n._class == "Output"), None)


class Gizmo(Group):
    """A Group made from a .gizmo file."""


class Root(Group):
    """The script's root: frame range, rate, format, current frame."""

    def firstFrame(self) -> int:
        return int(self._knobs["first_frame"].value())

    def lastFrame(self) -> int:
        return int(self._knobs["last_frame"].value())

    def fps(self) -> float:
        return float(self._knobs["fps"].value())

    def realFps(self) -> float:
        return self.fps()

    def setFrame(self, n: int) -> None:
        _go_to_frame(int(n))

    def modified(self) -> bool:
        return _fake.modified

    def setModified(self, b: bool) -> None:
        _fake.modified = bool(b)

    def name(self) -> str:
        return "root"

    def fullName(self) -> str:
        return "root"


class ViewerWindow:
    """The viewer UI element of a Viewer node (``activeViewer()``)."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._active: Optional[int] = 0
        self.playing: Optional[int] = None

    def node(self) -> Node:
        _check("ViewerWindow.node()")
        return self._node

    def activeInput(self, secondary: bool = False) -> Optional[int]:
        _check("ViewerWindow.activeInput()")
        if secondary:
            return None
        if self._active is None or self._node.input(self._active) is None:
            return None
        return self._active

    def activateInput(self, input: int, secondary: bool = False) -> None:
        _check("ViewerWindow.activateInput()")
        if self._node.input(input) is None:
            raise ValueError(f"input {input} of {self._node.name()} is not connected")
        if self._active != input:
            self._active = input
            _knob_changed(self._node, Knob("input_number"))

    def play(self, direction: int = 1) -> None:
        self.playing = direction

    def stop(self) -> None:
        self.playing = None

    def frameControl(self, i: int) -> bool:
        step = {-1: -1, 1: 1, -6: None, 6: None}.get(i, 0)
        if i == -6:
            _go_to_frame(_fake.root.firstFrame())
        elif i == 6:
            _go_to_frame(_fake.root.lastFrame())
        elif step:
            _go_to_frame(frame() + step)
        return True

    def view(self) -> str:
        return "main"


class _NodeMaker:
    """``nuke.nodes``: ``nuke.nodes.Blur(size=3)`` makes a node without touching the selection."""

    def __getattr__(self, node_class: str) -> Callable[..., Node]:
        if node_class.startswith("_"):
            raise AttributeError(node_class)

        def make(**knobs: Any) -> Node:
            _check(f"nuke.nodes.{node_class}()")
            inputs = knobs.pop("inputs", None)
            node = _new_node(node_class, knobs)
            for i, n in enumerate(inputs or []):
                node.setInput(i, n)
            return node

        return make


nodes = _NodeMaker()


def _context() -> Group:
    """The group new nodes go into and names are looked up in."""
    return _fake.groups[-1]


def _siblings(parent: Optional[Group]) -> list[Node]:
    """The nodes directly inside ``parent`` (Root when None), in the order they were made."""
    group = parent if parent is not None else _fake.root
    return [n for n in _fake.nodes if n._parent is group]


def _descendants(group: Group) -> list[Node]:
    out: list[Node] = []
    for n in _siblings(group):
        out.append(n)
        if isinstance(n, Group):
            out.extend(_descendants(n))
    return out


def _resolve(s: str, context: Group) -> Optional[Node]:
    """A node by (dotted) name relative to ``context``; "root." starts from the root."""
    if s in ("root", "Root"):
        return _fake.root
    parts = s.split(".")
    group: Optional[Node] = context
    if parts[0] == "root":
        group, parts = _fake.root, parts[1:]
    for part in parts:
        if not isinstance(group, Group):
            return None
        group = next((n for n in _siblings(group) if n._name == part), None)
        if group is None:
            return None
    return group


def _unique_name(base: str, parent: Optional[Group] = None) -> str:
    taken = {n._name for n in _siblings(parent if parent is not None else _context())}
    i = 1
    while f"{base}{i}" in taken:
        i += 1
    return f"{base}{i}"


_NODE_KINDS: dict[str, type[Node]] = {"Viewer": Viewer, "Group": Group, "Gizmo": Gizmo}


def _new_node(node_class: str, knobs: dict[str, Any], name: Optional[str] = None) -> Node:
    """Make a node in the current group context. A class Nuke does not know fails with
    "<class>: Unknown command" (the message Nuke shows for createNode of a missing plug-in,
    sosoyan/aton issue 69; the exception class RuntimeError is assumed); a keyword that is no
    knob of the class raises NameError (assumed)."""
    if not VOCABULARY.has("node_class", node_class):
        raise RuntimeError(f"{node_class}: Unknown command")
    kind = _NODE_KINDS.get(node_class, Node)
    parent = _context()
    name = knobs.pop("name", None) or name
    node = kind(node_class, name or _unique_name(node_class, parent), parent)
    if name and any(n._name == name for n in _siblings(parent)):
        node._name = _unique_name(re.sub(r"\d+$", "", name) or name, parent)
        node._knobs["name"]._value = node._name
    for kname, value in knobs.items():
        knob = node._knobs.get(kname)
        if knob is None:
            raise NameError(f"{node_class} has no knob named {kname}")
        knob._value = knob._coerce(value)
    _fake.nodes.append(node)
    _fake.dirty = True
    _fake.record(f"create {node._name}")
    if node_class == "Viewer":
        _fake.windows[id(node)] = ViewerWindow(node)
        if _fake.active_viewer is None:
            _fake.active_viewer = node
        node._knobs["frame"]._value = frame_now()
    _run_callbacks(_fake.on_create, node, None)
    return node


# --- callbacks --------------------------------------------------------------------------------


def _add(
    table: dict[str, list[tuple[Any, ...]]], call: Any, args: Any, kwargs: Any, cls: str, node=None
):
    if not callable(call):
        raise ValueError("call must be a callable")
    if type(args) is not tuple:
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    if type(kwargs) is not dict:
        raise ValueError("kwargs must be a dictionary")
    entries = table.setdefault(cls, [])
    entry = (call, args, kwargs, node)
    if entry in entries:
        entries.remove(entry)
    entries.append(entry)


def _remove(
    table: dict[str, list[tuple[Any, ...]]], call: Any, args: Any, kwargs: Any, cls: str, node=None
):
    if type(args) is not tuple:
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    entries = table.get(cls, [])
    entry = (call, args, kwargs, node)
    if entry in entries:
        entries.remove(entry)


def _run_callbacks(table: dict[str, list[tuple[Any, ...]]], node: Node, knob: Optional[Knob]):
    """As Nuke's ``_doCallbacks`` (stubs: nuke/nuke_internal/callbacks.py:43-54): the class's
    callbacks, then the "*" ones, each only for its ``node`` when it was given one, and no
    try/except: the first one that raises ends the run, the rest are skipped. Nuke prints
    the error (recorded in ``callback_errors``); the knob change itself stands (assumed)."""
    entries = [
        e
        for e in list(table.get(node._class, [])) + list(table.get("*", []))
        if e[3] is None or e[3] is node
    ]
    if not entries:
        return
    _fake.context.append((node, knob))
    try:
        for call, args, kwargs, _ in entries:
            call(*args, **kwargs)
    except Exception:
        _fake.callback_errors.append(traceback.format_exc())
        traceback.print_exc()
    finally:
        _fake.context.pop()


#: Knobs whose changes run knobChanged with the panel closed too: a Viewer's frame
#: (OpenRV's rvNuke follows playback with it, rvNuke.py:285) and the DAG selection
#: (rvNuke.py:278); unverified in Nuke itself, reported by the self-test.
_ALWAYS_KNOB_CHANGED = {("Viewer", "frame"), ("*", "selected")}


def _knob_changed(node: Node, knob: Knob, dummy: bool = False) -> None:
    """A knob of ``node`` changed: knobChanged runs as ``knob_changed_rule`` says."""
    _fake.dirty = True
    name = knob._name
    runs = (
        dummy
        or _fake.knob_changed_rule == "any"
        or node._panel_shown
        or (node._class, name) in _ALWAYS_KNOB_CHANGED
        or ("*", name) in _ALWAYS_KNOB_CHANGED
    )
    if runs:
        _run_callbacks(_fake.knob_changed, node, knob)


def addKnobChanged(
    call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*", node: Any = None
) -> None:
    _add(_fake.knob_changed, call, args, kwargs, nodeClass, node)


def removeKnobChanged(
    call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*", node=None
):
    _remove(_fake.knob_changed, call, args, kwargs, nodeClass, node)


def addUpdateUI(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*") -> None:
    """Run ``call`` on every node of ``nodeClass`` during idle after things changed."""
    _add(_fake.update_ui, call, args, kwargs, nodeClass)


def removeUpdateUI(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*") -> None:
    _remove(_fake.update_ui, call, args, kwargs, nodeClass)


def addOnCreate(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*") -> None:
    _add(_fake.on_create, call, args, kwargs, nodeClass)


def removeOnCreate(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "*") -> None:
    _remove(_fake.on_create, call, args, kwargs, nodeClass)


def addOnScriptLoad(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "Root") -> None:
    _add(_fake.on_script_load, call, args, kwargs, nodeClass)


def removeOnScriptLoad(call: Any, args: Any = (), kwargs: Any = None, nodeClass: str = "Root"):
    _remove(_fake.on_script_load, call, args, kwargs, nodeClass)


def thisNode() -> Node:
    if not _fake.context:
        return _fake.root
    return _fake.context[-1][0]


def thisKnob() -> Optional[Knob]:
    if not _fake.context:
        return None
    return _fake.context[-1][1]


def thisClass() -> str:
    return thisNode()._class


def thisGroup() -> Group:
    """The current context Group (stubs: nuke/__init__.py:2563)."""
    return _context()


# --- threads ----------------------------------------------------------------------------------


def executeInMainThread(call: Any, args: Any = (), kwargs: Any = None) -> None:
    """Queue ``call(*args, **kwargs)`` for Nuke's main thread and return at once."""
    if type(args) is not tuple:
        args = (args,)
    _fake.calls.put((call, args, dict(kwargs or {})))


def executeInMainThreadWithResult(call: Any, args: Any = (), kwargs: Any = None) -> Any:
    """Run on the main thread and wait; an error is printed and None returned (as Nuke does)."""
    if type(args) is not tuple:
        args = (args,)
    if threading.current_thread() is _fake.main_thread:
        raise RuntimeError("FAKE nuke: executeInMainThreadWithResult on the main thread deadlocks")
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["r"] = call(*args, **(kwargs or {}))
        except Exception:
            traceback.print_exc()
        finally:
            done.set()

    _fake.calls.put((run, (), {}))
    done.wait()
    return box.get("r")


# --- undo -------------------------------------------------------------------------------------


class Undo:
    """Nuke's undo: ``Undo().disable()``/``enable()``; works on the class as well."""

    @classmethod
    def disable(cls, *args: Any, **kwargs: Any) -> None:
        _fake.undo_disabled += 1

    @classmethod
    def enable(cls, *args: Any, **kwargs: Any) -> None:
        if _fake.undo_disabled == 0:
            raise RuntimeError("FAKE nuke: Undo.enable() without a matching disable()")
        _fake.undo_disabled -= 1

    @classmethod
    def disabled(cls, *args: Any, **kwargs: Any) -> bool:
        return _fake.undo_disabled > 0

    @classmethod
    def undoSize(cls, *args: Any, **kwargs: Any) -> int:
        return len(_fake.undo_stack)

    @classmethod
    def begin(cls, *args: Any, **kwargs: Any) -> None:
        pass

    @classmethod
    def end(cls, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> Undo:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


# --- graph functions --------------------------------------------------------------------------


def root() -> Root:
    _check("nuke.root()")
    return _fake.root


def toNode(s: str) -> Optional[Node]:
    """A node by name, relative to the current group (a dotted name walks into groups);
    None when there is none (stubs: nuke/__init__.py:2640)."""
    _check("nuke.toNode()")
    return _resolve(str(s), _context())


def allNodes(filter: Optional[str] = None, group: Any = None, recurseGroups: bool = False):
    """The nodes of a group (the current one unless given), with those inside its groups
    when ``recurseGroups`` (stubs: nuke/__init__.py:217-229)."""
    _check("nuke.allNodes()")
    where = group if group is not None else _context()
    if isinstance(where, str):
        found = _resolve(where, _context())
        if not isinstance(found, Group):
            raise ValueError(f"{where} is not a group")
        where = found
    found_nodes = _descendants(where) if recurseGroups else _siblings(where)
    return [n for n in found_nodes if filter is None or n._class == filter]


def selectedNodes(filter: Optional[str] = None) -> list[Node]:
    """The selected nodes "in the current group" (stubs: nuke/__init__.py:2312-2316)."""
    _check("nuke.selectedNodes()")
    return [n for n in allNodes(filter) if n.isSelected()]


def selectedNode() -> Node:
    chosen = selectedNodes()
    if not chosen:
        raise ValueError("no node selected")
    return chosen[-1]


def selectAll() -> None:
    for n in allNodes():
        n.setSelected(True)


def clearSelection() -> None:
    for n in allNodes():
        n.setSelected(False)


def createNode(node: str, args: Optional[str] = None, inpanel: Optional[bool] = None) -> Node:
    """As the user creates a node: selected alone, connected to what was selected."""
    _check("nuke.createNode()")
    before = selectedNodes()
    knobs: dict[str, Any] = {}
    if args:
        parts = args.split()
        knobs = dict(zip(parts[::2], parts[1::2]))
    made = _new_node(node, knobs)
    for n in before:
        n.setSelected(False)
    made.setSelected(True)
    if before and made.maximumInputs() > 0:
        made.setInput(0, before[-1])
    return made


def delete(n: Node) -> None:
    _check("nuke.delete()")
    n._valid()
    if n is _fake.root:
        raise ValueError("the root cannot be deleted")
    if isinstance(n, Group):
        for inner in reversed(_siblings(n)):
            delete(inner)
    _fake.dirty = True
    for other in _fake.nodes:
        for i, inp in enumerate(other._inputs):
            if inp is n:
                other.setInput(i, None)
    _fake.nodes.remove(n)
    _fake.windows.pop(id(n), None)
    if _fake.active_viewer is n:
        _fake.active_viewer = next((v for v in _fake.nodes if v._class == "Viewer"), None)
    n._deleted = True
    _fake.record(f"delete {n._name}")


def activeViewer() -> Optional[ViewerWindow]:
    _check("nuke.activeViewer()")
    if not GUI or _fake.active_viewer is None:
        return None
    return _fake.windows[id(_fake.active_viewer)]


def connectViewer(inputNum: int, node: Node) -> None:
    viewer = _fake.active_viewer or _new_node("Viewer", {})
    viewer.setInput(inputNum, node)
    _fake.windows[id(viewer)]._active = inputNum


def frame_now() -> int:
    return int(_fake.root._knobs["frame"]._value)


def _go_to_frame(f: int) -> None:
    _fake.dirty = True
    root_frame = _fake.root._knobs["frame"]
    if root_frame._value != f:
        root_frame._value = f
        _knob_changed(_fake.root, root_frame)
    for viewer in [n for n in _fake.nodes if n._class == "Viewer"]:
        knob = viewer._knobs["frame"]
        if knob._value != f:
            knob._value = f
            _knob_changed(viewer, knob)


def frame(f: Optional[int] = None) -> int:
    """The current frame; with ``f``, go there first (deprecated in 15 for Root)."""
    _check("nuke.frame()")
    if f is not None:
        _go_to_frame(int(f))
    return frame_now()


def zoom(scale: Any, center: Any = None, group: Any = None) -> Optional[float]:
    _check("nuke.zoom()")
    _fake.zoomed.append((scale, tuple(center) if center else None))
    return float(scale) if GUI else None


def showDag(n: Any = None) -> None:
    """Show a Group's node graph (stubs: nuke/__init__.py:2414)."""
    _check("nuke.showDag()")
    if n is not None and not isinstance(n, Group):
        raise ValueError(f"{n!r} is not a group")
    _fake.shown_dags.append(n.fullName() if n is not None else "root")


def show(n: Any = None, forceFloat: Optional[bool] = None) -> None:
    if n is not None:
        n.showControlPanel()


def message(prompt: str) -> None:
    print(f"nuke.message: {prompt}")


def warning(message: str) -> None:
    print(f"nuke.warning: {message}", file=sys.stderr)


def tprint(*values: Any, **kwargs: Any) -> None:
    print(*values, **kwargs)


def pluginAddPath(args: Any, addToSysPath: bool = True) -> None:
    paths = [args] if isinstance(args, str) else list(args)
    for p in paths:
        if addToSysPath and p not in sys.path:
            sys.path.insert(0, p)


# --- render -----------------------------------------------------------------------------------


def _render_error(node: Node) -> None:
    """Raise as Nuke does when a node cannot render (a Read of a missing file)."""
    if node._class == "Read" and not node._knobs["disable"]._value:
        path = str(node._knobs["file"]._value)
        if not path or not os.path.exists(path):
            raise RuntimeError(f"{node._name}: Read error: No such file or directory: {path!r}")


def _upstream(node: Node) -> Iterator[Node]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(i for i in n._inputs if i is not None)


def pattern_source(node: Node) -> Optional[Node]:
    """The node whose pattern ``node`` shows: itself, or the nearest non pass-through above."""
    n: Optional[Node] = node
    while n is not None and n._class in _PASS_THROUGH:
        n = n.input(0) if n._class != "Viewer" else None
    return n


def pattern_key(source: Node, f: int) -> bytes:
    """What the pattern depends on: the source's name, the frame, upstream knob values."""
    parts: list[Any] = [source._name, int(f)]
    chain = list(_upstream(source))
    chain += [inner for n in chain if isinstance(n, Group) for inner in _descendants(n)]
    for n in chain:
        values = {
            k: kn._dump()
            for k, kn in n._knobs.items()
            if k not in _UI_KNOBS and not k.startswith("overshoulder")
        }
        parts.append([n._class, sorted((k, repr(v)) for k, v in values.items())])
    return hashlib.sha256(json.dumps(parts).encode()).digest()


def pattern_pixels(source: Node, f: int, width: int, height: int) -> Any:
    """The test pattern (H x W x 3 uint8): two colours from ``pattern_key`` and a bar at x(f)."""
    import numpy as np

    key = pattern_key(source, f)
    image = np.empty((height, width, 3), np.uint8)
    image[:, : width // 2] = list(key[0:3])
    image[:, width // 2 :] = list(key[3:6])
    bar = (int(f) * 16) % max(width - 16, 1)
    image[:, bar : bar + 16] = 255
    return image


def execute(
    nameOrNode: Any,
    start: Optional[int] = None,
    end: Optional[int] = None,
    incr: Optional[int] = None,
    views: Any = None,
    continueOnError: bool = False,
) -> None:
    """Render a Write node: a real JPEG of the pattern for each frame, at the root format."""
    _check("nuke.execute()")
    import simplejpeg

    node = toNode(nameOrNode) if isinstance(nameOrNode, str) else nameOrNode
    if node is None:
        raise ValueError(f"No such node: {nameOrNode}")
    if node._class != "Write":
        raise RuntimeError(f"{node._name} cannot be executed")
    first = frame_now() if start is None else int(start)
    last = first if end is None else int(end)
    if _fake.fail_render:
        reason, _fake.fail_render = _fake.fail_render, None
        raise RuntimeError(reason)
    source_input = node.input(0)
    if source_input is None:
        raise RuntimeError(f"{node._name}: input 0 is not connected")
    file_type = str(node._knobs["file_type"]._value)
    if file_type != "jpeg":
        raise RuntimeError(
            f"FAKE nuke: {node._name}: only file_type jpeg is faked, not {file_type!r}"
        )
    quality = float(node._knobs["_jpeg_quality"]._value)
    if not 0.0 <= quality <= 1.0:
        raise ValueError(f"{node._name}._jpeg_quality must be 0-1, got {quality}")
    for n in _upstream(source_input):
        _render_error(n)
    source = pattern_source(source_input)
    chain = []
    n = source_input
    while n is not None and n is not source:
        chain.append({"class": n._class, "knobs": json.loads(n.writeKnobs(0))})
        n = n.input(0)
    fmt = node.format()
    sub = {"4:1:1": "411", "4:2:2": "422", "4:4:4": "444"}
    for f in range(first, last + 1, int(incr or 1)):
        path = _frame_path(str(node._knobs["file"]._value), f)
        if not path:
            raise RuntimeError(f"{node._name}: no file name")
        if source is None:
            raise RuntimeError(f"{node._name}: nothing upstream to render")
        pixels = pattern_pixels(source, f, fmt.width(), fmt.height())
        if _fake.render_cost_s:
            import time

            time.sleep(_fake.render_cost_s)  # what a real comp costs Nuke's main thread
        data = simplejpeg.encode_jpeg(
            pixels,
            quality=max(1, round(quality * 100)),
            colorspace="RGB",
            colorsubsampling=sub.get(str(node._knobs["_jpeg_sub_sampling"]._value), "422"),
        )
        with open(path, "wb") as fh:
            fh.write(data)
        _fake.renders.append(
            {
                "write": node._name,
                "file": path,
                "frame": f,
                "source": source._name,
                "chain": chain,
                "raw": bool(node._knobs["raw"]._value),
                "thread": threading.current_thread().name,
            }
        )


def _frame_path(pattern: str, f: int) -> str:
    out = re.sub(r"#+", lambda m: f"{f:0{len(m.group(0))}d}", pattern)
    return re.sub(r"%0(\d)d", lambda m: f"{f:0{int(m.group(1))}d}", out)


# --- copy and paste ---------------------------------------------------------------------------


def nodeCopy(s: str) -> bool:
    """Copy the selected nodes (with what their groups hold) to a file (the fake's script
    form; '%clipboard%' is a file too)."""
    chosen = selectedNodes()
    every = [*chosen, *(i for n in chosen if isinstance(n, Group) for i in _descendants(n))]
    with open(_clip_path(s), "w", encoding="utf-8") as fh:
        json.dump({"nodes": [_dump_node(n, every, _context()) for n in every]}, fh)
    return True


def nodePaste(s: str) -> Node:
    """Paste nodes copied to ``s``: new names, selected alone; the last one is returned."""
    with open(_clip_path(s), encoding="utf-8") as fh:
        data = json.load(fh)
    clearSelection()
    made = [n for n in _load_nodes(data["nodes"], keep_names=False) if n._parent is _context()]
    for n in made:
        n.setSelected(True)
    if not made:
        raise RuntimeError("nothing to paste")
    return made[-1]


def _clip_path(s: str) -> str:
    if s == "%clipboard%":
        import tempfile

        return os.path.join(tempfile.gettempdir(), f"fake-nuke-clipboard-{os.getpid()}.json")
    return s


# --- scripts ----------------------------------------------------------------------------------

_SCRIPT_HEADER = "# FAKE nuke script (tests only; not .nk syntax)\n"


def _dump_node(n: Node, among: list[Node], base: Optional[Group] = None) -> dict[str, Any]:
    """One node in the fake's script form; ``parent`` is its group's path below ``base``."""
    parents: list[str] = []
    group = n._parent
    while group is not None and group is not (base or _fake.root) and group is not _fake.root:
        parents.append(group._name)
        group = group._parent
    return {
        "class": n._class,
        "name": n._name,
        "parent": ".".join(reversed(parents)),
        "knobs": [
            {
                "name": k._name,
                "class": k.Class(),
                "label": k._label,
                "flags": k._flags,
                "value": k._dump(),
            }
            for k in (n._knobs[name] for name in n._order)
            if k._name != "name"
        ],
        "inputs": [i._name if i is not None and i in among else None for i in n._inputs],
    }


def _load_nodes(data: list[dict[str, Any]], keep_names: bool) -> list[Node]:
    made: dict[str, Node] = {}
    out = []
    base = _context()
    for entry in data:
        kind = _NODE_KINDS.get(entry["class"], Node)
        parent_path = entry.get("parent", "")
        parent = made.get(parent_path) if parent_path else base
        if not isinstance(parent, Group):
            parent = base
        name = entry["name"]
        if not keep_names or any(n._name == name for n in _siblings(parent)):
            name = _unique_name(re.sub(r"\d+$", "", name) or entry["class"], parent)
        node = kind(entry["class"], name, parent)
        key = f"{parent_path}.{entry['name']}" if parent_path else entry["name"]
        for k in entry["knobs"]:
            knob = node._knobs.get(k["name"])
            if knob is None:
                knob = _KNOB_CLASSES[k["class"]](k["name"], k["label"])
                node._attach(knob)
            knob._flags = k["flags"]
            knob._load(k["value"])
        made[key] = node
        out.append(node)
        _fake.nodes.append(node)
        if node._class == "Viewer":
            _fake.windows[id(node)] = ViewerWindow(node)
            if _fake.active_viewer is None:
                _fake.active_viewer = node
        _fake.record(f"create {node._name}")
    for entry, node in zip(data, out):
        prefix = f"{entry.get('parent')}." if entry.get("parent") else ""
        node._inputs = [made.get(prefix + i) if i else None for i in entry["inputs"]]
    for node in out:
        _run_callbacks(_fake.on_create, node, None)
    return out


def scriptName() -> str:
    if not _fake.script_name:
        raise RuntimeError("Untitled")
    return _fake.script_name


def scriptSave(filename: Optional[str] = None) -> bool:
    """Write the script: every node, knob (hidden ones too, with flags) and connection."""
    _check("nuke.scriptSave()")
    path = filename or _fake.script_name
    if not path:
        raise RuntimeError("no file name to save to")
    doc = {
        "root": _dump_node(_fake.root, []),
        "nodes": [_dump_node(n, _fake.nodes) for n in _fake.nodes],
        "active_viewer": _fake.active_viewer._name if _fake.active_viewer else None,
    }
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_SCRIPT_HEADER)
        json.dump(doc, fh, indent=1, ensure_ascii=False)
    _fake.script_name = path
    return True


def scriptSaveAs(filename: Optional[str] = None, overwrite: int = -1) -> None:
    scriptSave(filename)


def scriptClear(*args: Any, **kwargs: Any) -> None:
    """Empty the script (callbacks stay, as they belong to the session)."""
    _check("nuke.scriptClear()")
    for n in _fake.nodes:
        n._deleted = True
    keep = (_fake.calls, _fake.main_thread)
    _fake.reset_script()
    _fake.calls, _fake.main_thread = keep


def scriptOpen(path: str) -> None:
    """Open a script written by ``scriptSave`` (into an empty script, as Nuke's GUI does)."""
    _check("nuke.scriptOpen()")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    if not text.startswith(_SCRIPT_HEADER):
        raise RuntimeError(f"{path} is not a script the fake wrote")
    doc = json.loads(text[len(_SCRIPT_HEADER) :])
    scriptClear()
    for k in doc["root"]["knobs"]:
        knob = _fake.root._knobs.get(k["name"])
        if knob is None:
            knob = _KNOB_CLASSES[k["class"]](k["name"], k["label"])
            _fake.root._attach(knob)
        knob._flags = k["flags"]
        knob._load(k["value"])
    _load_nodes(doc["nodes"], keep_names=True)
    _fake.active_viewer = toNode(doc["active_viewer"]) if doc["active_viewer"] else None
    _fake.script_name = path
    _fake.undo_stack.clear()
    _run_callbacks(_fake.on_script_load, _fake.root, None)


# --- menus ------------------------------------------------------------------------------------


class MenuItem:
    def __init__(self, name: str, script: Any = None, shortcut: Any = None) -> None:
        self._name = name
        self._script = script
        self._shortcut = shortcut

    def name(self) -> str:
        return self._name

    def script(self) -> Any:
        return self._script

    def invoke(self) -> Any:
        if callable(self._script):
            return self._script()
        import __main__

        return exec(str(self._script), vars(__main__))


class Menu(MenuItem):
    """A menu: ``addCommand`` records items; "A/B" paths make sub-menus."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._items: list[MenuItem] = []

    def addCommand(
        self,
        name: str,
        command: Any = None,
        shortcut: Optional[str] = None,
        icon: Optional[str] = None,
        tooltip: Optional[str] = None,
        index: Optional[int] = None,
        readonly: Optional[bool] = None,
        shortcutContext: Optional[int] = None,
        tag: Any = None,
        tagTarget: Any = None,
    ) -> MenuItem:
        head, _, rest = name.partition("/")
        if rest:
            return self.addMenu(head).addCommand(rest, command, shortcut, icon, tooltip, index)
        self.removeItem(name)
        item = MenuItem(name, command, shortcut)
        self._items.append(item)
        return item

    def addMenu(self, name: str, icon: Optional[str] = None, **kwargs: Any) -> Menu:
        found = self.findItem(name)
        if isinstance(found, Menu):
            return found
        menu = Menu(name)
        self._items.append(menu)
        return menu

    def addSeparator(self, **kwargs: Any) -> MenuItem:
        item = MenuItem("")
        self._items.append(item)
        return item

    def findItem(self, name: str) -> Optional[MenuItem]:
        head, _, rest = name.partition("/")
        item = next((i for i in self._items if i._name == head), None)
        if rest:
            return item.findItem(rest) if isinstance(item, Menu) else None
        return item

    def removeItem(self, name: str) -> bool:
        before = len(self._items)
        self._items = [i for i in self._items if i._name != name]
        return len(self._items) != before

    def items(self) -> list[MenuItem]:
        return list(self._items)


def menu(name: str) -> Menu:
    if name not in _fake.menus:
        _fake.menus[name] = Menu(name)
    return _fake.menus[name]


def getPaneFor(panelName: str) -> Any:
    return None


# --- start ------------------------------------------------------------------------------------

_FakeState.__init__(_fake)

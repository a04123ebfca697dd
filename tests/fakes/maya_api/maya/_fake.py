"""The FAKE Maya's state: the scene, the clock, callbacks, panels and the main thread (tests only).

What the real Maya keeps in C++ lives here, in plain Python, with the behaviour Autodesk's
documentation describes where the adapter depends on it:

- a DAG of named nodes, each with a UUID that survives renames and reparenting (as
  ``cmds.ls(uuid=True)`` promises), full paths ``|parent|child``, and a selection;
- attributes: a few built-in ones and dynamic ones added with ``addAttr`` (string, long,
  double, bool), keyed values (step keys) evaluated at the current time;
- time: the current time (a float, in the scene's time unit), the playback range, the time
  unit, play/stop; ``MEventMessage`` events fire as the documentation names them;
- model panels, each looking through a camera, with a viewport whose "frame buffer" is a
  test pattern of the camera and the frame (``pattern``); post-render callbacks per panel;
- saving to and opening from a real text file (JSON, standing in for a .ma) that round-trips
  nodes, UUIDs, attributes, keys, time settings and the pencil frames exactly;
- Blue Pencil / Grease Pencil frames imported from archives, per camera and frame.

Simplifications (documented so tests do not rely on more): node names are unique in the
whole scene (Maya only needs them unique among siblings); there are no components, no
namespaces and no references. Every ``cmds``/API call checks it runs on the designated main
thread and raises otherwise, so tests prove the adapter keeps Maya's threading rule.
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import traceback
import uuid as uuid_mod
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from typing import Any, Optional

import numpy as np

#: Node types that are DAG nodes (have a place in the hierarchy).
DAG_TYPES = {"transform", "camera", "mesh", "locator", "annotationShape", "joint"}
#: Node types that are shapes (a transform's child that draws).
SHAPE_TYPES = {"camera", "mesh", "locator", "annotationShape"}
#: Built-in attributes by node type (name -> (type, default)).
BUILTIN_ATTRS: dict[str, dict[str, tuple[str, Any]]] = {
    "transform": {
        "visibility": ("bool", True),
        "translateX": ("double", 0.0),
        "translateY": ("double", 0.0),
        "translateZ": ("double", 0.0),
    },
    "joint": {"visibility": ("bool", True), "translateX": ("double", 0.0)},
    "camera": {"focalLength": ("double", 35.0), "orthographic": ("bool", False)},
    "mesh": {"visibility": ("bool", True)},
    "locator": {"visibility": ("bool", True)},
    "annotationShape": {"text": ("string", ""), "displayArrow": ("bool", True)},
    "network": {},
}
#: Maya's time units and their frames per second (``currentUnit -time`` names).
TIME_UNITS = {
    "game": 15.0,
    "film": 24.0,
    "pal": 25.0,
    "ntsc": 30.0,
    "show": 48.0,
    "palf": 50.0,
    "ntscf": 60.0,
    "23.976fps": 24000 / 1001,
    "29.97fps": 30000 / 1001,
    "29.97df": 30000 / 1001,
    "47.952fps": 48000 / 1001,
    "59.94fps": 60000 / 1001,
    "sec": 1.0,
    "millisec": 1000.0,
}
FILE_MAGIC = "FAKE maya scene (JSON), written by tests/fakes/maya_api"


class MayaError(RuntimeError):
    """What maya.cmds raises: Maya's RuntimeError with its message."""


class Attr:
    """One attribute: its type, value, and step keys (frame -> value)."""

    def __init__(self, kind: str, value: Any, dynamic: bool) -> None:
        self.kind = kind
        self.value = value
        self.dynamic = dynamic
        self.keys: dict[float, Any] = {}

    def at(self, time: float) -> Any:
        if not self.keys:
            return self.value
        before = [t for t in self.keys if t <= time]
        return self.keys[max(before)] if before else self.keys[min(self.keys)]

    def dump(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "dynamic": self.dynamic,
            "keys": [[t, v] for t, v in sorted(self.keys.items())],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> Attr:
        attr = cls(data["kind"], data["value"], data["dynamic"])
        attr.keys = {float(t): v for t, v in data["keys"]}
        return attr


class Node:
    """A dependency node; DAG nodes have a parent (None: the world)."""

    def __init__(self, name: str, kind: str, uid: Optional[str] = None) -> None:
        self.name = name
        self.kind = kind
        self.uuid = uid or str(uuid_mod.uuid4()).upper()
        self.parent: Optional[Node] = None
        self.attrs: dict[str, Attr] = {
            n: Attr(k, v, False) for n, (k, v) in BUILTIN_ATTRS.get(kind, {}).items()
        }
        self.alive = True
        #: annotationShape: the UUID of the node its arrow points at.
        self.target: Optional[str] = None

    @property
    def dag(self) -> bool:
        return self.kind in DAG_TYPES

    def path(self) -> str:
        if not self.dag:
            return self.name
        parts = []
        node: Optional[Node] = self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return "|" + "|".join(reversed(parts))


class State:
    """Everything the fake Maya holds. ``maya._fake.state`` is the one instance."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.main_thread: Optional[threading.Thread] = None
        self.strict_threads = True
        self.deferred: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self.callback_errors: list[str] = []
        self.batch = False
        self.version = "2024"
        self.plugins_available = {"bluePencil"}
        self.plugins_loaded: set[str] = set()
        self.event_callbacks: dict[int, tuple[str, Callable[..., Any], Any]] = {}
        self.render_callbacks: dict[int, tuple[str, Callable[..., Any], Any]] = {}
        self.condition_callbacks: dict[int, tuple[str, Callable[..., Any], Any]] = {}
        self.next_callback = 1
        self.menus: dict[str, dict[str, Any]] = {}
        self.workspace_controls: dict[str, dict[str, Any]] = {}
        self.panel_widgets: dict[str, Any] = {}
        self.contexts: set[str] = {"greasePencilContext"}
        #: Flags this Maya's commands lack (command -> flag names, long and short): a test
        #: makes an older Maya whose ``bluePencilFrame`` has no ``importArchive``.
        self.missing_flags: dict[str, set[str]] = {}
        #: A mayapy that has not called ``maya.standalone.initialize()`` yet: commands raise.
        self.standalone_pending = False
        self.standalone_runs: list[str] = []
        #: The messages ``cmds.confirmDialog`` showed (title, message), and whether it fails.
        self.dialogs: list[tuple[str, str]] = []
        self.new_scene()

    # --- the scene -------------------------------------------------------------------------

    def new_scene(self) -> None:
        self.nodes: list[Node] = []
        self.selection: list[Node] = []
        self.scene_name = ""
        self.time = 1.0
        self.unit = "film"
        self.min_time, self.max_time = 1.0, 120.0
        self.anim_start, self.anim_end = 1.0, 200.0
        self.playing = False
        self.undo_on = True
        self.undo_stack: list[str] = []
        #: What Undo took back, for Redo (a test puts entries here; the fake never undoes).
        self.redo_stack: list[str] = []
        self.panels: dict[str, Optional[str]] = {}
        self.panel_sizes: dict[str, tuple[int, int]] = {}
        self.active_panel = ""
        #: Grease Pencil (Maya 2022 and older): camera UUID -> {frame: PNG bytes}.
        self.grease_frames: dict[str, dict[int, bytes]] = {}
        #: Blue Pencil (2023+): camera UUID -> its layers in order, each
        #: {"name": ..., "frames": {frame: PNG bytes}}. Importing an archive adds a layer.
        self.pencil_layers: dict[str, list[dict[str, Any]]] = {}
        self.sketch_imports: list[dict[str, Any]] = []
        self.captures: list[dict[str, Any]] = []
        self.fail_capture: Optional[str] = None
        #: What ``M3dView.getRendererName`` answers (2: Viewport 2.0).
        self.renderer = 2
        #: Forces what ``MImage.pixelType`` answers (None: the image's own type).
        self.image_pixel_type: Optional[int] = None
        self.read_color_buffers = 0
        self.playblasts = 0
        self.renders = 0
        for name in ("persp", "top", "front", "side"):
            cam = self.create("transform", name)
            self.create("camera", name + "Shape", parent=cam)
        cams = {c: self.need(c).uuid for c in ("top", "side", "front", "persp")}
        self.panels = {f"modelPanel{i}": cams[c] for i, c in enumerate(["top", "side", "front"], 1)}
        self.panels["modelPanel4"] = cams["persp"]
        self.panel_sizes = {p: (640, 360) for p in self.panels}
        self.active_panel = "modelPanel4"
        self.undo_stack.clear()

    def create(self, kind: str, name: Optional[str] = None, parent: Optional[Node] = None) -> Node:
        base = name or (kind + "1")
        final = base if self.find_name(base) is None else self.unique(base.rstrip("0123456789"))
        node = Node(final, kind)
        if parent is not None:
            if not parent.dag or not node.dag:
                raise MayaError(f"cannot parent {final} under {parent.name}")
            node.parent = parent
        self.nodes.append(node)
        self.record(f"createNode {kind} {final}")
        return node

    def unique(self, stem: str) -> str:
        i = 1
        while self.find_name(f"{stem}{i}") is not None:
            i += 1
        return f"{stem}{i}"

    def live(self) -> list[Node]:
        return [n for n in self.nodes if n.alive]

    def find_name(self, name: str) -> Optional[Node]:
        for n in self.live():
            if n.name == name:
                return n
        return None

    def resolve(self, ref: str) -> Optional[Node]:
        """A node by short name, full DAG path or UUID (as Maya's commands accept them)."""
        ref = ref.split(".", 1)[0]
        for n in self.live():
            if ref in (n.name, n.uuid) or (n.dag and ref == n.path()):
                return n
        return None

    def need(self, ref: str) -> Node:
        node = self.resolve(str(ref))
        if node is None:
            raise MayaError(f"No object matches name: {ref}")
        return node

    def children(self, node: Node) -> list[Node]:
        return [n for n in self.live() if n.parent is node]

    def delete(self, node: Node) -> None:
        for child in self.children(node):
            self.delete(child)
        node.alive = False
        if node in self.selection:
            self.selection.remove(node)
        self.record(f"delete {node.name}")

    # --- UI ------------------------------------------------------------------------------

    def close_workspace_control(self, name: str) -> None:
        """The artist closes a docked control (its tab's or its window's X).

        As ``maya.app.general.mayaMixin`` does: the widget hears
        ``dockCloseEventTriggered`` (Qt's ``closeEvent`` is not called); a control shown with
        ``retain=False`` is deleted with its widget, else only hidden.
        """
        control = self.workspace_controls.get(name)
        if control is None:
            raise MayaError(f"workspaceControl: Object '{name}' not found.")
        widget = control.get("widget")
        if widget is not None:
            widget.dockCloseEventTriggered()
        if control.get("retain", True):
            control["visible"] = False
            return
        del self.workspace_controls[name]
        if widget is not None:
            widget.hide()
            widget.deleteLater()

    def callback_count(self) -> int:
        """How many MMessage callbacks are registered now (events and redraws)."""
        return (
            len(self.event_callbacks) + len(self.render_callbacks) + len(self.condition_callbacks)
        )

    # --- undo ----------------------------------------------------------------------------

    def record(self, what: str) -> None:
        if self.undo_on:
            self.undo_stack.append(what)

    # --- threads -------------------------------------------------------------------------

    def check_thread(self, what: str) -> None:
        if self.standalone_pending and what.startswith("maya.cmds."):
            raise AttributeError(
                f"{what}: Maya is not initialized (call maya.standalone.initialize())"
            )
        main = self.main_thread
        if self.strict_threads and main is not None and threading.current_thread() is not main:
            raise RuntimeError(
                f"FAKE maya: {what} called on thread {threading.current_thread().name!r}, "
                f"not on Maya's main thread {main.name!r}"
            )

    def defer(self, fn: Callable[[], Any]) -> None:
        self.deferred.put(fn)

    def run_next(self, timeout: Optional[float] = None) -> bool:
        try:
            fn = self.deferred.get(timeout=timeout) if timeout else self.deferred.get_nowait()
        except queue.Empty:
            return False
        try:
            fn()
        except Exception:  # Maya prints the error and goes on
            self.callback_errors.append(traceback.format_exc())
            traceback.print_exc()
        return True

    def drain(self) -> int:
        ran = 0
        while self.run_next():
            ran += 1
        return ran

    # --- events --------------------------------------------------------------------------

    def add_event(self, event: str, fn: Callable[..., Any], data: Any) -> int:
        cid = self.next_callback
        self.next_callback += 1
        self.event_callbacks[cid] = (event, fn, data)
        return cid

    def add_condition(self, condition: str, fn: Callable[..., Any], data: Any) -> int:
        cid = self.next_callback
        self.next_callback += 1
        self.condition_callbacks[cid] = (condition, fn, data)
        return cid

    def add_render(self, panel: str, fn: Callable[..., Any], data: Any) -> int:
        if panel not in self.panels:
            raise MayaError(f"(kInvalidParameter): no model panel named {panel}")
        cid = self.next_callback
        self.next_callback += 1
        self.render_callbacks[cid] = (panel, fn, data)
        return cid

    def remove_callback(self, cid: int) -> None:
        held = (self.event_callbacks, self.render_callbacks, self.condition_callbacks)
        if not any(table.pop(cid, None) is not None for table in held):
            raise MayaError(f"(kInvalidParameter): no callback with id {cid}")

    def fire(self, event: str) -> None:
        for _cid, (name, fn, data) in list(self.event_callbacks.items()):
            if name == event:
                self._call(fn, data)

    def redraw(self, panels: Optional[list[str]] = None) -> None:
        """The viewports redraw (after a change they show): post-render callbacks run."""
        self.renders += 1
        for _cid, (panel, fn, data) in list(self.render_callbacks.items()):
            if panels is None or panel in panels:
                self._call(fn, panel, data)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            self.callback_errors.append(traceback.format_exc())
            traceback.print_exc()

    # --- time ----------------------------------------------------------------------------

    @property
    def fps(self) -> float:
        if self.unit in TIME_UNITS:
            return TIME_UNITS[self.unit]
        if self.unit.endswith("fps"):
            return float(self.unit[:-3])
        raise MayaError(f"unknown time unit {self.unit}")

    def set_time(self, value: float) -> None:
        value = float(value)
        if value == self.time:
            return
        self.time = value
        self.fire("timeChanged")
        self.redraw()

    def set_playing(self, on: bool) -> None:
        if on == self.playing:
            return
        self.playing = on
        for _cid, (name, fn, data) in list(self.condition_callbacks.items()):
            if name == "playingBack":
                self._call(fn, on, data)

    # --- viewports -----------------------------------------------------------------------

    def panel_camera(self, panel: str) -> Optional[Node]:
        cam = self.panels.get(panel)
        return self.resolve(cam) if cam else None

    def look_through(self, panel: str, camera: Node) -> None:
        if camera.kind == "camera" and camera.parent is not None:
            camera = camera.parent
        if self.panels.get(panel) == camera.uuid:
            return
        self.panels[panel] = camera.uuid
        self.fire("cameraChange")
        self.redraw([panel])

    def frame_buffer(self, panel: str) -> np.ndarray:
        """What the panel's viewport shows now, RGBA, rows bottom-up as OpenGL reads them."""
        if self.fail_capture:
            raise MayaError(self.fail_capture)
        width, height = self.panel_sizes[panel]
        camera = self.panel_camera(panel)
        image = pattern(camera.name if camera else "", frame_of(self.time), width, height)
        rgba = np.dstack([image, np.full((height, width), 255, np.uint8)])
        return np.ascontiguousarray(rgba[::-1])

    # --- pencil frames ---------------------------------------------------------------------

    def import_archive(self, path: str, how: str) -> None:
        """Blue/Grease Pencil: the archive's frames land on the active panel's camera."""
        camera = self.panel_camera(self.active_panel)
        if camera is None:
            raise MayaError("no active camera to import pencil frames onto")
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            xml_name = next((n for n in names if n.endswith("greasePencil.xml")), None)
            if xml_name is None:
                raise MayaError(f"{path}: no greasePencil.xml in the archive")
            root = ET.fromstring(zf.read(xml_name))
            frames = root.findall("./frames/frame")
            if not frames:
                raise MayaError(f"{path}: greasePencil.xml lists no frames")
            kept: dict[int, bytes] = {}
            for frame in frames:
                data = zf.read(frame.attrib["file"])
                if data[:8] != b"\x89PNG\r\n\x1a\n":
                    raise MayaError(f"{path}: {frame.attrib['file']} is not a PNG")
                kept[round(float(frame.attrib["time"]))] = data
        if how == "bluePencil":
            # Autodesk (Maya 2024 help, "Import or export Blue Pencil frames"): Grease Pencil
            # drawings are imported into a new layer. Its default name here is assumed.
            layers = self.pencil_layers.setdefault(camera.uuid, [])
            layers.append({"name": f"Layer {len(layers) + 1}", "frames": kept})
        else:
            self.grease_frames.setdefault(camera.uuid, {}).update(kept)
        self.sketch_imports.append({"how": how, "camera": camera.name, "path": path})
        self.record(f"import pencil archive {path}")
        self.redraw()

    @property
    def sketches(self) -> dict[str, dict[int, bytes]]:
        """What each camera shows of pencil drawings, frame by frame: its Grease Pencil frame,
        or its Blue Pencil layers at that frame laid over each other in order (one PNG)."""
        out: dict[str, dict[int, bytes]] = {
            cam: dict(frames) for cam, frames in self.grease_frames.items() if frames
        }
        for cam, layers in self.pencil_layers.items():
            by_frame: dict[int, list[bytes]] = {}
            for layer in layers:
                for frame, data in layer["frames"].items():
                    by_frame.setdefault(frame, []).append(data)
            for frame, pngs in by_frame.items():
                out.setdefault(cam, {})[frame] = pngs[0] if len(pngs) == 1 else over(pngs)
        return out

    def camera_layers(self, camera: str) -> list[dict[str, Any]]:
        """``bluePencilLayer``'s camera argument: a camera transform (or its shape)."""
        node = self.need(camera)
        if node.kind == "camera" and node.parent is not None:
            node = node.parent
        shapes = [c for c in self.children(node) if c.kind == "camera"]
        if node.kind != "transform" or not shapes:
            raise MayaError(f"bluePencilLayer: {camera} is not a camera")
        return self.pencil_layers.setdefault(node.uuid, [])

    # --- files ---------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        nodes = []
        for n in self.live():
            nodes.append(
                {
                    "name": n.name,
                    "type": n.kind,
                    "uuid": n.uuid,
                    "parent": n.parent.uuid if n.parent is not None else None,
                    "target": n.target,
                    "attrs": {k: a.dump() for k, a in n.attrs.items()},
                }
            )
        return {
            "magic": FILE_MAGIC,
            "nodes": nodes,
            "time": self.time,
            "unit": self.unit,
            "range": [self.min_time, self.max_time, self.anim_start, self.anim_end],
            "panels": self.panels,
            "grease_frames": {
                cam: {str(f): data.hex() for f, data in frames.items()}
                for cam, frames in self.grease_frames.items()
            },
            "pencil_layers": {
                cam: [
                    {
                        "name": layer["name"],
                        "frames": {str(f): d.hex() for f, d in layer["frames"].items()},
                    }
                    for layer in layers
                ]
                for cam, layers in self.pencil_layers.items()
            },
        }

    def load(self, data: dict[str, Any]) -> None:
        if data.get("magic") != FILE_MAGIC:
            raise MayaError("not a scene file written by the fake")
        sizes = dict(self.panel_sizes)
        self.new_scene()
        self.nodes = []
        by_uuid: dict[str, Node] = {}
        for d in data["nodes"]:
            node = Node(d["name"], d["type"], d["uuid"])
            node.target = d["target"]
            node.attrs = {k: Attr.load(a) for k, a in d["attrs"].items()}
            by_uuid[node.uuid] = node
            self.nodes.append(node)
        for d in data["nodes"]:
            if d["parent"]:
                by_uuid[d["uuid"]].parent = by_uuid[d["parent"]]
        self.time = float(data["time"])
        self.unit = data["unit"]
        self.min_time, self.max_time, self.anim_start, self.anim_end = data["range"]
        self.panels = dict(data["panels"])
        self.panel_sizes = {p: sizes.get(p, (640, 360)) for p in self.panels}
        self.grease_frames = {
            cam: {int(f): bytes.fromhex(h) for f, h in frames.items()}
            for cam, frames in data["grease_frames"].items()
        }
        self.pencil_layers = {
            cam: [
                {
                    "name": layer["name"],
                    "frames": {int(f): bytes.fromhex(h) for f, h in layer["frames"].items()},
                }
                for layer in layers
            ]
            for cam, layers in data["pencil_layers"].items()
        }
        self.undo_stack.clear()


def frame_of(time: float) -> int:
    """The whole frame a time is on, as Maya's time slider shows it (rounded)."""
    return round(time)


def pattern(camera: str, frame: int, width: int, height: int) -> np.ndarray:
    """The fake viewport's image through ``camera`` at ``frame``: H x W x 3 uint8.

    A background colour made from the camera's name, a bright vertical bar whose place
    moves with the frame, and horizontal stripes: different cameras and frames differ
    everywhere a JPEG could tell.
    """
    digest = hashlib.sha256(camera.encode()).digest()
    image = np.empty((height, width, 3), np.uint8)
    image[:] = (40 + digest[0] % 150, 40 + digest[1] % 150, 40 + digest[2] % 150)
    image[(np.arange(height) // 16) % 2 == 1] //= 2
    x = (frame * 37) % max(1, width - 24)
    image[:, x : x + 24] = (250, 250, 250)
    return image


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def read_png(data: bytes) -> np.ndarray:
    """An 8-bit RGBA PNG (non-interlaced, filter 0 rows, as the adapter writes) as an array."""
    import zlib

    width, height = png_size(data)
    pos, chunks = 8, b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(chunks)
    rows = np.frombuffer(raw, np.uint8).reshape(height, 1 + width * 4)
    if rows[:, 0].any():
        raise ValueError("the fake reads only PNGs written without row filters")
    return rows[:, 1:].reshape(height, width, 4)


def over(pngs: list[bytes]) -> bytes:
    """RGBA PNGs laid over each other, the first at the bottom (straight alpha)."""
    out = np.zeros(read_png(pngs[0]).shape, np.float32)
    for data in pngs:
        layer = read_png(data).astype(np.float32) / 255.0
        alpha = layer[..., 3:4]
        out[..., :3] = layer[..., :3] * alpha + out[..., :3] * (1 - alpha)
        out[..., 3:4] = alpha + out[..., 3:4] * (1 - alpha)
    return write_png(np.round(np.clip(out, 0.0, 1.0) * 255).astype(np.uint8))


def write_png_rgb(image: np.ndarray) -> bytes:
    return write_png(image)


def write_png(image: np.ndarray) -> bytes:
    """An 8-bit PNG of an H x W x 3 (RGB) or H x W x 4 (RGBA) uint8 array, no row filters."""
    import struct
    import zlib

    height, width = image.shape[:2]
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    colour = 6 if image.shape[2] == 4 else 2
    head = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)


#: The one fake Maya of this process.
state = State()

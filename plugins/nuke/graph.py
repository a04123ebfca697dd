"""Small, typed reads and writes of Nuke's node graph that the adapter shares.

Every function here runs on Nuke's main thread. Knobs are reached with
``node.knob(name)`` (None when the node has no such knob), never ``node[name]``,
which raises for a missing knob.

Nodes inside Groups: Nuke evaluates names relative to the current group context
(``Group.begin``'s docstring in the stubs) and ``nuke.allNodes()`` lists one group
only, so the script's nodes are listed with ``recurseGroups=True`` and a node is
found by its full name (``Group1.Grade1``, ``Node.fullName``) from the root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from typing import Any, Optional, cast

import nuke

from .defaults import OUR_KNOBS, UI_KNOBS


def knob_value(node: nuke.Node, name: str, default: Any = None) -> Any:
    """The value of ``node``'s knob ``name``; ``default`` when the node has no such knob."""
    knob = node.knob(name)
    return default if knob is None else knob.value()


def knob_script(node: nuke.Node, name: str) -> str:
    """The knob's value as Nuke writes it in a script (``toScript``); "" without the knob.

    For comparing values over time: ``value()`` of a Format_Knob is a new Python object at
    each call, whose ``str`` may differ while the format does not."""
    knob = node.knob(name)
    return "" if knob is None else str(knob.toScript())


def hidden_text(node: nuke.Node, name: str) -> Optional[str]:
    """The text of a hidden String_Knob of ours; None when the node has none."""
    knob = node.knob(name)
    return None if knob is None else str(knob.value())


def set_hidden_text(node: nuke.Node, name: str, text: Optional[str]) -> None:
    """Keep ``text`` in an invisible String_Knob ``name`` (added on first use); None removes it.

    The knob is saved with the script like any other; artists do not see it.
    """
    knob = node.knob(name)
    if text is None:
        if knob is not None:
            node.removeKnob(knob)
        return
    if knob is None:
        knob = nuke.String_Knob(name, name)
        knob.setFlag(nuke.INVISIBLE)
        node.addKnob(knob)
    if str(knob.value()) != text:
        knob.setValue(text)


@contextlib.contextmanager
def undo_disabled() -> Iterator[None]:
    """Changes made inside are not recorded in the artist's undo stack."""
    undo = nuke.Undo()
    undo.disable()
    try:
        yield
    finally:
        undo.enable()


# --- the viewer and the playhead ----------------------------------------------------------


def active_viewer_node() -> Optional[nuke.Node]:
    """The Viewer node of the active viewer window (None: no viewer, or no GUI)."""
    window = nuke.activeViewer() if nuke.GUI else None
    return window.node() if window is not None else None


def viewed_node() -> Optional[nuke.Node]:
    """The node the active viewer shows: the Viewer's active input (None if none)."""
    window = nuke.activeViewer() if nuke.GUI else None
    index = window.activeInput() if window is not None else None
    if window is None or index is None:
        return None
    node: Optional[nuke.Node] = window.node().input(index)
    return node


def current_frame() -> int:
    """The current frame: ``nuke.frame()`` (Nuke 15 deprecates it for ``Root.frame``)."""
    root_frame = getattr(nuke.root(), "frame", None)
    if callable(root_frame):
        return int(root_frame())
    return int(nuke.frame())


def go_to_frame(frame: int) -> None:
    """Move the current frame (and so the viewers) to ``frame``."""
    if hasattr(nuke, "frame"):
        nuke.frame(int(frame))
        return
    set_frame = getattr(nuke.root(), "setFrame", None)
    if not callable(set_frame):
        raise RuntimeError("this Nuke has neither nuke.frame() nor Root.setFrame()")
    set_frame(int(frame))


def frame_range() -> tuple[int, int, float]:
    """The script's first frame, last frame and frame rate (Root's knobs)."""
    root = nuke.root()
    first = int(knob_value(root, "first_frame", 1))
    last = int(knob_value(root, "last_frame", first))
    fps = float(knob_value(root, "fps", 24.0))
    return first, last, fps


# --- the graph ------------------------------------------------------------------------------


@contextlib.contextmanager
def in_root() -> Iterator[None]:
    """Names are looked up and nodes listed from the root, whatever group the artist is in."""
    root = cast(Any, nuke.root())
    root.begin()
    try:
        yield
    finally:
        root.end()


def all_nodes(node_class: Optional[str] = None) -> list[nuke.Node]:
    """Every node of the script, those inside Groups (and Groups in Groups) too."""
    with in_root():
        found: list[nuke.Node] = cast(Any, nuke.allNodes)(node_class, recurseGroups=True)
    return found


def selected_nodes() -> list[nuke.Node]:
    """The selected nodes of the whole script (``nuke.selectedNodes()`` sees one group only),
    Viewers left out."""
    return [n for n in all_nodes() if n.isSelected() and n.Class() != "Viewer"]


def node_by_full_name(name: str) -> Optional[nuke.Node]:
    """The node whose ``fullName()`` is ``name`` ("Group1.Grade1"); None when there is none."""
    with in_root():
        return nuke.toNode(name)


def parent_group(node: nuke.Node) -> Any:
    """The Group (or Root) ``node`` lives in."""
    parent = cast(Any, node).parent()
    return parent if parent is not None else nuke.root()


@contextlib.contextmanager
def inside(group: Any) -> Iterator[None]:
    """New nodes are made in ``group`` (a Group or Root) while inside."""
    group.begin()
    try:
        yield
    finally:
        group.end()


def within(names: frozenset[str], full_name: str) -> bool:
    """True when ``full_name`` is one of ``names`` or inside a Group that is."""
    if full_name in names:
        return True
    parts = full_name.split(".")
    return any(".".join(parts[:i]) in names for i in range(1, len(parts)))


def upstream(node: nuke.Node) -> list[nuke.Node]:
    """``node`` and every node above it (through inputs), nearest first, each once."""
    out: list[nuke.Node] = []
    seen: set[str] = set()
    todo = [node]
    while todo:
        n = todo.pop(0)
        key = n.fullName()
        if key in seen:
            continue
        seen.add(key)
        out.append(n)
        todo.extend(n.dependencies(nuke.INPUTS | nuke.HIDDEN_INPUTS))
    return out


def upstream_fingerprint(node: nuke.Node, extra: Optional[nuke.Node] = None) -> str:
    """A short hash of what makes ``node``'s image: the classes and knob values (``toScript``)
    of it, of every node above it, of the nodes inside Groups among them, and of ``extra``
    (the viewer's input process). It changes when any of them does."""
    digest = hashlib.sha1()
    chain = upstream(node)
    if extra is not None:
        chain.append(extra)
    i = 0
    while i < len(chain):  # the insides of Groups, and of Groups in them
        n, i = chain[i], i + 1
        if n.Class() in ("Group", "Gizmo"):
            chain.extend(cast(Any, n).nodes())
    for n in chain:
        digest.update(n.fullName().encode())
        digest.update(n.Class().encode())
        _hash_knobs(digest, n)
    return digest.hexdigest()[:16]


def _hash_knobs(digest: Any, node: nuke.Node) -> None:
    """Feed ``node``'s knob names and values into ``digest`` (not the UI's knobs, nor ours)."""
    for name, knob in sorted(node.knobs().items()):
        if name in UI_KNOBS or name in OUR_KNOBS:
            continue
        digest.update(name.encode())
        digest.update(knob.toScript(False).encode("utf-8", "replace"))


def image_version(node: nuke.Node) -> str:
    """How a note names the image ``node`` shows (``ImageRef.version``).

    The file name of the nearest Read upstream (it carries the plate or render
    version, e.g. ``sh010_comp_v012.####.exr``); without a Read, the node's
    name and a short hash of the upstream knob values, which changes when the
    comp does.
    """
    chain = upstream(node)
    for n in chain:
        if n.Class() == "Read":
            path = str(knob_value(n, "file", "") or "")
            if path:
                return os.path.basename(path)
    digest = hashlib.sha1()
    for n in chain:
        digest.update(n.Class().encode())
        _hash_knobs(digest, n)
    return f"{node.fullName()}#{digest.hexdigest()[:10]}"


def deselect_all() -> None:
    for n in nuke.selectedNodes():
        n.setSelected(False)

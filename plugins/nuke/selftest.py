"""The self-test a TD runs inside a real Nuke: every call the adapter makes, one report.

From the menu: **Overshoulder > Self-test** (a window with the report and Copy). From a
terminal: ``nuke -t <path of this file> [--out FOLDER]`` (the path is printed by
``import overshoulder.plugins.nuke.selftest as s; print(s.__file__)`` in Nuke's Script
Editor). It works on scratch nodes it makes (a Constant, a Grade, a Group holding a Grade,
a RotoPaint, a Write per render) and deletes, with undo off; the artist's selection, frame
and the script's modified flag are put back, and no callback of its own is left behind.
It refuses to run while Overshoulder shares this Nuke in a session: its frame moves and
scratch renders would reach the reviewers.

Run as a file (``nuke -t selftest.py``), the module names its package itself (PEP 366) so
its imports of the adapter's modules stay relative, as in every other module of it.
"""

from __future__ import annotations

if not globals().get("__package__"):  # run as a file: nuke -t selftest.py
    __package__ = "overshoulder.plugins.nuke"

import logging
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Callable, Optional, cast

import nuke

from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.selftest import (
    Check,
    CheckFailed,
    CheckSkipped,
    Figures,
    MainThreadMeter,
    Report,
    run_checks,
    run_from_menu,
    single_failure,
    terminal_main,
    timed,
    timing_figures,
)

from . import host as host_module
from .capture import ViewerRender, jpeg_size, read_back
from .defaults import (
    JPEG_SUB_SAMPLING,
    LIFETIME_FRAME_RANGE,
    LIFETIME_FROM,
    LIFETIME_TO,
    LIFETIME_TYPE,
    SELFTEST_CAPTURES,
    SELFTEST_EVENT_WAIT_S,
    SELFTEST_PREFIX,
)
from .graph import (
    active_viewer_node,
    all_nodes,
    current_frame,
    frame_range,
    go_to_frame,
    in_root,
    inside,
    node_by_full_name,
    undo_disabled,
    upstream_fingerprint,
    viewed_node,
)
from .identity import find, host_object
from .notes import NoteStore
from .viewer import find_viewer_widget

log = logging.getLogger("overshoulder.nuke")

#: The JPEG layouts Nuke's writer offers, and the one it must refuse.
JPEG_LAYOUTS = ("4:1:1", "4:2:2", "4:4:4")
REFUSED_LAYOUT = "4:2:0"


@contextmanager
def throwaway_knob(node_class: str, knob_name: str) -> Iterator[Any]:
    """The knob ``knob_name`` of a new ``node_class`` node made in the root, out of the undo
    stack; the node is deleted after the block. A node without that knob fails the check."""
    with in_root(), undo_disabled():
        node = getattr(nuke.nodes, node_class)()
        try:
            knob = node.knob(knob_name)
            if knob is None:
                raise CheckFailed(f"the {node_class} node has no {knob_name} knob")
            yield knob
        finally:
            nuke.delete(node)


class Scratch:
    """The nodes the checks work on, made on first use and deleted by ``remove``."""

    def __init__(self) -> None:
        self.nodes: list[nuke.Node] = []
        self.constant: Optional[nuke.Node] = None
        self.grade: Optional[nuke.Node] = None
        self.group: Optional[nuke.Node] = None
        self.inner: Optional[nuke.Node] = None
        self.render = ViewerRender()

    def make(self) -> None:
        if self.grade is not None:
            return
        with in_root(), undo_disabled():
            constant = nuke.nodes.Constant()
            self.nodes.append(constant)
            constant.setName(f"{SELFTEST_PREFIX}Constant")
            grade = nuke.nodes.Grade()
            self.nodes.append(grade)
            grade.setName(f"{SELFTEST_PREFIX}Grade")
            grade.setInput(0, constant)
            group = nuke.nodes.Group()
            self.nodes.append(group)
            group.setName(f"{SELFTEST_PREFIX}Group")
            with inside(group):
                inner = nuke.nodes.Grade()
            group.setInput(0, grade)
            for n in self.nodes:
                n.setXYpos(-10000, -10000)  # far from the artist's nodes
        self.constant, self.grade, self.group, self.inner = constant, grade, group, inner

    def need(self) -> tuple[nuke.Node, nuke.Node, nuke.Node, nuke.Node]:
        self.make()
        assert self.constant and self.grade and self.group and self.inner
        return self.constant, self.grade, self.group, self.inner

    def remove(self) -> None:
        with undo_disabled():
            for n in reversed(self.nodes):
                try:
                    nuke.delete(n)
                except Exception as exc:  # already gone
                    log.debug("scratch node not deleted: %s", exc)
        self.nodes.clear()
        self.constant = self.grade = self.group = self.inner = None
        self.render.cleanup()


class NukeSelfTest:
    """The checks, sharing the scratch nodes; ``run`` leaves the script as it found it."""

    def __init__(self, pump: Optional[Callable[[float], None]] = None) -> None:
        self.scratch = Scratch()
        #: Lets Nuke's event loop run for a moment (idle callbacks); None under ``nuke -t``.
        self.pump = pump if pump is not None else default_pump()

    def checks(self) -> list[Check]:
        return [
            Check("scratch", "Make scratch nodes (Constant, Grade, Group)", self.check_scratch),
            Check("jpeg_layouts", "JPEG chroma layouts of the Write node", self.check_jpeg),
            Check(
                "capture",
                f"Capture: {SELFTEST_CAPTURES} Write renders of what the viewer shows",
                self.check_capture,
            ),
            Check("playhead", "Playhead: read, set and put back the frame", self.check_playhead),
            Check("callbacks", "Which callbacks fire for which change", self.check_callbacks),
            Check("notes", "A note written, read and removed on a scratch node", self.check_notes),
            Check("groups", "Nodes inside Groups by full name", self.check_groups),
            Check("viewer_widget", "The viewer's widget for the overlay", self.check_viewer),
            Check("stroke_lifetime", "RotoPaint stroke life time attributes", self.check_stroke),
        ]

    # --- checks ------------------------------------------------------------------------------

    def check_scratch(self, figures: Figures) -> str:
        self.scratch.make()
        _, grade, group, inner = self.scratch.need()
        figures["nodes"] = [n.fullName() for n in (*self.scratch.nodes, inner)]
        return f"made {len(self.scratch.nodes) + 1} nodes; {grade.fullName()} feeds {group.name()}"

    def check_jpeg(self, figures: Figures) -> str:
        _, grade, _, _ = self.scratch.need()
        with throwaway_knob("Write", "_jpeg_sub_sampling") as knob:
            figures["offered"] = list(getattr(knob, "values", lambda: [])())
            try:
                knob.setValue(REFUSED_LAYOUT)
                figures["refused_4_2_0"] = False
            except Exception as exc:
                figures["refused_4_2_0"] = True
                figures["refusal"] = f"{type(exc).__name__}: {exc}"
        sizes = {}
        for layout in JPEG_LAYOUTS:
            rendered = self.scratch.render.render_node(grade, None, sub_sampling=layout)
            sizes[layout] = len(read_back(rendered))
            figures[f"bytes_{layout.replace(':', '')}"] = sizes[layout]
        if not figures["refused_4_2_0"]:
            return f"{REFUSED_LAYOUT} was accepted (docs/nuke.md expects a refusal)"
        return f"{REFUSED_LAYOUT} refused; the adapter uses {JPEG_SUB_SAMPLING}"

    def check_capture(self, figures: Figures) -> str:
        """What the viewer shows, rendered as the adapter does when sharing (the artist's own
        comp: the real cost); the scratch Grade when no viewer shows anything."""
        _, grade, _, _ = self.scratch.need()
        viewer = active_viewer_node()
        shown = viewed_node()
        node = shown if viewer is not None and shown is not None else grade
        figures["rendered"] = node.fullName()
        figures["with_viewer_settings"] = viewer is not None
        meter = MainThreadMeter()
        spans: list[float] = []
        size = (0, 0)
        for _ in range(SELFTEST_CAPTURES):
            start = time.perf_counter()
            with meter.on_main():  # all of it holds Nuke's main thread, as when sharing
                rendered = self.scratch.render.render_node(node, viewer)
            data = read_back(rendered)
            spans.append(time.perf_counter() - start)
            size = jpeg_size(data)
        figures.update(timing_figures("capture", spans))
        figures.update(meter.figures("main_thread"))
        with timed(figures, "change_check_ms"):
            upstream_fingerprint(node)
        figures["width"], figures["height"] = size
        return f"{size[0]}x{size[1]} JPEG, median {figures['capture_median_ms']:.1f} ms"

    def check_playhead(self, figures: Figures) -> str:
        frame = current_frame()
        first, last, fps = frame_range()
        figures.update(frame=frame, first=first, last=last, fps=fps)
        target = frame + 1 if frame < last else max(first, frame - 1)
        try:
            with timed(figures, "set_ms"):
                go_to_frame(target)
            now = current_frame()
            figures["read_back"] = now
            if now != target:
                raise CheckFailed(f"asked for frame {target}, Nuke is at {now}", read_back=now)
        finally:
            go_to_frame(frame)
        if current_frame() != frame:
            raise CheckFailed(f"the frame could not be put back to {frame}")
        return f"frame {frame} -> {target} -> {frame}"

    def check_callbacks(self, figures: Figures) -> str:
        _, grade, _, _ = self.scratch.need()
        seen: list[tuple[str, str, str]] = []

        def on_knob() -> None:
            knob = nuke.thisKnob()
            seen.append(("knobChanged", nuke.thisNode().fullName(), knob.name() if knob else ""))

        def on_ui() -> None:
            seen.append(("updateUI", nuke.thisNode().fullName(), ""))

        def fired(kind: str, node: str, knob: str = "") -> bool:
            return any(k == kind and n == node and (not knob or kb == knob) for k, n, kb in seen)

        name = grade.fullName()
        nuke.addKnobChanged(on_knob)
        nuke.addUpdateUI(on_ui)
        frame = current_frame()
        try:
            with undo_disabled():
                seen.clear()
                grade.knob("white").setValue(1.25)
                self._wait(lambda: fired("updateUI", name))
                figures["script_panel_closed_knobChanged"] = fired("knobChanged", name, "white")
                figures["script_panel_closed_updateUI"] = fired("updateUI", name)
                if nuke.GUI:
                    seen.clear()
                    grade.showControlPanel()
                    figures["panel_opened_showPanel"] = fired("knobChanged", name, "showPanel")
                    grade.knob("white").setValue(1.5)
                    self._wait(lambda: fired("updateUI", name))
                    figures["script_panel_open_knobChanged"] = fired("knobChanged", name, "white")
                    figures["script_panel_open_updateUI"] = fired("updateUI", name)
                    grade.hideControlPanel()
                viewer = active_viewer_node()
                if viewer is not None:
                    seen.clear()
                    last = frame_range()[1]
                    go_to_frame(frame + 1 if frame < last else frame - 1)
                    vname = viewer.fullName()
                    self._wait(lambda: fired("updateUI", vname))
                    figures["frame_viewer_knobChanged"] = fired("knobChanged", vname, "frame")
                    figures["frame_root_knobChanged"] = fired("knobChanged", "root", "frame")
                    figures["frame_viewer_updateUI"] = fired("updateUI", vname)
        finally:
            nuke.removeKnobChanged(on_knob)
            nuke.removeUpdateUI(on_ui)
            go_to_frame(frame)
        if self.pump is None:
            figures["updateUI_note"] = "no event loop here (nuke -t): updateUI cannot run"
        fired_names = sorted(k for k, v in figures.items() if v is True)
        return "fired: " + (", ".join(fired_names) or "none")

    def check_notes(self, figures: Figures) -> str:
        _, _, _, inner = self.scratch.need()
        store = NoteStore()
        obj = host_object(inner)
        figures["label"] = obj.label
        note = Annotation(
            id=new_id(),
            shape=Shape(kind="stroke", points=[[0.0, 0.0], [0.1, 0.1]]),
            anchor=Anchor(frame=current_frame(), object=obj),
            text="Overshoulder self-test",
        )
        with timed(figures, "find_ms"):
            found = find(obj.path)
        if found is None or found.fullName() != inner.fullName():
            raise CheckFailed(f"the node with id {obj.path} was not found inside its Group")
        store.put(note, inner)
        back = [n.id for n in store.on(inner)]
        figures["read_back"] = note.id in back
        removed = store.remove(note.id)
        figures["removed"] = removed and not store.on(inner)
        if not figures["read_back"] or not figures["removed"]:
            raise CheckFailed("the note did not come back, or stayed after removal")
        return f"note kept on {inner.fullName()} and removed"

    def check_groups(self, figures: Figures) -> str:
        _, _, _, inner = self.scratch.need()
        full = inner.fullName()
        figures["full_name"] = full
        figures["toNode_from_root"] = node_by_full_name(full) is inner
        listed = [n.fullName() for n in all_nodes()]
        figures["recurseGroups_lists_it"] = full in listed
        if not figures["toNode_from_root"] or not figures["recurseGroups_lists_it"]:
            raise CheckFailed(f"{full} was not found by full name or by allNodes(recurseGroups)")
        return f"{full} found both ways"

    def check_viewer(self, figures: Figures) -> str:
        if not nuke.GUI:
            raise CheckSkipped("no GUI (nuke -t): no viewer to lay the overlay on")
        viewer = active_viewer_node()
        if viewer is None:
            raise CheckSkipped("no viewer is open")
        try:
            from Qt import QtWidgets
        except ImportError as exc:
            raise CheckFailed(f"Qt.py cannot be imported here: {exc}") from exc
        if QtWidgets.QApplication.instance() is None:
            raise CheckSkipped("no Qt application in this session: no widgets to look in")
        widget = find_viewer_widget(viewer.name())
        if widget is None:
            raise CheckFailed(f"no GL widget found in the panel titled {viewer.name()!r}")
        figures["class"] = widget.metaObject().className()
        figures["size"] = f"{widget.width()}x{widget.height()}"
        return f"{figures['class']} {figures['size']}"

    def check_stroke(self, figures: Figures) -> str:
        import nuke.rotopaint as rp

        with throwaway_knob("RotoPaint", "curves") as curves:
            stroke = rp.Stroke(curves)
            stroke.append(rp.AnimControlPoint(10.0, 10.0))
            stroke.append(rp.AnimControlPoint(20.0, 20.0))
            attrs = stroke.getAttributes()
            frame = current_frame()
            attrs.set(LIFETIME_TYPE, LIFETIME_FRAME_RANGE)
            attrs.set(LIFETIME_FROM, frame)
            attrs.set(LIFETIME_TO, frame + 2)
            curves.rootLayer.append(stroke)
            curves.changed()
            for name in (LIFETIME_TYPE, LIFETIME_FROM, LIFETIME_TO):
                figures[name] = attrs.getValue(frame, name)
        wanted = [LIFETIME_FRAME_RANGE, current_frame(), current_frame() + 2]
        got = [figures[n] for n in (LIFETIME_TYPE, LIFETIME_FROM, LIFETIME_TO)]
        if [int(v) for v in got] != wanted:
            raise CheckFailed(f"life time read back as {got}, set as {wanted}")
        return "life time type, first and last frame read back as set"

    # --- helpers ----------------------------------------------------------------------------

    def _wait(self, done: Callable[[], bool]) -> None:
        """Let Nuke's event loop run until ``done()`` (idle callbacks), at most a moment."""
        if self.pump is None:
            return
        deadline = time.monotonic() + SELFTEST_EVENT_WAIT_S
        while not done() and time.monotonic() < deadline:
            self.pump(0.02)

    # --- the whole run ----------------------------------------------------------------------

    def run(self) -> Report:
        with undo_disabled(), self.preserved():
            try:
                report = run_checks("Nuke", nuke_version(), self.checks(), extra=environment())
            finally:
                self.scratch.remove()
        return report

    @contextmanager
    def preserved(self) -> Iterator[None]:
        """Put back what the artist had: selection, frame, the modified flag."""
        with in_root():
            selected = [n for n in all_nodes() if n.isSelected()]
        frame = current_frame()
        root = cast(Any, nuke.root())
        modified = bool(root.modified()) if hasattr(root, "modified") else None
        try:
            yield
        finally:
            try:
                if current_frame() != frame:
                    go_to_frame(frame)
                with in_root():
                    for n in all_nodes():
                        if n.isSelected() and n not in selected:
                            n.setSelected(False)
                    for n in selected:
                        n.setSelected(True)
                if modified is not None and hasattr(root, "setModified"):
                    root.setModified(modified)
            except Exception:
                log.exception("Overshoulder self-test: the script could not be put back")


def nuke_version() -> str:
    return str(getattr(nuke, "NUKE_VERSION_STRING", "unknown"))


def environment() -> dict[str, Any]:
    return {
        "session": "GUI" if nuke.GUI else "terminal (nuke -t)",
        "nuke_version_major": getattr(nuke, "NUKE_VERSION_MAJOR", None),
        "script": _script_name(),
        "sharing": host_module.sharing(),
    }


def _script_name() -> str:
    try:
        return os.path.basename(str(nuke.scriptName())) or "untitled"
    except RuntimeError:  # an untitled script
        return "untitled"


def default_pump() -> Optional[Callable[[float], None]]:
    """In a GUI session, a function that runs Qt's event loop for a moment (Nuke's idle
    callbacks run from it); None without a GUI or Qt."""
    if not nuke.GUI:
        return None
    try:
        from Qt import QtWidgets
    except ImportError:
        return None
    app = QtWidgets.QApplication.instance()
    if app is None:
        return None

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)

    return pump


#: What the self-test says instead of running while this Nuke shares a session.
SHARING_REFUSAL = (
    "Overshoulder is sharing this Nuke in a session: stop sharing first (leave the session"
    " in the Overshoulder panel), then run the self-test again. Its frame moves and scratch"
    " renders would reach the reviewers."
)


def run(pump: Optional[Callable[[float], None]] = None) -> Report:
    """Run every check on scratch nodes and put the script back as it was; while this Nuke
    shares a session, a report of one failed check (``sharing``) saying to stop first."""
    if host_module.sharing():
        return single_failure(
            "Nuke",
            nuke_version(),
            "sharing",
            "Not while sharing a session",
            SHARING_REFUSAL,
            **environment(),
        )
    return NukeSelfTest(pump).run()


def menu_command() -> None:
    """Overshoulder > Self-test: run, save the report, show it (``nuke.message`` when the
    window cannot open or the report cannot be saved). Never raises into Nuke."""

    def show(report: Report, paths: tuple[str, str]) -> None:
        from overshoulder.core.ui.selftest_dialog import show_report

        show_report(report, paths)

    run_from_menu(run, show, nuke.message)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``nuke -t selftest.py [--out FOLDER]``: print the report, write it, exit 0 if all passed."""
    return terminal_main(
        lambda args: run(),
        prog="overshoulder-nuke-selftest",
        description="Overshoulder self-test inside Nuke",
        argv=argv,
    )


if __name__ == "__main__":
    sys.exit(main())

"""The self-test inside a real Maya: every call the adapter makes, and the figures it still owes.

From the menu, **Overshoulder > Self-test** (a window with the report, its two files and Copy);
from a terminal, ``mayapy -m overshoulder.plugins.maya.selftest [--out FOLDER]`` (which starts
``maya.standalone`` when it is not inside a running Maya). The checks, in order:

- ``environment``: Maya's version, batch or GUI, the active model panel and its renderer;
- ``capture_colorbuffer`` / ``capture_playblast``: ``SELFTEST_CAPTURES`` reads of the active
  viewport each way (median, worst, the main thread's total), and how many redraws of the
  panel arrived after a read had returned (ours, late: they would ask for another capture);
- ``playhead``: read the frame, rate and range, set another frame and read it back;
- ``frame_change_events``: register, one by one, every event and condition the adapter
  registers (a name this Maya refuses fails here, by name), move one frame, and list which
  fired;
- ``edit_events``: change an attribute of a scratch object and select it, and list which of
  the adapter's events and the viewport's redraw callback fired for each (skipped in batch);
- ``notes``: a note on a scratch object: the notes node, the callout, read back, removed;
- ``pencil``: what this Maya's Blue Pencil commands accept (``cmds.help``) and a note's
  layer made, named, replaced and removed on a scratch camera;
- ``viewer_widget``: the viewport's QWidget for the overlay (skipped in batch);
- ``scene_restored``: scratch nodes deleted; selection, time, the panel's camera and the undo
  queue as they were (as far as Maya lets it be read: the names of the next undo and redo,
  whether the queue is empty, and undo on or off; ``undoInfo -printQueue`` prints the queue
  to the Script Editor and returns only a bool, so its entries are not compared one by one).

Everything scratch is made with undo off and deleted at the end (also when a check raises:
``run`` puts the scene back in a ``finally``); a check that fails is reported with its reason
and the next one runs; nothing raises into Maya. It refuses to run while this Maya is sharing
a review session (it moves the playhead and draws scratch notes reviewers would see).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from typing import Any, Callable, Optional

from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id
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

from .defaults import (
    IMAGE_EVENTS,
    MADE_FOR_ATTR,
    PLAY_CONDITION,
    PLAYHEAD_EVENTS,
    SELFTEST_CAPTURES,
    SELFTEST_DIALOG_TITLE,
    SELFTEST_NAME,
    SKETCH_SIZE,
)

log = logging.getLogger("overshoulder.maya")


class Scratch:
    """What the self-test found before it began and what it made, to put the scene back."""

    def __init__(self) -> None:
        from maya import cmds

        from . import scene

        self.selection = [str(p) for p in cmds.ls(selection=True, long=True) or []]
        self.time = scene.current_time()
        self.undo = _undo_state()
        self.panel = scene.active_model_panel()
        self.camera = scene.panel_camera(self.panel) if self.panel else None
        self.store_existed = _store_node() is not None
        #: UUIDs of the nodes the self-test made.
        self.made: list[str] = []
        #: Set once ``restore`` has put everything back.
        self.restored = False

    def make_node(self, kind: str, name: str, parent: Optional[str] = None) -> str:
        """A scratch node (undo off); its full path."""
        from maya import cmds

        from . import scene

        with scene.undo_off():
            if parent is None:
                made = cmds.createNode(kind, name=name, skipSelect=True)
            else:
                made = cmds.createNode(kind, name=name, parent=parent, skipSelect=True)
        uid = scene.uuid_of(str(made))
        if uid is not None:
            self.made.append(uid)
        path = scene.path_of(uid) if uid else None
        return path or str(made)

    def restore(self, figures: Figures) -> None:
        """Delete what was made, put selection, time and camera back; figures say how."""
        from maya import cmds

        from . import scene

        left = []
        with scene.undo_off():
            for uid in reversed(self.made):
                path = scene.path_of(uid)
                if path is not None:
                    cmds.delete(path)
            store = _store_node()
            if store is not None and not self.store_existed:
                cmds.delete(store)
            left = [uid for uid in self.made if scene.path_of(uid) is not None]
            if self.panel and self.camera and scene.panel_camera(self.panel) != self.camera:
                scene.look_through(self.panel, self.camera)
            if self.selection:
                cmds.select(self.selection, replace=True)
            else:
                cmds.select(clear=True)
        if scene.current_time() != self.time:
            cmds.currentTime(self.time, update=True)
        figures["scratch_nodes_left"] = len(left)
        figures["selection_kept"] = [
            str(p) for p in cmds.ls(selection=True, long=True) or []
        ] == self.selection
        figures["time_kept"] = scene.current_time() == self.time
        undo = _undo_state()
        figures["undo_kept"] = undo == self.undo
        if undo != self.undo:
            figures["undo_was"], figures["undo_now"] = str(self.undo), str(undo)
        figures["camera_kept"] = self.panel is None or scene.panel_camera(self.panel) == self.camera
        self.restored = True


def _undo_state() -> tuple[str, str, bool, bool]:
    """What Maya lets a script read of its undo queue: the next undo's and redo's names,
    whether the queue is empty, and whether undo is on."""
    from maya import cmds

    return (
        str(cmds.undoInfo(query=True, undoName=True) or ""),
        str(cmds.undoInfo(query=True, redoName=True) or ""),
        bool(cmds.undoInfo(query=True, undoQueueEmpty=True)),
        bool(cmds.undoInfo(query=True, stateWithoutFlush=True)),
    )


def sharing_now() -> bool:
    """True while this Maya shares a review session (the panel's host has been started)."""
    panel = sys.modules.get("overshoulder.plugins.maya.panel")
    host = panel.current_host() if panel is not None else None
    return bool(host is not None and host.sharing)


def _store_node() -> Optional[str]:
    from .notes import NoteStore

    return NoteStore().node()


def _gui() -> str:
    """The active model panel; CheckSkipped in batch (mayapy: no viewport)."""
    from . import scene

    if scene.is_batch():
        raise CheckSkipped("batch session (mayapy, maya -batch): no viewport")
    panel = scene.active_model_panel()
    if panel is None:
        raise CheckSkipped("no model panel is visible")
    return panel


# --- the checks -------------------------------------------------------------------------------


def environment(figures: Figures) -> Optional[str]:
    import maya.api.OpenMayaUI as omui
    from maya import cmds

    from . import scene

    figures["maya"] = str(cmds.about(version=True))
    figures["batch"] = scene.is_batch()
    panel = scene.active_model_panel()
    figures["panel"] = panel or ""
    if panel:
        view = omui.M3dView.getM3dViewFromModelPanel(panel)
        renderer = view.getRendererName()
        figures["renderer"] = (
            "Viewport 2.0" if renderer == omui.M3dView.kViewport2Renderer else str(renderer)
        )
        figures["viewport"] = f"{int(view.portWidth())}x{int(view.portHeight())}"
    return None


def measure_grabs(method: str, rounds: int, figures: Figures) -> None:
    """``rounds`` reads of the active viewport by ``method`` ("colorbuffer" or "playblast"):
    main-thread time of each (median, worst, total), the time to a finished image, and the
    redraws of the panel that arrived after a read had returned. Also bench/maya_capture.py."""
    import maya.api.OpenMaya as om
    import maya.api.OpenMayaUI as omui
    import maya.utils

    from .capture import ViewportGrab, read_back, to_rgb

    panel = _gui()
    grab = ViewportGrab(method)
    meter = MainThreadMeter()
    late = [0]
    returned = [False]

    def redrawn(*_: Any) -> None:
        if returned[0]:
            late[0] += 1

    watch = omui.MUiMessage.add3dViewPostRenderMsgCallback(panel, redrawn)
    finish: list[float] = []
    try:
        grab.grab()  # warm-up: the first playblast sets things up
        for _ in range(rounds):
            returned[0] = False
            with meter.on_main():
                grabbed = grab.grab()
            returned[0] = True
            maya.utils.processIdleEvents()  # what Maya does next, with nothing changed
            if grabbed is None:
                raise CheckFailed(f"{method}: the active panel {panel} gave no image")
            start = time.perf_counter()
            if grabbed.jpeg_path is not None:
                figures[f"{method}_jpeg_bytes"] = len(read_back(grabbed))
            else:
                to_rgb(grabbed)
            finish.append(time.perf_counter() - start)
            figures[f"{method}_size"] = f"{grabbed.width}x{grabbed.height}"
    finally:
        om.MMessage.removeCallback(watch)
        grab.cleanup()
        figures.update(meter.figures(f"{method}_main"))
        figures.update(timing_figures(f"{method}_finish_off_main", finish))
        figures[f"{method}_own_redraws_after"] = late[0]
    if late[0]:
        raise CheckFailed(
            f"{late[0]} redraws of {panel} arrived after {method} reads had returned: the "
            f"adapter would take them for changes and capture again"
        )


def capture_check(method: str, rounds: int) -> Callable[[Figures], Optional[str]]:
    def run(figures: Figures) -> Optional[str]:
        from . import scene

        before = scene.current_time()
        measure_grabs(method, rounds, figures)
        figures["time_kept"] = scene.current_time() == before
        if not figures["time_kept"]:
            raise CheckFailed(
                f"the {method} capture left the time at {scene.current_time()} (was {before})"
            )
        return None

    return run


def playhead(figures: Figures) -> Optional[str]:
    from . import scene

    start = scene.current_frame()
    first, last = scene.frame_range()
    figures.update(frame=start, rate=scene.fps(), first=first, last=last)
    target = start + 1 if start + 1 <= last else start - 1
    was = scene.current_time()
    try:
        with timed(figures, "set_ms"):
            scene.go_to_frame(target)
        figures["read_back"] = scene.current_frame()
    finally:
        _back_to(was)
    if figures["read_back"] != target:
        raise CheckFailed(f"set frame {target}, read back {figures['read_back']}")
    return None


def _back_to(time_was: float) -> None:
    """The time exactly as it was (sub-frames included), viewports updated."""
    from maya import cmds

    from . import scene

    if scene.current_time() != time_was:
        cmds.currentTime(time_was, update=True)


def frame_change_events(figures: Figures) -> Optional[str]:
    import maya.api.OpenMaya as om
    import maya.utils

    from . import scene

    fired: list[str] = []
    refused: list[str] = []
    ids: list[Any] = []
    was = scene.current_time()

    def hear(name: str) -> Callable[..., None]:
        return lambda *_: fired.append(name)

    try:
        for event in (*PLAYHEAD_EVENTS, *IMAGE_EVENTS):
            try:
                ids.append(om.MEventMessage.addEventCallback(event, hear(event)))
            except Exception as exc:
                refused.append(f"event {event}: {exc}")
        try:
            ids.append(
                om.MConditionMessage.addConditionCallback(PLAY_CONDITION, hear(PLAY_CONDITION))
            )
        except Exception as exc:
            refused.append(f"condition {PLAY_CONDITION}: {exc}")
        was = scene.current_time()
        scene.go_to_frame(scene.current_frame() + 1)
        maya.utils.processIdleEvents()
    finally:
        for cid in ids:
            om.MMessage.removeCallback(cid)
        _back_to(was)
    figures["registered"] = len(ids)
    figures["fired_on_frame_change"] = sorted(set(fired))
    if refused:
        figures["refused"] = refused
        raise CheckFailed(f"Maya refused {len(refused)} of the adapter's names: {refused[0]}")
    if "timeChanged" not in fired:
        raise CheckFailed("moving one frame did not fire timeChanged")
    return None


def edit_events_check(scratch: Scratch) -> Callable[[Figures], Optional[str]]:
    """An edit that does not move the playhead: an attribute of a scratch object changed, then
    the object selected. The adapter hears the first only through the viewport's redraw
    (``MUiMessage.add3dViewPostRenderMsgCallback``) and the second through "SelectionChanged"
    (``IMAGE_EVENTS``): both must fire, or a reviewer would not see the edit."""

    def run(figures: Figures) -> Optional[str]:
        import maya.api.OpenMaya as om
        import maya.api.OpenMayaUI as omui
        import maya.utils
        from maya import cmds

        from . import scene

        panel = _gui()
        obj = scratch.make_node("transform", SELFTEST_NAME + "Edit")
        scratch.make_node("locator", SELFTEST_NAME + "EditShape", parent=obj)
        heard: list[str] = []
        ids: list[Any] = []

        def hear(name: str) -> Callable[..., None]:
            return lambda *_: heard.append(name)

        fired: dict[str, list[str]] = {}
        try:
            for event in IMAGE_EVENTS:
                try:
                    ids.append(om.MEventMessage.addEventCallback(event, hear(event)))
                except Exception:  # a name this Maya refuses: frame_change_events names it
                    figures.setdefault("not_registered", []).append(event)
            ids.append(omui.MUiMessage.add3dViewPostRenderMsgCallback(panel, hear("redraw")))
            maya.utils.processIdleEvents()
            del heard[:]
            with scene.undo_off():
                was = cmds.getAttr(f"{obj}.translateX")
                cmds.setAttr(f"{obj}.translateX", float(was) + 1.0)
            maya.utils.processIdleEvents()
            fired["attribute"], heard[:] = sorted(set(heard)), []
            with scene.undo_off():
                cmds.select(obj, replace=True)
            maya.utils.processIdleEvents()
            fired["selection"] = sorted(set(heard))
        finally:
            for cid in ids:
                om.MMessage.removeCallback(cid)
            with scene.undo_off():
                if scratch.selection:
                    cmds.select(scratch.selection, replace=True)
                else:
                    cmds.select(clear=True)
        figures["fired_on_attribute_change"] = fired.get("attribute", [])
        figures["fired_on_selection"] = fired.get("selection", [])
        missed = []
        if not fired.get("attribute"):
            missed.append("nothing fired for an attribute change (no redraw of the viewport)")
        if "SelectionChanged" not in fired.get("selection", []):
            missed.append("selecting an object did not fire SelectionChanged")
        if missed:
            raise CheckFailed("; ".join(missed))
        return None

    return run


def note_about(obj: Any, frame: int, text: str = "self-test note") -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.3, 0.1], [0.0, 0.2], [0.3, 0.1]]),
        anchor=Anchor(frame=frame, object=obj),
        style=Style(color=(1.0, 0.2, 0.2, 1.0), width=0.01),
        text=text,
        author_name="Overshoulder",
    )


def notes_check(scratch: Scratch) -> Callable[[Figures], Optional[str]]:
    def run(figures: Figures) -> Optional[str]:
        from maya import cmds

        from . import identity, scene
        from .host import MayaHost

        obj = scratch.make_node("transform", SELFTEST_NAME)
        scratch.make_node("locator", SELFTEST_NAME + "Shape", parent=obj)
        host = MayaHost(pencil=False)  # never started: no callback; its grab is cleaned below
        try:
            about = identity.host_object(obj)
            note = note_about(about, scene.current_frame())
            host.apply_annotation(note)
            stored = host.notes.get(note.id)
            figures["stored"] = stored is not None and stored.note == note
            callout = scene.path_of(stored.callout) if stored and stored.callout else None
            figures["callout"] = bool(callout)
            if callout and stored and stored.callout:
                scratch.made.append(stored.callout)
                marked = cmds.getAttr(f"{callout}.{MADE_FOR_ATTR}")
                figures["callout_marked"] = marked == note.id
            host.remove_annotation(note.id)
            figures["removed"] = host.notes.get(note.id) is None and not (
                stored and stored.callout and scene.path_of(stored.callout)
            )
        finally:
            host.stop()
        wrong = [k for k in ("stored", "callout", "removed") if not figures[k]]
        if wrong:
            raise CheckFailed(f"the note round trip failed at: {', '.join(wrong)}")
        return None

    return run


def pencil_check(scratch: Scratch) -> Callable[[Figures], Optional[str]]:
    def run(figures: Figures) -> Optional[str]:
        from . import scene, sketches

        for command in sketches.BLUE_PENCIL_NEEDS:
            known = sketches.command_flags(command)
            figures[f"{command}_flags"] = sorted(known) if known is not None else "unknown"
        panel = _gui()
        writer, why = sketches.writer_for_this_maya()
        figures["pencil"] = writer.name if writer else f"none: {why}"
        if writer is None:
            raise CheckFailed(f"notes get no pencil drawings here: {why}")
        camera = scratch.make_node("transform", SELFTEST_NAME + "Cam")
        scratch.make_node("camera", SELFTEST_NAME + "CamShape", parent=camera)
        note = note_about(None, scene.current_frame())
        writer.put(panel, camera, note, [], SKETCH_SIZE, scene.fps())
        writer.put(panel, camera, note, [], SKETCH_SIZE, scene.fps())  # again: replaced
        if isinstance(writer, sketches.BluePencilWriter):
            names = writer.layer_names(camera)
            figures["layers_after_two_puts"] = len(names)
            if names.count(sketches.layer_name(note.id)) != 1:
                raise CheckFailed(f"after applying one note twice the camera has layers {names}")
            writer.remove(camera, note.id)
            figures["layers_after_remove"] = len(writer.layer_names(camera))
        figures["camera_kept"] = scene.panel_camera(panel) == scratch.camera
        return None

    return run


def viewer_widget(figures: Figures) -> Optional[str]:
    from .viewer import find_viewport_widget

    panel = _gui()
    widget = find_viewport_widget(panel)
    if widget is None:
        raise CheckFailed(f"no QWidget for {panel}'s viewport: the overlay cannot be shown")
    figures["widget"] = type(widget).__name__
    figures["size"] = f"{widget.width()}x{widget.height()}"
    return None


def restored_check(scratch: Scratch) -> Callable[[Figures], Optional[str]]:
    def run(figures: Figures) -> Optional[str]:
        scratch.restore(figures)
        wrong = [k for k, v in figures.items() if k.endswith("_kept") and not v]
        if figures["scratch_nodes_left"]:
            wrong.append("scratch nodes left")
        if wrong:
            raise CheckFailed(f"the scene was not put back: {', '.join(wrong)}")
        return None

    return run


def checks(rounds: int = SELFTEST_CAPTURES, scratch: Optional[Scratch] = None) -> list[Check]:
    """Every check, in order; the last one puts the scene back (``scratch``: what it was)."""
    scratch = scratch or Scratch()
    return [
        Check("environment", "Maya, the session and the active viewport", environment),
        Check(
            "capture_colorbuffer",
            f"{rounds} viewport reads through the frame buffer",
            capture_check("colorbuffer", rounds),
        ),
        Check(
            "capture_playblast",
            f"{rounds} viewport reads through a one-frame playblast",
            capture_check("playblast", rounds),
        ),
        Check("playhead", "Read the playhead, set another frame, read it back", playhead),
        Check(
            "frame_change_events",
            "The adapter's events and condition: accepted, and which fire for a frame change",
            frame_change_events,
        ),
        Check(
            "edit_events",
            "An attribute changed and an object selected: which of the adapter's callbacks fire",
            edit_events_check(scratch),
        ),
        Check(
            "notes", "A note on a scratch object: stored, called out, removed", notes_check(scratch)
        ),
        Check(
            "pencil", "A note's Blue Pencil layer: made, replaced, removed", pencil_check(scratch)
        ),
        Check("viewer_widget", "The viewport's widget for the overlay", viewer_widget),
        Check("scene_restored", "The scene as it was", restored_check(scratch)),
    ]


def run(rounds: int = SELFTEST_CAPTURES) -> Report:
    """Run every check in this Maya (main thread) and return the report. Refused (one failed
    check, nothing touched) while this Maya shares a review session."""
    from maya import cmds

    from . import scene

    version = str(cmds.about(version=True))
    extra = {"edition": "batch" if scene.is_batch() else "GUI", "sharing": sharing_now()}
    if extra["sharing"]:
        return single_failure(
            "maya",
            version,
            "not_while_sharing",
            "Not while sharing",
            "this Maya is sharing a review session: stop sharing first (the self-test moves "
            "the playhead and draws scratch notes that reviewers would see)",
            **extra,
        )
    try:
        scratch = Scratch()
    except Exception as exc:  # the scene cannot even be read: say so, run nothing else
        return single_failure(
            "maya",
            version,
            "scene",
            "Read the scene",
            f"the scene could not be read before the checks: {type(exc).__name__}: {exc}",
            **extra,
        )
    try:
        return run_checks("maya", version, checks(rounds, scratch), extra)
    finally:
        if not scratch.restored:  # the last check raised halfway: put the scene back anyway
            try:
                scratch.restore({})
            except Exception:
                log.exception("the self-test could not put the scene back")


def tell(text: str) -> None:
    """Maya's own message box (what the menu entry falls back to when no window opens)."""
    from maya import cmds

    cmds.confirmDialog(title=SELFTEST_DIALOG_TITLE, message=text, button=["OK"])


def show(report: Report, paths: tuple[str, str]) -> None:
    """The report window (Qt, imported only now)."""
    from overshoulder.core.ui.selftest_dialog import show_report

    show_report(report, paths)


def open_window(*_: Any) -> Optional[Report]:
    """The menu entry: run, save, show the report; Maya's message box when the window cannot
    open or the report cannot be saved. Never raises into Maya."""
    return run_from_menu(run, show, tell)


def _maya_ready() -> bool:
    try:
        from maya import cmds

        cmds.about(version=True)
        return True
    except Exception:
        return False


def _run_in_mayapy(args: Any) -> Report:
    """Start maya.standalone when this is a bare mayapy, run, and stop it again."""
    started = False
    if not _maya_ready():
        try:
            import maya.standalone

            maya.standalone.initialize(name="python")
            started = True
        except Exception as exc:
            raise RuntimeError(
                f"Maya could not be started here ({exc}): run this with mayapy"
            ) from exc
    try:
        return run(args.rounds)
    finally:
        if started:
            import maya.standalone

            maya.standalone.uninitialize()


def _rounds(parser: Any) -> None:
    parser.add_argument("--rounds", type=int, default=SELFTEST_CAPTURES, help="captures per way")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``mayapy -m overshoulder.plugins.maya.selftest``: start Maya if needed, run, report.
    Exit 0 when nothing failed, 1 when a check failed, 2 when it could not run."""
    return terminal_main(
        _run_in_mayapy,
        prog="mayapy -m overshoulder.plugins.maya.selftest",
        description="Check every Maya call Overshoulder makes, and write a report to send back.",
        argv=argv,
        more_arguments=_rounds,
    )


if __name__ == "__main__":
    sys.exit(main())

"""Notes in the scene: anchors by UUID, the network node, pencil frames on the camera,
callouts on the object, and all of it through save and reopen."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overshoulder.core.model import Anchor, Annotation, HostObject, Shape, Style, new_id
from overshoulder.plugins.maya.defaults import MADE_FOR_ATTR, NOTE_ATTR_PREFIX, STORE_NODE
from tests.fakes.maya_control import fake, on_main

GREEN = (0.0, 1.0, 0.0, 1.0)


def stroke_note(frame: int, about: Any = None, text: str = "lift the arm") -> Annotation:
    """A browser-like stroke across the upper part of the frame (y = 0.2, x -0.4..0.4)."""
    return Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.4, 0.2], [0.0, 0.2], [0.4, 0.2]]),
        anchor=Anchor(frame=frame, object=about),
        style=Style(color=GREEN, width=0.02),
        text=text,
        author_name="Sam",
    )


def store_json(cmds: ModuleType) -> dict[str, Any]:
    def read() -> dict[str, Any]:
        out = {}
        for attr in cmds.listAttr(STORE_NODE, userDefined=True):
            if attr.startswith(NOTE_ATTR_PREFIX):
                out[attr] = json.loads(cmds.getAttr(f"{STORE_NODE}.{attr}"))
        return out

    return on_main(read)


def test_the_anchor_is_the_selected_object_by_uuid_else_the_camera(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    anchor = on_main(maya_host.anchor)
    cam_uuid = on_main(lambda: cmds.ls(shot["camera"], uuid=True)[0])
    assert anchor.object == HostObject(kind="maya.dag", path=cam_uuid, label="|shotCam")
    assert anchor.frame == 1001 and anchor.time.rate == 24.0
    assert anchor.image.version == "untitled:shotCam"

    on_main(lambda: cmds.select(shot["arm"]))
    anchor = on_main(maya_host.anchor)
    arm_uuid = on_main(lambda: cmds.ls(shot["arm"], uuid=True)[0])
    assert (anchor.object.path, anchor.object.label) == (arm_uuid, "|rig|arm_ctrl")

    # Renamed and moved out of the rig: the note's object is still found (jump-to selects it).
    on_main(lambda: cmds.rename("arm_ctrl", "L_arm_ctrl"))
    on_main(lambda: cmds.parent("L_arm_ctrl", world=True))
    on_main(lambda: cmds.select(clear=True))
    assert on_main(lambda: maya_host.select(anchor.object))
    assert on_main(lambda: cmds.ls(selection=True, long=True)) == ["|L_arm_ctrl"]
    on_main(lambda: cmds.delete("L_arm_ctrl"))
    assert not on_main(lambda: maya_host.select(anchor.object))


def test_a_browser_note_becomes_data_and_a_blue_pencil_frame_on_the_camera(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    maya_host.capture()  # the reviewer drew on a 640 x 360 frame
    note = stroke_note(1057)
    on_main(lambda: maya_host.apply_annotation(note))

    stored = store_json(cmds)
    (record,) = stored.values()
    assert record["note"]["anchor"]["frame"] == 1057 and record["note"]["text"] == "lift the arm"
    cam_uuid = on_main(lambda: cmds.ls(shot["camera"], uuid=True)[0])
    assert record["camera"] == record["sketch_camera"] == cam_uuid
    assert record["callout"] is None, "a note about no object gets no callout"

    # The Blue Pencil frame: on shotCam, at 1057 only, the stroke green where it was drawn.
    from maya._fake import png_size, read_png

    assert fake().sketch_imports[-1]["how"] == "bluePencil"
    frames = fake().sketches[cam_uuid]
    assert list(frames) == [1057]
    assert png_size(frames[1057]) == (640, 360)
    pixels = read_png(frames[1057])
    y = round(360 / 2 - 0.2 * 360)
    assert tuple(pixels[y, 320]) == (0, 255, 0, 255)
    assert pixels[300, 320, 3] == 0, "transparent away from the mark"
    assert fake().undo_stack == [], "nothing of ours in the artist's undo queue"


def test_the_pencil_frame_goes_on_the_notes_camera_and_the_view_comes_back(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    note = stroke_note(1020)
    on_main(lambda: maya_host.apply_annotation(note))  # seen through shotCam
    on_main(lambda: cmds.lookThru("modelPanel4", "persp"))
    changed = dataclasses.replace(note, status="done")
    on_main(lambda: maya_host.apply_annotation(changed))
    persp = on_main(lambda: cmds.ls("persp", uuid=True)[0])
    assert persp not in fake().sketches, "an update does not draw again, elsewhere"
    second = stroke_note(1030, about=on_main(maya_host.anchor).object)  # about persp
    on_main(lambda: cmds.lookThru("modelPanel4", "shotCam"))
    on_main(lambda: maya_host.apply_annotation(second))
    assert list(fake().sketches[persp]) == [1030]
    assert on_main(lambda: cmds.modelPanel("modelPanel4", query=True, camera=True)) == "shotCam"


def test_words_about_an_object_become_a_callout_on_that_frame_only(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    on_main(lambda: cmds.select(shot["arm"]))
    note = stroke_note(1057, about=on_main(maya_host.anchor).object, text="arm too stiff")
    on_main(lambda: maya_host.apply_annotation(note))
    (record,) = store_json(cmds).values()
    callout = on_main(lambda: cmds.ls(record["callout"], long=True)[0])
    shape = on_main(lambda: cmds.listRelatives(callout, shapes=True, fullPath=True)[0])
    assert on_main(lambda: cmds.nodeType(shape)) == "annotationShape"
    assert on_main(lambda: cmds.getAttr(shape + ".text")) == "Sam: arm too stiff"
    assert fake().resolve(shape).target == on_main(lambda: cmds.ls(shot["arm"], uuid=True)[0])
    assert on_main(lambda: cmds.getAttr(f"{callout}.{MADE_FOR_ATTR}")) == note.id
    seen = {
        f: on_main(lambda f=f: cmds.getAttr(callout + ".visibility", time=f))
        for f in (1056, 1057, 1058)
    }
    assert seen == {1056: False, 1057: True, 1058: False}

    # New words: a new callout; deleting the note deletes it.
    on_main(lambda: maya_host.apply_annotation(dataclasses.replace(note, text="better")))
    (record2,) = store_json(cmds).values()
    assert record2["callout"] != record["callout"]
    assert not on_main(lambda: cmds.ls(record["callout"])), "the old callout is gone"
    on_main(lambda: maya_host.remove_annotation(note.id))
    assert not on_main(lambda: cmds.ls(record2["callout"]))
    assert store_json(cmds) == {}


def test_a_range_note_s_callout_is_visible_over_its_range_and_follows_a_new_range(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    on_main(lambda: cmds.select(shot["arm"]))
    about = on_main(maya_host.anchor).object
    note = dataclasses.replace(
        stroke_note(1012, about=about, text="this pop"),
        anchor=Anchor(1012, object=about, duration=9),
    )
    on_main(lambda: maya_host.apply_annotation(note))

    def seen() -> dict[int, bool]:
        (record,) = store_json(cmds).values()
        callout = on_main(lambda: cmds.ls(record["callout"], long=True)[0])
        return {
            f: on_main(lambda f=f: cmds.getAttr(callout + ".visibility", time=f))
            for f in (1011, 1012, 1016, 1020, 1021)
        }

    assert seen() == {1011: False, 1012: True, 1016: True, 1020: True, 1021: False}
    # The range shrinks in the session: the callout's keys follow.
    shorter = dataclasses.replace(note, anchor=note.anchor.over(1012, 1015))
    on_main(lambda: maya_host.apply_annotation(shorter))
    assert seen() == {1011: False, 1012: True, 1016: False, 1020: False, 1021: False}


def test_notes_survive_save_and_reopen(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str], tmp_path: Path
) -> None:
    on_main(lambda: cmds.select(shot["arm"]))
    about = on_main(maya_host.anchor).object
    notes = [stroke_note(1057, about=about), stroke_note(1060)]
    for n in notes:
        on_main(lambda n=n: maya_host.apply_annotation(n))
    scene = tmp_path / "sh010_anim_v003.ma"
    on_main(lambda: cmds.file(rename=str(scene)))
    on_main(lambda: cmds.file(save=True, type="mayaAscii"))
    on_main(lambda: cmds.file(new=True, force=True))
    assert on_main(maya_host.stored_annotations) == []
    on_main(lambda: cmds.file(str(scene), open=True, force=True))

    kept = {n.id: n for n in on_main(maya_host.stored_annotations)}
    assert kept == {n.id: n for n in notes}
    cam_uuid = on_main(lambda: cmds.ls("shotCam", uuid=True)[0])
    assert sorted(fake().sketches[cam_uuid]) == [1057, 1060]
    (callout,) = [r["callout"] for r in store_json(cmds).values() if r["callout"]]
    assert on_main(lambda: cmds.ls(callout, long=True))
    assert on_main(maya_host.anchor).image.version == "sh010_anim_v003.ma:shotCam"


def test_maya_2022_gets_grease_pencil_frames(
    maya_host: Any, cmds: ModuleType, shot: dict[str, str]
) -> None:
    fake().version = "2022"
    note = stroke_note(1044)
    on_main(lambda: maya_host.apply_annotation(note))
    assert fake().sketch_imports[-1]["how"] == "greasePencil"
    cam_uuid = on_main(lambda: cmds.ls("shotCam", uuid=True)[0])
    assert list(fake().sketches[cam_uuid]) == [1044]


def test_a_pencil_that_fails_leaves_the_note_in_the_scene(
    maya_host: Any, cmds: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    fake().plugins_available.discard("bluePencil")
    note = stroke_note(1044)
    on_main(lambda: maya_host.apply_annotation(note))
    assert [n.id for n in on_main(maya_host.stored_annotations)] == [note.id]
    assert fake().sketches == {}


def test_the_archive_names_each_frame_and_its_time() -> None:
    import io
    import xml.etree.ElementTree as ET
    import zipfile

    from overshoulder.plugins.maya import sketches

    note = stroke_note(57)
    frame = sketches.frame_for([note], 64, 36)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(sketches.ARCHIVE_XML, sketches.archive_xml([frame], 23.976))
    root = ET.fromstring(zipfile.ZipFile(buffer).read("greasePencil.xml"))
    assert root.tag == "greasepencil"
    assert root.find("./settings/setting").attrib["fps"] == "23.976"
    (listed,) = root.findall("./frames/frame")
    assert listed.attrib == {"time": "57", "file": frame.name, "layer": "0", "duration": "1"}


def test_two_notes_on_one_frame_share_its_pencil_frame(maya_host: Any, cmds: ModuleType) -> None:
    from maya._fake import read_png

    maya_host.capture()
    high, low = stroke_note(1050), stroke_note(1050)
    low = dataclasses.replace(low, shape=Shape(kind="line", start=(-0.4, -0.2), end=(0.4, -0.2)))
    for n in (high, low):
        on_main(lambda n=n: maya_host.apply_annotation(n))
    cam_uuid = on_main(lambda: cmds.ls("shotCam", uuid=True)[0])
    pixels = read_png(fake().sketches[cam_uuid][1050])
    assert pixels[round(180 - 0.2 * 360), 320, 3] == 255, "the first note's mark"
    assert pixels[round(180 + 0.2 * 360), 320, 3] == 255, "the second note's mark"


def layers(cmds: ModuleType, camera: str = "shotCam") -> list[dict[str, Any]]:
    cam_uuid = on_main(lambda: cmds.ls(camera, uuid=True)[0])
    return list(fake().pencil_layers.get(cam_uuid, []))


def test_each_note_gets_one_named_blue_pencil_layer_that_applying_again_replaces(
    maya_host: Any, cmds: ModuleType
) -> None:
    from overshoulder.plugins.maya.sketches import layer_name

    maya_host.capture()
    first, second = stroke_note(1050), stroke_note(1050)
    for n in (first, second, first, second):  # a reconnect re-applies every note
        on_main(lambda n=n: maya_host.apply_annotation(n))
    assert [layer["name"] for layer in layers(cmds)] == [
        layer_name(first.id),
        layer_name(second.id),
    ]
    assert all(list(layer["frames"]) == [1050] for layer in layers(cmds))

    # New marks for the first note: its own layer is replaced, nothing piles up.
    moved = dataclasses.replace(
        first, shape=Shape(kind="line", start=(-0.4, -0.3), end=(0.4, -0.3))
    )
    on_main(lambda: maya_host.apply_annotation(moved))
    names = [layer["name"] for layer in layers(cmds)]
    assert sorted(names) == sorted([layer_name(first.id), layer_name(second.id)])
    from maya._fake import read_png

    (mine,) = [layer for layer in layers(cmds) if layer["name"] == layer_name(first.id)]
    pixels = read_png(mine["frames"][1050])
    assert pixels[round(180 + 0.3 * 360), 320, 3] == 255, "the new line"
    assert pixels[round(180 - 0.2 * 360), 320, 3] == 0, "the old stroke is gone"
    assert fake().undo_stack == []


def test_removing_a_note_removes_its_blue_pencil_layer(maya_host: Any, cmds: ModuleType) -> None:
    from overshoulder.plugins.maya.sketches import layer_name

    kept, gone = stroke_note(1040), stroke_note(1040)
    for n in (kept, gone):
        on_main(lambda n=n: maya_host.apply_annotation(n))
    on_main(lambda: maya_host.remove_annotation(gone.id))
    assert [layer["name"] for layer in layers(cmds)] == [layer_name(kept.id)]


def test_a_maya_whose_blue_pencil_lacks_import_archive_keeps_notes_as_data_and_says_so(
    maya_host: Any, cmds: ModuleType
) -> None:
    fake().version = "2023"
    fake().missing_flags["bluePencilFrame"] = {"importArchive", "ia"}
    warnings: list[tuple[str, Any]] = []
    maya_host.events.warning = lambda key, text: warnings.append((key, text))
    note = stroke_note(1044)
    on_main(lambda: maya_host.apply_annotation(note))
    assert [n.id for n in on_main(maya_host.stored_annotations)] == [note.id]
    assert not any(fake().pencil_layers.values()) and fake().sketches == {}
    ((key, text),) = set(warnings)
    assert key == "maya.pencil"
    assert "bluePencilFrame -importArchive" in text and "kept as data" in text


def test_when_help_cannot_tell_an_invalid_flag_from_maya_is_caught_and_said(
    maya_host: Any, cmds: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_help(*args: Any, **kw: Any) -> str:
        raise RuntimeError("help: no help for this command")

    monkeypatch.setattr(cmds, "help", no_help)
    fake().missing_flags["bluePencilFrame"] = {"importArchive", "ia"}
    warnings: list[str] = []
    maya_host.events.warning = lambda key, text: warnings.append(text)
    on_main(lambda: maya_host.apply_annotation(stroke_note(1044)))
    assert fake().pencil_layers.get(on_main(lambda: cmds.ls("shotCam", uuid=True)[0])) in (None, [])
    assert warnings and "Invalid flag 'importArchive'" in warnings[0]

"""End to end, the animator's journey: Leo shares the Maya viewport through shotCam, a director
draws on frame 57 in a browser, the drawing comes back into the scene on shotCam at 57.

Maya here is the FAKE of tests/fakes (Maya cannot run on this machine); everything else is
real: the Overshoulder panel (Qt, offscreen) on the Maya adapter, a relay process, Debian's
Chromium with the browser reviewer, a Python reviewer, the saved scene file, and the viewer
overlay's pixels on both Qt bindings. The panel's GUI thread is Maya's main thread, as in Maya.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.links import parse_invite
from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id
from tests.conftest import RelayProcess
from tests.fakes import maya_control

from .apps import colour_near, overlay_in_child, wait, wait_qt
from .conftest import Review

WIDTH, HEIGHT = 640, 360
FRAME = 57
#: The browser reviewer's stroke, in image pixels (y down): a line across the upper third.
STROKE_PX = [(160.0, 100.0), (260.0, 100.0), (360.0, 100.0), (480.0, 100.0)]
#: The Python reviewer's green rectangle, in ORI coordinates (height-normalised, centre, y up).
RECT_MIN, RECT_MAX = (-0.3, -0.3), (0.3, 0.1)


def ori_to_px(x: float, y: float) -> tuple[int, int]:
    return round(x * HEIGHT + WIDTH / 2), round(HEIGHT / 2 - y * HEIGHT)


RECT_LEFT = ori_to_px(RECT_MIN[0], (RECT_MIN[1] + RECT_MAX[1]) / 2)
RECT_TOP = ori_to_px(0.0, RECT_MAX[1])
#: (frame, x, y, colour, expected): where the overlay must (and must not) show each mark.
CHECKS = [
    (FRAME, 210, 100, "red", True),
    (FRAME, 420, 100, "red", True),
    (FRAME, 320, 330, "red", False),
    (FRAME, *RECT_LEFT, "green", True),
    (FRAME, *RECT_TOP, "green", True),
    (FRAME, 320, 216, "green", False),  # inside the rectangle: an outline, not a fill
    (FRAME + 1, 320, 100, "red", False),  # another frame shows neither
    (FRAME + 1, *RECT_TOP, "green", False),
]


@pytest.fixture
def qt() -> Iterator[Any]:
    from tests.ui import qt

    qt.app()
    yield qt
    qt.pump(0.05)


@pytest.fixture
def maya(qt: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake Maya in a GUI session whose main thread is the Qt GUI thread, with a shot
    looked through shotCam at frame 57 and a widget standing in for modelPanel4's viewport."""
    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(tmp_path / "config"))
    cmds = maya_control.install()
    paths = maya_control.build_shot(first=1, last=100, width=WIDTH, height=HEIGHT)
    cmds.currentTime(FRAME)
    main = maya_control.QtMainThread()
    viewport = qt.QtWidgets.QWidget()
    viewport.resize(WIDTH, HEIGHT)
    viewport.show()
    maya_control.fake().panel_widgets["modelPanel4"] = viewport
    qt.pump(0.05)
    yield cmds, paths
    main.stop()
    viewport.close()
    viewport.deleteLater()
    errors = list(maya_control.fake().callback_errors)
    maya_control.reset()
    assert not errors, errors


def stored(cmds: Any) -> dict[str, Any]:
    """The notes node's records (note id -> record), read as a TD would in the script editor."""
    from overshoulder.plugins.maya.defaults import NOTE_ATTR_PREFIX, STORE_NODE

    if not cmds.objExists(STORE_NODE):
        return {}
    out = {}
    for attr in cmds.listAttr(STORE_NODE, userDefined=True):
        if attr.startswith(NOTE_ATTR_PREFIX):
            record = json.loads(cmds.getAttr(f"{STORE_NODE}.{attr}"))
            out[record["note"]["id"]] = record
    return out


def test_maya_shares_a_director_draws_and_the_drawing_lands_on_shotcam_at_57(
    maya: Any, qt: Any, relay_proc: RelayProcess, browser_context: Any, tmp_path: Path
) -> None:
    from maya._fake import read_png

    from overshoulder.plugins.maya.host import MayaHost
    from overshoulder.plugins.maya.panel import MayaPanel

    cmds, paths = maya

    # Leo opens the panel, names the relay and himself, and presses Share.
    panel = MayaPanel()
    panel.show()
    panel.relay_edit.setText(relay_proc.url)
    panel.name_edit.setText("Leo")
    panel.share_button.click()
    link = wait_qt(qt, lambda: panel.invite_link_edit.text().strip(), "the invite link")
    assert "/s/" in link and "#t=" in link
    assert panel.overlay is not None, "the overlay sits on Maya's viewport while in a session"

    invite = parse_invite(link)
    sid = link.split("/s/")[1].split("#")[0]
    review = Review(relay_proc, sid, "", None, browser_context)
    dana: SessionClient | None = None
    try:
        # The director opens the link and sees Maya's viewport at frame 57.
        page = review.open(link, expect_live=False)
        page.page.locator("#name-form input").fill("Sam")
        page.page.locator("#name-form button").click()
        page.wait_live()
        wait(
            qt,
            page,
            lambda: any(frame == FRAME for (_, _, frame) in page.packets),
            "Maya's frame 57 at the browser",
        )

        # She draws over the arm; a supervisor's Python client adds a rectangle.
        left, top, scale = page.image_rect(WIDTH, HEIGHT)
        page.drag([(left + x * scale, top + y * scale) for x, y in STROKE_PX])
        dana = SessionClient(invite.relay, relay_proc.invite(sid, "reviewer"), "Dana")
        dana.start()
        wait(qt, page, lambda: dana is not None and dana.state == "synced", "Dana to join")
        rect = Annotation(
            id=new_id(),
            shape=Shape(kind="rect", min=RECT_MIN, max=RECT_MAX),
            anchor=Anchor(frame=FRAME),
            style=Style(color=(0.1, 0.9, 0.1, 1.0), width=0.006),
            text="keep the elbow inside this box",
        )
        dana.add_annotation(rect)

        # Both land in the scene: on the notes node, seen through shotCam, at frame 57.
        notes = wait(
            qt,
            page,
            lambda: (lambda n: n if len(n) == 2 else None)(stored(cmds)),
            "both notes on the notes node",
        )
        cam_uuid = cmds.ls(paths["camera"], uuid=True)[0]
        assert {r["camera"] for r in notes.values()} == {cam_uuid}
        assert {r["note"]["anchor"]["frame"] for r in notes.values()} == {FRAME}
        stroke_id = next(i for i in notes if i != rect.id)
        assert notes[stroke_id]["note"]["shape"]["kind"] == "stroke"
        assert notes[rect.id]["note"]["text"] == "keep the elbow inside this box"

        # ... and as Blue Pencil frames on shotCam at 57 only, the stroke where she drew it.
        sketches = maya_control.fake().sketches[cam_uuid]
        assert list(sketches) == [FRAME]
        pencil = read_png(sketches[FRAME])
        assert pencil.shape[:2] == (HEIGHT, WIDTH)
        assert pencil[100, 320, 3] > 150 and pencil[330, 320, 3] == 0

        # The panel lists both under frame 57; the overlay paints them there, not on 58.
        rows = wait(
            qt,
            page,
            lambda: (lambda r: r if len(r) == 2 else None)(panel.note_rows()),
            "both notes in the panel's list",
        )
        assert {frame for frame, _, _ in rows} == {FRAME}
        got = []
        for frame, x, y, colour, _ in CHECKS:
            cmds.currentTime(frame)
            qt.pump(0.1)
            got.append(colour_near(panel.overlay.grab().toImage(), x, y, colour))
        assert got == [expected for (*_, expected) in CHECKS]
        cmds.currentTime(FRAME)
    finally:
        if dana is not None:
            dana.close()
        for p in review.pages:
            errors = list(p.errors)
            p.page.close()
            assert not errors, errors
        panel.close_session()
        wait_qt(qt, lambda: not panel.closing, "the panel to leave the session")
        panel.close()
        panel.deleteLater()

    # After the call: save, new scene, reopen. The notes and the pencil frames are still there.
    scene = tmp_path / "sh010_anim_v003.ma"
    cmds.file(rename=str(scene))
    cmds.file(save=True, type="mayaAscii")
    cmds.file(new=True, force=True)
    assert stored(cmds) == {}
    cmds.file(str(scene), open=True, force=True)
    reopened = MayaHost()
    kept = {n.id: n for n in reopened.stored_annotations()}
    assert set(kept) == {rect.id, stroke_id}
    assert {n.anchor.frame for n in kept.values()} == {FRAME}
    assert list(maya_control.fake().sketches[cmds.ls("shotCam", uuid=True)[0]]) == [FRAME]

    # And the overlay paints the reopened scene's notes on both Qt bindings.
    checks_file = tmp_path / "checks.json"
    checks_file.write_text(
        json.dumps(
            {
                "width": WIDTH,
                "height": HEIGHT,
                "checks": [{"frame": f, "x": x, "y": y, "colour": c} for (f, x, y, c, _) in CHECKS],
            }
        )
    )
    for binding in ("PySide6", "PySide2"):
        out = overlay_in_child(
            "tests.browser.maya_overlay_check", binding, scene, checks_file, tmp_path
        )
        assert out["binding"] == binding
        assert out["notes"] == sorted([rect.id, stroke_id])
        assert out["results"] == [expected for (*_, expected) in CHECKS], binding

"""End to end, the flagship journey: a compositor shares from Nuke, reviewers draw, the notes stay.

Nuke here is the FAKE of tests/fakes (Nuke cannot run on this machine); everything else is real:
the Overshoulder panel (Qt, offscreen) on the Nuke adapter, a relay process, Debian's Chromium
with the browser reviewer, a Python reviewer, the saved script file, and the viewer overlay's
pixels on both Qt bindings. The panel's GUI thread is Nuke's main thread, as in Nuke.
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
from tests.fakes import nuke_control

from .apps import colour_near, overlay_in_child, wait, wait_qt
from .conftest import Review

WIDTH, HEIGHT = 640, 360
FIRST = 1001
#: The browser reviewer's stroke, in image pixels (y down): a line across the upper third.
STROKE_PX = [(160.0, 100.0), (260.0, 100.0), (360.0, 100.0), (480.0, 100.0)]
#: The Python reviewer's green rectangle, in ORI coordinates (height-normalised, centre, y up).
RECT_MIN, RECT_MAX = (-0.3, -0.3), (0.3, 0.1)


def ori_to_px(x: float, y: float) -> tuple[int, int]:
    return round(x * HEIGHT + WIDTH / 2), round(HEIGHT / 2 - y * HEIGHT)


#: (frame, x, y, colour, expected): where the overlay must (and must not) show each mark.
RECT_LEFT = ori_to_px(RECT_MIN[0], (RECT_MIN[1] + RECT_MAX[1]) / 2)
RECT_TOP = ori_to_px(0.0, RECT_MAX[1])
CHECKS = [
    (FIRST, 210, 100, "red", True),
    (FIRST, 420, 100, "red", True),
    (FIRST, 320, 330, "red", False),
    (FIRST, *RECT_LEFT, "green", True),
    (FIRST, *RECT_TOP, "green", True),
    (FIRST, 320, 216, "green", False),  # inside the rectangle: an outline, not a fill
    (FIRST + 1, 320, 100, "red", False),  # another frame shows neither
    (FIRST + 1, *RECT_TOP, "green", False),
]


@pytest.fixture
def qt() -> Iterator[Any]:
    from tests.ui import qt

    qt.app()
    yield qt
    qt.pump(0.05)


@pytest.fixture
def nuke(qt: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fake Nuke in a GUI session whose main thread is the Qt GUI thread, with a comp."""
    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(tmp_path / "config"))
    module = nuke_control.install(gui=True)
    comp = nuke_control.build_comp(first=FIRST, last=FIRST + 9, width=WIDTH, height=HEIGHT)
    main = nuke_control.QtMainThread()
    viewer_panel = fake_viewer_panel(qt, "Viewer1")
    yield module, comp
    main.stop()
    viewer_panel.close()
    viewer_panel.deleteLater()
    errors = list(module._fake.callback_errors)
    nuke_control.reset()
    assert not errors, errors


def fake_viewer_panel(qt: Any, title: str) -> Any:
    """Stands in for Nuke's viewer pane: a window titled after the Viewer node whose image
    area is a widget with "GL" in its class name (Nuke's own is an OpenGL widget)."""
    QtWidgets = qt.QtWidgets

    class ViewerGLWidget(QtWidgets.QWidget):  # type: ignore[misc]
        pass

    panel = QtWidgets.QWidget()
    panel.setWindowTitle(title)
    layout = QtWidgets.QVBoxLayout(panel)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(ViewerGLWidget(panel))
    panel.resize(WIDTH, HEIGHT)
    panel.show()
    qt.pump(0.05)
    return panel


def stored_notes(node: Any) -> dict[str, Any]:
    from overshoulder.plugins.nuke.defaults import NOTES_KNOB

    knob = node.knob(NOTES_KNOB)
    return dict(json.loads(knob.value())) if knob is not None and knob.value() else {}


def test_nuke_shares_reviewers_draw_and_the_notes_stay_in_the_script(
    nuke: Any,
    qt: Any,
    relay_proc: RelayProcess,
    browser_context: Any,
    tmp_path: Path,
) -> None:
    from overshoulder.plugins.nuke.host import NukeHost
    from overshoulder.plugins.nuke.panel import NukePanel

    module, comp = nuke

    # The compositor opens the panel, names the relay and herself, and presses Share:
    # a session is made, Nuke's viewer is shared, and a reviewer link is ready to send.
    panel = NukePanel()
    panel.show()
    panel.relay_edit.setText(relay_proc.url)
    panel.name_edit.setText("Mia")
    panel.share_button.click()
    link = wait_qt(qt, lambda: panel.invite_link_edit.text().strip(), "the invite link")
    assert "/s/" in link and "#t=" in link
    assert panel.overlay is not None, "the overlay sits on Nuke's viewer while in a session"

    invite = parse_invite(link)
    sid = link.split("/s/")[1].split("#")[0]
    review = Review(relay_proc, sid, "", None, browser_context)
    dana: SessionClient | None = None
    try:
        # The director opens the link in a browser, says who she is, and sees Nuke's frame.
        page = review.open(link, expect_live=False)
        page.page.locator("#name-form input").fill("Sam")
        page.page.locator("#name-form button").click()
        page.wait_live()
        wait(
            qt,
            page,
            lambda: any(frame == FIRST for (_, _, frame) in page.packets),
            "Nuke's frame 1001 at the browser",
        )

        # She draws a stroke over the frame; a supervisor's Python client adds a rectangle.
        left, top, scale = page.image_rect(WIDTH, HEIGHT)
        page.drag([(left + x * scale, top + y * scale) for x, y in STROKE_PX])
        dana = SessionClient(invite.relay, relay_proc.invite(sid, "reviewer"), "Dana")
        dana.start()
        wait(qt, page, lambda: dana is not None and dana.state == "synced", "Dana to join")
        rect = Annotation(
            id=new_id(),
            shape=Shape(kind="rect", min=RECT_MIN, max=RECT_MAX),
            anchor=Anchor(frame=FIRST),
            style=Style(color=(0.1, 0.9, 0.1, 1.0), width=0.006),
            text="keep the grade inside this box",
        )
        dana.add_annotation(rect)

        # Both notes land in the script: JSON in the hidden knob of the node the viewer shows,
        # at the frame they were drawn on.
        grade = comp["grade"]
        notes = wait(
            qt,
            page,
            lambda: (lambda n: n if len(n) == 2 else None)(stored_notes(grade)),
            "both notes in Grade1's knob",
        )
        assert rect.id in notes
        stroke_id = next(i for i in notes if i != rect.id)
        assert {n["anchor"]["frame"] for n in notes.values()} == {FIRST}
        assert notes[stroke_id]["shape"]["kind"] == "stroke"
        assert notes[rect.id]["text"] == "keep the grade inside this box"
        assert grade.knob("overshoulder_notes").getFlag(module.INVISIBLE), "a hidden knob"

        # The panel lists both under frame 1001, with their authors.
        rows = wait(
            qt,
            page,
            lambda: (lambda r: r if len(r) == 2 else None)(panel.note_rows()),
            "both notes in the panel's list",
        )
        assert {frame for frame, _, _ in rows} == {FIRST}
        texts = " ".join(text for _, _, text in rows)
        assert "Dana" in texts and "keep the grade inside this box" in texts

        # The overlay over Nuke's viewer paints them where they were drawn (PySide6, here).
        got = []
        for frame, x, y, colour, _ in CHECKS:
            module.frame(frame)
            qt.pump(0.1)
            got.append(colour_near(panel.overlay.grab().toImage(), x, y, colour))
        assert got == [expected for (*_, expected) in CHECKS]
        module.frame(FIRST)
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

    # After the call: save the script, close it, open it again. The notes are still on Grade1.
    script = tmp_path / "sh010_comp_v004.nk"
    module.scriptSave(str(script))
    module.scriptClear()
    assert not stored_notes(module.root())
    module.scriptOpen(str(script))
    reopened = NukeHost(main_thread=None)
    kept = {n.id: n for n in reopened.stored_annotations()}
    assert set(kept) == {rect.id, stroke_id}
    assert {n.anchor.frame for n in kept.values()} == {FIRST}
    assert set(stored_notes(module.toNode("Grade1"))) == {rect.id, stroke_id}

    # And the overlay paints the reopened script's notes on both Qt bindings.
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
            "tests.browser.nuke_overlay_check", binding, script, checks_file, tmp_path
        )
        assert out["binding"] == binding
        assert out["notes"] == sorted([rect.id, stroke_id])
        assert out["results"] == [expected for (*_, expected) in CHECKS], binding

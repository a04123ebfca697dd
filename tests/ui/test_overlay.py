"""The viewer overlay: its pixels, mouse pass-through, and drawing into a live session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.host import ViewerView
from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id
from overshoulder.core.share import Sharer
from overshoulder.core.ui import ViewerOverlay
from overshoulder.core.ui.dispatch import GuiDispatcher

from .hosts import ClickLog, ViewerHost, mouse, shown, tablet
from .qt import QtCore, app, pump, wait_for

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"
RED = (1.0, 0.0, 0.0, 1.0)
GREEN = (0.0, 1.0, 0.0, 1.0)
BLUE = (0.0, 0.0, 1.0, 1.0)


def is_red(c: Any) -> bool:
    return c.red() > 200 and c.green() < 80 and c.blue() < 80 and c.alpha() > 200


def is_green(c: Any) -> bool:
    return c.green() > 200 and c.red() < 80 and c.blue() < 80 and c.alpha() > 200


def is_blue(c: Any) -> bool:
    return c.blue() > 200 and c.red() < 80 and c.green() < 80 and c.alpha() > 200


def note(shape: Shape, color: tuple[float, float, float, float], frame: int = 1001, **kw: Any):
    return Annotation(
        id=new_id(), shape=shape, anchor=Anchor(frame=frame), style=Style(color=color, width=0.02)
    )


@pytest.fixture
def viewer() -> Iterator[ClickLog]:
    app()
    with shown(ClickLog(), 400, 200) as widget:
        yield widget


@pytest.fixture
def host(viewer: ClickLog) -> Iterator[ViewerHost]:
    h = ViewerHost(viewer)
    yield h
    h.shut()


def marks() -> list[Annotation]:
    """A red stroke across the top, a green box bottom-left, blue text bottom-right (frame 1001)."""
    return [
        note(Shape(kind="stroke", points=[[-0.5, 0.25], [0.0, 0.25], [0.5, 0.25]]), RED),
        note(Shape(kind="rect", min=(-0.8, -0.4), max=(-0.6, -0.2)), GREEN),
        note(Shape(kind="text", at=(0.3, -0.3), text="WW", size=0.1), BLUE),
        note(Shape(kind="stroke", points=[[0, 0], [0.1, 0]]), RED, frame=1002),
    ]


def pixels(overlay: ViewerOverlay) -> Any:
    pump(0.05)
    return overlay.grab().toImage()


def where(image: Any, test: Any) -> set[tuple[int, int]]:
    return {
        (x, y)
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if test(image.pixelColor(x, y))
    }


def test_marks_of_the_current_frame_are_drawn_where_the_image_puts_them(viewer, host):
    overlay = ViewerOverlay(viewer, host)
    overlay.set_image_size(200, 100)  # fitted into 400 x 200: 2 widget px per image px
    overlay.set_annotations(marks())
    image = pixels(overlay)
    assert (image.width(), image.height()) == (400, 200)
    # The stroke: y = 0.25 -> widget row 50, x from -0.5 to 0.5 -> columns 100 to 300, 4 px wide.
    assert is_red(image.pixelColor(200, 50)) and is_red(image.pixelColor(102, 50))
    red = where(image, is_red)
    assert red and all(96 <= x <= 304 and 46 <= y <= 54 for x, y in red)
    # The box: x -0.8..-0.6 -> 40..80, y -0.4..-0.2 -> rows 180..140; its edges, not its inside.
    assert is_green(image.pixelColor(40, 160)) and is_green(image.pixelColor(60, 140))
    assert not is_green(image.pixelColor(60, 160))
    green = where(image, is_green)
    assert green and all(34 <= x <= 86 and 134 <= y <= 186 for x, y in green)
    # The text: from its baseline at (260, 160), 20 px high.
    blue = where(image, is_blue)
    assert blue and all(256 <= x <= 340 and 136 <= y <= 166 for x, y in blue)
    # Frame 1002's note is not shown on 1001; it is once the playhead moves there.
    assert not is_red(image.pixelColor(210, 100))
    host.frame = 1002
    image = pixels(overlay)
    assert wait_for(lambda: is_red(overlay.grab().toImage().pixelColor(210, 100)))


def test_a_range_note_is_painted_on_a_middle_frame_and_not_after_its_range(viewer, host):
    overlay = ViewerOverlay(viewer, host)
    overlay.set_image_size(200, 100)
    pop = Annotation(
        id=new_id(),
        shape=Shape(kind="stroke", points=[[-0.5, 0.25], [0.0, 0.25], [0.5, 0.25]]),
        anchor=Anchor(frame=1012, duration=9),
        style=Style(color=RED, width=0.02),
    )
    overlay.set_annotations([pop])
    host.frame = 1016
    assert wait_for(lambda: is_red(overlay.grab().toImage().pixelColor(200, 50)))
    host.frame = 1021
    assert wait_for(lambda: not is_red(overlay.grab().toImage().pixelColor(200, 50)))
    host.frame = 1011
    assert wait_for(lambda: not is_red(overlay.grab().toImage().pixelColor(200, 50)))
    host.frame = 1020
    assert wait_for(lambda: is_red(overlay.grab().toImage().pixelColor(200, 50)))


def test_a_panned_and_zoomed_viewer_moves_the_marks_with_the_image(viewer, host):
    overlay = ViewerOverlay(viewer, host)
    overlay.set_annotations(marks()[:1])
    host.view = ViewerView(200, 100, (100, 50, 200, 100))  # 1:1, panned to the middle
    image = pixels(overlay)
    # y = 0.25 -> 50 + 25 = row 75; x -0.5..0.5 -> 150..250.
    assert is_red(image.pixelColor(200, 75)) and not is_red(image.pixelColor(200, 50))
    assert all(146 <= x <= 254 and 71 <= y <= 79 for x, y in where(image, is_red))
    host.view = ViewerView(200, 100, (-100, -50, 600, 300))  # zoomed 3x around the centre
    assert wait_for(lambda: is_red(overlay.grab().toImage().pixelColor(200, 25)))
    red = where(overlay.grab().toImage(), is_red)
    assert red and all(15 <= y <= 35 for _, y in red)


def test_the_overlay_follows_the_viewers_size(viewer, host):
    overlay = ViewerOverlay(viewer, host)
    viewer.resize(300, 150)
    assert wait_for(lambda: (overlay.width(), overlay.height()) == (300, 150))


def click_window(widget: Any, x: int, y: int) -> None:
    """A click as the window system delivers it: to whichever widget is at (x, y)."""
    from Qt import QtTest

    window = widget.window().windowHandle()
    QtTest.QTest.mouseClick(
        window,
        QtCore.Qt.MouseButton.LeftButton,
        QtCore.Qt.KeyboardModifier.NoModifier,
        widget.mapTo(widget.window(), QtCore.QPoint(x, y)),
    )
    pump()


def test_without_a_tool_clicks_go_through_to_the_viewer(viewer, host):
    overlay = ViewerOverlay(viewer, host)
    assert overlay.geometry() == viewer.rect() and overlay.isVisible()
    click_window(viewer, 120, 80)
    assert viewer.presses == [(120, 80)]
    overlay.set_tool("pen")
    click_window(viewer, 60, 40)
    assert viewer.presses == [(120, 80)]  # the overlay took it
    overlay.set_tool(None)
    click_window(viewer, 30, 20)
    assert viewer.presses == [(120, 80), (30, 20)]


@pytest.fixture
def live(relay: Any, session: dict[str, Any], host: ViewerHost) -> Iterator[Any]:
    gui = GuiDispatcher()
    client = SessionClient(relay.url, session["host_token"], "Mia", dispatch=gui.post)
    sharer = Sharer(host, client)
    sharer.start()
    client.start()
    rev = SessionClient(relay.url, relay.invite(session["session"]["id"]), "Sam")
    rev.start()
    assert wait_for(lambda: client.state == "synced" and rev.state == "synced")
    yield client, sharer, rev
    sharer.stop()
    client.close()
    rev.close()


def test_a_pen_drag_sends_drafts_then_a_note_the_others_get(viewer, host, live):
    client, sharer, rev = live
    drafts: list[Any] = []
    rev.on("draft", lambda env: drafts.append(env.data))
    overlay = ViewerOverlay(viewer, host)  # no image size: the image fills the widget
    overlay.set_session(sharer)
    overlay.set_color(GREEN)
    overlay.set_tool("pen")
    mouse(overlay, "press", 100, 100)
    for i in range(1, 11):
        mouse(overlay, "move", 100 + 20 * i, 100)
        pump(0.02)
    mouse(overlay, "release", 300, 100)
    assert wait_for(lambda: len(rev.annotations) == 1)
    got = next(iter(rev.annotations.values()))
    assert got.anchor.frame == 1001 and got.shape.kind == "stroke"
    assert got.author == client.participant.id and got.style.color == GREEN
    points = got.shape.points
    # 400 x 200 widget, image 400 x 200: x = (px - 200) / 200, y = (100 - py) / 200.
    assert points[0] == pytest.approx([-0.5, 0.0]) and points[-1] == pytest.approx([0.5, 0.0])
    assert len(points) == 11
    assert any(d.id == got.id and d.shape is not None for d in drafts)
    assert wait_for(lambda: any(d.id == got.id and d.done for d in drafts))
    assert wait_for(lambda: got.id in host.notes)  # into the document too
    # Undo deletes it for everyone; redo brings it back.
    overlay.undo()
    assert wait_for(lambda: not rev.annotations)
    overlay.redo()
    assert wait_for(lambda: got.id in rev.annotations)


def test_others_drafts_and_pointers_show_while_they_draw(viewer, host, live):
    _, sharer, rev = live
    overlay = ViewerOverlay(viewer, host)
    overlay.set_session(sharer)
    from overshoulder.core.protocol.messages import Draft

    mark = Shape(kind="line", start=(-0.5, 0.25), end=(0.5, 0.25))
    draft = Draft(id=new_id(), frame=1001, shape=mark, style=Style(color=BLUE, width=0.02))
    rev.draft(draft)
    assert wait_for(lambda: is_blue(overlay.grab().toImage().pixelColor(200, 50)))
    rev.pointer(0.0, -0.25, frame=1001)
    assert wait_for(lambda: is_red(overlay.grab().toImage().pixelColor(200, 150)))
    rev.draft(Draft(id=draft.id, done=True))
    assert wait_for(lambda: not is_blue(overlay.grab().toImage().pixelColor(200, 50)))


def test_eraser_and_move_change_only_ones_own_notes(viewer, host, live):
    client, sharer, rev = live
    theirs = note(Shape(kind="line", start=(-0.5, -0.25), end=(0.5, -0.25)), BLUE)
    rev.add_annotation(theirs)
    overlay = ViewerOverlay(viewer, host)
    overlay.set_session(sharer)
    overlay.set_tool("line")
    mouse(overlay, "press", 100, 50)
    mouse(overlay, "move", 300, 50)
    mouse(overlay, "release", 300, 50)
    assert wait_for(lambda: len(rev.annotations) == 2 and len(client.annotations) == 2)
    mine = next(n for n in rev.annotations.values() if n.id != theirs.id)
    overlay.set_tool("move")
    mouse(overlay, "press", 200, 50)
    mouse(overlay, "move", 200, 70)
    mouse(overlay, "release", 200, 70)
    assert wait_for(lambda: rev.annotations[mine.id].shape.start == pytest.approx((-0.5, 0.15)))
    # The host may erase anyone's notes (the relay allows it): a host's eraser takes both.
    overlay.set_tool("eraser")
    mouse(overlay, "press", 200, 150)
    mouse(overlay, "release", 200, 150)
    assert wait_for(lambda: theirs.id not in rev.annotations)


def test_a_pen_tablet_draws_with_its_pressure_as_a_stylus_does_in_the_page(viewer, host, live):
    client, sharer, rev = live
    overlay = ViewerOverlay(viewer, host)
    overlay.set_session(sharer)
    overlay.set_tool("pen")
    overlay.set_width(0.02)
    # Light at first, pressing harder along the stroke: each point keeps the pen's pressure.
    assert tablet(overlay, "press", 100, 100, 0.2)
    for i in range(1, 6):
        assert tablet(overlay, "move", 100 + 40 * i, 100, 0.2 + 0.15 * i)
        pump(0.02)
    assert tablet(overlay, "release", 300, 100, 0.0)
    assert wait_for(lambda: len(rev.annotations) == 1)
    got = next(iter(rev.annotations.values()))
    assert got.shape.kind == "stroke"
    points = got.shape.points
    assert [len(p) for p in points] == [3] * 6
    assert [p[2] for p in points] == pytest.approx([0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
    assert points[0][:2] == pytest.approx([-0.5, 0.0])
    assert points[-1][:2] == pytest.approx([0.5, 0.0])
    # Heavier ends are drawn wider: the stroke at the right is thicker than at the left.
    assert wait_for(lambda: got.id in client.annotations)
    overlay.set_tool(None)
    image = pixels(overlay)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(str(ARTIFACTS / "overlay-tablet-pressure.png"))

    def thickness(x: int) -> int:
        return sum(1 for y in range(60, 140) if image.pixelColor(x, y).alpha() > 128)

    assert thickness(290) > thickness(150) > 0
    # A mouse stroke still has plain [x, y] points; with no tool the tablet is left alone.
    overlay.set_tool("pen")
    mouse(overlay, "press", 100, 150)
    mouse(overlay, "move", 200, 150)
    mouse(overlay, "release", 200, 150)
    assert wait_for(lambda: len(rev.annotations) == 2)
    plain = next(n for n in rev.annotations.values() if n.id != got.id)
    assert all(len(p) == 2 for p in plain.shape.points)
    overlay.set_tool(None)
    assert not tablet(overlay, "press", 100, 100, 0.5)


def test_a_mark_begun_while_the_app_plays_stops_it_there_and_a_tap_makes_nothing(
    viewer, host, live
):
    _, sharer, rev = live
    drafts: list[Any] = []
    rev.on("draft", lambda env: drafts.append(env.data))
    overlay = ViewerOverlay(viewer, host)
    overlay.set_session(sharer)
    overlay.set_tool("pen")
    host.frame, host.playing = 1010, True
    # A tap (and a 2 px wobble) is no mark: no draft, no note, and the shot plays on.
    for wobble in (0, 2):
        mouse(overlay, "press", 100, 100)
        mouse(overlay, "move", 100 + wobble, 100)
        mouse(overlay, "release", 100 + wobble, 100)
    pump(0.3)
    assert host.playing and not drafts and not rev.annotations
    # Pen-down on 1010 while it plays: the app moves on before the pen does ...
    mouse(overlay, "press", 100, 100)
    host.frame = 1012
    for i in range(1, 6):
        mouse(overlay, "move", 100 + 20 * i, 100)
        pump(0.02)
    # ... and is stopped on the mark's frame, which the drafts and the note keep.
    assert not host.playing and host.frame == 1010
    host.frame = 1015  # whatever happens by pen-up, the mark is 1010's
    mouse(overlay, "release", 200, 100)
    assert wait_for(lambda: len(rev.annotations) == 1)
    got = next(iter(rev.annotations.values()))
    assert got.anchor.frame == 1010
    marks = [d for d in drafts if d.shape is not None]
    assert marks and all(d.frame == 1010 for d in marks)

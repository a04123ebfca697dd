"""The viewer overlay says who is drawing and on which frame ("Sam is drawing on 1018"), as the
browser page does: from a reviewer's drafts through a real relay, painted offscreen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.model import Shape, Style, new_id
from overshoulder.core.protocol.messages import Draft
from overshoulder.core.share import Sharer
from overshoulder.core.ui import ViewerOverlay
from overshoulder.core.ui.dispatch import GuiDispatcher
from overshoulder.core.ui.drawing_notice import drawing_notices
from tests.conftest import ARTIFACTS

from .hosts import ClickLog, ViewerHost, shown
from .qt import app, wait_for

BLUE = (0.0, 0.0, 1.0, 1.0)


def test_one_notice_per_person_with_the_frame_of_their_latest_draft():
    names = {"p1": "Sam", "p2": "Ana"}
    drafts = [("p1", 1012), ("p2", None), ("p1", 1018), (None, 1001), ("p3", 1002)]
    assert drawing_notices(drafts, names) == [
        ("p1", "Sam is drawing on 1018"),
        ("p2", "Ana is drawing"),  # an older client names no frame
        ("p3", "someone is drawing on 1002"),
    ]


@pytest.fixture
def viewer() -> Iterator[ClickLog]:
    app()
    widget = ClickLog()
    widget.setStyleSheet("background: #3c3c3c;")
    with shown(widget, 480, 270):
        yield widget


@pytest.fixture
def live(relay: Any, session: dict[str, Any], viewer: ClickLog) -> Iterator[Any]:
    host = ViewerHost(viewer)
    gui = GuiDispatcher()
    client = SessionClient(relay.url, session["host_token"], "Mia", dispatch=gui.post)
    sharer = Sharer(host, client)
    sharer.start()
    client.start()
    rev = SessionClient(relay.url, relay.invite(session["session"]["id"]), "Sam")
    rev.start()
    assert wait_for(lambda: client.state == "synced" and rev.state == "synced")

    def joined() -> bool:
        return rev.participant is not None and rev.participant.id in client.participants

    assert wait_for(joined)
    yield host, sharer, rev
    sharer.stop()
    client.close()
    rev.close()
    host.shut()


def light_pixels_near_top(image: Any, width: int) -> int:
    """Light text pixels in the notice's band: the top 40 rows, the middle half."""
    count = 0
    for y in range(8, 40):
        for x in range(width // 4, 3 * width // 4):
            c = image.pixelColor(x, y)
            if c.red() > 170 and c.green() > 170 and c.blue() > 170:
                count += 1
    return count


def test_the_overlay_shows_who_draws_on_which_frame_until_they_let_go(viewer, live):
    host, sharer, rev = live
    overlay = ViewerOverlay(viewer, host)
    overlay.set_image_size(64, 32)
    overlay.set_session(sharer)
    assert host.frame == 1001 and overlay.drawing_notices() == []
    before = light_pixels_near_top(viewer.grab().toImage(), viewer.width())

    mark = Shape(kind="line", start=(-0.5, 0.25), end=(0.5, 0.25))
    draft = Draft(id=new_id(), frame=1018, shape=mark, style=Style(color=BLUE, width=0.02))
    rev.draft(draft)
    sam = rev.participant.id
    assert wait_for(lambda: overlay.drawing_notices() == [(sam, "Sam is drawing on 1018")])
    # Painted over the viewer though the artist is on 1001 (the mark itself is not shown here).
    assert wait_for(
        lambda: light_pixels_near_top(viewer.grab().toImage(), viewer.width()) > before + 40
    )
    picture = viewer.grab()
    folder = ARTIFACTS / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    picture.save(str(folder / "overlay-drawing-notice.png"))

    rev.draft(Draft(id=draft.id, done=True))
    assert wait_for(lambda: overlay.drawing_notices() == [])
    assert wait_for(
        lambda: light_pixels_near_top(viewer.grab().toImage(), viewer.width()) <= before
    )

"""The panel as an artist sees it docked: 320 and 480 px wide, dark (Nuke, Maya) and light.

Every state (before joining, joined as host sharing, joined as reviewer with people, notes and
chat) is rendered offscreen at 320x900 and 480x900 against a real relay; no text may be cut
(unless elided on purpose, with "…"), nothing may stick out, no horizontal scrollbar may show.
The pictures go to test-artifacts/ui/. The same states run on PySide2 in test_bindings.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from overshoulder.core import relay_api
from overshoulder.core.model import Shape, Style, new_id
from overshoulder.core.protocol.messages import Draft
from overshoulder.core.ui import Panel, PanelSettings
from overshoulder.core.ui import panel as panel_module
from overshoulder.core.ui.widgets import GREEN, person_color

from .hosts import ViewerHost, panel_host
from .panel_states import SESSION_NAME, WIDTHS, PanelStates, artifacts_dir, use_app_look
from .qt import QtCore, QtGui, QtWidgets, app, pump, wait_for


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every frame image the panels fetch: (hash, the thread it ran on)."""
    seen: list[tuple[str, str]] = []
    real = relay_api.fetch_frame

    def fetch(relay: str, session_id: str, digest: str, token: str) -> Any:
        seen.append((digest, threading.current_thread().name))
        return real(relay, session_id, digest, token)

    monkeypatch.setattr(relay_api, "fetch_frame", fetch)
    return seen


@pytest.fixture(params=["dark", "light"])
def look(request: pytest.FixtureRequest) -> Iterator[str]:
    app()
    qapp = QtWidgets.QApplication.instance()
    before_style, before_palette = qapp.style().objectName(), QtGui.QPalette(qapp.palette())
    use_app_look(request.param == "dark")
    yield str(request.param)
    qapp.setStyle(QtWidgets.QStyleFactory.create(before_style))
    qapp.setPalette(before_palette)


@pytest.fixture
def states(relay: Any) -> Iterator[PanelStates]:
    made = PanelStates(relay.url, artifacts_dir())
    yield made
    made.close()


def check_pictures(states: PanelStates, panel: Panel, state: str, look: str) -> None:
    """Both widths: nothing clipped, no sideways scrolling, the app's own window colour."""
    window = QtWidgets.QApplication.instance().palette().color(QtGui.QPalette.ColorRole.Window)
    for width in WIDTHS:
        path, problems = states.picture(panel, state, width, look)
        assert path.exists()
        assert not problems, f"{state} at {width} px ({look}):\n" + "\n".join(problems)
        corner = QtGui.QImage(str(path)).pixelColor(2, 2)
        assert corner.rgb() == window.rgb(), (corner.name(), window.name())


def overlapping(widgets: list[Any]) -> list[str]:
    shown = [w for w in widgets if w.isVisible()]
    out = []
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            if a.geometry().intersects(b.geometry()):
                out.append(f"{a.text()!r} overlaps {b.text()!r}")
    return out


def test_every_state_fits_a_320_to_480_dock_in_the_apps_palette(states, look, fetches):
    # Before joining: the relay and the sessions it offers, your name, Share / Join.
    before = states.before_join()
    assert before.setup_box.isVisible() and not before.header.isVisible()
    assert not before.session_box.isVisible()
    listed = [before.sessions_list.item(i).text() for i in range(before.sessions_list.count())]
    assert any("host Ana" in t for t in listed) and any("host Ben" in t for t in listed)
    check_pictures(states, before, "before-join", look)

    # Joined as host, sharing: a compact header, the connection settings folded away.
    host = states.host_sharing()
    assert not host.setup_box.isVisible() and host.header.isVisible()
    assert host.session_label.full_text == host.session_label.toolTip() == SESSION_NAME
    assert host.state_label.text() == "connected"
    assert QtGui.QColor(host.state_dot.property("dot_color")).name() == QtGui.QColor(GREEN).name()
    assert host.role_label.text() == "host"
    assert host.sharing_button.isChecked() and host.sharing_button.text() == "Sharing"
    assert not host.details.isVisible() and not host.invite_button.isVisible()
    check_pictures(states, host, "host-sharing", look)
    host.resize(320, 900)  # the long name is cut on purpose there, the whole in its tooltip
    assert wait_for(lambda: host.session_label.elided and host.width() == 320)
    assert str(host.session_label.text()).endswith("…")
    host.details_button.click()
    assert host.details.isVisible() and host.invite_button.isVisible()
    assert host.relay_label.full_text == states.relay
    check_pictures(states, host, "host-details", look)
    host.details_button.click()
    assert not host.details.isVisible()

    # Joined as reviewer: people, notes with the images they were drawn on, chat.
    leo = states.reviewer()
    client = leo.client
    assert client is not None and leo._role == "reviewer"
    check_pictures(states, leo, "reviewer", look)
    rows = leo.people_rows()
    assert rows[0].startswith("Mia (host, drives") and "Sam (reviewer, drawing)" in rows
    assert any(r.startswith("Leo (reviewer, you") for r in rows)
    for person in client.participants.values():
        row = leo.person_row(person.id)
        assert row is not None
        colour = person_color(person.id, leo.palette()).name()
        assert QtGui.QColor(row.dot.property("dot_color")).name() == colour
    sam_id = states.sam.participant.id
    assert leo.person_row(sam_id).status.text() == "drawing…"
    # Their drafts name the frame the mark is anchored to: the row says it, as the page does.
    assert leo.overlay is not None
    mark = Shape(kind="stroke", points=[[0.0, 0.0], [0.1, 0.1]])
    states.sam.draft(Draft(id=new_id(), frame=1012, shape=mark, style=Style()))
    assert wait_for(lambda: leo.person_row(sam_id).status.text() == "drawing on 1012")
    assert leo.person_row(client.driver).drives.isVisible()

    # Notes: grouped by frame, the author's colour, the kept image as a thumbnail, done.
    assert [f for f, _, _ in leo.note_rows()] == [1001, 1001, 1012, 1012]
    assert leo.group_titles()[1].startswith("Frame 1012 · 2 notes, 1 open")
    for _, note_id, _ in leo.note_rows():
        card = leo.note_card(note_id)
        assert card.has_picture() and card.thumb.pixmap().width() <= 96
        colour = card.author.palette().color(QtGui.QPalette.ColorRole.WindowText)
        assert colour.name() == person_color(sam_id, leo.palette()).name()
        assert card.done.isChecked() == (card.note.status == "done")
    # One fetch per image and panel (two notes on 1001 share one), none on the GUI thread.
    counts = Counter(h for h, _ in fetches)
    assert sorted(counts.values()) == [2, 2], counts  # two images, for Leo's and Mia's panel
    assert all(name == "overshoulder-ui-thumbs" for _, name in fetches), fetches
    assert threading.main_thread().name not in {name for _, name in fetches}

    # The host may change every note: four actions per card, side by side or wrapped, never
    # on top of each other, at the narrowest width.
    host_panel = states.host_panel
    assert wait_for(lambda: len(host_panel.note_rows()) == 4)
    assert wait_for(
        lambda: all(host_panel.note_card(i).has_picture() for _, i, _ in host_panel.note_rows())
    )
    check_pictures(states, host_panel, "host-notes", look)
    host_panel.resize(320, 900)
    assert wait_for(lambda: host_panel.width() == 320)
    pump(0.1)
    for _, note_id, _ in host_panel.note_rows():
        card = host_panel.note_card(note_id)
        actions = [card.done, card.goto, card.end_here, card.delete]
        assert all(a.isVisible() for a in actions)
        assert not overlapping(actions)
        assert all(card.rect().contains(a.geometry()) for a in actions)

    # Chat: names in their colours (the words escaped, never markup).
    html = leo.chat_log.toHtml()
    assert person_color(sam_id, leo.palette()).name() in html
    assert "Sam: Morning! Two things on 1001" in leo.chat_log.toPlainText()


def test_follow_drive_and_the_marks_ticks_show_their_state(states):
    host = states.host_sharing()
    leo = states.reviewer()
    for button in (leo.follow_button, leo.drive_button):
        assert button.isCheckable()
    assert leo.follow_button.isChecked() and leo.follow_button.text() == "Following"
    assert not leo.drive_button.isChecked() and leo.drive_button.text() == "Drive"
    assert host.drive_button.isChecked() and host.drive_button.text() == "Driving"

    leo.drive_button.click()  # the host hands over at once
    assert wait_for(lambda: leo.sharer is not None and leo.sharer.driving)
    assert wait_for(lambda: leo.drive_button.isChecked() and leo.drive_button.text() == "Driving")
    assert wait_for(lambda: not host.drive_button.isChecked())
    assert host.drive_button.text() == "Drive" and host.driver_label.full_text == "Leo drives"
    leo.drive_button.click()  # give it back
    assert wait_for(lambda: not leo.drive_button.isChecked())

    leo.follow_button.click()
    assert not leo.follow_button.isChecked() and leo.follow_button.text() == "Follow"
    assert leo.sharer is not None and not leo.sharer.following
    assert wait_for(lambda: any(r == "Leo (reviewer, free)" for r in host.people_rows()))

    # One tick per person: Sam's marks off in Leo's overlay, and on again.
    sam_id = states.sam.participant.id
    tick = leo.person_row(sam_id).marks
    assert tick.isChecked()
    tick.click()
    assert leo.overlay is not None and sam_id in leo.overlay.hidden_authors
    assert wait_for(lambda: not leo.person_row(sam_id).marks.isChecked())
    leo.person_row(sam_id).marks.click()
    assert sam_id not in leo.overlay.hidden_authors


@pytest.fixture
def host() -> Iterator[ViewerHost]:
    with panel_host() as h:
        yield h


def test_the_sessions_list_never_keeps_what_the_relay_no_longer_says(relay, host, monkeypatch):
    monkeypatch.setattr(panel_module, "SESSIONS_REFRESH_MS", 200)
    relay.create_session(name="Shot 010", host_name="Ana")
    panel = Panel(host, settings=PanelSettings())
    panel.relay_edit.setText(relay.url)
    panel.show()  # showing the panel lists the relay's sessions: no click needed
    assert wait_for(lambda: panel.sessions_list.count() == 1)
    assert "host Ana · nobody here" in panel.sessions_list.item(0).text()

    # Someone else makes a session and joins theirs: the list says so without a click.
    made = relay.create_session(name="Shot 020", host_name="Ben")
    from overshoulder.core.client import SessionClient

    ben = SessionClient(relay.url, made["host_token"], "Ben")
    ben.start()
    try:

        def texts() -> list[str]:
            return [panel.sessions_list.item(i).text() for i in range(panel.sessions_list.count())]

        assert wait_for(lambda: any("host Ben · 1 here" in t for t in texts()))

        # Another relay typed in: the old relay's sessions go at once, not after an answer.
        panel.relay_edit.setFocus()
        QtCore.QCoreApplication.processEvents()
        panel.relay_edit.clear()
        panel.relay_edit.textEdited.emit("")
        assert panel.sessions_list.count() == 0
        assert panel.sessions_hint.isVisible()
    finally:
        ben.close()
        panel.close()
        panel.deleteLater()
        pump()

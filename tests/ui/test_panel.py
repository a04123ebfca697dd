"""The panel against a real relay: sessions, share, invite, people, chat, notes, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.links import parse_invite
from overshoulder.core.model import Anchor, Annotation, ImageRef, Shape, new_id
from overshoulder.core.ui import Panel, PanelSettings

from .hosts import ViewerHost, panel_host
from .qt import QtCore, QtWidgets, pump, wait_for


@pytest.fixture
def host() -> Iterator[ViewerHost]:
    with panel_host() as h:
        yield h


@pytest.fixture
def panel(host: ViewerHost) -> Iterator[Panel]:
    p = Panel(host, settings=PanelSettings())
    p.show()
    yield p
    p.close_session()
    wait_for(lambda: not p.closing)
    p.close()
    p.deleteLater()
    pump()


@pytest.fixture
def guests() -> Iterator[Any]:
    made: list[SessionClient] = []

    def join(link: str, name: str) -> SessionClient:
        invite = parse_invite(link)
        client = SessionClient(invite.relay, invite.token, name)
        client.start()
        made.append(client)
        assert wait_for(lambda: client.state == "synced")
        return client

    yield join
    for c in made:
        c.close()


def arrow(frame: int, text: str, image: ImageRef | None = None) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0, 0), end=(0.1, 0.1)),
        anchor=Anchor(frame=frame, image=image),
        text=text,
    )


def rows_with(panel: Panel, note_id: str) -> list[tuple[int, str, str]]:
    return [row for row in panel.note_rows() if row[1] == note_id]


def test_a_host_shares_invites_and_works_the_notes_from_the_panel(relay, panel, host, guests):
    relay.create_session(name="Someone else's", host_name="Ana")
    panel.relay_edit.setText(relay.url)
    panel.name_edit.setText("Mia")
    panel.refresh_button.click()
    assert wait_for(lambda: panel.sessions_list.count() == 1)
    assert "Someone else's" in panel.sessions_list.item(0).text()

    panel.session_name_edit.setText("Shot 010")
    panel.create_button.click()
    assert wait_for(lambda: panel.client is not None and panel.client.state == "synced")
    assert panel.overlay is not None and panel.overlay.parent() is host.viewer
    assert panel.header.isVisible() and not panel.setup_box.isVisible()
    assert not panel.sharing_button.isChecked()
    panel.sharing_button.click()
    assert wait_for(lambda: panel.sharing and panel.images.hash_of(1001) is not None)
    first_image = panel.images.hash_of(1001)

    assert wait_for(lambda: panel.sharing_button.isChecked())
    assert panel.sharing_button.text() == "Sharing"
    panel.role_combo.setCurrentText("reviewer")
    panel.invite_button.click()
    assert wait_for(lambda: panel.invite_link_edit.text().startswith(relay.url))
    link = panel.invite_link_edit.text()
    assert QtWidgets.QApplication.clipboard().text() == link
    sam = guests(link, "Sam")
    assert sam.participant.role == "reviewer"
    assert wait_for(lambda: any(r.startswith("Sam (reviewer") for r in panel.people_rows()))
    assert any(r.startswith("Mia (host, drives, you") for r in panel.people_rows())

    sam.chat("hello Mia")
    assert wait_for(lambda: "Sam: hello Mia" in panel.chat_log.toPlainText())
    panel.chat_edit.setText("hi Sam")
    panel.send_button.click()
    assert wait_for(lambda: any(c.text == "hi Sam" for c in sam.chat_log))
    assert wait_for(lambda: "Mia: hi Sam" in panel.chat_log.toPlainText())

    # A note on the shared frame: listed under 1001 with its author and words, no warning.
    here = arrow(1001, "lift the shadows")
    sam.add_annotation(here)
    assert wait_for(lambda: rows_with(panel, here.id))
    frame, _, text = rows_with(panel, here.id)[0]
    assert frame == 1001 and "Sam" in text and "lift the shadows" in text
    assert "different image" not in text
    assert panel.client.annotations[here.id].anchor.image.hash == first_image  # pinned

    # Marked done from the note's tick: the reviewer sees it; unticked: open again.
    card = panel.note_card(here.id)
    assert card is not None and not card.done.isChecked()
    card.done.click()
    assert wait_for(lambda: sam.annotations[here.id].status == "done")
    assert wait_for(lambda: "(done)" in rows_with(panel, here.id)[0][2])
    assert wait_for(lambda: panel.note_card(here.id).done.isChecked())
    panel.note_card(here.id).done.click()
    assert wait_for(lambda: sam.annotations[here.id].status == "open")

    # A note drawn on another image of the frame says so; a new image makes the old note stale.
    other = arrow(1001, "old render", ImageRef(hash="0" * 32))
    sam.add_annotation(other)
    assert wait_for(lambda: "different image" in "".join(r[2] for r in rows_with(panel, other.id)))
    host.shade = 200
    host.events.image_changed()
    assert wait_for(lambda: panel.images.hash_of(1001) != first_image)
    assert wait_for(lambda: "different image" in rows_with(panel, here.id)[0][2])

    # Jump-to: the playhead moves there (on the host's main thread) and the object is selected.
    later = arrow(1042, "and here")
    sam.add_annotation(later)
    graded = arrow(1042, "grain", ImageRef(version="sh010_comp_v001"))
    sam.add_annotation(graded)
    host.version = "sh010_comp_v002"
    assert wait_for(lambda: rows_with(panel, later.id) and rows_with(panel, graded.id))
    assert [r[0] for r in panel.note_rows()] == [1001, 1001, 1042, 1042]
    assert "drawn on" not in rows_with(panel, graded.id)[0][2]  # the app names 1042's image
    panel.jump_to(later.id)  # only when it shows 1042
    assert wait_for(lambda: host.frame == 1042)

    # Only the frame moved: the list marks where the playhead is, and the version the app
    # names now for 1042 makes the note drawn on v001 say so.
    titles = panel.group_titles
    assert wait_for(lambda: titles()[1].endswith("· here") and not titles()[0].endswith("here"))
    assert wait_for(
        lambda: (
            "drawn on sh010_comp_v001, now showing sh010_comp_v002"
            in rows_with(panel, graded.id)[0][2]
        )
    )

    # End here: Sam's note on 1001 (the host may change it) now holds 1001-1042, for everyone.
    panel.note_card(here.id).end_here.click()
    assert wait_for(lambda: sam.annotations[here.id].anchor.duration == 42)
    assert wait_for(lambda: "frames 1001-1042" in rows_with(panel, here.id)[0][2])
    assert sam.annotations[here.id].anchor.frame == 1001

    panel.close_session()
    assert panel.client is None and panel.overlay is None
    assert wait_for(lambda: not panel.closing)
    assert wait_for(lambda: len(sam.participants) == 1)


def test_jump_to_selects_what_the_note_is_about(relay, panel, host, guests):
    panel.relay_edit.setText(relay.url)
    panel.name_edit.setText("Mia")
    panel.create_session()
    assert wait_for(lambda: panel.client is not None and panel.client.state == "synced")
    panel.make_invite("reviewer")
    assert wait_for(lambda: bool(panel.invite_link_edit.text()))
    sam = guests(panel.invite_link_edit.text(), "Sam")
    note = Annotation(
        id=new_id(),
        shape=Shape(kind="text", at=(0, 0), text="x"),
        anchor=Anchor(frame=1010, object=host.anchor_object),
    )
    sam.add_annotation(note)
    assert wait_for(lambda: rows_with(panel, note.id))
    assert "on Grade1" in rows_with(panel, note.id)[0][2]
    panel.jump_to(note.id)
    assert wait_for(lambda: host.frame == 1010 and host.selected == [host.anchor_object])


def test_errors_show_as_a_line_and_the_panel_keeps_working(relay, panel):
    panel.name_edit.setText("Mia")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    panel.relay_edit.setText(f"http://127.0.0.1:{port}")
    panel.refresh_button.click()
    assert wait_for(lambda: "cannot reach a relay" in panel.error_text)
    assert str(port) in panel.error_text

    panel.invite_edit.setText("not a link at all")
    panel.join_button.click()
    assert "not an invite link or token" in panel.error_text

    # A link whose token the relay did not sign: refused, said plainly, session closed again.
    session = relay.create_session()
    sid = session["session"]["id"]
    token = session["host_token"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    panel.join(f"{relay.url}/s/{sid}#t={forged}")
    assert wait_for(lambda: "refused" in panel.error_text)
    assert wait_for(lambda: panel.client is None)

    # Still working: a good relay address lists sessions and clears the error.
    panel.relay_edit.setText(relay.url)
    panel.refresh_button.click()
    assert wait_for(lambda: panel.sessions_list.count() == 1 and not panel.error_text)
    panel.create_session()
    assert wait_for(lambda: panel.client is not None and panel.client.state == "synced")


def test_the_relay_address_and_name_are_remembered(relay, host, config_dir):
    first = Panel(host, settings=PanelSettings())
    first.relay_edit.setText(relay.url)
    first.name_edit.setText("Mia")
    first.refresh_sessions()
    assert wait_for(lambda: "open session" in first.status_label.text())
    first.deleteLater()
    again = Panel(host)
    assert (again.relay_edit.text(), again.name_edit.text()) == (relay.url, "Mia")
    assert (config_dir / "panel.json").exists()
    again.deleteLater()
    pump()


@pytest.fixture
def silent_relay() -> Iterator[str]:
    """A socket that accepts connections and never answers (a hung relay)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_the_ui_thread_never_waits_for_the_network(panel, silent_relay):
    ticks: list[int] = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    panel.relay_edit.setText(silent_relay)
    panel.name_edit.setText("Mia")

    def ticking_while(pending: Any) -> None:
        """The GUI thread keeps processing events while the call is still unanswered."""
        before = len(ticks)
        pump(0.3)
        assert pending(), "the call finished: the silent relay should keep it waiting"
        assert len(ticks) - before >= 5

    panel.refresh_button.click()
    ticking_while(lambda: not panel.refresh_button.isEnabled())
    panel.share_button.click()  # no session yet: makes one first (waiting on the relay too)
    ticking_while(lambda: "making a session" in panel.status_label.text())
    assert not panel.create_button.isEnabled()  # one session at a time
    token = "os1.eyJzIjoiYWJjIiwiciI6Imhvc3QifQ.c2ln"
    panel.join(f"{silent_relay}/s/abc#t={token}")
    ticking_while(lambda: panel.client is not None and panel.client.state == "connecting")
    panel.close_session()  # closing the client happens on a worker thread
    ticking_while(lambda: True)
    assert panel.client is None
    timer.stop()


def test_panels_opened_and_closed_again_leave_no_lifecycle_thread_behind(host, monkeypatch):
    import threading

    from overshoulder.core.ui import panel as panel_module

    monkeypatch.setattr(panel_module, "SERIAL_IDLE_S", 0.05)

    def life_threads() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "overshoulder-ui-life")

    for _ in range(3):
        p = Panel(host, settings=PanelSettings())
        p.show()
        p.close_session()
        assert wait_for(lambda p=p: not p.closing)
        p.close()
        p.deleteLater()
        pump()
    assert wait_for(lambda: life_threads() == 0), life_threads()


def test_the_host_sets_the_watermark_from_the_panel_and_every_guest_gets_it(relay, panel, guests):
    panel.relay_edit.setText(relay.url)
    panel.name_edit.setText("Mia")
    assert not panel.watermark_combo.isEnabled()  # no session yet
    panel.create_session()
    assert wait_for(lambda: panel.client is not None and panel.client.state == "synced")
    assert panel.watermark_combo.isEnabled() and panel.watermark_combo.currentText() == "viewers"
    panel.make_invite("viewer")
    assert wait_for(lambda: bool(panel.invite_link_edit.text()))
    val = guests(panel.invite_link_edit.text(), "Val")
    assert val.session is not None and val.session.watermark == "viewers"
    index = panel.watermark_combo.findText("everyone")
    panel.watermark_combo.activated.emit(index)
    assert wait_for(lambda: val.session is not None and val.session.watermark == "everyone")
    assert wait_for(
        lambda: (
            [e["data"].get("watermark") for e in relay.events(panel.client.session.id)]
            == ["everyone"]
        )
    )
    panel.set_watermark("sometimes")
    assert "not 'sometimes'" in panel.error_label.text()

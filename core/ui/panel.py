"""The Overshoulder panel: relay and sessions, share, invite, people, notes and chat.

The panel is views over a ``PanelModel`` (overshoulder.core.panel_model), which decides
what each click and each word from the relay does and holds the ``ShareSession`` the
panel is in (the client, the Sharer, the frame pipe, the kept images, the note history).
The panel builds the widgets, hands the model the user's clicks, and shows what the
model and the session say (the texts come from overshoulder.core.panel_text).

Threads: every HTTP call and every blocking step of a session's life (stopping
a share, closing the client) runs on a worker thread; the results come back
to the GUI thread through ``GuiDispatcher``. The session's callbacks are
dispatched onto the GUI thread the same way, so nothing here waits for the
network. Whatever fails is said in one line of text in the panel (which
names what was wrong), and the panel keeps working.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, Optional

from Qt import QtCore, QtGui, QtWidgets

from .. import panel_text
from ..client import SessionClient
from ..history import NoteActions
from ..host import Host
from ..images import PublishedImages
from ..model import Style
from ..panel_model import WATERMARKS, PanelModel, Typed
from ..settings import PanelSettings
from ..share import Sharer
from ..share_session import ShareSession
from . import widgets as w
from .cards import NoteCard, PersonRow, SessionDelegate
from .dispatch import GuiDispatcher, SerialWorker
from .lists import NoteList, PeopleList
from .overlay import ViewerOverlay
from .thumbs import Thumbnails
from .toolbar import OverlayToolbar
from .voice import VoiceBar
from .voice_notes import VoiceNotePlayer

log = logging.getLogger("overshoulder.ui")

#: How often the panel looks for changes the client does not announce (its own acks).
POLL_MS = 250
#: Seconds the panel's lifecycle thread waits for another step before it ends.
SERIAL_IDLE_S = 2.0
NOTE_ROLE = QtCore.Qt.ItemDataRole.UserRole
ERROR_STYLE = "color: #e5534b;"
WARNING_COLOR = "#d29922"
#: The header's connection state: a word and the dot's colour.
STATE_DOTS = {
    "connecting": ("connecting", w.AMBER),
    "synced": ("connected", w.GREEN),
    "reconnecting": ("reconnecting", w.AMBER),
    "refused": ("refused", w.RED),
    "closed": ("closed", w.GREY),
}
#: How often the sessions list is asked for again while it is shown (ms).
SESSIONS_REFRESH_MS = 10_000
NO_SIDEWAYS = QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff
PLAIN = QtCore.Qt.TextFormat.PlainText


def _button(text: str, parent: Any, tip: str) -> Any:
    button = QtWidgets.QPushButton(text, parent)
    button.setToolTip(tip)
    return button


def _label(parent: Any, style: str = "", wrap: bool = True) -> Any:
    """A plain-text label (what it shows is never read as markup)."""
    label = QtWidgets.QLabel("", parent)
    label.setTextFormat(PLAIN)
    label.setWordWrap(wrap)
    if style:
        label.setStyleSheet(style)
    return label


def _row(layout: Any, *items: Any) -> Any:
    """A row of ``items`` (a widget, (widget, stretch), or None for a stretch) under ``layout``."""
    row = QtWidgets.QHBoxLayout()
    for item in items:
        if item is None:
            row.addStretch(1)
        elif isinstance(item, tuple):
            row.addWidget(*item)
        else:
            row.addWidget(item)
    layout.addLayout(row)
    return row


def _column(widget: Any, spacing: int, margins: tuple[int, int, int, int] = (0, 0, 0, 0)) -> Any:
    column = QtWidgets.QVBoxLayout(widget)
    column.setContentsMargins(*margins)
    column.setSpacing(spacing)
    return column


class Panel(QtWidgets.QWidget):
    """The whole panel for one app (``host``); owns its model and the viewer overlay."""

    def __init__(
        self, host: Host, parent: Any = None, *, settings: Optional[PanelSettings] = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings if settings is not None else PanelSettings()
        self.overlay: Optional[ViewerOverlay] = None
        #: What was drawn last (the keys of the people, the notes, the chat), to skip the rest.
        self._seen: dict[str, Any] = {}
        self._gui = GuiDispatcher(self)
        self._life = SerialWorker(
            self._gui, "overshoulder-ui-life", "a session step", idle_s=SERIAL_IDLE_S
        )
        self.model = PanelModel(
            host,
            self.settings,
            self,
            http=self._gui.in_background,
            dispatch=self._gui.post,
            life=self._life.submit,
        )
        self.thumbnails = Thumbnails(self)
        self._build()
        self._poll = QtCore.QTimer(self)
        self._poll.timeout.connect(self.redraw)
        self._poll.start(POLL_MS)
        self._sessions_timer = QtCore.QTimer(self)
        self._sessions_timer.timeout.connect(self.model.refresh_quietly)
        self._sessions_timer.start(SESSIONS_REFRESH_MS)
        self.redraw()

    # --- the session's parts, for glue and tests ----------------------------------------------

    @property
    def share(self) -> Optional[ShareSession]:
        """The session this panel is in (None: none)."""
        return self.model.share

    @property
    def client(self) -> Optional[SessionClient]:
        return self.share.client if self.share is not None else None

    @property
    def sharer(self) -> Optional[Sharer]:
        """The running Sharer (None without a session, and while sharing is switched)."""
        return self.share.sharer if self.share is not None else None

    @property
    def note_actions(self) -> Optional[NoteActions]:
        return self.share.note_actions if self.share is not None else None

    @property
    def images(self) -> Optional[PublishedImages]:
        return self.share.images if self.share is not None else None

    @property
    def sharing(self) -> bool:
        """True while this app's viewer is shared (or about to be)."""
        return self.model.sharing

    @property
    def _role(self) -> Optional[str]:
        return self.model.role

    @property
    def closing(self) -> bool:
        """True while a share or a session is being stopped on the worker thread."""
        return self._life.busy or self.model.restarting

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle("Overshoulder")
        root = _column(self, 6, (8, 8, 8, 8))
        self._build_setup(root)
        self._build_header(root)
        self.status_label = w.muted(_label(self))
        self.error_label = _label(self, ERROR_STYLE)
        self.warning_label = _label(self, f"color: {WARNING_COLOR};")
        for label in (self.status_label, self.error_label, self.warning_label):
            label.hide()
            root.addWidget(label)
        self._build_session(root)
        self.bottom_stretch = QtWidgets.QWidget(self)
        self.bottom_stretch.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Expanding
        )
        root.addWidget(self.bottom_stretch, 1)
        self._connect()

    def _build_setup(self, root: Any) -> None:
        """Before joining: the relay and its sessions, your name, Share / Join."""
        box = self.setup_box = QtWidgets.QWidget(self)
        setup = _column(box, 4)
        setup.addWidget(w.section_title("Relay", box))
        self.relay_edit = QtWidgets.QLineEdit(self.settings.relay, box)
        self.relay_edit.setPlaceholderText("http://relay.studio:8770")
        self.refresh_button = _button("Refresh", box, "Ask the relay for its open sessions again")
        _row(setup, (self.relay_edit, 1), self.refresh_button)
        self.sessions_list = QtWidgets.QListWidget(box)
        self.sessions_list.setMaximumHeight(130)
        self.sessions_list.setItemDelegate(SessionDelegate(self.sessions_list))
        self.sessions_list.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.sessions_list.setHorizontalScrollBarPolicy(NO_SIDEWAYS)
        self.sessions_hint = w.muted(_label(box))
        self.rejoin_button = _button(
            "Take back as host", box, "Join a session made from this panel again, as its host"
        )
        setup.addWidget(self.sessions_list)
        setup.addWidget(self.sessions_hint)
        _row(setup, None, self.rejoin_button)
        setup.addWidget(w.section_title("You", box))
        self.name_edit = QtWidgets.QLineEdit(self.settings.name, box)
        self.name_edit.setPlaceholderText("Your name, as the others see it")
        setup.addWidget(self.name_edit)
        setup.addWidget(w.section_title("Share this viewer", box))
        self.session_name_edit = QtWidgets.QLineEdit(box)
        self.session_name_edit.setPlaceholderText("Session name (optional)")
        setup.addWidget(self.session_name_edit)
        self.share_button = _button(
            "Share", box, "Make a session, share this app's viewer and copy a reviewer link"
        )
        self.share_button.setDefault(True)
        self.create_button = _button(
            "Create only", box, "Make a session and join it as host without sharing yet"
        )
        _row(setup, (self.share_button, 1), self.create_button)
        setup.addWidget(w.section_title("Or join one", box))
        self.invite_edit = QtWidgets.QLineEdit(box)
        self.invite_edit.setPlaceholderText("Paste an invite link or token")
        self.join_button = QtWidgets.QPushButton("Join", box)
        _row(setup, (self.invite_edit, 1), self.join_button)
        root.addWidget(box)

    def _build_header(self, root: Any) -> None:
        """After joining: a compact header; the connection settings folded away."""
        header = self.header = QtWidgets.QFrame(self)
        header.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        head = _column(header, 4, (8, 6, 8, 6))
        self.session_label = w.ElidedLabel("", header)
        font = self.session_label.font()
        font.setBold(True)
        self.session_label.setFont(font)
        self.leave_button = _button(
            "Leave", header, "Leave the session (a host's session stays open on the relay)"
        )
        _row(head, (self.session_label, 1), self.leave_button)
        self.state_dot = w.dot(w.GREY, header)
        self.state_label = _label(header, wrap=False)
        self.role_label = w.badge("", header)
        self.sharing_button = w.toggle(
            "Share", header, "Share this app's viewer with the session (host only)"
        )
        state_row = _row(
            head, self.state_dot, self.state_label, self.role_label, None, self.sharing_button
        )
        state_row.setSpacing(6)
        self.details_button = QtWidgets.QToolButton(header)
        self.details_button.setText("Connection and invites")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(QtCore.Qt.ArrowType.RightArrow)
        head.addWidget(self.details_button)
        details = self.details = QtWidgets.QWidget(header)
        grid = QtWidgets.QGridLayout(details)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        self.relay_label = w.ElidedLabel("", details)
        self.role_combo = QtWidgets.QComboBox(details)
        self.role_combo.addItems(["reviewer", "viewer"])
        self.role_combo.setCurrentText(self.settings.invite_role)
        self.role_combo.setToolTip("reviewer: draws and talks; viewer: watches and chats")
        self.invite_button = _button(
            "Copy link", details, "Make an invite link for this role and copy it"
        )
        self.invite_link_edit = QtWidgets.QLineEdit(details)
        self.invite_link_edit.setReadOnly(True)
        self.invite_link_edit.setPlaceholderText("the last invite link made")
        self.watermark_combo = QtWidgets.QComboBox(details)
        self.watermark_combo.addItems(list(WATERMARKS))
        self.watermark_combo.setToolTip(
            "Whose frames carry their name and the time, burned into their downloads too, so "
            "a leaked screenshot names its source"
        )
        for row, title in enumerate(("Relay", "Invite", None, "Watermark")):
            if title is not None:
                grid.addWidget(w.muted(QtWidgets.QLabel(title, details)), row, 0)
        grid.addWidget(self.relay_label, 0, 1, 1, 2)
        grid.addWidget(self.role_combo, 1, 1)
        grid.addWidget(self.invite_button, 1, 2)
        grid.addWidget(self.invite_link_edit, 2, 0, 1, 3)
        grid.addWidget(self.watermark_combo, 3, 1, 1, 2)
        details.hide()
        head.addWidget(details)
        root.addWidget(header)

    def _build_session(self, root: Any) -> None:
        """In a session: people, the drawing tools, notes, chat."""
        box = self.session_box = QtWidgets.QWidget(self)
        inside = _column(box, 6)
        self.people_title = w.section_title("People", box)
        inside.addWidget(self.people_title)
        self.people = PeopleList(self._marks_toggled, box)
        inside.addWidget(self.people)
        self.voice = VoiceBar(self, self._gui.post, box)
        self.voice.roster_changed.connect(self._redraw_people_later)
        self.voice.note_session = lambda: self.share  # voice notes recorded in the bar
        self.voice.note_style = lambda: (
            self.overlay and Style(color=self.overlay.color, width=self.overlay.width_units)
        )
        inside.addWidget(self.voice)
        self.voice_notes = VoiceNotePlayer(self._gui, self.show_error, self)
        self.follow_button = w.toggle(
            "Following", box, "Follow the driver's playhead; off: go free"
        )
        self.follow_button.setChecked(True)
        self.drive_button = w.toggle(
            "Drive", box, "Take the playhead: everyone who follows sees your frame"
        )
        self.driver_label = w.muted(w.ElidedLabel("", box))
        _row(inside, self.follow_button, self.drive_button, (self.driver_label, 1))
        self.toolbar = OverlayToolbar(None, box)
        inside.addWidget(self.toolbar)
        self.notes_title = w.section_title("Notes", box)
        inside.addWidget(self.notes_title)
        self.notes = NoteList(self, self.thumbnails, box)
        inside.addWidget(self.notes, 1)
        inside.addWidget(w.section_title("Chat", box))
        self.chat_log = QtWidgets.QTextEdit(box)
        self.chat_log.setReadOnly(True)
        self.chat_log.setAcceptRichText(False)
        self.chat_log.setMaximumHeight(110)
        self.chat_log.setLineWrapMode(QtWidgets.QTextEdit.LineWrapMode.WidgetWidth)
        self.chat_log.setHorizontalScrollBarPolicy(NO_SIDEWAYS)
        self.chat_log.setPlaceholderText("No messages yet.")
        inside.addWidget(self.chat_log)
        self.chat_edit = QtWidgets.QLineEdit(box)
        self.chat_edit.setPlaceholderText("Message everyone")
        self.send_button = QtWidgets.QPushButton("Send", box)
        _row(inside, (self.chat_edit, 1), self.send_button)
        root.addWidget(box, 1)

    def _connect(self) -> None:
        model = self.model
        self.refresh_button.clicked.connect(self.refresh_sessions)
        self.sessions_list.itemSelectionChanged.connect(self.redraw_controls)
        self.sessions_list.itemDoubleClicked.connect(lambda item: self.rejoin())
        self.rejoin_button.clicked.connect(self.rejoin)
        self.create_button.clicked.connect(lambda: self.create_session())
        self.join_button.clicked.connect(lambda: self.join(self.invite_edit.text()))
        self.invite_edit.returnPressed.connect(lambda: self.join(self.invite_edit.text()))
        self.share_button.clicked.connect(lambda checked=False: self.set_sharing(True))
        self.sharing_button.clicked.connect(lambda checked=False: self.set_sharing(checked))
        self.leave_button.clicked.connect(self.close_session)
        self.details_button.toggled.connect(self._fold)
        self.invite_button.clicked.connect(lambda: self.make_invite())
        self.watermark_combo.activated.connect(
            lambda index: self.set_watermark(self.watermark_combo.itemText(index))
        )
        self.follow_button.clicked.connect(lambda checked=False: self.follow(checked))
        self.drive_button.clicked.connect(self.toggle_drive)
        self.send_button.clicked.connect(lambda: self.send_chat(self.chat_edit.text()))
        self.chat_edit.returnPressed.connect(lambda: self.send_chat(self.chat_edit.text()))
        self.relay_edit.editingFinished.connect(model.relay_edited)
        self.relay_edit.textEdited.connect(lambda _: model.relay_typed())
        self.name_edit.editingFinished.connect(model.remember)
        self.role_combo.currentTextChanged.connect(lambda _: model.remember())
        self.thumbnails.ready.connect(self.notes.picture_arrived)

    def _fold(self, open_: bool) -> None:
        """Unfold (or fold away) the connection settings and invites."""
        self.details.setVisible(open_)
        self.details_button.setArrowType(
            QtCore.Qt.ArrowType.DownArrow if open_ else QtCore.Qt.ArrowType.RightArrow
        )

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.share is None and self.model.listed_relay is None:
            QtCore.QTimer.singleShot(0, self.model.refresh_quietly)

    # --- what the user does (the model decides) ------------------------------------------------

    def refresh_sessions(self, quiet: bool = False) -> None:
        """Ask the relay for its sessions on a worker thread (see ``PanelModel.refresh``)."""
        self.model.refresh(quiet)

    def create_session(self, share: bool = False) -> None:
        """Make a session on the relay and join it as its host (``share``: then share at once)."""
        self.model.create(share)

    def join(self, text: str) -> None:
        """Join with a pasted invite link or token (a bare token joins the relay in the field)."""
        self.model.join(text)

    def rejoin(self) -> None:
        """Join the selected session again as its host, with the token kept when it was made."""
        self.model.rejoin()

    def close_session(self) -> None:
        """Leave the session: stop sharing and close the client (off this thread); never waits."""
        self.model.close()

    def set_sharing(self, on: bool) -> None:
        """Share this app's viewer (on) or stop sharing pixels (off); the session stays open."""
        self.model.set_sharing(on)

    def make_invite(self, role: Optional[str] = None) -> None:
        """Make an invite link (reviewer or viewer) with the host token; copy it."""
        self.model.make_invite(role)

    def set_watermark(self, mode: str) -> None:
        """Host: who sees the watermark ("viewers", "everyone", "off"), for the whole session."""
        self.model.set_watermark(mode)

    def follow(self, on: bool) -> None:
        self.model.follow(on)

    def toggle_drive(self) -> None:
        """Take the playhead, or give it back while driving."""
        self.model.toggle_drive()

    def send_chat(self, text: str) -> None:
        if self.model.send_chat(text):
            self.chat_edit.clear()

    def jump_to(self, note_id: str) -> None:
        """Move the app to the note's frame and select what it is about (on the main thread)."""
        self.model.jump_to(note_id)

    def set_status(self, note_id: str, status: Literal["open", "done"]) -> None:
        """Mark a note done or open again, for everyone."""
        self.model.set_status(note_id, status)

    def end_here(self, note_id: str) -> None:
        """The note now ends on the frame shown (or starts there), for everyone."""
        self.model.end_here(note_id)

    def play_voice_note(self, note_id: str) -> None:
        """Play a voice note's recording (fetched off this thread), or open it in the browser."""
        share, note = self.share, self.notes.cards.get(note_id)
        if share is not None and note is not None:
            self.voice_notes.play(share, note.note)

    def delete_note(self, note_id: str) -> None:
        """Delete a note for everyone (its author's or a host's; undo brings it back)."""
        if not self.model.delete_note(note_id):
            return
        if self.overlay is not None:
            self.overlay.changed.emit()
        self.redraw()

    # --- what the model shows (PanelView) ----------------------------------------------------

    def typed(self) -> Typed:
        item = self.sessions_list.currentItem()
        return Typed(
            relay=self.relay_edit.text(),
            name=self.name_edit.text(),
            session_name=self.session_name_edit.text(),
            invite_role=self.role_combo.currentText(),
            picked=str(item.data(NOTE_ROLE)) if item is not None else None,
        )

    def show_relay(self, relay: str) -> None:
        self.relay_edit.setText(relay)

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    @property
    def error_text(self) -> str:
        """The error line now shown ("" when none)."""
        return str(self.error_label.text()) if self.error_label.isVisible() else ""

    def show_error(self, text: str) -> None:
        """One line naming what went wrong; the panel keeps working."""
        log.info("panel: %s", text)
        self.error_label.setText(text)
        self.error_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    @property
    def warning_text(self) -> str:
        """The warnings now shown about the app and the session ("" when none)."""
        return str(self.warning_label.text()) if self.warning_label.isVisible() else ""

    def sessions_listed(self, hint: str) -> None:
        """The list as the relay last answered (the selection kept when still there)."""
        current = self.sessions_list.currentItem()
        keep = current.data(NOTE_ROLE) if current is not None else None
        self.sessions_list.blockSignals(True)
        self.sessions_list.clear()
        for session_id, text in self.model.session_rows():
            item = QtWidgets.QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(NOTE_ROLE, session_id)
            self.sessions_list.addItem(item)
            if session_id == keep:
                self.sessions_list.setCurrentItem(item)
        self.sessions_list.blockSignals(False)
        self.sessions_hint.setText(hint)
        self.sessions_hint.setVisible(bool(hint))
        self.sessions_list.setVisible(bool(self.model.sessions))
        self.redraw_controls()

    def session_opened(self, share: ShareSession) -> None:
        """In a session: the overlay on the app's viewer, the tools over it."""
        viewer = self._viewer()
        if viewer is not None:
            self.overlay = ViewerOverlay(viewer, self.host)
            self.sharing_switched()
            self.overlay.changed.connect(self._redraw_people_later)
        self.toolbar.set_overlay(self.overlay)
        self._seen.clear()
        if share.client is not None:
            self.voice.attach(share.client, share.relay, share.token)

    def session_leaving(self) -> None:
        """Out of the session: the overlay goes, the thumbnails stop, voice ends."""
        self.voice.detach()
        if self.overlay is not None:
            self.overlay.set_session(None)
            self.overlay.hide()
            self.overlay.deleteLater()
            self.overlay = None
        self.toolbar.set_overlay(None)
        self.thumbnails.set_source(None, None, None)

    def sharing_switched(self) -> None:
        """The overlay works with the session's Sharer now (a new one after a switch)."""
        share = self.share
        if self.overlay is not None and share is not None:
            self.overlay.set_session(share.sharer, actions=share.note_actions, images=share.images)

    def invite_made(self, link: str) -> None:
        self.invite_link_edit.setText(link)
        self.invite_link_edit.setCursorPosition(0)
        QtWidgets.QApplication.clipboard().setText(link)

    def _viewer(self) -> Any:
        try:
            return self.host.viewer_widget()
        except Exception as exc:
            log.warning("%s: no viewer widget for the overlay: %s", self.host.name, exc)
            return None

    # --- rendering --------------------------------------------------------------------------------

    def _redraw_people_later(self) -> None:
        self._seen.pop("people", None)
        self.redraw()

    def redraw(self) -> None:
        """Bring the lists up to date; cheap when nothing changed (polled too)."""
        self.redraw_controls()
        warnings = panel_text.warnings_text(self.share.warnings if self.share is not None else {})
        if warnings != self.warning_label.text():
            self.warning_label.setText(warnings)
        self.warning_label.setVisible(bool(warnings))
        share = self.share
        if share is None:
            if self._seen.get("people") is not None:
                self.people.clear()
                self.notes.clear()
                self.chat_log.clear()
                self._seen.clear()
            self.driver_label.set_full_text("")
            return
        session = share.session
        if session is not None:
            self.thumbnails.set_source(share.relay, session.id, share.token)
        anns = share.annotations
        hidden = self.overlay.hidden_authors if self.overlay is not None else set()
        drawing = self.overlay.drawing_frames() if self.overlay is not None else {}
        people_key = (
            id(share.participants),
            share.driver,
            id(anns),
            frozenset(hidden),
            tuple(sorted(drawing.items())),
            self.voice.roster.version,
        )
        if self._seen.get("people") != people_key:
            self._seen["people"] = people_key
            self._redraw_people(share)
        frame = share.frame()
        can = self.model.can_draw
        if self._seen.get("can_draw") != can:  # known once in: the tools follow the role
            self._seen["can_draw"] = can
            self.toolbar.refresh()
        notes_key = (id(anns), share.images.version, can)
        if self._seen.get("notes") != notes_key:
            self._seen["notes"] = notes_key
            self.notes_title.setText(f"NOTES {self.notes.show_notes(share, frame)}")
        elif self._seen.get("notes_frame") != frame:  # only the frame moved (playback)
            self.notes.mark_frame(share, self._seen.get("notes_frame"), frame)
        self._seen["notes_frame"] = frame
        chat = share.chat_log
        if self._seen.get("chat") != id(chat):
            self._seen["chat"] = id(chat)
            self._redraw_chat(chat)

    def redraw_controls(self) -> None:
        model, share = self.model, self.share
        open_, busy, restarting = share is not None, model.busy, model.restarting
        host = model.role == "host"
        self.setup_box.setVisible(not open_)
        self.bottom_stretch.setVisible(not open_)
        self.header.setVisible(open_)
        self.session_box.setVisible(open_)
        self.refresh_button.setEnabled("refresh" not in busy)
        self.create_button.setEnabled(not open_ and "create" not in busy)
        self.join_button.setEnabled(not open_)
        self.leave_button.setEnabled(open_)
        self.share_button.setEnabled(not open_ and not restarting and "create" not in busy)
        pending = "create" in busy and model.pending_share
        self.share_button.setText("Sharing…" if pending else "Share")
        self.sharing_button.setVisible(open_ and host)
        self.sharing_button.setEnabled(host and not restarting)
        self.sharing_button.setChecked(self.sharing)
        self.sharing_button.setText("Sharing" if self.sharing else "Share viewer")
        self.invite_button.setEnabled(open_ and host and "invite" not in busy)
        self.role_combo.setEnabled(open_ and host)
        self.watermark_combo.setEnabled(open_ and host)
        session = share.session if share is not None else None
        mode = session.watermark if session is not None else "viewers"
        if self.watermark_combo.currentText() != mode and not self.watermark_combo.hasFocus():
            self.watermark_combo.setCurrentText(mode)
        kept = model.picked_is_mine()
        self.rejoin_button.setVisible(kept)
        self.rejoin_button.setEnabled(kept and not open_)
        if share is not None:
            self._redraw_header(share)
        sharer = self.sharer
        self.follow_button.setChecked(model.following)
        self.follow_button.setEnabled(sharer is not None)
        self.follow_button.setText("Following" if model.following else "Follow")
        driving = sharer is not None and sharer.driving
        self.drive_button.setEnabled(sharer is not None and model.can_draw)
        self.drive_button.setChecked(driving)
        self.drive_button.setText("Driving" if driving else "Drive")
        self.drive_button.setToolTip(
            "You drive: click to give the playhead back"
            if driving
            else "Take the playhead: everyone who follows sees your frame"
        )
        self.send_button.setEnabled(open_)

    def _redraw_header(self, share: ShareSession) -> None:
        session = share.session
        self.session_label.set_full_text(
            (session.name or session.id) if session is not None else "joining…"
        )
        word, color = STATE_DOTS.get(share.state, (share.state, w.GREY))
        if self.state_label.text() != word:
            self.state_label.setText(word)
            w.set_dot(self.state_dot, color)
        role = self._role or "guest"
        if self.role_label.text() != role:
            self.role_label.setText(role)
        self.relay_label.set_full_text(share.relay)

    def _marks_toggled(self, person_id: str, shown: bool) -> None:
        """A person's tick: show or hide their marks on the viewer (their layer)."""
        if self.overlay is not None and (person_id in self.overlay.hidden_authors) == shown:
            self.overlay.set_author_visible(person_id, shown)

    def _redraw_people(self, share: ShareSession) -> None:
        overlay = self.overlay
        hidden = overlay.hidden_authors if overlay is not None else set()
        drawing = overlay.drawing_frames() if overlay is not None else {}
        self.people.show_people(share, hidden, drawing, self.voice.roster.members)
        self.people_title.setText(f"PEOPLE {len(share.participants)}")
        self.driver_label.set_full_text(
            panel_text.driver_text(share.driver, share.participant, share.participants)
        )

    def _redraw_chat(self, chat: Any) -> None:
        """The chat, names in their colours (user text escaped: never read as markup)."""
        palette = self.chat_log.palette()
        faint = palette.color(QtGui.QPalette.ColorRole.PlaceholderText).name()
        self.chat_log.setHtml(
            panel_text.chat_html(chat, lambda who: w.person_color(who, palette).name(), faint)
        )
        bar = self.chat_log.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- texts for tests and glue -----------------------------------------------------------------

    def note_rows(self) -> list[tuple[int, str, str]]:
        """(frame, note id, row text) of every note in the list, in order."""
        return [
            (group.frame, card.note.id, card.text)
            for _, group, rows in self.notes.groups
            for card, _ in rows
        ]

    def note_card(self, note_id: str) -> Optional[NoteCard]:
        """The card that shows ``note_id`` in the list (None when not listed)."""
        return self.notes.cards.get(note_id)

    def group_titles(self) -> list[str]:
        """The frame groups' titles, in order ("Frame 1001 · 2 notes · here")."""
        return [head.full_text for head, _, _ in self.notes.groups]

    def people_rows(self) -> list[str]:
        """One line per person listed: "Mia (host, drives, you)"."""
        return list(self.people.texts)

    def person_row(self, person_id: str) -> Optional[PersonRow]:
        return self.people.rows.get(person_id)

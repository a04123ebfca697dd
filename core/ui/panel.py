"""The Overshoulder panel: relay and sessions, share, invite, people, notes and chat.

The panel is views over one ``ShareSession`` (overshoulder.core.share_session), which
owns the client, the Sharer, the frame pipe, the kept images and the note history;
the panel makes one to join, shows what it says and hands it the user's clicks.

Threads: every HTTP call and every blocking step of a session's life (stopping
a share, closing the client) runs on a worker thread; the results come back
to the GUI thread through ``GuiDispatcher``. The session's callbacks are
dispatched onto the GUI thread the same way, so nothing here waits for the
network. Whatever fails is said in one line of text in the panel (which
names what was wrong), and the panel keeps working.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable
from typing import Any, Literal, Optional

from Qt import QtCore, QtGui, QtWidgets

from .. import links, notes, relay_api
from ..client import SessionClient
from ..history import NoteActions
from ..host import Host
from ..images import PublishedImages
from ..model import Anchor, Annotation, ImageRef, Participant, SessionInfo
from ..protocol import Envelope
from ..settings import HostedSession, PanelSettings
from ..share import Sharer
from ..share_session import ShareOptions, ShareSession
from . import widgets as w
from .cards import NoteCard, PersonRow, SessionDelegate
from .dispatch import GuiDispatcher, SerialWorker
from .overlay import ViewerOverlay
from .thumbs import Thumbnails
from .toolbar import OverlayToolbar

log = logging.getLogger("overshoulder.ui")

#: How often the panel looks for changes the client does not announce (its own acks).
POLL_MS = 250
#: Chat lines shown at most.
CHAT_LINES = 500
#: The watermark settings a host picks from (SessionInfo.watermark).
WATERMARKS = ("viewers", "everyone", "off")
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


class Panel(QtWidgets.QWidget):
    """The whole panel for one app (``host``); owns the session and the viewer overlay."""

    def __init__(
        self, host: Host, parent: Any = None, *, settings: Optional[PanelSettings] = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings if settings is not None else PanelSettings()
        #: The session this panel is in (None: none).
        self.share: Optional[ShareSession] = None
        self.overlay: Optional[ViewerOverlay] = None
        self.sessions: list[SessionInfo] = []
        self._seen: dict[str, Any] = {}
        #: The notes list as laid out: (group title, the group, [(card, note)]) per frame.
        self._groups: list[tuple[Any, notes.FrameNotes, list[tuple[Any, Annotation]]]] = []
        self._cards: dict[str, NoteCard] = {}
        self._heads: dict[int, Any] = {}
        self._people: dict[str, PersonRow] = {}
        self._people_text: list[str] = []
        #: Which relay the sessions list shows, and the newest refresh asked for.
        self._listed_relay: Optional[str] = None
        self._refresh_gen = 0
        self._pending_share = False
        #: HTTP calls in flight ("refresh", "create", "invite"): their buttons wait.
        self._busy: set[str] = set()
        self._gui = GuiDispatcher(self)
        self._life = SerialWorker(
            self._gui, "overshoulder-ui-life", "a session step", idle_s=SERIAL_IDLE_S
        )
        self.thumbnails = Thumbnails(self)
        self._build()
        self._poll = QtCore.QTimer(self)
        self._poll.timeout.connect(self._render)
        self._poll.start(POLL_MS)
        self._sessions_timer = QtCore.QTimer(self)
        self._sessions_timer.timeout.connect(self._refresh_quietly)
        self._sessions_timer.start(SESSIONS_REFRESH_MS)
        self._render()

    # --- the session's parts, for glue and tests ----------------------------------------------

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
        return self.share is not None and self.share.sharing

    @property
    def _restarting(self) -> bool:
        return self.share is not None and self.share.restarting

    @property
    def _role(self) -> Optional[str]:
        return self.share.role if self.share is not None else None

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle("Overshoulder")
        root = QtWidgets.QVBoxLayout(self)
        root.setContentsMargins(8, 8, 8, 8)
        root.setSpacing(6)

        # Before joining: the relay and its sessions, your name, Share / Join.
        self.setup_box = QtWidgets.QWidget(self)
        setup = QtWidgets.QVBoxLayout(self.setup_box)
        setup.setContentsMargins(0, 0, 0, 0)
        setup.setSpacing(4)
        setup.addWidget(w.section_title("Relay", self.setup_box))
        relay_row = QtWidgets.QHBoxLayout()
        self.relay_edit = QtWidgets.QLineEdit(self.settings.relay, self.setup_box)
        self.relay_edit.setPlaceholderText("http://relay.studio:8770")
        self.refresh_button = QtWidgets.QPushButton("Refresh", self.setup_box)
        self.refresh_button.setToolTip("Ask the relay for its open sessions again")
        relay_row.addWidget(self.relay_edit, 1)
        relay_row.addWidget(self.refresh_button)
        setup.addLayout(relay_row)
        self.sessions_list = QtWidgets.QListWidget(self.setup_box)
        self.sessions_list.setMaximumHeight(130)
        self.sessions_list.setItemDelegate(SessionDelegate(self.sessions_list))
        self.sessions_list.setTextElideMode(QtCore.Qt.TextElideMode.ElideRight)
        self.sessions_list.setHorizontalScrollBarPolicy(
            QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
        self.sessions_hint = w.muted(QtWidgets.QLabel("", self.setup_box))
        self.sessions_hint.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.sessions_hint.setWordWrap(True)
        self.rejoin_button = QtWidgets.QPushButton("Take back as host", self.setup_box)
        self.rejoin_button.setToolTip("Join a session made from this panel again, as its host")
        setup.addWidget(self.sessions_list)
        setup.addWidget(self.sessions_hint)
        rejoin_row = QtWidgets.QHBoxLayout()
        rejoin_row.addStretch(1)
        rejoin_row.addWidget(self.rejoin_button)
        setup.addLayout(rejoin_row)
        setup.addWidget(w.section_title("You", self.setup_box))
        self.name_edit = QtWidgets.QLineEdit(self.settings.name, self.setup_box)
        self.name_edit.setPlaceholderText("Your name, as the others see it")
        setup.addWidget(self.name_edit)
        setup.addWidget(w.section_title("Share this viewer", self.setup_box))
        self.session_name_edit = QtWidgets.QLineEdit(self.setup_box)
        self.session_name_edit.setPlaceholderText("Session name (optional)")
        setup.addWidget(self.session_name_edit)
        share_row = QtWidgets.QHBoxLayout()
        self.share_button = QtWidgets.QPushButton("Share", self.setup_box)
        self.share_button.setDefault(True)
        self.share_button.setToolTip(
            "Make a session, share this app's viewer and copy a reviewer link"
        )
        self.create_button = QtWidgets.QPushButton("Create only", self.setup_box)
        self.create_button.setToolTip("Make a session and join it as host without sharing yet")
        share_row.addWidget(self.share_button, 1)
        share_row.addWidget(self.create_button)
        setup.addLayout(share_row)
        setup.addWidget(w.section_title("Or join one", self.setup_box))
        join_row = QtWidgets.QHBoxLayout()
        self.invite_edit = QtWidgets.QLineEdit(self.setup_box)
        self.invite_edit.setPlaceholderText("Paste an invite link or token")
        self.join_button = QtWidgets.QPushButton("Join", self.setup_box)
        join_row.addWidget(self.invite_edit, 1)
        join_row.addWidget(self.join_button)
        setup.addLayout(join_row)
        root.addWidget(self.setup_box)

        # After joining: a compact header; the connection settings folded away.
        self.header = QtWidgets.QFrame(self)
        self.header.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        head = QtWidgets.QVBoxLayout(self.header)
        head.setContentsMargins(8, 6, 8, 6)
        head.setSpacing(4)
        title_row = QtWidgets.QHBoxLayout()
        self.session_label = w.ElidedLabel("", self.header)
        font = self.session_label.font()
        font.setBold(True)
        self.session_label.setFont(font)
        self.leave_button = QtWidgets.QPushButton("Leave", self.header)
        self.leave_button.setToolTip("Leave the session (a host's session stays open on the relay)")
        title_row.addWidget(self.session_label, 1)
        title_row.addWidget(self.leave_button)
        head.addLayout(title_row)
        state_row = QtWidgets.QHBoxLayout()
        state_row.setSpacing(6)
        self.state_dot = w.dot(w.GREY, self.header)
        self.state_label = QtWidgets.QLabel("", self.header)
        self.state_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.role_label = w.badge("", self.header)
        self.sharing_button = w.toggle(
            "Share", self.header, "Share this app's viewer with the session (host only)"
        )
        state_row.addWidget(self.state_dot)
        state_row.addWidget(self.state_label)
        state_row.addWidget(self.role_label)
        state_row.addStretch(1)
        state_row.addWidget(self.sharing_button)
        head.addLayout(state_row)
        self.details_button = QtWidgets.QToolButton(self.header)
        self.details_button.setText("Connection and invites")
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(QtCore.Qt.ArrowType.RightArrow)
        head.addWidget(self.details_button)
        self.details = QtWidgets.QWidget(self.header)
        details = QtWidgets.QGridLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setColumnStretch(1, 1)
        self.relay_label = w.ElidedLabel("", self.details)
        details.addWidget(w.muted(QtWidgets.QLabel("Relay", self.details)), 0, 0)
        details.addWidget(self.relay_label, 0, 1, 1, 2)
        self.role_combo = QtWidgets.QComboBox(self.details)
        self.role_combo.addItems(["reviewer", "viewer"])
        self.role_combo.setCurrentText(self.settings.invite_role)
        self.role_combo.setToolTip("reviewer: draws and talks; viewer: watches and chats")
        self.invite_button = QtWidgets.QPushButton("Copy link", self.details)
        self.invite_button.setToolTip("Make an invite link for this role and copy it")
        details.addWidget(w.muted(QtWidgets.QLabel("Invite", self.details)), 1, 0)
        details.addWidget(self.role_combo, 1, 1)
        details.addWidget(self.invite_button, 1, 2)
        self.invite_link_edit = QtWidgets.QLineEdit(self.details)
        self.invite_link_edit.setReadOnly(True)
        self.invite_link_edit.setPlaceholderText("the last invite link made")
        details.addWidget(self.invite_link_edit, 2, 0, 1, 3)
        self.watermark_combo = QtWidgets.QComboBox(self.details)
        self.watermark_combo.addItems(list(WATERMARKS))
        self.watermark_combo.setToolTip(
            "Whose frames carry their name and the time, burned into their downloads too, so "
            "a leaked screenshot names its source"
        )
        details.addWidget(w.muted(QtWidgets.QLabel("Watermark", self.details)), 3, 0)
        details.addWidget(self.watermark_combo, 3, 1, 1, 2)
        self.details.hide()
        head.addWidget(self.details)
        root.addWidget(self.header)

        self.status_label = w.muted(QtWidgets.QLabel("", self))
        self.status_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        self.error_label = QtWidgets.QLabel("", self)
        self.error_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.warning_label = QtWidgets.QLabel("", self)
        self.warning_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet(f"color: {WARNING_COLOR};")
        self.warning_label.hide()
        root.addWidget(self.status_label)
        root.addWidget(self.error_label)
        root.addWidget(self.warning_label)

        # In a session: people, the drawing tools, notes, chat.
        self.session_box = QtWidgets.QWidget(self)
        inside = QtWidgets.QVBoxLayout(self.session_box)
        inside.setContentsMargins(0, 0, 0, 0)
        inside.setSpacing(6)
        self.people_title = w.section_title("People", self.session_box)
        inside.addWidget(self.people_title)
        self.people_box = QtWidgets.QWidget(self.session_box)
        self.people_layout = QtWidgets.QVBoxLayout(self.people_box)
        self.people_layout.setContentsMargins(0, 0, 0, 0)
        self.people_layout.setSpacing(0)
        inside.addWidget(self.people_box)
        drive_row = QtWidgets.QHBoxLayout()
        self.follow_button = w.toggle(
            "Following", self.session_box, "Follow the driver's playhead; off: go free"
        )
        self.follow_button.setChecked(True)
        self.drive_button = w.toggle(
            "Drive", self.session_box, "Take the playhead: everyone who follows sees your frame"
        )
        self.driver_label = w.muted(w.ElidedLabel("", self.session_box))
        drive_row.addWidget(self.follow_button)
        drive_row.addWidget(self.drive_button)
        drive_row.addWidget(self.driver_label, 1)
        inside.addLayout(drive_row)

        self.toolbar = OverlayToolbar(None, self.session_box)
        inside.addWidget(self.toolbar)

        self.notes_title = w.section_title("Notes", self.session_box)
        inside.addWidget(self.notes_title)
        self.notes_area = QtWidgets.QScrollArea(self.session_box)
        self.notes_area.setWidgetResizable(True)
        self.notes_area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.notes_area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes_box = QtWidgets.QWidget(self.notes_area)
        self.notes_layout = QtWidgets.QVBoxLayout(self.notes_box)
        self.notes_layout.setContentsMargins(0, 0, 4, 0)
        self.notes_layout.setSpacing(4)
        self.notes_empty = w.muted(
            QtWidgets.QLabel("No notes yet. Draw on the viewer to make one.", self.notes_box)
        )
        self.notes_empty.setWordWrap(True)
        self.notes_layout.addWidget(self.notes_empty)
        self.notes_layout.addStretch(1)
        self.notes_area.setWidget(self.notes_box)
        inside.addWidget(self.notes_area, 1)

        inside.addWidget(w.section_title("Chat", self.session_box))
        self.chat_log = QtWidgets.QTextEdit(self.session_box)
        self.chat_log.setReadOnly(True)
        self.chat_log.setAcceptRichText(False)
        self.chat_log.setMaximumHeight(110)
        self.chat_log.setLineWrapMode(QtWidgets.QTextEdit.LineWrapMode.WidgetWidth)
        self.chat_log.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chat_log.setPlaceholderText("No messages yet.")
        inside.addWidget(self.chat_log)
        chat_row = QtWidgets.QHBoxLayout()
        self.chat_edit = QtWidgets.QLineEdit(self.session_box)
        self.chat_edit.setPlaceholderText("Message everyone")
        self.send_button = QtWidgets.QPushButton("Send", self.session_box)
        chat_row.addWidget(self.chat_edit, 1)
        chat_row.addWidget(self.send_button)
        inside.addLayout(chat_row)
        root.addWidget(self.session_box, 1)
        self.bottom_stretch = QtWidgets.QWidget(self)
        self.bottom_stretch.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Expanding
        )
        root.addWidget(self.bottom_stretch, 1)

        self.refresh_button.clicked.connect(self.refresh_sessions)
        self.sessions_list.itemSelectionChanged.connect(self._render_controls)
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
        self.relay_edit.editingFinished.connect(self._relay_edited)
        self.relay_edit.textEdited.connect(self._relay_typed)
        self.name_edit.editingFinished.connect(self._remember)
        self.role_combo.currentTextChanged.connect(lambda _: self._remember())
        self.thumbnails.ready.connect(self._picture_arrived)

    def _fold(self, open_: bool) -> None:
        """Unfold (or fold away) the connection settings and invites."""
        self.details.setVisible(open_)
        self.details_button.setArrowType(
            QtCore.Qt.ArrowType.DownArrow if open_ else QtCore.Qt.ArrowType.RightArrow
        )

    # --- messages ---------------------------------------------------------------------------

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

    def _render_warnings(self) -> None:
        """The Sharer's warnings (the app's state, a timeline that differs), polled."""
        warnings = self.share.warnings if self.share is not None else {}
        text = "\n".join(f"⚠ {w}" for _, w in sorted(warnings.items()))
        if text != self.warning_label.text():
            self.warning_label.setText(text)
        self.warning_label.setVisible(bool(text))

    def _status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    def _remember(self) -> None:
        self.settings.relay = self.relay_edit.text().strip() or self.settings.relay
        self.settings.name = self.name_edit.text().strip()
        self.settings.invite_role = self.role_combo.currentText()
        self.settings.save()

    def _relay(self) -> Optional[str]:
        try:
            return links.normalise_relay(self.relay_edit.text())
        except links.LinkError as exc:
            self.show_error(str(exc))
            return None

    def _name(self) -> Optional[str]:
        name = self.name_edit.text().strip()
        if not name:
            self.show_error("type your name first: the others see it next to your notes")
            return None
        return name

    # --- relay: sessions, create, join ---------------------------------------------------------

    def refresh_sessions(self, quiet: bool = False) -> None:
        """Ask the relay for its sessions on a worker thread; the list fills in with the answer.

        ``quiet`` (the panel's own refreshes: on showing, every ``SESSIONS_REFRESH_MS``, after
        leaving, when the address changed): no status line and no error line, only the hint
        under the list says when the relay does not answer. The newest request wins.
        """
        if quiet:
            try:
                relay = links.normalise_relay(self.relay_edit.text())
            except links.LinkError:
                return
        else:
            found_relay = self._relay()
            if found_relay is None:
                return
            relay = found_relay
            self.clear_error()
            self._status(f"asking {relay} for its sessions…")
            self._busy.add("refresh")
            self._render_controls()
        self._refresh_gen += 1
        gen = self._refresh_gen

        def done(found: list[SessionInfo]) -> None:
            if not quiet:
                self._busy.discard("refresh")
            if gen != self._refresh_gen:
                self._render_controls()
                return
            self.sessions = found
            if not quiet:
                self._remember()
                self._status(f"{len(found)} open session(s) on {relay}")
            self._fill_sessions(relay)

        def failed(exc: BaseException) -> None:
            if not quiet:
                self._failed("refresh")(exc)
            if gen == self._refresh_gen:
                self.sessions = []
                self._fill_sessions(relay, f"No sessions listed: {exc}")

        self._gui.in_background(lambda: relay_api.list_sessions(relay), done, failed)

    def _refresh_quietly(self) -> None:
        if self.share is None and self.isVisible() and "refresh" not in self._busy:
            self.refresh_sessions(quiet=True)

    def _relay_typed(self, text: str) -> None:
        """The address is being changed: the list of the old relay's sessions goes at once."""
        if self._listed_relay is not None:
            self._refresh_gen += 1  # an answer still on its way is for the old address
            self.sessions = []
            self._fill_sessions(None, "Press Enter or Refresh to list this relay's sessions")

    def _relay_edited(self) -> None:
        self._remember()
        try:
            relay = links.normalise_relay(self.relay_edit.text())
        except links.LinkError:
            return
        if relay != self._listed_relay:
            self.refresh_sessions(quiet=True)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self.share is None and self._listed_relay is None:
            QtCore.QTimer.singleShot(0, self._refresh_quietly)

    def _failed(self, job: str = "") -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self._busy.discard(job)
            self._status("")
            self.show_error(str(exc))
            self._render_controls()

        return failed

    def _fill_sessions(self, relay: Optional[str], hint: str = "") -> None:
        """The list as the relay last answered (the selection kept when still there)."""
        current = self.sessions_list.currentItem()
        keep = current.data(NOTE_ROLE) if current is not None else None
        self.sessions_list.blockSignals(True)
        self.sessions_list.clear()
        self._listed_relay = relay
        for s in self.sessions:
            mine = relay is not None and self.settings.hosted_session(relay, s.id) is not None
            people = f"{s.participants} here" if s.participants else "nobody here"
            host = f"host {s.host_name} · " if s.host_name else ""
            text = f"{s.name or s.id}\n{host}{people}{' · yours' if mine else ''}"
            item = QtWidgets.QListWidgetItem(text)
            item.setToolTip(text)
            item.setData(NOTE_ROLE, s.id)
            self.sessions_list.addItem(item)
            if s.id == keep:
                self.sessions_list.setCurrentItem(item)
        self.sessions_list.blockSignals(False)
        if not hint and relay is not None and not self.sessions:
            hint = f"No open sessions on {relay}: Share makes one."
        self.sessions_hint.setText(hint)
        self.sessions_hint.setVisible(bool(hint))
        self.sessions_list.setVisible(bool(self.sessions))
        self._render_controls()

    def create_session(self, share: bool = False) -> None:
        """Make a session on the relay and join it as its host (``share``: then share at once)."""
        relay, name = self._relay(), self._name()
        if relay is None or name is None:
            return
        title = self.session_name_edit.text().strip() or f"{name}'s review"
        self.clear_error()
        self._status(f"making a session on {relay}…")
        self._busy.add("create")
        self._render_controls()
        self._pending_share = share

        def done(made: relay_api.CreatedSession) -> None:
            self._busy.discard("create")
            self.settings.remember_hosted(
                HostedSession(
                    made.session.id, relay, made.host_token, made.session.name, made.expires_at
                )
            )
            self._remember()
            self._open(relay, made.host_token, name, "host")

        def failed(exc: BaseException) -> None:
            self._pending_share = False
            self._failed("create")(exc)

        self._gui.in_background(lambda: relay_api.create_session(relay, title, name), done, failed)

    def join(self, text: str) -> None:
        """Join with a pasted invite link or token (a bare token joins the relay in the field)."""
        name = self._name()
        if name is None:
            return
        try:
            invite = links.parse_invite(text, self.relay_edit.text())
        except links.LinkError as exc:
            self.show_error(str(exc))
            return
        self.clear_error()
        if invite.relay != self.relay_edit.text().strip():
            self.relay_edit.setText(invite.relay)
        self._remember()
        self._open(invite.relay, invite.token, invite.name or name, invite.role)

    def rejoin(self) -> None:
        """Join the selected session again as its host, with the token kept when it was made."""
        relay, name = self._relay(), self._name()
        item = self.sessions_list.currentItem()
        if relay is None or name is None or item is None:
            return
        hosted = self.settings.hosted_session(relay, str(item.data(NOTE_ROLE)))
        if hosted is None:
            self.show_error(
                "this session was not made from this panel: ask its host for an invite link"
            )
            return
        self.clear_error()
        self._open(relay, hosted.token, name, "host")

    # --- a session's life ------------------------------------------------------------------------

    def _open(self, relay: str, token: str, name: str, role: Optional[str]) -> None:
        if self.share is not None:
            self.close_session()
        options = ShareOptions(
            follow=self.follow_button.isChecked(),
            dispatch=self._gui.post,
            background=self._life.submit,
        )
        try:
            share = ShareSession(relay, token, name, self.host, role, options)
        except Exception as exc:  # a bad name or token is refused here, before any socket
            self.show_error(f"cannot join: {exc}")
            return
        self.share = share
        share.on_state(self._state_changed)
        share.on("error", self._relay_error)
        for mtype in (
            "lease",
            "join",
            "leave",
            "presence",
            "chat",
            "annotation_add",
            "annotation_update",
            "annotation_delete",
        ):
            share.on(mtype, lambda env: self._render())
        share.start()
        viewer = self._viewer()
        if viewer is not None:
            self.overlay = ViewerOverlay(viewer, self.host)
            self._show_session_on_overlay()
            self.overlay.changed.connect(self._render_people_later)
        self.toolbar.set_overlay(self.overlay)
        self._status(f"connecting to {relay}…")
        self._seen.clear()
        self._render()

    def _show_session_on_overlay(self) -> None:
        share = self.share
        if self.overlay is not None and share is not None:
            self.overlay.set_session(share.sharer, actions=share.note_actions, images=share.images)

    def _viewer(self) -> Any:
        try:
            return self.host.viewer_widget()
        except Exception as exc:
            log.warning("%s: no viewer widget for the overlay: %s", self.host.name, exc)
            return None

    @property
    def closing(self) -> bool:
        """True while a share or a session is being stopped on the worker thread."""
        return self._life.busy or self._restarting

    def close_session(self) -> None:
        """Leave the session: stop sharing and close the client (off this thread); never waits."""
        share = self.share
        if share is None:
            return
        if self.overlay is not None:
            self.overlay.set_session(None)
            self.overlay.hide()
            self.overlay.deleteLater()
            self.overlay = None
        self.toolbar.set_overlay(None)
        self.share = None
        self._pending_share = False
        self._status("leaving the session…")

        def done() -> None:
            if self.share is None:
                self._status("left the session")
                self._refresh_quietly()  # the list shows who is where now, not before
            self._render()

        self.thumbnails.set_source(None, None, None)
        share.leave(done)
        self._render()

    def set_sharing(self, on: bool) -> None:
        """Share this app's viewer (on) or stop sharing pixels (off); the session stays open.

        With no session open, "on" makes one first, shares, and copies an invite link.
        """
        share = self.share
        if share is None:
            if on:
                self.create_session(share=True)
            self._render_controls()
            return
        if self._role != "host":
            self.show_error("only the session's host shares the viewer; you joined as a guest")
            self._render_controls()
            return

        def started() -> None:
            self._show_session_on_overlay()
            self._status("sharing the viewer" if on else "not sharing the viewer")
            self._render()

        if share.set_sharing(on, started):
            self._status("starting to share…" if on else "stopping the share…")
        self._render_controls()

    def make_invite(self, role: Optional[str] = None) -> None:
        """Make an invite link (reviewer or viewer) with the host token; copy it."""
        role = role or self.role_combo.currentText()
        share = self.share
        session = share.session if share is not None else None
        if share is None or session is None:
            self.show_error("open a session first (Create or Share), then make an invite")
            return
        if self._role != "host":
            self.show_error("only the session's host can make invite links")
            return
        relay, token = share.relay, share.token
        self._busy.add("invite")
        self._render_controls()

        def done(made: relay_api.InviteLink) -> None:
            self._busy.discard("invite")
            self.invite_link_edit.setText(made.link)
            self.invite_link_edit.setCursorPosition(0)
            QtWidgets.QApplication.clipboard().setText(made.link)
            self._status(f"{made.role} link copied to the clipboard")
            self.clear_error()

        self._gui.in_background(
            lambda: relay_api.make_invite(relay, session.id, token, role),
            done,
            self._failed("invite"),
        )

    def set_watermark(self, mode: str) -> None:
        """Host: who sees the watermark ("viewers", "everyone", "off"), for the whole session."""
        client = self.client
        if client is None or self._role != "host":
            self.show_error("only the session's host sets the watermark")
            return
        if mode not in WATERMARKS:
            self.show_error(f"the watermark is one of {', '.join(WATERMARKS)}, not {mode!r}")
            return
        client.update_session(watermark=mode)  # type: ignore[arg-type]
        self._status(f"watermark: {mode}")

    # --- driving, following, chat, notes --------------------------------------------------------

    def follow(self, on: bool) -> None:
        if self.sharer is not None and self.share is not None:
            self.share.follow(on)
        self.follow_button.setChecked(on)
        self._render_controls()

    def toggle_drive(self) -> None:
        """Take the playhead, or give it back while driving."""
        if self.share is not None:
            self.share.drive()

    def send_chat(self, text: str) -> None:
        text = text.strip()
        client = self.client
        if not text or client is None:
            return
        try:
            client.chat(text)
        except Exception as exc:
            self.show_error(f"chat not sent: {exc}")
            return
        self.chat_edit.clear()

    def jump_to(self, note_id: str) -> None:
        """Move the app to the note's frame and select what it is about (on the main thread)."""
        note = self._note(note_id)
        if note is None:
            return
        sharer = self.sharer
        if sharer is not None and sharer.following and not sharer.driving:
            self.follow(False)  # stepping away from the driver: go free, as the browser does
        host, frame, obj = self.host, note.anchor.frame, note.anchor.object

        def go() -> None:
            host.set_playhead(frame)
            if obj is not None and not host.select(obj):
                log.info("%s: %s is no longer there", host.name, obj.path)

        host.run_on_main(go)

    def set_status(self, note_id: str, status: Literal["open", "done"]) -> None:
        """Mark a note done or open again, for everyone."""
        if self.note_actions is None:
            return
        try:
            self.note_actions.set_status(note_id, status)
        except Exception as exc:
            self.show_error(f"note not changed: {exc}")
        self._render()

    def end_here(self, note_id: str) -> None:
        """As in the browser: the note now ends on the frame shown (or starts there, when that
        frame is before its first), for everyone; its author's or a host's only."""
        note, frame = self._note(note_id), self._frame()
        if self.note_actions is None or note is None or frame is None:
            return
        if not self.note_actions.mine(note):
            self.show_error("only the note's author or a host may change its frames")
            return
        first, last = (
            (note.anchor.frame, frame) if frame >= note.anchor.frame else (frame, note.anchor.last)
        )
        try:
            self.note_actions.set_range(note_id, first, last)
        except Exception as exc:
            self.show_error(f"note not changed: {exc}")
        self._render()

    def delete_note(self, note_id: str) -> None:
        """Delete a note for everyone (its author's or a host's; undo brings it back)."""
        if self.note_actions is None:
            return
        try:
            self.note_actions.delete([note_id])
        except Exception as exc:
            self.show_error(f"note not deleted: {exc}")
        if self.overlay is not None:
            self.overlay.changed.emit()
        self._render()

    def _note(self, note_id: str) -> Optional[Annotation]:
        return self.share.annotations.get(note_id) if self.share is not None else None

    # --- from the client --------------------------------------------------------------------------

    def _state_changed(self, state: str) -> None:
        share = self.share
        if share is None:
            return
        if state == "refused":
            err = share.last_error
            reason = err.message if err is not None else "no reason given"
            self.show_error(f"the relay refused to let you in: {reason}")
            self.close_session()
            return
        if state == "reconnecting":
            err = share.last_error
            self._status(f"connection lost ({err.message if err else 'no answer'}), retrying…")
        elif state == "synced":
            self._status("")  # the header says where and as what (the session says it is here)
            if self._pending_share:
                self._pending_share = False
                self.set_sharing(True)
                self.make_invite()
        self._render()

    def _relay_error(self, env: Envelope) -> None:
        err = env.data
        if err.code == "rate_limited" or err.type == "hello":
            return
        what = f" ({err.type.replace('_', ' ')})" if err.type else ""
        self.show_error(f"the relay refused{what}: {err.message}")

    # --- rendering --------------------------------------------------------------------------------

    def _render_people_later(self) -> None:
        self._seen.pop("people", None)
        self._render()

    def _render(self) -> None:
        """Bring the lists up to date; cheap when nothing changed (polled too)."""
        self._render_controls()
        self._render_warnings()
        share = self.share
        if share is None:
            if self._seen.get("people") is not None:
                self._clear_people()
                self._clear_notes()
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
        )
        if self._seen.get("people") != people_key:
            self._seen["people"] = people_key
            self._render_people(share)
        frame = self._frame()
        can = self.note_actions is not None and self.note_actions.can_draw
        if self._seen.get("can_draw") != can:  # known once in: the tools follow the role
            self._seen["can_draw"] = can
            self.toolbar.refresh()
        notes_key = (id(anns), self.images.version if self.images else 0, can)
        if self._seen.get("notes") != notes_key:
            self._seen["notes"] = notes_key
            self._render_notes(anns, frame)
        elif self._seen.get("notes_frame") != frame:
            self._mark_frame(frame)  # only the frame moved (playback): no rebuild
        self._seen["notes_frame"] = frame
        chat = share.chat_log
        if self._seen.get("chat") != id(chat):
            self._seen["chat"] = id(chat)
            self._render_chat(chat)

    def _frame(self) -> Optional[int]:
        try:
            return int(self.host.playhead().frame)
        except Exception:
            return None

    def _render_controls(self) -> None:
        share = self.share
        open_ = share is not None
        host = self._role == "host"
        self.setup_box.setVisible(not open_)
        self.bottom_stretch.setVisible(not open_)
        self.header.setVisible(open_)
        self.session_box.setVisible(open_)
        self.refresh_button.setEnabled("refresh" not in self._busy)
        self.create_button.setEnabled(not open_ and "create" not in self._busy)
        self.join_button.setEnabled(not open_)
        self.leave_button.setEnabled(open_)
        self.share_button.setEnabled(
            not open_ and not self._restarting and "create" not in self._busy
        )
        self.share_button.setText(
            "Sharing…" if "create" in self._busy and self._pending_share else "Share"
        )
        self.sharing_button.setVisible(open_ and host)
        self.sharing_button.setEnabled(host and not self._restarting)
        self.sharing_button.setChecked(self.sharing)
        self.sharing_button.setText("Sharing" if self.sharing else "Share viewer")
        self.invite_button.setEnabled(open_ and host and "invite" not in self._busy)
        self.role_combo.setEnabled(open_ and host)
        self.watermark_combo.setEnabled(open_ and host)
        session = share.session if share is not None else None
        mode = session.watermark if session is not None else "viewers"
        if self.watermark_combo.currentText() != mode and not self.watermark_combo.hasFocus():
            self.watermark_combo.setCurrentText(mode)
        item = self.sessions_list.currentItem()
        relay = self.relay_edit.text().strip()
        kept = item is not None and self.settings.hosted_session(relay, str(item.data(NOTE_ROLE)))
        self.rejoin_button.setVisible(bool(kept))
        self.rejoin_button.setEnabled(bool(kept) and not open_)
        if share is not None:
            self._render_header(share)
        sharer = self.sharer
        can_draw = self.note_actions is not None and self.note_actions.can_draw
        following = self.follow_button.isChecked()
        self.follow_button.setEnabled(sharer is not None)
        self.follow_button.setText("Following" if following else "Follow")
        driving = sharer is not None and sharer.driving
        self.drive_button.setEnabled(sharer is not None and can_draw)
        self.drive_button.setChecked(driving)
        self.drive_button.setText("Driving" if driving else "Drive")
        self.drive_button.setToolTip(
            "You drive: click to give the playhead back"
            if driving
            else "Take the playhead: everyone who follows sees your frame"
        )
        self.send_button.setEnabled(open_)

    def _render_header(self, share: ShareSession) -> None:
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

    def _clear_people(self) -> None:
        for row in self._people.values():
            row.hide()
            row.deleteLater()
        self._people = {}
        self._people_text = []

    def _render_people(self, share: ShareSession) -> None:
        me = share.participant
        hidden = self.overlay.hidden_authors if self.overlay is not None else set()
        drawing = self.overlay.drawing_frames() if self.overlay is not None else {}
        people = sorted(
            share.participants.values(),
            key=lambda p: ({"host": 0, "reviewer": 1}.get(p.role, 2), p.name.lower()),
        )
        here = {p.id for p in people}
        gone: dict[str, str] = {}
        for n in share.annotations.values():
            if n.author and n.author not in here:
                gone[n.author] = n.author_name or "someone"
        rows: list[tuple[str, str, Optional[Participant]]] = [(p.id, p.name, p) for p in people]
        rows.extend((pid, name, None) for pid, name in gone.items())
        texts: list[str] = []
        layout = self.people_layout
        while layout.count():
            layout.takeAt(0)
        kept: dict[str, PersonRow] = {}
        for pid, name, person in rows:
            row = self._people.get(pid) or PersonRow(pid, self._marks_toggled, self.people_box)
            kept[pid] = row
            mine = me is not None and pid == me.id
            drives = share.driver == pid
            row.show_person(
                name,
                person,
                me=mine,
                drives=drives,
                shown=pid not in hidden,
                drawing_on=drawing.get(pid),
            )
            layout.addWidget(row)
            row.show()
            texts.append(_person_text(name, person, mine, drives))
        for pid, row in self._people.items():
            if pid not in kept:
                row.hide()
                row.deleteLater()
        self._people = kept
        self._people_text = texts
        self.people_title.setText(f"PEOPLE {len(people)}")
        driver = share.driver
        if driver is None:
            self.driver_label.set_full_text("Nobody drives")
        elif me is not None and driver == me.id:
            self.driver_label.set_full_text("You drive")
        else:
            who = share.participants.get(driver)
            self.driver_label.set_full_text(f"{who.name if who else 'someone'} drives")

    def current_image(self, frame: int, anchor: Optional[Anchor] = None) -> Optional[ImageRef]:
        """What is known of the image now shown for ``frame``: published hash, the app's version.

        ``anchor``: the app's anchor now, when the caller has it (one ``host.anchor()``
        per render of the list, not one per frame of it).
        """
        published = self.images.hash_of(frame) if self.images is not None else None
        version = None
        if anchor is None:
            anchor = self._host_anchor()
        if anchor is not None and anchor.frame == frame and anchor.image is not None:
            version = anchor.image.version
        if published is None and version is None:
            return None
        return ImageRef(hash=published, version=version)

    def _host_anchor(self) -> Optional[Anchor]:
        try:
            return self.host.anchor()
        except Exception as exc:
            log.debug("no anchor for the image check: %s", exc)
            return None

    def _clear_notes(self) -> None:
        layout = self.notes_layout
        while layout.count():
            layout.takeAt(0)
        for widget in [*self._cards.values(), *self._heads.values()]:
            widget.hide()
            widget.deleteLater()
        self._cards, self._heads, self._groups = {}, {}, []
        layout.addWidget(self.notes_empty)
        layout.addStretch(1)
        self.notes_empty.show()

    def _render_notes(self, anns: Any, frame: Optional[int]) -> None:
        """Lay the list out again (the notes or the images changed); cards are reused."""
        layout = self.notes_layout
        while layout.count():
            layout.takeAt(0)
        self._groups = []
        anchor = self._host_anchor()
        cards: dict[str, NoteCard] = {}
        heads: dict[int, Any] = {}
        count = 0
        for group in notes.by_frame(anns.values()):
            head = self._heads.get(group.frame)
            if head is None:
                head = w.ElidedLabel("", self.notes_box)
                head.setContentsMargins(0, 6, 0, 0)
            heads[group.frame] = head
            layout.addWidget(head)
            head.show()
            rows = []
            for note in group.notes:
                card = self._cards.get(note.id) or NoteCard(self, note, self.notes_box)
                cards[note.id] = card
                card.note = note
                layout.addWidget(card)
                card.show()
                rows.append((card, note))
                count += 1
            self._groups.append((head, group, rows))
            self._decorate(head, group, rows, frame, anchor)
        for old in [c for i, c in self._cards.items() if i not in cards] + [
            h for f, h in self._heads.items() if f not in heads
        ]:
            old.hide()
            old.deleteLater()
        self._cards, self._heads = cards, heads
        layout.addWidget(self.notes_empty)
        self.notes_empty.setVisible(count == 0)
        layout.addStretch(1)
        self.notes_title.setText(f"NOTES {count}")

    def _mark_frame(self, frame: Optional[int]) -> None:
        """The frame moved: retitle the groups whose "here" changed, and re-check the images of
        the groups at the old and the new frame (only there does the app name the image)."""
        before = self._seen.get("notes_frame")
        anchor: Optional[Anchor] = None
        for head, group, rows in self._groups:
            touched = group.frame in (before, frame)
            if not touched and self._here(group, before) == self._here(group, frame):
                continue
            if anchor is None:
                anchor = self._host_anchor()
            self._decorate(head, group, rows, frame, anchor)

    def _decorate(
        self,
        head: Any,
        group: notes.FrameNotes,
        rows: list[tuple[Any, Annotation]],
        frame: Optional[int],
        anchor: Optional[Anchor],
    ) -> None:
        """A group's title, its bold "here", and its cards (texts, image warnings, pictures)."""
        head.set_full_text(self._frame_title(group, frame))
        font = head.font()
        font.setBold(self._here(group, frame))
        head.setFont(font)
        image = self.current_image(group.frame, anchor)
        actions = self.note_actions
        can = actions is not None and actions.can_draw
        for card, note in rows:
            drawn = note.anchor.image
            card.show_note(
                note,
                notes.stale_warning(note, image),
                can_edit=can,
                mine=actions is not None and actions.mine(note),
                picture=self.thumbnails.get(drawn.hash if drawn is not None else None),
            )

    def _picture_arrived(self, digest: str) -> None:
        for card in self._cards.values():
            if card.image_hash == digest:
                card.set_picture(self.thumbnails.get(digest))

    @staticmethod
    def _here(group: notes.FrameNotes, frame: Optional[int]) -> bool:
        """Whether a note of the group is drawn on ``frame`` (a range note: anywhere in it)."""
        return frame is not None and any(n.anchor.holds(frame) for n in group.notes)

    @classmethod
    def _frame_title(cls, group: notes.FrameNotes, frame: Optional[int]) -> str:
        count = len(group.notes)
        title = f"Frame {group.frame} · {count} note{'s' if count != 1 else ''}"
        if group.open != count:
            title += f", {group.open} open"
        return title + (" · here" if cls._here(group, frame) else "")

    def _render_chat(self, chat: Any) -> None:
        """The chat, names in their colours (user text escaped: never read as markup)."""
        palette = self.chat_log.palette()
        faint = palette.color(QtGui.QPalette.ColorRole.PlaceholderText).name()
        lines = []
        for line in list(chat)[-CHAT_LINES:]:
            when = time.strftime("%H:%M", time.localtime(line.ts)) if line.ts else "--:--"
            color = w.person_color(line.author, palette).name()
            name = html.escape(line.author_name or "someone")
            text = html.escape(line.text).replace("\n", "<br>")
            lines.append(
                f'<div><span style="color:{faint}">{when}</span> '
                f'<b style="color:{color}">{name}</b>: {text}</div>'
            )
        self.chat_log.setHtml("".join(lines))
        bar = self.chat_log.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- texts for tests and glue -----------------------------------------------------------------

    def note_rows(self) -> list[tuple[int, str, str]]:
        """(frame, note id, row text) of every note in the list, in order."""
        return [
            (group.frame, card.note.id, card.text)
            for _, group, rows in self._groups
            for card, _ in rows
        ]

    def note_card(self, note_id: str) -> Optional[NoteCard]:
        """The card that shows ``note_id`` in the list (None when not listed)."""
        return self._cards.get(note_id)

    def group_titles(self) -> list[str]:
        """The frame groups' titles, in order ("Frame 1001 · 2 notes · here")."""
        return [head.full_text for head, _, _ in self._groups]

    def people_rows(self) -> list[str]:
        """One line per person listed: "Mia (host, drives, you)"."""
        return list(self._people_text)

    def person_row(self, person_id: str) -> Optional[PersonRow]:
        return self._people.get(person_id)


def _person_text(name: str, person: Optional[Participant], me: bool, drives: bool) -> str:
    if person is None:
        return f"{name} (left)"
    bits: list[str] = [person.role]
    if drives:
        bits.append("drives")
    if me:
        bits.append("you")
    if person.state in ("drawing", "typing", "away"):
        bits.append(person.state)
    elif not person.following:
        bits.append("free")
    return f"{name} ({', '.join(bits)})"

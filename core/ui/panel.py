"""The Overshoulder panel: relay and sessions, share, invite, people, notes and chat.

Threads: every HTTP call and every blocking step of a session's life (stopping
a share, closing the client) runs on a worker thread; the results come back
to the GUI thread through ``GuiDispatcher``. ``SessionClient`` callbacks are
dispatched onto the GUI thread the same way, so nothing here waits for the
network. Whatever fails is said in one line of text in the panel (which
names what was wrong), and the panel keeps working.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, Optional

from Qt import QtCore, QtGui, QtWidgets

from ..client import SessionClient
from ..host import Host
from ..model import Anchor, Annotation, ImageRef, SessionInfo
from ..protocol import Envelope
from ..share import Sharer
from . import links, notes, relay_api
from .dispatch import GuiDispatcher
from .history import NoteActions
from .images import PublishedImages
from .overlay import ViewerOverlay
from .settings import HostedSession, PanelSettings
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
STATE_TEXT = {
    "connecting": "connecting…",
    "synced": "connected",
    "reconnecting": "connection lost, reconnecting…",
    "refused": "refused",
    "closed": "closed",
}


class _Serial:
    """One worker thread that runs lifecycle steps in order (stop a share, close a client).

    The thread exists only while there is work: it starts with the first step and ends
    once idle for ``SERIAL_IDLE_S``, so a panel closed and opened again (Maya's dock) leaves
    no thread behind.
    """

    def __init__(self, gui: GuiDispatcher) -> None:
        self._gui = gui
        self._jobs: queue.Queue[tuple[Callable[[], Any], Optional[Callable[[Any], None]]]] = (
            queue.Queue()
        )
        self._busy = 0
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    def submit(self, work: Callable[[], Any], done: Optional[Callable[[Any], None]] = None) -> None:
        with self._lock:
            self._busy += 1
            self._jobs.put((work, done))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="overshoulder-ui-life", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                work, done = self._jobs.get(timeout=SERIAL_IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            result: Any = None
            try:
                result = work()
            except Exception:
                log.exception("a session step failed")
            with self._lock:
                self._busy -= 1
            if done is not None:
                self._gui.post(lambda d=done, r=result: d(r))  # type: ignore[misc]


class Panel(QtWidgets.QWidget):
    """The whole panel for one app (``host``); owns the session and the viewer overlay."""

    def __init__(
        self, host: Host, parent: Any = None, *, settings: Optional[PanelSettings] = None
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.settings = settings if settings is not None else PanelSettings()
        self.client: Optional[SessionClient] = None
        self.sharer: Optional[Sharer] = None
        self.overlay: Optional[ViewerOverlay] = None
        self.note_actions: Optional[NoteActions] = None
        self.images: Optional[PublishedImages] = None
        self.sharing = False
        self.sessions: list[SessionInfo] = []
        self._token: Optional[str] = None
        self._role: Optional[str] = None
        self._undo: list[Callable[[], None]] = []
        self._seen: dict[str, Any] = {}
        #: The notes list as built: (group item, the group, [(row item, note)]) per frame.
        self._groups: list[tuple[Any, notes.FrameNotes, list[tuple[Any, Annotation]]]] = []
        self._pending_share = False
        self._restarting = False
        #: HTTP calls in flight ("refresh", "create", "invite"): their buttons wait.
        self._busy: set[str] = set()
        self._gui = GuiDispatcher(self)
        self._life = _Serial(self._gui)
        self._build()
        self._poll = QtCore.QTimer(self)
        self._poll.timeout.connect(self._render)
        self._poll.start(POLL_MS)
        self._render()

    # --- layout -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setWindowTitle("Overshoulder")
        root = QtWidgets.QVBoxLayout(self)

        relay_box = QtWidgets.QGroupBox("Relay", self)
        relay = QtWidgets.QGridLayout(relay_box)
        self.relay_edit = QtWidgets.QLineEdit(self.settings.relay, relay_box)
        self.relay_edit.setPlaceholderText("http://relay.studio:8770")
        self.refresh_button = QtWidgets.QPushButton("Refresh", relay_box)
        self.sessions_list = QtWidgets.QListWidget(relay_box)
        self.sessions_list.setMaximumHeight(110)
        self.rejoin_button = QtWidgets.QPushButton("Take back as host", relay_box)
        self.rejoin_button.setToolTip("Join a session made from this panel again, as its host")
        relay.addWidget(self.relay_edit, 0, 0)
        relay.addWidget(self.refresh_button, 0, 1)
        relay.addWidget(self.sessions_list, 1, 0, 1, 2)
        relay.addWidget(self.rejoin_button, 2, 1)
        root.addWidget(relay_box)

        start_box = QtWidgets.QGroupBox("Session", self)
        start = QtWidgets.QGridLayout(start_box)
        self.name_edit = QtWidgets.QLineEdit(self.settings.name, start_box)
        self.name_edit.setPlaceholderText("Your name, as the others see it")
        self.session_name_edit = QtWidgets.QLineEdit(start_box)
        self.session_name_edit.setPlaceholderText("Session name (optional)")
        self.create_button = QtWidgets.QPushButton("Create", start_box)
        self.invite_edit = QtWidgets.QLineEdit(start_box)
        self.invite_edit.setPlaceholderText("Paste an invite link or token")
        self.join_button = QtWidgets.QPushButton("Join", start_box)
        self.share_button = QtWidgets.QPushButton("Share", start_box)
        self.share_button.setCheckable(True)
        self.share_button.setToolTip("Share this app's viewer (makes a session if none is open)")
        self.leave_button = QtWidgets.QPushButton("Leave", start_box)
        start.addWidget(QtWidgets.QLabel("Name", start_box), 0, 0)
        start.addWidget(self.name_edit, 0, 1, 1, 2)
        start.addWidget(self.session_name_edit, 1, 0, 1, 2)
        start.addWidget(self.create_button, 1, 2)
        start.addWidget(self.invite_edit, 2, 0, 1, 2)
        start.addWidget(self.join_button, 2, 2)
        start.addWidget(self.share_button, 3, 0, 1, 2)
        start.addWidget(self.leave_button, 3, 2)
        self.role_combo = QtWidgets.QComboBox(start_box)
        self.role_combo.addItems(["reviewer", "viewer"])
        self.role_combo.setCurrentText(self.settings.invite_role)
        self.role_combo.setToolTip("reviewer: draws and talks; viewer: watches and chats")
        self.invite_button = QtWidgets.QPushButton("Copy invite link", start_box)
        self.invite_link_edit = QtWidgets.QLineEdit(start_box)
        self.invite_link_edit.setReadOnly(True)
        start.addWidget(self.role_combo, 4, 0)
        start.addWidget(self.invite_button, 4, 1, 1, 2)
        start.addWidget(self.invite_link_edit, 5, 0, 1, 3)
        self.watermark_combo = QtWidgets.QComboBox(start_box)
        self.watermark_combo.addItems(list(WATERMARKS))
        self.watermark_combo.setToolTip(
            "Whose frames carry their name and the time, burned into their downloads too, so "
            "a leaked screenshot names its source"
        )
        start.addWidget(QtWidgets.QLabel("Watermark", start_box), 6, 0)
        start.addWidget(self.watermark_combo, 6, 1, 1, 2)
        root.addWidget(start_box)

        self.status_label = QtWidgets.QLabel("", self)
        self.status_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
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

        people_box = QtWidgets.QGroupBox("People (tick: show their marks)", self)
        people = QtWidgets.QVBoxLayout(people_box)
        self.people_list = QtWidgets.QListWidget(people_box)
        self.people_list.setMaximumHeight(110)
        self.driver_label = QtWidgets.QLabel("", people_box)
        self.driver_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        buttons = QtWidgets.QHBoxLayout()
        self.follow_button = QtWidgets.QPushButton("Follow", people_box)
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Follow the driver's playhead; off: go free")
        self.drive_button = QtWidgets.QPushButton("Drive", people_box)
        buttons.addWidget(self.follow_button)
        buttons.addWidget(self.drive_button)
        people.addWidget(self.people_list)
        people.addWidget(self.driver_label)
        people.addLayout(buttons)
        root.addWidget(people_box)

        self.toolbar = OverlayToolbar(None, self)
        root.addWidget(self.toolbar)

        notes_box = QtWidgets.QGroupBox("Notes", self)
        notes_layout = QtWidgets.QVBoxLayout(notes_box)
        self.notes_tree = QtWidgets.QTreeWidget(notes_box)
        self.notes_tree.setHeaderHidden(True)
        self.notes_tree.setWordWrap(True)
        note_buttons = QtWidgets.QHBoxLayout()
        self.goto_button = QtWidgets.QPushButton("Go to", notes_box)
        self.goto_button.setToolTip("Move to the note's frame and select what it is about")
        self.done_button = QtWidgets.QPushButton("Mark done", notes_box)
        self.end_here_button = QtWidgets.QPushButton("End here", notes_box)
        self.end_here_button.setToolTip(
            "The note holds frames up to the one shown now (before its first: from here)"
        )
        note_buttons.addWidget(self.goto_button)
        note_buttons.addWidget(self.done_button)
        note_buttons.addWidget(self.end_here_button)
        notes_layout.addWidget(self.notes_tree)
        notes_layout.addLayout(note_buttons)
        root.addWidget(notes_box, 1)

        chat_box = QtWidgets.QGroupBox("Chat", self)
        chat = QtWidgets.QGridLayout(chat_box)
        self.chat_log = QtWidgets.QPlainTextEdit(chat_box)
        self.chat_log.setReadOnly(True)
        self.chat_log.setMaximumHeight(140)
        self.chat_edit = QtWidgets.QLineEdit(chat_box)
        self.chat_edit.setPlaceholderText("Say something to everyone")
        self.send_button = QtWidgets.QPushButton("Send", chat_box)
        chat.addWidget(self.chat_log, 0, 0, 1, 2)
        chat.addWidget(self.chat_edit, 1, 0)
        chat.addWidget(self.send_button, 1, 1)
        root.addWidget(chat_box)

        self.refresh_button.clicked.connect(self.refresh_sessions)
        self.sessions_list.itemSelectionChanged.connect(self._render_controls)
        self.sessions_list.itemDoubleClicked.connect(lambda item: self.rejoin())
        self.rejoin_button.clicked.connect(self.rejoin)
        self.create_button.clicked.connect(lambda: self.create_session())
        self.join_button.clicked.connect(lambda: self.join(self.invite_edit.text()))
        self.invite_edit.returnPressed.connect(lambda: self.join(self.invite_edit.text()))
        self.share_button.clicked.connect(lambda checked=False: self.set_sharing(checked))
        self.leave_button.clicked.connect(self.close_session)
        self.invite_button.clicked.connect(lambda: self.make_invite())
        self.watermark_combo.activated.connect(
            lambda index: self.set_watermark(self.watermark_combo.itemText(index))
        )
        self.follow_button.clicked.connect(lambda checked=False: self.follow(checked))
        self.drive_button.clicked.connect(self.toggle_drive)
        self.people_list.itemChanged.connect(self._layer_toggled)
        self.notes_tree.itemDoubleClicked.connect(lambda item, col=0: self._jump_item(item))
        self.notes_tree.itemSelectionChanged.connect(self._render_controls)
        self.goto_button.clicked.connect(lambda: self._jump_item(self.notes_tree.currentItem()))
        self.done_button.clicked.connect(self._toggle_done)
        self.end_here_button.clicked.connect(self._end_here)
        self.send_button.clicked.connect(lambda: self.send_chat(self.chat_edit.text()))
        self.chat_edit.returnPressed.connect(lambda: self.send_chat(self.chat_edit.text()))
        self.relay_edit.editingFinished.connect(self._remember)
        self.name_edit.editingFinished.connect(self._remember)
        self.role_combo.currentTextChanged.connect(lambda _: self._remember())

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
        warnings = self.sharer.warnings if self.sharer is not None else {}
        text = "\n".join(f"⚠ {w}" for _, w in sorted(warnings.items()))
        if text != self.warning_label.text():
            self.warning_label.setText(text)
        self.warning_label.setVisible(bool(text))

    def _status(self, text: str) -> None:
        self.status_label.setText(text)

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

    def refresh_sessions(self) -> None:
        """Ask the relay for its sessions on a worker thread; the list fills in with the answer."""
        relay = self._relay()
        if relay is None:
            return
        self.clear_error()
        self._status(f"asking {relay} for its sessions…")
        self._busy.add("refresh")
        self._render_controls()

        def done(found: list[SessionInfo]) -> None:
            self._busy.discard("refresh")
            self.sessions = found
            self._remember()
            self._fill_sessions(relay)
            self._status(f"{len(found)} open session(s) on {relay}")

        self._gui.in_background(
            lambda: relay_api.list_sessions(relay), done, self._failed("refresh")
        )

    def _failed(self, job: str = "") -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            self._busy.discard(job)
            self._status("")
            self.show_error(str(exc))
            self._render_controls()

        return failed

    def _fill_sessions(self, relay: str) -> None:
        self.sessions_list.clear()
        for s in self.sessions:
            mine = self.settings.hosted_session(relay, s.id) is not None
            people = f"{s.participants} here" if s.participants else "nobody here"
            host = f" · host {s.host_name}" if s.host_name else ""
            text = f"{s.name or s.id}{host} · {people}{' · yours' if mine else ''}"
            item = QtWidgets.QListWidgetItem(text)
            item.setData(NOTE_ROLE, s.id)
            self.sessions_list.addItem(item)
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
        if self.client is not None:
            self.close_session()
        try:
            client = SessionClient(
                relay,
                token,
                name,
                client=self.host.name,
                dispatch=self._gui.post,
                publish_frames=role == "host",
            )
        except Exception as exc:  # a bad name or token is refused here, before any socket
            self.show_error(f"cannot join: {exc}")
            return
        self.client, self._token, self._role = client, token, role
        self.images = PublishedImages()
        self.sharing = False
        sharer = Sharer(self.host, client)
        self.sharer = sharer
        self.note_actions = NoteActions(sharer)
        on = client.on
        self._undo = [
            client.on_state(self._state_changed),
            on("error", self._relay_error),
            on("lease", lambda env: self._render()),
            on("join", lambda env: self._render()),
            on("leave", lambda env: self._render()),
            on("presence", lambda env: self._render()),
            on("chat", lambda env: self._render()),
            on("annotation_add", lambda env: self._render()),
            on("annotation_update", lambda env: self._render()),
            on("annotation_delete", lambda env: self._render()),
        ]
        sharer.start()
        client.start()
        viewer = self._viewer()
        if viewer is not None:
            self.overlay = ViewerOverlay(viewer, self.host)
            self.overlay.set_session(sharer, actions=self.note_actions, images=self.images)
            self.overlay.changed.connect(self._render_people_later)
        self.toolbar.set_overlay(self.overlay)
        self._status(f"connecting to {relay}…")
        self._seen.clear()
        self._render()

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
        client, sharer = self.client, self.sharer
        if client is None:
            return
        for undo in self._undo:
            undo()
        self._undo = []
        if self.overlay is not None:
            self.overlay.set_session(None)
            self.overlay.hide()
            self.overlay.deleteLater()
            self.overlay = None
        self.toolbar.set_overlay(None)
        self.client = self.sharer = self.note_actions = self.images = None
        self._token = self._role = None
        self.sharing = self._pending_share = False
        self._status("leaving the session…")

        def stop() -> None:
            if sharer is not None:
                sharer.stop()
            client.close()

        def done(_: Any) -> None:
            if self.client is None:
                self._status("left the session")
            self._render()

        self._life.submit(stop, done)
        self._render()

    def set_sharing(self, on: bool) -> None:
        """Share this app's viewer (on) or stop sharing pixels (off); the session stays open.

        With no session open, "on" makes one first, shares, and copies an invite link.
        """
        if self.client is None:
            if on:
                self.create_session(share=True)
            self._render_controls()
            return
        if self._role != "host":
            self.show_error("only the session's host shares the viewer; you joined as a guest")
            self._render_controls()
            return
        if on == self.sharing or self._restarting:
            self._render_controls()
            return
        self._restart_sharer(on)

    def _restart_sharer(self, share: bool) -> None:
        """Stop the running Sharer off this thread, then start one with (or without) pixels."""
        client, old = self.client, self.sharer
        assert client is not None
        self._restarting = True
        self.sharing = share
        self._status("starting to share…" if share else "stopping the share…")

        def start_new(_: Any) -> None:
            self._restarting = False
            if self.client is not client:  # the session was left meanwhile
                return
            encoder = None
            if share:
                from ..codec import FrameEncoder

                assert self.images is not None
                encoder = FrameEncoder(self.images.wrap(client.publish_frame))
            sharer = Sharer(self.host, client, encoder, follow=self.follow_button.isChecked())
            self.sharer = sharer
            if self.note_actions is not None:
                self.note_actions.sharer = sharer
            sharer.start()
            if self.overlay is not None:
                self.overlay.set_session(sharer, actions=self.note_actions, images=self.images)
            self._status("sharing the viewer" if share else "not sharing the viewer")
            self._render()

        self.sharer = None
        self._life.submit(lambda: old.stop() if old is not None else None, start_new)
        self._render_controls()

    def make_invite(self, role: Optional[str] = None) -> None:
        """Make an invite link (reviewer or viewer) with the host token; copy it."""
        role = role or self.role_combo.currentText()
        client, token = self.client, self._token
        session = client.session if client is not None else None
        if client is None or token is None or session is None:
            self.show_error("open a session first (Create or Share), then make an invite")
            return
        if self._role != "host":
            self.show_error("only the session's host can make invite links")
            return
        relay = client.relay_url
        self._busy.add("invite")
        self._render_controls()

        def done(made: relay_api.InviteLink) -> None:
            self._busy.discard("invite")
            self.invite_link_edit.setText(made.link)
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
        if self.sharer is not None:
            self.sharer.follow(on)
            self._presence()
        self.follow_button.setChecked(on)

    def toggle_drive(self) -> None:
        sharer = self.sharer
        if sharer is None:
            return
        if sharer.driving:
            sharer.give_drive()
        else:
            sharer.drive()

    def _presence(self) -> None:
        if self.client is not None and self.client.state == "synced":
            try:
                self.client.presence("idle", self.follow_button.isChecked())
            except Exception as exc:
                log.debug("presence not sent: %s", exc)

    def send_chat(self, text: str) -> None:
        text = text.strip()
        if not text or self.client is None:
            return
        try:
            self.client.chat(text)
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

    def _end_here(self) -> None:
        item = self.notes_tree.currentItem()
        if item is not None and item.data(0, NOTE_ROLE):
            self.end_here(str(item.data(0, NOTE_ROLE)))

    def _note(self, note_id: str) -> Optional[Annotation]:
        return self.client.annotations.get(note_id) if self.client is not None else None

    def _jump_item(self, item: Any) -> None:
        note_id = item.data(0, NOTE_ROLE) if item is not None else None
        if note_id:
            self.jump_to(str(note_id))

    def _toggle_done(self) -> None:
        item = self.notes_tree.currentItem()
        note = self._note(str(item.data(0, NOTE_ROLE))) if item is not None else None
        if note is not None:
            self.set_status(note.id, "open" if note.status == "done" else "done")

    def _layer_toggled(self, item: Any) -> None:
        if self.overlay is None:
            return
        author = str(item.data(NOTE_ROLE))
        shown = item.checkState() == QtCore.Qt.CheckState.Checked
        if (author in self.overlay.hidden_authors) == shown:
            self.overlay.set_author_visible(author, shown)

    # --- from the client --------------------------------------------------------------------------

    def _state_changed(self, state: str) -> None:
        client = self.client
        if client is None:
            return
        if state == "refused":
            err = client.last_error
            reason = err.message if err is not None else "no reason given"
            self.show_error(f"the relay refused to let you in: {reason}")
            self.close_session()
            return
        if state == "reconnecting":
            err = client.last_error
            self._status(f"connection lost ({err.message if err else 'no answer'}), retrying…")
        elif state == "synced":
            session = client.session
            me = client.participant
            self._role = me.role if me is not None else self._role
            self._status(
                f"in {session.name if session else 'the session'} as {self._role or 'guest'}"
            )
            self._presence()
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
        client = self.client
        if client is None:
            for key, widget in (
                ("people", self.people_list),
                ("notes", self.notes_tree),
                ("chat", self.chat_log),
            ):
                if self._seen.get(key) is not None:
                    widget.clear()
                    self._seen[key] = None
            self._groups = []
            self.driver_label.setText("")
            return
        anns = client.annotations
        people_key = (id(client.participants), client.driver, id(anns))
        if self._seen.get("people") != people_key:
            self._seen["people"] = people_key
            self._render_people(client)
        frame = self._frame()
        notes_key = (id(anns), self.images.version if self.images else 0)
        if self._seen.get("notes") != notes_key:
            self._seen["notes"] = notes_key
            self._render_notes(anns, frame)
        elif self._seen.get("notes_frame") != frame:
            self._mark_frame(frame)  # only the frame moved (playback): no rebuild
        self._seen["notes_frame"] = frame
        chat = client.chat_log
        if self._seen.get("chat") != id(chat):
            self._seen["chat"] = id(chat)
            self._render_chat(chat)

    def _frame(self) -> Optional[int]:
        try:
            return int(self.host.playhead().frame)
        except Exception:
            return None

    def _render_controls(self) -> None:
        open_ = self.client is not None
        host = self._role == "host"
        self.refresh_button.setEnabled("refresh" not in self._busy)
        self.create_button.setEnabled(not open_ and "create" not in self._busy)
        self.join_button.setEnabled(not open_)
        self.leave_button.setEnabled(open_)
        self.share_button.setEnabled(
            (not open_ or host) and not self._restarting and "create" not in self._busy
        )
        self.share_button.setChecked(self.sharing)
        self.share_button.setText("Sharing the viewer" if self.sharing else "Share")
        self.invite_button.setEnabled(open_ and host and "invite" not in self._busy)
        self.role_combo.setEnabled(open_ and host)
        self.watermark_combo.setEnabled(open_ and host)
        session = self.client.session if self.client is not None else None
        mode = session.watermark if session is not None else "viewers"
        if self.watermark_combo.currentText() != mode and not self.watermark_combo.hasFocus():
            self.watermark_combo.setCurrentText(mode)
        item = self.sessions_list.currentItem()
        relay = self.relay_edit.text().strip()
        kept = item is not None and self.settings.hosted_session(relay, str(item.data(NOTE_ROLE)))
        self.rejoin_button.setEnabled(bool(kept) and not open_)
        sharer = self.sharer
        can_draw = self.note_actions is not None and self.note_actions.can_draw
        self.follow_button.setEnabled(sharer is not None)
        self.drive_button.setEnabled(sharer is not None and can_draw)
        self.drive_button.setText("Give back" if sharer is not None and sharer.driving else "Drive")
        note_item = self.notes_tree.currentItem()
        note = self._note(str(note_item.data(0, NOTE_ROLE))) if note_item is not None else None
        self.goto_button.setEnabled(note is not None)
        self.done_button.setEnabled(note is not None and can_draw)
        done = note is not None and note.status == "done"
        self.done_button.setText("Reopen" if done else "Mark done")
        mine = note is not None and self.note_actions is not None and self.note_actions.mine(note)
        self.end_here_button.setEnabled(mine)
        self.send_button.setEnabled(open_)

    def _render_people(self, client: SessionClient) -> None:
        me = client.participant
        hidden = self.overlay.hidden_authors if self.overlay is not None else set()
        people = sorted(
            client.participants.values(),
            key=lambda p: ({"host": 0, "reviewer": 1}.get(p.role, 2), p.name.lower()),
        )
        rows: list[tuple[str, str]] = []
        for p in people:
            bits: list[str] = [p.role]
            if client.driver == p.id:
                bits.append("drives")
            if me is not None and p.id == me.id:
                bits.append("you")
            if p.state in ("drawing", "typing", "away"):
                bits.append(p.state)
            elif not p.following:
                bits.append("free")
            rows.append((p.id, f"{p.name} ({', '.join(bits)})"))
        here = {p.id for p in people}
        gone: dict[str, str] = {}
        for n in client.annotations.values():
            if n.author and n.author not in here:
                gone[n.author] = n.author_name or "someone"
        rows.extend((pid, f"{name} (left)") for pid, name in gone.items())
        self.people_list.blockSignals(True)
        self.people_list.clear()
        for pid, text in rows:
            item = QtWidgets.QListWidgetItem(text)
            item.setData(NOTE_ROLE, pid)
            item.setFlags(item.flags() | QtCore.Qt.ItemFlag.ItemIsUserCheckable)
            state = QtCore.Qt.CheckState
            item.setCheckState(state.Unchecked if pid in hidden else state.Checked)
            self.people_list.addItem(item)
        self.people_list.blockSignals(False)
        driver = client.driver
        if driver is None:
            self.driver_label.setText("Nobody drives")
        elif me is not None and driver == me.id:
            self.driver_label.setText("You drive")
        else:
            who = client.participants.get(driver)
            self.driver_label.setText(f"{who.name if who else 'someone'} drives")

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

    def _render_notes(self, anns: Any, frame: Optional[int]) -> None:
        """Rebuild the list (the notes or the images changed)."""
        tree = self.notes_tree
        current = tree.currentItem()
        keep = current.data(0, NOTE_ROLE) if current is not None else None
        tree.blockSignals(True)
        tree.clear()
        self._groups = []
        anchor = self._host_anchor()
        select = None
        for group in notes.by_frame(anns.values()):
            head = QtWidgets.QTreeWidgetItem([self._frame_title(group, frame)])
            head.setData(0, NOTE_ROLE, None)
            tree.addTopLevelItem(head)
            rows = []
            for note in group.notes:
                row = QtWidgets.QTreeWidgetItem([""])
                row.setData(0, NOTE_ROLE, note.id)
                head.addChild(row)
                rows.append((row, note))
                if note.id == keep:
                    select = row
            self._groups.append((head, group, rows))
            self._decorate(head, group, rows, frame, anchor)
            head.setExpanded(True)
        if select is not None:
            tree.setCurrentItem(select)
        tree.blockSignals(False)

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
        """A group's title, its bold "here", and its rows' texts and image warnings."""
        head.setText(0, self._frame_title(group, frame))
        font = head.font(0)
        font.setBold(self._here(group, frame))
        head.setFont(0, font)
        image = self.current_image(group.frame, anchor)
        for row, note in rows:
            warning = notes.stale_warning(note, image)
            text = notes.describe(note)
            about = notes.about(note)
            if about:
                text += f"\non {about}"
            if note.created is None:
                text += " (sending…)"
            if warning:
                text += f"\n⚠ {warning}"
            row.setText(0, text)
            row.setForeground(
                0, QtGui.QBrush(QtGui.QColor(WARNING_COLOR)) if warning else QtGui.QBrush()
            )
            row.setToolTip(0, warning or "")

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
        lines = []
        for line in list(chat)[-CHAT_LINES:]:
            when = time.strftime("%H:%M", time.localtime(line.ts)) if line.ts else "--:--"
            lines.append(f"[{when}] {line.author_name or 'someone'}: {line.text}")
        self.chat_log.setPlainText("\n".join(lines))
        bar = self.chat_log.verticalScrollBar()
        bar.setValue(bar.maximum())

    # --- texts for tests and glue -----------------------------------------------------------------

    def note_rows(self) -> list[tuple[int, str, str]]:
        """(frame, note id, row text) of every note in the list, in order."""
        out = []
        for i in range(self.notes_tree.topLevelItemCount()):
            head = self.notes_tree.topLevelItem(i)
            if head is None:
                continue
            for j in range(head.childCount()):
                row = head.child(j)
                frame = int(str(head.text(0)).split()[1])
                out.append((frame, str(row.data(0, NOTE_ROLE)), str(row.text(0))))
        return out

    def people_rows(self) -> list[str]:
        return [str(self.people_list.item(i).text()) for i in range(self.people_list.count())]

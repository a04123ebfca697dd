"""The panel's voice bar: join and leave voice, mute, push-to-talk, the microphone's level,
devices, a volume per person, and one line of state. Qt only, through Qt.py.

The audio runs in the reviewer page's own voice engine (``relay/web/js/voice.js``) inside a
``QWebEngineView`` the bar makes on the first voice action ("Check mic" or "Join voice"):
QtWebEngine is imported then, never at the app's start (importing it at Nuke's start can
freeze Nuke on Windows). The view loads ``panel-voice.html`` from the package's own copy of the
page, served on this machine's loopback (``PageServer``): the microphone needs a secure origin
(https or loopback) and a studio relay is often plain http. The page's signalling runs over a
``QWebChannel`` to ``VoiceBridge``, never a socket of its own:

- page -> panel: the bridge's slots (``send`` calls ``SessionClient.send_voice``, which never
  blocks; ``report`` carries the engine's state: level, speaking, devices, errors);
- panel -> page: the client's ``on_voice`` messages, moved to the GUI thread through the
  panel's dispatcher, then the bridge's ``message`` signal; the bar's own requests (mute,
  devices, volumes, push-to-talk) through its ``command`` signal.

Without QtWebEngine (PySide6-Essentials, Nuke 16 on macOS) the bar says why and offers
"Talk in the browser": the session's page in the system browser, as a second seat with the
same name. The GUI thread never waits for audio or the network.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib
import importlib.util
import json
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Optional
from urllib.parse import urlsplit

import Qt
from Qt import QtCore, QtGui, QtWidgets

from .. import links, panel_voice, relay_api
from ..limits import DEFAULT_LIMITS
from ..panel_voice import PageServer, VoicePerson, VoiceRoster, bar_text
from ..schema import encode
from . import widgets as w

log = logging.getLogger("overshoulder.ui")

#: Qt's own copy of the channel's JavaScript side (a resource of QtWebChannel).
QWEBCHANNEL_JS = ":/qtwebchannel/qwebchannel.js"
#: The name the page finds the bridge under (``channel.objects.voice``).
BRIDGE_NAME = "voice"
#: The key pressed to mute or unmute while the panel has the focus.
MUTE_KEY = "M"
#: The shortcut that mutes or unmutes wherever the app's focus is (the viewer, the node graph),
#: until one is chosen: one Nuke, Maya and Resolve leave free.
DEFAULT_MUTE_SHORTCUT = "Ctrl+Alt+M"
#: The push-to-talk key until one is chosen.
DEFAULT_PTT_KEY = "`"
#: Messages for the page kept while it loads, at most.
MAX_WAITING = 500


# --- QtWebEngine, imported only when asked ---------------------------------------------------


class WebEngine:
    """The QtWebEngine classes the bar uses, from whichever modules hold them (Qt 5 keeps the
    page, profile and script in QtWebEngineWidgets, Qt 6 in QtWebEngineCore)."""

    def __init__(self, modules: list[Any], channel: Any) -> None:
        def find(name: str) -> Any:
            for module in modules:
                if hasattr(module, name):
                    return getattr(module, name)
            raise ImportError(f"QtWebEngine here has no {name}")

        self.View = find("QWebEngineView")
        self.Page = find("QWebEnginePage")
        self.Script = find("QWebEngineScript")
        self.Permission: Any = next(
            (m.QWebEnginePermission for m in modules if hasattr(m, "QWebEnginePermission")),
            None,
        )
        self.Channel = channel.QWebChannel


_engine: Optional[WebEngine] = None
_engine_reason = ""


def web_engine() -> tuple[Optional[WebEngine], str]:
    """QtWebEngine and QtWebChannel of the binding Qt.py chose, imported on the first call
    (None and the reason when they do not import)."""
    global _engine, _engine_reason
    if _engine is not None or _engine_reason:
        return _engine, _engine_reason
    binding = Qt.__binding__
    try:
        widgets = importlib.import_module(f"{binding}.QtWebEngineWidgets")
        modules = [widgets]
        try:
            modules.insert(0, importlib.import_module(f"{binding}.QtWebEngineCore"))
        except ImportError:
            pass
        channel = importlib.import_module(f"{binding}.QtWebChannel")
        _engine = WebEngine(modules, channel)
    except ImportError as exc:
        _engine_reason = (
            f"{binding} {Qt.__binding_version__} here has no QtWebEngine "
            f"({exc}); voice runs in the browser instead"
        )
        log.info("voice: %s", _engine_reason)
    return _engine, _engine_reason


def web_engine_present() -> bool:
    """Whether the binding has QtWebEngine, found without importing it (importing starts
    Chromium's machinery; that waits for the first voice action)."""
    global _engine_reason
    if _engine is not None:
        return True
    if _engine_reason:
        return False
    name = f"{Qt.__binding__}.QtWebEngineWidgets"
    try:
        found = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        _engine_reason = (
            f"{Qt.__binding__} {Qt.__binding_version__} here has no QtWebEngine, "
            "so voice cannot run inside this app"
        )
    return found


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def qwebchannel_source() -> str:
    """The channel's JavaScript, read from Qt's own resource (never a copy of ours)."""
    resource = QtCore.QFile(QWEBCHANNEL_JS)
    if not resource.open(QtCore.QIODevice.OpenModeFlag.ReadOnly):
        raise RuntimeError(f"Qt has no {QWEBCHANNEL_JS} (QtWebChannel did not load it)")
    try:
        return bytes(resource.readAll().data()).decode("utf-8")
    finally:
        resource.close()


def wire(body: Any) -> Any:
    """A message body as the page reads it (the protocol's JSON form)."""
    if body is None:
        return {}
    if isinstance(body, Mapping):
        return dict(body)
    return encode(body)


# --- the bridge ------------------------------------------------------------------------------


class VoiceBridge(QtCore.QObject):
    """The page's way to the session and back (registered on the channel as ``voice``).

    ``send(type, json)`` and ``report(json)`` are called by the page; ``message(type, json)``
    and ``command(name, json)`` reach it. What arrives before the page says ``ready`` waits.
    """

    message = QtCore.Signal(str, str)
    command = QtCore.Signal(str, str)

    def __init__(
        self,
        send_voice: Callable[[str, Any], Any],
        on_report: Callable[[dict[str, Any]], None],
        parent: Any = None,
        on_ready: Optional[Callable[[], None]] = None,
        on_note: Optional[Callable[[str, bytes], None]] = None,
    ) -> None:
        super().__init__(parent)
        self._send_voice = send_voice
        self._on_report = on_report
        self._on_ready = on_ready
        self._on_note = on_note
        self.is_ready = False
        self._waiting: list[tuple[str, str, str]] = []

    # page -> panel
    @QtCore.Slot()
    def ready(self) -> None:
        """The page's engine listens now: hand it what waited, in order."""
        self.is_ready = True
        if self._on_ready is not None:
            self._on_ready()  # first (who this participant is), then what waited
        waiting, self._waiting = self._waiting, []
        for kind, name, text in waiting:
            (self.message if kind == "message" else self.command).emit(name, text)

    @QtCore.Slot(str, str)
    def send(self, mtype: str, body: str) -> None:
        """A voice message from the page's engine, for the relay (never waits)."""
        try:
            data = json.loads(body) if body else {}
            self._send_voice(mtype, data)
        except Exception as exc:  # a bad message is the page's bug: say it, keep going
            log.warning("voice: the page's %s was not sent: %s", mtype, exc)
            self._on_report({"error": f"{mtype} not sent: {exc}"})

    @QtCore.Slot(str)
    def report(self, body: str) -> None:
        """The engine's state (phase, level, speaking, devices, error)."""
        try:
            data = json.loads(body)
        except ValueError:
            log.warning("voice: the page reported what is not JSON: %.80s", body)
            return
        if isinstance(data, dict):
            self._on_report(data)

    @QtCore.Slot(str, str, float)
    def note(self, mime: str, body: str, ms: float) -> None:
        """A voice note the page recorded (base64 of its bytes), for the panel to upload."""
        most = DEFAULT_LIMITS.max_voice_note_bytes
        if len(body) > (most + 2) // 3 * 4:
            self._on_report({"note_error": f"the recording is larger than {most} bytes"})
            return
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            self._on_report({"note_error": f"the page's recording is not base64: {exc}"})
            return
        if self._on_note is not None:
            self._on_note(mime, data)

    # panel -> page
    def deliver(self, mtype: str, body: Any) -> None:
        """A voice message from the relay, for the page (on the GUI thread)."""
        self._emit("message", mtype, json.dumps(wire(body)))

    def ask(self, name: str, **data: Any) -> None:
        """One of the bar's requests to the engine ("join", "mute", "gain" ...)."""
        self._emit("command", name, json.dumps(data))

    def _emit(self, kind: str, name: str, text: str) -> None:
        if not self.is_ready:
            if len(self._waiting) < MAX_WAITING:
                self._waiting.append((kind, name, text))
            else:
                log.warning("voice: the page is not ready; %s %s dropped", kind, name)
            return
        (self.message if kind == "message" else self.command).emit(name, text)


class WebVoice:
    """The hidden-in-plain-sight web view that runs the page's engine, its channel and the
    microphone permission for the relay's origin. ``view`` sits in the bar at 1x1 pixel:
    a view never shown would have its timers throttled as a background tab's."""

    def __init__(self, engine: WebEngine, bridge: VoiceBridge, url: str, parent: Any) -> None:
        self.engine = engine
        self.url = url
        self.view = engine.View(parent)
        self.view.setFixedSize(1, 1)
        self.view.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.NoContextMenu)
        page = self.page = self.view.page()
        script = engine.Script()
        script.setName("overshoulder-qwebchannel")
        script.setSourceCode(qwebchannel_source())
        script.setInjectionPoint(engine.Script.InjectionPoint.DocumentCreation)
        script.setWorldId(engine.Script.ScriptWorldId.MainWorld)
        script.setRunsOnSubFrames(False)
        page.scripts().insert(script)
        self.channel = engine.Channel(page)
        self.channel.registerObject(BRIDGE_NAME, bridge)
        page.setWebChannel(self.channel)
        if hasattr(page, "permissionRequested"):  # Qt 6.8 and later
            page.permissionRequested.connect(self._permission)
        else:
            page.featurePermissionRequested.connect(self._feature)
        self.view.load(QtCore.QUrl(url))

    def _allowed(self, asked: Any) -> bool:
        return origin(asked.toString()) == origin(self.url)

    def _permission(self, permission: Any) -> None:
        kind = permission.permissionType()
        mic = self.engine.Permission.PermissionType.MediaAudioCapture
        if kind == mic and self._allowed(permission.origin()):
            permission.grant()
        else:
            log.info("voice: the page asked for %s; refused", kind)
            permission.deny()

    def _feature(self, asked: Any, feature: Any) -> None:
        page_cls = self.engine.Page
        policy = page_cls.PermissionPolicy
        mic = feature == page_cls.Feature.MediaAudioCapture
        grant = mic and self._allowed(asked)
        self.page.setFeaturePermission(
            asked,
            feature,
            policy.PermissionGrantedByUser if grant else policy.PermissionDeniedByUser,
        )

    def close(self) -> None:
        self.view.hide()
        self.view.setParent(None)
        self.view.deleteLater()


#: Makes the web side: ``(bridge, url, parent) -> object with close()``; tests pass a fake.
ViewFactory = Callable[[VoiceBridge, str, Any], Any]


def _web_view_factory() -> Optional[ViewFactory]:
    engine, _ = web_engine()
    if engine is None:
        return None
    return lambda bridge, url, parent: WebVoice(engine, bridge, url, parent)


# --- keys anywhere in the app ------------------------------------------------------------------

#: The modifier bits of a key event that make a shortcut (Shift, Ctrl, Alt, Meta; not Keypad).
MODIFIER_BITS = 0x1E000000


_COMBOS: list[tuple[Any, int]] = []


def modifier_bits(mods: Any) -> int:
    """The Shift/Ctrl/Alt/Meta bits of a key event's modifiers, as ``QKeySequence`` takes them."""
    bits = getattr(mods, "value", None)
    if bits is None:
        try:
            bits = int(mods)
        except (TypeError, ValueError, SystemError):
            bits = -1
    if bits >= 0:
        return int(bits) & MODIFIER_BITS
    # PySide2 on a Python newer than it was built for: its flags compare, but do not convert.
    if not _COMBOS:
        flags = QtCore.Qt.KeyboardModifier
        single = [
            (flags.ShiftModifier, 0x02000000),
            (flags.ControlModifier, 0x04000000),
            (flags.AltModifier, 0x08000000),
            (flags.MetaModifier, 0x10000000),
        ]
        for n in range(1, 16):
            chosen = [pair for i, pair in enumerate(single) if n & (1 << i)]
            flag = functools.reduce(lambda a, b: a | b, [f for f, _ in chosen])
            _COMBOS.append((flag, sum(b for _, b in chosen)))
    for flag, value in _COMBOS:
        if mods == flag:
            return value
    return 0


def key_text(event: Any) -> str:
    """A key event as a ``QKeySequence`` says it ("T", "Ctrl+Alt+M", "`")."""
    return QtGui.QKeySequence(modifier_bits(event.modifiers()) | int(event.key())).toString()


def typing_in(widget: Any) -> bool:
    """Whether ``widget`` takes typed text (a line edit, a Nuke knob's field, a text box, a key
    picker, an editable combo): its keys are letters, never voice's."""
    kinds = (
        QtWidgets.QLineEdit,
        QtWidgets.QTextEdit,
        QtWidgets.QPlainTextEdit,
        QtWidgets.QAbstractSpinBox,
        QtWidgets.QKeySequenceEdit,
    )
    if isinstance(widget, kinds):
        return True
    return isinstance(widget, QtWidgets.QComboBox) and widget.isEditable()


class AppKeys(QtCore.QObject):
    """The keys voice takes while it is joined, wherever the app's focus is (the viewer, the
    node graph): an event filter on the widget that has the focus, moved with it
    (``QApplication.focusChanged``). A filter on the QApplication itself would see every event
    of the app, and PySide6 crashes wrapping the web engine's half-made objects for it. The
    filter compares the event's type with three and returns; the bar's answer calls into the
    web view and redraws, never I/O."""

    def __init__(self, bar: VoiceBar) -> None:
        super().__init__(bar)
        self._bar = bar
        kinds = QtCore.QEvent.Type
        self._keys = {kinds.KeyPress, kinds.KeyRelease, kinds.ShortcutOverride}
        self._watched: Any = None
        self.installed = False

    def install(self) -> None:
        app = QtWidgets.QApplication.instance()
        if app is None or self.installed:
            return
        app.focusChanged.connect(self._focus_moved)
        app.applicationStateChanged.connect(self._state)
        self.installed = True
        self._focus_moved(None, QtWidgets.QApplication.focusWidget())

    def remove(self) -> None:
        app = QtWidgets.QApplication.instance()
        if app is not None and self.installed:
            app.focusChanged.disconnect(self._focus_moved)
            app.applicationStateChanged.disconnect(self._state)
        self._focus_moved(None, None)
        self.installed = False

    def _focus_moved(self, _old: Any, now: Any) -> None:
        if self._watched is not None:
            try:
                self._watched.removeEventFilter(self)
            except RuntimeError:  # that widget is gone already
                pass
        self._watched = now
        if now is not None:
            now.installEventFilter(self)

    def _state(self, state: Any) -> None:
        if state != QtCore.Qt.ApplicationState.ApplicationActive:
            self._bar.push_to_talk(False)  # a key let go in another app never comes back

    def eventFilter(self, watched: Any, event: Any) -> bool:
        kind = event.type()
        if kind in self._keys:
            return self._bar.app_key(watched, event, kind)
        return False


# --- the bar ---------------------------------------------------------------------------------


class VoiceBar(QtWidgets.QFrame):
    """The voice controls under People. ``key_root``: the widget whose focus M and the
    push-to-talk key work in (the panel); ``dispatch``: posts onto the GUI thread;
    ``open_url``: opens a link in the system browser; ``view_factory``: what runs the page
    (None: QtWebEngine, imported on first use)."""

    #: The roster changed (People redraws).
    roster_changed = QtCore.Signal()

    def __init__(
        self,
        key_root: Any,
        dispatch: Callable[[Callable[[], None]], None],
        parent: Any = None,
        *,
        open_url: Optional[Callable[[str], Any]] = None,
        view_factory: Optional[ViewFactory] = None,
    ) -> None:
        super().__init__(parent)
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self._key_root = key_root
        self._dispatch = dispatch
        self._open_url = open_url or (lambda url: QtGui.QDesktopServices.openUrl(QtCore.QUrl(url)))
        self._factory = view_factory
        self.roster = VoiceRoster()
        self.client: Any = None
        self.relay = ""
        self.session_id = ""
        self.token = ""
        self._undo: Optional[Callable[[], None]] = None
        self.bridge: Optional[VoiceBridge] = None
        self.web: Any = None
        self.phase = "off"
        self.muted = True
        self.talking = False
        self.level = 0.0
        #: Whose audio the page receives now (participant ids).
        self.remotes: list[str] = []
        self.error = ""
        self.ptt_key = DEFAULT_PTT_KEY
        self.mute_shortcut = DEFAULT_MUTE_SHORTCUT
        self._ptt_down = False
        self._gains: dict[str, float] = {}
        self.keys = AppKeys(self)
        #: The panel's share session (``anchor()``, ``annotations``, ``note_actions``) and the
        #: style of a new note, for voice notes recorded here (the panel sets them).
        self.note_session: Callable[[], Any] = lambda: None
        self.note_style: Callable[[], Any] = lambda: None
        #: A voice note being recorded (its anchor), being uploaded, or what went wrong.
        self.recording: Any = None
        self.uploading = 0
        #: The page records now (its microphone is open).
        self.note_live = False
        self.note_text = ""
        self._note_web = False
        self._build()
        self.redraw()

    # --- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        box = self._box = QtWidgets.QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.setSpacing(3)
        top = QtWidgets.QHBoxLayout()
        top.setSpacing(4)
        self.join_button = QtWidgets.QPushButton("Join voice", self)
        self.join_button.setToolTip("Talk with everyone in the session")
        self.mute_button = w.toggle("Mute", self, f"Mute or unmute your microphone ({MUTE_KEY})")
        self.check_button = w.toggle(
            "Check mic", self, "See your microphone's level before joining"
        )
        self.settings_button = QtWidgets.QToolButton(self)
        self.settings_button.setText("⚙")
        self.settings_button.setToolTip("Devices, push-to-talk and everyone's volume")
        self.settings_button.setCheckable(True)
        self.settings_button.setAutoRaise(True)
        self.note_button = QtWidgets.QPushButton("Hold: voice note", self)
        self.note_button.setToolTip(
            "Hold to record a voice note on the frame shown (up to a minute); release to keep it"
        )
        self.talk_button = QtWidgets.QPushButton("Hold to talk", self)
        self.talk_button.setToolTip("Your microphone is on while you hold this button")
        self.dot = w.dot(w.GREY, self)
        for item in (self.dot, self.join_button, self.mute_button, self.check_button):
            top.addWidget(item)
        top.addStretch(1)
        top.addWidget(self.settings_button)
        box.addLayout(top)
        # Held with the mouse: talking, and recording a voice note on the frame shown.
        holds = QtWidgets.QHBoxLayout()
        holds.setSpacing(4)
        holds.addWidget(self.talk_button)
        holds.addWidget(self.note_button)
        holds.addStretch(1)
        box.addLayout(holds)
        self.meter = QtWidgets.QProgressBar(self)
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setFixedHeight(5)
        self.meter.setToolTip("Your microphone's level")
        box.addWidget(self.meter)
        self.state_label = w.muted(QtWidgets.QLabel("", self))
        self.state_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.state_label.setWordWrap(True)
        box.addWidget(self.state_label)
        self.why_label = w.muted(QtWidgets.QLabel("", self))
        self.why_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.why_label.setWordWrap(True)
        self.browser_button = QtWidgets.QPushButton("Talk in the browser", self)
        self.browser_button.setToolTip(
            "Open this session's page in your browser and talk there (it joins as you, a "
            "second time)"
        )
        self.note_label = w.muted(QtWidgets.QLabel("", self))
        self.note_label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.note_label.setWordWrap(True)
        box.addWidget(self.note_label)
        box.addWidget(self.why_label)
        box.addWidget(self.browser_button)
        self._build_settings(box)
        self.join_button.clicked.connect(self.toggle_join)
        self.mute_button.clicked.connect(lambda checked=False: self.set_muted(bool(checked)))
        self.check_button.clicked.connect(lambda checked=False: self.check_mic(bool(checked)))
        self.browser_button.clicked.connect(self.talk_in_browser)
        self.note_button.pressed.connect(self.start_note)
        self.note_button.released.connect(self.stop_note)
        self.talk_button.pressed.connect(lambda: self.push_to_talk(True))
        self.talk_button.released.connect(lambda: self.push_to_talk(False))
        self.settings_button.toggled.connect(self.settings.setVisible)

    def _build_settings(self, box: Any) -> None:
        self.settings = QtWidgets.QWidget(self)
        grid = QtWidgets.QGridLayout(self.settings)
        grid.setContentsMargins(0, 2, 0, 0)
        grid.setColumnStretch(1, 1)
        self.input_combo = QtWidgets.QComboBox(self.settings)
        self.input_combo.setToolTip("The microphone voice uses")
        self.output_combo = QtWidgets.QComboBox(self.settings)
        self.output_combo.setToolTip("Where you hear the others")
        for combo in (self.input_combo, self.output_combo):
            combo.setSizeAdjustPolicy(
                QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
            combo.addItem("default", "default")
        self.ptt_check = QtWidgets.QCheckBox("Push to talk", self.settings)
        self.ptt_check.setToolTip("Your microphone is on only while you hold the key")
        self.ptt_edit = QtWidgets.QKeySequenceEdit(QtGui.QKeySequence(self.ptt_key), self.settings)
        self.ptt_edit.setToolTip(f"Hold {self.ptt_key} to talk (anywhere in the app)")
        self.mute_edit = QtWidgets.QKeySequenceEdit(
            QtGui.QKeySequence(self.mute_shortcut), self.settings
        )
        self.mute_edit.setToolTip(
            f"{self.mute_shortcut} mutes or unmutes anywhere in the app (M in this panel)"
        )
        grid.addWidget(w.muted(QtWidgets.QLabel("Mic", self.settings)), 0, 0)
        grid.addWidget(self.input_combo, 0, 1)
        grid.addWidget(w.muted(QtWidgets.QLabel("Hear", self.settings)), 1, 0)
        grid.addWidget(self.output_combo, 1, 1)
        grid.addWidget(self.ptt_check, 2, 0)
        grid.addWidget(self.ptt_edit, 2, 1)
        grid.addWidget(w.muted(QtWidgets.QLabel("Mute key", self.settings)), 3, 0)
        grid.addWidget(self.mute_edit, 3, 1)
        self.volumes = QtWidgets.QWidget(self.settings)
        self._volumes_layout = QtWidgets.QVBoxLayout(self.volumes)
        self._volumes_layout.setContentsMargins(0, 0, 0, 0)
        self._volumes_layout.setSpacing(1)
        grid.addWidget(self.volumes, 4, 0, 1, 2)
        self.volume_rows: dict[str, _VolumeRow] = {}
        self.settings.hide()
        box.addWidget(self.settings)
        self.input_combo.activated.connect(
            lambda i: self._ask("input", id=self.input_combo.itemData(i))
        )
        self.output_combo.activated.connect(
            lambda i: self._ask("output", id=self.output_combo.itemData(i))
        )
        self.ptt_check.toggled.connect(self.set_push_to_talk)
        self.ptt_edit.keySequenceChanged.connect(self._ptt_key_changed)
        self.mute_edit.keySequenceChanged.connect(self._mute_shortcut_changed)

    # --- the session ---------------------------------------------------------------------

    def attach(self, client: Any, relay: str, token: str) -> None:
        """In a session: listen to its voice messages (moved to the GUI thread)."""
        self.detach()
        self.client, self.relay, self.token = client, relay, token
        self.session_id = str(links.claims(token).get("s") or "")
        undo_voice = client.on_voice(
            lambda mtype, body: self._dispatch(lambda: self.voice_message(mtype, body))
        )
        undo_state = client.on_state(self.session_state)

        def undo() -> None:
            undo_voice()
            undo_state()

        self._undo = undo
        self.redraw()

    def detach(self) -> None:
        """Out of the session: voice stops, the web view goes."""
        if self._undo is not None:
            self._undo()
            self._undo = None
        self._close_web()
        self.client = None
        self.phase = "off"
        self.roster.clear()
        self._gains.clear()
        self.roster_changed.emit()
        self.redraw()

    @property
    def me(self) -> Optional[str]:
        """This panel's participant id (None before the welcome)."""
        person = getattr(self.client, "participant", None)
        return getattr(person, "id", None)

    @property
    def page_url(self) -> str:
        """The voice page, from this machine's loopback (a secure origin for the microphone,
        whatever the relay's address)."""
        return PageServer.shared().url()

    @property
    def session_link(self) -> str:
        """The session's page with this panel's token (the browser joins as the same name)."""
        return f"{self.relay.rstrip('/')}/s/{self.session_id}#t={self.token}"

    @property
    def in_voice(self) -> bool:
        return self.phase in ("joining", "joined")

    @property
    def available(self) -> bool:
        """Whether voice can run inside this app (QtWebEngine imports, or a test's view)."""
        return self._factory is not None or web_engine_present()

    # --- what the user does --------------------------------------------------------------

    def toggle_join(self) -> None:
        if self.in_voice:
            self.leave()
        else:
            self.join()

    def join(self) -> None:
        """Join voice (muted: unmute with the button or M), starting the page if needed."""
        if self.client is None or self.in_voice:
            return
        if not self._start_web():
            return
        self.phase = "joining"
        self.keys.install()
        self.check_button.setChecked(False)
        assert self.bridge is not None
        self.bridge.ask("join", muted=self.muted, push_to_talk=self.ptt_check.isChecked())
        self.redraw()

    def leave(self) -> None:
        """Leave voice: say so to the relay and drop the page (its links close with it)."""
        if self.client is not None and self.in_voice:
            try:
                self.client.send_voice("voice_leave", {})
            except Exception as exc:
                log.warning("voice: leaving: %s", exc)
        self._close_web()
        self.phase = "off"
        self.roster.left(self.me)
        self.roster_changed.emit()
        self.redraw()

    def check_mic(self, on: bool) -> None:
        """Before joining: open the microphone and show its level (nothing is sent)."""
        if self.in_voice:
            return
        if on:
            if not self._start_web():
                self.check_button.setChecked(False)
                return
            self.phase = "checking"
            assert self.bridge is not None
            self.bridge.ask("preview", on=True)
        else:
            self._close_web()
            self.phase = "off"
        self.redraw()

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self._ask("mute", muted=muted)
        self.redraw()

    def toggle_mute(self) -> None:
        self.set_muted(not self.muted)

    def set_push_to_talk(self, on: bool) -> None:
        if self.ptt_check.isChecked() != on:
            self.ptt_check.setChecked(on)
            return
        self._ptt_down = False
        self.talking = False
        self._ask("push_to_talk", on=on)
        self.redraw()

    def set_ptt_key(self, key: str) -> None:
        self.ptt_edit.setKeySequence(QtGui.QKeySequence(key))
        self._ptt_key_changed(self.ptt_edit.keySequence())

    def push_to_talk(self, down: bool) -> None:
        """The push-to-talk key went down or up."""
        if down == self._ptt_down:
            return
        self._ptt_down = down
        self.talking = down
        self._ask("talk", down=down)
        self.redraw()

    def set_gain(self, person_id: str, gain: float) -> None:
        """How loud ``person_id`` is heard here (1.0 as sent, 0 silent)."""
        gain = max(0.0, min(1.0, gain))
        self._gains[person_id] = gain
        self._ask("gain", id=person_id, gain=gain)

    def gain(self, person_id: str) -> float:
        return self._gains.get(person_id, 1.0)

    # --- voice notes recorded here ----------------------------------------------------------

    @property
    def may_note(self) -> bool:
        """Whether this participant may add notes (a host or a reviewer)."""
        role = getattr(getattr(self.client, "participant", None), "role", None)
        return role in ("host", "reviewer")

    def start_note(self) -> None:
        """The voice-note button went down: record on the frame shown now (the page's
        recorder, through the web view; started for it if voice is not)."""
        if self.client is None or self.recording is not None:
            return
        if not self.available:
            self.note_text = (
                "Recording a voice note needs the web engine (QtWebEngine), which this app "
                "lacks: record it in the session's page in the browser."
            )
            self.redraw()
            return
        share = self.note_session()
        try:
            anchor = share.anchor() if share is not None else None
        except Exception as exc:
            log.warning("voice note: no anchor: %s", exc)
            anchor = None
        if anchor is None:
            self.note_text = "No frame to put a voice note on: show the picture first."
            self.redraw()
            return
        phase, fresh = self.phase, self.bridge is None
        if not self._start_web():
            return
        if fresh:
            self.phase = phase  # the page runs for the note only; voice stays as it was
            self._note_web = True
        self.recording = anchor
        self.note_text = f"Recording a voice note on frame {anchor.frame}: release to keep it"
        self._ask("record", on=True)
        self.redraw()

    def stop_note(self) -> None:
        """The voice-note button went up: the page stops and hands over the recording."""
        if self.recording is not None:
            self._ask("record", on=False)

    def note_recorded(self, mime: str, data: bytes) -> None:
        """The page's recording (on the GUI thread): uploaded on a worker thread, then the note
        is added on the frame it was recorded on."""
        anchor, self.recording = self.recording, None
        self._drop_note_web()
        if anchor is None or self.client is None:
            return
        relay, session_id, token = self.relay, self.session_id, self.token
        self.uploading += 1
        self.note_text = "Sending the voice note…"
        self.redraw()

        def work() -> None:
            try:
                clip = relay_api.upload_voice_note(relay, session_id, token, data, mime)
            except Exception as exc:  # the relay refused it, or is unreachable
                why = str(exc)
                self._dispatch(lambda: self._note_sent(None, anchor, why))
                return
            self._dispatch(lambda: self._note_sent(clip, anchor, ""))

        threading.Thread(target=work, name="overshoulder-voice-note-upload", daemon=True).start()

    def _note_sent(self, clip: Any, anchor: Any, error: str) -> None:
        self.uploading -= 1
        share = self.note_session()
        actions = getattr(share, "note_actions", None)
        if clip is None or actions is None:
            self.note_text = f"Voice note not kept: {error or 'the session is gone'}"
            self.redraw()
            return
        others = panel_voice.voice_notes_on(share.annotations, anchor.frame)
        note = panel_voice.voice_note(anchor, clip, others, self.note_style())
        try:
            actions.add(note)
            self.note_text = f"Voice note kept on frame {anchor.frame} ({clip.duration:.0f} s)"
        except Exception as exc:  # refused at once (a viewer's role)
            self.note_text = f"Voice note not kept: {exc}"
        self.redraw()

    def _drop_note_web(self) -> None:
        """The page ran for a note only: it goes once the note is handed over."""
        if self._note_web and not self.in_voice and self.phase != "checking":
            self._close_web()
        self._note_web = False

    def talk_in_browser(self) -> None:
        if self.session_id:
            self._open_url(self.session_link)

    # --- what arrives ----------------------------------------------------------------------

    def voice_message(self, mtype: str, body: Any) -> None:
        """A voice message from the relay (on the GUI thread): the roster, then the page."""
        if self.client is None:
            return
        if mtype == "error":
            self._refused(body)
        elif mtype == "voice_welcome" and self.phase == "joining":
            self.phase = "joined"
        if mtype in panel_voice.ROSTER_TYPES and self.roster.apply(mtype, body):
            self.roster_changed.emit()
            self._redraw_volumes()
        if self.bridge is not None:
            self.bridge.deliver(mtype, body)
        self.redraw()

    def session_state(self, state: str) -> None:
        """The session's connection (through the dispatcher): the engine hears of a drop, and
        of each sync (after one, it joins voice again by itself)."""
        if self.bridge is None:
            return
        if state == "synced":
            self._welcome_page()
            self.bridge.deliver("synced", {})
        elif state in ("reconnecting", "connecting"):
            self.bridge.ask("connection_lost")

    def _welcome_page(self) -> None:
        """Tell the page's engine who this participant is (it decides whether it may speak)."""
        person = getattr(self.client, "participant", None)
        if self.bridge is not None and person is not None:
            who = {"id": person.id, "name": person.name, "role": person.role}
            self.bridge.deliver("welcome", {"participant": who})

    def _refused(self, body: Any) -> None:
        """The relay refused one of this client's voice messages: say its reason; a refused
        join (voice full, not allowed) also ends the page."""
        self.error = str(panel_voice.field(body, "message", "") or "refused")
        if panel_voice.field(body, "type", "") == "voice_join":
            self._close_web()
            self.phase = "failed"

    def engine_report(self, data: dict[str, Any]) -> None:
        """What the page's engine says of itself."""
        status = data.get("status")
        if status == "joined" and self.phase == "joining":
            self.phase = "joined"
        elif status == "joining" and self.phase == "joined":
            self.phase = "joining"  # joining again after a drop
        if "level" in data:
            self.level = max(0.0, min(1.0, float(data.get("level") or 0.0)))
        if "muted" in data:
            self.muted = bool(data["muted"])
        if "sending" in data or "speaking" in data:
            self.talking = bool(data.get("speaking")) and bool(data.get("sending", True))
        if data.get("error"):
            self.error = str(data["error"])
            if data.get("fatal"):
                self._close_web()
                self.phase = "failed"
        if "recording" in data:
            self.note_live = bool(data["recording"])
        if "recording" in data and not data["recording"] and data.get("note_error"):
            self.recording = None
            self._drop_note_web()
        if data.get("note_error"):
            self.note_text = f"Voice note: {data['note_error']}"
        if isinstance(data.get("remotes"), list):
            self.remotes = [str(pid) for pid in data["remotes"]]
        for combo, key in ((self.input_combo, "inputs"), (self.output_combo, "outputs")):
            if isinstance(data.get(key), list):
                _fill(combo, data[key], data.get(key[:-1]))
        self.redraw()

    # --- the web side --------------------------------------------------------------------

    def _start_web(self) -> bool:
        if self.bridge is not None:
            return True
        if self._factory is None:
            self._factory = _web_view_factory()
        if self._factory is None:
            self.phase = "unavailable"
            self.redraw()
            return False
        self.error = ""
        self.bridge = VoiceBridge(
            self._send_voice,
            self.engine_report,
            self,
            on_ready=self._welcome_page,
            on_note=self.note_recorded,
        )
        try:
            self.web = self._factory(self.bridge, self.page_url, self)
        except Exception as exc:
            log.exception("voice: the web view did not start")
            self.bridge = None
            self.error = f"the web view did not start: {exc}"
            self.phase = "failed"
            self.redraw()
            return False
        view = getattr(self.web, "view", None)
        if view is not None:
            self._box.addWidget(view)
        self.phase = "starting"
        return True

    def _close_web(self) -> None:
        self.keys.remove()
        self.recording = None
        self.note_live = False
        self._note_web = False
        web, self.web, self.bridge = self.web, None, None
        self.level = 0.0
        self.remotes = []
        self.talking = False
        self._ptt_down = False
        if web is not None:
            try:
                web.close()
            except Exception:
                log.exception("voice: closing the web view")

    def _send_voice(self, mtype: str, data: Any) -> None:
        if self.client is not None:
            self.client.send_voice(mtype, data)

    def _ask(self, name: str, **data: Any) -> None:
        if self.bridge is not None:
            self.bridge.ask(name, **data)

    # --- keys: push-to-talk and the mute shortcut anywhere, M in the panel -----------------

    def set_mute_shortcut(self, shortcut: str) -> None:
        self.mute_edit.setKeySequence(QtGui.QKeySequence(shortcut))
        self._mute_shortcut_changed(self.mute_edit.keySequence())

    def app_key(self, watched: Any, event: Any, kind: Any) -> bool:
        """A key event anywhere in the app while in voice (``AppKeys``): True when it was
        voice's (then the app never sees it). The push-to-talk key counts only while push to
        talk is on, the mute shortcut always, M only in this panel; none while a text field
        has the focus. A key the user picked wins over the app's shortcut for it."""
        kinds = QtCore.QEvent.Type
        released = kind == kinds.KeyRelease and self._ptt_down and not event.isAutoRepeat()
        if released and key_text(event).split("+")[-1] == self._ptt_last():
            self.push_to_talk(False)  # let go wherever the focus went meanwhile
            return True
        if not self.in_voice:
            return False
        focus = QtWidgets.QApplication.focusWidget()
        if typing_in(focus) or typing_in(watched):
            return False
        pressed = key_text(event)
        ptt = self.ptt_check.isChecked() and pressed == self.ptt_key
        mute = pressed == self.mute_shortcut or (
            pressed == MUTE_KEY and not self.ptt_check.isChecked() and self._in_panel(focus)
        )
        if not (ptt or mute):
            return False
        if kind == kinds.ShortcutOverride:
            event.accept()  # a key event for voice, not the app's shortcut
        elif kind == kinds.KeyPress and not event.isAutoRepeat():
            if ptt:
                self.push_to_talk(True)
            else:
                self.toggle_mute()
        return True

    def _ptt_last(self) -> str:
        return self.ptt_key.split("+")[-1]

    def _in_panel(self, widget: Any) -> bool:
        root = self._key_root
        return widget is not None and (widget is root or root.isAncestorOf(widget))

    def _ptt_key_changed(self, sequence: Any) -> None:
        text = sequence.toString().split(",")[0].strip()
        if text:
            self.ptt_key = text
            self.ptt_edit.setToolTip(f"Hold {text} to talk (anywhere in the app)")

    def _mute_shortcut_changed(self, sequence: Any) -> None:
        text = sequence.toString().split(",")[0].strip()
        if text:
            self.mute_shortcut = text
            self.mute_edit.setToolTip(
                f"{text} mutes or unmutes anywhere in the app (M in this panel)"
            )

    # --- drawing -------------------------------------------------------------------------

    def redraw(self) -> None:
        session = self.client is not None
        here = session and self.available
        if not session:
            self.phase = "off"
        elif not self.available:
            self.phase = "unavailable"
        joined = self.in_voice
        self.join_button.setVisible(here)
        self.join_button.setText("Leave voice" if joined else "Join voice")
        self.join_button.setEnabled(here and self.phase not in ("starting",))
        self.mute_button.setVisible(here and joined and not self.ptt_check.isChecked())
        self.mute_button.setChecked(self.muted)
        self.mute_button.setText("Unmute" if self.muted else "Mute")
        self.mute_button.setToolTip(
            f"Mute or unmute your microphone ({MUTE_KEY} here, {self.mute_shortcut} anywhere)"
        )
        self.talk_button.setVisible(here and self.phase == "joined")
        self.note_button.setVisible(session and self.may_note)
        self.note_button.setText(
            "● Recording…"
            if self.note_live
            else "Opening the mic…"
            if self.recording is not None
            else "Hold: voice note"
        )
        self.note_label.setText(self.note_text)
        self.note_label.setVisible(session and bool(self.note_text))
        self.talk_button.setDown(self._ptt_down)
        self.check_button.setVisible(here and not joined)
        self.meter.setVisible(here and (joined or self.phase == "checking"))
        self.meter.setValue(round(self.level * 100))
        self.settings_button.setVisible(here)
        self.dot.setVisible(here)
        count = len(self.roster.members)
        self.state_label.setText(
            bar_text(
                self.phase,
                muted=self.muted,
                push_to_talk=self.ptt_check.isChecked(),
                talking=self.talking,
                count=count,
                mode=self.roster.mode,
                error=self.error,
            )
        )
        if joined and self.error:
            self.state_label.setText(f"{self.state_label.text()}\n{self.error}")
        unavailable = session and not self.available
        self.why_label.setText(
            f"{_engine_reason or 'This app has no web engine for voice'}. The browser joins "
            "the session as you, with its own microphone."
            if unavailable
            else ""
        )
        self.why_label.setVisible(unavailable)
        self.browser_button.setVisible(
            bool(session) and (self.phase in ("unavailable", "failed") or not self.available)
        )
        self.browser_button.setEnabled(bool(self.session_id))
        colour = {"joined": w.GREEN, "joining": w.AMBER, "failed": w.RED}.get(self.phase, w.GREY)
        if joined and not self.muted and not self.ptt_check.isChecked():
            colour = w.RED if self.talking else w.GREEN
        w.set_dot(self.dot, colour)

    def _redraw_volumes(self) -> None:
        """One row per other member: their volume here, and for a host, whether a viewer may
        speak."""
        people = {p.id: p for p in self.roster.others(self.me)}
        for pid in [p for p in self.volume_rows if p not in people]:
            gone = self.volume_rows.pop(pid)
            gone.hide()
            gone.deleteLater()
        hosting = getattr(getattr(self.client, "participant", None), "role", None) == "host"
        listed = getattr(self.client, "participants", None) or {}
        for pid, person in people.items():
            row = self.volume_rows.get(pid)
            if row is None:
                row = _VolumeRow(self, pid, self.volumes)
                self.volume_rows[pid] = row
                self._volumes_layout.addWidget(row)
            viewer = getattr(listed.get(pid), "role", None) == "viewer"
            row.show_person(person, self.gain(pid), may_allow=hosting and viewer)

    def allow(self, person_id: str, allowed: bool) -> None:
        """Host: let a viewer in voice speak, or stop them (the relay decides and says so)."""
        if self.client is not None:
            self.client.send_voice("voice_allow", {"id": person_id, "allowed": allowed})

    def person(self, person_id: str) -> Optional[VoicePerson]:
        return self.roster.get(person_id)


class _VolumeRow(QtWidgets.QWidget):
    """Someone in voice: their name, how loud they are heard here, and (a host, for a viewer)
    whether they may speak."""

    def __init__(self, bar: VoiceBar, person_id: str, parent: Any) -> None:
        super().__init__(parent)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.name = QtWidgets.QLabel("", self)
        self.name.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, 100)
        self.slider.valueChanged.connect(lambda v: bar.set_gain(person_id, v / 100.0))
        self.speak = w.toggle("May speak", self, "Let this viewer speak (or stop them)")
        self.speak.clicked.connect(lambda checked=False: bar.allow(person_id, bool(checked)))
        row.addWidget(self.name, 1)
        row.addWidget(self.slider, 2)
        row.addWidget(self.speak)

    def show_person(self, person: VoicePerson, gain: float, *, may_allow: bool) -> None:
        self.name.setText(person.name)
        self.slider.blockSignals(True)
        self.slider.setValue(round(gain * 100))
        self.slider.blockSignals(False)
        self.slider.setToolTip(f"How loud you hear {person.name}")
        self.speak.setVisible(may_allow)
        self.speak.setChecked(person.can_speak)


def _fill(combo: Any, devices: list[Any], chosen: Any) -> None:
    """A device picker's items (``{"id", "label"}`` each), the chosen one selected."""
    items = [("default", "default")] + [
        (str(d.get("id")), str(d.get("label") or "unnamed device"))
        for d in devices
        if isinstance(d, dict) and d.get("id") not in (None, "", "default")
    ]
    current = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    if current != items:
        combo.blockSignals(True)
        combo.clear()
        for ident, label in items:
            combo.addItem(label, ident)
        combo.blockSignals(False)
    if chosen is not None:
        index = combo.findData(str(chosen))
        if index >= 0:
            combo.setCurrentIndex(index)

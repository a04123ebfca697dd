"""The voice bar's checks, shared by test_voice.py (PySide6, in the test process) and
voice_check.py (PySide2, in a child process): the same scenarios on both bindings.

A ``FakeClient`` stands for the panel's SessionClient (what the bar sends, voice messages
delivered from a network thread as the real client does); a ``FakePage`` stands for the web
view's page, on the bridge's side of the channel exactly as panel-voice.js is.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, Optional

import Qt
from Qt import QtTest

from overshoulder.core.ui.dispatch import GuiDispatcher
from overshoulder.core.ui.voice import VoiceBar, VoiceBridge

from .qt import QtCore, QtGui, QtWidgets, app, pump, wait_for

#: The token's payload names the session (links.claims reads it unverified).
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzIjoic2Vzc2lvbjEiLCJyIjoiaG9zdCJ9.c2ln"


def member(pid: str, name: str, **flags: Any) -> dict[str, Any]:
    body = {"id": pid, "name": name, "joined": True, "muted": True, "speaking": False}
    return {**body, "can_speak": True, **flags}


class FakeClient:
    """What the bar needs of a SessionClient; ``relay_says`` delivers from another thread."""

    def __init__(self, pid: str = "me1", name: str = "Mia", role: str = "host") -> None:
        self.participant = SimpleNamespace(id=pid, name=name, role=role)
        self.sent: list[tuple[str, Any]] = []
        self.sent_on: list[threading.Thread] = []
        self._voice: list[Callable[[str, Any], None]] = []
        self._state: list[Callable[[str], None]] = []

    def on_voice(self, fn: Callable[[str, Any], None]) -> Callable[[], None]:
        self._voice.append(fn)
        return lambda: self._voice.remove(fn)

    def on_state(self, fn: Callable[[str], None]) -> Callable[[], None]:
        self._state.append(fn)
        return lambda: self._state.remove(fn)

    def send_voice(self, mtype: str, data: Any = None) -> bool:
        self.sent.append((mtype, data))
        self.sent_on.append(threading.current_thread())
        return True

    def relay_says(self, mtype: str, body: Any) -> None:
        """A voice message arriving on the client's network thread (not the GUI's)."""
        worker = threading.Thread(target=lambda: [fn(mtype, body) for fn in list(self._voice)])
        worker.start()
        worker.join()

    def sent_types(self) -> list[str]:
        return [t for t, _ in self.sent]


class FakePage:
    """The web view's page as the bridge sees it: what reaches it, and its calls back."""

    made: list[FakePage] = []

    def __init__(self, bridge: VoiceBridge, url: str, parent: Any) -> None:
        self.bridge, self.url = bridge, url
        self.messages: list[tuple[str, Any]] = []
        self.commands: list[tuple[str, Any]] = []
        self.closed = False
        bridge.message.connect(lambda t, j: self.messages.append((t, json.loads(j))))
        bridge.command.connect(lambda n, j: self.commands.append((n, json.loads(j))))
        FakePage.made.append(self)

    def loaded(self) -> None:
        """The page's engine is up (panel-voice.js calls ready())."""
        self.bridge.ready()

    def engine_sends(self, mtype: str, body: dict[str, Any]) -> None:
        self.bridge.send(mtype, json.dumps(body))

    def engine_reports(self, **state: Any) -> None:
        self.bridge.report(json.dumps(state))

    def close(self) -> None:
        self.closed = True


class VoiceRig:
    """A panel-like window with the bar, a button and a text field (focus targets)."""

    def __init__(self, available: bool = True) -> None:
        app()
        FakePage.made = []
        self.root = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(self.root)
        self.gui = GuiDispatcher(self.root)
        self.opened: list[str] = []
        factory = FakePage if available else None
        self.bar = VoiceBar(
            self.root, self.gui.post, self.root, open_url=self.opened.append, view_factory=factory
        )
        self.button = QtWidgets.QPushButton("elsewhere", self.root)
        self.field = QtWidgets.QLineEdit(self.root)
        for widget in (self.bar, self.button, self.field):
            column.addWidget(widget)
        self.root.resize(320, 260)
        self.root.show()
        self.client = FakeClient()
        self.bar.attach(self.client, "http://127.0.0.1:8770", TOKEN)
        pump()

    @property
    def page(self) -> FakePage:
        return FakePage.made[-1]

    def close(self) -> None:
        self.bar.detach()
        self.root.close()
        self.root.deleteLater()
        pump()


def key_event(kind: Any, key: Any, text: str, mods: Any = None, repeat: bool = False) -> Any:
    mods = QtCore.Qt.KeyboardModifier.NoModifier if mods is None else mods
    return QtGui.QKeyEvent(kind, key, mods, text, repeat)


def type_key(widget: Any, key: Any, text: str) -> None:
    """Press and release ``key`` on ``widget``; unhandled, it goes up to the parents as Qt's
    delivery does (a button ignores a letter; a text field takes it)."""
    widget.setFocus()
    pump()
    _deliver(widget, QtCore.QEvent.Type.KeyPress, key, text)
    _deliver(widget, QtCore.QEvent.Type.KeyRelease, key, text)


def hold_key(widget: Any, key: Any, text: str, down: bool) -> None:
    widget.setFocus()
    _deliver(
        widget, QtCore.QEvent.Type.KeyPress if down else QtCore.QEvent.Type.KeyRelease, key, text
    )


def _deliver(widget: Any, kind: Any, key: Any, text: str) -> None:
    """As QApplication delivers a key: to the focus widget, then up while it is ignored (the
    event filters of each receiver first)."""
    QtWidgets.QApplication.postEvent(widget, key_event(kind, key, text))
    pump(0.02)


# --- the scenarios (each raises AssertionError naming what is wrong) ---------------------------


def joins_mutes_and_leaves() -> list[str]:
    """The bar's states, and the bridge both ways: join -> the page asks the relay -> the
    welcome reaches the page on the GUI thread -> mute -> leave."""
    said: list[str] = []
    rig = VoiceRig()
    bar, client = rig.bar, rig.client
    try:
        assert bar.state_label.text() == "Not in voice", bar.state_label.text()
        assert bar.join_button.isVisible() and bar.check_button.isVisible()
        assert not bar.mute_button.isVisible() and not bar.browser_button.isVisible()
        bar.join_button.click()
        pump()
        page = rig.page
        assert page.url.startswith("http://127.0.0.1:") and page.url.endswith(
            "/web/panel-voice.html"
        )
        assert bar.phase == "joining" and bar.state_label.text() == "Joining voice…"
        assert page.commands == [], "nothing reaches the page before it is ready"
        page.loaded()
        assert page.messages[0] == (
            "welcome",
            {"participant": {"id": "me1", "name": "Mia", "role": "host"}},
        )
        assert page.commands == [("join", {"muted": True, "push_to_talk": False})], page.commands
        said.append("the page is told who this is, then asked to join (muted)")

        page.engine_sends("voice_join", {"muted": True})
        assert client.sent == [("voice_join", {"muted": True})], client.sent
        assert client.sent_on == [threading.main_thread()]
        welcome = {
            "mode": "mesh",
            "can_speak": True,
            "ice_servers": [{"urls": ["stun:relay:3478"]}],
            "members": [member("me1", "Mia"), member("p2", "Sam", muted=False)],
            "mesh_max": 6,
        }
        client.relay_says("voice_welcome", welcome)
        assert wait_for(lambda: bar.phase == "joined")
        assert page.messages[-1] == ("voice_welcome", welcome), page.messages[-1]
        assert bar.state_label.text() == "2 in voice · muted", bar.state_label.text()
        assert bar.mute_button.isVisible() and bar.mute_button.text() == "Unmute"
        assert bar.meter.isVisible()
        said.append("the relay's welcome reaches the page through the GUI thread; 2 in voice")

        page.engine_reports(level=0.42, status="joined")
        assert bar.meter.value() == 42, bar.meter.value()
        bar.mute_button.click()
        pump()
        assert page.commands[-1] == ("mute", {"muted": False}), page.commands[-1]
        assert bar.state_label.text() == "2 in voice · mic on", bar.state_label.text()
        said.append("level and mute go between the bar and the engine")

        page.engine_sends(
            "voice_signal", {"to": "p2", "description": {"type": "offer", "sdp": "v=0"}}
        )
        assert client.sent[-1][0] == "voice_signal" and client.sent[-1][1]["to"] == "p2"
        client.relay_says("voice_state", member("p2", "Sam", muted=False, speaking=True))
        assert wait_for(lambda: bar.person("p2") is not None and bar.person("p2").speaking)
        assert page.messages[-1][0] == "voice_state"
        said.append("signals go out and states come in")

        bar.join_button.click()
        pump()
        assert bar.join_button.text() == "Join voice"
        assert client.sent[-1] == ("voice_leave", {}), client.sent[-1]
        assert page.closed and bar.web is None and bar.phase == "off"
        assert bar.person("me1") is None and bar.person("p2") is not None, "Sam stays listed"
        assert bar.state_label.text() == "Not in voice · 1 in it", bar.state_label.text()
        said.append("leave: voice_leave sent, the page dropped")
    finally:
        rig.close()
    return said


def keys_mute_and_push_to_talk() -> list[str]:
    """M mutes while the panel has the focus (not while typing); push-to-talk holds."""
    said: list[str] = []
    rig = VoiceRig()
    bar = rig.bar
    try:
        bar.join()
        rig.page.loaded()
        rig.client.relay_says("voice_welcome", {"mode": "mesh", "can_speak": True, "members": []})
        assert wait_for(lambda: bar.phase == "joined")
        assert bar.muted
        type_key(rig.button, QtCore.Qt.Key.Key_M, "m")
        assert wait_for(lambda: not bar.muted), "M on a button of the panel unmutes"
        assert rig.page.commands[-1] == ("mute", {"muted": False})
        type_key(rig.button, QtCore.Qt.Key.Key_M, "m")
        assert wait_for(lambda: bar.muted), "M again mutes"
        type_key(rig.field, QtCore.Qt.Key.Key_M, "m")
        pump(0.05)
        assert bar.muted and rig.field.text() == "m", (bar.muted, rig.field.text())
        said.append("M mutes and unmutes; typed in a text field it is a letter")

        bar.ptt_check.setChecked(True)
        pump()
        assert rig.page.commands[-1] == ("push_to_talk", {"on": True})
        assert not bar.mute_button.isVisible()
        assert "hold the key to talk" in bar.state_label.text(), bar.state_label.text()
        bar.set_ptt_key("T")
        hold_key(rig.button, QtCore.Qt.Key.Key_T, "t", True)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": True}))
        assert bar.state_label.text().endswith("talking"), bar.state_label.text()
        hold_key(rig.button, QtCore.Qt.Key.Key_T, "t", False)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": False}))
        said.append("push-to-talk: the key held talks, let go stops")
    finally:
        rig.close()
    return said


class Viewer(QtWidgets.QWidget):
    """A stand-in for the app's viewer (another window of the app, not the panel): the keys it
    gets."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self.keys: list[str] = []
        self.resize(200, 120)

    def keyPressEvent(self, event: Any) -> None:
        self.keys.append(event.text())


def focus(widget: Any) -> None:
    """Give ``widget`` the app's focus (its window active first, as a click on it does)."""
    widget.activateWindow()
    widget.setFocus()
    assert wait_for(lambda: QtWidgets.QApplication.focusWidget() is widget), widget


def press(widget: Any, key: Any, text: str, down: bool, mods: Any = None, repeat: bool = False):
    kind = QtCore.QEvent.Type.KeyPress if down else QtCore.QEvent.Type.KeyRelease
    QtWidgets.QApplication.postEvent(widget, key_event(kind, key, text, mods, repeat))
    pump(0.02)


def keys_anywhere_in_the_app() -> list[str]:
    """While in voice, push-to-talk and the mute shortcut work with the focus on the app's
    viewer (an app-wide event filter), not while typing in a knob's field; M stays the
    panel's; the hold-to-talk button talks while held; leaving removes the filter."""
    said: list[str] = []
    rig = VoiceRig()
    bar = rig.bar
    viewer = Viewer()
    knob = QtWidgets.QLineEdit()
    ctrl_alt = QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.AltModifier
    if Qt.__binding__ == "PySide2":  # its QKeyEvent takes one modifier only on this Python
        ctrl_alt = QtCore.Qt.KeyboardModifier.ControlModifier
        bar.set_mute_shortcut("Ctrl+M")
    key_m, key_t = QtCore.Qt.Key.Key_M, QtCore.Qt.Key.Key_T
    try:
        viewer.show()
        knob.show()
        assert not bar.keys.installed, "no app-wide filter before joining"
        bar.join()
        rig.page.loaded()
        rig.client.relay_says("voice_welcome", {"mode": "mesh", "can_speak": True, "members": []})
        assert wait_for(lambda: bar.phase == "joined")
        assert bar.keys.installed and bar.muted
        focus(viewer)
        press(viewer, key_m, "m", True, ctrl_alt)
        press(viewer, key_m, "m", False, ctrl_alt)
        assert wait_for(lambda: not bar.muted), f"{bar.mute_shortcut} on the viewer unmutes"
        assert rig.page.commands[-1] == ("mute", {"muted": False}) and viewer.keys == []
        press(viewer, key_m, "m", True)
        assert viewer.keys == ["m"] and not bar.muted, "a plain M on the viewer is the app's"
        bar.set_mute_shortcut("F9")
        press(viewer, QtCore.Qt.Key.Key_F9, "", True)
        assert wait_for(lambda: bar.muted), "the chosen mute shortcut works"
        said.append("the mute shortcut works with the focus on the viewer; M there is the app's")

        bar.ptt_check.setChecked(True)
        bar.set_ptt_key("T")
        focus(viewer)
        press(viewer, key_t, "t", True)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": True}))
        count = len(rig.page.commands)
        press(viewer, key_t, "t", True, repeat=True)
        press(viewer, key_t, "t", False, repeat=True)
        assert len(rig.page.commands) == count, "auto-repeat changes nothing"
        press(viewer, key_t, "t", False)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": False}))
        assert viewer.keys == ["m"], "the viewer never got the push-to-talk key"
        override = key_event(QtCore.QEvent.Type.ShortcutOverride, key_t, "t")
        override.ignore()
        QtWidgets.QApplication.sendEvent(viewer, override)
        assert override.isAccepted(), "the picked key wins over the app's shortcut for it"
        said.append("push-to-talk held on the viewer talks, let go stops; auto-repeat ignored")

        focus(knob)
        count = len(rig.page.commands)
        press(knob, key_t, "t", True)
        press(knob, key_t, "t", False)
        assert knob.text() == "t" and len(rig.page.commands) == count, knob.text()
        said.append("typed in a line edit of the app the key is a letter")

        bar.ptt_check.setChecked(False)
        QtTest.QTest.mousePress(bar.talk_button, QtCore.Qt.MouseButton.LeftButton)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": True}))
        QtTest.QTest.mouseRelease(bar.talk_button, QtCore.Qt.MouseButton.LeftButton)
        assert wait_for(lambda: rig.page.commands[-1] == ("talk", {"down": False}))
        said.append("the hold-to-talk button talks while held")

        bar.leave()
        assert not bar.keys.installed
        focus(viewer)
        press(viewer, key_m, "m", True, ctrl_alt)
        assert viewer.keys[-1] == "m", "out of voice the app gets its keys"
        said.append("leaving voice removes the app-wide filter")
    finally:
        for window in (viewer, knob):
            window.close()
            window.deleteLater()
        rig.close()
    return said


def records_a_voice_note() -> list[str]:
    """Not in voice: the voice-note button held starts the page for the note, asks it to record
    and to stop; the page's bytes (base64) are uploaded off the GUI thread and the note is added
    on the frame shown at the press; the page goes. Bad bytes from the page say so."""
    import base64

    from overshoulder.core import relay_api
    from overshoulder.core.model import Anchor, AudioClip

    rig = VoiceRig()
    bar = rig.bar
    added: list[Any] = []
    uploaded: list[tuple[bytes, str, threading.Thread]] = []
    clip = AudioClip(id="ab" * 32, mime="audio/webm", duration=2.0, size=5)
    share = SimpleNamespace(
        anchor=lambda: Anchor(frame=1007),
        annotations={},
        note_actions=SimpleNamespace(add=added.append),
    )
    bar.note_session = lambda: share
    real = relay_api.upload_voice_note

    def upload(relay: str, sid: str, token: str, data: bytes, mime: str) -> AudioClip:
        uploaded.append((data, mime, threading.current_thread()))
        return clip

    relay_api.upload_voice_note = upload  # type: ignore[assignment]
    try:
        QtTest.QTest.mousePress(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        page = rig.page
        page.loaded()
        assert page.commands == [("record", {"on": True})], page.commands
        assert bar.phase == "off" and not bar.in_voice, bar.phase
        page.engine_reports(recording=True)
        assert bar.note_button.text().startswith("●"), bar.note_button.text()
        QtTest.QTest.mouseRelease(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        assert page.commands[-1] == ("record", {"on": False}), page.commands
        page.bridge.note("audio/webm", base64.b64encode(b"opus!").decode(), 2000.0)
        assert wait_for(lambda: bool(added)), bar.note_text
        assert uploaded[0][:2] == (b"opus!", "audio/webm")
        assert uploaded[0][2] is not threading.main_thread()
        note = added[0]
        assert note.anchor.frame == 1007 and note.audio == clip and note.shape.kind == "ellipse"
        assert page.closed and bar.web is None, "the page ran for the note only"
        assert "kept on frame 1007" in bar.note_label.text(), bar.note_label.text()
        QtTest.QTest.mousePress(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        rig.page.loaded()
        rig.page.bridge.note("audio/webm", "not base64!", 900.0)
        assert "not base64" in bar.note_label.text(), bar.note_label.text()
        QtTest.QTest.mouseRelease(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
    finally:
        relay_api.upload_voice_note = real  # type: ignore[assignment]
        rig.close()
    return [
        "a voice note held in the bar: recorded by the page, uploaded off the GUI thread, added"
    ]


def without_web_engine() -> list[str]:
    """No QtWebEngine: the bar says why and offers the browser, with this panel's token."""
    rig = VoiceRig(available=False)
    import overshoulder.core.ui.voice as voice_module

    saved = voice_module._engine, voice_module._engine_reason
    voice_module._engine = None
    voice_module._engine_reason = (
        "PySide6 6.x here has no QtWebEngine, so voice cannot run inside this app"
    )
    try:
        rig.bar.redraw()
        bar = rig.bar
        assert bar.phase == "unavailable", bar.phase
        assert not bar.join_button.isVisible()
        assert bar.browser_button.isVisible() and bar.why_label.isVisible()
        assert "no QtWebEngine" in bar.why_label.text(), bar.why_label.text()
        bar.browser_button.click()
        assert rig.opened == [f"http://127.0.0.1:8770/s/session1#t={TOKEN}"], rig.opened
        assert bar.note_button.isVisible()
        QtTest.QTest.mousePress(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        QtTest.QTest.mouseRelease(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        assert "needs the web engine" in bar.note_label.text(), bar.note_label.text()
        assert bar.note_label.isVisible() and bar.browser_button.isVisible()
        assert bar.recording is None and bar.web is None
    finally:
        voice_module._engine, voice_module._engine_reason = saved
        rig.close()
    return [
        "without QtWebEngine: the reason and Talk in the browser (the session's link); "
        "the voice-note button says recording needs the web engine"
    ]


def refused_join() -> list[str]:
    """The relay refuses (voice_full): the page goes, the bar names the cap."""
    rig = VoiceRig()
    try:
        rig.bar.join()
        rig.page.loaded()
        from overshoulder.core.protocol.messages import Error

        message = "voice is full (6 people); a media server on the relay lifts the cap"
        rig.client.relay_says("error", Error(code="voice_full", message=message, type="voice_join"))
        assert wait_for(lambda: rig.bar.phase == "failed")
        assert rig.page.closed
        assert message in rig.bar.state_label.text(), rig.bar.state_label.text()
    finally:
        rig.close()
    return ["a refused join says the relay's reason"]


def reconnects() -> list[str]:
    """The session's connection drops and comes back: the engine hears of both (after the
    sync it joins voice again by itself), and is told who this is again first."""
    rig = VoiceRig()
    try:
        rig.bar.join()
        page = rig.page
        page.loaded()
        rig.client.relay_says("voice_welcome", {"mode": "mesh", "can_speak": True, "members": []})
        assert wait_for(lambda: rig.bar.phase == "joined")
        for fn in list(rig.client._state):
            fn("reconnecting")
        assert page.commands[-1] == ("connection_lost", {}), page.commands[-1]
        for fn in list(rig.client._state):
            fn("synced")
        assert [t for t, _ in page.messages[-2:]] == ["welcome", "synced"], page.messages[-2:]
        page.engine_reports(status="joining")
        assert rig.bar.phase == "joining" and rig.bar.state_label.text() == "Joining voice…"
        rig.client.relay_says("voice_welcome", {"mode": "mesh", "can_speak": True, "members": []})
        assert wait_for(lambda: rig.bar.phase == "joined")
    finally:
        rig.close()
    return ["a dropped connection: the engine is told, and joins again after the sync"]


def volumes_and_letting_a_viewer_speak() -> list[str]:
    """A volume per person reaches the engine; a host lets a viewer in voice speak."""
    rig = VoiceRig()
    try:
        from overshoulder.core.model import Participant

        rig.client.participants = {  # type: ignore[attr-defined]
            "p2": Participant("p2", "Sam", "reviewer"),
            "p4": Participant("p4", "Vic", "viewer"),
        }
        rig.bar.join()
        page = rig.page
        page.loaded()
        members = [member("me1", "Mia"), member("p2", "Sam"), member("p4", "Vic", can_speak=False)]
        welcome = {"mode": "mesh", "can_speak": True, "members": members}
        rig.client.relay_says("voice_welcome", welcome)
        assert wait_for(lambda: set(rig.bar.volume_rows) == {"p2", "p4"}), rig.bar.volume_rows
        sam, vic = rig.bar.volume_rows["p2"], rig.bar.volume_rows["p4"]
        sam.slider.setValue(40)
        assert page.commands[-1] == ("gain", {"id": "p2", "gain": 0.4}), page.commands[-1]
        assert sam.speak.isHidden() and not vic.speak.isHidden()
        assert not vic.speak.isChecked()
        vic.speak.click()
        assert rig.client.sent[-1] == ("voice_allow", {"id": "p4", "allowed": True})
        rig.client.relay_says("voice_state", member("p4", "Vic", can_speak=True))
        assert wait_for(lambda: vic.speak.isChecked())
        rig.client.relay_says("voice_state", member("p2", "Sam", joined=False))
        assert wait_for(lambda: set(rig.bar.volume_rows) == {"p4"})
    finally:
        rig.close()
    return ["a volume per person; a host lets a viewer speak"]


def web_engine_pieces() -> list[str]:
    """Where QtWebEngine imports: Qt's qwebchannel.js is read from its resource, the script
    that injects it is made, and the microphone is granted to the page's origin only (the
    permission API of Qt 6.8+, or the feature permission of older Qt). The view itself is not
    made here (PySide2's web engine needs OpenGL, which offscreen has not)."""
    from overshoulder.core.ui import voice as voice_module

    engine, why = voice_module.web_engine()
    if engine is None:
        return [f"no web engine here: {why}"]
    source = voice_module.qwebchannel_source()
    assert "QWebChannel" in source, source[:80]
    script = engine.Script()
    script.setSourceCode(source)
    script.setInjectionPoint(engine.Script.InjectionPoint.DocumentCreation)
    script.setWorldId(engine.Script.ScriptWorldId.MainWorld)
    web = voice_module.WebVoice.__new__(voice_module.WebVoice)
    web.engine, web.url = engine, "http://127.0.0.1:5000/web/panel-voice.html"
    page_cls = engine.Page
    decided: list[tuple[str, Any]] = []
    web.page = SimpleNamespace(
        setFeaturePermission=lambda o, f, p: decided.append((o.toString(), p))
    )
    mic, camera = page_cls.Feature.MediaAudioCapture, page_cls.Feature.MediaVideoCapture
    web._feature(QtCore.QUrl("http://127.0.0.1:5000/"), mic)
    web._feature(QtCore.QUrl("http://127.0.0.1:5001/"), mic)
    web._feature(QtCore.QUrl("http://127.0.0.1:5000/"), camera)
    granted = page_cls.PermissionPolicy.PermissionGrantedByUser
    assert [p == granted for _, p in decided] == [True, False, False], decided
    said = ["qwebchannel.js from Qt's resource; the mic granted to the page's origin only"]
    if engine.Permission is not None:
        kinds = engine.Permission.PermissionType
        answers: list[str] = []

        def asked(kind: Any, url: str) -> Any:
            return SimpleNamespace(
                permissionType=lambda: kind,
                origin=lambda: QtCore.QUrl(url),
                grant=lambda: answers.append("grant"),
                deny=lambda: answers.append("deny"),
            )

        web._permission(asked(kinds.MediaAudioCapture, "http://127.0.0.1:5000"))
        web._permission(asked(kinds.MediaAudioCapture, "http://evil.example"))
        web._permission(asked(kinds.MediaVideoCapture, "http://127.0.0.1:5000"))
        assert answers == ["grant", "deny", "deny"], answers
        said.append("Qt 6.8+ permissions: the mic granted to the page's origin only")
    return said


ALL = (
    web_engine_pieces,
    reconnects,
    volumes_and_letting_a_viewer_speak,
    joins_mutes_and_leaves,
    keys_mute_and_push_to_talk,
    keys_anywhere_in_the_app,
    records_a_voice_note,
    without_web_engine,
    refused_join,
)


def run_all(out: Optional[Callable[[str], None]] = print) -> list[str]:
    lines: list[str] = []
    for scenario in ALL:
        for line in scenario():
            lines.append(line)
            if out is not None:
                out(line)
    return lines


def people_show_voice() -> list[str]:
    """People rows from the roster the bar keeps: speaking, muted, in voice, listening."""
    from overshoulder.core.model import Participant
    from overshoulder.core.ui.lists import PeopleList

    rig = VoiceRig()
    try:
        people = {
            "me1": Participant("me1", "Mia", "host"),
            "p2": Participant("p2", "Sam", "reviewer"),
            "p3": Participant("p3", "Ana", "reviewer"),
            "p4": Participant("p4", "Vic", "viewer"),
            "p5": Participant("p5", "Zoe", "reviewer"),
        }
        share = SimpleNamespace(
            participant=people["me1"], participants=people, annotations={}, driver="me1"
        )
        roster = [
            member("me1", "Mia", muted=False),
            member("p2", "Sam", muted=False, speaking=True),
            member("p3", "Ana"),
            member("p4", "Vic", can_speak=False),
        ]
        rig.client.relay_says("voice_roster", {"members": roster})
        assert wait_for(lambda: len(rig.bar.roster.members) == 4)
        listed = PeopleList(lambda pid, shown: None, rig.root)
        listed.show_people(share, set(), {}, rig.bar.roster.members)  # type: ignore[arg-type]
        texts = listed.texts
        assert texts == [
            "Mia (host, drives, you, in voice)",
            "Ana (reviewer, muted)",
            "Sam (reviewer, speaking)",
            "Zoe (reviewer)",
            "Vic (viewer, listening)",
        ], texts
        badge = listed.rows["p2"].voice
        assert badge.isVisibleTo(listed) and badge.text() == "speaking"
        assert not listed.rows["p5"].voice.isVisibleTo(listed)
        rig.client.relay_says("voice_state", member("p2", "Sam", joined=False))
        assert wait_for(lambda: "p2" not in rig.bar.roster.members)
        listed.show_people(share, set(), {}, rig.bar.roster.members)  # type: ignore[arg-type]
        assert "Sam (reviewer)" in listed.texts, listed.texts
        assert not listed.rows["p2"].voice.isVisibleTo(listed)
    finally:
        rig.close()
    return ["People: speaking, muted, in voice, listening; gone from voice, gone from the row"]

"""Run in a child process (see test_voice_web.py): the voice bar with a real QWebEngineView.

The page (/web/panel-voice.html from the relay at argv[1]) runs the real voice engine: the
microphone permission is granted by the bar (Chromium's fake device, no fake prompt), Qt's
qwebchannel.js is injected past the page's policy, and the engine's messages cross the bridge
both ways. One line per check, "OK" at the end.
"""

from __future__ import annotations

import sys
import time

import Qt
from Qt import QtCore

QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from overshoulder.core.ui.dispatch import GuiDispatcher  # noqa: E402
from overshoulder.core.ui.voice import VoiceBar  # noqa: E402
from tests.ui.qt import QtWidgets, app, pump, wait_for  # noqa: E402
from tests.ui.voice_scenarios import TOKEN, FakeClient, member  # noqa: E402


def main(relay: str) -> None:
    started = time.monotonic()
    app()
    root = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(root)
    gui = GuiDispatcher(root)
    bar = VoiceBar(root, gui.post, root)
    column.addWidget(bar)
    root.resize(320, 200)
    root.show()
    client = FakeClient()
    bar.attach(client, relay, TOKEN)
    pump()
    print("binding:", Qt.__binding__, Qt.__binding_version__)
    engine = f"{Qt.__binding__}.QtWebEngineWidgets"
    assert bar.available and engine not in sys.modules, "QtWebEngine imported before asked"
    bar.join()
    assert engine in sys.modules
    print("QtWebEngine imported on the first voice action, not before")
    assert bar.web is not None, bar.phase
    sent = lambda t: [d for m, d in client.sent if m == t]  # noqa: E731
    assert wait_for(lambda: sent("voice_join"), 30), (bar.error, client.sent)
    print(f"the page's engine asked to join through the bridge: {sent('voice_join')[0]}")
    print(f"page up and joining after {time.monotonic() - started:.1f} s")
    welcome = {"mode": "mesh", "can_speak": True, "ice_servers": [], "mesh_max": 6}
    client.relay_says("voice_welcome", {**welcome, "members": [member("me1", "Mia")]})
    assert wait_for(lambda: bar.phase == "joined", 10), bar.phase
    assert wait_for(lambda: sent("voice_state"), 10), client.sent
    print(f"the welcome reached the engine; it said its state: {sent('voice_state')[-1]}")
    assert wait_for(lambda: bar.level > 0.05, 10), bar.level
    print(f"the microphone (fake device) is metered: level {bar.level:.2f}")
    bar.set_muted(False)
    assert wait_for(lambda: any(d.get("muted") is False for d in sent("voice_state")), 10)
    print("unmuted from the bar: the engine says so to the relay")
    assert not bar.error, bar.error
    bar.leave()
    pump(0.2)
    assert client.sent[-1] == ("voice_leave", {}), client.sent[-1]
    print("left: the page is gone")
    root.close()
    root.deleteLater()
    # The page must go before the web engine's profile, at the application's end.
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    pump(0.2)
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])

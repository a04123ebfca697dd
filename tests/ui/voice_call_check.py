"""Run in a child process (see test_voice_call.py): the panel's voice bar with a real
SessionClient and a real QWebEngineView in a call through a real relay.

argv: the invite link, and a file whose appearance ends the call. Prints "me <id>" once in
voice, "receiving <id>" once a peer's audio arrives, "hears <id> rms <level>" (what the page in
the web view receives from that peer), then "OK" when told to stop.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from Qt import QtCore

QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from overshoulder.core.client import SessionClient  # noqa: E402
from overshoulder.core.links import parse_invite  # noqa: E402
from overshoulder.core.ui.dispatch import GuiDispatcher  # noqa: E402
from overshoulder.core.ui.voice import VoiceBar  # noqa: E402
from tests.ui.qt import QtWidgets, app, pump, wait_for  # noqa: E402

#: JS: the RMS (int16 scale) of what the page receives from participant `pid` over 1.5 s,
#: left in window.__heard, -2 while listening, -1 when nothing comes from `pid`
#: (runJavaScript does not wait for what a script starts).
LISTEN_JS = """(() => {
  window.__heard = -2; // listening
  const stream = window.__voice.streamOf(%r);
  if (!stream) { window.__heard = -1; return; }
  const ctx = new AudioContext();
  ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 2048;
  ctx.createMediaStreamSource(stream).connect(an);
  const buf = new Float32Array(an.fftSize);
  let sum = 0, n = 0;
  const timer = setInterval(() => {
    an.getFloatTimeDomainData(buf);
    for (const x of buf) { sum += x * x; n += 1; }
  }, 50);
  setTimeout(() => {
    clearInterval(timer);
    ctx.close();
    window.__heard = Math.sqrt(sum / Math.max(1, n)) * 32767;
  }, 1500);
})()"""


def run_js(page, script: str) -> object:
    got: list[object] = []
    page.runJavaScript(script, 0, got.append)
    assert wait_for(lambda: bool(got), 10), script[:60]
    return got[0]


def open_bar(link: str) -> tuple[Any, Any, SessionClient, VoiceBar]:
    """A window with the voice bar and a real SessionClient started with the invite ``link``
    as "Leo": (window, invite, client, bar)."""
    app()
    root = QtWidgets.QWidget()
    column = QtWidgets.QVBoxLayout(root)
    gui = GuiDispatcher(root)
    invite = parse_invite(link)
    client = SessionClient(invite.relay, invite.token, "Leo", dispatch=gui.post)
    client.start()
    bar = VoiceBar(root, gui.post, root)
    column.addWidget(bar)
    root.show()
    return root, invite, client, bar


def close_bar(root: Any, client: SessionClient) -> None:
    """The client closed, the window and its web view gone before the application ends."""
    client.close()
    root.close()
    root.deleteLater()
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    pump(0.2)


def main(link: str, stop_file: str) -> None:
    root, invite, client, bar = open_bar(link)
    try:
        assert wait_for(lambda: client.state == "synced", 20), client.state
        bar.attach(client, invite.relay, invite.token)
        bar.join()
        assert wait_for(lambda: bar.phase == "joined", 30), (bar.phase, bar.error)
        bar.set_muted(False)
        me = client.participant
        assert me is not None
        print("me", me.id, flush=True)
        assert wait_for(lambda: bool(bar.remotes), 30), (bar.remotes, bar.error)
        peer = bar.remotes[0]
        print("receiving", peer, flush=True)
        page = bar.web.page
        best = 0.0
        for _ in range(3):  # a loaded machine may catch a gap: the loudest of three
            run_js(page, LISTEN_JS % peer)
            heard: list[object] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not heard:
                value = run_js(page, "window.__heard")
                if isinstance(value, (int, float)) and value != -2:
                    heard.append(value)
                pump(0.1)
            best = max(best, float(heard[0]) if heard else 0.0)
        print(f"hears {peer} rms {best:.0f}", flush=True)
        assert wait_for(lambda: os.path.exists(stop_file), 120), "never told to stop"
        assert not bar.error, bar.error
        bar.leave()
    finally:
        close_bar(root, client)
    print("OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""Run in a child process (see test_voice_web.py): a voice note recorded in the panel's voice
bar with a real QWebEngineView (Chromium's fake microphone) and a real SessionClient through a
real relay. argv: the invite link (a reviewer's). The voice-note button is held with the mouse
for about two seconds, not in voice; the recording crosses the bridge, is uploaded off the GUI
thread and the note is added on the frame shown. Prints one line per check, "OK" at the end."""

from __future__ import annotations

import sys
import threading
import time
from types import SimpleNamespace

from Qt import QtCore, QtTest

QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

from overshoulder.core import relay_api  # noqa: E402
from overshoulder.core.links import claims  # noqa: E402
from overshoulder.core.model import Anchor  # noqa: E402
from tests.ui.qt import pump, wait_for  # noqa: E402
from tests.ui.voice_call_check import close_bar, open_bar  # noqa: E402


def main(link: str) -> None:
    root, invite, client, bar = open_bar(link)
    root.resize(420, 160)
    uploads: list[threading.Thread] = []
    real = relay_api.upload_voice_note

    def upload(*args, **kwargs):  # type: ignore[no-untyped-def]
        uploads.append(threading.current_thread())
        return real(*args, **kwargs)

    relay_api.upload_voice_note = upload  # type: ignore[assignment]

    class Share:  # what the bar uses of the panel's ShareSession
        note_actions = SimpleNamespace(add=client.add_annotation)
        annotations = property(lambda self: client.annotations)

        def anchor(self) -> Anchor:
            return Anchor(frame=1012)

    share = Share()
    bar.note_session = lambda: share
    try:
        assert wait_for(lambda: client.state == "synced", 20), client.state
        bar.attach(client, invite.relay, invite.token)
        pump()
        assert bar.note_button.isVisible() and not bar.in_voice
        QtTest.QTest.mousePress(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        assert wait_for(lambda: bar.recording is not None and "Recording" in bar.note_label.text())
        assert wait_for(lambda: bar.note_live, 30), bar.note_text  # the page's mic is open
        assert bar.note_button.text().startswith("●"), bar.note_button.text()
        started = time.monotonic()
        pump(2.0)
        if len(sys.argv) > 2:  # a picture of the bar while it records
            bar.grab().save(sys.argv[2])
        QtTest.QTest.mouseRelease(bar.note_button, QtCore.Qt.MouseButton.LeftButton)
        print(f"held the voice-note button for {time.monotonic() - started:.1f} s")
        got = lambda: [n for n in client.annotations.values() if n.audio is not None]  # noqa: E731
        assert wait_for(lambda: bool(got()), 30), (bar.note_text, client.annotations)
        note = got()[0]
        assert uploads and uploads[0] is not threading.main_thread(), uploads
        print("uploaded off the GUI thread")
        assert note.anchor.frame == 1012 and note.shape.kind == "ellipse", note
        sid = str(claims(invite.token).get("s"))
        data = relay_api.fetch_voice_note(invite.relay, sid, note.audio.id, invite.token)
        assert len(data) == note.audio.size and 1.0 < note.audio.duration <= 60, note.audio
        print(
            f"a note on frame 1012 with audio the relay stored: {note.audio.mime}, "
            f"{note.audio.duration:.1f} s, {len(data)} bytes"
        )
        assert bar.web is None, "the page that ran for the note only is gone"
        assert "kept on frame 1012" in bar.note_label.text(), bar.note_label.text()
        if len(sys.argv) > 3:
            bar.grab().save(sys.argv[3])
    finally:
        close_bar(root, client)
    print("OK", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

"""Playing a voice note in the panel: the recording fetched from the relay on a worker thread,
played with QtMultimedia where the binding has it (PySide2's wheel does; PySide6-Essentials
does not), else the note opened in the session's page in the system browser. Qt through
Qt.py only; the GUI thread never waits for the network or the audio device.
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from typing import Any, Optional

import Qt
from Qt import QtCore, QtGui

from .. import links, relay_api
from ..files import OWNER_ONLY
from ..model import Annotation

log = logging.getLogger("overshoulder.ui")

#: The cache folder's permissions: this user only (a note's words are the studio's).
PRIVATE_FOLDER = 0o700
#: File endings by the clip's container.
ENDINGS = {"audio/webm": ".webm", "audio/ogg": ".ogg"}

_multimedia: Any = None
_multimedia_reason = ""


def qt_multimedia() -> tuple[Any, str]:
    """The binding's QtMultimedia (imported on first use), or None and why not."""
    global _multimedia, _multimedia_reason
    if _multimedia is None and not _multimedia_reason:
        try:
            _multimedia = importlib.import_module(f"{Qt.__binding__}.QtMultimedia")
        except ImportError as exc:
            _multimedia_reason = f"{Qt.__binding__} here has no QtMultimedia ({exc})"
    return _multimedia, _multimedia_reason


def user_folder() -> str:
    """The voice-note cache of this user: a folder of the temporary folder named by the user
    (others on the machine have their own, and cannot read this one)."""
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"overshoulder-voice-notes-{uid}")


def private_folder(path: str) -> str:
    """Make ``path`` a folder only this user may open (0700); one that exists must be this
    user's own real folder (not a link someone else planted), else OSError says so."""
    try:
        os.mkdir(path, PRIVATE_FOLDER)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{path} is not a folder (a link or a file is in its place)")
    if hasattr(os, "getuid"):
        if info.st_uid != os.getuid():
            raise OSError(f"{path} belongs to another user; remove it or set another folder")
        if stat.S_IMODE(info.st_mode) != PRIVATE_FOLDER:
            os.chmod(path, PRIVATE_FOLDER)
    return path


def note_link(relay: str, session_id: str, token: str, note_id: str) -> str:
    """The session's page, at the note (the page plays it there)."""
    return f"{relay.rstrip('/')}/s/{session_id}#t={token}&note={note_id}"


class VoiceNotePlayer(QtCore.QObject):
    """Plays one voice note at a time. ``gui``: the panel's ``GuiDispatcher``; ``on_error``:
    shows a line naming what went wrong; ``open_url``: opens a link in the browser;
    ``multimedia``: the QtMultimedia module to use (None: import it; tests pass a fake)."""

    def __init__(
        self,
        gui: Any,
        on_error: Callable[[str], None],
        parent: Any = None,
        *,
        open_url: Optional[Callable[[str], Any]] = None,
        multimedia: Any = None,
        folder: Optional[str] = None,
    ) -> None:
        super().__init__(parent)
        self._gui = gui
        self._on_error = on_error
        self._open_url = open_url or (lambda url: QtGui.QDesktopServices.openUrl(QtCore.QUrl(url)))
        self._multimedia = multimedia
        self._folder = folder or user_folder()
        self.player: Any = None
        self._output: Any = None
        #: The note playing (or being fetched) now, and how the last one went, for tests.
        self.playing: Optional[str] = None
        self.last: str = ""
        self._link = ""

    def play(self, share: Any, note: Annotation) -> None:
        clip = note.audio
        if clip is None:
            return
        session = share.session
        session_id = session.id if session is not None else links.claims(share.token).get("s")
        relay, token = share.relay, share.token
        self._link = note_link(relay, str(session_id or ""), token, note.id)
        multimedia = self._multimedia
        if multimedia is None:
            multimedia, reason = qt_multimedia()
            if multimedia is None:
                self._browser(reason)
                return
        self._multimedia = multimedia
        fetch = getattr(relay_api, "fetch_voice_note", None)
        if fetch is None:
            self._browser("this version cannot fetch voice notes")
            return
        self.stop()
        self.playing = note.id
        self.last = "fetching"
        path = os.path.join(self._folder, clip.id + ENDINGS.get(clip.mime, ".audio"))

        def work() -> str:
            if os.path.isfile(path) and os.path.getsize(path) == clip.size:
                return path  # fetched before: a clip's bytes never change (named by hash)
            data = fetch(relay, str(session_id), clip.id, token)
            data = getattr(data, "data", data)
            private_folder(self._folder)
            part = f"{path}.part"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
            with os.fdopen(fd, "wb") as out:
                out.write(bytes(data))
            os.replace(part, path)
            return path

        self._gui.in_background(
            work,
            done=lambda p, n=note.id: self._start(n, p),
            failed=lambda e, n=note.id: self._fetch_failed(n, e),
            name="overshoulder-voice-note",
        )

    def stop(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.player.deleteLater()
            self.player = None
        self.playing = None

    def _fetch_failed(self, note_id: str, exc: BaseException) -> None:
        if self.playing == note_id:
            self.playing = None
            self.last = "failed"
            self._on_error(f"the voice note could not be fetched: {exc}")

    def _start(self, note_id: str, path: str) -> None:
        if self.playing != note_id:
            return  # another note was asked for meanwhile
        mm = self._multimedia
        player = self.player = mm.QMediaPlayer(self)
        url = QtCore.QUrl.fromLocalFile(path)
        if hasattr(player, "setSource"):  # Qt 6: the sound goes through a QAudioOutput
            self._output = mm.QAudioOutput(player)
            player.setAudioOutput(self._output)
            player.errorOccurred.connect(lambda *_: self._cannot_play(note_id))
            player.setSource(url)
        else:  # Qt 5
            player.setMedia(mm.QMediaContent(url))
        player.mediaStatusChanged.connect(lambda status: self._status(note_id, status))
        player.play()
        self.last = "playing"

    def _status(self, note_id: str, status: Any) -> None:
        statuses = self._multimedia.QMediaPlayer.MediaStatus
        if status == statuses.InvalidMedia:
            self._cannot_play(note_id)
        elif status == statuses.EndOfMedia and self.playing == note_id:
            self.last = "played"
            self.playing = None

    def _cannot_play(self, note_id: str) -> None:
        """The app's audio cannot decode the clip (an Opus the platform lacks): the browser."""
        if self.playing == note_id:
            self.stop()
            self._browser("this app's audio cannot play the recording")

    def _browser(self, reason: str) -> None:
        log.info("voice note: %s; opening it in the browser", reason)
        self.last = "browser"
        self._open_url(self._link)

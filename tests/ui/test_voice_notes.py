"""Voice notes in the panel: a card with a recording has Play; the bytes are fetched from the
relay off the GUI thread and played with QtMultimedia, or the note opens in the browser."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from overshoulder.core import relay_api
from overshoulder.core.model import Anchor, Annotation, Shape, new_id
from overshoulder.core.ui.cards import NoteCard
from overshoulder.core.ui.dispatch import GuiDispatcher
from overshoulder.core.ui.voice_notes import VoiceNotePlayer, note_link
from tests.conftest import RelayProcess
from tests.ui.qt import QtCore, QtWidgets, app, pump, wait_for
from tests.voice_clips import libav

N1 = new_id()


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    """One relay for this module's tests (each makes its own session on it)."""
    proc = RelayProcess(tmp_path_factory.mktemp("voice-notes") / "relay-data").start()
    try:
        yield proc
    finally:
        proc.stop()


class FakePlayer(QtCore.QObject):
    """QtMultimedia's QMediaPlayer as the player uses it (Qt 6's API)."""

    MediaStatus = SimpleNamespace(InvalidMedia="invalid", EndOfMedia="end")
    mediaStatusChanged = QtCore.Signal(object)
    errorOccurred = QtCore.Signal(object, str)
    made: list[FakePlayer] = []

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.source = ""
        self.playing = False
        FakePlayer.made.append(self)

    def setAudioOutput(self, output: Any) -> None:
        self.output = output

    def setSource(self, url: Any) -> None:
        self.source = url.toLocalFile()

    def play(self) -> None:
        self.playing = True

    def stop(self) -> None:
        self.playing = False


FAKE_MULTIMEDIA = SimpleNamespace(QMediaPlayer=FakePlayer, QAudioOutput=lambda parent: object())


def _voice_note(relay, session) -> tuple[Any, Annotation, bytes]:
    sid, token = session["session"]["id"], session["host_token"]
    data = libav("ogg", 1.0)
    clip = relay_api.upload_voice_note(relay.url, sid, token, data, "audio/ogg")
    note = Annotation(
        N1, Shape(kind="text", at=[0.0, 0.0], text="listen"), Anchor(frame=1001), audio=clip
    )
    share = SimpleNamespace(relay=relay.url, token=token, session=SimpleNamespace(id=sid))
    return share, note, data


def test_a_voice_note_is_fetched_off_the_gui_thread_and_played(
    relay, session, tmp_path, monkeypatch
):
    app()
    share, note, data = _voice_note(relay, session)
    fetched_on: list[threading.Thread] = []
    real = relay_api.fetch_voice_note

    def fetch(*args: Any) -> bytes:
        fetched_on.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(relay_api, "fetch_voice_note", fetch)
    owner = QtWidgets.QWidget()
    errors: list[str] = []
    opened: list[str] = []
    player = VoiceNotePlayer(
        GuiDispatcher(owner),
        errors.append,
        owner,
        open_url=opened.append,
        multimedia=FAKE_MULTIMEDIA,
        folder=str(tmp_path / "notes"),
    )
    FakePlayer.made = []
    player.play(share, note)
    assert wait_for(lambda: player.last == "playing"), (player.last, errors)
    assert fetched_on and fetched_on[0] is not threading.main_thread()
    played = FakePlayer.made[-1]
    assert played.playing and Path(played.source).read_bytes() == data
    assert not errors and not opened
    if os.name == "posix":  # the cache is this user's only
        assert stat.S_IMODE((tmp_path / "notes").stat().st_mode) == 0o700
        assert stat.S_IMODE(Path(played.source).stat().st_mode) == 0o600
    played.mediaStatusChanged.emit("end")
    assert player.last == "played" and player.playing is None

    # The platform cannot decode it: the note opens in the session's page instead.
    player.play(share, note)
    assert wait_for(lambda: player.last == "playing")
    assert len(fetched_on) == 1, "the clip was kept (named by its hash): not fetched again"
    FakePlayer.made[-1].mediaStatusChanged.emit("invalid")
    assert opened == [note_link(relay.url, share.session.id, share.token, N1)], opened
    owner.deleteLater()
    pump()


def test_the_cache_folder_is_per_user_and_refuses_one_planted_by_someone_else(tmp_path):
    from overshoulder.core.ui import voice_notes

    assert str(os.getuid() if hasattr(os, "getuid") else "") in voice_notes.user_folder()
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    voice_notes.private_folder(str(shared))
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700
    planted = tmp_path / "planted"
    planted.symlink_to(shared)
    with pytest.raises(OSError, match="not a folder"):
        voice_notes.private_folder(str(planted))


def test_without_qtmultimedia_the_note_opens_in_the_browser(relay, session, tmp_path, monkeypatch):
    app()
    share, note, _ = _voice_note(relay, session)
    import overshoulder.core.ui.voice_notes as voice_notes

    monkeypatch.setattr(voice_notes, "qt_multimedia", lambda: (None, "no QtMultimedia here"))
    opened: list[str] = []
    player = VoiceNotePlayer(
        GuiDispatcher(),
        lambda text: None,
        None,
        open_url=opened.append,
        folder=str(tmp_path / "notes"),
    )
    player.play(share, note)
    sid = session["session"]["id"]
    assert opened == [f"{relay.url}/s/{sid}#t={share.token}&note={N1}"], opened
    assert player.last == "browser" and not (tmp_path / "notes").exists()


def test_a_card_with_a_recording_has_play(relay, session):
    app()
    _, note, _ = _voice_note(relay, session)
    asked: list[str] = []
    panel = SimpleNamespace(play_voice_note=asked.append)
    card = NoteCard(panel, note)
    card.show_note(note, None, can_edit=True, mine=True, picture=None)
    assert card.play.isVisibleTo(card) and card.play.text() == "Play 1 s", card.play.text()
    card.play.click()
    assert asked == [N1]
    plain = Annotation(
        new_id(), Shape(kind="text", at=[0.0, 0.0], text="listen"), Anchor(frame=1001)
    )
    card.show_note(plain, None, can_edit=True, mine=True, picture=None)
    assert not card.play.isVisibleTo(card)
    card.deleteLater()
    pump()


@pytest.mark.parametrize("container", ["ogg", "webm"])
def test_a_voice_note_plays_to_its_end_with_the_real_qtmultimedia(
    relay, session, tmp_path, container
):
    """Where the binding has QtMultimedia (PySide6-Addons, PySide2's wheel): the clip as the
    relay keeps it plays to its end (Qt 6's FFmpeg backend decodes Opus; no sound card needed)."""
    app()
    from overshoulder.core.ui.voice_notes import qt_multimedia

    multimedia, reason = qt_multimedia()
    if multimedia is None or not hasattr(multimedia, "QAudioOutput"):
        pytest.skip(reason or "Qt 5's QtMultimedia: its backend here has no Opus decoder")
    sid, token = session["session"]["id"], session["host_token"]
    data = libav(container, 1.0)
    clip = relay_api.upload_voice_note(relay.url, sid, token, data, f"audio/{container}")
    note = Annotation(
        new_id(), Shape(kind="text", at=[0.0, 0.0], text="hear"), Anchor(1001), audio=clip
    )
    share = SimpleNamespace(relay=relay.url, token=token, session=SimpleNamespace(id=sid))
    opened: list[str] = []
    errors: list[str] = []
    player = VoiceNotePlayer(
        GuiDispatcher(), errors.append, None, open_url=opened.append, folder=str(tmp_path)
    )
    player.play(share, note)
    assert wait_for(lambda: player.last == "played", 15), (player.last, errors, opened)
    assert not opened and not errors

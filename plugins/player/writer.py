"""``NotesWriter``: the notes file and burn-in PNGs, rewritten on its own thread as notes change."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from .burnin import burn_in, write_png
from .defaults import NOTES_WRITE_DELAY_S
from .media import Playlist
from .notes import NoteBook, notes_document, write_notes

log = logging.getLogger("overshoulder.player")

#: Timeline frame -> the display image (H x W x 3 uint8) of that frame.
FrameImages = Callable[[int], Any]


class NotesWriter:
    """Keeps ``notes_path`` (JSON) and ``burnin_dir`` (one PNG per annotated frame) current.

    A note over a range is burned into every frame of it that the playlist has.

    Changes in the ``NoteBook`` wake a thread of its own, so the player's main
    thread never waits on a disk or on reading a frame. ``flush`` writes what is
    pending now (at exit); a frame whose notes are all gone loses its PNG.
    Writing fails loudly in the log and is tried again at the next change.
    """

    def __init__(
        self,
        book: NoteBook,
        playlist: Playlist,
        images: FrameImages,
        *,
        notes_path: Optional[Path] = None,
        burnin_dir: Optional[Path] = None,
    ) -> None:
        self.book = book
        self.playlist = playlist
        self.images = images
        self.notes_path = Path(notes_path) if notes_path else None
        self.burnin_dir = Path(burnin_dir) if burnin_dir else None
        self.writes = 0
        self._cond = threading.Condition()
        self._dirty_frames: set[int] = set()
        self._dirty_file = False
        self._closed = False
        self._write_lock = threading.Lock()
        self._undo: Optional[Callable[[], None]] = None
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        """Write everything once (the notes loaded at start included), then follow changes."""
        self._undo = self.book.subscribe(self._changed)
        self._changed(set(self.book.frames()) | self._stale_burnins())
        self._thread = threading.Thread(
            target=self._run, name="overshoulder-player-notes", daemon=True
        )
        self._thread.start()

    def flush(self) -> None:
        """Write what is pending, on the caller's thread."""
        with self._cond:
            frames, self._dirty_frames = self._dirty_frames, set()
            file, self._dirty_file = self._dirty_file, False
        self._write(frames, file)

    def close(self) -> None:
        """Stop following changes and write what is pending."""
        if self._undo is not None:
            self._undo()
            self._undo = None
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        self.flush()

    def burnin_path(self, frame: int) -> Path:
        assert self.burnin_dir is not None
        return self.burnin_dir / f"{self.playlist.stem}.{frame:04d}.png"

    # --- the thread ------------------------------------------------------------------------

    def _changed(self, frames: set[int]) -> None:
        with self._cond:
            self._dirty_frames |= frames
            self._dirty_file = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._dirty_file or self._dirty_frames) and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
            time.sleep(NOTES_WRITE_DELAY_S)  # a stroke sends several updates: write once
            self.flush()

    def _write(self, frames: set[int], file: bool) -> None:
        with self._write_lock:
            if file and self.notes_path is not None:
                try:
                    media = str(self.playlist.source)
                    document = notes_document(self.book.all(), media, self._file)
                    write_notes(self.notes_path, document)
                    self.writes += 1
                except OSError as exc:
                    log.error("cannot write the notes file %s: %s", self.notes_path, exc)
            if self.burnin_dir is not None:
                for frame in sorted(frames):
                    self._burn(frame)

    def _burn(self, frame: int) -> None:
        path = self.burnin_path(frame)
        inside = self.playlist.first <= frame <= self.playlist.last
        notes = [n for n in self.book.on(frame) if n.status != "done"] if inside else []
        try:
            if not notes:
                path.unlink(missing_ok=True)
                return
            write_png(path, burn_in(self.images(frame), notes))
        except Exception as exc:
            log.error("cannot write the burn-in %s: %s", path, exc)

    def _file(self, frame: int) -> Optional[str]:
        if not self.playlist.first <= frame <= self.playlist.last:
            return None
        clip, source_frame = self.playlist.locate(frame)
        return str(clip.path(source_frame))

    def _stale_burnins(self) -> set[int]:
        """Frames with a burn-in from an earlier run (to remove when they have no notes now)."""
        if self.burnin_dir is None or not self.burnin_dir.is_dir():
            return set()
        pattern = re.compile(rf"{re.escape(self.playlist.stem)}\.(-?\d+)\.png")
        return {
            int(m.group(1))
            for m in (pattern.fullmatch(p.name) for p in self.burnin_dir.iterdir())
            if m is not None
        }

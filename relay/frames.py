"""Frames that notes were drawn on, kept on disk by content hash.

Live frames pass through memory only (the latest per session and a few
recent ones). When a note names the image it was drawn on, that image is
written here once, as ``frames/<session>/ab/abcdef....jpg``, so reports and
late joiners can show the exact pixels the note is about. Frames are kept per
session: a token for one session never reaches another session's images.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Optional

from overshoulder.core.files import OWNER_ONLY, write_atomic

log = logging.getLogger("overshoulder.relay.frames")

EXTENSIONS = {"jpeg": "jpg", "png": "png", "rgb8": "rgb"}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "rgb": "application/octet-stream"}
_HASH = re.compile(r"^[0-9a-f]{32}$")
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def valid_hash(text: str) -> bool:
    return bool(_HASH.match(text))


class FrameStore:
    """Content-addressed image files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        self.removed_partial = remove_partial(self.root, "frame")

    def _path(self, session: str, digest: str, ext: str) -> Path:
        return self.root / session / digest[:2] / f"{digest}.{ext}"

    def keep(self, session: str, digest: str, codec: str, payload: bytes) -> Path:
        """Write the image once (atomically); later calls for the same hash do nothing."""
        if not valid_hash(digest) or not _SESSION.match(session):
            raise ValueError(f"not a session and frame hash: {session!r} {digest!r}")
        path = self._path(session, digest, EXTENSIONS.get(codec, "bin"))
        if path.exists():
            return path
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Readable by the relay's user alone, whatever the umask: a kept frame is the
        # studio's picture.
        write_atomic(path, payload, mode=OWNER_ONLY)
        log.info("kept annotated frame %s (%d bytes)", digest, len(payload))
        return path

    def find(self, session: str, digest: str) -> Optional[tuple[Path, str]]:
        """The file of a frame kept for ``session`` and its content type, if kept."""
        if not valid_hash(digest) or not _SESSION.match(session):
            return None
        for ext, ctype in CONTENT_TYPES.items():
            path = self._path(session, digest, ext)
            if path.exists():
                return path, ctype
        return None


def remove_partial(root: Path, what: str) -> int:
    """Delete half-written files (``*.tmp``) an earlier run left in ``root/<session>/ab/``.

    A file is written to a ``.tmp`` file beside it (``core.files``) and renamed into place
    only once whole, so a ``.tmp`` file at start is one a full disk or a killed relay cut
    short: never served, only taking room. ``what``: what the files are, for the log.
    Returns how many were removed.
    """
    removed = 0
    failed: list[str] = []
    for tmp in root.glob("*/*/*.tmp"):
        try:
            tmp.unlink()
            removed += 1
        except OSError as exc:
            failed.append(f"{tmp.name} ({exc.strerror or exc})")
    if removed:
        log.warning(
            "removed %d half-written %s files (*.tmp) left in %s by an earlier run "
            "(a full disk or a crash)",
            removed,
            what,
            root,
        )
    if failed:
        log.error("could not remove half-written %s files: %s", what, ", ".join(failed[:5]))
    return removed

"""A folder for an app adapter's temporary files: the renders and playblasts it reads back.

An app writes a captured frame to a file the adapter names; the adapter reads the bytes and
removes the file (``take``). The folder is made on first use. One the adapter made itself is
private (``tempfile.mkdtemp``) and ``cleanup`` removes it with whatever is left in it; one the
caller named is the caller's: made when missing, never removed. No app is imported here.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
import threading
from typing import Optional

_log = logging.getLogger("overshoulder")


class ScratchFolder:
    """A lazily made folder for temporary files; safe to use from several threads."""

    def __init__(self, prefix: str, given: Optional[str] = None) -> None:
        """``prefix``: the start of a private folder's name (``overshoulder-nuke-``);
        ``given``: a folder to use instead (kept by ``cleanup``)."""
        self.prefix = prefix
        self.given = given or None
        self._path: Optional[str] = None
        self._count = itertools.count(1)
        self._lock = threading.Lock()

    def path(self) -> str:
        """The folder (made on first use, and again after ``cleanup``)."""
        with self._lock:
            if self._path is None:
                if self.given is not None:
                    os.makedirs(self.given, exist_ok=True)
                    self._path = self.given
                else:
                    self._path = tempfile.mkdtemp(prefix=self.prefix)
            return self._path

    def file(self, name: str) -> str:
        """The path of ``name`` in the folder, with forward slashes (as the apps' file
        knobs and commands take them on Windows too)."""
        return os.path.join(self.path(), name).replace("\\", "/")

    def numbered(self, stem: str, extension: str) -> str:
        """A path in the folder this object has not given before: ``view-1.jpg``, ``view-2.jpg``."""
        return self.file(f"{stem}-{next(self._count)}{extension}")

    def cleanup(self) -> None:
        """Remove the private folder and what is left in it (a given folder stays)."""
        with self._lock:
            folder, self._path = self._path, None
        if folder is not None and folder != self.given:
            shutil.rmtree(folder, ignore_errors=True)


def discard(path: str, log: Optional[logging.Logger] = None) -> None:
    """Remove the file at ``path``: gone already is fine, any other failure is logged."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        (log or _log).warning("%s could not be removed: %s", path, exc)


def take(path: str, log: Optional[logging.Logger] = None) -> bytes:
    """The bytes of the file at ``path``, which is removed afterwards (also when reading fails)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        discard(path, log)

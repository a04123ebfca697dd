"""Whether an Overshoulder window of this machine is in a review session: a file it keeps fresh.

The Overshoulder window (``window``) and the self-test are separate processes, each started
from Workspace > Scripts, so the self-test cannot ask the window. While the window is in a
session it keeps ``in-session-<pid>.json`` in the Resolve folder of Overshoulder's config
folder, rewritten every ``SESSION_FLAG_BEAT_S``, and removes it when it leaves the session or
closes. A flag older than ``SESSION_FLAG_STALE_S`` is from a window that died without removing
it and counts for nothing. The self-test refuses to run while a fresh flag is there: it
makes a scratch timeline current and moves its playhead, which a session would show to
reviewers.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional

from overshoulder.core.files import write_atomic
from overshoulder.core.settings import config_dir

from .defaults import SESSION_FLAG_BEAT_S, SESSION_FLAG_STALE_S

log = logging.getLogger("overshoulder.resolve")

#: File names of the flags: this prefix, the window's process id, ``.json``.
PREFIX = "in-session-"


def flag_folder() -> Path:
    """Where the flags are: the Resolve folder of Overshoulder's config folder."""
    return config_dir() / "resolve"


class SessionFlag:
    """The window's flag: ``update`` at each beat with what the panel is doing, ``clear`` at
    the end. Never raises (a flag that cannot be written is logged)."""

    def __init__(
        self,
        folder: Optional[Path] = None,
        *,
        pid: Optional[int] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder if folder is not None else flag_folder()
        self.pid = os.getpid() if pid is None else pid
        self.clock = clock
        self.path = self.folder / f"{PREFIX}{self.pid}.json"
        self._written: Optional[tuple[bool, float]] = None

    def update(self, in_session: bool, sharing: bool) -> None:
        """In a session: write the flag when it is new, changed or ``SESSION_FLAG_BEAT_S``
        old; out of one: remove it."""
        if not in_session:
            self.clear()
            return
        now = self.clock()
        if self._written is not None:
            was_sharing, at = self._written
            if was_sharing == sharing and now - at < SESSION_FLAG_BEAT_S:
                return
        try:
            write_atomic(self.path, json.dumps({"pid": self.pid, "sharing": sharing, "beat": now}))
            self._written = (sharing, now)
        except OSError as exc:
            log.warning(
                "cannot write %s (the self-test will not know of this session): %s", self.path, exc
            )

    def clear(self) -> None:
        if self._written is None and not self.path.exists():
            return
        self._written = None
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove %s: %s", self.path, exc)


def sessions_open(
    folder: Optional[Path] = None, now: Optional[float] = None
) -> list[dict[str, Any]]:
    """The fresh flags: one dict (``pid``, ``sharing``, ``beat``) per window in a session."""
    folder = folder if folder is not None else flag_folder()
    now = time.time() if now is None else now
    found = []
    for path in sorted(folder.glob(f"{PREFIX}*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            beat = float(data["beat"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("ignoring the unreadable session flag %s: %s", path, exc)
            continue
        if now - beat <= SESSION_FLAG_STALE_S:
            found.append(
                {"pid": data.get("pid"), "sharing": bool(data.get("sharing")), "beat": beat}
            )
    return found

"""What the panel remembers between runs: the relay, the sign-in name, sessions it hosts.

One JSON file, ``panel.json``, in the config folder: ``$OVERSHOULDER_CONFIG_DIR``
when set, else ``~/.config/overshoulder`` (``$XDG_CONFIG_HOME`` honoured) on
Linux, ``~/Library/Application Support/Overshoulder`` on macOS,
``%APPDATA%\\Overshoulder`` on Windows. Host tokens of sessions made here are
kept too (so the panel can take a session back after the app restarts), so the
file is written readable by its owner only. No Qt here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .files import OWNER_ONLY, read_json_file, write_atomic

log = logging.getLogger("overshoulder.ui")

CONFIG_ENV = "OVERSHOULDER_CONFIG_DIR"
FILE_NAME = "panel.json"
DEFAULT_RELAY = "http://127.0.0.1:8770"
#: Hosted sessions remembered at most (the newest are kept).
MAX_HOSTED = 20


def config_dir() -> Path:
    """The folder the panel's settings live in (see the module's docstring)."""
    given = os.environ.get(CONFIG_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "Overshoulder"
    if sys.platform.startswith("win"):
        appdata = os.environ.get("APPDATA")
        return (Path(appdata) if appdata else home / "AppData" / "Roaming") / "Overshoulder"
    xdg = os.environ.get("XDG_CONFIG_HOME", "").strip()
    return (Path(xdg) if xdg else home / ".config") / "overshoulder"


@dataclass
class HostedSession:
    """A session made from this panel: enough to join it again as its host."""

    session_id: str
    relay: str
    token: str
    name: str = ""
    expires_at: Optional[float] = None


class PanelSettings:
    """The panel's remembered values; ``save()`` writes them (small, on the calling thread)."""

    def __init__(self, path: Optional[Path] = None) -> None:
        self.path = Path(path) if path is not None else config_dir() / FILE_NAME
        self.relay = DEFAULT_RELAY
        self.name = ""
        self.invite_role = "reviewer"
        self.hosted: list[HostedSession] = []
        self._load()

    def _load(self) -> None:
        data = read_json_file(self.path, "panel settings", log=log)
        if not isinstance(data, dict):
            return
        self.relay = _text(data.get("relay")) or self.relay
        self.name = _text(data.get("name")) or ""
        role = data.get("invite_role")
        if role in ("reviewer", "viewer"):
            self.invite_role = role
        for item in data.get("hosted") or []:
            try:
                self.hosted.append(HostedSession(**item))
            except TypeError:
                continue

    def save(self) -> None:
        """Write the settings (atomically; owner-only, since host tokens are in it)."""
        data: dict[str, Any] = {
            "relay": self.relay,
            "name": self.name,
            "invite_role": self.invite_role,
            "hosted": [vars(h) for h in self.hosted[-MAX_HOSTED:]],
        }
        try:
            write_atomic(self.path, json.dumps(data, indent=2), mode=OWNER_ONLY)
        except OSError as exc:
            log.warning("could not save panel settings to %s: %s", self.path, exc)

    def remember_hosted(self, hosted: HostedSession) -> None:
        self.hosted = [h for h in self.hosted if h.session_id != hosted.session_id] + [hosted]

    def hosted_session(self, relay: str, session_id: str) -> Optional[HostedSession]:
        """The host token kept for ``session_id`` on ``relay``, if still valid."""
        now = time.time()
        for h in reversed(self.hosted):
            fresh = h.expires_at is None or h.expires_at > now
            if h.session_id == session_id and h.relay == relay and fresh:
                return h
        return None


def _text(value: Any) -> Optional[str]:
    return value.strip() if isinstance(value, str) and value.strip() else None

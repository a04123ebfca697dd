"""Where a relay keeps its data, and the keys it makes on first start.

The data dir holds everything a relay owns:

- ``secret.key``: the HMAC secret that signs invite tokens (never leaves the dir);
- ``admin.key``: the key the ``overshoulder invite`` command and studio tools
  present to create sessions and invites;
- ``events.sqlite3``: the event log; ``frames/``: images that notes were drawn on.

This module imports nothing heavy, so the command line can use it without
the server's dependencies.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_PORT = 8770
DEFAULT_HOST = "127.0.0.1"


def default_data_dir() -> Path:
    """``$OVERSHOULDER_DATA_DIR``, else ``$XDG_DATA_HOME/overshoulder/relay``."""
    env = os.environ.get("OVERSHOULDER_DATA_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "overshoulder" / "relay"


def _key_file(path: Path, nbytes: int) -> str:
    """Read a key file, or create it (mode 0600) with fresh random bytes."""
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if len(value) < 32:
            raise ValueError(f"{path} is too short to be a key; delete it to make a new one")
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


def token_secret(data_dir: Path) -> bytes:
    return bytes.fromhex(_key_file(Path(data_dir) / "secret.key", 32))


def admin_key(data_dir: Path) -> str:
    return _key_file(Path(data_dir) / "admin.key", 24)


def read_admin_key(data_dir: Path) -> str | None:
    """The admin key if this data dir has one (for the command line); never creates it."""
    path = Path(data_dir) / "admin.key"
    try:
        return path.read_text(encoding="ascii").strip() or None
    except OSError:
        return None

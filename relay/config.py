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


class DataDirError(Exception):
    """Something in the data dir keeps the relay from starting: the message says which file,
    what is wrong with it and what to do."""


#: What to do about each key file when it is damaged.
_KEY_ADVICE = {
    "secret.key": (
        "Restore it from a backup of the data dir. Only if there is none, delete it: the "
        "relay then makes a new one, and every invite and host link made so far stops working"
    ),
    "admin.key": (
        "Restore it from a backup of the data dir, or delete it: the relay then makes a new "
        "one, to be given again to whoever runs 'overshoulder invite' or a studio tool"
    ),
}


def _key_file(path: Path, nbytes: int, least: int, hex_only: bool) -> str:
    """Read a key file, or create it (mode 0600) with ``nbytes`` fresh random bytes as hex.
    A damaged one (unreadable, not text, shorter than ``least``) raises ``DataDirError``."""
    if path.exists() or path.is_symlink():
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise _damaged_key(path, f"it cannot be read ({exc.strerror or exc})") from None
        value = _key_text(raw, least, hex_only)
        if isinstance(value, _Bad):
            raise _damaged_key(path, value.what)
        return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


class _Bad:
    def __init__(self, what: str) -> None:
        self.what = what


def _key_text(raw: bytes, least: int, hex_only: bool) -> str | _Bad:
    """The key in a key file's bytes (at least ``least`` characters), or what is wrong."""
    if not raw.strip():
        return _Bad(f"it is empty ({len(raw)} bytes)")
    try:
        value = raw.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        return _Bad(f"it is not text (byte 0x{raw[exc.start]:02x} at position {exc.start})")
    if hex_only and any(c not in "0123456789abcdefABCDEF" for c in value):
        return _Bad(f"it holds characters that are not hex digits ({len(value)} characters)")
    if not hex_only and any(not c.isprintable() or c.isspace() for c in value):
        return _Bad("it holds spaces or control characters, which no key has")
    if len(value) < least:
        kind = "hex digits" if hex_only else "characters"
        return _Bad(f"it holds {len(value)} {kind} where a key has at least {least}")
    if hex_only and len(value) % 2:
        return _Bad(f"it holds an odd number of hex digits ({len(value)}), so it was cut")
    return value


def _damaged_key(path: Path, what: str) -> DataDirError:
    advice = _KEY_ADVICE.get(path.name, "Restore it from a backup of the data dir")
    return DataDirError(f"the key file {path} is damaged: {what}. {advice}.")


def token_secret(data_dir: Path) -> bytes:
    # 64 hex digits: the 32 bytes TokenSigner needs at least.
    return bytes.fromhex(_key_file(Path(data_dir) / "secret.key", 32, 64, hex_only=True))


def admin_key(data_dir: Path) -> str:
    return _key_file(Path(data_dir) / "admin.key", 24, 32, hex_only=False)


def read_admin_key(data_dir: Path) -> str | None:
    """The admin key if this data dir has one (for the command line); never creates it.
    None when there is no such file; a damaged one raises ``DataDirError`` naming it."""
    path = Path(data_dir) / "admin.key"
    try:
        value = _key_text(path.read_bytes(), 32, hex_only=False)
    except OSError:
        return None
    if isinstance(value, _Bad):
        raise _damaged_key(path, value.what)
    return value

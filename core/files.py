"""Writing a file so that a reader sees the old one or the new one, never half of either.

Everything the suite keeps on disk (the outbox, the panel's settings, notes files, kept
frames, an app's startup script) goes through here: a temporary file beside the target,
flushed to the disk, then renamed over it. A crash or a full disk leaves the old file.
``read_json_file`` reads back a JSON file that may be missing or damaged.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Optional, Union

#: Permissions for a file only its owner may read (tokens, kept pictures).
OWNER_ONLY = 0o600

_log = logging.getLogger("overshoulder.files")


def umask() -> int:
    """The process's umask.

    Linux says it in /proc; elsewhere reading it means setting it (and straight back), which
    for that instant gives a file another thread makes the widest permissions.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def replacing(path: Union[str, Path], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without an error, it
    is renamed over ``path``. Otherwise it is removed and ``path`` stays as it was.

    For writers that need a path of their own (an image library): ``suffix`` keeps the
    extension they read the format from.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def write_atomic(
    path: Union[str, Path],
    data: Union[bytes, str],
    *,
    mode: Optional[int] = None,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Path:
    """Replace ``path`` with ``data`` (text is encoded with ``encoding``); returns the path.

    ``mode``: the new file's permissions. Left out, a file that exists keeps its own and a
    new one gets what the umask gives (as ``open`` would).
    """
    target = Path(path)
    raw = data.encode(encoding, errors) if isinstance(data, str) else data
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~umask()
    with replacing(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
    return target


def read_json_file(
    path: Union[str, Path], what: str, *, log: Optional[logging.Logger] = None
) -> Optional[Any]:
    """The JSON value in ``path``, or None when there is no such file or it cannot be read.

    A file that is there but unreadable (not JSON, not text, no permission) is logged as a
    warning on ``log`` (this module's logger when left out) naming ``what`` it held and the
    path, so its reader can start afresh.
    """
    target = Path(path)
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        (log or _log).warning("%s %s unreadable (%s); starting afresh", what, target, exc)
        return None

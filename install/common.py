"""What every app's installer shares on disk: a marked block, atomic writes, folder swaps.

The block functions work on ``str`` decoded with ``surrogateescape`` from the file's exact bytes,
so a file goes back byte for byte: its line endings, a missing final newline and a BOM included.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from overshoulder.core.files import write_atomic

ENCODING = "utf-8"
ERRORS = "surrogateescape"

#: Notes on the start marker line that record what the install did to the file around the block,
#: so that taking the block out restores the file exactly.
NOTE_CREATED = "created-file"
NOTE_NEWLINE = "added-newline-above"
_NOTES = (NOTE_CREATED, NOTE_NEWLINE)


class InstallError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


class UsageError(Exception):
    """Options that cannot work together or name something unsupported: exit status 2."""


def not_ours(what: object, uninstalling: bool) -> InstallError:
    """The error for files in the way that this installer did not make (``what`` names them):
    an install does not overwrite them, an uninstall does not remove them."""
    if uninstalling:
        return InstallError(
            f"{what} was not made by overshoulder install; left it alone (remove it by hand)"
        )
    return InstallError(
        f"{what} exists and was not made by overshoulder install; move it away first"
    )


@dataclass(frozen=True)
class Markers:
    """The comment lines around a managed block, e.g. ``# >>> overshoulder >>>``."""

    name: str = "overshoulder"
    comment: str = "#"

    @property
    def start(self) -> str:
        return f"{self.comment} >>> {self.name} >>>"

    @property
    def end(self) -> str:
        return f"{self.comment} <<< {self.name} <<<"


@dataclass(frozen=True)
class Found:
    """Where a block sits in a text: ``text[begin:end]`` is the block, line endings included."""

    begin: int
    end: int
    notes: tuple[str, ...]
    newline: str


def line_ending(text: str) -> str:
    """The text's line ending: CRLF if its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def find_block(text: str, markers: Markers, where: str = "the file") -> Optional[Found]:
    """The one block in ``text``, or None; an unpaired marker or a second block is an error."""
    start_re = re.compile(rf"^{re.escape(markers.start)}(?P<notes>[^\r\n]*)(?P<nl>\r?\n|$)", re.M)
    end_re = re.compile(rf"^{re.escape(markers.end)}[ \t]*(\r?\n|$)", re.M)
    starts = list(start_re.finditer(text))
    ends = list(end_re.finditer(text))
    if len(starts) > 1 or len(ends) > 1:
        raise InstallError(
            f"{where} has {max(len(starts), len(ends))} '{markers.start}' blocks; "
            f"keep one (or none) and run again"
        )
    if not starts and not ends:
        return None
    if not starts or not ends or ends[0].start() < starts[0].start():
        line = text.count("\n", 0, min(m.start() for m in starts + ends)) + 1
        raise InstallError(
            f"{where} has an unpaired '{markers.start}' / '{markers.end}' marker at line "
            f"{line}; fix the block by hand (or delete it) and run again"
        )
    start, end = starts[0], ends[0]
    notes = tuple(n for n in start.group("notes").split() if n in _NOTES)
    return Found(start.start(), end.end(), notes, start.group("nl") or line_ending(text))


def render_block(body: list[str], markers: Markers, notes: tuple[str, ...], newline: str) -> str:
    """The block's text: the start marker (with notes), the body lines, the end marker."""
    head = " ".join((markers.start, *notes))
    return newline.join([head, *body, markers.end]) + newline


def set_block(
    text: Optional[str], body: list[str], markers: Markers, where: str = "the file"
) -> str:
    """``text`` with the block holding ``body``: replaced where it is, else appended.

    ``text`` None means the file does not exist yet. A text that does not end with a line break
    gets one before the block, and the start marker remembers it for ``remove_block``.
    """
    if text is None:
        return render_block(body, markers, (NOTE_CREATED,), "\n")
    found = find_block(text, markers, where)
    if found is not None:
        block = render_block(body, markers, found.notes, found.newline)
        return text[: found.begin] + block + text[found.end :]
    newline = line_ending(text)
    if text and not text.endswith("\n"):
        return text + newline + render_block(body, markers, (NOTE_NEWLINE,), newline)
    return text + render_block(body, markers, (), newline)


def remove_block(text: str, markers: Markers, where: str = "the file") -> tuple[str, bool]:
    """``text`` without the block, and whether the file should go (made by us, now empty)."""
    found = find_block(text, markers, where)
    if found is None:
        return text, False
    before, after = text[: found.begin], text[found.end :]
    if NOTE_NEWLINE in found.notes and not after:
        for newline in (found.newline, "\n"):
            if before.endswith(newline):
                before = before[: -len(newline)]
                break
    rest = before + after
    return rest, NOTE_CREATED in found.notes and rest == ""


def read_text(path: Path) -> Optional[str]:
    """The file's exact content as text (see module doc), or None when there is no such file."""
    try:
        return path.read_bytes().decode(ENCODING, ERRORS)
    except FileNotFoundError:
        return None


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (exact bytes, see module doc) through a temporary file and a rename.

    A file that exists keeps its permissions; a new one gets what the umask gives.
    """
    write_atomic(path, text, encoding=ENCODING, errors=ERRORS)


def edit_block(
    path: Path, body: Optional[list[str]], markers: Markers
) -> tuple[str, Optional[str]]:
    """Put ``body`` into the file's block (``None``: take the block out).

    Returns what happened: "added", "replaced", "unchanged", "removed", "removed-file" or
    "absent", and the text before the change (None when the file did not exist).
    """
    before = read_text(path)
    where = str(path)
    if body is None:
        if before is None:
            return "absent", None
        after, drop = remove_block(before, markers, where)
        if after == before:
            return "absent", before
        if drop:
            path.unlink()
            return "removed-file", before
        write_text_atomic(path, after)
        return "removed", before
    had = before is not None and find_block(before, markers, where) is not None
    after = set_block(before, body, markers, where)
    if after == before:
        return "unchanged", before
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, after)
    return ("replaced" if had else "added"), before


def swap_folder(new: Path, target: Path) -> None:
    """Put the folder ``new`` in place of ``target`` (same parent), keeping ``target`` on failure.

    The old folder is renamed aside first, so ``target`` is always either the old or the new
    complete folder; the old one is deleted once the new one is in place.
    """
    old: Optional[Path] = None
    if target.exists():
        old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
        old.rmdir()
        try:
            os.replace(target, old)
        except OSError as exc:
            raise InstallError(
                f"cannot replace {target}: {exc.strerror or exc} (is an app using it? "
                f"close it and run again)"
            ) from None
    try:
        os.replace(new, target)
    except OSError as exc:
        if old is not None:
            os.replace(old, target)
        raise InstallError(f"cannot move the new files into {target}: {exc}") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def remove_tree(path: Path) -> bool:
    """Delete a folder (True) or say it was not there (False)."""
    if not path.exists():
        return False
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise InstallError(
            f"cannot remove {path}: {exc.strerror or exc} (is an app using it? close it and "
            f"run again)"
        ) from None
    return True

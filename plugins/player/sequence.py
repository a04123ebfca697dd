"""Image sequences on disk: a pattern, a folder or one file, with the frames and gaps found."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .defaults import IMAGE_EXTENSIONS
from .errors import MediaError

#: The frame token of a pattern: ``#``, ``####``, ``%d``, ``%04d``, ``@@@@``.
_TOKEN = re.compile(r"#+|@+|%0?(\d*)d")
#: A file name with a frame number: the last run of digits before the extension.
_NUMBERED = re.compile(r"^(?P<prefix>.*\D)?(?P<digits>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")

#: ``padding`` of a pattern whose single ``#`` lets the files decide.
ANY_PADDING = -1


@dataclass(frozen=True)
class ImageSequence:
    """Frames ``prefix + number + suffix`` in ``folder``; ``frames`` are those on disk."""

    folder: Path
    prefix: str
    suffix: str
    padding: int
    #: Frame numbers on disk, ascending (empty only for a timeline's clip whose files are gone).
    frames: tuple[int, ...]
    #: A single image without a frame number (shown as frame 1).
    still: bool = False

    @property
    def first(self) -> int:
        return self.frames[0]

    @property
    def last(self) -> int:
        return self.frames[-1]

    @property
    def missing(self) -> tuple[int, ...]:
        """Frames inside first..last with no file: the gaps."""
        if not self.frames:
            return ()
        have = set(self.frames)
        return tuple(f for f in range(self.first, self.last + 1) if f not in have)

    @property
    def pattern(self) -> str:
        """The file name with ``#`` for the digits: ``shot.####.exr``."""
        if self.still:
            return self.prefix
        return f"{self.prefix}{'#' * max(self.padding, 1)}{self.suffix}"

    @property
    def pattern_path(self) -> Path:
        """Folder and pattern: what a note's ``player.clip`` object names."""
        return self.folder / self.pattern

    @property
    def name(self) -> str:
        """A short name: the prefix without trailing separators (``shot``)."""
        if self.still:
            return Path(self.prefix).stem
        return self.prefix.rstrip("._- ") or Path(self.suffix).stem or "frames"

    @property
    def extension(self) -> str:
        return (Path(self.prefix).suffix if self.still else self.suffix).lstrip(".").lower()

    def file_name(self, frame: int) -> str:
        if self.still:
            return self.prefix
        return f"{self.prefix}{frame:0{max(self.padding, 0)}d}{self.suffix}"

    def path(self, frame: int) -> Path:
        """The file of ``frame`` (it may be missing: a gap)."""
        return self.folder / self.file_name(frame)

    def describe(self) -> str:
        """``shot.####.exr (1001-1010, 2 missing)`` for messages."""
        if self.still:
            return self.prefix
        if not self.frames:
            return f"{self.pattern} (no frames on disk)"
        gaps = len(self.missing)
        extra = f", {gaps} missing" if gaps else ""
        return f"{self.pattern} ({self.first}-{self.last}{extra})"


def find_sequence(given: str | os.PathLike[str]) -> ImageSequence:
    """The sequence ``given`` names, or ``MediaError`` saying why not.

    - ``shot.####.exr`` (one ``#`` per digit) and ``shot.%04d.exr`` fix the
      padding; ``%d`` means none; a single ``#`` takes any padding (the files
      decide);
    - a folder must hold exactly one sequence (several: the error lists them);
    - a file that names one frame (``shot.1001.exr``) stands for its sequence;
      a file without a frame number is a still, shown as frame 1.

    The frame range and its gaps come from the files on disk, never the pattern.
    """
    path = Path(given).expanduser()
    if path.is_dir():
        return _only_sequence(path)
    token = _TOKEN.search(path.name)
    if token is not None:
        return _from_pattern(path, token)
    if path.is_file():
        return _from_file(path)
    if not path.parent.is_dir():
        raise MediaError(f"{path}: no such folder: {path.parent}")
    raise MediaError(f"{path}: no such file or folder")


def sequences_in(folder: Path) -> list[ImageSequence]:
    """Every sequence (and numberless still) of image files in ``folder``, by name."""
    groups: dict[tuple[str, str], list[str]] = {}
    stills: list[str] = []
    for name in _listdir(folder):
        if name.startswith(".") or _extension(name) not in IMAGE_EXTENSIONS:
            continue
        if not (folder / name).is_file():
            continue
        match = _NUMBERED.match(name)
        if match is None:
            stills.append(name)
            continue
        prefix, digits = _signed(match.group("prefix") or "", match.group("digits"))
        groups.setdefault((prefix, match.group("suffix")), []).append(digits)
    found = [
        _make(folder, prefix, suffix, _padding_of(digits), digits)
        for (prefix, suffix), digits in groups.items()
    ]
    found += [ImageSequence(folder, name, "", 0, (1,), still=True) for name in stills]
    return sorted(found, key=lambda s: (s.prefix, s.suffix))


# --- the three ways to name a sequence ---------------------------------------------------------


def _only_sequence(folder: Path) -> ImageSequence:
    found = sequences_in(folder)
    if not found:
        kinds = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise MediaError(f"{folder}: no image files in this folder (looked for {kinds})")
    if len(found) > 1:
        listed = "; ".join(s.describe() for s in found)
        raise MediaError(
            f"{folder} holds {len(found)} sequences, give one of them: {listed}",
        )
    return found[0]


def _from_pattern(path: Path, token: re.Match[str]) -> ImageSequence:
    if _TOKEN.search(path.name, token.end()) is not None:
        raise MediaError(f"{path}: more than one frame number token in the file name")
    if not path.parent.is_dir():
        raise MediaError(f"{path}: no such folder: {path.parent}")
    found = pattern_sequence(path)
    if found is None or not found.frames:
        raise MediaError(f"{path}: no frames on disk match this pattern")
    return found


def pattern_sequence(path: Path) -> Optional[ImageSequence]:
    """The frames the pattern ``path`` names (maybe none); None when it has no frame token."""
    token = _TOKEN.search(path.name)
    if token is None:
        return None
    name, text = path.name, token.group(0)
    if text.startswith("%"):
        padding = int(token.group(1) or 0)
    elif text == "#":
        padding = ANY_PADDING
    else:
        padding = len(text)
    return scan(path.parent, name[: token.start()], name[token.end() :], padding)


def scan(folder: Path, prefix: str, suffix: str, padding: int) -> ImageSequence:
    """The frames of ``prefix + number + suffix`` in ``folder`` (none when nothing matches).

    ``padding`` is the digits' width (0: unpadded) or ``ANY_PADDING``.
    """
    digits = []
    names = _listdir(folder) if folder.is_dir() else []
    for entry in names:
        if entry.startswith(prefix) and entry.endswith(suffix):
            middle = entry[len(prefix) : len(entry) - len(suffix)]
            if _fits(middle, padding):
                digits.append(middle)
    if padding == ANY_PADDING:
        padding = _padding_of(digits)
    return _make(folder, prefix, suffix, padding, digits)


def _from_file(path: Path) -> ImageSequence:
    match = _NUMBERED.match(path.name)
    if match is None:
        return ImageSequence(path.parent, path.name, "", 0, (1,), still=True)
    prefix, _ = _signed(match.group("prefix") or "", match.group("digits"))
    suffix = match.group("suffix")
    digits = [
        entry[len(prefix) : len(entry) - len(suffix)]
        for entry in _listdir(path.parent)
        if entry.startswith(prefix) and entry.endswith(suffix)
    ]
    digits = [d for d in digits if _fits(d, ANY_PADDING)]
    return _make(path.parent, prefix, suffix, _padding_of(digits), digits)


# --- pieces ----------------------------------------------------------------------------------


def _make(
    folder: Path, prefix: str, suffix: str, padding: int, digits: Iterable[str]
) -> ImageSequence:
    frames = tuple(sorted({int(d) for d in digits}))
    return ImageSequence(folder.resolve(), prefix, suffix, padding, frames)


def _fits(middle: str, padding: int) -> bool:
    """Whether ``middle`` is a frame number written with ``padding``."""
    if not re.fullmatch(r"-?\d+", middle):
        return False
    if padding == ANY_PADDING:
        return True
    return f"{int(middle):0{padding}d}" == middle


def _padding_of(digits: list[str]) -> int:
    """The padding files were written with: a leading zero fixes it, else equal lengths do."""
    zeros = {len(d) for d in digits if len(d.lstrip("-")) > 1 and d.lstrip("-").startswith("0")}
    if zeros:
        return max(zeros)
    lengths = {len(d) for d in digits}
    return lengths.pop() if len(lengths) == 1 else 0


def _signed(prefix: str, digits: str) -> tuple[str, str]:
    """``shot.-001.exr``: the minus belongs to the number when a separator comes before it."""
    if prefix.endswith("-") and (len(prefix) == 1 or prefix[-2] in "._"):
        return prefix[:-1], f"-{digits}"
    return prefix, digits


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _listdir(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise MediaError(f"{folder}: cannot list the folder: {exc.strerror or exc}") from None

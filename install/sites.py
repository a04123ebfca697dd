"""The Pythons an app's installer installs for, and a package folder for each of them.

Every installer puts Overshoulder and its dependencies, as binary wheels for the app's Python,
into a ``pythonX.Y`` folder of its own (a "site"). Each site is filled in a staging folder
beside it and swapped in only once pip succeeded, so a failure leaves the previous install
working; the pip logs stay in a work folder while anything failed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NoReturn, Optional

from overshoulder.core.files import umask

from .common import InstallError, UsageError, swap_folder
from .wheels import pip_target_install, project_wheel

Python = tuple[int, int]
#: The oldest Python Overshoulder runs on.
MIN_PYTHON: Python = (3, 9)
#: What an installer keeps in its package folder: sites and their staging folders.
SITE_NAME = re.compile(r"\.?python\d+\.\d+([.].*)?")


def py_str(python: Python) -> str:
    return f"{python[0]}.{python[1]}"


def parse_python(text: str, example: str, needs: str) -> Python:
    """``"3.10"`` -> (3, 10); malformed or too old is a ``UsageError``.

    ``example``: a version to show (``3.10``); ``needs``: what the user should have instead
    of a too old Python (``Nuke 14 or later``).
    """
    m = re.fullmatch(r"\s*(\d+)\.(\d+)(\.\d+)?\s*", text)
    if not m:
        raise UsageError(f"--python {text!r}: give a version like {example}")
    python = (int(m.group(1)), int(m.group(2)))
    if python < MIN_PYTHON:
        raise UsageError(
            f"Python {py_str(python)} is not supported: Overshoulder needs Python "
            f"{py_str(MIN_PYTHON)}+ ({needs})"
        )
    return python


def release_python(
    app: str,
    release: int,
    known: Mapping[int, Python],
    too_old: Mapping[int, Python],
    unknown_hint: str,
) -> Python:
    """The Python that ``app``'s ``release`` embeds, from ``known``.

    A release in ``too_old`` or older than every known one is refused by name (with its
    Python when ``too_old`` has it); a newer one not yet known, with ``unknown_hint``.
    """
    if release in known:
        return known[release]
    if release in too_old or release < min(known):
        old = too_old.get(release)
        its = f" (its Python is {py_str(old)})" if old else ""
        raise UsageError(
            f"{app} {release} is not supported{its}: Overshoulder needs {app} {min(known)} or "
            f"later (Python {py_str(MIN_PYTHON)}+)"
        )
    raise UsageError(
        f"{app} {release}'s Python version is not known to this installer; {unknown_hint}"
    )


def pythons_in(folder: Path) -> list[Python]:
    """The Pythons that ``folder`` holds a site for, oldest first."""
    found = []
    for entry in folder.glob("python*"):
        m = re.fullmatch(r"python(\d+)\.(\d+)", entry.name)
        if m and entry.is_dir():
            found.append((int(m.group(1)), int(m.group(2))))
    return sorted(found)


def holds_only_sites(folder: Path, *others: str) -> bool:
    """Whether ``folder`` is a folder holding nothing but sites, staging folders and
    ``others`` (names): what an install that stopped early leaves."""
    return folder.is_dir() and all(
        SITE_NAME.fullmatch(p.name) or p.name in others for p in folder.iterdir()
    )


def check_wheelhouse(wheelhouse: Optional[Path]) -> None:
    if wheelhouse is not None and not wheelhouse.is_dir():
        raise InstallError(f"--wheelhouse {wheelhouse}: no such folder")


#: A further step into a staging site: (folder, Python, pip log).
Extra = Callable[[Path, Python, Path], None]


@dataclass
class Sites:
    """What ``install_sites`` did: the Pythons whose site is new, and why the others failed."""

    root: Path
    made_root: bool
    work: Path
    done: list[Python] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def undo(self) -> None:
        """Remove the package folder, if the install made it."""
        if self.made_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def nothing_installed(self) -> NoReturn:
        """No site at all: take back the folder the install made and say why."""
        self.undo()
        raise InstallError("\n".join(self.failures) or "nothing was installed")

    def finish(self) -> None:
        """Raise the failures, if any (their pip logs are kept); else remove the work folder."""
        if self.failures:
            raise InstallError("\n".join(self.failures))
        shutil.rmtree(self.work, ignore_errors=True)


def install_sites(
    root: Path,
    pythons: Iterable[Python],
    site_of: Callable[[Python], Path],
    wheelhouse: Optional[Path] = None,
    extra: Optional[Extra] = None,
) -> Sites:
    """A site in ``root`` for each of ``pythons`` (``site_of`` names it), from a wheel of
    the running Overshoulder; ``extra`` installs more into each before it is swapped in.

    A Python whose pip fails is a line in ``failures`` and keeps its previous site; any other
    error (an interrupt) takes back ``root`` if this made it.
    """
    made_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    sites = Sites(root, made_root, Path(tempfile.mkdtemp(prefix="overshoulder-install-")))
    work = sites.work
    try:
        (work / "wheel").mkdir()
        wheel = project_wheel(work / "wheel", work / "pip-wheel.log", wheelhouse)
        for python in pythons:
            site = site_of(python)
            had = site.exists()
            staging = Path(tempfile.mkdtemp(dir=root, prefix=f".{site.name}.new-"))
            os.chmod(staging, 0o777 & ~umask())  # as a plain mkdir: readable by other users
            log = work / f"pip-python{py_str(python)}.log"
            try:
                pip_target_install(wheel, staging, python, log, wheelhouse)
                if extra is not None:
                    extra(staging, python, log)
                swap_folder(staging, site)
            except BaseException as exc:
                shutil.rmtree(staging, ignore_errors=True)
                if not isinstance(exc, InstallError):
                    raise
                kept = "the previous install is unchanged" if had else "nothing installed"
                sites.failures.append(f"Python {py_str(python)}: {exc}; {kept}")
                continue
            sites.done.append(python)
    except BaseException:
        sites.undo()
        raise
    return sites

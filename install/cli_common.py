"""The command line every app's installer shares: its common options and report lines.

Each installer module has ``add_arguments(parser)`` and ``run(ns, out)`` (install/cli.py calls
them); what they have in common is here, what is an app's own stays in its module.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, TextIO

from overshoulder import __version__

from .common import UsageError


def add_common_arguments(parser: argparse.ArgumentParser, removes: str) -> None:
    """The options every app's installer has: ``--uninstall`` (``removes``: what it takes
    out), ``--wheelhouse`` and ``--dry-run``."""
    parser.add_argument("--uninstall", action="store_true", help=f"remove {removes}")
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        metavar="DIR",
        help="offline: take every package from the wheels in DIR, never from an index",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be done and change nothing"
    )


def add_scopes(
    parser: argparse.ArgumentParser, user_help: str, other_flag: str, **other: Any
) -> None:
    """``--user`` (the default scope, ``user_help``) or the installer's other scope
    (``other_flag``, e.g. ``--path`` or ``--system``, with ``other`` as ``add_argument``
    takes it): one of them at most."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help=user_help)
    where.add_argument(other_flag, **other)


def add_python_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    """``--python X.Y``, repeatable: the Python versions to install the packages for."""
    add_repeated(parser, "--python", "X.Y", help_text)


def add_repeated(
    parser: argparse.ArgumentParser, flag: str, metavar: str, help_text: str, **kw: Any
) -> None:
    """An option that may be given several times (``--python 3.10 --python 3.11``): a list."""
    parser.add_argument(flag, action="append", default=[], metavar=metavar, help=help_text, **kw)


def wheelhouse_of(ns: argparse.Namespace) -> Optional[Path]:
    """The ``--wheelhouse`` folder as an absolute path (None: packages come from an index)."""
    return ns.wheelhouse.expanduser().absolute() if ns.wheelhouse else None


def refuse_with_uninstall(removes: str, install_only: Mapping[str, object]) -> None:
    """A ``UsageError`` when an option of ``install_only`` (flag: its value) was given with
    ``--uninstall``, which removes ``removes`` whatever they say."""
    if any(install_only.values()):
        flags = list(install_only)
        listed = ", ".join(flags[:-1]) + " and " + flags[-1] if len(flags) > 1 else flags[0]
        raise UsageError(f"--uninstall removes {removes}: drop {listed}")


def on_search_path(variable: str, folder: Path) -> bool:
    """Whether the environment's path list ``variable`` (``NUKE_PATH``) names ``folder``."""
    want = os.path.normcase(os.path.realpath(folder))
    entries = os.environ.get(variable, "").split(os.pathsep)
    return any(e and os.path.normcase(os.path.realpath(e)) == want for e in entries)


def say_installing(out: TextIO, app: str, where: Optional[Path], dry_run: bool) -> None:
    """The first line of an install's report (or of what a dry run would do)."""
    if dry_run:
        into = f" into {where}" if where is not None else ""
        print(f"Would install Overshoulder {__version__} for {app}{into}", file=out)
    else:
        into = f" in {where}" if where is not None else ""
        print(f"Installed Overshoulder {__version__} for {app}{into}", file=out)


def say_removed(out: TextIO, removed: Sequence[str], nothing: str) -> None:
    """An uninstall's report: one "Removed ..." line per thing removed, or, when nothing
    was, "Nothing to remove: <nothing>" (what was looked for, and where)."""
    if not removed:
        print(f"Nothing to remove: {nothing}", file=out)
    for what in removed:
        print(f"Removed {what}", file=out)

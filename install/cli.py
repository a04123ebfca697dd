"""``overshoulder install APP``: put the plugin into an app (only Nuke so far), or take it out."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from .common import InstallError
from .nuke import UsageError, choose_pythons, install, path_target, uninstall, user_target

PROG = "overshoulder install"
#: Apps with an installer to come: named so that asking for them gets a clear answer.
LATER = ("maya", "resolve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Make an app load Overshoulder (and install its packages for the app's "
        "Python), or take it out again.",
    )
    sub = parser.add_subparsers(dest="app", metavar="APP")
    nuke = sub.add_parser(
        "nuke",
        help="install into Nuke 14+ (~/.nuke or a NUKE_PATH folder)",
        description="Make Nuke load Overshoulder: a plugin folder with the packages for "
        "Nuke's Python, and a marked block in init.py that adds it to Nuke's plugin path. "
        "Running it again refreshes the install.",
    )
    where = nuke.add_mutually_exclusive_group()
    where.add_argument(
        "--user",
        action="store_true",
        help="for this user: ~/.nuke/overshoulder and ~/.nuke/init.py (the default)",
    )
    where.add_argument(
        "--path",
        type=Path,
        metavar="DIR",
        help="studio-wide: DIR/overshoulder and DIR/init.py, DIR being on NUKE_PATH",
    )
    nuke.add_argument(
        "--uninstall",
        action="store_true",
        help="remove the plugin folder and the block from init.py",
    )
    nuke.add_argument(
        "--nuke-version",
        action="append",
        default=[],
        metavar="N",
        help="install for this Nuke release, e.g. 15 (repeatable; default: the installed ones)",
    )
    nuke.add_argument(
        "--python",
        action="append",
        default=[],
        metavar="X.Y",
        help="install for this Python version, e.g. 3.10 (repeatable)",
    )
    nuke.add_argument(
        "--wheelhouse",
        type=Path,
        metavar="DIR",
        help="offline: take every package from the wheels in DIR, never from an index",
    )
    nuke.add_argument(
        "--dry-run", action="store_true", help="print what would be done and change nothing"
    )
    for app in LATER:
        sub.add_parser(app, help=f"(not available yet) install into {app.capitalize()}")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``overshoulder install``; returns the exit status (0 done, 1 failed, 2 bad usage)."""
    parser = build_parser()
    ns = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not ns.app:
        parser.print_help(sys.stderr)
        return 2
    if ns.app in LATER:
        print(
            f"{PROG} {ns.app}: not available yet; only Nuke can be installed for now ({PROG} nuke)",
            file=sys.stderr,
        )
        return 1
    try:
        return run_nuke(ns)
    except UsageError as exc:
        print(f"{PROG} nuke: {exc}", file=sys.stderr)
        return 2
    except InstallError as exc:
        for line in str(exc).splitlines():
            print(f"{PROG} nuke: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def run_nuke(ns: argparse.Namespace) -> int:
    target = path_target(ns.path) if ns.path is not None else user_target()
    if ns.uninstall:
        if ns.nuke_version or ns.python or ns.wheelhouse:
            raise UsageError(
                "--uninstall removes the packages of every Python: drop --nuke-version, "
                "--python and --wheelhouse"
            )
        uninstall(target, sys.stdout, dry_run=ns.dry_run)
        return 0
    pythons = choose_pythons(ns.nuke_version, ns.python, sys.stdout)
    wheelhouse = ns.wheelhouse.expanduser().absolute() if ns.wheelhouse else None
    install(target, pythons, sys.stdout, wheelhouse=wheelhouse, dry_run=ns.dry_run)
    return 0

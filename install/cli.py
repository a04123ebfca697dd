"""``overshoulder install APP``: put the plugin into an app , or take it out."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Optional

from .common import InstallError, UsageError

PROG = "overshoulder install"
#: Each app's installer module (in this package): ``add_arguments(parser)`` fills its
#: sub-command, ``run(ns, out)`` does the work. Apps whose module is missing are "not available".
APPS = {
    "nuke": ("nuke", "install into Nuke 14+ (~/.nuke or a NUKE_PATH folder)"),
    "maya": ("maya", "install into Maya 2022+ (a module in the user's modules folder)"),
    "resolve": ("resolve", "install into DaVinci Resolve (its Scripts > Utility menu)"),
}


def _app_module(app: str) -> Optional[ModuleType]:
    try:
        return importlib.import_module(f"{__package__}.{APPS[app][0]}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{APPS[app][0]}":
            raise
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Make an app load Overshoulder (and install its packages for the app's "
        "Python), or take it out again.",
    )
    sub = parser.add_subparsers(dest="app", metavar="APP")
    for app, (_, help_text) in APPS.items():
        module = _app_module(app)
        if module is None:
            sub.add_parser(app, help=f"(not available yet) {help_text}")
            continue
        module.add_arguments(sub.add_parser(app, help=help_text, description=module.DESCRIPTION))
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``overshoulder install``; returns the exit status (0 done, 1 failed, 2 bad usage)."""
    parser = build_parser()
    ns = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not ns.app:
        parser.print_help(sys.stderr)
        return 2
    module = _app_module(ns.app)
    if module is None:
        print(f"{PROG} {ns.app}: not available yet", file=sys.stderr)
        return 1
    try:
        return int(module.run(ns, sys.stdout))
    except UsageError as exc:
        print(f"{PROG} {ns.app}: {exc}", file=sys.stderr)
        return 2
    except InstallError as exc:
        for line in str(exc).splitlines():
            print(f"{PROG} {ns.app}: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130

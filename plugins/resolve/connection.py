"""Reaching DaVinci Resolve: its scripting module found per platform, or the menu's ``app``.

External scripts load ``DaVinciResolveScript`` (in ``RESOLVE_SCRIPT_API/Modules``), which
loads ``fusionscript`` from ``RESOLVE_SCRIPT_LIB`` and asks the running Resolve for its
scripting object over IPC (``scriptapp("Resolve")``). A script started from Workspace >
Scripts is handed ``app`` (Fusion's) and gets Resolve from ``app.GetResolve()``; the free
edition allows only that way in. Every failure is a ``ResolveError`` that says what to do.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, cast

from .defaults import PLAYHEAD_PAGES

if TYPE_CHECKING:
    from fusionscript import Resolve

API_ENV = "RESOLVE_SCRIPT_API"
LIB_ENV = "RESOLVE_SCRIPT_LIB"
MODULE = "DaVinciResolveScript"


class ResolveError(RuntimeError):
    """Resolve cannot be reached or used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ScriptingPaths:
    """Where Resolve keeps its scripting files: the API folder and the fusionscript library."""

    api: Path
    lib: Path

    @property
    def modules(self) -> Path:
        """The folder holding ``DaVinciResolveScript.py``: goes on ``sys.path``."""
        return self.api / "Modules"


def default_paths(
    system: Optional[str] = None, environ: Optional[MutableMapping[str, str]] = None
) -> ScriptingPaths:
    """Resolve's default install locations on ``system`` ("Linux", "Darwin", "Windows")."""
    system = system or platform.system()
    env = os.environ if environ is None else environ
    if system == "Darwin":
        return ScriptingPaths(
            Path(
                "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting"
            ),
            Path(
                "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/"
                "fusionscript.so"
            ),
        )
    if system == "Windows":
        data = env.get("PROGRAMDATA", r"C:\ProgramData")
        programs = env.get("PROGRAMFILES", r"C:\Program Files")
        return ScriptingPaths(
            Path(data)
            / "Blackmagic Design"
            / "DaVinci Resolve"
            / "Support"
            / "Developer"
            / "Scripting",
            Path(programs) / "Blackmagic Design" / "DaVinci Resolve" / "fusionscript.dll",
        )
    return ScriptingPaths(
        Path("/opt/resolve/Developer/Scripting"), Path("/opt/resolve/libs/Fusion/fusionscript.so")
    )


def prepare(
    environ: Optional[MutableMapping[str, str]] = None, system: Optional[str] = None
) -> ScriptingPaths:
    """Set ``RESOLVE_SCRIPT_API`` / ``RESOLVE_SCRIPT_LIB`` where they are not set, and put the
    Modules folder on ``sys.path``; returns the paths in use (set ones win)."""
    env = os.environ if environ is None else environ
    found = default_paths(system, env)
    paths = ScriptingPaths(Path(env.get(API_ENV) or found.api), Path(env.get(LIB_ENV) or found.lib))
    env.setdefault(API_ENV, str(paths.api))
    env.setdefault(LIB_ENV, str(paths.lib))
    modules = str(paths.modules)
    if modules not in sys.path:
        sys.path.append(modules)
    return paths


def load_module(paths: ScriptingPaths) -> Any:
    """``DaVinciResolveScript``, or a ``ResolveError`` naming the folders it was looked for in."""
    try:
        return importlib.import_module(MODULE)
    except ImportError as exc:
        raise ResolveError(
            f"cannot load Resolve's scripting module ({exc}): looked in {paths.modules} with "
            f"{LIB_ENV}={paths.lib}. Is DaVinci Resolve installed? If it is installed elsewhere, "
            f"set {API_ENV} and {LIB_ENV} (docs/resolve.md)"
        ) from None


def connect(app: Any = None) -> Resolve:
    """The running Resolve: from the menu's ``app`` when given, else over external scripting."""
    if app is not None:
        try:
            resolve = app.GetResolve()
        except Exception as exc:
            raise ResolveError(
                f"Resolve refused its scripting object to the menu script: {exc}"
            ) from None
        if resolve is None:
            raise ResolveError(
                "Resolve refused scripting to the menu script: this edition or version does not "
                "allow Python scripts (Resolve 21.1 and later reportedly allow them in Studio only)"
            )
        return cast("Resolve", resolve)
    paths = prepare()
    module = load_module(paths)
    resolve = module.scriptapp("Resolve")
    if resolve is None:
        raise ResolveError(
            "could not reach DaVinci Resolve: it is not running, or it refuses external "
            "scripts (the free edition always does; in Studio set Preferences > System > "
            "General > External scripting using: Local). Start Overshoulder from Workspace > "
            "Scripts > Overshoulder inside Resolve instead"
        )
    return cast("Resolve", resolve)


def page_warning(page: Optional[str]) -> Optional[str]:
    """What to tell the editor when Resolve's page has no readable playhead (None: all is well)."""
    if page in PLAYHEAD_PAGES:
        return None
    where = f"the {page.capitalize()} page" if page else "a page without a timeline"
    return (
        f"Resolve is on {where}: the playhead cannot be read or moved there, so nothing "
        f"follows. Switch to Cut, Edit, Color, Fairlight or Deliver"
    )

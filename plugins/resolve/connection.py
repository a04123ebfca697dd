"""Reaching DaVinci Resolve: its scripting module found per platform, or the menu's ``app``.

External scripts load ``DaVinciResolveScript`` (in ``RESOLVE_SCRIPT_API/Modules``), which
loads the ``fusionscript`` library from ``RESOLVE_SCRIPT_LIB`` and asks the running Resolve
for its scripting object over IPC (``scriptapp("Resolve")``). The loader Resolve shipped for
years imports ``imp``, which Python 3.12 removed, and hides why it failed ("Could not locate
module dependencies"); so when it cannot be imported, the library is loaded here through
``importlib`` (``ExtensionFileLoader``, whatever the file's extension: ``.so`` or ``.dll``),
and a failure names the file and the error. A script started from Workspace > Scripts is
handed ``app`` (Fusion's) and gets Resolve from ``app.GetResolve()``; the free edition allows
only that way in. Every failure is a ``ResolveError`` that says what to do.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
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
#: The library ``DaVinciResolveScript`` loads (and replaces itself with, once loaded).
LIBRARY = "fusionscript"

#: How Overshoulder reached Resolve (``Connection.way``).
BY_MENU = "menu"  # the Workspace > Scripts entry: app.GetResolve()
BY_LOADER = "DaVinciResolveScript"  # Blackmagic's loader, as shipped
BY_LIBRARY = "fusionscript"  # the library loaded here, Blackmagic's loader having failed


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


@dataclass(frozen=True)
class Connection:
    """The running Resolve, how it was reached (``BY_MENU``, ``BY_LOADER``, ``BY_LIBRARY``)
    and, for ``BY_LIBRARY``, why Blackmagic's loader could not be used."""

    resolve: Resolve
    way: str
    detail: str = ""


def load_module(paths: ScriptingPaths) -> Any:
    """Resolve's scripting module: ``DaVinciResolveScript`` as shipped, else the library itself."""
    return _load(paths)[0]


def _load(paths: ScriptingPaths) -> tuple[Any, str, str]:
    try:
        return importlib.import_module(MODULE), BY_LOADER, ""
    except Exception as exc:  # ModuleNotFoundError for imp on 3.12+, or its own ImportError
        why = f"{MODULE} from {paths.modules} failed: {type(exc).__name__}: {exc}"
    return load_library(paths.lib, why), BY_LIBRARY, why


def load_library(lib: Path, why: str = "", name: str = LIBRARY) -> Any:
    """The ``fusionscript`` library: already imported, on ``sys.path``, or loaded from ``lib``
    with ``importlib`` (as Blackmagic's loader does with ``imp``); a ``ResolveError`` naming
    the file and what went wrong otherwise. ``why``: how ``DaVinciResolveScript`` failed."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    try:
        return importlib.import_module(name)
    except ImportError:
        pass
    before = f" ({why})" if why else ""
    if not lib.is_file():
        raise ResolveError(
            f"cannot load Resolve's scripting library: there is no file {lib}{before}. Is "
            f"DaVinci Resolve installed? If it is installed elsewhere, set {LIB_ENV} to its "
            f"{name} library and {API_ENV} to its Developer/Scripting folder (docs/resolve.md)"
        )
    try:
        loader = importlib.machinery.ExtensionFileLoader(name, str(lib))
        spec = importlib.util.spec_from_loader(name, loader)
        if spec is None:
            raise ImportError("importlib made no module spec for it")
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except Exception as exc:
        raise ResolveError(
            f"cannot load Resolve's scripting library {lib}: {type(exc).__name__}: {exc}"
            f"{before}. Is it the {name} library of the DaVinci Resolve that is running, "
            f"built for this Python ({sys.version_info[0]}.{sys.version_info[1]})?"
        ) from None
    sys.modules[name] = module
    return module


def connect(app: Any = None) -> Resolve:
    """The running Resolve: from the menu's ``app`` when given, else over external scripting."""
    return reach(app).resolve


def reach(app: Any = None) -> Connection:
    """``connect``, saying how Resolve was reached."""
    if app is not None:
        try:
            resolve = app.GetResolve()
        except Exception as exc:
            raise ResolveError(
                f"Resolve refused its scripting object to the menu script: {exc}"
            ) from None
        if resolve is None:
            raise ResolveError(
                "Resolve refused scripting to the menu script (app.GetResolve() answered None): "
                "this edition or version of Resolve does not allow Python scripts from its menu "
                "(since Resolve 21.1, Python scripting needs Resolve Studio)"
            )
        return Connection(cast("Resolve", resolve), BY_MENU)
    paths = prepare()
    module, way, why = _load(paths)
    resolve = module.scriptapp("Resolve")
    if resolve is None:
        raise ResolveError(
            "could not reach DaVinci Resolve: it is not running, or it refuses external "
            "scripts (the free edition always does; in Studio set Preferences > System > "
            "General > External scripting using: Local). Start Overshoulder from Workspace > "
            "Scripts > Overshoulder inside Resolve instead"
        )
    return Connection(cast("Resolve", resolve), way, why)


def page_warning(page: Optional[str]) -> Optional[str]:
    """What to tell the editor when Resolve's page has no readable playhead (None: all is well)."""
    if page in PLAYHEAD_PAGES:
        return None
    where = f"the {page.capitalize()} page" if page else "a page without a timeline"
    return (
        f"Resolve is on {where}: the playhead cannot be read or moved there, so nothing "
        f"follows. Switch to Cut, Edit, Color, Fairlight or Deliver"
    )

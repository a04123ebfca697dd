"""Reaching Resolve: the scripting paths per platform, and a clear message for each refusal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from overshoulder.plugins.resolve import connection
from overshoulder.plugins.resolve.connection import ResolveError, connect, page_warning
from tests.fakes import resolve_control


@pytest.mark.parametrize(
    ("system", "env", "api", "lib"),
    [
        (
            "Linux",
            {},
            "/opt/resolve/Developer/Scripting",
            "/opt/resolve/libs/Fusion/fusionscript.so",
        ),
        (
            "Darwin",
            {},
            "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
            "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/"
            "fusionscript.so",
        ),
        (
            "Windows",
            {"PROGRAMDATA": "D:/PD", "PROGRAMFILES": "D:/PF"},
            "D:/PD/Blackmagic Design/DaVinci Resolve/Support/Developer/Scripting",
            "D:/PF/Blackmagic Design/DaVinci Resolve/fusionscript.dll",
        ),
    ],
)
def test_the_scripting_paths_are_resolves_defaults_per_platform(
    system: str, env: dict[str, str], api: str, lib: str
) -> None:
    paths = connection.default_paths(system, env)
    assert paths.api == Path(api)
    assert paths.lib == Path(lib)
    assert paths.modules == Path(api) / "Modules"


def test_prepare_sets_what_is_missing_and_keeps_what_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {connection.LIB_ENV: "/studio/resolve/fusionscript.so"}
    monkeypatch.setattr(sys, "path", list(sys.path))
    paths = connection.prepare(env, "Linux")
    assert env[connection.API_ENV] == "/opt/resolve/Developer/Scripting"
    assert env[connection.LIB_ENV] == "/studio/resolve/fusionscript.so"
    assert paths.lib == Path("/studio/resolve/fusionscript.so")
    assert str(paths.modules) in sys.path


def test_external_scripting_reaches_the_running_resolve() -> None:
    resolve = resolve_control.open_resolve()
    assert connect() is resolve
    resolve_control.not_running()


def test_resolve_not_running_or_refusing_says_what_to_do() -> None:
    resolve_control.not_running()
    with pytest.raises(ResolveError) as err:
        connect()
    text = str(err.value)
    assert "not running" in text and "free edition" in text
    assert "Workspace > Scripts > Overshoulder" in text


def test_the_menus_app_is_used_when_given() -> None:
    dvr = resolve_control.install()
    resolve = resolve_control.open_resolve(running=False)  # external scripting refused
    assert connect(dvr.App(resolve)) is resolve


def test_an_app_that_refuses_scripting_says_so() -> None:
    dvr = resolve_control.install()
    with pytest.raises(
        ResolveError,
        match=r"app.GetResolve\(\) answered None.*does not allow Python scripts from its menu "
        r"\(since Resolve 21.1, Python scripting needs Resolve Studio\)",
    ):
        connect(dvr.App(None))


def test_a_missing_scripting_module_names_where_it_was_looked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(connection, "MODULE", "NoSuchResolveScriptModule")
    monkeypatch.setitem(sys.modules, "fusionscript", None)  # not on sys.path either
    paths = connection.ScriptingPaths(tmp_path / "Scripting", tmp_path / "fusionscript.so")
    with pytest.raises(ResolveError) as err:
        connection.load_module(paths)
    text = str(err.value)
    assert f"there is no file {tmp_path / 'fusionscript.so'}" in text
    assert str(paths.modules) in text and "NoSuchResolveScriptModule" in text
    assert connection.LIB_ENV in text


# --- Blackmagic's loader on Python 3.12+ (no imp) -------------------------------------------


@pytest.fixture
def fresh_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    """``import DaVinciResolveScript`` runs the (stand-in) loader again in this test."""
    resolve_control.install()
    for name in ("DaVinciResolveScript", "fusionscript"):
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_blackmagics_loader_is_used_where_it_imports(fresh_loader: None) -> None:
    resolve = resolve_control.open_resolve()
    try:
        got = connection.reach()
    finally:
        resolve_control.not_running()
    assert got.resolve is resolve
    assert got.way == connection.BY_LOADER and got.detail == ""


def test_without_imp_the_library_is_loaded_here_and_resolve_is_reached(
    fresh_loader: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.12 removed ``imp``: the shipped loader cannot even be imported there."""
    monkeypatch.setitem(sys.modules, "imp", None)  # `import imp` fails, as on 3.12+
    with pytest.raises(ImportError, match="imp"):
        import DaVinciResolveScript  # noqa: F401  (the loader itself fails)
    resolve = resolve_control.open_resolve()
    try:
        got = connection.reach()
    finally:
        resolve_control.not_running()
    assert got.resolve is resolve
    assert got.way == connection.BY_LIBRARY
    assert "DaVinciResolveScript" in got.detail and "imp" in got.detail


def test_the_library_is_loaded_through_importlib_whatever_its_extension(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Resolve's library is ``fusionscript.dll`` on Windows, a name ``spec_from_file_location``
    would not take for an extension: the loader is ``ExtensionFileLoader`` by name. A real
    extension module of this Python, copied under another name, stands in for it."""
    import _statistics

    copy = tmp_path / "library.dll"
    shutil.copyfile(_statistics.__file__, copy)
    monkeypatch.setitem(sys.modules, "_statistics", None)  # neither imported nor importable
    loaded = connection.load_library(copy, name="_statistics")
    assert loaded is not _statistics and loaded.__file__ == str(copy)
    assert loaded._normal_dist_inv_cdf(0.5, 1.0, 2.0) == 1.0


def test_a_file_that_is_not_a_library_names_the_file_and_the_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "fusionscript", None)
    lib = tmp_path / "fusionscript.so"
    lib.write_text("not a shared library")
    with pytest.raises(ResolveError) as err:
        connection.load_library(lib, "DaVinciResolveScript failed: No module named 'imp'")
    text = str(err.value)
    assert f"cannot load Resolve's scripting library {lib}: ImportError:" in text
    assert "No module named 'imp'" in text  # why the library was loaded here at all
    assert "Is DaVinci Resolve installed" not in text  # it is: the file is there


def test_a_library_of_another_module_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import _statistics

    monkeypatch.setitem(sys.modules, "fusionscript", None)
    lib = tmp_path / "fusionscript.so"
    shutil.copyfile(_statistics.__file__, lib)
    with pytest.raises(ResolveError, match="PyInit_fusionscript") as err:
        connection.load_library(lib)
    assert str(lib) in str(err.value)


PYTHONS = sorted(
    str(p)
    for version in ("3.12", "3.13")
    for p in (Path.home() / ".pyenv" / "versions").glob(f"{version}*/bin/python{version}")
)
ROOT = Path(__file__).resolve().parents[3]

REACH = """
import sys
sys.path.insert(0, {fakes!r})
import fusionscript
fusionscript._State.current = fusionscript.Resolve()
from overshoulder.plugins.resolve import connection
got = connection.reach()
assert got.resolve is fusionscript._State.current
print(sys.version_info[:2], got.way, got.detail)
"""


BROKEN = """
import sys
sys.path.insert(0, {fakes!r})
sys.modules["fusionscript"] = None  # only the broken file at RESOLVE_SCRIPT_LIB
from overshoulder.plugins.resolve import connection
try:
    connection.reach()
except connection.ResolveError as exc:
    print(exc)
"""


@pytest.mark.parametrize("python", PYTHONS or ["none"])
def test_on_python_312_and_later_resolve_is_still_reached(python: str, tmp_path: Path) -> None:
    """The real thing: a Python without ``imp``, the stand-in loader failing as shipped."""
    if python == "none":
        pytest.skip("no Python 3.12 or 3.13 under ~/.pyenv/versions to run this on")
    tree = tmp_path / "overshoulder"  # the installed layout: overshoulder.plugins -> plugins/
    tree.mkdir()
    for f in (ROOT / "overshoulder").glob("*.py"):
        (tree / f.name).symlink_to(f)
    for d in ("core", "plugins"):
        (tree / d).symlink_to(ROOT / d)
    done = subprocess.run(
        [python, "-c", REACH.format(fakes=str(resolve_control.FAKES))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
            "PATH": os.environ.get("PATH", ""),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )
    assert done.returncode == 0, done.stderr
    assert "fusionscript" in done.stdout and "No module named 'imp'" in done.stdout

    # A broken library there: the sentence names the file and both errors.
    broken = tmp_path / "fusionscript.so"
    broken.write_text("not a library")
    refused = subprocess.run(
        [python, "-c", BROKEN.format(fakes=str(resolve_control.FAKES))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={
            "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
            "PATH": os.environ.get("PATH", ""),
            "RESOLVE_SCRIPT_LIB": str(broken),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
    )
    assert refused.returncode == 0, refused.stderr
    said = refused.stdout
    assert f"cannot load Resolve's scripting library {broken}: ImportError:" in said
    assert "No module named 'imp'" in said and "Is DaVinci Resolve installed" not in said


@pytest.mark.parametrize("page", ["cut", "edit", "color", "fairlight", "deliver"])
def test_pages_with_a_playhead_need_no_warning(page: str) -> None:
    assert page_warning(page) is None


@pytest.mark.parametrize(("page", "named"), [("fusion", "Fusion page"), ("media", "Media page")])
def test_pages_without_a_playhead_are_named(page: str, named: str) -> None:
    text = page_warning(page)
    assert text is not None and named in text and "Switch to Cut, Edit" in text


def test_no_page_at_all_is_a_warning_too(resolve: Any) -> None:
    assert page_warning(None) is not None

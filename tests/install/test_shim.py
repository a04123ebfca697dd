"""The generated init.py / menu.py shims: Nuke keeps starting whatever is missing or broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from overshoulder.install.nuke import shims

from .conftest import find_python

PYTHON = "{}.{}".format(*sys.version_info[:2])


def run_shim(
    plugin: Path, name: str = "init.py", python: Optional[str] = None
) -> subprocess.CompletedProcess[str]:
    """Write the shims into ``plugin`` and run one as Nuke would (clean interpreter, no site)."""
    plugin.mkdir(parents=True, exist_ok=True)
    for fname, text in shims(plugin).items():
        (plugin / fname).write_text(text)
    code = (
        "import sys\n"
        f"path = {str(plugin / name)!r}\n"
        "exec(compile(open(path).read(), path, 'exec'), {'__name__': '__main__'})\n"
        "print('nuke goes on')\n"
    )
    return subprocess.run(
        [python or sys.executable, "-E", "-s", "-S", "-B", "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        # Next to the plugin folder: like ~/.nuke, a folder on sys.path holding "overshoulder/".
        cwd=plugin.parent,
    )


def fake_site(plugin: Path, nuke_init: Optional[str]) -> Path:
    """A site folder holding an ``overshoulder`` package, with or without plugins.nuke.init."""
    site = plugin / f"python{PYTHON}"
    pkg = site / "overshoulder" / "plugins"
    pkg.mkdir(parents=True)
    (site / "overshoulder" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    if nuke_init is not None:
        (pkg / "nuke").mkdir()
        (pkg / "nuke" / "__init__.py").write_text("")
        (pkg / "nuke" / "init.py").write_text(nuke_init)
    return site


def test_without_packages_for_this_python_it_warns_once_and_returns(tmp_path: Path) -> None:
    out = run_shim(tmp_path / "overshoulder")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "nuke goes on\n"
    (line,) = out.stderr.splitlines()
    assert line.startswith("[overshoulder] WARNING: no Overshoulder packages for Python")
    assert f"overshoulder install nuke --python {PYTHON}" in line


def test_menu_py_stays_quiet_when_init_py_has_already_warned(tmp_path: Path) -> None:
    out = run_shim(tmp_path / "overshoulder", "menu.py")
    assert (out.returncode, out.stdout, out.stderr) == (0, "nuke goes on\n", "")


def test_a_missing_nuke_plugin_module_is_a_warning_not_an_error(tmp_path: Path) -> None:
    plugin = tmp_path / "overshoulder"
    fake_site(plugin, nuke_init=None)
    for name in ("init.py", "menu.py"):
        out = run_shim(plugin, name)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "nuke goes on\n"
        (line,) = out.stderr.splitlines()
        assert "Overshoulder is not loaded: No module named 'overshoulder.plugins.nuke'" in line


def test_a_plugin_that_raises_on_start_is_reported_and_nuke_goes_on(tmp_path: Path) -> None:
    plugin = tmp_path / "overshoulder"
    fake_site(plugin, nuke_init="raise RuntimeError('broken start-up')\n")
    out = run_shim(plugin)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "nuke goes on\n"
    assert "Overshoulder failed to start; Nuke goes on without it" in out.stderr
    assert "RuntimeError: broken start-up" in out.stderr


def test_the_plugin_module_is_imported_from_the_site_folder(tmp_path: Path) -> None:
    plugin = tmp_path / "overshoulder"
    site = fake_site(plugin, nuke_init="import sys\nprint('started from', __file__)\n")
    out = run_shim(plugin)
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith(f"started from {site}")


@pytest.mark.parametrize("version", ["2.7", "3.7"])
def test_older_nukes_sharing_the_folder_get_a_warning_only(tmp_path: Path, version: str) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} on this machine (Nuke 12/13's Python) to run the shim")
    out = run_shim(tmp_path / "overshoulder", python=python)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "nuke goes on\n"
    assert out.stderr.strip() == (
        "[overshoulder] WARNING: Overshoulder needs Nuke 14 or later (Python 3.9+), "
        f"this is Python {version}: not loaded"
    )

"""Real installs with real pip into a temporary HOME, checked with clean interpreters.

Each install takes its packages from a wheelhouse downloaded from PyPI once (conftest), with
``--wheelhouse``, so these tests are the offline path a studio takes, on real wheels.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import find_python, run_install

USER_INIT = b"import nuke\r\nprint('studio tools')"  # CRLF, no final newline
PROBE = """
import json, sys, threading, types
home_init, plugin = sys.argv[1], sys.argv[2]
added = []
nuke = types.ModuleType("nuke")
nuke.pluginAddPath = added.append
nuke.GUI = False
nuke.env = {"gui": False}
sys.modules["nuke"] = nuke
def run(path):
    exec(compile(open(path).read(), path, "exec"), {"__name__": "__main__"})
run(home_init)                         # Nuke runs ~/.nuke/init.py ...
for path in added:                     # ... then init.py of each folder it added
    run(path + "/init.py")
qt = sorted(m for m in sys.modules
            if m.split(".")[0] in ("Qt", "PySide2", "PySide6", "shiboken2", "shiboken6"))
threads = threading.active_count()
import overshoulder.core, overshoulder.core.client, overshoulder.core.codec
import numpy, simplejpeg, websocket, xxhash, requests
mods = dict((m.__name__, m.__file__) for m in (
    overshoulder.core, overshoulder.core.client, numpy, simplejpeg, websocket, xxhash, requests))
print(json.dumps({"added": added, "qt": qt, "threads": threads, "files": mods}))
"""


def probe(python: str, home: Path, plugin: Path, *flags: str) -> dict:
    """Start a clean interpreter as Nuke would and run the installed init.py files in it."""
    out = subprocess.run(
        [python, *flags, "-B", "-c", PROBE, str(home / ".nuke" / "init.py"), str(plugin)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home / ".nuke",
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert out.returncode == 0, out.stderr
    assert "no Overshoulder packages" not in out.stderr
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its content; byte code and pip's records
    only by name (they hold the time a file was unpacked and the temporary wheel's path).

    Overshoulder's own package is left out: each install builds it afresh from the working
    tree, which may be edited between two runs. Everything else must not change.
    """
    own = Path("overshoulder") / "python3.11" / "overshoulder"
    files = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or own in rel.parents:
            continue
        by_name = p.suffix == ".pyc" or p.parent.name.endswith(".dist-info")
        files[str(rel)] = "by name" if by_name else hashlib.sha256(p.read_bytes()).hexdigest()
    return files


@dataclass
class Installed:
    home: Path
    wheelhouse: Path
    out: str

    @property
    def nuke_dir(self) -> Path:
        return self.home / ".nuke"

    @property
    def plugin(self) -> Path:
        return self.nuke_dir / "overshoulder"

    @property
    def init(self) -> Path:
        return self.nuke_dir / "init.py"


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse_311: Path
) -> Iterator[Installed]:
    """One user install for Python 3.11 (this Python) over a user's own init.py."""
    home = tmp_path_factory.mktemp("home311")
    (home / ".nuke").mkdir()
    (home / ".nuke" / "init.py").write_bytes(USER_INIT)
    done = run_install(
        home, "nuke", "--python", "3.11", "--user", "--wheelhouse", str(wheelhouse_311)
    )
    assert done.returncode == 0, done.stderr
    yield Installed(home, wheelhouse_311, done.stdout)


def test_the_install_says_what_it_did(installed: Installed) -> None:
    out = installed.out
    assert f"Installed Overshoulder 0.1.0 for Nuke in {installed.plugin}" in out
    assert f"Python 3.11 (--python): {installed.plugin / 'python3.11'}" in out
    assert f"{installed.init}: added the overshoulder block: nuke.pluginAddPath(" in out
    assert sorted(p.name for p in installed.plugin.iterdir()) == [
        "init.py",
        "menu.py",
        "python3.11",
    ]


def test_nuke_start_up_loads_overshoulder_and_its_dependencies_from_the_site_folder(
    installed: Installed,
) -> None:
    # -I -S: no venv, no site-packages, no PYTHONPATH: the standard library only, like a Nuke.
    result = probe(sys.executable, installed.home, installed.plugin, "-I", "-S")
    assert result["added"] == [str(installed.plugin)]
    site = str(installed.plugin / "python3.11") + os.sep
    for name, file in result["files"].items():
        assert file.startswith(site), f"{name} came from {file}, not from {site}"
    assert result["qt"] == [], "init.py must not import Qt"
    assert result["threads"] == 1, "init.py must not start threads (or connections)"


def test_a_second_install_changes_nothing(installed: Installed) -> None:
    before = snapshot(installed.nuke_dir)
    init = installed.init.read_bytes()
    again = run_install(
        installed.home, "nuke", "--python", "3.11", "--wheelhouse", str(installed.wheelhouse)
    )
    assert again.returncode == 0, again.stderr
    assert "already has the overshoulder block" in again.stdout
    assert installed.init.read_bytes() == init
    assert snapshot(installed.nuke_dir) == before


def test_a_failed_install_keeps_the_previous_one(installed: Installed, tmp_path: Path) -> None:
    before = snapshot(installed.nuke_dir)
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    failed = run_install(installed.home, "nuke", "--python", "3.11", "--wheelhouse", str(empty))
    assert failed.returncode == 1
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith("overshoulder install nuke: Python 3.11: pip could not install")
    assert "Could not find a version that satisfies the requirement" in line
    assert "(log: " in line and line.endswith("the previous install is unchanged")
    log = Path(line.split("(log: ")[1].split(")")[0])
    assert log.is_file() and "ERROR:" in log.read_text()
    assert snapshot(installed.nuke_dir) == before
    assert not [p for p in installed.plugin.iterdir() if p.name.startswith(".")]


def test_uninstall_restores_the_users_init_py_byte_for_byte(installed: Installed) -> None:
    gone = run_install(installed.home, "nuke", "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert f"Removed the overshoulder block from {installed.init}" in gone.stdout
    assert f"Removed {installed.plugin}" in gone.stdout
    assert installed.init.read_bytes() == USER_INIT
    assert not installed.plugin.exists()


def test_a_failed_first_install_leaves_nothing_behind(home: Path, tmp_path: Path) -> None:
    nuke_dir = home / ".nuke"
    nuke_dir.mkdir()
    (nuke_dir / "init.py").write_bytes(USER_INIT)
    empty = tmp_path / "empty-wheelhouse"
    empty.mkdir()
    failed = run_install(home, "nuke", "--python", "3.11", "--wheelhouse", str(empty))
    assert failed.returncode == 1
    assert "Could not find a version that satisfies the requirement" in failed.stderr
    assert failed.stderr.strip().endswith("nothing installed")
    assert sorted(p.name for p in nuke_dir.iterdir()) == ["init.py"]
    assert (nuke_dir / "init.py").read_bytes() == USER_INIT


def test_python_39_install_runs_on_python_39(home: Path, wheelhouse_39: Path) -> None:
    python = find_python("3.9")
    if python is None:
        pytest.skip("no Python 3.9 interpreter on this machine (Nuke 14's Python) to run it")
    done = run_install(home, "nuke", "--python", "3.9", "--wheelhouse", str(wheelhouse_39))
    assert done.returncode == 0, done.stderr
    plugin = home / ".nuke" / "overshoulder"
    assert sorted(p.name for p in plugin.iterdir()) == ["init.py", "menu.py", "python3.9"]
    assert not list((plugin / "python3.9").rglob("*.cpython-311.pyc")), "no foreign byte code"
    result = probe(python, home, plugin, "-E", "-s", "-S")
    site = str(plugin / "python3.9") + os.sep
    for name, file in result["files"].items():
        assert file.startswith(site), f"{name} came from {file}, not from {site}"
    gone = run_install(home, "nuke", "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert "it held only the overshoulder block" in gone.stdout
    assert list((home / ".nuke").iterdir()) == [], "init.py did not exist before: it goes"


def test_a_studio_folder_install(home: Path, tmp_path: Path, wheelhouse_311: Path) -> None:
    studio = tmp_path / "studio-nuke"
    studio.mkdir()
    done = run_install(
        home, "nuke", "--path", str(studio), "--python", "3.11", "--wheelhouse", str(wheelhouse_311)
    )
    assert done.returncode == 0, done.stderr
    assert (studio / "overshoulder" / "python3.11" / "overshoulder" / "core").is_dir()
    assert (
        f"nuke.pluginAddPath({str(studio / 'overshoulder')!r})" in (studio / "init.py").read_text()
    )
    assert f"{studio} is not on NUKE_PATH here" in done.stdout
    assert not (home / ".nuke").exists(), "a studio install leaves the user's ~/.nuke alone"
    gone = run_install(home, "nuke", "--path", str(studio), "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert list(studio.iterdir()) == []

"""``overshoulder install maya``: real pip installs into a temporary HOME, a module file right
for the platform, a startup that loads in a clean interpreter, idempotence, exact uninstall."""

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

from overshoulder.install import maya

from .conftest import find_python, run_install

#: Starts a clean interpreter the way Maya starts a batch session with the module: the .mod's
#: section for this Maya adds MODULE/scripts and MODULE/<PYTHONPATH> to sys.path, then Maya
#: runs userSetup.py. ``maya.cmds`` is a stand-in that answers about(batch=True) and records
#: evalDeferred.
PROBE = """
import json, re, sys, threading, types
mod_file, version = sys.argv[1], sys.argv[2]
calls = []
maya = types.ModuleType("maya"); cmds = types.ModuleType("maya.cmds")
cmds.about = lambda **kw: calls.append(("about", sorted(kw))) or kw.get("batch", False)
cmds.evalDeferred = lambda *a, **kw: calls.append(("evalDeferred",))
maya.cmds = cmds
sys.modules.update({"maya": maya, "maya.cmds": cmds})
root = extra = None
for line in open(mod_file).read().splitlines():
    m = re.match(r"^\\+ PLATFORM:(\\S+) MAYAVERSION:(\\d+) Overshoulder \\S+ (.+)$", line)
    if m:
        root = m.group(3) if m.group(2) == version else None
    elif root and line.startswith("PYTHONPATH +:= "):
        extra = root + "/" + line.split("+:= ", 1)[1]
        break
sys.path += [root + "/scripts", extra]
setup = root + "/scripts/userSetup.py"
exec(compile(open(setup).read(), setup, "exec"), {"__name__": "__main__"})
qt = sorted(m for m in sys.modules
            if m.split(".")[0] in ("Qt", "PySide2", "PySide6", "shiboken2", "shiboken6"))
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("numpy", "websocket", "requests"))
threads = threading.active_count()
import overshoulder.core.client, overshoulder.core.codec, numpy, simplejpeg, websocket, xxhash
files = dict((m.__name__, m.__file__) for m in (overshoulder.core.client, numpy, simplejpeg,
             websocket, xxhash, sys.modules["overshoulder.plugins.maya.startup"]))
print(json.dumps({"calls": calls, "qt": qt, "heavy": heavy, "threads": threads,
                  "files": files, "root": root}))
"""


def probe(python: str, mod_file: Path, version: int, *flags: str) -> dict:
    out = subprocess.run(
        [python, *flags, "-B", "-c", PROBE, str(mod_file), str(version)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=mod_file.parent,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert out.returncode == 0, out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash; byte code and pip's records by name only.
    Overshoulder's own package is left out: each install builds it afresh from the tree."""
    files = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if not p.is_file() or "overshoulder" in rel.parts[2:3]:
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
    def modules(self) -> Path:
        return self.home / "maya" / "modules"

    @property
    def root(self) -> Path:
        return self.modules / "overshoulder"

    @property
    def mod_file(self) -> Path:
        return self.modules / "overshoulder.mod"


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, wheelhouse_311: Path
) -> Iterator[Installed]:
    """One install for Maya 2025 (Python 3.11, this Python), next to another module."""
    if sys.platform != "linux":
        pytest.skip("the layout checked here is Linux's (~/maya/modules)")
    home = tmp_path_factory.mktemp("maya-home")
    (home / "maya" / "modules").mkdir(parents=True)
    (home / "maya" / "modules" / "studio.mod").write_text("+ Studio 1.0 /studio/maya\n")
    done = run_install(home, "maya", "--version", "2025", "--wheelhouse", str(wheelhouse_311))
    assert done.returncode == 0, done.stderr
    yield Installed(home, wheelhouse_311, done.stdout)


def test_the_install_writes_a_module_for_this_platform_and_says_so(installed: Installed) -> None:
    root = installed.root
    assert f"Installed Overshoulder 0.1.0 for Maya in {root}" in installed.out
    assert f"Maya 2025 (Python 3.11): {root / 'python3.11'}" in installed.out
    mod = installed.mod_file.read_text()
    assert mod.splitlines()[2:] == [
        f"+ PLATFORM:linux MAYAVERSION:2025 Overshoulder 0.1.0 {root}",
        "PYTHONPATH +:= python3.11",
    ]
    assert mod.startswith("// Generated by `overshoulder install maya`")
    assert sorted(p.name for p in root.iterdir()) == ["python3.11", "scripts"]
    assert (root / "scripts" / "userSetup.py").read_text() == maya.user_setup_text()
    site = root / "python3.11"
    assert (site / "overshoulder" / "plugins" / "maya" / "startup.py").is_file()
    bindings = [p.name for p in site.iterdir() if p.name.startswith(("PySide", "shiboken"))]
    assert [b for b in bindings if not b.endswith("-stubs")] == [], "Maya brings its own Qt"


def test_maya_batch_start_up_loads_overshoulder_from_the_module_and_nothing_else(
    installed: Installed,
) -> None:
    # -I -S: no venv, no site-packages, no PYTHONPATH: the standard library only, like mayapy.
    result = probe(sys.executable, installed.mod_file, 2025, "-I", "-S")
    assert result["root"] == str(installed.root)
    site = str(installed.root / "python3.11") + os.sep
    for name, file in result["files"].items():
        assert file.startswith(site), f"{name} came from {file}, not from {site}"
    assert result["calls"] == [["about", ["batch"]]], "batch: no evalDeferred, no UI"
    assert result["qt"] == [] and result["heavy"] == []
    assert result["threads"] == 1, "no threads (or connections) at startup"


def test_a_second_install_changes_nothing(installed: Installed) -> None:
    before = snapshot(installed.modules)
    mod = installed.mod_file.read_bytes()
    again = run_install(
        installed.home, "maya", "--version", "2025", "--wheelhouse", str(installed.wheelhouse)
    )
    assert again.returncode == 0, again.stderr
    assert installed.mod_file.read_bytes() == mod
    assert snapshot(installed.modules) == before
    assert not [p for p in installed.root.iterdir() if p.name.startswith(".")]


def test_maya_2022_is_refused_by_name_and_nothing_changes(installed: Installed) -> None:
    before = snapshot(installed.modules)
    refused = run_install(installed.home, "maya", "--version", "2022")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "overshoulder install maya: Maya 2022 is not supported (its Python is 3.7): "
        "Overshoulder needs Maya 2023 or later (Python 3.9+)"
    )
    assert snapshot(installed.modules) == before


def test_uninstall_removes_exactly_what_the_install_made(installed: Installed) -> None:
    gone = run_install(installed.home, "maya", "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert f"Removed {installed.mod_file}" in gone.stdout
    assert f"Removed {installed.root}" in gone.stdout
    assert sorted(p.name for p in installed.modules.iterdir()) == ["studio.mod"]
    again = run_install(installed.home, "maya", "--uninstall")
    assert again.returncode == 0 and "Nothing to remove" in again.stdout


def test_two_mayas_share_a_module_with_a_section_each(
    home: Path, wheelhouse_311: Path, wheelhouse_39: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_dir = home / "custom-maya-app-dir"
    monkeypatch.setenv("MAYA_APP_DIR", str(app_dir))
    first = run_install(home, "maya", "--version", "2026", "--wheelhouse", str(wheelhouse_311))
    assert first.returncode == 0, first.stderr
    second = run_install(home, "maya", "--version", "2023", "--wheelhouse", str(wheelhouse_39))
    assert second.returncode == 0, second.stderr
    assert "kept from before: Maya 2026" in second.stdout
    root = app_dir / "modules" / "overshoulder"
    sections = [ln for ln in (app_dir / "modules" / "overshoulder.mod").read_text().splitlines()]
    assert sections[2:] == [
        f"+ PLATFORM:{maya.mod_platform()} MAYAVERSION:2023 Overshoulder 0.1.0 {root}",
        "PYTHONPATH +:= python3.9",
        f"+ PLATFORM:{maya.mod_platform()} MAYAVERSION:2026 Overshoulder 0.1.0 {root}",
        "PYTHONPATH +:= python3.11",
    ]
    assert not list((root / "python3.9").rglob("*.cpython-311.pyc")), "no foreign byte code"
    python39 = find_python("3.9")
    if python39 is not None:
        result = probe(python39, app_dir / "modules" / "overshoulder.mod", 2023, "-E", "-s", "-S")
        assert result["files"]["numpy"].startswith(str(root / "python3.9"))
    assert not (home / "maya").exists(), "MAYA_APP_DIR replaces ~/maya"
    gone = run_install(home, "maya", "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert list((app_dir / "modules").iterdir()) == []


@pytest.mark.parametrize(
    ("system", "tag", "folder"),
    [
        ("Linux", "linux", "maya/modules"),
        ("Darwin", "mac", "Library/Preferences/Autodesk/maya/modules"),
        ("Windows", "win64", "Documents/maya/modules"),
    ],
)
def test_the_modules_folder_and_platform_tag_follow_the_platform(
    home: Path, monkeypatch: pytest.MonkeyPatch, system: str, tag: str, folder: str
) -> None:
    monkeypatch.setattr(maya.platform, "system", lambda: system)
    monkeypatch.delenv("MAYA_APP_DIR", raising=False)
    monkeypatch.setattr(maya.Path, "home", classmethod(lambda cls: home))
    assert maya.modules_dir() == home / folder
    assert maya.mod_platform() == tag
    assert f"+ PLATFORM:{tag} MAYAVERSION:2024 " in maya.mod_text(home / "x", [2024])
    monkeypatch.setenv("MAYA_APP_DIR", str(home / "studio"))
    assert maya.modules_dir() == home / "studio" / "modules"


def test_a_module_someone_else_made_is_left_alone(home: Path) -> None:
    modules = home / "maya" / "modules"
    modules.mkdir(parents=True)
    (modules / "overshoulder.mod").write_text("+ Overshoulder 9.9 /somewhere/else\n")
    refused = run_install(home, "maya", "--uninstall")
    assert refused.returncode == 1
    assert "was not made by overshoulder install" in refused.stderr
    assert (modules / "overshoulder.mod").read_text() == "+ Overshoulder 9.9 /somewhere/else\n"

"""``overshoulder install resolve``: the script where Resolve lists it on each OS, the packages
(PySide6 included) where the script finds them, an idempotent install, an exact uninstall.

The real installs run real pip, offline, on the wheelhouse of the real dependencies (conftest)
plus a small stand-in PySide6-Essentials wheel (the real one is 80 MB and Qt is tested
elsewhere): what is tested here is that the installer puts it into the same folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from overshoulder.install import resolve as installer
from overshoulder.install.resolve import target_for

from .conftest import CACHE, pypi_reachable, run_install

USER_LINUX_SCRIPTS = ".local/share/DaVinciResolve/Fusion/Scripts/Utility"
USER_LINUX_DATA = ".local/share/overshoulder/resolve"
PY = f"{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.parametrize(
    ("system", "scope", "env", "scripts", "data"),
    [
        ("Linux", "user", {}, f"HOME/{USER_LINUX_SCRIPTS}", f"HOME/{USER_LINUX_DATA}"),
        (
            "Linux",
            "system",
            {},
            "/opt/resolve/Fusion/Scripts/Utility",
            "/opt/overshoulder/resolve",
        ),
        (
            "Darwin",
            "user",
            {},
            "HOME/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/"
            "Utility",
            "HOME/Library/Application Support/Overshoulder/resolve",
        ),
        (
            "Darwin",
            "system",
            {},
            "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
            "/Library/Application Support/Overshoulder/resolve",
        ),
        (
            "Windows",
            "user",
            {"APPDATA": "C:/Users/ana/AppData/Roaming"},
            "C:/Users/ana/AppData/Roaming/Blackmagic Design/DaVinci Resolve/Support/Fusion/"
            "Scripts/Utility",
            "C:/Users/ana/AppData/Roaming/Overshoulder/resolve",
        ),
        (
            "Windows",
            "system",
            {"PROGRAMDATA": "C:/ProgramData"},
            "C:/ProgramData/Blackmagic Design/DaVinci Resolve/Fusion/Scripts/Utility",
            "C:/ProgramData/Overshoulder/resolve",
        ),
    ],
)
def test_the_script_goes_where_resolve_lists_scripts_on_each_platform(
    system: str, scope: str, env: dict[str, str], scripts: str, data: str
) -> None:
    home = Path("/home/ana")
    target = target_for(scope, system, home, env)
    assert target.scripts == Path(scripts.replace("HOME", str(home)))
    assert target.data == Path(data.replace("HOME", str(home)))
    assert target.script.name == "Overshoulder.py"
    assert "Scripts" not in target.data.parts  # a folder there would be a submenu


def test_an_old_python_and_a_bad_version_are_refused_by_name() -> None:
    with pytest.raises(installer.UsageError, match=r"Python 3\.6 is not supported"):
        installer.parse_python("3.6")
    with pytest.raises(installer.UsageError, match=r"give a version like 3\.11"):
        installer.parse_python("three")


def test_uninstall_with_install_options_is_a_usage_error(home: Path) -> None:
    done = run_install(home, "resolve", "--uninstall", "--python", "3.11")
    assert done.returncode == 2
    assert "--uninstall removes the packages of every Python" in done.stderr
    assert list(home.iterdir()) == []


def test_a_script_not_made_by_the_installer_is_left_alone(home: Path) -> None:
    scripts = home / USER_LINUX_SCRIPTS
    scripts.mkdir(parents=True)
    (scripts / "Overshoulder.py").write_text("print('mine')\n")
    done = run_install(home, "resolve", "--python", PY, "--dry-run")
    assert done.returncode == 1
    assert "was not made by overshoulder install" in done.stderr
    assert (scripts / "Overshoulder.py").read_text() == "print('mine')\n"


def test_a_self_test_script_not_made_by_the_installer_is_left_alone(home: Path) -> None:
    scripts = home / USER_LINUX_SCRIPTS
    scripts.mkdir(parents=True)
    (scripts / "Overshoulder Self-test.py").write_text("print('mine')\n")
    done = run_install(home, "resolve", "--python", PY, "--dry-run")
    assert done.returncode == 1
    assert "Overshoulder Self-test.py exists and was not made by overshoulder install" in (
        done.stderr
    )


def test_a_dry_run_names_both_menu_entries(home: Path) -> None:
    done = run_install(home, "resolve", "--python", PY, "--dry-run")
    assert done.returncode == 0, done.stderr
    scripts = home / USER_LINUX_SCRIPTS
    assert f"script: {scripts / 'Overshoulder.py'} (Workspace > Scripts > Overshoulder)" in (
        done.stdout
    )
    assert (
        f"script: {scripts / 'Overshoulder Self-test.py'} (Workspace > Scripts > Overshoulder "
        f"Self-test)" in done.stdout
    )
    assert list(home.iterdir()) == []


ENTRY_PROBE = """
import json, runpy, sys, types
calls = []
for name in ("overshoulder", "overshoulder.plugins", "overshoulder.plugins.resolve"):
    sys.modules[name] = types.ModuleType(name)
for module, function in (("window", "main"), ("selftest", "menu_main")):
    stub = types.ModuleType("overshoulder.plugins.resolve." + module)
    def entry(app, m=module, f=function):
        return calls.append([m, f, type(app).__name__]) or 0
    setattr(stub, function, entry)
    sys.modules[stub.__name__] = stub
    setattr(sys.modules["overshoulder.plugins.resolve"], module, stub)
class App:
    pass
for script in sys.argv[1:]:
    runpy.run_path(script, init_globals={"app": App()}, run_name="__main__")
print(json.dumps({"calls": calls, "path0": sys.path[0]}))
"""


def test_each_menu_script_runs_its_entry_with_resolves_app(tmp_path: Path) -> None:
    """Workspace > Scripts > Overshoulder opens the window; > Overshoulder Self-test runs the
    self-test (``selftest.menu_main``); both with the ``app`` Resolve hands them."""
    target = installer.Target(tmp_path / "Utility", tmp_path / "data", "user")
    target.scripts.mkdir()
    target.site(sys.version_info[:2]).mkdir(parents=True)
    for name in (installer.SCRIPT_NAME, installer.SELFTEST_SCRIPT_NAME):
        (target.scripts / name).write_text(installer.script_text(target, name))
    probe = subprocess.run(
        [sys.executable, "-I", "-c", ENTRY_PROBE, str(target.script), str(target.selftest_script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["calls"] == [["window", "main", "App"], ["selftest", "menu_main", "App"]]
    assert seen["path0"] == str(target.site(sys.version_info[:2]))


BROKEN_PROBE = """
import runpy, sys, types
for name in ("overshoulder", "overshoulder.plugins", "overshoulder.plugins.resolve"):
    sys.modules[name] = types.ModuleType(name)
window = types.ModuleType("overshoulder.plugins.resolve.window")
def main(app):
    raise RuntimeError("no display")
window.main = main
sys.modules[window.__name__] = window
sys.modules["overshoulder.plugins.resolve"].window = window
# selftest is missing altogether: importing it fails, as in a half-installed folder.
for script in sys.argv[1:]:
    runpy.run_path(script, init_globals={"app": None}, run_name="__main__")
print("both scripts returned")
"""


def test_a_menu_script_whose_entry_fails_says_so_and_raises_nothing(tmp_path: Path) -> None:
    """A half-installed Overshoulder or an entry that raises: one sentence in Resolve's
    Console, never a traceback out of the menu script."""
    target = installer.Target(tmp_path / "Utility", tmp_path / "data", "user")
    target.scripts.mkdir()
    target.site(sys.version_info[:2]).mkdir(parents=True)
    for name in (installer.SCRIPT_NAME, installer.SELFTEST_SCRIPT_NAME):
        (target.scripts / name).write_text(installer.script_text(target, name))
    probe = subprocess.run(
        [sys.executable, "-I", "-c", BROKEN_PROBE, str(target.script), str(target.selftest_script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert "both scripts returned" in probe.stdout
    assert "Traceback" not in probe.stderr
    assert "[overshoulder] Overshoulder failed: RuntimeError: no display" in probe.stderr
    assert "[overshoulder] cannot load Overshoulder for Python" in probe.stderr
    assert "ImportError: cannot import name 'selftest'" in probe.stderr


# --- real installs ---------------------------------------------------------------------------


def fake_pyside6_wheel(folder: Path) -> Path:
    """A tiny stand-in for PySide6-Essentials 6.8.0: a ``PySide6`` package that says what it is."""
    name, version = "PySide6_Essentials", "6.8.0"
    info = f"{name}-{version}.dist-info"
    files = {
        "PySide6/__init__.py": b"FAKE = 'stand-in for the installer tests'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: PySide6-Essentials\n"
        f"Version: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def otio_wheels(python: str) -> Path:
    """OpenTimelineIO's wheel for ``python`` (downloaded once, cached like the wheelhouse)."""
    dest = CACHE / f"resolve-extra-py{python}"
    if (dest / ".complete").exists():
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--dest",
            str(dest),
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            python,
            *installer.RESOLVE_REQUIREMENTS,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        if not pypi_reachable():
            pytest.skip("PyPI is unreachable and OpenTimelineIO's wheel is not cached")
        pytest.fail(f"pip download of OpenTimelineIO failed: {done.stdout}{done.stderr}")
    (dest / ".complete").write_text("ok\n")
    return dest


@pytest.fixture
def wheelhouse(wheelhouse_311: Path, tmp_path: Path) -> Path:
    if PY != "3.11":
        pytest.skip("the cached wheelhouse is for Python 3.11")
    folder = tmp_path / "wheelhouse"
    folder.mkdir()
    for source in (wheelhouse_311, otio_wheels(PY)):
        for wheel in source.glob("*.whl"):
            (folder / wheel.name).symlink_to(wheel)
    fake_pyside6_wheel(folder)
    return folder


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: a hash of each file (pip's records and byte code
    by name; Overshoulder's own package left out: it is built afresh from the working tree)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if f"/python{PY}/overshoulder/" in f"/{rel}/":
            continue
        if p.is_dir():
            out[rel] = "dir"
        elif p.suffix == ".pyc" or p.parent.name.endswith(".dist-info"):
            out[rel] = "by name"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


PROBE = """
import json, runpy, sys, types
calls = []
window = types.ModuleType("overshoulder.plugins.resolve.window")
window.main = lambda app: calls.append(app) or 0
sys.modules["overshoulder.plugins.resolve.window"] = window
class App:
    def GetResolve(self):
        return None
runpy.run_path(sys.argv[1], init_globals={"app": App()}, run_name="__main__")
import overshoulder, PySide6, opentimelineio, numpy, simplejpeg, websocket
print(json.dumps({
    "called_with_app": [type(a).__name__ for a in calls],
    "overshoulder": overshoulder.__file__,
    "pyside6": PySide6.FAKE,
    "otio": opentimelineio.__file__,
}))
"""


def test_install_puts_the_script_and_packages_in_place_twice_alike_and_uninstall_is_exact(
    home: Path, wheelhouse: Path
) -> None:
    (home / ".local" / "share").mkdir(parents=True)  # as on any desktop
    local = home / ".local"  # what Resolve and the installer use (tools may add others)
    before = tree(local)
    done = run_install(home, "resolve", "--python", PY, "--wheelhouse", str(wheelhouse))
    assert done.returncode == 0, done.stderr
    script = home / USER_LINUX_SCRIPTS / "Overshoulder.py"
    site = home / USER_LINUX_DATA / f"python{PY}"
    assert f"Workspace > Scripts > Overshoulder: {script}" in done.stdout
    assert script.is_file() and (site / "overshoulder").is_dir() and (site / "PySide6").is_dir()
    selftest_script = home / USER_LINUX_SCRIPTS / "Overshoulder Self-test.py"
    assert f"Workspace > Scripts > Overshoulder Self-test: {selftest_script}" in done.stdout
    assert sorted(p.name for p in script.parent.iterdir()) == [
        "Overshoulder Self-test.py",
        "Overshoulder.py",
    ]

    # The script, run as Resolve runs it (its `app` handed in), by a clean interpreter:
    # Overshoulder and its dependencies come from the site folder, and the window opens.
    probe = subprocess.run(
        [sys.executable, "-I", "-c", PROBE, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
    )
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["called_with_app"] == ["App"]
    assert seen["overshoulder"].startswith(str(site))
    assert seen["otio"].startswith(str(site))
    assert seen["pyside6"] == "stand-in for the installer tests"

    first = tree(local)
    again = run_install(home, "resolve", "--python", PY, "--wheelhouse", str(wheelhouse))
    assert again.returncode == 0, again.stderr
    assert tree(local) == first

    gone = run_install(home, "resolve", "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert f"Removed {script}" in gone.stdout and f"Removed {selftest_script}" in gone.stdout
    assert tree(local) == before
    nothing = run_install(home, "resolve", "--uninstall")
    assert "Nothing to remove" in nothing.stdout


def test_uninstall_keeps_the_users_other_scripts(home: Path, wheelhouse: Path) -> None:
    done = run_install(home, "resolve", "--python", PY, "--wheelhouse", str(wheelhouse), "--no-qt")
    assert done.returncode == 0, done.stderr
    assert not (home / USER_LINUX_DATA / f"python{PY}" / "PySide6").exists()
    mine = home / USER_LINUX_SCRIPTS / "conform.py"
    mine.write_text("print('conform')\n")
    assert run_install(home, "resolve", "--uninstall").returncode == 0
    assert mine.read_text() == "print('conform')\n"
    assert not (home / USER_LINUX_SCRIPTS / "Overshoulder.py").exists()
    assert not (home / USER_LINUX_SCRIPTS / "Overshoulder Self-test.py").exists()
    assert not (home / USER_LINUX_DATA).exists()

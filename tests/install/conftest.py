"""Fixtures for the installer tests: a temporary HOME, and wheelhouses of the real dependencies.

The wheelhouses are downloaded from PyPI once (``pip download --only-binary=:all:`` for the
target Python) and cached under test-artifacts/, so later runs install offline and fast.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "test-artifacts" / "install-wheelhouse"
#: Resolved before any test points HOME elsewhere.
REAL_HOME = Path.home()


def requirements() -> list[str]:
    """What the distribution needs inside an app (install_requires, no extras)."""
    return [r for r in metadata.requires("overshoulder") or [] if "extra ==" not in r]


def pypi_reachable() -> bool:
    try:
        return requests.head("https://pypi.org/simple/pip/", timeout=5).status_code < 500
    except requests.RequestException:
        return False


def wheelhouse_for(python: str) -> Path:
    """A folder of wheels of the requirements for ``python`` (cached; skips when it cannot be)."""
    reqs = requirements()
    key = hashlib.sha256("\n".join([python, *reqs]).encode()).hexdigest()[:12]
    dest = CACHE / f"py{python}-{key}"
    if (dest / ".complete").exists():
        return dest
    tmp = CACHE / f".py{python}-{key}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "--dest",
        str(tmp),
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python,
        *reqs,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        if not pypi_reachable():
            pytest.skip(
                f"PyPI is unreachable and there is no cached wheelhouse for Python {python} "
                f"in {CACHE}: cannot test a real install (run once with network access)"
            )
        pytest.fail(f"pip download for Python {python} failed:\n{proc.stdout}\n{proc.stderr}")
    (tmp / ".complete").write_text("\n".join(reqs) + "\n")
    if dest.exists():  # another run finished first
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.rename(dest)
    return dest


@pytest.fixture(scope="session")
def wheelhouse_311() -> Path:
    return wheelhouse_for("3.11")


@pytest.fixture(scope="session")
def wheelhouse_39() -> Path:
    return wheelhouse_for("3.9")


def find_python(version: str) -> Optional[str]:
    """An interpreter for ``version`` (pyenv's or on PATH), if this machine has one."""
    pyenv = Path(os.environ.get("PYENV_ROOT", REAL_HOME / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob(f"{version}.*/bin/python"))]
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(found)
    want = str(tuple(int(n) for n in version.split(".")))
    for cand in candidates:
        probe = subprocess.run(
            [cand, "-c", "import sys; print(tuple(sys.version_info[:2]))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == want:
            return cand
    return None


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty HOME for this test (also for the commands it starts)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.setenv("USERPROFILE", str(folder))
    monkeypatch.delenv("NUKE_PATH", raising=False)
    yield folder


def run_install(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``overshoulder install ...`` as its own process, with HOME pointing at ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NUKE_PATH")}
    env["HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "overshoulder", "install", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )

"""The Maya adapter is type-checked against types-maya: a call Maya does not have fails.

mypy runs with the project's configuration (pyproject.toml), as ``make typecheck`` does,
on the adapter (through a folder with the installed layout, since mypy cannot follow
setup.py's package_dir) and on a small module with a misspelt command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

WRONG = """
from maya import cmds


def frame() -> None:
    cmds.currentTimeX(1001)
"""


def mypy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MYPYPATH=str(tmp_path / "tree"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def stubs() -> None:
    try:
        import importlib.metadata as metadata

        metadata.distribution("types-maya")
    except Exception:
        pytest.fail("types-maya is not installed: `make venv` installs the dev extras")


def test_a_command_maya_does_not_have_fails_the_type_check(tmp_path: Path, stubs: None) -> None:
    module = tmp_path / "wrong_call.py"
    module.write_text(WRONG)
    (tmp_path / "tree").mkdir()
    done = mypy(tmp_path, str(module))
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'Module has no attribute "currentTimeX"' in done.stdout
    assert "[attr-defined]" in done.stdout


def test_the_maya_adapter_passes_clean(tmp_path: Path, stubs: None) -> None:
    tree = tmp_path / "tree" / "overshoulder"
    tree.mkdir(parents=True)
    for f in (ROOT / "overshoulder").glob("*.py"):
        (tree / f.name).symlink_to(f)
    for d in ("core", "plugins"):
        (tree / d).symlink_to(ROOT / d)
    done = mypy(tmp_path, "-p", "overshoulder.plugins.maya")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout

"""mypy checks the Resolve adapter against ``fusionscript-stubs``: a call Resolve does not have
fails the build, and the adapter itself is clean (as ``make typecheck`` runs it)."""

from __future__ import annotations

import importlib.metadata as metadata
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "pyproject.toml"

WRONG = """
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fusionscript import Resolve, Timeline


def where(timeline: Timeline) -> str:
    return timeline.GetCurrentTimecodeX()


def export(resolve: Resolve, timeline: Timeline) -> bool:
    return timeline.Export("cut.otio", resolve.EXPORT_OTIO)


def mark(timeline: Timeline) -> bool:
    return timeline.AddMarker(10.0, "Scarlet", "name", "note", 1.0, "overshoulder:x")
"""


def needs_stubs() -> None:
    try:
        metadata.version("fusionscript-stubs")
    except metadata.PackageNotFoundError:
        pytest.fail("fusionscript-stubs is missing: `make venv` installs it (setup.py, dev extra)")


def mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    needs_stubs()
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--no-incremental", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_calls_resolve_does_not_have_fail_type_checking(tmp_path: Path) -> None:
    (tmp_path / "wrong_calls.py").write_text(WRONG)
    done = mypy("wrong_calls.py", cwd=tmp_path)
    out = done.stdout
    assert done.returncode == 1, out
    assert '"Timeline" has no attribute "GetCurrentTimecodeX"' in out and "[attr-defined]" in out
    assert 'Missing positional argument "exportSubtype"' in out  # the stubs' signature
    assert '"AddMarker" of "Timeline" has incompatible type "Literal[\'Scarlet\']"' in out


def test_the_resolve_adapter_type_checks_clean_against_the_stubs(tmp_path: Path) -> None:
    needs_stubs()
    # The installed layout, as `make typecheck` builds it (mypy cannot follow package_dir).
    tree = tmp_path / "tree" / "overshoulder"
    tree.mkdir(parents=True)
    for f in (ROOT / "overshoulder").glob("*.py"):
        (tree / f.name).symlink_to(f)
    for d in ("core", "plugins"):
        (tree / d).symlink_to(ROOT / d)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(CONFIG),
            "--cache-dir",
            str(tmp_path / "cache"),
            "-p",
            "overshoulder.plugins.resolve",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"MYPYPATH": str(tmp_path / "tree"), "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout

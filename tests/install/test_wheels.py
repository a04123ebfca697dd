"""The project wheel: built from a source checkout, or packed again from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from overshoulder.install.wheels import pip_reason, project_wheel, source_tree

ROOT = Path(__file__).resolve().parents[2]


def package_files(wheel: Path) -> set[str]:
    names = zipfile.ZipFile(wheel).namelist()
    return {n for n in names if n.startswith("overshoulder/") and "__pycache__" not in n}


def test_an_installed_overshoulder_without_source_is_packed_again(tmp_path: Path) -> None:
    assert source_tree() == ROOT
    built = project_wheel(tmp_path, tmp_path / "pip.log", None)
    assert built.name == "overshoulder-0.1.0-py3-none-any.whl"
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), built],
        check=True,
        capture_output=True,
    )
    out_dir = tmp_path / "repacked"
    out_dir.mkdir()
    code = (
        "import sys; from pathlib import Path;"
        "from overshoulder.install.wheels import project_wheel, source_tree;"
        "assert source_tree() is None, source_tree();"
        "print(project_wheel(Path(sys.argv[1]), Path(sys.argv[1]) / 'log', None))"
    )
    # -S: only the installed copy (and the standard library) is importable.
    ran = subprocess.run(
        [sys.executable, "-S", "-c", code, str(out_dir)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
    )
    assert ran.returncode == 0, ran.stderr
    repacked = Path(ran.stdout.strip())
    assert repacked.name == built.name
    assert package_files(repacked) == package_files(built)
    meta = zipfile.ZipFile(repacked).read("overshoulder-0.1.0.dist-info/METADATA").decode()
    assert "Requires-Dist: simplejpeg>=1.7" in meta
    check = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--dry-run", str(repacked)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_pips_first_error_line_is_the_reason() -> None:
    output = (
        "Looking in links: /w\nProcessing ./x.whl\n"
        "ERROR: Could not find a version that satisfies the requirement numpy>=1.23 (from x)\n"
        "ERROR: No matching distribution found for numpy>=1.23\n"
    )
    assert pip_reason(output) == (
        "Could not find a version that satisfies the requirement numpy>=1.23 (from x)"
    )
    assert pip_reason("") == "no output"

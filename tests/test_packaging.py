"""The distribution installs as ``overshoulder.*`` only, and the core runs on the apps' Pythons."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_no_top_level_core_or_relay_module_is_importable(tmp_path):
    code = (
        "import importlib.util as u, overshoulder.core.protocol, overshoulder.relay.rooms;"
        "print([n for n in ('core', 'relay', 'plugins') if u.find_spec(n)])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_regular_wheel_holds_only_the_overshoulder_package(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("overshoulder-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"overshoulder"}
    for must in (
        "overshoulder/core/protocol/messages.py",
        "overshoulder/core/client/session.py",
        "overshoulder/relay/server.py",
        "overshoulder/relay/store/sqlite.py",
        "overshoulder/relay/web/index.html",
        "overshoulder/relay/web/js/main.js",
        "overshoulder/relay/web/css/reviewer.css",
        "overshoulder/relay/openapi.json",
    ):
        assert must in names


def _old_python() -> str | None:
    """A working Python 3.9 (the oldest the apps ship), if this machine has one."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [str(p) for p in sorted(pyenv.glob("3.9.*/bin/python"))]
    found = shutil.which("python3.9")
    if found:
        candidates.append(found)
    for cand in candidates:
        probe = subprocess.run(
            [cand, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 9)":
            return cand
    return None


def test_core_protocol_runs_on_python_39_as_in_nuke_14_and_maya_2023(tmp_path):
    py = _old_python()
    if py is None:
        pytest.skip("no Python 3.9 interpreter on this machine to check the apps' oldest Python")
    pkg = tmp_path / "overshoulder"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    shutil.copytree(
        ROOT / "core", pkg / "core", ignore=shutil.ignore_patterns("__pycache__", "client")
    )
    code = """
import json
from overshoulder.core.model import new_id
from overshoulder.core.protocol import parse, pack, unpack, FrameHeader
env = parse(json.dumps({"v": 1, "type": "annotation_add", "data": {"annotation": {
    "id": new_id(), "shape": {"kind": "arrow", "start": [0, 0], "end": [0.1, 0.2]},
    "anchor": {"frame": 1001, "object": {"kind": "nuke.node", "path": "Grade1"}}}}}))
h, p = unpack(pack(FrameHeader(1, 1, 8, 8, "jpeg", bytes(16), 0), b"x"))
print(env.data.annotation.anchor.object.path, h.width, bytes(p))
"""
    out = subprocess.run([py, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Grade1", "8", "b'x'"]

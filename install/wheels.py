"""A wheel of the running Overshoulder, and ``pip install --target`` of it for another Python."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import importlib.util
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import overshoulder

from .common import InstallError

DIST = "overshoulder"
#: Never installed into an app: every app brings its own Qt binding.
FORBIDDEN = ("PySide", "PySide2", "PySide6", "shiboken2", "shiboken6", "PyQt5", "PyQt6")


def source_tree() -> Optional[Path]:
    """The source checkout the running code comes from (editable or plain checkout), if any."""
    root = Path(overshoulder.__file__).resolve().parent.parent
    setup = root / "setup.py"
    try:
        text = setup.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if re.search(r"""name\s*=\s*["']overshoulder["']""", text) else None


def project_wheel(dest: Path, log: Path, wheelhouse: Optional[Path]) -> Path:
    """A wheel of the Overshoulder that runs this command, written into ``dest``.

    From a source checkout: ``pip wheel --no-deps`` of it. From an installed wheel: the installed
    files packed again (the code running now, offline, whatever index it came from).
    """
    root = source_tree()
    if root is not None:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dest)]
        if _has("setuptools") and _has("wheel"):
            cmd.append("--no-build-isolation")
        elif wheelhouse is not None:
            cmd += ["--no-index", "--find-links", str(wheelhouse)]
        run_pip([*cmd, str(root)], log, "build a wheel of Overshoulder")
        found = sorted(dest.glob(f"{DIST}-*.whl"))
        if not found:
            raise InstallError(f"pip wheel made no {DIST} wheel in {dest} (log: {log})")
        return found[-1]
    return repack_installed(dest)


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def repack_installed(dest: Path) -> Path:
    """Pack the installed ``overshoulder`` distribution into a pure-Python wheel in ``dest``."""
    try:
        dist = metadata.distribution(DIST)
    except metadata.PackageNotFoundError:
        raise InstallError(
            f"{DIST} is neither a source checkout nor an installed distribution here; "
            f"install it with pip and run again"
        ) from None
    files = [f for f in dist.files or () if f.parts and f.parts[0] == DIST]
    files = [f for f in files if "__pycache__" not in f.parts and f.suffix != ".pyc"]
    if not files:
        raise InstallError(f"the installed {DIST} lists no package files to pack (RECORD)")
    version = dist.version
    info = f"{DIST}-{version}.dist-info"
    wheel = dest / f"{DIST}-{version}-py3-none-any.whl"
    record: list[str] = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:

        def add(name: str, data: bytes) -> None:
            zf.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={digest.decode()},{len(data)}")

        for f in sorted(files, key=str):
            add(f.as_posix(), Path(str(dist.locate_file(f))).read_bytes())
        add(f"{info}/METADATA", (dist.read_text("METADATA") or "").encode("utf-8"))
        wheel_meta = (
            "Wheel-Version: 1.0\nGenerator: overshoulder-install\n"
            "Root-Is-Purelib: true\nTag: py3-none-any\n"
        )
        add(f"{info}/WHEEL", wheel_meta.encode())
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def pip_target_install(
    wheel: Path,
    target: Path,
    python: tuple[int, int],
    log: Path,
    wheelhouse: Optional[Path] = None,
) -> None:
    """Install ``wheel`` and its dependencies, as binary wheels for ``python``, into ``target``."""
    version = f"{python[0]}.{python[1]}"
    cmd = pip_install_command(target, python, wheelhouse)
    run_pip([*cmd, str(wheel)], log, f"install the dependencies for Python {version}")
    # Exact module names, and the bindings' own dist-info (stub-only packages such as
    # PySide6-stubs, which Qt.py pulls in for type checkers, are never imported: harmless).
    bad = sorted(
        p.name
        for p in target.iterdir()
        if p.name in FORBIDDEN or (p.suffix == ".dist-info" and p.name.split("-")[0] in FORBIDDEN)
    )
    if bad:
        raise InstallError(
            f"refusing an install that brings a Qt binding ({', '.join(bad)}): the app "
            f"ships its own; check what requires it in {log}"
        )


def pip_install_command(
    target: Path, python: tuple[int, int], wheelhouse: Optional[Path] = None
) -> list[str]:
    """``pip install --target`` of binary wheels for ``python``, without what to install."""
    version = f"{python[0]}.{python[1]}"
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--target",
        str(target),
        "--python-version",
        version,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--upgrade",
        "--no-warn-script-location",
        "--disable-pip-version-check",
    ]
    if python != sys.version_info[:2]:
        # Byte code made by this interpreter would be useless to the other one.
        cmd.append("--no-compile")
    if wheelhouse is not None:
        cmd += ["--no-index", "--find-links", str(wheelhouse)]
    return cmd


def run_pip(cmd: Sequence[str], log: Path, what: str) -> None:
    """Run pip, appending its output to ``log``; its first error becomes one clear line."""
    with log.open("a", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        try:
            proc = subprocess.run(
                list(cmd),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                encoding="utf-8",
                errors="replace",
                check=False,
            )
        except OSError as exc:
            raise InstallError(f"cannot run pip ({cmd[0]}): {exc}") from None
        out.write(proc.stdout)
    if proc.returncode != 0:
        raise InstallError(f"pip could not {what}: {pip_reason(proc.stdout)} (log: {log})")


def pip_reason(output: str) -> str:
    """The line of pip's output that says why it failed."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    for ln in lines:
        if ln.startswith("ERROR:"):
            return ln[len("ERROR:") :].strip()
    if any("No module named pip" in ln for ln in lines):
        return f"pip is not installed for {sys.executable}"
    return lines[-1] if lines else "no output"

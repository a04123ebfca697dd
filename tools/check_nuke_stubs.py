"""Type-check the Nuke adapter against the stubs generated inside Nuke.

Usage: python tools/check_nuke_stubs.py PATH_TO_A_CHECKOUT_OF_sisoe24/nuke-python-stubs

The stubs (https://github.com/sisoe24/nuke-python-stubs, generated inside Nuke
15.0v1) are copied to a temporary folder, the few syntax errors of the
published files are repaired mechanically (each repair is printed), and mypy
checks plugins/nuke with the stubs first on MYPYPATH, so ``nuke`` and
``nukescripts`` are the real API and a call of something Nuke does not have
fails (``attr-defined``).

Errors that are wrong guesses of the stubs (a return type Nuke does not
return, a module the stub generator could not see) are listed in
``STUB_GAPS`` with the reason; they are printed as ignored. Any other error
fails the check (exit status 1). The repository and the stubs are never
modified.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent

#: Known syntax errors of the published stubs: (file, what is wrong, old text, new text).
REPAIRS: list[tuple[str, str, str, str]] = [
    (
        "nuke/__init__.py",
        "@overload def execute(...) -> None: with no body",
        "continueOnError=False) -> None:\n\n\n@overload",
        "continueOnError=False) -> None: ...\n\n\n@overload",
    ),
    (
        "nuke/__init__.py",
        "the last @overload def execute(...) -> None: with no body (end of file)",
        "continueOnError=False) -> None:\n",
        "continueOnError=False) -> None: ...\n",
    ),
]

#: Errors of the stubs, not of the adapter: (pattern of mypy's message, why it is ignored).
STUB_GAPS: list[tuple[str, str]] = [
    (
        r'Module has no attribute "nodes"',
        "nuke.nodes (nuke.nodes.Write(...), the documented way to make a node without touching"
        " the selection) is made by the native _nuke module; the stub generator did not list it",
    ),
    (
        r'Incompatible types in assignment \(expression has type "int", variable has type'
        r' "Node \| None"\)',
        "Node.input(i) is annotated -> int; Nuke returns the Node on input i, or None",
    ),
    (
        r'Argument 2 to "addCommand" of "Menu" has incompatible type "Callable',
        "Menu.addCommand's command is annotated str | None, but its own docstring says: 'This"
        " can be a string to evaluate or a Python Callable (function, method, etc) to run'",
    ),
]

#: mypy settings: our own strictness, and what the stubs need to be read at all.
MYPY_ARGS = [
    "--python-version",
    "3.10",  # Nuke 15's Python; the stubs use `X | Y` in annotations
    "--disallow-untyped-defs",
    "--warn-redundant-casts",
    "--follow-imports",
    "silent",  # errors inside the stubs themselves are not ours to fix
    "--ignore-missing-imports",  # _nuke, PySide2, Qt: native or absent
    "--no-incremental",
    "--show-error-codes",
    "--no-error-summary",
]


def copy_stubs(checkout: Path, into: Path) -> Path:
    stubs = checkout / "stubs"
    if not (stubs / "nuke" / "__init__.py").exists():
        raise SystemExit(f"{checkout} is not a checkout of nuke-python-stubs (no stubs/nuke)")
    target = into / "stubs"
    shutil.copytree(stubs, target, ignore=shutil.ignore_patterns("hiero"))
    return target


def repair(stubs: Path) -> list[str]:
    """Apply ``REPAIRS`` and fix parameters without default after one with a default."""
    done = []
    for rel, what, old, new in REPAIRS:
        path = stubs / rel
        text = path.read_text(encoding="utf-8")
        if old not in text:
            continue
        if rel == "nuke/__init__.py" and "end of file" in what:
            if not text.rstrip().endswith(old.strip()):
                continue
            head, _, tail = text.rpartition(old)
            text = head + new + tail
        else:
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
        done.append(f"{rel}: {what}")
    for path in sorted(stubs.rglob("*.py")):
        done.extend(_fix_lines(path, stubs, _cpp_type, _CPP_TYPE_FIXED))
        done.extend(_fix_lines(path, stubs, _default_order, _DEFAULT_ORDER_FIXED))
    return done


#: A C++ type in an annotation, as the generator copied it from a docstring: ``usg: : Stage``.
_CPP_TYPE = re.compile(r":\s*\w+: : \w+")
_CPP_TYPE_FIXED = "C++ type in an annotation replaced by typing.Any"
_DEF = re.compile(r"^(\s*def \w+\()(.*)(\)\s*(?:->.*)?:.*)$")
_DEFAULT_ORDER_FIXED = "parameter without default after one with a default"


def _fix_lines(
    path: Path, stubs: Path, fix: Callable[[str], Optional[str]], what: str
) -> list[str]:
    """Each line of ``path`` that ``fix`` changes (it returns the new line, else None) is
    replaced, and said as ``what`` with its place; the file is written once, if at all."""
    lines = path.read_text(encoding="utf-8").split("\n")
    done = []
    for i, line in enumerate(lines):
        fixed = fix(line)
        if fixed is not None:
            lines[i] = fixed
            done.append(f"{path.relative_to(stubs)}:{i + 1}: {what}")
    if done:
        path.write_text("\n".join(lines), encoding="utf-8")
    return done


def _cpp_type(line: str) -> Optional[str]:
    """``x: usg: : Stage`` (not Python) in a def line becomes ``x: typing.Any``."""
    if line.lstrip().startswith("def ") and _CPP_TYPE.search(line):
        return _CPP_TYPE.sub(": typing.Any", line)
    return None


def _default_order(line: str) -> Optional[str]:
    """A parameter without default after one with a default: give it ``= ...``."""
    m = _DEF.match(line)
    if not m:
        return None
    params = _split_params(m.group(2))
    seen_default = False
    changed = False
    for j, p in enumerate(params):
        bare = p.strip()
        if not bare or bare.startswith("*") or bare == "/":
            if bare.startswith("*"):
                break
            continue
        if "=" in bare:
            seen_default = True
        elif seen_default:
            params[j] = p.rstrip() + "=..."
            changed = True
    return m.group(1) + ",".join(params) + m.group(3) if changed else None


def _split_params(text: str) -> list[str]:
    out: list[str] = []
    depth, cur = 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def layout(into: Path) -> Path:
    """The installed layout (overshoulder/core, overshoulder/plugins/nuke) as links."""
    pkg = into / "tree" / "overshoulder"
    pkg.mkdir(parents=True)
    for f in (ROOT / "overshoulder").glob("*.py"):
        (pkg / f.name).symlink_to(f)
    for d in ("core", "plugins"):
        (pkg / d).symlink_to(ROOT / d, target_is_directory=True)
    return into / "tree"


def run_mypy(stubs: Path, tree: Path, cache: Path) -> list[str]:
    config = cache.parent / "mypy.ini"
    config.write_text("[mypy]\n", encoding="utf-8")
    env = dict(os.environ, MYPYPATH=f"{stubs}{os.pathsep}{tree}")
    cmd = [
        sys.executable,
        "-m",
        "mypy",
        *MYPY_ARGS,
        "--cache-dir",
        str(cache),
        "--config-file",
        str(config),
        "-p",
        "overshoulder.plugins.nuke",
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mypy could not run:\n{proc.stdout}{proc.stderr}")
    lines = [ln for ln in proc.stdout.splitlines() if ": error:" in ln or ": note:" in ln]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of sisoe24/nuke-python-stubs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="nuke-stubs-check-") as tmp:
        work = Path(tmp)
        stubs = copy_stubs(args.checkout, work)
        for line in repair(stubs):
            print(f"repaired {line}")
        lines = run_mypy(stubs, layout(work), work / "cache")
    failures: list[tuple[str, str | None]] = []
    ignored: list[tuple[str, str | None]] = []
    for line in lines:
        if ": note:" in line:
            continue
        message = line.split(": error: ", 1)[1]
        reason = next((why for pat, why in STUB_GAPS if re.search(pat, message)), None)
        (ignored if reason else failures).append((_short(line), reason))
    for line, reason in ignored:
        print(f"ignored (stub gap) {line}\n    because {reason}")
    for line, _ in failures:
        print(f"error {line}")
    print(
        f"nuke stubs check: {len(failures)} error(s), {len(ignored)} ignored stub gap(s)"
        f" in overshoulder.plugins.nuke"
    )
    return 1 if failures else 0


def _short(line: str) -> str:
    """The error with its path relative to the repository."""
    return re.sub(r"^.*?overshoulder/plugins/nuke/", "plugins/nuke/", line)


if __name__ == "__main__":
    sys.exit(main())

"""tools/check_nuke_stubs.py repairs the published stubs' syntax errors mechanically."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]

OVERLOADS = '''def execute(nameOrNode, start=None, continueOnError=False) -> None:
    """Doc."""
    ...


@overload
def execute(nameOrNode, frameRangeSet, continueOnError=False) -> None:


@overload
def execute(nameOrNode, start=None, continueOnError=False) -> None:
'''

TOOLBAR = """class ToolBar:
    def addCommand(self, name: str, command: Optional[str] = None, index, readonly=None) -> Any:
        ...

    def getWorldPoints(self, stage: usg: : Stage, time: float = 0.0) -> list:
        ...
"""


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_nuke_stubs", ROOT / "tools" / "check_nuke_stubs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_known_syntax_errors_are_repaired_and_said(tmp_path: Path) -> None:
    stubs = tmp_path / "stubs"
    (stubs / "nuke" / "classes").mkdir(parents=True)
    (stubs / "nuke" / "__init__.py").write_text(OVERLOADS)
    (stubs / "nuke" / "classes" / "ToolBar.py").write_text(TOOLBAR)
    done = tool().repair(stubs)
    assert len(done) == 4, done
    assert any("ToolBar.py:2: parameter without default" in d for d in done)
    assert any("ToolBar.py:5: C++ type" in d for d in done)
    for path in stubs.rglob("*.py"):
        ast.parse(path.read_text())  # valid Python now
    fixed = (stubs / "nuke" / "classes" / "ToolBar.py").read_text()
    assert "index=..., readonly=None" in fixed and "stage: typing.Any," in fixed
    assert tool().repair(stubs) == [], "a second run finds nothing left to repair"

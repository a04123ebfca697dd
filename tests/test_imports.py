"""No import loops among the ``overshoulder`` modules, hidden ones included.

The graph is read from the source (``ast``), not from what a test run happens to import,
so a loop shows even when no test takes the path that closes it. An edge is:

- ``import a.b`` and ``from a import b`` (to ``a.b`` when that is a module, else to ``a``),
  relative imports resolved against the importing module's package;
- a string handed to ``importlib.import_module`` or ``__import__``, and, in a module that
  imports by a name it works out at run time, every string in it that names a module:
  the tables a lazy import reads (``core/ui/__init__.py`` ``_LAZY``, the submodule lists of
  the app packages, the commands ``overshoulder/cli.py`` hands to ``_delegate``);
  ``f"{__name__}.{name}"`` and ``f"{__package__}.{name}"`` count each string that, joined
  on, names a module.

Imports inside functions count. Run later than the module's own top, they are how a loop
is usually hidden: nothing fails until the function is first called, and then only when it
is called while the other module is half imported. A module above another in the layers
should not reach back down to it at any time, so where an import runs does not matter.

Imports under ``if TYPE_CHECKING:`` do not count: they never run; nor does a module run as
a child process (``python -m overshoulder.relay``), which shares no modules with its parent.

A loop is named as a chain of modules, each step with the file and line of its import.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
TOP = "overshoulder"


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    @property
    def package(self) -> str:
        """What a relative import in this module is relative to."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``where`` (``file:line``)."""

    source: str
    target: str
    where: str
    #: "" for an import at the module's top, else how it is reached ("in a function").
    how: str = ""

    def describe(self) -> str:
        return f"{self.where}, {self.how}" if self.how else self.where


def distribution_packages(setup_py: Path = REPO / "setup.py") -> dict[str, str]:
    """``setup.py``'s ``PACKAGES``: import name -> folder (the tree is laid out by it)."""
    tree = ast.parse(setup_py.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "PACKAGES" for t in node.targets
        ):
            found = ast.literal_eval(node.value)
            assert isinstance(found, dict)
            return {str(k): str(v) for k, v in found.items()}
    raise AssertionError(f"no PACKAGES in {setup_py}")


def find_modules(root: Path, packages: Mapping[str, str]) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package, folder in packages.items():
        for path in sorted((root / folder).glob("*.py")):
            if path.stem == "__init__":
                modules[package] = Module(package, path, True)
            else:
                name = f"{package}.{path.stem}"
                modules[name] = Module(name, path, False)
    return modules


def unlisted_folders(root: Path, packages: Mapping[str, str]) -> list[str]:
    """Folders below the packages' that hold Python files but are no package of their own."""
    listed = {(root / folder).resolve() for folder in packages.values()}
    tops = {(root / folder.split("/")[0]).resolve() for folder in packages.values()}
    found = set()
    for top in tops:
        for path in top.rglob("*.py"):
            if path.parent.resolve() not in listed and "__pycache__" not in path.parts:
                found.add(str(path.parent.relative_to(root)))
    return sorted(found)


def build_graph(root: Path, modules: Mapping[str, Module]) -> list[Edge]:
    edges: list[Edge] = []
    for module in modules.values():
        tree = ast.parse(module.path.read_text(encoding="utf-8"), filename=str(module.path))
        reader = _Reader(module, modules, str(module.path.relative_to(root)))
        reader.visit(tree)
        edges += reader.edges
    return edges


def find_cycles(edges: list[Edge]) -> list[list[Edge]]:
    """Loops as chains of edges: for each edge inside a strongly connected group of
    modules, the shortest way back; each loop once."""
    graph: dict[str, dict[str, Edge]] = {}
    for edge in edges:
        if edge.source != edge.target:
            graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
    cycles: dict[tuple[str, ...], list[Edge]] = {}
    for group in _strongly_connected(graph):
        if len(group) < 2:
            continue
        for source in sorted(group):
            for target, first in sorted(graph[source].items()):
                if target not in group:
                    continue
                back = _shortest_path(graph, target, source, group)
                assert back is not None
                chain = [first, *back]
                names = [e.source for e in chain]
                start = names.index(min(names))
                key = tuple(names[start:] + names[:start])
                cycles.setdefault(key, chain[start:] + chain[:start])
    return [cycles[k] for k in sorted(cycles)]


def describe(chain: list[Edge]) -> str:
    steps = [chain[0].source] + [f"-> {e.target} ({e.describe()})" for e in chain]
    return " ".join(steps)


# --- the tree as it is -------------------------------------------------------------------------


def test_every_module_of_the_distribution_is_read() -> None:
    packages = distribution_packages()
    assert unlisted_folders(REPO, packages) == [], "folders of modules setup.py does not ship"
    modules = find_modules(REPO, packages)
    for name in ("overshoulder.cli", "overshoulder.core.relay_api", "overshoulder.core.ui.panel"):
        assert name in modules
    assert len(modules) > 100


def test_the_hidden_imports_are_seen() -> None:
    """What the loop check relies on: lazy tables and ``importlib`` strings become edges."""
    modules = find_modules(REPO, distribution_packages())
    pairs = {(e.source, e.target) for e in build_graph(REPO, modules)}
    assert ("overshoulder.core.ui", "overshoulder.core.ui.panel") in pairs  # _LAZY
    assert ("overshoulder.cli", "overshoulder.plugins.player.cli") in pairs  # _delegate
    assert ("overshoulder.cli", "overshoulder.relay.start") in pairs
    assert ("overshoulder.install.cli", "overshoulder.install.nuke") in pairs  # f"{__package__}"
    assert ("overshoulder.plugins.nuke", "overshoulder.plugins.nuke.viewer") in pairs


def test_no_module_imports_itself_back() -> None:
    modules = find_modules(REPO, distribution_packages())
    cycles = find_cycles(build_graph(REPO, modules))
    assert not cycles, f"{len(cycles)} import loop(s):\n" + "\n".join(map(describe, cycles))


# --- the check itself, on small trees ----------------------------------------------------------


def _tree(root: Path, files: Mapping[str, str]) -> list[list[Edge]]:
    for name, text in files.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    packages = {"overshoulder": "pkg", "overshoulder.sub": "pkg/sub"}
    return find_cycles(build_graph(root, find_modules(root, packages)))


def test_a_loop_through_a_function_level_import_is_named_with_its_lines(tmp_path: Path) -> None:
    cycles = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from overshoulder import b\n",
            "b.py": "def later():\n    from . import c\n",
            "c.py": "import overshoulder.a\n",
        },
    )
    assert [describe(c) for c in cycles] == [
        "overshoulder.a -> overshoulder.b (pkg/a.py:1) -> overshoulder.c (pkg/b.py:2, in a "
        "function) -> overshoulder.a (pkg/c.py:1)"
    ]


def test_loops_through_lazy_tables_and_import_module_strings_are_found(tmp_path: Path) -> None:
    cycles = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "cli.py": (
                "import importlib\n"
                "def run(module):\n"
                "    return importlib.import_module(module).main\n"
                "def share():\n"
                "    return run('overshoulder.sub.tool')\n"
            ),
            "sub/__init__.py": (
                "import importlib\n"
                "_LAZY = {'Tool': '.tool'}\n"
                "def __getattr__(name):\n"
                "    return importlib.import_module(_LAZY[name], __name__)\n"
            ),
            "sub/tool.py": "from overshoulder.cli import run\nfrom . import named\n",
            "sub/named.py": (
                "import importlib\n"
                "PARTS = ('tool',)\n"
                "def part(name):\n"
                "    return importlib.import_module(f'{__package__}.{name}')\n"
            ),
        },
    )
    chains = {tuple(e.source for e in c) for c in cycles}
    assert chains == {
        ("overshoulder.cli", "overshoulder.sub.tool"),
        ("overshoulder.sub.named", "overshoulder.sub.tool"),
    }


def test_imports_for_the_type_checker_alone_do_not_count(tmp_path: Path) -> None:
    files = {
        "__init__.py": "",
        "a.py": "from . import b\n",
        "b.py": (
            "import typing\n"
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from . import a\n"
            "if typing.TYPE_CHECKING:\n"
            "    import overshoulder.a\n"
        ),
    }
    assert _tree(tmp_path, files) == []
    files["b.py"] += "else:\n    from overshoulder import a\n"
    assert len(_tree(tmp_path, files)) == 1


# --- reading one module ------------------------------------------------------------------------


class _Reader(ast.NodeVisitor):
    def __init__(self, module: Module, modules: Mapping[str, Module], shown: str) -> None:
        self.module = module
        self.modules = modules
        self.shown = shown
        self.edges: list[Edge] = []
        self._depth = 0  # functions we are inside
        self._strings: list[ast.Constant] = []
        #: Imports of a name worked out at run time: (joined onto, relative to).
        self._dynamic: list[tuple[Optional[str], Optional[str]]] = []

    def visit_Module(self, node: ast.Module) -> None:
        self.generic_visit(node)
        # A module that imports a name it works out at run time: its strings are the table.
        for joined, package in self._dynamic:
            for const in self._strings:
                target = self._named(str(const.value), package, joined)
                if target is not None:
                    self._edge(target, const, "a name imported at run time")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._inside(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._inside(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._inside(node)

    def _inside(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in self.modules:
                self._edge(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module or "", node.level)
        if base is None:
            return
        for alias in node.names:
            child = f"{base}.{alias.name}"
            if child in self.modules:
                self._edge(child, node)
            elif base in self.modules:
                self._edge(base, node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self._strings.append(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """The parts of an f-string are not strings of their own."""
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                self.visit(part)

    def visit_Call(self, node: ast.Call) -> None:
        if _is_import_call(node.func) and node.args:
            first = node.args[0]
            package = node.args[1] if len(node.args) > 1 else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                target = self._named(first.value, self._package_of(package))
                if target is not None:
                    self._edge(target, node)
            elif isinstance(first, ast.JoinedStr):
                self._dynamic.append((self._fstring_base(first), None))
            else:
                self._dynamic.append((None, self._package_of(package)))
        elif _is_lazy_table(node.func) and node.args:
            # core.lazy.lazy_attributes(__name__, {...}, submodules): its strings name parts.
            self._dynamic.append((self._package_of(node.args[0]), None))
        self.generic_visit(node)

    # --- names ---------------------------------------------------------------------------

    def _absolute(self, name: str, level: int, package: Optional[str] = None) -> Optional[str]:
        if level == 0:
            return name if name == TOP or name.startswith(TOP + ".") else None
        parts = (package or self.module.package).split(".")
        if level - 1 >= len(parts):
            return None
        base = ".".join(parts[: len(parts) - (level - 1)])
        return f"{base}.{name}" if name else base

    def _named(
        self, text: str, package: Optional[str], joined: Optional[str] = None
    ) -> Optional[str]:
        """The module ``text`` names: absolute, relative to ``package`` (``.tool``, as
        ``import_module`` reads it), or a last part joined onto ``joined``."""
        if text in self.modules:
            return text
        if text.startswith(".") and text.strip("."):
            level = len(text) - len(text.lstrip("."))
            found = self._absolute(text[level:], level, package)
        elif joined is not None and text.isidentifier():
            found = f"{joined}.{text}"
        else:
            return None
        return found if found in self.modules else None

    def _package_of(self, node: Optional[ast.expr]) -> Optional[str]:
        """The ``package`` argument: ``__name__`` / ``__package__``, or a string."""
        if node is None:
            return None
        if isinstance(node, ast.Name) and node.id == "__name__":
            return self.module.name
        if isinstance(node, ast.Name) and node.id == "__package__":
            return self.module.package
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    def _fstring_base(self, node: ast.JoinedStr) -> Optional[str]:
        """``f"{__name__}.{x}"`` -> this module's name (``__package__``: its package)."""
        values = node.values
        if len(values) >= 2 and isinstance(values[0], ast.FormattedValue):
            dot = values[1]
            if isinstance(dot, ast.Constant) and dot.value == ".":
                return self._package_of(values[0].value)
        return None

    def _edge(self, target: str, node: ast.AST, how: Optional[str] = None) -> None:
        if how is None:
            how = "in a function" if self._depth else ""
        where = f"{self.shown}:{getattr(node, 'lineno', 0)}"
        self.edges.append(Edge(self.module.name, target, where, how))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _is_lazy_table(func: ast.expr) -> bool:
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "lazy_attributes"


def _is_import_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("import_module", "__import__")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


# --- graphs --------------------------------------------------------------------------------------


def _strongly_connected(graph: Mapping[str, Mapping[str, Edge]]) -> Iterator[set[str]]:
    """Tarjan's algorithm, without recursion."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    group.add(top)
                    if top == node:
                        break
                yield group


def _shortest_path(
    graph: Mapping[str, Mapping[str, Edge]], start: str, goal: str, within: set[str]
) -> Optional[list[Edge]]:
    came: dict[str, Optional[Edge]] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path: list[Edge] = []
            step = came[node]
            while step is not None:
                path.append(step)
                step = came[step.source]
            return path[::-1]
        for target, edge in sorted(graph.get(node, {}).items()):
            if target in within and target not in came:
                came[target] = edge
                queue.append(target)
    return None

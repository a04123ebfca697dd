"""What an app accepts, each name with the public source it was taken from.

One ``Vocabulary`` per app (``tests/fakes/<app>_vocabulary.py``) serves twice:
the app's fake refuses every name that is not in it, raising what the app
raises, and ``tests/plugins/test_vocabulary_literals.py`` reads the adapter's
source and fails when the adapter passes the app a literal the vocabulary
lacks. So a value nobody found in a stub, a vendor page or public production
code can land neither in a fake nor in an adapter.

Categories are free strings chosen by each app ("knob:Write",
"enum:Write._jpeg_sub_sampling", "flags:playblast", "event", "marker_color").
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union


@dataclass(frozen=True)
class Source:
    """Where a name was found: a stub file and line at a commit, a documentation page, or
    public code that calls the same API (repository and path). ``note`` says more."""

    where: str
    note: str = ""


class Vocabulary:
    """The names one app accepts, by category, each with its ``Source``."""

    def __init__(self, app: str, terms: dict[str, dict[str, Source]]) -> None:
        for category, names in terms.items():
            for name, source in names.items():
                if not isinstance(source, Source) or not source.where.strip():
                    raise ValueError(f"{app} vocabulary: {category} {name!r} has no source")
        self.app = app
        self.terms = terms

    def has(self, category: str, name: str) -> bool:
        return name in self.terms.get(category, {})

    def names(self, category: str) -> set[str]:
        return set(self.terms.get(category, {}))

    def categories(self) -> set[str]:
        return set(self.terms)

    def source(self, category: str, name: str) -> Source:
        return self.terms[category][name]

    def require(self, category: str, name: str, error: Callable[[str], BaseException]) -> None:
        """Raise ``error(message)`` unless ``name`` is in ``category``; ``error`` is the
        exception class (or a factory) the real app raises, the message its shape."""
        if not self.has(category, name):
            raise error(self.refusal(category, name))

    def refusal(self, category: str, name: str) -> str:
        """A default sentence for a refused name (fakes whose app words it otherwise build
        their own message)."""
        return f"{name!r} is not a known {category} in {self.app}"


@dataclass(frozen=True)
class Use:
    """A literal an adapter passes to its app: the category it belongs to, its value, and
    where in the adapter (module name, line)."""

    category: str
    name: str
    module: str
    line: int

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.category} {self.name!r}"


Value = Union[str, tuple[str, ...]]


class ConstantResolver:
    """Module-level string constants of an adapter package, so a literal kept in
    ``defaults.py`` and used as ``defaults.X`` or ``X`` is checked like one written in place.

    It reads each module of ``package_dir`` with ``ast`` (never imports them): plain
    ``NAME = "text"`` or a tuple of strings at module level, and the names a module
    imports from a sibling (``from .defaults import X``, ``from . import defaults``).
    """

    def __init__(self, package_dir: Union[str, Path]) -> None:
        self.package_dir = Path(package_dir)
        self.constants: dict[str, dict[str, Value]] = {}
        self.trees: dict[str, ast.Module] = {}
        self._imports: dict[str, dict[str, tuple[str, Optional[str]]]] = {}
        for path in sorted(self.package_dir.glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            self.trees[path.stem] = tree
            self.constants[path.stem] = _module_constants(tree)
            self._imports[path.stem] = _sibling_imports(tree, self.package_dir.name)
        #: A parameter's constant default, by the ``id`` of each Name that reads it:
        #: ``def render(sub=JPEG_SUB_SAMPLING): knob.setValue(sub)`` is checked as the default.
        self._defaults: dict[int, Value] = {}
        for module, tree in self.trees.items():
            self._collect_defaults(tree, module)

    def _collect_defaults(self, tree: ast.Module, module: str) -> None:
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            args = fn.args
            positional = [*args.posonlyargs, *args.args]
            pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults))
            pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            known = {}
            for arg, default in pairs:
                value = self.value(default, module)
                if value is not None:
                    known[arg.arg] = value
            if not known:
                continue
            body = fn.body if isinstance(fn.body, list) else [fn.body]
            names = [n for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Name)]
            assigned = {n.id for n in names if isinstance(n.ctx, ast.Store)}
            for name in names:
                if isinstance(name.ctx, ast.Load) and name.id in known and name.id not in assigned:
                    self._defaults[id(name)] = known[name.id]

    def modules(self) -> Iterable[tuple[str, ast.Module]]:
        return self.trees.items()

    def value(self, node: Optional[ast.AST], module: str) -> Optional[Value]:
        """The string (or tuple of strings) ``node`` stands for in ``module``; None when it is
        not a constant this resolver can see (a variable, a call, user data)."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = [self.value(item, module) for item in node.elts]
            if all(isinstance(item, str) for item in items):
                return tuple(item for item in items if isinstance(item, str))
            return None
        if isinstance(node, ast.Name):
            if id(node) in self._defaults:
                return self._defaults[id(node)]
            return self._name(node.id, module)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            target = self._imports.get(module, {}).get(node.value.id)
            if target is not None and target[1] is None:  # `from . import defaults`
                return self.constants.get(target[0], {}).get(node.attr)
        if isinstance(node, ast.JoinedStr):  # f"{MENU}/Open panel"
            parts = []
            for piece in node.values:
                if isinstance(piece, ast.Constant) and isinstance(piece.value, str):
                    parts.append(piece.value)
                elif isinstance(piece, ast.FormattedValue):
                    inner = self.value(piece.value, module)
                    if not isinstance(inner, str):
                        return None
                    parts.append(inner)
                else:
                    return None
            return "".join(parts)
        return None

    def strings(self, node: Optional[ast.AST], module: str) -> list[str]:
        """``value`` as a list: one string, the strings of a tuple, or none."""
        value = self.value(node, module)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    def _name(self, name: str, module: str) -> Optional[Value]:
        own = self.constants.get(module, {})
        if name in own:
            return own[name]
        target = self._imports.get(module, {}).get(name)
        if target is not None and target[1] is not None:
            return self.constants.get(target[0], {}).get(target[1])
        return None


def _module_constants(tree: ast.Module) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for stmt in tree.body:
        targets: list[ast.expr] = []
        value: Optional[ast.expr] = None
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        for target in targets:
            if not isinstance(target, ast.Name) or value is None:
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[target.id] = value.value
            elif isinstance(value, (ast.Tuple, ast.List)) and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
            ):
                found[target.id] = tuple(
                    e.value
                    for e in value.elts
                    if isinstance(e, ast.Constant) and isinstance(e.value, str)
                )
    return found


def _sibling_imports(tree: ast.Module, package: str) -> dict[str, tuple[str, Optional[str]]]:
    """Local name -> (sibling module, name in it; None when the module itself is bound).

    Siblings are named relatively (``from .defaults import X``, ``from . import defaults``)
    or in full (``from overshoulder.plugins.<package>.defaults import X``,
    ``from overshoulder.plugins.<package> import defaults``)."""
    full = f"overshoulder.plugins.{package}"
    found: dict[str, tuple[str, Optional[str]]] = {}
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.ImportFrom):
            continue
        if stmt.level == 1:
            module = stmt.module or ""
        elif (
            stmt.level == 0
            and stmt.module is not None
            and (stmt.module == full or stmt.module.startswith(full + "."))
        ):
            module = stmt.module[len(full) + 1 :]
        else:
            continue
        for alias in stmt.names:
            local = alias.asname or alias.name
            if module:
                found[local] = (module.split(".")[0], alias.name)
            else:
                found[local] = (alias.name, None)
    return found


def calls(tree: ast.AST) -> Iterator[ast.Call]:
    """Every call in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for a chain of attributes on a name; "" for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""

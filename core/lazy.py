"""Packages whose parts load on first use (PEP 562), so importing the package costs nothing.

The app adapters import nothing of their app or of Qt until a part is used: a farm render
that imports the package for its start-up hook pays for nothing it does not run.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import Any, Callable


def lazy_attributes(
    package: str, names: Mapping[str, str], submodules: Iterable[str]
) -> Callable[[str], Any]:
    """The body of ``package``'s module ``__getattr__``: each of ``names`` (name: submodule)
    comes from its submodule, and each of ``submodules`` is imported, when first asked for."""
    parts = frozenset(submodules)

    def attribute(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        if name in parts:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute

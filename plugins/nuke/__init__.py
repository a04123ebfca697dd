"""The Nuke adapter: the Host contract on Nuke's Python API, and its startup files.

``NukeHost`` (``host``) is the adapter; ``commands`` turns notes into
StickyNote and RotoPaint nodes; ``init`` and ``menu`` are Nuke's startup files
as importable modules; ``panel`` is the pane (Qt). Importing this package
imports nothing of Nuke or Qt, so ``init`` stays light; submodules load on
first use, so Nuke can make the panel from the dotted name
"overshoulder.plugins.nuke.panel.NukePanel" alone.
"""

from __future__ import annotations

from typing import Any

from overshoulder.core.lazy import lazy_attributes

__all__ = ["NukeHost"]

_SUBMODULES = frozenset(
    (
        "capture",
        "commands",
        "defaults",
        "graph",
        "host",
        "identity",
        "notes",
        "panel",
        "selftest",
        "viewer",
    )
)


_attribute = lazy_attributes(__name__, {"NukeHost": "host"}, _SUBMODULES)


def __getattr__(name: str) -> Any:
    return _attribute(name)

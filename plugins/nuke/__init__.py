"""The Nuke adapter: the Host contract on Nuke's Python API, and its startup files.

``NukeHost`` (``host``) is the adapter; ``commands`` turns notes into
StickyNote and RotoPaint nodes; ``init`` and ``menu`` are Nuke's startup files
as importable modules; ``panel`` is the pane (Qt). Importing this package
imports nothing of Nuke or Qt, so ``init`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NukeHost"]


def __getattr__(name: str) -> Any:
    if name == "NukeHost":
        from .host import NukeHost

        return NukeHost
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The DaVinci Resolve adapter: the Host contract on Resolve's scripting API, and its window.

``ResolveHost`` (``host``) is the adapter; ``connection`` reaches Resolve; ``window`` is the
Overshoulder window the Workspace > Scripts > Overshoulder entry opens (Qt). Importing this
package imports nothing of Resolve, OTIO or Qt; submodules load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["ResolveHost"]

_SUBMODULES = frozenset(
    (
        "connection",
        "cut",
        "defaults",
        "host",
        "markers",
        "selftest",
        "session_flag",
        "timecode",
        "window",
        "worker",
    )
)


def __getattr__(name: str) -> Any:
    if name == "ResolveHost":
        from .host import ResolveHost

        return ResolveHost
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

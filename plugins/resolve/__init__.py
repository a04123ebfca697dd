"""The DaVinci Resolve adapter: the Host contract on Resolve's scripting API, and its window.

``ResolveHost`` (``host``) is the adapter; ``connection`` reaches Resolve; ``window`` is the
Overshoulder window the Workspace > Scripts > Overshoulder entry opens (Qt). Importing this
package imports nothing of Resolve, OTIO or Qt; submodules load on first use.
"""

from __future__ import annotations

from typing import Any

from overshoulder.core.lazy import lazy_attributes

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


_attribute = lazy_attributes(__name__, {"ResolveHost": "host"}, _SUBMODULES)


def __getattr__(name: str) -> Any:
    return _attribute(name)

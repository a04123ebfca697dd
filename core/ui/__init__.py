"""The Qt panel and the viewer overlay every app shares (Qt through Qt.py only).

``Panel`` (the whole panel), ``ViewerOverlay`` (marks and tools over the app's
viewer) and ``PanelSettings`` (what the panel remembers) are the public names.
They load Qt when first used. The Qt-free parts they use (notes, geometry, links,
settings, relay_api, history, images) live in ``overshoulder.core`` and import
without it, as on a render farm.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..settings import PanelSettings

if TYPE_CHECKING:
    from .overlay import ViewerOverlay
    from .panel import Panel
    from .toolbar import OverlayToolbar

__all__ = ["OverlayToolbar", "Panel", "PanelSettings", "ViewerOverlay"]

_LAZY = {"Panel": ".panel", "ViewerOverlay": ".overlay", "OverlayToolbar": ".toolbar"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)

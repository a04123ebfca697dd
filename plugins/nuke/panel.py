"""The Overshoulder panel as a Nuke pane (registered by ``menu.py``; GUI sessions only)."""

from __future__ import annotations

from typing import Any, Optional

from overshoulder.core.ui import Panel

from .host import NukeHost


class NukePanel(Panel):
    """The shared panel, sharing this Nuke session (a ``NukeHost`` on the main thread)."""

    def __init__(self, parent: Optional[Any] = None) -> None:
        super().__init__(NukeHost(), parent)

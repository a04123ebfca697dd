"""A FAKE of Nuke's ``nukescripts`` package, for tests (only ``panels`` is faked).

Written from the public behaviour the Nuke 15.0v1 stubs show, not Foundry's
code: in a GUI session the package re-exports ``panels``.
"""

from __future__ import annotations

import nuke

from . import panels

if nuke.GUI:
    from .panels import PythonPanel, registerPanel, registerWidgetAsPanel, restorePanel

__all__ = ["PythonPanel", "panels", "registerPanel", "registerWidgetAsPanel", "restorePanel"]

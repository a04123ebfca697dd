"""What the module's userSetup.py imports: the Overshoulder menu, in GUI sessions only.

The menu has "Open panel" and "Self-test" (the report of every call the adapter makes).
Importing this module is the startup, and a second import does nothing. In mayapy,
``maya -batch`` and farm renders (``cmds.about(batch=True)``) it does nothing at all: no
UI, no Qt, no network, no callback. In a GUI session it defers the menu with
``cmds.evalDeferred`` (Maya's main window exists only once startup is done); the panel
comes from the menu, or back with the saved workspace (panel.py).
"""

from __future__ import annotations

import logging
from typing import Any

from maya import cmds

from .defaults import MAIN_WINDOW, MENU, MENU_LABEL, SELFTEST_DIALOG_TITLE

log = logging.getLogger("overshoulder.maya")

#: True once ``startup`` has run in this session.
started = False


def startup() -> None:
    """Defer the menu in a GUI session; nothing in batch. Idempotent."""
    global started
    if started:
        return
    started = True
    if cmds.about(batch=True):
        log.debug("Overshoulder is importable (batch session: no UI)")
        return
    cmds.evalDeferred(install_menu, lowestPriority=True)


def install_menu() -> None:
    """The "Overshoulder" menu in Maya's main window (made anew when it exists)."""
    if cmds.menu(MENU, exists=True):
        cmds.deleteUI(MENU)
    cmds.menu(MENU, label=MENU_LABEL, parent=MAIN_WINDOW, tearOff=True)
    cmds.menuItem(label="Open panel", command=open_panel, parent=MENU)
    cmds.menuItem(label="Self-test", command=open_selftest, parent=MENU)


def open_panel(*_: Any) -> None:
    """Show the dockable panel (Qt is imported only now)."""
    from .panel import show_panel

    show_panel()


def open_selftest(*_: Any) -> None:
    """Run the self-test and show its report (plugins/maya/selftest.py; Qt only now). Never
    raises into Maya: what goes wrong is said in Maya's message box."""
    try:
        from .selftest import open_window
    except Exception as exc:  # a broken install: say so instead of a traceback
        text = f"Overshoulder: the self-test could not start: {type(exc).__name__}: {exc}"
        log.error(text)
        try:
            cmds.confirmDialog(title=SELFTEST_DIALOG_TITLE, message=text, button=["OK"])
        except Exception:
            log.debug("no message box either", exc_info=True)
        return
    open_window()


startup()

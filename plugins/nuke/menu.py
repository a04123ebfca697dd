"""Nuke's menu.py for Overshoulder (GUI sessions): the menu and the panel.

Importing this module is the startup, and a second import does nothing:

- an "Overshoulder" menu in Nuke's menu bar: open the panel, notes to
  StickyNotes, note marks to a RotoPaint node, clear resolved notes, and the
  self-test (a report of every call the adapter makes, for a TD);
- the panel registered with ``nukescripts.panels.registerWidgetAsPanel`` so it
  appears in the Pane menu and comes back with saved layouts.

Nuke makes a registered widget by evaluating its name
("overshoulder.plugins.nuke.panel.NukePanel") in the ``__main__`` namespace,
so ``overshoulder`` is bound there. Outside the GUI nothing happens.
"""

from __future__ import annotations

import logging

import nuke

from .defaults import MENU, PANEL_ID, PANEL_NAME, PANEL_WIDGET

log = logging.getLogger("overshoulder.nuke")

#: True once the menu and panel are installed in this session.
installed = False


def open_panel() -> None:
    """Open the Overshoulder panel (as the Pane menu does); a failure is a message, never a
    traceback into Nuke."""
    try:
        import nukescripts.panels

        nukescripts.panels.restorePanel(PANEL_ID)
    except Exception as exc:
        log.exception("Overshoulder: the panel could not open")
        nuke.message(f"Overshoulder: the panel could not open: {type(exc).__name__}: {exc}")


def _command(name: str) -> None:
    from . import commands

    commands.run(name)


def _self_test() -> None:
    from . import selftest

    selftest.menu_command()


def install() -> None:
    """Add the menu and register the panel; only in a GUI session, only once."""
    global installed
    if installed or not nuke.GUI:
        return
    import nukescripts.panels

    import __main__
    import overshoulder

    vars(__main__).setdefault("overshoulder", overshoulder)
    bar = nuke.menu("Nuke")
    bar.addCommand(f"{MENU}/Open panel", open_panel)
    bar.addCommand(f"{MENU}/Notes to StickyNotes", lambda: _command("stickies"))
    bar.addCommand(f"{MENU}/Note marks to RotoPaint", lambda: _command("roto"))
    bar.addCommand(f"{MENU}/Clear resolved notes", lambda: _command("clear"))
    bar.addCommand(f"{MENU}/Self-test", _self_test)
    nukescripts.panels.registerWidgetAsPanel(PANEL_WIDGET, PANEL_NAME, PANEL_ID, False)
    installed = True


install()

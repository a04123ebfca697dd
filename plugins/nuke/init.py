"""Nuke's init.py for Overshoulder: runs in every session (GUI, ``nuke -t``, farm renders).

Importing this module is the startup, and a second import does nothing. It
makes no UI, imports no Qt, opens no connection and installs no callback:
sharing starts from the panel, which only a GUI session has (``menu.py``).
All it leaves behind is the package, importable for scripts that need it.
"""

from __future__ import annotations

import logging

import nuke

log = logging.getLogger("overshoulder.nuke")

#: True once ``startup`` has run in this session.
started = False


def startup() -> None:
    """Nothing to set up outside the GUI; idempotent."""
    global started
    if started:
        return
    started = True
    log.debug("Overshoulder is importable (%s session)", "GUI" if nuke.GUI else "terminal")


startup()

"""The Overshoulder window for Resolve: the shared panel, on top, for as long as Resolve runs.

Workspace > Scripts > Overshoulder runs the installed script, which calls ``main(app)``:
it reaches Resolve (the menu's ``app``, else external scripting), makes a ``ResolveHost``
and shows the panel in its own window that stays on top of Resolve. The window quits
when Resolve goes away (the adapter checks the connection every ``CONNECTION_POLL_S``).
This is a separate Python process with its own Qt (PySide6, installed with Overshoulder):
Resolve has no Qt of its own to dock into.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Optional

from Qt import QtCore, QtWidgets

from overshoulder.core.ui import PanelSettings
from overshoulder.core.ui.panel import Panel

from .connection import ResolveError, connect
from .defaults import SESSION_FLAG_BEAT_S, WINDOW_TITLE
from .host import ResolveHost
from .session_flag import SessionFlag

log = logging.getLogger("overshoulder.resolve")


class ResolveWindow(Panel):
    """The panel as a top-level window that stays on top; closes itself when Resolve quits."""

    def __init__(
        self,
        host: ResolveHost,
        *,
        settings: Optional[PanelSettings] = None,
        session_flag: Optional[SessionFlag] = None,
    ) -> None:
        super().__init__(host, None, settings=settings)
        #: Tells the self-test (another process) that this window is in a session.
        self.session_flag = session_flag if session_flag is not None else SessionFlag()
        self._flag_timer = QtCore.QTimer(self)
        self._flag_timer.setInterval(int(SESSION_FLAG_BEAT_S * 1000 / 2))
        self._flag_timer.timeout.connect(self.beat)
        self._flag_timer.start()
        self.resolve_host = host
        self.setWindowTitle(WINDOW_TITLE)
        flags = QtCore.Qt.WindowType
        self.setWindowFlags(self.windowFlags() | flags.Window | flags.WindowStaysOnTopHint)
        self.resize(380, 760)
        self.gone = False
        # From the adapter's thread: handed to the GUI thread, never waited for.
        host.on_disconnect.append(lambda: self._gui.post(self.resolve_gone))

    def beat(self) -> None:
        """Keep the session flag true to what the panel does (every ``SESSION_FLAG_BEAT_S / 2``)."""
        self.session_flag.update(self.client is not None, self.sharing)

    def resolve_gone(self) -> None:
        """Resolve has quit: leave the session and close the window (which ends the app)."""
        log.info("DaVinci Resolve has gone away: closing Overshoulder")
        self.gone = True
        self.close()

    def closeEvent(self, event: Any) -> None:
        self.close_session()
        self._flag_timer.stop()
        self.session_flag.clear()
        super().closeEvent(event)
        app = QtWidgets.QApplication.instance()
        if app is not None:
            # Quit once the session is left (a worker thread stops it; never wait here).
            timer = QtCore.QTimer(self)
            timer.setInterval(50)
            timer.timeout.connect(lambda: None if self.closing else app.quit())
            timer.start()


def main(app: Any = None) -> int:
    """Open the window for the running Resolve; returns when it closes (exit status)."""
    logging.basicConfig(level=logging.INFO, format="[overshoulder] %(levelname)s: %(message)s")
    qt_app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    try:
        resolve = connect(app)
    except ResolveError as exc:
        log.error("%s", exc)
        QtWidgets.QMessageBox.warning(None, WINDOW_TITLE, str(exc))
        return 1
    host = ResolveHost(resolve)
    window = ResolveWindow(host)
    window.show()
    window.raise_()
    try:
        return int(qt_app.exec_())
    finally:
        host.close()

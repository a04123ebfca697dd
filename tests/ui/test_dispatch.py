"""GuiDispatcher: work posted from any thread runs on the GUI thread; ``call`` on the GUI thread
runs at once (a callback already there takes no second hop)."""

from __future__ import annotations

import threading

from overshoulder.core.ui.dispatch import GuiDispatcher

from .qt import app, wait_for


def test_call_runs_at_once_on_the_gui_thread_and_is_posted_from_another():
    app()
    gui = GuiDispatcher()
    ran: list[tuple[str, threading.Thread]] = []
    gui.call(lambda: ran.append(("here", threading.current_thread())))
    assert ran == [("here", threading.main_thread())], "ran before call returned"

    worker = threading.Thread(
        target=lambda: gui.call(lambda: ran.append(("there", threading.current_thread())))
    )
    worker.start()
    worker.join(5)
    assert len(ran) == 1, "from another thread it waits for the GUI thread's event loop"
    assert wait_for(lambda: len(ran) == 2)
    assert ran[1] == ("there", threading.main_thread())


def test_nothing_runs_once_closed():
    app()
    gui = GuiDispatcher()
    ran: list[str] = []
    gui.close()
    gui.call(lambda: ran.append("now"))
    worker = threading.Thread(target=lambda: gui.post(lambda: ran.append("later")))
    worker.start()
    worker.join(5)
    assert not wait_for(lambda: bool(ran), 0.3)

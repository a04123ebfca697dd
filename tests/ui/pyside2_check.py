"""Run in a child process with QT_PREFERRED_BINDING=PySide2 (see test_bindings.py).

Builds the panel, posts a callback from a worker thread onto the GUI thread,
and checks the overlay's pixels; prints one line per check and "OK" at the end.
"""

from __future__ import annotations

import threading

import Qt

from overshoulder.core.model import Anchor, Annotation, Shape, Style, new_id
from overshoulder.core.ui import Panel, PanelSettings, ViewerOverlay
from overshoulder.core.ui.dispatch import GuiDispatcher
from tests.ui.hosts import ViewerHost
from tests.ui.qt import QtWidgets, app, pump, wait_for


def main() -> None:
    assert Qt.__binding__ == "PySide2", Qt.__binding__
    app()
    viewer = QtWidgets.QWidget()
    viewer.resize(400, 200)
    viewer.show()
    host = ViewerHost(viewer)
    panel = Panel(host, settings=PanelSettings())
    panel.show()
    pump()
    print("panel built:", panel.share_button.text())

    gui = GuiDispatcher()
    ran_on: list[threading.Thread] = []
    threading.Thread(
        target=lambda: gui.post(lambda: ran_on.append(threading.current_thread()))
    ).start()
    assert wait_for(lambda: bool(ran_on))
    assert ran_on == [threading.main_thread()], ran_on
    print("dispatch ran on the GUI thread")

    overlay = ViewerOverlay(viewer, host)
    overlay.set_image_size(200, 100)
    red = Style(color=(1.0, 0.0, 0.0, 1.0), width=0.02)
    stroke = Shape(kind="stroke", points=[[-0.5, 0.25], [0.5, 0.25]])
    overlay.set_annotations([Annotation(new_id(), stroke, Anchor(frame=1001), red)])
    pump(0.05)
    image = overlay.grab().toImage()
    on, off = image.pixelColor(200, 50), image.pixelColor(200, 150)
    assert on.red() > 200 and on.green() < 80 and on.alpha() > 200, on.name()
    assert off.alpha() == 0 or off.red() < 200, off.name()
    print("overlay painted the stroke where it belongs")

    import tempfile

    from overshoulder.core.selftest import Check, run_checks
    from overshoulder.core.ui.selftest_dialog import show_report

    report = run_checks("pyside2", "5", [Check("a", "Capture", lambda figures: "fine")])
    window = show_report(report, report.write(tempfile.mkdtemp()))
    pump()
    window.copy()
    assert "[PASS] Capture" in window.text.toPlainText()
    assert "[PASS] Capture" in QtWidgets.QApplication.clipboard().text()
    window.close()
    print("self-test window shows the report")
    panel.deleteLater()
    host.shut()
    print("OK")


if __name__ == "__main__":
    main()

"""Run in a child process with QT_PREFERRED_BINDING=PySide2 (see test_bindings.py).

The panel's states against a real relay (argv[1]: its address), rendered at 320x900 and
480x900 in a dark palette as Nuke's and Maya's, with the layout checks of the PySide6 tests;
then a pen tablet's stroke with pressure. One line per check, "OK" at the end.
"""

from __future__ import annotations

import sys

import Qt

from overshoulder.core.ui import ViewerOverlay
from tests.ui.hosts import tablet
from tests.ui.panel_states import WIDTHS, PanelStates, artifacts_dir, use_app_look
from tests.ui.qt import app, wait_for


def main(relay_url: str) -> None:
    assert Qt.__binding__ == "PySide2", Qt.__binding__
    app()
    use_app_look(dark=True)
    states = PanelStates(relay_url, artifacts_dir())
    failed = False
    try:
        for state, make in (
            ("before-join", states.before_join),
            ("host-sharing", states.host_sharing),
            ("reviewer", states.reviewer),
        ):
            panel = make()
            for width in WIDTHS:
                path, problems = states.picture(panel, state, width, "dark")
                print(f"{state} {width}: {len(problems)} problems, {path.name}")
                for problem in problems:
                    print("   ", problem)
                failed = failed or bool(problems)
        leo = states.reviewer_panel
        assert leo is not None and leo.overlay is not None
        pictures = [leo.note_card(i) for _, i, _ in leo.note_rows()]
        assert pictures and all(c is not None and c.has_picture() for c in pictures)
        print("thumbnails shown")

        overlay: ViewerOverlay = leo.overlay
        client = leo.client
        assert client is not None
        before = set(client.annotations)
        overlay.set_tool("pen")
        assert tablet(overlay, "press", 100, 100, 0.25)
        assert tablet(overlay, "move", 150, 100, 0.5)
        assert tablet(overlay, "move", 200, 100, 0.75)
        assert tablet(overlay, "release", 200, 100, 0.0)
        assert wait_for(lambda: len(client.annotations) == len(before) + 1)
        drawn = next(n for i, n in client.annotations.items() if i not in before)
        pressures = [p[2] for p in drawn.shape.points or []]
        assert pressures == [0.25, 0.5, 0.75], pressures
        print("tablet pressure kept:", pressures)
    finally:
        states.close()
    if failed:
        raise SystemExit("layout problems (above)")
    print("OK")


if __name__ == "__main__":
    main(sys.argv[1])

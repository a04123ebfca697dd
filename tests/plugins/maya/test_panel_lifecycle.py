"""Closing the docked panel ends its session; opening it again reuses the session's host, so
Maya's callbacks and the Sharer's threads never pile up."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from overshoulder.plugins.maya.defaults import IMAGE_EVENTS, PLAYHEAD_EVENTS
from tests.fakes import maya_control
from tests.fakes.maya_control import fake, sharer_threads

#: What one sharing host registers: every event, the play condition, the active panel's redraws.
ONE_SET = len(PLAYHEAD_EVENTS) + len(IMAGE_EVENTS) + 2


def test_closing_and_reopening_the_panel_three_times_never_doubles_callbacks_or_threads(
    cmds: ModuleType,
    shot: dict[str, str],
    relay: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.ui import qt

    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(tmp_path / "config"))
    qt.app()
    from overshoulder.plugins.maya import panel as panel_module

    monkeypatch.setattr(panel_module, "_panel", None)
    monkeypatch.setattr(panel_module, "_host", None, raising=False)
    main = maya_control.QtMainThread()
    hosts, seen = set(), []
    try:
        for _ in range(3):
            shown = panel_module.show_panel()
            hosts.add(id(shown.host))
            shown.relay_edit.setText(relay.url)
            shown.name_edit.setText("Leo")
            shown.create_session(share=True)
            assert qt.wait_for(lambda s=shown: s.sharing and len(sharer_threads()) == 1, 30), (
                "the panel shares"
            )
            assert qt.wait_for(lambda: fake().callback_count() == ONE_SET)
            seen.append((fake().callback_count(), len(sharer_threads())))

            fake().close_workspace_control(panel_module.CONTROL)
            assert qt.wait_for(lambda: fake().callback_count() == 0 and not sharer_threads()), (
                f"after closing the dock: {fake().callback_count()} callbacks and "
                f"{len(sharer_threads())} capture threads are still running"
            )
            qt.pump(0.05)
        assert seen == [(ONE_SET, 1)] * 3
        assert len(hosts) == 1, "every panel of the session shares through one MayaHost"
    finally:
        main.stop()

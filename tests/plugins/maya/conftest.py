"""The fake Maya for the Maya adapter's tests: a shot, a main thread, a started MayaHost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes import maya_control

# Installed once for the session: the adapter's modules keep the modules they imported.
maya_control.install()


@pytest.fixture
def cmds() -> Iterator[ModuleType]:
    """The fake ``maya.cmds``, reset: an empty GUI session with no main thread yet."""
    from overshoulder.plugins.maya import sketches

    module = maya_control.install()
    sketches._flags_seen.clear()  # what a Maya's commands accept is read once per session
    yield module
    errors = list(maya_control.fake().callback_errors)
    maya_control.reset()
    assert not errors, "callbacks raised inside the fake Maya:\n" + "\n".join(errors)


@pytest.fixture
def shot(cmds: ModuleType) -> dict[str, str]:
    return maya_control.build_shot()


@pytest.fixture
def main_loop(cmds: ModuleType) -> Iterator[maya_control.MainLoop]:
    loop = maya_control.MainLoop().start()
    yield loop
    loop.stop()


@pytest.fixture
def maya_host(shot: dict[str, str], main_loop: maya_control.MainLoop, tmp_path: Path) -> Iterator:
    """A started MayaHost on the shot, Maya's main thread running."""
    from overshoulder.plugins.maya.host import MayaHost

    host = MayaHost(main_thread=main_loop.thread, temp_dir=str(tmp_path / "captures"))
    maya_control.on_main(host.start)
    yield host
    maya_control.on_main(host.stop)


def on_main(fn: Any) -> Any:
    return maya_control.on_main(fn)

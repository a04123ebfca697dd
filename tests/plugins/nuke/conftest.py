"""The fake Nuke for the Nuke adapter's tests: a comp, a main thread, a started NukeHost."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fakes import nuke_control

# Installed once for the session: the adapter's modules keep the module they imported.
nuke_control.install()


@pytest.fixture
def nuke() -> Iterator[ModuleType]:
    """The fake ``nuke``, reset: an empty GUI session with no main thread yet."""
    module = nuke_control.install(gui=True)
    yield module
    errors = list(module._fake.callback_errors)
    nuke_control.reset()
    assert not errors, "callbacks raised inside the fake Nuke:\n" + "\n".join(errors)


@pytest.fixture
def comp(nuke: ModuleType) -> dict[str, Any]:
    return nuke_control.build_comp()


@pytest.fixture
def main_loop(nuke: ModuleType) -> Iterator[nuke_control.MainLoop]:
    loop = nuke_control.MainLoop().start()
    yield loop
    loop.stop()


@pytest.fixture
def nuke_host(comp: dict[str, Any], main_loop: nuke_control.MainLoop, tmp_path: Path) -> Iterator:
    """A started NukeHost on the comp, Nuke's main thread running."""
    from overshoulder.plugins.nuke.host import NukeHost

    host = NukeHost(main_thread=main_loop.thread, temp_dir=str(tmp_path / "captures"))
    nuke_control.on_main(host.start)
    yield host
    nuke_control.on_main(host.stop)

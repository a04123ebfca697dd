"""The fake Nuke for the Nuke adapter's tests: a comp, a main thread, a started NukeHost."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


class FakeClock:
    """The time the host paces captures and checks by: it moves only when a test says so,
    or when the host sleeps (``sleep`` records the wait and moves the time by it). What the
    host asks to run later waits in ``pending`` until ``run_due`` runs what is due."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        #: What the host asked to run later, as (due time, wait asked, function, handle).
        self.pending: list[tuple[float, float, Callable[[], None], Any]] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def later(self, seconds: float, fn: Callable[[], None]) -> Any:
        handle = _Handle()
        self.pending.append((self.now + seconds, seconds, fn, handle))
        return handle

    def waits(self) -> list[float]:
        """The waits asked for that have neither run nor been cancelled."""
        return [wait for _, wait, _, handle in self.pending if not handle.cancelled]

    def run_due(self) -> int:
        """Run what is due by now and not cancelled, as the timer thread would; how many."""
        due = [e for e in self.pending if e[0] <= self.now and not e[3].cancelled]
        for entry in due:
            self.pending.remove(entry)
            entry[2]()
        return len(due)


class _Handle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked_host(
    comp: dict[str, Any], main_loop: nuke_control.MainLoop, tmp_path: Path, clock: FakeClock
) -> Iterator:
    """A started NukeHost whose pacing reads ``clock`` (and sleeps on it)."""
    from overshoulder.plugins.nuke.host import NukeHost

    host = NukeHost(
        main_thread=main_loop.thread,
        temp_dir=str(tmp_path / "captures"),
        clock=clock,
        sleep=clock.sleep,
        later=clock.later,
    )
    nuke_control.on_main(host.start)
    yield host
    nuke_control.on_main(host.stop)

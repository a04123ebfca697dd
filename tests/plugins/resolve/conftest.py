"""The fake Resolve for the Resolve adapter's tests: a running Resolve and a started host."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes import resolve_control

resolve_control.install()


@pytest.fixture(autouse=True)
def config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Overshoulder's config folder (notes' sidecars, the windows' session flags) in a
    temporary folder: a window open on this machine does not reach the tests."""
    folder = tmp_path / "config"
    monkeypatch.setenv("OVERSHOULDER_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def resolve() -> Iterator[Any]:
    """A running fake Resolve on the Edit page, the test reel as its current timeline."""
    made = resolve_control.open_resolve()
    yield made
    resolve_control.not_running()


@pytest.fixture
def resolve_host(resolve: Any, tmp_path: Path) -> Iterator[Any]:
    """A started ResolveHost on the fake, its notes' sidecar in a temporary folder."""
    from overshoulder.plugins.resolve.host import ResolveHost

    host = ResolveHost(resolve, temp_dir=str(tmp_path), notes_dir=tmp_path / "notes")
    host.call_on_main(host.start)
    yield host
    host.close()

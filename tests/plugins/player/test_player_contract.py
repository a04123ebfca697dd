"""PlayerHost passes the Host contract every app adapter passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from overshoulder.plugins.player import PlayerHost, open_media
from tests.hosts.contract import HostContract

from . import media_files


class TestPlayerHostContract(HostContract):
    @pytest.fixture
    def host(self, tmp_path: Path) -> Iterator[PlayerHost]:
        media_files.sequence(tmp_path, frames=range(1001, 1005))
        player = PlayerHost(open_media(tmp_path / "shot.####.exr"), autoplay=False, frame=1002)
        player.start()
        try:
            yield player
        finally:
            player.close()

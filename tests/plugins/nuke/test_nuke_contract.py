"""NukeHost on the fake Nuke passes the Host contract every app adapter passes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hosts.contract import HostContract


class TestNukeHostContract(HostContract):
    @pytest.fixture
    def host(self, nuke_host: Any) -> Any:
        return nuke_host

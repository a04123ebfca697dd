"""MayaHost on the fake Maya passes the Host contract every app adapter passes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hosts.contract import HostContract


class TestMayaHostContract(HostContract):
    @pytest.fixture
    def host(self, maya_host: Any) -> Any:
        return maya_host


class TestMayaHostContractWithPlayblast(HostContract):
    """The same contract when the viewport is read through a one-frame playblast."""

    @pytest.fixture
    def host(self, maya_host: Any) -> Any:
        maya_host._grab.method = "playblast"
        return maya_host

"""ResolveHost on the fake Resolve passes the Host contract every app adapter passes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hosts.contract import HostContract


class TestResolveHostContract(HostContract):
    @pytest.fixture
    def host(self, resolve_host: Any) -> Any:
        return resolve_host

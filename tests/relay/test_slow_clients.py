"""Slow and greedy clients: no address holds every descriptor, a trickled request is closed,
and running out of descriptors is a state the relay comes out of, not a traceback storm."""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import uuid
from typing import Any

import pytest
import requests

from tests.conftest import RawClient, RelayProcess
from tests.waiting import wait_for


def _trickler(port: int) -> socket.socket:
    """A connection that starts a request and never finishes its headers."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /api/health HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
    return s


def _closed_by_peer(s: socket.socket) -> bool:
    s.settimeout(0.05)
    try:
        return s.recv(1, socket.MSG_PEEK) == b""  # peek: a live stream keeps its bytes
    except socket.timeout:
        return False
    except OSError:
        return True


def _healthy(relay: RelayProcess) -> bool:
    try:
        return requests.get(relay.url + "/api/health", timeout=2).json()["status"] == "ok"
    except requests.RequestException:
        return False


def test_a_connection_that_trickles_its_headers_is_closed_and_others_are_served(tmp_path):
    relay = RelayProcess(tmp_path / "data", extra_args=["--header-timeout", "0.5"]).start()
    try:
        slow = [_trickler(relay.port) for _ in range(5)]
        assert _healthy(relay)  # served while they trickle
        assert wait_for(lambda: all(_closed_by_peer(s) for s in slow), timeout=10)
        # A request that does finish its headers in time is answered, and a WebSocket that
        # stays open far past the header timeout is not closed by it.
        session = relay.create_session()
        client = RawClient(relay.ws_url)
        client.join(session["host_token"], "Mia")
        client.expect("snapshot")
        assert not wait_for(lambda: _closed_by_peer(client.ws.sock), timeout=1.5)
        client.send("chat", {"id": str(uuid.uuid4()), "text": "still here"}, eid=str(uuid.uuid4()))
        assert client.expect("ack")["data"]["seq"] == 1
        client.close()
    finally:
        relay.stop()
    assert "header_timeout_s" in relay.log_text() and "Traceback" not in relay.log_text()


def test_one_address_cannot_take_every_connection(tmp_path):
    relay = RelayProcess(
        tmp_path / "data", extra_args=["--max-connections-per-address", "6"]
    ).start()
    try:
        held = [_trickler(relay.port) for _ in range(6)]
        extra = socket.create_connection(("127.0.0.1", relay.port), timeout=5)
        assert wait_for(lambda: _closed_by_peer(extra), timeout=5)
        assert not _healthy(relay)  # the same address is at its limit
        for s in held:
            s.close()
        assert wait_for(lambda: _healthy(relay), timeout=10)
    finally:
        relay.stop()
    assert relay.log_text().count("max_connections_per_address") == 1  # logged once a minute


@pytest.mark.skipif(sys.platform != "linux", reason="descriptor limits as Linux has them")
def test_running_out_of_descriptors_is_logged_once_and_the_relay_comes_back(tmp_path):
    """With 64 descriptors and 120 trickling connections the relay runs out; it keeps its
    open connections, logs one line instead of a traceback per accept, and serves again as
    soon as the header timeout frees descriptors."""
    relay = RelayProcess(
        tmp_path / "data",
        extra_args=["--header-timeout", "1.5", "--max-connections-per-address", "1000"],
    )

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    original = subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        kwargs["preexec_fn"] = limited
        return original(*args, **kwargs)

    subprocess.Popen = popen  # type: ignore[misc]
    try:
        relay.start()
    finally:
        subprocess.Popen = original  # type: ignore[misc]
    try:
        slow = []
        for _ in range(120):
            try:
                slow.append(_trickler(relay.port))
            except OSError:
                break
        assert wait_for(lambda: "out of file descriptors" in relay.log_text(), timeout=10)
        assert wait_for(lambda: _healthy(relay), timeout=20)
        for s in slow:
            s.close()
        assert relay.alive()
    finally:
        relay.stop()
    log = relay.log_text()
    assert log.count("out of file descriptors") <= 2, log[-2000:]
    assert "Traceback" not in log, log[-2000:]

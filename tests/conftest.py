"""Shared fixtures: a real relay process on a free loopback port, and raw socket helpers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pytest
import requests
import websocket

from overshoulder.core.protocol import PROTOCOL_VERSION

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@dataclass
class RelayProcess:
    """A relay started as its own process, as a studio would run it."""

    data_dir: Path
    port: int = 0
    proc: Optional[subprocess.Popen[str]] = None
    log_path: Optional[Path] = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def media_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/media"

    @property
    def admin_key(self) -> str:
        return (self.data_dir / "admin.key").read_text().strip()

    def start(self) -> RelayProcess:
        """Start (or restart on the same port and data dir) and wait until it listens."""
        self.log_path = self.data_dir.parent / f"relay-{self.data_dir.name}.log"
        logf = open(self.log_path, "a")  # noqa: SIM115 - the process owns it
        cmd = [
            sys.executable,
            "-m",
            "overshoulder.relay",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=logf,
            text=True,
            env=env,
            cwd=str(self.data_dir.parent),
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"relay exited: {self.log_text()}")
                continue
            m = re.search(r"listening on https?://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            raise RuntimeError("relay did not start in time")
        # Wait for the API to answer.
        for _ in range(100):
            try:
                if requests.get(self.url + "/api/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("relay did not answer /api/health")

    def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text() if self.log_path and self.log_path.exists() else ""

    # --- API helpers ---------------------------------------------------------------

    def create_session(self, name: str = "Shot 010 comp", host_name: str = "Mia") -> dict[str, Any]:
        r = requests.post(
            self.url + "/api/sessions", json={"name": name, "host_name": host_name}, timeout=5
        )
        r.raise_for_status()
        return r.json()

    def invite(
        self,
        session_id: str,
        role: str = "reviewer",
        expires: str = "1h",
        name: Optional[str] = None,
    ) -> str:
        body: dict[str, Any] = {"role": role, "expires": expires}
        if name:
            body["name"] = name
        r = requests.post(
            f"{self.url}/api/sessions/{session_id}/invites",
            json=body,
            headers={"Authorization": f"Bearer {self.admin_key}"},
            timeout=5,
        )
        r.raise_for_status()
        return str(r.json()["token"])

    def events(self, session_id: str, since: int = 0) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while True:
            r = requests.get(
                f"{self.url}/api/sessions/{session_id}/events",
                params={"since": since},
                headers={"Authorization": f"Bearer {self.admin_key}"},
                timeout=10,
            )
            r.raise_for_status()
            body = r.json()
            out.extend(body["events"])
            since = body["next"]
            if not body["more"]:
                return out


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[RelayProcess]:
    proc = RelayProcess(tmp_path / "relay-data").start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def session(relay: RelayProcess) -> dict[str, Any]:
    """A new session on ``relay``: its info and the host's token, as the API returns them."""
    return dict(relay.create_session())


class RawClient:
    """A bare protocol speaker on a real socket, for testing the relay's edges."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.ws = websocket.create_connection(url, timeout=timeout, enable_multithread=True)
        self.seen: list[dict[str, Any]] = []

    def send(self, mtype: str, data: Any = None, **env: Any) -> None:
        msg = {"v": 1, "type": mtype, "data": data or {}, **env}
        self.ws.send(json.dumps(msg))

    def send_raw(self, text: str) -> None:
        self.ws.send(text)

    def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        self.ws.settimeout(timeout)
        op, data = self.ws.recv_data()
        if op == websocket.ABNF.OPCODE_CLOSE:
            raise ConnectionError(f"closed: {data[:2].hex()} {data[2:].decode(errors='replace')}")
        msg = json.loads(data)
        self.seen.append(msg)
        return msg

    def expect(self, mtype: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
        """The next message of ``mtype`` (whose data has ``match``), skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [m["type"] for m in self.seen[-10:]]
                raise AssertionError(f"no {mtype} {match} within {timeout}s; saw {seen}")
            msg = self.recv(left)
            if msg["type"] == mtype and all(msg["data"].get(k) == v for k, v in match.items()):
                return msg

    def join(
        self, token: str, name: str, since: Optional[int] = None, client_id: Optional[str] = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "protocol": PROTOCOL_VERSION,
            "token": token,
            "name": name,
            "client": "test",
        }
        if since is not None:
            data["since"] = since
        if client_id:
            data["client_id"] = client_id
        self.send("hello", data)
        welcome = self.expect("welcome")
        return welcome

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


@pytest.fixture
def raw(relay: RelayProcess) -> Iterator[Any]:
    made: list[RawClient] = []

    def connect(url: Optional[str] = None) -> RawClient:
        c = RawClient(url or relay.ws_url)
        made.append(c)
        return c

    yield connect
    for c in made:
        c.close()

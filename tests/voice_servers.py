"""A real coturn (``/usr/bin/turnserver``) for voice tests, on a free loopback port.

``Coturn(tmp_dir).start()`` writes a config (TURN REST API credentials with a
static secret, no TLS, no CLI, listening and relaying on 127.0.0.1, loopback
peers allowed), starts the server and waits until it answers a STUN binding
request; ``stop()`` ends it. ``turn_credentials`` mints a username and password
the way coturn checks them (and the relay hands them out), so a test can check
the server without the relay.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

TURNSERVER = Path("/usr/bin/turnserver")
STUN_MAGIC = 0x2112A442


def turn_credentials(secret: str, participant: str, ttl_s: int = 3600) -> tuple[str, str]:
    """(username, credential) of the TURN REST API: ``"<unix expiry>:<id>"`` and
    base64(HMAC-SHA1(secret, username))."""
    username = f"{int(time.time()) + ttl_s}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise OSError("no port free for both UDP and TCP on 127.0.0.1")


def stun_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """True when a STUN binding request to ``host:port`` (UDP) gets its success response."""
    txid = secrets.token_bytes(12)
    request = struct.pack(">HHI", 0x0001, 0, STUN_MAGIC) + txid
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(request, (host, port))
            reply, _ = sock.recvfrom(2048)
        except OSError:
            return False
    return len(reply) >= 20 and reply[:2] == b"\x01\x01" and reply[8:20] == txid


@dataclass
class Coturn:
    """coturn with ``use-auth-secret`` on 127.0.0.1; its files live in ``work_dir``."""

    work_dir: Path
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    realm: str = "overshoulder.test"
    port: int = 0
    #: UDP ports coturn relays from (one allocation per ICE candidate of each page).
    min_port: int = 0
    max_port: int = 0
    proc: Optional[subprocess.Popen[bytes]] = None

    @staticmethod
    def missing() -> Optional[str]:
        """Why coturn cannot run here, or None."""
        if not TURNSERVER.exists():
            return f"{TURNSERVER} is missing (apt-get install coturn)"
        return None

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "turnserver.log"

    def config(self) -> str:
        return "\n".join(
            [
                f"listening-port={self.port}",
                "listening-ip=127.0.0.1",
                "relay-ip=127.0.0.1",
                f"min-port={self.min_port}",
                f"max-port={self.max_port}",
                "use-auth-secret",
                f"static-auth-secret={self.secret}",
                f"realm={self.realm}",
                "fingerprint",
                "no-tls",
                "no-dtls",
                "no-cli",
                "no-tcp-relay",
                # The pages' relayed addresses are coturn's own, on 127.0.0.1.
                "allow-loopback-peers",
                "no-multicast-peers",
                f"userdb={self.work_dir / 'turndb'}",
                f"pidfile={self.work_dir / 'turnserver.pid'}",
                f"log-file={self.log_path}",
                "simple-log",
                "no-stdout-log",
                "verbose",
                "",
            ]
        )

    def start(self, timeout: float = 10.0) -> Coturn:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        if not self.min_port:
            # A range of its own per server, away from the kernel's ephemeral ports.
            base = 20000 + (os.getpid() * 64 + self.port) % 9000
            self.min_port, self.max_port = base, base + 63
        conf = self.work_dir / "turnserver.conf"
        conf.write_text(self.config(), encoding="utf-8")
        self.proc = subprocess.Popen(
            [str(TURNSERVER), "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=str(self.work_dir),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnserver exited ({self.proc.returncode}): {self.log_tail()}")
            if stun_answers(self.port):
                return self
        self.stop()
        raise RuntimeError(f"turnserver did not answer on UDP {self.port}: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def log_text(self) -> str:
        # simple-log still appends the date to the name on some builds.
        logs = sorted(self.work_dir.glob("turnserver*.log"))
        return "".join(p.read_text(errors="replace") for p in logs)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def allocations(self) -> int:
        """How many TURN allocations coturn logged as made (success responses)."""
        return self.log_text().count("ALLOCATE processed, success")

    def __enter__(self) -> Coturn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

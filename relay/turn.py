"""The STUN and TURN servers a voice member is given, with TURN credentials of its own.

A studio's TURN server is coturn with ``use-auth-secret``: it shares one secret with the
relay and accepts any credential made from it that has not expired (coturn's "TURN REST
API"). For each voice member the relay makes

- username: ``"<unix expiry>:<participant id>"``;
- credential: base64(HMAC-SHA1(secret, username)),

and hands them out only in ``voice_welcome``, to a participant whose hello proved its token.
No secret leaves the relay; a credential is good until its expiry (a few hours at most, and
never past the participant's token) and names who it was for (coturn logs the username of
each allocation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from overshoulder.core.protocol.messages import IceServer

#: The longest a TURN credential stays good; never past the member's token either. Every
#: ``voice_join`` gets a fresh one (a long call joins again on each reconnect), and coturn
#: checks the expiry only when an allocation is made: one already open keeps refreshing
#: with it until it closes.
TURN_CREDENTIAL_S = 4 * 3600
#: URL schemes of the browser's ``RTCIceServer.urls``.
STUN_SCHEMES = ("stun:", "stuns:")
TURN_SCHEMES = ("turn:", "turns:")


def turn_credentials(
    secret: str, participant: str, ttl_s: float = TURN_CREDENTIAL_S, now: Optional[float] = None
) -> tuple[str, str]:
    """(username, credential) coturn's ``use-auth-secret`` accepts until ``now + ttl_s``."""
    expiry = int((time.time() if now is None else now) + ttl_s)
    username = f"{expiry}:{participant}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def check_ice_url(url: str, schemes: Sequence[str], option: str) -> str:
    """``url`` if it is a STUN/TURN URL of one of ``schemes``; else ``ValueError`` naming it."""
    if not url.startswith(tuple(schemes)) or len(url) > 512 or any(c.isspace() for c in url):
        raise ValueError(
            f"{option} {url!r} is not a {' or '.join(s.rstrip(':') for s in schemes)} URL "
            f"(e.g. {schemes[0]}turn.example.com:3478)"
        )
    host = url.split(":", 1)[1].split("?", 1)[0]
    if not host or host.startswith("/"):
        raise ValueError(f"{option} {url!r} names no host (write {schemes[0]}host:port)")
    return url


def read_secret(path: Path) -> str:
    """The shared secret in ``path`` (coturn's ``static-auth-secret``), its spaces trimmed.

    ``ValueError`` names the file and what is wrong with it."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(
            f"--turn-secret-file {path}: cannot be read ({exc.strerror or exc})"
        ) from None
    try:
        secret = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValueError(f"--turn-secret-file {path}: is not text") from None
    if not secret:
        raise ValueError(
            f"--turn-secret-file {path}: is empty; put coturn's static-auth-secret in it"
        )
    if any(c.isspace() for c in secret):
        raise ValueError(
            f"--turn-secret-file {path}: holds more than one word; it must hold only the secret"
        )
    return secret


@dataclass(frozen=True)
class IceConfig:
    """The relay's STUN and TURN servers (its ``--stun-url``, ``--turn-url`` and secret)."""

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: Optional[str] = None
    ttl_s: float = TURN_CREDENTIAL_S

    def __post_init__(self) -> None:
        for url in self.stun_urls:
            check_ice_url(url, STUN_SCHEMES, "--stun-url")
        for url in self.turn_urls:
            check_ice_url(url, TURN_SCHEMES, "--turn-url")
        if self.turn_urls and not self.turn_secret:
            raise ValueError(
                "--turn-url needs --turn-secret-file (the static-auth-secret the TURN server "
                "was started with), so the relay can give each voice member credentials"
            )

    def ice_servers(
        self, participant: str, now: Optional[float] = None, until: Optional[float] = None
    ) -> list[IceServer]:
        """What ``voice_welcome`` hands ``participant``: STUN, and TURN with a credential of
        its own, good for ``ttl_s`` at most and never past ``until`` (unix time: when the
        participant's token expires). A participant whose token has expired gets no TURN."""
        now = time.time() if now is None else now
        ttl = self.ttl_s if until is None else min(self.ttl_s, until - now)
        servers: list[IceServer] = []
        if self.stun_urls:
            servers.append(IceServer(urls=list(self.stun_urls)))
        if self.turn_urls and self.turn_secret and ttl >= 1:
            username, credential = turn_credentials(self.turn_secret, participant, ttl, now)
            servers.append(
                IceServer(urls=list(self.turn_urls), username=username, credential=credential)
            )
        return servers

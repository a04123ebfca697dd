"""Signed, expiring tokens: invites (session + role) and media tickets.

A token is ``os1.<payload>.<signature>``: the payload is base64url JSON, the
signature an HMAC-SHA256 of ``os1.<payload>`` with the relay's secret. The
relay alone holds the secret (``secret.key`` in the data dir), so the role
inside a token is the relay's word, not the sender's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any, Optional, cast

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.model import ROLES, Role

PREFIX = "os1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    """What a valid token says."""

    session: str
    role: Role
    expires: float
    kind: str = "invite"
    name: Optional[str] = None
    participant: Optional[str] = None
    nonce: str = ""
    #: How many people may be in the session at once through this link (None: the
    #: relay's default, ``Limits.seats_per_link``).
    seats: Optional[int] = None


class TokenSigner:
    """Issues and checks tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the token secret must be at least 32 bytes")
        self._secret = secret

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    def issue(
        self,
        session: str,
        role: str,
        expires_in: float,
        *,
        kind: str = "invite",
        name: Optional[str] = None,
        participant: Optional[str] = None,
        seats: Optional[int] = None,
        now: Optional[float] = None,
    ) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        if expires_in <= 0:
            raise ValueError("a token must expire in the future")
        payload: dict[str, Any] = {
            "s": session,
            "r": role,
            "k": kind,
            "exp": int((now if now is not None else time.time()) + expires_in),
            "n": secrets.token_urlsafe(6),
        }
        if name:
            payload["nm"] = name
        if participant:
            payload["p"] = participant
        if seats is not None:
            payload["st"] = int(seats)
        body = f"{PREFIX}.{_b64(json.dumps(payload, separators=(',', ':')).encode())}"
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str, *, kind: str = "invite", now: Optional[float] = None) -> Claims:
        """The token's claims, or ``ProtocolError`` saying plainly what is wrong."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED, "the link's token is malformed (not an Overshoulder token)"
            )
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._sign(body), parts[2]):
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED,
                "the link's token has been altered or was made by another relay",
            )
        try:
            payload = json.loads(_unb64(parts[1]))
            claims = Claims(
                session=str(payload["s"]),
                role=cast(Role, str(payload["r"])),
                expires=float(payload["exp"]),
                kind=str(payload.get("k", "invite")),
                name=payload.get("nm"),
                participant=payload.get("p"),
                nonce=str(payload.get("n", "")),
                seats=None if payload.get("st") is None else int(payload["st"]),
            )
        except (ValueError, KeyError, TypeError):
            raise ProtocolError(ErrorCode.UNAUTHORIZED, "the link's token is malformed") from None
        if claims.kind != kind:
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED, f"a {claims.kind} token cannot be used as a {kind} token"
            )
        if claims.role not in ROLES:
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED, f"the token's role {claims.role!r} is unknown"
            )
        current = now if now is not None else time.time()
        if claims.expires < current:
            ago = _human(current - claims.expires)
            raise ProtocolError(
                ErrorCode.TOKEN_EXPIRED,
                f"this link expired {ago} ago; ask the host for a new one",
            )
        return claims


def _human(seconds: float) -> str:
    seconds = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

"""Invite links and tokens as people paste them: ``{base}/s/{sid}#t={token}`` or the bare token.

The token's claims (session, role, a fixed name) are read without checking the
signature: only the relay can check it, and it does when the client joins.
No Qt here.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import parse_qs, urlsplit

#: The shape of a relay token: ``os1.<payload>.<signature>`` (docs/protocol.md, Tokens).
_TOKEN = re.compile(r"^os1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
_SESSION_PATH = re.compile(r"^(?P<prefix>.*)/s/(?P<sid>[A-Za-z0-9_-]+)/?$")


class LinkError(ValueError):
    """What was pasted is not a usable invite; the message says what is wrong with it."""


@dataclass(frozen=True)
class Invite:
    """What joining needs: the relay's address, the token, and what the token says."""

    relay: str
    token: str
    session_id: Optional[str] = None
    role: Optional[str] = None
    name: Optional[str] = None


def normalise_relay(text: str) -> str:
    """``host:port`` or a URL as typed -> ``http(s)://host:port`` (no trailing slash)."""
    url = text.strip()
    if not url:
        raise LinkError("the relay address is empty: type one, e.g. http://relay.studio:8770")
    if "://" not in url:
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(f"relay address {text.strip()!r} must look like http://host:port")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def claims(token: str) -> dict[str, Any]:
    """The token's payload (unverified); {} when it cannot be read."""
    try:
        part = token.split(".")[1]
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        data = json.loads(raw)
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def parse_invite(text: str, relay: Optional[str] = None) -> Invite:
    """An ``Invite`` from a pasted link or token; a bare token joins ``relay``.

    Raises ``LinkError`` naming what is wrong (empty, not a link, no token in it).
    """
    pasted = text.strip()
    if not pasted:
        raise LinkError("paste an invite link (http://.../s/...#t=...) or a token first")
    if _TOKEN.match(pasted):
        if not relay:
            raise LinkError("a bare token needs the relay address: fill in the relay field")
        return _invite(normalise_relay(relay), pasted)
    parts = urlsplit(pasted)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(
            f"{_short(pasted)} is not an invite link or token "
            "(a link looks like http://host:port/s/SESSION#t=TOKEN)"
        )
    m = _SESSION_PATH.match(parts.path)
    if not m:
        raise LinkError(f"{_short(pasted)} is not an invite link: it names no session (/s/...)")
    token = (parse_qs(parts.fragment).get("t") or [""])[0].strip()
    if not token:
        raise LinkError(f"{_short(pasted)} has no token (#t=...): copy the whole link")
    if not _TOKEN.match(token):
        raise LinkError("the link's token is damaged: copy the whole link again")
    invite = _invite(f"{parts.scheme}://{parts.netloc}{m.group('prefix')}", token)
    if invite.session_id is not None and invite.session_id != m.group("sid"):
        raise LinkError("the link's token is for another session than the link names")
    return invite


def _invite(relay: str, token: str) -> Invite:
    c = claims(token)
    sid, role, name = c.get("s"), c.get("r"), c.get("nm")
    return Invite(
        relay=relay,
        token=token,
        session_id=sid if isinstance(sid, str) else None,
        role=role if isinstance(role, str) else None,
        name=name if isinstance(name, str) else None,
    )


def _short(text: str, most: int = 60) -> str:
    return repr(text if len(text) <= most else text[: most - 1] + "…")

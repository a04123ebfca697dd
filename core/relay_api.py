"""The relay's HTTP API as the panel uses it: list sessions, make one, make an invite, and
fetch the image a note was drawn on.

Plain blocking calls (``requests``): the panel runs them on worker threads and
never on the UI thread. Every failure is a ``RelayError`` whose message names
the relay and what went wrong. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn, Optional
from urllib.parse import quote

import requests

from .model import SessionInfo

#: Seconds to wait for the relay to connect, then to answer one call.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0


class RelayError(Exception):
    """A relay call failed; ``str()`` is a line for the panel."""


@dataclass(frozen=True)
class CreatedSession:
    """A new session and the host's token for it."""

    session: SessionInfo
    host_token: str
    host_link: Optional[str]
    expires_at: Optional[float]


@dataclass(frozen=True)
class InviteLink:
    link: str
    token: str
    role: str
    expires_at: Optional[float]


def list_sessions(relay: str) -> list[SessionInfo]:
    """The relay's open sessions, newest first."""
    body = _call("GET", relay, "/api/sessions")
    found = body.get("sessions")
    if not isinstance(found, list):
        raise RelayError(f"the relay at {relay} answered without a session list")
    return [s for s in (_session(item) for item in found) if s is not None]


def create_session(relay: str, name: str, host_name: str) -> CreatedSession:
    """Make a session; the answer carries the host token."""
    body = _call("POST", relay, "/api/sessions", json_body={"name": name, "host_name": host_name})
    session = _session(body.get("session"))
    token = body.get("host_token")
    if session is None or not isinstance(token, str):
        raise RelayError(f"the relay at {relay} answered without a session and host token")
    link = body.get("host_link")
    expires = body.get("expires_at")
    return CreatedSession(
        session=session,
        host_token=token,
        host_link=link if isinstance(link, str) else None,
        expires_at=float(expires) if isinstance(expires, (int, float)) else None,
    )


def make_invite(
    relay: str, session_id: str, host_token: str, role: str, expires: str = "8h"
) -> InviteLink:
    """An invite link for ``role`` (reviewer or viewer), made with the host's token."""
    body = _call(
        "POST",
        relay,
        f"/api/sessions/{quote(session_id, safe='')}/invites",
        json_body={"role": role, "expires": expires},
        key=host_token,
    )
    link, token = body.get("link"), body.get("token")
    if not isinstance(link, str) or not isinstance(token, str):
        raise RelayError(f"the relay at {relay} answered without an invite link")
    expires_at = body.get("expires_at")
    return InviteLink(
        link=link,
        token=token,
        role=str(body.get("role", role)),
        expires_at=float(expires_at) if isinstance(expires_at, (int, float)) else None,
    )


@dataclass(frozen=True)
class FrameImage:
    """An image the relay keeps (the one a note was drawn on): its bytes and their type."""

    data: bytes
    content_type: str


#: The most bytes a kept frame may have (a 4K PNG is well under it).
MAX_FRAME_BYTES = 64 * 1024 * 1024


def fetch_frame(relay: str, session_id: str, digest: str, token: str) -> FrameImage:
    """``GET /api/sessions/{id}/frames/{hash}`` with a token of the session (any role)."""
    path = f"/api/sessions/{quote(session_id, safe='')}/frames/{quote(digest, safe='')}"
    response = _request("GET", relay, path, key=token, stream=True)
    with response:
        if response.status_code >= 400:
            _refused(relay, response)
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(1 << 16):
                total += len(chunk)
                if total > MAX_FRAME_BYTES:
                    raise RelayError(
                        f"the image {digest} from {relay} is larger than {MAX_FRAME_BYTES} bytes"
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise RelayError(f"the image {digest} from {relay} was cut short: {exc}") from None
    data = b"".join(chunks)
    ctype = str(response.headers.get("Content-Type") or "application/octet-stream")
    return FrameImage(data=data, content_type=ctype.split(";")[0].strip())


def _request(
    method: str,
    relay: str,
    path: str,
    *,
    json_body: Optional[dict[str, Any]] = None,
    key: Optional[str] = None,
    stream: bool = False,
) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        return requests.request(
            method,
            relay + path,
            json=json_body,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
            stream=stream,
        )
    except requests.exceptions.Timeout:
        raise RelayError(f"the relay at {relay} did not answer in time") from None
    except requests.exceptions.ConnectionError:
        raise RelayError(f"cannot reach a relay at {relay}: is the address right?") from None
    except requests.exceptions.RequestException as exc:
        raise RelayError(f"the request to {relay} failed: {exc}") from None


def _refused(relay: str, response: requests.Response) -> NoReturn:
    """Raise the RelayError an answer of 400 or more means."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or f"HTTP {response.status_code}").rstrip(".")
        raise RelayError(f"the relay at {relay} refused: {message} ({error.get('code')})")
    raise RelayError(f"the relay at {relay} answered HTTP {response.status_code}")


def _call(
    method: str,
    relay: str,
    path: str,
    *,
    json_body: Optional[dict[str, Any]] = None,
    key: Optional[str] = None,
) -> dict[str, Any]:
    response = _request(method, relay, path, json_body=json_body, key=key)
    if response.status_code >= 400:
        _refused(relay, response)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RelayError(f"{relay} answered without JSON: is it an Overshoulder relay?")
    return body


def _session(item: Any) -> Optional[SessionInfo]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    created = item.get("created")
    host = item.get("host_name")
    people = item.get("participants")
    return SessionInfo(
        id=item["id"],
        name=str(item.get("name") or ""),
        created=float(created) if isinstance(created, (int, float)) else 0.0,
        host_name=host if isinstance(host, str) else None,
        participants=people if isinstance(people, int) else 0,
        closed=bool(item.get("closed")),
    )

"""The relay's HTTP API, for every caller in the suite: the panel, the player, the demo and
the ``overshoulder`` command.

One place makes a request (``_request``) and one turns what went wrong into a
``RelayError`` whose message names the relay and what to do: no answer
(``RelayUnreachable``: a connection that failed or timed out), a refusal
(``RelayRefused``: HTTP 400 or more, with the relay's error code) or an answer that
is not the relay's JSON. On top of that: the calls, as typed results
(``list_sessions``, ``create_session``, ``make_invite``, ``fetch_frame``,
``upload_voice_note``, ``fetch_voice_note``) and, for
a caller that shows the relay's answer as it is, as JSON (``session_list``,
``invite``).

Plain blocking calls (``requests``): the panel runs them on worker threads and
never on the UI thread. No Qt here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NoReturn, Optional
from urllib.parse import quote

import requests

from .errors import ProtocolError
from .model import AudioClip, SessionInfo
from .schema import decode

#: Seconds to wait for the relay to connect, then to answer one call.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0


class RelayError(Exception):
    """A relay call failed; ``str()`` is one line that says what to do about it."""

    def __init__(self, message: str, relay: str = "") -> None:
        super().__init__(message)
        #: The relay's address, as the call was given it.
        self.relay = relay


class RelayUnreachable(RelayError):
    """No answer: the connection failed or the relay did not answer in time."""


class RelayRefused(RelayError):
    """The relay answered HTTP 400 or more."""

    def __init__(self, message: str, relay: str, status: int, code: Optional[str]) -> None:
        super().__init__(message, relay)
        self.status = status
        #: The relay's error code (``not_found``, ``unauthorized``...), None when it sent none.
        self.code = code


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


def health(relay: str, timeout_s: float = 1.0) -> bool:
    """Whether the relay answers its health check within ``timeout_s`` (never raises)."""
    try:
        return requests.get(relay + "/api/health", timeout=timeout_s).ok
    except requests.exceptions.RequestException:
        return False


def session_list(relay: str, *, include_closed: bool = False) -> list[Any]:
    """The relay's sessions, newest first, as the relay sends them (closed ones too if asked)."""
    params = {"all": "1"} if include_closed else None
    found = _call("GET", relay, "/api/sessions", params=params).get("sessions")
    if not isinstance(found, list):
        raise RelayError(f"the relay at {relay} answered without a session list", relay)
    return found


def list_sessions(relay: str, *, include_closed: bool = False) -> list[SessionInfo]:
    """The relay's open sessions (closed ones too if asked), newest first."""
    found = session_list(relay, include_closed=include_closed)
    return [_session(relay, item, f"sessions[{i}]") for i, item in enumerate(found)]


def create_session(relay: str, name: str, host_name: str) -> CreatedSession:
    """Make a session; the answer carries the host token."""
    body = _call("POST", relay, "/api/sessions", json_body={"name": name, "host_name": host_name})
    token = body.get("host_token")
    if not isinstance(body.get("session"), dict) or not isinstance(token, str):
        raise RelayError(f"the relay at {relay} answered without a session and host token", relay)
    session = _session(relay, body["session"], "session")
    link = body.get("host_link")
    return CreatedSession(
        session=session,
        host_token=token,
        host_link=link if isinstance(link, str) else None,
        expires_at=_time(body.get("expires_at")),
    )


def invite(
    relay: str,
    session_id: str,
    key: str,
    role: str,
    expires: str = "8h",
    *,
    name: Optional[str] = None,
    seats: Optional[int] = None,
) -> dict[str, Any]:
    """``POST /api/sessions/{id}/invites`` with the host's token or the admin key: the
    relay's answer (``link``, ``token``, ``role``, ``session``, ``expires_at``)."""
    request: dict[str, Any] = {"role": role, "expires": expires}
    if name:
        request["name"] = name
    if seats is not None:
        request["seats"] = seats
    path = f"/api/sessions/{quote(session_id, safe='')}/invites"
    body = _call("POST", relay, path, json_body=request, key=key)
    if not isinstance(body.get("link"), str) or not isinstance(body.get("token"), str):
        raise RelayError(f"the relay at {relay} answered without an invite link", relay)
    return body


def make_invite(
    relay: str, session_id: str, host_token: str, role: str, expires: str = "8h"
) -> InviteLink:
    """An invite link for ``role`` (reviewer or viewer), made with the host's token."""
    body = invite(relay, session_id, host_token, role, expires)
    return InviteLink(
        link=body["link"],
        token=body["token"],
        role=str(body.get("role", role)),
        expires_at=_time(body.get("expires_at")),
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
    data, ctype = _download(relay, path, token, f"the image {digest}", MAX_FRAME_BYTES)
    return FrameImage(data=data, content_type=ctype)


#: The most bytes a voice note's recording may have when fetched (the relay keeps 1 MiB).
MAX_VOICE_NOTE_BYTES = 16 * 1024 * 1024


def upload_voice_note(
    relay: str, session_id: str, token: str, data: bytes, mime: str = "audio/webm"
) -> AudioClip:
    """``POST /api/sessions/{id}/voice-notes`` with a host's or reviewer's token: the relay
    checks and measures the recording (Opus in WebM or Ogg) and answers the clip a note's
    ``audio`` then names."""
    path = f"/api/sessions/{quote(session_id, safe='')}/voice-notes"
    body = _call("POST", relay, path, key=token, data=data, content_type=mime)
    try:
        return decode(AudioClip, body.get("clip"), "clip")
    except ProtocolError as exc:
        raise RelayError(
            f"the relay at {relay} answered with a clip that does not fit: {exc.message}", relay
        ) from None


def fetch_voice_note(relay: str, session_id: str, clip_id: str, token: str) -> bytes:
    """``GET /api/sessions/{id}/voice-notes/{clip}`` with a token of the session (any role):
    the recording's bytes, checked against the hash that names them."""
    path = f"/api/sessions/{quote(session_id, safe='')}/voice-notes/{quote(clip_id, safe='')}"
    what = f"the voice note {clip_id}"
    data, _ = _download(relay, path, token, what, MAX_VOICE_NOTE_BYTES)
    if hashlib.sha256(data).hexdigest() != clip_id:
        raise RelayError(f"{what} from {relay} does not match its hash: damaged on the way", relay)
    return data


def _download(relay: str, path: str, token: str, what: str, most: int) -> tuple[bytes, str]:
    """The bytes of a GET (at most ``most``) and their content type."""
    response = _request("GET", relay, path, key=token, stream=True)
    with response:
        if response.status_code >= 400:
            _refused(relay, response)
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(1 << 16):
                total += len(chunk)
                if total > most:
                    raise RelayError(f"{what} from {relay} is larger than {most} bytes", relay)
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise RelayError(f"{what} from {relay} was cut short: {exc}", relay) from None
    ctype = str(response.headers.get("Content-Type") or "application/octet-stream")
    return b"".join(chunks), ctype.split(";")[0].strip()


# --- the one request ---------------------------------------------------------------------------


def _request(
    method: str,
    relay: str,
    path: str,
    *,
    params: Optional[dict[str, str]] = None,
    json_body: Optional[dict[str, Any]] = None,
    key: Optional[str] = None,
    stream: bool = False,
    data: Optional[bytes] = None,
    content_type: Optional[str] = None,
) -> requests.Response:
    """Send one request (a JSON body, or ``data`` of ``content_type``); no answer at all is a
    ``RelayUnreachable``."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        return requests.request(
            method,
            relay + path,
            params=params,
            json=json_body,
            data=data,
            headers=headers,
            timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
            stream=stream,
        )
    except requests.exceptions.ConnectTimeout:
        raise RelayUnreachable(
            f"cannot reach a relay at {relay} within {CONNECT_TIMEOUT_S:g} s: "
            "is the address right, and is it running?",
            relay,
        ) from None
    except requests.exceptions.Timeout:
        raise RelayUnreachable(
            f"the relay at {relay} did not answer within {READ_TIMEOUT_S:g} s; try again",
            relay,
        ) from None
    except requests.exceptions.ConnectionError:
        raise RelayUnreachable(
            f"cannot reach a relay at {relay}: is the address right, and is it running?", relay
        ) from None
    except requests.exceptions.RequestException as exc:
        raise RelayError(f"the request to {relay} failed: {exc}", relay) from None


def _refused(relay: str, response: requests.Response) -> NoReturn:
    """Raise the ``RelayRefused`` an answer of 400 or more means."""
    status = response.status_code
    error = _json(response)
    error = error.get("error") if isinstance(error, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or "error")
        message = str(error.get("message") or "").rstrip(".") or f"HTTP {status}"
        raise RelayRefused(f"the relay at {relay} refused: {message} ({code})", relay, status, code)
    said = f"HTTP {status} {response.reason or ''}".rstrip()
    raise RelayRefused(f"the relay at {relay} answered {said}", relay, status, None)


def _call(method: str, relay: str, path: str, **options: Any) -> dict[str, Any]:
    """One JSON call (``options``: ``params``, ``json_body``, ``key``, ``data``, as
    ``_request`` takes them): the answer's object, or a ``RelayError`` that says what went wrong."""
    response = _request(method, relay, path, **options)
    if response.status_code >= 400:
        _refused(relay, response)
    body = _json(response)
    if not isinstance(body, dict):
        raise RelayError(
            f"{relay} answered HTTP {response.status_code} without JSON: "
            "is it an Overshoulder relay?",
            relay,
        )
    return body


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _time(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) else None


def _session(relay: str, item: Any, path: str) -> SessionInfo:
    """A session of the relay's answer (``messages.session_json``), typed; a ``RelayError``
    naming the field that does not fit."""
    try:
        return decode(SessionInfo, item, path)
    except ProtocolError as exc:
        raise RelayError(
            f"the relay at {relay} answered with a session that does not fit: {exc.message}",
            relay,
        ) from None

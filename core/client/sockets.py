"""The relay's socket addresses, and opening and closing WebSocket connections to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

import websocket

from . import timeouts


def control_url(relay_url: str) -> str:
    """The control socket's URL for a relay's http(s):// (or ws(s)://) address."""
    return _socket_url(relay_url, "/ws")


def media_url(relay_url: str) -> str:
    """The media socket's URL for a relay's http(s):// (or ws(s)://) address."""
    return _socket_url(relay_url, "/ws/media")


def _socket_url(relay_url: str, path: str) -> str:
    parts = urlsplit(relay_url.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(
            f"relay URL {relay_url!r} must look like http://host:port or https://host/path"
        )
    base = parts.path.rstrip("/")
    for suffix in ("/ws/media", "/ws"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return urlunsplit((scheme, parts.netloc, base + path, "", ""))


def open_socket(url: str) -> websocket.WebSocket:
    """Connect to ``url``; raises ``OSError`` or ``websocket.WebSocketException``."""
    return websocket.create_connection(
        url,
        timeout=timeouts.CONNECT_TIMEOUT_S,
        enable_multithread=True,
        skip_utf8_validation=True,
    )


def abort(ws: Optional[websocket.WebSocket]) -> None:
    """Wake a thread blocked on ``ws`` (its recv/send fails) without waiting for anything."""
    sock = getattr(ws, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def close_quietly(ws: Optional[websocket.WebSocket]) -> None:
    """Close ``ws`` if there is one, ignoring whatever goes wrong."""
    if ws is not None:
        try:
            ws.shutdown()
        except Exception:
            pass


def close_reason(data: bytes) -> tuple[Optional[int], str]:
    """The code and reason of a close frame's payload (None, "" when it has none)."""
    if len(data) < 2:
        return None, ""
    return int.from_bytes(data[:2], "big"), data[2:].decode("utf-8", "replace")


def frames_while_alive(
    ws: websocket.WebSocket, closing: threading.Event
) -> Iterator[tuple[int, Any]]:
    """The socket's frames (control frames included) until ``closing`` is set.

    Pings a quiet socket and counts pongs as life: a host alone in a session, or
    one that only publishes, hears nothing else, and the relay does not ping a
    peer that talks. Raises ``WebSocketTimeoutException`` after RECV_TIMEOUT_S of
    silence, pongs included.
    """
    heard = time.monotonic()
    ws.settimeout(min(timeouts.PING_INTERVAL_S, timeouts.RECV_TIMEOUT_S))
    while not closing.is_set():
        try:
            opcode, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            if time.monotonic() - heard > timeouts.RECV_TIMEOUT_S:
                raise
            ws.ping()
            continue
        heard = time.monotonic()
        yield opcode, data

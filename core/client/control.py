"""The control socket: connecting and reconnecting, reading, and writing what is queued."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Optional, Union

import websocket

from . import timeouts
from .backoff import reconnect_delay
from .outgoing import SendQueue
from .protocol import SessionProtocol
from .sockets import abort, close_quietly, close_reason, frames_while_alive, open_socket

log = logging.getLogger("overshoulder.client")


class ControlLink:
    """One client's control socket, on two threads of its own (``run`` and ``write``).

    Everything it hears goes to the protocol under ``lock``; ``pump`` (called with the
    lock held) then queues what the protocol says to send and to deliver, and ``flush``
    (without it) hands the callbacks to the app. ``on_ticket`` is told of a new media
    ticket; ``voice`` (without the lock) calls the voice listeners, on this link's thread.
    """

    def __init__(
        self,
        url: str,
        relay_url: str,
        protocol: SessionProtocol,
        lock: threading.RLock,
        closing: threading.Event,
        queue: SendQueue,
        *,
        pump: Callable[[], None],
        flush: Callable[[], None],
        on_ticket: Callable[[], None],
        voice: Callable[[], None],
    ) -> None:
        self.url = url
        self.relay_url = relay_url
        self.ws: Optional[websocket.WebSocket] = None
        self._protocol = protocol
        self._lock = lock
        self._closing = closing
        self._queue = queue
        self._pump = pump
        self._flush = flush
        self._on_ticket = on_ticket
        self._voice = voice

    def write(self) -> None:
        """The writer thread: send what is queued in order, ping a quiet socket, retry."""
        last_sent = time.monotonic()
        while not self._closing.is_set() or len(self._queue):
            wait = timeouts.PING_INTERVAL_S - (time.monotonic() - last_sent)
            with self._lock:
                due = self._protocol.deadline()
            if due is not None:
                wait = min(wait, due - time.monotonic())
            item = self._queue.get(max(0.0, wait))
            with self._lock:
                self._protocol.tick(time.monotonic())
                self._pump()
                ws, gen = self.ws, self._protocol.gen
            if item is None:
                if self._closing.is_set():
                    return
                if ws is not None and time.monotonic() - last_sent >= timeouts.PING_INTERVAL_S:
                    try:
                        ws.ping()
                    except Exception as exc:
                        log.debug("ping failed: %s", exc)
                        abort(ws)
                    last_sent = time.monotonic()
                continue
            if item.gen != gen or ws is None:
                continue
            try:
                ws.send(item.text)
                if item.kind == "close":
                    ws.send_close(reason=b"closed")
            except Exception as exc:
                log.debug("send failed: %s", exc)
                abort(ws)
            last_sent = time.monotonic()
            if item.kind == "close":
                return

    def run(self) -> None:
        """The control thread: connect, read until the connection ends, back off, again."""
        attempt = 0
        protocol = self._protocol
        while not self._closing.is_set():
            opened = self._connect()
            if opened is not None:
                try:
                    self._read(*opened)
                except Exception:
                    log.exception("the control connection failed; reconnecting")
                    with self._lock:
                        protocol.connection_error("client error (see log)")
                if protocol.went_live:
                    attempt = 0
            with self._lock:
                protocol.connection_ended()
                self._pump()
            self._flush()
            if protocol.refusal is not None:
                return
            self._closing.wait(reconnect_delay(attempt))
            attempt += 1

    def _connect(self) -> Optional[tuple[websocket.WebSocket, int]]:
        with self._lock:
            hello = self._protocol.connect()
        try:
            ws = open_socket(self.url)
        except websocket.WebSocketBadStatusException as exc:
            status = exc.status_code
            message = f"the relay at {self.relay_url} answered HTTP {status} to the socket"
            with self._lock:
                self._protocol.connect_failed(message, status)
            return None
        except (OSError, websocket.WebSocketException) as exc:
            with self._lock:
                self._protocol.connect_failed(f"cannot reach the relay at {self.relay_url}: {exc}")
            return None
        try:
            ws.settimeout(timeouts.RECV_TIMEOUT_S)
            ws.send(hello.text)
        except (OSError, websocket.WebSocketException) as exc:
            close_quietly(ws)
            with self._lock:
                self._protocol.connection_error(f"could not say hello: {exc}")
            return None
        with self._lock:
            if self._closing.is_set():
                close_quietly(ws)
                return None
            self.ws = ws
        return ws, hello.gen

    def _read(self, ws: websocket.WebSocket, gen: int) -> None:
        protocol = self._protocol
        try:
            for opcode, data in frames_while_alive(ws, self._closing):
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    if not self._on_text(data, gen):
                        break
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    with self._lock:
                        protocol.close_frame(*close_reason(data))
                    break
        except websocket.WebSocketTimeoutException:
            with self._lock:
                protocol.connection_error(
                    f"nothing from the relay for {timeouts.RECV_TIMEOUT_S:.0f} s"
                )
        except (OSError, websocket.WebSocketException) as exc:
            if not self._closing.is_set():
                with self._lock:
                    protocol.connection_error(f"connection lost: {exc}")
        finally:
            with self._lock:
                if self.ws is ws:
                    self.ws = None
                protocol.connection_lost()
                self._queue.clear()
                self._pump()
            close_quietly(ws)
            self._flush()

    def _on_text(self, data: Union[bytes, str], gen: int) -> bool:
        """Handle one control message; False ends this connection."""
        protocol = self._protocol
        decoded = protocol.decode_text(data)  # outside the lock: a snapshot takes a while
        with self._lock:
            serial = protocol.ticket_serial
            keep = protocol.receive_decoded(data, decoded, gen, time.monotonic(), time.time())
            self._pump()
            if protocol.ticket_serial != serial:
                self._on_ticket()
        self._voice()
        self._flush()
        return keep

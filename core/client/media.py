"""The media socket: the newest frame out (never a queue), frames in to the listeners."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Optional

import websocket

from ..errors import ProtocolError
from ..protocol import Envelope, build, dumps, parse
from ..protocol.messages import Error, MediaHello
from ..protocol.packet import KIND_REF, FrameHeader, pack, unpack
from . import timeouts
from .backoff import reconnect_delay
from .frame_cache import FrameCache
from .listeners import Listeners
from .outgoing import FrameSlot, Payload
from .protocol import SessionProtocol
from .sockets import abort, close_quietly, close_reason, frames_while_alive, open_socket

log = logging.getLogger("overshoulder.client")


class MediaLink:
    """One client's media socket, opened with the ticket of the latest welcome.

    Runs on two threads of its own (``run`` and, when publishing, ``publish``); reads
    the protocol only under ``lock``. ``refused(error, serial)`` is told of a refused
    ticket, ``errors(envelope)`` of an error on the open socket, and ``ask(hash)`` asks
    the relay for a frame this side no longer keeps.
    """

    def __init__(
        self,
        url: str,
        protocol: SessionProtocol,
        lock: threading.RLock,
        closing: threading.Event,
        listeners: Listeners,
        *,
        publish: bool,
        receive: bool,
        cache: int,
        refused: Callable[[Error, int], None],
        errors: Callable[[Envelope], None],
        ask: Callable[[str], None],
    ) -> None:
        self.url = url
        self.publishing = publish
        self.receive = receive
        self.cache = FrameCache(cache)
        self.ws: Optional[websocket.WebSocket] = None
        self.wake = threading.Event()
        self.ready = threading.Event()
        self.slot = FrameSlot()
        self.last_published: Optional[tuple[FrameHeader, Payload]] = None
        self._protocol = protocol
        self._lock = lock
        self._closing = closing
        self._listeners = listeners
        self._refused = refused
        self._errors = errors
        self._ask = ask

    def stop(self) -> None:
        """Wake both threads so they see that the client is closing."""
        self.wake.set()
        self.ready.set()
        self.slot.wake()

    def _running(self) -> bool:
        return not self._closing.is_set() and self._protocol.refusal is None

    def run(self) -> None:
        """The media thread: connect with each new ticket, read until the socket ends."""
        attempt = 0
        while self._running():
            with self._lock:
                usable = self._protocol.usable_ticket()
            if usable is None:
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            try:
                ws = self._connect(*usable)
                if ws is not None:
                    attempt = 0
                    self._read(ws)
            except Exception:
                log.exception("the media connection failed; reconnecting")
            if self._closing.is_set():
                return
            self.wake.wait(reconnect_delay(attempt))
            self.wake.clear()
            attempt += 1

    def _connect(self, ticket: str, serial: int) -> Optional[websocket.WebSocket]:
        hello = build("media_hello", MediaHello(ticket=ticket, cache=self.cache.capacity))
        try:
            ws = open_socket(self.url)
        except (OSError, websocket.WebSocketException) as exc:
            log.info("media socket: cannot connect: %s", exc)
            return None
        try:
            ws.send(dumps(hello))
            opcode, data = ws.recv_data()
        except (OSError, websocket.WebSocketException) as exc:
            log.info("media socket: no answer to media_hello: %s", exc)
            close_quietly(ws)
            return None
        try:
            env = parse(data, direction="relay") if opcode == websocket.ABNF.OPCODE_TEXT else None
        except ProtocolError as exc:
            env = None
            log.warning("media socket: unreadable answer: %s", exc)
        if env is None or env.type != "media_welcome":
            close_quietly(ws)
            if env is not None and env.type == "error":
                self._refused(env.data, serial)
            return None
        ws.settimeout(timeouts.RECV_TIMEOUT_S)
        with self._lock:
            if self._closing.is_set():
                close_quietly(ws)
                return None
            self.ws = ws
            if self.publishing and self.last_published is not None:
                self.slot.put_back(self.last_published)
        self.ready.set()
        return ws

    def _read(self, ws: websocket.WebSocket) -> None:
        try:
            for opcode, data in frames_while_alive(ws, self._closing):
                if opcode == websocket.ABNF.OPCODE_BINARY:
                    if self.receive:
                        self._on_packet(data)
                elif opcode == websocket.ABNF.OPCODE_TEXT:
                    self._on_text(data)
                elif opcode == websocket.ABNF.OPCODE_CLOSE:
                    code, reason = close_reason(data)
                    log.info("media socket closed by the relay: %s %s", code, reason)
                    break
        except (OSError, websocket.WebSocketException) as exc:
            if not self._closing.is_set():
                log.info("media socket lost: %s", exc)
        finally:
            self.ready.clear()
            with self._lock:
                if self.ws is ws:
                    self.ws = None
            close_quietly(ws)

    def _on_text(self, data: bytes) -> None:
        try:
            env = parse(data, direction="relay")
        except ProtocolError as exc:
            log.warning("media socket: unreadable message: %s", exc)
            return
        if env.type == "error":
            self._errors(env)

    def _on_packet(self, data: bytes) -> None:
        try:
            header, view = unpack(data, self._protocol.limits)
        except ProtocolError as exc:
            log.warning("media socket: bad frame packet: %s", exc)
            return
        if header.kind == KIND_REF:
            payload = self.cache.recall(header.hash)
            if payload is None:
                # The relay thinks this frame is here, but it is not (any more): ask for it.
                self._ask(header.hash_hex)
                return
        else:
            payload = bytes(view)
            self.cache.remember(header.hash, payload)
        self._listeners.frame(header, payload)

    def publish(self) -> None:
        """The publisher thread: send the newest frame whenever the socket is up."""
        while self._running():
            if not self.ready.wait(0.5):
                continue
            item = self.slot.take(0.5)
            if item is None:
                continue
            with self._lock:
                ws = self.ws
            if ws is None:
                self.slot.put_back(item)
                continue
            try:
                ws.send_binary(pack(item[0], bytes(item[1])))
                self.last_published = item
            except Exception as exc:
                log.info("media socket: sending a frame failed: %s", exc)
                self.slot.put_back(item)
                abort(ws)

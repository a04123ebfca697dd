"""What stands between the listening socket and aiohttp: per-address limits and header timeouts.

aiohttp waits as long as a client likes for a request's headers, and accepts as many
connections from one address as it opens. A client trickling headers over a thousand
sockets therefore held every file descriptor the relay had. Each accepted connection's
protocol is wrapped here:

- more than ``max_connections_per_address`` open connections from one address: the new
  one is closed at once (logged once a minute per address);
- a connection that has not sent a whole request head (up to the blank line) within
  ``header_timeout_s`` is closed; once it has, aiohttp's own keep-alive and the
  WebSocket heartbeat take over.

Running out of descriptors is a state, not an error per connection: asyncio already stops
accepting for a moment when ``accept`` fails with EMFILE; ``quiet_accept_errors`` turns its
per-failure report into one log line a minute with a count.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections import Counter
from typing import Any, Callable, Optional

log = logging.getLogger("overshoulder.relay.guard")

#: Seconds between two log lines about the same kind of refusal.
LOG_EVERY_S = 60.0
#: The end of a request head.
_HEAD_END = b"\r\n\r\n"
#: Bytes of a request head looked at for its end (aiohttp refuses longer heads itself).
_HEAD_MOST = 64 * 1024
#: accept() errors that mean "out of descriptors or memory".
_RESOURCE_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class _Throttled:
    """Log a kind of event at most once per ``LOG_EVERY_S``, with how many were not logged."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._skipped: Counter[str] = Counter()

    def __call__(self, key: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -LOG_EVERY_S) < LOG_EVERY_S:
            self._skipped[key] += 1
            return
        self._last[key] = now
        more = self._skipped.pop(key, 0)
        suffix = f" ({more} more since the last report)" if more else ""
        log.warning(message + suffix, *args)


class ConnectionGuard:
    """Makes the protocols of accepted connections, wrapping aiohttp's factory."""

    def __init__(
        self, factory: Callable[[], asyncio.Protocol], header_timeout_s: float, per_address: int
    ) -> None:
        self.factory = factory
        self.header_timeout_s = header_timeout_s
        self.per_address = per_address
        self.open: Counter[str] = Counter()
        self.report = _Throttled()

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self.factory())


class _Guarded(asyncio.Protocol):
    """One connection: counted per address, closed if its request head does not come."""

    def __init__(self, guard: ConnectionGuard, inner: Any) -> None:
        self.guard = guard
        self.inner = inner
        self.address: Optional[str] = None
        self.transport: Optional[asyncio.BaseTransport] = None
        self.timer: Optional[asyncio.TimerHandle] = None
        self.head = b""
        self.passed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        guard = self.guard
        if guard.open[self.address] >= guard.per_address:
            guard.report(
                "per-address:" + self.address,
                "closed a connection from %s: it already has %d open (max_connections_per_address)",
                self.address,
                guard.open[self.address],
            )
            self.address = None  # not counted
            transport.close()
            return
        guard.open[self.address] += 1
        self.timer = asyncio.get_running_loop().call_later(guard.header_timeout_s, self._too_slow)
        self.inner.connection_made(transport)

    def _too_slow(self) -> None:
        if self.passed or self.transport is None:
            return
        self.guard.report(
            "header-timeout",
            "closed a connection from %s that sent no whole request within %.0f s "
            "(header_timeout_s)",
            self.address,
            self.guard.header_timeout_s,
        )
        self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.address is None:  # refused at connection_made: aiohttp never saw it
            return
        if not self.passed:
            self.head = (self.head + data)[-_HEAD_MOST:]
            if _HEAD_END in self.head:
                self._pass()
        self.inner.data_received(data)

    def _pass(self) -> None:
        self.passed = True
        self.head = b""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def eof_received(self) -> Optional[bool]:
        if self.address is None:
            return None
        return self.inner.eof_received()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._pass()
        if self.address is not None:
            guard = self.guard
            guard.open[self.address] -= 1
            if guard.open[self.address] <= 0:
                del guard.open[self.address]
            self.address = None
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.address is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.address is not None:
            self.inner.resume_writing()


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """One log line a minute (with a count) when ``accept`` runs out of descriptors, instead
    of a traceback per failure; every other loop error goes to the handler it had."""
    previous = loop.get_exception_handler()
    report = _Throttled()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in _RESOURCE_ERRNOS:
            report(
                "accept",
                "out of file descriptors (%s): not accepting new connections for a moment; "
                "open connections are served. Raise the limit (ulimit -n) or lower "
                "max_connections_per_address",
                exc.strerror,
            )
            return
        if _resume_after_close(context):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


def _resume_after_close(context: dict[str, Any]) -> bool:
    """asyncio's retry to accept again after running out of descriptors, firing after the
    listening socket was closed (the relay stopping within that second): nothing to do."""
    handle = context.get("handle")
    callback = getattr(handle, "_callback", None)
    return (
        isinstance(context.get("exception"), ValueError)
        and getattr(callback, "__name__", "") == "_start_serving"
    )


def raise_descriptor_limit() -> tuple[int, int]:
    """Lift the soft limit of open files to the hard one (as servers do); returns both
    (0, 0 where the system has no such limit)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0, 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft, hard

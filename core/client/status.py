"""What a ``SessionClient`` reports about its connection: its states and its own error codes."""

from __future__ import annotations

from typing import Literal, get_args

#: ``state``: connecting (first attempt), synced (up to date with the relay), reconnecting
#: (connection lost, retrying), refused (the relay said no for good), closed.
ClientState = Literal["connecting", "synced", "reconnecting", "refused", "closed"]
STATES: tuple[ClientState, ...] = get_args(ClientState)

#: ``last_error`` codes of the client's own (the relay's codes are in core/errors.py).
UNREACHABLE = "unreachable"  # could not connect (DNS, refused, TLS, HTTP status)
CONNECTION_LOST = "connection_lost"  # an open connection ended
REPLACED = "replaced"  # another connection with this client_id took this seat

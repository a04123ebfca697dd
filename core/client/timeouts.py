"""How long the client waits for things, in one place (the protocol's limits: core/limits.py).

``SessionClient`` reads these through this module at the moment it needs them,
so a test may shorten one with ``monkeypatch.setattr(timeouts, ...)``.
"""

#: Seconds to open the TCP + WebSocket connection before this attempt counts as failed.
CONNECT_TIMEOUT_S = 10.0
#: A socket that brings no bytes at all for this long is taken as dead and reopened.
RECV_TIMEOUT_S = 30.0
#: Seconds between pings on a quiet socket; the pongs keep RECV_TIMEOUT_S from firing.
PING_INTERVAL_S = 15.0
#: Reconnect backoff: the first wait, doubling up to the longest (then jittered to 50-100 %).
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 10.0
#: How long close() lets the goodbye (leave + close frame) go out, and threads finish.
CLOSE_GRACE_S = 1.0
#: After the relay could not store an event ("internal"), wait this long, then send again.
RETRY_AFTER_ERROR_S = 2.0
#: A host back after a dropped connection gives the drive back to whoever held it if they are
#: back within this many seconds of the host (the relay gives a returning host a free drive).
HAND_BACK_S = 60.0
#: A refused media ticket is renewed by rejoining the control socket, at most this often.
MEDIA_REJOIN_MIN_S = 30.0

"""The one HTTP client of the relay's API: its calls against a real relay, and each way a call
fails (no answer, too slow, refused, not the relay's JSON) as a RelayError that says so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from overshoulder.core import relay_api


def test_sessions_and_invites_typed_and_as_the_relay_sends_them(relay: Any) -> None:
    made = relay_api.create_session(relay.url, "Shot 020 lighting", "Mia")
    assert made.session.name == "Shot 020 lighting" and made.session.host_name == "Mia"
    assert made.host_link and made.expires_at
    assert [s.id for s in relay_api.list_sessions(relay.url)] == [made.session.id]

    link = relay_api.make_invite(relay.url, made.session.id, made.host_token, "viewer", "1h")
    assert (link.role, link.link.split("#t=")[1]) == ("viewer", link.token)

    answer = relay_api.invite(
        relay.url, made.session.id, relay.admin_key, "reviewer", name="Sam", seats=2
    )
    assert answer["session"] == made.session.id and answer["role"] == "reviewer"

    listed = relay_api.session_list(relay.url, include_closed=True)
    assert [s["id"] for s in listed] == [made.session.id] and "participants" in listed[0]
    assert relay_api.health(relay.url)


def test_a_refusal_carries_the_relays_status_code_and_words(relay: Any) -> None:
    with pytest.raises(relay_api.RelayRefused) as missing:
        relay_api.make_invite(relay.url, "no-such-session", relay.admin_key, "viewer")
    assert (missing.value.status, missing.value.code) == (404, "not_found")
    assert str(missing.value) == (
        f"the relay at {relay.url} refused: no session 'no-such-session' on this relay (not_found)"
    )
    sid = relay.create_session()["session"]["id"]
    with pytest.raises(relay_api.RelayRefused) as bad_key:
        relay_api.invite(relay.url, sid, "x" * 40, "viewer")
    assert bad_key.value.status == 401 and bad_key.value.relay == relay.url


def test_no_relay_at_the_address_says_so() -> None:
    with pytest.raises(relay_api.RelayUnreachable, match="cannot reach a relay at http://127"):
        relay_api.list_sessions("http://127.0.0.1:9")
    assert not relay_api.health("http://127.0.0.1:9")


def test_a_relay_that_does_not_answer_in_time_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_api, "READ_TIMEOUT_S", 0.3)
    with socket.socket() as silent:  # connections complete in the backlog; nothing answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(relay_api.RelayUnreachable) as slow:
            relay_api.create_session(url, "Shot", "Mia")
    assert str(slow.value) == f"the relay at {url} did not answer within 0.3 s; try again"


class _NotARelay(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 502 if self.path.startswith("/bad") else 200
        body = b"<html>a web page</html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotARelay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_address_that_is_not_a_relay_says_so(web_page: str) -> None:
    with pytest.raises(relay_api.RelayError) as page:
        relay_api.list_sessions(web_page)
    assert not isinstance(page.value, (relay_api.RelayRefused, relay_api.RelayUnreachable))
    assert str(page.value) == (
        f"{web_page} answered HTTP 200 without JSON: is it an Overshoulder relay?"
    )
    with pytest.raises(relay_api.RelayRefused) as gateway:
        relay_api.list_sessions(web_page + "/bad")
    assert (gateway.value.status, gateway.value.code) == (502, None)
    assert str(gateway.value) == f"the relay at {web_page}/bad answered HTTP 502 Bad Gateway"

"""Voice in the client: SessionProtocol fed directly (what it sends, keeps and hands on), then a
SessionClient through a real relay (on_voice runs on the client's network thread, in order)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.client.protocol import SessionProtocol, is_voice
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.protocol import Envelope
from overshoulder.core.protocol.messages import Error, VoiceJoin, VoiceLeave, VoiceState
from tests.conftest import RelayProcess
from tests.core.test_session_protocol import (
    MIA,
    delivered,
    drop,
    feed,
    join,
    make,
    relay,
    sent,
    types,
)
from tests.waiting import wait_for


def wait_until(cond: Any, what: str) -> None:
    assert wait_for(cond), f"no {what} within 10 s"


def voice(p: SessionProtocol, mtype: str, body: Any) -> bool:
    return p.send_voice(mtype, p.checked(mtype, body))


def test_voice_messages_go_out_only_while_live_and_never_into_the_outbox() -> None:
    p = make()
    assert voice(p, "voice_state", {"muted": False, "speaking": True}) is False
    assert voice(p, "voice_signal", {"to": MIA.id, "candidate": {"candidate": ""}}) is False
    assert sent(p) == []
    join(p)
    sent(p)
    assert voice(p, "voice_signal", {"to": MIA.id, "candidate": {"candidate": ""}})
    (msg,) = sent(p)
    assert msg["type"] == "voice_signal" and msg["data"]["to"] == MIA.id
    assert "eid" not in msg and p.pending == 0 and len(p.outbox) == 0
    drop(p)
    join(p)
    assert "voice_signal" not in types(p)  # a signal of a gone connection is not sent again


def test_a_voice_join_is_said_again_after_each_join_with_the_latest_muted_flag() -> None:
    p = make()
    assert voice(p, "voice_join", {"muted": True}) is False  # offline: joins once live
    join(p)
    assert [m["data"] for m in sent(p) if m["type"] == "voice_join"] == [{"muted": True}]
    voice(p, "voice_state", {"muted": False, "speaking": False})
    sent(p)
    drop(p)
    join(p)
    again = [m["data"] for m in sent(p) if m["type"] == "voice_join"]
    assert again == [{"muted": False}]
    # An engine that joins again itself after the reconnect finds it done: no second join.
    assert voice(p, "voice_join", {"muted": False})
    assert "voice_join" not in types(p)
    voice(p, "voice_leave", VoiceLeave())
    drop(p)
    join(p)
    assert "voice_join" not in types(p)


def test_a_voice_join_the_relay_refuses_for_good_is_not_said_again() -> None:
    p = make()
    join(p)
    voice(p, "voice_join", VoiceJoin(muted=False))
    refusal = {"code": ErrorCode.VOICE_FULL, "message": "voice is full", "type": "voice_join"}
    feed(p, relay("error", refusal))
    drop(p)
    join(p)
    assert "voice_join" not in types(p)
    # One that may pass later (over the rate) stays: the next join tries again.
    voice(p, "voice_join", VoiceJoin())
    feed(p, relay("error", dict(refusal, code=ErrorCode.RATE_LIMITED)))
    drop(p)
    join(p)
    assert "voice_join" in types(p)


def test_voice_messages_and_refusals_of_them_are_for_voice_listeners() -> None:
    p = make()
    join(p)
    delivered(p)
    member = {"id": MIA.id, "name": "Mia", "joined": True, "muted": False, "can_speak": True}
    feed(
        p,
        relay("voice_state", member),
        relay("error", {"code": ErrorCode.NOT_IN_VOICE, "message": "no", "type": "voice_signal"}),
        relay("error", {"code": ErrorCode.BAD_MESSAGE, "message": "no", "type": "chat"}),
    )
    got = delivered(p)
    assert [is_voice(env) for env in got] == [True, True, False]
    assert isinstance(got[0].data, VoiceState) and got[0].data.id == MIA.id


def test_send_voice_refuses_what_is_no_voice_message_a_client_sends(
    relay: RelayProcess, session: dict[str, Any]
) -> None:
    client = SessionClient(relay.url, session["host_token"], "Mia")
    with pytest.raises(ValueError, match=r"voice_welcome.*one of: voice_allow, voice_join"):
        client.send_voice("voice_welcome", {})
    with pytest.raises(ValueError, match="'chat' is no voice message"):
        client.send_voice("chat", {"text": "hi"})
    with pytest.raises(ProtocolError, match="exactly one of description and candidate"):
        client.send_voice("voice_signal", {"to": "x"})


def test_on_voice_gets_every_voice_message_in_order_on_the_clients_thread(
    relay: RelayProcess, session: dict[str, Any]
) -> None:
    sid = session["session"]["id"]
    host = SessionClient(relay.url, session["host_token"], "Mia")
    guest = SessionClient(relay.url, relay.invite(sid, "reviewer"), "Leo")
    heard: list[tuple[str, Any, str]] = []
    caller = threading.get_ident()
    guest.on_voice(lambda t, d: heard.append((t, d, threading.current_thread().name)))
    with host, guest:
        assert host.wait_synced(10) and guest.wait_synced(10)
        assert guest.send_voice("voice_join", {"muted": True})
        wait_until(lambda: any(t == "voice_welcome" for t, _, _ in heard), "a voice_welcome")
        assert host.send_voice("voice_join", {"muted": False})
        me, them = guest.participant, host.participant
        assert me is not None and them is not None

        def signalled() -> bool:
            return any(t == "voice_signal" for t, _, _ in heard)

        wait_until(lambda: any(t == "voice_state" and d.id == them.id for t, d, _ in heard), "Mia")
        host.send_voice(
            "voice_signal", {"to": me.id, "candidate": {"candidate": "", "sdp_mid": "0"}}
        )
        wait_until(signalled, "Mia's signal")
        signal = next(d for t, d, _ in heard if t == "voice_signal")
        assert signal.id == them.id and signal.to == me.id
        # Once Leo has left voice, a signal to him comes back refused, to the voice listener.
        at_host: list[tuple[str, Any]] = []
        host.on_voice(lambda t, d: at_host.append((t, d)))
        guest.send_voice("voice_leave", {})
        wait_until(
            lambda: any(t == "voice_state" and d.id == me.id and not d.joined for t, d in at_host),
            "word that Leo left voice",
        )
        host.send_voice("voice_signal", {"to": me.id, "candidate": {"candidate": ""}})
        wait_until(lambda: any(t == "error" for t, _ in at_host), "a refusal of the signal")
        refused = next(d for t, d in at_host if t == "error")
        assert refused.code == ErrorCode.NOT_IN_VOICE and refused.type == "voice_signal"
    assert all(name.startswith("overshoulder-control-") for _, _, name in heard), heard
    assert threading.get_ident() == caller
    assert heard[0][0] == "voice_welcome"


def test_is_voice_reads_the_type_only() -> None:
    env = Envelope(type="voice_mode", data=None)
    assert is_voice(env)
    assert not is_voice(Envelope(type="error", data=Error(code="x", message="y")))


def test_taken_out_of_voice_by_the_relay_the_client_is_out_until_it_joins_again() -> None:
    p = make()
    join(p)
    assert p.replica.me is not None
    out = {"id": p.replica.me.id, "name": "Sam", "joined": False, "can_speak": False}
    welcome = {"mode": "mesh", "can_speak": True, "ice_servers": [], "members": [], "mesh_max": 6}
    voice(p, "voice_join", {"muted": True})
    # Leaving and joining again at once: the relay's word on the leave comes after the join,
    # before its welcome; it does not undo the join.
    voice(p, "voice_leave", {})
    voice(p, "voice_join", {"muted": True})
    sent(p)
    feed(p, relay("voice_state", out), relay("voice_welcome", welcome))
    drop(p)
    join(p)
    assert "voice_join" in types(p)
    feed(p, relay("voice_welcome", welcome))
    feed(p, relay("voice_state", out))  # the host stopped letting this viewer speak
    assert voice(p, "voice_join", {"muted": True})
    assert types(p) == ["voice_join"]  # said again at once: not taken for a repeat
    feed(p, relay("voice_welcome", welcome), relay("voice_state", out))
    drop(p)
    join(p)
    assert "voice_join" not in types(p)

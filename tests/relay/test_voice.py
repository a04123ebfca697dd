"""Voice on a real relay process: joining, roles, signals between members, refusals, rates,
drops, the mesh cap and the TURN credentials the relay hands out.

Every participant is a bare websocket (``RawClient``) speaking the protocol, so what is
checked is what goes over the wire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overshoulder.relay.tokens import TokenSigner
from overshoulder.relay.turn import turn_credentials
from overshoulder.relay.voice import sends
from tests.conftest import RawClient, RelayProcess
from tests.relay.voice_sdp import AUDIO_OFFER, answer, directions, with_video
from tests.voice_servers import Coturn, free_port
from tests.waiting import wait_for

Connect = Callable[..., RawClient]


@pytest.fixture
def people(relay: RelayProcess, raw: Connect) -> Callable[..., RawClient]:
    """``people(role, name)``: a participant of one session, joined and synced."""
    session = relay.create_session()

    def join(
        role: str = "reviewer",
        name: Optional[str] = None,
        client_id: Optional[str] = None,
        token: Optional[str] = None,
    ):
        if token is None and role == "host":
            token = session["host_token"]
        elif token is None:
            token = relay.invite(session["session"]["id"], role)
        c = raw()
        c.join(token, name or role.title(), client_id=client_id)
        c.expect("synced")
        c.pid = c.seen[0]["data"]["participant"]["id"]  # type: ignore[attr-defined]
        c.token = token  # type: ignore[attr-defined]
        return c

    join.session = session  # type: ignore[attr-defined]
    return join


def _in_voice(c: RawClient, muted: bool = False) -> dict[str, Any]:
    c.send("voice_join", {"muted": muted}, ref="vj")
    return c.expect("voice_welcome")["data"]


def _offer(c: RawClient, to: RawClient, sdp: str = AUDIO_OFFER, ref: str = "o") -> None:
    c.send("voice_signal", {"to": to.pid, "description": {"type": "offer", "sdp": sdp}}, ref=ref)


def _error(c: RawClient, ref: str) -> dict[str, Any]:
    return c.expect("error", ref=ref)["data"]


def _barrier(c: RawClient) -> list[dict[str, Any]]:
    """Everything the relay sent ``c`` before answering a probe (it answers in order)."""
    ref = f"probe-{uuid.uuid4().hex[:6]}"
    c.send("chat", {}, ref=ref)  # no id: always refused
    seen = []
    while True:
        msg = c.recv()
        if msg["type"] == "error" and msg["data"].get("ref") == ref:
            return seen
        seen.append(msg)


def test_a_joiner_is_welcomed_with_the_members_and_signals_reach_only_their_peer(people):
    mia, sam, ann = people("host", "Mia"), people("reviewer", "Sam"), people("reviewer", "Ann")
    welcome = _in_voice(mia)
    assert welcome == {
        "mode": "mesh",
        "can_speak": True,
        "ice_servers": [],
        "members": [],
        "mesh_max": 6,
    }
    seen = sam.expect("voice_state", id=mia.pid)["data"]
    assert seen == {
        "id": mia.pid,
        "name": "Mia",
        "joined": True,
        "muted": False,
        "speaking": False,
        "can_speak": True,
    }
    ann.expect("voice_state", id=mia.pid)  # everyone in the session sees who is in voice
    welcome = _in_voice(sam, muted=True)
    assert [m["id"] for m in welcome["members"]] == [mia.pid]
    assert welcome["members"][0]["name"] == "Mia"

    # The joiner offers to the member; the relay says who sent it, and only to it.
    _offer(sam, mia)
    got = mia.expect("voice_signal")
    assert got["from"] == sam.pid and got["data"]["id"] == sam.pid
    assert got["data"]["description"] == {"type": "offer", "sdp": AUDIO_OFFER}
    mia.send("voice_signal", {"to": sam.pid, "description": {"type": "answer", "sdp": answer()}})
    assert sam.expect("voice_signal")["data"]["description"]["type"] == "answer"
    cand = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host", "sdp_mid": "0"}
    sam.send("voice_signal", {"to": mia.pid, "candidate": {**cand, "sdp_mline_index": 0}})
    assert mia.expect("voice_signal")["data"]["candidate"]["sdp_mid"] == "0"
    assert not any(m["type"] == "voice_signal" for m in _barrier(ann))

    # Muted and speaking flags go to everyone as the member's whole voice state.
    sam.send("voice_state", {"muted": False, "speaking": True, "id": "forged"})
    state = ann.expect("voice_state", id=sam.pid)["data"]
    assert state["speaking"] is True and state["muted"] is False and state["joined"] is True


def test_a_voice_state_that_changes_nothing_is_not_passed_on(people):
    """A client's meter repeats itself (speaking, speaking...): the relay passes on only a
    voice_state whose muted/speaking differ from the last it passed on."""
    mia, sam = people("host", "Mia"), people("reviewer", "Sam")
    _in_voice(mia)
    _in_voice(sam, muted=True)
    _barrier(mia)
    sent = [(True, False), (False, False), (False, False), (False, True), (False, True)]
    sent += [(False, True), (False, False), (True, False), (True, False)]
    for muted, speaking in sent:
        sam.send("voice_state", {"muted": muted, "speaking": speaking})
    states = [m["data"] for m in _barrier(mia) if m["type"] == "voice_state"]
    assert [(s["muted"], s["speaking"]) for s in states] == [
        (False, False),
        (False, True),
        (False, False),
        (True, False),
    ]
    assert all(s["id"] == sam.pid and s["joined"] for s in states)


def test_a_participant_joining_the_session_gets_the_voice_roster_after_its_snapshot(people):
    mia = people("host", "Mia")
    assert not any(m["type"] == "voice_roster" for m in mia.seen)  # nobody in voice yet
    _in_voice(mia)
    late = people("viewer", "Vic")
    types = [m["type"] for m in late.seen]
    if "voice_roster" not in types:
        late.expect("voice_roster")
        types = [m["type"] for m in late.seen]
    assert types.index("voice_roster") > types.index("synced")
    roster = next(m for m in late.seen if m["type"] == "voice_roster")["data"]
    assert [(m["id"], m["joined"], m["can_speak"]) for m in roster["members"]] == [
        (mia.pid, True, True)
    ]


def test_a_viewer_listens_until_the_host_lets_it_speak_and_the_relay_enforces_it(people):
    mia, vic, sam = people("host", "Mia"), people("viewer", "Vic"), people("reviewer", "Sam")
    _in_voice(mia)
    welcome = _in_voice(vic)
    assert welcome["can_speak"] is False
    # The viewer's offer says sendrecv; the host receives it listen-only.
    _offer(vic, mia)
    got = mia.expect("voice_signal")["data"]["description"]["sdp"]
    assert directions(got) == ["recvonly"]
    assert got.replace("a=recvonly", "a=sendrecv") == AUDIO_OFFER  # nothing else changed
    vic.send(
        "voice_signal",
        {"to": mia.pid, "description": {"type": "answer", "sdp": answer("sendonly")}},
    )
    assert directions(mia.expect("voice_signal")["data"]["description"]["sdp"]) == ["inactive"]
    # Nobody but a host lets a viewer speak.
    for who in (vic, sam):
        who.send("voice_allow", {"id": vic.pid, "allowed": True}, ref="allow")
        assert _error(who, "allow")["code"] == "forbidden"
    mia.send("voice_allow", {"id": sam.pid, "allowed": True}, ref="rev")
    assert "viewers" in _error(mia, "rev")["message"]

    mia.send("voice_allow", {"id": vic.pid, "allowed": True})
    for who in (mia, vic, sam):
        assert who.expect("voice_state", id=vic.pid, can_speak=True)["data"]["joined"] is True
    # Its client joins again to renegotiate; now its audio goes out as it says.
    vic.send("voice_leave", {})
    mia.expect("voice_state", id=vic.pid, joined=False)
    assert _in_voice(vic)["can_speak"] is True
    _offer(vic, mia)
    assert mia.expect("voice_signal")["data"]["description"]["sdp"] == AUDIO_OFFER

    # Taken back: the viewer is out of voice at once (its links end), listen-only again.
    mia.send("voice_allow", {"id": vic.pid, "allowed": False})
    sam.expect("voice_state", id=vic.pid, joined=False, can_speak=False)
    vic.expect("voice_state", id=vic.pid, joined=False, can_speak=False)
    _offer(vic, mia, ref="after")
    assert _error(vic, "after")["code"] == "not_in_voice"
    assert _in_voice(vic)["can_speak"] is False


def _expired_token(relay: RelayProcess, session_id: str) -> str:
    secret = bytes.fromhex((relay.data_dir / "secret.key").read_text().strip())
    return TokenSigner(secret).issue(session_id, "reviewer", 60.0, now=time.time() - 3600)


def test_a_forged_or_expired_token_gets_no_voice(relay, people, raw):
    mia = people("host", "Mia")
    _in_voice(mia)
    sid = people.session["session"]["id"]
    good = relay.invite(sid, "reviewer")
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token, code in ((forged, "unauthorized"), (_expired_token(relay, sid), "token_expired")):
        intruder = raw()
        intruder.send("hello", {"protocol": "1.0", "token": token, "name": "Eve"})
        assert intruder.expect("error")["data"]["code"] == code
        # The socket is closed: no voice message is ever read from it.
        with pytest.raises((ConnectionError, OSError)):
            intruder.send("voice_join", {})
            intruder.recv(2)
    # Voice before a hello is no hello: refused and closed.
    early = raw()
    early.send("voice_join", {})
    err = early.expect("error")["data"]
    assert err["code"] == "bad_message" and "hello" in err["message"]
    with pytest.raises((ConnectionError, OSError)):
        early.recv(2)
    # The host in voice never heard of any of them.
    seen = _barrier(mia)
    assert not [m for m in seen if m["type"] == "join" or m.get("from", mia.pid) != mia.pid]


def test_signals_only_go_between_members_and_bad_descriptions_are_refused_by_name(people):
    mia, sam, ann = people("host", "Mia"), people("reviewer", "Sam"), people("reviewer", "Ann")
    _offer(sam, mia, ref="early")
    err = _error(sam, "early")
    assert err["code"] == "not_in_voice" and "voice_join" in err["message"]
    _in_voice(mia)
    _in_voice(sam)
    _offer(sam, ann, ref="ann")  # Ann is in the session, not in voice
    err = _error(sam, "ann")
    assert err["code"] == "not_in_voice" and "Ann" in err["message"] and err["field"] == "data.to"
    sam.send("voice_signal", {"to": "sfu", "candidate": {"candidate": ""}}, ref="sfu")
    assert "mesh" in _error(sam, "sfu")["message"]
    _offer(sam, mia, with_video(), ref="video")
    err = _error(sam, "video")
    assert err["code"] == "bad_message" and err["field"] == "data.description.sdp"
    assert "m=video" in err["message"] and "audio only" in err["message"]
    _offer(sam, mia, AUDIO_OFFER + "a=x:" + "y" * 17000 + "\r\n", ref="long")
    err = _error(sam, "long")
    assert err["code"] == "too_large" and err["field"] == "data.description.sdp"
    assert "16384" in err["message"]
    _offer(sam, mia, "hello", ref="junk")
    assert "v=0" in _error(sam, "junk")["message"]
    sam.send("voice_signal", {"to": mia.pid}, ref="empty")
    assert "exactly one of description and candidate" in _error(sam, "empty")["message"]
    # Mia got none of them, and the session goes on: the next good offer arrives.
    _offer(sam, mia, ref="good")
    got = mia.expect("voice_signal")
    assert got["data"]["description"]["sdp"] == AUDIO_OFFER
    assert not [m for m in mia.seen if m["type"] == "voice_signal" and m is not got]
    sam.send("chat", {"id": str(uuid.uuid4()), "text": "still here"}, eid=str(uuid.uuid4()))
    assert sam.expect("ack")["data"]["seq"] >= 1


def test_voice_signals_over_their_rate_are_refused_and_voice_states_dropped(people):
    mia, sam = people("host", "Mia"), people("reviewer", "Sam")
    _in_voice(mia)
    _in_voice(sam)
    cand = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host"}
    start = time.monotonic()
    for n in range(300):
        sam.send("voice_signal", {"to": mia.pid, "candidate": cand}, ref=f"s{n}")
    elapsed = time.monotonic() - start
    seen = _barrier(sam)
    refused = [m for m in seen if m["type"] == "error" and m["data"]["code"] == "rate_limited"]
    assert refused and "voice signals" in refused[0]["data"]["message"]
    assert refused[0]["data"]["ref"].startswith("s")  # names which signal, to send it again
    got = [m for m in _barrier(mia) if m["type"] == "voice_signal"]
    assert len(got) + len(refused) == 300
    assert 200 <= len(got) <= 200 + 40 * (elapsed + 1)
    for n in range(60):
        sam.send("voice_state", {"muted": False, "speaking": n % 2 == 0})
    warned = [m for m in _barrier(sam) if m["type"] == "error"]
    assert warned and "voice_state" in warned[0]["data"]["message"]
    states = [m for m in _barrier(mia) if m["type"] == "voice_state"]
    assert 20 <= len(states) < 60


def test_a_dropped_or_replaced_socket_leaves_voice_and_the_others_hear_it(people):
    mia, sam = people("host", "Mia"), people("reviewer", "Sam")
    cid = str(uuid.uuid4())
    vic = people("viewer", "Vic", client_id=cid)
    for c in (mia, sam, vic):
        _in_voice(c)
    sam.ws.sock.close()  # the connection goes without a word
    for who in (mia, vic):
        who.expect("voice_state", id=sam.pid, joined=False)
    # Its link to the others ends with it: a signal to it is refused.
    _offer(mia, sam, ref="gone")
    assert _error(mia, "gone")["code"] == "not_in_voice"
    # The same client connecting again takes its seat: its old voice ends too.
    vic2 = people("viewer", "Vic", client_id=cid, token=vic.token)
    assert vic2.pid == vic.pid
    mia.expect("voice_state", id=vic.pid, joined=False)
    welcome = _in_voice(vic2)
    assert [m["id"] for m in welcome["members"]] == [mia.pid]


@pytest.fixture
def small_relay(tmp_path: Path) -> Iterator[RelayProcess]:
    args = ["--voice-mesh-max", "2", "--media-server", "none"]
    proc = RelayProcess(tmp_path / "small", extra_args=args).start()
    try:
        yield proc
    finally:
        proc.stop()


def test_without_a_media_server_voice_holds_the_mesh_cap_and_says_what_lifts_it(small_relay):
    session = small_relay.create_session()
    clients = []
    try:
        for n in range(3):
            token = (
                session["host_token"]
                if n == 0
                else small_relay.invite(session["session"]["id"], "reviewer")
            )
            c = RawClient(small_relay.ws_url)
            clients.append(c)
            c.join(token, f"P{n}")
            c.expect("synced")
        assert _in_voice(clients[0])["mesh_max"] == 2
        _in_voice(clients[1])
        clients[2].send("voice_join", {}, ref="third")
        err = clients[2].expect("error", ref="third")["data"]
        assert err["code"] == "voice_full"
        assert "2 people" in err["message"] and "media server" in err["message"]
        # One leaves: there is room again.
        clients[1].send("voice_leave", {})
        clients[0].expect("voice_state", joined=False)
        assert [m["id"] for m in _in_voice(clients[2])["members"]] == [
            clients[0].seen[0]["data"]["participant"]["id"]
        ]
    finally:
        for c in clients:
            c.close()


def _turn_relay(tmp_path: Path, secret: str, *urls: str) -> RelayProcess:
    """A relay with these STUN/TURN options and ``secret`` as its TURN secret file."""
    (tmp_path / "turn.secret").write_text(secret)
    extra = [*urls, "--turn-secret-file", str(tmp_path / "turn.secret")]
    return RelayProcess(tmp_path / "relay", extra_args=extra).start()


def test_turn_credentials_are_minted_per_member_with_the_hmac_rule(tmp_path):
    secret = "s3cret-of-the-studio"
    relay = _turn_relay(
        tmp_path,
        secret + "\n",
        "--stun-url",
        "stun:stun.example.com:3478",
        "--turn-url",
        "turn:turn.example.com:3478?transport=udp",
        "--turn-url",
        "turns:turn.example.com:5349",
    )
    try:
        session = relay.create_session()
        c = RawClient(relay.ws_url)
        c.join(session["host_token"], "Mia")
        pid = c.seen[0]["data"]["participant"]["id"]
        before = time.time()
        servers = _in_voice(c)["ice_servers"]
        # Joining again (as after a reconnect) mints a fresh credential.
        assert wait_for(lambda: time.time() > before + 1.1, timeout=3)
        again = _in_voice(c)["ice_servers"][1]
        # A reviewer whose invite ends in 10 minutes: its credential ends with it.
        sid = session["session"]["id"]
        short, sam_token = RawClient(relay.ws_url), relay.invite(sid, "reviewer", expires="10m")
        short.join(sam_token, "Sam")
        signer = TokenSigner(bytes.fromhex((relay.data_dir / "secret.key").read_text().strip()))
        sam_turn = _in_voice(short)["ice_servers"][1]
        short.close()
        c.close()
        assert servers[0] == {"urls": ["stun:stun.example.com:3478"]}
        turn = servers[1]
        assert turn["urls"] == [
            "turn:turn.example.com:3478?transport=udp",
            "turns:turn.example.com:5349",
        ]
        expiry, who = turn["username"].split(":", 1)
        assert who == pid
        # A few hours at most (4 h), whatever the host link's own lifetime (days).
        assert before + 4 * 3600 - 1 <= int(expiry) <= time.time() + 4 * 3600
        assert int(again["username"].split(":", 1)[0]) > int(expiry)
        assert again["credential"] != turn["credential"]
        sam_expiry = int(sam_turn["username"].split(":", 1)[0])
        assert sam_expiry == int(signer.verify(sam_token).expires)
        assert sam_expiry <= time.time() + 600
        mac = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
        assert turn["credential"] == base64.b64encode(mac).decode()
        assert secret not in json.dumps(c.seen) and secret not in relay.log_text()
    finally:
        relay.stop()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--turn-url", "turn:turn.example.com:3478"], "--turn-secret-file"),
        (["--stun-url", "http://stun.example.com"], "is not a stun"),
        (["--turn-secret-file", "/nonexistent/turn.secret"], "cannot be read"),
        (["--voice-mesh-max", "1"], "--voice-mesh-max must be"),
        (["--media-server", "ftp://x"], "--media-server is 'auto', 'janus', 'none'"),
    ],
)
def test_bad_voice_options_stop_the_relay_saying_which(tmp_path, args, says):
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "overshoulder.relay",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2, done.stderr
    assert says in done.stderr


def test_a_member_that_stops_reading_holds_up_no_one(people):
    """A voice member whose socket stalls gets its messages queued (and is closed past the
    queue's bound); the others' control messages keep flowing meanwhile."""
    mia, sam, stuck = people("host", "Mia"), people("reviewer", "Sam"), people("reviewer", "Stu")
    for c in (mia, sam, stuck):
        _in_voice(c)
    big = AUDIO_OFFER + "a=x-pad:" + "p" * 15000 + "\r\n"
    for n in range(190):  # ~3 MB to a socket nobody reads (within the signal burst)
        _offer(sam, stuck, big, ref=f"b{n}")
    start = time.monotonic()
    mia.send("chat", {"id": str(uuid.uuid4()), "text": "can you hear me"}, eid=str(uuid.uuid4()))
    assert sam.expect("chat", timeout=5)["data"]["text"] == "can you hear me"
    assert time.monotonic() - start < 2.0
    sam.send("voice_state", {"muted": True, "speaking": False})
    assert mia.expect("voice_state", id=sam.pid, muted=True)["data"]["joined"] is True


def test_voice_is_never_stored_and_leaves_the_session_state_as_it_was(relay, people):
    mia, sam = people("host", "Mia"), people("reviewer", "Sam")
    sid = people.session["session"]["id"]
    before = people("viewer", "Before").seen
    snapshot = next(m for m in before if m["type"] == "snapshot")["data"]
    for c in (mia, sam):
        _in_voice(c)
    _offer(sam, mia)
    mia.expect("voice_signal")
    sam.send("voice_state", {"muted": False, "speaking": True})
    mia.send("voice_allow", {"id": sam.pid, "allowed": True}, ref="x")  # refused: not a viewer
    sam.send("voice_leave", {})
    mia.expect("voice_state", id=sam.pid, joined=False)
    assert relay.events(sid) == []
    after = next(m for m in people("viewer", "After").seen if m["type"] == "snapshot")["data"]
    for key in ("participants", "session"):
        after.pop(key), snapshot.pop(key)
    assert after == snapshot


def test_a_listener_s_description_never_says_it_sends():
    from overshoulder.relay.voice import check_audio_only, listen_only

    two = AUDIO_OFFER + AUDIO_OFFER.split("m=audio", 1)[1].join(["m=audio", ""])
    for sdp, want in [
        (AUDIO_OFFER, ["recvonly"]),
        (answer("sendonly"), ["inactive"]),
        (answer("recvonly"), ["recvonly"]),
        (answer("inactive"), ["inactive"]),
        (AUDIO_OFFER.replace("a=sendrecv\r\n", ""), ["recvonly"]),  # none said: sendrecv
        (two.replace("a=sendrecv", "a=sendonly", 1), ["inactive", "recvonly"]),
        (AUDIO_OFFER.replace("\r\n", "\n"), ["recvonly"]),
    ]:
        check_audio_only(sdp)
        made = listen_only(sdp)
        assert directions(made) == want, sdp
        assert not sends(made)
        assert made.endswith("\n") and ("\r\n" in made) == ("\r\n" in sdp)
    assert sends(AUDIO_OFFER) and not sends(answer("recvonly"))


_SDP_LINES = st.sampled_from(
    [
        "v=0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "a=sendrecv",
        "a=sendonly",
        "a=recvonly",
        "a=inactive",
        "a= sendrecv",
        "a=sendrecv ",
        "a=mid:0",
        "c=IN IP4 0.0.0.0",
        "a=rtpmap:111 opus/48000/2",
        "",
        "m=",
        "\u00e9",
    ]
)


@settings(
    max_examples=150,  # within voice_signal_burst: the rate is tested on its own
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    lines=st.lists(_SDP_LINES, max_size=14),
    newline=st.sampled_from(["\r\n", "\n"]),
    start=st.booleans(),
)
def _fuzz_one(pair, lines, newline, start):
    vic, mia, n = pair["vic"], pair["mia"], pair["n"]
    pair["n"] += 1
    sdp = newline.join((["v=0"] if start else []) + lines)
    ref = f"f{n}"
    vic.send("voice_signal", {"to": mia.pid, "description": {"type": "offer", "sdp": sdp}}, ref=ref)
    answered = [m for m in _barrier(vic) if m["data"].get("ref") == ref]
    if answered:
        err = answered[0]["data"]
        assert err["code"] in ("bad_message", "too_large") and err["message"], err
        return
    got = mia.expect("voice_signal")["data"]["description"]["sdp"]
    mlines = [line for line in got.splitlines() if line.startswith("m=")]
    assert mlines and all(line.startswith("m=audio ") for line in mlines), got
    assert not sends(got), got


def test_fuzzed_descriptions_of_a_listener_are_refused_or_reach_its_peer_listen_only(people):
    mia, vic = people("host", "Mia"), people("viewer", "Vic")
    _in_voice(mia)
    _in_voice(vic)
    pair = {"mia": mia, "vic": vic, "n": 0}
    _fuzz_one(pair)
    assert pair["n"] >= 100
    assert not [m for m in _barrier(mia) if m["type"] == "voice_signal"]  # none unread


async def _allocate(port: int, username: str, password: str) -> tuple[str, int]:
    import asyncio

    from aioice.turn import create_turn_endpoint

    transport, _ = await asyncio.wait_for(
        create_turn_endpoint(asyncio.DatagramProtocol, ("127.0.0.1", port), username, password),
        10,
    )
    try:
        return transport.get_extra_info("sockname")
    finally:
        transport.close()


@pytest.mark.skipif(Coturn.missing() is not None, reason=str(Coturn.missing()))
def test_the_credentials_of_voice_welcome_open_an_allocation_on_a_real_coturn(tmp_path):
    import asyncio

    with Coturn(tmp_path / "coturn") as coturn:
        relay = _turn_relay(tmp_path, coturn.secret, "--turn-url", coturn.url)
        try:
            session = relay.create_session()
            c = RawClient(relay.ws_url)
            c.join(session["host_token"], "Mia")
            turn = _in_voice(c)["ice_servers"][0]
            c.close()
        finally:
            relay.stop()
        assert turn["urls"] == [coturn.url]
        relayed = asyncio.run(_allocate(coturn.port, turn["username"], turn["credential"]))
        assert relayed[0] == "127.0.0.1"
        assert coturn.allocations() >= 1
        # A credential not made from the secret (or for another name) opens nothing.
        expiry, pid = turn["username"].split(":", 1)
        for username, password in (
            (turn["username"], base64.b64encode(b"x" * 20).decode()),
            (f"{int(expiry) + 1}:{pid}", turn["credential"]),
        ):
            with pytest.raises(Exception) as refused:
                asyncio.run(_allocate(coturn.port, username, password))
            assert "401" in str(refused.value) or "Unauthorized" in str(refused.value)


def _documented_turnserver_conf() -> str:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "voice.md").read_text(encoding="utf-8")
    block = doc.split("```ini\n", 1)[1].split("```", 1)[0]
    return "\n".join(line.strip() for line in block.splitlines())


@pytest.mark.skipif(Coturn.missing() is not None, reason=str(Coturn.missing()))
def test_the_turnserver_conf_in_docs_voice_md_accepts_the_relay_s_credentials(tmp_path):
    """The documented coturn config, with this machine's addresses and files put in."""
    import asyncio

    class Documented(Coturn):
        def config(self) -> str:
            local = {
                "static-auth-secret": self.secret,
                "listening-port": str(self.port),
                "tls-listening-port": str(free_port()),
                "min-port": str(self.min_port),
                "max-port": str(self.max_port),
                "log-file": str(self.log_path),
            }
            out = ["listening-ip=127.0.0.1", "relay-ip=127.0.0.1", "no-stdout-log"]
            out.append(f"userdb={self.work_dir / 'turndb'}")
            out.append(f"pidfile={self.work_dir / 'turnserver.pid'}")
            for line in _documented_turnserver_conf().splitlines():
                key = line.split("=", 1)[0]
                if key in ("cert", "pkey", "external-ip"):  # no certificate, no NAT here
                    continue
                out.append(f"{key}={local[key]}" if key in local else line)
            return "\n".join(out) + "\n"

    conf = _documented_turnserver_conf()
    assert "use-auth-secret" in conf.splitlines() and "realm=" in conf
    with Documented(tmp_path / "coturn") as coturn:
        username, password = turn_credentials(coturn.secret, "reviewer-1")
        relayed = asyncio.run(_allocate(coturn.port, username, password))
        assert relayed[0] == "127.0.0.1"


def test_a_listener_cannot_hide_a_sending_section_behind_a_listening_one(people):
    mia, vic = people("host", "Mia"), people("viewer", "Vic")
    _in_voice(mia)
    _in_voice(vic)
    second = AUDIO_OFFER.split("m=audio", 1)[1].replace("a=sendrecv\r\n", "")
    sdp = answer("recvonly") + "m=audio" + second
    assert sends(sdp)  # the second section says no direction: sendrecv
    _offer(vic, mia, sdp)
    got = mia.expect("voice_signal")["data"]["description"]["sdp"]
    assert directions(got) == ["recvonly", "recvonly"] and not sends(got)

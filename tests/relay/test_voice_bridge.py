"""The voice room's media-server hook: past ``voice_mesh_max`` a room with a bridge switches to
SFU, tells everyone, joins every member to the bridge in order and routes signals to
``"sfu"`` / ``"sfu-sub"`` to it; voice emptied closes it and the next room is a mesh again.

The relay runs in this process (on its own thread and loop, on a real socket) with a
recording bridge in place of Janus; the real media server is tests/relay/test_voice_sfu.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web

from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.protocol.messages import VoiceSignal
from overshoulder.relay.server import Relay
from overshoulder.relay.voice import MediaUnavailable, VoiceOptions, VoiceSend
from tests.conftest import RawClient
from tests.relay.test_voice import _barrier
from tests.relay.voice_sdp import AUDIO_OFFER, answer, directions
from tests.waiting import wait_for


class RecordingBridge:
    """Answers every offer to "sfu" and records what the room asked, in order."""

    def __init__(self, send: VoiceSend, name: str, log: list[tuple[Any, ...]]) -> None:
        self.send = send
        self.name = name
        self.log = log
        self.members: dict[str, bool] = {}

    async def join(self, pid: str, can_speak: bool) -> None:
        await asyncio.sleep(0.05)  # a media server takes a while: signals must wait for it
        self.members[pid] = can_speak
        self.log.append(("join", pid, can_speak))

    async def signal(self, pid: str, sig: VoiceSignal) -> None:
        if pid not in self.members:
            raise AssertionError(f"a signal of {pid} before its join")
        self.log.append(("signal", pid, sig.to, sig.description.sdp if sig.description else None))
        if sig.to == "sfu" and not self.members[pid]:
            raise ProtocolError(ErrorCode.FORBIDDEN, "only members who may speak publish audio")
        if sig.description is not None and sig.description.type == "offer":
            desc = {"type": "answer", "sdp": answer("recvonly")}
            self.send(pid, "voice_signal", {"to": pid, "id": sig.to, "description": desc})

    async def leave(self, pid: str) -> None:
        self.members.pop(pid, None)
        self.log.append(("leave", pid))

    async def close(self) -> None:
        self.log.append(("close", self.name))


@dataclasses.dataclass
class InProcessRelay:
    url: str
    ws_url: str
    relay: Relay
    log: list[tuple[Any, ...]]


class GatedStarter:
    """A media server started on first need: the start waits for ``gate`` (set from the
    test), then succeeds, or fails with ``failure``."""

    def __init__(self, failure: str = "") -> None:
        self.failure = failure
        self.up = False
        self.starts = 0
        self.gate = threading.Event()

    def running(self) -> bool:
        return self.up

    async def ensure_started(self) -> None:
        self.starts += 1
        while not self.gate.is_set():
            await asyncio.sleep(0.01)
        if self.failure:
            raise MediaUnavailable(self.failure)
        self.up = True


@pytest.fixture
def starter(request: pytest.FixtureRequest) -> GatedStarter | None:
    return getattr(request, "param", None)


@pytest.fixture
def bridged(tmp_path: Path, starter: GatedStarter | None) -> Iterator[InProcessRelay]:
    log: list[tuple[Any, ...]] = []
    limits = dataclasses.replace(DEFAULT_LIMITS, voice_mesh_max=2)
    options = VoiceOptions(
        media=lambda send, name: RecordingBridge(send, name, log), media_start=starter
    )
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        relay = Relay(tmp_path / "data", limits=limits, voice=options)
        runner = web.AppRunner(relay.app(), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["relay"], state["runner"] = relay, runner
        state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop).result(20)
    assert ready.wait(20)
    port = state["port"]
    try:
        yield InProcessRelay(
            f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", state["relay"], log
        )
    finally:
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _join(relay: InProcessRelay, token: str, name: str, made: list[RawClient]) -> RawClient:
    c = RawClient(relay.ws_url)
    made.append(c)
    c.join(token, name)
    c.expect("synced")
    c.pid = c.seen[0]["data"]["participant"]["id"]  # type: ignore[attr-defined]
    return c


def _invite(relay: InProcessRelay, sid: str, role: str) -> str:
    r = requests.post(
        f"{relay.url}/api/sessions/{sid}/invites",
        json={"role": role, "expires": "1h"},
        headers={"Authorization": f"Bearer {relay.relay.admin_key}"},
        timeout=5,
    )
    r.raise_for_status()
    return str(r.json()["token"])


def test_past_the_mesh_cap_voice_goes_through_the_bridge_and_back_to_mesh_when_empty(bridged):
    created = requests.post(f"{bridged.url}/api/sessions", json={"name": "sfu"}, timeout=5).json()
    sid = created["session"]["id"]
    made: list[RawClient] = []
    try:
        mia = _join(bridged, created["host_token"], "Mia", made)
        sam = _join(bridged, _invite(bridged, sid, "reviewer"), "Sam", made)
        vic = _join(bridged, _invite(bridged, sid, "viewer"), "Vic", made)
        for c in (mia, sam):
            c.send("voice_join", {"muted": False})
            assert c.expect("voice_welcome")["data"]["mode"] == "mesh"
        assert bridged.log == []  # a mesh needs no media server

        # The third joiner takes the room past the cap: everyone is told, the joiner is
        # welcomed in SFU mode, and every member joins the bridge in order.
        vic.send("voice_join", {})
        for c in (mia, sam):
            assert c.expect("voice_mode")["data"] == {"mode": "sfu"}
        welcome = vic.expect("voice_welcome")["data"]
        assert welcome["mode"] == "sfu" and welcome["can_speak"] is False
        assert wait_for(lambda: len(bridged.log) == 3, timeout=5)
        assert bridged.log == [
            ("join", mia.pid, True),
            ("join", sam.pid, True),
            ("join", vic.pid, False),
        ]

        # Signals to "sfu" go to the bridge (after the member's join), its answer comes back
        # from "sfu"; a listener's description is listen-only before the bridge sees it.
        desc = {"type": "offer", "sdp": AUDIO_OFFER}
        vic.send("voice_signal", {"to": "sfu-sub", "description": desc})
        got = vic.expect("voice_signal")
        assert got["data"]["id"] == "sfu-sub" and got["data"]["description"]["type"] == "answer"
        assert directions(bridged.log[-1][3]) == ["recvonly"]
        vic.send("voice_signal", {"to": "sfu", "description": desc}, ref="pub")
        err = vic.expect("error", ref="pub")["data"]
        assert err["code"] == "forbidden" and err["type"] == "voice_signal"
        # A mesh signal still in flight at the switch (a late candidate to a member) is
        # dropped, not refused and not passed on; one to anyone else is refused.
        mia.send("voice_signal", {"to": sam.pid, "candidate": {"candidate": ""}}, ref="p2p")
        mia.send("voice_signal", {"to": "nobody", "candidate": {"candidate": ""}}, ref="after")
        assert "media server" in mia.expect("error", ref="after")["data"]["message"]
        assert not [m for m in mia.seen if m.get("ref") == "p2p"]
        assert not [
            m for m in sam.seen if m["type"] == "voice_signal" and m["data"]["id"] == mia.pid
        ]

        # Leaving voice leaves the bridge; voice emptied closes it and mesh is back.
        for c in (mia, sam, vic):
            c.send("voice_leave", {})
        assert wait_for(lambda: bridged.log[-1] == ("close", sid), timeout=5)
        assert {e[1] for e in bridged.log if e[0] == "leave"} == {mia.pid, sam.pid, vic.pid}
        mia.send("voice_join", {})
        assert mia.expect("voice_welcome")["data"]["mode"] == "mesh"
    finally:
        for c in made:
            c.close()


def _three_in_a_session(bridged: InProcessRelay, made: list[RawClient]) -> list[RawClient]:
    created = requests.post(f"{bridged.url}/api/sessions", json={"name": "sfu"}, timeout=5).json()
    sid = created["session"]["id"]
    people = [_join(bridged, created["host_token"], "Mia", made)]
    people += [_join(bridged, _invite(bridged, sid, "reviewer"), n, made) for n in ("Sam", "Ann")]
    for c in people[:2]:
        c.send("voice_join", {"muted": False})
        assert c.expect("voice_welcome")["data"]["mode"] == "mesh"
    return people


@pytest.mark.parametrize("starter", [GatedStarter()], indirect=True)
def test_a_media_server_started_on_first_need_takes_the_joiner_past_the_cap(bridged, starter):
    """The third joiner waits while the media server starts (nobody else hears of it), then
    the room goes through it; a joiner that gave up meanwhile is not let in."""
    made: list[RawClient] = []
    try:
        mia, sam, ann = _three_in_a_session(bridged, made)
        sid = mia.seen[0]["data"]["session"]["id"]
        bo = _join(bridged, _invite(bridged, sid, "reviewer"), "Bo", made)
        assert starter.starts == 0  # a mesh starts no media server
        _barrier(mia)
        ann.send("voice_join", {}, ref="third")
        bo.send("voice_join", {})
        assert wait_for(lambda: starter.starts == 1, timeout=5)
        bo.send("voice_leave", {})  # gives up while it starts
        assert not any(m["type"] == "voice_state" for m in _barrier(mia))
        assert bridged.log == []
        starter.gate.set()
        for c in (mia, sam):
            assert c.expect("voice_mode")["data"] == {"mode": "sfu"}
        assert ann.expect("voice_welcome")["data"]["mode"] == "sfu"
        assert starter.starts == 1  # one start for everyone waiting
        assert wait_for(lambda: len(bridged.log) == 3, timeout=5)
        assert bo.pid not in {e[1] for e in bridged.log}
        assert not any(m["type"] == "voice_welcome" for m in _barrier(bo))
    finally:
        for c in made:
            c.close()


@pytest.mark.parametrize("starter", [GatedStarter("no network interface for media")], indirect=True)
def test_a_media_server_that_cannot_start_leaves_the_joiner_out_saying_why(bridged, starter):
    made: list[RawClient] = []
    try:
        mia, sam, ann = _three_in_a_session(bridged, made)
        ann.send("voice_join", {}, ref="third")
        starter.gate.set()
        err = ann.expect("error", ref="third")["data"]
        assert err["code"] == "voice_full" and err["type"] == "voice_join"
        assert "2 people" in err["message"]
        assert "media server that carries more could not start" in err["message"]
        assert "the relay's log says why" in err["message"]
        assert "no network interface for media" not in err["message"]
        # The mesh carries on as it was.
        ann.send("chat", {}, ref="probe")
        ann.expect("error", ref="probe")
        assert not any(m["type"] == "voice_mode" for m in mia.seen + sam.seen)
        sam.send("voice_leave", {})
        ann.send("voice_join", {}, ref="again")
        assert ann.expect("voice_welcome")["data"]["mode"] == "mesh"
    finally:
        for c in made:
            c.close()

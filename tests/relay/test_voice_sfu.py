"""Voice through the relay's media server: a real Janus, started by the relay under test.

Everything runs in a network namespace (Janus gathers no candidates on loopback, so the
namespace gets a veth pair with 10.213.0.1 on one end; nothing outside can interfere):

- the Janus the relay starts: its generated config loads only the VideoRoom and the HTTP
  transport, its API answers on 127.0.0.1 only and only with the secret;
- three Chromium browsers, each with a fake microphone playing its own WAV (bursts at times
  of its own seed), on a relay with ``--voice-mesh-max 2``: a third speaker makes the room
  go through Janus, and each page hears the other two (what it records of each correlates
  with that speaker's WAV, not with the third's); a viewer joins too, hears everyone, and
  its audio reaches no one; when voice empties the Janus room is destroyed;
- when the relay stops, its Janus is gone.

Skipped, with the reason, when janus or Chromium is not installed or no network namespace
can be made (not root, no ``ip``); ``make test`` installs both and runs as root.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

from overshoulder.relay.janus import (
    START_TIMEOUT_S,
    JanusClient,
    JanusError,
    JanusOptions,
    JanusProcess,
    find_janus,
)
from tests.conftest import ARTIFACTS, RawClient, RelayProcess
from tests.voice.netns import NetNamespace, why_not_available

pytest.importorskip("playwright", reason="the SFU test drives Chromium through Playwright")

from playwright.sync_api import BrowserContext, sync_playwright

from overshoulder.core.voice.audio import SAMPLE_RATE, similarity, write_wav
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, ReviewerPage
from tests.voice.signals import speech_wav
from tests.waiting import wait_for

#: Where the pages' screenshots go (what each page shows while voice goes through Janus).
SHOTS = ARTIFACTS / "browser"
#: What the relay logs when its Janus is up.
JANUS_STARTED = re.compile(r"media server: janus on \S+, RTP ports \d+-\d+ \(pid (\d+)\)")
#: The namespace's one non-loopback address (a veth end), where Janus and Chromium meet.
MEDIA_ADDRESS = "10.213.0.1"

JOIN = """async () => {
    const { voice } = await import('/web/js/voice.js');
    await voice.join();
    voice.setMuted(false);
}"""

#: JS: the ids this page hears, with the link's kind ("sfu" when through the media server).
HEARD = """async () => {
    const { voice } = await import('/web/js/voice.js');
    const link = voice.linkOf('sfu');
    return { mode: voice.mode, sfu: !!link, voices: link ? link.voices : [] };
}"""

#: JS: what a page that ignores its role would do: offer its microphone to the media server.
FORGED_PUBLISH = """async () => {
    const { voice } = await import('/web/js/voice.js');
    const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection();
    pc.addTrack(mic.getAudioTracks()[0], mic);
    await pc.setLocalDescription(await pc.createOffer());
    voice.signal('sfu', { description: { type: 'offer', sdp: pc.localDescription.sdp } });
}"""

#: JS: ``ms`` of the voice heard from participant ``pid``, recorded as WebM/Opus (bytes).
RECORD = """async ([pid, ms]) => {
    const { voice } = await import('/web/js/voice.js');
    const rec = new MediaRecorder(voice.streamOf(pid), { mimeType: 'audio/webm;codecs=opus' });
    const blob = new Promise((done) => { rec.ondataavailable = (e) => done(e.data); });
    rec.start();
    setTimeout(() => rec.stop(), ms);
    return Array.from(new Uint8Array(await (await blob).arrayBuffer()));
}"""


def decode(webm: bytes) -> np.ndarray:
    """A WebM/Opus recording as mono int16 at 48 kHz."""
    import av

    out = []
    with av.open(io.BytesIO(webm)) as container:
        to_mono = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        for frame in container.decode(audio=0):
            out += [f.to_ndarray().reshape(-1) for f in to_mono.resample(frame)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int16)


def bursts(seed: int, pitch: float, seconds: float = 6.0) -> np.ndarray:
    """Mono int16: bursts of a tone at ``pitch`` Hz, 30-150 ms long, 50-250 ms apart, at
    times drawn from ``seed`` (each speaker its own pitch and rhythm)."""
    rng = np.random.default_rng(seed)
    out = np.zeros(int(seconds * SAMPLE_RATE))
    at = 0
    while True:
        at += int(rng.uniform(0.05, 0.25) * SAMPLE_RATE)
        n = int(rng.uniform(0.03, 0.15) * SAMPLE_RATE)
        if at + n >= len(out):
            return (0.5 * 32767 * out).astype(np.int16)
        edge = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / 240)
        out[at : at + n] = edge * np.sin(2 * np.pi * pitch * np.arange(n) / SAMPLE_RATE)
        at += n


def envelope(samples: np.ndarray) -> np.ndarray:
    """On or off per 10 ms (loudness above a fifth of the loudest), less its mean: when the
    bursts are, whatever gain the browser applied."""
    n = len(samples) // 480
    steps = samples[: n * 480].astype(np.float64).reshape(n, 480)
    loud = np.sqrt((steps**2).mean(axis=1))
    on = (loud > 0.2 * (loud.max() or 1.0)).astype(np.float64)
    return (on - on.mean()) * 0.5


def follows(heard: np.ndarray, sent: np.ndarray) -> float:
    """How well ``heard``'s bursts follow ``sent``'s (looping): over 1 s windows, each one's
    best correlation with some stretch of ``sent``, and of those the upper quartile.
    Windows, because a busy machine's jitter buffer drops or stretches a few ms now and then,
    which shifts everything after it; a window that spans such a jump scores low, so the
    clean ones (most of them) say how well the voice follows."""
    env, ref = envelope(heard), envelope(sent)
    scores = [similarity(env[i : i + 100], ref)[0] for i in range(0, len(env) - 99, 25)]
    return float(np.percentile(scores, 75)) if scores else 0.0


def pitch_of(samples: np.ndarray) -> float:
    """The strongest frequency in ``samples``, in Hz."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum)) * SAMPLE_RATE / len(samples)


def _missing() -> str | None:
    if find_janus() is None:
        return "janus is not installed (apt-get install janus): these tests run a real Janus"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return why_not_available()


@pytest.fixture(scope="module")
def media_ns() -> Iterator[NetNamespace]:
    """A namespace with lo up and a veth pair (10.213.0.1 on one end) that this thread is
    in for the module; deleted at the end."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    ns = NetNamespace(prefix="os-sfu").create()
    ip = shutil.which("ip") or "ip"
    try:
        for args in (
            ["link", "add", "sfu0", "type", "veth", "peer", "name", "sfu1"],
            ["addr", "add", f"{MEDIA_ADDRESS}/24", "dev", "sfu0"],
            ["link", "set", "sfu0", "up"],
            ["link", "set", "sfu1", "up"],
        ):
            subprocess.run(
                [ip, "netns", "exec", ns.name, ip, *args], check=True, capture_output=True
            )
        ns.enter()
        try:
            yield ns
        finally:
            ns.leave()
    finally:
        ns.delete()


def _janus_pid(relay: RelayProcess) -> int:
    """The pid of the relay's Janus, from the relay's log line saying it started."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(
            r"media server: janus on \S+, RTP ports \d+-\d+ \(pid (\d+)\)", relay.log_text()
        )
        if m:
            return int(m.group(1))
        time.sleep(0.05)
    raise AssertionError(f"the relay did not say it started janus: {relay.log_text()[-2000:]}")


def _janus_secrets(data_dir: Path) -> tuple[str, str]:
    """(api_secret, admin key) from the config the relay wrote for its Janus."""
    text = (data_dir / "janus" / "conf" / "janus.jcfg").read_text()
    api = re.search(r'api_secret = "([^"]+)"', text)
    admin = re.search(r'admin_secret = "([^"]+)"', text)
    assert api and admin, text
    return api.group(1), admin.group(1)


def _janus_port(data_dir: Path) -> int:
    text = (data_dir / "janus" / "conf" / "janus.transport.http.jcfg").read_text()
    m = re.search(r"port = (\d+)", text)
    assert m, text
    return int(m.group(1))


@pytest.fixture(scope="module")
def sfu_relay(
    media_ns: NetNamespace, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RelayProcess]:
    """A relay in the namespace with its own Janus and voice_mesh_max 2; after it stops, its
    Janus must be gone (killed here if not, and the test fails)."""
    base = 21000 + (os.getpid() * 7) % 8000
    proc = RelayProcess(
        tmp_path_factory.mktemp("sfu") / "relay-data",
        extra_args=[
            "--media-server",
            "janus",
            "--janus-rtp-ports",
            f"{base}-{base + 199}",
            "--voice-mesh-max",
            "2",
        ],
    )
    proc.start()
    janus = None
    try:
        janus = _janus_pid(proc)
        yield proc
    finally:
        proc.stop()
        if janus is not None:
            alive = _wait_gone(janus, 10)
            if alive:
                os.kill(janus, 9)
            assert not alive, "the relay stopped but its janus kept running"


def _wait_gone(pid: int, timeout: float) -> bool:
    """True if ``pid`` still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not Path(f"/proc/{pid}").exists() or "State:\tZ" in _status(pid):
            return False
        time.sleep(0.05)
    return True


def _status(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return ""


def janus_rooms(data_dir: Path) -> list[Any]:
    """The VideoRoom rooms the relay's Janus has now, asked with the relay's own secret."""
    api, admin = _janus_secrets(data_dir)
    return rooms_of(JanusClient(f"http://127.0.0.1:{_janus_port(data_dir)}/janus", api, admin))


def rooms_of(client: JanusClient) -> list[Any]:
    """The VideoRoom rooms of the Janus ``client`` reaches, on a thread of its own
    (Playwright's loop may run on this one; a new thread is in the same network namespace
    as the thread that starts it)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _rooms(client)).result(timeout=20)


async def _rooms(client: JanusClient) -> list[Any]:
    try:
        session = await client.create_session()
        try:
            handle = await session.attach()
            body = {"request": "list", "admin_key": client.admin_key}
            data = await handle.request(body, "list rooms")
            return list(data.get("list") or [])
        finally:
            await session.destroy()
    finally:
        await client.close()


# --- Janus as the relay starts it -------------------------------------------------------------


def test_relay_starts_janus_with_its_own_config(sfu_relay: RelayProcess) -> None:
    """Only the VideoRoom plugin and the HTTP transport; the API on 127.0.0.1 only, and only
    with the secret the relay generated (a secret that is not it is refused)."""
    data_dir = sfu_relay.data_dir
    port = _janus_port(data_dir)
    api, _admin = _janus_secrets(data_dir)
    info = requests.post(
        f"http://127.0.0.1:{port}/janus",
        json={"janus": "info", "transaction": "t1", "apisecret": api},
        timeout=5,
    ).json()
    assert info["janus"] == "server_info", info
    assert set(info["plugins"]) == {"janus.plugin.videoroom"}
    assert set(info["transports"]) == {"janus.transport.http"}
    assert info["api_secret"] is True
    refused = requests.post(
        f"http://127.0.0.1:{port}/janus",
        json={"janus": "create", "transaction": "t2", "apisecret": "not-the-secret"},
        timeout=5,
    ).json()
    assert refused["janus"] == "error", refused
    assert refused["error"]["code"] == 403, refused
    # Not on the namespace's other address: the API listens on loopback only.
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://{MEDIA_ADDRESS}:{port}/janus", json={"janus": "info"}, timeout=2)
    for folder in (data_dir / "janus", data_dir / "janus" / "conf"):
        mode = folder.stat().st_mode
        assert mode & 0o077 == 0, f"{folder} (Janus's secrets) is readable by others"
    assert janus_rooms(data_dir) == []


def test_janus_error_names_what_is_wrong(tmp_path: Path) -> None:
    """A Janus given by a URL where none answers: the error names the URL."""
    client = JanusClient("http://127.0.0.1:9/janus")
    with pytest.raises(JanusError, match=r"127\.0\.0\.1:9"):
        asyncio.run(_info_then_close(client))


async def _info_then_close(client: JanusClient) -> None:
    try:
        await client.info()
    finally:
        await client.close()


# --- Python members through a Janus given by URL ----------------------------------------------


@pytest.fixture
def running_janus(media_ns: NetNamespace, tmp_path: Path) -> Iterator[JanusProcess]:
    """A Janus the test runs itself (as a studio's own would be), with an API secret."""
    base = 23000 + (os.getpid() * 7) % 8000
    janus = JanusProcess(tmp_path / "studio-janus", JanusOptions(rtp_ports=(base, base + 99)))
    # Started from this thread: Janus is told to end when the thread that started it does.
    asyncio.run(janus.start())
    try:
        yield janus
    finally:
        asyncio.run(janus.stop())


def test_python_members_through_a_running_janus(
    running_janus: JanusProcess, tmp_path: Path
) -> None:
    """``--janus-url`` and ``--janus-secret-file``: three Python members past a cap of 2 go
    through the studio's Janus and hear each other; stopping the relay leaves that Janus
    running, with the relay's room gone once voice emptied."""
    pytest.importorskip("aiortc", reason="Python voice members need aiortc (the voice extra)")
    from overshoulder.core.client import SessionClient
    from overshoulder.core.voice import VoiceParticipant

    secret_file = tmp_path / "janus.secret"
    secret_file.write_text(f"{running_janus.api_secret}\n{running_janus.admin_key}\n")
    relay = RelayProcess(
        tmp_path / "relay-data",
        extra_args=[
            "--janus-url",
            running_janus.url,
            "--janus-secret-file",
            str(secret_file),
            "--voice-mesh-max",
            "2",
        ],
    ).start()
    members: list[tuple[SessionClient, VoiceParticipant]] = []
    try:
        created = relay.create_session(name="Shot 030 voice", host_name="Mia")
        said = {}
        for n, name in enumerate(("Mia", "Leo", "Ada")):
            client, voice, said[name] = _voice_member(relay, created, n, name, tmp_path, 40 + n)
            members.append((client, voice))
            voice.join()
        ids = {c.participant.name: c.participant.id for c, _ in members if c.participant}
        assert wait_for(lambda: all(v.mode == "sfu" for _, v in members), timeout=20), [
            v.mode for _, v in members
        ]
        for client, voice in members:
            me = client.participant
            assert me is not None
            for other, pid in ids.items():
                if pid == me.id:
                    continue
                since = time.time()
                assert voice.wait_heard(pid, 2.0, since, timeout=30), (
                    f"{me.name} did not hear {other} (links: {sorted(voice.connected)}, "
                    f"error: {voice.last_error})"
                )
                got = voice.recording(pid, since)
                right = matches(got, said[other])
                third = next(n for n in ids if n not in (me.name, other))
                wrong = matches(got, said[third])
                assert right > 0.8 and right > wrong + 0.25, (me.name, other, right, wrong)
        assert len(rooms_of(_client_of(running_janus))) == 1
    finally:
        for client, voice in members:
            voice.leave()
            client.close()
        # Voice emptied: the relay destroys its room in the studio's Janus.
        assert wait_for(lambda: rooms_of(_client_of(running_janus)) == [], timeout=10)
        relay.stop()
    assert running_janus.proc is not None and running_janus.proc.poll() is None, (
        "the relay stopped a Janus it did not start"
    )


def matches(got: np.ndarray, said: np.ndarray) -> float:
    """How well ``got`` is ``said`` (looping): the upper quartile of the waveform similarity
    of its half-second windows (a window where a busy machine's jitter buffer dropped or
    stretched audio scores low; most do not)."""
    half = SAMPLE_RATE // 2
    scores = [
        similarity(got[i : i + half], said)[0] for i in range(0, len(got) - half + 1, half // 2)
    ]
    return float(np.percentile(scores, 75)) if scores else 0.0


def _client_of(janus: JanusProcess) -> JanusClient:
    return JanusClient(janus.url, janus.api_secret, janus.admin_key)


# --- Janus started when a room needs it (the default) -------------------------------------------


def _janus_children(relay: RelayProcess) -> list[int]:
    """The pids of the janus processes the relay runs now."""
    assert relay.proc is not None
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            comm, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == relay.proc.pid and comm == "janus":
            found.append(int(stat.parent.name))
    return found


def _voice_clients(relay: RelayProcess, n: int, made: list[RawClient]) -> list[RawClient]:
    """``n`` participants of a new session (a host, then reviewers), synced."""
    created = relay.create_session()
    sid = created["session"]["id"]
    out = []
    for i in range(n):
        c = RawClient(relay.ws_url)
        made.append(c)
        c.join(created["host_token"] if i == 0 else relay.invite(sid, "reviewer"), f"P{i}")
        c.expect("synced")
        out.append(c)
    return out


def test_a_relay_with_default_options_starts_janus_when_a_room_needs_it_and_keeps_it(
    media_ns: NetNamespace, tmp_path: Path
) -> None:
    """No ``--media-server``: no Janus while rooms fit a mesh; the third member past a cap of
    2 makes the relay start its Janus and the room goes through it, the members hearing
    each other; a later room uses the same Janus; it ends with the relay."""
    pytest.importorskip("aiortc", reason="Python voice members need aiortc (the voice extra)")
    from overshoulder.core.client import SessionClient
    from overshoulder.core.voice import VoiceParticipant

    relay = RelayProcess(tmp_path / "relay-data", extra_args=["--voice-mesh-max", "2"]).start()
    members: list[tuple[SessionClient, VoiceParticipant]] = []
    made: list[RawClient] = []
    janus: list[int] = []
    try:
        created = relay.create_session(name="Shot 040 voice", host_name="Mia")
        said = {}
        for n, name in enumerate(("Mia", "Leo", "Ada")):
            client, voice, said[name] = _voice_member(relay, created, n, name, tmp_path, 60 + n)
            members.append((client, voice))
            if n == 2:  # two in a mesh: still no media server
                assert wait_for(lambda: all(v.mode == "mesh" for _, v in members[:2]), 10)
                assert members[0][1].wait_connected([members[1][0].participant.id], 20)  # type: ignore[union-attr]
                assert _janus_children(relay) == [], "a mesh started janus"
                assert not JANUS_STARTED.search(relay.log_text())
            voice.join()
        assert wait_for(lambda: all(v.mode == "sfu" for _, v in members), timeout=30), [
            v.mode for _, v in members
        ]
        janus = [_janus_pid(relay)]
        assert _janus_children(relay) == janus
        ids = {c.participant.name: c.participant.id for c, _ in members if c.participant}
        for listener, speaker in (("Mia", "Ada"), ("Ada", "Mia")):
            voice = next(v for c, v in members if c.participant and c.participant.name == listener)
            since = time.time()
            assert voice.wait_heard(ids[speaker], 2.0, since, timeout=30), (
                f"{listener} did not hear {speaker} (error: {voice.last_error})"
            )
            got = voice.recording(ids[speaker], since)
            right = matches(got, said[speaker])
            wrong = matches(got, said["Leo"])
            assert right > 0.8 and right > wrong + 0.25, (listener, speaker, right, wrong)
        for _, voice in members:
            voice.leave()
        # Another session's room past the cap goes through the same Janus.
        a, b, c = _voice_clients(relay, 3, made)
        for who in (a, b):
            who.send("voice_join", {"muted": True})
            assert who.expect("voice_welcome")["data"]["mode"] == "mesh"
        c.send("voice_join", {"muted": True})
        assert c.expect("voice_welcome", timeout=20)["data"]["mode"] == "sfu"
        assert len(JANUS_STARTED.findall(relay.log_text())) == 1
        assert _janus_children(relay) == janus
    finally:
        for client, voice in members:
            voice.leave()
            client.close()
        for raw in made:
            raw.close()
        relay.stop()
        for pid in janus:
            alive = _wait_gone(pid, 10)
            if alive:
                os.kill(pid, 9)
            assert not alive, "the relay stopped but its janus kept running"


@pytest.fixture
def loopback_only() -> Iterator[NetNamespace]:
    """A namespace with nothing but loopback (127.0.0.1 and 127.0.0.2), this thread in it."""
    reason = why_not_available() or (None if find_janus() else "janus is not installed")
    if reason:
        pytest.skip(reason)
    with NetNamespace(prefix="os-lo").inside() as ns:
        yield ns


def test_on_a_machine_with_only_loopback_the_joiner_past_the_cap_hears_why(
    loopback_only: NetNamespace, tmp_path: Path
) -> None:
    """Janus would take no media there: the relay does not start it, logs why, and the
    joiner past the cap gets voice_full saying the media server could not start."""
    relay = RelayProcess(tmp_path / "relay-data", extra_args=["--voice-mesh-max", "2"]).start()
    made: list[RawClient] = []
    try:
        a, b, c = _voice_clients(relay, 3, made)
        for who in (a, b):
            who.send("voice_join", {})
            who.expect("voice_welcome")
        c.send("voice_join", {}, ref="third")
        err = c.expect("error", ref="third", timeout=20)["data"]
        assert err["code"] == "voice_full" and err["type"] == "voice_join", err
        assert "media server that carries more could not start" in err["message"], err
        # Why goes to the relay's log, not to reviewers (it names the machine's interfaces).
        assert "the relay's log says why" in err["message"], err
        logged = relay.log_text()
        assert "the media server could not start" in logged
        assert "no network interface Janus can take media on" in logged, logged[-2000:]
        assert _janus_children(relay) == []
        # The mesh is untouched: one leaves, the third gets in, peer to peer.
        b.send("voice_leave", {})
        c.send("voice_join", {})
        assert c.expect("voice_welcome")["data"]["mode"] == "mesh"
    finally:
        for raw in made:
            raw.close()
        relay.stop()


def test_a_janus_whose_api_port_is_taken_says_so(media_ns: NetNamespace, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        janus = JanusProcess(tmp_path / "janus", JanusOptions(rtp_ports=(24000, 24099)), port=port)
        started = time.monotonic()
        with pytest.raises(JanusError, match=f"Couldn't start webserver on port {port}"):
            asyncio.run(janus.start())
        assert time.monotonic() - started < START_TIMEOUT_S
    assert janus.proc is None and janus.port == port  # a port it was given is kept


# --- three speakers and a viewer in Chromium ----------------------------------------------------


SPEAKERS = ("host", "rev1", "rev2")
SEEDS = {"host": 101, "rev1": 202, "rev2": 303}
PITCHES = {"host": 500.0, "rev1": 850.0, "rev2": 1300.0}


@pytest.fixture(scope="module")
def browsers(media_ns: NetNamespace) -> Iterator[dict[str, BrowserContext]]:
    """One Chromium per speaker (the fake microphone's file is per browser), started from
    this thread, so inside the namespace."""
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="os-sfu-")))
        pw = stack.enter_context(sync_playwright())
        out: dict[str, BrowserContext] = {}
        for name, seed in SEEDS.items():
            wav = tmp / f"{name}.wav"
            write_wav(wav, bursts(seed, PITCHES[name]))
            context = pw.chromium.launch_persistent_context(
                str(tmp / f"profile-{name}"),
                executable_path=str(CHROMIUM),
                headless=True,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={wav}",
                    "--autoplay-policy=no-user-gesture-required",
                    # Host candidates as addresses, not mDNS names nobody here resolves.
                    "--disable-features=WebRtcHideLocalIpsWithMdns",
                ],
            )
            context.set_default_timeout(WAIT_MS)
            stack.callback(context.close)
            out[name] = context
        yield out


def _open(context: BrowserContext, url: str) -> ReviewerPage:
    page = ReviewerPage(context.new_page())
    page.page.goto(url)
    page.wait_live()
    return page


def _pid(page: ReviewerPage) -> str:
    welcome = page.wait_received(lambda m: m["type"] == "welcome", "the welcome")
    return str(welcome["data"]["participant"]["id"])


def _wait_heard(page: ReviewerPage, ids: set[str], what: str) -> dict[str, Any]:
    """Wait until the page hears exactly ``ids`` through the media server."""
    deadline = time.monotonic() + WAIT_MS / 1000 * 2
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = page.page.evaluate(HEARD)
        if state["sfu"] and set(state["voices"]) == ids:
            return state
        page.page.wait_for_timeout(100)
    raise AssertionError(f"{what}: the page hears {state}, not {sorted(ids)} through the SFU")


def test_three_speakers_go_through_janus_and_hear_each_other(
    sfu_relay: RelayProcess,
    browsers: dict[str, BrowserContext],
) -> None:
    sent = {name: bursts(seed, PITCHES[name]) for name, seed in SEEDS.items()}
    created = sfu_relay.create_session(name="Shot 020 voice", host_name="Mia")
    sid, host_token = created["session"]["id"], created["host_token"]
    links = {
        "host": host_token,
        "rev1": sfu_relay.invite(sid, "reviewer", name="Ravi"),
        "rev2": sfu_relay.invite(sid, "reviewer", name="Noor"),
    }
    pages = {
        name: _open(browsers[name], f"{sfu_relay.url}/s/{sid}#t={token}")
        for name, token in links.items()
    }
    ids = {name: _pid(page) for name, page in pages.items()}
    for page in pages.values():
        page.page.evaluate(JOIN)
    # voice_mesh_max is 2: the third joiner switched the room to the media server.
    for name, page in pages.items():
        others = {ids[n] for n in SPEAKERS if n != name}
        state = _wait_heard(page, others, f"{name} with three speakers")
        assert state["mode"] == "sfu"
        assert any(m["type"] == "voice_mode" and m["data"]["mode"] == "sfu" for m in page.received)
    # Each page hears each other speaker: the recording of a voice matches that speaker's
    # WAV, and not the third's.
    for name, page in pages.items():
        for other in SPEAKERS:
            if other == name:
                continue
            heard = decode(bytes(page.page.evaluate(RECORD, [ids[other], 4000])))
            assert len(heard) > SAMPLE_RATE * 2, f"{name} recorded {len(heard)} samples"
            heard = heard[SAMPLE_RATE // 2 :]  # past the recorder's start
            right = follows(heard, sent[other])
            third = next(n for n in SPEAKERS if n not in (name, other))
            wrong = follows(heard, sent[third])
            pitch = pitch_of(heard)
            print(f"{name} hears {other}: {right:.2f} (the third's: {wrong:.2f}), {pitch:.0f} Hz")
            assert right > 0.85 and right > wrong + 0.1, (
                f"{name} hearing {other}: correlation {right:.2f} with {other}'s WAV, "
                f"{wrong:.2f} with {third}'s"
            )
            assert abs(pitch - PITCHES[other]) < 30, (
                f"{name} hears {pitch:.0f} Hz from {other}, whose WAV is {PITCHES[other]:.0f} Hz"
            )
    # A viewer (in the host's browser: its microphone would be the host's file) joins: it
    # hears the three speakers, and nobody hears it.
    viewer_link = f"{sfu_relay.url}/s/{sid}#t={sfu_relay.invite(sid, 'viewer', name='Vic')}"
    viewer = _open(browsers["host"], viewer_link)
    vid = _pid(viewer)
    viewer.page.evaluate(JOIN)
    _wait_heard(viewer, set(ids.values()), "the viewer")
    welcome = viewer.wait_received(lambda m: m["type"] == "voice_welcome", "voice_welcome")
    assert welcome["data"]["mode"] == "sfu" and welcome["data"]["can_speak"] is False
    # Even a viewer page that offers its microphone to the media server is refused: the
    # relay gives a viewer no publisher in Janus.
    viewer.page.evaluate(FORGED_PUBLISH)
    refusal = viewer.wait_received(
        lambda m: m["type"] == "error" and m["data"].get("type") == "voice_signal", "a refusal"
    )
    assert refusal["data"]["code"] == "forbidden", refusal
    viewer.errors = [e for e in viewer.errors if "forbidden" not in e]
    for name, page in pages.items():
        state = page.page.evaluate(HEARD)
        assert vid not in state["voices"], f"{name} hears the viewer"
        offers = [
            m["data"]
            for m in page.received
            if m["type"] == "voice_signal" and m["data"].get("id") == "sfu-sub"
        ]
        assert offers and all(vid not in {s["id"] for s in o.get("streams") or []} for o in offers)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, page in [*pages.items(), ("viewer", viewer)]:
        page.page.screenshot(path=str(SHOTS / f"voice-sfu-{name}.png"))
    # Voice empties: the Janus room goes.
    assert len(janus_rooms(sfu_relay.data_dir)) == 1
    for page in [*pages.values(), viewer]:
        page.page.evaluate("async () => (await import('/web/js/voice.js')).voice.leave()")
    deadline = time.monotonic() + 10
    while janus_rooms(sfu_relay.data_dir) and time.monotonic() < deadline:
        viewer.page.wait_for_timeout(100)
    assert janus_rooms(sfu_relay.data_dir) == [], "the Janus room outlived voice"
    for name, page in [*pages.items(), ("viewer", viewer)]:
        assert not page.errors, (name, page.errors)
        page.page.close()


def _voice_member(
    relay: RelayProcess, created: dict[str, Any], n: int, name: str, tmp_path: Path, seed: int
) -> tuple[Any, Any, Any]:
    """Member ``n`` of ``created`` (the host first, then reviewers): its synced client, its
    Python voice speaking a WAV made from ``seed``, and that WAV's samples."""
    from overshoulder.core.client import SessionClient
    from overshoulder.core.voice import VoiceParticipant, read_wav

    token = created["host_token"] if n == 0 else relay.invite(created["session"]["id"], "reviewer")
    client = SessionClient(relay.url, token, name)
    client.start()
    assert client.wait_synced(10), f"{name} did not sync: {client.last_error}"
    wav = speech_wav(tmp_path, seed)
    return client, VoiceParticipant(client, wav), read_wav(wav)

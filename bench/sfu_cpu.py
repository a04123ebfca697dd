"""The media server's CPU per voice stream: Janus VideoRoom, audio only, 2 to 8 speakers.

Setup: the relay's own ``MediaServer`` (relay/voice_sfu.py) starts Janus with its generated
config; an ``SfuBridge`` makes the room as a relay does. Every speaker is an aiortc peer in
this process that publishes a 48 kHz Opus tone (its own pitch) and subscribes to everyone
else, so N speakers mean N streams into Janus and N x (N - 1) out of it. After 3 s of
warm-up, Janus's CPU time (utime + stime from /proc) is read over a 10 s window, and every
receiver checks that it hears each other speaker at that speaker's pitch.

Reported per N: Janus's CPU in % of one core, per stream in, per stream out. The peers'
own CPU (aiortc decodes and encodes in Python) is not Janus's and is not counted.

Needs Linux, janus installed, and an interface other than loopback (Janus gathers no
loopback candidates). Run: ``python bench/sfu_cpu.py [--speakers 2 4 8]`` (about 15 s per N).
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from overshoulder.core.protocol.messages import SessionDescription, VoiceSignal
from overshoulder.relay.janus import JanusOptions
from overshoulder.relay.voice_sfu import SFU_PUBLISH, SFU_SUBSCRIBE, MediaServer, SfuBridge

RATE = 48000
FRAME = 960
TICKS = os.sysconf("SC_CLK_TCK")


class Tone(MediaStreamTrack):
    """A sine at ``freq`` Hz, paced in real time on the event loop."""

    kind = "audio"

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq = freq
        self.sent = 0
        self.t0: Optional[float] = None

    async def recv(self) -> av.AudioFrame:
        if self.t0 is None:
            self.t0 = time.monotonic()
        wait = self.t0 + self.sent / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        n = np.arange(self.sent, self.sent + FRAME)
        pcm = (9000 * np.sin(2 * np.pi * self.freq * n / RATE)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self.sent
        frame.time_base = fractions.Fraction(1, RATE)
        self.sent += FRAME
        return frame


class Peer:
    """One speaker: a publishing and a subscribing connection, and the pitch it hears per
    other speaker."""

    def __init__(self, pid: str, freq: float, bridge: list[SfuBridge]) -> None:
        self.pid, self.freq, self.bridge = pid, freq, bridge
        self.pub = RTCPeerConnection()
        self.sub: Optional[RTCPeerConnection] = None
        self.mids: dict[str, str] = {}
        self.pitch: dict[str, float] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.pub.addTrack(Tone(self.freq))
        await self.pub.setLocalDescription(await self.pub.createOffer())
        await self.bridge[0].signal(self.pid, _sig(SFU_PUBLISH, "offer", self.pub))

    def receive(self, data: dict[str, Any]) -> None:
        self.tasks.append(asyncio.get_running_loop().create_task(self._receive(data)))

    async def _receive(self, data: dict[str, Any]) -> None:
        desc = RTCSessionDescription(**data["description"])
        if data["id"] == SFU_PUBLISH:
            await self.pub.setRemoteDescription(desc)
            return
        self.mids = {s["mid"]: s["id"] for s in data.get("streams") or []}
        if self.sub is None:
            self.sub = RTCPeerConnection()
            self.sub.on("track", self._track)
        await self.sub.setRemoteDescription(desc)
        await self.sub.setLocalDescription(await self.sub.createAnswer())
        await self.bridge[0].signal(self.pid, _sig(SFU_SUBSCRIBE, "answer", self.sub))

    def _track(self, track: MediaStreamTrack) -> None:
        assert self.sub is not None
        mid = next(t.mid for t in self.sub.getTransceivers() if t.receiver.track is track)
        self.tasks.append(asyncio.get_running_loop().create_task(self._listen(str(mid), track)))

    async def _listen(self, mid: str, track: MediaStreamTrack) -> None:
        frames = 0
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            frames += 1
            if frames % 25:  # the pitch twice a second is enough, and keeps this process light
                continue
            pcm = frame.to_ndarray().astype(np.float32).reshape(-1, len(frame.layout.channels))
            mono = pcm[:, 0]
            if np.abs(mono).max() > 1000:
                spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
                self.pitch[self.mids.get(mid, "?")] = (
                    float(np.argmax(spectrum)) * frame.sample_rate / len(mono)
                )

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()


def _sig(to: str, kind: Any, pc: RTCPeerConnection) -> VoiceSignal:
    return VoiceSignal(
        to=to, description=SessionDescription(type=kind, sdp=pc.localDescription.sdp)
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def run(server: MediaServer, speakers: int, window_s: float) -> dict[str, float]:
    peers: dict[str, Peer] = {}
    holder: list[SfuBridge] = []
    bridge = server.bridge(lambda pid, _t, data: peers[pid].receive(data), name="bench")
    holder.append(bridge)
    try:
        for i in range(speakers):
            pid = f"p{i}"
            peers[pid] = Peer(pid, 300 + 150 * i, holder)
            await asyncio.wait_for(bridge.join(pid, True), 20)
            await asyncio.wait_for(peers[pid].start(), 20)
            print(f"  {pid} publishing", file=sys.stderr, flush=True)
        await asyncio.sleep(3)
        print("  measuring", file=sys.stderr, flush=True)
        assert server.process is not None and server.process.proc is not None
        jpid = server.process.proc.pid
        c0, t0 = cpu_seconds(jpid), time.monotonic()
        await asyncio.sleep(window_s)
        cpu = 100 * (cpu_seconds(jpid) - c0) / (time.monotonic() - t0)
        heard = sum(
            1
            for p in peers.values()
            for q in peers.values()
            if q is not p and abs(p.pitch.get(q.pid, 0) - q.freq) < 60
        )
    finally:
        print("  closing", file=sys.stderr, flush=True)
        await asyncio.wait_for(bridge.close(), 30)
        for peer in peers.values():
            await asyncio.wait_for(peer.close(), 10)
    out_streams = speakers * (speakers - 1)
    return {
        "speakers": speakers,
        "cpu": cpu,
        "per_in": cpu / speakers,
        "per_out": cpu / out_streams,
        "heard": heard,
        "expected": out_streams,
    }


async def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--window", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sfu-cpu-") as tmp:
        server = MediaServer.managed(Path(tmp), JanusOptions(rtp_ports=(42000, 42999)))
        try:
            await server.start()
        except Exception as exc:
            print(f"SKIP: {exc}")
            return 0
        try:
            print(
                "| speakers | streams in / out | janus CPU (% of a core) | per stream in | "
                "per stream out | heard |"
            )
            print("|---|---|---|---|---|---|")
            for n in args.speakers:
                r = await run(server, n, args.window)
                print(
                    f"| {n} | {n} / {n * (n - 1)} | {r['cpu']:.2f} | {r['per_in']:.2f} | "
                    f"{r['per_out']:.2f} | {r['heard']}/{r['expected']} |",
                    flush=True,
                )
        finally:
            await server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

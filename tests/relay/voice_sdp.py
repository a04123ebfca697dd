"""SDP descriptions for voice tests: an audio offer as a browser writes one, and variants."""

from __future__ import annotations

AUDIO_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:abcdefghijklmnopqrstuvwx",
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "",
    ]
)

VIDEO_SECTION = "\r\n".join(
    [
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "",
    ]
)


def answer(direction: str = "sendrecv") -> str:
    """An audio answer with ``direction``."""
    return AUDIO_OFFER.replace("a=setup:actpass", "a=setup:active").replace(
        "a=sendrecv", f"a={direction}"
    )


def with_video() -> str:
    """The audio offer with a video m-line after it."""
    return AUDIO_OFFER + VIDEO_SECTION


def directions(sdp: str) -> list[str]:
    """The direction attributes of a description, in order."""
    names = ("sendrecv", "sendonly", "recvonly", "inactive")
    return [line[2:] for line in sdp.splitlines() if line[2:] in names and line[:2] == "a="]

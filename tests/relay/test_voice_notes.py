"""Voice notes through a real relay: upload, the relay's checks of the bytes and of who sends
them, fetching them back, notes that name them, and a restart that keeps them."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import new_id
from overshoulder.relay.voicenotes import (
    SessionFull,
    VoiceNoteRefused,
    VoiceNoteStore,
    inspect,
)
from tests import voice_clips as vc

SAM_CLIENT = "6f1c1f9e-2b0e-4b8e-9b8e-1c2d3e4f5a6b"

#: A three-second recording as MediaRecorder makes it, made once.
_CLIPS: dict[str, bytes] = {}


def _clip(kind: str = "recorder", seconds: float = 3.0) -> bytes:
    key = f"{kind}:{seconds}"
    if key not in _CLIPS:
        if kind == "recorder":
            _CLIPS[key] = vc.mediarecorder_webm(seconds)
        else:
            _CLIPS[key] = vc.libav(kind, seconds)
    return _CLIPS[key]


def _upload(relay, sid: str, token: str, data: bytes, mime: str = "audio/webm"):
    return requests.post(
        f"{relay.url}/api/sessions/{sid}/voice-notes",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": mime},
        timeout=10,
    )


def _fetch(relay, sid: str, token: str, clip_id: str):
    return requests.get(
        f"{relay.url}/api/sessions/{sid}/voice-notes/{clip_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _voice_note(clip: dict[str, Any], frame: int = 1012) -> dict[str, Any]:
    return {
        "id": new_id(),
        "shape": {"kind": "ellipse", "min": [-0.86, 0.42], "max": [-0.82, 0.46]},
        "anchor": {"frame": frame},
        "audio": clip,
    }


def _refusal(r) -> str:
    body = r.json()
    return f"{body['error']['code']}: {body['error']['message']}"


# --- upload and fetch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "mime"), [("recorder", "audio/webm"), ("webm", "audio/webm"), ("ogg", "audio/ogg")]
)
def test_an_upload_is_kept_by_hash_measured_by_the_relay_and_fetched_back_by_any_role(
    relay, session, kind, mime
):
    sid, host = session["session"]["id"], session["host_token"]
    data = _clip(kind)
    r = _upload(relay, sid, host, data, mime)
    assert r.status_code == 201, r.text
    clip = r.json()["clip"]
    assert clip["id"] == hashlib.sha256(data).hexdigest()
    assert clip["mime"] == mime and clip["size"] == len(data)
    # Measured from the blocks or granules (MediaRecorder's WebM says no duration).
    assert clip["duration"] == pytest.approx(vc.decoded_seconds(data), abs=0.03)
    for role in ("host", "reviewer", "viewer"):
        token = host if role == "host" else relay.invite(sid, role)
        got = _fetch(relay, sid, token, clip["id"])
        assert got.status_code == 200, (role, got.text)
        assert got.content == data
        assert got.headers["Content-Type"] == mime
        assert "immutable" in got.headers["Cache-Control"]
    audit = requests.get(
        f"{relay.url}/api/sessions/{sid}/audit",
        headers={"Authorization": f"Bearer {host}"},
        timeout=5,
    ).json()["audit"]
    fetched = [e for e in audit if e["detail"] == f"voice note {clip['id']}"]
    assert [e["action"] for e in fetched] == ["download"] * 3
    assert {e["role"] for e in fetched} == {"host", "reviewer", "viewer"}
    # The same bytes again are the same clip.
    again = _upload(relay, sid, relay.invite(sid, "reviewer"), data, mime)
    assert again.status_code == 201 and again.json()["clip"] == clip


def _webm_with(tracks: bytes) -> bytes:
    return vc.mediarecorder_webm(1.0, tracks=tracks)


def _bad_bodies() -> list[tuple[str, bytes, str]]:
    head, _ = vc.opus_packets(0.1)
    good = _clip()
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt "
    return [
        ("empty", b"", "empty"),
        ("a WAV file", wav + b"\x00" * 100, "not a WebM or Ogg"),
        ("an MP3 file", b"ID3\x04\x00" + b"\x00" * 100, "not a WebM or Ogg"),
        (
            "Matroska, not WebM",
            vc.ebml_header(b"matroska") + good[len(vc.ebml_header()) :],
            "DocType",
        ),
        ("a video track", _webm_with(vc.track_entry(head, b"V_VP8", kind=1)), "video track"),
        ("Vorbis audio", _webm_with(vc.track_entry(head, b"A_VORBIS")), "not Opus"),
        ("no OpusHead", _webm_with(vc.track_entry(b"junk")), "OpusHead"),
        (
            "two audio tracks",
            _webm_with(vc.track_entry(head) + vc.track_entry(head, number=2)),
            "2 audio tracks",
        ),
        ("cut short", good[: len(good) // 2 + 3], "cut short"),
        ("no blocks", _webm_with(vc.track_entry(head))[:200], "cut short"),
        ("Ogg cut short", _clip("ogg")[:-5], "cut short"),
        (
            "Ogg without Opus",
            b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x13" + b"\x01vorbis" + b"\x00" * 12,
            "not Opus",
        ),
    ]


def test_what_is_no_opus_recording_is_refused_with_what_was_wrong(relay, session):
    sid, host = session["session"]["id"], session["host_token"]
    for name, body, said in _bad_bodies():
        r = _upload(relay, sid, host, body)
        assert r.status_code == 400, (name, r.text)
        assert r.json()["error"]["code"] == "bad_message", name
        assert said in r.json()["error"]["message"], (name, _refusal(r))


def test_a_recording_over_a_minute_or_over_the_byte_cap_is_refused(relay, session):
    sid, host = session["session"]["id"], session["host_token"]
    long = _upload(relay, sid, host, _clip("recorder", 61.0))
    assert long.status_code == 400
    assert "61.0 s" in long.json()["error"]["message"] and "60 s" in long.json()["error"]["message"]
    # A minute exactly is fine.
    assert _upload(relay, sid, host, _clip("recorder", 59.9)).status_code == 201
    cap = DEFAULT_LIMITS.max_voice_note_bytes
    big = _clip() + b"\x00" * (cap + 1 - len(_clip()))
    r = _upload(relay, sid, host, big)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert str(cap) in r.json()["error"]["message"]


def test_viewers_other_sessions_and_no_token_cannot_upload_or_fetch(relay, session):
    sid, host = session["session"]["id"], session["host_token"]
    other = relay.create_session("Shot 020")
    osid, ohost = other["session"]["id"], other["host_token"]
    data = _clip()
    viewer = _upload(relay, sid, relay.invite(sid, "viewer"), data)
    assert viewer.status_code == 403 and "viewer" in viewer.json()["error"]["message"]
    assert _upload(relay, sid, ohost, data).status_code == 403  # a token of another session
    nobody = requests.post(f"{relay.url}/api/sessions/{sid}/voice-notes", data=data, timeout=5)
    assert nobody.status_code == 401
    clip = _upload(relay, sid, relay.invite(sid, "reviewer"), data).json()["clip"]
    assert _fetch(relay, sid, ohost, clip["id"]).status_code == 403
    # The other session's host asks its own session: not kept there.
    missing = _fetch(relay, osid, ohost, clip["id"])
    assert missing.status_code == 404 and clip["id"] in missing.json()["error"]["message"]
    assert _fetch(relay, sid, host, "0" * 63).status_code == 400
    assert (
        requests.get(
            f"{relay.url}/api/sessions/{sid}/voice-notes/{clip['id']}", timeout=5
        ).status_code
        == 401
    )


def test_uploads_through_one_link_are_rate_limited(relay, session):
    sid = session["session"]["id"]
    token = relay.invite(sid, "reviewer")
    data = _clip("recorder", 0.5)
    codes = [
        _upload(relay, sid, token, data).status_code for _ in range(DEFAULT_LIMITS.rate_burst + 2)
    ]
    assert codes[0] == 201 and codes[-1] == 429, codes
    # Another link is not held back by this one.
    assert _upload(relay, sid, relay.invite(sid, "reviewer"), data).status_code == 201


def test_a_session_keeps_so_many_bytes_of_voice_notes(tmp_path):
    store = VoiceNoteStore(tmp_path / "voice-notes")
    one, two = _clip("recorder", 1.0), _clip("recorder", 2.0)
    store.keep("s1", one, len(one) + len(two) - 1, 60.0)
    store.keep("s1", one, len(one) + len(two) - 1, 60.0)  # the same bytes take no more room
    with pytest.raises(SessionFull, match="MiB"):
        store.keep("s1", two, len(one) + len(two) - 1, 60.0)
    store.keep("s2", two, len(one) + len(two) - 1, 60.0)  # another session has its own
    # A store opened again counts what is on disk.
    again = VoiceNoteStore(tmp_path / "voice-notes")
    with pytest.raises(SessionFull):
        again.keep("s1", two, len(one) + len(two) - 1, 60.0)


def _restart(relay, *args: str) -> None:
    relay.stop()
    relay.extra_args = list(args)
    relay.start()


def test_the_relay_keeps_so_many_bytes_of_voice_notes_all_sessions_together(relay, session):
    one, two = _clip("recorder", 1.0), _clip("recorder", 2.0)
    _restart(relay, "--voice-notes-max-bytes", str(len(one) + len(two) - 1))
    sid, host = session["session"]["id"], session["host_token"]
    assert _upload(relay, sid, host, one).status_code == 201
    other = relay.create_session("Shot 020")
    full = _upload(relay, other["session"]["id"], other["host_token"], two)
    assert full.status_code == 507, full.text
    message = full.json()["error"]["message"]
    assert "all sessions together" in message and "--voice-notes-max-bytes" in message
    # The same bytes again take no more room; after a restart the relay counts what it keeps.
    assert _upload(relay, sid, host, one).status_code == 201
    _restart(relay, "--voice-notes-max-bytes", str(len(one) + len(two) - 1))
    assert _upload(relay, sid, host, two).status_code == 507
    _restart(relay, "--voice-notes-max-bytes", str(len(one) + len(two)))
    assert _upload(relay, sid, host, two).status_code == 201


def test_an_upload_that_would_leave_the_disk_below_its_floor_is_refused(relay, session):
    free = shutil.disk_usage(relay.data_dir).free
    _restart(relay, "--voice-notes-min-free", str(free + 10 * 1024**3))
    sid, host = session["session"]["id"], session["host_token"]
    r = _upload(relay, sid, host, _clip())
    assert r.status_code == 507, r.text
    message = r.json()["error"]["message"]
    assert "disk has" in message and "--voice-notes-min-free" in message
    assert not list((relay.data_dir / "voice-notes").glob(f"{sid}/*/*.webm"))
    _restart(relay, "--voice-notes-min-free", "1M")
    assert _upload(relay, sid, host, _clip()).status_code == 201


def _age(relay, sid: str, clip_id: str, seconds: float) -> None:
    """Make a kept clip look uploaded ``seconds`` ago."""
    meta = relay.data_dir / "voice-notes" / sid / clip_id[:2] / f"{clip_id}.json"
    when = time.time() - seconds
    os.utime(meta, (when, when))


def test_recordings_no_note_names_are_removed_after_a_while_at_start(relay, raw):
    created = relay.create_session()
    sid, host = created["session"]["id"], created["host_token"]
    unused, noted, deleted, fresh = (
        _upload(relay, sid, host, _clip("recorder", s)).json()["clip"] for s in (1.0, 2.0, 0.5, 1.5)
    )
    mia = raw()
    mia.join(host, "Mia")
    mia.expect("synced")
    for clip in (noted, deleted):
        note = _voice_note(clip)
        mia.send("annotation_add", {"annotation": note}, ref=clip["id"][:8], eid=new_id())
        mia.expect("ack", ref=clip["id"][:8])
        if clip is deleted:  # a deleted note's recording stays: undo brings the note back
            mia.send("annotation_delete", {"id": note["id"]}, ref="d", eid=new_id())
            mia.expect("ack", ref="d")
    mia.close()
    for clip in (unused, noted, deleted):
        _age(relay, sid, clip["id"], 7200)
    _restart(relay, "--voice-notes-unused-after", "1h")

    def gone() -> bool:
        return _fetch(relay, sid, host, unused["id"]).status_code == 404

    deadline = time.monotonic() + 10
    while not gone():
        assert time.monotonic() < deadline, "the unused recording was not removed"
        time.sleep(0.05)
    assert not list((relay.data_dir / "voice-notes" / sid).glob(f"*/{unused['id']}.*"))
    for clip in (noted, deleted, fresh):
        assert _fetch(relay, sid, host, clip["id"]).status_code == 200, clip
    assert "removed 1 voice notes" in relay.log_text()
    # What was removed no longer counts against the session, and may be uploaded again.
    again = _upload(relay, sid, host, _clip("recorder", 1.0))
    assert again.status_code == 201 and again.json()["clip"] == unused


def test_a_sweep_marks_what_is_named_and_removes_only_what_is_old(tmp_path):
    store = VoiceNoteStore(tmp_path / "voice-notes")
    a = store.keep("s1", _clip("recorder", 1.0), 10**9, 60.0)
    b = store.keep("s1", _clip("recorder", 2.0), 10**9, 60.0)
    asked: list[set[str]] = []

    def named(session: str, ids: set[str]) -> set[str]:
        asked.append(ids)
        return {b.id}

    assert store.sweep(named, 3600) == 0 and asked == []  # nothing old enough: no log read
    assert store.sweep(named, -1) == 1
    assert asked == [{a.id, b.id}]
    assert store.find("s1", a.id) is None and store.find("s1", b.id) is not None
    # A live session's answer of None leaves it alone; a clip found named is not asked again.
    c = store.keep("s1", _clip("recorder", 0.5), 10**9, 60.0)
    assert store.sweep(lambda s, ids: None, -1) == 0 and store.find("s1", c.id) is not None
    asked.clear()
    store.sweep(named, -1)
    assert asked == [{c.id}]


# --- notes that name them --------------------------------------------------------------------


def test_a_voice_note_names_a_clip_of_its_session_and_survives_a_restart(relay, raw):
    created = relay.create_session()
    sid, host = created["session"]["id"], created["host_token"]
    other = relay.create_session("Shot 020")
    token = relay.invite(sid, "reviewer")
    data = _clip()
    clip = _upload(relay, sid, token, data).json()["clip"]
    elsewhere = _upload(relay, other["session"]["id"], other["host_token"], _clip("ogg")).json()[
        "clip"
    ]

    sam = raw()
    sam.join(token, "Sam", client_id=SAM_CLIENT)
    sam.expect("synced")
    mia = raw()
    mia.join(host, "Mia")
    mia.expect("synced")

    # A clip of another session, one never uploaded, and one said otherwise than kept.
    for audio, code, said in [
        (elsewhere, "not_found", "not uploaded to this session"),
        (dict(clip, id="ab" * 32), "not_found", "ab" * 32),
        (dict(clip, duration=clip["duration"] + 1), "bad_message", "does not match"),
    ]:
        sam.send("annotation_add", {"annotation": _voice_note(audio)}, ref="r1")
        err = sam.expect("error")["data"]
        assert err["code"] == code and said in err["message"], err

    note = _voice_note(clip)
    sam.send("annotation_add", {"annotation": note}, ref="r2")
    assert sam.expect("ack", ref="r2")
    seen = mia.expect("annotation_add")["data"]["annotation"]
    assert seen["audio"] == clip and seen["author_name"] == "Sam"
    last_seq = mia.seen[-1]["seq"]

    relay.stop()
    relay.start()

    got = _fetch(relay, sid, relay.invite(sid, "viewer"), clip["id"])
    assert got.status_code == 200 and got.content == data
    late = raw()
    late.join(relay.invite(sid, "viewer"), "Vic")
    snap = late.expect("snapshot")["data"]
    [kept] = [a for a in snap["annotations"] if a["id"] == note["id"]]
    assert kept["audio"] == clip
    # A client that saw the add resumes past it; one that had not gets it replayed.
    behind = raw()
    behind.join(host, "Mia", since=last_seq - 1)
    replayed = behind.expect("annotation_add")["data"]["annotation"]
    assert replayed["audio"] == clip
    # Deleting and restoring it (undo) names the same clip again.
    sam2 = raw()
    sam2.join(token, "Sam", client_id=SAM_CLIENT)
    sam2.expect("synced")
    sam2.send("annotation_delete", {"id": note["id"]}, ref="d", eid=new_id())
    sam2.expect("ack", ref="d")
    restored = dict(note)
    sam2.send("annotation_add", {"annotation": restored}, ref="u", eid=new_id())
    assert sam2.expect("ack", ref="u")


# --- the parser, on any bytes ----------------------------------------------------------------


def _check(data: bytes) -> None:
    try:
        mime, seconds = inspect(data, 60.0)
    except VoiceNoteRefused as exc:
        assert str(exc)
        return
    assert mime in ("audio/webm", "audio/ogg") and 0 < seconds <= 60.0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_any_bytes_are_read_or_refused(data):
    _check(data)
    _check(b"\x1a\x45\xdf\xa3" + data)
    _check(b"OggS" + data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["recorder", "webm", "ogg"]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    st.integers(0, 10**6),
)
def test_damaged_recordings_are_read_or_refused(kind, flips, cut):
    data = bytearray(_clip(kind, 1.0))
    for at, value in flips:
        data[at % len(data)] = value
    _check(bytes(data[: len(data) - cut % len(data)]))


# --- the Python client's calls ---------------------------------------------------------------


def test_the_python_api_uploads_and_fetches_voice_notes_and_says_what_was_refused(relay, session):
    from overshoulder.core import relay_api

    sid, host = session["session"]["id"], session["host_token"]
    data = _clip("ogg")
    clip = relay_api.upload_voice_note(relay.url, sid, host, data, "audio/ogg")
    assert clip.id == hashlib.sha256(data).hexdigest() and clip.mime == "audio/ogg"
    assert relay_api.fetch_voice_note(relay.url, sid, clip.id, relay.invite(sid, "viewer")) == data
    with pytest.raises(relay_api.RelayRefused, match="not a WebM or Ogg") as refused:
        relay_api.upload_voice_note(relay.url, sid, host, b"not audio")
    assert refused.value.status == 400 and refused.value.code == "bad_message"
    with pytest.raises(relay_api.RelayRefused, match="viewer"):
        relay_api.upload_voice_note(relay.url, sid, relay.invite(sid, "viewer"), data)
    with pytest.raises(relay_api.RelayRefused) as missing:
        relay_api.fetch_voice_note(relay.url, sid, "ab" * 32, host)
    assert missing.value.status == 404


def test_half_written_recordings_are_removed_when_the_store_opens(tmp_path):
    store = VoiceNoteStore(tmp_path / "voice-notes")
    clip = store.keep("s1", _clip("recorder", 1.0), 10**9, 60.0)
    found = store.find("s1", clip.id)
    assert found is not None
    left = found[1].with_name(f".{found[1].name}.123.456.tmp")
    left.write_bytes(b"cut short")
    again = VoiceNoteStore(tmp_path / "voice-notes")
    assert again.removed_partial == 1 and not left.exists()
    assert again.find("s1", clip.id) == found

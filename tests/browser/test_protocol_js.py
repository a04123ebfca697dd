"""The page's protocol constants and vocabulary match core/protocol (no browser needed)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from overshoulder.core.client.protocol import RETRYABLE
from overshoulder.core.limits import Limits
from overshoulder.core.model import MAX_NOTE_FRAMES
from overshoulder.core.protocol import (
    CAPABILITIES,
    MESSAGES,
    PROTOCOL_MAJOR,
    PROTOCOL_VERSION,
    messages,
    packet,
)

WEB = Path(__file__).resolve().parents[2] / "relay" / "web"
JS = WEB / "js"


def _sources() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(JS.glob("*.js"))}


def _constants() -> dict[str, str]:
    text = (JS / "protocol.js").read_text(encoding="utf-8")
    return dict(re.findall(r"^export const (\w+) = (.+);$", text, re.M))


def test_packet_layout_version_and_close_codes_match_the_python_definitions():
    c = _constants()
    assert json.loads(c["PROTOCOL_VERSION"]) == PROTOCOL_VERSION
    assert int(c["PROTOCOL_MAJOR"]) == PROTOCOL_MAJOR
    for name in ("HEADER_SIZE", "KIND_FRAME", "KIND_REF", "FLAG_REFINEMENT", "FLAG_LOSSLESS"):
        assert int(c[name], 0) == getattr(packet, name), name
    codecs = dict(re.findall(r"(\d+): \"(\w+)\"", c["CODECS"]))
    assert {int(k): v for k, v in codecs.items()} == packet.CODECS
    assert int(c["CLOSE_REPLACED"]) == messages.CLOSE_REPLACED
    assert int(c["CLOSE_REFUSED"]) == messages.CLOSE_REFUSED
    assert set(re.findall(r'"(\w+)"', c["RETRYABLE"])) == {str(code) for code in RETRYABLE}
    assert int(c["NAME_HINT_CHARS"]) == Limits().max_name_chars


def test_the_page_s_longest_note_range_is_the_model_s():
    assert int(_constants()["MAX_NOTE_FRAMES"]) == MAX_NOTE_FRAMES


def test_every_message_the_page_sends_is_one_a_client_may_send():
    sent: set[str] = set()
    for text in _sources().values():
        sent.update(re.findall(r"(?:send|submit|envelope)\(\s*\"(\w+)\"", text))
    assert {"hello", "media_hello", "annotation_add", "chat", "draft", "pointer"} <= sent
    for mtype in sent:
        assert mtype in MESSAGES, mtype
        assert MESSAGES[mtype].direction in ("client", "both"), mtype


def test_the_page_reads_only_limits_the_relay_names_and_capabilities_it_knows():
    names = {f.name for f in dataclasses.fields(Limits)}
    used: set[str] = set()
    for text in _sources().values():
        used.update(re.findall(r"limits\??\.(\w+)", text))
    assert used and used <= names, used - names
    connection = (JS / "connection.js").read_text(encoding="utf-8")
    capabilities = re.search(r"const CAPABILITIES = \[(.*?)\];", connection, re.S)
    assert capabilities is not None
    assert set(re.findall(r'"(\w+)"', capabilities.group(1))) == set(CAPABILITIES)


def test_no_script_writes_markup():
    markup = re.compile(r"\.(?:inner|outer)HTML\s*=|insertAdjacentHTML\(|document\.write\(")
    for name, text in _sources().items():
        assert not markup.search(text), name


def test_every_module_the_page_loads_exists():
    for text in _sources().values():
        for module in re.findall(r'from "\./([\w-]+\.js)"', text):
            assert (JS / module).exists(), module
    for module in re.findall(r'src="/web/js/([\w-]+\.js)"', (WEB / "index.html").read_text()):
        assert (JS / module).exists(), module

"""docs/protocol.md and relay/openapi.json match the code, so neither can fall behind it."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import struct
import tempfile
from pathlib import Path
from typing import Any

import requests

from overshoulder.core.errors import ErrorCode
from overshoulder.core.limits import DEFAULT_LIMITS, Limits
from overshoulder.core.protocol import MESSAGES, packet
from overshoulder.relay import server

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL_MD = ROOT / "docs" / "protocol.md"
OPENAPI_JSON = ROOT / "relay" / "openapi.json"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _doc() -> str:
    return PROTOCOL_MD.read_text(encoding="utf-8")


def _openapi() -> dict[str, Any]:
    return json.loads(OPENAPI_JSON.read_text(encoding="utf-8"))


def _section(heading: str) -> str:
    """The text under a ``##`` or ``###`` heading, up to the next heading at that level or above."""
    text = _doc()
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", text[start:])]
    return text[start : start + ends[0]] if ends else text[start:]


def _rows(section: str) -> list[list[str]]:
    """Cells of each table row in ``section`` (separator rows left out; ``\\|`` stays in a cell)."""
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or re.fullmatch(r"\|[-|: ]+\|", line):
            continue
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def _code_rows(section: str) -> dict[str, list[str]]:
    """Rows whose first cell is one code span, keyed by its text."""
    out = {}
    for cells in _rows(section):
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        if m:
            out[m.group(1)] = cells
    return out


def _optional(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _api_routes() -> dict[str, set[str]]:
    """The /api/ routes the relay registers: path -> methods (aiohttp's automatic HEAD left out)."""

    async def collect(data_dir: Path) -> dict[str, set[str]]:
        relay = server.Relay(data_dir)
        try:
            app = relay.app()
            routes: dict[str, set[str]] = {}
            for resource in app.router.resources():
                if resource.canonical.startswith("/api/"):
                    # aiohttp's "{name:regex}" is OpenAPI's "{name}".
                    path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", resource.canonical)
                    methods = {route.method.lower() for route in resource} - {"head"}
                    routes.setdefault(path, set()).update(methods)
            return routes
        finally:
            relay.store.close()

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(collect(Path(tmp)))


# --- the OpenAPI file -----------------------------------------------------------------------


def test_openapi_paths_and_methods_are_exactly_the_relays_api_routes():
    doc = _openapi()
    assert doc["openapi"].startswith("3.1.")
    documented = {
        path: {m for m in item if m in HTTP_METHODS} for path, item in doc["paths"].items()
    }
    routes = _api_routes()
    assert set(documented) == set(routes)
    assert documented == routes
    shared = doc["components"]["parameters"]
    for path, item in doc["paths"].items():
        for method in documented[path]:
            params = [
                shared[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
                for p in item[method].get("parameters", [])
            ]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == set(re.findall(r"\{(\w+)\}", path)), (path, method)


def test_openapi_error_schema_lists_every_error_code_and_is_two_space_json():
    text = OPENAPI_JSON.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    code = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    values = {v for k, v in vars(ErrorCode).items() if k.isupper()}
    assert set(code["enum"]) == values | {"http_error"}
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_relay_serves_its_openapi_file_and_answers_as_documented(relay):
    r = requests.get(relay.url + "/api/openapi.json", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc == _openapi()

    # Unauthenticated calls answer with a status the document lists for that operation.
    sid = relay.create_session()["session"]["id"]
    calls = [
        ("get", "/api/health", f"{relay.url}/api/health"),
        ("get", "/api/sessions", f"{relay.url}/api/sessions"),
        ("post", "/api/sessions/{sid}/invites", f"{relay.url}/api/sessions/{sid}/invites"),
        ("get", "/api/sessions/{sid}/events", f"{relay.url}/api/sessions/{sid}/events"),
        (
            "get",
            "/api/sessions/{sid}/frames/{hash}",
            f"{relay.url}/api/sessions/{sid}/frames/{'0' * 32}",
        ),
    ]
    codes = {v for k, v in vars(ErrorCode).items() if k.isupper()}
    for method, path, url in calls:
        r = requests.request(method, url, timeout=5)
        assert str(r.status_code) in doc["paths"][path][method]["responses"], (path, r.status_code)
        if r.status_code >= 400:
            assert r.json()["error"]["code"] in codes, (path, r.text)
    r = requests.get(
        f"{relay.url}/api/sessions/{sid}/events",
        params={"since": 0, "limit": 10},
        headers={"Authorization": f"Bearer {relay.admin_key}"},
        timeout=5,
    )
    page = doc["components"]["schemas"]["EventPage"]
    assert r.status_code == 200 and set(r.json()) == set(page["required"])


# --- docs/protocol.md -----------------------------------------------------------------------


def test_every_message_type_is_in_the_table_with_its_direction_roles_and_fields():
    rows = _code_rows(_section("## Messages"))
    assert set(MESSAGES) <= set(rows)
    for mtype, spec in MESSAGES.items():
        _, direction, roles, stored, body = rows[mtype]
        assert direction == spec.direction, mtype
        if spec.direction != "relay":
            assert {r.strip() for r in roles.split(",")} == set(spec.roles), mtype
        assert stored == ("yes" if spec.persisted else "no"), mtype
        listed = re.findall(r"`(\w+)(\??)`", body)
        expected = [(f.name, "?" if _optional(f) else "") for f in dataclasses.fields(spec.body)]
        assert listed == expected, mtype


def test_every_error_code_is_explained():
    rows = _code_rows(_section("## Errors"))
    values = {v for k, v in vars(ErrorCode).items() if k.isupper()}
    assert set(rows) == values | {"http_error"}
    for code, cells in rows.items():
        assert all(cells[1:]), code


def test_every_limit_is_in_the_table_with_its_default():
    rows = _code_rows(_section("## Limits"))
    names = [f.name for f in dataclasses.fields(Limits)]
    assert list(rows) == names
    for name in names:
        number = re.match(r"[\d.]+", rows[name][1])
        assert number, (name, rows[name][1])
        assert float(number.group()) == float(getattr(DEFAULT_LIMITS, name)), name
        assert rows[name][2], name
    assert "welcome.data.limits" in _section("## Limits")


def test_packet_header_table_matches_the_struct():
    section = _section("### Packet header")
    rows = [r for r in _rows(section) if r[0].isdigit()]
    # Field sizes in the order packet.HEADER packs them.
    sizes = []
    for count, code in re.findall(r"(\d*)([a-zA-Z])", packet.HEADER.format):
        if code == "s":
            sizes.append(int(count or 1))
        else:
            sizes.extend([struct.calcsize(code)] * int(count or 1))
    *fields, payload = rows
    assert [int(r[1]) for r in fields] == sizes
    offset = 0
    for r in fields:
        assert int(r[0]) == offset, r
        offset += int(r[1])
    assert offset == packet.HEADER_SIZE == 48
    assert int(payload[0]) == packet.HEADER_SIZE and "payload" in payload[2]
    assert f"header is {packet.HEADER_SIZE} bytes" in section
    by_field = {r[2].split(":")[0].split(",")[0]: r[2] for r in fields}
    for name in ("KIND_FRAME", "KIND_REF"):
        assert f"{getattr(packet, name)} `{name}`" in by_field["kind"]
    for codec_id, codec in packet.CODECS.items():
        assert re.search(rf"\b{codec_id} [^,(]*\(`{codec}`\)", by_field["codec"]), codec
    for flag in (packet.FLAG_REFINEMENT, packet.FLAG_LOSSLESS):
        assert f"`{flag:#x}`" in by_field["flags"]

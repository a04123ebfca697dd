"""A session's notes are bounded in bytes: counted from the log when the room loads, kept up
to date as notes are added, changed and deleted (a Room with a real log, small limits)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

from overshoulder.core.errors import ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import Participant, new_id
from overshoulder.core.protocol.messages import parse
from overshoulder.relay.frames import FrameStore
from overshoulder.relay.rooms import ControlConn, Room
from overshoulder.relay.store.base import SessionRecord
from overshoulder.relay.store.sqlite import SqliteStore

LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_session_note_bytes=40_000)


class _Socket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_str(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def send_bytes(self, data: bytes) -> None:
        pass

    async def close(self, **kwargs: Any) -> bool:
        return True


def _note(points: int, note_id: str | None = None) -> str:
    ann = {
        "id": note_id or new_id(),
        "shape": {"kind": "stroke", "points": [[0.1235, -0.1235, 0.5]] * points},
        "anchor": {"frame": 1001},
    }
    return json.dumps(
        {"v": 1, "type": "annotation_add", "eid": str(uuid.uuid4()), "data": {"annotation": ann}}
    )


async def _session(tmp: Path, store: SqliteStore, messages: list[str]) -> tuple[list[str], Room]:
    room = Room(SessionRecord("s1", "Shot", 1.0, "Mia"), store, FrameStore(tmp / "frames"), LIMITS)
    await asyncio.get_running_loop().run_in_executor(None, room.load)
    conn = ControlConn(_Socket(), Participant(id="h", name="Mia", role="host"), LIMITS)
    room.add(conn)
    refused = []
    for text in messages:
        try:
            room.submit(conn, parse(text, LIMITS))
        except ProtocolError as exc:
            refused.append(exc.message)
    while room._waiting:  # the log's writer acknowledges on the loop
        await asyncio.sleep(0.01)
    return refused, room


def test_a_session_holds_only_so_many_bytes_of_notes_and_counts_what_its_log_holds(tmp_path):
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SessionRecord("s1", "Shot", 1.0, "Mia"))
    try:
        # ~10 KB each: three fit in 40 KB, the fourth does not.
        refused, room = asyncio.run(_session(tmp_path, store, [_note(480) for _ in range(4)]))
        assert len(room.annotations) == 3 and len(refused) == 1
        assert "MiB are kept per session" in refused[0]
        # A new room of the same session counts what the log holds: still full.
        refused, room = asyncio.run(_session(tmp_path, store, [_note(480)]))
        assert len(room.annotations) == 3 and len(refused) == 1
        # Deleting a note makes room for another.
        victim = next(iter(room.annotations))
        delete = json.dumps(
            {"v": 1, "type": "annotation_delete", "eid": str(uuid.uuid4()), "data": {"id": victim}}
        )
        refused, room = asyncio.run(_session(tmp_path, store, [delete, _note(480)]))
        assert refused == [] and len(room.annotations) == 3
    finally:
        store.close()

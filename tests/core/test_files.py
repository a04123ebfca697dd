"""The one atomic write: a reader sees the old file or the new one, and a failure leaves the old;
reading back a JSON file that may be missing or damaged."""

from __future__ import annotations

import logging
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from overshoulder.core import files
from overshoulder.core.files import OWNER_ONLY, read_json_file, replacing, umask, write_atomic


@pytest.fixture
def mask_027() -> Iterator[int]:
    """The process's umask set to 027 for the test (and put back after it)."""
    old = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(old)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != keep)


def test_bytes_are_written_exactly_and_the_path_returned(tmp_path: Path) -> None:
    target = tmp_path / "frame.bin"
    data = bytes(range(256)) * 4
    assert write_atomic(target, data) == target
    assert target.read_bytes() == data
    assert leftovers(tmp_path, "frame.bin") == []


def test_text_is_encoded_with_the_encoding_and_errors_given(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    write_atomic(target, "caf\u00e9\n")
    assert target.read_bytes() == b"caf\xc3\xa9\n"
    # A file read with surrogateescape goes back byte for byte, a stray Latin-1 byte included.
    raw = b"\xef\xbb\xbfold \xe9 line\r\n"
    write_atomic(target, raw.decode("utf-8", "surrogateescape"), errors="surrogateescape")
    assert target.read_bytes() == raw
    write_atomic(target, "\u00e9", encoding="latin-1")
    assert target.read_bytes() == b"\xe9"


def test_text_that_cannot_be_encoded_raises_and_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_bytes(b"old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\udce9")  # a lone surrogate: strict utf-8 refuses it
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, "notes.txt") == []


def test_a_failing_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "panel.json"
    target.write_text('{"relay": "old"}')

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, '{"relay": "new"}')
    assert target.read_text() == '{"relay": "old"}'
    assert leftovers(tmp_path, "panel.json") == []


def test_a_failing_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "panel.json"
    target.write_text("old")

    def refused(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "replace", refused)
    with pytest.raises(PermissionError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert leftovers(tmp_path, "panel.json") == []


def test_a_failing_writer_in_replacing_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "burnin.png"
    target.write_bytes(b"old picture")
    seen: list[Path] = []
    with pytest.raises(RuntimeError, match="encoder broke"), replacing(target, ".png") as tmp:
        seen.append(tmp)
        tmp.write_bytes(b"half a pic")
        raise RuntimeError("encoder broke")
    assert target.read_bytes() == b"old picture"
    assert leftovers(tmp_path, "burnin.png") == []
    assert seen[0].parent == tmp_path and seen[0].name.endswith(".png")


def test_replacing_renames_what_the_writer_wrote_into_place(tmp_path: Path) -> None:
    target = tmp_path / "burnin.png"
    with replacing(target, suffix=".png") as tmp:
        assert tmp != target and not target.exists()
        tmp.write_bytes(b"new picture")
    assert target.read_bytes() == b"new picture"
    assert leftovers(tmp_path, "burnin.png") == []


def test_a_new_file_gets_what_the_umask_gives(tmp_path: Path, mask_027: int) -> None:
    target = tmp_path / "new.txt"
    write_atomic(target, "x")
    assert mode_of(target) == 0o640


def test_an_existing_file_keeps_its_mode(tmp_path: Path, mask_027: int) -> None:
    target = tmp_path / "init.py"
    target.write_text("old")
    os.chmod(target, 0o604)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert mode_of(target) == 0o604


def test_mode_sets_the_permissions_of_new_and_existing_files(tmp_path: Path) -> None:
    fresh = tmp_path / "tokens.json"
    write_atomic(fresh, "{}", mode=OWNER_ONLY)
    assert mode_of(fresh) == 0o600
    shared = tmp_path / "shared.json"
    shared.write_text("{}")
    os.chmod(shared, 0o644)
    write_atomic(shared, "{}", mode=OWNER_ONLY)
    assert mode_of(shared) == 0o600


def test_the_temporary_file_is_never_readable_by_others_while_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes: list[int] = []
    real_fsync = os.fsync

    def look(fd: int) -> None:
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", look)
    write_atomic(tmp_path / "tokens.json", "secret", mode=OWNER_ONLY)
    assert modes == [0o600]


def test_a_folder_that_does_not_exist_is_made(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.json"
    write_atomic(target, "{}")
    assert target.read_text() == "{}"
    with replacing(tmp_path / "d" / "e.png", suffix=".png") as tmp:
        tmp.write_bytes(b"png")
    assert (tmp_path / "d" / "e.png").read_bytes() == b"png"


def test_umask_reads_the_mask_without_changing_it(mask_027: int) -> None:
    assert umask() == 0o027
    assert umask() == 0o027
    assert os.umask(0o027) == 0o027


def test_umask_without_proc_is_read_by_setting_it_back(
    mask_027: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_proc(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(files, "open", no_proc, raising=False)
    assert umask() == 0o027
    assert os.umask(0o027) == 0o027


def test_writers_on_several_threads_each_leave_a_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "outbox.json"
    bodies = [bytes([65 + i]) * 100_000 for i in range(8)]
    errors: list[BaseException] = []

    def write(body: bytes) -> None:
        try:
            for _ in range(5):
                write_atomic(target, body)
        except BaseException as exc:  # pragma: no cover - shown by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert target.read_bytes() in bodies
    assert leftovers(tmp_path, "outbox.json") == []


def test_read_json_file_gives_the_value_and_none_for_a_missing_file_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "kept.json"
    target.write_text('{"a": [1, 2]}', encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert read_json_file(target, "kept things") == {"a": [1, 2]}
        assert read_json_file(tmp_path / "none.json", "kept things") is None
    assert caplog.records == []


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00"])
def test_read_json_file_logs_what_it_could_not_read_on_the_logger_given(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    target = tmp_path / "kept.json"
    target.write_bytes(content)
    with caplog.at_level(logging.WARNING, "overshoulder.test"):
        got = read_json_file(target, "kept things", log=logging.getLogger("overshoulder.test"))
    assert got is None
    [record] = caplog.records
    assert record.name == "overshoulder.test"
    assert "kept things" in record.getMessage() and str(target) in record.getMessage()

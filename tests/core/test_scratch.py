"""The scratch folder an app adapter renders into: private and removed, or given and kept."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

import pytest

from overshoulder.core import scratch
from overshoulder.core.scratch import ScratchFolder, discard, take


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, pointed into the test's own."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def test_nothing_is_made_until_the_folder_is_first_used(temp_root: Path) -> None:
    folder = ScratchFolder("overshoulder-test-")
    assert list(temp_root.iterdir()) == []
    path = Path(folder.path())
    assert path.is_dir() and path.parent == temp_root
    assert path.name.startswith("overshoulder-test-")
    assert folder.path() == str(path), "the same folder every time"
    if os.name != "nt":
        assert path.stat().st_mode & 0o077 == 0, "private: its owner's alone"


def test_a_private_folder_goes_with_what_is_left_in_it(temp_root: Path) -> None:
    folder = ScratchFolder("overshoulder-test-")
    first = Path(folder.path())
    (first / "view-1.jpg").write_bytes(b"left over")
    folder.cleanup()
    assert not first.exists()
    folder.cleanup()  # twice is fine
    second = Path(folder.path())
    assert second.is_dir() and second != first, "used again, a new private folder"
    folder.cleanup()
    assert list(temp_root.iterdir()) == []


def test_a_given_folder_is_made_when_missing_and_never_removed(tmp_path: Path) -> None:
    given = tmp_path / "studio" / "captures"
    folder = ScratchFolder("overshoulder-test-", str(given))
    assert not given.exists()
    assert folder.path() == str(given) and given.is_dir()
    (given / "the-artists-file.txt").write_text("mine")
    folder.cleanup()
    assert (given / "the-artists-file.txt").read_text() == "mine"


def test_numbered_paths_are_new_each_time_and_use_forward_slashes(tmp_path: Path) -> None:
    folder = ScratchFolder("overshoulder-test-", str(tmp_path))
    names: list[str] = []
    lock = threading.Lock()

    def grab() -> None:
        for _ in range(50):
            path = folder.numbered("view", ".jpg")
            with lock:
                names.append(path)

    threads = [threading.Thread(target=grab) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 200
    assert folder.numbered("view", ".jpg") == tmp_path.as_posix() + "/view-201.jpg"
    assert "\\" not in folder.file("input-process.nk")
    assert folder.file("input-process.nk").endswith("/input-process.nk")


def test_take_reads_the_file_and_removes_it(tmp_path: Path) -> None:
    path = tmp_path / "view-1.jpg"
    path.write_bytes(b"\xff\xd8jpeg")
    assert take(str(path)) == b"\xff\xd8jpeg"
    assert not path.exists()


def test_take_of_a_missing_file_raises_and_a_missing_discard_is_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(FileNotFoundError):
        take(str(tmp_path / "never-written.jpg"))
    with caplog.at_level(logging.WARNING):
        discard(str(tmp_path / "never-written.jpg"))
    assert caplog.records == []


def test_a_file_that_cannot_be_removed_is_logged_where_the_adapter_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "view-1.jpg"
    path.write_bytes(b"x")

    def busy(p: str) -> None:
        raise PermissionError(13, "The file is in use")

    monkeypatch.setattr(scratch.os, "remove", busy)
    adapter = logging.getLogger("overshoulder.someapp")
    with caplog.at_level(logging.WARNING, "overshoulder.someapp"):
        assert take(str(path), adapter) == b"x"
    [record] = caplog.records
    assert record.name == "overshoulder.someapp"
    assert "view-1.jpg could not be removed" in record.getMessage()
    assert "in use" in record.getMessage()

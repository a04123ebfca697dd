"""The panel's settings file: written whole, readable by its owner alone (host tokens are in it)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from overshoulder.core import files
from overshoulder.core.settings import HostedSession, PanelSettings


def test_the_settings_file_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "config" / "panel.json"
    settings = PanelSettings(path)
    settings.remember_hosted(HostedSession("sid1", "http://relay:9000", "os1.secret", "Shot 10"))
    old = os.umask(0o022)
    try:
        settings.save()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        os.chmod(path, 0o644)  # widened by hand: the next save narrows it again
        settings.save()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PanelSettings(path).hosted_session("http://relay:9000", "sid1") is not None
    assert sorted(p.name for p in path.parent.iterdir()) == ["panel.json"]


def test_a_save_that_fails_is_logged_and_keeps_the_old_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "panel.json"
    path.write_text('{"name": "Mia"}')
    settings = PanelSettings(path)
    settings.name = "Noor"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with caplog.at_level(logging.WARNING, "overshoulder.ui"):
        settings.save()  # does not raise
    assert "could not save panel settings to" in caplog.text
    assert "No space left" in caplog.text
    monkeypatch.undo()
    assert PanelSettings(path).name == "Mia"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panel.json"]

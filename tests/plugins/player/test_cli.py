"""``overshoulder share``: bad input is one line and exit 2; help lists the keys; the keys work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from overshoulder.cli import main
from overshoulder.plugins.player import PlayerHost, open_media
from overshoulder.plugins.player.console import Console

from . import media_files


@pytest.fixture
def plates(tmp_path: Path) -> Path:
    media_files.sequence(tmp_path / "plates", frames=range(1001, 1004))
    return tmp_path / "plates"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["{tmp}/nowhere/shot.####.exr"], "no such folder"),
        (["{tmp}/plates/other.####.exr"], "no frames on disk match this pattern"),
        (["{tmp}/empty"], "no image files in this folder"),
        (["{tmp}/bad.otio"], "not a readable OTIO timeline"),
        (["{tmp}/plates", "--part", "beauty"], "no part named 'beauty'"),
        (["{tmp}/plates", "--colorspace", "no such space"], "--colorspace no such space"),
        (["{tmp}/plates", "--notes", "{tmp}/bad.otio"], "not a notes file"),
        (["{tmp}/plates", "--session", "abc"], "--session needs that session's host token"),
        (["{tmp}/plates", "--token", "os1.a.b"], "--token and --token-file go with --session"),
        (
            ["{tmp}/plates", "--session", "abc", "--token-file", "{tmp}/nowhere"],
            "--token-file {tmp}/nowhere: cannot read it",
        ),
        (
            ["{tmp}/plates", "--session", "abc", "--token-file", "{tmp}/bad.otio", "--token", "x"],
            "give the host token once",
        ),
        (["{tmp}/plates", "--quality", "0"], "--quality 0 is outside 1-100"),
        (["{tmp}/plates", "--fps", "0"], "--fps 0 is outside"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(
    tmp_path: Path,
    plates: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    says: str,
) -> None:
    monkeypatch.delenv("OVERSHOULDER_TOKEN", raising=False)
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.otio").write_text("{not json")
    argv = ["share", *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("overshoulder share: ")
    assert says.replace("{tmp}", str(tmp_path)) in err
    assert "Traceback" not in err


def test_the_host_token_comes_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.plugins.player.cli import _host_token, build_parser

    token_file = tmp_path / "host.token"
    token_file.write_text("os1.from.file\n")
    token_file.chmod(0o600)
    monkeypatch.setenv("OVERSHOULDER_TOKEN", "os1.from.env")
    parse = build_parser().parse_args
    assert _host_token(parse(["x", "--session", "s", "--token-file", str(token_file)])) == (
        "os1.from.file",
        f"the token in {token_file}",
    )
    assert _host_token(parse(["x", "--session", "s"])) == ("os1.from.env", "$OVERSHOULDER_TOKEN")
    assert _host_token(parse(["x"])) == (None, ""), "without --session the variable is not used"


def test_a_token_file_others_can_read_is_used_with_a_warning_saying_how_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from overshoulder.plugins.player.cli import _host_token, build_parser

    token_file = tmp_path / "host.token"
    token_file.write_text("os1.from.file\n")
    token_file.chmod(0o600)
    args = build_parser().parse_args(["x", "--session", "s", "--token-file", str(token_file)])
    _host_token(args)
    assert "warning" not in capsys.readouterr().err
    token_file.chmod(0o644)
    assert _host_token(args)[0] == "os1.from.file"
    err = capsys.readouterr().err
    assert "can be read by other users (mode 644)" in err and f"chmod 600 {token_file}" in err


def test_as_a_command_a_missing_path_says_so_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "overshoulder", "share", str(tmp_path / "nothing.exr")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"overshoulder share: {tmp_path / 'nothing.exr'}: no such file or folder"
    ]


def test_an_unreachable_relay_is_exit_status_1(
    plates: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["share", str(plates), "--relay", "http://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach a relay at http://127.0.0.1:9" in err


def test_help_documents_the_options_and_the_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["share", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--relay", "--session", "--token", "--name", "--fps", "--no-loop"):
        assert option in text
    # The host token: from the environment or a file; on the command line only with a warning.
    assert "$OVERSHOULDER_TOKEN" in text and "--token-file" in text and "UNSAFE" in text
    for option in ("--start-paused", "--notes", "--burn-in", "--colorspace", "--part"):
        assert option in text
    assert "--quality" in text and "shot.####.exr" in text and ".otio" in text
    for key in ("space, p", "n, b", "g N", "l ", "d ", "f ", "q "):
        assert f"  {key}" in text


def test_the_command_list_names_share(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "share" in capsys.readouterr().out


class FakeSharer:
    def __init__(self) -> None:
        self.following = True
        self.drives = 0

    def drive(self) -> None:
        self.drives += 1

    def follow(self, on: bool = True) -> None:
        self.following = on


def test_the_keys_drive_the_player(plates: Path) -> None:
    player = PlayerHost(open_media(plates), autoplay=False)
    sharer: Any = FakeSharer()
    quit_called = []
    console = Console(player, sharer, lambda: quit_called.append(True))
    try:
        player.start()
        assert console.handle("g 1003") == "frame 1003"
        assert console.handle("b") is None
        player.call_on_main(lambda: None)
        assert player.playhead().frame == 1002
        console.handle("n")
        player.call_on_main(lambda: None)
        assert player.playhead().frame == 1003
        assert console.handle(" ") == "playing"
        player.call_on_main(lambda: None)
        assert player.playhead().playing
        assert console.handle("p") == "paused"
        assert console.handle("l") == "loop off"
        assert console.handle("d") == "you drive the playhead" and sharer.drives == 1
        assert console.handle("f") == "free: not following" and not sharer.following
        assert "frame number" in (console.handle("g soon") or "")
        assert "unknown key" in (console.handle("x") or "")
        assert "g N" in (console.handle("?") or "")
        console.handle("q")
        assert quit_called
    finally:
        player.close()


def test_keys_typed_at_a_terminal_reach_the_console(plates: Path) -> None:
    import io

    player = PlayerHost(open_media(plates), autoplay=False)
    out = io.StringIO()
    console = Console(player, FakeSharer(), lambda: None, out=out)  # type: ignore[arg-type]
    try:
        console.run_in_background(io.StringIO("g1002\nnq")).join(5)
        deadline = time.monotonic() + 5
        while player.playhead().frame != 1003 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert player.playhead().frame == 1003
        assert "frame 1002" in out.getvalue() and "quitting" in out.getvalue()
    finally:
        player.close()

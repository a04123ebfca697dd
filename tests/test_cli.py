"""The ``overshoulder`` command line against a real relay process: invites, listings, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from overshoulder.cli import main
from overshoulder.core.client import SessionClient


def test_an_invite_made_on_the_command_line_lets_a_client_join(
    relay: Any, session: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    sid = session["session"]["id"]
    args = ["--relay", relay.url, "--data-dir", str(relay.data_dir)]
    assert (
        main(["invite", sid, "--role", "reviewer", "--expires", "1h30m", "--name", "Sam", *args])
        == 0
    )
    out, err = capsys.readouterr()
    link = out.strip()
    assert link.startswith(relay.url) and sid in link
    assert "reviewer link for Sam" in err
    token = link.split("#t=", 1)[1]
    with SessionClient(relay.url, token, "someone") as c:
        assert c.wait_synced(10), f"the invited client did not sync: {c.state} {c.last_error}"
        assert c.participant is not None
        assert (c.participant.role, c.participant.name) == ("reviewer", "Sam")

    assert main(["sessions", "--relay", relay.url, "--json"]) == 0
    listed = capsys.readouterr().out
    assert sid in listed


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["invite", "no-such-session", "--role", "viewer", "--expires", "1h"], "list the sessions"),
        (
            ["invite", "{sid}", "--role", "viewer", "--expires", "1h", "--key", "x" * 40],
            "admin key",
        ),
        (["invite", "{sid}", "--role", "viewer", "--expires", "soon"], "'soon'"),
        (["invite", "{sid}", "--role", "viewer", "--expires", "90d"], "(bad_message)"),
    ],
)
def test_the_command_line_explains_a_refusal_in_one_line(
    relay: Any,
    session: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    says: str,
) -> None:
    sid = session["session"]["id"]
    full = [a.replace("{sid}", sid) for a in argv]
    full += ["--relay", relay.url, "--data-dir", str(relay.data_dir)]
    assert main(full) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert says in err
    assert "Traceback" not in err


def test_the_command_line_says_when_no_relay_answers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--relay", "http://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach a relay at http://127.0.0.1:9" in err
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_admin_key_is_named_instead_of_being_missing(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "admin.key").write_bytes(b"\x00\xff half a key")
    argv = ["invite", "some-session", "--role", "viewer", "--expires", "1h"]
    assert main([*argv, "--relay", "http://127.0.0.1:9", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "admin.key" in err and "is damaged" in err and "no admin key" not in err
    assert len(err.strip().splitlines()) == 1

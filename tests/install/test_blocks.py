"""The marked block in a user's init.py: added, replaced and taken out leaving the file exact."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from overshoulder.install.common import InstallError, Markers, edit_block

MARKERS = Markers("overshoulder")
BODY = ["import nuke", "nuke.pluginAddPath('/somewhere/overshoulder')"]
OTHER_BODY = ["import nuke", "nuke.pluginAddPath('/elsewhere/overshoulder')"]

USER_FILES = {
    "empty": b"",
    "lf": b"import nuke\nnuke.pluginAddPath('/studio/tools')\n",
    "no-final-newline": b"import nuke\nprint('mine')",
    "crlf": b"import nuke\r\nprint('mine')\r\n",
    "crlf-no-final-newline": b"import nuke\r\nprint('mine')",
    "bom-and-latin1-bytes": b"\xef\xbb\xbf# caf\xe9 (not UTF-8)\nx = 1\n",
    "blank-lines-at-end": b"x = 1\n\n\n",
}


@pytest.mark.parametrize("name", list(USER_FILES))
def test_install_then_uninstall_leaves_the_users_file_byte_for_byte(
    tmp_path: Path, name: str
) -> None:
    original = USER_FILES[name]
    init = tmp_path / "init.py"
    init.write_bytes(original)

    assert edit_block(init, BODY, MARKERS)[0] == "added"
    installed = init.read_bytes()
    assert installed.startswith(original)
    assert b"nuke.pluginAddPath('/somewhere/overshoulder')" in installed
    if b"\r\n" in original:
        assert b"\n" not in installed.replace(b"\r\n", b""), "the block keeps the file's CRLF"

    assert edit_block(init, BODY, MARKERS)[0] == "unchanged"
    assert init.read_bytes() == installed, "a second install changes nothing"

    assert edit_block(init, None, MARKERS)[0] == "removed"
    assert init.read_bytes() == original


def test_an_init_py_made_for_the_block_goes_away_with_it(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    assert edit_block(init, BODY, MARKERS)[0] == "added"
    assert init.read_text().startswith("# >>> overshoulder >>>")
    assert edit_block(init, None, MARKERS)[0] == "removed-file"
    assert not init.exists()
    assert edit_block(init, None, MARKERS)[0] == "absent"


def test_an_init_py_made_for_the_block_stays_when_the_user_wrote_into_it(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    edit_block(init, BODY, MARKERS)
    init.write_bytes(init.read_bytes() + b"print('added later')\n")
    assert edit_block(init, None, MARKERS)[0] == "removed"
    assert init.read_bytes() == b"print('added later')\n"


def test_an_existing_empty_init_py_is_kept_empty(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    init.write_bytes(b"")
    edit_block(init, BODY, MARKERS)
    assert edit_block(init, None, MARKERS)[0] == "removed"
    assert init.exists() and init.read_bytes() == b""


def test_a_block_edited_by_hand_is_replaced_whole(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    original = b"x = 1\n"
    init.write_bytes(original)
    edit_block(init, BODY, MARKERS)
    fresh = init.read_bytes()
    init.write_bytes(fresh.replace(b"/somewhere/", b"/hand/edited/") + b"y = 2\n")
    assert edit_block(init, BODY, MARKERS)[0] == "replaced"
    assert init.read_bytes() == fresh + b"y = 2\n", "the user's later lines stay after the block"
    assert edit_block(init, OTHER_BODY, MARKERS)[0] == "replaced"
    assert init.read_bytes().count(b"# >>> overshoulder >>>") == 1
    assert edit_block(init, None, MARKERS)[0] == "removed"
    assert init.read_bytes() == b"x = 1\ny = 2\n"


def test_the_missing_final_newline_is_restored_after_a_reinstall(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    init.write_bytes(b"x = 1")
    edit_block(init, BODY, MARKERS)
    edit_block(init, OTHER_BODY, MARKERS)
    edit_block(init, None, MARKERS)
    assert init.read_bytes() == b"x = 1"


def test_two_blocks_are_a_clear_error_and_the_file_is_left_alone(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    edit_block(init, BODY, MARKERS)
    doubled = init.read_bytes() * 2
    init.write_bytes(doubled)
    for body in (BODY, None):
        with pytest.raises(InstallError) as err:
            edit_block(init, body, MARKERS)
        assert "2 '# >>> overshoulder >>>' blocks" in str(err.value)
        assert str(init) in str(err.value)
        assert init.read_bytes() == doubled


def test_an_unpaired_marker_is_a_clear_error(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    init.write_bytes(b"x = 1\n# >>> overshoulder >>>\nimport nuke\n")
    with pytest.raises(InstallError, match=r"unpaired .* at line 2; fix the block by hand"):
        edit_block(init, BODY, MARKERS)
    assert init.read_bytes() == b"x = 1\n# >>> overshoulder >>>\nimport nuke\n"


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_the_files_mode_is_kept(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    init.write_bytes(b"x = 1\n")
    init.chmod(0o600)
    edit_block(init, BODY, MARKERS)
    assert stat.S_IMODE(init.stat().st_mode) == 0o600
    edit_block(init, None, MARKERS)
    assert stat.S_IMODE(init.stat().st_mode) == 0o600


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_a_new_file_gets_what_the_umask_gives_and_no_temporary_is_left(tmp_path: Path) -> None:
    init = tmp_path / "init.py"
    old = os.umask(0o027)
    try:
        edit_block(init, BODY, MARKERS)
    finally:
        os.umask(old)
    assert stat.S_IMODE(init.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["init.py"]

"""``overshoulder install``: options, refusals and detection, without installing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from overshoulder.cli import main
from overshoulder.install import nuke


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["install", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_user_and_path_together_are_a_usage_error(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["install", "nuke", "--user", "--path", str(home), "--python", "3.11"])
    assert exc.value.code == 2
    assert "--path: not allowed with argument --user" in capsys.readouterr().err
    assert list(home.iterdir()) == []


def test_an_app_without_its_installer_module_is_not_available_yet(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from overshoulder.install import cli

    monkeypatch.setitem(cli.APPS, "houdini", ("houdini", "install into Houdini"))
    code, _out, err = run(capsys, "houdini")
    assert code == 1
    assert err.strip() == "overshoulder install houdini: not available yet"
    assert list(home.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--nuke-version", "13"],
            "Nuke 13 is not supported (its Python is 3.7): Overshoulder needs Nuke 14 or later",
        ),
        (["--python", "3.7"], "Python 3.7 is not supported: Overshoulder needs Python 3.9+"),
        (["--python", "three"], "--python 'three': give a version like 3.10"),
        (["--nuke-version", "17"], "Nuke 17's Python version is not known"),
        (["--uninstall", "--python", "3.10"], "--uninstall removes the packages of every Python"),
        (["--path", "no/such/folder", "--python", "3.10"], "no such folder"),
    ],
)
def test_unsupported_targets_are_refused_by_name(
    home: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    code, _out, err = run(capsys, "nuke", *args)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert says in err
    assert list(home.iterdir()) == []


def test_installed_nukes_are_found_and_each_python_planned_once(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    opt = tmp_path / "opt"
    for name in ("Nuke15.1v2", "Nuke15.0v4", "Nuke16.0v1", "Nuke13.2v4", "Nukeish", "Houdini"):
        (opt / name).mkdir(parents=True)
    monkeypatch.setattr(nuke, "search_roots", lambda: [opt])
    code, out, err = run(capsys, "nuke", "--dry-run")
    assert (code, err) == (0, "")
    assert "Skipping Nuke13.2v4 (Nuke 13 is not supported" in out
    assert "Python 3.10 (Nuke15.0v4, Nuke15.1v2): packages in" in out
    assert "Python 3.11 (Nuke16.0v1): packages in" in out
    assert f"{home / '.nuke' / 'init.py'}: a marked block with: nuke.pluginAddPath(" in out
    assert list(home.iterdir()) == [], "a dry run changes nothing"


def test_only_an_old_nuke_found_is_a_failure_that_names_it(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "opt" / "Nuke13.2v4").mkdir(parents=True)
    monkeypatch.setattr(nuke, "search_roots", lambda: [tmp_path / "opt"])
    code, _out, err = run(capsys, "nuke")
    assert code == 1
    assert "no supported Nuke found: Nuke13.2v4 (Nuke 13 is not supported" in err


def test_no_nuke_found_asks_for_a_version(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(nuke, "search_roots", lambda: [tmp_path / "nothing-here"])
    code, _out, err = run(capsys, "nuke")
    assert code == 2
    assert "found no Nuke installation" in err
    assert "--nuke-version 15 or --python 3.10" in err


def test_uninstall_with_nothing_installed_says_so(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "nuke", "--uninstall")
    assert (code, err) == (0, "")
    assert "Nothing to remove" in out


def test_a_folder_not_made_by_the_installer_is_left_alone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = home / ".nuke" / "overshoulder"
    theirs.mkdir(parents=True)
    (theirs / "notes.txt").write_text("mine")
    for args in (["--python", "3.11"], ["--uninstall"]):
        code, _out, err = run(capsys, "nuke", *args)
        assert code == 1
        assert "was not made by overshoulder install" in err
    assert (theirs / "notes.txt").read_text() == "mine"


def test_an_install_stopped_before_its_shims_can_still_be_uninstalled(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = home / ".nuke" / "overshoulder"
    (plugin / "python3.11" / "numpy").mkdir(parents=True)
    (plugin / ".python3.10.new-abc123").mkdir()
    code, out, err = run(capsys, "nuke", "--uninstall")
    assert (code, err) == (0, "")
    assert f"Removed {plugin}" in out
    assert not plugin.exists()


def test_a_damaged_block_in_init_py_stops_the_install_before_anything_is_done(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    init = home / ".nuke" / "init.py"
    init.parent.mkdir()
    damaged = b"x = 1\n# >>> overshoulder >>>\nimport nuke\n"
    init.write_bytes(damaged)
    code, _out, err = run(capsys, "nuke", "--python", "3.11")
    assert code == 1
    assert f"{init} has an unpaired '# >>> overshoulder >>>'" in err
    assert "at line 2" in err
    assert init.read_bytes() == damaged
    assert sorted(p.name for p in init.parent.iterdir()) == ["init.py"]

"""The installers' shared parts: Python versions, the staged site install, the uninstall guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from overshoulder.install import sites
from overshoulder.install.cli_common import refuse_with_uninstall
from overshoulder.install.common import InstallError, UsageError

PY = (3, 10)
OTHER = (3, 11)


def test_a_release_s_python_or_a_refusal_by_name() -> None:
    known, old = {15: (3, 10), 16: (3, 11)}, {13: (3, 7)}
    hint = "pass it with --python X.Y"
    assert sites.release_python("Nuke", 16, known, old, hint) == (3, 11)
    with pytest.raises(UsageError, match=r"^Nuke 13 is not supported \(its Python is 3.7\): "):
        sites.release_python("Nuke", 13, known, old, hint)
    with pytest.raises(UsageError, match=r"^Nuke 9 is not supported: .*needs Nuke 15 or later"):
        sites.release_python("Nuke", 9, known, old, hint)
    with pytest.raises(UsageError, match=r"Nuke 17's Python version is not known .*--python X.Y$"):
        sites.release_python("Nuke", 17, known, old, hint)


def test_python_versions_are_parsed_or_refused_with_the_apps_hint() -> None:
    assert sites.parse_python(" 3.12.1 ", "3.11", "a newer Resolve") == (3, 12)
    with pytest.raises(UsageError, match=r"--python 'x': give a version like 3.11"):
        sites.parse_python("x", "3.11", "a newer Resolve")
    with pytest.raises(UsageError, match=r"needs Python 3.9\+ \(a newer Resolve\)"):
        sites.parse_python("3.8", "3.11", "a newer Resolve")


def test_uninstall_names_every_install_option_when_one_is_given() -> None:
    refuse_with_uninstall("the module", {"--version": [], "--wheelhouse": None})
    with pytest.raises(UsageError, match=r"^--uninstall removes the module: drop --version$"):
        refuse_with_uninstall("the module", {"--version": ["2024"]})
    with pytest.raises(UsageError, match=r": drop --python, --no-qt and --wheelhouse$"):
        refuse_with_uninstall("all", {"--python": [], "--no-qt": True, "--wheelhouse": None})


def test_a_folder_of_sites_and_staging_folders_is_ours(tmp_path: Path) -> None:
    (tmp_path / "python3.10").mkdir()
    (tmp_path / ".python3.11.new-abc").mkdir()
    (tmp_path / "scripts").mkdir()
    assert sites.holds_only_sites(tmp_path, "scripts")
    assert not sites.holds_only_sites(tmp_path)
    assert not sites.holds_only_sites(tmp_path / "missing")
    assert sites.pythons_in(tmp_path) == [(3, 10)]


@pytest.fixture
def pip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """pip stood in for: ``fail`` holds the Pythons whose install fails, ``interrupt`` the
    one where the user presses Ctrl-C."""
    state: dict[str, Any] = {"fail": set(), "interrupt": None}
    monkeypatch.setattr(sites.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    def wheel(dest: Path, log: Path, wheelhouse: Any) -> Path:
        made = dest / "overshoulder-0-py3-none-any.whl"
        made.write_bytes(b"")
        return made

    def install(wheel: Path, target: Path, python: Any, log: Path, wheelhouse: Any) -> None:
        log.write_text("pip said no\n")
        if python == state["interrupt"]:
            raise KeyboardInterrupt
        if python in state["fail"]:
            raise InstallError(f"pip could not install (log: {log})")
        (target / "overshoulder").mkdir()

    monkeypatch.setattr(sites, "project_wheel", wheel)
    monkeypatch.setattr(sites, "pip_target_install", install)
    return state


def site_of(root: Path) -> Any:
    return lambda python: root / f"python{sites.py_str(python)}"


def test_every_site_is_swapped_in_and_the_work_folder_goes(tmp_path: Path, pip: Any) -> None:
    root = tmp_path / "plugin"
    extras: list[Any] = []
    done = sites.install_sites(
        root, [PY, OTHER], site_of(root), extra=lambda s, p, log: extras.append((s.name, p))
    )
    assert done.done == [PY, OTHER] and done.failures == []
    assert sorted(p.name for p in root.iterdir()) == ["python3.10", "python3.11"]
    assert (root / "python3.10" / "overshoulder").is_dir()
    assert [p for _, p in extras] == [PY, OTHER]
    assert all(name.startswith(".python3.1") for name, _ in extras), "into the staging folder"
    done.finish()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_python_that_fails_keeps_its_old_site_and_its_pip_log(tmp_path: Path, pip: Any) -> None:
    root = tmp_path / "plugin"
    (root / "python3.11").mkdir(parents=True)
    (root / "python3.11" / "old").write_text("")
    pip["fail"] = {OTHER}
    done = sites.install_sites(root, [PY, OTHER], site_of(root))
    assert done.done == [PY]
    [failure] = done.failures
    assert failure.startswith("Python 3.11: pip could not install")
    assert failure.endswith("; the previous install is unchanged")
    assert (root / "python3.11" / "old").exists()
    assert sorted(p.name for p in root.iterdir()) == ["python3.10", "python3.11"]
    with pytest.raises(InstallError, match=r"Python 3\.11: pip could not install"):
        done.finish()
    [work] = list((tmp_path / "tmp").iterdir())
    assert (work / "pip-python3.11.log").read_text() == "pip said no\n", "the log it names"


def test_nothing_installed_takes_back_the_folder_it_made(tmp_path: Path, pip: Any) -> None:
    root = tmp_path / "plugin"
    pip["fail"] = {PY}
    done = sites.install_sites(root, [PY], site_of(root))
    with pytest.raises(InstallError, match=r"Python 3.10: .*; nothing installed$"):
        done.nothing_installed()
    assert not root.exists()


def test_an_interrupt_takes_back_the_folder_it_made_and_leaves_one_it_found(
    tmp_path: Path, pip: Any
) -> None:
    pip["interrupt"] = OTHER
    made = tmp_path / "made"
    with pytest.raises(KeyboardInterrupt):
        sites.install_sites(made, [PY, OTHER], site_of(made))
    assert not made.exists()
    found = tmp_path / "found"
    found.mkdir()
    with pytest.raises(KeyboardInterrupt):
        sites.install_sites(found, [PY, OTHER], site_of(found))
    assert sorted(p.name for p in found.iterdir()) == ["python3.10"], "no staging folder left"

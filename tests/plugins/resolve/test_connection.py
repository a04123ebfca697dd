"""Reaching Resolve: the scripting paths per platform, and a clear message for each refusal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from overshoulder.plugins.resolve import connection
from overshoulder.plugins.resolve.connection import ResolveError, connect, page_warning
from tests.fakes import resolve_control


@pytest.mark.parametrize(
    ("system", "env", "api", "lib"),
    [
        (
            "Linux",
            {},
            "/opt/resolve/Developer/Scripting",
            "/opt/resolve/libs/Fusion/fusionscript.so",
        ),
        (
            "Darwin",
            {},
            "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Developer/Scripting",
            "/Applications/DaVinci Resolve/DaVinci Resolve.app/Contents/Libraries/Fusion/"
            "fusionscript.so",
        ),
        (
            "Windows",
            {"PROGRAMDATA": "D:/PD", "PROGRAMFILES": "D:/PF"},
            "D:/PD/Blackmagic Design/DaVinci Resolve/Support/Developer/Scripting",
            "D:/PF/Blackmagic Design/DaVinci Resolve/fusionscript.dll",
        ),
    ],
)
def test_the_scripting_paths_are_resolves_defaults_per_platform(
    system: str, env: dict[str, str], api: str, lib: str
) -> None:
    paths = connection.default_paths(system, env)
    assert paths.api == Path(api)
    assert paths.lib == Path(lib)
    assert paths.modules == Path(api) / "Modules"


def test_prepare_sets_what_is_missing_and_keeps_what_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {connection.LIB_ENV: "/studio/resolve/fusionscript.so"}
    monkeypatch.setattr(sys, "path", list(sys.path))
    paths = connection.prepare(env, "Linux")
    assert env[connection.API_ENV] == "/opt/resolve/Developer/Scripting"
    assert env[connection.LIB_ENV] == "/studio/resolve/fusionscript.so"
    assert paths.lib == Path("/studio/resolve/fusionscript.so")
    assert str(paths.modules) in sys.path


def test_external_scripting_reaches_the_running_resolve() -> None:
    resolve = resolve_control.open_resolve()
    assert connect() is resolve
    resolve_control.not_running()


def test_resolve_not_running_or_refusing_says_what_to_do() -> None:
    resolve_control.not_running()
    with pytest.raises(ResolveError) as err:
        connect()
    text = str(err.value)
    assert "not running" in text and "free edition" in text
    assert "Workspace > Scripts > Overshoulder" in text


def test_the_menus_app_is_used_when_given() -> None:
    dvr = resolve_control.install()
    resolve = resolve_control.open_resolve(running=False)  # external scripting refused
    assert connect(dvr.App(resolve)) is resolve


def test_an_app_that_refuses_scripting_says_so() -> None:
    dvr = resolve_control.install()
    with pytest.raises(ResolveError, match="Studio only"):
        connect(dvr.App(None))


def test_a_missing_scripting_module_names_where_it_was_looked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(connection, "MODULE", "NoSuchResolveScriptModule")
    paths = connection.default_paths("Linux", {})
    with pytest.raises(ResolveError, match="/opt/resolve/Developer/Scripting/Modules"):
        connection.load_module(paths)


@pytest.mark.parametrize("page", ["cut", "edit", "color", "fairlight", "deliver"])
def test_pages_with_a_playhead_need_no_warning(page: str) -> None:
    assert page_warning(page) is None


@pytest.mark.parametrize(("page", "named"), [("fusion", "Fusion page"), ("media", "Media page")])
def test_pages_without_a_playhead_are_named(page: str, named: str) -> None:
    text = page_warning(page)
    assert text is not None and named in text and "Switch to Cut, Edit" in text


def test_no_page_at_all_is_a_warning_too(resolve: Any) -> None:
    assert page_warning(None) is not None

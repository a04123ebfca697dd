"""A package's parts load on first use: the adapters import nothing of their app until asked."""

from __future__ import annotations

import subprocess
import sys

import pytest

from overshoulder.core.lazy import lazy_attributes


def test_names_and_submodules_come_on_first_use_and_others_are_refused() -> None:
    attribute = lazy_attributes("overshoulder.core", {"write_atomic": "files"}, ["scratch"])
    from overshoulder.core import files, scratch

    assert attribute("write_atomic") is files.write_atomic
    assert attribute("scratch") is scratch
    with pytest.raises(AttributeError, match=r"module 'overshoulder.core' has no attribute 'x'"):
        attribute("x")


def test_importing_an_adapter_package_imports_none_of_its_parts() -> None:
    code = (
        "import sys, overshoulder.plugins.nuke as n, overshoulder.plugins.maya as m, "
        "overshoulder.plugins.resolve as r\n"
        "loaded = [k for k in sys.modules if k.startswith('overshoulder.plugins.')]\n"
        "print(sorted(loaded))\n"
        "print(hasattr(m, 'no_such_part'), 'NukeHost' in n.__all__, r.__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert out.returncode == 0, out.stderr
    loaded, asked = out.stdout.splitlines()
    assert loaded == str(
        ["overshoulder.plugins.maya", "overshoulder.plugins.nuke", "overshoulder.plugins.resolve"]
    )
    assert asked == "False True overshoulder.plugins.resolve"

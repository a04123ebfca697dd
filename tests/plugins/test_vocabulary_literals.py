"""No adapter passes its app a name that nobody found in a public source.

Each app's vocabulary (tests/fakes/<app>_vocabulary.py) lists what the app
accepts, with a source for each name, and says how to find, in an adapter
module's source, the literals the adapter hands the app (``literal_uses``).
This reads every module of each adapter package and fails on any literal the
vocabulary lacks: the next "4:2:0" fails here before it fails in a studio.
"""

from __future__ import annotations

import ast
import importlib
import textwrap
from pathlib import Path

import pytest

from tests.fakes.vocabulary import ConstantResolver, Source, Vocabulary

ROOT = Path(__file__).resolve().parents[2]
APPS = ["nuke", "maya", "resolve"]


def _vocabulary_module(app: str):
    return importlib.import_module(f"tests.fakes.{app}_vocabulary")


@pytest.mark.parametrize("app", APPS)
def test_every_literal_an_adapter_passes_its_app_is_in_the_apps_vocabulary(app: str) -> None:
    vocab = _vocabulary_module(app)
    resolver = ConstantResolver(ROOT / "plugins" / app)
    uses = []
    for module, tree in resolver.modules():
        uses.extend(vocab.literal_uses(tree, module, resolver))
    unknown = [str(u) for u in uses if not vocab.VOCABULARY.has(u.category, u.name)]
    assert not unknown, (
        f"{app}: literals with no source in tests/fakes/{app}_vocabulary.py:\n" + "\n".join(unknown)
    )
    # The scan must see the adapter's calls at all: an empty scan would pass anything.
    assert len(uses) >= 10, f"{app}: the literal scan found only {len(uses)} uses; is it looking?"


@pytest.mark.parametrize("app", APPS)
def test_every_name_in_an_apps_vocabulary_has_a_source(app: str) -> None:
    vocab = _vocabulary_module(app).VOCABULARY
    assert isinstance(vocab, Vocabulary) and vocab.categories()
    for category in vocab.categories():
        for name in vocab.names(category):
            assert vocab.source(category, name).where.strip(), (category, name)


def test_a_vocabulary_refuses_a_name_without_a_source() -> None:
    with pytest.raises(ValueError, match="no source"):
        Vocabulary("app", {"knob:Write": {"file": Source("  ")}})


def test_require_raises_the_apps_own_error_for_an_unknown_name() -> None:
    vocab = Vocabulary("app", {"enum:x": {"a": Source("doc page")}})
    vocab.require("enum:x", "a", ValueError)
    with pytest.raises(LookupError, match="'b' is not a known enum:x"):
        vocab.require("enum:x", "b", LookupError)


def test_the_resolver_follows_constants_through_defaults_and_f_strings(tmp_path: Path) -> None:
    (tmp_path / "defaults.py").write_text('MENU = "Tools"\nMODES = ("a", "b")\nPLAIN = 3\n')
    (tmp_path / "use.py").write_text(
        textwrap.dedent(
            """
            from . import defaults
            from .defaults import MENU, MODES
            LOCAL = "here"
            def f(x):
                g(defaults.MENU, MENU, MODES, LOCAL, f"{MENU}/Open", x, defaults.PLAIN)
            """
        )
    )
    resolver = ConstantResolver(tmp_path)
    call = next(n for n in ast.walk(resolver.trees["use"]) if isinstance(n, ast.Call))
    values = [resolver.value(arg, "use") for arg in call.args]
    assert values == ["Tools", "Tools", ("a", "b"), "here", "Tools/Open", None, None]
    assert resolver.strings(call.args[2], "use") == ["a", "b"]


def test_the_resolver_follows_full_overshoulder_import_names_too(tmp_path: Path) -> None:
    package = tmp_path / "nuke"
    package.mkdir()
    (package / "defaults.py").write_text('SUB = "4:2:0"\n')
    (package / "selftest.py").write_text(
        "from overshoulder.plugins.nuke.defaults import SUB\n"
        "from overshoulder.plugins.nuke import defaults\n"
        "from overshoulder.plugins.maya.defaults import OTHER\n"
        "f(SUB, defaults.SUB, OTHER)\n"
    )
    resolver = ConstantResolver(package)
    call = next(n for n in ast.walk(resolver.trees["selftest"]) if isinstance(n, ast.Call))
    assert [resolver.value(a, "selftest") for a in call.args] == ["4:2:0", "4:2:0", None]


def test_the_resolver_reads_a_parameter_through_its_constant_default(tmp_path: Path) -> None:
    """The shape of the Nuke capture: the enumeration value arrives as a parameter."""
    (tmp_path / "defaults.py").write_text('SUB = "4:2:0"\n')
    (tmp_path / "capture.py").write_text(
        textwrap.dedent(
            """
            from .defaults import SUB
            def render(write, sub=SUB, *, q="0.9"):
                write.knob("_jpeg_sub_sampling").setValue(sub)
                write.knob("_jpeg_quality").setValue(q)
            def changed(write, sub=SUB):
                sub = pick()
                write.knob("_jpeg_sub_sampling").setValue(sub)
            """
        )
    )
    resolver = ConstantResolver(tmp_path)
    values = [
        resolver.value(call.args[0], "capture")
        for call in ast.walk(resolver.trees["capture"])
        if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "setValue"
    ]
    assert values == ["4:2:0", "0.9", None]  # a reassigned parameter is not its default


@pytest.mark.parametrize("app", APPS)
def test_a_bad_default_in_defaults_py_is_caught_by_the_apps_scan(app: str, tmp_path: Path) -> None:
    """Copy the adapter, break one constant its defaults.py hands the app, and the scan must
    name it: the next "4:2:0" fails here whichever way the adapter passes it on."""
    import shutil

    vocab = _vocabulary_module(app)
    source = ROOT / "plugins" / app
    copy = tmp_path / app
    shutil.copytree(source, copy)
    clean = ConstantResolver(copy)
    known = {
        (u.category, u.name)
        for module, tree in clean.modules()
        for u in vocab.literal_uses(tree, module, clean)
    }
    defaults = clean.constants.get("defaults", {})
    used = {name: value for name, value in defaults.items() if isinstance(value, str)}
    target = next((name for name, value in used.items() if any(value == n for _, n in known)), None)
    assert target is not None, f"{app}: no constant of defaults.py reaches the app"
    text = (copy / "defaults.py").read_text()
    text = text.replace(f"{target} = {used[target]!r}", f"{target} = 'no-such-value-4:2:0'", 1)
    text = text.replace(f'{target} = "{used[target]}"', f'{target} = "no-such-value-4:2:0"', 1)
    (copy / "defaults.py").write_text(text)
    broken = ConstantResolver(copy)
    assert broken.constants["defaults"][target] == "no-such-value-4:2:0", target
    uses = [
        u for module, tree in broken.modules() for u in vocab.literal_uses(tree, module, broken)
    ]
    unknown = [u for u in uses if not vocab.VOCABULARY.has(u.category, u.name)]
    assert any(u.name == "no-such-value-4:2:0" for u in unknown), (app, target)


def test_the_nuke_capture_asking_for_4_2_0_again_fails_the_scan(tmp_path: Path) -> None:
    """The bug that started this: the capture's Write asked for a subsampling Nuke lacks."""
    import shutil

    vocab = _vocabulary_module("nuke")
    copy = tmp_path / "nuke"
    shutil.copytree(ROOT / "plugins" / "nuke", copy)
    defaults = copy / "defaults.py"
    text = defaults.read_text()
    assert 'JPEG_SUB_SAMPLING = "4:4:4"' in text
    defaults.write_text(text.replace('JPEG_SUB_SAMPLING = "4:4:4"', 'JPEG_SUB_SAMPLING = "4:2:0"'))
    resolver = ConstantResolver(copy)
    uses = [
        u for module, tree in resolver.modules() for u in vocab.literal_uses(tree, module, resolver)
    ]
    flagged = [u for u in uses if u.name == "4:2:0"]
    assert flagged and not vocab.VOCABULARY.has(flagged[0].category, "4:2:0"), flagged

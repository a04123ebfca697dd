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

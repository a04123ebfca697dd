"""A FAKE of ``nukescripts.panels`` (Nuke's panel registry), for tests.

Written from the public ``nukescripts/panels.py`` behaviour as the Nuke 15.0v1
stubs show it, not from Foundry's code: ``registerWidgetAsPanel`` adds a
command to the "Pane" menu and registers a restore function under the panel
id; restoring (as a saved layout does) evaluates the widget string in the
``__main__`` namespace, as Nuke's PyCustom_Knob does, and makes the widget.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import nuke

_panels: dict[str, Callable[[], Any]] = {}
#: What was registered: id -> (widget expression, name).
registered: dict[str, tuple[str, str]] = {}


def registerPanel(id: str, command: Callable[[], Any]) -> None:
    _panels[id] = command


def unregisterPanel(id: str, command: Any = None) -> None:
    del _panels[id]


def restorePanel(id: str) -> Any:
    """Make the panel registered under ``id`` (None, with a message, when unknown)."""
    try:
        return _panels[id]()
    except KeyError:
        print("Can't restore panel '", id, "' because it hasn't been registered.")
        return None


class WidgetKnob:
    def __init__(self, widget: Any) -> None:
        self.widgetClass = widget

    def makeUI(self) -> Any:
        self.widget = self.widgetClass()
        return self.widget


class PythonPanel:
    """A panel holding knobs; ``addToPane`` makes its custom widgets."""

    def __init__(self, title: str = "", id: str = "", scrollable: bool = True) -> None:
        self.title, self.id = title, id
        self.knobs: list[Any] = []
        self.widgets: list[Any] = []

    def addKnob(self, knob: Any) -> None:
        self.knobs.append(knob)

    def addToPane(self, pane: Any = None) -> PythonPanel:
        import __main__

        for knob in self.knobs:
            expr = knob.value()
            wk = eval(expr, vars(__main__))
            self.widgets.append(wk.makeUI())
        return self


def registerWidgetAsPanel(widget: str, name: str, id: str, create: bool = False) -> Optional[Any]:
    """Register ``widget`` (an expression naming a QWidget class) as a Nuke panel."""

    def make() -> PythonPanel:
        panel = PythonPanel(name, id)
        panel.addKnob(
            nuke.PyCustom_Knob(
                name, "", "__import__('nukescripts').panels.WidgetKnob(" + widget + ")"
            )
        )
        return panel

    def addPanel() -> PythonPanel:
        return make().addToPane()

    nuke.menu("Pane").addCommand(name, addPanel)
    registerPanel(id, addPanel)
    registered[id] = (widget, name)
    return make() if create else None

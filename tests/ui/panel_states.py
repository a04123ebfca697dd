"""The panel in each state an artist sees it, rendered offscreen, and what is wrong with a layout.

Used by test_panel_layout.py (PySide6, in the test process) and by pyside2_check.py (PySide2, in
a child process): the same states on both bindings, against a real relay.

- ``layout_problems(panel)``: clipped text (a label's or button's words wider than the room it
  has, unless elided on purpose with "…"), a widget sticking out of its parent on the right,
  and visible horizontal scrollbars.
- ``PanelStates``: a relay with sessions on it, a host panel that shares, a reviewer panel that
  joined with people, notes (on the images the relay kept) and chat; ``picture()`` saves one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

import numpy as np
import Qt
import requests

from overshoulder.core.client import SessionClient
from overshoulder.core.host import Capture
from overshoulder.core.links import parse_invite
from overshoulder.core.model import Anchor, Annotation, ImageRef, Shape, Style, new_id
from overshoulder.core.ui import Panel, PanelSettings
from overshoulder.core.ui.widgets import ElidedLabel

from .hosts import ViewerHost
from .qt import QtCore, QtGui, QtWidgets, app, pump, wait_for

WIDTHS = (320, 480)
#: Long on purpose: the header cuts it with "…", never wider than the dock.
SESSION_NAME = "sh010 comp review, second pass with the new plate"
HEIGHT = 900
#: A dark palette as Nuke's and Maya's (their windows are dark grey, text light).
DARK = {
    "Window": (50, 50, 50),
    "WindowText": (220, 220, 220),
    "Base": (38, 38, 38),
    "AlternateBase": (58, 58, 58),
    "Text": (220, 220, 220),
    "Button": (62, 62, 62),
    "ButtonText": (220, 220, 220),
    "Highlight": (247, 147, 30),
    "HighlightedText": (20, 20, 20),
    "Mid": (90, 90, 90),
    "Dark": (30, 30, 30),
    "Light": (80, 80, 80),
    "Midlight": (70, 70, 70),
    "ToolTipBase": (60, 60, 60),
    "ToolTipText": (220, 220, 220),
    "PlaceholderText": (140, 140, 140),
}


def dark_palette() -> Any:
    palette = QtGui.QPalette()
    role = QtGui.QPalette.ColorRole
    for name, rgb in DARK.items():
        palette.setColor(getattr(role, name), QtGui.QColor(*rgb))
    disabled = QtGui.QPalette.ColorGroup.Disabled
    for name in ("WindowText", "Text", "ButtonText"):
        palette.setColor(disabled, getattr(role, name), QtGui.QColor(120, 120, 120))
    return palette


def use_app_look(dark: bool) -> None:
    """Fusion with a dark palette (as Nuke and Maya) or the style's own light one."""
    qapp = app()
    qapp.setStyle(QtWidgets.QStyleFactory.create("Fusion"))
    qapp.setPalette(dark_palette() if dark else qapp.style().standardPalette())


# --- what is wrong with a layout ---------------------------------------------------------------


def _text_width(metrics: Any, text: str) -> int:
    return max((metrics.horizontalAdvance(line) for line in text.split("\n")), default=0)


def layout_problems(root: Any) -> list[str]:
    """Everything clipped or scrolled sideways in ``root`` as shown now (one line each)."""
    problems: list[str] = []
    for widget in [root, *root.findChildren(QtWidgets.QWidget)]:
        if widget is not root and not widget.isVisibleTo(root):
            continue
        name = f"{type(widget).__name__}({_text_of(widget)[:40]!r})"
        parent = widget.parentWidget()
        if widget is not root and parent is not None and not widget.isWindow():
            right = widget.geometry().right()
            viewport_child = isinstance(parent.parentWidget(), QtWidgets.QAbstractScrollArea)
            if right > parent.width() and not (viewport_child and widget is not parent):
                problems.append(f"{name} sticks out of its parent: {right + 1} > {parent.width()}")
        if isinstance(widget, QtWidgets.QAbstractScrollArea):
            bar = widget.horizontalScrollBar()
            if bar.isVisible():
                problems.append(f"{name} shows a horizontal scrollbar")
            inner = widget.widget() if isinstance(widget, QtWidgets.QScrollArea) else None
            if inner is not None and inner.width() > widget.viewport().width():
                problems.append(
                    f"{name}'s content is wider than it: {inner.width()} > "
                    f"{widget.viewport().width()}"
                )
        problems.extend(_clipped(widget, name))
    return problems


def _clipped(widget: Any, name: str) -> list[str]:
    metrics = widget.fontMetrics()
    if isinstance(widget, ElidedLabel):
        full, shown = widget.full_text, str(widget.text())
        room = widget.contentsRect().width()
        if shown != full and not shown.endswith("…"):
            return [f"{name} is cut without an ellipsis"]
        if _text_width(metrics, shown) > room:
            return [f"{name}: {_text_width(metrics, shown)} px of text in {room} px"]
        return []
    if isinstance(widget, QtWidgets.QLabel):
        text = str(widget.text())
        pixmap = widget.pixmap()
        if not text or (pixmap is not None and not pixmap.isNull()):
            return []
        room = widget.contentsRect()
        if widget.wordWrap():
            need = widget.heightForWidth(room.width())
            widest = _wrapped_width(text, widget.font(), room.width())
            out = []
            if need > room.height() + 1:
                out.append(f"{name}: needs {need} px of height, has {room.height()}")
            if widest > room.width():
                out.append(f"{name}: a line of {widest} px in {room.width()} px")
            return out
        if _text_width(metrics, text) > room.width():
            return [f"{name}: {_text_width(metrics, text)} px of text in {room.width()} px"]
        return []
    if isinstance(widget, QtWidgets.QCheckBox):
        style = widget.style()
        indicator = style.pixelMetric(QtWidgets.QStyle.PixelMetric.PM_IndicatorWidth, None, widget)
        spacing = style.pixelMetric(
            QtWidgets.QStyle.PixelMetric.PM_CheckBoxLabelSpacing, None, widget
        )
        words = str(widget.text())
        need = indicator + (spacing + metrics.horizontalAdvance(words) if words else 0)
        if need > widget.width():
            return [f"{name}: needs {need} px, has {widget.width()}"]
        return []
    if isinstance(widget, QtWidgets.QAbstractButton):
        text = str(widget.text()).replace("&", "")
        if not text:
            return []
        extra = 0
        arrow = isinstance(widget, QtWidgets.QToolButton) and (
            widget.arrowType() != QtCore.Qt.ArrowType.NoArrow
        )
        if arrow:
            extra = widget.iconSize().width() + 4
        need = metrics.horizontalAdvance(text) + extra + 8
        if need > widget.width():
            return [f"{name}: needs {need} px, has {widget.width()}"]
    return []


def _wrapped_width(text: str, font: Any, width: int) -> int:
    """The widest line of ``text`` wrapped at ``width`` as a word-wrapped label wraps it (Qt's
    own line breaking: a word it cannot break sticks out)."""
    layout = QtGui.QTextLayout(text.replace("\n", "\u2028"), font)
    option = QtGui.QTextOption()
    option.setWrapMode(QtGui.QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    widest = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        widest = max(widest, line.naturalTextWidth())
    layout.endLayout()
    return int(widest + 0.999)


def _text_of(widget: Any) -> str:
    if isinstance(widget, ElidedLabel):
        return widget.full_text
    text = getattr(widget, "text", None)
    try:
        return str(text()) if callable(text) else ""
    except TypeError:
        return ""


# --- the states ---------------------------------------------------------------------------------


class BarsHost(ViewerHost):
    """A viewer host whose image is colour bars with a grey band that moves with the frame."""

    def capture(self) -> Optional[Capture]:
        h, w = 90, 160
        bars = np.array(
            [
                [191, 191, 191],
                [191, 191, 0],
                [0, 191, 191],
                [0, 191, 0],
                [191, 0, 191],
                [191, 0, 0],
                [0, 0, 191],
            ],
            np.uint8,
        )
        pixels = np.repeat(bars, -(-w // len(bars)), axis=0)[:w][None, :, :].repeat(h, axis=0)
        band = (self.frame * 7) % (w - 20)
        pixels[60:, :] = 30
        pixels[60:, band : band + 20] = 230
        return Capture(
            frame=self.frame,
            width=w,
            height=h,
            pixels=np.ascontiguousarray(pixels),
            colorspace="sRGB",
            version=self.version,
        )


def _viewer() -> Any:
    viewer = QtWidgets.QWidget()
    viewer.resize(480, 270)
    viewer.show()
    return viewer


def _geometry(panel: Panel) -> list[tuple[int, int, int, int, bool]]:
    widgets = [panel, *panel.findChildren(QtWidgets.QWidget)]
    return [(*w.geometry().getRect(), w.isVisible()) for w in widgets]


def settle(panel: Panel) -> None:
    """Until the layout stops moving: posted events (layout requests, resizes, the labels'
    elision) delivered round after round until no widget's place changes between two."""
    before = None
    for _ in range(100):
        app().sendPostedEvents()
        app().processEvents()
        now = _geometry(panel)
        if now == before:
            return
        before = now
    raise AssertionError("the panel's layout never settled")


class PanelStates:
    """Builds the states one after another against ``relay_url``; ``close()`` ends them all."""

    def __init__(self, relay_url: str, out_dir: Path, binding: str = "") -> None:
        app()
        self.relay = relay_url
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.binding = binding or Qt.__binding__.lower()
        self.hosts: list[ViewerHost] = []
        self.panels: list[Panel] = []
        self.guests: list[SessionClient] = []
        self.host_panel: Optional[Panel] = None
        self.reviewer_panel: Optional[Panel] = None
        self.sam: Optional[SessionClient] = None
        self.link = ""

    def _panel(self, name: str) -> Panel:
        host = BarsHost(_viewer())
        self.hosts.append(host)
        panel = Panel(host, settings=PanelSettings())
        panel.relay_edit.setText(self.relay)
        panel.name_edit.setText(name)
        panel.resize(WIDTHS[0], HEIGHT)
        panel.show()
        self.panels.append(panel)
        return panel

    def before_join(self) -> Panel:
        """A relay with two sessions on it, listed; nobody has joined yet."""
        for name, host in (("Shot 010 comp, second pass", "Ana"), ("Lighting dailies", "Ben")):
            r = requests.post(
                self.relay + "/api/sessions", json={"name": name, "host_name": host}, timeout=5
            )
            r.raise_for_status()
        panel = self._panel("Mia")
        self.host_panel = panel
        panel.refresh_sessions()
        _wait(lambda: panel.sessions_list.count() >= 2, "the sessions listed")
        return panel

    def host_sharing(self) -> Panel:
        """The host pressed Share: a session made, the viewer shared, a reviewer link copied."""
        panel = self.host_panel or self.before_join()
        panel.session_name_edit.setText(SESSION_NAME)
        panel.share_button.click()
        _wait(lambda: panel.sharing and panel.images is not None, "the share")
        _wait(lambda: panel.images.hash_of(1001) is not None, "the first frame published")
        _wait(lambda: panel.invite_link_edit.text().startswith(self.relay), "the invite link")
        self.link = panel.invite_link_edit.text()
        self.sam = self._guest("Sam")
        _wait(lambda: len(panel.people_rows()) == 2, "Sam in the host's list")
        return panel

    def _guest(self, name: str) -> SessionClient:
        invite = parse_invite(self.link)
        client = SessionClient(invite.relay, invite.token, name)
        client.start()
        self.guests.append(client)
        _wait(lambda: client.state == "synced", f"{name} joined")
        return client

    def reviewer(self) -> Panel:
        """A reviewer's panel that joined with the link: people, notes on kept images, chat."""
        host_panel = self.host_panel if self.link else self.host_sharing()
        assert host_panel is not None and self.sam is not None
        sam = self.sam
        panel = self._panel("Leo")
        self.reviewer_panel = panel
        panel.join(self.link)
        _wait(lambda: panel.client is not None and panel.client.state == "synced", "Leo joined")
        images = host_panel.images
        assert images is not None
        # Sam draws on the image Sam sees, as the page names it (once the relay holds it).
        first = self._held(images.hash_of(1001))
        sam.add_annotation(
            _note("arrow", 1001, "the edge of the matte flickers against the sky", first)
        )
        plate = "/shows/abc/sh010/plates/sh010_bg_v003.1001.exr"  # one long word, to wrap
        sam.add_annotation(_note("stroke", 1001, f"compare with {plate}", first))
        host = self.hosts[0]
        host.set_playhead(1012)
        _wait(lambda: images.hash_of(1012) is not None, "frame 1012 published")
        later = self._held(images.hash_of(1012))
        ranged = _note("rect", 1012, "grain does not match the plate here", later, duration=8)
        sam.add_annotation(ranged)
        done = _note("ellipse", 1012, "lift the shadows a touch", later)
        sam.add_annotation(done)
        _wait(lambda: len(panel.note_rows()) == 4, "the notes in the reviewer's list")
        panel.set_status(done.id, "done")
        sam.chat("Morning! Two things on 1001, one on 1012")
        _wait(lambda: len(panel.client.chat_log) >= 1, "Sam's chat")
        host_panel.send_chat("Thanks Sam, looking now")
        _wait(lambda: len(panel.client.chat_log) >= 2, "Mia's chat")
        sam.presence("drawing", True)
        _wait(lambda: any("drawing" in r for r in panel.people_rows()), "Sam drawing")

        def pictures() -> bool:
            cards = [panel.note_card(i) for _, i, _ in panel.note_rows()]
            return all(c is not None and c.has_picture() for c in cards)

        if not wait_for(pictures, 20.0):
            thumbs = panel.thumbnails
            cards = [panel.note_card(i) for _, i, _ in panel.note_rows()]
            raise AssertionError(
                "timed out waiting for every note's thumbnail: "
                f"cards {[(c.image_hash, c.has_picture()) for c in cards if c is not None]}, "
                f"pictures {dict(thumbs._pictures)}, failed {thumbs._failed}, "
                f"pending {thumbs._pending}, source {thumbs._source is not None}"
            )
        return panel

    def _held(self, digest: Optional[str]) -> str:
        """``digest`` once the relay holds that image (the host's frame reached it)."""
        assert digest is not None and self.sam is not None and self.sam.session is not None
        url = f"{self.relay}/api/sessions/{self.sam.session.id}/frames/{digest}"
        token = parse_invite(self.link).token

        def held() -> bool:
            got = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
            return got.status_code == 200

        _wait(held, f"the relay to hold {digest}")
        return digest

    def picture(self, panel: Panel, state: str, width: int, look: str) -> tuple[Path, list[str]]:
        """Render ``panel`` at width x HEIGHT; the file and the layout problems found."""
        panel.resize(width, HEIGHT)
        wait_for(lambda: panel.size() == QtCore.QSize(width, HEIGHT), 2)
        settle(panel)
        panel.redraw()
        settle(panel)
        problems = layout_problems(panel)
        if panel.size() != QtCore.QSize(width, HEIGHT):
            problems.append(
                f"the panel is {panel.width()}x{panel.height()}, not {width}x{HEIGHT} "
                f"(it needs at least {panel.minimumSizeHint().width()} px)"
            )
        path = self.out / f"panel-{state}-{width}-{look}-{self.binding}.png"
        panel.grab().save(str(path))
        return path, problems

    def close(self) -> None:
        for client in self.guests:
            client.close()
        for panel in self.panels:
            panel.close_session()
        for panel in self.panels:
            wait_for(lambda p=panel: not p.closing, 10)
            panel.close()
            panel.deleteLater()
        for host in self.hosts:
            if host.viewer is not None:
                host.viewer.close()
                host.viewer.deleteLater()
            host.shut()
        pump()


def _note(kind: str, frame: int, text: Optional[str], image: str, duration: int = 0) -> Annotation:
    shapes = {
        "arrow": Shape(kind="arrow", start=(-0.3, -0.1), end=(0.1, 0.2)),
        "stroke": Shape(kind="stroke", points=[[-0.5, 0.1], [-0.3, 0.2], [-0.1, 0.1]]),
        "rect": Shape(kind="rect", min=(-0.2, -0.2), max=(0.3, 0.1)),
        "ellipse": Shape(kind="ellipse", min=(0.2, -0.3), max=(0.5, 0.0)),
    }
    drawn = ImageRef(hash=image)
    anchor = Anchor(frame=frame, image=drawn, **({"duration": duration} if duration else {}))
    return Annotation(
        id=new_id(),
        shape=shapes[kind],
        anchor=anchor,
        style=Style(color=(1.0, 0.6, 0.0, 1.0), width=0.006),
        text=text,
    )


def _wait(cond: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    if not wait_for(cond, timeout):
        raise AssertionError(f"timed out waiting for {what}")


def artifacts_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "test-artifacts" / "ui"

"""The panel's rows: one per person (colour, role, who drives, who draws, their marks' tick)
and one card per note (thumbnail, author in their colour, words, done, actions).

Both are plain widgets in the application's palette; they take their data from the panel
and call back into it. Qt through Qt.py only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Optional

from Qt import QtCore, QtGui, QtWidgets

from .. import notes
from ..model import Annotation, Participant
from .thumbs import THUMB_H, THUMB_W
from .widgets import (
    AMBER,
    GREEN,
    GREY,
    ElidedLabel,
    FlowLayout,
    badge,
    dot,
    muted,
    person_color,
)

#: What a person is doing, as the browser page says it.
STATES = {"drawing": "drawing…", "typing": "typing…", "away": "away"}
_LONG_WORD = re.compile(r"(\S{12})(?=\S)")


def breakable(text: str) -> str:
    """``text`` with a break opportunity every 12 characters of an unbroken word (a pasted
    path or link), so a wrapped label never gets wider than the panel."""
    return _LONG_WORD.sub("\\1\u200b", text)


class PersonRow(QtWidgets.QWidget):
    """Someone in the session (or who left but whose notes remain), and their marks' tick."""

    def __init__(
        self, person_id: str, on_marks: Callable[[str, bool], None], parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.person_id = person_id
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 1, 0, 1)
        row.setSpacing(5)
        self.dot = dot(person_color(person_id, self.palette()), self)
        self.name = ElidedLabel("", self)
        self.you = muted(QtWidgets.QLabel("(you)", self))
        self.role = badge("", self)
        self.drives = badge("drives", self, AMBER)
        self.voice = badge("", self)
        self.voice.setProperty("voice", "")
        self.voice.hide()
        self.status = muted(QtWidgets.QLabel("", self))
        self.status.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.marks = QtWidgets.QCheckBox(self)
        self.marks.setChecked(True)
        self.marks.toggled.connect(lambda on: on_marks(self.person_id, bool(on)))
        row.addWidget(self.dot)
        row.addWidget(self.name)
        row.addWidget(self.you)
        row.addWidget(self.role)
        row.addWidget(self.drives)
        row.addWidget(self.voice)
        row.addWidget(self.status)
        row.addStretch(1)
        row.addWidget(self.marks)

    def show_person(
        self,
        name: str,
        person: Optional[Participant],
        *,
        me: bool,
        drives: bool,
        shown: bool,
        drawing_on: Optional[int] = None,
        voice: str = "",
    ) -> None:
        self.name.set_full_text(name)
        self.show_voice(voice)
        self.you.setVisible(me)
        self.role.setText(person.role if person is not None else "")
        self.role.setVisible(person is not None)
        self.drives.setVisible(drives)
        if person is None:
            status = "left"
        elif drawing_on is not None:  # the frame their mark is anchored to, as the page says
            status = f"drawing on {drawing_on}"
        else:
            status = STATES.get(person.state, "" if person.following else "free")
        self.status.setText(status)
        self.status.setVisible(bool(status))
        self.marks.blockSignals(True)
        self.marks.setChecked(shown)
        self.marks.blockSignals(False)
        self.marks.setToolTip(f"{'Hide' if shown else 'Show'} {name}'s marks on the viewer")

    def show_voice(self, word: str) -> None:
        """Their voice: "speaking" (green), "muted", "in voice", "listening"; hidden if ""."""
        if self.voice.property("voice") == word:
            return
        colour = GREEN if word == "speaking" else GREY
        self.voice.setText(word)
        self.voice.setStyleSheet(
            f"QLabel {{ border: 1px solid {colour}; border-radius: 3px; padding: 0px 3px;"
            f" color: {colour}; }}"
        )
        self.voice.setProperty("voice", word)
        self.voice.setToolTip(f"In voice: {word}" if word else "")
        self.voice.setVisible(bool(word))


class NoteCard(QtWidgets.QFrame):
    """One note: the image it was drawn on, who, what, its words, done, and its actions."""

    def __init__(self, panel: Any, note: Annotation, parent: Any = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.note = note
        self.text = ""
        self._shown: Any = None
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.setBackgroundRole(QtGui.QPalette.ColorRole.AlternateBase)
        self.setAutoFillBackground(True)
        outer = QtWidgets.QHBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(8)
        self.thumb = _Thumb(lambda: self.panel.jump_to(self.note.id), self)
        self.thumb.setFixedSize(THUMB_W, THUMB_H)
        self.thumb.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.thumb.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.thumb.setStyleSheet("QLabel { background: palette(window); }")
        self.thumb.setCursor(QtGui.QCursor(QtCore.Qt.CursorShape.PointingHandCursor))
        self.thumb.setToolTip("Go to the note's frame")
        outer.addWidget(self.thumb, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        body = QtWidgets.QVBoxLayout()
        body.setSpacing(2)
        head = QtWidgets.QHBoxLayout()
        head.setSpacing(6)
        self.author = ElidedLabel("", self)
        bold = self.author.font()
        bold.setBold(True)
        self.author.setFont(bold)
        self.kind = muted(ElidedLabel("", self))
        head.addWidget(self.author)
        head.addWidget(self.kind, 1)
        body.addLayout(head)
        self.words = _wrapped(self)
        self.about = muted(_wrapped(self))
        self.warning = _wrapped(self)
        self.warning.setStyleSheet(f"QLabel {{ color: {AMBER}; }}")
        body.addWidget(self.words)
        body.addWidget(self.about)
        body.addWidget(self.warning)
        actions = FlowLayout(spacing=4)
        self.done = QtWidgets.QCheckBox("Done", self)
        self.done.setToolTip("Done for everyone (untick to reopen)")
        self.goto = _small_button(
            "Go to", "Move to the note's frame and select what it is about", self
        )
        self.end_here = _small_button(
            "End here", "The note holds frames up to the one shown now (before it: from here)", self
        )
        self.delete = _small_button("Delete", "Delete this note, for everyone", self)
        self.play = _small_button("Play", "Hear this voice note", self)
        self.play.hide()
        for w in (self.play, self.done, self.goto, self.end_here, self.delete):
            actions.addWidget(w)
        body.addLayout(actions)
        outer.addLayout(body, 1)
        self.done.clicked.connect(
            lambda checked=False: self.panel.set_status(self.note.id, "done" if checked else "open")
        )
        self.goto.clicked.connect(lambda: self.panel.jump_to(self.note.id))
        self.end_here.clicked.connect(lambda: self.panel.end_here(self.note.id))
        self.delete.clicked.connect(lambda: self.panel.delete_note(self.note.id))
        self.play.clicked.connect(lambda: self.panel.play_voice_note(self.note.id))

    def show_note(
        self,
        note: Annotation,
        warning: Optional[str],
        *,
        can_edit: bool,
        mine: bool,
        picture: Optional[Any],
    ) -> None:
        """Bring the card up to ``note`` (and the image check's ``warning``); nothing to do when
        all of it is as last shown (a long list is laid out again on every change)."""
        key = (id(note), warning, can_edit, mine, None if picture is None else picture.cacheKey())
        if key == self._shown:
            return
        self._shown = key
        self.note = note
        text = notes.describe(note)
        about = notes.about(note)
        if about:
            text += f"\non {about}"
        if note.created is None:
            text += " (sending…)"
        if warning:
            text += f"\n⚠ {warning}"
        self.text = text
        author = note.author_name or "someone"
        self.author.set_full_text(author)
        pal = self.author.palette()
        pal.setColor(QtGui.QPalette.ColorRole.WindowText, person_color(note.author, self.palette()))
        self.author.setPalette(pal)
        kind = notes.KIND_LABELS.get(note.shape.kind, note.shape.kind)
        if note.anchor.last != note.anchor.frame:
            kind += f" · frames {note.anchor.span()}"
        if note.created is None:
            kind += " · sending…"
        self.kind.set_full_text(kind)
        words = note.text or (note.shape.text if note.shape.kind == "text" else None)
        self.words.setText(breakable(words or ""))
        self.words.setVisible(bool(words))
        self.about.setText(breakable(f"on {about}") if about else "")
        self.about.setVisible(bool(about))
        self.warning.setText(breakable(f"⚠ {warning}") if warning else "")
        self.warning.setVisible(bool(warning))
        self.setToolTip(warning or "")
        done = note.status == "done"
        self.done.blockSignals(True)
        self.done.setChecked(done)
        self.done.blockSignals(False)
        self.done.setEnabled(can_edit)
        self.end_here.setVisible(mine)
        clip = getattr(note, "audio", None)
        self.play.setVisible(clip is not None)
        if clip is not None:
            self.play.setText(f"Play {clip.duration:.0f} s")
        self.delete.setVisible(mine)
        font = self.words.font()
        font.setStrikeOut(done)
        self.words.setFont(font)
        self.set_picture(picture)

    def set_picture(self, picture: Optional[Any]) -> None:
        if picture is not None and not picture.isNull():
            self.thumb.setPixmap(picture)
        else:
            self.thumb.clear()
            self.thumb.setText(str(self.note.anchor.frame))

    @property
    def image_hash(self) -> Optional[str]:
        image = self.note.anchor.image
        return image.hash if image is not None else None

    def has_picture(self) -> bool:
        pixmap = self.thumb.pixmap()
        return pixmap is not None and not pixmap.isNull()


class _Thumb(QtWidgets.QLabel):
    """The note's picture; a click on it goes to the note."""

    def __init__(self, on_click: Callable[[], None], parent: Any) -> None:
        super().__init__(parent)
        self._on_click = on_click

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == QtCore.Qt.MouseButton.LeftButton:
            self._on_click()


def _wrapped(parent: Any) -> Any:
    label = QtWidgets.QLabel(parent)
    label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setSizePolicy(
        QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
    )
    return label


def _small_button(text: str, tip: str, parent: Any) -> Any:
    button = QtWidgets.QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


class SessionDelegate(QtWidgets.QStyledItemDelegate):
    """A session in the relay's list on two lines: its name (bold), then who hosts and how
    many are in (muted); each cut with "…" to the list's width, never scrolled sideways."""

    PAD = 4

    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self._view = view

    def paint(self, painter: Any, option: Any, index: Any) -> None:
        opt = QtWidgets.QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = str(index.data(QtCore.Qt.ItemDataRole.DisplayRole) or "")
        opt.text = ""
        view = self._view
        item = QtWidgets.QStyle.ControlElement.CE_ItemViewItem
        view.style().drawControl(item, opt, painter, view)
        name, _, detail = text.partition("\n")
        # Not from the option's state flags nor its palette: PySide2 5.13 on a recent Python
        # cannot combine those flags, nor does it expose the palette. The list knows both.
        selected = bool(self._view.selectionModel().isSelected(index))
        palette = self._view.palette()
        role = QtGui.QPalette.ColorRole
        ink = palette.color(role.HighlightedText if selected else role.Text)
        faint = QtGui.QColor(ink)
        faint.setAlphaF(0.65)
        rect = opt.rect.adjusted(self.PAD + 2, self.PAD, -self.PAD, -self.PAD)
        bold = QtGui.QFont(opt.font)
        bold.setBold(True)
        painter.save()
        line = QtGui.QFontMetrics(opt.font).height()
        for i, (words, font, colour) in enumerate(((name, bold, ink), (detail, opt.font, faint))):
            metrics = QtGui.QFontMetrics(font)
            shown = metrics.elidedText(words, QtCore.Qt.TextElideMode.ElideRight, rect.width())
            painter.setFont(font)
            painter.setPen(colour)
            baseline = rect.top() + i * line + metrics.ascent()
            painter.drawText(QtCore.QPoint(rect.left(), baseline), shown)
        painter.restore()

    def sizeHint(self, option: Any, index: Any) -> Any:
        line = QtGui.QFontMetrics(option.font).height()
        return QtCore.QSize(16, 2 * line + 2 * self.PAD)

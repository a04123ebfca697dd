"""The panel's two lists: the people in the session, and the notes grouped by frame.

Both reuse their rows from one drawing to the next (a row's widgets stay while its person
or note does) and keep what they show for tests. What the rows say comes from
overshoulder.core.panel_text; the session's data from a ``ShareSession``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Optional

from Qt import QtCore, QtWidgets

from .. import notes, panel_text
from ..model import Anchor, Annotation
from ..panel_voice import VoicePerson, voice_word
from ..share_session import ShareSession
from . import widgets as w
from .cards import NoteCard, PersonRow


def _empty(layout: Any) -> None:
    while layout.count():
        layout.takeAt(0)


def _drop(widgets: list[Any]) -> None:
    for widget in widgets:
        widget.hide()
        widget.deleteLater()


class PeopleList(QtWidgets.QWidget):
    """One ``PersonRow`` per person; ``on_marks(person id, shown)`` when a tick is clicked."""

    def __init__(self, on_marks: Callable[[str, bool], None], parent: Any = None) -> None:
        super().__init__(parent)
        self._on_marks = on_marks
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.rows: dict[str, PersonRow] = {}
        #: One line per person listed: "Mia (host, drives, you)".
        self.texts: list[str] = []

    def clear(self) -> None:
        _drop(list(self.rows.values()))
        self.rows = {}
        self.texts = []

    def show_people(
        self,
        share: ShareSession,
        hidden: set[str],
        drawing: Mapping[str, int],
        voice: Optional[Mapping[str, VoicePerson]] = None,
    ) -> None:
        """Everyone here, then whoever left notes; ``hidden``: whose marks are not shown;
        ``drawing``: who draws on which frame now; ``voice``: who is in voice."""
        me = share.participant
        texts: list[str] = []
        _empty(self._layout)
        kept: dict[str, PersonRow] = {}
        for pid, name, person in panel_text.listed_people(share.participants, share.annotations):
            row = self.rows.get(pid) or PersonRow(pid, self._on_marks, self)
            kept[pid] = row
            mine = me is not None and pid == me.id
            drives = share.driver == pid
            said = voice_word(voice.get(pid)) if voice and person is not None else ""
            row.show_person(
                name,
                person,
                me=mine,
                drives=drives,
                shown=pid not in hidden,
                drawing_on=drawing.get(pid),
                voice=said,
            )
            self._layout.addWidget(row)
            row.show()
            texts.append(panel_text.person_text(name, person, mine, drives, said))
        _drop([row for pid, row in self.rows.items() if pid not in kept])
        self.rows = kept
        self.texts = texts


class NoteList(QtWidgets.QScrollArea):
    """The notes by frame: a title per frame, a ``NoteCard`` per note (its buttons call
    ``actions``: ``jump_to``, ``set_status``, ``end_here``, ``delete_note``)."""

    def __init__(self, actions: Any, thumbnails: Any, parent: Any = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self._thumbnails = thumbnails
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.box = QtWidgets.QWidget(self)
        self._layout = QtWidgets.QVBoxLayout(self.box)
        self._layout.setContentsMargins(0, 0, 4, 0)
        self._layout.setSpacing(4)
        self.empty = w.muted(
            QtWidgets.QLabel("No notes yet. Draw on the viewer to make one.", self.box)
        )
        self.empty.setWordWrap(True)
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self.setWidget(self.box)
        #: As laid out: (group title, the group, [(card, note)]) per frame.
        self.groups: list[tuple[Any, notes.FrameNotes, list[tuple[Any, Annotation]]]] = []
        self.cards: dict[str, NoteCard] = {}
        self._heads: dict[int, Any] = {}

    def clear(self) -> None:
        _empty(self._layout)
        _drop([*self.cards.values(), *self._heads.values()])
        self.cards, self._heads, self.groups = {}, {}, []
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        self.empty.show()

    def show_notes(self, share: ShareSession, frame: Optional[int]) -> int:
        """Lay the list out again (the notes or the images changed); cards are reused.
        Returns how many notes it lists."""
        _empty(self._layout)
        self.groups = []
        anchor = share.anchor()
        cards: dict[str, NoteCard] = {}
        heads: dict[int, Any] = {}
        count = 0
        for group in notes.by_frame(share.annotations.values()):
            head = self._heads.get(group.frame)
            if head is None:
                head = w.ElidedLabel("", self.box)
                head.setContentsMargins(0, 6, 0, 0)
            heads[group.frame] = head
            self._layout.addWidget(head)
            head.show()
            rows = []
            for note in group.notes:
                card = self.cards.get(note.id) or NoteCard(self._actions, note, self.box)
                cards[note.id] = card
                card.note = note
                self._layout.addWidget(card)
                card.show()
                rows.append((card, note))
                count += 1
            self.groups.append((head, group, rows))
            self._decorate(share, head, group, rows, frame, anchor)
        _drop(
            [c for i, c in self.cards.items() if i not in cards]
            + [h for f, h in self._heads.items() if f not in heads]
        )
        self.cards, self._heads = cards, heads
        self._layout.addWidget(self.empty)
        self.empty.setVisible(count == 0)
        self._layout.addStretch(1)
        return count

    def mark_frame(self, share: ShareSession, before: Optional[int], frame: Optional[int]) -> None:
        """The frame moved from ``before``: retitle the groups whose "here" changed, and
        re-check the images of the groups at the old and the new frame (only there does the
        app name the image)."""
        here = panel_text.is_here
        anchor: Optional[Anchor] = None
        for head, group, rows in self.groups:
            touched = group.frame in (before, frame)
            if not touched and here(group, before) == here(group, frame):
                continue
            if anchor is None:
                anchor = share.anchor()
            self._decorate(share, head, group, rows, frame, anchor)

    def _decorate(
        self,
        share: ShareSession,
        head: Any,
        group: notes.FrameNotes,
        rows: list[tuple[Any, Annotation]],
        frame: Optional[int],
        anchor: Optional[Anchor],
    ) -> None:
        """A group's title, its bold "here", and its cards (texts, image warnings, pictures)."""
        head.set_full_text(panel_text.frame_title(group, frame))
        font = head.font()
        font.setBold(panel_text.is_here(group, frame))
        head.setFont(font)
        image = share.current_image(group.frame, anchor)
        actions = share.note_actions
        for card, note in rows:
            drawn = note.anchor.image
            card.show_note(
                note,
                notes.stale_warning(note, image),
                can_edit=actions.can_draw,
                mine=actions.mine(note),
                picture=self._thumbnails.get(drawn.hash if drawn is not None else None),
            )

    def picture_arrived(self, digest: str) -> None:
        for card in self.cards.values():
            if card.image_hash == digest:
                card.set_picture(self._thumbnails.get(digest))

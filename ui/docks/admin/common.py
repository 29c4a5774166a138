"""Small pieces every Admin tab uses: the tab base class, read-only tables, line edits, dates that may be blank."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from hms_desktop.changes import Changes
from ui import clinic_time
from ui.qt import (
    QAbstractItemView,
    QDate,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)
from ui.session import AppSession

KEY_ROLE = Qt.ItemDataRole.UserRole
NO_DATE = QDate(2000, 1, 1)  # a QDateEdit at this date means "no date" (shown as its special text)


class AdminTab(QWidget):
    """A tab of the Admin dock: loads its lists when it is shown (so they are fresh), never at construction,
    and again when a table it lists (``WATCHED``) changes, here or on another PC (``session.changes``)."""

    WATCHED: tuple[str, ...] = ()

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.loaded = False
        self.stale = False
        if self.WATCHED:
            session.changes.changed.connect(self._on_changes)

    def activate(self) -> None:
        self.loaded, self.stale = True, False
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if not self.loaded or not changes.touches(*self.WATCHED):
            return
        if self.isVisible():
            self.refresh()
        else:
            self.stale = True

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.stale and self.loaded:
            self.stale = False
            self.refresh()

    def refresh(self) -> None:
        """Reload the tab's lists from the store (forms being edited are left alone)."""


def line(name: str, placeholder: str = "", submit: Callable[[], None] | None = None) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if submit is not None:
        edit.returnPressed.connect(submit)  # Enter submits
    return edit


def button(text: str, name: str, slot: Callable[[], object]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(lambda _=False: slot())
    return b


def row_of(*widgets: QWidget, stretch: bool = True) -> QHBoxLayout:
    box = QHBoxLayout()
    for w in widgets:
        box.addWidget(w)
    if stretch:
        box.addStretch()
    return box


def message_label(name: str) -> QLabel:
    """A line for a result or an error that belongs to no single field."""
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.hide()
    return label


def say(label: QLabel, text: str, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet("color: #b00020;" if error else "color: #1b5e20;")
    label.setVisible(bool(text))


def table(name: str, headers: Sequence[str]) -> QTableWidget:
    """A read-only list: whole rows selected, one at a time."""
    t = QTableWidget(0, len(headers))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(list(headers))
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    t.verticalHeader().hide()
    t.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
    return t


def fill(t: QTableWidget, rows: Sequence[Sequence[str]], keys: Sequence[Any]) -> None:
    """Replace the rows; each row remembers its key (an id) and the selection stays on the same key."""
    current = row_key(t)
    t.blockSignals(True)  # a reload does not count as the user picking a row
    t.clearSelection()
    t.setRowCount(len(rows))
    for r, (cells, key) in enumerate(zip(rows, keys, strict=True)):
        for c, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if c == 0:
                item.setData(KEY_ROLE, key)
            t.setItem(r, c, item)
    t.blockSignals(False)
    select_key(t, current)


def select_key(t: QTableWidget, key: Any) -> None:
    """Select the row of ``key`` without signalling a choice (or no row, when it is not listed)."""
    t.blockSignals(True)
    t.clearSelection()
    t.setCurrentCell(-1, -1)
    for r in range(t.rowCount()):
        item = t.item(r, 0)
        if key is not None and item is not None and item.data(KEY_ROLE) == key:
            t.selectRow(r)
            break
    t.blockSignals(False)


def row_key(t: QTableWidget) -> Any:
    row = t.currentRow()
    item = t.item(row, 0) if row >= 0 else None
    return item.data(KEY_ROLE) if item is not None else None


def date_edit(name: str, optional: bool = False) -> QDateEdit:
    """A date picker; an optional one can be left blank (it shows "none" at its lowest date)."""
    edit = QDateEdit()
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd-MM-yyyy")
    if optional:
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("none")
        edit.setDate(NO_DATE)
    else:
        edit.setDate(clinic_time.qtoday())
    return edit


def date_of(edit: QDateEdit) -> date | None:
    """The date picked; None when an optional picker (``date_edit(optional=True)``) is left at "none"."""
    if edit.specialValueText() and edit.date() == edit.minimumDate():
        return None
    return clinic_time.day_of(edit.date())


def required_date(edit: QDateEdit) -> date:
    """The date of a picker that cannot be left at "none" (``date_edit`` without ``optional``)."""
    return clinic_time.day_of(edit.date())


def set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(edit.minimumDate() if value is None else QDate(value.year, value.month, value.day))


def show_date(value: date | None) -> str:
    return value.strftime("%d %b %Y") if value is not None else ""


def show_time(value: datetime | None) -> str:
    return clinic_time.show_time(value)

"""The editable grid of the purchase forms: Tab, Enter and Shift+Tab go to the next (previous) cell that may be
typed in and open it; past the last one ``finished`` is emitted, so the form moves the focus on (to the medicine
search, to add another line). A cell an error names is outlined and gets the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ui.docks.inventory.purchase_common import BAD_CELL, FIXED_CELL, cell
from ui.qt import QAbstractItemView, QBrush, QColor, QKeyEvent, Qt, QTableWidget, QTableWidgetItem, QWidget, Signal


@dataclass(frozen=True)
class BadCell:
    """A typed cell that is not what its column takes, and what to say about it."""

    row: int
    column: int
    message: str


class CellTable(QTableWidget):
    """An editable grid: Tab, Enter and Shift+Tab go to the next (previous) editable cell and open it for typing;
    past the last one ``finished`` is emitted (the form moves the focus on)."""

    finished = Signal()

    def __init__(self, name: str, headers: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(headers), parent)
        self.setObjectName(name)
        self.setHorizontalHeaderLabels(list(headers))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.verticalHeader().setDefaultSectionSize(28)
        self.setWordWrap(False)

    def editable(self, r: int, c: int) -> bool:
        item = self.item(r, c)
        return item is not None and not self.isColumnHidden(c) and bool(item.flags() & Qt.ItemFlag.ItemIsEditable)

    def next_cell(self, r: int, c: int, step: int) -> tuple[int, int] | None:
        columns = self.columnCount()
        i = r * columns + c + step
        while 0 <= i < self.rowCount() * columns:
            if self.editable(*divmod(i, columns)):
                return divmod(i, columns)
            i += step
        return None

    def open_cell(self, r: int, c: int) -> None:
        item = self.item(r, c)
        self.setCurrentCell(r, c)
        if item is not None and self.editable(r, c):
            self.editItem(item)

    def first_editable(self, row: int) -> None:
        """Open the first editable cell of ``row`` (a line just added)."""
        found = self.next_cell(row, -1, 1)
        if found is not None and found[0] == row:
            self.open_cell(*found)

    def go(self, step: int) -> bool:
        found = self.next_cell(self.currentRow(), self.currentColumn(), step)
        if found is None:
            if step > 0:
                self.finished.emit()
            return False
        self.open_cell(*found)
        return True

    def closeEditor(self, editor: QWidget, hint: Any) -> None:  # noqa: N802 - Qt's name
        name = getattr(hint, "name", "")
        if name == "SubmitModelCache":  # Enter in the cell, or the cursor put on another row (a click)
            at = self.indexAt(editor.geometry().center())
            if (at.row(), at.column()) != (self.currentRow(), self.currentColumn()):
                super().closeEditor(editor, hint)
                return
        if name in ("EditNextItem", "EditPreviousItem", "SubmitModelCache"):
            super().closeEditor(editor, type(hint).NoHint)
            self.go(-1 if name == "EditPreviousItem" else 1)
            return
        super().closeEditor(editor, hint)

    def focusNextPrevChild(self, forward: bool) -> bool:  # noqa: N802 - Qt's name
        if self.state() != QAbstractItemView.State.EditingState and self.rowCount():
            if self.go(1 if forward else -1):
                return True
            if self.hasFocus():  # past the last (or before the first) editable cell: leave the grid
                return QWidget.focusNextPrevChild(self, forward)
            return True
        return super().focusNextPrevChild(forward)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if self.state() != QAbstractItemView.State.EditingState and event.key() in (Qt.Key.Key_Return,
                                                                                     Qt.Key.Key_Enter):  # fmt: skip
            r, c = self.currentRow(), self.currentColumn()
            if r >= 0 and self.editable(r, c):
                self.open_cell(r, c)
            else:
                self.go(1)
            return
        super().keyPressEvent(event)

    def at(self, r: int, c: int) -> QTableWidgetItem:
        """The cell's item (made, empty and read-only, if the cell had none)."""
        item = self.item(r, c)
        if item is None:
            item = cell("")
            self.setItem(r, c, item)
        return item

    def set_editable(self, columns: Sequence[int], on: bool) -> None:
        blocked = self.blockSignals(True)  # a cell's flags are no edit of its value
        for r in range(self.rowCount()):
            for c in columns:
                item = self.at(r, c)
                flags = item.flags() | Qt.ItemFlag.ItemIsEditable
                item.setFlags(flags if on else flags & ~Qt.ItemFlag.ItemIsEditable)
        self.blockSignals(blocked)

    def text(self, r: int, c: int) -> str:
        item = self.item(r, c)
        return item.text().strip() if item is not None else ""

    def mark(self, r: int, c: int) -> None:
        """Outline the cell an error names and put the cursor on it."""
        self.unmark()
        item = self.item(r, c)
        if item is not None:
            item.setBackground(QBrush(QColor(BAD_CELL)))
            self.setCurrentCell(r, c)
            self.setFocus()

    def unmark(self) -> None:
        for r in range(self.rowCount()):
            for c in range(self.columnCount()):
                item = self.item(r, c)
                if item is not None and item.background().color().name() == BAD_CELL:
                    item.setBackground(QBrush() if self.editable(r, c) else QBrush(QColor(FIXED_CELL)))

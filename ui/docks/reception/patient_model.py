"""Search results as a table that fetches further pages only as the user scrolls."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.reception.patient_search import PatientSummary, search_patients
from ui.qt import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from ui.session import AppSession
from ui.worker import run

COLUMNS = ("Code", "Name", "Age / Sex", "Phone")
PAGE = 50

Index = QModelIndex | QPersistentModelIndex


class PatientSearchModel(QAbstractTableModel):
    loaded = Signal()  # a page of results has arrived

    def __init__(self, session: AppSession) -> None:
        super().__init__()
        self.session = session
        self.query = ""
        self.rows: list[PatientSummary] = []
        self.total = 0
        self.pages_loaded = 0
        self.loading = False
        self.generation = 0  # a newer search makes older answers stale

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        p = self.rows[index.row()]
        age = f"{p.age}" if p.age is not None else "-"
        return (p.code, p.full_name, f"{age} / {p.gender}", p.phone or "")[index.column()]

    def patient(self, row: int) -> PatientSummary | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def search(self, query: str) -> None:
        self.generation += 1
        self.beginResetModel()
        self.query, self.rows, self.total, self.pages_loaded, self.loading = query.strip(), [], 0, 0, False
        self.endResetModel()
        if self.query:
            self._load()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return bool(self.query) and not self.loading and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if self.canFetchMore(parent):
            self._load()

    def _load(self) -> None:
        self.loading = True
        generation, page = self.generation, self.pages_loaded + 1
        ctx, query = self.session.ctx, self.query
        run(
            None,
            lambda: search_patients(ctx, query, page=page, page_size=PAGE),
            done=lambda result: self._loaded(generation, result),
            failed=lambda _e: self._failed(generation),
        )

    def _failed(self, generation: int) -> None:
        if generation == self.generation:
            self.loading = False

    def _loaded(self, generation: int, result: Any) -> None:
        if generation != self.generation:
            return
        self.loading = False
        self.total = result.total
        self.pages_loaded = result.page
        if result.items:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(result.items) - 1)
            self.rows.extend(result.items)
            self.endInsertRows()
        self.loaded.emit()

"""The Audit dock: search the trail page by page, see a row's old and new values, verify the chains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hms_desktop.paging import Page
from hms_desktop.services.admin.audit_trail import AuditQuery, search_audit
from ui import clinic_time
from ui.docks.audit.changes import ChangesView
from ui.docks.audit.filters import AuditFilters
from ui.docks.audit.model import AuditPageModel
from ui.docks.audit.verify import VerifyPanel
from ui.qt import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QModelIndex,
    QPushButton,
    QSplitter,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.worker import run

if TYPE_CHECKING:
    from ui.main_window import MainWindow

PAGE_SIZE = 50


class AuditDock(QWidget):
    loaded = Signal()  # a page of results is on show

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.main = window
        self.session = window.session
        self.setObjectName("auditDock")
        self.page_size = PAGE_SIZE
        self.page, self.pages, self.total = 1, 1, 0
        self.query = AuditQuery()
        self.generation = 0  # a newer search makes older answers stale

        self.filters = AuditFilters()
        self.filters.submitted.connect(self.search)
        self.search_button = QPushButton("&Search")
        self.search_button.setObjectName("searchAudit")
        self.search_button.clicked.connect(self.search)

        self.model = AuditPageModel(clinic_time.zone())  # the session's: every role sees the clinic's times
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)

        self.previous_button = QPushButton("&Previous")
        self.previous_button.setObjectName("previousPage")
        self.previous_button.clicked.connect(lambda: self.load(self.page - 1))
        self.page_label = QLabel()
        self.page_label.setObjectName("pageLabel")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.next_button = QPushButton("&Next")
        self.next_button.setObjectName("nextPage")
        self.next_button.clicked.connect(lambda: self.load(self.page + 1))
        self.changes = ChangesView()

        self._layout()
        self._update_paging()
        self.search()

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filters, 1)
        top.addWidget(self.search_button, 0, Qt.AlignmentFlag.AlignBottom)
        paging = QHBoxLayout()
        paging.addWidget(self.previous_button)
        paging.addWidget(self.page_label, 1)
        paging.addWidget(self.next_button)
        results = QWidget()
        results_layout = QVBoxLayout(results)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.table)
        results_layout.addLayout(paging)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(results)
        splitter.addWidget(self.changes)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.verify: VerifyPanel | None = None
        if self.session.can("audit.verify"):
            self.verify = VerifyPanel(self.session)
            layout.addWidget(self.verify)
        QWidget.setTabOrder(self.filters.date_to, self.search_button)
        QWidget.setTabOrder(self.search_button, self.table)
        QWidget.setTabOrder(self.table, self.previous_button)
        QWidget.setTabOrder(self.previous_button, self.next_button)

    # --- searching and paging

    def search(self) -> None:
        self.filters.errors.clear()
        self.query = self.filters.query()
        self.load(1)

    def load(self, page: int) -> None:
        self.generation += 1
        generation, ctx, query, size = self.generation, self.session.ctx, self.query, self.page_size
        run(
            self,
            lambda: search_audit(ctx, query, page=max(1, page), page_size=size),
            done=lambda result: self._loaded(generation, result),
            failed=lambda exc: self._failed(generation, exc),
            label="Searching the audit trail...",
        )

    def _loaded(self, generation: int, result: Page[Any]) -> None:
        if generation != self.generation:
            return
        self.page, self.pages, self.total = result.page, result.pages, result.total
        if self.model.zone != clinic_time.zone():  # the clinic's zone was changed in Settings since
            self.model.set_zone(clinic_time.zone())
        self.model.set_rows(result.items)
        self.changes.clear()
        self._update_paging()
        self.loaded.emit()

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self.generation:
            self.filters.errors.show(exc)

    def _update_paging(self) -> None:
        rows = f"{self.total} row" + ("" if self.total == 1 else "s")
        self.page_label.setText(f"Page {self.page} of {self.pages} ({rows})")
        self.previous_button.setEnabled(self.page > 1)
        self.next_button.setEnabled(self.page < self.pages)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.changes.show_entry(self.model.entry(current.row()), self.model.zone)

"""The lab's worklist: orders by status (to collect, to enter, to verify, verified today), then priority (stat
first), then the time ordered, as ``lab_worklist`` sorts them. Refreshed on the change broadcast, never polled."""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.clinical.lab_orders import LabOrderView, lab_worklist
from ui import clinic_time
from ui.docks.lab.flags import coloured, next_step, order_flag_text, priority_item, when
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

WATCHED = ("lab_orders", "patients")
# label, the status asked of lab_worklist (None: every open order)
FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All open", None),
    ("To collect", "ordered"),
    ("To enter", "sample_collected"),
    ("To verify", "completed"),
    ("Verified today", "verified"),
)
COLUMNS = ("Priority", "Ordered", "Code", "Patient", "Test", "Next", "Flag")


def verified_today(orders: list[LabOrderView]) -> list[LabOrderView]:
    """The orders verified on the clinic's today, latest first (``lab_worklist`` filters by the day ordered)."""
    today = clinic_time.today()
    mine = [o for o in orders if o.verified_at is not None and clinic_time.local(o.verified_at).date() == today]
    return sorted(mine, key=lambda o: o.verified_at or o.ordered_at, reverse=True)


class Worklist(QWidget):
    chosen = Signal(object)  # the LabOrderView selected (None when the selection is cleared)

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.orders: list[LabOrderView] = []
        self.busy = False
        self.dirty = True  # nothing fetched yet
        self.filter = QComboBox()
        self.filter.setObjectName("labFilter")
        for label, status in FILTERS:
            self.filter.addItem(label, status)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.count = QLabel()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("labWorklist")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._selected)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter, 1)
        top.addWidget(self.count)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        session.changes.changed.connect(self.on_changes)

    def status(self) -> str | None:
        data = self.filter.currentData()
        return str(data) if data is not None else None

    def set_filter(self, status: str | None) -> None:
        i = next((i for i, (_label, s) in enumerate(FILTERS) if s == status), 0)
        self.filter.setCurrentIndex(i)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def on_changes(self, changes: Changes) -> None:
        """An order placed, collected, entered or verified here or on another PC: fetch the list again."""
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.busy or not self.isVisible():
            self.dirty = True  # fetched when this one is back, or when shown
            return
        self.busy, self.dirty = True, False
        background(self, lab_worklist, self.session.ctx, self.status(), done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.busy = False
        self.count.setText(getattr(exc, "message", "The worklist could not be read."))

    def _show(self, orders: list[LabOrderView]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:  # the filter or the store changed while this was on its way
            self.refresh()
            return
        if self.status() == "verified":
            orders = verified_today(orders)
        chosen = self.current()
        self.orders = orders
        self.table.blockSignals(True)
        self.table.setRowCount(len(orders))
        for r, o in enumerate(orders):
            age = f", {o.patient_age_years}{o.patient_gender}" if o.patient_age_years is not None else ""
            cells = [
                priority_item(o.priority),
                QTableWidgetItem(when(o.ordered_at)),
                QTableWidgetItem(o.code),
                QTableWidgetItem(f"{o.patient_name}{age}"),
                self._test_item(o),
                QTableWidgetItem(next_step(o.status)),
                coloured(QTableWidgetItem(order_flag_text(o)), o.result_flag),
            ]
            for c, item in enumerate(cells):
                self.table.setItem(r, c, item)
            if chosen is not None and o.id == chosen.id:
                self.table.selectRow(r)
        self.table.blockSignals(False)
        self.count.setText(f"{len(orders)} order{'s' if len(orders) != 1 else ''}")

    @staticmethod
    def _test_item(o: LabOrderView) -> QTableWidgetItem:
        item = QTableWidgetItem(o.test_code)  # the short code the lab writes on the tube; the name in the tooltip
        item.setToolTip(o.test_name)
        return item

    def current(self) -> LabOrderView | None:
        row = self.table.currentRow()
        selected = self.table.selectionModel().hasSelection()
        return self.orders[row] if selected and 0 <= row < len(self.orders) else None

    def select(self, order_id: uuid.UUID) -> bool:
        """Select the order ``order_id`` if the list shows it."""
        for r, o in enumerate(self.orders):
            if o.id == order_id:
                self.table.selectRow(r)
                return True
        return False

    def _selected(self) -> None:
        order = self.current()
        if order is not None:
            self.chosen.emit(order)

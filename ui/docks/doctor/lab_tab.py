"""The visit's lab tests: search the catalog as you type (name or code), pick tests (Enter or a double click adds
the highlighted one), see each one's price and the total, choose the priority (routine, urgent, stat) and Order:
one order per test, each leaving its charge for billing. Below, every lab order of this patient, newest first
(test, status, flag, summary), refreshed on the change broadcast: Report... previews the printed report of a
verified one; Cancel... (with a reason) withdraws one whose result is not entered yet.

Ordering and cancelling need ``lab.order``; the list needs ``lab.view``.
"""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.money import rupees_text
from hms_desktop.services.clinical.lab_catalog import LabTestView, search_lab_tests
from hms_desktop.services.clinical.lab_orders import CANCELLABLE, LabOrderView, cancel_lab_order, order_lab_tests
from hms_desktop.services.clinical.lab_reports import lab_report_pdf
from hms_desktop.services.clinical.lab_results import lab_orders_for
from ui.docks.doctor.visit import Visit
from ui.docks.lab.flags import coloured, order_flag_text, priority_item, value_flag_text, when
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, error_text, run

DEBOUNCE_MS = 150
A4_MM = (210.0, 297.0)
PRIORITIES = (("routine", "Routine"), ("urgent", "Urgent"), ("stat", "STAT (now)"))
CHOSEN_COLUMNS = ("Code", "Test", "Sample", "Price (Rs)")
# the order's status as the doctor reads it (the lab's worklist words are about the lab's next step)
DOCTOR_STATUS = {
    "ordered": "Ordered",
    "sample_collected": "Sample collected",
    "in_progress": "In progress",
    "completed": "Result entered, not verified",
    "verified": "Verified",
    "cancelled": "Cancelled",
}
ORDER_COLUMNS = ("Ordered", "Code", "Test", "Priority", "Status", "Flag", "Summary")


def hit_text(t: LabTestView) -> str:
    tat = f", usually {t.tat_hours} h" if t.tat_hours else ""
    return f"{t.code}  {t.name}  (Rs {t.price_rupees}{tat})"


def values_text(order: LabOrderView) -> str:
    """The entered values in one line each: "Haemoglobin 9.1 g/dL  L  (12 - 15)"."""
    lines = []
    for v in order.values:
        mark = value_flag_text(v)
        ref = f"  ({v.ref_text})" if v.ref_text else ""
        lines.append(f"{v.name}: {v.value} {v.unit}".rstrip() + (f"  {mark}" if mark else "") + ref)
    return "\n".join(lines)


class LabTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visit: Visit | None = None
        self.chosen: list[LabTestView] = []
        self.hits_shown: list[LabTestView] = []
        self.hits_for = ""  # the text the hits shown were found for
        self.add_when_found = False  # Enter was pressed before the hits for the typed text came back
        self.orders: list[LabOrderView] = []
        self.ordering = False
        self.busy = False
        self.dirty = False
        can_order = session.can("lab.order")
        self.search = QLineEdit()
        self.search.setObjectName("labSearch")
        self.search.setPlaceholderText(
            "Add a test: name or code, e.g. CBC, sugar, lipid (Enter adds the highlighted one)"
        )
        self.search.setClearButtonEnabled(True)
        self.hits = QListWidget()
        self.hits.setObjectName("labHits")
        self.hits.hide()  # while nothing is typed; as tall as its hits (up to 4) while something is
        self.hits.itemActivated.connect(lambda item: self.add_test(self.hits.row(item)))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self.find_tests)
        self.search.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter_in_search)
        self.chosen_table = QTableWidget(0, len(CHOSEN_COLUMNS))
        self.chosen_table.setObjectName("labChosen")
        self.chosen_table.setHorizontalHeaderLabels(list(CHOSEN_COLUMNS))
        self._table(self.chosen_table, stretch=1)
        self.remove_button = QPushButton("Remove test")
        self.remove_button.setObjectName("labRemove")
        self.remove_button.clicked.connect(self.remove_test)
        self.total = QLabel()
        self.total.setObjectName("labTotal")
        self.priority = QComboBox()
        self.priority.setObjectName("labPriority")
        self.priority.setMaximumWidth(200)
        for code, label in PRIORITIES:
            self.priority.addItem(label, code)
        self.notes = QLineEdit()
        self.notes.setObjectName("labNotes")
        self.notes.setPlaceholderText("For the lab (optional): fasting, clinical details")
        self.notes.returnPressed.connect(self.order)
        self.order_message = QLabel()  # a refusal, under the priority and notes it may name
        self.order_message.setObjectName("formError")
        self.order_message.setWordWrap(True)
        self.order_message.hide()
        self.order_button = QPushButton("Order tests")
        self.order_button.setObjectName("orderLab")
        self.order_button.setDefault(True)
        self.order_button.clicked.connect(self.order)
        self.ordered_label = QLabel()
        self.ordered_label.setObjectName("labOrdered")
        self.ordered_label.setWordWrap(True)
        self.ordered_label.hide()  # until an order is placed
        self.orders_table = QTableWidget(0, len(ORDER_COLUMNS))
        self.orders_table.setObjectName("labOrders")
        self.orders_table.setHorizontalHeaderLabels(list(ORDER_COLUMNS))
        self._table(self.orders_table, stretch=6)
        self.orders_table.itemSelectionChanged.connect(self._selected)
        self.values = QLabel()
        self.values.setObjectName("labValuesText")
        self.values.setWordWrap(True)
        self.values.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report_button = QPushButton("Report...")
        self.report_button.setObjectName("labTabReport")
        self.report_button.clicked.connect(self.report)
        self.cancel_button = QPushButton("Cancel order...")
        self.cancel_button.setObjectName("labCancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setVisible(can_order)
        self.list_message = QLabel()
        self.list_message.setObjectName("formError")
        self.list_message.setWordWrap(True)
        self.list_message.hide()
        self.order_box = QWidget()
        obox = QVBoxLayout(self.order_box)
        obox.setContentsMargins(0, 0, 0, 0)
        obox.addWidget(self.search)
        obox.addWidget(self.hits)
        self.chosen_box = QWidget()  # shown once a test is chosen: the list below keeps the room till then
        cbox = QVBoxLayout(self.chosen_box)
        cbox.setContentsMargins(0, 0, 0, 0)
        cbox.addWidget(self.chosen_table)
        row = QHBoxLayout()
        row.addWidget(self.remove_button)
        row.addStretch()
        row.addWidget(self.total)
        cbox.addLayout(row)
        obox.addWidget(self.chosen_box)
        line = QHBoxLayout()
        line.addWidget(QLabel("Priority"))
        line.addWidget(self.priority)
        line.addWidget(QLabel("Notes"))
        line.addWidget(self.notes, 1)
        line.addWidget(self.order_button)
        obox.addLayout(line)
        obox.addWidget(self.order_message)
        obox.addWidget(self.ordered_label)
        self.order_box.setVisible(can_order)
        list_actions = QHBoxLayout()
        list_actions.addWidget(self.report_button)
        list_actions.addWidget(self.cancel_button)
        list_actions.addStretch()
        box = QVBoxLayout(self)
        box.addWidget(self.order_box)
        self.list_title = QLabel("This patient's lab orders")
        box.addWidget(self.list_title)
        box.addWidget(self.orders_table, 1)
        box.addWidget(self.values)
        box.addWidget(self.list_message)
        box.addLayout(list_actions)
        if not session.can("lab.view"):
            for w in (self.list_title, self.orders_table, self.values, self.report_button, self.cancel_button):
                w.hide()
        session.changes.changed.connect(self.on_changes)
        self.set_visit(None)

    @staticmethod
    def _table(table: QTableWidget, stretch: int) -> None:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.verticalHeader().hide()

    # --- the visit

    def set_visit(self, visit: Visit | None) -> None:
        same = visit is not None and self.visit is not None and visit.patient_id == self.visit.patient_id
        self.visit = visit
        self.setEnabled(visit is not None)
        if not same:
            self.chosen = []
            self._show_chosen()
            self.search.clear()
            self.hits.clear()
            self.hits.hide()
            self.notes.clear()
            self.priority.setCurrentIndex(0)
            self.ordered_label.clear()
            self.ordered_label.hide()
            self.order_error(None)
            self.orders = []
            self._fill_orders([])
        self.refresh(force=True)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches("lab_orders") and self.visit is not None:
            self.refresh(force=True)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Fetch this patient's orders (when shown; else once it is)."""
        if force:
            self.dirty = True
        if self.visit is None or not self.session.can("lab.view"):
            return
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        pid = self.visit.patient_id
        background(
            self, lab_orders_for, self.session.ctx, pid, done=lambda o: self._orders(pid, o), failed=self._list_failed
        )

    def _list_failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self._list_error(exc)

    def _orders(self, patient_id: uuid.UUID, orders: list[LabOrderView]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty or self.visit is None or self.visit.patient_id != patient_id:
            self.refresh()  # another patient opened, or the orders changed, while this was on its way
            return
        self.orders = orders
        self._fill_orders(orders)

    def _fill_orders(self, orders: list[LabOrderView]) -> None:
        chosen = self.current_order()
        self.orders_table.blockSignals(True)
        self.orders_table.setRowCount(len(orders))
        for r, o in enumerate(orders):
            cells = [
                QTableWidgetItem(when(o.ordered_at)),
                QTableWidgetItem(o.code),
                QTableWidgetItem(o.test_name),
                priority_item(o.priority),
                QTableWidgetItem(DOCTOR_STATUS.get(o.status, o.status)),
                coloured(QTableWidgetItem(order_flag_text(o)), o.result_flag),
                QTableWidgetItem(o.result_summary or o.cancelled_reason or ""),
            ]
            for c, item in enumerate(cells):
                self.orders_table.setItem(r, c, item)
            if chosen is not None and chosen.id == o.id:
                self.orders_table.selectRow(r)
        self.orders_table.blockSignals(False)
        self.list_title.setText(f"This patient's lab orders ({len(orders)})" if orders else "No lab orders yet")
        self._selected()

    # --- choosing tests

    def _enter_in_search(self) -> None:
        """Enter adds the highlighted test; typed faster than the search, the first one found for the text."""
        if self.search.text().strip() and (self.hits_for != self.search.text() or self._debounce.isActive()):
            self._debounce.stop()
            self.add_when_found = True
            self.find_tests()
            return
        self.add_test(max(0, self.hits.currentRow()))

    def find_tests(self) -> None:
        text = self.search.text()
        if not text.strip():
            self.hits.clear()
            self.hits.hide()
            self.hits_shown, self.hits_for = [], text
            return
        background(self, search_lab_tests, self.session.ctx, text, done=lambda hits: self._hits(text, hits))

    def _hits(self, text: str, hits: list[LabTestView]) -> None:
        if not isValid(self) or text != self.search.text():
            return  # typed on meanwhile: the later search shows
        self.hits_shown, self.hits_for = hits, text
        self.hits.clear()
        self.hits.show()
        for t in hits:
            item = QListWidgetItem(hit_text(t))
            if any(c.id == t.id for c in self.chosen):
                item.setText(hit_text(t) + "  - chosen")
            self.hits.addItem(item)
        if hits:
            self.hits.setCurrentRow(0)
        else:
            self.hits.addItem("No test matches; try part of the name or the code.")
        rows = min(4, max(1, self.hits.count()))
        self.hits.setFixedHeight(rows * max(18, self.hits.sizeHintForRow(0)) + 2 * self.hits.frameWidth() + 2)
        if self.add_when_found:
            self.add_when_found = False
            self.add_test(0)

    def add_test(self, row: int) -> None:
        if not 0 <= row < len(self.hits_shown):
            return
        test = self.hits_shown[row]
        if all(c.id != test.id for c in self.chosen):
            self.chosen.append(test)
            self._show_chosen()
        self.search.clear()
        self.search.setFocus()

    def remove_test(self) -> None:
        row = self.chosen_table.currentRow()
        if 0 <= row < len(self.chosen):
            del self.chosen[row]
            self._show_chosen()

    def _show_chosen(self) -> None:
        self.chosen_box.setVisible(bool(self.chosen))
        self.chosen_table.setRowCount(len(self.chosen))
        for r, t in enumerate(self.chosen):
            price = QTableWidgetItem(t.price_rupees)
            price.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for c, item in enumerate([QTableWidgetItem(t.code), QTableWidgetItem(t.name),
                                      QTableWidgetItem(t.sample_type.replace("_", " ")), price]):  # fmt: skip
                self.chosen_table.setItem(r, c, item)
        header = self.chosen_table.horizontalHeader().sizeHint().height()
        row_height = self.chosen_table.verticalHeader().defaultSectionSize()
        rows = min(4, max(1, len(self.chosen)))
        self.chosen_table.setFixedHeight(header + rows * row_height + 2 * self.chosen_table.frameWidth() + 2)
        total = sum(t.price_paise for t in self.chosen)
        n = len(self.chosen)
        self.total.setText(f"{n} test{'s' if n != 1 else ''}, total Rs {rupees_text(total)}" if n else "")
        self.order_button.setEnabled(bool(self.chosen) and not self.ordering)

    # --- ordering

    def order(self) -> None:
        if self.visit is None or not self.chosen or self.ordering:
            return  # nothing chosen, or a double click while the order is on its way
        self.ordering = True
        self.order_button.setEnabled(False)
        self.order_error(None)
        v, ids = self.visit, [t.id for t in self.chosen]
        run(self, order_lab_tests, self.session.ctx, v.patient_id, ids, v.appointment_id,
            self.priority.currentData(), self.notes.text(), done=self._ordered, failed=self._order_failed,
            label="Ordering...")  # fmt: skip

    def _ordered(self, orders: list[LabOrderView]) -> None:
        self.ordering = False
        self.chosen = []
        self._show_chosen()
        self.notes.clear()
        self.priority.setCurrentIndex(0)
        codes = ", ".join(f"{o.code} {o.test_code}" for o in orders)
        self.ordered_label.setText(f"Ordered: {codes}. The lab sees them on its worklist.")
        self.ordered_label.show()
        self.refresh(force=True)

    def _order_failed(self, exc: BaseException) -> None:
        self.ordering = False
        self._show_chosen()
        self.order_error(exc)

    def order_error(self, exc: BaseException | None) -> None:
        """The refusal under the priority and notes (None clears it); the field it names takes the focus."""
        if exc is None:
            self.order_message.clear()
            self.order_message.hide()
            return
        self.order_message.setText(getattr(exc, "message", None) or error_text(exc))
        self.order_message.show()
        field = getattr(exc, "field", "")
        target = {"notes": self.notes, "priority": self.priority, "test_ids": self.search}.get(field)
        if target is not None:
            target.setFocus()

    # --- the patient's orders

    def current_order(self) -> LabOrderView | None:
        row = self.orders_table.currentRow()
        selected = self.orders_table.selectionModel().hasSelection()
        return self.orders[row] if selected and 0 <= row < len(self.orders) else None

    def select_order(self, order_id: uuid.UUID) -> None:
        for r, o in enumerate(self.orders):
            if o.id == order_id:
                self.orders_table.selectRow(r)

    def _selected(self) -> None:
        o = self.current_order()
        self.report_button.setEnabled(o is not None and o.status == "verified")
        self.cancel_button.setEnabled(o is not None and o.status in CANCELLABLE)
        self.values.setText(values_text(o) if o is not None and o.status in ("completed", "verified") else "")
        self.values.setVisible(bool(self.values.text()))

    def _list_error(self, exc: BaseException) -> None:
        self.list_message.setText(getattr(exc, "message", None) or error_text(exc))
        self.list_message.show()

    def report(self) -> None:
        o = self.current_order()
        if o is None or o.status != "verified":
            return
        self.list_message.hide()
        run(self, lab_report_pdf, self.session.ctx, o.id, done=lambda pdf: self._preview(pdf, o),
            failed=self._list_error, label="Making the report...")  # fmt: skip

    def _preview(self, pdf: bytes, order: LabOrderView) -> None:
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Lab report {order.code}", A4_MM)

    def cancel(self) -> None:
        o = self.current_order()
        if o is None or o.status not in CANCELLABLE:
            return
        reason, ok = QInputDialog.getText(self, "Cancel lab order", f"Why is {o.code} ({o.test_name}) cancelled?")
        if not ok:
            return
        self.list_message.hide()
        run(self, cancel_lab_order, self.session.ctx, o.id, reason, done=lambda _v: self.refresh(force=True),
            failed=self._list_error, label="Cancelling...")  # fmt: skip

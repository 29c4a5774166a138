"""Receipts (GRN): the goods receipts on top; below, a new receipt being entered, or the chosen one as posted.

A new receipt: the supplier, optionally a sent or partly received purchase order (choosing one fills its lines
with what is still to come, and its supplier), the supplier's bill number, the day the goods came (today by
default, the clinic's), and the lines typed in the grid (``grn_lines``). Post sends it all in one call
(``receive_goods``, with the request id made when the form was opened, so a retry never posts twice); a refusal
is shown in the service's words with the line it names marked, and nothing typed is lost. Once posted: the GRN's
number, total and the batches it created. Choosing a posted receipt in the list shows it without touching the
receipt being entered ("Back to the new receipt"). Posting is ``inventory.receive``; the list ``inventory.view``.

Keyboard: Ctrl+Enter posts, Alt+N a new receipt; after the last cell of the grid, the medicine search."""

from __future__ import annotations

import uuid
from html import escape

from hms_desktop.errors import ValidationError
from hms_desktop.services.inventory.goods_receipts import GrnInput, GrnView, goods_receipts, receive_goods
from hms_desktop.services.inventory.purchase_orders import PurchaseOrderView, purchase_orders
from hms_desktop.services.inventory.suppliers import SupplierView, suppliers
from hms_desktop.services.pharmacy.stock_views import MedicineStock, StockLine, stock_summary
from ui import clinic_time
from ui.docks.inventory.grn_lines import BATCH, COLUMNS, FIELD_COLUMN, MED, GrnLines
from ui.docks.inventory.medicine_picker import MedicinePicker
from ui.docks.inventory.purchase_common import (
    WatchedTab,
    button,
    cell,
    date_edit,
    expiry_text,
    fill,
    key_of,
    line_of,
    list_table,
    message_of,
    money,
    note_label,
    say,
    show_date,
    stock_text,
)
from ui.forms import FieldErrors, find_data
from ui.qt import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QShortcut,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

HEADERS = ("GRN", "Received", "Supplier", "Bill", "Against", "Lines", "Total")
Units = dict[uuid.UUID, StockLine]  # a medicine's form, unit and pack, to say what went on the shelf


def batches_text(grn: GrnView, units: Units) -> str:
    """What the receipt put on the shelf, one line per batch."""
    out = []
    for ln in grn.lines:
        m = units.get(ln.medicine_id)
        qty = stock_text(ln.units_added, m.form, m.unit, m.pack_size) if m else f"{ln.units_added} units"
        soon = "; expires within 30 days" if ln.expires_soon else ""
        if ln.units_added == 0:
            out.append(
                f"{ln.medicine_name} batch {ln.batch_number}: all rejected ({ln.rejected_reason}), none in stock"
            )
        elif ln.new_batch:
            out.append(f"New batch {ln.batch_number} of {ln.medicine_name}, expiry {expiry_text(ln.expiry_date)}: "
                       f"{qty}{soon}")  # fmt: skip
        else:
            out.append(f"Added to batch {ln.batch_number} of {ln.medicine_name}: {qty}{soon}")
    return "\n".join(out)


class ReceiptsTab(WatchedTab):
    WATCHED = ("goods_receipt_notes", "purchase_orders", "suppliers")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.receive = session.can("inventory.receive")
        self.view_list = session.can("inventory.view")
        self.grns: dict[uuid.UUID, GrnView] = {}
        self.orders: dict[uuid.UUID, PurchaseOrderView] = {}
        self.units: Units = {}
        self.request_id = uuid.uuid4()
        self.posting = False
        self.table = list_table("grnList", HEADERS, 2)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.count = QLabel()
        self.new_button = button("&New receipt", "newGrn", self.new_receipt, "Alt+N: a new, empty receipt")
        self.new_button.setVisible(self.receive)
        top = QWidget()
        tbox = QVBoxLayout(top)
        tbox.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Goods receipts</b>"))
        head.addWidget(self.count)
        head.addStretch()
        head.addWidget(self.new_button)
        tbox.addLayout(head)
        tbox.addWidget(self.table, 1)
        top.setVisible(self.view_list or self.receive)
        self.table.setVisible(self.view_list)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        bottom = QWidget()
        bbox = QVBoxLayout(bottom)
        bbox.setContentsMargins(0, 0, 0, 0)
        bbox.addWidget(self._entry())
        bbox.addWidget(self._posted())
        split.addWidget(bottom)
        split.setStretchFactor(1, 1)
        split.setSizes([170, 500])
        QVBoxLayout(self).addWidget(split)
        self.new_receipt()

    def _entry(self) -> QWidget:
        self.entry = QWidget()
        self.supplier = QComboBox()
        self.supplier.setObjectName("grnSupplier")
        self.supplier.setMinimumWidth(260)
        self.supplier.currentIndexChanged.connect(self._supplier_chosen)
        self.order = QComboBox()
        self.order.setObjectName("grnOrder")
        self.order.setMinimumWidth(300)
        self.order.currentIndexChanged.connect(self._order_chosen)
        self.bill = QLineEdit()
        self.bill.setObjectName("grnBill")
        self.bill.setPlaceholderText("the supplier's invoice number")
        self.received = date_edit("grnReceived")
        self.notes = QLineEdit()
        self.notes.setObjectName("grnNotes")
        self.notes.setPlaceholderText("optional")
        left, right = QFormLayout(), QFormLayout()
        left.addRow("Supplier *", self.supplier)
        left.addRow("Bill number *", self.bill)
        right.addRow("Purchase order", self.order)
        right.addRow("Received on", self.received)
        right.addRow("Notes", self.notes)
        self.errors = FieldErrors(left, {"supplier_id": self.supplier, "supplier_invoice_number": self.bill}, QLabel())
        self.right_errors = FieldErrors(right, {"po_id": self.order, "received_date": self.received,
                                                "notes": self.notes}, QLabel())  # fmt: skip
        header = QHBoxLayout()
        header.addLayout(left, 1)
        header.addSpacing(16)
        header.addLayout(right, 1)
        self.picker = MedicinePicker(self.session, "grnMedicineSearch",
                                     "Add a line: medicine brand, generic name, code or scan the pack")  # fmt: skip
        self.picker.chosen.connect(self.add_medicine)
        self.lines = GrnLines()
        self.lines.finished.connect(self.picker.edit.setFocus)
        QShortcut(QKeySequence("Delete"), self.lines, self.remove_line, Qt.ShortcutContext.WidgetShortcut)
        self.remove_button = button("Remove line", "grnRemoveLine", self.remove_line, "Delete")
        self.message = note_label("grnMessage")
        self.post_button = button("Post receipt", "postGrn", self.post,
                                  "Ctrl+Enter: the batches and stock are created, all or nothing")  # fmt: skip
        self.post_button.setDefault(True)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self.entry, self.post, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        actions = QHBoxLayout()
        actions.addWidget(self.remove_button)
        actions.addStretch()
        actions.addWidget(self.post_button)
        self.entry_title = QLabel("New goods receipt")
        self.entry_title.setObjectName("formTitle")
        box = QVBoxLayout(self.entry)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.entry_title)
        box.addLayout(header)
        box.addWidget(self.picker)
        box.addWidget(self.lines, 1)
        box.addWidget(self.message)
        box.addLayout(actions)
        QWidget.setTabOrder(self.supplier, self.order)
        QWidget.setTabOrder(self.order, self.bill)
        QWidget.setTabOrder(self.bill, self.received)
        QWidget.setTabOrder(self.received, self.notes)
        QWidget.setTabOrder(self.notes, self.picker.edit)
        QWidget.setTabOrder(self.picker.edit, self.lines)
        self.entry.setVisible(self.receive)
        return self.entry

    def _posted(self) -> QWidget:
        self.posted = QWidget()
        self.posted_title = QLabel()
        self.posted_title.setObjectName("formTitle")
        self.posted_text = QLabel()
        self.posted_text.setObjectName("grnPosted")
        self.posted_text.setWordWrap(True)
        self.posted_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.posted_lines = GrnLines()
        self.posted_lines.setObjectName("grnPostedLines")
        self.posted_lines.setHorizontalHeaderLabels([h.rstrip(" *") for h in COLUMNS])
        self.back_button = button("Back to the new receipt", "grnBack", self.back, "The receipt being entered")
        self.back_button.setVisible(self.receive)
        head = QHBoxLayout()
        head.addWidget(self.posted_title, 1)
        head.addWidget(self.back_button)
        box = QVBoxLayout(self.posted)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(head)
        box.addWidget(self.posted_text)
        box.addWidget(self.posted_lines, 1)
        self.posted.hide()
        return self.posted

    # --- the list, suppliers and receivable orders

    def fetch(self) -> tuple[list[GrnView], list[SupplierView], list[PurchaseOrderView], Units]:
        ctx = self.session.ctx
        grns = goods_receipts(ctx) if self.view_list else []
        active = suppliers(ctx, include_inactive=False) if self.view_list else []
        orders = [*purchase_orders(ctx, "sent"), *purchase_orders(ctx, "partially_received")] if self.view_list else []
        units = {s.medicine_id: s for s in stock_summary(ctx)} if self.session.can("pharmacy.view") else {}
        return grns, active, orders, units

    def loaded(self, result: tuple[list[GrnView], list[SupplierView], list[PurchaseOrderView], Units]) -> None:
        grns, active, orders, units = result
        self.grns = {g.id: g for g in grns}
        self.units.update(units)
        fill(self.table, [[g.grn_number, show_date(g.received_date), g.supplier_name, g.supplier_invoice_number,
                           g.po_number or "direct", cell(str(len(g.lines)), right=True),
                           cell(money(g.total_paise), right=True)] for g in grns],
             [g.id for g in grns])  # fmt: skip
        self.count.setText(f"{len(grns)} receipt{'s' if len(grns) != 1 else ''}")
        self._combo(self.supplier, [(f"{s.name}  ({s.code})", s.id) for s in active], "Choose a supplier")
        self.orders = {o.id: o for o in sorted(orders, key=lambda o: o.po_number)}
        self._combo(self.order, [(f"{o.po_number}  {o.supplier_name}, {show_date(o.order_date)} "
                                  f"({'partly received' if o.status == 'partially_received' else 'sent'})", o.id)
                                 for o in self.orders.values()], "Direct receipt (no order)")  # fmt: skip

    @staticmethod
    def _combo(box: QComboBox, items: list[tuple[str, uuid.UUID]], none: str) -> None:
        chosen = box.currentData()
        box.blockSignals(True)
        box.clear()
        box.addItem(none, None)
        for text, key in items:
            box.addItem(text, key)
        box.setCurrentIndex(max(0, find_data(box, chosen)))
        box.blockSignals(False)

    def fetch_failed(self, message: str) -> None:
        self.count.setText(message)

    def _chosen(self) -> None:
        key = key_of(self.table)
        if key in self.grns:
            self.show_posted(self.grns[key])

    # --- entering a receipt

    def new_receipt(self) -> None:
        """An empty form with a fresh request id (the one before it was posted, or is given up)."""
        if not self.receive:
            return
        self.request_id = uuid.uuid4()
        for box in (self.supplier, self.order):
            box.blockSignals(True)
            box.setCurrentIndex(0)
            box.blockSignals(False)
        self.bill.clear()
        self.notes.clear()
        self.received.setDate(clinic_time.qtoday())
        self.received.setMaximumDate(clinic_time.qtoday())
        self.lines.setRowCount(0)
        self.picker.clear()
        self._clear_errors()
        self.back()
        self.supplier.setFocus()

    def back(self) -> None:
        self.posted.hide()
        self.entry.setVisible(self.receive)
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)

    def _clear_errors(self) -> None:
        self.errors.clear()
        self.right_errors.clear()
        self.message.hide()
        self.lines.unmark()

    def _supplier_chosen(self, _index: int) -> None:
        po = self.orders.get(self.order.currentData())
        if po is not None and po.supplier_id != self.supplier.currentData():
            self.order.setCurrentIndex(0)  # that order is another supplier's: its lines go

    def _order_chosen(self, _index: int) -> None:
        self.lines.drop_ordered()
        po = self.orders.get(self.order.currentData())
        if po is None:
            return
        self.supplier.blockSignals(True)
        self.supplier.setCurrentIndex(max(0, find_data(self.supplier, po.supplier_id)))
        self.supplier.blockSignals(False)
        to_come = [ln for ln in po.lines if ln.outstanding_packs > 0]
        for ln in to_come:
            self.lines.add_ordered(ln)
        say(self.message, f"{len(to_come)} line{'s' if len(to_come) != 1 else ''} still to come on {po.po_number}: "
                          "type each batch, expiry and MRP as on the packs.")  # fmt: skip
        if to_come:
            self.lines.open_cell(self.lines.rowCount() - len(to_come), BATCH)

    def add_medicine(self, h: MedicineStock) -> None:
        self.lines.first_editable(self.lines.add_hit(h))

    def remove_line(self) -> None:
        r = self.lines.currentRow()
        if 0 <= r < self.lines.rowCount():
            self.lines.removeRow(r)

    def post(self) -> None:
        if not self.receive or self.posting or not self.entry.isVisible():
            return
        self._clear_errors()
        lines, bad = self.lines.read()
        if bad is not None:
            say(self.message, bad.message, error=True)
            self.lines.mark(bad.row, bad.column)
            return
        supplier = self.supplier.currentData()
        if not isinstance(supplier, uuid.UUID):
            self.errors.show(ValidationError("supplier_id", "Choose a supplier from the list."))
            return
        data = GrnInput(supplier_id=supplier, supplier_invoice_number=self.bill.text(),
                        received_date=clinic_time.day_of(self.received.date()), lines=tuple(lines),
                        po_id=self.order.currentData(), notes=self.notes.text())  # fmt: skip
        ctx, request_id, can_read = self.session.ctx, self.request_id, self.session.can("pharmacy.view")

        def work() -> tuple[GrnView, Units]:
            grn = receive_goods(ctx, data, request_id=request_id)
            return grn, ({s.medicine_id: s for s in stock_summary(ctx)} if can_read else {})

        self.posting = True
        self.post_button.setEnabled(False)
        run(self, work, done=self._posted_now, failed=self._failed, label="Posting the receipt...")

    def _posted_now(self, result: tuple[GrnView, Units]) -> None:
        if not isValid(self):
            return
        self.posting = False
        self.post_button.setEnabled(True)
        grn, units = result
        self.units.update(units)
        self.grns[grn.id] = grn
        self.new_receipt()  # the next receipt starts empty, with a request id of its own
        self.show_posted(grn)

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.posting = False
        self.post_button.setEnabled(True)
        text = message_of(exc)
        field = exc.field if isinstance(exc, ValidationError) else ""
        if field in ("supplier_id", "supplier_invoice_number"):
            self.errors.show(exc)
            return
        if field in ("po_id", "received_date", "notes"):
            self.right_errors.show(exc)
            return
        say(self.message, text, error=True)
        r = line_of(text)
        if 0 <= r < self.lines.rowCount():
            self.lines.mark(r, FIELD_COLUMN.get(field, MED))
        elif text.startswith("Bill "):
            self.bill.setFocus()
            self.bill.selectAll()

    # --- a posted receipt

    def show_posted(self, grn: GrnView) -> None:
        self.entry.hide()
        self.posted.show()
        against = f"against {grn.po_number}" if grn.po_number else "direct (no order)"
        self.posted_title.setText(f"{grn.grn_number}   posted")
        lines = len(grn.lines)
        text = (f"Bill {grn.supplier_invoice_number} of {grn.supplier_name}, {against}, received "
                f"{show_date(grn.received_date)}, inspected by {grn.inspected_by_name}. {lines} line"
                f"{'s' if lines != 1 else ''}, <b>total {money(grn.total_paise)}</b> (accepted packs at cost, "
                "before GST).")  # fmt: skip
        rest = ([f"Notes: {grn.notes}"] if grn.notes else []) + batches_text(grn, self.units).splitlines()
        self.posted_text.setText("<br>".join([text, *(escape(r) for r in rest)]))
        self.posted_lines.show_posted(grn.lines)

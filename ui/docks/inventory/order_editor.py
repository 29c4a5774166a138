"""The purchase order on the right of the Purchase orders tab: a new one or the one chosen in the list. The
supplier, the expected date, notes, lines added by medicine search (``po_lines``: packs and cost per pack typed in
the grid); the subtotal, GST and total as the service saved them. Save draft, Send (saving first), Cancel and
Close (each with a reason), Print PO (the A4 PDF in the print preview). "Below reorder" adds every medicine under
its reorder level. Every action's button is disabled while it is on its way; a new order keeps one request id
until it is saved, so a double-clicked Save makes one order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.services.inventory.purchase_orders import (
    PurchaseOrderInput,
    PurchaseOrderView,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    purchase_order_pdf,
    send_purchase_order,
    update_purchase_order,
)
from hms_desktop.services.inventory.suppliers import SupplierView
from hms_desktop.services.pharmacy.stock_views import MedicineStock, StockLine, stock_summary
from ui.docks.inventory import purchase_common as pc
from ui.docks.inventory.medicine_picker import MedicinePicker
from ui.docks.inventory.po_lines import FIELD_COLUMN, PACKS, TYPED, POLines
from ui.forms import FieldErrors, find_data
from ui.qt import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QKeySequence,
    QLabel,
    QLineEdit,
    QShortcut,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
    isValid,
)
from ui.session import AppSession
from ui.worker import run

A4_MM = (210.0, 297.0)


class OrderEditor(QWidget):
    changed_order = Signal(object)  # the PurchaseOrderView an action here returned

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.manage = session.can("inventory.purchase")
        self.po: PurchaseOrderView | None = None  # None: a new one
        self.request_id = uuid.uuid4()  # one per new order form: a double-clicked Save makes one order
        self.unsaved = False
        self.acting = False
        self.send_after_save = False
        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.details = QLabel()
        self.details.setObjectName("poDetails")
        self.details.setWordWrap(True)
        self.supplier = QComboBox()
        self.supplier.setObjectName("poSupplier")
        self.supplier.setMinimumWidth(280)
        self.supplier.currentIndexChanged.connect(lambda _i: self._changed())
        self.expected = pc.date_edit("poExpected", optional=True)
        self.expected.setToolTip("When the goods should arrive (optional)")
        self.notes = QLineEdit()
        self.notes.setObjectName("poNotes")
        self.notes.setPlaceholderText("Notes for the supplier (optional)")
        self.notes.textEdited.connect(lambda _t: self._changed())
        self.notes.returnPressed.connect(self.save)
        form = QFormLayout()
        form.addRow("Supplier *", self.supplier)
        form.addRow("Expected by", self.expected)
        form.addRow("Notes", self.notes)
        self.message = pc.note_label("poMessage")
        self.errors = FieldErrors(form, {"supplier_id": self.supplier, "expected_date": self.expected,
                                         "notes": self.notes}, QLabel())  # fmt: skip
        self.picker = MedicinePicker(self.session, "poMedicineSearch",
                                     "Add a line: medicine brand, generic name, code or barcode")  # fmt: skip
        self.picker.chosen.connect(self.add_medicine)
        self.lines = POLines()
        self.lines.finished.connect(self.picker.edit.setFocus)
        self.lines.itemChanged.connect(lambda _item: self._changed())
        QShortcut(QKeySequence("Delete"), self.lines, self.remove_line, Qt.ShortcutContext.WidgetShortcut)
        self.remove_button = pc.button("Remove line", "poRemoveLine", self.remove_line, "Delete")
        self.suggest_button = pc.button(
            "Below reorder",
            "poSuggest",
            self.suggest,
            "Add every medicine below its reorder level (packs to reach twice it)",
        )
        self.totals = QLabel()
        self.totals.setObjectName("poTotals")
        self.save_button = pc.button("Save draft", "poSave", self.save, "Ctrl+S")
        self.send_button = pc.button("Send", "poSend", self.send, "Save and send: the order can no longer change")
        self.cancel_button = pc.button(
            "Cancel PO...",
            "poCancel",
            lambda: self.end("cancel"),
            "Call off an order of which nothing has come (a reason is kept)",
        )
        self.close_button = pc.button(
            "Close PO...",
            "poClose",
            lambda: self.end("close"),
            "End a sent or partly received order: the rest will not come (a reason is kept)",
        )
        self.print_button = pc.button("Print PO...", "poPrint", self.print_po, "Ctrl+P")
        line_buttons = QHBoxLayout()
        line_buttons.addWidget(self.remove_button)
        line_buttons.addWidget(self.suggest_button)
        line_buttons.addStretch()
        line_buttons.addWidget(self.totals)
        actions = QHBoxLayout()
        for b in (self.save_button, self.send_button, self.cancel_button, self.close_button):
            actions.addWidget(b)
            b.setVisible(self.manage)
        actions.addStretch()
        actions.addWidget(self.print_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.details)
        box.addLayout(form)
        box.addWidget(self.picker)
        box.addWidget(self.lines, 1)
        box.addLayout(line_buttons)
        box.addWidget(self.message)
        box.addLayout(actions)

        for seq, slot in (("Ctrl+S", self.save), ("Ctrl+P", self.print_po)):
            QShortcut(QKeySequence(seq), self, slot, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_po()

    def set_suppliers(self, active: list[SupplierView]) -> None:
        """The active suppliers to order from (the open order's own stays listed, inactive or not)."""
        chosen = self.supplier.currentData()
        self.supplier.blockSignals(True)
        self.supplier.clear()
        self.supplier.addItem("Choose a supplier", None)
        for s in active:
            self.supplier.addItem(f"{s.name}  ({s.code})", s.id)
        self.supplier.setCurrentIndex(max(0, find_data(self.supplier, chosen)))
        self.supplier.blockSignals(False)
        if self.po is not None:
            self._supplier_of(self.po)

    def heard(self, fresh: PurchaseOrderView) -> None:
        """The open order as the store holds it now (received, sent, changed on another PC)."""
        if self.po is not None and fresh.id == self.po.id and fresh != self.po and not (self.unsaved or self.acting):
            self.show_po(fresh)

    def can_edit(self) -> bool:
        return self.manage and (self.po is None or self.po.status == "draft")

    def new_po(self) -> None:
        if not self.manage:
            self.po = None
            self._render()
            return
        self.po, self.request_id = None, uuid.uuid4()
        self.supplier.setCurrentIndex(0)
        pc.set_date(self.expected, None)
        self.notes.clear()
        self.lines.setRowCount(0)
        self._render()
        self.supplier.setFocus()

    def show_po(self, po: PurchaseOrderView) -> None:
        self.po = po
        self._supplier_of(po)
        pc.set_date(self.expected, po.expected_date)
        self.notes.setText(po.notes.replace("\n", "  |  "))
        self.lines.show_order(po)
        self._render()
        if self.can_edit():
            run(self, stock_summary, self.session.ctx, done=self._stock, failed=lambda _e: None)

    def _supplier_of(self, po: PurchaseOrderView) -> None:
        self.supplier.blockSignals(True)
        if find_data(self.supplier, po.supplier_id) < 0:  # inactive now: still this order's
            self.supplier.addItem(f"{po.supplier_name}  ({po.supplier_code}, inactive)", po.supplier_id)
        self.supplier.setCurrentIndex(find_data(self.supplier, po.supplier_id))
        self.supplier.blockSignals(False)

    def _render(self) -> None:
        po, editing = self.po, self.can_edit()
        self.unsaved = False
        self.errors.clear()
        self.message.hide()
        self.lines.unmark()
        if po is None:
            self.title.setText("New purchase order" if self.manage else "Choose an order from the list")
            self.details.setText("A draft until it is sent; the totals appear once it is saved." if self.manage else "")
        else:
            self.title.setText(f"{po.po_number}   {pc.STATUS_TEXT[po.status]}")
            sent = f", sent by {po.sent_by_name}" if po.sent_by_name else ""
            expected = f"; expected {pc.show_date(po.expected_date)}" if po.expected_date else ""
            self.details.setText(f"{po.supplier_name} ({po.supplier_code}). Ordered {pc.show_date(po.order_date)} by "
                                 f"{po.raised_by_name}{sent}{expected}.")  # fmt: skip
        for w in (self.supplier, self.expected):
            w.setEnabled(editing)
        self.notes.setReadOnly(not editing)
        self.notes.setPlaceholderText("Notes for the supplier (optional)" if editing else "no notes")
        for part in (self.picker, self.remove_button, self.suggest_button):
            part.setVisible(editing)
        self.lines.draft_columns(po is None or po.status == "draft")
        self.lines.set_editable(TYPED, editing)
        self._totals()
        self._buttons()

    def _totals(self) -> None:
        po = self.po
        if po is None:
            self.totals.setText("Totals: save the draft to see them")
            return
        tax = "CGST + SGST" if po.intra_state else "IGST"
        stale = "  (as saved: save again to update)" if self.unsaved else ""
        self.totals.setText(f"Subtotal {pc.money(po.subtotal_paise)} &middot; GST {pc.money(po.tax_paise)} ({tax}) "
                            f"&middot; <b>Total {pc.money(po.total_paise)}</b>{stale}")  # fmt: skip

    def _buttons(self) -> None:
        po, idle, editing = self.po, not self.acting, self.can_edit()
        status = po.status if po is not None else "draft"
        nothing_in = po is None or all(ln.received_packs == 0 for ln in po.lines)
        self.save_button.setEnabled(idle and editing)
        self.send_button.setEnabled(idle and editing and self.lines.rowCount() > 0)
        self.cancel_button.setEnabled(idle and po is not None and status in ("draft", "sent") and nothing_in)
        self.close_button.setEnabled(idle and po is not None and status in ("sent", "partially_received"))
        self.print_button.setEnabled(idle and po is not None)
        self.remove_button.setEnabled(idle and editing and self.lines.rowCount() > 0)
        self.suggest_button.setEnabled(idle and editing)

    def _changed(self) -> None:
        if self.can_edit() and not self.unsaved:
            self.unsaved = True
            self._totals()
            self._buttons()

    # --- lines

    def add_medicine(self, h: MedicineStock) -> None:
        if not self.can_edit():
            return
        r = self.lines.row_of(h.id)
        if r >= 0:
            pc.say(self.message, f"{h.name} is already on line {r + 1}: change its packs there.", error=True)
        else:
            r = self.lines.add_hit(h)
            self._changed()
            self._buttons()
        self.lines.open_cell(r, PACKS)

    def _stock(self, rows: list[StockLine]) -> None:
        if isValid(self):
            self.lines.stock_of(rows)

    def suggest(self) -> None:
        if self.can_edit() and not self.acting:
            run(self, stock_summary, self.session.ctx, done=self._suggested,
                failed=lambda e: pc.say(self.message, pc.message_of(e), error=True))  # fmt: skip

    def _suggested(self, rows: list[StockLine]) -> None:
        if not isValid(self) or not self.can_edit():
            return
        low = [s for s in rows if s.below_reorder and s.reorder_level > 0 and self.lines.row_of(s.medicine_id) < 0]
        if not low:
            pc.say(self.message, "No other medicine is below its reorder level.")
            return
        first = self.lines.rowCount()
        for s in low:
            self.lines.add_low(s)
        self._changed()
        self._buttons()
        pc.say(self.message, f"Added {len(low)} medicine{'s' if len(low) != 1 else ''} below the reorder level, with "
                          "packs to reach twice the level: enter the cost per pack of each.")  # fmt: skip
        self.lines.open_cell(first, PACKS + 1)

    def remove_line(self) -> None:
        r = self.lines.currentRow()
        if self.can_edit() and 0 <= r < self.lines.rowCount():
            self.lines.removeRow(r)
            self._changed()
            self._buttons()

    def order_input(self) -> PurchaseOrderInput | None:
        """What the form says, or None (and the bad cell named) when a cell is not a number."""
        self.lines.unmark()
        lines, bad = self.lines.read()
        if bad is not None:
            pc.say(self.message, bad.message, error=True)
            self.lines.mark(bad.row, bad.column)
            return None
        supplier = self.supplier.currentData()
        if not isinstance(supplier, uuid.UUID):
            self.errors.show(ValidationError("supplier_id", "Choose a supplier from the list."))
            return None
        return PurchaseOrderInput(supplier, tuple(lines), pc.date_of(self.expected), self.notes.text())

    # --- actions

    def _act(self, work: Callable[[], Any], done: Callable[[Any], None], label: str) -> None:
        self.acting = True
        self.errors.clear()
        self.message.hide()
        self._buttons()
        run(self, work, done=done, failed=self._failed, label=label)

    def save(self) -> None:
        if not self.can_edit() or self.acting:
            return
        data = self.order_input()
        if data is None:
            self.send_after_save = False
            return
        ctx, po, request_id = self.session.ctx, self.po, self.request_id
        if po is None:
            self._act(lambda: create_purchase_order(ctx, data, request_id=request_id), self._saved, "Saving...")
        else:
            self._act(lambda: update_purchase_order(ctx, po.id, data), self._saved, "Saving...")

    def _saved(self, po: PurchaseOrderView) -> None:
        if not isValid(self):
            return
        self.acting = False
        self.show_po(po)
        self.changed_order.emit(po)
        if self.send_after_save:
            self.send()
        else:
            n = len(po.lines)
            pc.say(self.message, f"Draft {po.po_number} saved: {n} line{'s' if n != 1 else ''}, "
                                 f"total {pc.money(po.total_paise)}.")  # fmt: skip

    def send(self) -> None:
        if not self.can_edit() or self.acting:
            return
        if self.po is None or self.unsaved:
            self.send_after_save = True
            self.save()
            return
        self.send_after_save = False
        po_id = self.po.id
        self._act(lambda: send_purchase_order(self.session.ctx, po_id), self._ended, "Sending...")

    def end(self, how: str) -> None:
        po = self.po
        if po is None or not self.manage or self.acting:
            return
        verb = "Cancel" if how == "cancel" else "Close"
        reason, ok = QInputDialog.getText(self, f"{verb} {po.po_number}", f"Why is {po.po_number} being "
                                          f"{'cancelled' if how == 'cancel' else 'closed'}?")  # fmt: skip
        if not ok:
            return
        fn = cancel_purchase_order if how == "cancel" else close_purchase_order
        self._act(lambda: fn(self.session.ctx, po.id, reason), self._ended, f"{verb}ling..." if how == "cancel"
                  else "Closing...")  # fmt: skip

    def _ended(self, po: PurchaseOrderView) -> None:
        if not isValid(self):
            return
        self.acting = False
        self.show_po(po)
        self.changed_order.emit(po)
        pc.say(self.message, f"{po.po_number} is {pc.STATUS_TEXT[po.status].lower()}.")

    def _failed(self, exc: BaseException) -> None:
        if not isValid(self):
            return
        self.acting = self.send_after_save = False
        self._buttons()
        text = pc.message_of(exc)
        field = exc.field if isinstance(exc, ValidationError) else ""
        if field in ("supplier_id", "expected_date", "notes"):
            self.errors.show(exc)
            return
        pc.say(self.message, text, error=True)
        r = pc.line_of(text)
        if 0 <= r < self.lines.rowCount():
            self.lines.mark(r, FIELD_COLUMN.get(field, PACKS))

    def print_po(self) -> None:
        po = self.po
        if po is not None and not self.acting:
            self._act(lambda: purchase_order_pdf(self.session.ctx, po.id), lambda pdf: self._preview(pdf, po),
                      "Making the purchase order...")  # fmt: skip

    def _preview(self, pdf: bytes, po: PurchaseOrderView) -> None:
        if not isValid(self):
            return
        self.acting = False
        self._buttons()
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Purchase order {po.po_number}", A4_MM)

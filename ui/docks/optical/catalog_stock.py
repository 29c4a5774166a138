"""Stock of the product shown in the Catalogue tab, for a stocked product (frames, sunglasses, contact lenses,
solutions, accessories; a made-to-order lens has none): what the ledger holds, "Receive stock" (how many came and
a note; ``inventory.receive``) and "Count" (how many are on the shelf; ``inventory.count``; the ledger is brought
to it). Each is offered only to a user holding its right; each entry has its own request id (a retried or
double-clicked entry moves the stock once) and a refusal is shown in the service's words under its field."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.services.optical.catalog_views import ProductView
from hms_desktop.services.optical.optical_stock import count_optical_stock, receive_optical_stock
from ui.docks.optical.repair_steps import StepBox, row_of
from ui.docks.pharmacy.common import label
from ui.qt import QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal, isValid
from ui.session import AppSession
from ui.worker import run


def line(name: str, placeholder: str, width: int = 0) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if width:
        edit.setMaximumWidth(width)
    return edit


def button(text: str, name: str, tip: str) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setToolTip(tip)
    b.setAutoDefault(False)
    return b


class StockBox(QWidget):
    moved = Signal(object)  # the ProductView after a receipt or a count

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.product: ProductView | None = None
        self.busy = False
        self.ids = {"receive": uuid.uuid4(), "count": uuid.uuid4()}
        self.heading = QLabel()
        self.heading.setObjectName("stockHeading")
        self.info = label("stockInfo")
        self.info.hide()
        self.quantity = line("receiveQuantity", "e.g. 5", 140)
        self.receive_note = line("receiveNote", "note (e.g. Titan invoice 4471)")
        go = button("Receive stock", "receiveStock", "Put them on the shelf (Enter)")
        self.receive = StepBox([("Received", row_of(self.quantity, self.receive_note, go), ("quantity", "note"))],
                               {"quantity": self.quantity, "note": self.receive_note}, go, self.do_receive)  # fmt: skip
        self.counted = line("countedQuantity", "e.g. 3", 140)
        self.count_note = line("countNote", "note (optional)")
        count = button("Record count", "countStock", "The ledger is set to what was counted (Enter)")
        self.count = StepBox([("Counted", row_of(self.counted, self.count_note, count), ("counted", "note"))],
                             {"counted": self.counted, "note": self.count_note}, count, self.do_count)  # fmt: skip
        self.receive.setVisible(session.can("inventory.receive"))
        self.count.setVisible(session.can("inventory.count"))
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 6, 0, 0)
        box.addWidget(self.heading)
        box.addWidget(self.receive)
        box.addWidget(self.count)
        box.addWidget(self.info)
        self.show_product(None)

    @property
    def offered(self) -> bool:
        return self.session.can("inventory.receive", "inventory.count")

    def show_product(self, p: ProductView | None) -> None:
        if self.product is None or p is None or p.id != self.product.id:
            self.ids = {"receive": uuid.uuid4(), "count": uuid.uuid4()}
            for edit in (self.quantity, self.receive_note, self.counted, self.count_note):
                edit.clear()
            self.info.hide()
            self.receive.errors.clear()
            self.count.errors.clear()
        self.product = p
        self.setVisible(p is not None and p.is_stocked and self.offered)
        if p is not None:
            reorder = f" (reorder at {p.reorder_level})" if p.reorder_level else ""
            self.heading.setText(f"<b>Stock</b>: {p.stock_text}{reorder}")

    def do_receive(self) -> None:
        self._act(receive_optical_stock, "receive", self.quantity.text(), self.receive_note.text(), self.receive)

    def do_count(self) -> None:
        self._act(count_optical_stock, "count", self.counted.text(), self.count_note.text(), self.count)

    def _act(self, fn: Callable[..., ProductView], kind: str, number: str, note: str, box: StepBox) -> None:
        p = self.product
        if p is None or self.busy:
            return  # a double click: asked once
        self.busy = True
        box.errors.clear()
        self.info.hide()
        for b in (self.receive.button, self.count.button):
            b.setEnabled(False)
        run(self, fn, self.session.ctx, p.id, number.strip(), note, self.ids[kind],
            done=lambda v: self._done(v, kind), failed=lambda e: self._failed(e, box),
            label="Saving the stock...")  # fmt: skip

    def _idle(self) -> None:
        self.busy = False
        for b in (self.receive.button, self.count.button):
            b.setEnabled(True)

    def _done(self, view: ProductView, kind: str) -> None:
        if not isValid(self):
            return
        self._idle()
        before = self.product.stock_quantity if self.product is not None else 0
        self.ids[kind] = uuid.uuid4()  # the next entry is a new one
        for edit in (self.quantity, self.receive_note) if kind == "receive" else (self.counted, self.count_note):
            edit.clear()
        self.show_product(view)
        words = "Received" if kind == "receive" else "Counted"
        self.info.setText(f"{words}: {view.name} now {view.stock_text} (was {before}).")
        self.info.show()
        self.moved.emit(view)

    def _failed(self, exc: BaseException, box: StepBox) -> None:
        if isValid(self):
            self._idle()
            box.show_error(exc)

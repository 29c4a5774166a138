"""Purchase orders: the list by status (draft, sent, partly received, received, closed, cancelled) with supplier,
date and total; on the right the chosen order, or a new one (``order_editor``). Refreshed from the change
broadcast while visible. Reading and printing is ``inventory.view``; raising, sending, cancelling and closing
``inventory.purchase`` (without it there is no New PO and the order is shown read-only).

Keyboard: Alt+N new order, Ctrl+S save draft, Ctrl+P print; in the grid Tab and Enter move between the cells
to type, Delete removes the line under the cursor."""

from __future__ import annotations

import uuid

from hms_desktop.services.inventory.purchase_orders import PurchaseOrderView, purchase_orders
from hms_desktop.services.inventory.suppliers import SupplierView, suppliers
from ui.docks.inventory import purchase_common as pc
from ui.docks.inventory.order_editor import OrderEditor
from ui.qt import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    Qt,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession

FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All", None),
    *((t, s) for s, t in pc.STATUS_TEXT.items() if s != "posted"),
)
HEADERS = ("PO number", "Date", "Supplier", "Status", "Total")


class OrdersTab(pc.WatchedTab):
    WATCHED = ("purchase_orders", "purchase_order_items", "suppliers")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.orders: dict[uuid.UUID, PurchaseOrderView] = {}
        self.filter = QComboBox()
        self.filter.setObjectName("poFilter")
        for label, status in FILTERS:
            self.filter.addItem(label, status)
        self.filter.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.new_button = pc.button("&New PO", "newPo", self.new_po, "Alt+N")
        self.new_button.setVisible(session.can("inventory.purchase"))
        self.table = pc.list_table("poList", HEADERS, 2)
        self.table.itemSelectionChanged.connect(self._chosen)
        self.count = QLabel()
        self.editor = OrderEditor(session)
        self.editor.changed_order.connect(self._changed_order)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show"))
        top.addWidget(self.filter, 1)
        top.addWidget(self.new_button)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addLayout(top)
        lbox.addWidget(self.table, 1)
        lbox.addWidget(self.count)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.editor)
        split.setStretchFactor(1, 1)
        split.setSizes([540, 800])
        QVBoxLayout(self).addWidget(split)

    def fetch(self) -> tuple[list[PurchaseOrderView], list[SupplierView]]:
        ctx = self.session.ctx
        return purchase_orders(ctx, self.filter.currentData()), suppliers(ctx, include_inactive=False)

    def loaded(self, result: tuple[list[PurchaseOrderView], list[SupplierView]]) -> None:
        orders, active = result
        self.orders = {o.id: o for o in orders}
        rows: list[list[QTableWidgetItem | str]] = [
            [o.po_number, pc.show_date(o.order_date), o.supplier_name, pc.STATUS_TEXT[o.status],
             pc.cell(pc.money(o.total_paise), right=True)] for o in orders
        ]  # fmt: skip
        pc.fill(self.table, rows, [o.id for o in orders])
        self.count.setText(f"{len(orders)} order{'s' if len(orders) != 1 else ''}")
        self.editor.set_suppliers(active)
        open_po = self.editor.po
        if open_po is not None and open_po.id in self.orders:
            self.editor.heard(self.orders[open_po.id])

    def fetch_failed(self, message: str) -> None:
        self.count.setText(message)

    def _chosen(self) -> None:
        key = pc.key_of(self.table)
        if key in self.orders:
            self.editor.show_po(self.orders[key])

    def _changed_order(self, po: PurchaseOrderView) -> None:
        self.orders[po.id] = po
        self.table.blockSignals(True)
        pc.select_key(self.table, po.id)
        self.table.blockSignals(False)

    def new_po(self) -> None:
        if not self.editor.manage:
            return
        self.table.blockSignals(True)
        self.table.clearSelection()
        self.table.blockSignals(False)
        self.editor.new_po()

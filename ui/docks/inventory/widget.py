"""The Inventory dock: one tab per task of the stock room, each offered only to a role that may use it.

Tabs (each its own module in this package, built when the dock is): Stock (the catalogue with stock on hand,
batches, the item-master import, opening stock), Alerts, Suppliers, Purchase orders, Receipts (GRN),
Adjustments (request, approve), Counts (blind count, variance, approval). Each tab refreshes itself from the
change broadcast (``session.changes``) when the tables it shows change, and only while it is visible.
"""

from __future__ import annotations

import importlib
from typing import Any

from ui.qt import QTabWidget, QVBoxLayout, QWidget

# (module:class, title, any one of these permissions offers the tab)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ui.docks.inventory.stock_tab:StockTab", "Stock", ("pharmacy.view",)),
    ("ui.docks.inventory.alerts_tab:AlertsTab", "Alerts", ("pharmacy.view",)),
    ("ui.docks.inventory.suppliers_tab:SuppliersTab", "Suppliers", ("inventory.view",)),
    ("ui.docks.inventory.orders_tab:OrdersTab", "Purchase orders", ("inventory.view",)),
    ("ui.docks.inventory.receipts_tab:ReceiptsTab", "Receipts", ("inventory.receive",)),
    ("ui.docks.inventory.adjustments_tab:AdjustmentsTab", "Adjustments", ("inventory.adjust", "inventory.approve")),
    ("ui.docks.inventory.counts_tab:CountsTab", "Counts", ("inventory.count", "inventory.approve")),
)


class InventoryDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.session = window.session
        self.tabs = QTabWidget()
        self.tabs.setObjectName("inventoryTabs")
        self.pages: dict[str, QWidget] = {}
        for target, title, codes in TABS:
            if not any(self.session.can(c) for c in codes):
                continue
            module_name, cls_name = target.split(":")
            page = getattr(importlib.import_module(module_name), cls_name)(self.session)
            self.pages[title] = page
            self.tabs.addTab(page, title)
        QVBoxLayout(self).addWidget(self.tabs)

    def show_tab(self, title: str) -> QWidget:
        page = self.pages[title]
        self.tabs.setCurrentWidget(page)
        return page

"""The Pharmacy dock: the stock alerts strip on top, then one tab per task of the pharmacy counter, each offered
only to a role that may do it:

- To dispense (``pharmacy.dispense`` with ``prescriptions.view``): the prescriptions the doctors sent, oldest
  first, and the chosen one filled by FEFO with the scanner (``dispense_tab``);
- Counter (``pharmacy.dispense`` with ``patients.view``): an over-the-counter sale (``counter_tab``);
- Returns (``pharmacy.returns`` with ``patients.view`` and ``pharmacy.view``): a patient's return (``returns_tab``);
- H1 register (``pharmacy.view``): the Schedule H1/X register and its print (``register_tab``).

Each tab refreshes itself from the change broadcast (``session.changes``) when the tables it shows change, and only
while it is visible; nothing polls.
"""

from __future__ import annotations

import importlib
from typing import Any

from ui.docks.pharmacy.alerts_strip import AlertsStrip
from ui.docks.pharmacy.rx_list import WATCHED
from ui.qt import QLabel, QTableWidget, QTabWidget, QTimer, QVBoxLayout, QWidget

__all__ = ["WATCHED", "PharmacyDock"]

# (module:class, title, every one of these permissions offers the tab)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ui.docks.pharmacy.dispense_tab:DispenseTab", "To dispense", ("pharmacy.dispense", "prescriptions.view")),
    ("ui.docks.pharmacy.counter_tab:CounterTab", "Counter", ("pharmacy.dispense", "patients.view")),
    ("ui.docks.pharmacy.returns_tab:ReturnsTab", "Returns", ("pharmacy.returns", "patients.view", "pharmacy.view")),
    ("ui.docks.pharmacy.register_tab:RegisterTab", "H1 register", ("pharmacy.view",)),
)


class PharmacyDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.tabs = QTabWidget()
        self.tabs.setObjectName("pharmacyTabs")
        self.pages: dict[str, QWidget] = {}
        for target, title, codes in TABS:
            if not all(self.session.can(c) for c in codes):
                continue
            module_name, cls_name = target.split(":")
            page = getattr(importlib.import_module(module_name), cls_name)(self.session)
            self.pages[title] = page
            self.tabs.addTab(page, title)
        dispense = self.pages.get("To dispense")
        self.list: QTableWidget | None = getattr(dispense, "list", None)  # the to-dispense list ("toDispense")
        self.count: QLabel | None = getattr(getattr(dispense, "rx_list", None), "count", None)  # "2 waiting ..."
        self.alerts = AlertsStrip(self.session, self.open_inventory_alerts)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        if self.session.can("pharmacy.view"):
            box.addWidget(self.alerts)
        else:
            self.alerts.hide()
        box.addWidget(self.tabs, 1)
        self.tabs.currentChanged.connect(lambda _i: QTimer.singleShot(0, self.focus_tab))

    def show_tab(self, title: str) -> QWidget:
        page = self.pages[title]
        self.tabs.setCurrentWidget(page)
        return page

    def focus_tab(self) -> None:
        """The scan field of the tab just opened (the first thing a pharmacist does is scan)."""
        scan = getattr(self.tabs.currentWidget(), "scan", None)
        if scan is not None and scan.isVisible() and scan.isEnabled():
            scan.setFocus()

    def open_inventory_alerts(self) -> bool:
        """The Inventory dock's Alerts tab, when this user's window has it."""
        docks = getattr(self.window_, "docks", {})
        if "inventory" not in docks:
            return False
        inventory = self.window_.dock_widget("inventory")
        try:
            inventory.show_tab("Alerts")
        except (AttributeError, KeyError):
            return False
        return True

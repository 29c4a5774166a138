"""The Optical dock: one tab per task of the optical counter, each offered only to a role that may use it.

Tabs (each its own module in this package, built when the dock is): Orders (today's board by status, overdue
orders highlighted, a new order from the patient's latest eye prescription, an order's detail with its steps,
the lab job card and the customer slip), Repairs (log, estimate, approval, steps, the repair slip) and
Catalogue (frames, lenses, contact lenses, solutions; stock of stocked items). Each tab refreshes itself from the
change broadcast (``session.changes``) when the tables it shows change, and only while it is visible.
"""

from __future__ import annotations

import importlib
from typing import Any

from ui.qt import QTabWidget, QVBoxLayout, QWidget

# (module:class, title, any one of these permissions offers the tab)
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("ui.docks.optical.orders_tab:OrdersTab", "Orders", ("optical.orders",)),
    ("ui.docks.optical.repairs_tab:RepairsTab", "Repairs", ("optical.repairs",)),
    ("ui.docks.optical.catalog_tab:CatalogTab", "Catalogue", ("optical.view", "optical.catalog")),
)


class OpticalDock(QWidget):
    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.session = window.session
        self.tabs = QTabWidget()
        self.tabs.setObjectName("opticalTabs")
        self.pages: dict[str, QWidget] = {}
        for target, title, codes in TABS:
            if not any(self.session.can(c) for c in codes):
                continue
            module_name, cls_name = target.split(":")
            page = getattr(importlib.import_module(module_name), cls_name)(self.session)
            self.pages[title] = page
            self.tabs.addTab(page, title)
        QVBoxLayout(self).addWidget(self.tabs)

    def open_scanned(self, opens: str, code: str) -> bool:
        """A scanned job card (``optical_order``), repair slip (``repair``) or product label (``optical_product``):
        its tab shows it. False when this user has no tab for it."""
        title = {"optical_order": "Orders", "repair": "Repairs", "optical_product": "Catalogue"}.get(opens)
        if title is None or title not in self.pages:
            return False
        page: Any = self.show_tab(title)
        if opens == "optical_order":
            page.show_board()
            page.board.search.setText(code)
            page.board.open_first_match()
        elif opens == "repair":
            page.open_code(code)
        else:
            page.show_code(code)
        return True

    def show_tab(self, title: str) -> QWidget:
        page = self.pages[title]
        self.tabs.setCurrentWidget(page)
        return page

"""The Alerts tab: what on the shelf needs attention today (``stock_alerts``), in six sections whose titles carry
their counts: expired batches still holding stock, expiring within 3 months, in 3-6 months, in 6-12 months,
medicines below their reorder level, and the shortfalls two PCs left by selling the same stock offline. Each row
names the medicine, batch, expiry and quantity. Refreshed from the change broadcast (stock, batches, medicines)
while shown."""

from __future__ import annotations

from collections.abc import Sequence

from hms_desktop.services.inventory.alerts import ExpiryAlert, ReorderAlert, ShortfallAlert, StockAlerts, stock_alerts
from ui.docks.inventory.stock_common import LiveTab, cell, grid, medicine_text, quantity_text, show_date, tint
from ui.qt import QGridLayout, QGroupBox, QLabel, QTableWidget, QVBoxLayout, QWidget
from ui.session import AppSession

EXPIRY_COLUMNS = ("Medicine", "Batch", "Expiry", "Quantity", "Location")
SECTIONS = (
    ("expired", "Expired, still on the shelf", EXPIRY_COLUMNS),
    ("within_3_months", "Expiring within 3 months", EXPIRY_COLUMNS),
    ("within_3_to_6_months", "Expiring in 3 to 6 months", EXPIRY_COLUMNS),
    ("within_6_to_12_months", "Expiring in 6 to 12 months", EXPIRY_COLUMNS),
    ("below_reorder", "Below reorder level", ("Medicine", "On hand", "Reorder level", "Short by")),
    ("shortfalls", "Shortfalls (sold more than held, offline)", ("Medicine", "Batch", "Expiry", "Short by")),
)


class AlertsTab(LiveTab):
    WATCHED = ("stock_movements", "medicine_batches", "medicines")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.alerts: StockAlerts | None = None
        self.summary = QLabel("Reading the shelf...")
        self.summary.setObjectName("alertsSummary")
        self.boxes: dict[str, QGroupBox] = {}
        self.tables: dict[str, QTableWidget] = {}
        self.titles: dict[str, str] = {}
        self.grid = QGridLayout()
        for i, (key, title, columns) in enumerate(SECTIONS):
            t = grid(f"alerts_{key}", columns)
            t.setMinimumHeight(64)
            group = QGroupBox(title)
            group.setObjectName(f"alertsBox_{key}")
            QVBoxLayout(group).addWidget(t)
            self.boxes[key], self.tables[key], self.titles[key] = group, t, title
            self.grid.addWidget(group, i // 2, i % 2)
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        box.addLayout(self.grid, 1)

    def fetch(self) -> None:
        self.load(stock_alerts, show=self._show)

    def load_failed(self, message: str) -> None:
        self.summary.setText(message)

    def title(self, key: str) -> str:
        return self.boxes[key].title()

    def _show(self, alerts: StockAlerts) -> None:
        self.alerts = alerts
        for key in ("expired", "within_3_months", "within_3_to_6_months", "within_6_to_12_months"):
            self._expiry(key, getattr(alerts, key))
        self._reorder(alerts.below_reorder)
        self._shortfalls(alerts.shortfalls)
        for row in range(3):  # a row of sections with more to show gets more of the height
            most = max(self.tables[key].rowCount() for key, _t, _c in SECTIONS[2 * row : 2 * row + 2])
            self.grid.setRowStretch(row, 2 + min(most, 12))
        self.summary.setText(
            f"<b>{alerts.total} alert{'s' if alerts.total != 1 else ''}</b> on {show_date(alerts.today)}. "
            "Expired stock is kept apart until it is written off (Adjustments, reason expiry)."
            if alerts.total
            else f"Nothing needs attention on {show_date(alerts.today)}."
        )

    def _count(self, key: str, n: int) -> QTableWidget:
        self.boxes[key].setTitle(f"{self.titles[key]} ({n})")
        t = self.tables[key]
        t.setRowCount(n)
        return t

    def _expiry(self, key: str, rows: Sequence[ExpiryAlert]) -> None:
        t = self._count(key, len(rows))
        state = "expired" if key == "expired" else "near" if key == "within_3_months" else ""
        for r, a in enumerate(rows):
            when = show_date(a.expiry_date)
            when += f" ({-a.days_to_expiry} days ago)" if a.days_to_expiry < 0 else f" ({a.days_to_expiry} days)"
            quantity = quantity_text(a.quantity, a.unit, a.pack_size)
            cells = (cell(medicine_text(a.medicine_name, a.strength), a.batch_id), cell(a.batch_number),
                     tint(cell(when), state), cell(quantity), cell(a.location))  # fmt: skip
            for c, item in enumerate(cells):
                t.setItem(r, c, item)

    def _reorder(self, rows: Sequence[ReorderAlert]) -> None:
        t = self._count("below_reorder", len(rows))
        for r, a in enumerate(rows):
            cells = (cell(medicine_text(a.medicine_name, a.strength), a.medicine_id),
                     cell(quantity_text(a.on_hand, a.unit, a.pack_size)),
                     cell(quantity_text(a.reorder_level, a.unit, a.pack_size)),
                     tint(cell(quantity_text(a.short_by, a.unit, a.pack_size)), "near"))  # fmt: skip
            for c, item in enumerate(cells):
                t.setItem(r, c, item)

    def _shortfalls(self, rows: Sequence[ShortfallAlert]) -> None:
        t = self._count("shortfalls", len(rows))
        for r, a in enumerate(rows):
            cells = (cell(a.medicine_name or a.label, a.item_id), cell(a.batch_number), cell(show_date(a.expiry_date)),
                     tint(cell(f"{a.short:,}"), "expired"))  # fmt: skip
            for c, item in enumerate(cells):
                t.setItem(r, c, item)

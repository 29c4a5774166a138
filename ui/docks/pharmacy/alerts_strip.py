"""The strip at the top of the Pharmacy dock: how many batches need the pharmacist's attention today
(``inventory.alerts.stock_alerts``: expired still holding stock, expiring within 3 months, medicines below their
reorder level, offline oversells). Clicking it says where the details are (the Inventory dock's Alerts tab),
and opens that tab when this user has it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.inventory.alerts import StockAlerts, stock_alerts
from ui.docks.pharmacy.common import message_of
from ui.qt import QHBoxLayout, QLabel, QPushButton, QWidget, isValid
from ui.session import AppSession
from ui.worker import background

WATCHED = ("medicine_batches", "stock_movements", "medicines")
STYLES = {
    "bad": "QPushButton { background: #fde2e4; color: #7a1020; border: 1px solid #e8a0a8; text-align: left; }",
    "warn": "QPushButton { background: #fff8e1; color: #5c4400; border: 1px solid #ffe08a; text-align: left; }",
    "ok": "QPushButton { background: #e6f4ea; color: #0b6e4f; border: 1px solid #a8d5b5; text-align: left; }",
}
WHERE = "Each batch is listed, with what to do, in the Inventory dock's Alerts tab."


def counts_text(a: StockAlerts) -> str:
    parts = [
        f"{len(a.expired)} expired with stock",
        f"{len(a.within_3_months)} expiring within 3 months",
        f"{len(a.below_reorder)} below reorder level",
        f"{len(a.shortfalls)} shortfall{'s' if len(a.shortfalls) != 1 else ''}",
    ]
    return "Stock alerts:  " + "  ·  ".join(parts)


class AlertsStrip(QWidget):
    def __init__(self, session: AppSession, open_alerts: Callable[[], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.open_alerts = open_alerts  # opens the Inventory dock's Alerts tab; False when this user has none
        self.alerts: StockAlerts | None = None
        self.busy = False
        self.dirty = True
        self.button = QPushButton("Stock alerts: reading...")
        self.button.setObjectName("pharmacyAlerts")
        self.button.setFlat(False)
        self.button.setToolTip(WHERE)
        self.button.clicked.connect(lambda _=False: self.where())
        self.note = QLabel()
        self.note.setObjectName("alertsWhere")
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.button, 1)
        box.addWidget(self.note)
        session.changes.changed.connect(self.on_changes)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self) -> None:
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        background(self, stock_alerts, self.session.ctx, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.button.setText(f"Stock alerts: {message_of(exc)}")

    def _show(self, alerts: StockAlerts) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:
            self.refresh()
            return
        self.alerts = alerts
        self.button.setText(counts_text(alerts))
        bad = alerts.expired or alerts.shortfalls
        warn = alerts.within_3_months or alerts.below_reorder
        self.button.setStyleSheet(STYLES["bad" if bad else "warn" if warn else "ok"])

    def where(self) -> None:
        if not self.open_alerts():
            self.note.setText(WHERE)

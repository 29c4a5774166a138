"""The To dispense tab: the prescriptions the doctors sent on the left, the chosen one on the right (its lines,
FEFO's plan, the scanner, Dispense). Choosing a prescription (Enter or a click) puts the focus in the scan field,
so the next pack scanned confirms its line; so does opening the tab."""

from __future__ import annotations

import uuid
from typing import Any

from ui.docks.pharmacy.dispense_panel import DispensePanel
from ui.docks.pharmacy.rx_list import WATCHED, RxList
from ui.qt import QSplitter, Qt, QTimer, QVBoxLayout, QWidget, isValid
from ui.session import AppSession

__all__ = ["WATCHED", "DispenseTab"]


class DispenseTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rx_list = RxList(session)
        self.list = self.rx_list.list
        self.panel = DispensePanel(session)
        self.scan = self.panel.scan
        self.rx_list.chosen.connect(self.open)
        self.rx_list.activated.connect(self.to_scanner)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.rx_list)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([540, 800])
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(split)

    def open(self, rx_id: uuid.UUID) -> None:
        self.panel.open(rx_id)

    def to_scanner(self) -> None:
        rx_id = self.rx_list.current()
        if rx_id is not None and self.panel.opened is None and self.panel.loading is None:
            self.panel.open(rx_id)  # chosen again after it was closed (dispensed, or refused on opening)
        QTimer.singleShot(0, self.focus_first)

    def focus_first(self) -> None:
        if isValid(self.scan) and self.scan.isEnabled():
            self.scan.setFocus()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        QTimer.singleShot(0, self.focus_first)

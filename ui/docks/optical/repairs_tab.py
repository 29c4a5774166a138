"""The Repairs tab of the Optical dock (``optical.repairs``): the open repairs on the left (code, patient, item,
status, promised date; overdue ones first, in red and saying "OVERDUE"), and on the right either the "Log repair"
form (``repair_form``) or the chosen repair with its history and the steps its state allows (``repair_detail``).

Keyboard: Alt+N opens the form on the patient field; Enter in the list opens the repair; Ctrl+P prints the
slip of the repair shown. The list is read again from the change broadcast when repairs change (here or on
another PC), only while the tab is visible; a repair delivered or cancelled leaves the list but stays on the right.
"""

from __future__ import annotations

import uuid
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.optical.repair_views import RepairSummary, RepairView, day_text, open_repairs, repair
from ui.docks.optical.repair_detail import RepairDetail
from ui.docks.optical.repair_form import RepairForm
from ui.docks.optical.repair_steps import OVERDUE_BG, OVERDUE_FG
from ui.docks.pharmacy.common import cell, label, message_of, table
from ui.qt import (
    QBrush,
    QColor,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPushButton,
    QShortcut,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background

WATCHED = ("optical_repairs", "optical_status_events", "patients")
COLUMNS = ["Code", "Patient", "Item", "Status", "Promised"]
READY = "#0b6e4f"  # ready to collect: the patient may come


def promised_text(s: RepairSummary) -> str:
    if s.promised_date is None:
        return "not promised"
    return f"{day_text(s.promised_date)} OVERDUE" if s.overdue else day_text(s.promised_date)


class RepairsTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.repairs: list[RepairSummary] = []
        self.busy = False
        self.dirty = True  # nothing fetched yet
        self.heading = QLabel("<b>Open repairs</b>")
        self.count = label("repairCount")
        self.new_button = QPushButton("Log repair")
        self.new_button.setObjectName("newRepair")
        self.new_button.setToolTip("Log an item left for repair (Alt+N)")
        self.new_button.clicked.connect(lambda _=False: self.new_repair())
        self.list = table(COLUMNS, 2, "openRepairs")
        self.list.itemSelectionChanged.connect(self._selected)
        self.list.activated.connect(lambda _i: self._selected())
        self.form = RepairForm(session)
        self.form.logged.connect(self._logged)
        self.detail = RepairDetail(session)
        self.detail.changed.connect(lambda _v: self.refresh(force=True))
        self.form.setVisible(session.can("optical.repairs"))
        self.detail.hide()
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.count, 1)
        top.addWidget(self.new_button)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(0, 0, 0, 0)
        lbox.addLayout(top)
        if not session.can("optical.view"):
            note = label("hint")
            note.setText("Your role may log repairs but not list them (optical.view).")
            lbox.addWidget(note)
        lbox.addWidget(self.list, 1)
        right = QWidget()
        rbox = QVBoxLayout(right)
        rbox.setContentsMargins(6, 0, 0, 0)
        rbox.addWidget(self.form)
        rbox.addWidget(self.detail)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        split.setSizes([660, 680])
        QVBoxLayout(self).addWidget(split)
        for seq, slot in (("Alt+N", self.new_repair), ("Ctrl+P", self.detail.do_print)):
            QShortcut(QKeySequence(seq), self, slot, Qt.ShortcutContext.WidgetWithChildrenShortcut)
        session.changes.changed.connect(self.on_changes)

    # --- the list

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.dirty = True
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        if force:
            self.dirty = True
        if self.busy or not self.isVisible() or not self.session.can("optical.view"):
            self.dirty = True  # fetched when the one on its way is back, or when shown
            return
        self.busy, self.dirty = True, False
        background(self, open_repairs, self.session.ctx, done=self._show, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if isValid(self):
            self.busy = False
            self.count.setText(message_of(exc))

    def _show(self, repairs: list[RepairSummary]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty:  # the store changed while this was on its way
            self.refresh()
            return
        shown = self.detail.view.id if self.detail.view is not None and self.detail.isVisible() else None
        self.repairs = repairs
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setRowCount(len(repairs))
        for r, s in enumerate(repairs):
            tip = f"Estimate {s.estimate_text}, " + ("approved" if s.estimate_approved else "not yet approved")
            texts = (s.code, s.patient_name, s.item_description, s.status_label, promised_text(s))
            tips = (tip, f"{s.patient_name} ({s.patient_code})", s.item_description, tip, tip)
            for c, (text, hint) in enumerate(zip(texts, tips, strict=True)):
                item = cell(text, tip=hint, colour=READY if s.status == "ready" and c == 3 else "")
                if s.overdue:
                    item.setForeground(QBrush(QColor(OVERDUE_FG)))
                    item.setBackground(QBrush(QColor(OVERDUE_BG)))
                self.list.setItem(r, c, item)
            if s.id == shown:
                self.list.selectRow(r)
        self.list.blockSignals(False)
        overdue = sum(1 for s in repairs if s.overdue)
        words = f"{len(repairs)} open" + (f", {overdue} overdue" if overdue else "")
        self.count.setText(words)

    def current(self) -> RepairSummary | None:
        row = self.list.currentRow()
        selected = self.list.selectionModel().hasSelection()
        return self.repairs[row] if selected and 0 <= row < len(self.repairs) else None

    def select(self, repair_id: uuid.UUID) -> bool:
        for r, s in enumerate(self.repairs):
            if s.id == repair_id:
                self.list.selectRow(r)
                return True
        return False

    def _selected(self) -> None:
        s = self.current()
        if s is not None:
            self.open_repair(s.id)

    # --- the right side

    def open_repair(self, repair_id: uuid.UUID) -> None:
        """Show repair ``repair_id`` on the right (read through the worker)."""
        background(self, repair, self.session.ctx, repair_id, done=self._opened, failed=self._failed)

    def open_code(self, code: str) -> bool:
        """Open the listed repair with ``code`` (a scanned slip); False when the list does not hold it."""
        found = next((s for s in self.repairs if s.code == code.upper()), None)
        if found is not None:
            self.select(found.id)
        return found is not None

    def _opened(self, view: RepairView) -> None:
        if not isValid(self):
            return
        self.form.hide()
        self.detail.show()
        self.detail.show_repair(view)

    def new_repair(self) -> None:
        if not self.session.can("optical.repairs"):
            return
        self.list.clearSelection()
        self.detail.hide()
        self.form.show()
        self.form.patient.search.setFocus()

    def _logged(self, view: RepairView) -> None:
        self.form.hide()
        self.detail.show()
        self.detail.show_repair(view)
        self.detail.say(f"{view.code} logged for {view.patient_name}. {view.approval_text}.")
        self.refresh(force=True)

"""The prescription of the visit: medicines found by brand or generic name as you type, one line each with dose,
frequency (1-0-1, BD, SOS, HS...), days, food timing and instructions; templates; Save, Print and Send to pharmacy.

A line that touches one of the patient's allergies is refused by the service; the screen then asks for the reason
to override it and saves again with it (the override is audited). Once printed or sent, a change is an amendment
and the screen asks for its reason."""

from __future__ import annotations

import re
import uuid
from typing import Any

from hms_desktop.errors import ValidationError
from hms_desktop.services.clinical.medicine_search import MedicineHit, search_medicines
from hms_desktop.services.clinical.prescription_input import FOOD_TIMINGS, PrescriptionInput, PrescriptionItemInput
from hms_desktop.services.clinical.prescription_views import PrescriptionView
from hms_desktop.services.clinical.prescriptions import (
    mark_printed,
    prescription_pdf,
    prescriptions_for,
    save_prescription,
    send_to_pharmacy,
    update_prescription,
)
from hms_desktop.services.clinical.rx_templates import (
    AppliedTemplate,
    TemplateView,
    apply_template,
    list_templates,
    save_template,
)
from ui.docks.doctor.visit import Visit
from ui.qt import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import background, run

DEBOUNCE_MS = 120
COLUMNS = ("Medicine", "Generic", "Strength", "Dose", "Frequency", "Days", "Food", "Instructions", "Qty")
FIELD_COLUMN = {"dosage": 3, "frequency": 4, "duration_days": 5, "food_timing": 6, "instructions": 7, "quantity": 8}
FOOD_LABELS = {
    "any": "Any time",
    "before_food": "Before food",
    "after_food": "After food",
    "with_food": "With food",
    "empty_stomach": "Empty stomach",
    "bedtime": "At bedtime",
}
ITEM_FIELD = re.compile(r"items\[(\d+)\]\.(\w+)")


class RxTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visit: Visit | None = None
        self.rx: PrescriptionView | None = None
        self.follow_up: Any = lambda: None  # the Consultation tab's follow-up date, set by the dock
        self.diagnosis: Any = lambda: ""  # the Consultation tab's diagnoses as text
        self.saving = False
        self.request_id = uuid.uuid4()  # one per prescription being written: a double click saves once
        self.lines: list[dict[str, Any]] = []  # medicine_id and the override reason of each table row
        self.templates = QComboBox()
        self.templates.setObjectName("rxTemplates")
        self.templates.setMinimumWidth(220)
        apply_button = QPushButton("Apply template")
        apply_button.setObjectName("applyTemplate")
        apply_button.clicked.connect(self.apply_template)
        self.save_template_button = QPushButton("Save as template...")
        self.save_template_button.clicked.connect(self.save_as_template)
        self.save_template_button.setVisible(session.can("prescriptions.templates"))
        self.search = QLineEdit()
        self.search.setObjectName("medicineSearch")
        self.search.setPlaceholderText("Add medicine: brand or generic name (Enter adds the highlighted one)")
        self.hits = QListWidget()
        self.hits.setObjectName("medicineHits")
        self.hits.setMaximumHeight(100)
        self.hits.itemActivated.connect(self._add_hit)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("rxItems")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        remove = QPushButton("Remove line")
        remove.clicked.connect(self.remove_line)
        self.advice = QPlainTextEdit()
        self.advice.setObjectName("rxAdvice")
        self.advice.setPlaceholderText("Advice (diet, rest, warning signs)")
        self.advice.setMaximumHeight(60)
        self.message = QLabel()
        self.message.setObjectName("rxMessage")
        self.message.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("rxStatus")
        self.save_button = QPushButton("Save prescription")
        self.save_button.setObjectName("saveRx")
        self.save_button.clicked.connect(lambda: self.save())  # noqa: PLW0108 - clicked passes a bool
        self.print_button = QPushButton("Print...")
        self.print_button.setObjectName("printRx")
        self.print_button.clicked.connect(self.print_rx)
        self.send_button = QPushButton("Send to pharmacy")
        self.send_button.setObjectName("sendRx")
        self.send_button.clicked.connect(self.send)
        self.versions_button = QPushButton("Versions...")
        self.versions_button.setObjectName("rxVersions")
        self.versions_button.clicked.connect(self.show_versions)
        self.new_button = QPushButton("New prescription")
        self.new_button.clicked.connect(self.new_rx)
        top = QHBoxLayout()
        top.addWidget(QLabel("Template"))
        top.addWidget(self.templates)
        top.addWidget(apply_button)
        top.addWidget(self.save_template_button)
        top.addStretch()
        top.addWidget(self.status)
        lines = QHBoxLayout()
        lines.addWidget(remove)
        lines.addStretch()
        actions = QHBoxLayout()
        for b in (self.save_button, self.print_button, self.send_button, self.versions_button, self.new_button):
            actions.addWidget(b)
        actions.addStretch()
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.search)
        box.addWidget(self.hits)
        box.addWidget(self.table, 1)
        box.addLayout(lines)
        box.addWidget(self.advice)
        box.addWidget(self.message)
        box.addLayout(actions)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._search)
        self.search.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.search.returnPressed.connect(self._enter)
        self.set_visit(None)

    # --- the visit

    def set_visit(self, visit: Visit | None) -> None:
        self.visit = visit
        self._clear()
        can_write = visit is not None and visit.doctor_id is not None and self.session.can("prescriptions.create")
        self.setEnabled(can_write)
        if visit is None:
            return
        run(self, list_templates, self.session.ctx, done=self._templates)
        run(self, prescriptions_for, self.session.ctx, visit.patient_id, done=self._existing)

    def _clear(self) -> None:
        self.rx = None
        self.request_id = uuid.uuid4()
        self.lines = []
        self.table.setRowCount(0)
        self.advice.clear()
        self.message.clear()
        self.search.clear()
        self.hits.clear()
        self.hits.hide()
        self._buttons()

    def new_rx(self) -> None:
        self._clear()

    def _buttons(self) -> None:
        saved = self.rx is not None and self.rx.status not in ("draft", "cancelled")
        self.print_button.setEnabled(saved)
        self.send_button.setEnabled(saved and self.rx is not None and self.rx.sent_at is None)
        self.versions_button.setEnabled(self.rx is not None and self.rx.version > 1)
        if self.rx is None:
            self.status.setText("New prescription")
        else:
            amended = ", amended" if self.rx.amended else ""
            sent = ", sent to pharmacy" if self.rx.sent_at else ""
            self.status.setText(f"{self.rx.code} version {self.rx.version}{amended}{sent}")

    def _templates(self, templates: list[TemplateView]) -> None:
        self.templates.clear()
        for t in templates:
            self.templates.addItem(f"{t.name}  ({t.owner_name})", t.id)

    def _existing(self, rxs: list[PrescriptionView]) -> None:
        """The prescription already written in this visit, if any, opens for editing."""
        if self.visit is None:
            return
        mine = [r for r in rxs if r.appointment_id == self.visit.appointment_id and r.status != "cancelled"]
        if mine and self.visit.appointment_id is not None:
            self.show_rx(mine[0])

    def show_rx(self, rx: PrescriptionView) -> None:
        self.rx = rx
        self.table.setRowCount(0)
        self.lines = []
        for item in rx.items:
            self._append(
                PrescriptionItemInput(
                    medicine_id=item.medicine_id,
                    medicine_name=item.medicine_name,
                    generic_name=item.generic_name,
                    strength=item.strength,
                    dosage=item.dosage,
                    frequency=item.frequency,
                    duration_days=item.duration_days,
                    food_timing=item.food_timing,
                    instructions=item.instructions,
                    quantity=item.quantity,
                    allergy_override_reason=item.allergy_override_reason or "",
                )
            )
        self.advice.setPlainText(rx.advice)
        self._buttons()

    # --- lines

    def _search(self) -> None:
        text = self.search.text().strip()
        if len(text) < 2:
            self.hits.clear()
            self.hits.hide()
            return
        background(self, search_medicines, self.session.ctx, text, done=lambda hits: self._hits(text, hits))

    def _hits(self, text: str, hits: list[MedicineHit]) -> None:
        if text != self.search.text().strip():
            return
        self.hits.clear()
        self.hits.setVisible(bool(hits))
        for h in hits:
            sched = "  [Schedule H]" if h.is_schedule_h else ""
            item = QListWidgetItem(f"{h.brand}  -  {h.generic_name} {h.strength} {h.form}{sched}")
            item.setData(Qt.ItemDataRole.UserRole, h)
            self.hits.addItem(item)
        if hits:
            self.hits.setCurrentRow(0)

    def _enter(self) -> None:
        self._debounce.stop()
        item = self.hits.currentItem()
        if item is not None:
            self._add_hit(item)
        elif self.search.text().strip():  # a medicine the pharmacy does not stock: free text
            self._append(PrescriptionItemInput(medicine_name=self.search.text().strip(), frequency="1-0-1"))
            self.search.clear()

    def _add_hit(self, item: QListWidgetItem) -> None:
        h: MedicineHit = item.data(Qt.ItemDataRole.UserRole)
        dose = "1 tab" if h.form == "tablet" else ("1 cap" if h.form == "capsule" else "")
        self._append(
            PrescriptionItemInput(
                medicine_id=h.id,
                medicine_name=h.brand,
                generic_name=h.generic_name,
                strength=h.strength,
                dosage=dose,
                frequency="1-0-1",
                duration_days=5,
                food_timing="after_food",
            )
        )
        self.search.clear()
        self.hits.clear()
        self.hits.hide()
        self.table.setCurrentCell(self.table.rowCount() - 1, 3)
        self.table.setFocus()

    def _append(self, line: PrescriptionItemInput) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        cells = [
            line.medicine_name,
            line.generic_name,
            line.strength,
            line.dosage,
            line.frequency,
            "" if line.duration_days is None else str(line.duration_days),
            "",
            line.instructions,
            str(line.quantity) if line.quantity else "",
        ]
        for c, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            if c in (0, 1, 2) and line.medicine_id is not None:
                cell.setFlags(cell.flags() & ~Qt.ItemFlag.ItemIsEditable)  # from the catalogue
            self.table.setItem(r, c, cell)
        food = QComboBox()
        for key in FOOD_TIMINGS:
            food.addItem(FOOD_LABELS.get(key, key), key)
        food.setCurrentIndex(max(0, food.findData(line.food_timing)))
        self.table.setCellWidget(r, 6, food)
        self.lines.append({"medicine_id": line.medicine_id, "override": line.allergy_override_reason})

    def remove_line(self) -> None:
        r = self.table.currentRow()
        if 0 <= r < self.table.rowCount():
            self.table.removeRow(r)
            del self.lines[r]

    def _text(self, r: int, c: int) -> str:
        cell = self.table.item(r, c)
        return cell.text().strip() if cell is not None else ""

    def items(self) -> list[PrescriptionItemInput]:
        out = []
        for r in range(self.table.rowCount()):
            days, qty = self._text(r, 5), self._text(r, 8)
            food = self.table.cellWidget(r, 6)
            out.append(
                PrescriptionItemInput(
                    medicine_id=self.lines[r]["medicine_id"],
                    medicine_name=self._text(r, 0),
                    generic_name=self._text(r, 1),
                    strength=self._text(r, 2),
                    dosage=self._text(r, 3),
                    frequency=self._text(r, 4),
                    duration_days=int(days) if days.isdigit() else (None if not days else -1),
                    food_timing=food.currentData() if isinstance(food, QComboBox) else "any",
                    instructions=self._text(r, 7),
                    quantity=int(qty) if qty.isdigit() else 0,
                    allergy_override_reason=self.lines[r]["override"] or "",
                )
            )
        return out

    # --- templates

    def apply_template(self) -> None:
        tid = self.templates.currentData()
        if tid is not None:
            run(self, apply_template, self.session.ctx, tid, done=self._applied)

    def _applied(self, applied: AppliedTemplate) -> None:
        for line in applied.items:
            self._append(line)
        if applied.advice and not self.advice.toPlainText().strip():
            self.advice.setPlainText(applied.advice)
        self.message.setText(" ".join(applied.warnings))

    def save_as_template(self) -> None:
        name, ok = QInputDialog.getText(self, "Save as template", "Template name (e.g. Viral fever, adult):")
        if not ok or not name.strip():
            return
        shared = (
            QInputDialog.getItem(self, "Save as template", "Who may use it?", ["Only me", "Every doctor"], 0, False)[0]
            == "Every doctor"
        )
        run(
            self,
            lambda: save_template(
                self.session.ctx, name.strip(), items=self.items(), shared=shared, advice=self.advice.toPlainText()
            ),
            done=lambda _t: self._reload_templates(),
            failed=lambda e: self.message.setText(getattr(e, "message", str(e))),
        )

    def _reload_templates(self) -> None:
        run(self, list_templates, self.session.ctx, done=self._templates)

    # --- save, print, send

    def save(self, reason: str = "") -> None:
        if self.visit is None or self.saving:
            return
        visit = self.visit
        data = PrescriptionInput(
            patient_id=visit.patient_id,
            items=self.items(),
            appointment_id=visit.appointment_id,
            consultation_id=visit.consultation_id,
            diagnosis=self.diagnosis(),
            advice=self.advice.toPlainText(),
            follow_up_date=self.follow_up(),
            request_id=self.request_id,
        )
        if self.rx is not None and (self.rx.printed_at or self.rx.sent_at) and not reason:
            reason, ok = QInputDialog.getText(
                self, "Amend prescription", f"{self.rx.code} was already printed or sent. Reason for the amendment:"
            )
            if not ok or not reason.strip():
                return
        self.saving = True
        self.save_button.setEnabled(False)
        self.message.clear()
        ctx, rx = self.session.ctx, self.rx
        if rx is None:
            run(self, save_prescription, ctx, data, done=self._saved, failed=lambda e: self._failed(e, reason))
        else:
            run(self, update_prescription, ctx, rx.id, data, reason, done=self._saved,
                failed=lambda e: self._failed(e, reason))  # fmt: skip

    def _saved(self, rx: PrescriptionView) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.show_rx(rx)
        self.message.setText(f"Saved {rx.code} (version {rx.version}).")

    def _failed(self, exc: BaseException, reason: str) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            m = ITEM_FIELD.fullmatch(exc.field)
            if m and m.group(2) == "allergy_override_reason":
                row = int(m.group(1))
                why, ok = QInputDialog.getText(self, "Allergy", f"{exc.message}\n\nReason for overriding:")
                if ok and why.strip():
                    self.lines[row]["override"] = why.strip()
                    self.save(reason)
                    return
            if m:
                row, column = int(m.group(1)), FIELD_COLUMN.get(m.group(2), 0)
                self.table.setCurrentCell(row, column)
        self.message.setText(getattr(exc, "message", str(exc)))

    def print_rx(self) -> None:
        if self.rx is None:
            return
        rx_id, code = self.rx.id, self.rx.code
        ctx = self.session.ctx

        def make() -> bytes:
            pdf = prescription_pdf(ctx, rx_id)
            mark_printed(ctx, rx_id)
            return pdf

        run(self, make, done=lambda pdf: self._preview(pdf, code), label="Making the prescription...")

    def _preview(self, pdf: bytes, code: str) -> None:
        from ui.print_preview import preview_pdf

        preview_pdf(self, pdf, f"Prescription {code}")
        if self.rx is not None:
            run(self, prescriptions_for, self.session.ctx, self.rx.patient_id, done=self._refresh_current)

    def _refresh_current(self, rxs: list[PrescriptionView]) -> None:
        if self.rx is not None:
            current = next((r for r in rxs if r.id == self.rx.id), None)
            if current is not None:
                self.rx = current
                self._buttons()

    def show_versions(self) -> None:
        if self.rx is None:
            return
        from ui.docks.doctor.versions_dialog import VersionsDialog

        self.versions = VersionsDialog(self.session, self.rx.id, self.rx.code, self)
        self.versions.show()

    def send(self) -> None:
        if self.rx is not None:
            run(self, send_to_pharmacy, self.session.ctx, self.rx.id, done=self._sent,
                failed=lambda e: self.message.setText(getattr(e, "message", str(e))))  # fmt: skip

    def _sent(self, rx: PrescriptionView) -> None:
        self.rx = rx
        self._buttons()
        self.message.setText(f"{rx.code} sent to the pharmacy.")

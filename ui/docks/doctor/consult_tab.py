"""The consultation itself: chief complaint, findings, the diagnoses coded with ICD-10 (searched as you type)
or in free text, and the follow-up date. Save (Ctrl+S) writes the notes and the diagnoses in one go."""

from __future__ import annotations

from typing import Any

from hms_desktop.services.clinical.consultations import (
    ConsultationView,
    DiagnosisInput,
    consultation,
    set_diagnoses,
    update_consultation,
)
from hms_desktop.services.clinical.icd10 import Icd10Entry, search_icd10
from ui import clinic_time
from ui.docks.doctor.visit import Visit
from ui.forms import FieldErrors
from ui.qt import (
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from ui.session import AppSession
from ui.worker import background, run

DEBOUNCE_MS = 120
QUICK_FOLLOW_UPS = (("3 days", 3), ("1 week", 7), ("2 weeks", 14), ("1 month", 30))


class ConsultTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visit: Visit | None = None
        self.view: ConsultationView | None = None
        self.saving = False
        self.complaint = QLineEdit()
        self.complaint.setObjectName("chiefComplaint")
        self.complaint.setPlaceholderText("Fever for 3 days, cough")
        self.findings = QPlainTextEdit()
        self.findings.setObjectName("findings")
        self.findings.setPlaceholderText("Examination findings")
        self.findings.setMaximumHeight(90)
        self.dx_search = QLineEdit()
        self.dx_search.setObjectName("diagnosisSearch")
        self.dx_search.setPlaceholderText("Diagnosis: type an ICD-10 code or words (Enter adds; free text if no match)")
        self.dx_hits = QListWidget()
        self.dx_hits.setObjectName("diagnosisHits")
        self.dx_hits.setMaximumHeight(110)
        self.dx_hits.itemActivated.connect(self._add_hit)
        self.diagnoses = QListWidget()
        self.diagnoses.setObjectName("diagnoses")
        self.diagnoses.setMaximumHeight(90)
        remove = QPushButton("Remove diagnosis")
        remove.clicked.connect(lambda: self.diagnoses.takeItem(self.diagnoses.currentRow()))
        remove_row = QHBoxLayout()
        remove_row.setContentsMargins(0, 0, 0, 0)
        remove_row.addWidget(remove)
        remove_row.addStretch()
        remove_box = QWidget()
        remove_box.setLayout(remove_row)
        self.follow_up_on = QCheckBox("Follow-up on")
        self.follow_up_on.setObjectName("followUpOn")
        self.follow_up = QDateEdit()
        self.follow_up.setObjectName("followUp")
        self.follow_up.setCalendarPopup(True)
        self.follow_up.setDisplayFormat("dd MMM yyyy")
        self.follow_up.setEnabled(False)
        self.follow_up_on.toggled.connect(self.follow_up.setEnabled)
        quick = QHBoxLayout()
        quick.addWidget(self.follow_up_on)
        quick.addWidget(self.follow_up)
        for text, days in QUICK_FOLLOW_UPS:
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, d=days: self._follow_up_in(d))
            quick.addWidget(b)
        quick.addStretch()
        follow_box = QWidget()
        follow_box.setLayout(quick)
        self.save_button = QPushButton("Save notes and diagnosis  (Ctrl+S)")
        self.save_button.setObjectName("saveConsultation")
        self.save_button.clicked.connect(self.save)
        self.saved_label = QLabel()
        form = QFormLayout()
        form.addRow("Chief complaint", self.complaint)
        form.addRow("Findings", self.findings)
        form.addRow("Find diagnosis", self.dx_search)
        form.addRow("", self.dx_hits)
        form.addRow("Diagnoses", self.diagnoses)
        form.addRow("", remove_box)
        form.addRow("Follow-up", follow_box)
        self.general = QLabel()
        self.errors = FieldErrors(
            form,
            {
                "chief_complaint": self.complaint,
                "findings": self.findings,
                "diagnoses": self.dx_search,
                "follow_up_date": follow_box,
            },
            self.general,
        )
        box = QVBoxLayout(self)
        box.addWidget(self.general)
        box.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.saved_label, 1)
        box.addLayout(row)
        box.addStretch()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self._search)
        self.dx_search.textChanged.connect(lambda _t: self._debounce.start(DEBOUNCE_MS))
        self.dx_search.returnPressed.connect(self._enter)
        self.set_visit(None)

    # --- the visit

    def set_visit(self, visit: Visit | None) -> None:
        self.visit = visit
        self.view = None
        self.errors.clear()
        self.complaint.clear()
        self.findings.clear()
        self.diagnoses.clear()
        self.dx_search.clear()
        self.dx_hits.clear()
        self.dx_hits.hide()
        self.follow_up_on.setChecked(False)
        self.follow_up.setDate(clinic_time.qtoday().addDays(7))
        self.saved_label.clear()
        editable = visit is not None and visit.consultation_id is not None and self.session.can("clinical.consult")
        self.setEnabled(editable)
        if visit is not None and visit.consultation_id is not None:
            run(self, consultation, self.session.ctx, visit.consultation_id, done=self._show)

    def _show(self, view: ConsultationView) -> None:
        self.view = view
        self.complaint.setText(view.chief_complaint)
        self.findings.setPlainText(view.findings)
        self.diagnoses.clear()
        for d in view.diagnoses:
            self._add_diagnosis(d.icd10_code, d.description)
        if view.follow_up_date:
            self.follow_up_on.setChecked(True)
            self.follow_up.setDate(clinic_time.qtoday().addDays((view.follow_up_date - clinic_time.today()).days))
        self.setEnabled(view.status == "in_progress" and self.session.can("clinical.consult"))

    # --- diagnosis search

    def _search(self) -> None:
        text = self.dx_search.text().strip()
        if len(text) < 2:
            self.dx_hits.clear()
            self.dx_hits.hide()
            return
        background(self, search_icd10, self.session.ctx, text, done=lambda hits: self._hits(text, hits))

    def _hits(self, text: str, hits: list[Icd10Entry]) -> None:
        if text != self.dx_search.text().strip():
            return
        self.dx_hits.clear()
        self.dx_hits.setVisible(bool(hits))
        for h in hits:
            item = QListWidgetItem(f"{h.code}  {h.title}")
            item.setData(Qt.ItemDataRole.UserRole, (h.code, h.title))
            self.dx_hits.addItem(item)
        if hits:
            self.dx_hits.setCurrentRow(0)

    def _enter(self) -> None:
        """Enter adds the highlighted code, or the typed text as a free-text diagnosis when nothing matched."""
        self._debounce.stop()
        item = self.dx_hits.currentItem()
        if item is not None:
            self._add_hit(item)
        elif self.dx_search.text().strip():
            self._add_diagnosis(None, self.dx_search.text().strip())
            self.dx_search.clear()

    def _add_hit(self, item: QListWidgetItem) -> None:
        code, title = item.data(Qt.ItemDataRole.UserRole)
        self._add_diagnosis(code, title)
        self.dx_search.clear()
        self.dx_hits.clear()
        self.dx_hits.hide()

    def _add_diagnosis(self, code: str | None, description: str) -> None:
        item = QListWidgetItem(f"{code}  {description}" if code else f"(free text)  {description}")
        item.setData(Qt.ItemDataRole.UserRole, (code, description))
        self.diagnoses.addItem(item)

    def diagnosis_inputs(self) -> list[DiagnosisInput]:
        out = []
        for i in range(self.diagnoses.count()):
            code, description = self.diagnoses.item(i).data(Qt.ItemDataRole.UserRole)
            out.append(DiagnosisInput(icd10_code=code, description=description))
        return out

    def follow_up_value(self) -> Any:
        return clinic_time.day_of(self.follow_up.date()) if self.follow_up_on.isChecked() else None

    def _follow_up_in(self, days: int) -> None:
        self.follow_up_on.setChecked(True)
        self.follow_up.setDate(clinic_time.qtoday().addDays(days))

    # --- save

    def save(self, then: Any = None) -> None:
        """Write the notes, follow-up and diagnoses; ``then()`` runs after a successful save."""
        if self.visit is None or self.visit.consultation_id is None or self.saving:
            return
        self.saving = True
        self.save_button.setEnabled(False)
        self.errors.clear()
        cid = self.visit.consultation_id
        follow = clinic_time.day_of(self.follow_up.date()) if self.follow_up_on.isChecked() else None
        ctx = self.session.ctx
        complaint, findings, dx = self.complaint.text(), self.findings.toPlainText(), self.diagnosis_inputs()

        def both() -> ConsultationView:  # one transaction: both saved, or neither
            with ctx.transaction() as tx:
                update_consultation(ctx, cid, chief_complaint=complaint, findings=findings, follow_up_date=follow)
                view = set_diagnoses(ctx, cid, dx)
                tx.commit()
                return view

        run(self, both, done=lambda v: self._saved(v, then), failed=self._failed)

    def _saved(self, view: ConsultationView, then: Any) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.view = view
        self.saved_label.setText(f"Saved at {clinic_time.now():%H:%M}")
        if then is not None:
            then()

    def _failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.errors.show(exc)

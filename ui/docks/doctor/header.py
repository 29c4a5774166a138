"""The open patient at a glance (name, age, sex, code, allergies, last visit) and their history: earlier visits,
newest first, each with its diagnoses, prescriptions, lab results, eye prescriptions and vitals."""

from __future__ import annotations

from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.clinical.history import PatientHeader, VisitView, patient_header, patient_history
from hms_desktop.services.clinical.vitals import VitalsView, latest_vitals
from ui import clinic_time
from ui.qt import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import background

SEX = {"M": "Male", "F": "Female", "O": "Other", "U": ""}
WATCHED = (
    "patients",
    "patient_allergies",
    "consultations",
    "consultation_diagnoses",
    "prescriptions",
    "prescription_items",
    "lab_orders",
    "optical_prescriptions",
    "vitals",
)


def header_text(h: PatientHeader) -> str:
    age = "" if h.age is None else f"{'~' if h.age_is_approximate else ''}{h.age} y"
    parts = [p for p in (age, SEX.get(h.sex, h.sex), h.code) if p]
    if h.blood_group and h.blood_group != "unknown":
        parts.append(f"Blood group {h.blood_group}")
    last = f"Last visit {h.last_visit_date:%d %b %Y}" if h.last_visit_date else "First visit"
    return f"<b style='font-size:15px'>{h.name}</b> &nbsp; {' · '.join(parts)} &nbsp; <i>{last}</i>"


def allergy_text(h: PatientHeader) -> str:
    if not h.allergies:
        return "No known allergies recorded"
    items = ", ".join(
        f"{a.allergen}"
        + (f" ({a.reaction})" if a.reaction else "")
        + (f" {a.severity}" if a.severity != "unknown" else "")
        for a in h.allergies
    )
    return f"ALLERGIES: {items}"


def vitals_line(v: VitalsView) -> str:
    parts = []
    if v.systolic_mmhg and v.diastolic_mmhg:
        parts.append(f"BP {v.systolic_mmhg}/{v.diastolic_mmhg}")
    if v.pulse_bpm:
        parts.append(f"pulse {v.pulse_bpm}")
    if v.temperature_c is not None:
        fahrenheit = (v.temperature_c * 9 / 5 + 32).quantize(v.temperature_c)
        parts.append(f"{fahrenheit} F ({v.temperature_c} C)")
    if v.spo2_percent:
        parts.append(f"SpO2 {v.spo2_percent}%")
    if v.weight_kg is not None:
        parts.append(f"{v.weight_kg.normalize():f} kg")
    if v.bmi is not None:
        parts.append(f"BMI {v.bmi}")
    return ", ".join(parts)


def _visit_item(v: VisitView) -> QTreeWidgetItem:
    first = ", ".join(d.description for d in v.diagnoses) or v.chief_complaint or v.appointment_type.replace("_", " ")
    top = QTreeWidgetItem([f"{v.visit_date:%d %b %Y}", f"{v.doctor_name}: {first}"])
    for d in v.diagnoses:
        QTreeWidgetItem(top, ["Diagnosis", f"{d.icd10_code or ''} {d.description}".strip()])
    for rx in v.prescriptions:
        meds = "; ".join(
            f"{i.generic_name or i.medicine_name} {i.strength} {i.dosage} {i.frequency}"
            + (f" x {i.duration_days} d" if i.duration_days else "")
            for i in rx.items
        )
        QTreeWidgetItem(top, [f"Rx {rx.code}", meds])
    for lab in v.lab_orders:
        flag = f" [{lab.flag}]" if lab.flag and lab.flag != "normal" else ""
        QTreeWidgetItem(top, ["Lab", f"{lab.test_name}: {lab.status.replace('_', ' ')}{flag} {lab.summary}".strip()])
    for eye in v.eye_prescriptions:
        QTreeWidgetItem(top, [f"Eye {eye.code}", eye.summary])
    for vit in v.vitals[:1]:
        QTreeWidgetItem(top, ["Vitals", vitals_line(vit)])
    return top


class PatientPanel(QWidget):
    """The header (name line and allergies); ``history`` is its tree of earlier visits, which the dock shows in
    a tab of its own. ``set_patient(id)`` loads both; the change broadcast refreshes them."""

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient_id: Any = None
        self.header: PatientHeader | None = None
        self.visits: list[VisitView] = []
        self.title = QLabel("Open a patient from the queue")
        self.title.setObjectName("doctorPatientHeader")
        self.allergies = QLabel()
        self.allergies.setObjectName("doctorAllergies")
        self.allergies.setWordWrap(True)
        self.vitals = QLabel()
        self.vitals.setObjectName("doctorVitals")
        self.history = QTreeWidget(self)
        self.history.setObjectName("doctorHistory")
        self.history.setHeaderLabels(["Visit", "Details"])
        self.history.setColumnWidth(0, 130)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.title)
        box.addWidget(self.allergies)
        box.addWidget(self.vitals)
        session.changes.changed.connect(self.on_changes)

    def set_patient(self, patient_id: Any) -> None:
        self.patient_id = patient_id
        self.refresh()

    def on_changes(self, changes: Changes) -> None:
        if self.patient_id is not None and changes.touches(*WATCHED):
            self.refresh()

    def refresh(self) -> None:
        if self.patient_id is None:
            self.title.setText("Open a patient from the queue")
            self.allergies.clear()
            self.vitals.clear()
            self.history.clear()
            return
        pid = self.patient_id
        background(self, patient_header, self.session.ctx, pid, done=lambda h: self._header(pid, h))
        background(self, latest_vitals, self.session.ctx, pid, done=lambda v: self._vitals(pid, v))
        background(self, patient_history, self.session.ctx, pid, done=lambda vs: self._history(pid, vs))

    def _header(self, pid: Any, h: PatientHeader) -> None:
        if pid != self.patient_id:
            return
        self.header = h
        self.title.setText(header_text(h))
        self.allergies.setText(allergy_text(h))
        self.allergies.setStyleSheet("color: #b00020; font-weight: bold;" if h.allergies else "color: #555;")

    def _vitals(self, pid: Any, v: VitalsView | None) -> None:
        if pid != self.patient_id:
            return
        if v is None:
            self.vitals.setText("No vitals recorded")
            return
        when = clinic_time.local(v.recorded_at)
        day = "today" if when.date() == clinic_time.today() else f"{when:%d %b %Y}"
        self.vitals.setText(f"Vitals ({day} {when:%H:%M}): {vitals_line(v)}")

    def _history(self, pid: Any, visits: list[VisitView]) -> None:
        if pid != self.patient_id:
            return
        self.visits = visits
        self.history.clear()
        for v in visits:
            self.history.addTopLevelItem(_visit_item(v))
        first = self.history.topLevelItem(0)
        if first is not None:
            first.setExpanded(True)

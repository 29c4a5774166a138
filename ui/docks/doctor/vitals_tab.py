"""The visit's vitals and the patient's allergies.

Above, the latest vitals of this visit in one line ("BP 120/80 mmHg, pulse 72, 98.6 F, SpO2 98%, 70 kg, 172 cm,
BMI 23.7, recorded 10:42 by you"); below it, the form for a new set: blood pressure (systolic / diastolic),
pulse, respiratory rate, temperature in F (the default: Indian clinics write 98.6 F) or C, SpO2, weight in kg
and height in cm. Every reading is optional but one; the service checks each against its plausible range and
the message shows next to the field; nothing is written then. BMI is computed by the service and shown once
saved. Save is disabled while a save is on its way, so a double click saves once.

On the right, the patient's allergies (active first, then deactivated ones, greyed): add one (allergen, kind,
reaction, severity) or deactivate one with a reason (refuted, resolved); it is kept for history.

Recording vitals and allergies needs ``clinical.vitals``: others see the readings, not the buttons.
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hms_desktop.changes import Changes
from hms_desktop.services.clinical.allergies import (
    ALLERGEN_KINDS,
    ALLERGY_SEVERITIES,
    AllergyInput,
    AllergyView,
    add_allergy,
    deactivate_allergy,
    list_allergies,
)
from hms_desktop.services.clinical.vitals import VitalsInput, VitalsView, latest_vitals, record_vitals
from hms_desktop.services.reception.doctors import list_doctors
from ui import clinic_time
from ui.docks.doctor.visit import Visit
from ui.forms import FieldErrors
from ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    isValid,
)
from ui.session import AppSession
from ui.worker import background, run

WATCHED = ("vitals", "patient_allergies")
KIND_LABELS = {"medicine": "Medicine", "drug_class": "Drug class", "food": "Food", "other": "Other"}
ALLERGY_COLUMNS = ("Allergen", "Kind", "Reaction", "Severity", "Noted", "")
SEVERE = "#b00020"
INACTIVE = "#8a99a6"


def plain(value: Decimal) -> str:
    """70.500 -> "70.5", 172.0 -> "172"."""
    return format(value.normalize(), "f")


def temperature_text(celsius: Decimal, unit: str) -> str:
    if unit == "F":
        return f"{(celsius * 9 / 5 + 32).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} F"
    return f"{celsius.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} C"


def vitals_line(v: VitalsView, unit: str, by: str) -> str:
    """One set in one line, temperature in ``unit``; ``by`` says who recorded it ("you", "Dr Meera Iyer")."""
    parts = []
    if v.blood_pressure:
        parts.append(f"BP {v.blood_pressure} mmHg")
    if v.pulse_bpm is not None:
        parts.append(f"pulse {v.pulse_bpm}")
    if v.respiratory_rate is not None:
        parts.append(f"RR {v.respiratory_rate}/min")
    if v.temperature_c is not None:
        parts.append(temperature_text(v.temperature_c, unit))
    if v.spo2_percent is not None:
        parts.append(f"SpO2 {v.spo2_percent}%")
    if v.weight_kg is not None:
        parts.append(f"{plain(v.weight_kg)} kg")
    if v.height_cm is not None:
        parts.append(f"{plain(v.height_cm)} cm")
    if v.bmi is not None:
        parts.append(f"BMI {v.bmi}")
    local = clinic_time.local(v.recorded_at)
    at = f"{local:%H:%M}" if local.date() == clinic_time.today() else f"{local:%d %b %Y %H:%M}"
    return ", ".join(parts) + f", recorded {at} by {by}"


def whole(text: str) -> Any:
    """A typed whole number as an int; anything else as typed (the service names what is wrong with it)."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


class VitalsTab(QWidget):
    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.visit: Visit | None = None
        self.latest: VitalsView | None = None
        self.allergies: list[AllergyView] = []
        self.doctor_names: dict[uuid.UUID, str] = {}
        self.saving = self.adding = self.busy = self.dirty = False
        can_record = session.can("clinical.vitals")
        self.latest_label = QLabel("No vitals recorded at this visit yet")
        self.latest_label.setObjectName("latestVitals")
        self.latest_label.setWordWrap(True)
        self.systolic = self._edit("systolic", 56)
        self.diastolic = self._edit("diastolic", 56)
        self.pulse = self._edit("pulse", 70)
        self.respiratory = self._edit("respiratoryRate", 70)
        self.temperature = self._edit("temperature", 70)
        self.temperature_unit = QComboBox()
        self.temperature_unit.setObjectName("temperatureUnit")
        self.temperature_unit.addItem("F", "F")
        self.temperature_unit.addItem("C", "C")
        self.temperature_unit.currentIndexChanged.connect(self._unit_changed)
        self.spo2 = self._edit("spo2", 70)
        self.weight_kg = self._edit("weight", 70)
        self.height_cm = self._edit("height", 70)
        self.notes = QLineEdit()
        self.notes.setObjectName("vitalsNotes")
        self.notes.setPlaceholderText("optional")
        bp = self._row(self.systolic, QLabel("/"), self.diastolic, QLabel("mmHg"))
        pulse = self._row(self.pulse, QLabel("per min"))
        breaths = self._row(self.respiratory, QLabel("per min"))
        temperature = self._row(self.temperature, self.temperature_unit)
        spo2 = self._row(self.spo2, QLabel("%"))
        weight = self._row(self.weight_kg, QLabel("kg"))
        height = self._row(self.height_cm, QLabel("cm"))
        self.form = QFormLayout()
        for label, row in (("Blood pressure", bp), ("Pulse", pulse), ("Respiratory rate", breaths),
                           ("Temperature", temperature), ("SpO2", spo2), ("Weight", weight), ("Height", height),
                           ("Notes", self.notes)):  # fmt: skip
            self.form.addRow(label, row)
        general = QLabel()
        fields: dict[str, QWidget] = {
            "systolic_mmhg": bp, "diastolic_mmhg": bp, "pulse_bpm": pulse, "respiratory_rate": breaths,
            "temperature": temperature, "temperature_unit": temperature, "spo2_percent": spo2, "weight_kg": weight,
            "height_cm": height, "notes": self.notes,
        }  # fmt: skip
        self.errors = FieldErrors(self.form, fields, general)
        self.save_button = QPushButton("Save vitals")
        self.save_button.setObjectName("saveVitals")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.save_button.setVisible(can_record)
        for edit in self.readings():
            edit.returnPressed.connect(self.save)
            edit.setReadOnly(not can_record)
        vitals_box = QGroupBox("Vitals")
        vbox = QVBoxLayout(vitals_box)
        vbox.addWidget(general)
        vbox.addLayout(self.form)
        vbox.addWidget(self.save_button)
        vbox.addStretch()
        self.allergy_table = QTableWidget(0, len(ALLERGY_COLUMNS))
        self.allergy_table.setObjectName("allergies")
        self.allergy_table.setHorizontalHeaderLabels(list(ALLERGY_COLUMNS))
        self.allergy_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.allergy_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.allergy_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.allergy_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.allergy_table.verticalHeader().hide()
        self.allergy_table.itemSelectionChanged.connect(self._allergy_selected)
        self.allergen = QLineEdit()
        self.allergen.setObjectName("allergen")
        self.allergen.setPlaceholderText("generic name (Amoxicillin), class (Penicillins, NSAIDs) or food")
        self.kind = QComboBox()
        self.kind.setObjectName("allergyKind")
        for code in ALLERGEN_KINDS:
            self.kind.addItem(KIND_LABELS.get(code, code), code)
        self.reaction = QLineEdit()
        self.reaction.setObjectName("allergyReaction")
        self.reaction.setPlaceholderText("rash, swelling, breathlessness ...")
        self.severity = QComboBox()
        self.severity.setObjectName("allergySeverity")
        for code in ALLERGY_SEVERITIES:
            self.severity.addItem(code.capitalize() if code != "unknown" else "Not known", code)
        self.severity.setCurrentIndex(max(0, self.severity.findData("unknown")))
        add_form = QFormLayout()
        add_form.addRow("Allergen", self.allergen)
        add_form.addRow("Kind", self.kind)
        add_form.addRow("Reaction", self.reaction)
        add_form.addRow("Severity", self.severity)
        allergy_general = QLabel()
        self.allergy_errors = FieldErrors(
            add_form,
            {"allergen": self.allergen, "kind": self.kind, "reaction": self.reaction, "severity": self.severity},
            allergy_general,
        )
        self.add_button = QPushButton("Add allergy")
        self.add_button.setObjectName("addAllergy")
        self.add_button.clicked.connect(self.add)
        self.deactivate_button = QPushButton("Deactivate...")
        self.deactivate_button.setObjectName("deactivateAllergy")
        self.deactivate_button.setToolTip("Refuted or resolved: kept for history with the reason")
        self.deactivate_button.clicked.connect(self.deactivate)
        for w in (self.add_button, self.deactivate_button):
            w.setVisible(can_record)
        for line in (self.allergen, self.reaction):
            line.returnPressed.connect(self.add)
        self.add_box = QWidget()
        abox = QVBoxLayout(self.add_box)
        abox.setContentsMargins(0, 0, 0, 0)
        abox.addWidget(allergy_general)
        abox.addLayout(add_form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.deactivate_button)
        buttons.addStretch()
        abox.addLayout(buttons)
        self.add_box.setVisible(can_record)
        allergy_box = QGroupBox("Allergies")
        al = QVBoxLayout(allergy_box)
        al.addWidget(self.allergy_table, 1)
        al.addWidget(self.add_box)
        columns = QHBoxLayout()
        columns.addWidget(vitals_box, 2)
        columns.addWidget(allergy_box, 3)
        box = QVBoxLayout(self)
        box.addWidget(self.latest_label)
        box.addLayout(columns, 1)
        session.changes.changed.connect(self.on_changes)
        if session.can("doctors.view"):
            background(self, list_doctors, session.ctx, done=self._doctors, failed=lambda _e: None)
        self.set_visit(None)

    @staticmethod
    def _edit(name: str, width: int) -> QLineEdit:
        """A reading's box, empty until measured (no example value in it: one could pass for a reading)."""
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setFixedWidth(width)
        return edit

    @staticmethod
    def _row(first: QWidget, *rest: QWidget) -> QWidget:
        """``first`` and its unit in one form row; focus on the row goes to ``first``."""
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(first)
        for w in rest:
            line.addWidget(w)
        line.addStretch()
        row.setFocusProxy(first)
        return row

    def readings(self) -> list[QLineEdit]:
        return [self.systolic, self.diastolic, self.pulse, self.respiratory, self.temperature, self.spo2,
                self.weight_kg, self.height_cm, self.notes]  # fmt: skip

    def _doctors(self, doctors: list[Any]) -> None:
        if isValid(self):
            self.doctor_names = {d.user_id: d.display_name for d in doctors}
            self._show_latest()

    # --- the visit

    def set_visit(self, visit: Visit | None) -> None:
        def key(v: Visit | None) -> tuple[object, object] | None:
            return (v.patient_id, v.appointment_id) if v is not None else None

        same = visit is not None and key(visit) == key(self.visit)
        self.visit = visit
        self.setEnabled(visit is not None)
        if not same:
            for edit in self.readings():
                edit.clear()
            self.allergen.clear()
            self.reaction.clear()
            self.errors.clear()
            self.allergy_errors.clear()
            self.latest, self.allergies = None, []
            self._show_latest()
            self._fill_allergies()
        self.refresh(force=True)

    def on_changes(self, changes: Changes) -> None:
        if changes.touches(*WATCHED) and self.visit is not None:
            self.refresh(force=True)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:
            self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Fetch the visit's latest vitals and the patient's allergies (when shown; else once it is)."""
        if force:
            self.dirty = True
        if self.visit is None:
            return
        if self.busy or not self.isVisible():
            self.dirty = True
            return
        self.busy, self.dirty = True, False
        v, ctx = self.visit, self.session.ctx
        background(self, lambda: (latest_vitals(ctx, v.patient_id, v.appointment_id),
                           list_allergies(ctx, v.patient_id, include_inactive=True)),
            done=lambda got: self._fetched(v, got), failed=self._fetch_failed)  # fmt: skip

    def _fetch_failed(self, _exc: BaseException) -> None:
        if isValid(self):
            self.busy = False

    def _fetched(self, visit: Visit, got: tuple[VitalsView | None, list[AllergyView]]) -> None:
        if not isValid(self):
            return
        self.busy = False
        if self.dirty or self.visit != visit:
            self.refresh()
            return
        self.latest, self.allergies = got
        self._show_latest()
        self._fill_allergies()

    def _unit_changed(self, _index: int) -> None:
        self._show_latest()

    def _show_latest(self) -> None:
        v = self.latest
        if v is None:
            self.latest_label.setText("No vitals recorded at this visit yet" if self.visit else "")
            return
        who = v.recorded_by_id
        by = "you" if who is not None and who == self.session.actor.user_id else ""
        by = by or (self.doctor_names.get(who, "") if who is not None else "") or "another member of staff"
        self.latest_label.setText(f"<b>Latest:</b> {vitals_line(v, self.temperature_unit.currentData(), by)}")

    # --- saving vitals

    def data(self) -> VitalsInput:
        return VitalsInput(
            systolic_mmhg=whole(self.systolic.text()),
            diastolic_mmhg=whole(self.diastolic.text()),
            pulse_bpm=whole(self.pulse.text()),
            respiratory_rate=whole(self.respiratory.text()),
            temperature=self.temperature.text().strip() or None,
            temperature_unit=str(self.temperature_unit.currentData()),
            spo2_percent=whole(self.spo2.text()),
            weight_kg=self.weight_kg.text().strip() or None,
            height_cm=self.height_cm.text().strip() or None,
            notes=self.notes.text(),
        )

    def save(self) -> None:
        if self.visit is None or self.saving or not self.save_button.isEnabled():
            return  # a double click while saving does nothing
        self.saving = True
        self.save_button.setEnabled(False)
        self.errors.clear()
        v = self.visit
        run(self, record_vitals, self.session.ctx, v.patient_id, self.data(), v.appointment_id,
            done=self._saved, failed=self._save_failed, label="Saving vitals...")  # fmt: skip

    def _saved(self, view: VitalsView) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        for edit in self.readings():
            edit.clear()
        self.latest = view
        self._show_latest()
        self.systolic.setFocus()

    def _save_failed(self, exc: BaseException) -> None:
        self.saving = False
        self.save_button.setEnabled(True)
        self.errors.show(exc)
        if getattr(exc, "field", "") == "diastolic_mmhg":
            self.diastolic.setFocus()

    # --- allergies

    def _fill_allergies(self) -> None:
        chosen = self.current_allergy()
        rows = self.allergies
        self.allergy_table.blockSignals(True)
        self.allergy_table.setRowCount(len(rows))
        for r, a in enumerate(rows):
            noted = a.noted_on.strftime("%d %b %Y") if a.noted_on else ""
            cells = [a.allergen, KIND_LABELS.get(a.kind, a.kind), a.reaction,
                     a.severity if a.severity != "unknown" else "not known", noted,
                     "" if a.is_active else "deactivated"]  # fmt: skip
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not a.is_active:
                    item.setForeground(QBrush(QColor(INACTIVE)))
                elif a.severity == "severe":
                    item.setForeground(QBrush(QColor(SEVERE)))
                self.allergy_table.setItem(r, c, item)
            if chosen is not None and chosen.id == a.id:
                self.allergy_table.selectRow(r)
        self.allergy_table.blockSignals(False)
        self._allergy_selected()

    def current_allergy(self) -> AllergyView | None:
        row = self.allergy_table.currentRow()
        selected = self.allergy_table.selectionModel().hasSelection()
        return self.allergies[row] if selected and 0 <= row < len(self.allergies) else None

    def _allergy_selected(self) -> None:
        a = self.current_allergy()
        self.deactivate_button.setEnabled(a is not None and a.is_active)

    def add(self) -> None:
        if self.visit is None or self.adding:
            return
        self.adding = True
        self.add_button.setEnabled(False)
        self.allergy_errors.clear()
        data = AllergyInput(
            allergen=self.allergen.text(),
            kind=str(self.kind.currentData()),
            reaction=self.reaction.text(),
            severity=str(self.severity.currentData()),
        )
        run(self, add_allergy, self.session.ctx, self.visit.patient_id, data, done=self._added,
            failed=self._add_failed, label="Saving the allergy...")  # fmt: skip

    def _added(self, _view: AllergyView) -> None:
        self.adding = False
        self.add_button.setEnabled(True)
        self.allergen.clear()
        self.reaction.clear()
        self.kind.setCurrentIndex(0)
        self.severity.setCurrentIndex(max(0, self.severity.findData("unknown")))
        self.refresh(force=True)
        self.allergen.setFocus()

    def _add_failed(self, exc: BaseException) -> None:
        self.adding = False
        self.add_button.setEnabled(True)
        self.allergy_errors.show(exc)

    def deactivate(self) -> None:
        a = self.current_allergy()
        if a is None or not a.is_active:
            return
        reason, ok = QInputDialog.getText(
            self, "Deactivate allergy", f"Why is the allergy to {a.allergen} no longer active? (refuted, resolved)"
        )
        if not ok:
            return
        self.allergy_errors.clear()
        run(self, deactivate_allergy, self.session.ctx, a.id, reason, done=lambda _v: self.refresh(force=True),
            failed=self.allergy_errors.show, label="Saving...")  # fmt: skip

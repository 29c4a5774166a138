"""Register or edit a patient: every field with its message beside it, the possible-duplicates warning."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hms_desktop.services.reception.patients import (
    BLOOD_GROUPS,
    ID_TYPES,
    PRIORITY_GROUPS,
    PatientInput,
    PatientView,
    PossibleDuplicates,
    register_patient,
    update_patient,
)
from hms_desktop.validation import GST_STATE_CODES
from ui import clinic_time
from ui.forms import FieldErrors
from ui.qt import (
    QCheckBox,
    QComboBox,
    QDate,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    Signal,
)
from ui.session import AppSession
from ui.worker import run

GENDERS = (("F", "Female"), ("M", "Male"), ("O", "Other"), ("U", "Not stated"))
NO_AGE = -1  # the age box's "age not known"
ID_NUMBER_HINT = "Aadhaar: only the last 4 digits are kept"


class PatientForm(QWidget):
    saved = Signal(object)  # PatientView

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient_id: uuid.UUID | None = None
        self.title = QLabel("New patient")
        self.title.setObjectName("formTitle")
        form = QFormLayout()
        self.name = self._line("fullName", "Full name as on an ID")
        self.gender = QComboBox()
        self.gender.setObjectName("gender")
        self.gender.addItem("", None)  # a new patient: none chosen until the desk asks (required)
        for code, label in GENDERS:
            self.gender.addItem(label, code)
        self.dob_known = QCheckBox("Date of birth known")
        self.dob = QDateEdit()
        self.dob.setObjectName("dateOfBirth")
        self.dob.setDisplayFormat("dd-MM-yyyy")
        self.dob.setCalendarPopup(True)
        self.dob.setEnabled(False)
        self.age = QSpinBox()
        self.age.setObjectName("ageYears")
        self.age.setRange(NO_AGE, 130)
        self.age.setSpecialValueText("age not known")  # shown at NO_AGE: no age is sent
        self.age.setSuffix(" years")
        self.age.setValue(NO_AGE)
        self.dob_known.toggled.connect(self._dob_known)
        born = QHBoxLayout()
        for w in (self.dob_known, self.dob, self.age):
            born.addWidget(w)
        self.phone = self._line("phone", "10-digit mobile")
        self.alt_phone = self._line("alternatePhone", "optional")
        self.email = self._line("email", "optional")
        self.blood = QComboBox()
        self.blood.setObjectName("bloodGroup")
        self.blood.addItems(list(BLOOD_GROUPS))
        self.blood.setCurrentText("unknown")
        self.address = self._line("address", "house, street")
        self.city = self._line("city", "")
        self.state = QComboBox()
        self.state.setObjectName("state")
        self.state.addItem("", None)
        for code, name in sorted(GST_STATE_CODES.items(), key=lambda kv: kv[1]):
            self.state.addItem(f"{name} ({code})", code)
        self.pincode = self._line("pincode", "6 digits")
        self.emergency_name = self._line("emergencyName", "")
        self.emergency_phone = self._line("emergencyPhone", "")
        self.id_type = QComboBox()
        self.id_type.setObjectName("idType")
        self.id_type.addItems(list(ID_TYPES))
        self.id_type.setCurrentText("none")
        self.id_number = self._line("idNumber", ID_NUMBER_HINT)
        self.priority = QComboBox()
        self.priority.setObjectName("priorityGroup")
        self.priority.addItem("", None)
        for g in PRIORITY_GROUPS:
            self.priority.addItem(g.replace("_", " "), g)
        rows: list[tuple[str, Any]] = [
            ("Name *", self.name),
            ("Sex *", self.gender),
            ("Born", born),
            ("Mobile", self.phone),
            ("Other phone", self.alt_phone),
            ("Email", self.email),
            ("Blood group", self.blood),
            ("Address", self.address),
            ("City", self.city),
            ("State", self.state),
            ("PIN code", self.pincode),
            ("Emergency contact", self.emergency_name),
            ("Emergency phone", self.emergency_phone),
            ("ID type", self.id_type),
            ("ID number", self.id_number),
            ("Priority group", self.priority),
        ]
        for label, widget in rows:
            form.addRow(label, widget)
        general = QLabel()
        self.errors = FieldErrors(
            form,
            {
                "full_name": self.name,
                "gender": self.gender,
                "date_of_birth": self.dob,
                "age_years": self.age,
                "phone": self.phone,
                "alternate_phone": self.alt_phone,
                "email": self.email,
                "pincode": self.pincode,
                "state_code": self.state,
                "emergency_contact_phone": self.emergency_phone,
                "id_number": self.id_number,
            },
            general,
        )
        self.save_button = QPushButton("Save patient")
        self.save_button.setObjectName("savePatient")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch()
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(general)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addStretch()
        self.lines = [self.name, self.phone, self.alt_phone, self.email, self.address, self.city, self.pincode]
        self.lines += [self.emergency_name, self.emergency_phone, self.id_number]
        for line in self.lines:
            line.returnPressed.connect(self.save)
        self._blank()

    def _dob_known(self, known: bool) -> None:
        self.dob.setEnabled(known)
        self.age.setEnabled(not known)

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def data(self) -> PatientInput:
        d = self.dob.date()
        return PatientInput(
            full_name=self.name.text(),
            gender=self.gender.currentData(),
            date_of_birth=clinic_time.day_of(d) if self.dob_known.isChecked() else None,
            age_years=None if self.dob_known.isChecked() or self.age.value() == NO_AGE else self.age.value(),
            phone=self.phone.text(),
            alternate_phone=self.alt_phone.text(),
            email=self.email.text(),
            blood_group=self.blood.currentText(),
            address_line1=self.address.text(),
            city=self.city.text(),
            state_code=self.state.currentData(),
            pincode=self.pincode.text(),
            emergency_contact_name=self.emergency_name.text(),
            emergency_contact_phone=self.emergency_phone.text(),
            id_type=self.id_type.currentText(),
            id_number=self.id_number.text(),
            priority_group=self.priority.currentData(),
        )

    def save(self, allow_duplicates: bool = False) -> None:
        if not self.save_button.isEnabled():
            return  # a double click while saving does nothing
        self.save_button.setEnabled(False)
        self.errors.clear()
        data, pid, ctx = self.data(), self.patient_id, self.session.ctx
        call: Callable[[], PatientView]
        if pid is None:
            call = lambda: register_patient(ctx, data, allow_duplicates=allow_duplicates)  # noqa: E731
        else:
            call = lambda: update_patient(ctx, pid, data, allow_duplicates=allow_duplicates)  # noqa: E731
        run(self, call, done=self._saved, failed=self._failed, label="Saving...")

    def _saved(self, view: PatientView) -> None:
        self.save_button.setEnabled(True)
        self.show_patient(view)
        self.saved.emit(view)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, PossibleDuplicates):
            names = "\n".join(f"  {c.code}  {c.full_name}  ({c.reason})" for c in exc.candidates)
            answer = QMessageBox.question(
                self,
                "Possible duplicate",
                f"These patients look the same:\n{names}\n\nSave as a new patient anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,  # the safe choice: Enter goes back to the form
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.save(allow_duplicates=True)
            return
        self.errors.show(exc)

    def clear(self) -> None:
        self.patient_id = None
        self.title.setText("New patient")
        self._blank()
        self.errors.clear()
        self.name.setFocus()

    def _blank(self) -> None:
        """Every field empty or unknown; the clinic's state is the only default."""
        for w in self.lines:
            w.clear()
        self.id_number.setPlaceholderText(ID_NUMBER_HINT)
        self.gender.setCurrentIndex(0)  # none: the desk asks
        self.dob_known.setChecked(False)
        self.dob.setDate(clinic_time.qtoday())
        self.age.setValue(NO_AGE)
        self.blood.setCurrentText("unknown")
        self.state.setCurrentIndex(max(0, self.state.findData(self.session.desk.state_code)))
        self.id_type.setCurrentText("none")
        self.priority.setCurrentIndex(0)

    def show_patient(self, p: PatientView) -> None:
        self.patient_id = p.id
        self.title.setText(f"{p.code}  {p.full_name}")
        self.name.setText(p.full_name)
        self.gender.setCurrentIndex(max(0, self.gender.findData(p.gender)))
        self.dob_known.setChecked(p.date_of_birth is not None and not p.dob_is_approximate)
        if p.date_of_birth:
            self.dob.setDate(QDate(p.date_of_birth.year, p.date_of_birth.month, p.date_of_birth.day))
        self.age.setValue(NO_AGE if p.age is None else p.age)
        self.phone.setText(p.phone or "")
        self.alt_phone.setText(p.alternate_phone or "")
        self.email.setText(p.email or "")
        self.blood.setCurrentText(p.blood_group)
        self.address.setText(p.address_line1)
        self.city.setText(p.city)
        self.state.setCurrentIndex(max(0, self.state.findData(p.state_code)))
        self.pincode.setText(p.pincode)
        self.emergency_name.setText(p.emergency_contact_name)
        self.emergency_phone.setText(p.emergency_contact_phone)
        self.id_type.setCurrentText(p.id_type)
        self.id_number.setText("")
        self.id_number.setPlaceholderText(p.id_number_masked or "")
        self.priority.setCurrentIndex(max(0, self.priority.findData(p.priority_group)))

"""A doctor's profile form: the staff account (someone holding the Doctor role), the name patients see, the
department, specialization, qualification, registration number and council, and the consultation length."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from hms_desktop.services.admin.departments import DepartmentView
from hms_desktop.services.admin.users import UserView
from hms_desktop.services.reception.doctors import (
    DoctorInput,
    DoctorView,
    create_doctor,
    deactivate_doctor,
    update_doctor,
)
from ui.docks.admin.common import button, line, message_label, row_of, say
from ui.forms import FieldErrors, find_data
from ui.qt import QComboBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget, Signal
from ui.session import AppSession
from ui.worker import run

DOCTOR_ROLE = "Doctor"
LABELS = (
    "Staff account *",
    "Name shown *",
    "Department",
    "Specialization *",
    "Qualification *",
    "Registration no. *",
    "Medical council *",
    "Consultation length",
    "About",
)


class ProfileForm(QWidget):
    saved = Signal(object)  # DoctorView
    deactivated = Signal(object)  # DoctorView

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.manage = session.can("doctors.manage")
        self.editing: DoctorView | None = None
        self.users: list[UserView] = []  # active staff holding the Doctor role
        self.taken: set[uuid.UUID] = set()  # accounts that already have a profile
        self._suggested = ""
        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.user = QComboBox()
        self.user.setObjectName("doctorUser")
        self.user.currentIndexChanged.connect(self._user_chosen)
        self.display_name = line("doctorDisplayName", "as patients see it, e.g. Dr. Meera Iyer", self.save)
        self.department = QComboBox()
        self.department.setObjectName("doctorDepartment")
        self.department.addItem("(none)", None)
        self.specialization = line("doctorSpecialization", "e.g. Ophthalmology", self.save)
        self.qualification = line("doctorQualification", "e.g. MBBS, MS (Ophth)", self.save)
        self.registration_number = line("doctorRegistration", "e.g. KMC 12345", self.save)
        self.registration_council = line("doctorCouncil", "e.g. Karnataka Medical Council", self.save)
        self.minutes = QSpinBox()
        self.minutes.setObjectName("doctorMinutes")
        self.minutes.setRange(0, 999)  # the service says what is allowed
        self.minutes.setSuffix(" minutes")
        self.bio = line("doctorBio", "optional", self.save)
        fields: dict[str, QWidget] = {
            "user_id": self.user,
            "display_name": self.display_name,
            "department_id": self.department,
            "specialization": self.specialization,
            "qualification": self.qualification,
            "registration_number": self.registration_number,
            "registration_council": self.registration_council,
            "default_consultation_minutes": self.minutes,
            "bio": self.bio,
        }
        form = QFormLayout()
        for label, widget in zip(LABELS, fields.values(), strict=True):
            form.addRow(label, widget)
        general = QLabel()
        self.errors = FieldErrors(form, fields, general)
        self.save_button = button("Add doctor", "saveDoctor", self.save)
        self.deactivate_button = button("Deactivate", "deactivateDoctor", self.deactivate)
        self.status = message_label("doctorsStatus")
        box = QVBoxLayout(self)
        box.addWidget(self.title)
        box.addWidget(general)
        box.addLayout(form)
        box.addLayout(row_of(self.save_button, self.deactivate_button))
        box.addWidget(self.status)
        box.addStretch()
        for w in (self.save_button, self.deactivate_button):
            w.setVisible(self.manage)

    # --- the lists behind the combo boxes

    def set_lists(
        self, users: list[UserView] | None, departments: list[DepartmentView] | None, taken: set[uuid.UUID]
    ) -> None:
        if users is not None:
            self.users = [u for u in users if DOCTOR_ROLE in u.roles]
        self.taken = taken
        chosen, chosen_name = self.department.currentData(), self.department.currentText()
        self.department.clear()
        self.department.addItem("(none)", None)
        for dept in departments or []:
            self.department.addItem(dept.name, dept.id)
        self._choose_department(chosen, chosen_name)
        self._users_combo()

    def _users_combo(self) -> None:
        """New profile: the Doctor-role accounts with no profile yet; an existing one: the doctor's own account."""
        self.user.blockSignals(True)
        self.user.clear()
        if self.editing is not None:
            self.user.addItem(self.editing.display_name, self.editing.user_id)
        else:
            self.user.addItem("(choose a staff account with the Doctor role)", None)
            for u in self.users:
                if u.id not in self.taken:
                    self.user.addItem(f"{u.full_name} <{u.email}>", u.id)
        self.user.setEnabled(self.editing is None and self.manage)
        self.user.blockSignals(False)

    def _user_chosen(self, _index: int) -> None:
        user = next((u for u in self.users if u.id == self.user.currentData()), None)
        if user is not None and self.display_name.text() in ("", self._suggested):
            self._suggested = f"Dr. {user.full_name}"  # a suggestion: replaced when another account is chosen
            self.display_name.setText(self._suggested)

    def _choose_department(self, dept_id: uuid.UUID | None, name: str | None) -> None:
        """Select the department (an inactive one is listed for the doctor who still names it)."""
        if dept_id is not None and find_data(self.department, dept_id) < 0:
            self.department.addItem(name or "(inactive department)", dept_id)
        self.department.setCurrentIndex(max(0, find_data(self.department, dept_id)))

    # --- showing

    def show_doctor(self, d: DoctorView) -> None:
        self.editing = d
        self.title.setText(d.display_name + ("" if d.is_active else " (inactive)"))
        self.save_button.setText("Save changes")
        self._users_combo()
        self.display_name.setText(d.display_name)
        self._choose_department(d.department_id, d.department_name)
        self.specialization.setText(d.specialization)
        self.qualification.setText(d.qualification)
        self.registration_number.setText(d.registration_number)
        self.registration_council.setText(d.registration_council)
        self.minutes.setValue(d.default_consultation_minutes)
        self.bio.setText(d.bio)
        self.errors.clear()
        self.deactivate_button.setEnabled(d.is_active)

    def clear(self) -> None:
        self.editing = None
        self._suggested = ""
        self.title.setText("New doctor")
        self.save_button.setText("Add doctor")
        for w in (
            self.display_name,
            self.specialization,
            self.qualification,
            self.registration_number,
            self.registration_council,
            self.bio,
        ):
            w.clear()
        self.minutes.setValue(15)
        self.department.setCurrentIndex(0)
        self.errors.clear()
        self.deactivate_button.setEnabled(False)
        self._users_combo()
        self.user.setFocus()

    # --- saving

    def data(self) -> DoctorInput:
        return DoctorInput(
            user_id=self.user.currentData(),
            display_name=self.display_name.text(),
            specialization=self.specialization.text(),
            qualification=self.qualification.text(),
            registration_number=self.registration_number.text(),
            registration_council=self.registration_council.text(),
            department_id=self.department.currentData(),
            default_consultation_minutes=self.minutes.value(),
            bio=self.bio.text(),
        )

    def save(self) -> None:
        if not self.manage or not self.save_button.isEnabled():
            return
        self.errors.clear()
        ctx, data, editing = self.session.ctx, self.data(), self.editing
        call: Callable[[], DoctorView]
        if editing is None:
            call = lambda: create_doctor(ctx, data)  # noqa: E731
        else:
            call = lambda: update_doctor(ctx, editing.id, data)  # noqa: E731
        self.save_button.setEnabled(False)
        run(self, call, done=self._saved, failed=self._failed, label="Saving...")

    def _saved(self, d: DoctorView) -> None:
        self.save_button.setEnabled(True)
        say(self.status, f"Saved {d.display_name}. Set the weekly schedule and fees in the next tabs.")
        self.saved.emit(d)

    def _failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.errors.show(exc)

    def deactivate(self) -> None:
        d = self.editing
        if d is None or not self.manage:
            return
        ctx = self.session.ctx

        def done(v: DoctorView) -> None:
            say(self.status, f"{v.display_name} is inactive.")
            self.deactivated.emit(v)

        run(self, lambda: deactivate_doctor(ctx, d.id), done=done, failed=self.errors.show)

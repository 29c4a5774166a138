"""Doctors tab: the doctors on the left; on the right the selected doctor's profile (or a new one), weekly
schedule, leaves and fees."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hms_desktop.services.admin.departments import DepartmentView, list_departments
from hms_desktop.services.admin.users import UserView, list_users
from hms_desktop.services.reception.doctors import DoctorView, list_doctors
from ui.docks.admin.common import AdminTab, button, fill, row_key, row_of, select_key, table
from ui.docks.admin.doctor_fees import FeesPanel
from ui.docks.admin.doctor_leaves import LeavesPanel
from ui.docks.admin.doctor_profile import ProfileForm
from ui.docks.admin.doctor_schedule import SchedulePanel
from ui.qt import QCheckBox, QSplitter, Qt, QTabWidget, QVBoxLayout, QWidget
from ui.session import AppSession
from ui.worker import run


@dataclass
class Lists:
    doctors: list[DoctorView]
    users: list[UserView] | None  # None: the signed-in user may not see staff accounts
    departments: list[DepartmentView] | None
    taken: set[uuid.UUID]  # accounts that have a doctor profile (active or not)


class DoctorsTab(AdminTab):
    WATCHED = ("doctors", "doctor_schedules", "doctor_leaves", "doctor_fees", "departments")

    def __init__(self, session: AppSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.manage = session.can("doctors.manage")
        self.doctors: dict[uuid.UUID, DoctorView] = {}
        self.table = table("doctorsTable", ["Name", "Specialization", "Department", "Registration", "Status"])
        self.table.itemSelectionChanged.connect(self._selected)
        self.show_inactive = QCheckBox("Show inactive doctors")
        self.show_inactive.setObjectName("showInactiveDoctors")
        self.show_inactive.toggled.connect(lambda _on: self.refresh())
        self.new_button = button("New doctor", "newDoctor", self.clear)
        self.new_button.setVisible(self.manage)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.show_inactive)
        lbox.addWidget(self.table)
        lbox.addLayout(row_of(self.new_button))
        self.profile = ProfileForm(session)
        self.profile.saved.connect(self._saved)
        self.profile.deactivated.connect(self._deactivated)
        self.schedule = SchedulePanel(session)
        self.leaves = LeavesPanel(session)
        self.fees = FeesPanel(session)
        self.panels: list[SchedulePanel | LeavesPanel | FeesPanel] = [self.schedule, self.leaves, self.fees]
        self.pages = QTabWidget()
        self.pages.setObjectName("doctorPages")
        self.pages.addTab(self.profile, "Profile")
        self.pages.addTab(self.schedule, "Weekly schedule")
        self.pages.addTab(self.leaves, "Leaves")
        self.pages.addTab(self.fees, "Fees")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.pages)
        split.setStretchFactor(1, 2)
        split.setSizes([450, 600])
        QVBoxLayout(self).addWidget(split)
        self.clear()

    @property
    def editing(self) -> DoctorView | None:
        return self.profile.editing

    def refresh(self) -> None:
        ctx, inactive = self.session.ctx, self.show_inactive.isChecked()
        users_too, depts_too = self.session.can("users.view"), self.session.can("settings.view")

        def load() -> Lists:
            everyone = list_doctors(ctx, active_only=False)
            return Lists(
                [d for d in everyone if d.is_active or inactive],
                list_users(ctx, include_disabled=False) if users_too else None,
                list_departments(ctx) if depts_too else None,
                {d.user_id for d in everyone},
            )

        run(self, load, done=self._loaded)

    def _loaded(self, lists: Lists) -> None:
        self.doctors = {d.id: d for d in lists.doctors}
        rows = [
            [
                d.display_name,
                d.specialization,
                d.department_name or "",
                d.registration_number,
                "active" if d.is_active else "inactive",
            ]
            for d in lists.doctors
        ]
        fill(self.table, rows, [d.id for d in lists.doctors])
        select_key(self.table, self.editing.id if self.editing is not None else None)
        self.profile.set_lists(lists.users, lists.departments, lists.taken)

    def selected(self) -> DoctorView | None:
        key = row_key(self.table)
        return self.doctors.get(key) if key is not None else None

    def _selected(self) -> None:
        d = self.selected()
        if d is not None:
            self.show_doctor(d)

    def show_doctor(self, d: DoctorView) -> None:
        self.profile.show_doctor(d)
        for i, panel in enumerate(self.panels, start=1):
            self.pages.setTabEnabled(i, True)
            panel.set_doctor(d)

    def clear(self) -> None:
        self.table.clearSelection()
        self.profile.clear()
        for i, panel in enumerate(self.panels, start=1):
            self.pages.setTabEnabled(i, False)
            panel.set_doctor(None)
        self.pages.setCurrentIndex(0)

    def _deactivated(self, _doctor: DoctorView) -> None:
        self.clear()
        self.refresh()

    def _saved(self, d: DoctorView) -> None:
        self.doctors[d.id] = d
        self.show_doctor(d)
        self.refresh()

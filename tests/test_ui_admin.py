"""The Admin dock, driven through its real widgets (offscreen) against a real store: users, the permission
matrix, settings, departments, taxes, doctors with their schedule, leaves and fees; and who is offered it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from hms_desktop.services.admin.departments import create_department, list_departments
from hms_desktop.services.admin.hospital import get_hospital, get_logo, get_settings
from hms_desktop.services.admin.roles import list_roles
from hms_desktop.services.admin.taxes import list_taxes
from hms_desktop.services.admin.users import list_users
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.doctor_fees import list_fees
from hms_desktop.services.reception.doctor_schedules import list_leaves, list_schedule
from hms_desktop.services.reception.doctors import list_doctors
from hms_desktop.settings import SMTP_PASSWORD_KEY
from hms_desktop.storage.store import Store
from tests.reception_fixtures import MONDAY, clinic_day, patient
from tests.ui_support import signed_in_window
from ui.docks.admin.common import date_of
from ui.forms import find_data
from ui.qt import QDate, QMessageBox, Qt, QTest, QTime
from ui.worker import worker

WAIT = 5000


@pytest.fixture(autouse=True)
def settle(qtbot: Any) -> Iterator[None]:
    """Every background job has delivered before the widgets go away."""
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are recorded, never shown (a question is answered Yes)."""
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2]}"))
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: shown.append(f"question: {a[2]}") or QMessageBox.StandardButton.Yes
    )
    return shown


@pytest.fixture
def admin(qtbot: Any, store: Store, tmp_path: Path, dialogs: list[str]) -> Any:
    window = signed_in_window(qtbot, store, tmp_path)
    return window.dock_widget("admin")


def type_into(widget: Any, text: str) -> None:
    widget.clear()
    QTest.keyClicks(widget, text)


def enter(widget: Any) -> None:
    QTest.keyClick(widget, Qt.Key.Key_Return)


def click(button: Any) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_create_user_through_the_form(qtbot: Any, admin: Any, system_ctx: Any, dialogs: list[str]) -> None:
    users = admin.show_tab("users")
    qtbot.waitUntil(lambda: "Receptionist" in users.role_checks and users.table.rowCount() == 1, timeout=WAIT)
    type_into(users.email, "kavya.menon@")
    type_into(users.name, "Kavya Menon")
    type_into(users.phone, "98450 11223")
    users.role_checks["Receptionist"].setChecked(True)
    users.role_checks["Nurse"].setChecked(True)
    type_into(users.password, "Tamarind-Kite-2031")
    enter(users.email)  # Enter submits
    qtbot.waitUntil(lambda: users.errors.message_for("email") != "", timeout=WAIT)
    assert "email" in users.errors.message_for("email").lower()
    assert len(list_users(system_ctx)) == 1  # nothing was created
    type_into(users.email, "kavya.menon@sunrise.example.in")
    enter(users.password)
    qtbot.waitUntil(lambda: users.table.rowCount() == 2, timeout=WAIT)
    assert users.errors.message_for("email") == ""
    shown = [users.table.item(r, 1).text() for r in range(2)]
    assert "kavya.menon@sunrise.example.in" in shown
    made = next(u for u in list_users(system_ctx) if u.email == "kavya.menon@sunrise.example.in")
    assert set(made.roles) == {"Receptionist", "Nurse"} and made.phone == "9845011223" and made.must_change_password
    assert not dialogs


def test_edit_roles_disable_enable_and_reset(qtbot: Any, admin: Any, system_ctx: Any, make_user: Any) -> None:
    staff = make_user("Receptionist", email="desk@sunrise.example.in", name="Ravi Desk")
    users = admin.show_tab("users")
    qtbot.waitUntil(lambda: users.table.rowCount() == 2 and "Cashier" in users.role_checks, timeout=WAIT)
    row = next(r for r in range(2) if users.table.item(r, 1).text() == staff.email)
    users.table.selectRow(row)
    assert users.editing is not None and users.email.isReadOnly() and users.role_checks["Receptionist"].isChecked()
    users.role_checks["Cashier"].setChecked(True)
    click(users.save_button)
    qtbot.waitUntil(lambda: "Saved" in users.status.text(), timeout=WAIT)
    assert set(next(u for u in list_users(system_ctx) if u.id == staff.id).roles) == {"Receptionist", "Cashier"}
    users.table.selectRow(row)
    click(users.disable_button)  # the confirmation is answered Yes by the fixture
    qtbot.waitUntil(lambda: next(u for u in list_users(system_ctx) if u.id == staff.id).status == "disabled")
    qtbot.waitUntil(users.enable_button.isEnabled, timeout=WAIT)
    click(users.enable_button)
    qtbot.waitUntil(lambda: next(u for u in list_users(system_ctx) if u.id == staff.id).status == "active")
    type_into(users.reset_password, "short")
    enter(users.reset_password)
    qtbot.waitUntil(lambda: users.reset_errors.message_for("password") != "", timeout=WAIT)
    type_into(users.reset_password, "Monsoon-Lantern-2032")
    enter(users.reset_password)
    qtbot.waitUntil(lambda: "temporary password" in users.status.text(), timeout=WAIT)
    assert next(u for u in list_users(system_ctx) if u.id == staff.id).must_change_password


def test_permission_matrix(qtbot: Any, admin: Any, system_ctx: Any, make_user: Any) -> None:
    make_user("Receptionist")  # the role is in use, so it cannot be deleted
    roles = admin.show_tab("roles")
    qtbot.waitUntil(lambda: "Receptionist" in roles.columns, timeout=WAIT)
    cell = roles.cell("billing.view", "Receptionist")
    assert cell.checkState() == Qt.CheckState.Unchecked and not roles.save_button.isEnabled()
    roles.matrix.setFocus()
    roles.matrix.setCurrentItem(cell)
    QTest.keyClick(roles.matrix, Qt.Key.Key_Space)  # Space ticks the selected box
    assert roles.cell("billing.view", "Receptionist").checkState() == Qt.CheckState.Checked
    assert roles.save_button.isEnabled() and "Receptionist" in roles.message.text()
    # Super Admin's column cannot be changed
    boss = roles.cell("billing.view", "Super Admin")
    assert boss.checkState() == Qt.CheckState.Checked
    assert not boss.flags() & Qt.ItemFlag.ItemIsUserCheckable
    roles.matrix.setCurrentItem(boss)
    QTest.keyClick(roles.matrix, Qt.Key.Key_Space)
    assert boss.checkState() == Qt.CheckState.Checked and [r.name for r in roles.changed_roles()] == ["Receptionist"]
    click(roles.save_button)
    qtbot.waitUntil(lambda: "Saved" in roles.message.text(), timeout=WAIT)
    stored = {r.name: r for r in list_roles(system_ctx)}
    assert "billing.view" in stored["Receptionist"].permissions
    assert "billing.view" not in stored["Nurse"].permissions
    # a new role, then deleting a role in use shows the service's message
    type_into(roles.new_name, "Night Desk")
    enter(roles.new_name)
    qtbot.waitUntil(lambda: "Night Desk" in roles.columns, timeout=WAIT)
    assert any(r.name == "Night Desk" and not r.permissions for r in list_roles(system_ctx))
    roles.delete_role(stored["Receptionist"].id)
    qtbot.waitUntil(lambda: "still given to 1 user" in roles.message.text(), timeout=WAIT)
    night = next(r for r in list_roles(system_ctx) if r.name == "Night Desk")
    roles.matrix.setCurrentCell(roles.rows["patients.view"], roles.columns["Night Desk"])
    click(roles.delete_button)
    qtbot.waitUntil(lambda: "Night Desk" not in roles.columns, timeout=WAIT)
    assert night.id not in {r.id for r in list_roles(system_ctx)}


def test_settings_bad_value_then_good(qtbot: Any, admin: Any, system_ctx: Any, tmp_path: Path) -> None:
    settings = admin.show_tab("settings")
    qtbot.waitUntil(lambda: settings.fields["name"].text() == "Sunrise Clinic", timeout=WAIT)
    prefix = settings.settings["patient_prefix"]
    assert prefix.text() == "PAT"
    type_into(prefix, "P1")
    settings.settings["idle_lock_minutes"].setValue(15)
    type_into(settings.fields["city"], "Mysuru")
    enter(prefix)
    qtbot.waitUntil(lambda: settings.settings_errors.message_for("patient_prefix") != "", timeout=WAIT)
    assert "2 to 6 letters" in settings.settings_errors.message_for("patient_prefix")
    assert get_settings(system_ctx)["idle_lock_minutes"] == 10 and get_hospital(system_ctx).city == "Bengaluru"
    type_into(prefix, "hosp")
    click(settings.save_button)
    qtbot.waitUntil(lambda: settings.status.text() == "Settings saved.", timeout=WAIT)
    stored = get_settings(system_ctx)
    assert stored["patient_prefix"] == "HOSP" and stored["idle_lock_minutes"] == 15 and prefix.text() == "HOSP"
    assert get_hospital(system_ctx).city == "Mysuru"
    assert settings.settings_errors.message_for("patient_prefix") == ""
    # the logo: a PNG chosen from disk, previewed
    png = tmp_path / "logo.png"
    buf = io.BytesIO()
    Image.new("RGB", (40, 20), "navy").save(buf, "PNG")
    png.write_bytes(buf.getvalue())
    settings.logo.upload(png)
    qtbot.waitUntil(lambda: settings.logo.message.text() == "Logo saved.", timeout=WAIT)
    assert get_logo(system_ctx) == buf.getvalue() and not settings.logo.preview.pixmap().isNull()
    # the mail password is written to the key store, and leaves the field
    box = settings.mail_password
    type_into(box.password, "app-pass-1234")
    enter(box.password)
    qtbot.waitUntil(lambda: box.message.text() == "Mail password saved.", timeout=WAIT)
    assert box.password.text() == "" and system_ctx.keys.get(SMTP_PASSWORD_KEY) == b"app-pass-1234"


def test_add_a_department(qtbot: Any, admin: Any, system_ctx: Any) -> None:
    departments = admin.show_tab("departments")
    qtbot.waitUntil(lambda: departments.loaded, timeout=WAIT)
    before = len(list_departments(system_ctx, include_inactive=True))
    type_into(departments.code, "E")
    type_into(departments.name, "Ear, Nose and Throat")
    enter(departments.name)
    qtbot.waitUntil(lambda: departments.errors.message_for("code") != "", timeout=WAIT)
    assert "2 to 16 letters" in departments.errors.message_for("code")
    assert len(list_departments(system_ctx, include_inactive=True)) == before  # nothing was added
    type_into(departments.code, "ent")
    enter(departments.code)
    qtbot.waitUntil(lambda: departments.table.rowCount() >= 1, timeout=WAIT)
    made = [d for d in list_departments(system_ctx) if d.code == "ENT"]
    assert len(made) == 1 and made[0].name == "Ear, Nose and Throat"
    assert any(departments.table.item(r, 0).text() == "ENT" for r in range(departments.table.rowCount()))


def test_add_a_tax(qtbot: Any, admin: Any, system_ctx: Any) -> None:
    taxes = admin.show_tab("taxes")
    qtbot.waitUntil(lambda: taxes.loaded, timeout=WAIT)
    before = len(list_taxes(system_ctx))
    type_into(taxes.name, "GST on consultations")
    taxes.applies_to.setCurrentText("service")
    type_into(taxes.code, "9993")
    type_into(taxes.rate, "150")
    enter(taxes.rate)
    qtbot.waitUntil(lambda: taxes.errors.message_for("rate_percent") != "", timeout=WAIT)
    assert "0 to 100" in taxes.errors.message_for("rate_percent")
    assert len(list_taxes(system_ctx)) == before
    type_into(taxes.rate, "18")
    click(taxes.save_button)
    qtbot.waitUntil(lambda: taxes.table.rowCount() == before + 1, timeout=WAIT)
    made = next(t for t in list_taxes(system_ctx) if t.name == "GST on consultations")
    assert made.rate_basis_points == 1800 and made.hsn_sac_code == "9993" and made.intra_state_split
    assert made.effective_to is None


def test_add_a_doctor_with_schedule_leave_and_fees(
    qtbot: Any, admin: Any, system_ctx: Any, make_user: Any, dialogs: list[str]
) -> None:
    meera = make_user("Doctor", email="meera@sunrise.example.in", name="Meera Iyer")
    eye = create_department(system_ctx, "EYE", "Ophthalmology")
    doctors = admin.show_tab("doctors")
    qtbot.waitUntil(lambda: doctors.profile.user.count() == 2 and doctors.profile.department.count() == 2, timeout=WAIT)
    doctors.profile.user.setCurrentIndex(find_data(doctors.profile.user, meera.id))
    assert doctors.profile.display_name.text() == "Dr. Meera Iyer"
    doctors.profile.department.setCurrentIndex(find_data(doctors.profile.department, eye.id))
    type_into(doctors.profile.specialization, "Ophthalmology")
    type_into(doctors.profile.qualification, "MBBS, MS (Ophth)")
    type_into(doctors.profile.registration_number, "kmc 12345")
    type_into(doctors.profile.registration_council, "Karnataka Medical Council")
    enter(doctors.profile.registration_council)
    qtbot.waitUntil(lambda: doctors.editing is not None and doctors.table.rowCount() == 1, timeout=WAIT)
    [doctor] = list_doctors(system_ctx)
    assert doctor.user_id == meera.id and doctor.department_id == eye.id and doctor.registration_number == "KMC 12345"
    assert doctors.pages.isTabEnabled(1)
    # the weekly schedule: Monday 09:00-12:00 in 15-minute slots, then a bad Wednesday row, then a good one
    schedule = doctors.schedule
    doctors.pages.setCurrentWidget(schedule)
    qtbot.waitUntil(worker().idle, timeout=WAIT)
    row = schedule.add_row()
    schedule.sessions.cellWidget(row, 2).setTime(QTime(12, 0))
    row = schedule.add_row()  # Tuesday, a copy of Monday's hours
    schedule.sessions.cellWidget(row, 3).setValue(7)  # 180 minutes do not split into 7-minute slots
    click(schedule.save_button)
    qtbot.waitUntil(lambda: schedule.message.text() != "", timeout=WAIT)
    assert "7-minute" in schedule.message.text() and list_schedule(system_ctx, doctor.id) == []
    schedule.sessions.cellWidget(row, 3).setValue(20)
    click(schedule.save_button)
    qtbot.waitUntil(lambda: schedule.message.text().startswith("Saved: 2"), timeout=WAIT)
    stored = list_schedule(system_ctx, doctor.id)
    assert [(s.day_of_week, s.start_time, s.end_time, s.slot_minutes) for s in stored] == [
        (0, time(9), time(12), 15),
        (1, time(9), time(12), 20),
    ]
    # a leave, recorded by an administrator, is approved at once
    leaves = doctors.leaves
    doctors.pages.setCurrentWidget(leaves)
    type_into(leaves.reason, "Conference")
    enter(leaves.reason)
    qtbot.waitUntil(lambda: leaves.table.rowCount() == 1, timeout=WAIT)
    [leave] = list_leaves(system_ctx, doctor.id)
    assert leave.status == "approved" and leave.reason == "Conference"
    leaves.table.selectRow(0)
    qtbot.waitUntil(lambda: "No appointments" in leaves.clash_title.text(), timeout=WAIT)
    click(leaves.cancel_button)
    qtbot.waitUntil(lambda: list_leaves(system_ctx, doctor.id, open_only=False)[0].status == "cancelled")
    # fees: a bad amount names its field; then OPD 500 and follow-up 300 free within 7 days
    fees = doctors.fees
    doctors.pages.setCurrentWidget(fees)
    type_into(fees.amounts["opd"], "five hundred")
    enter(fees.amounts["opd"])
    qtbot.waitUntil(lambda: fees.errors.message_for("opd") != "", timeout=WAIT)
    assert list_fees(system_ctx, doctor.id) == []
    type_into(fees.amounts["opd"], "500")
    type_into(fees.amounts["follow_up"], "300")
    fees.free_days.setValue(7)
    click(fees.save_button)
    qtbot.waitUntil(lambda: fees.history.rowCount() == 2, timeout=WAIT)
    stored_fees = {f.fee_type: f for f in list_fees(system_ctx, doctor.id)}
    assert stored_fees["opd"].amount_paise == 50000 and stored_fees["opd"].follow_up_free_days == 0
    assert stored_fees["follow_up"].amount_paise == 30000 and stored_fees["follow_up"].follow_up_free_days == 7
    assert not dialogs


def test_a_leave_shows_the_appointments_it_clashes_with(
    qtbot: Any, store: Store, system_ctx: Any, make_user: Any, tmp_path: Path
) -> None:
    ctx, doctor = clinic_day(system_ctx, make_user)
    asha = patient(ctx, "Asha Kumari", "9886011111")
    book_appointment(ctx, BookingInput(asha.id, doctor.id, MONDAY, time(10, 30)))
    window = signed_in_window(qtbot, store, tmp_path, clock=ctx.clock)
    doctors = window.dock_widget("admin").show_tab("doctors")
    qtbot.waitUntil(lambda: doctors.table.rowCount() == 1, timeout=WAIT)
    doctors.table.selectRow(0)
    leaves = doctors.leaves
    doctors.pages.setCurrentWidget(leaves)
    leaves.start.setDate(QDate(MONDAY.year, MONDAY.month, MONDAY.day))  # the last day follows the first
    assert date_of(leaves.end) == MONDAY
    type_into(leaves.reason, "Unwell")
    click(leaves.add_button)
    qtbot.waitUntil(lambda: leaves.table.rowCount() == 1, timeout=WAIT)
    leaves.table.selectRow(0)
    qtbot.waitUntil(lambda: leaves.clashes.rowCount() == 1, timeout=WAIT)
    assert leaves.clashes.item(0, 3).text() == asha.code and leaves.clashes.item(0, 1).text() == "10:30"
    assert "call these patients" in leaves.clash_title.text()
    [leave] = list_leaves(system_ctx, doctor.id)
    assert (leave.start_date, leave.end_date, leave.status) == (MONDAY, MONDAY, "approved")


def test_a_receptionist_is_not_offered_admin(qtbot: Any, store: Store, make_user: Any, tmp_path: Path) -> None:
    make_user("Receptionist", email="frontdesk@sunrise.example.in", password="Saffron-Teapot-2027")
    window = signed_in_window(qtbot, store, tmp_path, "frontdesk@sunrise.example.in", "Saffron-Teapot-2027")
    assert "admin" not in window.offered()
    assert all(a.text() != "Admin" for a in window.view_menu.actions())


def test_an_admin_sees_only_the_tabs_of_their_rights(qtbot: Any, store: Store, make_user: Any, tmp_path: Path) -> None:
    make_user("Admin", email="office@sunrise.example.in", password="Saffron-Teapot-2027")
    window = signed_in_window(qtbot, store, tmp_path, "office@sunrise.example.in", "Saffron-Teapot-2027")
    admin = window.dock_widget("admin")
    assert list(admin.pages) == ["users", "roles", "settings", "departments", "taxes", "doctors", "sync"]
    users = admin.users
    qtbot.waitUntil(lambda: "Super Admin" in users.role_checks, timeout=WAIT)
    assert not users.role_checks["Super Admin"].isEnabled()  # an Admin cannot make Super Admins

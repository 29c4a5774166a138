"""The desktop, driven through its real widgets (offscreen): sign in, register with a validation message,
book, check in, call next, a scan that opens the patient, a receptionist who is not offered Admin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models.patients import Patient
from db.models.scheduling import Appointment, AppointmentQueueEntry
from hms_desktop.services.reception.patient_search import search_patients
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL
from tests.reception_fixtures import clinic_day
from tests.ui_support import signed_in_window
from ui.dialogs.login import LoginDialog
from ui.qt import QMessageBox, QSettings, Qt, QTest
from ui.session import AppSession


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(
            QMessageBox, name, lambda *a, _n=name, **k: shown.append(f"{_n}: {a[2] if len(a) > 2 else ''}")
        )
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return shown


def test_sign_in_dialog(qtbot: Any, store: Store) -> None:
    session = AppSession.open(store)
    dialog = LoginDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.email, ADMIN_EMAIL)
    QTest.keyClicks(dialog.password, "wrong password 1")
    QTest.keyClick(dialog.password, Qt.Key.Key_Return)
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    assert "incorrect" in dialog.error.text() and dialog.password.text() == ""
    QTest.keyClicks(dialog.password, "Marigold-Ledger-2026")
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        QTest.keyClick(dialog.password, Qt.Key.Key_Return)
    assert session.actor.email == ADMIN_EMAIL


def test_register_book_check_in_and_call_next(
    qtbot: Any, store: Store, system_ctx: Any, make_user: Any, tmp_path: Path, no_dialogs: list[str]
) -> None:
    ctx, doctor = clinic_day(system_ctx, make_user)
    window = signed_in_window(qtbot, store, tmp_path, clock=ctx.clock)
    reception = window.dock_widget("reception")
    form = reception.form
    form.gender.setCurrentIndex(form.gender.findData("F"))  # a new form chooses no sex
    QTest.keyClicks(form.name, "Nandini Pillai")
    QTest.keyClicks(form.phone, "12345")
    QTest.keyClick(form.phone, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: form.errors.message_for("phone") != "", timeout=5000)
    assert "10 digits" in form.errors.message_for("phone")
    form.phone.clear()
    QTest.keyClicks(form.phone, "98860 12345")
    QTest.keyClick(form.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reception.patient is not None, timeout=5000)
    assert reception.patient.code == "PAT-2026-00001" and form.errors.message_for("phone") == ""
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(Patient.phone)) == "9886012345"
    booking = reception.booking
    qtbot.waitUntil(lambda: booking.doctor.currentData() == doctor.id and booking.slots.rowCount() == 12, timeout=5000)
    window.action.emit("book")
    booking.slots.setCurrentCell(2, 0)  # 10:30
    QTest.mouseClick(booking.book_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: booking.list.rowCount() == 1, timeout=5000)
    booking.list.setCurrentCell(0, 0)
    window.action.emit("check_in")  # Ctrl+I
    qtbot.waitUntil(
        lambda: booking.list.item(0, 4) is not None and booking.list.item(0, 4).text() == "checked_in", timeout=5000
    )
    panel = reception.queue
    panel.select_doctor(doctor.id)
    window.action.emit("call_next")  # F9
    qtbot.waitUntil(lambda: "token 1" in panel.serving.text(), timeout=5000)
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(AppointmentQueueEntry.status)) == "called"
        assert tx.session.scalar(select(Appointment.status)) == "checked_in"
    assert not no_dialogs


def test_search_as_you_type_and_a_scan_opens_the_patient(
    qtbot: Any, store: Store, system_ctx: Any, tmp_path: Path
) -> None:
    from hms_desktop.services.reception.patients import PatientInput, register_patient

    made = [
        register_patient(system_ctx, PatientInput(n, "M", phone=f"98450{i:05d}"), allow_duplicates=True)
        for i, n in enumerate(["Ravi Kumar", "Ravindra Jain", "Sunil Rao"])
    ]
    window = signed_in_window(qtbot, store, tmp_path)
    reception = window.dock_widget("reception")
    QTest.keyClicks(reception.search, "rav")
    qtbot.waitUntil(lambda: reception.model.rowCount() == 2, timeout=5000)
    assert {reception.model.patient(i).full_name for i in range(2)} == {"Ravi Kumar", "Ravindra Jain"}
    target = made[2]
    reception.search.setFocus()
    QTest.keyClicks(reception.search, target.code)  # a scanner types fast and presses Enter
    QTest.keyClick(reception.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reception.patient is not None and reception.patient.id == target.id, timeout=5000)
    assert reception.form.name.text() == "Sunil Rao"
    assert not reception.search.text().endswith(target.code)  # the scan was taken back out of the field
    assert search_patients(system_ctx, "sunil").total == 1


def test_a_receptionist_is_not_offered_admin(qtbot: Any, store: Store, make_user: Any, tmp_path: Path) -> None:
    make_user("Receptionist", email="desk@sunrise.example.in", password="Saffron-Teapot-2027")
    window = signed_in_window(qtbot, store, tmp_path, "desk@sunrise.example.in", "Saffron-Teapot-2027")
    assert "reception" in window.offered()
    assert "admin" not in window.offered() and "audit" not in window.offered()
    assert all(a.text() != "Admin" for a in window.view_menu.actions())


def test_layout_is_saved_per_user_restored_and_reset(qtbot: Any, store: Store, make_user: Any, tmp_path: Path) -> None:
    window = signed_in_window(qtbot, store, tmp_path)
    assert window.docks["admin"] in window.tabifiedDockWidgets(window.docks["reception"])  # one group of tabs
    window.docks["reception"].hide()
    window.close()
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    assert settings.value(f"layout/{ADMIN_EMAIL}/state") is not None
    again = signed_in_window(qtbot, store, tmp_path)
    assert not again.docks["reception"].isVisible()  # the admin's own layout came back
    again.close()
    make_user("Receptionist", email="desk@sunrise.example.in", password="Saffron-Teapot-2027")
    desk = signed_in_window(qtbot, store, tmp_path, "desk@sunrise.example.in", "Saffron-Teapot-2027")
    assert desk.docks["reception"].isVisible()  # another user is not given the admin's layout
    desk.close()
    admin = signed_in_window(qtbot, store, tmp_path)
    admin.reset_layout()
    assert admin.docks["reception"].isVisible()
    fresh = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    assert fresh.value(f"layout/{ADMIN_EMAIL}/state") is None  # the saved layout is forgotten


def test_idle_lock_keeps_the_work(qtbot: Any, store: Store, tmp_path: Path) -> None:
    window = signed_in_window(qtbot, store, tmp_path)
    reception = window.dock_widget("reception")
    QTest.keyClicks(reception.form.name, "Half Typed Name")
    window.idle_lock.lock()
    overlay = window.idle_lock.overlay
    assert overlay is not None and overlay.isVisible()
    QTest.keyClicks(overlay.password, "not it")
    QTest.keyClick(overlay.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: overlay.error.text() != "", timeout=5000)
    QTest.keyClicks(overlay.password, "Marigold-Ledger-2026")
    QTest.keyClick(overlay.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not window.idle_lock.locked, timeout=5000)
    assert reception.form.name.text() == "Half Typed Name"


def test_enter_in_the_email_field_moves_to_the_password(qtbot: Any, store: Store) -> None:
    session = AppSession.open(store)
    dialog = LoginDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    QTest.keyClicks(dialog.email, ADMIN_EMAIL)
    QTest.keyClick(dialog.email, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert not dialog.error.isVisible() and session.tokens is None  # no sign-in with an empty password
    assert dialog.password.hasFocus()


def test_the_queue_follows_the_doctor_chosen_for_booking(
    qtbot: Any, store: Store, system_ctx: Any, make_user: Any, tmp_path: Path
) -> None:
    from hms_desktop.services.reception.doctors import DoctorInput, create_doctor
    from ui.forms import find_data

    ctx, meera = clinic_day(system_ctx, make_user)
    user = make_user("Doctor", email="arjun@sunrise.example.in", name="Arjun Rao")
    arjun = create_doctor(ctx, DoctorInput(user.id, "Dr Arjun Rao", "Paediatrics", "MBBS, DCH", "KMC-51730", "KMC"))
    window = signed_in_window(qtbot, store, tmp_path, clock=ctx.clock)
    reception = window.dock_widget("reception")
    booking, panel = reception.booking, reception.queue
    qtbot.waitUntil(lambda: booking.doctor.count() == 2 and panel.doctor.count() == 2, timeout=5000)
    for doctor in (arjun, meera):
        booking.doctor.setCurrentIndex(find_data(booking.doctor, doctor.id))
        assert panel.doctor.currentData() == doctor.id
        # the queue shown is that doctor's, though the Queue tab is not the one in front
        qtbot.waitUntil(lambda d=doctor: panel.view is not None and panel.view.doctor_id == d.id, timeout=5000)
        assert not panel.isVisible()

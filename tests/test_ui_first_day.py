"""The front desk as a new user finds it: the waiting-room display closes (Esc, Ctrl+W, the View menu, log out,
quit), a new patient is a blank form, the duplicate warning catches initials and defaults to going back, every
role gets the clinic's idle-lock minutes, and the scanner knows every code series the app issues."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.patients import Patient
from hms_desktop.context import Context
from hms_desktop.series import pattern
from hms_desktop.services.admin.desk import desk_settings
from hms_desktop.services.admin.hospital import get_hospital, update_hospital, update_settings
from hms_desktop.services.reception.patients import (
    PatientInput,
    PossibleDuplicates,
    find_duplicates,
    register_patient,
    similar_names,
)
from hms_desktop.storage.store import Store
from tests.reception_fixtures import clinic_day
from tests.ui_support import signed_in_window
from ui.qt import QApplication, QDate, QGuiApplication, QMessageBox, Qt, QTest, isValid
from ui.waiting_room import WaitingRoomWindow
from ui.worker import worker

PASSWORD = "Saffron-Teapot-2027"
DESK = "desk@sunrise.example.in"
WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def closed(display: WaitingRoomWindow) -> bool:
    return not isValid(display) or not display.isVisible()


# --- 2. the waiting-room display closes


def test_the_display_closes_with_esc_ctrl_w_and_the_view_menu(
    qtbot: Any, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = signed_in_window(qtbot, store, tmp_path)
    action = window.waiting_room_action
    assert action.isCheckable() and action in window.view_menu.actions() and action.shortcut().toString() == "F11"

    action.trigger()  # View > Waiting-room display (F11)
    display = window._waiting_room
    assert display is not None and display.isVisible() and action.isChecked()
    assert not display.testAttribute(Qt.WidgetAttribute.WA_QuitOnClose)  # never keeps the application running
    qtbot.keyClick(display, Qt.Key.Key_Escape)  # not full screen: Esc closes
    assert closed(display) and window._waiting_room is None and not action.isChecked()

    action.trigger()
    display = window._waiting_room
    assert display is not None and display.isVisible()
    qtbot.keyClick(display, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert closed(display) and window._waiting_room is None and not action.isChecked()

    action.trigger()
    display = window._waiting_room
    assert display is not None and action.isChecked()
    action.trigger()  # the menu item again closes it
    assert closed(display) and window._waiting_room is None and not action.isChecked()

    monkeypatch.setattr(WaitingRoomWindow, "target_screen", lambda self: QGuiApplication.primaryScreen())
    action.trigger()  # on the TV: full screen
    display = window._waiting_room
    assert display is not None and display.isFullScreen()
    qtbot.keyClick(display, Qt.Key.Key_Escape)  # first Esc leaves full screen
    assert display.isVisible() and not display.isFullScreen()
    qtbot.keyClick(display, Qt.Key.Key_F11)  # F11 toggles full screen
    assert display.isFullScreen()
    qtbot.keyClick(display, Qt.Key.Key_F11)
    assert not display.isFullScreen()
    qtbot.keyClick(display, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert closed(display) and window._waiting_room is None


def test_log_out_closes_the_display(qtbot: Any, store: Store, tmp_path: Path) -> None:
    window = signed_in_window(qtbot, store, tmp_path)
    window.waiting_room_action.trigger()
    display = window._waiting_room
    assert display is not None and display.isVisible()
    with qtbot.waitSignal(window.logged_out, timeout=WAIT):
        window.log_out()
    assert closed(display) and window._waiting_room is None


def test_quit_closes_the_display_and_ends_the_application(
    qtbot: Any, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quits: list[bool] = []
    monkeypatch.setattr(QApplication, "quit", lambda *a: quits.append(True))
    window = signed_in_window(qtbot, store, tmp_path)
    window.waiting_room_action.trigger()
    display = window._waiting_room
    assert display is not None
    quit_action = next(a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "Quit")
    assert quit_action.shortcut().toString() == "Ctrl+Q"
    quit_action.trigger()
    assert closed(display) and not window.isVisible() and quits == [True]


# --- 4. a new patient is a blank form


def test_new_patient_is_blank_with_the_clinic_state_and_sex_is_required(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path
) -> None:
    update_hospital(system_ctx, replace(get_hospital(system_ctx), state_code="29"))  # Karnataka
    asha = register_patient(
        system_ctx,
        PatientInput("Asha Patel", "F", date(1974, 3, 14), phone="9845012345", blood_group="O+", state_code="27"),
    )
    window = signed_in_window(qtbot, store, tmp_path)
    reception = window.dock_widget("reception")
    form = reception.form
    assert form.gender.currentData() is None and not form.dob_known.isChecked()  # the first form too
    assert form.state.currentData() == "29"
    reception.set_patient(asha)
    assert form.gender.currentData() == "F" and form.dob.date() == QDate(1974, 3, 14)
    assert form.blood.currentText() == "O+" and form.state.currentData() == "27" and form.dob_known.isChecked()

    window.action.emit("new_patient")  # Ctrl+N
    assert form.name.text() == "" and form.phone.text() == ""
    assert form.gender.currentData() is None and form.gender.currentText() == ""
    assert not form.dob_known.isChecked() and not form.dob.isEnabled()
    assert (
        form.dob.date() != QDate(1990, 1, 1)
        and form.age.value() == form.age.minimum()
        and form.age.specialValueText() != ""
    )
    assert form.blood.currentText() == "unknown"
    assert form.state.currentData() == "29"  # the clinic's state: the only default
    assert form.id_type.currentText() == "none" and form.priority.currentData() is None
    data = form.data()
    assert data.gender is None and data.date_of_birth is None and data.age_years is None

    QTest.keyClicks(form.name, "Kiran Rao")
    QTest.keyClicks(form.phone, "9845098450")
    QTest.keyClick(form.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: form.errors.message_for("gender") != "", timeout=WAIT)
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(Patient)) == 1  # nothing saved without a sex
    form.gender.setCurrentIndex(form.gender.findData("M"))
    QTest.keyClick(form.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reception.form.patient_id is not None, timeout=WAIT)
    with system_ctx.transaction(readonly=True) as tx:
        kiran = tx.session.scalars(select(Patient).where(Patient.full_name == "Kiran Rao")).one()
        assert kiran.gender == "M" and kiran.date_of_birth is None and kiran.blood_group == "unknown"
        assert kiran.state_code == "29"


# --- 5. duplicates: initials and dropped middle names; the safe choice is the default


def test_initials_and_dropped_middle_names_are_similar() -> None:
    assert similar_names("Ravi S Iyer", "Ravi Shankar Iyer")
    assert similar_names("Ravi Shankar Iyer", "R. S. Iyer")
    assert similar_names("R Shankar Iyer", "Ravi Shankar Iyer")
    assert similar_names("Ravi Iyer", "Ravi Shankar Iyer")
    assert not similar_names("Kavya S Iyer", "Ravi Shankar Iyer")
    assert not similar_names("Sita Iyer", "Ravi Shankar Iyer")
    assert not similar_names("R S", "Ravi Shankar Iyer")  # initials alone are not a name


def test_the_duplicate_check_finds_ravi_s_iyer(system_ctx: Context) -> None:
    ravi = register_patient(system_ctx, PatientInput("Ravi Shankar Iyer", "M", date(1980, 5, 2), phone="9845011111"))
    data = PatientInput("Ravi S Iyer", "M", date(1980, 5, 2), phone="98450 11111")
    assert [c.id for c in find_duplicates(system_ctx, data)] == [ravi.id]
    with pytest.raises(PossibleDuplicates):
        register_patient(system_ctx, data)


def test_the_duplicate_warning_defaults_to_not_saving(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_patient(system_ctx, PatientInput("Ravi Shankar Iyer", "M", date(1980, 5, 2), phone="9845011111"))
    asked: list[tuple[Any, ...]] = []

    def question(*args: Any) -> QMessageBox.StandardButton:
        asked.append(args)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", question)
    window = signed_in_window(qtbot, store, tmp_path)
    form = window.dock_widget("reception").form
    window.action.emit("new_patient")
    QTest.keyClicks(form.name, "Ravi S Iyer")
    form.gender.setCurrentIndex(form.gender.findData("M"))
    form.dob_known.setChecked(True)
    form.dob.setDate(QDate(1980, 5, 2))
    QTest.keyClicks(form.phone, "9845011111")
    QTest.keyClick(form.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(asked), timeout=WAIT)
    _parent, _title, text, buttons, default = asked[0]
    assert "Ravi Shankar Iyer" in text
    assert buttons == QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    assert default == QMessageBox.StandardButton.No  # Enter goes back; saving anyway is a deliberate click
    qtbot.waitUntil(lambda: form.save_button.isEnabled() and worker().idle(), timeout=WAIT)
    with system_ctx.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).select_from(Patient)) == 1
    assert form.patient_id is None


# --- 13. the idle lock for every role; the scanner knows every series


def test_every_role_gets_the_clinic_idle_minutes(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path
) -> None:
    update_settings(system_ctx, {"idle_lock_minutes": 3})
    make_user("Receptionist", email=DESK, password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, DESK, PASSWORD)
    assert not window.session.can("settings.view")
    assert window.idle_lock.minutes == 3


def test_desk_settings_are_public_and_carry_the_prefixes(system_ctx: Context, make_user: Any) -> None:
    update_settings(system_ctx, {"patient_prefix": "SUN", "idle_lock_minutes": 7})
    desk = desk_settings(system_ctx)
    assert desk.idle_lock_minutes == 7 and desk.code_settings["patient_prefix"] == "SUN"
    assert "smtp_host" not in desk.code_settings
    assert desk_settings.permission is None  # type: ignore[attr-defined]


def test_the_scanner_knows_every_code_the_app_issues(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path
) -> None:
    make_user("Receptionist", email=DESK, password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, DESK, PASSWORD)
    code = window.scanner.code
    for issued in ("PAT-00042", "PAT-2026-00042", "PAT-2026-27-00042", "PAT-2026-WS02-00001", "APT-2026-000123"):
        assert code.match(issued), issued
    assert not code.match("XYZ-2026-123")  # no such series
    assert code.pattern == pattern(window.session.desk.code_settings).pattern


def test_a_scan_opens_the_patient_or_says_what_the_code_is(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any, tmp_path: Path
) -> None:
    update_settings(system_ctx, {"patient_prefix": "SUN", "patient_code_reset": "never"})
    clinic_day(system_ctx, make_user)
    sunil = register_patient(system_ctx, PatientInput("Sunil Rao", "M", phone="9845000003"))
    assert sunil.code == "SUN-00001"
    make_user("Receptionist", email=DESK, password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, DESK, PASSWORD)
    reception = window.dock_widget("reception")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)  # key presses go to the focused field

    reception.search.setFocus()
    QTest.keyClicks(reception.search, sunil.code)  # a scanner types fast and presses Enter
    QTest.keyClick(reception.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: reception.patient is not None and reception.patient.id == sunil.id, timeout=WAIT)

    reception.search.clear()
    reception.search.setFocus()
    QTest.keyClicks(reception.search, "APT-2026-000123")
    QTest.keyClick(reception.search, Qt.Key.Key_Return)
    assert window.statusBar().currentMessage() == "APT-2026-000123 is an appointment code"
    assert not reception.search.text().endswith("APT-2026-000123")  # taken back out of the field

"""The Audit dock (search, paging, old/new side by side, verify) and the waiting-room display (tokens and first
names only, refreshed every 3 seconds), driven through the real widgets against a real store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from db.engine import connect
from db.models.audit import AuditLog
from hms_desktop.context import Context
from hms_desktop.runtime import context_for
from hms_desktop.services.admin.audit_trail import AuditQuery, search_audit, verify_audit
from hms_desktop.services.admin.hospital import update_settings
from hms_desktop.services.admin.roles import create_role
from hms_desktop.services.reception import queue
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.doctors import DoctorView
from hms_desktop.services.reception.patients import PatientInput, PatientView, register_patient, update_patient
from hms_desktop.storage.store import Store
from tests.conftest import ADMIN_EMAIL
from tests.reception_fixtures import MONDAY, clinic_day
from tests.ui_support import signed_in_window
from ui.docks.audit.changes import CHANGED_BACKGROUND, CHANGED_ROLE
from ui.docks.audit.model import COLUMNS, local_time, value_text
from ui.qt import QGuiApplication, QLabel, QPushButton, Qt
from ui.session import AppSession
from ui.waiting_room import WaitingRoomWindow, public_name
from ui.worker import worker

PASSWORD = "Marigold-Ledger-2026"
WAIT = 5000


@pytest.fixture(autouse=True)
def quiet_worker(qtbot: Any) -> Iterator[None]:
    """Nothing of a test is still on the DB worker when its store closes."""
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def column(dock: Any, name: str) -> list[str]:
    c = COLUMNS.index(name)
    return [dock.model.cells(e)[c] for e in dock.model.rows]


def search_with(qtbot: Any, dock: Any, **fields: str) -> None:
    before = dock.generation
    for name, text in fields.items():
        getattr(dock.filters, name).setCurrentText(text)
    qtbot.mouseClick(dock.search_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.generation > before and worker().idle(), timeout=WAIT)


# --- the Audit dock


def test_search_by_action_finds_the_sign_in_in_the_clinic_time_zone(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path
) -> None:
    update_settings(system_ctx, {"timezone": "Asia/Dubai"})
    window = signed_in_window(qtbot, store, tmp_path)
    dock = window.dock_widget("audit")
    qtbot.waitUntil(lambda: dock.total > 0 and dock.model.zone.key == "Asia/Dubai", timeout=WAIT)

    search_with(qtbot, dock, action="login")
    expected = search_audit(system_ctx, AuditQuery(action="login"))
    assert dock.total == expected.total >= 1
    assert set(column(dock, "Action")) == {"login"}
    assert ADMIN_EMAIL in column(dock, "Who")
    assert column(dock, "Time")[0] == local_time(expected.items[0].occurred_at, ZoneInfo("Asia/Dubai"))
    assert dock.page_label.text().startswith("Page 1 of 1")

    # Enter in a field searches too
    dock.filters.action.setCurrentText("")
    dock.filters.user_email.setText("nobody@sunrise.example.in")
    for field in (dock.filters.user_email, dock.filters.action, dock.filters.outcome, dock.filters.date_to):
        before = dock.generation
        qtbot.keyClick(field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dock.generation > before and worker().idle(), timeout=WAIT)  # noqa: B023
        assert dock.total == 0 and dock.model.rowCount() == 0


def test_paging_next_and_previous(qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path) -> None:
    for i in range(8):
        data = PatientInput(f"Paging Patient {i}", "F", date(1990, 1, 1), phone=f"98450001{i:02d}")
        register_patient(system_ctx, data, allow_duplicates=True)
    window = signed_in_window(qtbot, store, tmp_path)
    dock = window.dock_widget("audit")
    dock.page_size = 10
    search_with(qtbot, dock)
    first = search_audit(system_ctx, AuditQuery(), page=1, page_size=10)
    assert first.pages >= 2
    assert dock.page_label.text().startswith(f"Page 1 of {first.pages}")
    assert [e.id for e in dock.model.rows] == [e.id for e in first.items]
    assert not dock.previous_button.isEnabled() and dock.next_button.isEnabled()

    qtbot.mouseClick(dock.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.page == 2, timeout=WAIT)
    second = search_audit(system_ctx, AuditQuery(), page=2, page_size=10)
    assert dock.page_label.text().startswith(f"Page 2 of {first.pages}")
    assert [e.id for e in dock.model.rows] == [e.id for e in second.items]
    assert dock.previous_button.isEnabled()

    qtbot.mouseClick(dock.previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.page == 1, timeout=WAIT)
    assert [e.id for e in dock.model.rows] == [e.id for e in first.items]


def test_selecting_an_update_shows_old_and_new_side_by_side(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path
) -> None:
    data = PatientInput("Ravi Kumar", "M", date(1985, 6, 1), phone="9845000001", city="Mysuru")
    p = register_patient(system_ctx, data, allow_duplicates=True)
    update_patient(system_ctx, p.id, replace(data, phone="9845000099"), allow_duplicates=True)
    window = signed_in_window(qtbot, store, tmp_path)
    dock = window.dock_widget("audit")
    search_with(qtbot, dock, action="update", entity_type="patients")
    stored = search_audit(system_ctx, AuditQuery(action="update", entity_type="patients")).items[0]
    assert stored.old_values and "phone" in stored.old_values

    dock.table.selectRow(0)
    table = dock.changes.table
    assert [table.horizontalHeaderItem(c).text() for c in range(3)] == ["Field", "Old", "New"]
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert set(rows) == set(stored.old_values) | set(stored.new_values or {})
    r = rows["phone"]
    assert table.item(r, 1).text() == value_text(stored.old_values["phone"])
    assert table.item(r, 2).text() == value_text((stored.new_values or {})["phone"])
    assert table.item(r, 1).text() != table.item(r, 2).text()
    assert table.item(r, 0).data(CHANGED_ROLE) is True
    assert table.item(r, 2).background().color() == CHANGED_BACKGROUND
    assert "update patients" in dock.changes.title.text()

    # a search clears the comparison; a create row has only new values
    search_with(qtbot, dock, action="create", entity_type="patients")
    assert table.rowCount() == 0
    dock.table.selectRow(0)
    assert table.rowCount() > 0 and all(table.item(i, 1).text() == "" for i in range(table.rowCount()))


def test_a_bad_date_range_is_shown_beside_its_field(qtbot: Any, store: Store, tmp_path: Path) -> None:
    dock = signed_in_window(qtbot, store, tmp_path).dock_widget("audit")
    f = dock.filters
    f.from_on.setChecked(True)
    f.to_on.setChecked(True)
    f.date_from.setDate(date(2026, 11, 22))
    f.date_to.setDate(date(2026, 11, 21))
    search_with(qtbot, dock)
    qtbot.waitUntil(lambda: "before the start" in f.errors.message_for("date_to"), timeout=WAIT)


def test_verify_shows_ok_then_the_problems_of_a_tampered_trail(
    qtbot: Any, store: Store, system_ctx: Context, tmp_path: Path
) -> None:
    dock = signed_in_window(qtbot, store, tmp_path).dock_widget("audit")
    assert dock.verify is not None
    qtbot.mouseClick(dock.verify.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dock.verify.result.text().startswith("Trail OK"), timeout=WAIT)
    report = verify_audit(system_ctx)
    assert report.ok and f"{report.rows} rows" in dock.verify.result.text()
    assert dock.verify.problems.isHidden()

    victim = search_audit(system_ctx, AuditQuery(action="login")).items[0]
    conn = connect(store.paths.store, store.key)
    try:  # someone with the store key changes history
        conn.execute("DROP TRIGGER trg_audit_logs_no_update")
        conn.execute("UPDATE audit_logs SET detail = 'nothing happened' WHERE chain = ? AND seq = ?",
                     (chain_of(system_ctx, victim.id), victim.seq))  # fmt: skip
    finally:
        conn.close()
    qtbot.mouseClick(dock.verify.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dock.verify.problems.isHidden(), timeout=WAIT)
    bad = verify_audit(system_ctx)
    assert [p.kind for p in bad.problems] == ["edited"]
    assert dock.verify.result.text().startswith("1 problem found")
    assert dock.verify.problems.item(0).text() == f"EDITED: {bad.problems[0].message}"


def chain_of(ctx: Context, row_id: uuid.UUID) -> str:
    with ctx.transaction(readonly=True) as tx:
        return str(tx.session.scalar(select(AuditLog.chain).where(AuditLog.id == row_id)))


def test_verify_is_hidden_without_its_permission(qtbot: Any, store: Store, system_ctx: Context, make_user: Any,
                                                 tmp_path: Path) -> None:  # fmt: skip
    create_role(system_ctx, "Auditor", ["audit.view"])
    make_user("Auditor", email="auditor@sunrise.example.in", password=PASSWORD)
    window = signed_in_window(qtbot, store, tmp_path, "auditor@sunrise.example.in", PASSWORD)
    dock = window.dock_widget("audit")
    qtbot.waitUntil(lambda: dock.total > 0, timeout=WAIT)
    assert dock.verify is None and dock.findChild(QPushButton, "verifyAudit") is None
    assert dock.model.zone.key == "Asia/Kolkata"  # cannot read the settings: the default zone


# --- the waiting-room display

NAMES = ("Ravi Kumar", "Asha Verma", "Bina Shah", "Chetan Das", "Deepa Nair", "Farhan Ali", "Gita Menon")


@pytest.fixture
def waiting_room(
    qtbot: Any, store: Store, system_ctx: Context, make_user: Any
) -> tuple[WaitingRoomWindow, Context, DoctorView, list[PatientView], list[str]]:
    ctx, doctor = clinic_day(system_ctx, make_user)
    patients, codes = [], []
    for i, name in enumerate(NAMES):
        p = register_patient(ctx, PatientInput(name, "F", date(1985, 6, 1), phone=f"98450020{i:02d}"),
                             allow_duplicates=True)  # fmt: skip
        a = book_appointment(ctx, BookingInput(p.id, doctor.id, MONDAY, time(10, 15 * (i // 2))))
        queue.check_in(ctx, a.id)
        patients.append(p)
        codes.append(a.code)
    queue.call_next(ctx, doctor.id)  # token 1 goes in
    make_user("Receptionist", email="desk@sunrise.example.in", password=PASSWORD)
    session = AppSession(store, replace(context_for(store), clock=ctx.clock))
    session.login("desk@sunrise.example.in", PASSWORD)
    window = WaitingRoomWindow(session)
    qtbot.addWidget(window)
    return window, ctx, doctor, patients, codes


def labels(window: WaitingRoomWindow, name: str) -> list[str]:
    return [label.text() for label in window.findChildren(QLabel, name)]


def test_waiting_room_shows_tokens_and_first_names_and_follows_the_queue(qtbot: Any, waiting_room: Any) -> None:
    window, ctx, doctor, patients, codes = waiting_room
    window.show_on_second_screen()  # one (offscreen) screen: a normal window
    assert not window.isFullScreen() and not hasattr(window, "refresh_timer")  # it follows changes, never polls
    qtbot.waitUntil(lambda: window.cards is not None, timeout=WAIT)
    assert labels(window, "doctorName") == ["Dr Meera Iyer"]
    assert labels(window, "servingToken") == ["1"]
    assert labels(window, "servingName") == ["Ravi K."]
    assert labels(window, "nextToken") == ["2", "Asha V.", "3", "Bina S.", "4", "Chetan D.", "5", "Deepa N.", "6",
                                           "Farhan A."]  # fmt: skip
    assert window.clock.text() == "10:00 AM"  # the FixedClock, in the clinic's zone
    assert window.clock.isVisible() and window.clock.width() >= window.clock.sizeHint().width()

    texts = " | ".join(label.text() for label in window.findChildren(QLabel)) + window.windowTitle()
    for p, code in zip(patients, codes, strict=True):
        assert p.full_name not in texts and p.code not in texts and code not in texts

    queue.call_next(ctx, doctor.id)
    qtbot.waitUntil(lambda: labels(window, "servingToken") == ["2"], timeout=WAIT)
    assert labels(window, "nextToken")[:2] == ["3", "Bina S."] and "Gita M." in labels(window, "nextToken")
    texts = " | ".join(label.text() for label in window.findChildren(QLabel))
    assert all(p.full_name not in texts and p.code not in texts for p in patients)


def test_refreshes_never_overlap(qtbot: Any, waiting_room: Any) -> None:
    window = waiting_room[0]
    gate = threading.Event()
    worker().submit(gate.wait)  # the DB worker is busy with someone else's work
    assert window.refresh() is True
    assert window.refresh() is False  # the tick while one is out queues nothing
    assert window.refreshes == 0
    gate.set()
    qtbot.waitUntil(lambda: window.refreshes == 1 and worker().idle(), timeout=WAIT)
    assert window.busy is False and window.refresh() is True


def test_full_screen_on_a_second_screen_and_esc_leaves_it(qtbot: Any, waiting_room: Any) -> None:
    window = waiting_room[0]
    window.target_screen = QGuiApplication.primaryScreen  # pretend the TV is there
    window.show_on_second_screen()
    assert window.isFullScreen()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.isFullScreen()
    qtbot.waitUntil(lambda: window.cards is not None, timeout=WAIT)


def test_a_plain_show_refreshes_and_a_close_stops(qtbot: Any, waiting_room: Any) -> None:
    window = waiting_room[0]
    window.resize(1600, 900)
    window.show()  # as the screenshot command shows it
    qtbot.waitUntil(lambda: labels(window, "servingToken") == ["1"], timeout=WAIT)
    assert window.clock_timer.isActive()
    big = window.findChild(QLabel, "servingToken").font().pixelSize()
    window.resize(800, 450)
    assert window.findChild(QLabel, "servingToken").font().pixelSize() < big  # fonts follow the window
    window.close()
    assert not window.clock_timer.isActive()
    refreshes = window.refreshes
    queue.call_next(window.session.ctx, window.cards[0].doctor_id) if window.cards else None
    qtbot.wait(300)
    assert window.refreshes == refreshes  # a closed display fetches nothing


def test_no_queue_and_no_permission(qtbot: Any, store: Store, system_ctx: Context, make_user: Any) -> None:
    make_user("Pharmacist", email="pharma@sunrise.example.in", password=PASSWORD)
    session = AppSession.open(store)
    session.login("pharma@sunrise.example.in", PASSWORD)
    window = WaitingRoomWindow(session)
    qtbot.addWidget(window)
    assert window.refresh() is False and "cannot see the queue" in window.status.text()
    assert search_audit(system_ctx, AuditQuery(action="permission_denied")).total == 0

    make_user("Receptionist", email="desk@sunrise.example.in", password=PASSWORD)
    session.login("desk@sunrise.example.in", PASSWORD)
    assert window.refresh() is True
    qtbot.waitUntil(lambda: window.cards == [], timeout=WAIT)
    assert window.empty.isVisibleTo(window) and not window.grid_host.isVisibleTo(window)


def test_public_name() -> None:
    assert public_name("Ravi Kumar") == "Ravi K."
    assert public_name("  lakshmi  devi  narayanan ") == "lakshmi N."
    assert public_name("Ravi") == "Ravi"
    assert public_name("") == ""

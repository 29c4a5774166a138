"""Changes reach every open screen: after each committed action, and after each sync page that applied rows,
listeners learn which tables and rows changed (``hms_desktop.changes``); open docks refresh from that, with no
polling. The two-PC test runs a real central server over PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from hms_desktop import changes
from hms_desktop.changes import Changes
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.services.reception.queue import check_in
from tests.pg import Lab
from tests.reception_fixtures import MONDAY, TEN_AM
from tests.test_sync_unique_values import desk, founder_day
from tests.test_ui_admin import type_into
from tests.ui_support import signed_in_window
from ui.worker import worker

WAIT = 30000


@pytest.fixture
def heard(system_ctx: Context) -> Iterator[list[Changes]]:
    found: list[Changes] = []
    unsubscribe = changes.subscribe(system_ctx.engine, found.append)
    yield found
    unsubscribe()


def test_a_committed_action_announces_its_rows_once(system_ctx: Context, heard: list[Changes]) -> None:
    with system_ctx.transaction() as tx:  # one action over two services
        a = register_patient(system_ctx, PatientInput("Announced One", "F", date(1990, 1, 1)))
        b = register_patient(system_ctx, PatientInput("Announced Two", "M", date(1991, 1, 1)))
        assert heard == []  # nothing before the commit
        tx.commit()
    [news] = heard
    assert news.origin == "local" and news.ids("patients") == {a.id, b.id}
    assert "audit_logs" not in news.tables and "id_sequences" not in news.tables  # bookkeeping is not news


def test_a_rolled_back_action_announces_nothing(system_ctx: Context, heard: list[Changes]) -> None:
    with pytest.raises(ValidationError), system_ctx.transaction() as tx:
        register_patient(system_ctx, PatientInput("Never Saved", "F", date(1990, 1, 1)))
        register_patient(system_ctx, PatientInput("", "F", date(1990, 1, 1)))  # no name: refused
        tx.commit()
    assert heard == []


def test_a_listener_that_fails_does_not_undo_the_action(system_ctx: Context) -> None:
    def broken(_: Changes) -> None:
        raise RuntimeError("a screen's bug")

    unsubscribe = changes.subscribe(system_ctx.engine, broken)
    try:
        saved = register_patient(system_ctx, PatientInput("Saved Anyway", "F", date(1990, 1, 1)))
    finally:
        unsubscribe()
    assert saved.code


@pytest.fixture
def lab_ui(qtbot: Any, lab: Lab) -> Iterator[Lab]:
    yield lab
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def test_a_patient_registered_on_one_pc_appears_in_the_other_pcs_open_queue_and_search(
    qtbot: Any, lab_ui: Lab, tmp_path: Path
) -> None:
    lab = lab_ui
    doctor = founder_day(lab)
    lab.sync(lab.founder)
    second = lab.new_pc("Reception 2")
    heard_sync: list[Changes] = []
    unsubscribe = changes.subscribe(second.engine, heard_sync.append)
    window = signed_in_window(qtbot, second, tmp_path, clock=FixedClock(TEN_AM))
    reception = window.dock_widget("reception")
    reception.tabs.setCurrentIndex(2)  # the Queue tab, open on Dr Meera
    qtbot.waitUntil(lambda: reception.queue.doctor.count() > 0, timeout=WAIT)
    reception.queue.select_doctor(doctor.id)
    type_into(reception.search, "Kavya")
    qtbot.waitUntil(lambda: reception.model.query == "Kavya", timeout=WAIT)
    assert reception.model.rowCount() == 0 and reception.queue.waiting.rowCount() == 0
    assert window.session.start_sync()  # this PC syncs in the background, as the desktop does

    # on the other PC: a walk-in registered, booked and checked in, then that PC syncs
    a = desk(lab.founder)
    kavya = register_patient(a, PatientInput("Kavya Reddy", "F", date(1992, 4, 4), phone="9886022222"))
    check_in(a, book_appointment(a, BookingInput(kavya.id, doctor.id, MONDAY, time(10, 0))).id)
    lab.sync(lab.founder)

    # no click on this PC: its open queue and search follow
    qtbot.waitUntil(lambda: reception.queue.waiting.rowCount() == 1, timeout=WAIT)
    assert reception.queue.waiting.item(0, 1).text() == "Kavya Reddy"
    qtbot.waitUntil(lambda: reception.model.rowCount() == 1, timeout=WAIT)
    assert reception.model.patient(0).code == kavya.code
    assert any(n.origin == "sync" and kavya.id in n.ids("patients") for n in heard_sync)
    unsubscribe()
    window.session.sync_stop.set()  # type: ignore[union-attr]

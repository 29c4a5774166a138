"""Admin > Sync against a real server and PostgreSQL: enrol this PC through the form (bad address, wrong
code, then the right one), sync on demand, and settle an edit that lost to a later one on another PC."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from db.models.patients import Patient
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import Store
from hms_desktop.sync.state import sync_status
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.test_ui_admin import click, enter, type_into
from tests.ui_support import signed_in_window
from ui.worker import worker

WAIT = 15000


@pytest.fixture
def server_only(tmp_path: Path, clinic_paths: StorePaths, recovery_key: str) -> Iterator[Lab]:
    """A server with no PC enrolled yet; ``founder`` is this test's clinic, not enrolled."""
    made = Lab(tmp_path, clinic_paths, recovery_key, enrol_founder=False)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(autouse=True)
def settle(qtbot: Any) -> Iterator[None]:
    yield
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def edit_city(store: Store, patient_id: Any, city: str) -> None:
    with signed_in_admin(store).transaction() as tx:
        row = tx.session.get(Patient, patient_id)
        assert row is not None
        row.city = city
        tx.commit()


def city(store: Store, patient_id: Any) -> str:
    with store.engine.connect() as conn:
        return str(conn.execute(select(Patient.city).where(Patient.id == patient_id)).scalar_one())


def sync_now(qtbot: Any, tab: Any) -> None:
    """Press Sync now until it is this press that ran (the background sync may hold the turn for a moment)."""
    for _ in range(10):
        tab.status.clear()
        click(tab.sync_button)
        qtbot.waitUntil(lambda: tab.status.text() != "" and tab.sync_button.isEnabled(), timeout=WAIT)
        if tab.status.text().startswith("Synced:"):
            return
        assert "Another sync" in tab.status.text(), tab.status.text()
        time.sleep(0.5)
    raise AssertionError("the background sync never let go")


def test_enrol_sync_and_settle_a_conflict_from_the_admin_dock(qtbot: Any, server_only: Lab, tmp_path: Path) -> None:
    pc = server_only.founder
    patient = register_patient(signed_in_admin(pc), PatientInput("Anil Kapoor", "M", date(1971, 6, 1)))
    window = signed_in_window(qtbot, pc, tmp_path)
    tab = window.dock_widget("admin").show_tab("sync")
    qtbot.waitUntil(tab.enrol_box.isVisible, timeout=WAIT)
    assert not tab.sync_button.isEnabled() and tab.summary.text() == "Sync: not set up"

    type_into(tab.server_url, "server.local:8765")
    type_into(tab.code, "WRONG-CODE")
    type_into(tab.pc_name, "Reception 1")
    enter(tab.pc_name)
    qtbot.waitUntil(lambda: tab.errors.message_for("server_url") != "", timeout=WAIT)
    assert "http://" in tab.errors.message_for("server_url")
    type_into(tab.server_url, server_only.server.url)
    enter(tab.code)
    qtbot.waitUntil(lambda: tab.enrol_button.isEnabled() and tab.errors._general.isVisible(), timeout=WAIT)
    assert "code" in tab.errors._general.text().lower()
    assert not sync_status(pc.engine).enrolled, "a refused enrolment changes nothing"

    type_into(tab.code, server_only.codes.pop())
    click(tab.enrol_button)
    qtbot.waitUntil(lambda: tab.status.text().startswith("This PC is WS01 (Reception 1)"), timeout=WAIT)
    qtbot.waitUntil(lambda: not tab.enrol_box.isVisible(), timeout=WAIT)
    session = window.session
    assert session.base.workstation.name == "Reception 1" and session.sync_stop is not None
    sync_now(qtbot, tab)
    assert server_only.central(f"SELECT full_name FROM patients WHERE id = '{patient.id}'") == [("Anil Kapoor",)]
    qtbot.waitUntil(lambda: tab.summary.text().startswith("Sync: just now"), timeout=WAIT)

    other = server_only.new_pc("Doctor 1")
    session.sync_stop.set()  # this PC's edit must stay unpushed until the other PC has pushed a later one
    time.sleep(1)
    edit_city(pc, patient.id, "Pune")
    time.sleep(0.01)
    edit_city(other, patient.id, "Nashik")
    server_only.sync(other)
    sync_now(qtbot, tab)
    qtbot.waitUntil(lambda: tab.conflict_table.rowCount() == 1, timeout=WAIT)
    tab.conflict_table.selectRow(0)
    assert '"city": "Pune"' in tab.loser_values.toPlainText()
    assert city(pc, patient.id) == "Nashik"
    click(tab.restore_button)
    qtbot.waitUntil(lambda: tab.status.text().startswith("The losing version is back"), timeout=WAIT)
    qtbot.waitUntil(lambda: tab.conflict_table.rowCount() == 0, timeout=WAIT)
    assert city(pc, patient.id) == "Pune"
    sync_now(qtbot, tab)
    server_only.sync(other)
    assert city(other, patient.id) == "Pune"


def test_the_sync_page_follows_the_sync_permission(qtbot: Any, store: Store, make_user: Any, tmp_path: Path) -> None:
    make_user("Admin", email="office@sunrise.example.in", password="Saffron-Teapot-2027")
    window = signed_in_window(qtbot, store, tmp_path, "office@sunrise.example.in", "Saffron-Teapot-2027")
    admin = window.dock_widget("admin")
    assert "sync" in admin.pages and admin.sync is not None
    assert [admin.tabs.tabText(i) for i in range(admin.tabs.count())][-1] == "Sync"

"""A prescription written in the consultation room reaches the pharmacy PC within a sync cycle, against a real
PostgreSQL and ``hms sync-server``: the doctor's PC saves and sends it, syncs; the pharmacy PC, syncing in the
background with its Pharmacy dock open, lists it with no click (the change broadcast of the pull)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from hms_desktop.clock import FixedClock
from hms_desktop.services.admin.users import UserInput, create_user
from hms_desktop.services.clinical.medicine_search import load_demo_catalog, search_medicines
from hms_desktop.services.clinical.prescription_input import PrescriptionInput, PrescriptionItemInput
from hms_desktop.services.clinical.prescriptions import save_prescription, send_to_pharmacy, update_prescription
from hms_desktop.services.reception.appointments import BookingInput, book_appointment
from hms_desktop.services.reception.patients import PatientInput, register_patient
from tests.helpers import signed_in_admin
from tests.pg import Lab
from tests.reception_fixtures import MONDAY, TEN_AM
from tests.test_sync_unique_values import desk, founder_day
from tests.ui_support import signed_in_window
from ui.worker import worker

WAIT = 30000


@pytest.fixture
def lab_ui(qtbot: Any, lab: Lab) -> Iterator[Lab]:
    yield lab
    qtbot.waitUntil(worker().idle, timeout=WAIT)


def test_a_sent_prescription_appears_on_the_pharmacy_pc(qtbot: Any, lab_ui: Lab, tmp_path: Path) -> None:
    lab = lab_ui
    doctor = founder_day(lab)
    a = desk(lab.founder)
    load_demo_catalog(a)
    admin = signed_in_admin(lab.founder, clock=FixedClock(TEN_AM))  # users reach the server from an admin only
    create_user(admin, UserInput("pharma@sunrise.example.in", "Asha Pharma", "Marigold-Ledger-2026", ["Pharmacist"],
                                 must_change_password=False))  # fmt: skip
    lab.sync(lab.founder)
    pharmacy_pc = lab.new_pc("Pharmacy")
    window = signed_in_window(qtbot, pharmacy_pc, tmp_path, "pharma@sunrise.example.in", "Marigold-Ledger-2026",
                              clock=FixedClock(TEN_AM))  # fmt: skip
    assert "pharmacy" in window.offered() and "doctor" not in window.offered()
    dock = window.dock_widget("pharmacy")
    qtbot.waitUntil(lambda: dock.count.text() == "0 waiting to be dispensed", timeout=WAIT)
    assert window.session.start_sync()

    # the consultation room (the founder PC): a prescription saved and sent, then that PC syncs
    meera = signed_in_admin(
        lab.founder, clock=a.clock, email="meera@sunrise.example.in", password="Marigold-Ledger-2026"
    )
    kavya = register_patient(a, PatientInput("Kavya Reddy", "F", MONDAY.replace(year=1992), phone="9886022222"))
    visit = book_appointment(a, BookingInput(kavya.id, doctor.id, MONDAY, time(10, 0)))
    dolo = search_medicines(meera, "dolo")[0]
    line = PrescriptionItemInput(medicine_id=dolo.id, dosage="1 tab", frequency="1-0-1", duration_days=3)
    rx = save_prescription(meera, PrescriptionInput(patient_id=kavya.id, appointment_id=visit.id, items=[line]))
    send_to_pharmacy(meera, rx.id)
    lab.sync(lab.founder)

    qtbot.waitUntil(lambda: dock.list.rowCount() == 1, timeout=WAIT)
    assert dock.list.item(0, 1).text() == f"{rx.code} v1"
    assert "Kavya Reddy" in dock.list.item(0, 2).text()

    # an amendment after sending: the pharmacy sees the current version
    update_prescription(meera, rx.id, PrescriptionInput(patient_id=kavya.id, appointment_id=visit.id,
                                                        items=[line, PrescriptionItemInput(
                                                            medicine_name="ORS sachet", dosage="1 sachet",
                                                            frequency="SOS", duration_days=3, quantity=5)]),
                        reason="ORS added for vomiting")  # fmt: skip
    lab.sync(lab.founder)
    qtbot.waitUntil(lambda: dock.list.item(0, 1) is not None and "v2" in dock.list.item(0, 1).text(), timeout=WAIT)
    assert dock.list.item(0, 4).text() == "2"
    window.session.sync_stop.set()  # type: ignore[union-attr]

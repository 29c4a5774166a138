"""The pharmacy's list of prescriptions to dispense: only sent ones, oldest first, with patient, doctor, item
count and the current version; an amendment after sending shows at once, with its new version number."""

from __future__ import annotations

from datetime import time

import pytest

from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.pharmacy.to_dispense import prescription_to_dispense, to_dispense
from tests.clinical_fixtures import checked_in, signed_in
from tests.rx_fixtures import RxDay, line, rx_day, rx_input


@pytest.fixture
def day(system_ctx, make_user) -> RxDay:  # type: ignore[no-untyped-def]
    return rx_day(system_ctx, make_user)


@pytest.fixture
def pharmacist(day: RxDay, make_user) -> Context:  # type: ignore[no-untyped-def]
    user = make_user("Pharmacist", email="farida@sunrise.example.in", name="Farida Khan")
    return signed_in(day.day.system, user.id)


def test_the_list_shows_sent_prescriptions_oldest_first(day: RxDay, pharmacist: Context) -> None:
    doc, clock = day.day.doctor_ctx, day.day.clock
    kavya = rx.save_prescription(doc, rx_input(day, line(day.medicines["Dolo 650"]), line(day.medicines["Mox 500"])))
    ravi_id, ravi_appt, _ = checked_in(day.day, "Ravi Kumar", "9845011111", at=time(10, 15))
    ravi = rx.save_prescription(doc, rx_input(day, patient_id=ravi_id, appointment_id=ravi_appt.id))
    kept_back = rx.save_prescription(doc, rx_input(day, line(day.medicines["Pan 40"])))  # final, not sent
    assert to_dispense(pharmacist) == []
    rx.send_to_pharmacy(doc, ravi.id)
    clock.advance(minutes=3)
    rx.send_to_pharmacy(doc, kavya.id)
    listed = to_dispense(pharmacist)
    assert [(e.code, e.patient_name, e.doctor_name, e.item_count, e.version, e.amended) for e in listed] == [
        (ravi.code, "Ravi Kumar", "Dr Meera Iyer", 1, 1, False),
        (kavya.code, "Kavya Nair", "Dr Meera Iyer", 2, 1, False),
    ]
    assert listed[1].patient_code == day.day.patient.code and listed[0].sent_at < listed[1].sent_at
    assert kept_back.id not in {e.prescription_id for e in listed}
    with pytest.raises(Conflict, match="not sent to the pharmacy yet"):
        prescription_to_dispense(pharmacist, kept_back.id)
    rx.cancel_prescription(doc, ravi.id, "Patient left")
    assert [e.code for e in to_dispense(pharmacist)] == [kavya.code]


def test_the_pharmacy_sees_the_current_version_after_an_amendment(day: RxDay, pharmacist: Context) -> None:
    doc = day.day.doctor_ctx
    dolo, mox, aug = day.medicines["Dolo 650"], day.medicines["Mox 500"], day.medicines["Augmentin 625 Duo"]
    made = rx.save_prescription(doc, rx_input(day, line(dolo), line(mox, frequency="1-1-1")))
    rx.send_to_pharmacy(doc, made.id)
    opened = prescription_to_dispense(pharmacist, made.id)
    assert opened.version == 1 and [i.medicine_name for i in opened.items] == ["Dolo 650", "Mox 500"]
    assert opened.doctor_registration == "Reg. No. KMC-48211 (Karnataka Medical Council)"
    rx.update_prescription(doc, made.id, rx_input(day, line(dolo), line(aug, frequency="BD", duration_days=5)),
                           reason="Switched to amoxicillin-clavulanate")  # fmt: skip
    [entry] = to_dispense(pharmacist)
    assert (entry.version, entry.amended, entry.item_count) == (2, True, 2)
    now = prescription_to_dispense(pharmacist, made.id)
    assert now.version == 2 and now.amended
    assert [(i.line_no, i.medicine_name, i.quantity, i.is_schedule_h) for i in now.items] == [
        (1, "Dolo 650", 10, False),
        (2, "Augmentin 625 Duo", 10, True),
    ]
    assert now.items[0].id == opened.items[0].id  # the unchanged line is the same line a dispensing points at
    assert now.items[1].id not in {i.id for i in opened.items}


def test_who_sees_the_list(day: RxDay, pharmacist: Context) -> None:
    assert to_dispense(day.day.doctor_ctx) == [] and to_dispense(pharmacist) == []
    with pytest.raises(PermissionDenied):
        to_dispense(day.day.receptionist_ctx)

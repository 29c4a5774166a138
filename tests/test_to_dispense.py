"""The pharmacy's list of prescriptions to dispense: only sent ones, oldest first, with patient, doctor, item
count and the current version; an amendment after sending shows at once, with its new version number."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest

from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine
from hms_desktop.services.pharmacy.to_dispense import prescription_to_dispense, to_dispense
from tests.clinical_fixtures import checked_in, signed_in
from tests.pharmacy_fixtures import stocked
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
    assert [(e.filled_items, e.remaining_items, e.partly_dispensed) for e in listed] == [(0, 1, False), (0, 2, False)]
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


def test_a_partly_dispensed_prescription_stays_with_what_remains(day: RxDay, pharmacist: Context) -> None:
    doc = day.day.doctor_ctx
    dolo, mox, calpol = day.medicines["Dolo 650"], day.medicines["Mox 500"], day.medicines["Calpol 250 Suspension"]
    for medicine, batch in ((dolo, "D1"), (mox, "M1"), (calpol, "C1")):
        stocked(day.day.system, medicine, batch, date(2027, 6, 30), 30)
    made = rx.save_prescription(doc, rx_input(day, line(dolo), line(mox), line(calpol, dosage="5 ml", frequency="TDS",
                                                                             duration_days=3)))  # fmt: skip
    rx.send_to_pharmacy(doc, made.id)
    ids = {i.medicine_name: i.id for i in made.items}

    def give(*pairs: tuple[str, uuid.UUID, int]) -> None:
        lines = [DispenseLine(medicine_id=m, quantity=q, prescription_item_id=ids[name]) for name, m, q in pairs]
        dispense(pharmacist, DispenseInput(patient_id=made.patient_id, prescription_id=made.id, lines=lines),
                 request_id=uuid.uuid4())  # fmt: skip

    give(("Dolo 650", dolo, 10), ("Mox 500", mox, 3))
    [entry] = to_dispense(pharmacist)
    assert (entry.item_count, entry.filled_items, entry.remaining_items, entry.partly_dispensed) == (3, 1, 2, True)
    opened = prescription_to_dispense(pharmacist, made.id)
    assert [(f.medicine_name, f.prescribed, f.dispensed, f.remaining, f.filled) for f in opened.fills] == [
        ("Dolo 650", 10, 10, 0, True),
        ("Mox 500", 10, 3, 7, False),
        ("Calpol 250 Suspension", None, 0, None, False),  # no quantity prescribed: open until dispensed once
    ]
    assert [f.prescription_item_id for f in opened.fills] == [i.id for i in opened.items]
    give(("Mox 500", mox, 7))
    [entry] = to_dispense(pharmacist)
    assert (entry.filled_items, entry.remaining_items) == (2, 1)
    give(("Calpol 250 Suspension", calpol, 2))
    assert to_dispense(pharmacist) == []
    with pytest.raises(Conflict, match="is dispensed; there is nothing to dispense"):
        prescription_to_dispense(pharmacist, made.id)

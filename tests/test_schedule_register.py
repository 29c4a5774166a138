"""The Schedule H1/X register: one entry per dispensed line of an H1 (or X) medicine, written with the dispensing,
everything copied in (prescriber's name, registration and address; patient's name and address; medicine, maker,
batch, expiry, quantity; who dispensed); listed by the clinic's local date; append-only; printed on A4 landscape
and read back from the PDF; and who may read it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select
from sqlalchemy.exc import DatabaseError

from db.models.audit import AuditLog
from db.models.hospital import Hospital
from db.models.patients import Patient
from db.models.pharmacy import ScheduleRegisterEntry
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.services.pharmacy.dispensing_views import DispensingView
from hms_desktop.services.pharmacy.schedule_register import schedule_register, schedule_register_pdf
from tests.clinical_fixtures import MONDAY
from tests.dispense_fixtures import edit_medicine, rx_item, rx_lines, shelf, take, written
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day, sent_rx, stocked
from tests.rx_fixtures import line

A4_LANDSCAPE = (841.9, 595.3)


@pytest.fixture
def pd(system_ctx, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    day = pharmacy_day(system_ctx, make_user)
    with day.system.transaction() as tx:
        hospital = tx.session.scalars(select(Hospital).where(Hospital.deleted_at.is_(None))).first()
        assert hospital is not None
        hospital.name, hospital.address_line1, hospital.city = "Sunrise Clinic", "12 MG Road", "Bengaluru"
        hospital.pincode, hospital.state = "560001", "Karnataka"
        kavya = tx.session.get(Patient, day.rx.day.patient.id)
        assert kavya is not None
        kavya.address_line1, kavya.city, kavya.pincode = "4 Church Street", "Bengaluru", "560025"
        tx.commit()
    return day


def sell_taxim(pd: PharmacyDay) -> DispensingView:
    """Dr Iyer's prescription of Taxim-O 200 (H1, 10 tablets), Mox 500 (H) and Dolo 650, dispensed in full;
    the Taxim-O comes from two batches (4 from T1, 6 from T2)."""
    shelf(pd)
    taxim, mox = pd.medicines["Taxim-O 200"], pd.medicines["Mox 500"]
    stocked(pd.system, taxim, "T1", date(2027, 3, 31), 4, mrp_paise=10900)
    stocked(pd.system, taxim, "T2", date(2027, 9, 30), 40, mrp_paise=10900)
    stocked(pd.system, mox, "M1", date(2027, 9, 30), 40, mrp_paise=10150)
    made = sent_rx(pd, line(taxim), line(mox), line(pd.medicines["Dolo 650"]))
    lines = [take(pd, brand, 10, prescription_item_id=rx_item(made, brand)) for brand in ("Taxim-O 200", "Mox 500",
                                                                                        "Dolo 650")]  # fmt: skip
    return dispense(pd.pharmacist, rx_lines(made, *lines), request_id=uuid.uuid4())


def test_each_h1_line_is_entered_with_everything_copied_in(pd: PharmacyDay) -> None:
    v = sell_taxim(pd)
    entries = schedule_register(pd.pharmacist, "H1", MONDAY, MONDAY)
    assert [(e.batch_number, e.quantity, e.expiry_date) for e in entries] == [
        ("T1", 4, date(2027, 3, 31)),
        ("T2", 6, date(2027, 9, 30)),
    ]
    e = entries[0]
    assert (e.schedule, e.supplied_at, e.dispensing_id, e.dispensing_code) == ("H1", v.dispensed_at, v.id, v.code)
    assert e.dispensing_item_id == v.items[0].id and (e.prescription_id, e.prescription_code) == (
        v.prescription_id, v.prescription_code)  # fmt: skip
    assert (e.prescriber_name, e.prescriber_registration) == (
        "Dr Meera Iyer", "Reg. No. KMC-48211 (Karnataka Medical Council)")  # fmt: skip
    assert e.prescriber_address == "Sunrise Clinic, 12 MG Road, Bengaluru 560001, Karnataka"
    assert (e.patient_name, e.patient_address) == ("Kavya Nair", "4 Church Street, Bengaluru 560025")
    assert (e.medicine_name, e.manufacturer) == ("Taxim-O 200 (Cefixime 200 mg)", "Alkem")
    assert (e.dispensed_by_name, e.dispensed_by_id) == ("Farida Khan", v.dispensed_by_id)
    assert schedule_register(pd.pharmacist, "X", MONDAY, MONDAY) == []  # Mox 500 (H) and Dolo 650 enter nothing
    # a later change of the patient does not rewrite the register, and the register cannot be edited
    with pd.system.transaction() as tx:
        kavya = tx.session.get(Patient, v.patient_id)
        assert kavya is not None
        kavya.full_name = "Kavya N. Menon"
        tx.commit()
    assert schedule_register(pd.manager, "H1", MONDAY, MONDAY) == entries
    with pytest.raises(DatabaseError), pd.system.transaction() as tx:
        row = tx.session.get(ScheduleRegisterEntry, e.id)
        assert row is not None
        row.quantity = 1
        tx.commit()
    assert schedule_register(pd.pharmacist, "H1", MONDAY, MONDAY)[0].quantity == 4


def test_a_refused_dispensing_enters_nothing(pd: PharmacyDay) -> None:
    shelf(pd)
    taxim = pd.medicines["Taxim-O 200"]
    stocked(pd.system, taxim, "T1", date(2027, 3, 31), 40)
    made = sent_rx(pd, line(taxim), line(pd.medicines["Dolo 650"], duration_days=40))  # 80 Dolo: only 60 to sell
    lines = [take(pd, "Taxim-O 200", 10, prescription_item_id=rx_item(made, "Taxim-O 200")),
             take(pd, "Dolo 650", 80, prescription_item_id=rx_item(made, "Dolo 650"))]  # fmt: skip
    before = written(pd.system)
    with pytest.raises(Conflict, match="Dolo 650: only 60 on hand"):
        dispense(pd.pharmacist, rx_lines(made, *lines), request_id=uuid.uuid4())
    assert written(pd.system) == before and before["schedule_register"] == 0


def test_schedule_x_keeps_its_own_register_and_days_are_the_clinics(pd: PharmacyDay) -> None:
    sell_taxim(pd)
    edit_medicine(pd, "Pan 40", schedule="X")
    pan = pd.medicines["Pan 40"]
    stocked(pd.system, pan, "P1", date(2027, 5, 31), 30, mrp_paise=15500)
    clock = pd.rx.day.clock
    clock.advance(hours=14, minutes=30)  # 00:30 on Tuesday 1 December in Bengaluru (still 30 Nov in UTC)
    made = sent_rx(pd, line(pan))
    dispense(pd.pharmacist, rx_lines(made, take(pd, "Pan 40", 10, prescription_item_id=made.items[0].id)),
             request_id=uuid.uuid4())  # fmt: skip
    tuesday = MONDAY + timedelta(days=1)
    assert [e.medicine_name for e in schedule_register(pd.pharmacist, "X", tuesday, tuesday)] == [
        "Pan 40 (Pantoprazole 40 mg)"
    ]
    assert schedule_register(pd.pharmacist, "X", MONDAY, MONDAY) == []
    assert len(schedule_register(pd.pharmacist, "H1", MONDAY, tuesday)) == 2


def test_the_register_prints_on_a4_landscape_with_every_column(pd: PharmacyDay) -> None:
    v = sell_taxim(pd)
    pdf = schedule_register_pdf(pd.pharmacist, "H1", date(2026, 11, 1), MONDAY)
    doc = pdfium.PdfDocument(pdf)
    width, height = doc[0].get_size()
    assert (round(width, 1), round(height, 1)) == A4_LANDSCAPE
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    flat = " ".join(text.split())
    for expected in (
        "Sunrise Clinic", "12 MG Road, Bengaluru 560001, Karnataka", "Schedule H1 register",
        "Period: 01 Nov 2026 to 30 Nov 2026", "Printed 30 Nov 2026, 10:00 IST", "2 supplies", "30 Nov 2026, 10:00",
        v.code, v.prescription_code, "Dr Meera Iyer", "Reg. No. KMC-48211 (Karnataka Medical Council)",
        "Kavya Nair", "4 Church Street, Bengaluru 560025", "Taxim-O 200 (Cefixime 200 mg)", "Alkem", "T1", "T2",
        "31 Mar 2027", "30 Sep 2027", "Farida Khan", "Prescriber", "Patient", "Manufacturer", "Expiry", "Qty",
        "Dispensed by", "Page 1",
    ):  # fmt: skip
        assert expected in flat, expected
    assert "Mox 500" not in flat and "Dolo 650" not in flat
    with pd.system.transaction(readonly=True) as tx:
        [printed] = tx.session.scalars(select(AuditLog).where(AuditLog.action == "print")).all()
        assert (printed.entity_type, printed.user_email) == ("schedule_register", "farida@sunrise.example.in")
        assert printed.detail == "Schedule H1 register, 01 Nov 2026 to 30 Nov 2026 (2 entries)"
    empty = pdfium.PdfDocument(schedule_register_pdf(pd.pharmacist, "X", MONDAY, MONDAY))
    assert "No supplies in this period." in empty[0].get_textpage().get_text_range()


def test_bad_periods_and_who_may_read_the_register(pd: PharmacyDay) -> None:
    with pytest.raises(ValidationError, match="Schedule H1 or Schedule X") as err:
        schedule_register(pd.pharmacist, "H", MONDAY, MONDAY)
    assert err.value.field == "schedule"
    with pytest.raises(ValidationError, match="ends before it starts"):
        schedule_register(pd.pharmacist, "H1", MONDAY, MONDAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="Enter a date"):
        schedule_register_pdf(pd.pharmacist, "H1", "2026-11-01", MONDAY)  # type: ignore[arg-type]
    for call in (schedule_register, schedule_register_pdf):
        with pytest.raises(PermissionDenied):
            call(pd.rx.day.receptionist_ctx, "H1", MONDAY, MONDAY)

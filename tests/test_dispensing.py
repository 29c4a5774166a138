"""Dispensing: an over-the-counter sale by FEFO split across batches, with its lines, movements, charges and totals;
a prescription filled in two goes (the rest stays on the to-dispense list, then the prescription is dispensed);
a chosen batch with its reason; a substitute with its note; an SOS line; the plan; the scanner; and every refusal
(more than on hand, an expired batch, a Schedule H/H1 medicine over the counter, quantities 0/-1/1.5/True, a
prescription already dispensed, a pick without a reason, ...) with counts proving nothing was written."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from db.models.audit import AuditLog
from db.models.clinical import Charge
from db.models.inventory import StockMovement
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.clinical import prescriptions as rx
from hms_desktop.services.pharmacy.dispensing import dispense, plan_dispense, prescription_plan, scan_pack
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, dispensing, dispensings_for
from hms_desktop.services.pharmacy.to_dispense import prescription_to_dispense, to_dispense
from tests.dispense_fixtures import (
    DOLO_MRP,
    LATER,
    SOON,
    edit_medicine,
    otc,
    rx_item,
    rx_lines,
    shelf,
    take,
    written,
)
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, sent_rx, stocked
from tests.reception_fixtures import patient
from tests.rx_fixtures import line, rx_input


@pytest.fixture
def pd(system_ctx, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def charges(pd: PharmacyDay, dispensing_id: uuid.UUID) -> list[Charge]:
    with pd.system.transaction(readonly=True) as tx:
        q = select(Charge).where(Charge.source_id == dispensing_id).order_by(Charge.line_no)
        return list(tx.session.scalars(q))


# --- over the counter ------------------------------------------------------------------------------------------


def test_an_otc_sale_takes_the_earliest_expiry_first_and_splits(pd: PharmacyDay) -> None:
    s = shelf(pd)
    request = uuid.uuid4()
    v = dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 15), note="Walk-in"), request_id=request)
    assert (v.id, v.code, v.status, v.note) == (request, "DSP-2026-000001", "dispensed", "Walk-in")
    assert (v.patient_name, v.dispensed_by_name, v.dispensed_at) == ("Kavya Nair", "Farida Khan", pd.system.clock.now())
    assert (v.prescription_id, v.prescription_code, v.prescription_version) == (None, "", None)
    assert [(i.line_no, i.batch_number, i.quantity, i.unit_price_paise, i.line_total_paise) for i in v.items] == [
        (1, "D1", 10, 224, 2240),
        (2, "D2", 5, 224, 1120),
    ]
    assert [(i.tax_basis_points, i.tax_paise, i.pick_reason, i.expiry_date) for i in v.items] == [
        (500, 107, "", SOON),
        (500, 53, "", LATER),
    ]
    assert v.items[0].medicine_name == "Dolo 650 (Paracetamol 650 mg)"
    assert (v.total_paise, v.tax_paise, v.subtotal_paise) == (3360, 160, 3200)
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2), on_hand(pd.system, s.dx)) == (0, 45, 100)
    with pd.system.transaction(readonly=True) as tx:
        moves = tx.session.scalars(select(StockMovement).where(StockMovement.movement_type == "dispense")).all()
        assert sorted((m.quantity_delta, m.reference_type, m.reference_id) for m in moves) == sorted(
            (-i.quantity, "pharmacy_dispensing_items", i.id) for i in v.items
        )
    c = charges(pd, v.id)
    assert [(x.line_no, x.source_type, x.item_type, x.quantity, x.unit_price_paise, x.amount_paise) for x in c] == [
        (1, "dispensing", "medicine", 10, 224, 2240),
        (2, "dispensing", "medicine", 5, 224, 1120),
    ]
    assert [x.description for x in c] == [
        "Dolo 650 (Paracetamol 650 mg) x 10, batch D1",
        "Dolo 650 (Paracetamol 650 mg) x 5, batch D2",
    ]
    assert all(x.price_includes_tax and x.hsn_sac_code == "3004" and x.gst_rate_basis_points == 500 for x in c)
    assert all(x.status == "unbilled" and x.patient_id == pd.rx.day.patient.id for x in c)
    # a double-clicked Save: the same dispensing, nothing more written
    before = written(pd.system)
    assert dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 15)), request_id=request) == v
    assert written(pd.system) == before
    assert dispensing(pd.manager, v.id) == v and dispensings_for(pd.pharmacist, pd.rx.day.patient.id) == [v]


def test_more_than_on_hand_is_refused_and_nothing_is_written(pd: PharmacyDay) -> None:
    s = shelf(pd)
    before = written(pd.system)
    with pytest.raises(Conflict, match=r"Dolo 650: only 60 on hand that may be sold \(100 more are expired"):
        dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 61)), request_id=uuid.uuid4())
    # two lines that each fit but together do not
    with pytest.raises(Conflict, match="only 20 on hand"):
        dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 40), take(pd, "Dolo 650", 21)), request_id=uuid.uuid4())
    assert written(pd.system) == before
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (10, 50)


def test_a_chosen_batch_other_than_fefos_needs_a_reason_kept_on_the_line(pd: PharmacyDay) -> None:
    s = shelf(pd)
    before = written(pd.system)
    with pytest.raises(ValidationError, match="say why this batch") as err:
        dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 5, batch_id=s.d2)), request_id=uuid.uuid4())
    assert err.value.field == "lines[0].pick_reason"
    assert written(pd.system) == before
    why = "Patient travels abroad for six months"
    v = dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 5, batch_id=s.d2, pick_reason=why)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert [(i.batch_number, i.quantity, i.pick_reason) for i in v.items] == [("D2", 5, why)]
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (10, 45)
    with pd.system.transaction(readonly=True) as tx:
        audited = tx.session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "pharmacy_dispensing_items", AuditLog.action == "create")
        ).all()
        assert [a.new_values["pick_reason"] for a in audited if a.new_values] == [why]
    # FEFO's own batch needs no reason (and keeps none)
    v2 = dispense(
        pd.pharmacist, otc(pd, take(pd, "Dolo 650", 2, batch_id=s.d1, pick_reason="x")), request_id=uuid.uuid4()
    )
    assert [(i.batch_number, i.pick_reason) for i in v2.items] == [("D1", "")]


def test_a_chosen_batch_that_is_expired_of_another_medicine_or_short_is_refused(pd: PharmacyDay) -> None:
    s = shelf(pd)
    mox = stocked(pd.system, pd.medicines["Mox 500"], "M1", LATER, 30)
    before = written(pd.system)
    cases = [
        (s.dx, ValidationError, r"Dolo 650, batch DX expired on 29 Nov 2026: it cannot be sold"),
        (mox, ValidationError, "Batch M1 is of Mox 500, not of Dolo 650"),
        (s.d1, Conflict, r"Dolo 650, batch D1: only 10 on hand, 12 asked"),
        (uuid.uuid4(), ValidationError, "That batch does not exist"),
    ]
    for batch_id, error, message in cases:
        with pytest.raises(error, match=message):
            dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 12, batch_id=batch_id, pick_reason="asked")),
                     request_id=uuid.uuid4())  # fmt: skip
    assert written(pd.system) == before


@pytest.mark.parametrize("quantity", [0, -1, 1.5, True, 10_001, "5"])
def test_a_quantity_is_a_whole_number_from_1_to_10000(pd: PharmacyDay, quantity: object) -> None:
    shelf(pd)
    before = written(pd.system)
    with pytest.raises(ValidationError, match="The quantity of Dolo 650 must be a whole number from 1 to 10000") as e:
        dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", quantity)), request_id=uuid.uuid4())  # type: ignore[arg-type]
    assert e.value.field == "lines[0].quantity"
    assert written(pd.system) == before


def test_scheduled_medicines_are_not_sold_over_the_counter(pd: PharmacyDay) -> None:
    stocked(pd.system, pd.medicines["Mox 500"], "M1", LATER, 30)
    stocked(pd.system, pd.medicines["Taxim-O 200"], "T1", LATER, 30)
    before = written(pd.system)
    for brand, schedule in (("Mox 500", "H"), ("Taxim-O 200", "H1")):
        with pytest.raises(
            ValidationError, match=f"{brand} is a Schedule {schedule} medicine: it is sold only against"
        ):
            dispense(pd.pharmacist, otc(pd, take(pd, brand, 10)), request_id=uuid.uuid4())
    edit_medicine(pd, "Dolo 650", schedule="X", is_schedule_h=True)
    with pytest.raises(ValidationError, match="Schedule X"):
        dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 1)), request_id=uuid.uuid4())
    assert written(pd.system) == before


# --- against a prescription -------------------------------------------------------------------------------------


def test_a_prescription_filled_in_two_goes(pd: PharmacyDay) -> None:
    s = shelf(pd)
    m1 = stocked(pd.system, pd.medicines["Mox 500"], "M1", LATER, 30, mrp_paise=10150)
    made = sent_rx(pd, line(pd.medicines["Dolo 650"]), line(pd.medicines["Mox 500"]))
    dolo_line, mox_line = rx_item(made, "Dolo 650"), rx_item(made, "Mox 500")
    plan = prescription_plan(pd.pharmacist, made.id)
    assert [(p.medicine_name, p.remaining, p.quantity, [(k.batch_number, k.quantity) for k in p.picks])
            for p in plan.lines] == [("Dolo 650", 10, 10, [("D1", 10)]), ("Mox 500", 10, 10, [("M1", 10)])]  # fmt: skip
    assert plan.ready and plan.total_paise == 2240 + 10150 and (plan.prescription_version, plan.shortages) == (1, ())
    first = dispense(pd.pharmacist, rx_lines(made, take(pd, "Dolo 650", 10, prescription_item_id=dolo_line),
                                             take(pd, "Mox 500", 4, prescription_item_id=mox_line)),
                     request_id=uuid.uuid4())  # fmt: skip
    assert (first.prescription_id, first.prescription_version, first.prescription_status) == (
        made.id, 1, "sent_to_pharmacy")  # fmt: skip
    [entry] = to_dispense(pd.pharmacist)
    assert (entry.item_count, entry.filled_items, entry.remaining_items, entry.partly_dispensed) == (2, 1, 1, True)
    opened = prescription_to_dispense(pd.pharmacist, made.id)
    assert [(f.medicine_name, f.prescribed, f.dispensed, f.remaining, f.filled) for f in opened.fills] == [
        ("Dolo 650", 10, 10, 0, True),
        ("Mox 500", 10, 4, 6, False),
    ]
    plan = prescription_plan(pd.pharmacist, made.id)
    assert [(p.note, p.quantity, p.dispensed_before) for p in plan.lines] == [("Dispensed in full.", 0, 10),
                                                                             ("", 6, 4)]  # fmt: skip
    before = written(pd.system)
    with pytest.raises(ValidationError, match="Mox 500 on RX-2026-000001 has 6 still to dispense; 7 is more"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Mox 500", 7, prescription_item_id=mox_line)),
                 request_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(ValidationError, match="Dolo 650 on RX-2026-000001 is already dispensed in full"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Dolo 650", 1, prescription_item_id=dolo_line)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert written(pd.system) == before
    last = dispense(pd.pharmacist, rx_lines(made, take(pd, "Mox 500", 6, prescription_item_id=mox_line)),
                    request_id=uuid.uuid4())  # fmt: skip
    assert last.prescription_status == "dispensed" and rx.prescription(pd.rx.day.doctor_ctx, made.id).status == (
        "dispensed")  # fmt: skip
    assert to_dispense(pd.pharmacist) == [] and (on_hand(pd.system, m1), on_hand(pd.system, s.d1)) == (20, 0)
    # a prescription already fully dispensed is refused with its state, and nothing is written
    before = written(pd.system)
    with pytest.raises(Conflict, match="RX-2026-000001 is already dispensed; there is nothing to dispense"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Mox 500", 1, prescription_item_id=mox_line)),
                 request_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(Conflict, match="already dispensed"):
        prescription_plan(pd.pharmacist, made.id)
    assert written(pd.system) == before


def test_a_prescription_not_sent_cancelled_or_of_another_patient_is_refused(pd: PharmacyDay) -> None:
    shelf(pd)
    doc = pd.rx.day.doctor_ctx
    kept = rx.save_prescription(doc, rx_input(pd.rx, line(pd.medicines["Dolo 650"], duration_days=2)))  # final only
    gone = sent_rx(pd, line(pd.medicines["Dolo 650"], duration_days=3))
    rx.cancel_prescription(doc, gone.id, "Wrong patient")
    sent = sent_rx(pd, line(pd.medicines["Dolo 650"]))
    ravi = patient(pd.system, "Ravi Kumar", "9845011111")
    before = written(pd.system)
    for made, message in ((kept, "is not sent to the pharmacy yet"), (gone, "is cancelled")):
        with pytest.raises(Conflict, match=message):
            dispense(pd.pharmacist, rx_lines(made, take(pd, "Dolo 650", 1, prescription_item_id=made.items[0].id)),
                     request_id=uuid.uuid4())  # fmt: skip
    for_ravi = DispenseInput(patient_id=ravi.id, prescription_id=sent.id,
                             lines=[take(pd, "Dolo 650", 1, prescription_item_id=sent.items[0].id)])  # fmt: skip
    with pytest.raises(ValidationError, match=r"RX-2026-00000\d is not Ravi Kumar's prescription"):
        dispense(pd.pharmacist, for_ravi, request_id=uuid.uuid4())
    with pytest.raises(ValidationError, match="not on RX-.* as it now stands") as err:
        dispense(pd.pharmacist, rx_lines(sent, take(pd, "Dolo 650", 1)), request_id=uuid.uuid4())
    assert err.value.field == "lines[0].prescription_item_id"
    assert written(pd.system) == before


def test_an_amended_line_is_dispensed_as_it_now_stands(pd: PharmacyDay) -> None:
    shelf(pd)
    made = sent_rx(pd, line(pd.medicines["Dolo 650"]))
    old = made.items[0].id
    now = rx.update_prescription(pd.rx.day.doctor_ctx, made.id, rx_input(pd.rx, line(pd.medicines["Dolo 650"],
                                 duration_days=3)), reason="Three days are enough")  # fmt: skip
    before = written(pd.system)
    with pytest.raises(ValidationError, match="it may have been amended"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Dolo 650", 6, prescription_item_id=old)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert written(pd.system) == before
    v = dispense(pd.pharmacist, rx_lines(now, take(pd, "Dolo 650", 6, prescription_item_id=now.items[0].id)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert (v.prescription_version, v.prescription_status) == (2, "dispensed")


def test_a_substitute_needs_a_note_which_is_recorded(pd: PharmacyDay) -> None:
    stocked(pd.system, pd.medicines["Crocin Advance"], "C1", LATER, 30, mrp_paise=2040)
    made = sent_rx(pd, line(pd.medicines["Dolo 650"]))
    item = made.items[0].id
    before = written(pd.system)
    with pytest.raises(ValidationError, match=r"Crocin Advance is not what was prescribed \(Dolo 650\)") as err:
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Crocin Advance", 10, prescription_item_id=item)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert err.value.field == "lines[0].substitute_note" and written(pd.system) == before
    note = "Dolo 650 out of stock; same generic (paracetamol), doctor informed"
    v = dispense(pd.pharmacist, rx_lines(made, take(pd, "Crocin Advance", 10, prescription_item_id=item,
                                                    substitute_note=note)), request_id=uuid.uuid4())  # fmt: skip
    assert [(i.medicine_name, i.substitute_note, i.prescription_item_id) for i in v.items] == [
        ("Crocin Advance (Paracetamol 500 mg)", note, item)
    ]
    assert v.prescription_status == "dispensed"


def test_a_line_without_a_prescribed_quantity_takes_what_the_pharmacist_enters(pd: PharmacyDay) -> None:
    calpol = pd.medicines["Calpol 250 Suspension"]
    stocked(pd.system, calpol, "S1", LATER, 3000, mrp_paise=4600)
    made = sent_rx(pd, line(calpol, dosage="5 ml", frequency="1-1-1", duration_days=3))
    assert made.items[0].quantity == 0
    item = made.items[0].id
    plan = prescription_plan(pd.pharmacist, made.id)
    assert [(p.prescribed, p.remaining, p.picks, p.note) for p in plan.lines] == [
        (None, None, (), "No quantity was prescribed (SOS): enter the quantity to give.")
    ]
    before = written(pd.system)
    with pytest.raises(
        ValidationError, match="No quantity was prescribed for Calpol 250 Suspension: give at most 1000"
    ):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Calpol 250 Suspension", 1001, prescription_item_id=item)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert written(pd.system) == before
    v = dispense(pd.pharmacist, rx_lines(made, take(pd, "Calpol 250 Suspension", 1, prescription_item_id=item)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert (v.items[0].quantity, v.total_paise, v.prescription_status) == (1, 4600, "dispensed")


# --- the plan and the scanner -----------------------------------------------------------------------------------


def test_the_plan_names_shortages_and_missing_reasons_and_writes_nothing(pd: PharmacyDay) -> None:
    s = shelf(pd)
    before = written(pd.system)
    plan = plan_dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 70), take(pd, "Dolo 650", 1, batch_id=s.d2)))
    first, second = plan.lines
    assert [(k.batch_number, k.quantity, k.on_hand) for k in first.picks] == [("D1", 10, 10), ("D2", 50, 50)]
    assert (first.shortfall, first.fefo_batch_id) == (10, s.d1)
    assert (second.shortfall, second.needs_pick_reason) == (1, False)  # D2 is FEFO's now, and empty after line 1
    assert plan.shortages[0].startswith("Dolo 650: only 60 on hand that may be sold") and not plan.ready
    assert plan.total_paise == 60 * 224 and written(pd.system) == before
    later = plan_dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 1, batch_id=s.d2)))
    assert later.lines[0].needs_pick_reason and not later.ready


def test_scanning_a_pack_gives_its_medicine_and_batches_in_fefo_order(pd: PharmacyDay) -> None:
    s = shelf(pd)
    stocked(pd.system, pd.medicines["Dolo 650"], "D0", SOON, 0)  # empty: not offered
    edit_medicine(pd, "Dolo 650", barcode="8901234567894")
    hit = scan_pack(pd.pharmacist, " 8901234567894 ")
    assert (hit.name, hit.generic_name, hit.strength, hit.schedule, hit.pack_size) == (
        "Dolo 650", "Paracetamol", "650 mg", "none", 15)  # fmt: skip
    assert [(b.id, b.on_hand, b.mrp_paise, b.unit_price_paise) for b in hit.batches] == [
        (s.d1, 10, DOLO_MRP, 224),
        (s.d2, 50, DOLO_MRP, 224),
    ]
    assert hit.expired_on_hand == 100
    with pytest.raises(NotFound, match="No medicine has the barcode 4006381333931"):
        scan_pack(pd.pharmacist, "4006381333931")
    edit_medicine(pd, "Dolo 650", is_active=False)
    with pytest.raises(NotFound, match="No medicine has the barcode 8901234567894"):
        scan_pack(pd.pharmacist, "8901234567894")


# --- who may dispense -----------------------------------------------------------------------------------------


def test_a_receptionist_and_an_inventory_manager_cannot_dispense(pd: PharmacyDay) -> None:
    shelf(pd)
    before = written(pd.system)
    for ctx in (pd.rx.day.receptionist_ctx, pd.manager):
        with pytest.raises(PermissionDenied):
            dispense(ctx, otc(pd, take(pd, "Dolo 650", 1)), request_id=uuid.uuid4())
        with pytest.raises(PermissionDenied):
            plan_dispense(ctx, otc(pd, take(pd, "Dolo 650", 1)))
        with pytest.raises(PermissionDenied):
            scan_pack(ctx, "8901234567894")
    with pytest.raises(PermissionDenied):
        dispensings_for(pd.rx.day.receptionist_ctx, pd.rx.day.patient.id)
    assert written(pd.system) == before
    with pytest.raises(NotFound):
        dispensing(pd.pharmacist, uuid.uuid4())


def test_the_plan_of_a_prescription_notes_what_it_cannot_pick(pd: PharmacyDay) -> None:
    shelf(pd)
    stocked(pd.system, pd.medicines["Crocin Advance"], "C1", LATER, 30, mrp_paise=2040)
    free = line(medicine_name="Shelcal 500", generic_name="Calcium carbonate", strength="500 mg", dosage="1 tab")
    made = sent_rx(pd, free, line(pd.medicines["Crocin Advance"]), line(pd.medicines["Dolo 650"]))
    edit_medicine(pd, "Crocin Advance", is_active=False)
    plan = prescription_plan(pd.pharmacist, made.id)
    assert [(p.medicine_name, p.quantity, p.picks == (), p.note) for p in plan.lines] == [
        ("Shelcal 500", 0, True, "Not in the catalogue (or no longer sold): choose a medicine to give instead, "
                                 "with a note."),
        ("Crocin Advance", 0, True, "Not in the catalogue (or no longer sold): choose a medicine to give instead, "
                                    "with a note."),
        ("Dolo 650", 10, False, ""),
    ]  # fmt: skip
    before = written(pd.system)
    with pytest.raises(ValidationError, match="Crocin Advance is no longer active in the catalogue"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Crocin Advance", 10, prescription_item_id=made.items[1].id)),
                 request_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(ValidationError, match=r"Dolo 650 is not what was prescribed \(Shelcal 500\)"):
        dispense(pd.pharmacist, rx_lines(made, take(pd, "Dolo 650", 10, prescription_item_id=made.items[0].id)),
                 request_id=uuid.uuid4())  # fmt: skip
    assert written(pd.system) == before

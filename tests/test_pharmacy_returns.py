"""A patient's return against a dispensing: the same batch back on the shelf through the ledger (or recorded without
restocking when opened), the refund, the dispensing line's returned quantity and the dispensing's status, the
unbilled charge reduced (a billed one left for billing's credit note); and the refusals: more than dispensed,
another batch, after the window, an expired batch, each writing nothing."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from db.models.billing import Invoice
from db.models.clinical import Charge
from db.models.inventory import StockMovement
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.admin.hospital import update_settings
from hms_desktop.services.clinical.charges import mark_billed
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.services.pharmacy.dispensing_views import DispensingView, dispensing
from hms_desktop.services.pharmacy.returns import ReturnInput, ReturnLine, return_medicines, returns_of
from tests.dispense_fixtures import Shelf, otc, shelf, take, written
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, stocked


@pytest.fixture
def pd(system_ctx, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def sold(pd: PharmacyDay) -> tuple[Shelf, DispensingView]:
    """Dolo 650 on the shelf, and 15 tablets sold: 10 from D1 (line 1), 5 from D2 (line 2)."""
    s = shelf(pd)
    return s, dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 15)), request_id=uuid.uuid4())


def back(
    v: DispensingView, *lines: tuple[int, int] | tuple[int, int, bool], reason: str = "Fever settled"
) -> ReturnInput:
    """A return of (line number, quantity[, restock]) of dispensing ``v``."""
    return ReturnInput(
        dispensing_id=v.id,
        lines=[ReturnLine(dispensing_item_id=v.items[n - 1].id, quantity=q, restock=bool(rest[0]) if rest else True)
               for n, q, *rest in lines],
        reason=reason,
    )  # fmt: skip


def charges(pd: PharmacyDay, v: DispensingView) -> list[Charge]:
    with pd.system.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(Charge).where(Charge.source_id == v.id).order_by(Charge.line_no)))


def test_a_strip_comes_back_to_its_batch_and_the_charge_follows(pd: PharmacyDay) -> None:
    s, v = sold(pd)
    request = uuid.uuid4()
    r = return_medicines(pd.pharmacist, back(v, (1, 5)), request_id=request)
    assert (r.id, r.code, r.status, r.reason, r.approved_by_name) == (
        request, "PRT-2026-00001", "completed", "Fever settled", "Farida Khan")  # fmt: skip
    assert (r.refund_amount_paise, r.dispensing_status, r.returned_at) == (1120, "partially_returned",
                                                                          pd.system.clock.now())  # fmt: skip
    assert [(i.batch_number, i.quantity, i.refund_paise, i.restock) for i in r.items] == [("D1", 5, 1120, True)]
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (5, 45)
    with pd.system.transaction(readonly=True) as tx:
        [move] = tx.session.scalars(select(StockMovement).where(StockMovement.movement_type == "return")).all()
        assert (move.batch_id, move.quantity_delta, move.reference_type, move.reference_id) == (
            s.d1, 5, "pharmacy_return_items", r.items[0].id)  # fmt: skip
    after = dispensing(pd.pharmacist, v.id)
    assert [(i.returned_quantity, i.quantity) for i in after.items] == [(5, 10), (0, 5)]
    first, second = charges(pd, v)
    assert (first.status, first.quantity, first.amount_paise) == ("unbilled", 5, 1120)
    assert first.description == "Dolo 650 (Paracetamol 650 mg) x 5, batch D1 (PRT-2026-00001: part returned)"
    assert (second.status, second.quantity, second.amount_paise) == ("unbilled", 5, 1120)
    before = written(pd.system)
    assert return_medicines(pd.pharmacist, back(v, (1, 5)), request_id=request) == r  # a double click
    assert written(pd.system) == before
    # the rest comes back; line 2 was opened, so it is recorded without going back on the shelf
    rest = return_medicines(pd.pharmacist, back(v, (1, 5), (2, 5, False), reason="Allergic rash"),
                            request_id=uuid.uuid4())  # fmt: skip
    assert (rest.code, rest.refund_amount_paise, rest.dispensing_status) == ("PRT-2026-00002", 2240, "returned")
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (10, 45)
    assert [c.status for c in charges(pd, v)] == ["cancelled", "cancelled"]
    assert [x.code for x in returns_of(pd.manager, v.id)] == ["PRT-2026-00001", "PRT-2026-00002"]
    before = written(pd.system)
    with pytest.raises(Conflict, match=r"DSP-2026-000001 is returned; nothing more can come back"):
        return_medicines(pd.pharmacist, back(v, (1, 1)), request_id=uuid.uuid4())
    assert written(pd.system) == before


def test_a_billed_charge_is_left_for_billing_to_credit(pd: PharmacyDay) -> None:
    _, v = sold(pd)
    with pd.system.transaction() as tx:
        invoice = Invoice(invoice_number="WS01/2627/000001", patient_id=v.patient_id, invoice_date=date(2026, 11, 30),
                          place_of_supply_state_code="29")  # fmt: skip
        tx.session.add(invoice)
        tx.flush()
        mark_billed(tx, [c.id for c in charges(pd, v)], invoice.id)
        tx.commit()
    r = return_medicines(pd.pharmacist, back(v, (2, 5)), request_id=uuid.uuid4())
    assert r.refund_amount_paise == 1120 and r.dispensing_status == "partially_returned"
    assert [(c.status, c.quantity) for c in charges(pd, v)] == [("billed", 10), ("billed", 5)]


def test_more_than_was_dispensed_or_another_batch_is_refused(pd: PharmacyDay) -> None:
    s, v = sold(pd)
    other = dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 1)), request_id=uuid.uuid4())
    return_medicines(pd.pharmacist, back(v, (2, 2)), request_id=uuid.uuid4())
    before = written(pd.system)
    refusals = [
        (back(v, (1, 11)), r"DSP-2026-000001 dispensed 10 of Dolo 650 \(batch D1\): at most 10 can come back"),
        (back(v, (2, 4)), r"dispensed 5 of Dolo 650 \(batch D2\), 2 came back earlier: at most 3 can come back"),
        (back(v, (1, 6), (1, 5)), "at most 10 can come back"),
        (back(v, (1, 0)), "must be a whole number from 1 to 10"),
        (back(v, (1, -1)), "must be a whole number from 1 to 10"),
        (ReturnInput(dispensing_id=v.id, lines=[ReturnLine(dispensing_item_id=v.items[0].id, quantity=1,
                                                           batch_id=s.d2)], reason="x"),
         "This Dolo 650 is batch D2, but DSP-2026-000001 sold it from batch D1: only that batch comes back"),
        (ReturnInput(dispensing_id=v.id, lines=[ReturnLine(dispensing_item_id=other.items[0].id, quantity=1)],
                     reason="x"), "That is not a line of DSP-2026-000001"),
        (ReturnInput(dispensing_id=v.id, lines=[], reason="x"), "Choose what comes back"),
    ]  # fmt: skip
    for data, message in refusals:
        with pytest.raises(ValidationError, match=message):
            return_medicines(pd.pharmacist, data, request_id=uuid.uuid4())
    with pytest.raises(ValidationError, match="The reason for the return is required"):
        return_medicines(pd.pharmacist, back(v, (1, 1), reason=" "), request_id=uuid.uuid4())
    assert written(pd.system) == before
    assert (on_hand(pd.system, s.d1), on_hand(pd.system, s.d2)) == (0, 46)  # 50 - 5 - 1 sold, 2 back


def test_a_return_after_the_window_is_refused(pd: PharmacyDay) -> None:
    _, v = sold(pd)
    clock = pd.rx.day.clock
    clock.advance(days=7)  # Monday 7 December: the seventh day, still within the window
    return_medicines(pd.pharmacist, back(v, (1, 1)), request_id=uuid.uuid4())
    clock.advance(days=1)
    before = written(pd.system)
    with pytest.raises(Conflict, match=r"DSP-2026-000001 was dispensed on 30 Nov 2026; medicines come back within "
                                       r"7 days of the sale"):  # fmt: skip
        return_medicines(pd.pharmacist, back(v, (1, 1)), request_id=uuid.uuid4())
    update_settings(pd.system, {"pharmacy_return_days": 30})
    assert return_medicines(pd.pharmacist, back(v, (1, 1)), request_id=uuid.uuid4()).refund_amount_paise == 224
    update_settings(pd.system, {"pharmacy_return_days": 0})
    before = written(pd.system)
    with pytest.raises(Conflict, match="within 0 days"):
        return_medicines(pd.pharmacist, back(v, (1, 1)), request_id=uuid.uuid4())
    assert written(pd.system) == before


def test_an_expired_batch_is_not_taken_back(pd: PharmacyDay) -> None:
    last_day = stocked(pd.system, pd.medicines["Dolo 650"], "T1", date(2026, 11, 30), 15, mrp_paise=3360)
    v = dispense(pd.pharmacist, otc(pd, take(pd, "Dolo 650", 5)), request_id=uuid.uuid4())  # sold on its last day
    assert v.items[0].batch_id == last_day
    pd.rx.day.clock.advance(days=1)
    before = written(pd.system)
    with pytest.raises(ValidationError, match=r"Dolo 650, batch T1 expired on 30 Nov 2026: an expired medicine is not"):
        return_medicines(pd.pharmacist, back(v, (1, 5), reason="Not needed"), request_id=uuid.uuid4())
    assert written(pd.system) == before and on_hand(pd.system, last_day) == 10


def test_who_takes_returns(pd: PharmacyDay) -> None:
    _, v = sold(pd)
    before = written(pd.system)
    for ctx in (pd.rx.day.receptionist_ctx, pd.manager):
        with pytest.raises(PermissionDenied):
            return_medicines(ctx, back(v, (1, 1)), request_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        returns_of(pd.rx.day.receptionist_ctx, v.id)
    assert written(pd.system) == before

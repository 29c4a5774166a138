"""Goods receipts: a direct GRN that creates batches and their receipt movements; one against a PO that moves it to
partly received and received (accepted packs count, free ones do not); a known batch number with the same expiry
adding to its batch; a double-clicked Save; every refusal (expiry past, MRP below cost, a batch number used with
another expiry or MRP, a duplicate bill, accepted above received, an inactive medicine, a draft, cancelled or
closed PO, another supplier's PO or PO line...) with nothing written; a 50-line GRN in one call; who may do it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.models.inventory import StockMovement
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.services.inventory.goods_receipts import (
    GrnInput,
    GrnLine,
    GrnView,
    goods_receipt,
    goods_receipts,
    receive_goods,
)
from hms_desktop.services.inventory.purchase_orders import cancel_purchase_order, close_purchase_order, purchase_order
from tests.clinical_fixtures import MONDAY
from tests.pharmacy_fixtures import on_hand, stocked
from tests.purchase_fixtures import EXPIRY, PurchaseDay, grn_line, order, purchase_day, set_medicine_active, written


@pytest.fixture
def day(system_ctx: Context, make_user) -> PurchaseDay:  # type: ignore[no-untyped-def]
    return purchase_day(system_ctx, make_user)


def receive(day: PurchaseDay, *lines: GrnLine, bill: str = "MP-5501", ctx: Context | None = None,
            request_id: uuid.UUID | None = None, **kw: Any) -> GrnView:  # fmt: skip
    data = GrnInput(kw.pop("supplier_id", day.medplus.id), bill, kw.pop("received_date", MONDAY), lines, **kw)
    return receive_goods(ctx or day.pharmacist, data, request_id=request_id or uuid.uuid4())


def batch(ctx: Context, batch_id: uuid.UUID | None) -> MedicineBatch:
    with ctx.transaction(readonly=True) as tx:
        row = tx.session.get(MedicineBatch, batch_id)
        assert row is not None
        tx.session.expunge(row)
        return row


def movements(ctx: Context, reference_id: uuid.UUID) -> list[tuple[str, int, str | None]]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(StockMovement).where(StockMovement.reference_id == reference_id))
        return [(m.movement_type, m.quantity_delta, m.reference_type) for m in rows]


def test_a_direct_receipt_creates_the_batches_and_their_stock(day: PurchaseDay) -> None:
    dolo, syrup = day.med("Dolo 650"), day.med("Calpol 250 Suspension")
    grn = receive(day,
                  grn_line(dolo, "DL2405A", received_packs=12, accepted_packs=10, free_packs=2,
                           rejected_reason="Two strips crushed", location="Rack A2"),
                  grn_line(syrup, "CP-77", expiry_date=MONDAY + timedelta(days=20), received_packs=6,
                           accepted_packs=6, unit_cost_paise=3400, mrp_paise=4600),
                  notes="Checked against the bill")  # fmt: skip
    assert (grn.grn_number, grn.status, grn.po_id, grn.po_number) == ("GRN-2026-27-00001", "posted", None, "")
    assert (grn.supplier_name, grn.supplier_invoice_number, grn.received_date) == ("MedPlus Distributors",
                                                                                  "MP-5501", MONDAY)  # fmt: skip
    assert (grn.inspected_by_name, grn.notes, grn.total_paise) == ("Farida Khan", "Checked against the bill",
                                                                  10 * 2500 + 6 * 3400)  # fmt: skip
    a, b = grn.lines
    assert (a.rejected_packs, a.rejected_reason, a.units_added, a.amount_paise, a.new_batch) == (
        2, "Two strips crushed", 12 * 15, 25000, True)  # fmt: skip
    assert (a.expires_soon, b.expires_soon, b.units_added, b.rejected_reason) == (False, True, 6, None)
    made = batch(day.system, a.batch_id)
    assert (made.medicine_id, made.batch_number, made.expiry_date, made.quantity_on_hand) == (dolo, "DL2405A",
                                                                                             EXPIRY, 180)  # fmt: skip
    assert (made.mrp_paise, made.cost_price_paise, made.sale_price_paise) == (3360, 2500, 3360)
    assert (made.supplier_id, made.grn_item_id, made.location, made.received_at) == (
        day.medplus.id, a.id, "Rack A2", day.pd.rx.day.clock.now())  # fmt: skip
    assert movements(day.system, a.id) == [("receipt", 180, "grn_items")]
    assert on_hand(day.system, a.batch_id) == 180 and on_hand(day.system, b.batch_id) == 6  # type: ignore[arg-type]
    assert goods_receipt(day.manager, grn.id) == grn and grn.id in {g.id for g in goods_receipts(day.manager)}


def test_receipts_against_an_order_move_it_to_received(day: PurchaseDay) -> None:
    po = order(day, ("Dolo 650", 20, 2500), ("Pan 40", 4, 9000))
    dolo_item, pan_item = po.lines
    first = receive(day, grn_line(day.med("Dolo 650"), "D1", received_packs=12, accepted_packs=10, free_packs=3,
                                  rejected_reason="Torn strips", po_item_id=dolo_item.id), po_id=po.id)  # fmt: skip
    assert (first.po_number, first.lines[0].po_item_id) == (po.po_number, dolo_item.id)
    now = purchase_order(day.manager, po.id)
    assert (now.status, [ln.received_packs for ln in now.lines]) == ("partially_received", [10, 0])  # free not counted
    # the rest: a line naming no order line is matched to the order's line for its medicine
    last = receive(day, grn_line(day.med("Dolo 650"), "D2", received_packs=10, accepted_packs=10),
                   grn_line(day.med("Pan 40"), "P1", received_packs=4, accepted_packs=4, unit_cost_paise=9000,
                            mrp_paise=15500), bill="MP-5502", po_id=po.id)  # fmt: skip
    assert [ln.po_item_id for ln in last.lines] == [dolo_item.id, pan_item.id]
    done = purchase_order(day.manager, po.id)
    assert done.status == "received"
    assert [(ln.received_packs, ln.outstanding_packs) for ln in done.lines] == [(20, 0), (4, 0)]
    assert [g.grn_number for g in goods_receipts(day.manager, po_id=po.id)] == [last.grn_number, first.grn_number]
    before = written(day.system)
    with pytest.raises(Conflict, match=f"{po.po_number} is received; goods can no longer be received against it."):
        receive(day, grn_line(day.med("Dolo 650"), "D3"), bill="MP-5503", po_id=po.id)
    assert written(day.system) == before


def test_a_line_rejected_whole_makes_no_batch(day: PurchaseDay) -> None:
    before = written(day.system)
    grn = receive(day, grn_line(day.med("Dolo 650"), "D1"),
                  grn_line(day.med("Pan 40"), "P9", received_packs=3, accepted_packs=0, mrp_paise=15500,
                           rejected_reason="Cold chain broken"))  # fmt: skip
    pan = grn.lines[1]
    assert (pan.batch_id, pan.rejected_packs, pan.rejected_reason, pan.units_added, pan.new_batch) == (
        None, 3, "Cold chain broken", 0, False)  # fmt: skip
    after = written(day.system)
    assert (after["grn_items"] - before["grn_items"], after["medicine_batches"] - before["medicine_batches"],
            after["stock_movements"] - before["stock_movements"]) == (2, 1, 1)  # fmt: skip


def test_goods_not_on_the_order_are_received_beside_it(day: PurchaseDay) -> None:
    po = order(day, ("Dolo 650", 10, 2500))
    grn = receive(day, grn_line(day.med("Dolo 650"), "D1"), grn_line(day.med("Okacet"), "OK1", mrp_paise=3000),
                  po_id=po.id)  # fmt: skip
    assert [ln.po_item_id for ln in grn.lines] == [po.lines[0].id, None]
    assert purchase_order(day.manager, po.id).status == "received"


def test_a_known_batch_with_the_same_expiry_adds_to_it(day: PurchaseDay) -> None:
    dolo = day.med("Dolo 650")
    old = stocked(day.system, dolo, "DL2405A", EXPIRY, 30, mrp_paise=3360, cost_paise=2400)
    grn = receive(day, grn_line(dolo, "dl2405a", received_packs=2, accepted_packs=2))
    line = grn.lines[0]
    assert (line.batch_id, line.batch_number, line.new_batch, line.units_added) == (old, "DL2405A", False, 30)
    assert on_hand(day.system, old) == 60
    assert batch(day.system, old).cost_price_paise == 2400  # the batch keeps its own record; the line its cost
    with day.system.transaction(readonly=True) as tx:
        assert len(tx.session.scalars(select(MedicineBatch).where(MedicineBatch.medicine_id == dolo)).all()) == 1


def test_a_double_clicked_save_posts_one_receipt(day: PurchaseDay) -> None:
    key = uuid.uuid4()
    first = receive(day, grn_line(day.med("Dolo 650")), request_id=key)
    before = written(day.system)
    assert receive(day, grn_line(day.med("Dolo 650")), request_id=key) == first
    assert first.id == key and written(day.system) == before


def refused(day: PurchaseDay, error: type[Exception], words: str, *lines: GrnLine, **kw: Any) -> None:
    before = written(day.system)
    with pytest.raises(error) as err:
        receive(day, *lines, **kw)
    assert words in str(err.value), str(err.value)
    assert written(day.system) == before


def test_an_expiry_in_the_past_is_refused(day: PurchaseDay) -> None:
    line = grn_line(day.med("Dolo 650"), "X1", expiry_date=MONDAY - timedelta(days=1))
    refused(day, ValidationError, "Line 2: batch X1 of Dolo 650 expired on 29/11/2026; expired stock cannot be "
                                  "received.", grn_line(day.med("Pan 40"), "P1", mrp_paise=15500), line)  # fmt: skip
    assert receive(day, replace(line, expiry_date=MONDAY)).lines[0].expires_soon  # expiring today: taken, flagged


def test_an_mrp_below_cost_is_refused(day: PurchaseDay) -> None:
    refused(day, ValidationError, "Line 1: the MRP of Dolo 650 batch X1 (Rs 24.00 a pack) is below its cost "
                                  "(Rs 25.00)", grn_line(day.med("Dolo 650"), "X1", mrp_paise=2400))  # fmt: skip


def test_a_batch_number_used_with_another_expiry_or_mrp_is_refused(day: PurchaseDay) -> None:
    dolo = day.med("Dolo 650")
    stocked(day.system, dolo, "DL2405A", date(2027, 6, 30), 30, mrp_paise=3360)
    refused(day, ValidationError, "Line 1: batch DL2405A of Dolo 650 is already in stock expiring 06/2027; check the "
                                  "expiry printed on the pack.", grn_line(dolo, "DL2405A"))  # fmt: skip
    refused(day, ValidationError, "already in stock expiring 30/06/2027",
            grn_line(dolo, "dl2405a", expiry_date=date(2027, 6, 1)))  # fmt: skip
    refused(day, ValidationError, "batch DL2405A of Dolo 650 is in stock at MRP Rs 33.60 a pack, not Rs 35.00",
            grn_line(dolo, "DL2405A", expiry_date=date(2027, 6, 30), mrp_paise=3500))  # fmt: skip
    # the same number on another medicine is another batch
    assert (
        receive(day, grn_line(day.med("Crocin Advance"), "DL2405A", unit_cost_paise=1500, mrp_paise=2040))
        .lines[0]
        .new_batch
    )


def test_a_bill_is_received_once(day: PurchaseDay) -> None:
    first = receive(day, grn_line(day.med("Dolo 650")), bill="MP-5501")
    refused(day, Conflict, f"Bill MP-5501 of MedPlus Distributors is already entered as {first.grn_number} (received "
                           "30/11/2026)", grn_line(day.med("Pan 40"), mrp_paise=15500), bill=" mp-5501 ")  # fmt: skip
    other = receive(day, grn_line(day.med("Pan 40"), mrp_paise=15500), bill="MP-5501", supplier_id=day.zenith.id)
    assert other.supplier_name == "Zenith Pharma Agencies"  # another supplier's bill may carry the same number
    refused(day, ValidationError, "The supplier's bill number is required.", grn_line(day.med("Okacet")), bill=" ")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"received_packs": 5, "accepted_packs": 6}, "Line 1: 6 packs of Dolo 650 accepted but 5 received"),
        ({"received_packs": 5, "accepted_packs": 3}, "Line 1: why 2 packs of Dolo 650 were rejected is required."),
        ({"received_packs": 0, "accepted_packs": 0}, "Line 1: no packs of Dolo 650 received; remove the line."),
        ({"accepted_packs": -1}, "packs accepted must be between 0 and 100,000"),
        ({"free_packs": -2}, "free packs must be between 0 and 100,000"),
        ({"received_packs": 10.0}, "packs received must be a whole number"),
        ({"unit_cost_paise": 0}, "the cost of a pack must be more than zero"),
        ({"mrp_paise": 0}, "the MRP of a pack must be more than zero"),
        ({"batch_number": " "}, "Line 1 (Dolo 650): the batch number is required."),
        ({"expiry_date": None}, "Enter line 1's expiry as a date."),
    ],
)
def test_bad_quantities_and_prices_are_refused(day: PurchaseDay, changes: dict[str, Any], words: str) -> None:
    refused(day, ValidationError, words, replace(grn_line(day.med("Dolo 650")), **changes))


def test_an_inactive_or_unknown_medicine_is_refused(day: PurchaseDay) -> None:
    set_medicine_active(day.system, day.med("Pan 40"), False)
    refused(day, ValidationError, "Line 2: Pan 40 is inactive in the catalogue",
            grn_line(day.med("Dolo 650")), grn_line(day.med("Pan 40"), mrp_paise=15500))  # fmt: skip
    refused(day, ValidationError, "choose a medicine from the catalogue", grn_line(uuid.uuid4()))


def test_other_bad_receipts(day: PurchaseDay) -> None:
    dolo = day.med("Dolo 650")
    refused(day, ValidationError, "Line 2: batch b100 of Dolo 650 is already on line 1; enter a batch once.",
            grn_line(dolo), grn_line(dolo, "b100"))  # fmt: skip
    refused(day, ValidationError, "Goods cannot be received after today (30/11/2026).", grn_line(dolo),
            received_date=MONDAY + timedelta(days=1))  # fmt: skip
    refused(day, ValidationError, "Add at least one line.")
    refused(day, ValidationError, "Line 1 names an order line; choose the purchase order it was on.",
            grn_line(dolo, po_item_id=uuid.uuid4()))  # fmt: skip


def test_receipts_against_a_draft_cancelled_or_closed_order_are_refused(day: PurchaseDay) -> None:
    draft = order(day, ("Dolo 650", 10, 2500), send=False)
    refused(day, Conflict, f"{draft.po_number} is a draft that was never sent; send it before receiving goods",
            grn_line(day.med("Dolo 650")), po_id=draft.id)  # fmt: skip
    cancel_purchase_order(day.manager, draft.id, "Not needed")
    refused(day, Conflict, f"{draft.po_number} is cancelled; goods can no longer be received against it.",
            grn_line(day.med("Dolo 650")), po_id=draft.id)  # fmt: skip
    closed = order(day, ("Dolo 650", 10, 2500))
    close_purchase_order(day.manager, closed.id, "Maker stopped it")
    refused(day, Conflict, f"{closed.po_number} is closed", grn_line(day.med("Dolo 650")), po_id=closed.id)
    refused(day, NotFound, "No such purchase order", grn_line(day.med("Dolo 650")), po_id=uuid.uuid4())


def test_another_suppliers_order_or_order_line_is_refused(day: PurchaseDay) -> None:
    theirs = order(day, ("Dolo 650", 10, 2500), supplier=day.zenith)
    refused(day, ValidationError, f"{theirs.po_number} is an order to Zenith Pharma Agencies, not to MedPlus "
                                  "Distributors.", grn_line(day.med("Dolo 650")), po_id=theirs.id)  # fmt: skip
    ours = order(day, ("Dolo 650", 10, 2500), ("Pan 40", 2, 9000))
    refused(day, ValidationError, f"Line 1: that order line is not on {ours.po_number}.",
            grn_line(day.med("Dolo 650"), po_item_id=theirs.lines[0].id), po_id=ours.id)  # fmt: skip
    refused(day, ValidationError, "Line 1: that order line is for Pan 40, not Dolo 650.",
            grn_line(day.med("Dolo 650"), po_item_id=ours.lines[1].id), po_id=ours.id)  # fmt: skip
    assert purchase_order(day.manager, ours.id).status == "sent"


def test_a_fifty_line_receipt_in_one_call(day: PurchaseDay) -> None:
    with day.system.transaction(readonly=True) as tx:
        meds = tx.session.execute(select(Medicine.id, Medicine.pack_size, Medicine.mrp_paise)
                                  .order_by(Medicine.name).limit(50)).all()  # fmt: skip
    assert len(meds) == 50
    lines = [grn_line(mid, f"L{n:02d}", received_packs=n, accepted_packs=n, free_packs=n % 3,
                      unit_cost_paise=max(mrp * 7 // 10, 1), mrp_paise=mrp)
             for n, (mid, _, mrp) in enumerate(meds, start=1)]  # fmt: skip
    before = written(day.system)
    grn = receive(day, *lines, bill="BIG-50", ctx=day.manager)
    after = written(day.system)
    assert len(grn.lines) == 50 and grn.inspected_by_name == "Imran Sheikh"
    assert (after["grn_items"] - before["grn_items"], after["medicine_batches"] - before["medicine_batches"],
            after["stock_movements"] - before["stock_movements"]) == (50, 50, 50)  # fmt: skip
    for n, (line, (mid, pack, _)) in enumerate(zip(grn.lines, meds, strict=True), start=1):
        assert (line.medicine_id, line.batch_number, line.units_added) == (mid, f"L{n:02d}", (n + n % 3) * pack)
        assert on_hand(day.system, line.batch_id) == (n + n % 3) * pack  # type: ignore[arg-type]
    assert grn.total_paise == sum(ln.accepted_packs * ln.unit_cost_paise for ln in grn.lines)


def test_who_may_receive(day: PurchaseDay) -> None:
    assert receive(day, grn_line(day.med("Dolo 650")), ctx=day.pharmacist).inspected_by_name == "Farida Khan"
    desk = day.pd.rx.day.receptionist_ctx
    refused(day, PermissionDenied, "permission", grn_line(day.med("Pan 40"), mrp_paise=15500), bill="X-1", ctx=desk)
    with pytest.raises(PermissionDenied):
        goods_receipts(desk)
    with pytest.raises(PermissionDenied):
        receive(day, grn_line(day.med("Pan 40"), mrp_paise=15500), bill="X-2", ctx=day.pd.rx.day.doctor_ctx)

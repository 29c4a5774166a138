"""Cycle counts: a blind sheet (no system quantity in the view or on paper), counting and recounting, finishing
only once every batch is counted, the variance report, and approval by someone who did not count, posting each
variance as an approved adjustment and a ``cycle_count`` movement; a sale made while counting stays recorded, a
correction that would go below zero is refused, and an oversold batch comes back to the shelf."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

import pypdfium2 as pdfium
import pytest
from sqlalchemy import insert, select

from db.models.inventory import CycleCount, CycleCountItem, StockAdjustment, StockMovement
from db.models.pharmacy import MedicineBatch
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.inventory.cycle_count_views import CountSheet, CountView, SheetLine
from hms_desktop.services.inventory.cycle_counts import (
    CountInput,
    approve_count,
    cancel_count,
    count_sheet,
    count_sheet_pdf,
    count_variance,
    counts,
    finish_count,
    record_count,
    start_count,
)
from hms_desktop.settings import current_hospital
from hms_desktop.storage.store import Store
from hms_desktop.sync import derived
from tests.clinical_fixtures import MONDAY, signed_in
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, stocked
from tests.test_stock_adjustments import denials, written


@dataclasses.dataclass(frozen=True)
class Shelf:
    dl1: uuid.UUID  # Dolo 650 DL-1, 40, Rack A
    dl2: uuid.UUID  # Dolo 650 DL-2, 25, Rack A
    pn1: uuid.UUID  # Pan 40 PN-1, 60, Rack B


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def shelve(ctx: Context, batch_id: uuid.UUID, location: str) -> None:
    with ctx.transaction() as tx:
        row = tx.session.get(MedicineBatch, batch_id)
        assert row is not None
        row.location = location
        tx.commit()


@pytest.fixture
def shelf(pd: PharmacyDay) -> Shelf:
    dolo, pan = pd.medicines["Dolo 650"], pd.medicines["Pan 40"]
    s = Shelf(stocked(pd.system, dolo, "DL-1", date(2027, 3, 31), 40),
              stocked(pd.system, dolo, "DL-2", date(2027, 9, 30), 25),
              stocked(pd.system, pan, "PN-1", date(2027, 6, 30), 60))  # fmt: skip
    stocked(pd.system, pan, "PN-0", date(2027, 1, 31), 0)  # never held stock: not on a sheet
    for batch, rack in ((s.dl1, "Rack A"), (s.dl2, "Rack A"), (s.pn1, "Rack B")):
        shelve(pd.system, batch, rack)
    return s


def start(ctx: Context, **kw: Any) -> CountView:
    return start_count(ctx, CountInput(**kw), request_id=uuid.uuid4())


def counted(ctx: Context, count_id: uuid.UUID, **physical: int) -> None:
    by_number = {ln.batch_number: ln.batch_id for ln in count_sheet(ctx, count_id).lines}
    for number, quantity in physical.items():
        record_count(ctx, count_id, by_number[number.replace("_", "-")], quantity)


def items(ctx: Context, count_id: uuid.UUID) -> dict[uuid.UUID, CycleCountItem]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(CycleCountItem).where(CycleCountItem.cycle_count_id == count_id))
        return {i.batch_id: i for i in rows if i.batch_id}


def test_the_sheet_lists_every_stocked_batch_and_hides_the_system_quantity(pd: PharmacyDay, shelf: Shelf) -> None:
    rid = uuid.uuid4()
    view = start_count(pd.pharmacist, CountInput(), request_id=rid)
    assert view.id == rid and view.code.startswith("CC-") and view.status == "in_progress"
    assert (view.scheduled_date, view.started_at, view.counted_by_name) == (
        MONDAY,
        pd.system.clock.now(),
        "Farida Khan",
    )
    assert (view.items_total, view.items_recorded, view.scope) == (3, 0, "All medicines")
    assert {i: r.system_quantity for i, r in items(pd.system, rid).items()} == {shelf.dl1: 40, shelf.dl2: 25,
                                                                               shelf.pn1: 60}  # fmt: skip
    sheet = count_sheet(pd.pharmacist, rid)
    assert [(ln.medicine_name, ln.batch_number, ln.expiry_date, ln.location, ln.counted) for ln in sheet.lines] == [
        ("Dolo 650", "DL-1", date(2027, 3, 31), "Rack A", None),
        ("Dolo 650", "DL-2", date(2027, 9, 30), "Rack A", None),
        ("Pan 40", "PN-1", date(2027, 6, 30), "Rack B", None),
    ]
    for kind in (SheetLine, CountSheet, CountView):  # blind by construction: no such field at all
        names = {f.name for f in dataclasses.fields(kind)}
        assert not {n for n in names if "system" in n or "variance" in n}, kind
    with pytest.raises(Conflict, match="shows once it is finished"):
        count_variance(pd.manager, rid)
    before = written(pd.system)
    again = start_count(pd.pharmacist, CountInput(), request_id=rid)  # a double-clicked Start
    assert again == view and written(pd.system) == before


def test_a_count_of_some_medicines_or_one_shelf(pd: PharmacyDay, shelf: Shelf) -> None:
    pan = start(pd.pharmacist, medicine_ids=[pd.medicines["Pan 40"]])
    assert [ln.batch_number for ln in count_sheet(pd.pharmacist, pan.id).lines] == ["PN-1"]
    assert pan.scope == "1 medicine(s)"
    rack = start(pd.pharmacist, location=" rack a ", scope="Rack A, Monday round", scheduled_date=date(2026, 11, 29))
    assert [ln.batch_number for ln in count_sheet(pd.pharmacist, rack.id).lines] == ["DL-1", "DL-2"]
    assert (rack.scope, rack.scheduled_date) == ("Rack A, Monday round", date(2026, 11, 29))
    before = written(pd.system)
    bad: list[tuple[dict[str, Any], str, str]] = [
        ({"location": "Cold room"}, "medicine_ids", "Nothing to count: .* on shelf Cold room"),
        ({"medicine_ids": [uuid.uuid4()]}, "medicine_ids", "not in the catalogue"),
        ({"medicine_ids": []}, "medicine_ids", "Choose the medicines"),
        ({"medicine_ids": [pd.medicines["Mox 500"]]}, "medicine_ids", "Nothing to count"),
        ({"scheduled_date": date(2026, 12, 1)}, "scheduled_date", "after today"),
        ({"scheduled_date": "2026-11-30"}, "scheduled_date", "Enter the date"),
        ({"scope": "x" * 301}, "scope", "at most 300"),
    ]
    for kw, field, words in bad:
        with pytest.raises(ValidationError, match=words) as refused:
            start(pd.pharmacist, **kw)
        assert refused.value.field == field
    assert written(pd.system) == before


def test_counting_recounting_and_finishing(pd: PharmacyDay, shelf: Shelf) -> None:
    view = start(pd.pharmacist)
    line = record_count(pd.pharmacist, view.id, shelf.dl1, 41, "  one loose strip  ")
    assert (line.batch_number, line.counted, line.note) == ("DL-1", 41, "one loose strip")
    assert record_count(pd.pharmacist, view.id, shelf.dl1, 37).counted == 37  # recounted
    record_count(pd.pharmacist, view.id, shelf.pn1, 62)
    before = written(pd.system)
    for batch, physical, field in ((shelf.dl2, -1, "physical"), (shelf.dl2, 1_000_001, "physical"),
                                   (shelf.dl2, True, "physical"), (shelf.dl2, 2.0, "physical"),
                                   (uuid.uuid4(), 3, "batch_id")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            record_count(pd.pharmacist, view.id, batch, physical)  # type: ignore[arg-type]
        assert refused.value.field == field
    with pytest.raises(
        Conflict, match=r"1 of 3 batches on CC-.* still to be counted \(the first: Dolo 650, batch DL-2\)"
    ):
        finish_count(pd.pharmacist, view.id)
    with pytest.raises(Conflict, match="only a finished count can be approved"):
        approve_count(pd.manager, view.id)
    assert written(pd.system) == before
    assert count_sheet(pd.pharmacist, view.id).count.items_recorded == 2

    record_count(pd.pharmacist, view.id, shelf.dl2, 25)
    pd.system.clock.advance(minutes=40)  # type: ignore[attr-defined]
    report = finish_count(pd.pharmacist, view.id)
    assert [(ln.batch_number, ln.system_quantity, ln.physical_quantity, ln.variance) for ln in report.lines] == [
        ("DL-1", 40, 37, -3), ("DL-2", 25, 25, 0), ("PN-1", 60, 62, 2),
    ]  # fmt: skip
    assert [ln.batch_number for ln in report.discrepancies] == ["DL-1", "PN-1"]
    assert (report.count.status, report.count.completed_at, report.count.discrepancy_count) == (
        "completed", pd.system.clock.now(), 2)  # fmt: skip
    with pd.system.transaction(readonly=True) as tx:
        row = tx.session.get(CycleCount, view.id)
        assert row is not None and (row.items_counted, row.discrepancy_count) == (3, 2)
    assert finish_count(pd.pharmacist, view.id) == report  # a second click shows the same report
    assert count_variance(pd.pharmacist, view.id) == report
    with pytest.raises(Conflict, match="finished; its quantities can no longer be changed"):
        record_count(pd.pharmacist, view.id, shelf.dl1, 40)
    assert on_hand(pd.system, shelf.dl1) == 40, "finishing posts nothing"


def finished(pd: PharmacyDay, ctx: Context | None = None, **physical: int) -> CountView:
    view = start(ctx or pd.pharmacist)
    counted(ctx or pd.pharmacist, view.id, **physical)
    pd.system.clock.advance(minutes=30)  # type: ignore[attr-defined]
    return finish_count(ctx or pd.pharmacist, view.id).count


def test_approval_posts_each_variance_as_an_adjustment_and_a_movement(pd: PharmacyDay, shelf: Shelf) -> None:
    view = finished(pd, DL_1=37, DL_2=25, PN_1=62)
    before = written(pd.system)
    report = approve_count(pd.manager, view.id)
    assert report.count.approved and report.count.approved_by_name == "Imran Sheikh"
    assert [(ln.batch_number, ln.variance, ln.posted_change) for ln in report.lines] == [
        ("DL-1", -3, -3), ("DL-2", 0, None), ("PN-1", 2, 2),
    ]  # fmt: skip
    assert (on_hand(pd.system, shelf.dl1), on_hand(pd.system, shelf.dl2), on_hand(pd.system, shelf.pn1)) == (37, 25, 62)
    after = written(pd.system)
    assert (after["stock_adjustments"], after["stock_movements"]) == (before["stock_adjustments"] + 2,
                                                                      before["stock_movements"] + 2)  # fmt: skip
    by_batch = items(pd.system, view.id)
    with pd.system.transaction(readonly=True) as tx:
        for line in report.discrepancies:
            adj = tx.session.get(StockAdjustment, by_batch[line.batch_id].adjustment_id)
            assert adj is not None and adj.code == line.adjustment_code and adj.code.startswith("ADJ-")
            assert (adj.reason, adj.status, adj.quantity_change) == ("count_correction", "applied", line.variance)
            assert (adj.requested_by_id, adj.approved_by_id) == (pd.pharmacist.actor.user_id, pd.manager.actor.user_id)
            assert adj.approved_at == pd.system.clock.now()
            moved = tx.session.get(StockMovement, adj.stock_movement_id)
            assert moved is not None and (moved.movement_type, moved.quantity_delta) == ("cycle_count", line.variance)
            assert (moved.reference_type, moved.reference_id) == ("stock_adjustments", adj.id)
    with pytest.raises(Conflict, match="already approved"):
        approve_count(pd.checker, view.id)
    with pytest.raises(Conflict, match="approved and its corrections are posted"):
        cancel_count(pd.manager, view.id, "Too late")
    assert written(pd.system) == after


def test_nobody_who_counted_may_approve(pd: PharmacyDay, shelf: Shelf, make_user) -> None:  # type: ignore[no-untyped-def]
    view = start(pd.manager)  # an Inventory Manager counts: they hold inventory.approve too
    counted(pd.manager, view.id, DL_1=40, DL_2=20)
    counted(pd.checker, view.id, PN_1=61)  # Asha helped: she recorded a batch
    finish_count(pd.manager, view.id)
    before = written(pd.system)
    for ctx in (pd.manager, pd.checker):
        with pytest.raises(PermissionDenied, match=r"You counted CC-.*another member of staff .*\(maker-checker\)"):
            approve_count(ctx, view.id)
    assert written(pd.system) == before and on_hand(pd.system, shelf.dl2) == 25
    assert [a.outcome for a in denials(pd.system, "cycle_counts")] == ["denied", "denied"]
    ravi = signed_in(pd.system, make_user("Inventory Manager", email="ravi@sunrise.example.in", name="Ravi Das").id)
    assert approve_count(ravi, view.id).count.approved_by_name == "Ravi Das"
    assert (on_hand(pd.system, shelf.dl2), on_hand(pd.system, shelf.pn1)) == (20, 61)


def sell(ctx: Context, batch: uuid.UUID, units: int) -> None:
    with ctx.transaction() as tx:
        stock.move(tx, batch_id=batch, quantity_delta=-units, movement_type="dispense")
        tx.commit()


def test_a_sale_while_counting_is_kept(pd: PharmacyDay, shelf: Shelf) -> None:
    view = start(pd.pharmacist, medicine_ids=[pd.medicines["Dolo 650"]])
    pd.system.clock.advance(minutes=5)  # type: ignore[attr-defined]
    counted(pd.pharmacist, view.id, DL_1=38, DL_2=25)  # two strips of DL-1 are missing from the shelf
    pd.system.clock.advance(minutes=5)  # type: ignore[attr-defined]
    sell(pd.system, shelf.dl1, 5)  # a sale before the approval: 35 on the books, 33 on the shelf
    finish_count(pd.pharmacist, view.id)
    pd.system.clock.advance(minutes=5)  # type: ignore[attr-defined]
    sell(pd.system, shelf.dl2, 4)
    report = approve_count(pd.manager, view.id)
    assert [(ln.batch_number, ln.variance, ln.posted_change) for ln in report.lines] == [("DL-1", -2, -2),
                                                                                        ("DL-2", 0, None)]  # fmt: skip
    assert (on_hand(pd.system, shelf.dl1), on_hand(pd.system, shelf.dl2)) == (33, 21)
    with pd.system.transaction(readonly=True) as tx:
        types = tx.session.scalars(select(StockMovement.movement_type).where(StockMovement.batch_id == shelf.dl1))
        assert sorted(types) == ["cycle_count", "dispense", "opening"]


def test_a_correction_below_zero_is_refused_for_a_recount(pd: PharmacyDay, shelf: Shelf) -> None:
    view = start(pd.pharmacist, medicine_ids=[pd.medicines["Pan 40"]])
    counted(pd.pharmacist, view.id, PN_1=5)  # 55 short on the shelf...
    pd.system.clock.advance(minutes=5)  # type: ignore[attr-defined]
    finish_count(pd.pharmacist, view.id)
    sell(pd.system, shelf.pn1, 10)  # ...yet 10 more were sold after: the count cannot be right
    before = written(pd.system)
    with pytest.raises(Conflict, match=r"Pan 40, batch PN-1: counted 5 against 60 .* count this batch again"):
        approve_count(pd.manager, view.id)
    assert written(pd.system) == before and on_hand(pd.system, shelf.pn1) == 50
    assert not count_variance(pd.manager, view.id).count.approved
    cancelled = cancel_count(pd.manager, view.id, "Recount rack B")
    assert (cancelled.status, cancelled.cancelled_reason, cancelled.scope) == ("cancelled", "Recount rack B",
                                                                               "1 medicine(s)")  # fmt: skip
    with pytest.raises(Conflict, match="cancelled; only a finished count"):
        approve_count(pd.manager, view.id)
    with pytest.raises(Conflict, match="already cancelled"):
        cancel_count(pd.manager, view.id, "Again")


def test_an_oversold_batch_is_brought_back_to_the_shelf(pd: PharmacyDay, store: Store) -> None:
    batch = stocked(pd.system, pd.medicines["Pan 40"], "PN-9", date(2027, 8, 31), 2)
    with store.engine.begin() as conn:  # another PC's offline sale of 5 arrives (as a pull applies it)
        conn.execute(insert(StockMovement).values(
            id=uuid.uuid4(), item_kind="medicine", medicine_id=pd.medicines["Pan 40"], batch_id=batch,
            movement_type="dispense", quantity_delta=-5, moved_at=pd.system.clock.now(), note="",
        ))  # fmt: skip
        derived.recompute(conn, {("medicine_batches", "quantity_on_hand"): {batch}})
    assert on_hand(pd.system, batch) == -3
    pd.system.clock.advance(minutes=1)  # type: ignore[attr-defined]
    view = finished(pd, PN_9=4)
    report = approve_count(pd.checker, view.id)
    assert [(ln.system_quantity, ln.variance, ln.posted_change) for ln in report.lines] == [(0, 4, 7)]
    assert on_hand(pd.system, batch) == 4
    with pd.system.transaction(readonly=True) as tx:
        assert stock.shortfalls(tx.session) == []


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def test_the_paper_sheet_lists_the_batches_without_system_quantities(pd: PharmacyDay) -> None:
    dolo, pan = pd.medicines["Dolo 650"], pd.medicines["Pan 40"]
    a = stocked(pd.system, dolo, "DL-731", date(2027, 3, 31), 4821)
    stocked(pd.system, pan, "PN-552", date(2028, 1, 15), 1379)
    shelve(pd.system, a, "Rack C-2")
    view = start(pd.pharmacist, scope="Fast movers")
    pdf = count_sheet_pdf(pd.pharmacist, view.id)
    doc = pdfium.PdfDocument(pdf)
    assert doc[0].get_size() == pytest.approx((595.3, 841.9), abs=0.5)  # A4
    text = pdf_text(pdf)
    with pd.system.transaction(readonly=True) as tx:
        clinic = current_hospital(tx.session).name
    lines = [ln.strip() for ln in text.splitlines()]
    for want in (clinic, "STOCK COUNT SHEET", view.code, "30 Nov 2026", "Fast movers", "Farida Khan", "Counted",
                 "Dolo 650 650 mg", "DL-731", "31 Mar 2027", "Rack C-2", "PN-552", "15 Jan 2028"):  # fmt: skip
        assert any(want in ln for ln in lines), want
    assert "4821" not in text and "1379" not in text and "4,821" not in text, "the sheet is blind"
    with pytest.raises(PermissionDenied):
        count_sheet_pdf(pd.rx.day.receptionist_ctx, view.id)


def test_who_may_count_and_who_may_approve(pd: PharmacyDay, shelf: Shelf) -> None:
    view = finished(pd, DL_1=40, DL_2=25, PN_1=59)
    before = written(pd.system)
    with pytest.raises(PermissionDenied):
        approve_count(pd.pharmacist, view.id)  # a Pharmacist counts, never approves
    reception = pd.rx.day.receptionist_ctx
    calls = (
        lambda: start(reception),
        lambda: count_sheet(reception, view.id),
        lambda: counts(reception),
        lambda: record_count(reception, view.id, shelf.dl1, 1),
        lambda: approve_count(reception, view.id),
    )
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert written(pd.system) == before
    assert [c.code for c in counts(pd.pharmacist, "completed")] == [view.code]
    with pytest.raises(ValidationError, match="Choose a status"):
        counts(pd.pharmacist, "open")

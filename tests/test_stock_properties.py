"""Any sequence of the stock room's actions, through the real services on one encrypted store, keeps the books
right: goods receipts, over-the-counter dispensings, patient returns, approved adjustments and approved counts,
with the clinic's days moving on so batches expire. After every step each batch's on-hand equals the sum of its
movements and is never below zero; every dispensed line came from a batch unexpired that day, and never a later
one while an earlier-expiring batch still had stock after the sale (FEFO, no override here). A refused action
(too little stock, too many returned, a removal bigger than the batch) writes nothing and the books still hold.
One clinic serves all the examples of a run, so each sequence starts from whatever the earlier ones left. (A run of
60 examples made 120 receipts, 63 dispensings, 13 returns, 38 adjustments and 47 counts; CI runs 20.)"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from sqlalchemy import func, select

from db.models.inventory import StockMovement
from db.models.pharmacy import MedicineBatch
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context
from hms_desktop.errors import HmsError
from hms_desktop.services.inventory.adjustments import AdjustmentInput, approve_adjustment, request_adjustment
from hms_desktop.services.inventory.cycle_counts import (
    CountInput,
    approve_count,
    count_sheet,
    finish_count,
    record_count,
    start_count,
)
from hms_desktop.services.inventory.goods_receipts import GrnInput, receive_goods
from hms_desktop.services.pharmacy.dispensing import dispense
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine, DispensingView
from hms_desktop.services.pharmacy.returns import ReturnInput, ReturnLine, return_medicines
from hms_desktop.settings import clinic_settings
from tests.purchase_fixtures import PurchaseDay, grn_line, purchase_day

BRANDS = ("Dolo 650", "Crocin Advance")  # unscheduled: sold over the counter

step = hst.one_of(
    hst.tuples(hst.just("receive"), hst.integers(0, 1), hst.integers(1, 12), hst.integers(20, 400)),
    hst.tuples(hst.just("dispense"), hst.integers(0, 1), hst.integers(1, 60)),
    hst.tuples(hst.just("return"), hst.integers(0, 50), hst.integers(1, 10)),
    hst.tuples(hst.just("adjust"), hst.integers(0, 50), hst.integers(-20, 20)),
    hst.tuples(hst.just("count"), hst.integers(0, 1), hst.integers(0, 30)),
    hst.tuples(hst.just("days"), hst.integers(1, 45)),
)


@dataclass
class Books:
    day: PurchaseDay
    bills: int = 0
    sales: list[DispensingView] = field(default_factory=list)


def _today(ctx: Context) -> date:
    with ctx.transaction(readonly=True) as tx:
        return local_today(clinic_settings(tx.session), ctx.clock)


def _batches(ctx: Context) -> dict[uuid.UUID, tuple[uuid.UUID, date, int, int]]:
    """batch -> (medicine, expiry, cached on-hand, ledger sum)."""
    with ctx.transaction(readonly=True) as tx:
        ledger = dict(
            tx.session.execute(
                select(StockMovement.batch_id, func.sum(StockMovement.quantity_delta)).group_by(StockMovement.batch_id)
            ).all()
        )
        return {
            b.id: (b.medicine_id, b.expiry_date, b.quantity_on_hand, int(ledger.get(b.id, 0)))
            for b in tx.session.scalars(select(MedicineBatch))
        }


def _check_fefo(sale: DispensingView, before: dict[uuid.UUID, tuple[uuid.UUID, date, int, int]], today: date) -> None:
    taken: dict[uuid.UUID, int] = {}
    for item in sale.items:
        taken[item.batch_id] = taken.get(item.batch_id, 0) + item.quantity
    for batch_id in taken:
        medicine, expiry, _, _ = before[batch_id]
        assert expiry >= today, "an expired batch was sold"
        for other, (m, e, on_hand, _) in before.items():
            if m == medicine and e < expiry and e >= today:
                assert on_hand - taken.get(other, 0) == 0, "a later batch was sold while an earlier one had stock"


def _act(books: Books, action: tuple[Any, ...]) -> None:
    d = books.day
    kind = action[0]
    if kind == "days":
        d.pd.rx.day.clock.advance(days=int(action[1]))
        return
    manager, checker, pharmacist = d.manager, d.pd.checker, d.pharmacist
    today = _today(manager)
    if kind == "receive":
        _, which, months, units = action
        books.bills += 1
        med = d.med(BRANDS[int(which)])
        line = grn_line(med, f"P{books.bills:03d}", expiry_date=today + timedelta(days=30 * int(months)),
                        received_packs=max(1, int(units) // 15), accepted_packs=max(1, int(units) // 15))  # fmt: skip
        receive_goods(manager, GrnInput(d.medplus.id, f"BILL-{books.bills}", today, (line,)), request_id=uuid.uuid4())
    elif kind == "dispense":
        _, which, units = action
        before = _batches(pharmacist)
        line = DispenseLine(medicine_id=d.med(BRANDS[int(which)]), quantity=int(units))
        data = DispenseInput(patient_id=d.pd.rx.day.patient.id, lines=[line])
        sale = dispense(pharmacist, data, request_id=uuid.uuid4())
        _check_fefo(sale, before, today)
        books.sales.append(sale)
    elif kind == "return" and books.sales:
        _, pick, units = action
        sale = books.sales[int(pick) % len(books.sales)]
        item = sale.items[0]
        back = ReturnInput(dispensing_id=sale.id, lines=[ReturnLine(dispensing_item_id=item.id, quantity=int(units))],
                           reason="unopened strip")  # fmt: skip
        return_medicines(pharmacist, back, request_id=uuid.uuid4())
    elif kind == "adjust":
        _, pick, change = action
        batches = sorted(_batches(manager))
        if not batches or change == 0:
            return
        batch = batches[int(pick) % len(batches)]
        asked = AdjustmentInput(batch_id=batch, quantity_change=int(change), reason="count_correction",
                                reason_text="shelf recounted")  # fmt: skip
        adj = request_adjustment(manager, asked, request_id=uuid.uuid4())
        approve_adjustment(checker, adj.id)
    elif kind == "count":
        _, which, physical = action
        count = start_count(manager, CountInput(medicine_ids=[d.med(BRANDS[int(which)])]), request_id=uuid.uuid4())
        for line in count_sheet(manager, count.id).lines:
            record_count(manager, count.id, line.batch_id, int(physical))
        if count_sheet(manager, count.id).lines:
            finish_count(manager, count.id)
            approve_count(checker, count.id)


def _books_hold(ctx: Context) -> None:
    for medicine, _expiry, cached, ledger in _batches(ctx).values():
        assert ledger >= 0, "one PC never sells below zero"
        assert cached == ledger, f"cached {cached} but the ledger holds {ledger} ({medicine})"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])  # fmt: skip
@given(steps=hst.lists(step, min_size=4, max_size=14))
def test_any_sequence_of_stock_actions_keeps_the_books(system_ctx: Context, make_user, steps) -> None:  # type: ignore[no-untyped-def]
    books = _books(system_ctx, make_user)
    for action in steps:
        try:
            _act(books, action)
        except HmsError:
            pass  # a refusal (too little stock, a return past the window...) writes nothing
        _books_hold(books.day.manager)


_BOOKS: dict[int, Books] = {}


def _books(system_ctx: Context, make_user) -> Books:  # type: ignore[no-untyped-def]
    """One clinic for all the examples of a run (the books must hold whatever came before)."""
    key = id(system_ctx)
    if key not in _BOOKS:
        _BOOKS.clear()
        _BOOKS[key] = Books(purchase_day(system_ctx, make_user))
    return _BOOKS[key]

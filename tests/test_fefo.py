"""FEFO batch picking (pure): the earliest-expiring unexpired batch with stock first, a quantity split across
batches in expiry order (then batch number), expired and empty batches never picked, the shortfall named.
Property tests: the picks sum to min(asked, usable stock); never an expired batch; never a later-expiring batch
while an earlier one still has stock after the picks; never more than a batch holds."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hst

from hms_desktop.services.pharmacy.fefo import BatchStock, fefo_order, is_expired, pick, usable

TODAY = date(2026, 11, 30)


def batch(number: str, expiry: date, on_hand: int) -> BatchStock:
    return BatchStock(id=uuid.uuid4(), batch_number=number, expiry_date=expiry, on_hand=on_hand)


def test_the_earliest_expiry_with_stock_goes_first_and_a_line_splits() -> None:
    later = batch("L1", date(2027, 6, 30), 40)
    soon = batch("S1", date(2027, 1, 31), 10)
    empty = batch("E0", date(2026, 12, 31), 0)
    expired = batch("X1", date(2026, 11, 29), 100)
    result = pick([later, soon, empty, expired], 25, TODAY)
    assert [(p.batch_number, p.quantity) for p in result.picks] == [("S1", 10), ("L1", 15)]
    assert result.shortfall == 0 and result.picked == 25
    assert [b.batch_number for b in usable([later, soon, empty, expired], TODAY)] == ["S1", "L1"]


def test_a_batch_sells_through_its_expiry_date_and_not_a_day_later() -> None:
    assert not is_expired(TODAY, TODAY) and is_expired(TODAY - timedelta(days=1), TODAY)
    last_day = batch("T1", TODAY, 5)
    assert [p.batch_number for p in pick([last_day], 5, TODAY).picks] == ["T1"]
    assert pick([last_day], 5, TODAY + timedelta(days=1)).shortfall == 5


def test_the_shortfall_when_usable_stock_does_not_cover_the_quantity() -> None:
    only = batch("A1", date(2027, 3, 31), 8)
    result = pick([only, batch("X1", date(2026, 1, 31), 50)], 20, TODAY)
    assert [(p.batch_number, p.quantity) for p in result.picks] == [("A1", 8)]
    assert result.shortfall == 12
    assert pick([], 3, TODAY).shortfall == 3 and pick([only], 0, TODAY).picks == ()


def test_one_expiry_orders_by_batch_number() -> None:
    b2, b1 = batch("B2", date(2027, 3, 31), 5), batch("B1", date(2027, 3, 31), 5)
    assert [b.batch_number for b in fefo_order([b2, b1])] == ["B1", "B2"]
    assert [p.batch_number for p in pick([b2, b1], 7, TODAY).picks] == ["B1", "B2"]


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_a_quantity_that_is_not_a_whole_number_is_a_programming_error(bad: object) -> None:
    with pytest.raises(ValueError, match="whole number"):
        pick([], bad, TODAY)  # type: ignore[arg-type]


batches = hst.lists(
    hst.builds(
        batch,
        hst.text(alphabet="ABC123", min_size=1, max_size=3),
        hst.dates(date(2026, 10, 1), date(2027, 12, 31)),
        hst.integers(0, 60),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(batches, hst.integers(0, 300))
def test_fefo_properties(stock: list[BatchStock], asked: int) -> None:
    result = pick(stock, asked, TODAY)
    by_id = {b.id: b for b in stock}
    sellable = sum(b.on_hand for b in stock if not is_expired(b.expiry_date, TODAY))
    assert result.picked == min(asked, sellable)
    assert result.shortfall == asked - result.picked
    taken = {p.batch_id: p.quantity for p in result.picks}
    assert len(taken) == len(result.picks)  # a batch is picked at most once
    for p in result.picks:
        b = by_id[p.batch_id]
        assert not is_expired(b.expiry_date, TODAY)  # never an expired batch
        assert 0 < p.quantity <= b.on_hand  # never more than it holds, never an empty pick
    # never a later-expiring batch while an earlier one still has stock left after the picks
    for p in result.picks:
        later = by_id[p.batch_id]
        for b in stock:
            left = b.on_hand - taken.get(b.id, 0)
            if left > 0 and not is_expired(b.expiry_date, TODAY):
                assert (b.expiry_date, b.batch_number) >= (later.expiry_date, later.batch_number) or b.id == later.id
    # the picks come in FEFO order
    keys = [(by_id[p.batch_id].expiry_date, by_id[p.batch_id].batch_number) for p in result.picks]
    assert keys == sorted(keys)

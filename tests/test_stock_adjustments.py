"""Stock adjustments under maker-checker: a request moves no stock; a second user's approval writes one movement
through the ledger; the requester's own approval, a rejected or applied adjustment decided again, and a removal
larger than the batch holds (at the request, and again at approval after a sale) are refused, writing nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.inventory import CycleCount, CycleCountItem, StockAdjustment, StockMovement
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.inventory.adjustments import (
    AdjustmentInput,
    adjustment,
    adjustments,
    approve_adjustment,
    reject_adjustment,
    request_adjustment,
)
from tests.pharmacy_fixtures import PharmacyDay, on_hand, pharmacy_day, stocked

EXPIRY = date(2027, 6, 30)


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


@pytest.fixture
def batch(pd: PharmacyDay) -> uuid.UUID:
    return stocked(pd.system, pd.medicines["Dolo 650"], "DL-2601", EXPIRY, 100)


def written(ctx: Context) -> dict[str, int]:
    """Rows of the tables adjustments and counts write, and the numbers taken from code series."""
    with ctx.transaction(readonly=True) as tx:
        out = {
            t.__tablename__: int(tx.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (StockAdjustment, StockMovement, CycleCount, CycleCountItem)
        }
        out["numbers"] = int(tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0))) or 0)
        return out


def movements_of(ctx: Context, batch_id: uuid.UUID) -> list[StockMovement]:
    with ctx.transaction(readonly=True) as tx:
        query = (  # ids are time-ordered (uuid7): the order of two movements at one instant of a fixed clock
            select(StockMovement)
            .where(StockMovement.batch_id == batch_id)
            .order_by(StockMovement.created_at, StockMovement.id)
        )
        return list(tx.session.scalars(query))


def denials(ctx: Context, entity_type: str) -> list[AuditLog]:
    with ctx.transaction(readonly=True) as tx:
        query = select(AuditLog).where(AuditLog.action == "permission_denied", AuditLog.entity_type == entity_type)
        return list(tx.session.scalars(query))


def ask(ctx: Context, batch_id: Any, change: Any = -8, reason: str = "damage",
        text: str = "Strip crushed under a carton", request_id: uuid.UUID | None = None) -> Any:  # fmt: skip
    data = AdjustmentInput(batch_id=batch_id, quantity_change=change, reason=reason, reason_text=text)
    return request_adjustment(ctx, data, request_id=request_id or uuid.uuid4())


def test_a_request_moves_nothing_until_another_manager_approves(pd: PharmacyDay, batch: uuid.UUID) -> None:
    before = written(pd.system)
    asked = ask(pd.pharmacist, batch, -8)
    assert asked.code.startswith("ADJ-") and asked.status == "requested"
    assert (asked.medicine_name, asked.batch_number, asked.expiry_date) == ("Dolo 650", "DL-2601", EXPIRY)
    assert (asked.quantity_change, asked.reason, asked.reason_text) == (-8, "damage", "Strip crushed under a carton")
    assert (asked.requested_by_name, asked.requested_at, asked.on_hand) == ("Farida Khan", pd.system.clock.now(), 100)
    assert asked.decided_by_id is None and asked.stock_movement_id is None
    assert on_hand(pd.system, batch) == 100
    assert written(pd.system)["stock_movements"] == before["stock_movements"]

    pd.system.clock.advance(minutes=20)  # type: ignore[attr-defined]
    done = approve_adjustment(pd.manager, asked.id)
    assert (done.status, done.decided_by_name, done.decided_at) == ("applied", "Imran Sheikh", pd.system.clock.now())
    assert done.on_hand == 92 and on_hand(pd.system, batch) == 92
    last = movements_of(pd.system, batch)[-1]
    assert (last.id, last.movement_type, last.quantity_delta) == (done.stock_movement_id, "adjustment", -8)
    assert (last.reference_type, last.reference_id) == ("stock_adjustments", asked.id)
    assert last.note == f"{asked.code}: Strip crushed under a carton"
    with pd.system.transaction(readonly=True) as tx:
        row = tx.session.get(StockAdjustment, asked.id)
        assert row is not None and row.approved_by_id == pd.manager.actor.user_id
    assert written(pd.system)["stock_movements"] == before["stock_movements"] + 1


def test_the_requester_cannot_approve_their_own_request(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.manager, batch, -3, "theft", "Three strips missing after the night shift")
    before = written(pd.system)
    with pytest.raises(PermissionDenied, match=r"another member of staff .* \(maker-checker\)"):
        approve_adjustment(pd.manager, asked.id)
    with pytest.raises(PermissionDenied, match="maker-checker"):
        reject_adjustment(pd.manager, asked.id, "Changed my mind")
    assert written(pd.system) == before and on_hand(pd.system, batch) == 100
    assert adjustment(pd.manager, asked.id).status == "requested"
    refused = denials(pd.system, "stock_adjustments")
    assert [(a.entity_id, a.outcome, a.user_id) for a in refused] == [
        (str(asked.id), "denied", asked.requested_by_id)
    ] * 2
    done = approve_adjustment(pd.checker, asked.id)
    assert (done.status, done.decided_by_name) == ("applied", "Asha Rao") and on_hand(pd.system, batch) == 97


def test_an_expiry_write_off_is_an_expiry_movement_and_only_removes(pd: PharmacyDay, batch: uuid.UUID) -> None:
    before = written(pd.system)
    with pytest.raises(ValidationError, match="write-off removes stock") as bad:
        ask(pd.pharmacist, batch, 100, "expiry", "Expired on the shelf")
    assert bad.value.field == "quantity_change" and written(pd.system) == before
    asked = ask(pd.pharmacist, batch, -100, "expiry", "Whole batch expired; sent for destruction")
    approve_adjustment(pd.checker, asked.id)
    last = movements_of(pd.system, batch)[-1]
    assert (last.movement_type, last.quantity_delta) == ("expiry_writeoff", -100) and on_hand(pd.system, batch) == 0


def test_a_correction_may_add_stock(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.pharmacist, batch, 5, "count_correction", "Five strips found behind the drawer")
    done = approve_adjustment(pd.manager, asked.id)
    assert done.on_hand == 105 and movements_of(pd.system, batch)[-1].movement_type == "adjustment"


def test_a_rejection_keeps_the_reason_and_moves_nothing(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.pharmacist, batch, -10, "other", "Given to the ward for an emergency")
    before = written(pd.system)
    with pytest.raises(ValidationError, match="reason for rejecting") as bad:
        reject_adjustment(pd.checker, asked.id, "  ")
    assert bad.value.field == "reason"
    pd.system.clock.advance(minutes=5)  # type: ignore[attr-defined]
    done = reject_adjustment(pd.checker, asked.id, "The ward must return it; no write-off")
    assert (done.status, done.reason_text) == ("rejected", "Given to the ward for an emergency")
    assert (done.rejection_reason, done.decided_by_name) == ("The ward must return it; no write-off", "Asha Rao")
    assert done.decided_at == pd.system.clock.now() and done.stock_movement_id is None
    with pd.system.transaction(readonly=True) as tx:
        row = tx.session.get(StockAdjustment, asked.id)
        assert row is not None and row.approved_by_id is None
    assert written(pd.system)["stock_movements"] == before["stock_movements"] and on_hand(pd.system, batch) == 100
    after = written(pd.system)
    with pytest.raises(Conflict, match="already rejected"):
        approve_adjustment(pd.manager, asked.id)
    with pytest.raises(Conflict, match="already rejected"):
        reject_adjustment(pd.manager, asked.id, "Again")
    assert written(pd.system) == after


def test_an_applied_adjustment_cannot_be_approved_again(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.pharmacist, batch, -4)
    approve_adjustment(pd.manager, asked.id)
    after = written(pd.system)
    with pytest.raises(Conflict, match="already applied"):
        approve_adjustment(pd.checker, asked.id)
    with pytest.raises(Conflict, match="already applied"):
        reject_adjustment(pd.checker, asked.id, "Too late")
    assert written(pd.system) == after and on_hand(pd.system, batch) == 96


def test_a_removal_larger_than_the_batch_is_refused_at_the_request(pd: PharmacyDay, batch: uuid.UUID) -> None:
    before = written(pd.system)
    with pytest.raises(ValidationError, match=r"Dolo 650, batch DL-2601: only 100 in stock, so 101") as bad:
        ask(pd.pharmacist, batch, -101)
    assert bad.value.field == "quantity_change" and written(pd.system) == before


def test_a_removal_larger_than_the_batch_holds_at_approval_is_refused(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.pharmacist, batch, -60, "damage", "Water leak soaked the carton")
    with pd.system.transaction() as tx:  # a sale while the request waits
        stock.move(tx, batch_id=batch, quantity_delta=-50, movement_type="dispense")
        tx.commit()
    before = written(pd.system)
    with pytest.raises(Conflict, match=r"Dolo 650, batch DL-2601: only 50 in stock now, so ADJ-.* cannot remove 60"):
        approve_adjustment(pd.manager, asked.id)
    assert written(pd.system) == before and on_hand(pd.system, batch) == 50
    assert adjustment(pd.manager, asked.id).status == "requested"
    assert reject_adjustment(pd.manager, asked.id, "Stock has moved; recount").status == "rejected"


@pytest.mark.parametrize(
    ("change", "reason", "text", "field", "words"),
    [
        (0, "damage", "Broken", "quantity_change", "other than 0"),
        (True, "damage", "Broken", "quantity_change", "whole number"),
        (-2.5, "damage", "Broken", "quantity_change", "whole number"),
        ("-3", "damage", "Broken", "quantity_change", "whole number"),
        (-1_000_001, "count_correction", "Typo", "quantity_change", "at most 1,000,000"),
        (4, "damage", "Broken", "quantity_change", "Damage removes stock"),
        (4, "theft", "Stolen", "quantity_change", "Theft removes stock"),
        (-3, "lost", "Gone", "reason", "Choose a reason"),
        (-3, "damage", "   ", "reason_text", "What happened is required"),
        (-3, "damage", "x" * 301, "reason_text", "at most 300"),
        (-3, "other", "Used", "reason_text", "in a sentence"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(
    pd: PharmacyDay, batch: uuid.UUID, change: Any, reason: str, text: str, field: str, words: str
) -> None:
    before = written(pd.system)
    with pytest.raises(ValidationError, match=words) as bad:
        ask(pd.pharmacist, batch, change, reason, text)
    assert bad.value.field == field and written(pd.system) == before


def test_an_unknown_batch_or_request_id_is_refused(pd: PharmacyDay, batch: uuid.UUID) -> None:
    before = written(pd.system)
    with pytest.raises(ValidationError, match="Choose a medicine batch") as bad:
        ask(pd.pharmacist, uuid.uuid4())
    assert bad.value.field == "batch_id"
    data = AdjustmentInput(batch_id=batch, quantity_change=-1, reason="damage", reason_text="Torn")
    with pytest.raises(ValidationError, match="its own id"):
        request_adjustment(pd.pharmacist, data, request_id="abc")  # type: ignore[arg-type]
    assert written(pd.system) == before


def test_a_double_clicked_request_asks_once(pd: PharmacyDay, batch: uuid.UUID) -> None:
    rid = uuid.uuid4()
    first = ask(pd.pharmacist, batch, -2, request_id=rid)
    after = written(pd.system)
    again = ask(pd.pharmacist, batch, -2, request_id=rid)
    assert again == first and first.id == rid and written(pd.system) == after


def test_the_list_newest_first_and_by_status(pd: PharmacyDay, batch: uuid.UUID) -> None:
    a = ask(pd.pharmacist, batch, -1)
    pd.system.clock.advance(minutes=1)  # type: ignore[attr-defined]
    b = ask(pd.pharmacist, batch, -2)
    pd.system.clock.advance(minutes=1)  # type: ignore[attr-defined]
    c = ask(pd.pharmacist, batch, -3)
    approve_adjustment(pd.manager, b.id)
    reject_adjustment(pd.manager, c.id, "Not needed")
    assert [v.code for v in adjustments(pd.pharmacist)] == [c.code, b.code, a.code]
    assert [v.code for v in adjustments(pd.manager, "requested")] == [a.code]
    assert [(v.code, v.status) for v in adjustments(pd.manager, "applied")] == [(b.code, "applied")]
    with pytest.raises(ValidationError, match="Choose a status"):
        adjustments(pd.manager, "pending")


def test_who_may_request_and_who_may_approve(pd: PharmacyDay, batch: uuid.UUID) -> None:
    asked = ask(pd.pharmacist, batch, -2)
    before = written(pd.system)
    with pytest.raises(PermissionDenied):
        approve_adjustment(pd.pharmacist, asked.id)  # a Pharmacist requests, never approves
    with pytest.raises(PermissionDenied):
        reject_adjustment(pd.pharmacist, asked.id, "No")
    reception, doctor = pd.rx.day.receptionist_ctx, pd.rx.day.doctor_ctx
    for ctx in (reception, doctor):
        with pytest.raises(PermissionDenied):
            ask(ctx, batch, -1)
        with pytest.raises(PermissionDenied):
            approve_adjustment(ctx, asked.id)
    with pytest.raises(PermissionDenied):
        adjustments(reception)
    assert written(pd.system) == before
    assert [v.code for v in adjustments(pd.pharmacist)] == [asked.code]  # the Pharmacist sees stock (inventory.view)

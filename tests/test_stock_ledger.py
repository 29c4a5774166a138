"""The stock ledger primitive (``hms_desktop.stock``) on real encrypted stores: movements are the record
(audited, queued for sync), the cached balance follows the ledger unrecorded, stock never goes below zero
locally, and a shortfall from two PCs is a warning of ``hms check``, not a failure."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hst
from sqlalchemy import func, insert, select

from db.models.audit import AuditLog
from db.models.inventory import StockMovement
from db.models.optical import OpticalProduct
from db.models.pharmacy import Medicine, MedicineBatch
from db.models.sync import SyncOutbox
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.storage import store as st
from hms_desktop.storage.store import Store
from hms_desktop.sync import derived
from tests.test_sync_outbox import enrol_here, outbox

MEDICINE = "Paracetamol 500 mg"


def make_batch(ctx: Context, number: str = "B123", medicine: str = MEDICINE) -> uuid.UUID:
    """A medicine and one empty batch of it (no services exist for them yet)."""
    with ctx.transaction() as tx:
        med = Medicine(code=f"SKU-{uuid.uuid4().hex[:8]}", name=medicine, form="tablet", gst_rate_basis_points=1200,
                       unit="strip")  # fmt: skip
        tx.session.add(med)
        tx.session.flush()
        batch = MedicineBatch(medicine_id=med.id, batch_number=number, expiry_date=date(2030, 1, 31),
                              received_at=ctx.clock.now())  # fmt: skip
        tx.session.add(batch)
        tx.commit()
        return batch.id


def make_frame(ctx: Context) -> uuid.UUID:
    with ctx.transaction() as tx:
        frame = OpticalProduct(sku="FR-AV-01", name="Aviator frame", category="frame", gst_rate_basis_points=1200)
        tx.session.add(frame)
        tx.commit()
        return frame.id


def move(ctx: Context, **kw: Any) -> stock.Movement:
    with ctx.transaction() as tx:
        done = stock.move(tx, **kw)
        tx.commit()
    return done


def balances(store: Store, batch_id: uuid.UUID) -> tuple[int, int, int]:
    """(cached on-hand, ledger sum, number of movements) of a batch, read around the app."""
    with store.engine.connect() as conn:
        cached = conn.execute(select(MedicineBatch.quantity_on_hand).where(MedicineBatch.id == batch_id)).scalar_one()
        total, moves = conn.execute(
            select(func.coalesce(func.sum(StockMovement.quantity_delta), 0), func.count()).where(
                StockMovement.batch_id == batch_id
            )
        ).one()
    return cached, total, moves


def audit_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AuditLog)).scalar_one())


def failed(store: Store) -> list[st.CheckResult]:
    return [r for r in st.check(store) if not r.ok]


def shortfall_check(store: Store) -> st.CheckResult:
    return next(r for r in st.check(store) if r.name.startswith("stock shortfalls"))


def test_a_receipt_and_a_sale_move_on_hand_and_append_movements(system_ctx: Context, store: Store) -> None:
    batch = make_batch(system_ctx)
    ref = uuid.uuid4()
    received = move(system_ctx, batch_id=batch, quantity_delta=20, movement_type="receipt",
                    reference_type="grn_items", reference_id=ref)  # fmt: skip
    assert (received.on_hand, received.item_kind, received.movement_type) == (20, "medicine", "receipt")
    assert received.medicine_id is not None and received.reference_id == ref
    sold = move(system_ctx, batch_id=batch, quantity_delta=-7, movement_type="dispense", reason="  walk-in  ")
    assert (sold.on_hand, sold.note) == (13, "walk-in")
    assert balances(store, batch) == (13, 13, 2)
    with system_ctx.transaction(readonly=True) as tx:
        assert stock.on_hand(tx, batch_id=batch) == 13
        row = tx.session.get(StockMovement, sold.id)
        assert row is not None and row.workstation_id == system_ctx.workstation.id and row.quantity_delta == -7
    assert failed(store) == []


def test_a_sale_beyond_on_hand_is_refused_naming_the_batch_and_writes_nothing(
    system_ctx: Context, store: Store
) -> None:
    batch = make_batch(system_ctx, "LOT-77")
    move(system_ctx, batch_id=batch, quantity_delta=5, movement_type="receipt")
    before, audits = balances(store, batch), audit_count(store)
    with pytest.raises(Conflict) as refused:
        move(system_ctx, batch_id=batch, quantity_delta=-6, movement_type="dispense")
    message = str(refused.value)
    assert MEDICINE in message and "LOT-77" in message and "only 5" in message and "6" in message
    assert balances(store, batch) == before == (5, 5, 1)
    assert audit_count(store) == audits
    with system_ctx.transaction() as tx:  # a caller that goes on after the refusal commits nothing of it
        with pytest.raises(Conflict):
            stock.move(tx, batch_id=batch, quantity_delta=-9, movement_type="expiry_writeoff")
        assert not tx.session.new
        tx.commit()
    assert balances(store, batch) == before and audit_count(store) == audits


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"quantity_delta": 0, "movement_type": "adjustment"}, "quantity_delta"),
        ({"quantity_delta": -3, "movement_type": "receipt"}, "quantity_delta"),
        ({"quantity_delta": 3, "movement_type": "dispense"}, "quantity_delta"),
        ({"quantity_delta": 2, "movement_type": "gift"}, "movement_type"),
        ({"quantity_delta": 2.0, "movement_type": "receipt"}, "quantity_delta"),
        ({"quantity_delta": 2, "movement_type": "receipt", "reference_type": "grn_items"}, "reference_id"),
        ({"quantity_delta": 2, "movement_type": "receipt", "reason": "x" * 501}, "reason"),
    ],
)
def test_a_bad_field_is_refused_before_anything_is_written(
    system_ctx: Context, store: Store, kw: dict[str, Any], field: str
) -> None:
    batch = make_batch(system_ctx)
    with pytest.raises(ValidationError) as bad:
        move(system_ctx, batch_id=batch, **kw)
    assert bad.value.field == field
    assert balances(store, batch) == (0, 0, 0)


def test_exactly_one_known_item(system_ctx: Context, store: Store) -> None:
    batch, frame = make_batch(system_ctx), make_frame(system_ctx)
    for both in ({}, {"batch_id": batch, "optical_product_id": frame}):
        with pytest.raises(ValidationError) as bad:
            move(system_ctx, quantity_delta=1, movement_type="receipt", **both)
        assert bad.value.field == "item"
    with pytest.raises(NotFound):
        move(system_ctx, batch_id=uuid.uuid4(), quantity_delta=1, movement_type="receipt")
    with pytest.raises(NotFound):
        move(system_ctx, optical_product_id=uuid.uuid4(), quantity_delta=1, movement_type="receipt")
    with system_ctx.transaction(readonly=True) as tx, pytest.raises(RuntimeError, match="write transaction"):
        stock.move(tx, batch_id=batch, quantity_delta=1, movement_type="receipt")
    assert balances(store, batch) == (0, 0, 0)


def test_optical_product_stock_follows_its_ledger(system_ctx: Context, store: Store) -> None:
    frame = make_frame(system_ctx)
    assert move(system_ctx, optical_product_id=frame, quantity_delta=4, movement_type="opening").on_hand == 4
    sold = move(system_ctx, optical_product_id=frame, quantity_delta=-1, movement_type="dispense")
    assert (sold.on_hand, sold.item_kind, sold.medicine_id, sold.batch_id) == (3, "optical", None, None)
    with pytest.raises(Conflict, match=r"Aviator frame \(FR-AV-01\): only 3 in stock"):
        move(system_ctx, optical_product_id=frame, quantity_delta=-4, movement_type="dispense")
    assert move(system_ctx, optical_product_id=frame, quantity_delta=1, movement_type="return").on_hand == 4
    with store.engine.connect() as conn:
        cached = conn.execute(select(OpticalProduct.stock_quantity).where(OpticalProduct.id == frame)).scalar_one()
    assert cached == 4
    assert failed(store) == []


def test_the_movement_is_audited_and_queued_the_cache_update_is_neither(system_ctx: Context, store: Store) -> None:
    enrol_here(store)
    batch = make_batch(system_ctx)
    with store.engine.connect() as conn:
        stamp, updated = conn.execute(
            select(MedicineBatch.hlc, MedicineBatch.updated_at).where(MedicineBatch.id == batch)
        ).one()
    queued_before, audits = len(outbox(store)), audit_count(store)
    done = move(system_ctx, batch_id=batch, quantity_delta=12, movement_type="receipt")
    new_entries = outbox(store)[queued_before:]
    assert sorted(t for t, *_ in new_entries) == ["audit_logs", "stock_movements"]
    assert ("stock_movements", done.id) in {(t, r) for t, r, *_ in new_entries}
    with store.engine.connect() as conn:
        last = conn.execute(select(AuditLog.entity_type, AuditLog.entity_id, AuditLog.action)
                            .order_by(AuditLog.seq.desc()).limit(1)).one()  # fmt: skip
        assert conn.execute(select(func.count()).select_from(AuditLog)).scalar_one() == audits + 1
        assert conn.execute(
            select(MedicineBatch.hlc, MedicineBatch.updated_at, MedicineBatch.quantity_on_hand).where(
                MedicineBatch.id == batch
            )
        ).one() == (stamp, updated, 12)
        queued_batches = conn.execute(
            select(func.count()).where(SyncOutbox.table_name == "medicine_batches", SyncOutbox.row_id == batch)
        ).scalar_one()
    assert tuple(last) == ("stock_movements", str(done.id), "create")
    assert queued_batches == 1, "only the batch's creation is queued, not its cached balance"


def test_a_batch_loaded_in_the_session_shows_the_new_balance(system_ctx: Context, store: Store) -> None:
    batch_id = make_batch(system_ctx)
    with system_ctx.transaction() as tx:
        batch = tx.session.get(MedicineBatch, batch_id)
        assert batch is not None and batch.quantity_on_hand == 0
        batch.sale_price_paise = 0  # an unrelated pending edit survives the move
        batch.mrp_paise = 250
        stock.move(tx, batch_id=batch_id, quantity_delta=9, movement_type="receipt")
        assert batch.quantity_on_hand == 9 and batch.mrp_paise == 250
        tx.commit()
    assert batch.quantity_on_hand == 9  # readable after the transaction ended
    with store.engine.connect() as conn:
        row = conn.execute(select(MedicineBatch.quantity_on_hand, MedicineBatch.mrp_paise)
                           .where(MedicineBatch.id == batch_id)).one()  # fmt: skip
    assert tuple(row) == (9, 250)


def test_a_move_in_a_savepoint_that_rolls_back_leaves_the_balance(system_ctx: Context, store: Store) -> None:
    batch_id = make_batch(system_ctx)
    move(system_ctx, batch_id=batch_id, quantity_delta=5, movement_type="receipt")
    with system_ctx.transaction() as outer:
        batch = outer.session.get(MedicineBatch, batch_id)
        assert batch is not None
        with system_ctx.transaction() as inner:  # joins: a savepoint, never committed
            stock.move(inner, batch_id=batch_id, quantity_delta=-2, movement_type="dispense")
        assert batch.quantity_on_hand == 5
        stock.move(outer, batch_id=batch_id, quantity_delta=-1, movement_type="dispense")
        assert batch.quantity_on_hand == 4
        outer.commit()
    assert balances(store, batch_id) == (4, 4, 2)


def test_hms_check_passes_fails_on_a_hand_edited_cache_and_warns_on_a_shortfall(
    system_ctx: Context, store: Store
) -> None:
    batch = make_batch(system_ctx)
    move(system_ctx, batch_id=batch, quantity_delta=5, movement_type="receipt")
    move(system_ctx, batch_id=batch, quantity_delta=-3, movement_type="dispense")
    assert failed(store) == []
    ok = shortfall_check(store)
    assert (ok.ok, ok.warning, ok.detail) == (True, False, "none")

    with store.engine.begin() as conn:  # edited around the app
        conn.execute(MedicineBatch.__table__.update().where(MedicineBatch.id == batch).values(quantity_on_hand=7))
    bad = failed(store)
    assert [r.name for r in bad] == ["medicine_batches.quantity_on_hand = SUM(stock_movements)"]
    assert "7 vs 2" in bad[0].detail

    with store.engine.begin() as conn:  # another PC's sale of 4 arrives (as a pull applies it) and is recomputed
        medicine = conn.execute(select(MedicineBatch.medicine_id).where(MedicineBatch.id == batch)).scalar_one()
        conn.execute(insert(StockMovement).values(
            id=uuid.uuid4(), item_kind="medicine", medicine_id=medicine, batch_id=batch, movement_type="dispense",
            quantity_delta=-4, moved_at=system_ctx.clock.now(), workstation_id=uuid.uuid4(), note="",
        ))  # fmt: skip
        derived.recompute(conn, {("medicine_batches", "quantity_on_hand"): {batch}})
    assert balances(store, batch) == (0, -2, 3)
    assert failed(store) == [], "a shortfall is no mismatch"
    warned = shortfall_check(store)
    assert warned.ok and warned.warning
    assert f"{MEDICINE}, batch B123 short by 2" in warned.detail

    with store.engine.begin() as conn:  # a cache above zero on a negative ledger still fails
        conn.execute(MedicineBatch.__table__.update().where(MedicineBatch.id == batch).values(quantity_on_hand=1))
    assert [r.name for r in failed(store)] == ["medicine_batches.quantity_on_hand = SUM(stock_movements)"]


def test_a_count_resolves_a_shortfall(system_ctx: Context, store: Store) -> None:
    batch = make_batch(system_ctx)
    move(system_ctx, batch_id=batch, quantity_delta=2, movement_type="receipt")
    with store.engine.begin() as conn:
        medicine = conn.execute(select(MedicineBatch.medicine_id).where(MedicineBatch.id == batch)).scalar_one()
        conn.execute(insert(StockMovement).values(
            id=uuid.uuid4(), item_kind="medicine", medicine_id=medicine, batch_id=batch, movement_type="dispense",
            quantity_delta=-5, moved_at=system_ctx.clock.now(), note="",
        ))  # fmt: skip
        derived.recompute(conn, {("medicine_batches", "quantity_on_hand"): {batch}})
    with system_ctx.transaction() as tx:
        (found,) = stock.shortfalls(tx.session)
        assert (found.item_id, found.label, found.short) == (batch, f"{MEDICINE}, batch B123", 3)
        with pytest.raises(Conflict, match="only 0 in stock"):
            stock.move(tx, batch_id=batch, quantity_delta=-1, movement_type="dispense")
        assert stock.move(tx, batch_id=batch, quantity_delta=1, movement_type="receipt").on_hand == 0  # still short
        counted = stock.count(tx, batch_id=batch, counted=4, reason="shelf counted after two PCs sold offline")
        assert counted is not None and (counted.movement_type, counted.quantity_delta, counted.on_hand) == (
            "cycle_count",
            6,
            4,
        )
        assert stock.count(tx, batch_id=batch, counted=4) is None
        assert stock.shortfalls(tx.session) == []
        tx.commit()
    assert balances(store, batch) == (4, 4, 4)
    assert failed(store) == [] and not shortfall_check(store).warning


# receipts (positive) and sales (negative) of one batch, in any order
OPERATIONS = hst.lists(hst.integers(min_value=-12, max_value=12).filter(bool), min_size=1, max_size=15)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPERATIONS)
def test_any_receipts_and_sales_keep_on_hand_equal_to_the_ledger_and_never_negative(
    system_ctx: Context, store: Store, ops: list[int]
) -> None:
    batch = make_batch(system_ctx, number=f"H-{uuid.uuid4().hex[:10]}")
    expected, moves = 0, 0
    for delta in ops:
        kind = "receipt" if delta > 0 else "dispense"
        before = audit_count(store)
        if expected + delta < 0:
            with pytest.raises(Conflict):
                move(system_ctx, batch_id=batch, quantity_delta=delta, movement_type=kind)
            assert audit_count(store) == before
        else:
            expected += delta
            moves += 1
            assert move(system_ctx, batch_id=batch, quantity_delta=delta, movement_type=kind).on_hand == expected
        assert balances(store, batch) == (expected, expected, moves)
        assert expected >= 0


def test_the_cli_check_prints_the_shortfall_and_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hms_desktop.context import Actor
    from hms_desktop.runtime import context_for
    from hms_desktop.storage.paths import StorePaths
    from tests.test_cli import PASS, hms, init

    data = tmp_path / "data"
    assert init(data).returncode == 0
    monkeypatch.setenv("HMS_KEYRING", "off")
    monkeypatch.setenv("HMS_PASSPHRASE", PASS)
    opened = st.open_store(StorePaths(data))
    try:
        ctx = context_for(opened, Actor.system("test"))
        batch = make_batch(ctx, "CLI-9")
        move(ctx, batch_id=batch, quantity_delta=2, movement_type="receipt")
        with opened.engine.begin() as conn:
            medicine = conn.execute(select(MedicineBatch.medicine_id).where(MedicineBatch.id == batch)).scalar_one()
            conn.execute(insert(StockMovement).values(
                id=uuid.uuid4(), item_kind="medicine", medicine_id=medicine, batch_id=batch, movement_type="dispense",
                quantity_delta=-3, moved_at=ctx.clock.now(), note="",
            ))  # fmt: skip
            derived.recompute(conn, {("medicine_batches", "quantity_on_hand"): {batch}})
    finally:
        opened.close()
    result = hms("check", data_dir=data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("WARN")]
    assert "stock shortfalls" in line and f"{MEDICINE}, batch CLI-9 short by 1" in line
    assert "All checks OK. 1 warning(s)" in result.stdout

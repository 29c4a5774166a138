"""Ledger caches across PCs: a pulled page recomputes stock and an invoice's paid/refunded amounts from the
ledgers (never from another PC's copy); two PCs that together sell more than a batch held keep both sales,
the cache stays at zero and ``hms check`` warns of the shortfall. On the encrypted store, on PostgreSQL, and
end to end through a real sync server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from db.models.billing import Invoice, Payment, Refund
from db.models.identity import User
from db.models.inventory import StockMovement
from db.models.optical import OpticalProduct
from db.models.patients import Patient
from db.models.pharmacy import Medicine, MedicineBatch
from db.models.sync import SyncConflict
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.services.reception.patients import PatientInput, register_patient
from hms_desktop.storage.store import Store
from hms_desktop.sync import derived, hlc
from hms_desktop.sync.codec import codec_for
from hms_desktop.sync.policy import spec
from hms_desktop.sync.pull import apply_page
from tests.conftest import ADMIN_EMAIL
from tests.helpers import signed_in_admin
from tests.pg import Lab, fresh_database
from tests.test_stock_ledger import MEDICINE, balances, failed, make_batch, move, shortfall_check
from tests.test_sync_outbox import enrol_here, outbox

OTHER_PC = uuid.uuid4()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


class Feed:
    """Pages as the server sends them, from another PC, with increasing clocks and sequence numbers."""

    def __init__(self) -> None:
        self.seq = 0

    def row(self, table: str, **values: Any) -> dict[str, Any]:
        self.seq += 1
        stamp = str(hlc.Stamp(ms=4_000_000_000_000 + self.seq, counter=0, node=OTHER_PC.hex))
        t = spec(table)
        assert t is not None
        full: dict[str, Any] = {}
        for c in t.columns:
            default = c.default.arg if c.default is not None and getattr(c.default, "is_scalar", False) else None
            full[c.name] = values.get(c.name, default)
        full.update(hlc=stamp, created_at=values.get("created_at", T0))
        if "updated_at" in full:
            full["updated_at"] = values.get("updated_at", T0)
        return {"t": table, "id": str(full["id"]), "h": stamp, "s": self.seq, "r": codec_for(t).encode(full)}

    def apply(self, store: Store, ws_id: uuid.UUID, since: int, *items: dict[str, Any]) -> int:
        page = {"changes": list(items), "next": self.seq, "more": False}
        apply_page(store.engine, page, ws_id, since, T0)
        return self.seq


def test_two_pcs_oversell_a_batch_the_ledger_keeps_both_the_cache_stays_zero(system_ctx: Context, store: Store) -> None:
    ws_id = enrol_here(store)
    batch = make_batch(system_ctx)
    move(system_ctx, batch_id=batch, quantity_delta=5, movement_type="receipt")
    move(system_ctx, batch_id=batch, quantity_delta=-3, movement_type="dispense")  # this PC sells 3 of 5
    with store.engine.connect() as conn:
        mine = dict(conn.execute(select(MedicineBatch.__table__).where(MedicineBatch.id == batch)).mappings().one())
    medicine = mine["medicine_id"]
    queued = len(outbox(store))
    feed = Feed()
    sale = feed.row("stock_movements", id=uuid.uuid4(), item_kind="medicine", medicine_id=medicine, batch_id=batch,
                    movement_type="dispense", quantity_delta=-4, moved_at=T0, workstation_id=OTHER_PC,
                    note="")  # fmt: skip
    # the other PC's copy of the batch row, with the cache it had (1): a copy is never trusted
    theirs = feed.row("medicine_batches", **{**mine, "quantity_on_hand": 1, "mrp_paise": 300, "sale_price_paise": 0})
    feed.apply(store, ws_id, 0, sale, theirs)
    assert balances(store, batch) == (0, -2, 3)
    assert len(outbox(store)) == queued, "pulled rows are not queued again"
    assert failed(store) == []
    warned = shortfall_check(store)
    assert warned.warning and f"{MEDICINE}, batch B123 short by 2" in warned.detail
    with system_ctx.transaction(readonly=True) as tx:
        (alert,) = stock.shortfalls(tx.session)
    assert (alert.item_kind, alert.item_id, alert.short) == ("medicine", batch, 2)
    with store.engine.connect() as conn:
        assert conn.execute(select(MedicineBatch.mrp_paise).where(MedicineBatch.id == batch)).scalar_one() == 300


def _billing_basics(system_ctx: Context, store: Store) -> tuple[uuid.UUID, uuid.UUID]:
    patient = register_patient(system_ctx, PatientInput("Meera Iyer", "F", date(1985, 6, 1)))
    with store.engine.connect() as conn:
        admin = conn.execute(select(User.id).where(User.email == ADMIN_EMAIL)).scalar_one()
    return patient.id, admin


def test_a_pull_recomputes_an_invoices_paid_and_refunded_amounts_from_the_ledgers(
    system_ctx: Context, store: Store
) -> None:
    ws_id = enrol_here(store)
    patient, admin = _billing_basics(system_ctx, store)
    feed = Feed()
    invoice_id, payment_id = uuid.uuid4(), uuid.uuid4()
    # The invoice's latest version comes before its payment and refund in the feed (the server applies parents
    # first); its copied amounts (1000 paid, 400 refunded) must not be trusted until the ledger rows arrive.
    invoice = feed.row("invoices", id=invoice_id, invoice_number="WS2/2526/0001", patient_id=patient,
                       invoice_date=date(2026, 3, 2), issued_at=T0, status="partially_paid",
                       place_of_supply_state_code="29", taxable_paise=1000, grand_total_paise=1000,
                       amount_paid_paise=1000, amount_refunded_paise=400, notes="")  # fmt: skip
    since = feed.apply(store, ws_id, 0, invoice)
    assert _amounts(store, invoice_id) == (0, 0)
    payment = feed.row("payments", id=payment_id, receipt_number="RCP-B-1", invoice_id=invoice_id, patient_id=patient,
                       method="cash", amount_paise=1000, transaction_ref="", received_at=T0, received_by_id=admin,
                       idempotency_key="pay-1", workstation_id=OTHER_PC, notes="")  # fmt: skip
    refund = feed.row("refunds", id=uuid.uuid4(), refund_number="RFD-B-1", payment_id=payment_id,
                      invoice_id=invoice_id, amount_paise=400, method="cash", reason="overcharged", refunded_at=T0,
                      idempotency_key="ref-1", workstation_id=OTHER_PC)  # fmt: skip
    feed.apply(store, ws_id, since, payment, refund)
    assert _amounts(store, invoice_id) == (1000, 400)
    assert failed(store) == []


def _amounts(store: Store, invoice_id: uuid.UUID) -> tuple[int, int]:
    with store.engine.connect() as conn:
        row = conn.execute(
            select(Invoice.amount_paid_paise, Invoice.amount_refunded_paise).where(Invoice.id == invoice_id)
        ).one()
    return int(row[0]), int(row[1])


def _seed_central(conn: Connection) -> dict[str, uuid.UUID]:
    ids = {k: uuid.uuid4() for k in ("user", "patient", "invoice", "payment", "medicine", "batch", "frame")}
    conn.execute(insert(User.__table__).values(id=ids["user"], email="a@b.in", full_name="A", password_hash="x"))
    conn.execute(insert(Patient.__table__).values(id=ids["patient"], code="PAT-1", full_name="P", name_search="p"))
    # a copy with amounts above its ledger: both change in one statement, so refunded <= paid holds throughout
    conn.execute(insert(Invoice.__table__).values(
        id=ids["invoice"], invoice_number="INV-1", patient_id=ids["patient"], invoice_date=date(2026, 3, 2),
        place_of_supply_state_code="29", amount_paid_paise=5000, amount_refunded_paise=4000,
    ))  # fmt: skip
    for n, amount in enumerate((1000, 200)):
        conn.execute(insert(Payment.__table__).values(
            id=ids["payment"] if n == 0 else uuid.uuid4(), receipt_number=f"R-{n}", invoice_id=ids["invoice"],
            patient_id=ids["patient"], method="cash", amount_paise=amount, received_at=T0,
            received_by_id=ids["user"], idempotency_key=f"p{n}",
        ))  # fmt: skip
    conn.execute(insert(Refund.__table__).values(
        id=uuid.uuid4(), refund_number="F-1", payment_id=ids["payment"], invoice_id=ids["invoice"], amount_paise=300,
        method="cash", reason="r", refunded_at=T0, idempotency_key="f1",
    ))  # fmt: skip
    conn.execute(insert(Medicine.__table__).values(id=ids["medicine"], code="M1", name="M", form="tablet",
                                                   gst_rate_basis_points=0, unit="strip"))  # fmt: skip
    conn.execute(insert(MedicineBatch.__table__).values(id=ids["batch"], medicine_id=ids["medicine"], batch_number="B",
                                                        expiry_date=date(2030, 1, 1), received_at=T0,
                                                        quantity_on_hand=2))  # fmt: skip
    conn.execute(insert(OpticalProduct.__table__).values(id=ids["frame"], sku="F1", name="F", category="frame",
                                                         gst_rate_basis_points=0))  # fmt: skip
    for target, delta in ((("batch_id", ids["batch"]), 2), (("batch_id", ids["batch"]), -5),
                          (("optical_product_id", ids["frame"]), 3)):  # fmt: skip
        kind = "medicine" if target[0] == "batch_id" else "optical"
        extra = {"medicine_id": ids["medicine"]} if kind == "medicine" else {}
        conn.execute(insert(StockMovement.__table__).values(
            id=uuid.uuid4(), item_kind=kind, movement_type="adjustment", quantity_delta=delta, moved_at=T0,
            **{target[0]: target[1]}, **extra,
        ))  # fmt: skip
    return ids


def test_recompute_on_postgresql_sets_invoice_amounts_and_clamps_stock() -> None:
    from hms_desktop.sync.server.store import make_engine

    cluster, name, url = fresh_database()
    engine = make_engine(url, pool_size=1)
    try:
        with engine.begin() as conn:
            ids = _seed_central(conn)
            derived.recompute(conn, {
                ("invoices", "amount_paid_paise"): {ids["invoice"]},
                ("medicine_batches", "quantity_on_hand"): {ids["batch"]},
                ("optical_products", "stock_quantity"): {ids["frame"]},
            })  # fmt: skip
            paid = conn.execute(select(Invoice.amount_paid_paise, Invoice.amount_refunded_paise)).one()
            on_hand = conn.execute(select(MedicineBatch.quantity_on_hand)).scalar_one()
            frames = conn.execute(select(OpticalProduct.stock_quantity)).scalar_one()
        assert (tuple(paid), on_hand, frames) == ((1200, 300), 0, 3)
    finally:
        engine.dispose()
        cluster.drop_database(name)


def test_two_pcs_oversell_offline_through_the_server(lab: Lab) -> None:
    a = lab.founder
    b = lab.new_pc("Pharmacy")
    ctx_a, ctx_b = signed_in_admin(a), signed_in_admin(b)
    batch = make_batch(ctx_a, "SYNC-1")
    move(ctx_a, batch_id=batch, quantity_delta=5, movement_type="receipt")
    lab.sync(a)
    lab.sync(b)
    assert balances(b, batch) == (5, 5, 1)
    move(ctx_a, batch_id=batch, quantity_delta=-3, movement_type="dispense")  # both offline, each sees 5
    move(ctx_b, batch_id=batch, quantity_delta=-4, movement_type="dispense")
    assert not [e for e in outbox(b) if e[0] == "medicine_batches"], "a sale queues its movement, not the batch"
    for store in (a, b, a):
        lab.sync(store)
    for store in (a, b):
        assert balances(store, batch) == (0, -2, 3)
        assert failed(store) == []
        assert "batch SYNC-1 short by 2" in shortfall_check(store).detail
    assert lab.central(f"SELECT quantity_on_hand FROM medicine_batches WHERE id = '{batch}'") == [(0,)]
    assert lab.central(f"SELECT sum(quantity_delta) FROM stock_movements WHERE batch_id = '{batch}'") == [(-2,)]
    with a.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(SyncConflict)).scalar_one() == 0
    with ctx_b.transaction() as tx:  # the pharmacist counts the shelf on B: the shortfall is resolved everywhere
        stock.count(tx, batch_id=batch, counted=0, reason="counted after the offline oversell")
        tx.commit()
    for store in (b, a):
        lab.sync(store)
    for store in (a, b):
        assert balances(store, batch) == (0, 0, 4)
        assert not shortfall_check(store).warning

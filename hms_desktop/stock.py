"""The stock ledger: the one way stock moves (dispensing, returns, goods receipts, adjustments, cycle counts,
optical stock). The pharmacy, inventory and optical services call ``move`` inside their own transaction::

    with ctx.transaction() as tx:
        stock.move(tx, batch_id=b, quantity_delta=-3, movement_type="dispense",
                   reference_type="pharmacy_dispensing_items", reference_id=line.id)
        tx.commit()

Rules:

- The ``stock_movements`` row is the record. It is added through the session, so the audit trail and the
  sync outbox record it like any row, and it never conflicts (append-only, written once).
- On-hand of a batch (or an optical product) is ``SUM(quantity_delta)`` of its movements. The cached balance
  (``medicine_batches.quantity_on_hand`` / ``optical_products.stock_quantity``) holds ``MAX(that, 0)`` and is
  set from the ledger in the same transaction as the movement (read, then written: the store is single-writer
  and a write transaction holds its lock from ``BEGIN IMMEDIATE``, so nothing moves in between).
- A movement that removes stock is refused (``Conflict``, naming the item and what is there) when the ledger
  would go below zero; nothing is written. A movement that adds stock is never refused.

Why the cache is written around the audit trail and sync: it is derived data. Written through the session
(an ORM edit, or a Core UPDATE, which ``write_guard`` captures) it would be audited a second time and queue
the batch row for sync, so two PCs that each dispense from one batch would push competing versions of the
batch row and fight last-writer-wins over a number neither may set. Whoever applies synced rows recomputes it
from the ledger instead (``hms_desktop.sync.derived``, after a pull page and on the server after a push), and
``hms check`` compares it with the ledger. So the cache is written with a Core UPDATE carrying
``hms_recorded`` (``write_guard.RECORDED``): neither audited nor queued, and the row's ``updated_at`` and
sync clock stay as they were. A copy of the row loaded in the session is given the new value.

Shortfalls: two PCs offline can together sell more than a batch held. Both sales happened, so the ledger keeps
both and goes below zero; the cache stays at zero (a CHECK forbids less). ``shortfalls`` lists such items for
the pharmacist and ``hms check`` reports them as warnings; counting the shelf (``count``, a ``cycle_count``
movement) or an ``adjustment`` brings the ledger back to what is there, which resolves it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from db.models.inventory import INBOUND_MOVEMENT_TYPES, OUTBOUND_MOVEMENT_TYPES, STOCK_MOVEMENT_TYPES, StockMovement
from db.models.optical import OpticalProduct
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop import changes
from hms_desktop.context import HmsSession, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.write_guard import RECORDED

NOTE_LENGTH = 500
REFERENCE_TYPE_LENGTH = 32


@dataclass(frozen=True, kw_only=True)
class Movement:
    """One recorded movement, with the item's balance after it."""

    id: uuid.UUID
    item_kind: str  # "medicine" or "optical"
    medicine_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    optical_product_id: uuid.UUID | None
    movement_type: str
    quantity_delta: int
    on_hand: int
    moved_at: datetime
    reference_type: str | None
    reference_id: uuid.UUID | None
    note: str


@dataclass(frozen=True, kw_only=True)
class Shortfall:
    """An item whose ledger is below zero: ``short`` more left than was there (sold on two PCs offline)."""

    item_kind: str
    item_id: uuid.UUID  # the batch or the optical product
    label: str  # "Paracetamol 500 mg, batch B123" / "Aviator frame (FR-1)"
    ledger: int

    @property
    def short(self) -> int:
        return -self.ledger


@dataclass(frozen=True, kw_only=True)
class _Item:
    kind: str
    id: uuid.UUID
    medicine_id: uuid.UUID | None
    label: str
    model: type[MedicineBatch] | type[OpticalProduct]
    column: str

    @property
    def table(self) -> Table:
        table = self.model.__table__
        assert isinstance(table, Table)
        return table


def _item(session: HmsSession, batch_id: uuid.UUID | None, optical_product_id: uuid.UUID | None) -> _Item:
    if (batch_id is None) == (optical_product_id is None):
        raise ValidationError("item", "A stock movement names exactly one batch or one optical product.")
    if batch_id is not None:
        found = session.execute(
            select(MedicineBatch.medicine_id, MedicineBatch.batch_number, Medicine.name)
            .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
            .where(MedicineBatch.id == batch_id, MedicineBatch.deleted_at.is_(None))
        ).first()
        if found is None:
            raise NotFound("That medicine batch does not exist (or was deleted).")
        label = f"{found.name}, batch {found.batch_number}"
        return _Item(
            kind="medicine",
            id=batch_id,
            medicine_id=found.medicine_id,
            label=label,
            model=MedicineBatch,
            column="quantity_on_hand",
        )
    assert optical_product_id is not None
    product = session.execute(
        select(OpticalProduct.name, OpticalProduct.sku).where(
            OpticalProduct.id == optical_product_id, OpticalProduct.deleted_at.is_(None)
        )
    ).first()
    if product is None:
        raise NotFound("That optical product does not exist (or was deleted).")
    return _Item(
        kind="optical",
        id=optical_product_id,
        medicine_id=None,
        label=f"{product.name} ({product.sku})",
        model=OpticalProduct,
        column="stock_quantity",
    )


def _ledger(session: HmsSession, item: _Item) -> int:
    key = StockMovement.batch_id if item.kind == "medicine" else StockMovement.optical_product_id
    total = session.execute(select(func.coalesce(func.sum(StockMovement.quantity_delta), 0)).where(key == item.id))
    return int(total.scalar_one())


def _check(quantity_delta: int, movement_type: str, reference_type: str | None, reference_id: uuid.UUID | None,
           note: str) -> None:  # fmt: skip
    if isinstance(quantity_delta, bool) or not isinstance(quantity_delta, int):
        raise ValidationError("quantity_delta", "The quantity must be a whole number.")
    if quantity_delta == 0:
        raise ValidationError("quantity_delta", "A stock movement must change the quantity.")
    if movement_type not in STOCK_MOVEMENT_TYPES:
        raise ValidationError("movement_type", f"Unknown stock movement type {movement_type!r}.")
    if movement_type in INBOUND_MOVEMENT_TYPES and quantity_delta < 0:
        raise ValidationError("quantity_delta", f"A {movement_type} adds stock: its quantity must be positive.")
    if movement_type in OUTBOUND_MOVEMENT_TYPES and quantity_delta > 0:
        raise ValidationError("quantity_delta", f"A {movement_type} removes stock: its quantity must be negative.")
    if (reference_type is None) != (reference_id is None):
        raise ValidationError("reference_id", "A movement's source needs both its table and its id, or neither.")
    if reference_type is not None and not 0 < len(reference_type) <= REFERENCE_TYPE_LENGTH:
        raise ValidationError("reference_type", f"The source table name is 1 to {REFERENCE_TYPE_LENGTH} characters.")
    if len(note) > NOTE_LENGTH:
        raise ValidationError("reason", f"The reason is at most {NOTE_LENGTH} characters.")


def _set_cache(tx: Transaction, item: _Item, value: int) -> None:
    """Write the cached balance unrecorded (see the module's docstring) and keep the session's copy in step."""
    session, table = tx.session, item.table
    session.execute(
        update(table)
        .where(table.c.id == item.id)
        .values({item.column: value, "updated_at": table.c.updated_at})  # not an edit: no onupdate stamp
        .execution_options(**{RECORDED: True})
    )
    loaded = session.identity_map.get(identity_key(item.model, item.id))
    if loaded is not None:
        if session.in_nested_transaction():
            session.expire(loaded, [item.column])  # a savepoint rolled back later must not leave this value
        else:
            set_committed_value(loaded, item.column, value)
    changes.collect_core_write(tx, table, "update", {item.id: {}}, {})  # open screens refresh the balance


def move(
    tx: Transaction,
    *,
    batch_id: uuid.UUID | None = None,
    optical_product_id: uuid.UUID | None = None,
    quantity_delta: int,
    movement_type: str,
    reference_type: str | None = None,
    reference_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> Movement:
    """Record one movement of a batch or an optical product and update its cached balance, in ``tx``.

    ``quantity_delta`` is positive for stock in, negative for stock out; ``movement_type`` is one of
    ``db.models.inventory.STOCK_MOVEMENT_TYPES``; ``reference_type``/``reference_id`` name the source row (a
    dispensing line, a GRN line, an adjustment); ``reason`` is kept as the movement's note. Raises
    ``ValidationError`` for a bad field, ``NotFound`` for an unknown item, ``Conflict`` when the stock is not
    there; in each case nothing is written.
    """
    if tx.readonly:
        raise RuntimeError("stock moves in a write transaction: open it with ctx.transaction()")
    note = (reason or "").strip()
    _check(quantity_delta, movement_type, reference_type, reference_id, note)
    session = tx.session
    item = _item(session, batch_id, optical_product_id)
    before = _ledger(session, item)
    after = before + quantity_delta
    if quantity_delta < 0 and after < 0:
        raise Conflict(
            f"{item.label}: only {max(before, 0)} in stock, so {-quantity_delta} cannot be taken out "
            "(nothing was recorded)."
        )
    row = StockMovement(
        item_kind=item.kind,
        medicine_id=item.medicine_id,
        batch_id=batch_id,
        optical_product_id=optical_product_id,
        movement_type=movement_type,
        quantity_delta=quantity_delta,
        reference_type=reference_type,
        reference_id=reference_id,
        moved_at=tx.ctx.clock.now(),
        workstation_id=tx.ctx.workstation.id,
        note=note,
    )
    session.add(row)
    session.flush()
    on_hand = max(after, 0)
    _set_cache(tx, item, on_hand)
    return Movement(
        id=row.id,
        item_kind=item.kind,
        medicine_id=item.medicine_id,
        batch_id=batch_id,
        optical_product_id=optical_product_id,
        movement_type=movement_type,
        quantity_delta=quantity_delta,
        on_hand=on_hand,
        moved_at=row.moved_at,
        reference_type=reference_type,
        reference_id=reference_id,
        note=note,
    )


def on_hand(tx: Transaction, *, batch_id: uuid.UUID | None = None, optical_product_id: uuid.UUID | None = None) -> int:
    """What the ledger says is there (never below zero): what ``move`` lets be taken out."""
    return max(_ledger(tx.session, _item(tx.session, batch_id, optical_product_id)), 0)


def count(
    tx: Transaction,
    *,
    batch_id: uuid.UUID | None = None,
    optical_product_id: uuid.UUID | None = None,
    counted: int,
    reference_type: str | None = None,
    reference_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> Movement | None:
    """A physical count: one ``cycle_count`` movement that brings the ledger to ``counted`` (None when it is
    already there). This also resolves a shortfall."""
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise ValidationError("counted", "The counted quantity is a whole number, zero or more.")
    ledger = _ledger(tx.session, _item(tx.session, batch_id, optical_product_id))
    if counted == ledger:
        return None
    return move(tx, batch_id=batch_id, optical_product_id=optical_product_id, quantity_delta=counted - ledger,
                movement_type="cycle_count", reference_type=reference_type, reference_id=reference_id,
                reason=reason)  # fmt: skip


def shortfalls(session: HmsSession) -> list[Shortfall]:
    """Every batch and optical product whose ledger is below zero (the stock alerts), most short first."""
    total = func.sum(StockMovement.quantity_delta)
    batches = session.execute(
        select(MedicineBatch.id, Medicine.name, MedicineBatch.batch_number, total)
        .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
        .join(StockMovement, StockMovement.batch_id == MedicineBatch.id)
        .where(MedicineBatch.deleted_at.is_(None))
        .group_by(MedicineBatch.id, Medicine.name, MedicineBatch.batch_number)
        .having(total < 0)
    )
    products = session.execute(
        select(OpticalProduct.id, OpticalProduct.name, OpticalProduct.sku, total)
        .join(StockMovement, StockMovement.optical_product_id == OpticalProduct.id)
        .where(OpticalProduct.deleted_at.is_(None))
        .group_by(OpticalProduct.id, OpticalProduct.name, OpticalProduct.sku)
        .having(total < 0)
    )
    found = [
        Shortfall(item_kind="medicine", item_id=i, label=f"{name}, batch {number}", ledger=int(s))
        for i, name, number, s in batches
    ]
    found += [
        Shortfall(item_kind="optical", item_id=i, label=f"{name} ({sku})", ledger=int(s))
        for i, name, sku, s in products
    ]
    return sorted(found, key=lambda f: (f.ledger, f.label))

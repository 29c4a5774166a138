"""What is on the shelf: finding a medicine with its stock, its batches in FEFO order, and the stock of every
medicine (``pharmacy.view``). Reads only.

- On hand is each batch's cached ``quantity_on_hand`` (in the medicine's units), which ``hms_desktop.stock``
  keeps equal to the batch's ledger; the ledger itself is never summed here (that is ``hms check``'s job).
- A batch is expired when its expiry date is before the clinic's local today: a pack marked "06/2027"
  (stored as 30 June 2027) is sold through that day. ``on_hand`` counts unexpired stock only; ``expired``
  is what is still on the shelf past its date (kept apart until written off).
- ``below_reorder``: the unexpired stock is below the reorder level (a level of 0 never flags).
- ``find_medicines``: an exact medicine code (MED-00012) or pack barcode first, then active medicines by brand
  or generic name as ``search_medicines`` finds them (the per-process word index of ``medicine_index``, kept
  fresh by the change broadcast), re-read from the table with their stock in one grouped query.
- ``batches_of``: FEFO order (expiry, then batch number); batches with nothing left only when asked.
- ``stock_summary``: every active medicine, by brand, from one grouped query (``inactive=True``: the retired
  ones instead, so the catalogue screen can bring one back).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, or_, select

from db.models.inventory import Supplier
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, HmsSession, Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.medicine_index import Row, index_for, words
from hms_desktop.services.pharmacy.catalog import medicine_row
from hms_desktop.services.pharmacy.catalog_rules import barcode_forms
from hms_desktop.settings import clinic_settings

MAX_LIMIT = 100
MAX_QUERY_WORDS = 6
_CODE = re.compile(r"^[A-Za-z]{1,8}-[A-Za-z0-9-]{1,24}$")


@dataclass(frozen=True, kw_only=True)
class MedicineStock:
    """A medicine found at the counter, with what is on the shelf (units)."""

    id: uuid.UUID
    code: str
    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    schedule: str
    is_schedule_h: bool
    barcode: str | None
    mrp_paise: int  # the catalogue's default (per pack)
    on_hand: int  # unexpired
    expired: int  # past its expiry date, still on the shelf
    reorder_level: int
    below_reorder: bool


@dataclass(frozen=True, kw_only=True)
class StockLine:
    medicine_id: uuid.UUID
    code: str
    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    category: str
    schedule: str
    on_hand: int
    expired: int
    reorder_level: int
    below_reorder: bool
    is_active: bool = True


@dataclass(frozen=True, kw_only=True)
class BatchView:
    id: uuid.UUID
    medicine_id: uuid.UUID
    batch_number: str
    expiry_date: date
    on_hand: int  # units
    mrp_paise: int  # per pack, as printed
    cost_price_paise: int  # per pack
    location: str
    supplier_name: str  # "" for opening stock
    expired: bool  # on the clinic's local today
    days_to_expiry: int  # negative once expired


def clinic_today(tx: Transaction) -> date:
    return local_today(clinic_settings(tx.session), tx.ctx.clock)


def _stock_of(today: date, ids: Sequence[uuid.UUID] | None = None) -> Select[uuid.UUID, Any, Any]:
    """(medicine id, unexpired units, expired units) of the batches holding stock, per medicine."""
    fresh = func.sum(case((MedicineBatch.expiry_date >= today, MedicineBatch.quantity_on_hand), else_=0))
    stale = func.sum(case((MedicineBatch.expiry_date < today, MedicineBatch.quantity_on_hand), else_=0))
    query = (
        select(MedicineBatch.medicine_id, fresh.label("on_hand"), stale.label("expired"))
        .where(MedicineBatch.quantity_on_hand > 0, MedicineBatch.deleted_at.is_(None))
        .group_by(MedicineBatch.medicine_id)
    )
    return query.where(MedicineBatch.medicine_id.in_(ids)) if ids is not None else query


_MEDICINE_COLUMNS = (Medicine.id, Medicine.code, Medicine.name, Medicine.generic_name, Medicine.strength,
                     Medicine.form, Medicine.unit, Medicine.pack_size, Medicine.schedule, Medicine.is_schedule_h,
                     Medicine.barcode, Medicine.mrp_paise, Medicine.reorder_level, Medicine.is_active,
                     Medicine.deleted_at)  # fmt: skip


def _with_stock(session: HmsSession, today: date, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[Row, MedicineStock]]:
    """The medicines ``ids`` re-read with their stock (one query): (the index's row, the hit)."""
    stock = _stock_of(today, ids).subquery()
    query = (
        select(*_MEDICINE_COLUMNS, func.coalesce(stock.c.on_hand, 0), func.coalesce(stock.c.expired, 0))
        .outerjoin(stock, stock.c.medicine_id == Medicine.id)
        .where(Medicine.id.in_(ids))
    )
    out = {}
    for (mid, code, name, generic, strength, form, unit, pack, sched, sched_h, barcode, mrp, reorder, active,
         deleted, on_hand, expired) in session.execute(query):  # fmt: skip
        live = bool(active) and deleted is None
        row = Row(mid, code, name, generic or "", strength or "", form, unit, bool(sched_h), live)
        hit = MedicineStock(
            id=mid, code=code, name=name, generic_name=generic or "", strength=strength or "", form=form, unit=unit,
            pack_size=pack, schedule=sched, is_schedule_h=bool(sched_h), barcode=barcode, mrp_paise=mrp,
            on_hand=int(on_hand), expired=int(expired), reorder_level=reorder,
            below_reorder=int(on_hand) < reorder,
        )  # fmt: skip
        out[mid] = (row, hit)
    return out


def _exact(session: HmsSession, query: str) -> list[uuid.UUID]:
    """The live medicine whose code or pack barcode is exactly ``query``."""
    text = query.strip()
    digits = re.sub(r"[\s\-]", "", text)
    found: list[uuid.UUID] = []
    if digits.isascii() and digits.isdigit() and len(digits) in (8, 12, 13):
        found += session.scalars(
            select(Medicine.id).where(Medicine.barcode.in_(barcode_forms(digits)), Medicine.deleted_at.is_(None))
        )
    elif _CODE.match(text):
        found += session.scalars(
            select(Medicine.id).where(
                or_(Medicine.code == text.upper(), Medicine.code == text), Medicine.deleted_at.is_(None)
            )  # fmt: skip
        )
    return found


@requires("pharmacy.view")
def find_medicines(ctx: Context, query: str, *, limit: int = 30) -> list[MedicineStock]:
    """Active medicines by exact code or barcode, or by brand or generic name (best first), with their stock."""
    if not isinstance(query, str) or not query.strip():
        raise ValidationError("query", "Type a medicine's brand or generic name, its code, or scan its barcode.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"Ask for 1 to {MAX_LIMIT} medicines.")
    wanted = words(query)[:MAX_QUERY_WORDS]
    index = index_for(ctx.engine)
    with ctx.transaction(readonly=True) as tx:
        standalone = not tx.joined  # inside another action's write, its uncommitted rows stay out of the index
        exact = _exact(tx.session, query)
        ids = list(exact)
        if wanted:
            if standalone:
                index.refresh(tx.session)
            ids += [i for i in index.candidates(wanted, limit + 10) if i not in exact]
        if not ids:
            return []
        fresh = _with_stock(tx.session, clinic_today(tx), ids)
        if standalone:
            index.update(row for row, _ in fresh.values())
            for gone in set(ids) - set(fresh):
                index.update([Row(gone, "", "", "", "", "", "", False, False)])
        hits = [
            fresh[i][1] for i in ids
            if i in fresh and fresh[i][0].is_live and (i in exact or fresh[i][0].matches(wanted))
        ]  # fmt: skip
        return hits[:limit]


def batch_views(tx: Transaction, batches: Sequence[MedicineBatch], today: date | None = None) -> list[BatchView]:
    """Views of ``batches`` (in the order given) with their suppliers' names, on the clinic's today."""
    on = today or clinic_today(tx)
    supplier_ids = {b.supplier_id for b in batches if b.supplier_id is not None}
    names: dict[uuid.UUID, str] = {}
    if supplier_ids:
        rows = tx.session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(supplier_ids)))
        names = {sid: name for sid, name in rows}
    return [
        BatchView(
            id=b.id,
            medicine_id=b.medicine_id,
            batch_number=b.batch_number,
            expiry_date=b.expiry_date,
            on_hand=b.quantity_on_hand,
            mrp_paise=b.mrp_paise,
            cost_price_paise=b.cost_price_paise,
            location=b.location or "",
            supplier_name=names.get(b.supplier_id, "") if b.supplier_id else "",
            expired=b.expiry_date < on,
            days_to_expiry=(b.expiry_date - on).days,
        )  # fmt: skip
        for b in batches
    ]


@requires("pharmacy.view")
def batches_of(ctx: Context, medicine_id: uuid.UUID, *, include_empty: bool = False) -> list[BatchView]:
    """The medicine's batches, earliest expiry first (then batch number); with nothing left only if asked."""
    with ctx.transaction(readonly=True) as tx:
        m = medicine_row(tx, medicine_id)
        query = select(MedicineBatch).where(MedicineBatch.medicine_id == m.id, MedicineBatch.deleted_at.is_(None))
        if not include_empty:
            query = query.where(MedicineBatch.quantity_on_hand > 0)
        batches = list(tx.session.scalars(query.order_by(MedicineBatch.expiry_date, MedicineBatch.batch_number)))
        return batch_views(tx, batches)


@requires("pharmacy.view")
def stock_summary(ctx: Context, *, inactive: bool = False) -> list[StockLine]:
    """Every active medicine (``inactive``: every inactive one) with its unexpired and expired stock and reorder
    flag, by brand."""
    with ctx.transaction(readonly=True) as tx:
        stock = _stock_of(clinic_today(tx)).subquery()
        rows = tx.session.execute(
            select(Medicine.id, Medicine.code, Medicine.name, Medicine.generic_name, Medicine.strength,
                   Medicine.form, Medicine.unit, Medicine.pack_size, Medicine.category, Medicine.schedule,
                   Medicine.reorder_level, func.coalesce(stock.c.on_hand, 0), func.coalesce(stock.c.expired, 0))
            .outerjoin(stock, stock.c.medicine_id == Medicine.id)
            .where(Medicine.is_active.is_(not inactive), Medicine.deleted_at.is_(None))
            .order_by(Medicine.name, Medicine.strength, Medicine.code)
        )  # fmt: skip
        return [
            StockLine(
                medicine_id=mid,
                code=code,
                name=name,
                generic_name=generic or "",
                strength=strength or "",
                form=form,
                unit=unit,
                pack_size=pack,
                category=cat or "",
                schedule=sched,
                on_hand=int(on_hand),
                expired=int(expired),
                reorder_level=reorder,
                below_reorder=int(on_hand) < reorder,
                is_active=not inactive,
            )  # fmt: skip
            for mid, code, name, generic, strength, form, unit, pack, cat, sched, reorder, on_hand, expired in rows
        ]

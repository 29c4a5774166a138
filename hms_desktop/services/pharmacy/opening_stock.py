"""Opening stock: what is already on the shelf on the day the clinic starts using HMS Desktop (go-live), entered
batch by batch (``inventory.receive``). Each entry is a new batch and one ``opening`` movement of the stock
ledger (``hms_desktop.stock.move``), in one transaction; the caller's ``request_id`` is the batch's id, so a
second call with it returns the first batch unchanged.

Refused, with nothing written:
- a medicine that is not in the catalogue, or inactive (make it active first);
- units that are not a whole number above 0 (units are the medicine's selling unit: tablets, not strips);
- an expiry date before the clinic's local today (a batch expiring today is still sold today);
- an MRP of 0, a cost below 0, or an MRP below the cost (MRP and cost are per pack, in paise);
- a batch number (any case) this medicine already has, whatever its expiry: an opening entry never adds to an
  existing batch (later stock of a batch comes in through a goods receipt).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from db.models.pharmacy import MedicineBatch
from hms_desktop import stock
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.pharmacy.catalog import medicine_row
from hms_desktop.services.pharmacy.catalog_rules import MAX_MRP_PAISE, units_text
from hms_desktop.services.pharmacy.stock_views import BatchView, batch_views, clinic_today
from hms_desktop.validation import clean_text

MAX_UNITS = 10_000_000
NOTE = "Opening stock"


@dataclass(frozen=True)
class OpeningStockInput:
    medicine_id: uuid.UUID
    batch_number: str
    expiry_date: date
    units: int  # in the medicine's unit (tablets)
    mrp_paise: int  # per pack, as printed
    cost_price_paise: int  # per pack
    location: str = ""  # shelf or rack


def _paise(value: object, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{label} is an amount in paise (a whole number).")
    if not 0 <= value <= MAX_MRP_PAISE:
        raise ValidationError(field, f"{label} is from Rs 0 to Rs 10,00,000 a pack.")
    return value


def _checked(data: OpeningStockInput, today: date) -> tuple[str, str]:
    number = clean_text(data.batch_number, "batch_number", label="The batch number", max_len=64)
    location = clean_text(data.location, "location", label="The location", required=False, max_len=64)
    units = data.units
    if isinstance(units, bool) or not isinstance(units, int) or not 0 < units <= MAX_UNITS:
        raise ValidationError("units", "Enter the units on the shelf: a whole number above 0.")
    expiry = data.expiry_date
    if not isinstance(expiry, date) or isinstance(expiry, datetime):
        raise ValidationError("expiry_date", "Enter the batch's expiry date.")
    if expiry < today:
        raise ValidationError(
            "expiry_date",
            f"Batch {number} expired on {expiry:%d %b %Y}: expired stock is not opening stock (keep it apart "
            "for return or destruction).",
        )
    mrp = _paise(data.mrp_paise, "mrp_paise", "The MRP")
    cost = _paise(data.cost_price_paise, "cost_price_paise", "The cost")
    if mrp == 0:
        raise ValidationError("mrp_paise", f"Enter the MRP printed on batch {number}'s pack.")
    if mrp < cost:
        raise ValidationError("mrp_paise", f"Batch {number}'s MRP is below its cost; please re-check both (per pack).")
    return number, location


@requires("inventory.receive")
def opening_stock(ctx: Context, data: OpeningStockInput, *, request_id: uuid.UUID) -> BatchView:
    """A batch already on the shelf at go-live, and its ``opening`` movement."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each entry its own id (a UUID).")
    with ctx.transaction() as tx:
        done = tx.session.get(MedicineBatch, request_id)
        if done is not None:
            return batch_views(tx, [done])[0]
        today = clinic_today(tx)
        number, location = _checked(data, today)
        m = medicine_row(tx, data.medicine_id)
        if not m.is_active:
            raise Conflict(f"{m.name} ({m.code}) is inactive; make it active before entering its stock.")
        same = tx.session.scalars(
            select(MedicineBatch).where(
                MedicineBatch.medicine_id == m.id,
                func.lower(MedicineBatch.batch_number) == func.lower(number),
                MedicineBatch.deleted_at.is_(None),
            )
        ).first()
        if same is not None:
            raise Conflict(
                f"{m.name} is already in stock as batch {same.batch_number}, expiring {same.expiry_date:%d %b %Y} "
                f"({units_text(same.quantity_on_hand, m.unit)} on hand); opening stock never adds to a batch."
            )
        batch = MedicineBatch(
            id=request_id, medicine_id=m.id, batch_number=number, expiry_date=data.expiry_date,
            quantity_on_hand=0, cost_price_paise=data.cost_price_paise, mrp_paise=data.mrp_paise,
            sale_price_paise=data.mrp_paise, supplier_id=None, received_at=ctx.clock.now(), location=location,
        )  # fmt: skip
        tx.session.add(batch)
        tx.flush()
        stock.move(tx, batch_id=batch.id, quantity_delta=data.units, movement_type="opening",
                   reference_type="medicine_batches", reference_id=batch.id, reason=NOTE)  # fmt: skip
        view = batch_views(tx, [batch], today)[0]
        tx.commit()
        return view

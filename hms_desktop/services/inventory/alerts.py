"""Stock alerts for the Pharmacy and Inventory docks (``pharmacy.view``): expiry, reorder and oversell.

Rules:
- Dates are the clinic's: today is ``clinic_time.local_today`` in the clinic's zone. A batch is expired once its
  expiry date is past (it sells up to and including that date, as FEFO has it: ``expiry < today``).
- Expiry bands use calendar months from today (30 Nov + 3 months = 28 Feb, the month's last day when shorter):
  ``expired`` (still holding stock), ``within_3_months`` (today .. today + 3 months), ``within_3_to_6_months``
  (after 3 months .. 6 months), ``within_6_to_12_months`` (after 6 .. 12 months). Only batches that hold stock
  (the ledger's cached on-hand above zero) of medicines in the catalogue, active or not: stock of a withdrawn
  medicine still has to be written off.
- ``below_reorder``: active medicines with a reorder level above zero whose on-hand in unexpired batches is below
  it (a medicine with no batch at all counts as 0).
- ``shortfalls``: items whose ledger is below zero (two PCs sold the same stock offline;
  ``hms_desktop.stock.shortfalls``), most short first, until a count or an adjustment brings them back.
- Each alert names the medicine, batch, expiry and quantity; expiry alerts are soonest first, reorder alerts the
  largest gap first. A fixed handful of grouped queries whatever the number of batches (none per batch).
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context
from hms_desktop.security.permissions import requires
from hms_desktop.settings import clinic_settings


@dataclass(frozen=True, kw_only=True)
class ExpiryAlert:
    medicine_id: uuid.UUID
    medicine_name: str
    strength: str
    batch_id: uuid.UUID
    batch_number: str
    expiry_date: date
    quantity: int  # units on hand
    location: str
    days_to_expiry: int  # negative once expired
    unit: str = "unit"  # the medicine's selling unit (the quantity's)
    pack_size: int = 1  # units in a pack


@dataclass(frozen=True, kw_only=True)
class ReorderAlert:
    medicine_id: uuid.UUID
    medicine_name: str
    strength: str
    unit: str
    on_hand: int  # units in unexpired batches
    reorder_level: int
    pack_size: int = 1  # units in a pack

    @property
    def short_by(self) -> int:
        return self.reorder_level - self.on_hand


@dataclass(frozen=True, kw_only=True)
class ShortfallAlert:
    item_kind: str  # "medicine" or "optical"
    item_id: uuid.UUID  # the batch or the optical product
    label: str  # "Dolo 650, batch B123"
    medicine_id: uuid.UUID | None
    medicine_name: str  # "" for an optical product
    batch_number: str
    expiry_date: date | None
    short: int  # how many more left than were there


@dataclass(frozen=True, kw_only=True)
class StockAlerts:
    today: date
    expired: tuple[ExpiryAlert, ...]
    within_3_months: tuple[ExpiryAlert, ...]
    within_3_to_6_months: tuple[ExpiryAlert, ...]
    within_6_to_12_months: tuple[ExpiryAlert, ...]
    below_reorder: tuple[ReorderAlert, ...]
    shortfalls: tuple[ShortfallAlert, ...]

    @property
    def total(self) -> int:
        groups = (self.expired, self.within_3_months, self.within_3_to_6_months, self.within_6_to_12_months)
        return sum(len(g) for g in groups) + len(self.below_reorder) + len(self.shortfalls)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months on (the month's last day when it is shorter)."""
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


@requires("pharmacy.view")
def stock_alerts(ctx: Context) -> StockAlerts:
    """Everything on the shelf that needs a pharmacist's attention today."""
    with ctx.transaction(readonly=True) as tx:
        session = tx.session
        today = local_today(clinic_settings(session), ctx.clock)
        three, six, twelve = (add_months(today, n) for n in (3, 6, 12))
        batches = session.execute(
            select(MedicineBatch, Medicine.name, Medicine.strength, Medicine.unit, Medicine.pack_size)
            .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
            .where(MedicineBatch.deleted_at.is_(None), Medicine.deleted_at.is_(None))
            .where(MedicineBatch.quantity_on_hand > 0, MedicineBatch.expiry_date <= twelve)
            .order_by(MedicineBatch.expiry_date, Medicine.name, MedicineBatch.batch_number)
        )
        bands: dict[str, list[ExpiryAlert]] = {"expired": [], "3": [], "6": [], "12": []}
        for b, name, strength, unit, pack in batches:
            alert = ExpiryAlert(
                medicine_id=b.medicine_id, medicine_name=name, strength=strength, batch_id=b.id,
                batch_number=b.batch_number, expiry_date=b.expiry_date, quantity=b.quantity_on_hand,
                location=b.location, days_to_expiry=(b.expiry_date - today).days, unit=unit, pack_size=pack,
            )  # fmt: skip
            e = b.expiry_date
            band = "expired" if e < today else "3" if e <= three else "6" if e <= six else "12"
            bands[band].append(alert)

        unexpired = func.coalesce(
            func.sum(case((MedicineBatch.expiry_date >= today, MedicineBatch.quantity_on_hand), else_=0)), 0
        )
        low = session.execute(
            select(
                Medicine.id,
                Medicine.name,
                Medicine.strength,
                Medicine.unit,
                Medicine.pack_size,
                Medicine.reorder_level,
                unexpired,
            )
            .outerjoin(
                MedicineBatch, and_(MedicineBatch.medicine_id == Medicine.id, MedicineBatch.deleted_at.is_(None))
            )
            .where(Medicine.deleted_at.is_(None), Medicine.is_active.is_(True), Medicine.reorder_level > 0)
            .group_by(
                Medicine.id, Medicine.name, Medicine.strength, Medicine.unit, Medicine.pack_size, Medicine.reorder_level
            )
            .having(unexpired < Medicine.reorder_level)
        )
        reorder = sorted(
            (ReorderAlert(medicine_id=i, medicine_name=n, strength=s, unit=u, reorder_level=level, on_hand=int(have),
                          pack_size=pack)
             for i, n, s, u, pack, level, have in low),
            key=lambda a: (-a.short_by, a.medicine_name),
        )  # fmt: skip

        short = stock.shortfalls(session)
        ids = [s.item_id for s in short if s.item_kind == "medicine"]
        details: dict[uuid.UUID, tuple[uuid.UUID, str, str, date]] = {}
        if ids:
            found = session.execute(
                select(MedicineBatch.id, Medicine.id, Medicine.name, MedicineBatch.batch_number,
                       MedicineBatch.expiry_date)
                .join(Medicine, Medicine.id == MedicineBatch.medicine_id)
                .where(MedicineBatch.id.in_(ids))
            )  # fmt: skip
            details = {bid: (mid, name, number, expiry) for bid, mid, name, number, expiry in found}
        shortfalls = []
        for s in short:
            mid, name, number, expiry = details.get(s.item_id, (None, "", "", None))
            shortfalls.append(ShortfallAlert(item_kind=s.item_kind, item_id=s.item_id, label=s.label, medicine_id=mid,
                                             medicine_name=name, batch_number=number, expiry_date=expiry,
                                             short=s.short))  # fmt: skip
        return StockAlerts(
            today=today, expired=tuple(bands["expired"]), within_3_months=tuple(bands["3"]),
            within_3_to_6_months=tuple(bands["6"]), within_6_to_12_months=tuple(bands["12"]),
            below_reorder=tuple(reorder), shortfalls=tuple(shortfalls),
        )  # fmt: skip

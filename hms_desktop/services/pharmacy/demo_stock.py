"""Stock for the demo catalogue (``inventory.receive``), so the demo's pharmacy can dispense and its alerts show.

For each medicine of ``hms_desktop.clinical_demo.DEMO_MEDICINES`` found in the store (same brand and strength,
active), two batches entered as opening stock (``opening_stock``): batch ``D<nn>A`` expiring at the end of the
month two months from the clinic's today (near expiry: the alerts show it) and ``D<nn>B`` at the end of the
month fourteen months out. Quantities are a few packs (1 to 3 near, 4 to 8 later, by the medicine's place in the
list), counted in units; MRP the demo's, cost 70% of it. Deterministic; a medicine that already has a batch of
that number keeps it, so running it again adds nothing.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from sqlalchemy import func, select

from db.ids import uuid7
from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.clinical_demo import DEMO_MEDICINES
from hms_desktop.context import Context
from hms_desktop.security.permissions import requires
from hms_desktop.services.pharmacy.catalog_rules import medicine_key
from hms_desktop.services.pharmacy.opening_stock import OpeningStockInput, opening_stock
from hms_desktop.services.pharmacy.stock_views import clinic_today

NEAR_MONTHS, LATER_MONTHS = 2, 14
COST_PERCENT = 70


def month_end(day: date, months: int) -> date:
    """The last day of the month ``months`` after ``day``'s (pack expiries are printed as month and year)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, calendar.monthrange(year, month)[1])


@requires("inventory.receive")
def load_demo_stock(ctx: Context) -> int:
    """Opening stock for the demo medicines in the catalogue; the number of batches added."""
    with ctx.transaction() as tx:
        today = clinic_today(tx)
        found: dict[tuple[str, str], tuple[uuid.UUID, int]] = {}
        for mid, name, strength, pack in tx.session.execute(
            select(Medicine.id, Medicine.name, Medicine.strength, Medicine.pack_size).where(
                Medicine.is_active.is_(True), Medicine.deleted_at.is_(None)
            )
        ):
            found.setdefault(medicine_key(name, strength or "", "")[:2], (mid, pack))
        have = {
            (mid, number.upper())
            for mid, number in tx.session.execute(
                select(MedicineBatch.medicine_id, func.upper(MedicineBatch.batch_number)).where(
                    MedicineBatch.deleted_at.is_(None)
                )
            )
        }
        added = 0
        for i, demo in enumerate(DEMO_MEDICINES, start=1):
            hit = found.get(medicine_key(demo.name, demo.strength, "")[:2])
            if hit is None:
                continue
            mid, pack = hit
            for suffix, months, packs in (("A", NEAR_MONTHS, 1 + i % 3), ("B", LATER_MONTHS, 4 + i % 5)):
                number = f"D{i:02d}{suffix}"
                if (mid, number) in have:
                    continue
                entry = OpeningStockInput(
                    medicine_id=mid, batch_number=number, expiry_date=month_end(today, months), units=packs * pack,
                    mrp_paise=demo.mrp_paise, cost_price_paise=demo.mrp_paise * COST_PERCENT // 100,
                    location=f"Rack {1 + (i - 1) // 12}",
                )  # fmt: skip
                opening_stock(ctx, entry, request_id=uuid7())
                added += 1
        tx.commit()
        return added

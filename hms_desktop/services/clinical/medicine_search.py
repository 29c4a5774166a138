"""Finding a medicine as the doctor types, and loading the demo catalogue.

``search_medicines(ctx, "amox")``: active medicines whose brand or generic name starts with the query, or has a
word that does ("clav" finds "Amoxicillin + Clavulanic acid"; "dolo 6" finds "Dolo 650"), best first, at most
20. Answered from a per-process word index (``medicine_index``: why, how it ranks and how it stays fresh), then
re-read from the table by primary key, so what is shown is what is stored.

``load_demo_catalog(ctx)``: the 60 medicines of ``hms_desktop.clinical_demo`` with codes from the MEDICINES
series; a medicine already in the catalogue (same brand and strength, any case) is left alone, so running it
twice adds nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from db.models.pharmacy import Medicine
from hms_desktop.clinic_time import local_today
from hms_desktop.clinical_demo import DEMO_MEDICINES, GST_MEDICINES_BASIS_POINTS, HSN_MEDICINES
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import MEDICINES, next_code
from hms_desktop.services.clinical.medicine_index import Row, index_for, read_rows, words
from hms_desktop.settings import clinic_settings

LIMIT = 20
MAX_QUERY_WORDS = 6


@dataclass(frozen=True, kw_only=True)
class MedicineHit:
    id: uuid.UUID
    code: str
    brand: str  # medicines.name, the name on the pack
    generic_name: str
    strength: str
    form: str
    unit: str
    is_schedule_h: bool


def _hit(row: Row) -> MedicineHit:
    return MedicineHit(
        id=row.id,
        code=row.code,
        brand=row.name,
        generic_name=row.generic_name,
        strength=row.strength,
        form=row.form,
        unit=row.unit,
        is_schedule_h=row.is_schedule_h,
    )


@requires("prescriptions.view")
def search_medicines(ctx: Context, query: str, *, limit: int = LIMIT) -> list[MedicineHit]:
    """Active medicines by brand or generic name (prefix of the name or of any word), best first."""
    wanted = words(query)[:MAX_QUERY_WORDS]
    if not wanted:
        raise ValidationError("query", "Type the start of a medicine's brand or generic name.")
    if not 1 <= limit <= 100:
        raise ValidationError("limit", "Ask for 1 to 100 medicines.")
    index = index_for(ctx.engine)
    with ctx.transaction(readonly=True) as tx:
        standalone = not tx.joined  # inside another action's write, its uncommitted rows stay out of the index
        if standalone:
            index.refresh(tx.session)
        ids = index.candidates(wanted, limit + 10)  # a few spare, should some have changed meanwhile
        if not ids:
            return []
        fresh = {row.id: row for row, _ in read_rows(tx.session, Medicine.id.in_(ids))}
        if standalone:
            index.update(fresh.values())
            for gone in set(ids) - set(fresh):
                index.update([Row(gone, "", "", "", "", "", "", False, False)])
        found = [fresh[i] for i in ids if i in fresh and fresh[i].is_live and fresh[i].matches(wanted)]
        return [_hit(r) for r in found[:limit]]


@dataclass(frozen=True, kw_only=True)
class DemoCatalogResult:
    added: int
    already_present: int


@requires("pharmacy.catalog")
def load_demo_catalog(ctx: Context) -> DemoCatalogResult:
    """Insert the demo medicines that are not in the catalogue yet (same brand and strength, any case)."""
    with ctx.transaction() as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        have = {
            (name.lower(), (strength or "").lower())
            for name, strength in tx.session.execute(
                select(func.lower(Medicine.name), Medicine.strength).where(Medicine.deleted_at.is_(None))
            )
        }
        added = 0
        for m in DEMO_MEDICINES:
            if (m.name.lower(), m.strength.lower()) in have:
                continue
            tx.session.add(
                Medicine(
                    code=next_code(tx, MEDICINES.resolve(settings), today),
                    name=m.name,
                    generic_name=m.generic_name,
                    category=m.category,
                    form=m.form,
                    strength=m.strength,
                    manufacturer=m.manufacturer,
                    hsn_code=HSN_MEDICINES,
                    gst_rate_basis_points=GST_MEDICINES_BASIS_POINTS,
                    mrp_paise=m.mrp_paise,
                    unit=m.unit,
                    reorder_level=0,
                    is_schedule_h=m.is_schedule_h,
                    schedule=m.schedule,
                    pack_size=m.pack_size,
                    is_active=True,
                )
            )
            have.add((m.name.lower(), m.strength.lower()))
            added += 1
        tx.commit()
        return DemoCatalogResult(added=added, already_present=len(DEMO_MEDICINES) - added)

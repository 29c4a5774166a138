"""The medicine catalogue: add, edit, retire and look up medicines (the field rules: ``catalog_rules``).

Rules:
- ``create_medicine`` (``pharmacy.catalog``): a new medicine with the next ``MEDICINES`` code (MED-00061); the
  caller's ``request_id`` is its id, so a second call with it returns the first medicine unchanged (a
  double-clicked Save adds one). Refused, naming the medicine already there: a pack barcode already on another
  medicine that is not deleted (a UPC-A and its EAN-13 with a leading 0 are one barcode), and the same brand,
  strength and form (any case) already in the catalogue, active or not (make it active again instead).
- ``update_medicine`` (``pharmacy.catalog``): the same rules, the code kept. The selling unit and the pack size
  cannot change while the medicine has batches: stock is counted in units and priced per pack, so the change
  would silently re-count and re-price the stock already on the shelf.
- ``set_medicine_active`` (``pharmacy.catalog``): an inactive medicine leaves the searches; its batches stay.
- ``get_medicine``, ``medicine_by_barcode`` (``pharmacy.view``): a scan with a bad check digit finds nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from db.models.pharmacy import Medicine, MedicineBatch
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, HmsSession, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import MEDICINES, next_code
from hms_desktop.services.pharmacy.catalog_rules import (
    CleanMedicine,
    MedicineInput,
    barcode_forms,
    clean_barcode,
    clean_medicine,
    medicine_key,
    percent_text,
    units_text,
)
from hms_desktop.settings import clinic_settings

__all__ = ["MedicineInput", "MedicineView", "create_medicine", "get_medicine", "medicine_by_barcode",
           "set_medicine_active", "update_medicine"]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class MedicineView:
    id: uuid.UUID
    code: str
    name: str  # the brand
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    manufacturer: str
    hsn_code: str
    gst_rate_percent: str  # "5"
    gst_rate_basis_points: int  # 500
    schedule: str  # none, H, H1, X
    is_schedule_h: bool  # only on a prescription (H, H1 or X)
    reorder_level: int  # units
    barcode: str | None
    category: str
    mrp_paise: int  # the catalogue's default MRP of a pack; each batch carries its own
    is_active: bool


def view_of(m: Medicine) -> MedicineView:
    return MedicineView(
        id=m.id, code=m.code, name=m.name, generic_name=m.generic_name or "", strength=m.strength or "",
        form=m.form, unit=m.unit, pack_size=m.pack_size, manufacturer=m.manufacturer or "",
        hsn_code=m.hsn_code or "", gst_rate_percent=percent_text(m.gst_rate_basis_points),
        gst_rate_basis_points=m.gst_rate_basis_points, schedule=m.schedule, is_schedule_h=m.is_schedule_h,
        reorder_level=m.reorder_level, barcode=m.barcode, category=m.category or "", mrp_paise=m.mrp_paise,
        is_active=m.is_active,
    )  # fmt: skip


@dataclass(frozen=True)
class Known:
    """One catalogue entry as the clash checks see it."""

    id: uuid.UUID
    code: str
    label: str  # "Dolo 650 650 mg tablet"
    is_active: bool


@dataclass(frozen=True)
class Clash:
    reason: str  # "barcode" or "medicine"
    other: Known

    def sentence(self, barcode: str | None) -> str:
        o = self.other
        if self.reason == "barcode":
            return (f"The barcode {barcode} is already on {o.label} ({o.code}); "
                    "a pack barcode belongs to one medicine.")  # fmt: skip
        inactive = " (inactive: make it active again instead)" if not o.is_active else ""
        return f"{o.label} is already in the catalogue as {o.code}{inactive}."


class KnownMedicines:
    """Medicines not deleted, by barcode and by brand + strength + form: loaded once for a whole import, or
    just the candidates of one save (``for_one``)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str, str], Known] = {}
        self._by_barcode: dict[str, Known] = {}

    @classmethod
    def load(cls, session: HmsSession, *where: ColumnElement[bool]) -> KnownMedicines:
        known = cls()
        cols = (Medicine.id, Medicine.code, Medicine.name, Medicine.strength, Medicine.form, Medicine.barcode,
                Medicine.is_active)  # fmt: skip
        for mid, code, name, strength, form, barcode, active in session.execute(
            select(*cols).where(Medicine.deleted_at.is_(None), *where)
        ):
            known.add(mid, code, medicine_key(name, strength or "", form), barcode, bool(active), name, strength)
        return known

    @classmethod
    def for_one(cls, session: HmsSession, clean: CleanMedicine) -> KnownMedicines:
        match = func.lower(Medicine.name) == func.lower(clean.name)
        if clean.barcode is not None:
            match = or_(match, Medicine.barcode.in_(barcode_forms(clean.barcode)))
        return cls.load(session, match)

    def add(self, mid: uuid.UUID, code: str, key: tuple[str, str, str], barcode: str | None, active: bool,
            name: str, strength: str | None) -> None:  # fmt: skip
        label = " ".join(p for p in (name, strength, key[2]) if p)
        known = Known(mid, code, label, active)
        self._by_key.setdefault(key, known)
        if barcode:
            for form in barcode_forms(barcode):
                self._by_barcode.setdefault(form, known)

    def clash(self, clean: CleanMedicine, exclude: uuid.UUID | None = None) -> Clash | None:
        if clean.barcode is not None:
            for form in barcode_forms(clean.barcode):
                other = self._by_barcode.get(form)
                if other is not None and other.id != exclude:
                    return Clash("barcode", other)
        other = self._by_key.get(clean.key)
        if other is not None and other.id != exclude:
            return Clash("medicine", other)
        return None


_FIELDS = (
    "name",
    "generic_name",
    "strength",
    "form",
    "unit",
    "pack_size",
    "manufacturer",
    "hsn_code",
    "gst_rate_basis_points",
    "schedule",
    "is_schedule_h",
    "reorder_level",
    "barcode",
    "category",
    "mrp_paise",
)


def _apply(m: Medicine, clean: CleanMedicine) -> None:
    for name in _FIELDS:
        if getattr(m, name, None) != (value := getattr(clean, name)):
            setattr(m, name, value)


def add_medicine(
    tx: Transaction,
    clean: CleanMedicine,
    *,
    medicine_id: uuid.UUID | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Medicine:
    """Write one checked medicine with the next MEDICINES code, in ``tx`` (the caller checked the clashes;
    ``settings``: the clinic's, when the caller has them already)."""
    settings = settings if settings is not None else clinic_settings(tx.session)
    m = Medicine(code=next_code(tx, MEDICINES.resolve(settings), local_today(settings, tx.ctx.clock)), is_active=True)
    if medicine_id is not None:
        m.id = medicine_id
    _apply(m, clean)
    tx.session.add(m)
    tx.flush()
    return m


def medicine_row(tx: Transaction, medicine_id: uuid.UUID) -> Medicine:
    m = tx.session.get(Medicine, medicine_id) if isinstance(medicine_id, uuid.UUID) else None
    if m is None or m.deleted_at is not None:
        raise NotFound("That medicine is not in the catalogue (it may have been removed on another PC).")
    return m


def _request_id(request_id: object) -> uuid.UUID:
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give each save its own id (a UUID).")
    return request_id


@requires("pharmacy.catalog")
def create_medicine(ctx: Context, data: MedicineInput, *, request_id: uuid.UUID) -> MedicineView:
    """Add a medicine to the catalogue (see the module's rules); again with ``request_id``: the first result."""
    rid = _request_id(request_id)
    with ctx.transaction() as tx:
        done = tx.session.get(Medicine, rid)
        if done is not None:
            return view_of(done)
        clean = clean_medicine(data)
        clash = KnownMedicines.for_one(tx.session, clean).clash(clean)
        if clash is not None:
            raise Conflict(clash.sentence(clean.barcode))
        view = view_of(add_medicine(tx, clean, medicine_id=rid))
        tx.commit()
        return view


@requires("pharmacy.catalog")
def update_medicine(ctx: Context, medicine_id: uuid.UUID, data: MedicineInput) -> MedicineView:
    """Change a medicine's details (its code stays)."""
    with ctx.transaction() as tx:
        m = medicine_row(tx, medicine_id)
        clean = clean_medicine(data)
        clash = KnownMedicines.for_one(tx.session, clean).clash(clean, exclude=m.id)
        if clash is not None:
            raise Conflict(clash.sentence(clean.barcode))
        if (clean.unit, clean.pack_size) != (m.unit, m.pack_size):
            batches = tx.session.scalar(
                select(func.count()).where(MedicineBatch.medicine_id == m.id, MedicineBatch.deleted_at.is_(None))
            )
            if batches:
                raise Conflict(
                    f"{m.name} ({m.code}) already has batches, counted in {units_text(2, m.unit).split()[1]} of "
                    f"{m.pack_size} a pack: its unit and pack size cannot change now (the stock would be re-counted "
                    "and re-priced). Add the new pack as a new medicine instead."
                )
        _apply(m, clean)
        tx.flush()
        view = view_of(m)
        tx.commit()
        return view


@requires("pharmacy.catalog")
def set_medicine_active(ctx: Context, medicine_id: uuid.UUID, active: bool) -> MedicineView:
    """Retire a medicine from the searches (``active`` False) or bring it back."""
    if not isinstance(active, bool):
        raise ValidationError("active", "Say whether the medicine is active (yes or no).")
    with ctx.transaction() as tx:
        m = medicine_row(tx, medicine_id)
        if m.is_active != active:
            m.is_active = active
            tx.flush()
        view = view_of(m)
        tx.commit()
        return view


@requires("pharmacy.view")
def get_medicine(ctx: Context, medicine_id: uuid.UUID) -> MedicineView:
    with ctx.transaction(readonly=True) as tx:
        return view_of(medicine_row(tx, medicine_id))


@requires("pharmacy.view")
def medicine_by_barcode(ctx: Context, code: str) -> MedicineView | None:
    """The medicine whose pack carries this EAN/UPC (active or not), or None (unknown, or not a valid code)."""
    try:
        barcode = clean_barcode(code)
    except ValidationError:
        return None
    if barcode is None:
        return None
    with ctx.transaction(readonly=True) as tx:
        m = tx.session.scalars(
            select(Medicine).where(Medicine.barcode.in_(barcode_forms(barcode)), Medicine.deleted_at.is_(None))
        ).first()
        return view_of(m) if m is not None else None

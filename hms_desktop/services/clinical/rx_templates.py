"""Prescription templates: a named set of medicine lines (with diagnosis and advice) a doctor reuses for a
common complaint ("Viral fever - adult").

- A template is the doctor's own (``doctor_id`` = the acting doctor) or shared with the clinic (``doctor_id``
  empty). Saving needs ``prescriptions.templates``; an own template needs a doctor's profile (without one:
  ``ValidationError("shared")``, save it as shared).
- Lines come from a prescription (its live lines) or are given; either way each passes the prescription's line
  rules (medicine, dose, frequency, 1-365 days, ...). The quantity is kept only where the doctor must give it
  (SOS, or a dose not counted in units); otherwise it is left 0, to be worked out for the duration chosen when
  the template is used. Allergy override reasons are never kept (they belong to one patient).
- A name is unique (without case) among the owner's active templates (the clinic's for shared ones).
- Listing (``prescriptions.view``): the acting doctor's own templates, then the shared ones, by name.
- Applying returns the lines as ``PrescriptionItemInput`` for the screen to edit before saving; a medicine no
  longer in the active catalogue is kept by name as free text, with a warning.
- Renaming and deactivating: an own template only by its doctor (another doctor is refused, audited); a shared
  one by anyone who may manage templates. Applying another doctor's own template is refused the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, func, select

from db.models.pharmacy import Medicine
from db.models.prescriptions import Prescription, PrescriptionTemplate
from db.models.scheduling import Doctor
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical import dosing
from hms_desktop.services.clinical.access import acting_doctor, refuse
from hms_desktop.services.clinical.prescription_input import PrescriptionItemInput, clean_items
from hms_desktop.services.clinical.prescription_views import live_item_dicts
from hms_desktop.validation import clean_text


@dataclass(frozen=True, kw_only=True)
class TemplateView:
    id: uuid.UUID
    name: str
    doctor_id: uuid.UUID | None  # None: shared with the clinic
    owner_name: str  # the doctor's name, or "Shared"
    is_shared: bool
    is_active: bool
    diagnosis: str
    advice: str
    items: tuple[PrescriptionItemInput, ...]


@dataclass(frozen=True, kw_only=True)
class AppliedTemplate:
    template: TemplateView
    diagnosis: str
    advice: str
    items: tuple[PrescriptionItemInput, ...]  # ready for PrescriptionInput.items
    warnings: tuple[str, ...]


def _input(d: dict[str, Any]) -> PrescriptionItemInput:
    return PrescriptionItemInput(
        medicine_id=uuid.UUID(d["medicine_id"]) if d.get("medicine_id") else None,
        medicine_name=str(d.get("medicine_name") or ""),
        generic_name=str(d.get("generic_name") or ""),
        strength=str(d.get("strength") or ""),
        dosage=str(d.get("dosage") or ""),
        frequency=str(d.get("frequency") or ""),
        duration_days=d.get("duration_days"),
        route=str(d.get("route") or ""),
        food_timing=str(d.get("food_timing") or "any"),
        instructions=str(d.get("instructions") or ""),
        quantity=int(d.get("quantity") or 0),
    )


def _view(t: PrescriptionTemplate, owner: str | None) -> TemplateView:
    return TemplateView(
        id=t.id,
        name=t.name,
        doctor_id=t.doctor_id,
        owner_name="Shared" if t.doctor_id is None else (owner or "?"),
        is_shared=t.doctor_id is None,
        is_active=t.is_active,
        diagnosis=t.diagnosis,
        advice=t.advice,
        items=tuple(_input(d) for d in t.items or []),
    )


def _owner_name(tx: Transaction, t: PrescriptionTemplate) -> str | None:
    d = tx.session.get(Doctor, t.doctor_id) if t.doctor_id else None
    return d.display_name if d is not None else None


def _stored_lines(tx: Transaction, items: Sequence[PrescriptionItemInput]) -> list[dict[str, Any]]:
    cleaned = clean_items(tx, items)
    out = []
    for given, c in zip(items, cleaned, strict=True):
        freq = dosing.parse_frequency(c.frequency)
        worked_out = dosing.quantity(freq, dosing.units_per_dose(c.dosage), c.duration_days)
        keep_quantity = worked_out is None or given.quantity not in (0, worked_out)
        out.append(
            {
                "medicine_id": str(c.medicine_id) if c.medicine_id else None,
                "medicine_name": c.medicine_name,
                "generic_name": c.generic_name,
                "strength": c.strength,
                "dosage": c.dosage,
                "frequency": c.frequency,
                "duration_days": c.duration_days,
                "route": c.route,
                "food_timing": c.food_timing,
                "instructions": c.instructions,
                "quantity": c.quantity if keep_quantity else 0,
            }
        )
    return out


def _lines_of_rx(tx: Transaction, rx_id: uuid.UUID) -> list[PrescriptionItemInput]:
    rx = tx.session.get(Prescription, rx_id)
    if rx is None or rx.deleted_at is not None:
        raise ValidationError("rx_id", "No such prescription.")
    return [_input(d) for d in live_item_dicts(tx.session, [rx.id])[rx.id]]


def _name_free(tx: Transaction, name: str, doctor_id: uuid.UUID | None, exclude: uuid.UUID | None = None) -> None:
    q = select(PrescriptionTemplate.id).where(
        func.lower(PrescriptionTemplate.name) == name.lower(),
        PrescriptionTemplate.is_active.is_(True),
        PrescriptionTemplate.deleted_at.is_(None),
        PrescriptionTemplate.doctor_id.is_(None) if doctor_id is None else PrescriptionTemplate.doctor_id == doctor_id,
    )
    if exclude is not None:
        q = q.where(PrescriptionTemplate.id != exclude)
    if tx.session.scalar(q.limit(1)) is not None:
        whose = "The clinic already has a shared" if doctor_id is None else "You already have a"
        raise ValidationError("name", f"{whose} template named {name}; choose another name.")


@requires("prescriptions.templates")
def save_template(
    ctx: Context,
    name: str,
    *,
    items: Sequence[PrescriptionItemInput] = (),
    rx_id: uuid.UUID | None = None,
    shared: bool = False,
    diagnosis: str = "",
    advice: str = "",
) -> TemplateView:
    """A new template of ``items``, or of the lines of prescription ``rx_id``; own, or ``shared`` with the clinic."""
    title = clean_text(name, "name", label="The template's name", max_len=120)
    with ctx.transaction() as tx:
        doctor = None
        if not shared:
            doctor = acting_doctor(tx)
            if doctor is None:
                raise ValidationError("shared", "Only a doctor has templates of their own; save it as shared instead.")
        if rx_id is not None and items:
            raise ValidationError("items", "Give the lines or a prescription to copy them from, not both.")
        lines = _lines_of_rx(tx, rx_id) if rx_id is not None else list(items)
        stored = _stored_lines(tx, lines)
        _name_free(tx, title, doctor.id if doctor else None)
        t = PrescriptionTemplate(
            name=title,
            doctor_id=doctor.id if doctor else None,
            diagnosis=clean_text(diagnosis, "diagnosis", label="Diagnosis", required=False, max_len=500),
            advice=(advice or "").strip()[:5000],
            items=stored,
            is_active=True,
        )
        tx.session.add(t)
        tx.session.flush()
        result = _view(t, doctor.display_name if doctor else None)
        tx.commit()
        return result


@requires("prescriptions.view")
def list_templates(ctx: Context, *, include_inactive: bool = False) -> list[TemplateView]:
    """The templates the acting user may use: their own (a doctor's), then the shared ones, each by name."""
    with ctx.transaction(readonly=True) as tx:
        me = acting_doctor(tx)
        whose: ColumnElement[bool] = PrescriptionTemplate.doctor_id.is_(None)
        if me is not None:
            whose = whose | (PrescriptionTemplate.doctor_id == me.id)
        q = select(PrescriptionTemplate).where(whose, PrescriptionTemplate.deleted_at.is_(None))
        if not include_inactive:
            q = q.where(PrescriptionTemplate.is_active.is_(True))
        rows = list(tx.session.scalars(q))
        rows.sort(key=lambda t: (t.doctor_id is None, t.name.lower()))
        return [_view(t, me.display_name if me is not None and t.doctor_id == me.id else None) for t in rows]


def _template(tx: Transaction, template_id: uuid.UUID, code: str, doing: str) -> PrescriptionTemplate:
    """The template, if the acting user may ``doing`` it: a shared one, or their own; else refused (audited)."""
    t = tx.session.get(PrescriptionTemplate, template_id)
    if t is None or t.deleted_at is not None:
        raise NotFound("No such prescription template.")
    if t.doctor_id is not None:
        me = acting_doctor(tx)
        if me is None or me.id != t.doctor_id:
            owner = _owner_name(tx, t) or "another doctor"
            refuse(tx, code, f"The template {t.name} is {owner}'s own; only they can {doing} it.",
                   entity_type="prescription_templates", entity_id=t.id)  # fmt: skip
    return t


@requires("prescriptions.view")
def apply_template(ctx: Context, template_id: uuid.UUID) -> AppliedTemplate:
    """The template's lines, diagnosis and advice for the prescription screen (nothing is saved)."""
    with ctx.transaction(readonly=True) as tx:
        t = _template(tx, template_id, "prescriptions.view", "use")
        if not t.is_active:
            raise Conflict(f"The template {t.name} is no longer in use.")
        view = _view(t, _owner_name(tx, t))
        ids = {i.medicine_id for i in view.items if i.medicine_id}
        live = set(
            tx.session.scalars(
                select(Medicine.id).where(
                    Medicine.id.in_(ids), Medicine.is_active.is_(True), Medicine.deleted_at.is_(None)
                )
            )
        )
        items, warnings = [], []
        for item in view.items:
            gone = item.medicine_id is not None and item.medicine_id not in live
            if gone:
                warnings.append(f"{item.medicine_name} is no longer in the catalogue; it is kept as free text.")
            items.append(replace(item, medicine_id=None) if gone else item)
        return AppliedTemplate(
            template=view, diagnosis=t.diagnosis, advice=t.advice, items=tuple(items), warnings=tuple(warnings)
        )


@requires("prescriptions.templates")
def rename_template(ctx: Context, template_id: uuid.UUID, name: str) -> TemplateView:
    title = clean_text(name, "name", label="The template's name", max_len=120)
    with ctx.transaction() as tx:
        t = _template(tx, template_id, "prescriptions.templates", "rename")
        if t.is_active:
            _name_free(tx, title, t.doctor_id, exclude=t.id)
        if t.name != title:
            t.name = title
        tx.session.flush()
        result = _view(t, _owner_name(tx, t))
        tx.commit()
        return result


@requires("prescriptions.templates")
def deactivate_template(ctx: Context, template_id: uuid.UUID) -> TemplateView:
    """Take a template out of use (kept, inactive; deactivating again changes nothing)."""
    with ctx.transaction() as tx:
        t = _template(tx, template_id, "prescriptions.templates", "deactivate")
        if t.is_active:
            t.is_active = False
        tx.session.flush()
        result = _view(t, _owner_name(tx, t))
        tx.commit()
        return result

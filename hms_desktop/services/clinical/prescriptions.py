"""Writing, amending, sending, printing and cancelling prescriptions (``RX-2026-000001``).

Rules:
- Only a doctor prescribes: the acting user's active ``doctors`` row is the prescriber; an account without one is
  refused (``PermissionDenied``, audited). Only the prescribing doctor may edit, amend, send or cancel a
  prescription; another doctor is refused the same way (an object-level check, audited).
- The input passes ``prescription_input`` (patient, links, follow-up date, each line's medicine, dose, frequency,
  duration, route, food timing, quantity) and the allergy check (``prescription_allergies``: a matching line needs
  ``allergy_override_reason``; it is then saved and an ``allergy_override`` audit record written) before anything
  is written.
- Saved as ``final`` (``finalized_at`` set) or, with ``draft=True``, as a draft. Every save (and a cancellation)
  appends an immutable version whose number is ``prescriptions.version``.
- A draft or final prescription not yet printed (``printed_at``) or sent (``sent_at``) is edited freely; once
  printed or sent, a change is an amendment and needs a reason (the version's ``change_reason``). A dispensed or
  cancelled prescription cannot change. Lines are replaced position by position: a line the same as the live line
  with its number is kept; a changed or removed line is soft-deleted and the new one added, so ``line_no`` is
  1..n among live lines.
- A double-click of Save makes one prescription, two ways: (1) the screen's ``request_id`` (one random key per
  prescription it opens; kept in version 1's snapshot): a save with a key already used returns that prescription;
  (2) without a key, a save identical (header and lines) to a live prescription of this doctor for this patient
  in the same appointment (or consultation; with neither, the same clinic day) returns that prescription. An
  update identical to the current version writes no new version.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time

from sqlalchemy import select

from db.ids import uuid7
from db.models.prescriptions import Prescription, PrescriptionItem, PrescriptionVersion
from db.models.scheduling import Doctor
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.printing.prescription import PAPERS, render_prescription
from hms_desktop.security.permissions import requires
from hms_desktop.series import PRESCRIPTIONS, next_code
from hms_desktop.services.clinical.access import acting_doctor, refuse
from hms_desktop.services.clinical.allergies import AllergyMatch
from hms_desktop.services.clinical.prescription_allergies import check_items
from hms_desktop.services.clinical.prescription_input import (
    CleanInput,
    CleanItem,
    PrescriptionInput,
    clean_header,
    clean_items,
)
from hms_desktop.services.clinical.prescription_print import print_data
from hms_desktop.services.clinical.prescription_versions import write_version
from hms_desktop.services.clinical.prescription_views import PrescriptionView, view, views
from hms_desktop.settings import clinic_settings

LOCKED = ("dispensed", "cancelled")


def _acting_doctor(tx: Transaction, code: str, patient_id: uuid.UUID) -> Doctor:
    doctor = acting_doctor(tx)
    if doctor is None:
        refuse(tx, code, "Only a doctor can write prescriptions: this account has no doctor's profile.",
               entity_type="patients", entity_id=patient_id, patient_id=patient_id)  # fmt: skip
    return doctor


def _rx(tx: Transaction, rx_id: uuid.UUID) -> Prescription:
    rx = tx.session.get(Prescription, rx_id)
    if rx is None or rx.deleted_at is not None:
        raise NotFound("No such prescription.")
    return rx


def _owned(tx: Transaction, rx_id: uuid.UUID, code: str, action: str) -> tuple[Prescription, Doctor]:
    """The prescription, if the acting doctor wrote it; anyone else is refused (audited)."""
    rx = _rx(tx, rx_id)
    me = acting_doctor(tx)
    if me is None or me.id != rx.doctor_id:
        theirs = tx.session.get(Doctor, rx.doctor_id)
        name = theirs.display_name if theirs is not None else "the prescribing doctor"
        refuse(tx, code, f"Only {name}, who wrote {rx.code}, can {action} it.", entity_type="prescriptions",
               entity_id=rx.id, patient_id=rx.patient_id)  # fmt: skip
    return rx, me


def _row_content(item: PrescriptionItem) -> dict[str, object]:
    return {
        "medicine_id": str(item.medicine_id) if item.medicine_id else None,
        "medicine_name": item.medicine_name,
        "generic_name": item.generic_name,
        "strength": item.strength,
        "dosage": item.dosage,
        "frequency": item.frequency,
        "duration_days": item.duration_days,
        "route": item.route,
        "food_timing": item.food_timing,
        "instructions": item.instructions,
        "quantity": item.quantity,
        "allergy_override_reason": item.allergy_override_reason or None,
    }


def _live_lines(tx: Transaction, rx_id: uuid.UUID) -> dict[int, PrescriptionItem]:
    rows = tx.session.scalars(
        select(PrescriptionItem).where(PrescriptionItem.prescription_id == rx_id, PrescriptionItem.deleted_at.is_(None))
    )
    return {r.line_no: r for r in rows}


def _same_content(tx: Transaction, rx: Prescription, clean: CleanInput, items: list[CleanItem]) -> bool:
    header = {
        "diagnosis": rx.diagnosis,
        "chief_complaint": rx.chief_complaint,
        "notes": rx.notes,
        "advice": rx.advice,
        "follow_up_date": rx.follow_up_date.isoformat() if rx.follow_up_date else None,
    }
    lines = _live_lines(tx, rx.id)
    mine = [_row_content(lines[n]) for n in sorted(lines)]
    return header == clean.header() and mine == [i.content() for i in items]


def _checked_items(
    tx: Transaction, data: PrescriptionInput, clean: CleanInput
) -> tuple[list[CleanItem], dict[int, list[AllergyMatch]]]:
    """The lines, allergy-checked; an override reason is kept only on a line that matched an allergy."""
    items = clean_items(tx, data.items)
    overrides = check_items(tx, clean.patient.id, items)
    items = [it if i in overrides else replace(it, allergy_override_reason="") for i, it in enumerate(items)]
    return items, overrides


def _write_lines(
    tx: Transaction,
    rx: Prescription,
    items: list[CleanItem],
    overrides: dict[int, list[AllergyMatch]],
    *,
    new: bool = False,
) -> None:
    """Make the live lines ``items`` (position = line_no): keep identical lines, soft-delete the others, add new.
    The lines are flushed together (their ids are made here, so an override's audit record can name one)."""
    now = tx.ctx.clock.now()
    live = _live_lines(tx, rx.id) if not new else {}
    keep = {n for n, row in live.items() if n <= len(items) and _row_content(row) == items[n - 1].content()}
    for n, row in live.items():
        if n not in keep:
            row.deleted_at = now
    if live:
        tx.session.flush()  # the partial unique index on live line numbers: old lines go before new ones arrive
    for i, it in enumerate(items):
        if i + 1 in keep:
            continue
        line = PrescriptionItem(
            id=uuid7(),
            prescription_id=rx.id,
            medicine_id=it.medicine_id,
            medicine_name=it.medicine_name,
            generic_name=it.generic_name,
            strength=it.strength,
            dosage=it.dosage,
            frequency=it.frequency,
            duration_days=it.duration_days,
            route=it.route,
            food_timing=it.food_timing,
            instructions=it.instructions,
            quantity=it.quantity,
            line_no=i + 1,
            allergy_override_reason=it.allergy_override_reason or None,
        )
        tx.session.add(line)
        if i in overrides:
            found = overrides[i]
            allergens = ", ".join(m.allergy.allergen for m in found)
            record(
                tx,
                "allergy_override",
                entity_type="prescription_items",
                entity_id=line.id,
                patient_id=rx.patient_id,
                new={
                    "prescription": rx.code,
                    "version": rx.version,
                    "line_no": i + 1,
                    "medicine": it.medicine_name,
                    "allergens": [m.allergy.allergen for m in found],
                    "matched": [m.ingredient for m in found],
                    "reason": it.allergy_override_reason,
                },
                detail=f"{it.medicine_name} despite the allergy to {allergens}: {it.allergy_override_reason}",
            )


def _by_request_id(tx: Transaction, patient_id: uuid.UUID, request_id: uuid.UUID) -> Prescription | None:
    rows = tx.session.execute(
        select(Prescription, PrescriptionVersion.snapshot)
        .join(PrescriptionVersion, PrescriptionVersion.prescription_id == Prescription.id)
        .where(Prescription.patient_id == patient_id, PrescriptionVersion.version == 1)
    )
    key = str(request_id)
    return next((rx for rx, snap in rows if (snap or {}).get("request_id") == key), None)


def _identical(tx: Transaction, doctor: Doctor, clean: CleanInput, items: list[CleanItem]) -> Prescription | None:
    q = select(Prescription).where(
        Prescription.patient_id == clean.patient.id,
        Prescription.doctor_id == doctor.id,
        Prescription.status != "cancelled",
        Prescription.deleted_at.is_(None),
    )
    if clean.consultation_id is not None:
        q = q.where(Prescription.consultation_id == clean.consultation_id)
    elif clean.appointment_id is not None:
        q = q.where(Prescription.appointment_id == clean.appointment_id)
    else:
        settings = clinic_settings(tx.session)
        today = local_today(settings, tx.ctx.clock)
        q = q.where(
            Prescription.appointment_id.is_(None),
            Prescription.consultation_id.is_(None),
            Prescription.created_at >= datetime.combine(today, time(0), zone_of(settings)),
        )
    return next((rx for rx in tx.session.scalars(q) if _same_content(tx, rx, clean, items)), None)


@requires("prescriptions.create")
def save_prescription(ctx: Context, data: PrescriptionInput) -> PrescriptionView:
    """Write a new prescription (final, or a draft), with its version 1."""
    with ctx.transaction() as tx:
        doctor = _acting_doctor(tx, "prescriptions.create", data.patient_id)
        if data.request_id is not None:
            done = _by_request_id(tx, data.patient_id, data.request_id)
            if done is not None:
                return view(tx.session, done)
        clean = clean_header(tx, data, doctor)
        items, overrides = _checked_items(tx, data, clean)
        same = _identical(tx, doctor, clean, items)
        if same is not None:
            return view(tx.session, same)
        settings = clinic_settings(tx.session)
        now = ctx.clock.now()
        rx = Prescription(
            id=uuid7(),  # made here, so the header and its lines go to the store in one flush
            code=next_code(tx, PRESCRIPTIONS.resolve(settings), local_today(settings, ctx.clock)),
            patient_id=clean.patient.id,
            doctor_id=doctor.id,
            appointment_id=clean.appointment_id,
            consultation_id=clean.consultation_id,
            diagnosis=clean.diagnosis,
            chief_complaint=clean.chief_complaint,
            notes=clean.notes,
            advice=clean.advice,
            follow_up_date=clean.follow_up_date,
            status="draft" if data.draft else "final",
            version=1,
            finalized_at=None if data.draft else now,
        )
        tx.session.add(rx)
        _write_lines(tx, rx, items, overrides, new=True)
        write_version(tx, rx, reason="", amendment=False, request_id=str(data.request_id) if data.request_id else None)
        result = view(tx.session, rx)
        tx.commit()
        return result


@requires("prescriptions.update")
def update_prescription(ctx: Context, rx_id: uuid.UUID, data: PrescriptionInput, reason: str = "") -> PrescriptionView:
    """Save a changed prescription as its next version (an amendment, with ``reason``, once printed or sent)."""
    with ctx.transaction() as tx:
        rx, doctor = _owned(tx, rx_id, "prescriptions.update", "change")
        if rx.status in LOCKED:
            raise Conflict(f"{rx.code} is {rx.status}; it cannot be changed. Write a new prescription.")
        if data.patient_id != rx.patient_id:
            raise ValidationError("patient_id", "A prescription cannot move to another patient; write a new one.")
        for name, given, mine in (
            ("appointment_id", data.appointment_id, rx.appointment_id),
            ("consultation_id", data.consultation_id, rx.consultation_id),
        ):
            if given is not None and given != mine:
                raise ValidationError(name, "A saved prescription stays with its visit; write a new one for another.")
        keep_follow_up = data.follow_up_date is not None and data.follow_up_date == rx.follow_up_date
        clean = clean_header(
            tx,
            replace(
                data,
                appointment_id=rx.appointment_id,
                consultation_id=rx.consultation_id,
                follow_up_date=None if keep_follow_up else data.follow_up_date,
            ),
            doctor,
        )
        if keep_follow_up:
            clean = replace(clean, follow_up_date=rx.follow_up_date)
        items, overrides = _checked_items(tx, data, clean)
        finalizing = rx.status == "draft" and not data.draft
        if not finalizing and _same_content(tx, rx, clean, items):
            return view(tx.session, rx)  # nothing changed (a second click of Save): no new version
        amendment = rx.printed_at is not None or rx.sent_at is not None
        why = " ".join((reason or "").split())
        if amendment and not why:
            done = "sent to the pharmacy" if rx.sent_at else "printed"
            raise ValidationError("reason", f"{rx.code} was already {done}; give the reason for the amendment.")
        if len(why) > 500:
            raise ValidationError("reason", "The reason can have at most 500 characters.")
        for name in ("diagnosis", "chief_complaint", "notes", "advice", "follow_up_date"):
            setattr(rx, name, getattr(clean, name))
        if finalizing:
            rx.status, rx.finalized_at = "final", ctx.clock.now()
        rx.version += 1
        tx.session.flush()
        _write_lines(tx, rx, items, overrides)
        write_version(tx, rx, reason=why, amendment=amendment)
        if amendment:
            record(tx, "amend", entity_type="prescriptions", entity_id=rx.id, patient_id=rx.patient_id,
                   detail=f"{rx.code} version {rx.version}: {why}")  # fmt: skip
        result = view(tx.session, rx)
        tx.commit()
        return result


@requires("prescriptions.create")
def send_to_pharmacy(ctx: Context, rx_id: uuid.UUID) -> PrescriptionView:
    """Hand the prescription to the pharmacy (it is final from then on; sending twice changes nothing)."""
    with ctx.transaction() as tx:
        rx, _ = _owned(tx, rx_id, "prescriptions.create", "send")
        if rx.status in LOCKED:
            raise Conflict(f"{rx.code} is {rx.status}; it cannot be sent to the pharmacy.")
        if rx.status != "sent_to_pharmacy":
            now = ctx.clock.now()
            rx.status, rx.sent_at = "sent_to_pharmacy", now
            rx.finalized_at = rx.finalized_at or now
        result = view(tx.session, rx)
        tx.commit()
        return result


@requires("prescriptions.view")
def mark_printed(ctx: Context, rx_id: uuid.UUID) -> PrescriptionView:
    """Record a print (audited each time); the first sets ``printed_at``, after which changes are amendments."""
    with ctx.transaction() as tx:
        rx = _rx(tx, rx_id)
        if rx.status == "draft":
            raise Conflict(f"{rx.code} is a draft; save it as final before printing it.")
        if rx.status == "cancelled":
            raise Conflict(f"{rx.code} is cancelled; it cannot be printed.")
        rx.printed_at = rx.printed_at or ctx.clock.now()
        record(tx, "print", entity_type="prescriptions", entity_id=rx.id, patient_id=rx.patient_id,
               detail=f"{rx.code} version {rx.version}")  # fmt: skip
        result = view(tx.session, rx)
        tx.commit()
        return result


@requires("prescriptions.update")
def cancel_prescription(ctx: Context, rx_id: uuid.UUID, reason: str) -> PrescriptionView:
    """Cancel (not once dispensed): a last version records the reason."""
    with ctx.transaction() as tx:
        rx, _ = _owned(tx, rx_id, "prescriptions.update", "cancel")
        if rx.status == "dispensed":
            raise Conflict(f"{rx.code} has been dispensed; it cannot be cancelled (take a return at the pharmacy).")
        if rx.status == "cancelled":
            raise Conflict(f"{rx.code} is already cancelled.")
        why = " ".join((reason or "").split())
        if not why:
            raise ValidationError("reason", "Give the reason for cancelling the prescription.")
        if len(why) > 480:
            raise ValidationError("reason", "The reason can have at most 480 characters.")
        rx.status = "cancelled"
        rx.version += 1
        write_version(tx, rx, reason=f"Cancelled: {why}", amendment=False)
        result = view(tx.session, rx)
        tx.commit()
        return result


@requires("prescriptions.view")
def prescription(ctx: Context, rx_id: uuid.UUID) -> PrescriptionView:
    """The prescription as it now stands (its current version)."""
    with ctx.transaction(readonly=True) as tx:
        return view(tx.session, _rx(tx, rx_id))


@requires("prescriptions.view")
def prescriptions_for(ctx: Context, patient_id: uuid.UUID, *, include_cancelled: bool = True) -> list[PrescriptionView]:
    """A patient's prescriptions, newest first."""
    with ctx.transaction(readonly=True) as tx:
        q = select(Prescription).where(Prescription.patient_id == patient_id, Prescription.deleted_at.is_(None))
        if not include_cancelled:
            q = q.where(Prescription.status != "cancelled")
        rxs = list(tx.session.scalars(q.order_by(Prescription.created_at.desc(), Prescription.code.desc())))
        return views(tx.session, rxs)


@requires("prescriptions.view")
def prescription_pdf(ctx: Context, rx_id: uuid.UUID, *, paper: str = "A5") -> bytes:
    """The Rx printout of the current version (A5 or A4 portrait). Printing it is recorded by ``mark_printed``."""
    if paper not in PAPERS:
        raise ValidationError("paper", f"Print on {' or '.join(PAPERS)} paper.")
    with ctx.transaction(readonly=True) as tx:
        return render_prescription(print_data(tx, _rx(tx, rx_id), paper))

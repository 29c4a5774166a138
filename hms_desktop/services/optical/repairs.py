"""Optical repairs (``RPR-2026-00001``): an item left at the counter, the fault, an estimate the patient approves,
the work, the ready message, the charge for billing, the hand-over. Every step is ``optical.repairs``; the
readers (``repair``, ``open_repairs``, ``repairs_of_patient``) are ``optical.view`` in ``repair_views``.

The life, each step one transaction with one ``status_log`` step (who, when, why):
  received -> (estimate approved) -> in_progress <-> waiting_for_parts -> ready -> delivered; cancelled.
- ``log_repair``: the patient, the item ("Titan TE-1021 frame with lenses"; own or bought here), the fault, the
  estimate as parts + labour in rupees (blank is Rs 0; never negative, at most 2 decimals, at most Rs 1 lakh
  each), an optional promised date (not before the day it is received), notes. ``request_id`` is the new
  row's id: called again with it, the repair already logged is returned unchanged.
- ``approve_estimate(approved_by)``: who approved and how ("Patient, in person", "Patient's son, by phone"),
  kept with the instant; only while the repair is received (afterwards it is approved already).
- ``revise_estimate(parts, labour, note)``: a new estimate (why is required) clears the approval; a repair in
  work goes back to received until the patient approves again (work never continues on an estimate they have
  not seen). Refused once ready (the charge has gone to billing), delivered or cancelled. The same amounts
  again change nothing.
- ``start_repair``: from received with the estimate approved (else refused: "record the patient's approval
  first"), or from waiting for parts (the parts came). ``wait_for_parts(note)``: from in progress; the note
  says which part. ``repair_ready``: from in progress; queues the patient's message (``ready_notice``; the
  history note says where it went or why not) and leaves the charge. ``deliver_repair``: refused without an
  approved estimate, then refused unless ready. ``cancel_repair(reason)``: any time before delivery; the
  charge of a ready repair is cancelled with it (refused while billed: the invoice needs a credit note).
- A step called again on a repair already in its target status returns it unchanged (a double click).

The charge (``charges.add_charge``, source ``repair``, at ``repair_ready``, for the approved estimate): line 1 is
the labour, line 2 the parts; a line of Rs 0 is left out (a free adjustment leaves no charge). Why two lines:
the labour is a service and the parts are goods, and GST classifies them apart when they are priced apart, as
the estimate prices them (a repair with parts and labour separately priced is not one composite supply [S]).
- Labour: SAC 998729 (group 99872, maintenance and repair services of other goods n.e.c.: spectacles have no
  code of their own [U]); heading 9987(ii) of Notification 11/2017-CT(Rate) is 18%. The rate is the clinic's
  tax rule for services with that SAC in force on the day (Admin > Taxes), else its blank-code default for
  taxable services, else 18%. Not exempt: repairing spectacles is not a health care service (entry 74 of
  Notification 12/2017 covers diagnosis and treatment).
- Parts: HSN 900390 (parts of spectacle frames and mountings); 5% since 22 Sep 2025 like frames (9003) [S]. The
  rate is the clinic's optical rule with the longest matching code (900390, else 9003) in force on the day, else
  the blank-code optical default, else 5%.
- Both lines are tax-inclusive (``price_includes_tax``): the estimate the patient approved is what they pay,
  GST inside, as for every price at the optical counter; billing works the taxable value out of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from db.models.optical import OpticalRepair
from db.models.patients import Patient
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.security.permissions import requires
from hms_desktop.series import REPAIRS, next_code
from hms_desktop.services.clinical.charges import ChargeInput, add_charge, cancel_charge
from hms_desktop.services.optical import status_log
from hms_desktop.services.optical.pricing import hsn_prefixes
from hms_desktop.services.optical.ready_notice import queue_ready
from hms_desktop.services.optical.repair_views import (
    RepairSummary,
    RepairView,
    day_text,
    open_repairs,
    repair,
    repair_row,
    repairs_of_patient,
    rupees,
    view_of,
)
from hms_desktop.services.pharmacy.pricing import tax_rule_rate
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

__all__ = [
    "LABOUR_SAC",
    "PARTS_HSN",
    "RepairInput",
    "RepairSummary",
    "RepairView",
    "approve_estimate",
    "cancel_repair",
    "deliver_repair",
    "log_repair",
    "open_repairs",
    "repair",
    "repair_ready",
    "repairs_of_patient",
    "revise_estimate",
    "start_repair",
    "wait_for_parts",
]

LABOUR_SAC = "998729"
PARTS_HSN = "900390"
LABOUR_RATE_UNLESS_CONFIGURED = 1800  # heading 9987(ii), Notification 11/2017-CT(Rate)
PARTS_RATE_UNLESS_CONFIGURED = 500  # chapter 9003 since 22 Sep 2025
MAX_AMOUNT = Decimal("100000")  # Rs 1 lakh for a spectacle repair's parts or labour: more is a typing slip
MAX_PROMISE_DAYS = 365


@dataclass(frozen=True, kw_only=True)
class RepairInput:
    patient_id: uuid.UUID
    item_description: str  # "Titan TE-1021 frame with lenses"
    issue_description: str  # "Left hinge broken"
    own_item: bool = True  # the patient's own; False: bought here
    parts: str = ""  # rupees as typed: "350", "1,299.50"; blank: Rs 0
    labour: str = ""
    promised_date: date | None = None
    notes: str = ""


# --- input ----------------------------------------------------------------------------------------------------


def _amount(value: object, field: str, label: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    try:
        return clean_rupees(value, field, max_rupees=MAX_AMOUNT)
    except ValidationError as e:
        raise ValidationError(field, f"{label}: {e.message[0].lower()}{e.message[1:]}") from None


def _estimate(parts: object, labour: object) -> tuple[int, int]:
    return (
        _amount(parts, "parts", "The parts estimate"),
        _amount(labour, "labour", "The labour estimate"),
    )


def _promised(value: object, today: date) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("promised_date", "Choose the promised date from the calendar.")
    if value < today:
        raise ValidationError(
            "promised_date",
            f"The promised date ({day_text(value)}) is before the day the repair is received ({day_text(today)}).",
        )
    if value > today + timedelta(days=MAX_PROMISE_DAYS):
        raise ValidationError("promised_date", f"The promised date ({day_text(value)}) is more than a year away.")
    return value


def _patient(tx: Transaction, patient_id: object) -> Patient:
    found = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise ValidationError("patient_id", "Choose the patient the item belongs to (no such patient on record).")
    return found


def _why(value: object, field: str, label: str) -> str:
    return clean_text(value if isinstance(value, str) else None, field, label=label, max_len=400)


def _estimate_words(r: OpticalRepair) -> str:
    return f"{rupees(r.cost_paise)} (parts {rupees(r.parts_paise)}, labour {rupees(r.labour_paise)})"


# --- steps ----------------------------------------------------------------------------------------------------


def _step(tx: Transaction, r: OpticalRepair, to: str, note: str) -> None:
    status_log.record(tx, to_status=to, from_status=r.status, repair_id=r.id, note=note)
    r.status = to


def _done(tx: Transaction, r: OpticalRepair) -> RepairView:
    tx.flush()
    view = view_of(tx, r)
    tx.commit()
    return view


def _refuse_closed(r: OpticalRepair, doing: str) -> None:
    if r.status == "delivered":
        raise Conflict(f"{r.code} was delivered to the patient; it cannot be {doing}.")
    if r.status == "cancelled":
        raise Conflict(f"{r.code} was cancelled; it cannot be {doing}.")


def _refuse_unapproved(r: OpticalRepair, doing: str) -> None:
    if r.estimate_approved_at is None:
        raise Conflict(
            f"The patient has not approved the estimate of {rupees(r.cost_paise)} for {r.code}; record their "
            f"approval before {doing}."
        )


@requires("optical.repairs")
def log_repair(ctx: Context, data: RepairInput, *, request_id: uuid.UUID) -> RepairView:
    """Receive an item for repair (see the module's rules): status received, code from the REPAIRS series."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "The screen must give a request id.")
    with ctx.transaction() as tx:
        done = tx.session.get(OpticalRepair, request_id)
        if done is not None:
            if done.patient_id != getattr(data, "patient_id", None):
                raise Conflict(f"This request already logged {done.code} for another patient.")
            return view_of(tx, done)
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        patient = _patient(tx, data.patient_id)
        item = clean_text(data.item_description, "item_description", label="The item left for repair", max_len=500)
        fault = clean_text(data.issue_description, "issue_description", label="The fault", max_len=1000)
        parts, labour = _estimate(data.parts, data.labour)
        promised = _promised(data.promised_date, today)
        notes = clean_text(data.notes, "notes", label="The notes", required=False, max_len=2000)
        if not isinstance(data.own_item, bool):
            raise ValidationError("own_item", "Say whether the item is the patient's own or was bought here.")
        r = OpticalRepair(
            id=request_id, code=next_code(tx, REPAIRS.resolve(settings), today), patient_id=patient.id,
            item_description=item, issue_description=fault, own_item=data.own_item, parts_paise=parts,
            labour_paise=labour, cost_paise=parts + labour, status="received", received_at=ctx.clock.now(),
            estimated_completion=promised, notes=notes, estimate_approved_by="",
        )  # fmt: skip
        tx.session.add(r)
        tx.flush()
        status_log.record(tx, to_status="received", repair_id=r.id,
                          note=f"Estimate {_estimate_words(r)}; waiting for the patient's approval.")  # fmt: skip
        return _done(tx, r)


@requires("optical.repairs")
def approve_estimate(ctx: Context, repair_id: uuid.UUID, approved_by: str) -> RepairView:
    """The patient approved the current estimate: who and how ("Patient, in person" / "Patient, by phone")."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        _refuse_closed(r, "approved")
        if r.estimate_approved_at is not None:
            return view_of(tx, r)
        who = clean_text(
            approved_by if isinstance(approved_by, str) else None, "approved_by",
            label="Who approved the estimate and how (for example “Patient, by phone”)",
        )  # fmt: skip
        r.estimate_approved_at, r.estimate_approved_by = ctx.clock.now(), who
        _step(tx, r, "received", f"Estimate {_estimate_words(r)} approved: {who}.")
        return _done(tx, r)


@requires("optical.repairs")
def revise_estimate(ctx: Context, repair_id: uuid.UUID, parts: str, labour: str, note: str) -> RepairView:
    """A new estimate: the approval is cleared and the patient approves again (work waits until they do)."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        _refuse_closed(r, "re-estimated")
        if r.status == "ready":
            raise Conflict(f"{r.code} is ready to collect and its charge has gone to billing; the estimate stays.")
        new_parts, new_labour = _estimate(parts, labour)
        why = _why(note, "note", "Why the estimate changes")
        if (new_parts, new_labour) == (r.parts_paise, r.labour_paise):
            return view_of(tx, r)
        before = rupees(r.cost_paise)
        r.parts_paise, r.labour_paise, r.cost_paise = new_parts, new_labour, new_parts + new_labour
        r.estimate_approved_at, r.estimate_approved_by = None, ""
        words = f"Estimate revised from {before} to {_estimate_words(r)}: {why}"
        _step(tx, r, "received", f"{words}. Waiting for the patient's approval.")
        return _done(tx, r)


@requires("optical.repairs")
def start_repair(ctx: Context, repair_id: uuid.UUID) -> RepairView:
    """Work starts (the estimate approved) or resumes (the awaited parts came)."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        if r.status == "in_progress":
            return view_of(tx, r)
        _refuse_closed(r, "worked on")
        _refuse_unapproved(r, "starting work")
        if r.status == "ready":
            raise Conflict(f"{r.code} is already repaired and ready to collect.")
        _step(tx, r, "in_progress", "Parts arrived; work resumed." if r.status == "waiting_for_parts" else "")
        return _done(tx, r)


@requires("optical.repairs")
def wait_for_parts(ctx: Context, repair_id: uuid.UUID, note: str) -> RepairView:
    """Work stops until a part comes; the note says which ("left hinge, ordered from Titan")."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        if r.status == "waiting_for_parts":
            return view_of(tx, r)
        why = _why(note, "note", "The part awaited")
        if r.status != "in_progress":
            raise Conflict(f"{r.code} is {_label(r)}; only a repair in progress can wait for parts.")
        _step(tx, r, "waiting_for_parts", why)
        return _done(tx, r)


def _label(r: OpticalRepair) -> str:
    return status_log.REPAIR_LABELS[r.status].lower()


def _rate(tx: Transaction, applies_to: str, code: str, on: date, unless_configured: int) -> int:
    """The rule in force on ``on`` with the longest code matching ``code``, else the blank-code default of
    ``applies_to``, else ``unless_configured``."""
    found = tax_rule_rate(tx.session, applies_to, hsn_prefixes(code), on)
    return unless_configured if found is None else found


def _leave_charges(tx: Transaction, r: OpticalRepair, on: date) -> str:
    lines = (
        (1, r.labour_paise, "labour", "service", LABOUR_SAC, LABOUR_RATE_UNLESS_CONFIGURED),
        (2, r.parts_paise, "parts", "optical", PARTS_HSN, PARTS_RATE_UNLESS_CONFIGURED),
    )
    item = r.item_description if len(r.item_description) <= 120 else r.item_description[:119] + "…"
    for line_no, amount, what, applies_to, code, fallback in lines:
        if amount:
            add_charge(tx, ChargeInput(
                patient_id=r.patient_id, source_type="repair", source_id=r.id, line_no=line_no,
                item_type="optical", description=f"Repair {r.code} ({what}): {item}", unit_price_paise=amount,
                price_includes_tax=True, hsn_sac_code=code,
                gst_rate_basis_points=_rate(tx, applies_to, code, on, fallback),
            ))  # fmt: skip
    return f"{rupees(r.cost_paise)} sent to billing." if r.cost_paise else "No charge (the estimate was Rs 0.00)."


@requires("optical.repairs")
def repair_ready(ctx: Context, repair_id: uuid.UUID) -> RepairView:
    """The repair is done: the patient's message is queued and the approved estimate is charged."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        if r.status == "ready":
            return view_of(tx, r)
        _refuse_closed(r, "made ready")
        _refuse_unapproved(r, "marking it ready")
        if r.status != "in_progress":
            raise Conflict(f"{r.code} is {_label(r)}; start (or resume) the work before marking it ready.")
        now = ctx.clock.now()
        r.ready_at = r.completed_at = now
        patient = _patient(tx, r.patient_id)
        short = r.item_description if len(r.item_description) <= 60 else r.item_description[:59] + "…"
        notified = queue_ready(tx, patient=patient, item=f"repaired {short}", code=r.code, ready_at=now)
        charged = _leave_charges(tx, r, local_today(clinic_settings(tx.session), ctx.clock))
        _step(tx, r, "ready", f"{notified} {charged}")
        return _done(tx, r)


@requires("optical.repairs")
def deliver_repair(ctx: Context, repair_id: uuid.UUID) -> RepairView:
    """The item is handed back to the patient: only once ready (and so with the estimate approved)."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        if r.status == "delivered":
            return view_of(tx, r)
        _refuse_closed(r, "delivered")
        _refuse_unapproved(r, "handing the item back")
        if r.status != "ready":
            raise Conflict(f"{r.code} is {_label(r)}, not ready to collect; mark it ready when the work is done.")
        r.delivered_at = ctx.clock.now()
        _step(tx, r, "delivered", "Handed back to the patient.")
        return _done(tx, r)


@requires("optical.repairs")
def cancel_repair(ctx: Context, repair_id: uuid.UUID, reason: str) -> RepairView:
    """Cancel a repair not yet delivered, with the reason; a ready repair's unbilled charge is cancelled too."""
    with ctx.transaction() as tx:
        r = repair_row(tx, repair_id)
        if r.status == "cancelled":
            return view_of(tx, r)
        why = _why(reason, "reason", "The reason for cancelling")
        if r.status == "delivered":
            raise Conflict(f"{r.code} was delivered to the patient; a delivered repair cannot be cancelled.")
        cancel_charge(tx, "repair", r.id, f"Repair {r.code} cancelled: {why}")
        _step(tx, r, "cancelled", why)
        return _done(tx, r)

"""Lab orders: the doctor orders tests, the lab collects the sample; the charge each order leaves for billing.

Life of an order (``lab_orders.status``): ``ordered`` -> ``sample_collected`` -> ``completed`` (result entered,
``services.clinical.lab_results``) -> ``verified`` (by a second user); or ``cancelled`` before the result is
entered. ``in_progress`` exists in the schema but no service sets it: the lab goes from the collected sample
straight to the result.

Rules:
- ``order_lab_tests`` (``lab.order``): one order per test, each with its own ``LAB`` series code, the test's
  name and price copied (a later catalog change does not touch it), ``ordered_at`` now, and one unbilled
  charge (``lab_order``/order id/line 1, item ``lab``, the test's SAC and GST rate: exempt, 0, by default).
  The ordering doctor is the signed-in user's doctor profile, else the appointment's doctor. Refused: an
  unknown or inactive test, the same test twice in one request, and a test already ordered for the same
  appointment by an order that is not cancelled. The appointment must be the patient's and not cancelled or
  a no-show. ``notes`` are the doctor's words for the lab (``lab_orders.notes``).
- ``cancel_lab_order`` (``lab.order``): only before the result is entered, with a reason; its charge is
  cancelled with it (a charge already billed refuses: the invoice needs a credit note).
- ``collect_sample`` (``lab.results``): once, on an order that is ``ordered``; stamps who and when.
- ``lab_worklist`` (``lab.view``): what the technician works through, by status (to collect, to report, to
  verify), then priority (stat, urgent, routine), then the time ordered.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from db.models.identity import User
from db.models.lab import LAB_ORDER_STATUSES, LAB_PRIORITIES, LabOrder, LabTest
from db.models.patients import Patient
from db.models.scheduling import Appointment, Doctor
from hms_desktop.clinic_time import age_on, local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import LAB_ORDERS, next_code
from hms_desktop.services.clinical.access import acting_doctor
from hms_desktop.services.clinical.charges import ChargeInput, add_charge, cancel_charge
from hms_desktop.services.clinical.lab_parameters import ResultValue, result_value_of
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

OPEN_STATUSES = ("ordered", "sample_collected", "in_progress", "completed")  # the worklist's default
STATUS_ORDER = {s: i for i, s in enumerate(LAB_ORDER_STATUSES)}
PRIORITY_ORDER = {"stat": 0, "urgent": 1, "routine": 2}
CANCELLABLE = ("ordered", "sample_collected", "in_progress")
MAX_TESTS = 30


@dataclass(frozen=True, kw_only=True)
class CorrectionView:
    at: datetime
    by_name: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class LabOrderView:
    id: uuid.UUID
    code: str
    status: str
    priority: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    patient_gender: str  # M, F, O, U
    patient_age_years: int | None  # on the day the test was ordered (clinic's zone)
    doctor_id: uuid.UUID | None
    doctor_name: str  # "" when no doctor
    appointment_id: uuid.UUID | None
    lab_test_id: uuid.UUID
    test_code: str
    test_name: str
    sample_type: str
    price_paise: int
    notes: str
    ordered_at: datetime
    ordered_by_name: str
    sample_collected_at: datetime | None
    sample_collected_by_name: str
    completed_at: datetime | None
    reported_by_id: uuid.UUID | None
    reported_by_name: str
    verified_at: datetime | None
    verified_by_id: uuid.UUID | None
    verified_by_name: str
    result_flag: str | None  # normal, abnormal, critical (worst value), None before a result or when unflagged
    result_summary: str
    values: tuple[ResultValue, ...]  # empty until a result is entered
    corrections: tuple[CorrectionView, ...]  # corrections made after a verification, oldest first
    cancelled_reason: str | None
    invoice_id: uuid.UUID | None


def _by_id(tx: Transaction, model: Any, ids: set[Any]) -> dict[Any, Any]:
    ids.discard(None)
    if not ids:
        return {}
    return {row.id: row for row in tx.session.scalars(select(model).where(model.id.in_(ids)))}


def order_views(tx: Transaction, orders: Sequence[LabOrder]) -> list[LabOrderView]:
    """Views of ``orders`` with their patients, doctors, tests and staff names, in a few queries."""
    patients = _by_id(tx, Patient, {o.patient_id for o in orders})
    doctors = _by_id(tx, Doctor, {o.doctor_id for o in orders})
    tests = _by_id(tx, LabTest, {o.lab_test_id for o in orders})
    staff = {o.created_by_id for o in orders} | {o.sample_collected_by_id for o in orders}
    staff |= {o.reported_by_id for o in orders} | {o.verified_by_id for o in orders}
    users: dict[uuid.UUID | None, str] = {k: u.full_name for k, u in _by_id(tx, User, staff).items()}
    zone = zone_of(clinic_settings(tx.session))
    out = []
    for o in orders:
        p, t, d = patients[o.patient_id], tests[o.lab_test_id], doctors.get(o.doctor_id)
        result = o.result or {}
        born = p.date_of_birth
        out.append(LabOrderView(
            id=o.id, code=o.code, status=o.status, priority=o.priority, patient_id=p.id,
            patient_name=p.full_name, patient_code=p.code, patient_gender=p.gender,
            patient_age_years=age_on(born, o.ordered_at.astimezone(zone).date()) if born else None,
            doctor_id=o.doctor_id, doctor_name=d.display_name if d else "", appointment_id=o.appointment_id,
            lab_test_id=o.lab_test_id, test_code=t.code, test_name=o.test_name, sample_type=t.sample_type,
            price_paise=o.price_paise, notes=o.notes, ordered_at=o.ordered_at,
            ordered_by_name=users.get(o.created_by_id, ""), sample_collected_at=o.sample_collected_at,
            sample_collected_by_name=users.get(o.sample_collected_by_id, ""), completed_at=o.completed_at,
            reported_by_id=o.reported_by_id, reported_by_name=users.get(o.reported_by_id, ""),
            verified_at=o.verified_at, verified_by_id=o.verified_by_id,
            verified_by_name=users.get(o.verified_by_id, ""), result_flag=o.result_flag,
            result_summary=o.result_summary or "",
            values=tuple(result_value_of(v) for v in result.get("values") or []),
            corrections=tuple(
                CorrectionView(at=datetime.fromisoformat(c["at"]), by_name=str(c.get("by_name") or ""),
                               reason=str(c["reason"]))
                for c in result.get("corrections") or []
            ),
            cancelled_reason=o.cancelled_reason, invoice_id=o.invoice_id,
        ))  # fmt: skip
    return out


def order_row(tx: Transaction, order_id: uuid.UUID) -> LabOrder:
    o = tx.session.get(LabOrder, order_id) if isinstance(order_id, uuid.UUID) else None
    if o is None or o.deleted_at is not None:
        raise NotFound("No such lab order (it may have been removed on another PC).")
    return o


def staff_id(tx: Transaction, code: str) -> uuid.UUID:
    """The signed-in member of staff (lab records say who did what; the system account cannot)."""
    if tx.actor.user_id is None:
        raise PermissionDenied(code, "Sign in as a member of staff to do this: the lab records who did it.")
    return tx.actor.user_id


def _appointment(tx: Transaction, appointment_id: uuid.UUID | None, patient: Patient) -> Appointment | None:
    if appointment_id is None:
        return None
    a = tx.session.get(Appointment, appointment_id) if isinstance(appointment_id, uuid.UUID) else None
    if a is None or a.deleted_at is not None or a.patient_id != patient.id:
        raise ValidationError("appointment_id", f"That appointment is not one of {patient.full_name}'s.")
    if a.status in ("cancelled", "no_show"):
        raise ValidationError("appointment_id", f"{a.code} is {a.status.replace('_', '-')}; order without it.")
    return a


def _tests(tx: Transaction, test_ids: Sequence[uuid.UUID]) -> list[LabTest]:
    if isinstance(test_ids, str | bytes) or not test_ids:
        raise ValidationError("test_ids", "Choose at least one test.")
    ids = list(test_ids)
    if len(ids) > MAX_TESTS:
        raise ValidationError("test_ids", f"Order at most {MAX_TESTS} tests at a time.")
    found = _by_id(tx, LabTest, {i for i in ids if isinstance(i, uuid.UUID)})
    tests = []
    for i in ids:
        t = found.get(i)
        if t is None or t.deleted_at is not None:
            raise ValidationError("test_ids", "One of the chosen tests is not in the lab's catalog.")
        if not t.is_active:
            raise ValidationError("test_ids", f"{t.name} is no longer offered by the lab.")
        if t in tests:
            raise ValidationError("test_ids", f"{t.name} is chosen twice.")
        tests.append(t)
    return tests


def _refuse_repeats(tx: Transaction, appt: Appointment | None, tests: list[LabTest]) -> None:
    if appt is None:
        return
    live = tx.session.scalars(
        select(LabOrder).where(
            LabOrder.appointment_id == appt.id,
            LabOrder.lab_test_id.in_([t.id for t in tests]),
            LabOrder.status != "cancelled",
            LabOrder.deleted_at.is_(None),
        )
    ).first()
    if live is not None:
        raise ValidationError(
            "test_ids",
            f"{live.test_name} is already ordered for this visit ({live.code}, {live.status.replace('_', ' ')}); "
            "cancel that order first to order it again.",
        )


@requires("lab.order")
def order_lab_tests(
    ctx: Context,
    patient_id: uuid.UUID,
    test_ids: Sequence[uuid.UUID],
    appointment_id: uuid.UUID | None = None,
    priority: str = "routine",
    notes: str = "",
) -> list[LabOrderView]:
    """One order (and one charge) per test, in the order given."""
    if priority not in LAB_PRIORITIES:
        raise ValidationError("priority", "Choose the priority: routine, urgent or stat.")
    note = clean_text(notes, "notes", label="Notes", required=False, max_len=500)
    with ctx.transaction() as tx:
        p = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
        if p is None or p.deleted_at is not None:
            raise ValidationError("patient_id", "Choose a registered patient.")
        appt = _appointment(tx, appointment_id, p)
        tests = _tests(tx, test_ids)
        _refuse_repeats(tx, appt, tests)
        mine = acting_doctor(tx)
        doctor_id = mine.id if mine is not None else (appt.doctor_id if appt is not None else None)
        settings = clinic_settings(tx.session)
        now, today = ctx.clock.now(), local_today(settings, ctx.clock)
        orders = []
        for t in tests:
            o = LabOrder(
                code=next_code(tx, LAB_ORDERS.resolve(settings), today), patient_id=p.id, doctor_id=doctor_id,
                appointment_id=appt.id if appt else None, lab_test_id=t.id, test_name=t.name, priority=priority,
                status="ordered", ordered_at=now, price_paise=t.price_paise,
                notes=note,
            )  # fmt: skip
            tx.session.add(o)
            tx.flush()
            add_charge(tx, ChargeInput(
                patient_id=p.id, source_type="lab_order", source_id=o.id, item_type="lab",
                description=f"Lab test: {t.name}", unit_price_paise=t.price_paise, appointment_id=o.appointment_id,
                doctor_id=doctor_id, hsn_sac_code=t.sac_code, gst_rate_basis_points=t.gst_rate_basis_points,
            ))  # fmt: skip
            orders.append(o)
        views = order_views(tx, orders)
        tx.commit()
        return views


@requires("lab.order")
def cancel_lab_order(ctx: Context, order_id: uuid.UUID, reason: str) -> LabOrderView:
    """Cancel an order whose result is not entered yet, and its unbilled charge."""
    why = clean_text(reason, "reason", label="A reason for cancelling", max_len=300)
    with ctx.transaction() as tx:
        o = order_row(tx, order_id)
        if o.status not in CANCELLABLE:
            state = "already cancelled" if o.status == "cancelled" else "reported: its result is entered"
            raise Conflict(f"{o.code} ({o.test_name}) is {state}; it cannot be cancelled.")
        cancel_charge(tx, "lab_order", o.id, f"Lab order {o.code} cancelled: {why}")
        o.status, o.cancelled_reason = "cancelled", why
        tx.flush()
        view = order_views(tx, [o])[0]
        tx.commit()
        return view


@requires("lab.results")
def collect_sample(ctx: Context, order_id: uuid.UUID) -> LabOrderView:
    """The sample is taken (or received): stamps the time and the member of staff."""
    with ctx.transaction() as tx:
        o = order_row(tx, order_id)
        who = staff_id(tx, "lab.results")
        if o.sample_collected_at is not None:
            raise Conflict(f"The sample for {o.code} was already collected.")
        if o.status != "ordered":
            raise Conflict(f"{o.code} is {o.status.replace('_', ' ')}; no sample is due.")
        o.status, o.sample_collected_at, o.sample_collected_by_id = "sample_collected", ctx.clock.now(), who
        tx.flush()
        view = order_views(tx, [o])[0]
        tx.commit()
        return view


def _sort_key(o: LabOrder) -> tuple[int, int, datetime, str]:
    return STATUS_ORDER[o.status], PRIORITY_ORDER[o.priority], o.ordered_at, o.code


@requires("lab.view")
def lab_worklist(ctx: Context, status: str | None = None, day: date | None = None) -> list[LabOrderView]:
    """Orders for the lab: ``status`` one status (default: every open one, ordered to completed), ``day`` the
    clinic-local day they were ordered (default: any day). By status, then priority (stat first), then time."""
    if status is not None and status not in LAB_ORDER_STATUSES:
        raise ValidationError("status", f"Choose a status: {', '.join(LAB_ORDER_STATUSES)}.")
    if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
        raise ValidationError("day", "Enter a date.")
    with ctx.transaction(readonly=True) as tx:
        statuses = (status,) if status else OPEN_STATUSES
        query = select(LabOrder).where(LabOrder.status.in_(statuses), LabOrder.deleted_at.is_(None))
        if day is not None:
            zone = zone_of(clinic_settings(tx.session))
            start = datetime.combine(day, time(0), zone)
            query = query.where(LabOrder.ordered_at >= start, LabOrder.ordered_at < start + timedelta(days=1))
        orders = sorted(tx.session.scalars(query), key=_sort_key)
        return order_views(tx, orders)

"""Reading optical repairs (``optical.view``): one repair with its history, the open repairs, a patient's repairs.

``RepairView`` is every column of the repair in the counter's words: the estimate as "Rs 350.00" (parts,
labour, their sum), whether and how the patient approved it, the status label ("Waiting for parts"), the local
day it was received and the step history (``status_log.history``, oldest first). ``overdue``: the promised
date has passed (before the clinic's today) while the repair is still at the counter (received, in progress
or waiting for parts); a repair that is ready, delivered or cancelled is never overdue. ``RepairSummary`` is
the list's row (no history). ``open_repairs`` lists every repair not yet delivered or cancelled, overdue first,
then by promised date (none last), then oldest first; ``repairs_of_patient`` lists the patient's, newest first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from db.models.optical import OpticalRepair
from db.models.patients import Patient
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound
from hms_desktop.printing.purchase_order import money
from hms_desktop.security.permissions import requires
from hms_desktop.services.optical import status_log
from hms_desktop.services.optical.status_log import REPAIR_LABELS, StatusStep
from hms_desktop.settings import clinic_settings

AT_THE_COUNTER = ("received", "in_progress", "waiting_for_parts")
CLOSED = ("delivered", "cancelled")
MAX_LIST = 500


def rupees(paise: int) -> str:
    """``35000`` -> ``"Rs 350.00"``; ``15000000`` -> ``"Rs 1,50,000.00"`` (lakh grouping)."""
    return f"Rs {money(paise)}"


def day_text(day: date) -> str:
    return f"{day.day:02d} {day:%b %Y}"


@dataclass(frozen=True, kw_only=True)
class RepairSummary:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    item_description: str
    status: str
    status_label: str
    received_on: date
    promised_date: date | None
    overdue: bool
    estimate_text: str  # "Rs 350.00"
    estimate_approved: bool


@dataclass(frozen=True, kw_only=True)
class RepairView:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    patient_phone: str
    item_description: str
    own_item: bool  # the patient's own item (False: bought here)
    issue_description: str
    parts_paise: int
    labour_paise: int
    cost_paise: int  # parts + labour: the estimate
    parts_text: str
    labour_text: str
    estimate_text: str
    estimate_approved: bool
    estimate_approved_at: datetime | None
    estimate_approved_by: str  # "Patient, by phone"; "" until approved
    approval_text: str  # "Approved by Patient, by phone on 30 Nov 2026" / "Not yet approved by the patient"
    status: str
    status_label: str
    received_at: datetime
    received_on: date  # the clinic's local day
    promised_date: date | None
    overdue: bool
    ready_at: datetime | None
    completed_at: datetime | None
    delivered_at: datetime | None
    notes: str
    history: tuple[StatusStep, ...]


def _local_day(at: datetime, settings: Mapping[str, Any]) -> date:
    return at.astimezone(zone_of(settings)).date()


def approval_text(r: OpticalRepair, settings: Mapping[str, Any]) -> str:
    if r.estimate_approved_at is None:
        return "Not yet approved by the patient"
    return f"Approved by {r.estimate_approved_by} on {day_text(_local_day(r.estimate_approved_at, settings))}"


def is_overdue(r: OpticalRepair, today: date) -> bool:
    return r.status in AT_THE_COUNTER and r.estimated_completion is not None and r.estimated_completion < today


def repair_row(tx: Transaction, repair_id: object) -> OpticalRepair:
    found = tx.session.get(OpticalRepair, repair_id) if isinstance(repair_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise NotFound("No such repair (it may have been removed on another PC).")
    return found


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    found = tx.session.get(Patient, patient_id)
    if found is None:
        raise NotFound("The repair's patient is not on this PC yet; sync and try again.")
    return found


def view_of(tx: Transaction, r: OpticalRepair) -> RepairView:
    settings = clinic_settings(tx.session)
    today = local_today(settings, tx.ctx.clock)
    p = _patient(tx, r.patient_id)
    return RepairView(
        id=r.id, code=r.code, patient_id=p.id, patient_name=p.full_name, patient_code=p.code,
        patient_phone=p.phone or "", item_description=r.item_description, own_item=r.own_item,
        issue_description=r.issue_description, parts_paise=r.parts_paise, labour_paise=r.labour_paise,
        cost_paise=r.cost_paise, parts_text=rupees(r.parts_paise), labour_text=rupees(r.labour_paise),
        estimate_text=rupees(r.cost_paise), estimate_approved=r.estimate_approved_at is not None,
        estimate_approved_at=r.estimate_approved_at, estimate_approved_by=r.estimate_approved_by,
        approval_text=approval_text(r, settings), status=r.status, status_label=REPAIR_LABELS[r.status],
        received_at=r.received_at, received_on=_local_day(r.received_at, settings),
        promised_date=r.estimated_completion, overdue=is_overdue(r, today), ready_at=r.ready_at,
        completed_at=r.completed_at, delivered_at=r.delivered_at,
        notes=r.notes, history=tuple(status_log.history(tx, repair_id=r.id)),
    )  # fmt: skip


def _summaries(tx: Transaction, rows: list[tuple[OpticalRepair, Patient]]) -> list[RepairSummary]:
    settings = clinic_settings(tx.session)
    today = local_today(settings, tx.ctx.clock)
    return [
        RepairSummary(
            id=r.id,
            code=r.code,
            patient_id=p.id,
            patient_name=p.full_name,
            patient_code=p.code,
            item_description=r.item_description,
            status=r.status,
            status_label=REPAIR_LABELS[r.status],
            received_on=_local_day(r.received_at, settings),
            promised_date=r.estimated_completion,
            overdue=is_overdue(r, today),
            estimate_text=rupees(r.cost_paise),
            estimate_approved=r.estimate_approved_at is not None,
        )  # fmt: skip
        for r, p in rows
    ]


def _listed(tx: Transaction, *where: Any) -> list[tuple[OpticalRepair, Patient]]:
    query = (
        select(OpticalRepair, Patient)
        .join(Patient, Patient.id == OpticalRepair.patient_id)
        .where(OpticalRepair.deleted_at.is_(None), *where)
        .order_by(OpticalRepair.received_at.desc(), OpticalRepair.id.desc())
        .limit(MAX_LIST)
    )
    return [(r, p) for r, p in tx.session.execute(query).all()]


@requires("optical.view")
def repair(ctx: Context, repair_id: uuid.UUID) -> RepairView:
    """One repair with its history (NotFound when there is none)."""
    with ctx.transaction(readonly=True) as tx:
        return view_of(tx, repair_row(tx, repair_id))


@requires("optical.view")
def open_repairs(ctx: Context) -> list[RepairSummary]:
    """Every repair not yet delivered or cancelled: overdue first, then by promised date, then oldest first."""
    with ctx.transaction(readonly=True) as tx:
        rows = _summaries(tx, _listed(tx, OpticalRepair.status.not_in(CLOSED)))
    return sorted(rows, key=lambda s: (not s.overdue, s.promised_date or date.max, s.received_on, s.code))


@requires("optical.view")
def repairs_of_patient(ctx: Context, patient_id: uuid.UUID) -> list[RepairSummary]:
    """The patient's repairs, newest first (NotFound for no such patient)."""
    with ctx.transaction(readonly=True) as tx:
        found = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
        if found is None or found.deleted_at is not None:
            raise NotFound("No such patient.")
        return _summaries(tx, _listed(tx, OpticalRepair.patient_id == found.id))

"""Searching and verifying the audit trail (for the Audit dock and ``hms audit``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from db.models import metadata
from db.models.audit import AUDIT_OUTCOMES, AuditLog
from hms_desktop.audit.verify import VerifyReport, verify
from hms_desktop.clinic_time import zone_of
from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.paging import Page, check_page
from hms_desktop.security.permissions import requires
from hms_desktop.settings import clinic_settings

__all__ = ["AUDITED_TABLES", "AUDIT_OUTCOMES", "AuditEntry", "AuditQuery", "search_audit", "verify_audit"]
# The tables whose rows the trail records (the Audit dock's Entity filter).
AUDITED_TABLES = tuple(sorted(t for t in metadata.tables if t != "audit_logs"))


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    id: uuid.UUID
    seq: int
    occurred_at: datetime
    user_email: str | None
    role: str | None
    workstation_name: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    patient_id: uuid.UUID | None
    old_values: dict[str, Any] | None
    new_values: dict[str, Any] | None
    outcome: str
    detail: str | None


@dataclass(frozen=True)
class AuditQuery:
    user_id: uuid.UUID | None = None
    user_email: str | None = None
    action: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    patient_id: uuid.UUID | None = None
    outcome: str | None = None
    date_from: date | None = None  # inclusive, a day in the clinic's time zone
    date_to: date | None = None  # inclusive, a day in the clinic's time zone


def _entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        seq=row.seq,
        occurred_at=row.occurred_at,
        user_email=row.user_email,
        role=row.role,
        workstation_name=row.workstation_name,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        patient_id=row.patient_id,
        old_values=row.old_values,
        new_values=row.new_values,
        outcome=row.outcome,
        detail=row.detail,
    )


@requires("audit.view")
def search_audit(ctx: Context, query: AuditQuery, *, page: int = 1, page_size: int = 50) -> Page[AuditEntry]:
    check_page(page, page_size)
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise ValidationError("date_to", "The end date is before the start date.")
    conditions = []
    if query.user_id:
        conditions.append(AuditLog.user_id == query.user_id)
    if query.user_email:
        conditions.append(AuditLog.user_email == query.user_email.strip().lower())
    if query.action:
        conditions.append(AuditLog.action == query.action)
    if query.entity_type:
        conditions.append(AuditLog.entity_type == query.entity_type)
    if query.entity_id:
        conditions.append(AuditLog.entity_id == query.entity_id)
    if query.patient_id:
        conditions.append(AuditLog.patient_id == query.patient_id)
    if query.outcome:
        conditions.append(AuditLog.outcome == query.outcome)
    with ctx.transaction(readonly=True) as tx:
        zone = zone_of(clinic_settings(tx.session))
        if query.date_from:
            conditions.append(AuditLog.occurred_at >= datetime.combine(query.date_from, time.min, zone))
        if query.date_to:
            conditions.append(
                AuditLog.occurred_at < datetime.combine(query.date_to + timedelta(days=1), time.min, zone)
            )
        total = int(tx.session.scalar(select(func.count()).select_from(AuditLog).where(*conditions)) or 0)
        rows = tx.session.scalars(
            select(AuditLog)
            .where(*conditions)
            .order_by(AuditLog.occurred_at.desc(), AuditLog.seq.desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        return Page(items=[_entry(r) for r in rows], page=page, page_size=page_size, total=total)


@requires("audit.verify")
def verify_audit(ctx: Context) -> VerifyReport:
    with ctx.transaction(readonly=True) as tx:
        return verify(tx.session, ctx.audit_key)

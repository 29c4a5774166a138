"""Finding a patient at the front desk: by code, by phone, or by the start of any part of the name.

- a code (``PAT-2026-00042``, or its start) uses the unique index on ``patients.code``;
- digits use the phone index (10 digits exact, fewer as a prefix);
- anything else is a name: every word is a prefix (``ra ku`` finds "Ravi Kumar"), answered by the FTS5
  index ``patients_fts`` (kept in step by triggers), newest registrations first.
A scanned ID card carries only the code: ``open_by_code`` opens that patient directly.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, literal_column, select, text

from db.models.patients import Patient
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import age_on, local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.paging import Page, check_page
from hms_desktop.security.permissions import requires
from hms_desktop.services.reception.patients import PatientView, view
from hms_desktop.settings import clinic_settings

COUNT_LIMIT = 1000
_CODE = re.compile(r"^[A-Z]{2,6}-\d")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True, kw_only=True)
class PatientSummary:
    id: uuid.UUID
    code: str
    full_name: str
    gender: str
    age: int | None
    phone: str | None
    date_of_birth: date | None


def classify(query: str) -> str:
    q = query.strip()
    digits = re.sub(r"[\s\-+]", "", q)
    if _CODE.match(q.upper()):
        return "code"
    if digits.isdigit():
        return "phone"
    return "name"


def fts_query(query: str) -> str:
    words = _WORD.findall(query.lower())
    if not words:
        raise ValidationError("query", "Type a name, phone number or patient code.")
    return " ".join(f'"{w}"*' for w in words[:6])


def _summaries(rows: list[Patient], today: date) -> list[PatientSummary]:
    return [
        PatientSummary(
            id=p.id,
            code=p.code,
            full_name=p.full_name,
            gender=p.gender,
            age=age_on(p.date_of_birth, today) if p.date_of_birth else None,
            phone=p.phone,
            date_of_birth=p.date_of_birth,
        )
        for p in rows
    ]


def _prefix_range(column: object, prefix: str) -> list[object]:
    return [column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1)]  # type: ignore[operator]


def _by_code_or_phone(tx: Transaction, kind: str, q: str, page: int, size: int) -> tuple[list[Patient], int]:
    if kind == "code":
        key = q.strip().upper()
        cond = _prefix_range(Patient.code, key)
    else:
        digits = re.sub(r"\D", "", q)
        if len(digits) == 12 and digits.startswith("91"):
            digits = digits[2:]
        if len(digits) == 11 and digits.startswith("0"):
            digits = digits[1:]
        cond = [Patient.phone == digits] if len(digits) == 10 else _prefix_range(Patient.phone, digits)
    base = select(Patient).where(*cond, Patient.deleted_at.is_(None))  # type: ignore[arg-type]
    total = tx.session.scalar(select(func.count()).select_from(base.limit(COUNT_LIMIT + 1).subquery())) or 0
    order = Patient.code if kind == "code" else Patient.code.desc()
    rows = list(tx.session.scalars(base.order_by(order).limit(size).offset((page - 1) * size)))
    return rows, int(total)


def _by_name(tx: Transaction, q: str, page: int, size: int) -> tuple[list[Patient], int]:
    match = fts_query(q)
    total = tx.session.execute(
        text("SELECT count(*) FROM (SELECT 1 FROM patients_fts WHERE patients_fts MATCH :m LIMIT :lim)"),
        {"m": match, "lim": COUNT_LIMIT + 1},
    ).scalar_one()
    rowids = (
        tx.session.execute(
            text("SELECT rowid FROM patients_fts WHERE patients_fts MATCH :m ORDER BY rowid DESC LIMIT :n OFFSET :o"),
            {"m": match, "n": size, "o": (page - 1) * size},
        )
        .scalars()
        .all()
    )
    if not rowids:
        return [], int(total)
    rowid: ColumnElement[int] = literal_column("patients.rowid")
    rows = tx.session.execute(select(Patient, rowid).where(rowid.in_(rowids))).all()
    order = {rid: i for i, rid in enumerate(rowids)}
    found = sorted(((p, rid) for p, rid in rows if p.deleted_at is None), key=lambda pr: order[pr[1]])
    return [p for p, _ in found], int(total)


@requires("patients.view")
def search_patients(ctx: Context, query: str, *, page: int = 1, page_size: int = 25) -> Page[PatientSummary]:
    check_page(page, page_size)
    q = (query or "").strip()
    if not q:
        raise ValidationError("query", "Type a name, phone number or patient code.")
    kind = classify(q)
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        if kind == "name":
            rows, total = _by_name(tx, q, page, page_size)
        else:
            rows, total = _by_code_or_phone(tx, kind, q, page, page_size)
        return Page(
            items=_summaries(rows, today),
            page=page,
            page_size=page_size,
            total=min(total, COUNT_LIMIT),
            total_is_lower_bound=total > COUNT_LIMIT,
        )


@requires("patients.view")
def open_by_code(ctx: Context, code: str) -> PatientView:
    """A scanned card (or a typed code) opens that patient; audited like any opening of a record."""
    key = (code or "").strip().upper()
    with ctx.transaction() as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        p = tx.session.scalar(select(Patient).where(Patient.code == key, Patient.deleted_at.is_(None)))
        if p is None:
            raise NotFound(f"No patient has the code {key}.")
        result = view(p, today)
        record(tx, "view", entity_type="patients", entity_id=p.id, patient_id=p.id, detail="opened by code")
        tx.commit()
        return result

"""The version history of a prescription: every save appends one immutable ``prescription_versions`` row (the
store's triggers refuse UPDATE and DELETE on it) whose number equals ``prescriptions.version``; reading a version
back; and the structured difference of two versions for the side-by-side screen.

The difference pairs lines by medicine (the catalogue id, else the name as written, case and spaces ignored;
a medicine prescribed twice is paired in line order): a line whose medicine is only in the newer version is
added, only in the older one removed, in both with another dose, frequency, duration, ... changed (naming the
fields). Header fields compared: diagnosis, chief complaint, notes, advice, follow-up date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from db.models.identity import User
from db.models.prescriptions import Prescription, PrescriptionVersion
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.prescription_views import (
    HEADER_FIELDS,
    PrescriptionItemView,
    item_view,
    live_item_dicts,
    snapshot,
)

Value = str | int | bool | None
DIFF_ITEM_FIELDS = (
    "medicine_name",
    "generic_name",
    "strength",
    "dosage",
    "frequency",
    "duration_days",
    "route",
    "food_timing",
    "instructions",
    "quantity",
    "allergy_override_reason",
)


@dataclass(frozen=True, kw_only=True)
class VersionView:
    version: int
    saved_at: datetime
    saved_by_id: uuid.UUID | None
    saved_by_name: str
    change_reason: str
    is_amendment: bool  # saved after the prescription was printed or sent to the pharmacy
    status: str  # the prescription's status when this version was saved
    diagnosis: str
    chief_complaint: str
    notes: str
    advice: str
    follow_up_date: date | None
    items: tuple[PrescriptionItemView, ...]


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    field: str
    before: Value
    after: Value


@dataclass(frozen=True, kw_only=True)
class ItemChange:
    before: PrescriptionItemView
    after: PrescriptionItemView
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True, kw_only=True)
class VersionDiff:
    prescription_id: uuid.UUID
    code: str
    older: VersionView
    newer: VersionView
    header: tuple[FieldChange, ...]
    added: tuple[PrescriptionItemView, ...]
    removed: tuple[PrescriptionItemView, ...]
    changed: tuple[ItemChange, ...]
    unchanged: tuple[PrescriptionItemView, ...]


def write_version(
    tx: Transaction, rx: Prescription, *, reason: str, amendment: bool, request_id: str | None = None
) -> None:
    """Append the snapshot of ``rx`` as it now stands (header and live lines) as version ``rx.version``."""
    tx.session.flush()
    items = live_item_dicts(tx.session, [rx.id])[rx.id]
    amended = amendment
    if not amended and rx.version > 1:
        before = tx.session.scalar(
            select(PrescriptionVersion.snapshot).where(
                PrescriptionVersion.prescription_id == rx.id, PrescriptionVersion.version == rx.version - 1
            )
        )
        amended = bool(before and before.get("amended"))
    tx.session.add(
        PrescriptionVersion(
            prescription_id=rx.id,
            version=rx.version,
            snapshot=snapshot(rx, items, amendment=amendment, amended=amended, request_id=request_id),
            change_reason=reason[:500],
        )
    )


def _version_view(row: PrescriptionVersion, saved_by_name: str) -> VersionView:
    snap: dict[str, Any] = row.snapshot
    header = snap.get("header", {})
    follow = header.get("follow_up_date")
    return VersionView(
        version=row.version,
        saved_at=row.created_at,
        saved_by_id=row.created_by_id,
        saved_by_name=saved_by_name,
        change_reason=row.change_reason,
        is_amendment=bool(snap.get("amendment")),
        status=str(header.get("status", "")),
        diagnosis=str(header.get("diagnosis", "")),
        chief_complaint=str(header.get("chief_complaint", "")),
        notes=str(header.get("notes", "")),
        advice=str(header.get("advice", "")),
        follow_up_date=date.fromisoformat(follow) if follow else None,
        items=tuple(item_view(d) for d in snap.get("items", [])),
    )


def _rx(tx: Transaction, rx_id: uuid.UUID) -> Prescription:
    rx = tx.session.get(Prescription, rx_id)
    if rx is None or rx.deleted_at is not None:
        raise NotFound("No such prescription.")
    return rx


def _views(tx: Transaction, rx_id: uuid.UUID, numbers: tuple[int, ...] | None = None) -> list[VersionView]:
    q = select(PrescriptionVersion).where(PrescriptionVersion.prescription_id == rx_id)
    if numbers is not None:
        q = q.where(PrescriptionVersion.version.in_(numbers))
    rows = list(tx.session.scalars(q.order_by(PrescriptionVersion.version)))
    users = {r.created_by_id for r in rows if r.created_by_id}
    names = {uid: name for uid, name in tx.session.execute(select(User.id, User.full_name).where(User.id.in_(users)))}
    return [_version_view(r, names.get(r.created_by_id, "") if r.created_by_id else "") for r in rows]


@requires("prescriptions.view")
def versions(ctx: Context, rx_id: uuid.UUID) -> list[VersionView]:
    """Every saved version, oldest first."""
    with ctx.transaction(readonly=True) as tx:
        _rx(tx, rx_id)
        return _views(tx, rx_id)


@requires("prescriptions.view")
def version(ctx: Context, rx_id: uuid.UUID, number: int) -> VersionView:
    with ctx.transaction(readonly=True) as tx:
        rx = _rx(tx, rx_id)
        found = _views(tx, rx_id, (number,))
        if not found:
            raise ValidationError("version", f"{rx.code} has versions 1 to {rx.version}.")
        return found[0]


def _key(item: PrescriptionItemView) -> str:
    return str(item.medicine_id) if item.medicine_id else " ".join(item.medicine_name.lower().split())


def diff(older: VersionView, newer: VersionView, rx_id: uuid.UUID, code: str) -> VersionDiff:
    header = tuple(
        FieldChange(field=f, before=_plain(getattr(older, f)), after=_plain(getattr(newer, f)))
        for f in HEADER_FIELDS
        if getattr(older, f) != getattr(newer, f)
    )
    waiting: dict[str, list[PrescriptionItemView]] = {}
    for item in older.items:
        waiting.setdefault(_key(item), []).append(item)
    added, changed, unchanged = [], [], []
    for item in newer.items:
        pool = waiting.get(_key(item))
        if not pool:
            added.append(item)
            continue
        before = pool.pop(0)
        fields = tuple(
            FieldChange(field=f, before=getattr(before, f), after=getattr(item, f))
            for f in DIFF_ITEM_FIELDS
            if getattr(before, f) != getattr(item, f)
        )
        if fields:
            changed.append(ItemChange(before=before, after=item, fields=fields))
        else:
            unchanged.append(item)
    removed = sorted((p for pool in waiting.values() for p in pool), key=lambda p: p.line_no)
    return VersionDiff(
        prescription_id=rx_id,
        code=code,
        older=older,
        newer=newer,
        header=header,
        added=tuple(added),
        removed=tuple(removed),
        changed=tuple(changed),
        unchanged=tuple(unchanged),
    )


def _plain(value: object) -> Value:
    if isinstance(value, date):
        return value.isoformat()
    assert value is None or isinstance(value, str | int | bool)
    return value


@requires("prescriptions.view")
def compare_versions(ctx: Context, rx_id: uuid.UUID, a: int, b: int) -> VersionDiff:
    """What changed from version ``min(a, b)`` to ``max(a, b)``."""
    with ctx.transaction(readonly=True) as tx:
        rx = _rx(tx, rx_id)
        older_n, newer_n = sorted((a, b))
        found = {v.version: v for v in _views(tx, rx_id, (older_n, newer_n))}
        for n, name in ((a, "a"), (b, "b")):
            if n not in found:
                raise ValidationError(name, f"{rx.code} has versions 1 to {rx.version}.")
        return diff(found[older_n], found[newer_n], rx.id, rx.code)

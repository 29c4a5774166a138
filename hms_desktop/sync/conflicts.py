"""Conflicts: the losing version of a row edited on two PCs, kept for an admin to review.

The server records a conflict when a push meets a version it did not start from; a PC records one when a
pulled version overwrites a local edit that was never pushed. Either way the record syncs to every PC.
An admin can keep the winner or restore the loser (a new edit, which then wins everywhere).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.ids import uuid7
from db.models.sync import SyncConflict
from hms_desktop.audit.values import SECRET_COLUMNS
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.sync import hlc
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.policy import DERIVED, pushable, spec

REDACTED = "[redacted]"
# Columns whose difference alone is no conflict: bookkeeping of the write itself.
NOISE = frozenset({"hlc", "updated_at", "updated_by_id"})


def _ws(stamp: str | None) -> uuid.UUID | None:
    try:
        return hlc.parse(stamp).workstation_id
    except ValueError:
        return None


def differs(table: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two versions of a row differ in what a person wrote (not only in clocks or stock caches)."""
    ignore = NOISE | {d.column for d in DERIVED if d.table == table}
    return any(a.get(k) != b.get(k) for k in set(a) | set(b) if k not in ignore)


def record(
    table: str,
    row_id: uuid.UUID,
    winner: str,
    loser: str | None,
    loser_values: dict[str, Any],
    detected_by: str,
    now: datetime,
    stamp: str,
) -> dict[str, Any]:
    """A ``sync_conflicts`` row (values for an INSERT); secrets in the losing values are redacted."""
    values = {k: (REDACTED if k in SECRET_COLUMNS and v is not None else v) for k, v in loser_values.items()}
    return {
        "id": uuid7(),
        "table_name": table,
        "row_id": row_id,
        "winner_hlc": winner,
        "loser_hlc": loser,
        "winner_workstation_id": _ws(winner),
        "loser_workstation_id": _ws(loser),
        "loser_values": values,
        "detected_at": now,
        "detected_by": detected_by,
        "resolved_at": None,
        "resolved_by_id": None,
        "resolution": None,
        "reason": None,
        "created_at": now,
        "created_by_id": None,
        "updated_at": now,
        "updated_by_id": None,
        "deleted_at": None,
        "hlc": stamp,
    }


@dataclass(frozen=True, kw_only=True)
class ConflictView:
    id: uuid.UUID
    table_name: str
    row_id: uuid.UUID
    winner_hlc: str
    loser_hlc: str | None
    winner_workstation_id: uuid.UUID | None
    loser_workstation_id: uuid.UUID | None
    loser_values: dict[str, Any]
    detected_at: datetime
    detected_by: str
    resolved_at: datetime | None
    resolution: str | None
    reason: str | None = None  # set when the central database refused the row (it was set aside)


def _view(c: SyncConflict) -> ConflictView:
    return ConflictView(
        id=c.id,
        table_name=c.table_name,
        row_id=c.row_id,
        winner_hlc=c.winner_hlc,
        loser_hlc=c.loser_hlc,
        winner_workstation_id=c.winner_workstation_id,
        loser_workstation_id=c.loser_workstation_id,
        loser_values=dict(c.loser_values or {}),
        detected_at=c.detected_at,
        detected_by=c.detected_by,
        resolved_at=c.resolved_at,
        resolution=c.resolution,
        reason=c.reason,
    )


@requires("settings.view")
def list_conflicts(ctx: Context, *, unresolved_only: bool = True, limit: int = 200) -> list[ConflictView]:
    with ctx.transaction(readonly=True) as tx:
        query = select(SyncConflict).order_by(SyncConflict.detected_at.desc()).limit(max(1, min(limit, 1000)))
        if unresolved_only:
            query = query.where(SyncConflict.resolved_at.is_(None))
        return [_view(c) for c in tx.session.scalars(query)]


@requires("settings.manage")
def resolve_conflict(ctx: Context, conflict_id: uuid.UUID, *, restore_loser: bool = False) -> ConflictView:
    """Close a conflict: keep the winner, or write the losing values back as a new edit (which syncs)."""
    with ctx.transaction() as tx:
        c = tx.session.get(SyncConflict, conflict_id)
        if c is None:
            raise NotFound("No such sync conflict.")
        if c.resolved_at is not None:
            raise Conflict("This conflict was already resolved.")
        if restore_loser:
            _restore(tx.session, c)
        c.resolved_at = ctx.clock.now()
        c.resolved_by_id = ctx.actor.user_id
        c.resolution = "restored" if restore_loser else "kept"
        tx.session.flush()
        result = _view(c)
        tx.commit()
        return result


def _restore(session: Any, c: SyncConflict) -> None:
    table = spec(c.table_name)
    if table is None or not pushable(table.name) or table.append_only or not c.loser_values.get("id"):
        raise ValidationError("conflict_id", "This losing version cannot be restored (its table does not allow it).")
    if REDACTED in c.loser_values.values():
        raise ValidationError(
            "conflict_id", "This losing version held secrets that were not kept; edit the row instead."
        )
    try:
        values = codec_for(table).decode(dict(c.loser_values))
    except BadValue as exc:
        raise ValidationError("conflict_id", f"The losing version no longer fits the table ({exc}).") from None
    from db.models import Base

    mapper = next((m for m in Base.registry.mappers if m.local_table is table.table), None)
    if mapper is None:
        raise ValidationError("conflict_id", "This losing version cannot be restored.")
    obj = session.get(mapper.class_, c.row_id)
    if obj is None:
        raise NotFound("The row of this conflict no longer exists.")
    for name, value in values.items():
        if name not in {"id", "hlc", "created_at", "created_by_id", "updated_at", "updated_by_id"}:
            setattr(obj, name, value)

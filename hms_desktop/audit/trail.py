"""Writing the audit trail.

Every insert, update and delete of a model row is recorded by ``before_flush`` (a hook on ``HmsSession``
that ``hms_desktop.hooks`` installs) in the same flush and transaction as the change, and every row a captured
Core UPDATE or DELETE changed by ``record_core_write``. Events that are not row changes (logins, denials, prints,
exports) are recorded with ``record``. Each row extends the hash chain of its workstation:

    hmac    = HMAC-SHA256(key, canonical(row) + prev_hmac)
    row_tag = HMAC-SHA256(key, chain | seq | id)[:32]

The key is derived from the clinic's recovery key and is never stored in the store itself.
"""

from __future__ import annotations

import hashlib
import hmac as hmac_mod
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import flag_modified

from db.ids import uuid7
from db.models.audit import AuditLog
from hms_desktop.audit.values import changes, plain, row_changes, row_snapshot, snapshot
from hms_desktop.context import Actor, Transaction

GENESIS = "0" * 64
# The trail does not audit its own rows.
NOT_AUDITED = frozenset({"audit_logs"})
CANONICAL_FIELDS = (
    "id",
    "chain",
    "seq",
    "occurred_at",
    "user_id",
    "user_email",
    "role",
    "workstation_id",
    "workstation_name",
    "ip_address",
    "action",
    "entity_type",
    "entity_id",
    "patient_id",
    "old_values",
    "new_values",
    "outcome",
    "detail",
)


def audit_key_from_recovery(recovery_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hms-audit-hmac-v1").derive(recovery_key)


def canonical(row: AuditLog) -> bytes:
    doc = {name: plain(getattr(row, name)) for name in CANONICAL_FIELDS}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_hmac(key: bytes, row: AuditLog, prev_hmac: str) -> str:
    return hmac_mod.new(key, canonical(row) + prev_hmac.encode("ascii"), hashlib.sha256).hexdigest()


def row_tag(key: bytes, row: AuditLog) -> str:
    msg = f"{row.chain}|{row.seq}|{row.id}".encode()
    return hmac_mod.new(key, msg, hashlib.sha256).hexdigest()[:32]


def _head(session: Session, chain: str) -> tuple[int, str]:
    """The last (seq, hmac) of ``chain``, cached for the rest of the transaction."""
    heads: dict[str, tuple[int, str]] = session.info.setdefault("audit_heads", {})
    if chain not in heads:
        row = session.execute(
            select(AuditLog.seq, AuditLog.hmac).where(AuditLog.chain == chain).order_by(AuditLog.seq.desc()).limit(1)
        ).first()
        heads[chain] = (row[0], row[1]) if row else (0, GENESIS)
    return heads[chain]


def record(
    tx: Transaction,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: Any = None,
    patient_id: uuid.UUID | None = None,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    outcome: str = "success",
    detail: str | None = None,
    actor: Actor | None = None,
) -> AuditLog:
    """Append one audit row to ``tx`` (flushed with the transaction's next flush)."""
    return _append(tx.session, tx, action, entity_type, entity_id, patient_id, old, new, outcome, detail, actor)


def _append(
    session: Session,
    tx: Transaction,
    action: str,
    entity_type: str | None,
    entity_id: Any,
    patient_id: uuid.UUID | None,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    outcome: str,
    detail: str | None,
    actor: Actor | None,
) -> AuditLog:
    ctx = tx.ctx
    who = actor or tx.actor
    chain = ctx.workstation.chain
    seq, prev = _head(session, chain)
    row = AuditLog(
        id=uuid7(),
        chain=chain,
        seq=seq + 1,
        occurred_at=ctx.clock.now(),
        user_id=who.user_id,
        user_email=who.email,
        role=who.role_label or None,
        workstation_id=ctx.workstation.id,
        workstation_name=ctx.workstation.name,
        ip_address=ctx.ip_address,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        old_values=plain(old) if old is not None else None,
        new_values=plain(new) if new is not None else None,
        outcome=outcome,
        detail=plain(detail) if detail else None,
        prev_hmac=prev,
        created_by_id=who.user_id,
    )
    row.created_at = row.occurred_at
    row.hmac = row_hmac(ctx.audit_key, row, prev)
    row.row_tag = row_tag(ctx.audit_key, row)
    session.info["audit_heads"][chain] = (row.seq, row.hmac)
    session.add(row)
    return row


def _patient_of(obj: Any) -> uuid.UUID | None:
    if obj.__tablename__ == "patients":
        return obj.id
    value = getattr(obj, "patient_id", None)
    return value if isinstance(value, uuid.UUID) else None


def _audited(objects: Iterable[Any]) -> list[Any]:
    return [o for o in objects if getattr(o, "__tablename__", None) and o.__tablename__ not in NOT_AUDITED]


def _bookkeeping_only(obj: Any, new: Mapping[str, Any]) -> bool:
    """Only columns the model marks ``info["local"]`` changed (a sign-in's bookkeeping on ``users``): recorded
    in the trail, but not an edit of the row, so who and when it was last edited stay, and sync sends nothing."""
    columns = obj.__table__.columns
    return all(k in columns and columns[k].info.get("local") for k in new)


def before_flush(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    tx: Transaction | None = session.info.get("hms_tx")
    if tx is None:
        return
    user_id = tx.actor.user_id
    now = tx.ctx.clock.now()
    for obj in _audited(session.new):
        if obj.id is None:
            obj.id = uuid7()
        if hasattr(obj, "created_by_id") and obj.created_by_id is None:
            obj.created_by_id = user_id
        if hasattr(obj, "created_at") and obj.created_at is None:
            obj.created_at = now
        if hasattr(obj, "updated_at") and getattr(obj, "updated_at", None) is None:
            obj.updated_at = now
        _append(
            session,
            tx,
            "create",
            obj.__tablename__,
            obj.id,
            _patient_of(obj),
            None,
            snapshot(obj),
            "success",
            None,
            None,
        )
    for obj in _audited(session.dirty):
        if not session.is_modified(obj, include_collections=False):
            continue
        old, new = changes(obj)
        if not new:
            continue
        if hasattr(obj, "updated_by_id"):
            if not _bookkeeping_only(obj, new):
                obj.updated_by_id = user_id
                obj.updated_at = now
            # always in the UPDATE (the new stamp, or the old one kept): left out, even when unchanged, the
            # column's onupdate would stamp the machine's clock
            flag_modified(obj, "updated_at")
        action = "delete" if "deleted_at" in new and new["deleted_at"] is not None else "update"
        _append(session, tx, action, obj.__tablename__, obj.id, _patient_of(obj), old, new, "success", None, None)
    for obj in _audited(session.deleted):
        _append(
            session,
            tx,
            "delete",
            obj.__tablename__,
            obj.id,
            _patient_of(obj),
            snapshot(obj),
            None,
            "success",
            "row removed",
            None,
        )


def record_core_write(
    tx: Transaction,
    table: Table,
    kind: str,
    old: dict[Any, Mapping[str, Any]],
    new: dict[Any, Mapping[str, Any]],
) -> None:
    """Audit the rows a captured Core UPDATE or DELETE changed (``hms_desktop.write_guard``)."""
    if table.name in NOT_AUDITED:
        return
    session = tx.session
    for row_id, before in old.items():
        patient = row_id if table.name == "patients" else before.get("patient_id")
        patient = patient if isinstance(patient, uuid.UUID) else None
        if kind == "delete":
            values = row_snapshot(before)
            _append(session, tx, "delete", table.name, row_id, patient, values, None, "success", "row removed", None)
            continue
        was, now = row_changes(before, new.get(row_id, before))
        if not now:
            continue
        action = "delete" if now.get("deleted_at") is not None else "update"
        _append(session, tx, action, table.name, row_id, patient, was, now, "success", None, None)

"""Object-level rules of the consultation room: who the acting doctor is, and refusing (audited) a user who
holds the permission but not the record (a doctor completing another doctor's consultation).

``refuse`` raises ``PermissionDenied`` at once; the audit row (``permission_denied``, outcome ``denied``, the
record's type, id and patient) is written when the outermost transaction has ended, in a transaction of its
own, as ``security.permissions.check`` does: the refused action is rolled back, its record is kept.
Other clinical services (prescriptions, lab orders, eye prescriptions) use the same two functions.
"""

from __future__ import annotations

import uuid
from typing import NoReturn

from sqlalchemy import select

from db.models.scheduling import Doctor
from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import PermissionDenied


def acting_doctor(tx: Transaction) -> Doctor | None:
    """The doctor profile of the signed-in user (``doctors.user_id``), or None (not a doctor, or retired)."""
    user_id = tx.ctx.actor.user_id
    if user_id is None:
        return None
    return tx.session.scalars(
        select(Doctor).where(Doctor.user_id == user_id, Doctor.deleted_at.is_(None), Doctor.is_active.is_(True))
    ).first()


def refuse(
    tx: Transaction,
    code: str,
    message: str,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    patient_id: uuid.UUID | None = None,
) -> NoReturn:
    """Deny the action on this record: audited (after the action has rolled back), then ``PermissionDenied``."""
    ctx = tx.ctx

    def write(c: Context = ctx) -> None:
        with c.transaction() as own:
            record(own, "permission_denied", entity_type=entity_type, entity_id=str(entity_id),
                   patient_id=patient_id, outcome="denied", detail=f"{code}: {message}")  # fmt: skip
            own.commit()

    tx.root.after_end.append(write)
    raise PermissionDenied(code, message)


def own_doctor(
    tx: Transaction,
    doctor_id: uuid.UUID,
    code: str,
    doing: str,
    *,
    entity_type: str,
    entity_id: uuid.UUID,
    patient_id: uuid.UUID | None = None,
) -> Doctor:
    """The acting doctor when ``doctor_id`` is theirs; otherwise ``refuse`` with "Only <doctor> can <doing>."."""
    me = acting_doctor(tx)
    if me is not None and me.id == doctor_id:
        return me
    theirs = tx.session.get(Doctor, doctor_id)
    name = theirs.display_name if theirs is not None else "the patient's doctor"
    why = "you have no doctor profile" if me is None else f"this is {name}'s patient"
    refuse(tx, code, f"Only {name} can {doing} ({why}).", entity_type=entity_type, entity_id=entity_id,
           patient_id=patient_id)  # fmt: skip

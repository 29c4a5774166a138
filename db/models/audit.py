"""The audit trail (spec Phase 4): who did what, when, from where, with before/after values."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, LedgerMixin, ledger_args, one_of

AUDIT_OUTCOMES = ("success", "failure", "denied")


class AuditLog(LedgerMixin, Base):
    """One audited event. Append-only (triggers refuse UPDATE and DELETE).

    Rows form one hash chain per workstation (``chain``): ``seq`` counts up from 1 and ``hmac`` is
    HMAC-SHA256 over this row's canonical content and the previous row's ``hmac``, with a key kept outside
    the store. Editing, deleting or inserting a row breaks the chain where it happened.

    ``user_id``/``patient_id`` are not foreign keys on purpose: an audit row outlives what it names, and
    failed logins name users that do not exist. Secrets (hashes, tokens, keys, full Aadhaar numbers)
    never enter ``old_values``/``new_values``.
    """

    __tablename__ = "audit_logs"

    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime]
    user_id: Mapped[uuid.UUID | None]
    user_email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(200))
    workstation_id: Mapped[uuid.UUID | None]
    workstation_name: Mapped[str | None] = mapped_column(String(100))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    detail: Mapped[str | None] = mapped_column(String(500))
    prev_hmac: Mapped[str] = mapped_column(String(64))
    hmac: Mapped[str] = mapped_column(String(64))
    # HMAC over (chain, seq, id) alone: still valid on a row whose content was edited, impossible to make
    # for a row inserted without the key. Lets ``verify`` tell an edited row from an inserted one.
    row_tag: Mapped[str] = mapped_column(String(32))

    __table_args__ = ledger_args(
        UniqueConstraint("chain", "seq"),
        one_of("outcome", AUDIT_OUTCOMES),
        Index("ix_audit_logs_occurred_at", "occurred_at"),
        Index("ix_audit_logs_user_id_occurred_at", "user_id", "occurred_at"),
        Index("ix_audit_logs_entity", "entity_type", "entity_id"),
        Index("ix_audit_logs_action_occurred_at", "action", "occurred_at"),
    )

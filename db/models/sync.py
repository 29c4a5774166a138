"""Workstations and multi-workstation sync (DESIGN.md, "Sync").

Not among the spec's 62 tables. ``workstations`` names each PC (the audit trail records the workstation of
every action); the other tables exist because several PCs share one clinic's data through a central
server (``hms_desktop.sync``). Every store and the central PostgreSQL database have all of them (one schema,
one set of migrations); which side uses which is listed below and in ``hms_desktop.sync.policy``.

- Synced between PCs: ``workstations`` (managed by the server, pulled only), ``sync_conflicts``.
- Local to a PC: ``sync_state`` (one row: enrolment, pull checkpoint, clock, last run), ``sync_outbox``.
- Central server only: ``sync_clinic``, ``sync_rows`` (the change feed), ``sync_batches`` (applied pushes),
  ``sync_tokens`` (workstation refresh tokens), ``sync_enrolment_codes``, ``sync_blocks`` (code blocks).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import HLC_LENGTH, Base, TrackedMixin, one_of

CONFLICT_RESOLUTIONS = ("kept", "restored")

# Sync's own bookkeeping, on a PC and on the server: never audited, never synced, never news to a screen.
SYNC_BOOKKEEPING = frozenset(
    {"sync_state", "sync_outbox", "sync_clinic", "sync_rows", "sync_batches", "sync_tokens",
     "sync_enrolment_codes", "sync_blocks", "sync_claims", "sync_authors"}
)  # fmt: skip


class Workstation(TrackedMixin, Base):
    """A PC of the clinic. ``is_local`` marks the one this store belongs to (never synced: it is per store).

    With sync, the central server creates these rows at enrolment (id, name, unique ``short_code``) and
    revokes them; PCs pull them and never push them.
    """

    __tablename__ = "workstations"

    name: Mapped[str] = mapped_column(String(100))
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]


class SyncState(TrackedMixin, Base):
    """This PC's sync state, one row (local): where the server is, who this PC is to it, how far it has
    pulled (``checkpoint``: the server's sequence), its hybrid logical clock, and how the last run went."""

    __tablename__ = "sync_state"

    server_url: Mapped[str] = mapped_column(String(500), default="")
    clinic_id: Mapped[uuid.UUID | None]
    workstation_id: Mapped[uuid.UUID | None]
    short_code: Mapped[str | None] = mapped_column(String(8))
    checkpoint: Mapped[int] = mapped_column(BigInteger, default=0)
    hlc_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    hlc_counter: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_pushed: Mapped[int] = mapped_column(Integer, default=0)
    last_pulled: Mapped[int] = mapped_column(Integer, default=0)
    # the server's public key that password claims are sealed to (X25519, hex), learnt at enrolment
    server_key: Mapped[str | None] = mapped_column(String(64))
    # the clock a founder stamped its existing rows with when it enrolled (the clinic's base on the server)
    seed_hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH))


class SyncOutbox(TrackedMixin, Base):
    """A local change waiting to be pushed (local), written in the same transaction as the change.

    ``hlc`` is the clock of the change, ``base_hlc`` the row's clock before it (how the server tells an
    edit of its current version from a concurrent one). The row's content is read when it is pushed.
    """

    __tablename__ = "sync_outbox"

    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    base_hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH))
    # who made the change, and their proof of it (``hms_desktop.sync.authorship``); None for the system
    author_id: Mapped[uuid.UUID | None]
    proof: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_sync_outbox_table_name_row_id", "table_name", "row_id"),)


class SyncClaim(TrackedMixin, Base):
    """A user's claim of their password (local): sealed to the server's key, so only the server opens it and
    checks it against the user's password hash before it trusts changes signed by that user.

    One per user and password hash (``hash_digest``: SHA-256 of the bcrypt hash); ``sealed`` is cleared once
    the server has taken it (``sent_at``).
    """

    __tablename__ = "sync_claims"

    user_id: Mapped[uuid.UUID]
    hash_digest: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("user_id", "hash_digest"),)


class SyncAuthor(TrackedMixin, Base):
    """A user's signing key as the server knows it (server only): derived from the password the user's claim
    proved against ``password_hash``; valid only while that is still the user's hash."""

    __tablename__ = "sync_authors"

    user_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    password_hash: Mapped[str] = mapped_column(String(100))
    author_key: Mapped[bytes] = mapped_column(LargeBinary)


class SyncConflict(TrackedMixin, Base):
    """The losing version of a row edited on two PCs (synced, for an admin to review).

    The winner is the version with the later hybrid logical clock (workstation id breaks a tie), the same
    on every PC; ``loser_values`` keeps the other one (secret columns redacted) so it is never silently lost.
    """

    __tablename__ = "sync_conflicts"

    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    winner_hlc: Mapped[str] = mapped_column(String(HLC_LENGTH))
    loser_hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH))
    winner_workstation_id: Mapped[uuid.UUID | None]
    loser_workstation_id: Mapped[uuid.UUID | None]
    loser_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    detected_at: Mapped[datetime]
    detected_by: Mapped[str] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None]
    resolution: Mapped[str | None] = mapped_column(String(16))
    # Set when the central database refused the row (a UNIQUE or foreign-key constraint, named here): the row
    # was set aside so the rest of its batch could go on; it stays on the PC that made it until resolved.
    reason: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        one_of("resolution", CONFLICT_RESOLUTIONS),
        Index("ix_sync_conflicts_table_name_row_id", "table_name", "row_id"),
    )


class SyncClinic(TrackedMixin, Base):
    """The clinic a central server serves (server only): its name and the secret its tokens are signed with
    (in the database, so every server process behind a load balancer shares it)."""

    __tablename__ = "sync_clinic"

    name: Mapped[str] = mapped_column(String(200))
    token_secret: Mapped[bytes] = mapped_column(LargeBinary)
    # the first PC enrolled with the clinic's data, and the clock of the rows it held then (the base)
    founder_id: Mapped[uuid.UUID | None]
    base_hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH))


class SyncRow(TrackedMixin, Base):
    """The server's change feed (server only): one entry per row of a synced table, moved to a new ``seq``
    each time the row changes. PCs pull entries with ``seq`` above their checkpoint."""

    __tablename__ = "sync_rows"

    table_name: Mapped[str] = mapped_column(String(64))
    row_id: Mapped[uuid.UUID]
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    origin_id: Mapped[uuid.UUID | None]
    is_delete: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("table_name", "row_id"),)


class SyncBatch(TrackedMixin, Base):
    """A push the server applied (server only): its operation id makes a retried batch a no-op."""

    __tablename__ = "sync_batches"

    op_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    workstation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    received_at: Mapped[datetime]
    change_count: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class SyncToken(TrackedMixin, Base):
    """A workstation's refresh token (server only): SHA-256 of 32 random bytes, rotated on every use, in
    families; a used token presented again revokes its family (short grace for a lost response)."""

    __tablename__ = "sync_tokens"

    workstation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workstations.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    parent_id: Mapped[uuid.UUID | None]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (CheckConstraint("expires_at > issued_at", name="expires_after_issue"),)


class SyncEnrolmentCode(TrackedMixin, Base):
    """A one-time enrolment code (server only), kept as its SHA-256."""

    __tablename__ = "sync_enrolment_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    workstation_id: Mapped[uuid.UUID | None]


class SyncBlock(TrackedMixin, Base):
    """A block of code numbers of one series and period reserved for one workstation (server only).

    Blocks never overlap (the server hands them out under a lock; ``UNIQUE(series, period, block_start)``
    backs it), so codes issued offline on different PCs never collide.
    """

    __tablename__ = "sync_blocks"

    series: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    block_start: Mapped[int] = mapped_column(BigInteger)
    block_end: Mapped[int] = mapped_column(BigInteger)
    workstation_id: Mapped[uuid.UUID | None]

    __table_args__ = (
        UniqueConstraint("series", "period", "block_start"),
        CheckConstraint("block_end >= block_start AND block_start >= 1", name="block_range"),
    )

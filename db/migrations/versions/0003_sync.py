"""sync: local outbox and state, synced conflicts, the central server's feed, batches, tokens, codes, blocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 07:00:00

Generated with ``python -m db.migrate revision`` against a scratch store at 0002, then checked by hand. Plain
tables, indexes and constraints only (no dialect-specific SQL), so the same revision builds a PC's SQLite
store and the central PostgreSQL database. None of these tables is a ledger (no triggers).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_batches",
        sa.Column("op_id", sa.Uuid(), nullable=False),
        sa.Column("workstation_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_count", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_batches")),
        sa.UniqueConstraint("op_id", name=op.f("uq_sync_batches_op_id")),
    )
    with op.batch_alter_table("sync_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_batches_workstation_id"), ["workstation_id"], unique=False)

    op.create_table(
        "sync_blocks",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("block_start", sa.BigInteger(), nullable=False),
        sa.Column("block_end", sa.BigInteger(), nullable=False),
        sa.Column("workstation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.CheckConstraint("block_end >= block_start AND block_start >= 1", name=op.f("ck_sync_blocks_block_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_blocks")),
        sa.UniqueConstraint("series", "period", "block_start", name=op.f("uq_sync_blocks_series_period_block_start")),
    )
    op.create_table(
        "sync_clinic",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_secret", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_clinic")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("winner_hlc", sa.String(length=64), nullable=False),
        sa.Column("loser_hlc", sa.String(length=64), nullable=True),
        sa.Column("winner_workstation_id", sa.Uuid(), nullable=True),
        sa.Column("loser_workstation_id", sa.Uuid(), nullable=True),
        sa.Column("loser_values", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_by", sa.String(length=40), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.CheckConstraint("resolution IN ('kept', 'restored')", name=op.f("ck_sync_conflicts_resolution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
    )
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.create_index("ix_sync_conflicts_table_name_row_id", ["table_name", "row_id"], unique=False)

    op.create_table(
        "sync_enrolment_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("workstation_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_enrolment_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_sync_enrolment_codes_code_hash")),
    )
    op.create_table(
        "sync_outbox",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("base_hlc", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_outbox")),
    )
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sync_outbox_table_name_row_id", ["table_name", "row_id"], unique=False)

    op.create_table(
        "sync_rows",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("origin_id", sa.Uuid(), nullable=True),
        sa.Column("is_delete", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_rows")),
        sa.UniqueConstraint("seq", name=op.f("uq_sync_rows_seq")),
        sa.UniqueConstraint("table_name", "row_id", name=op.f("uq_sync_rows_table_name_row_id")),
    )
    op.create_table(
        "sync_state",
        sa.Column("server_url", sa.String(length=500), nullable=False),
        sa.Column("clinic_id", sa.Uuid(), nullable=True),
        sa.Column("workstation_id", sa.Uuid(), nullable=True),
        sa.Column("short_code", sa.String(length=8), nullable=True),
        sa.Column("checkpoint", sa.BigInteger(), nullable=False),
        sa.Column("hlc_ms", sa.BigInteger(), nullable=False),
        sa.Column("hlc_counter", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_pushed", sa.Integer(), nullable=False),
        sa.Column("last_pulled", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "sync_tokens",
        sa.Column("workstation_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=True),
        sa.CheckConstraint("expires_at > issued_at", name=op.f("ck_sync_tokens_expires_after_issue")),
        sa.ForeignKeyConstraint(
            ["workstation_id"], ["workstations.id"], name=op.f("fk_sync_tokens_workstation_id_workstations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sync_tokens_token_hash")),
    )
    with op.batch_alter_table("sync_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_tokens_family_id"), ["family_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sync_tokens_workstation_id"), ["workstation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sync_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_tokens_workstation_id"))
        batch_op.drop_index(batch_op.f("ix_sync_tokens_family_id"))

    op.drop_table("sync_tokens")
    op.drop_table("sync_state")
    op.drop_table("sync_rows")
    with op.batch_alter_table("sync_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_outbox_table_name_row_id")

    op.drop_table("sync_outbox")
    op.drop_table("sync_enrolment_codes")
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_conflicts_table_name_row_id")

    op.drop_table("sync_conflicts")
    op.drop_table("sync_clinic")
    op.drop_table("sync_blocks")
    with op.batch_alter_table("sync_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_batches_workstation_id"))

    op.drop_table("sync_batches")

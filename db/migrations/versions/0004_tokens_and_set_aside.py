"""unique values across PCs: queue tokens carry the issuing PC's letter; conflicts say why a row was set aside

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:30:00

- ``appointment_queue.token_prefix`` (``""`` on the first PC, ``B`` on WS02, ...) joins the token's unique
  constraint, so two reception PCs checking patients in offline for one doctor never clash.
- ``sync_conflicts.reason``: a row the central database refused (a UNIQUE or foreign-key constraint) is set
  aside as a conflict with the constraint named here, instead of stopping that PC's sync.
The partial unique index on the queue is dropped and made again around the batch copy (SQLite).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('waiting', 'called', 'in_consultation', 'skipped')"


def upgrade() -> None:
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.drop_index("uq_appointment_queue_active_appointment", sqlite_where=sa.text(ACTIVE))
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_prefix", sa.String(length=3), server_default="", nullable=False))
        batch_op.drop_constraint("uq_appointment_queue_doctor_id_queue_date_token_number", type_="unique")
        batch_op.create_unique_constraint(
            "uq_appointment_queue_token", ["doctor_id", "queue_date", "token_prefix", "token_number"]
        )
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.create_index(
            "uq_appointment_queue_active_appointment",
            ["appointment_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.drop_index("uq_appointment_queue_active_appointment", sqlite_where=sa.text(ACTIVE))
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.drop_constraint("uq_appointment_queue_token", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_appointment_queue_doctor_id_queue_date_token_number"),
            ["doctor_id", "queue_date", "token_number"],
        )
        batch_op.drop_column("token_prefix")
    with op.batch_alter_table("appointment_queue", schema=None) as batch_op:
        batch_op.create_index(
            "uq_appointment_queue_active_appointment", ["appointment_id"], unique=True, sqlite_where=sa.text(ACTIVE)
        )

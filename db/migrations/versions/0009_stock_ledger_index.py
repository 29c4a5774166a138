"""the stock ledger's batch index covers the quantity

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:15:00

``ix_stock_movements_batch_id`` becomes ``ix_stock_movements_batch_ledger`` (batch, quantity): a batch's
on-hand (``SUM(quantity_delta)``) is read from the index alone, by every stock movement, every recompute after a
pull, ``hms check`` and the shortfall alerts (5M movements: the table is not read). Written by hand; an index
only, so no table copy (``stock_movements`` is a ledger with triggers).
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_stock_movements_batch_id', table_name='stock_movements')
    op.create_index('ix_stock_movements_batch_ledger', 'stock_movements', ['batch_id', 'quantity_delta'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stock_movements_batch_ledger', table_name='stock_movements')
    op.create_index('ix_stock_movements_batch_id', 'stock_movements', ['batch_id'], unique=False)

"""optical indexes: an optical product's ledger sum from the index alone; status steps by kind and time

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 21:15:00

Measured on the optical benchmark store (200,000 orders, 1.27M status events, bench/README.md):
- ``ix_stock_movements_optical_product_id`` becomes ``ix_stock_movements_optical_ledger`` (product, quantity), as
  0009 did for batches: a frame's on-hand (checked by every order and its confirmation) is read from the index;
- ``ix_optical_status_events_step`` (to_status, happened_at): the order board's "delivered or cancelled today"
  no longer scans every step ever taken.
Written by hand; indexes only, so no table copy (both tables are ledgers with triggers).
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_stock_movements_optical_product_id', table_name='stock_movements')
    op.create_index('ix_stock_movements_optical_ledger', 'stock_movements', ['optical_product_id', 'quantity_delta'],
                    unique=False)
    op.create_index('ix_optical_status_events_step', 'optical_status_events', ['to_status', 'happened_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_optical_status_events_step', table_name='optical_status_events')
    op.drop_index('ix_stock_movements_optical_ledger', table_name='stock_movements')
    op.create_index('ix_stock_movements_optical_product_id', 'stock_movements', ['optical_product_id'], unique=False)

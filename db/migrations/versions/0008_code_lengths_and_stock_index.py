"""code lengths of the purchase, stock and insurance series; the live-stock index of batches

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:55:00

Written by hand (``python -m db.migrate revision`` proposes the same changes among SQLite server-default noise):
- ``suppliers.code`` (from 16), ``purchase_orders.po_number``, ``goods_receipt_notes.grn_number``, ``stock_adjustments.code``,
  ``cycle_counts.code``, ``pre_authorizations.code``, ``insurance_claims.claim_number`` grow from 20 to 32
  characters: a PC that runs out of its reserved numbers offline issues codes tagged with its short code
  (``PO-2026-27-WS02-00001``, up to ``GRN-2026-27-ABCDEFGH-00001``), longer than 20, which PostgreSQL refuses;
- ``ix_medicine_batches_medicine_id_expiry_date`` becomes ``ix_medicine_batches_live_stock`` (medicine, expiry,
  on hand, live rows only), so FEFO and the stock summary of all medicines read the index alone.
The partial unique index on a supplier's bill number is dropped and made again around the SQLite batch copy.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CODES = (
    ('suppliers', 'code'),
    ('purchase_orders', 'po_number'),
    ('goods_receipt_notes', 'grn_number'),
    ('stock_adjustments', 'code'),
    ('cycle_counts', 'code'),
    ('pre_authorizations', 'code'),
    ('insurance_claims', 'claim_number'),
)
BILL = "uq_goods_receipt_notes_supplier_bill"
LIVE_BILL = "supplier_invoice_number <> '' AND status <> 'cancelled'"
LIVE = "deleted_at IS NULL"


def _codes(old: int, new: int) -> None:
    for table, column in CODES:
        was = 16 if table == 'suppliers' and old == 20 else old
        now = 16 if table == 'suppliers' and new == 20 else new
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table == 'goods_receipt_notes':
                batch_op.drop_index(BILL, sqlite_where=sa.text(LIVE_BILL))
            batch_op.alter_column(column, existing_type=sa.String(length=was), type_=sa.String(length=now),
                                  existing_nullable=False)
            if table == 'goods_receipt_notes':
                batch_op.create_index(BILL, ['supplier_id', 'supplier_invoice_number'], unique=True,
                                      sqlite_where=sa.text(LIVE_BILL), postgresql_where=sa.text(LIVE_BILL))


def upgrade() -> None:
    _codes(20, 32)
    with op.batch_alter_table('medicine_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_medicine_batches_medicine_id_expiry_date')
        batch_op.create_index('ix_medicine_batches_live_stock', ['medicine_id', 'expiry_date', 'quantity_on_hand'],
                              unique=False, sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))


def downgrade() -> None:
    with op.batch_alter_table('medicine_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_medicine_batches_live_stock', sqlite_where=sa.text(LIVE))
        batch_op.create_index('ix_medicine_batches_medicine_id_expiry_date', ['medicine_id', 'expiry_date'],
                              unique=False)
    _codes(32, 20)

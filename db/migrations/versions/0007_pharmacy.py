"""pharmacy: pack size, drug schedule, batch location, dispensing details, free goods, the H1/X register

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:09:45

Generated with ``python -m db.migrate revision`` and checked by hand (the server-default noise of SQLite
columns dropped):
- ``medicines.schedule`` (none, H, H1, X; existing Schedule H rows become H) and ``pack_size`` (units in a
  pack, so loose units sell from a strip), with CHECKs: the schedule's values, ``is_schedule_h`` in step with
  it, a pack of 1 to 10,000;
- ``medicine_batches.location`` (shelf or rack);
- ``pharmacy_dispensing``: the prescription version filled and the pharmacist's note;
  ``pharmacy_dispensing_items``: line number, why a batch other than FEFO's was taken, the generic
  substitute's note;
- ``grn_items.free_quantity`` (packs a supplier adds free);
- ``schedule_register``: the Schedule H1 and X register, append-only (same trigger SQL as ``db.ledger``).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISTER = "schedule_register"
BARCODE = "uq_medicines_barcode_live"
LIVE_BARCODE = "barcode IS NOT NULL AND deleted_at IS NULL"


def _register_triggers() -> None:
    dialect = op.get_context().dialect.name
    message = f"{REGISTER} is append-only: record a correcting entry instead"
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{REGISTER}_no_{action.lower()} BEFORE {action} ON {REGISTER} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION hms_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME "
            "|| ' is append-only: record a correcting entry instead'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER trg_{REGISTER}_no_change BEFORE UPDATE OR DELETE ON {REGISTER} "
            "FOR EACH ROW EXECUTE FUNCTION hms_refuse_change()"
        )


def upgrade() -> None:
    op.create_table('schedule_register',
    sa.Column('schedule', sa.String(length=4), nullable=False),
    sa.Column('supplied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dispensing_id', sa.Uuid(), nullable=False),
    sa.Column('dispensing_item_id', sa.Uuid(), nullable=False),
    sa.Column('dispensing_code', sa.String(length=32), nullable=False),
    sa.Column('prescription_id', sa.Uuid(), nullable=False),
    sa.Column('prescription_code', sa.String(length=32), nullable=False),
    sa.Column('prescriber_name', sa.String(length=200), nullable=False),
    sa.Column('prescriber_registration', sa.String(length=200), nullable=False),
    sa.Column('prescriber_address', sa.String(length=500), nullable=False),
    sa.Column('patient_id', sa.Uuid(), nullable=False),
    sa.Column('patient_name', sa.String(length=200), nullable=False),
    sa.Column('patient_address', sa.String(length=500), nullable=False),
    sa.Column('medicine_id', sa.Uuid(), nullable=False),
    sa.Column('medicine_name', sa.String(length=300), nullable=False),
    sa.Column('manufacturer', sa.String(length=200), nullable=False),
    sa.Column('batch_number', sa.String(length=64), nullable=False),
    sa.Column('expiry_date', sa.Date(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('dispensed_by_id', sa.Uuid(), nullable=False),
    sa.Column('dispensed_by_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hlc', sa.String(length=64), nullable=True),
    sa.CheckConstraint("schedule IN ('H1', 'X')", name=op.f('ck_schedule_register_schedule')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_schedule_register_quantity_positive')),
    sa.ForeignKeyConstraint(['dispensed_by_id'], ['users.id'], name=op.f('fk_schedule_register_dispensed_by_id_users')),
    sa.ForeignKeyConstraint(['dispensing_id'], ['pharmacy_dispensing.id'], name=op.f('fk_schedule_register_dispensing_id_pharmacy_dispensing')),
    sa.ForeignKeyConstraint(['dispensing_item_id'], ['pharmacy_dispensing_items.id'], name=op.f('fk_schedule_register_dispensing_item_id_pharmacy_dispensing_items')),
    sa.ForeignKeyConstraint(['medicine_id'], ['medicines.id'], name=op.f('fk_schedule_register_medicine_id_medicines')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_schedule_register_patient_id_patients')),
    sa.ForeignKeyConstraint(['prescription_id'], ['prescriptions.id'], name=op.f('fk_schedule_register_prescription_id_prescriptions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_register')),
    sa.UniqueConstraint('dispensing_item_id', name=op.f('uq_schedule_register_dispensing_item_id')),
    info={'append_only': True}
    )
    with op.batch_alter_table('schedule_register', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_register_dispensed_by_id'), ['dispensed_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_dispensing_id'), ['dispensing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_medicine_id'), ['medicine_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_prescription_id'), ['prescription_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_schedule'), ['schedule'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedule_register_supplied_at'), ['supplied_at'], unique=False)

    _register_triggers()

    with op.batch_alter_table('grn_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('free_quantity', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_grn_items_free_quantity_non_negative'), sa.text('free_quantity >= 0'))

    with op.batch_alter_table('medicine_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location', sa.String(length=64), server_default='', nullable=False))

    with op.batch_alter_table('medicines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('schedule', sa.String(length=4), server_default='none', nullable=False))
        batch_op.add_column(sa.Column('pack_size', sa.Integer(), server_default='1', nullable=False))
    op.execute("UPDATE medicines SET schedule = 'H' WHERE is_schedule_h")
    with op.batch_alter_table('medicines', schema=None) as batch_op:
        batch_op.drop_index(BARCODE, sqlite_where=sa.text(LIVE_BARCODE))
        batch_op.create_check_constraint(batch_op.f('ck_medicines_schedule'), sa.text("schedule IN ('none', 'H', 'H1', 'X')"))
        batch_op.create_check_constraint(
            batch_op.f('ck_medicines_schedule_h_matches_schedule'), sa.text("is_schedule_h = (schedule <> 'none')")
        )
        batch_op.create_check_constraint(batch_op.f('ck_medicines_pack_size_in_range'), sa.text('pack_size BETWEEN 1 AND 10000'))
        batch_op.create_index(BARCODE, ['barcode'], unique=True, sqlite_where=sa.text(LIVE_BARCODE),
                              postgresql_where=sa.text(LIVE_BARCODE))

    with op.batch_alter_table('pharmacy_dispensing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prescription_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), server_default='', nullable=False))

    with op.batch_alter_table('pharmacy_dispensing_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('pick_reason', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('substitute_note', sa.String(length=300), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('pharmacy_dispensing_items', schema=None) as batch_op:
        batch_op.drop_column('substitute_note')
        batch_op.drop_column('pick_reason')
        batch_op.drop_column('line_no')

    with op.batch_alter_table('pharmacy_dispensing', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('prescription_version')

    with op.batch_alter_table('medicines', schema=None) as batch_op:
        batch_op.drop_index(BARCODE, sqlite_where=sa.text(LIVE_BARCODE))
        batch_op.drop_constraint(batch_op.f('ck_medicines_pack_size_in_range'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_medicines_schedule_h_matches_schedule'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_medicines_schedule'), type_='check')
        batch_op.drop_column('pack_size')
        batch_op.drop_column('schedule')
        batch_op.create_index(BARCODE, ['barcode'], unique=True, sqlite_where=sa.text(LIVE_BARCODE),
                              postgresql_where=sa.text(LIVE_BARCODE))

    with op.batch_alter_table('medicine_batches', schema=None) as batch_op:
        batch_op.drop_column('location')

    with op.batch_alter_table('grn_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_grn_items_free_quantity_non_negative'), type_='check')
        batch_op.drop_column('free_quantity')

    op.drop_table(REGISTER)

"""optical: catalogue details, fitting measurements, lab and QC steps, repair estimates, status history; discount limits

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:56:56

Generated with ``python -m db.migrate revision`` and checked by hand (the server-default noise of SQLite
columns dropped; the CHECK constraints, which autogenerate does not see, written out):
- ``optical_products``: sunglasses as a category; stocked or made to order; a frame's rim and box size (A, B,
  DBL, temple); a lens's index, coatings, tint and the powers it can be made in; a contact lens's base curve,
  diameter and replacement schedule;
- ``optical_prescriptions.external_prescriber`` (an outside prescription typed in at the counter);
- ``optical_orders``: monocular PD and fitting height per eye, the frame's box size, the lab, the instants of
  each step, the remake count, notes; a new status ``received`` (back from the lab, waiting for quality check);
- ``optical_order_items``: line number, the description and HSN sold as, the line's discount;
- ``optical_repairs``: own item or ours, parts and labour of the estimate, its approval, the ready instant;
  ``waiting_for_parts``; work only on an approved estimate;
- ``optical_status_events``: every step of an order or repair, append-only (the ``db.ledger`` triggers);
- ``roles.discount_limit_basis_points`` with the default roles' limits.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = "optical_status_events"
BARCODE = "uq_optical_products_barcode_live"
LIVE_BARCODE = "barcode IS NOT NULL AND deleted_at IS NULL"
LIMITS = {"Super Admin": 10000, "Admin": 2000, "Optical Staff": 1000, "Cashier": 1000, "Pharmacist": 500}

OLD_CATEGORIES = "category IN ('frame', 'lens', 'contact_lens', 'solution', 'accessory')"
NEW_CATEGORIES = "category IN ('frame', 'sunglasses', 'lens', 'contact_lens', 'solution', 'accessory')"
OLD_ORDER_STATUSES = "status IN ('draft', 'confirmed', 'in_lab', 'ready', 'delivered', 'cancelled')"
NEW_ORDER_STATUSES = "status IN ('draft', 'confirmed', 'in_lab', 'received', 'ready', 'delivered', 'cancelled')"
OLD_REPAIR_STATUSES = "status IN ('received', 'in_progress', 'ready', 'delivered', 'cancelled')"
NEW_REPAIR_STATUSES = (
    "status IN ('received', 'in_progress', 'waiting_for_parts', 'ready', 'delivered', 'cancelled')"
)

PRODUCT_CHECKS = {
    "rim_type": "rim_type IN ('', 'full_rim', 'half_rim', 'rimless')",
    "replacement_schedule": "replacement_schedule IN ('', 'daily', 'fortnightly', 'monthly', 'quarterly', 'yearly')",
    "frame_a_in_range": "frame_a_mm BETWEEN 20 AND 90",
    "frame_b_in_range": "frame_b_mm BETWEEN 10 AND 70",
    "frame_dbl_in_range": "frame_dbl_mm BETWEEN 8 AND 30",
    "temple_in_range": "temple_mm BETWEEN 100 AND 170",
    "lens_index_in_range": "lens_index BETWEEN 140 AND 200",
    "sphere_range": "sphere_min IS NULL OR sphere_max IS NULL OR sphere_min <= sphere_max",
    "cylinder_range": "cylinder_min IS NULL OR cylinder_max IS NULL OR cylinder_min <= cylinder_max",
    "cylinder_range_minus_form": "cylinder_max IS NULL OR cylinder_max <= 0",
    "add_range": "add_min IS NULL OR add_max IS NULL OR add_min <= add_max",
    "base_curve_in_range": "base_curve_mm_tenths BETWEEN 70 AND 100",
    "diameter_in_range": "diameter_mm_tenths BETWEEN 80 AND 160",
}
ORDER_CHECKS = {
    "right_pd_in_range": "right_pd_mm_tenths BETWEEN 150 AND 450",
    "left_pd_in_range": "left_pd_mm_tenths BETWEEN 150 AND 450",
    "right_fitting_height_in_range": "right_fitting_height_mm_tenths BETWEEN 50 AND 450",
    "left_fitting_height_in_range": "left_fitting_height_mm_tenths BETWEEN 50 AND 450",
    "remake_count_non_negative": "remake_count >= 0",
}
ITEM_CHECKS = {
    "discount_paise_non_negative": "discount_paise >= 0",
    "discount_within_gross": "discount_paise <= quantity * unit_price_paise",
}
REPAIR_CHECKS = {
    "parts_paise_non_negative": "parts_paise >= 0",
    "labour_paise_non_negative": "labour_paise >= 0",
    "cost_is_parts_plus_labour": "cost_paise = parts_paise + labour_paise",
    "work_needs_approved_estimate": (
        "status NOT IN ('in_progress', 'waiting_for_parts', 'ready', 'delivered') OR estimate_approved_at IS NOT NULL"
    ),
}


def _event_triggers() -> None:
    """The append-only triggers of ``db.ledger`` (spelled out: a migration must not change when that module does)."""
    message = f"{EVENTS} is append-only: record a correcting entry instead"
    if op.get_context().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{EVENTS}_no_{action.lower()} BEFORE {action} ON {EVENTS} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION hms_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME "
            "|| ' is append-only: record a correcting entry instead'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER trg_{EVENTS}_no_change BEFORE UPDATE OR DELETE ON {EVENTS} "
            "FOR EACH ROW EXECUTE FUNCTION hms_refuse_change()"
        )


def _add_checks(batch_op, table: str, checks: dict[str, str]) -> None:
    for name, sql in checks.items():
        batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), sa.text(sql))


def _drop_checks(batch_op, table: str, checks: dict[str, str]) -> None:
    for name in reversed(list(checks)):
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")


def _swap_check(batch_op, name: str, sql: str) -> None:
    batch_op.drop_constraint(op.f(name), type_="check")
    batch_op.create_check_constraint(op.f(name), sa.text(sql))


def upgrade() -> None:
    op.create_table(EVENTS,
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('repair_id', sa.Uuid(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hlc', sa.String(length=64), nullable=True),
    sa.CheckConstraint('(order_id IS NULL) <> (repair_id IS NULL)', name=op.f('ck_optical_status_events_one_subject')),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_optical_status_events_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['optical_orders.id'], name=op.f('fk_optical_status_events_order_id_optical_orders')),
    sa.ForeignKeyConstraint(['repair_id'], ['optical_repairs.id'], name=op.f('fk_optical_status_events_repair_id_optical_repairs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_optical_status_events')),
    info={'append_only': True}
    )
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_optical_status_events_by_id'), ['by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_optical_status_events_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_optical_status_events_repair_id'), ['repair_id'], unique=False)
    _event_triggers()

    with op.batch_alter_table('optical_order_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_no', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('description', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('hsn_code', sa.String(length=8), server_default='', nullable=False))
        batch_op.add_column(sa.Column('discount_paise', sa.BigInteger(), server_default='0', nullable=False))
        _add_checks(batch_op, 'optical_order_items', ITEM_CHECKS)

    with op.batch_alter_table('optical_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('right_pd_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('left_pd_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('right_fitting_height_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('left_fitting_height_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('box_a_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('box_b_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dbl_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lab_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('lab_reference', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_to_lab_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('remake_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('notes', sa.String(length=1000), server_default='', nullable=False))
        _swap_check(batch_op, 'ck_optical_orders_status', NEW_ORDER_STATUSES)
        _add_checks(batch_op, 'optical_orders', ORDER_CHECKS)

    with op.batch_alter_table('optical_prescriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_prescriber', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('optical_products', schema=None) as batch_op:
        batch_op.drop_index(BARCODE, sqlite_where=sa.text(LIVE_BARCODE))
        batch_op.add_column(sa.Column('is_stocked', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('rim_type', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('frame_a_mm', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('frame_b_mm', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('frame_dbl_mm', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('temple_mm', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lens_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('coatings', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('tint', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('sphere_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sphere_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cylinder_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cylinder_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('add_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('add_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('base_curve_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('diameter_mm_tenths', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replacement_schedule', sa.String(length=16), server_default='', nullable=False))
        _swap_check(batch_op, 'ck_optical_products_category', NEW_CATEGORIES)
        _add_checks(batch_op, 'optical_products', PRODUCT_CHECKS)
        batch_op.create_index(BARCODE, ['barcode'], unique=True, sqlite_where=sa.text(LIVE_BARCODE),
                              postgresql_where=sa.text(LIVE_BARCODE))

    with op.batch_alter_table('optical_repairs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('own_item', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('parts_paise', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('labour_paise', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('estimate_approved_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('estimate_approved_by', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('ready_at', sa.DateTime(timezone=True), nullable=True))
    # Repairs logged before this revision: their cost was one figure (labour), and work already under way was
    # agreed with the patient at the counter.
    op.execute("UPDATE optical_repairs SET labour_paise = cost_paise")
    op.execute(
        "UPDATE optical_repairs SET estimate_approved_at = received_at "
        "WHERE status IN ('in_progress', 'ready', 'delivered')"
    )
    with op.batch_alter_table('optical_repairs', schema=None) as batch_op:
        _swap_check(batch_op, 'ck_optical_repairs_status', NEW_REPAIR_STATUSES)
        _add_checks(batch_op, 'optical_repairs', REPAIR_CHECKS)

    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_limit_basis_points', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_roles_discount_limit_in_range'), sa.text('discount_limit_basis_points BETWEEN 0 AND 10000')
        )
    roles = sa.table('roles', sa.column('name', sa.String), sa.column('discount_limit_basis_points', sa.Integer))
    for name, limit in LIMITS.items():
        op.execute(roles.update().where(roles.c.name == name).values(discount_limit_basis_points=limit))


def downgrade() -> None:
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_roles_discount_limit_in_range'), type_='check')
        batch_op.drop_column('discount_limit_basis_points')

    op.execute("UPDATE optical_repairs SET status = 'in_progress' WHERE status = 'waiting_for_parts'")
    with op.batch_alter_table('optical_repairs', schema=None) as batch_op:
        _drop_checks(batch_op, 'optical_repairs', REPAIR_CHECKS)
        _swap_check(batch_op, 'ck_optical_repairs_status', OLD_REPAIR_STATUSES)
        batch_op.drop_column('ready_at')
        batch_op.drop_column('estimate_approved_by')
        batch_op.drop_column('estimate_approved_at')
        batch_op.drop_column('labour_paise')
        batch_op.drop_column('parts_paise')
        batch_op.drop_column('own_item')

    op.execute("UPDATE optical_products SET category = 'frame' WHERE category = 'sunglasses'")
    with op.batch_alter_table('optical_products', schema=None) as batch_op:
        batch_op.drop_index(BARCODE, sqlite_where=sa.text(LIVE_BARCODE))
        _drop_checks(batch_op, 'optical_products', PRODUCT_CHECKS)
        _swap_check(batch_op, 'ck_optical_products_category', OLD_CATEGORIES)
        for column in ('replacement_schedule', 'diameter_mm_tenths', 'base_curve_mm_tenths', 'add_max', 'add_min',
                       'cylinder_max', 'cylinder_min', 'sphere_max', 'sphere_min', 'tint', 'coatings', 'lens_index',
                       'temple_mm', 'frame_dbl_mm', 'frame_b_mm', 'frame_a_mm', 'rim_type', 'is_stocked'):
            batch_op.drop_column(column)
        batch_op.create_index(BARCODE, ['barcode'], unique=True, sqlite_where=sa.text(LIVE_BARCODE),
                              postgresql_where=sa.text(LIVE_BARCODE))

    with op.batch_alter_table('optical_prescriptions', schema=None) as batch_op:
        batch_op.drop_column('external_prescriber')

    op.execute("UPDATE optical_orders SET status = 'in_lab' WHERE status = 'received'")
    with op.batch_alter_table('optical_orders', schema=None) as batch_op:
        _drop_checks(batch_op, 'optical_orders', ORDER_CHECKS)
        _swap_check(batch_op, 'ck_optical_orders_status', OLD_ORDER_STATUSES)
        for column in ('notes', 'remake_count', 'ready_at', 'received_at', 'sent_to_lab_at', 'confirmed_at',
                       'lab_reference', 'lab_name', 'dbl_mm_tenths', 'box_b_mm_tenths', 'box_a_mm_tenths',
                       'left_fitting_height_mm_tenths', 'right_fitting_height_mm_tenths', 'left_pd_mm_tenths',
                       'right_pd_mm_tenths'):
            batch_op.drop_column(column)

    with op.batch_alter_table('optical_order_items', schema=None) as batch_op:
        _drop_checks(batch_op, 'optical_order_items', ITEM_CHECKS)
        for column in ('discount_paise', 'hsn_code', 'description', 'line_no'):
            batch_op.drop_column(column)

    op.drop_table(EVENTS)

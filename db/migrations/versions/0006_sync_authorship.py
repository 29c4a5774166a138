"""sync authorship: who made each change, password claims, the server's author keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:15:20

Generated with ``python -m db.migrate revision`` and checked by hand (the server-default noise of SQLite
columns dropped):
- ``sync_outbox.author_id`` and ``proof``: who made a queued change and their signature of it;
- ``sync_claims`` (PC): a user's password sealed to the server's key, so the server learns their signing key;
- ``sync_authors`` (server): each user's signing key and the password hash it was proved against;
- ``sync_state.server_key`` and ``seed_hlc``; ``sync_clinic.founder_id`` and ``base_hlc`` (the founder's
  rows at enrolment are the clinic's base, accepted without an author);
- on the server (PostgreSQL), ``users.failed_logins`` defaults to 0: sign-in bookkeeping is per PC now.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sync_authors',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('password_hash', sa.String(length=100), nullable=False),
    sa.Column('author_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hlc', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_authors')),
    sa.UniqueConstraint('user_id', name=op.f('uq_sync_authors_user_id'))
    )
    op.create_table('sync_claims',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('hash_digest', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Uuid(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('hlc', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_claims')),
    sa.UniqueConstraint('user_id', 'hash_digest', name=op.f('uq_sync_claims_user_id_hash_digest'))
    )
    with op.batch_alter_table('sync_clinic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('founder_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('base_hlc', sa.String(length=64), nullable=True))

    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('proof', sa.String(length=64), nullable=True))

    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('server_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('seed_hlc', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        # a user's sign-in bookkeeping no longer syncs: the server's rows take the default
        op.alter_column("users", "failed_logins", server_default="0")


def downgrade() -> None:
    with op.batch_alter_table('sync_state', schema=None) as batch_op:
        batch_op.drop_column('seed_hlc')
        batch_op.drop_column('server_key')

    with op.batch_alter_table('sync_outbox', schema=None) as batch_op:
        batch_op.drop_column('proof')
        batch_op.drop_column('author_id')

    with op.batch_alter_table('sync_clinic', schema=None) as batch_op:
        batch_op.drop_column('base_hlc')
        batch_op.drop_column('founder_id')

    op.drop_table('sync_claims')
    op.drop_table('sync_authors')

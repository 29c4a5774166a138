"""patient name search: an FTS5 index over patients.full_name, kept in step by triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# External-content FTS5: the index holds tokens only; names stay in `patients`. Prefix indexes of 1-3
# characters make "as you type" prefix queries cheap. remove_diacritics folds accents.
STATEMENTS = [
    "CREATE VIRTUAL TABLE patients_fts USING fts5(full_name, content='patients', content_rowid='rowid', "
    "tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')",
    "CREATE TRIGGER patients_fts_after_insert AFTER INSERT ON patients BEGIN "
    "INSERT INTO patients_fts(rowid, full_name) VALUES (new.rowid, new.full_name); END",
    "CREATE TRIGGER patients_fts_after_delete AFTER DELETE ON patients BEGIN "
    "INSERT INTO patients_fts(patients_fts, rowid, full_name) VALUES ('delete', old.rowid, old.full_name); END",
    "CREATE TRIGGER patients_fts_after_update AFTER UPDATE OF full_name ON patients BEGIN "
    "INSERT INTO patients_fts(patients_fts, rowid, full_name) VALUES ('delete', old.rowid, old.full_name); "
    "INSERT INTO patients_fts(rowid, full_name) VALUES (new.rowid, new.full_name); END",
    "INSERT INTO patients_fts(patients_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return  # the central server does not serve name search
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for name in ("patients_fts_after_insert", "patients_fts_after_delete", "patients_fts_after_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS patients_fts")

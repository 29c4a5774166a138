"""Append-only ledgers: triggers that make the store refuse UPDATE and DELETE.

A table is a ledger when its ``info`` has ``append_only`` (see ``db.base.ledger_args``). The triggers are
created with the table (``metadata.create_all``) and by the migrations, which call ``trigger_sql`` so that
both paths emit the same SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy.engine import Connection

LEDGER_TABLES = (
    "stock_movements",
    "payments",
    "refunds",
    "audit_logs",
    "appointment_status_log",
    "prescription_versions",
    "schedule_register",
    "optical_status_events",
)


def trigger_sql(table: str, dialect: str) -> list[str]:
    """The statements that make ``table`` append-only on ``dialect`` ('sqlite' or 'postgresql')."""
    message = f"{table} is append-only: record a correcting entry instead"
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER trg_{table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            for op in ("UPDATE", "DELETE")
        ]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION hms_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME "
            "|| ' is append-only: record a correcting entry instead'; END $$",
            f"CREATE TRIGGER trg_{table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION hms_refuse_change()",
        ]
    raise ValueError(f"no append-only triggers for dialect {dialect!r}")


def is_ledger(table: Table) -> bool:
    return bool(table.info.get("append_only"))


def install(metadata: MetaData) -> None:
    """Create the triggers whenever ``metadata.create_all`` creates a ledger table."""

    def after_create(table: Table, connection: Connection, **_: Any) -> None:
        for statement in trigger_sql(table.name, connection.dialect.name):
            connection.exec_driver_sql(statement)

    for table in metadata.tables.values():
        if is_ledger(table) and not event.contains(table, "after_create", after_create):
            event.listen(table, "after_create", after_create)

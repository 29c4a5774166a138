"""The schema: every table of the spec exists, models and migrations agree, ledgers refuse change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import DatabaseError as SADatabaseError

import db.models
from db.engine import connect
from db.ledger import LEDGER_TABLES, trigger_sql
from hms_desktop.storage.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED_SPEC = REPO.parent / "shared" / "spec" / "db-use-case-flows.md"
# A copy travels with the repository so a clone anywhere can run this test; where the shared spec is beside
# the clone, that one is read (and the copy must still match it).
SPEC = SHARED_SPEC if SHARED_SPEC.exists() else REPO / "docs" / "spec" / "db-use-case-flows.md"


def spec_tables() -> set[str]:
    """Table names from the spec's "Tables at a Glance" rows: | `name` | purpose |"""
    text = SPEC.read_text("utf-8")
    return set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", text, flags=re.MULTILINE))


def test_spec_lists_62_tables() -> None:
    assert SPEC.exists(), f"the spec is expected at {SPEC}"
    assert len(spec_tables()) == 62
    copy = REPO / "docs" / "spec" / "db-use-case-flows.md"
    assert copy.read_text("utf-8") == SPEC.read_text("utf-8"), "docs/spec is out of date: copy the shared spec"


def test_every_spec_table_exists_in_a_fresh_store(store: Store) -> None:
    with store.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
    missing = spec_tables() - present
    assert not missing, f"tables of the spec missing from the store: {sorted(missing)}"


def test_models_and_migrations_agree(store: Store) -> None:
    with store.engine.connect() as conn:
        opts = {
            "compare_type": True,
            "include_name": lambda name, type_, parents: not str(name).startswith("patients_fts"),
        }
        mc = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(mc, db.models.metadata)
    assert diff == []


def test_migration_triggers_match_the_models(store: Store) -> None:
    """The initial migration spells the trigger SQL out; it must be what db.ledger makes for the models."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND name LIKE 'trg_%'"
        ).all()
    migrated = {name: sql for name, sql in rows}
    expected = {}
    for table in LEDGER_TABLES:
        for statement in trigger_sql(table, "sqlite"):
            name = statement.split()[2]
            expected[name] = statement
    assert migrated == expected
    assert set(LEDGER_TABLES) == {t.name for t in db.models.metadata.tables.values() if t.info.get("append_only")}


def test_constraints_are_named(store: Store) -> None:
    for table in db.models.metadata.tables.values():
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}: {constraint}"


def test_money_columns_are_integers() -> None:
    for table in db.models.metadata.tables.values():
        for column in table.columns:
            if column.name.endswith("_paise"):
                assert isinstance(column.type, sa.Integer), f"{table.name}.{column.name} is not integer paise"
            assert not isinstance(column.type, sa.Float), f"{table.name}.{column.name} is a float"


def test_every_mutable_table_has_who_when_tombstone_and_clock() -> None:
    for table in db.models.metadata.tables.values():
        cols = set(table.columns.keys())
        assert {"id", "created_at", "hlc"} <= cols, table.name
        if not table.info.get("append_only"):
            assert {"updated_at", "created_by_id", "updated_by_id", "deleted_at"} <= cols, table.name


@pytest.mark.parametrize("table", LEDGER_TABLES)
def test_ledgers_refuse_update_and_delete(store: Store, table: str) -> None:
    conn = connect(store.paths.store, store.key)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")  # a bare row is enough to fire the triggers
        _insert_minimal(conn, table)
        with pytest.raises(Exception, match="append-only"):
            conn.execute(f"UPDATE {table} SET created_at = created_at")
        with pytest.raises(Exception, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 1
    finally:
        conn.close()


def _insert_minimal(conn: object, table: str) -> None:
    """One row satisfying NOT NULL and CHECK constraints (foreign keys are off for this test)."""
    if table == "audit_logs":
        return  # set-up already wrote audit rows
    values = {
        "payments": {"receipt_number": "'RCT-1'", "invoice_id": "'x'", "patient_id": "'x'", "method": "'cash'",
                     "amount_paise": "100", "received_at": "'2026-01-01 00:00:00'", "idempotency_key": "'k1'",
                     "received_by_id": "'u'",
                     "transaction_ref": "''", "notes": "''"},
        "refunds": {"refund_number": "'RF-1'", "payment_id": "'x'", "invoice_id": "'x'", "amount_paise": "100",
                    "method": "'cash'", "reason": "'wrong invoice'", "refunded_at": "'2026-01-01 00:00:00'",
                    "idempotency_key": "'k2'"},
        "stock_movements": {"item_kind": "'optical'", "optical_product_id": "'x'", "movement_type": "'receipt'",
                            "quantity_delta": "5", "moved_at": "'2026-01-01 00:00:00'", "note": "''"},
        "appointment_status_log": {"appointment_id": "'x'", "to_status": "'booked'",
                                   "changed_at": "'2026-01-01 00:00:00'", "note": "''"},
        "prescription_versions": {"prescription_id": "'x'", "version": "1", "snapshot": "'{}'",
                                  "change_reason": "''"},
        "schedule_register": {"schedule": "'H1'", "supplied_at": "'2026-01-01 00:00:00'", "dispensing_id": "'x'",
                              "dispensing_item_id": "'x'", "dispensing_code": "'DSP-1'", "prescription_id": "'x'",
                              "prescription_code": "'RX-1'", "prescriber_name": "'Dr A'",
                              "prescriber_registration": "''", "prescriber_address": "''", "patient_id": "'x'",
                              "patient_name": "'P'", "patient_address": "''", "medicine_id": "'x'",
                              "medicine_name": "'M'", "manufacturer": "''", "batch_number": "'B1'",
                              "expiry_date": "'2027-01-01'", "quantity": "1", "dispensed_by_id": "'u'",
                              "dispensed_by_name": "''"},
        "optical_status_events": {"order_id": "'x'", "to_status": "'draft'", "note": "''",
                                  "happened_at": "'2026-01-01 00:00:00'"},
    }[table]  # fmt: skip
    values = {"id": "'00000000000000000000000000000001'", "created_at": "'2026-01-01 00:00:00'", **values}
    cols = ", ".join(values)
    conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({', '.join(values.values())})")  # type: ignore[attr-defined]


def test_checks_refuse_negative_stock(store: Store) -> None:
    with store.engine.begin() as conn, pytest.raises(SADatabaseError):
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        conn.exec_driver_sql(
            "INSERT INTO optical_products (id, sku, name, category, stock_quantity, created_at, updated_at) "
            "VALUES ('p1', 'SKU1', 'Frame', 'frame', -1, '2026-01-01', '2026-01-01')"
        )

"""Health checks of an open store: the file, the schema, and every cached balance against its ledger.

The schema check compares every table, index, trigger and view with what the migrations make for the store's
schema version (``db.schema_guard``): a planted trigger or view, or a changed one, fails it by name.

A cached balance is a number kept on a row for speed that must equal the sum of an append-only ledger:
batch and product stock against ``stock_movements``, invoice paid/refunded amounts against ``payments``
and ``refunds``. Each query returns the rows that disagree (none when all is well).

A stock ledger may go below zero when two PCs offline sold more than a batch held (both sales are kept): the
cached stock then stays at zero, which is what it should be, and the item is reported as a shortfall, a
warning (``CheckResult.warning``) that does not fail the check, for the pharmacist to count and correct.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db import schema_guard
from db.backup import inspect_connection
from db.migrate import known_revisions

BALANCE_CHECKS: dict[str, str] = {
    # stock: the cache is the ledger's sum, or zero when the ledger is below zero (a shortfall, see below)
    "medicine_batches.quantity_on_hand = SUM(stock_movements)": """
        SELECT b.id, b.quantity_on_hand, COALESCE(SUM(m.quantity_delta), 0) AS ledger
        FROM medicine_batches b LEFT JOIN stock_movements m ON m.batch_id = b.id
        GROUP BY b.id HAVING b.quantity_on_hand <> MAX(COALESCE(SUM(m.quantity_delta), 0), 0)""",
    "optical_products.stock_quantity = SUM(stock_movements)": """
        SELECT p.id, p.stock_quantity, COALESCE(SUM(m.quantity_delta), 0) AS ledger
        FROM optical_products p LEFT JOIN stock_movements m ON m.optical_product_id = p.id
        GROUP BY p.id HAVING p.stock_quantity <> MAX(COALESCE(SUM(m.quantity_delta), 0), 0)""",
    "invoices.amount_paid_paise = SUM(payments)": """
        SELECT i.id, i.amount_paid_paise, COALESCE(SUM(p.amount_paise), 0) AS ledger
        FROM invoices i LEFT JOIN payments p ON p.invoice_id = i.id
        GROUP BY i.id HAVING i.amount_paid_paise <> COALESCE(SUM(p.amount_paise), 0)""",
    "invoices.amount_refunded_paise = SUM(refunds)": """
        SELECT i.id, i.amount_refunded_paise, COALESCE(SUM(r.amount_paise), 0) AS ledger
        FROM invoices i LEFT JOIN refunds r ON r.invoice_id = i.id
        GROUP BY i.id HAVING i.amount_refunded_paise <> COALESCE(SUM(r.amount_paise), 0)""",
}
SHORTFALLS = "stock shortfalls (ledger below zero)"
# (label of the item, ledger) of every batch / optical product whose ledger is below zero
SHORTFALL_SQL = (
    """SELECT md.name || ', batch ' || b.batch_number, SUM(m.quantity_delta)
       FROM medicine_batches b JOIN medicines md ON md.id = b.medicine_id JOIN stock_movements m ON m.batch_id = b.id
       GROUP BY b.id, md.name, b.batch_number HAVING SUM(m.quantity_delta) < 0""",
    """SELECT p.name || ' (' || p.sku || ')', SUM(m.quantity_delta)
       FROM optical_products p JOIN stock_movements m ON m.optical_product_id = p.id
       GROUP BY p.id, p.name, p.sku HAVING SUM(m.quantity_delta) < 0""",
)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # passed, but a person should look (``ok`` stays True)


def run_checks(conn: Any) -> list[CheckResult]:
    """All checks on a DB-API connection to the store."""
    report = inspect_connection(conn)
    results = [
        CheckResult(
            "cipher_integrity_check",
            not report.cipher_errors,
            "ok" if not report.cipher_errors else "; ".join(report.cipher_errors[:5]),
        ),
        CheckResult("integrity_check", report.integrity == ["ok"], "; ".join(report.integrity[:5])),
        CheckResult(
            "foreign_key_check",
            report.foreign_key_errors == 0,
            "ok" if report.foreign_key_errors == 0 else f"{report.foreign_key_errors} broken references",
        ),
    ]
    results.append(_schema_objects(conn, report.revision))
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'patients_fts'").fetchone():
        indexed = conn.execute("SELECT count(*) FROM patients_fts_docsize").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        results.append(
            CheckResult("patients_fts in step with patients", indexed == rows, f"{indexed} indexed, {rows} rows")
        )
    for name, sql in BALANCE_CHECKS.items():
        rows = conn.execute(sql).fetchall()
        detail = "ok" if not rows else f"{len(rows)} disagree, e.g. id {rows[0][0]}: {rows[0][1]} vs {rows[0][2]}"
        results.append(CheckResult(name, not rows, detail))
    results.append(_shortfalls(conn))
    return results


def _schema_objects(conn: Any, revision: str | None) -> CheckResult:
    name = "schema objects as the migrations make them"
    if revision is None or revision not in known_revisions():
        return CheckResult(name, False, f"unknown schema version {revision}")
    found = schema_guard.problems(conn, revision)
    detail = "ok" if not found else f"{schema_guard.summary(found)}: the store may have been tampered with"
    return CheckResult(name, not found, detail)


def _shortfalls(conn: Any) -> CheckResult:
    found = sorted((int(total), str(label)) for sql in SHORTFALL_SQL for label, total in conn.execute(sql).fetchall())
    if not found:
        return CheckResult(SHORTFALLS, True, "none")
    shown = "; ".join(f"{label} short by {-total}" for total, label in found[:5])
    more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
    detail = f"{len(found)} sold beyond stock (on two PCs offline?): {shown}{more}; count them and correct"
    return CheckResult(SHORTFALLS, True, detail, warning=True)

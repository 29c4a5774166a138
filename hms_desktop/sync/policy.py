"""Which tables and columns sync: the one place that decides it.

Everything in the schema syncs (later modules too, with no extra work) except:
- ``LOCAL_ONLY``: bookkeeping of this PC or of the server, secrets-bearing session rows, queued outbound
  messages (sent by the PC that queued them) and the counters behind human codes;
- ``PULL_ONLY``: rows the server manages (``workstations``), which PCs receive and never push;
- ``LOCAL_COLUMNS``: per-store columns inside a synced table (``workstations.is_local``; a user's sign-in
  bookkeeping: failed attempts, lock-out and last sign-in are this PC's, so a sign-in, right or wrong, never
  rewrites the user's row elsewhere and never competes with an administrator's disable or reset).

Append-only ledgers never conflict (a row is written once). ``DERIVED`` columns are caches of a ledger
(stock on hand, an invoice's paid and refunded amounts): whoever applies synced rows recomputes them from the
ledger instead of trusting a copy, and a difference in them alone is no conflict.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Column, Table

from db.ledger import is_ledger
from db.models import metadata
from db.models.sync import SYNC_BOOKKEEPING

LOCAL_ONLY = frozenset(
    SYNC_BOOKKEEPING
    | {
        # sessions and reset codes of this PC, queued messages, code counters
        "refresh_tokens",
        "password_emails",
        "notification_queue",
        "id_sequences",
    }
)
PULL_ONLY = frozenset({"workstations"})
LOCAL_COLUMNS: dict[str, frozenset[str]] = {
    "workstations": frozenset({"is_local"}),
    "users": frozenset({"failed_logins", "locked_until", "last_login_at"}),
}


@dataclass(frozen=True, kw_only=True)
class Derived:
    """``table.column`` caches ``SUM(ledger.amount)`` over the ledger rows whose ``ledger.key`` is the row's id."""

    table: str
    column: str
    ledger: str
    key: str
    amount: str


DERIVED = (
    Derived(
        table="medicine_batches",
        column="quantity_on_hand",
        ledger="stock_movements",
        key="batch_id",
        amount="quantity_delta",
    ),
    Derived(
        table="optical_products",
        column="stock_quantity",
        ledger="stock_movements",
        key="optical_product_id",
        amount="quantity_delta",
    ),
    Derived(table="invoices", column="amount_paid_paise", ledger="payments", key="invoice_id", amount="amount_paise"),
    Derived(
        table="invoices", column="amount_refunded_paise", ledger="refunds", key="invoice_id", amount="amount_paise"
    ),
)


@dataclass(frozen=True, kw_only=True)
class TableSpec:
    name: str
    table: Table
    rank: int  # position in foreign-key order: parents before children
    append_only: bool
    columns: tuple[Column[object], ...]  # the synced columns, in table order

    @property
    def column_names(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns)


@functools.cache
def synced() -> dict[str, TableSpec]:
    """Every table that syncs (pushed and pulled, or pulled only), by name."""
    specs: dict[str, TableSpec] = {}
    for rank, table in enumerate(metadata.sorted_tables):
        if table.name in LOCAL_ONLY:
            continue
        local = LOCAL_COLUMNS.get(table.name, frozenset())
        columns = tuple(c for c in table.columns if c.name not in local)
        specs[table.name] = TableSpec(
            name=table.name, table=table, rank=rank, append_only=is_ledger(table), columns=columns
        )
    return specs


def pushable(name: str) -> bool:
    """True for a table whose local changes go into the outbox and may be pushed."""
    return name in synced() and name not in PULL_ONLY


def spec(name: str) -> TableSpec | None:
    return synced().get(name)


def sql_table(name: str) -> Table:
    """A table of the schema by name (typed, for Core statements)."""
    return metadata.tables[name]

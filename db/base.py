"""Declarative base, naming convention and the column mixins every model uses.

Rules (see DESIGN.md, "Data rules"):
- primary keys are time-ordered UUIDs (``db.ids.uuid7``); human codes are separate unique columns;
- money is integer paise in ``*_paise`` columns (BigInteger), never float;
- instants are ``UTCDateTime`` (aware UTC); birth and appointment dates are plain dates;
- every constraint has a name (the naming convention below), so migrations can address it;
- mutable rows carry who/when columns, a tombstone (``deleted_at``) and a sync clock (``hlc``);
- ledgers are append-only: ``__table_args__ = ledger_args(...)`` marks the table, and the store refuses
  UPDATE and DELETE on it with triggers (``db.ledger``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Index, MetaData, String, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.ids import uuid7
from db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Hybrid logical clock text: "<15-digit ms>-<5-digit counter>-<workstation>"; sorts as text.
HLC_LENGTH = 64


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012
        uuid.UUID: Uuid(as_uuid=True),
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def Paise(**kw: Any) -> Any:  # noqa: N802 - reads like a column type at the call site
    """An integer amount of paise (1 rupee = 100 paise)."""
    return mapped_column(BigInteger, **kw)


def sql_in(column: str, values: Iterable[str]) -> str:
    """SQL text ``column IN ('a', 'b')`` (values are the module's own constants, quoted safely)."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def one_of(column: str, values: Iterable[str], name: str | None = None) -> CheckConstraint:
    """A named CHECK that ``column`` holds one of ``values`` (statuses, kinds, methods)."""
    return CheckConstraint(sql_in(column, values), name=name or column)


def partial_unique(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching ``where`` (same SQL on SQLite and PostgreSQL)."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


def non_negative(*columns: str) -> list[CheckConstraint]:
    return [CheckConstraint(f"{c} >= 0", name=f"{c}_non_negative") for c in columns]


def code_column(length: int = 32, **kw: Any) -> Any:
    return mapped_column(String(length), unique=True, **kw)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid7)


class SyncClockMixin:
    """The hybrid logical clock of the last change, and the workstation that made it (sync)."""

    hlc: Mapped[str | None] = mapped_column(String(HLC_LENGTH), default=None)


class TrackedMixin(IdMixin, SyncClockMixin):
    """A mutable record: who made and last changed it, when, and a tombstone for deletes.

    ``created_by_id``/``updated_by_id`` are attribution, not relations (no foreign key): the user may be one
    who exists on another workstation and has not arrived yet through sync, and a user's record must be
    deletable without rewriting history.
    """

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class LedgerMixin(IdMixin, SyncClockMixin):
    """An append-only row: written once, never updated or deleted (a correction is a new row)."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


def ledger_args(*constraints: Any) -> tuple[Any, ...]:
    """``__table_args__`` for an append-only table: its constraints plus the marker ``db.ledger`` reads."""
    return (*constraints, {"info": {"append_only": True}})

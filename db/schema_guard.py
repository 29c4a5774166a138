"""The schema objects of a store against what the migrations make: nothing extra, nothing missing, nothing changed.

A store's ``sqlite_master`` (tables, indexes, triggers, views) must be exactly what running the migrations up
to its schema version creates. A backup carrying a trigger nobody wrote (one that resets the Super Admin's
password at each sign-in, say), a view or an extra index, or a changed trigger of an append-only ledger, is
refused by restore before anything is replaced, and fails ``hms check``, each object named.

The expected objects come from a fresh in-memory database built by the migrations with the same SQLite as the
stores (SQLCipher's, no key), once per process and schema version. SQL is compared normalised (letter case,
identifier quotes and white space do not count). SQLite's own bookkeeping is left out: the indexes it makes
for UNIQUE and PRIMARY KEY constraints (``sqlite_autoindex_*``, no SQL of their own: the table's SQL, which is
compared, says what they are) and the statistics tables of ``ANALYZE`` (``sqlite_stat1``..``4``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlcipher3.dbapi2 as dbapi
from sqlalchemy.pool import StaticPool

from db import migrate

STATISTICS = frozenset({"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"})
_QUOTES = re.compile(r'["`\[\]]')
_SPACE = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([(),;=])\s*")
CONSTRAINT_WORDS = ("constraint ", "primary key", "unique", "check", "foreign key")


@dataclass(frozen=True, order=True)
class SchemaObject:
    type: str  # "table", "index", "trigger", "view"
    name: str
    table: str
    sql: str  # normalised

    def describe(self) -> str:
        on = f" on {self.table}" if self.table and self.table != self.name else ""
        return f"{self.type} {self.name}{on}"


def normalise(sql: str | None) -> str:
    """Lower case, no identifier quotes, single spaces; a table's constraints in a fixed order (a batch
    migration rebuilds a table with its constraints in whatever order it holds them)."""
    if not sql:
        return ""
    text = _AROUND.sub(r"\1", _SPACE.sub(" ", _QUOTES.sub("", sql.lower())).strip().rstrip(";").strip())
    if not text.startswith("create table "):
        return text
    start, end = text.find("("), text.rfind(")")
    if start < 0 or end < start:
        return text
    parts = _top_level(text[start + 1 : end])
    columns = [p for p in parts if not p.startswith(CONSTRAINT_WORDS)]
    constraints = sorted(p for p in parts if p.startswith(CONSTRAINT_WORDS))
    return text[: start + 1] + ",".join(columns + constraints) + text[end:]


def _top_level(body: str) -> list[str]:
    """``body`` split at the commas outside parentheses and string literals."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in body:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _ignored(kind: str, name: str, sql: str | None) -> bool:
    if kind == "index" and name.startswith("sqlite_autoindex_") and sql is None:
        return True
    return kind == "table" and name in STATISTICS


def objects_of(conn: Any) -> dict[tuple[str, str], SchemaObject]:
    """The schema objects of a DB-API connection's main database, by (type, name)."""
    found = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall():
        if _ignored(str(kind), str(name), sql):
            continue
        obj = SchemaObject(str(kind), str(name), str(table or ""), normalise(sql))
        found[(obj.type, obj.name)] = obj
    return found


_expected: dict[str, dict[tuple[str, str], SchemaObject]] = {}
_lock = threading.Lock()


def expected_objects(revision: str) -> dict[tuple[str, str], SchemaObject]:
    """What the migrations create up to ``revision`` (built once per process and revision)."""
    with _lock:
        found = _expected.get(revision)
        if found is None:
            found = _expected[revision] = _build(revision)
        return found


def _build(revision: str) -> dict[tuple[str, str], SchemaObject]:
    raw = dbapi.connect(":memory:", isolation_level=None, check_same_thread=False)
    engine = sa.create_engine("sqlite://", creator=lambda: raw, module=dbapi, poolclass=StaticPool)
    try:
        migrate.upgrade(engine, revision)
        return objects_of(raw)
    finally:
        engine.dispose()
        raw.close()


def problems(conn: Any, revision: str) -> list[str]:
    """One phrase per object that differs from what the migrations make at ``revision`` (none when all is well):
    ``an extra trigger trg_x on users``, ``a changed view v``, ``a missing index ix_y on patients``."""
    return compare(objects_of(conn), revision)


def compare(have: dict[tuple[str, str], SchemaObject], revision: str) -> list[str]:
    """``problems`` for objects already read (``objects_of``)."""
    want = expected_objects(revision)
    found = []
    for key in sorted(have.keys() | want.keys()):
        mine, theirs = have.get(key), want.get(key)
        if theirs is None:
            assert mine is not None
            found.append(f"an extra {mine.describe()}")
        elif mine is None:
            found.append(f"a missing {theirs.describe()}")
        elif mine != theirs:
            found.append(f"a changed {mine.describe()}")
    return found


def summary(found: list[str], limit: int = 5) -> str:
    shown = "; ".join(found[:limit])
    return shown + (f" (and {len(found) - limit} more)" if len(found) > limit else "")

"""``hms sql``: read-only SQL over the store, for the administrator who holds its key.

The connection is opened read-only (``mode=ro``, ``query_only``) and an authorizer allows only reading:
SELECT, reading functions and a list of read-only PRAGMAs. ATTACH (which could copy the data out
unencrypted), ``sqlcipher_export``, writes and schema changes are refused with one sentence.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from typing import Any

import sqlcipher3.dbapi2 as dbapi

from db.engine import connect
from db.errors import ReadOnlyViolation
from hms_desktop.audit.trail import record
from hms_desktop.cli.common import cli_context, open_for

READ_PRAGMAS = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "cipher_version",
        "cipher_integrity_check", "page_count", "page_size", "freelist_count", "database_list",
        "compile_options", "data_version", "user_version", "schema_version", "journal_mode",
        "function_list", "pragma_list", "collation_list", "module_list", "encoding", "query_only",
    }
)  # fmt: skip
BLOCKED_FUNCTIONS = frozenset({"sqlcipher_export", "load_extension", "readfile", "writefile", "edit"})
READ_ACTIONS = frozenset({dbapi.SQLITE_SELECT, dbapi.SQLITE_READ, dbapi.SQLITE_RECURSIVE})
REFUSED = "hms sql is read-only: only SELECT and read-only PRAGMAs are allowed; nothing was changed."


def register(sub: Any) -> None:
    p = sub.add_parser("sql", help='read-only SQL: -c "SELECT ..." prints CSV; without -c, interactive')
    p.add_argument("-c", "--command", dest="sql", help="one statement to run")
    p.set_defaults(handler=cmd_sql)


def _authorizer(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
    if action in READ_ACTIONS:
        return int(dbapi.SQLITE_OK)
    if action == dbapi.SQLITE_FUNCTION:
        return int(dbapi.SQLITE_DENY if (arg2 or "").lower() in BLOCKED_FUNCTIONS else dbapi.SQLITE_OK)
    if action == dbapi.SQLITE_PRAGMA and (arg1 or "").lower() in READ_PRAGMAS and arg2 is None:
        return int(dbapi.SQLITE_OK)
    return int(dbapi.SQLITE_DENY)


ONE_STATEMENT = "hms sql runs one statement at a time: give each its own -c (or line); nothing was run."


def run(conn: Any, sql: str, out: Any) -> int:
    try:
        cur = conn.execute(sql)
    except (dbapi.Error, dbapi.Warning) as exc:  # two statements: Warning (ProgrammingError in newer sqlite3)
        text = str(exc)
        if "one statement at a time" in text:
            raise ReadOnlyViolation(ONE_STATEMENT) from exc
        if "not authorized" in text or "readonly" in text or "read-only" in text:
            raise ReadOnlyViolation(REFUSED) from exc
        raise ReadOnlyViolation(f"SQL error: {text}") from exc
    writer = csv.writer(out, lineterminator="\n")
    if cur.description:
        writer.writerow([d[0] for d in cur.description])
    count = 0
    try:
        for row in cur:
            writer.writerow(["" if v is None else (v.hex() if isinstance(v, bytes) else v) for v in row])
            count += 1
    except dbapi.Error as exc:  # an error met while stepping through the rows (e.g. a failing function)
        raise ReadOnlyViolation(f"SQL error: {exc}") from exc
    return count


# A statement that names a key (PRAGMA key/rekey/hexkey, ATTACH ... KEY): its text may hold a secret.
_NAMES_A_KEY = re.compile(r"\b(?:hex)?(?:re)?key\b|\bpassphrase\b|\bcipher", re.I)


def audit_text(sql: str | None) -> str:
    """What the audit trail (which syncs to every PC) says was run: never the text of a key."""
    if not sql:
        return "hms sql: interactive"
    if _NAMES_A_KEY.search(sql):
        return "hms sql: a statement naming a key or cipher setting (its text is not recorded)"
    return f"hms sql: {sql[:400]}"


def cmd_sql(args: argparse.Namespace) -> int:
    with open_for(args) as store:
        ctx = cli_context(store, "sql")
        with ctx.transaction() as tx:  # reading the whole store is an export: it is audited
            record(tx, "export", entity_type="store", detail=audit_text(args.sql))
            tx.commit()
        conn = connect(store.paths.store, store.key, readonly=True)
        conn.set_authorizer(_authorizer)
        try:
            if args.sql:
                run(conn, args.sql, sys.stdout)
                return 0
            return _repl(conn)
        finally:
            conn.close()


def _repl(conn: Any) -> int:
    print("Read-only SQL. End a statement with ';'. Ctrl-D to leave.")
    buffer = ""
    while True:
        try:
            line = input("hms> " if not buffer else "...> ")
        except EOFError:
            print()
            return 0
        buffer += line + "\n"
        if dbapi.complete_statement(buffer):
            try:
                n = run(conn, buffer, sys.stdout)
                print(f"({n} rows)")
            except ReadOnlyViolation as exc:
                print(f"error: {exc}")
            buffer = ""

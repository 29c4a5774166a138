"""Opening the encrypted store: SQLCipher 4 through sqlcipher3, one place for the key and the PRAGMAs.

Per connection, in this order: the key, then ``foreign_keys=ON``, ``journal_mode=WAL``,
``synchronous=FULL`` (a committed payment survives a power cut), ``busy_timeout``. The file is opened with a
URI that never creates it unless asked, so a wrong path or a wrong key can never leave a new empty store
behind, and a wrong key never writes a byte.

Write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two processes that
both read then write wait for each other (busy_timeout) instead of one failing with "database is locked".
Read-only work asks for a deferred ``BEGIN`` with ``engine.connect().execution_options(hms_readonly=True)``.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlcipher3.dbapi2 as dbapi
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from db.errors import StoreNotFound, WrongKeyOrNotAStore

BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another process's write to finish
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True, repr=False)
class StoreKey:
    """The key of a store: a raw 256-bit key, or a passphrase put through SQLCipher's own KDF.

    ``repr`` never shows the secret.
    """

    raw: bytes | None = None
    passphrase: str | None = None

    def __post_init__(self) -> None:
        if (self.raw is None) == (self.passphrase is None):
            raise ValueError("a StoreKey is either raw or a passphrase")
        if self.raw is not None and len(self.raw) != 32:
            raise ValueError("a raw store key is 32 bytes")
        if self.passphrase is not None and not self.passphrase:
            raise ValueError("an empty passphrase is not a key")

    @classmethod
    def from_raw(cls, raw: bytes) -> StoreKey:
        return cls(raw=raw)

    @classmethod
    def from_passphrase(cls, passphrase: str) -> StoreKey:
        return cls(passphrase=passphrase)

    @property
    def kind(self) -> str:
        return "raw" if self.raw is not None else "passphrase"

    def pragma_literal(self) -> str:
        """The value for ``PRAGMA key = ...`` / ``ATTACH ... KEY ...``."""
        if self.raw is not None:
            return f"\"x'{self.raw.hex()}'\""
        assert self.passphrase is not None
        return "'" + self.passphrase.replace("'", "''") + "'"

    def __repr__(self) -> str:
        return f"StoreKey({self.kind}, <hidden>)"


def uri(path: Path, mode: str) -> str:
    return "file:" + urllib.parse.quote(str(path.resolve())) + f"?mode={mode}"


def connect(path: Path, key: StoreKey, *, create: bool = False, readonly: bool = False) -> Any:
    """A keyed, checked, configured DB-API connection to the store at ``path``.

    Raises ``StoreNotFound`` when there is no file (and ``create`` is false), ``WrongKeyOrNotAStore`` when
    the key does not open it.
    """
    path = Path(path)
    if not create and not path.is_file():
        raise StoreNotFound(f"There is no HMS store at {path}.")
    mode = "ro" if readonly else ("rwc" if create else "rw")
    fresh = create and not path.exists()
    conn = dbapi.connect(uri(path, mode), uri=True, isolation_level=None, check_same_thread=False)
    if fresh:
        os.chmod(path, 0o600)  # the store is for this user only (WAL files inherit the mode)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # failures are reported by us, in one sentence
        conn.execute(f"PRAGMA key = {key.pragma_literal()}")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except dbapi.DatabaseError as exc:
            raise WrongKeyOrNotAStore(_unreadable_message(path)) from exc
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        else:
            conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except BaseException:
        conn.close()
        raise
    return conn


def _unreadable_message(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        head = b""
    if head == SQLITE_HEADER:
        return f"{path.name} is an unencrypted SQLite file, not an HMS store; it was not opened."
    return f"{path.name} could not be opened: the key or passphrase is wrong, or the file is not an HMS store."


def create_engine(path: Path, key: StoreKey, *, readonly: bool = False, pool_size: int = 4) -> Engine:
    """An SQLAlchemy engine over the store. Checks the key once, up front."""
    connect(path, key, readonly=readonly).close()

    def creator() -> Any:
        return connect(path, key, readonly=readonly)

    engine = sa.create_engine(
        "sqlite://",
        creator=creator,
        module=dbapi,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=8,
    )
    _install_begin(engine)
    return engine


def _install_begin(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("hms_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (no-op where directories cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

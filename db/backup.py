"""Encrypted backups of the store and their verification.

A backup is a complete SQLCipher database written by ``sqlcipher_export`` inside one read transaction (one
consistent snapshot), keyed with the backup key (the clinic's recovery key). It is written to a temporary
name, verified (opened, ``cipher_integrity_check``, ``integrity_check``, ``foreign_key_check``, a known
schema version) and only then renamed to its final name. A backup about to be restored is also checked to
hold exactly the schema objects the migrations make (``schema=True``, ``db.schema_guard``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2 as dbapi

from db import schema_guard
from db.engine import StoreKey, connect, fsync_dir, uri
from db.errors import BackupInvalid, StoreError
from db.migrate import known_revisions


@dataclass(frozen=True)
class FileReport:
    """What verification found in a store or backup file."""

    revision: str | None
    cipher_errors: list[str]
    integrity: list[str]
    foreign_key_errors: int

    @property
    def ok(self) -> bool:
        return not self.cipher_errors and self.integrity == ["ok"] and self.foreign_key_errors == 0


def inspect_connection(conn: Any) -> FileReport:
    cipher = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check").fetchall()]
    integrity = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    fk = len(conn.execute("PRAGMA foreign_key_check").fetchall())
    has_version = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").fetchone()
    revision = None
    if has_version:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return FileReport(revision, cipher, integrity, fk)


def verify_file(path: Path, key: StoreKey, *, schema: bool = False) -> FileReport:
    """Open ``path`` read-only with ``key`` and check it whole; ``BackupInvalid`` when it is not good.

    With ``schema``, its schema objects must also be exactly those the migrations make for its version."""
    if not Path(path).is_file():
        raise BackupInvalid(f"There is no file at {path}.")
    try:
        conn = connect(path, key, readonly=True)
    except StoreError as exc:
        raise BackupInvalid(
            f"{Path(path).name} could not be opened with this key: the key is wrong, or the file is damaged "
            "or not an HMS backup."
        ) from exc
    try:
        report = inspect_connection(conn)
        objects = schema_guard.objects_of(conn) if schema else None
    except Exception as exc:  # sqlcipher raises DatabaseError on a damaged page
        raise BackupInvalid(f"{Path(path).name} is damaged and cannot be used ({exc}).") from exc
    finally:
        conn.close()
    if not report.ok:
        raise BackupInvalid(f"{Path(path).name} failed its integrity checks and cannot be used.")
    if report.revision is None:
        raise BackupInvalid(f"{Path(path).name} is not an HMS backup (it has no schema version).")
    if report.revision not in known_revisions():
        raise BackupInvalid(
            f"{Path(path).name} was written by a newer version of HMS Desktop; install that version to restore it."
        )
    odd = schema_guard.compare(objects, report.revision) if objects is not None else []
    if odd:
        raise BackupInvalid(
            f"{Path(path).name} does not have the schema HMS makes ({schema_guard.summary(odd)}); it may have been "
            "tampered with and cannot be restored."
        )
    return report


def export_file(source: Path, source_key: StoreKey, dest: Path, dest_key: StoreKey) -> None:
    """Copy the store ``source`` into a new encrypted file ``dest`` (must not exist) keyed with ``dest_key``.

    Runs on a connection to ``dest`` with ``source`` attached read-only, in one transaction: one consistent
    snapshot of the source, which is never written to.
    """
    dest = Path(dest)
    if dest.exists():
        raise StoreError(f"{dest} already exists; choose another name.")
    conn = dbapi.connect(uri(dest, "rwc"), uri=True, isolation_level=None, check_same_thread=False)
    os.chmod(dest, 0o600)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {dest_key.pragma_literal()}")
        conn.execute("PRAGMA journal_mode = DELETE")  # a backup is one self-contained file
        conn.execute(f"ATTACH DATABASE ? AS hms_source KEY {source_key.pragma_literal()}", (uri(Path(source), "ro"),))
        try:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT sqlcipher_export('main', 'hms_source')")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("DETACH DATABASE hms_source")
    except BaseException:
        conn.close()
        dest.unlink(missing_ok=True)
        raise
    conn.close()


def make_backup(store_path: Path, store_key: StoreKey, dest: Path, backup_key: StoreKey) -> FileReport:
    """Back ``store_path`` up to ``dest`` under ``backup_key``; verified before it takes its final name."""
    dest = Path(dest)
    if dest.exists():
        raise StoreError(f"{dest} already exists; choose another name.")
    if not dest.parent.is_dir():  # a mistyped or unplugged drive: never create the folder and claim success
        raise StoreError(f"The folder {dest.parent} does not exist; no backup was written.")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    export_file(store_path, store_key, partial, backup_key)
    try:
        with open(partial, "rb+") as f:
            os.fsync(f.fileno())
        report = verify_file(partial, backup_key)
        os.replace(partial, dest)
        fsync_dir(dest.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return report

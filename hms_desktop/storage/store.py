"""The store of this PC: create it, open it (backup then upgrade), back it up, restore, rekey, check.

Every operation that replaces the store file (restore, ``rekey``) builds the new file beside the old one,
verifies it, takes the store lock exclusively, swaps, opens the new file, and only then deletes the old
(``swap``): a failure at any step leaves the old store as it was, and what a crash leaves is settled the next
time the store is opened.

A backup is restored only if its schema objects are exactly those the migrations make (``db.schema_guard``):
a planted trigger, view or index is refused by name, before anything is replaced. Before the restored copy
takes the live store's place, the caller's ``prepare`` sees it (``StagedRestore``): on a PC that syncs, it
catches the copy up from the server (``hms_desktop.sync.catch_up``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from db import backup as db_backup
from db import migrate
from db.checks import CheckResult, run_checks
from db.engine import StoreKey, connect, create_engine
from db.errors import StoreDamaged, StoreError, StoreExists
from db.ids import uuid7
from hms_desktop.clock import utc_now
from hms_desktop.security import recovery
from hms_desktop.security.keystore import KeyringStore, KeyStore, VaultStore, private_dir
from hms_desktop.storage import rekey as rekeying
from hms_desktop.storage import swap
from hms_desktop.storage.keys import PassphraseSource, check_passphrase, choose_mode, env_or_prompt, unlock
from hms_desktop.storage.lock import StoreLock
from hms_desktop.storage.paths import StorePaths

AUTO_BACKUPS_KEPT = 10
BACKUP_SUFFIX = ".hmsbak"


@dataclass
class Store:
    """An open store: its engine, key store and shared lock. Close it when done."""

    paths: StorePaths
    store_id: str
    key_mode: str
    key: StoreKey = field(repr=False)
    keys: KeyStore = field(repr=False)
    engine: Engine
    lock: StoreLock

    def recovery_key(self) -> bytes:
        value = self.keys.get("recovery-key")
        if value is None:
            raise StoreError("This store's recovery key is missing from its key store; backups cannot be made.")
        return value

    def backup_key(self) -> StoreKey:
        return StoreKey.from_raw(self.recovery_key())

    def close(self) -> None:
        self.engine.dispose()
        self.lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class InitResult:
    store: Store
    recovery_key: str  # shown once, never stored in plain text


def init_store(
    paths: StorePaths, *, key_mode: str = "auto", passphrase_source: PassphraseSource = env_or_prompt
) -> InitResult:
    """Create a new, empty store at the schema head. Refuses when any store is already there."""
    if paths.exists():
        raise StoreExists(f"A store already exists in {paths.data_dir}; nothing was changed.")
    mode = choose_mode(key_mode)
    store_id = str(uuid7())
    key, keys = _new_key(mode, store_id, paths, passphrase_source)
    private_dir(paths.data_dir)
    rkey = recovery.new_recovery_key()
    created: list[Path] = []
    try:
        keys.set("recovery-key", rkey)
        keys.set("jwt-secret", os.urandom(32))
        created.append(paths.vault)
        connect(paths.store, key, create=True).close()
        created.append(paths.store)
        lock = StoreLock(paths.lock, exclusive=False).acquire()
        engine = create_engine(paths.store, key)
        migrate.upgrade(engine)
        paths.write_config({"store_id": store_id, "key_mode": mode, "created_at": _now_text()})
    except BaseException:
        _remove_new(paths, keys, created)
        raise
    store = Store(paths, store_id, mode, key, keys, engine, lock)
    return InitResult(store, recovery.encode(rkey))


def discard_new_store(store: Store) -> None:
    """Undo ``init_store`` when a later step of set-up failed (the store holds nothing yet)."""
    store.close()
    _remove_new(store.paths, store.keys, [store.paths.store, store.paths.vault, store.paths.config])


def _remove_new(paths: StorePaths, keys: KeyStore, files: list[Path]) -> None:
    for name in ("store-key", "recovery-key", "jwt-secret"):
        if isinstance(keys, KeyringStore):
            keys.delete(name)
    for path in files:
        for extra in ("", "-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)


def _new_key(mode: str, store_id: str, paths: StorePaths, source: PassphraseSource) -> tuple[StoreKey, KeyStore]:
    if mode == "keyring":
        raw = os.urandom(32)
        keys: KeyStore = KeyringStore(store_id)
        keys.set("store-key", raw)
        return StoreKey.from_raw(raw), keys
    passphrase = source("New store passphrase: ")
    check_passphrase(passphrase)
    if not os.environ.get("HMS_PASSPHRASE") and source("Repeat the passphrase: ") != passphrase:
        raise StoreError("The two passphrases differ; nothing was created.")
    return StoreKey.from_passphrase(passphrase), VaultStore(paths.vault, passphrase)


def open_store(
    paths: StorePaths,
    *,
    passphrase_source: PassphraseSource = env_or_prompt,
    upgrade: bool = True,
    daily_backup: bool = False,
) -> Store:
    """Open the store of ``paths``: unlock, check the schema, back up and upgrade when behind.

    A store written by a newer version is refused (``StoreTooNew``) and left as it was.
    """
    rekeying.put_back_before_open(paths)
    paths.require()
    private_dir(paths.data_dir)  # a folder made looser by hand or by an older version is tightened
    config = paths.read_config()
    key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
    key = rekeying.settle_before_open(paths, config["key_mode"], key, keys)
    lock = StoreLock(paths.lock, exclusive=False).acquire()
    try:
        engine = create_engine(paths.store, key)
        try:
            with engine.connect().execution_options(hms_readonly=True) as conn:
                state = migrate.state(conn)
            if state == "empty":
                raise StoreDamaged("The store has no schema; it may be from an interrupted set-up.")
            store = Store(paths, config["store_id"], config["key_mode"], key, keys, engine, lock)
            if state == "behind":
                if not upgrade:
                    raise StoreError("The store needs an upgrade; open it with the application first.")
                auto_backup(store, reason="pre-upgrade")
                migrate.upgrade(engine)
            elif daily_backup and _last_auto_backup_age(paths) > timedelta(hours=24):
                auto_backup(store, reason="daily")
        except BaseException:
            engine.dispose()
            raise
    except BaseException:
        lock.release()
        raise
    return store


def backup(store: Store, dest: Path) -> db_backup.FileReport:
    """An encrypted, verified backup of the store at ``dest``, readable with the recovery key.

    The folder of ``dest`` must exist (a mistyped or unplugged drive is refused, never created)."""
    require_backup_folder(Path(dest))
    return db_backup.make_backup(store.paths.store, store.key, Path(dest), store.backup_key())


def require_backup_folder(dest: Path) -> None:
    """Refuse a backup whose folder does not exist, before anything is written."""
    folder = Path(dest).expanduser().absolute().parent
    if not folder.is_dir():
        raise StoreError(
            f"The folder {folder} does not exist (is the drive plugged in, is the path typed right?); "
            "no backup was written."
        )


def auto_backup(store: Store, *, reason: str) -> Path:
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    private_dir(store.paths.backups)
    dest = store.paths.backups / f"auto-{stamp}-{reason}{BACKUP_SUFFIX}"
    backup(store, dest)
    autos = sorted(store.paths.backups.glob(f"auto-*{BACKUP_SUFFIX}"))
    for old in autos[:-AUTO_BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return dest


def daily_backup_due(paths: StorePaths) -> bool:
    return _last_auto_backup_age(paths) > timedelta(hours=24)


def _last_auto_backup_age(paths: StorePaths) -> timedelta:
    autos = sorted(paths.backups.glob(f"auto-*{BACKUP_SUFFIX}"))
    if not autos:
        return timedelta.max
    return utc_now() - datetime.fromtimestamp(autos[-1].stat().st_mtime, UTC)


def pre_restore_backup_path(paths: StorePaths) -> Path:
    """Where ``restore`` keeps the store it replaces (not an ``auto-`` name: never pruned)."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    return paths.backups / f"before-restore-{stamp}{BACKUP_SUFFIX}"


def check(store: Store) -> list[CheckResult]:
    conn = connect(store.paths.store, store.key, readonly=True)
    try:
        results = run_checks(conn)
    finally:
        conn.close()
    with store.engine.connect().execution_options(hms_readonly=True) as sa_conn:
        rev = migrate.current_revision(sa_conn)
    head = migrate.head_revision()
    results.insert(0, CheckResult("schema version", rev == head, f"{rev} (head {head})"))
    return results


@dataclass(frozen=True)
class StagedRestore:
    """A restored store built beside the live one and verified, not yet in its place (``restore``'s
    ``prepare`` may bring it up to date): it opens with ``key``; ``live`` is the store it will replace, still
    as it was and opened with the same key (None on a PC with no store yet)."""

    path: Path
    key: StoreKey = field(repr=False)
    keys: KeyStore = field(repr=False)
    live: Path | None


Prepare = Callable[[StagedRestore], object]


def restore(
    paths: StorePaths,
    backup_file: Path,
    *,
    recovery_key: bytes | None = None,
    passphrase_source: PassphraseSource = env_or_prompt,
    key_mode: str = "auto",
    keep_current_as: Path | None = None,
    prepare: Prepare | None = None,
) -> db_backup.FileReport:
    """Replace this PC's store with ``backup_file``; on a PC with no store, create one from it.

    The backup is verified (its schema objects too) before anything is touched, and copied beside the store
    under the store's key; ``prepare`` sees that copy; with ``keep_current_as``, the store being replaced is
    then written there as a verified backup (under the recovery key it had); only then is the copy swapped in,
    and the old store is kept until the new one opened. Any failure leaves the store as it was.
    """
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise StoreError(f"There is no backup file at {backup_file}.")
    rekeying.put_back_before_open(paths)
    if paths.exists():
        paths.require()
        config = paths.read_config()
        with StoreLock(paths.lock, exclusive=True):
            key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
            key = rekeying.settle(paths, config["key_mode"], key, keys)
            connect(paths.store, key).close()  # the live key must be right first
            rkey = recovery_key or keys.get("recovery-key")
            if rkey is None:
                raise StoreError("Give the recovery key of the backup (--recovery-key-file).")
            report = db_backup.verify_file(backup_file, StoreKey.from_raw(rkey), schema=True)
            staged = swap.stage(paths, backup_file, StoreKey.from_raw(rkey), key, key)
            try:
                if prepare is not None:
                    prepare(StagedRestore(staged, key, keys, paths.store))
                    db_backup.verify_file(staged, key)
                if keep_current_as is not None:
                    _keep_current(paths, key, keys, keep_current_as)
                _swap_in(paths, staged, key)
            except BaseException:
                swap.undo(paths)
                raise
            if keys.get("recovery-key") != rkey:
                keys.set("recovery-key", rkey)
        return report
    if recovery_key is None:
        raise StoreError("This PC has no store yet: give the backup's recovery key (--recovery-key-file).")
    report = db_backup.verify_file(backup_file, StoreKey.from_raw(recovery_key), schema=True)
    mode = choose_mode(key_mode)
    store_id = str(uuid7())
    key, keys = _new_key(mode, store_id, paths, passphrase_source)
    private_dir(paths.data_dir)
    try:
        keys.set("recovery-key", recovery_key)
        keys.set("jwt-secret", os.urandom(32))
        with StoreLock(paths.lock, exclusive=True):
            staged = swap.stage(paths, backup_file, StoreKey.from_raw(recovery_key), key, None)
            try:
                if prepare is not None:
                    prepare(StagedRestore(staged, key, keys, None))
                    db_backup.verify_file(staged, key)
                _swap_in(paths, staged, key)
            except BaseException:
                swap.undo(paths)
                raise
        paths.write_config({"store_id": store_id, "key_mode": mode, "created_at": _now_text()})
    except BaseException:
        _remove_new(paths, keys, [paths.store, paths.vault])
        raise
    return report


def _keep_current(paths: StorePaths, key: StoreKey, keys: KeyStore, dest: Path) -> None:
    current_rkey = keys.get("recovery-key")
    if current_rkey is None:
        raise StoreError(
            "This store's recovery key is missing from its key store, so it cannot be backed up before the "
            "restore; nothing was changed."
        )
    private_dir(dest.parent)
    db_backup.make_backup(paths.store, key, dest, StoreKey.from_raw(current_rkey))


def _swap_in(paths: StorePaths, staged: Path, key: StoreKey) -> None:
    """The verified copy in the store's place, opened with ``key``; the old file goes only after that."""
    swap.swap_in(paths, staged)
    connect(paths.store, key).close()
    swap.drop_old(paths)


def rekey(
    paths: StorePaths,
    *,
    new_passphrase: str | None = None,
    passphrase_source: PassphraseSource = env_or_prompt,
) -> None:
    """Re-encrypt the store under a new key: a new random key in the keyring, or a new passphrase
    (``hms_desktop.storage.rekey``: crash-safe at every step)."""
    rekeying.rekey(paths, new_passphrase=new_passphrase, passphrase_source=passphrase_source)


def _now_text() -> str:
    return utc_now().isoformat(timespec="seconds")

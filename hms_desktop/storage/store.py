"""The store of this PC: create it, open it (backup then upgrade), back it up, restore, rekey, check.

Every operation that replaces the store file (restore, rekey) builds the new file beside the old one,
verifies it, takes the store lock exclusively, swaps, opens the new file, and only then deletes the old:
a failure at any step leaves the old store as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from db import backup as db_backup
from db import migrate
from db.checks import CheckResult, run_checks
from db.engine import StoreKey, connect, create_engine, fsync_dir
from db.errors import StoreDamaged, StoreError, StoreExists
from db.ids import uuid7
from hms_desktop.clock import utc_now
from hms_desktop.security import recovery
from hms_desktop.security.keystore import KeyringStore, KeyStore, VaultStore, private_dir
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
    paths.require()
    private_dir(paths.data_dir)  # a folder made looser by hand or by an older version is tightened
    config = paths.read_config()
    key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
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


def restore(
    paths: StorePaths,
    backup_file: Path,
    *,
    recovery_key: bytes | None = None,
    passphrase_source: PassphraseSource = env_or_prompt,
    key_mode: str = "auto",
    keep_current_as: Path | None = None,
) -> db_backup.FileReport:
    """Replace this PC's store with ``backup_file``; on a PC with no store, create one from it.

    The backup is verified before anything is touched; the old store is kept until the new one opened.
    With ``keep_current_as``, the store being replaced is first written there as a verified backup (under the
    recovery key it had), after the new backup was verified and before anything is replaced.
    """
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise StoreError(f"There is no backup file at {backup_file}.")
    if paths.exists():
        paths.require()
        config = paths.read_config()
        with StoreLock(paths.lock, exclusive=True):
            key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
            connect(paths.store, key).close()  # the live key must be right first
            rkey = recovery_key or keys.get("recovery-key")
            if rkey is None:
                raise StoreError("Give the recovery key of the backup (--recovery-key-file).")
            report = db_backup.verify_file(backup_file, StoreKey.from_raw(rkey))
            if keep_current_as is not None:
                current_rkey = keys.get("recovery-key")
                if current_rkey is None:
                    raise StoreError(
                        "This store's recovery key is missing from its key store, so it cannot be backed up "
                        "before the restore; nothing was changed."
                    )
                private_dir(keep_current_as.parent)
                db_backup.make_backup(paths.store, key, keep_current_as, StoreKey.from_raw(current_rkey))
            _replace_store(paths, backup_file, StoreKey.from_raw(rkey), key, key)
            if keys.get("recovery-key") != rkey:
                keys.set("recovery-key", rkey)
        return report
    if recovery_key is None:
        raise StoreError("This PC has no store yet: give the backup's recovery key (--recovery-key-file).")
    report = db_backup.verify_file(backup_file, StoreKey.from_raw(recovery_key))
    mode = choose_mode(key_mode)
    store_id = str(uuid7())
    key, keys = _new_key(mode, store_id, paths, passphrase_source)
    private_dir(paths.data_dir)
    try:
        keys.set("recovery-key", recovery_key)
        keys.set("jwt-secret", os.urandom(32))
        with StoreLock(paths.lock, exclusive=True):
            _replace_store(paths, backup_file, StoreKey.from_raw(recovery_key), key, None)
        paths.write_config({"store_id": store_id, "key_mode": mode, "created_at": _now_text()})
    except BaseException:
        _remove_new(paths, keys, [paths.store, paths.vault])
        raise
    return report


def rekey(
    paths: StorePaths,
    *,
    new_passphrase: str | None = None,
    passphrase_source: PassphraseSource = env_or_prompt,
) -> None:
    """Re-encrypt the store under a new key: a new random key in the keyring, or a new passphrase."""
    paths.require()
    private_dir(paths.data_dir)  # a folder made looser by hand or by an older version is tightened
    config = paths.read_config()
    with StoreLock(paths.lock, exclusive=True):
        key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
        connect(paths.store, key).close()
        if config["key_mode"] == "keyring":
            raw = os.urandom(32)
            new_key = StoreKey.from_raw(raw)
            keys.set("store-key-next", raw)  # found by a rerun if we stop between the swap and the save
            _replace_store(paths, paths.store, key, new_key, key)
            keys.set("store-key", raw)
            keys.delete("store-key-next")
            return
        if new_passphrase is None:
            raise StoreError("Give the new passphrase.")
        check_passphrase(new_passphrase)
        new_key = StoreKey.from_passphrase(new_passphrase)
        recovery_value = keys.get("recovery-key")
        jwt = keys.get("jwt-secret")
        nxt = VaultStore(paths.vault.with_name(paths.vault.name + ".next"), new_passphrase)
        for name, value in (("recovery-key", recovery_value), ("jwt-secret", jwt)):
            if value is not None:
                nxt.set(name, value)
        _replace_store(paths, paths.store, key, new_key, key)
        os.replace(nxt.path, paths.vault)
        fsync_dir(paths.data_dir)


def _replace_store(
    paths: StorePaths, source: Path, source_key: StoreKey, new_key: StoreKey, live_key: StoreKey | None
) -> None:
    """Export ``source`` under ``new_key`` beside the store, verify, swap, open; keep the old until then.

    ``live_key`` opens the store being replaced (None when there is none). The caller holds the store lock
    exclusively.
    """
    staged = paths.store.with_name(paths.store.name + ".staged")
    old = paths.store.with_name(paths.store.name + ".old")
    for leftover in (staged, old):
        leftover.unlink(missing_ok=True)
    if live_key is not None:  # fold the WAL into the file, so the old file alone is the whole store
        _checkpoint(paths.store, live_key)
    db_backup.export_file(source, source_key, staged, new_key)
    try:
        db_backup.verify_file(staged, new_key)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    had_old = paths.store.exists()
    if had_old:
        for extra in ("-wal", "-shm"):
            Path(str(paths.store) + extra).unlink(missing_ok=True)
        os.replace(paths.store, old)
    os.replace(staged, paths.store)
    fsync_dir(paths.data_dir)
    try:
        connect(paths.store, new_key).close()
    except BaseException:
        if had_old:
            os.replace(old, paths.store)
        raise
    old.unlink(missing_ok=True)


def _checkpoint(path: Path, key: StoreKey) -> None:
    conn = connect(path, key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _now_text() -> str:
    return utc_now().isoformat(timespec="seconds")

"""Replacing the store file (restore, rekey) so that a failure or a crash at any point leaves one that opens.

The new file is written beside the store (``store.db.staged``) and verified; then the store is swapped: the
current file is kept under ``store.db.old`` (a hard link, so ``store.db`` is never missing; two renames where
links are not supported) and the staged file takes its name in one atomic rename. The caller opens the new
store and only then drops the old file (``drop_old``), or puts it back (``undo``). A process that finds
``store.db`` missing beside a ``store.db.old`` (cut off between the two renames) puts the old file back
(``put_back``) before anything else. The caller holds the store lock exclusively.
"""

from __future__ import annotations

import os
from pathlib import Path

from db import backup as db_backup
from db.engine import StoreKey, connect, fsync_dir
from hms_desktop.storage.paths import StorePaths

SIDE_FILES = ("-wal", "-shm")


def staged_path(paths: StorePaths) -> Path:
    return paths.store.with_name(paths.store.name + ".staged")


def old_path(paths: StorePaths) -> Path:
    return paths.store.with_name(paths.store.name + ".old")


def stage(paths: StorePaths, source: Path, source_key: StoreKey, new_key: StoreKey, live_key: StoreKey | None) -> Path:
    """Export ``source`` under ``new_key`` to ``store.db.staged`` and verify it; ``live_key`` opens the store
    being replaced (None when there is none), whose WAL is folded in first so the file alone is the store."""
    staged = staged_path(paths)
    _remove(staged)
    if live_key is not None:
        checkpoint(paths.store, live_key)
    db_backup.export_file(source, source_key, staged, new_key)
    try:
        db_backup.verify_file(staged, new_key)
    except BaseException:
        _remove(staged)
        raise
    return staged


def swap_in(paths: StorePaths, staged: Path) -> None:
    """Put ``staged`` in the store's place, keeping the current file as ``store.db.old`` (if there is one)."""
    old = old_path(paths)
    _remove(old)
    if paths.store.exists():
        for extra in SIDE_FILES:  # checkpointed by ``stage``: the file alone is the whole store
            Path(str(paths.store) + extra).unlink(missing_ok=True)
        try:
            os.link(paths.store, old)
        except OSError:  # no hard links here: two renames, and ``put_back`` covers the moment between
            os.replace(paths.store, old)
    os.replace(staged, paths.store)
    fsync_dir(paths.data_dir)


def undo(paths: StorePaths) -> None:
    """Put the kept old file back in the store's place (if the swap got that far) and drop the staged one."""
    old = old_path(paths)
    if old.exists():
        for extra in SIDE_FILES:
            Path(str(paths.store) + extra).unlink(missing_ok=True)
        os.replace(old, paths.store)
        fsync_dir(paths.data_dir)
    _remove(staged_path(paths))


def drop_old(paths: StorePaths) -> None:
    """The new store opened: the old file and any staged leftover go."""
    _remove(old_path(paths))
    _remove(staged_path(paths))


def put_back(paths: StorePaths) -> bool:
    """``store.db`` missing beside ``store.db.old``: a swap was cut off between its renames; undo it."""
    old = old_path(paths)
    if paths.store.exists() or not old.is_file():
        return False
    os.replace(old, paths.store)
    fsync_dir(paths.data_dir)
    _remove(staged_path(paths))
    return True


def leftovers(paths: StorePaths) -> bool:
    return old_path(paths).exists() or staged_path(paths).exists()


def opens(path: Path, key: StoreKey) -> bool:
    try:
        connect(path, key).close()
    except Exception:
        return False
    return True


def checkpoint(path: Path, key: StoreKey) -> None:
    conn = connect(path, key)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _remove(path: Path) -> None:
    for extra in ("", *SIDE_FILES):
        Path(str(path) + extra).unlink(missing_ok=True)

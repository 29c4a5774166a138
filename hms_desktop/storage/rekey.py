"""``hms rekey``: re-encrypt the store under a new key, so that a failure or a crash at any step leaves a store
that opens with the key the code reads.

At every moment either the file on disk opens with the saved key, or the new key is kept where opening looks
for it. With a keyring (``store-key``):

1. ``pending-key``: the new random key is saved aside (``store-key-next``);
2. ``export``/``verify``: the store is re-encrypted to ``store.db.staged``, which is checked whole;
3. ``swap``: the staged file takes the store's place; the old one is kept as ``store.db.old``;
4. ``open``: the new store must open with the new key;
5. ``promote``: the new key is saved as ``store-key``;
6. ``delete-old``, ``forget-pending``: the old file and the key set aside go.

A failure up to 4 puts the old file back and forgets the key set aside (the old key still opens it); a failed
save at 5 puts the old file back too when ``store-key`` still holds the old key, and otherwise leaves the new
file, which the key set aside opens. Whatever a crash left, ``settle`` (run by open, rekey and restore)
finishes or undoes it: it opens the store with ``store-key``, else with the key set aside and then saves that
one as ``store-key``, and clears the leftovers once the store opens with the saved key.

With a passphrase the vault holding the other secrets is sealed again under the new passphrase beside the old
one (``keys.vault.next``) first, and replaces it (``promote``) once the new store opened; a store that does not
open with the passphrase given, beside an old file that does and a vault not yet replaced, is put back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from db.engine import StoreKey, connect, fsync_dir
from db.errors import StoreError, StoreInUse
from hms_desktop.security.keystore import KeyStore, KeyStoreError, VaultStore, private_dir, write_private
from hms_desktop.storage import swap
from hms_desktop.storage.keys import PassphraseSource, check_passphrase, env_or_prompt, unlock
from hms_desktop.storage.lock import StoreLock
from hms_desktop.storage.paths import StorePaths

STORE_KEY = "store-key"
PENDING_KEY = "store-key-next"
STEPS = ("pending-key", "export", "verify", "swap", "open", "promote", "delete-old", "forget-pending")
Step = Callable[[str], None]


def _no_step(_name: str) -> None:
    return None


def next_vault(paths: StorePaths) -> Path:
    return paths.vault.with_name(paths.vault.name + ".next")


def rekey(
    paths: StorePaths,
    *,
    new_passphrase: str | None = None,
    passphrase_source: PassphraseSource = env_or_prompt,
    on_step: Step = _no_step,
) -> None:
    """Re-encrypt the store under a new key: a new random key in the keyring, or ``new_passphrase``.

    ``on_step(name)`` is called at the start of each step of ``STEPS`` (tests make one fail there)."""
    if not swap.old_path(paths).is_file():
        paths.require()
    private_dir(paths.data_dir)  # a folder made looser by hand or by an older version is tightened
    with StoreLock(paths.lock, exclusive=True):
        swap.put_back(paths)
        paths.require()
        config = paths.read_config()
        key, keys = unlock(config["key_mode"], config["store_id"], paths.vault, passphrase_source)
        key = settle(paths, config["key_mode"], key, keys)
        connect(paths.store, key).close()
        if config["key_mode"] == "keyring":
            _rekey_keyring(paths, key, keys, on_step)
            return
        if new_passphrase is None:
            raise StoreError("Give the new passphrase.")
        check_passphrase(new_passphrase)
        _rekey_passphrase(paths, key, new_passphrase, on_step)


def _rekey_keyring(paths: StorePaths, key: StoreKey, keys: KeyStore, on_step: Step) -> None:
    raw = os.urandom(32)
    on_step("pending-key")
    keys.set(PENDING_KEY, raw)
    _replace(paths, key, StoreKey.from_raw(raw), on_step, undo_keys=lambda: _forget(keys, PENDING_KEY))
    try:
        on_step("promote")
        keys.set(STORE_KEY, raw)
    except BaseException:
        if _saved(keys) == key.raw:  # still the old key: the old file goes back, where it opens with it
            swap.undo(paths)
            _forget(keys, PENDING_KEY)
        raise  # otherwise the new file stays, and the key set aside opens it (``settle``)
    on_step("delete-old")
    swap.drop_old(paths)
    on_step("forget-pending")
    _forget(keys, PENDING_KEY)


def _rekey_passphrase(paths: StorePaths, key: StoreKey, new_passphrase: str, on_step: Step) -> None:
    assert key.passphrase is not None
    nxt = next_vault(paths)
    try:
        on_step("pending-key")
        write_private(nxt, paths.vault.read_bytes())
        VaultStore(nxt, key.passphrase).reseal(new_passphrase)  # every secret, under the new passphrase
    except BaseException:
        _unlink(nxt)
        raise
    _replace(paths, key, StoreKey.from_passphrase(new_passphrase), on_step, undo_keys=lambda: _unlink(nxt))
    try:
        on_step("promote")
        os.replace(nxt, paths.vault)
        fsync_dir(paths.data_dir)
    except BaseException:
        if os.path.exists(nxt):  # the vault was not replaced: back to the old store
            swap.undo(paths)
            _unlink(nxt)
        raise
    on_step("delete-old")
    swap.drop_old(paths)


def _replace(paths: StorePaths, key: StoreKey, new_key: StoreKey, on_step: Step, *,
             undo_keys: Callable[[], None]) -> None:  # fmt: skip
    """Steps 2-4: the re-encrypted copy in the store's place, opened; on any failure the old file is back."""
    try:
        on_step("export")
        staged = swap.stage(paths, paths.store, key, new_key, key)
        on_step("verify")
        connect(staged, new_key).close()
        on_step("swap")
        swap.swap_in(paths, staged)
        on_step("open")
        connect(paths.store, new_key).close()
    except BaseException:
        swap.undo(paths)
        undo_keys()
        raise


def settle(paths: StorePaths, mode: str, key: StoreKey, keys: KeyStore) -> StoreKey:
    """The key that opens the store on disk, once what an interrupted rekey left is finished or undone (see
    the module). The caller holds the store lock exclusively; the common case costs one key-store read."""
    if mode == "keyring":
        return _settle_keyring(paths, key, keys)
    nxt = next_vault(paths)
    if not (swap.leftovers(paths) or nxt.exists()):
        return key
    if swap.opens(paths.store, key):
        swap.drop_old(paths)
        if nxt.exists() and key.passphrase is not None and _vault_opens(paths, key.passphrase):
            _unlink(nxt)  # sealed for a rekey that stopped before its swap (else the vault takes it when opened)
    elif nxt.exists() and swap.opens(swap.old_path(paths), key):
        swap.undo(paths)  # the new passphrase was never saved: back to the old store and vault
        _unlink(nxt)
    return key


def _settle_keyring(paths: StorePaths, key: StoreKey, keys: KeyStore) -> StoreKey:
    pending = keys.get(PENDING_KEY)
    if pending is None and not swap.leftovers(paths):
        return key
    if swap.opens(paths.store, key):
        chosen = key
    elif pending is not None and swap.opens(paths.store, StoreKey.from_raw(pending)):
        chosen = StoreKey.from_raw(pending)
        keys.set(STORE_KEY, pending)  # a failure here: the key set aside still opens it next time
    elif swap.opens(swap.old_path(paths), key):
        swap.undo(paths)  # the staged file is in place but no saved key opens it: the old one goes back
        chosen = key
    else:
        raise StoreError(
            "No key this computer holds opens the store; restore a backup with the recovery key (hms restore FILE)."
        )
    swap.drop_old(paths)
    _forget(keys, PENDING_KEY)
    return chosen


def settle_before_open(paths: StorePaths, mode: str, key: StoreKey, keys: KeyStore) -> StoreKey:
    """``settle`` when opening, if a rekey left anything: under the exclusive lock if it is free (when another
    program has the store open, that program got past this already and nothing is touched)."""
    if mode == "keyring":
        if not swap.leftovers(paths) and keys.get(PENDING_KEY) is None:
            return key
    elif not swap.leftovers(paths) and not next_vault(paths).exists():
        return key
    try:
        lock = StoreLock(paths.lock, exclusive=True).acquire()
    except StoreInUse:
        return key
    try:
        return settle(paths, mode, key, keys)
    finally:
        lock.release()


def put_back_before_open(paths: StorePaths) -> None:
    """A store file missing beside ``store.db.old`` (a swap cut off between its renames) is put back first."""
    if paths.store.exists() or not swap.old_path(paths).is_file() or not paths.data_dir.is_dir():
        return
    try:
        lock = StoreLock(paths.lock, exclusive=True).acquire()
    except StoreInUse:
        return
    try:
        swap.put_back(paths)
    finally:
        lock.release()


def _vault_opens(paths: StorePaths, passphrase: str) -> bool:
    try:
        VaultStore(paths.vault, passphrase)
    except KeyStoreError:
        return False
    return True


def _saved(keys: KeyStore) -> bytes | None:
    try:
        return keys.get(STORE_KEY)
    except Exception:  # the keyring cannot say: treat as unknown
        return None


def _forget(keys: KeyStore, name: str) -> None:
    try:
        keys.delete(name)
    except Exception:  # a leftover key set aside is cleared by the next ``settle``
        pass


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass

"""Finding the key of a store, and asking for a passphrase where there is no keyring."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from db.engine import StoreKey
from db.errors import StoreError
from hms_desktop.security.keystore import KeyringStore, KeyStore, KeyStoreError, VaultStore, keyring_usable

PassphraseSource = Callable[[str], str]
MIN_PASSPHRASE = 10


def env_or_prompt(prompt: str) -> str:
    """The passphrase from ``HMS_PASSPHRASE``, else asked at the terminal; never echoed, never logged."""
    value = os.environ.get("HMS_PASSPHRASE")
    if value:
        return value
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise StoreError("This store is locked with a passphrase: set HMS_PASSPHRASE or run the command in a terminal.")


def prompt_only(prompt: str) -> str:
    """Ask at the terminal (for a new secret, which must not come from the old one's variable)."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt)
    raise StoreError("A new passphrase is needed: set HMS_NEW_PASSPHRASE or run the command in a terminal.")


NEW_STORE_PASSPHRASE_NEEDED = (
    "This computer has no OS keyring, so the new store needs a passphrase: set HMS_PASSPHRASE to one of at least "
    f"{MIN_PASSPHRASE} characters, or run the command in a terminal to be asked for one."
)


def new_store_passphrase(ask: PassphraseSource | None = None) -> str:
    """The passphrase of a store about to be created: ``HMS_PASSPHRASE`` if set, else asked twice (at the
    terminal, or with ``ask``) and checked against the passphrase rules. Never echoed, never logged."""
    value = os.environ.get("HMS_PASSPHRASE")
    if not value:
        if ask is None:
            if sys.stdin is None or not sys.stdin.isatty():
                raise StoreError(NEW_STORE_PASSPHRASE_NEEDED)
            ask = getpass.getpass
        value = ask("New store passphrase: ")
        check_passphrase(value)
        if ask("Repeat the passphrase: ") != value:
            raise StoreError("The two passphrases differ; nothing was created.")
    check_passphrase(value)
    return value


def new_store_passphrase_source(ask: PassphraseSource | None = None) -> PassphraseSource:
    """A passphrase source for creating a store: asks (``new_store_passphrase``) on its first call only and
    gives the same answer to the store's own "repeat" call."""
    chosen: list[str] = []

    def source(_prompt: str) -> str:
        if not chosen:
            chosen.append(new_store_passphrase(ask))
        return chosen[0]

    return source


def new_passphrase_from(source: PassphraseSource, env: str = "HMS_PASSPHRASE") -> str:
    """A new passphrase: from ``env`` if set, else asked twice."""
    value = os.environ.get(env)
    if not value:
        value = source("New store passphrase: ")
        if source("Repeat the passphrase: ") != value:
            raise StoreError("The two passphrases differ; nothing was changed.")
    check_passphrase(value)
    return value


def check_passphrase(value: str) -> None:
    if len(value) < MIN_PASSPHRASE:
        raise StoreError(f"A store passphrase needs at least {MIN_PASSPHRASE} characters.")


def choose_mode(requested: str) -> str:
    if requested == "auto":
        return "keyring" if keyring_usable() else "passphrase"
    if requested == "keyring" and not keyring_usable():
        raise StoreError("No OS keyring is available on this computer; use a passphrase instead.")
    if requested not in {"keyring", "passphrase"}:
        raise StoreError(f"Unknown key mode {requested!r}; use auto, keyring or passphrase.")
    return requested


def unlock(mode: str, store_id: str, vault: Path, source: PassphraseSource) -> tuple[StoreKey, KeyStore]:
    """The key of an existing store and its key store. Does not touch the store file."""
    if mode == "keyring":
        if not keyring_usable():
            raise StoreError(
                "This store's key is kept in the OS keyring, which is not available now; "
                "log in to the desktop session that holds it, or restore a backup with the recovery key."
            )
        keys: KeyStore = KeyringStore(store_id)
        raw = keys.get("store-key")
        if raw is None:
            raise StoreError(
                "The key of this store is not in this computer's keyring; "
                "restore a backup with the recovery key (hms restore FILE)."
            )
        return StoreKey.from_raw(raw), keys
    passphrase = source("Store passphrase: ")
    if not passphrase:
        raise StoreError("No passphrase was given; the store stays locked.")
    return StoreKey.from_passphrase(passphrase), _LazyVault(vault, passphrase)


class _LazyVault:
    """The vault opened only when a secret is first needed, after the store has accepted the passphrase
    (so a wrong passphrase is reported by the store's one sentence, not by the vault)."""

    kind = "vault"

    def __init__(self, path: Path, passphrase: str) -> None:
        self._path, self._passphrase = path, passphrase
        self._vault: VaultStore | None = None

    def __repr__(self) -> str:
        return "VaultStore(<sealed>)"

    def open(self) -> VaultStore:
        if self._vault is None:
            nxt = self._path.with_name(self._path.name + ".next")
            try:
                self._vault = VaultStore(self._path, self._passphrase)
            except KeyStoreError:
                if not nxt.exists():  # an interrupted rekey leaves the new vault beside the old one
                    raise
                self._vault = VaultStore(nxt, self._passphrase)
                os.replace(nxt, self._path)
                self._vault.path = self._path
        return self._vault

    def get(self, name: str) -> bytes | None:
        return self.open().get(name)

    def set(self, name: str, value: bytes) -> None:
        self.open().set(name, value)

    def delete(self, name: str) -> None:
        self.open().delete(name)

    def reseal(self, passphrase: str) -> None:
        self.open().reseal(passphrase)
        self._passphrase = passphrase

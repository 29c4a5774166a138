"""Where the application keeps its secrets: the OS keyring, or a vault sealed with the store passphrase.

- ``KeyringStore``: the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service). Used when
  a real backend exists. Plaintext or "alternative" backends (keyrings.alt) are never accepted.
- ``VaultStore``: where no keyring exists (headless Linux, CI). A file readable only by its owner holding
  the secrets encrypted with AES-256-GCM under a key derived from the store passphrase with scrypt. The
  passphrase itself is never written anywhere.

Names in use: ``store-key`` (raw SQLCipher key, keyring mode only), ``recovery-key``, ``jwt-secret``,
``smtp-password``.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from db.errors import HmsError

SERVICE = "HMS Desktop"
SCRYPT_N = 2**15
VAULT_FORMAT = 1


class KeyStoreError(HmsError):
    pass


class KeyStore(Protocol):
    kind: str

    def get(self, name: str) -> bytes | None: ...

    def set(self, name: str, value: bytes) -> None: ...

    def delete(self, name: str) -> None: ...


def keyring_usable() -> bool:
    """True when a real OS keyring backend is present (``HMS_KEYRING=off`` forces passphrase mode)."""
    if os.environ.get("HMS_KEYRING", "").lower() in {"off", "0", "no", "false"}:
        return False
    try:
        import keyring
        from keyring.backends import fail
    except Exception:
        return False
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return False
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or "null" in module:
        return False
    children = getattr(backend, "backends", None)
    if children is not None:  # a ChainerBackend: usable only if it chains a real one
        return any(not type(b).__module__.startswith(("keyrings.alt", "keyring.backends.fail")) for b in children)
    return float(getattr(backend, "priority", 0)) > 0


class KeyringStore:
    kind = "keyring"

    def __init__(self, store_id: str) -> None:
        import keyring

        self._keyring = keyring
        self._prefix = f"{store_id}:"

    def get(self, name: str) -> bytes | None:
        value = self._keyring.get_password(SERVICE, self._prefix + name)
        return None if value is None else base64.b64decode(value)

    def set(self, name: str, value: bytes) -> None:
        self._keyring.set_password(SERVICE, self._prefix + name, base64.b64encode(value).decode("ascii"))

    def delete(self, name: str) -> None:
        try:
            self._keyring.delete_password(SERVICE, self._prefix + name)
        except Exception:  # absent already
            pass


class VaultStore:
    """Secrets in a file sealed with the store passphrase (scrypt + AES-256-GCM), owner-only permissions."""

    kind = "vault"

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path = Path(path)
        self._passphrase = passphrase
        self._values: dict[str, bytes] = self._load() if self.path.exists() else {}

    def __repr__(self) -> str:
        return f"VaultStore({self.path.name}, <sealed>)"

    @staticmethod
    def _derive(passphrase: str, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(passphrase.encode("utf-8"))

    def _load(self) -> dict[str, bytes]:
        try:
            doc = json.loads(self.path.read_text("utf-8"))
            salt = base64.b64decode(doc["salt"])
            nonce = base64.b64decode(doc["nonce"])
            sealed = base64.b64decode(doc["sealed"])
        except (OSError, ValueError, KeyError) as exc:
            raise KeyStoreError(f"The key vault {self.path.name} is damaged.") from exc
        try:
            plain = AESGCM(self._derive(self._passphrase, salt)).decrypt(nonce, sealed, b"hms-vault-1")
        except InvalidTag as exc:
            raise KeyStoreError("The passphrase is wrong (the key vault did not open).") from exc
        return {k: base64.b64decode(v) for k, v in json.loads(plain).items()}

    def _save(self) -> None:
        salt, nonce = os.urandom(16), os.urandom(12)
        plain = json.dumps({k: base64.b64encode(v).decode() for k, v in self._values.items()}).encode()
        sealed = AESGCM(self._derive(self._passphrase, salt)).encrypt(nonce, plain, b"hms-vault-1")
        doc = {
            "format": VAULT_FORMAT,
            "kdf": f"scrypt-n{SCRYPT_N}-r8-p1",
            "salt": base64.b64encode(salt).decode(),
            "nonce": base64.b64encode(nonce).decode(),
            "sealed": base64.b64encode(sealed).decode(),
        }
        write_private(self.path, json.dumps(doc).encode())

    def get(self, name: str) -> bytes | None:
        return self._values.get(name)

    def set(self, name: str, value: bytes) -> None:
        self._values[name] = value
        self._save()

    def delete(self, name: str) -> None:
        if self._values.pop(name, None) is not None:
            self._save()

    def reseal(self, new_passphrase: str) -> None:
        """Seal the same secrets under a new passphrase (after ``hms rekey``)."""
        self._passphrase = new_passphrase
        self._save()


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can enter: 0700, tightened if it was looser
    (a data folder made by hand or by an older version). Windows folders keep their ACLs."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name != "nt" and (path.stat().st_mode & 0o777) != 0o700:
        os.chmod(path, 0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically with owner-only permissions (0600)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)

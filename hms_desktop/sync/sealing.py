"""Sealing a password claim to the server: X25519 + HKDF-SHA256 + AES-256-GCM (``cryptography``).

The server's key pair is derived from the clinic's secret (``sync_clinic.token_secret``), so every server
process behind a load balancer has it and nothing new is stored. A PC learns the public half from the server
and seals each claim with a fresh ephemeral key: only the server opens it, so a claim waiting in a PC's store
(or a copy of that store) gives nobody the password.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SERVER_INFO = b"hms-sync-claim-server-key-v1"
_SEAL_INFO = b"hms-sync-claim-seal-v1"
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


def server_private(secret: bytes) -> X25519PrivateKey:
    return X25519PrivateKey.from_private_bytes(_hkdf(secret, _SERVER_INFO))


def public_hex(private: X25519PrivateKey) -> str:
    return private.public_key().public_bytes(*_RAW).hex()


def seal(server_public_hex: str, payload: bytes) -> str:
    server = X25519PublicKey.from_public_bytes(bytes.fromhex(server_public_hex))
    ephemeral = X25519PrivateKey.generate()
    mine = ephemeral.public_key().public_bytes(*_RAW)
    key = _hkdf(ephemeral.exchange(server) + mine, _SEAL_INFO)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, payload, mine)
    return base64.b64encode(mine + nonce + sealed).decode("ascii")


def open_sealed(private: X25519PrivateKey, text: str) -> bytes:
    """The payload, or ValueError for anything that is not a claim sealed to this server."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ValueError("not base64") from None
    if not 32 + 12 + 16 <= len(raw) <= 4096:
        raise ValueError("bad length")
    mine, nonce, sealed = raw[:32], raw[32:44], raw[44:]
    key = _hkdf(private.exchange(X25519PublicKey.from_public_bytes(mine)) + mine, _SEAL_INFO)
    try:
        return AESGCM(key).decrypt(nonce, sealed, mine)
    except InvalidTag:
        raise ValueError("not sealed to this server") from None

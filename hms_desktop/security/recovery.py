"""The recovery key: 256 random bits shown once at ``hms init``, written down or printed by the clinic.

Backups are encrypted with it, so a backup restores on any machine given this key. It is shown as
base32 in groups of four with a 3-byte checksum, so a typo is caught before any file is touched::

    HMSR-ABCD-EFGH-...
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from db.errors import HmsError

PREFIX = "HMSR"
KEY_BYTES = 32
CHECK_BYTES = 3


class RecoveryKeyError(HmsError):
    pass


def new_recovery_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode(key: bytes) -> str:
    if len(key) != KEY_BYTES:
        raise ValueError("a recovery key is 32 bytes")
    body = base64.b32encode(key + hashlib.sha256(key).digest()[:CHECK_BYTES]).decode("ascii").rstrip("=")
    return "-".join([PREFIX, *(body[i : i + 4] for i in range(0, len(body), 4))])


def decode(text: str) -> bytes:
    cleaned = re.sub(r"[\s-]", "", text.strip().upper())
    if cleaned.startswith(PREFIX):
        cleaned = cleaned[len(PREFIX) :]
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except ValueError as exc:
        raise RecoveryKeyError("That is not a recovery key (it should look like HMSR-XXXX-XXXX-...).") from exc
    key, check = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if len(key) != KEY_BYTES or hashlib.sha256(key).digest()[:CHECK_BYTES] != check:
        raise RecoveryKeyError("The recovery key has a typo: its checksum does not match.")
    return key

"""Password rules and bcrypt hashing.

Rules: 8..64 characters, at most 72 UTF-8 bytes (bcrypt's limit: longer is refused with a message, never
cut silently), not on the common-password list (``resources/security/common-passwords.txt``), not the
user's own email or name.
"""

from __future__ import annotations

import functools
import hmac
import os
from importlib import resources

import bcrypt

from hms_desktop.errors import ValidationError
from hms_desktop.security import author_keys

MIN_LENGTH = 8
MAX_LENGTH = 64
MAX_BYTES = 72
PRODUCTION_COST = 12


def bcrypt_cost() -> int:
    """Cost 12 in use. ``HMS_BCRYPT_COST`` may lower it only for tests (never below 4, bcrypt's minimum)."""
    value = os.environ.get("HMS_BCRYPT_COST")
    if value:
        return max(4, min(PRODUCTION_COST, int(value)))
    return PRODUCTION_COST


@functools.cache
def common_passwords() -> frozenset[str]:
    text = resources.files("resources").joinpath("security/common-passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password_rules(password: str, *, field: str = "password", email: str = "", name: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(field, f"The password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise ValidationError(field, f"The password can have at most {MAX_LENGTH} characters.")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise ValidationError(
            field,
            f"The password is too long when encoded (at most {MAX_BYTES} bytes); use fewer special characters.",
        )
    lowered = password.lower()
    if lowered in common_passwords():
        raise ValidationError(field, "This password is too common; choose one that is harder to guess.")
    local = email.split("@", 1)[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower().replace(" ", "") == lowered):
        raise ValidationError(field, "The password must not contain your email or name.")


def hash_password(password: str) -> str:
    """The bcrypt hash to store; the password is noted by it, so the commit that stores it can claim it for sync
    (``author_keys.note_fresh``: held in memory briefly, never written anywhere unsealed)."""
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=bcrypt_cost())).decode("ascii")
    author_keys.note_fresh(hashed, password)
    return hashed


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made at a lower cost than the one in use now (upgraded at the next sign-in)."""
    try:
        return int(password_hash.split("$")[2]) < bcrypt_cost()
    except (IndexError, ValueError):
        return True


def verify_password(password: str, password_hash: str) -> bool:
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(encoded, password_hash.encode("ascii"))
    except ValueError:
        return False


@functools.cache
def _dummy_hash() -> str:
    return bcrypt.hashpw(b"dummy password for timing", bcrypt.gensalt(rounds=bcrypt_cost())).decode("ascii")


def burn_equal_time(password: str) -> None:
    """Spend what a real check would, so an unknown account answers as slowly as a wrong password."""
    bcrypt.checkpw(password.encode("utf-8")[:MAX_BYTES], _dummy_hash().encode("ascii"))


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

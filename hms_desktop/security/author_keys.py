"""Users' signing keys for sync: who made a change is proven to the server, not merely named.

A user's key is derived from their password (PBKDF2-HMAC-SHA256, salted with the user's id), so nothing that
can sign is ever stored on a PC: the key is held in memory while the user is signed in here, and every change
they make is signed with it as it commits (``hms_desktop.sync.authorship``). The server learns the key from a
*claim*: the password sealed to the server's public key, which the server checks against the user's bcrypt hash
before it derives the same key. A stolen PC at rest holds no key; a PC in a rogue insider's hands can sign
only as the users who sign in on it while they are signed in.

Claims wait in memory until the store can seal them (it is enrolled and knows the server's key), then go into
the store sealed; ``take_claims`` hands them over. Passwords set by a service (a new user, a reset) are noted
by their hash as they are hashed, so the commit that stores the hash can claim them too.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from dataclasses import dataclass, field

PRODUCTION_ITERATIONS = 200_000
MIN_ITERATIONS = 1_000
MAX_ITERATIONS = 2_000_000
_SALT = b"hms-sync-author-v1\0"
_FRESH_LIMIT = 32


def iterations() -> int:
    """The PBKDF2 work factor. ``HMS_AUTHOR_KDF_ITERATIONS`` may lower it only for tests (as bcrypt's cost)."""
    value = os.environ.get("HMS_AUTHOR_KDF_ITERATIONS")
    if value:
        return max(MIN_ITERATIONS, min(PRODUCTION_ITERATIONS, int(value)))
    return PRODUCTION_ITERATIONS


def derive(user_id: uuid.UUID, password: str, rounds: int | None = None) -> bytes:
    """The user's signing key for this password (the server derives the same from a claim)."""
    n = rounds or iterations()
    if not MIN_ITERATIONS <= n <= MAX_ITERATIONS:
        raise ValueError("work factor out of range")
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _SALT + user_id.bytes, n)


def hash_digest(password_hash: str) -> str:
    """How a claim names the password hash it proves (the hash itself never travels in a claim)."""
    return hashlib.sha256(password_hash.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Claim:
    user_id: uuid.UUID
    password_hash: str
    password: str = field(repr=False)
    rounds: int
    place: int  # the store it was made on (``id`` of its engine): only that store seals it


_lock = threading.Lock()
_held: dict[uuid.UUID, bytes] = {}
_claims: dict[tuple[int, uuid.UUID, str], Claim] = {}
_fresh: dict[str, str] = {}


def signed_in(user_id: uuid.UUID, password: str, password_hash: str, place: object) -> None:
    """The user proved their password on the store ``place`` (its engine): hold their key and claim it."""
    rounds = iterations()
    key = derive(user_id, password, rounds)
    with _lock:
        _held[user_id] = key
        _claims[(id(place), user_id, password_hash)] = Claim(user_id, password_hash, password, rounds, id(place))


def signed_out(user_id: uuid.UUID) -> None:
    """Forget the user's key and any claim not yet sealed."""
    with _lock:
        _held.pop(user_id, None)
        for key in [k for k in _claims if k[1] == user_id]:
            del _claims[key]


def key_of(user_id: uuid.UUID | None) -> bytes | None:
    if user_id is None:
        return None
    with _lock:
        return _held.get(user_id)


def note_fresh(password_hash: str, password: str) -> None:
    """A password just hashed by a service (kept briefly, by its hash, for ``claim_fresh``)."""
    with _lock:
        _fresh[password_hash] = password
        while len(_fresh) > _FRESH_LIMIT:
            del _fresh[next(iter(_fresh))]


def claim_fresh(user_id: uuid.UUID, password_hash: str, place: object) -> bool:
    """The store ``place`` now holds ``password_hash`` for the user: claim it if it was hashed here."""
    with _lock:
        password = _fresh.pop(password_hash, None)
        if password is None:
            return False
        _claims[(id(place), user_id, password_hash)] = Claim(user_id, password_hash, password, iterations(), id(place))
        return True


def take_claims(place: object) -> list[Claim]:
    """The claims made on the store ``place`` waiting to be sealed (they leave memory: the caller seals them or
    puts them back)."""
    with _lock:
        mine = [k for k in _claims if k[0] == id(place)]
        return [_claims.pop(k) for k in mine]


def put_back(claims: list[Claim]) -> None:
    with _lock:
        for c in claims:
            _claims.setdefault((c.place, c.user_id, c.password_hash), c)


def forget_all() -> None:
    """Every key and claim of this process (tests, and the desktop when it quits)."""
    with _lock:
        _held.clear()
        _claims.clear()
        _fresh.clear()

"""Access tokens (JWT, HS256) and refresh tokens (random, stored hashed).

Access tokens: HS256 with a 32-byte secret from the key store, at most 15 minutes, ``algorithms`` fixed to
HS256 (so ``alg: none`` and algorithm confusion are refused), and ``exp``, ``iat``, ``aud``, ``typ`` required
and checked. Refresh tokens: 32 random bytes shown to the client once; the store keeps their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from hms_desktop.errors import StoreError, TokenError
from hms_desktop.security.keystore import KeyStore

ALGORITHM = "HS256"
AUDIENCE = "hms-desktop"
ACCESS_TTL = timedelta(minutes=15)
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    family_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime
    token_id: str
    audience: str
    extra: dict[str, Any]


def new_secret() -> bytes:
    return os.urandom(32)


def token_secret(keys: KeyStore | None) -> bytes:
    """The 32-byte signing secret of this store, from its key store."""
    secret = keys.get("jwt-secret") if keys is not None else None
    if not secret:
        raise StoreError("The token secret is missing from the key store; restore a backup or run `hms init`.")
    return secret


def issue_access(
    secret: bytes,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    now: datetime,
    *,
    ttl: timedelta = ACCESS_TTL,
    audience: str = AUDIENCE,
    extra: dict[str, Any] | None = None,
) -> tuple[str, datetime]:
    if ttl > ACCESS_TTL:
        raise ValueError("access tokens live at most 15 minutes")
    expires = now + ttl
    claims = {
        **(extra or {}),
        "sub": str(user_id),
        "fam": str(family_id),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "aud": audience,
        "typ": "access",
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"typ": "JWT"}), expires


def decode_access(secret: bytes, token: str, now: datetime, *, audience: str = AUDIENCE) -> AccessClaims:
    """Verify signature, algorithm, audience, expiry, issue time and type. Raises ``TokenError``."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "aud", "sub", "typ"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidAudienceError as exc:
        raise TokenError("The token is for another service.") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise TokenError("The token's algorithm is not accepted.") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenError("The token's signature is not valid.") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("The token is malformed.") from exc
    if claims.get("typ") != "access":
        raise TokenError("This is not an access token.")
    stamp = now.timestamp()
    if int(claims["exp"]) + LEEWAY_SECONDS < stamp:
        raise TokenError("The session has expired; sign in again.")
    if int(claims["iat"]) - LEEWAY_SECONDS > stamp:
        raise TokenError("The token was issued in the future; check this computer's clock.")
    if int(claims["exp"]) - int(claims["iat"]) > ACCESS_TTL.total_seconds():
        raise TokenError("The token lives longer than allowed.")
    try:
        user_id, family_id = uuid.UUID(claims["sub"]), uuid.UUID(claims["fam"])
    except (KeyError, ValueError) as exc:
        raise TokenError("The token is malformed.") from exc
    tz = now.tzinfo
    return AccessClaims(
        user_id=user_id,
        family_id=family_id,
        issued_at=datetime.fromtimestamp(int(claims["iat"]), tz),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz),
        token_id=str(claims.get("jti", "")),
        audience=str(claims["aud"]),
        extra={k: v for k, v in claims.items() if k not in {"sub", "fam", "iat", "exp", "aud", "typ", "jti"}},
    )


def new_opaque_token() -> tuple[str, str]:
    """(token for the client, SHA-256 hex for the store): 32 random bytes, URL-safe base64."""
    raw = os.urandom(32)
    token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()

"""Workstation credentials on the server: one-time enrolment codes, access and refresh tokens.

Access tokens are the identity issue's JWTs (HS256, at most 15 minutes, ``algorithms`` fixed, exp/iat/aud/typ
checked) with the workstation as subject and audience ``hms-sync``. Refresh tokens are 32 random bytes kept
as SHA-256, rotated on every use, in families; a used token coming back revokes its family, except within a
short grace when its successor was never used (the answer to the first use was lost on the way: a server
killed mid-request, a dropped connection), which rotates again instead of locking the PC out.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from db.ids import uuid7
from hms_desktop.errors import TokenError
from hms_desktop.security import tokens
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import sql_table

AUDIENCE = "hms-sync"
REFRESH_TTL = timedelta(days=90)
REUSE_GRACE = timedelta(seconds=60)
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
TOKENS = sql_table("sync_tokens")
CODES = sql_table("sync_enrolment_codes")
WORKSTATIONS = sql_table("workstations")


class RefuseAfterCommit(ApiError):
    """A refusal whose side effect (a revoked token family) must be committed before it is answered."""


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def code_hash(code: str) -> str:
    cleaned = "".join(ch for ch in str(code).upper() if ch.isalnum())
    return tokens.hash_token(cleaned)


def mint_codes(conn: Connection, count: int, now: datetime, valid_for: timedelta) -> list[str]:
    codes = [new_code() for _ in range(count)]
    conn.execute(
        CODES.insert(),
        [
            {
                "id": uuid7(),
                "code_hash": code_hash(c),
                "expires_at": now + valid_for,
                "created_at": now,
                "updated_at": now,
            }
            for c in codes
        ],
    )
    return codes


def take_code(conn: Connection, code: str, now: datetime) -> uuid.UUID:
    """Lock and check a one-time code; the same refusal for unknown, used and expired codes."""
    row = conn.execute(
        select(CODES.c.id, CODES.c.used_at, CODES.c.expires_at)
        .where(CODES.c.code_hash == code_hash(code))
        .with_for_update()
    ).first()
    if row is None or row[1] is not None or row[2] <= now:
        raise ApiError(403, "bad_code", "This enrolment code is not valid (unknown, already used or expired).")
    return uuid.UUID(str(row[0]))


def issue(
    conn: Connection,
    secret: bytes,
    clinic_id: uuid.UUID,
    workstation_id: uuid.UUID,
    now: datetime,
    *,
    family_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    family = family_id or uuid7()
    refresh, digest = tokens.new_opaque_token()
    conn.execute(
        TOKENS.insert().values(
            id=uuid7(),
            workstation_id=workstation_id,
            token_hash=digest,
            family_id=family,
            parent_id=parent_id,
            issued_at=now,
            expires_at=now + REFRESH_TTL,
            created_at=now,
            updated_at=now,
        )
    )
    access, expires = tokens.issue_access(
        secret, workstation_id, family, now, audience=AUDIENCE, extra={"clinic": str(clinic_id)}
    )
    return {
        "access_token": access,
        "access_expires_at": expires.isoformat(),
        "refresh_token": refresh,
        "refresh_expires_at": (now + REFRESH_TTL).isoformat(),
    }


def _revoke(conn: Connection, condition: Any, now: datetime, reason: str) -> None:
    conn.execute(
        update(TOKENS).where(condition, TOKENS.c.revoked_at.is_(None)).values(revoked_at=now, revoke_reason=reason)
    )


def revoke_workstation_tokens(conn: Connection, workstation_id: uuid.UUID, now: datetime) -> None:
    _revoke(conn, TOKENS.c.workstation_id == workstation_id, now, "workstation revoked")


def _workstation_ok(conn: Connection, workstation_id: uuid.UUID) -> None:
    row = conn.execute(
        select(WORKSTATIONS.c.revoked_at, WORKSTATIONS.c.deleted_at).where(WORKSTATIONS.c.id == workstation_id)
    ).first()
    if row is None or row[0] is not None or row[1] is not None:
        raise ApiError(403, "revoked", "This workstation has been revoked; an admin must enrol it again.")


def refresh(conn: Connection, secret: bytes, clinic_id: uuid.UUID, token: object, now: datetime) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise ApiError(401, "bad_token", "This session is not known; enrol the workstation again.")
    row = conn.execute(select(TOKENS).where(TOKENS.c.token_hash == tokens.hash_token(token)).with_for_update()).first()
    if row is None:
        raise ApiError(401, "bad_token", "This session is not known; enrol the workstation again.")
    t = row._mapping
    _workstation_ok(conn, t["workstation_id"])
    if t["used_at"] is not None:
        child = conn.execute(
            select(TOKENS.c.id, TOKENS.c.used_at).where(TOKENS.c.parent_id == t["id"], TOKENS.c.revoked_at.is_(None))
        ).first()
        if (
            child is not None
            and child[1] is None
            and now - t["used_at"] <= REUSE_GRACE
            and t["revoke_reason"] == "rotated"
        ):
            _revoke(conn, TOKENS.c.id == child[0], now, "lost response")
        else:
            _revoke(conn, TOKENS.c.family_id == t["family_id"], now, "reuse")
            message = "For safety this workstation's session was ended; enrol it again."
            raise RefuseAfterCommit(401, "token_reuse", message)
    elif t["revoked_at"] is not None:
        raise ApiError(401, "bad_token", "This session has ended; enrol the workstation again.")
    if t["expires_at"] <= now:
        raise ApiError(401, "bad_token", "This session has expired; enrol the workstation again.")
    conn.execute(
        update(TOKENS)
        .where(TOKENS.c.id == t["id"])
        .values(used_at=t["used_at"] or now, revoked_at=t["revoked_at"] or now, revoke_reason="rotated")
    )
    return issue(conn, secret, clinic_id, t["workstation_id"], now, family_id=t["family_id"], parent_id=t["id"])


def authenticate(conn: Connection, secret: bytes, header: str | None, now: datetime) -> uuid.UUID:
    """The workstation of a valid bearer access token whose session and workstation are still alive."""
    if not header or not header.startswith("Bearer "):
        raise ApiError(401, "no_token", "Sign-in is required (no access token).")
    try:
        claims = tokens.decode_access(secret, header[7:].strip(), now, audience=AUDIENCE)
    except TokenError as exc:
        raise ApiError(401, "bad_token", exc.message) from None
    _workstation_ok(conn, claims.user_id)
    alive = conn.execute(
        select(TOKENS.c.id)
        .where(
            TOKENS.c.family_id == claims.family_id,
            TOKENS.c.workstation_id == claims.user_id,
            TOKENS.c.revoked_at.is_(None),
            TOKENS.c.expires_at > now,
        )
        .limit(1)
    ).first()
    if alive is None:
        raise ApiError(401, "session_ended", "This workstation's session has ended; enrol it again.")
    return claims.user_id

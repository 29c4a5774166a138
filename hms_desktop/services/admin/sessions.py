"""Session tokens: issue, rotate, revoke. Building blocks for ``auth``; each takes an open transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from db.ids import uuid7
from db.models.identity import RefreshToken, User
from hms_desktop.context import Actor, Transaction
from hms_desktop.security import tokens

DESKTOP_REFRESH_TTL = timedelta(hours=12)  # one working shift; the idle lock guards the desk in between


@dataclass(frozen=True, kw_only=True)
class SessionTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    actor: Actor
    # a temporary password (a new account, an administrator's reset): nothing but changing it until it is changed
    must_change_password: bool = False


def issue(
    tx: Transaction,
    user: User,
    actor: Actor,
    *,
    family_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    ttl: timedelta = DESKTOP_REFRESH_TTL,
) -> SessionTokens:
    now = tx.ctx.clock.now()
    family = family_id or uuid7()
    refresh, digest = tokens.new_opaque_token()
    tx.session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=digest,
            family_id=family,
            parent_id=parent_id,
            workstation_id=tx.ctx.workstation.id,
            issued_at=now,
            expires_at=now + ttl,
        )
    )
    access, access_exp = tokens.issue_access(tokens.token_secret(tx.ctx.keys), user.id, family, now)
    return SessionTokens(
        access_token=access,
        access_expires_at=access_exp,
        refresh_token=refresh,
        refresh_expires_at=now + ttl,
        actor=replace(actor, session_family=family),
        must_change_password=user.must_change_password,
    )


def revoke_family(tx: Transaction, family_id: uuid.UUID, reason: str) -> int:
    return _revoke(tx, RefreshToken.family_id == family_id, reason)


def revoke_user(tx: Transaction, user_id: uuid.UUID, reason: str, *, keep_family: uuid.UUID | None = None) -> int:
    condition = RefreshToken.user_id == user_id
    if keep_family is not None:
        condition = condition & (RefreshToken.family_id != keep_family)
    return _revoke(tx, condition, reason)


def _revoke(tx: Transaction, condition: object, reason: str) -> int:
    rows = tx.session.execute(
        select(RefreshToken).where(condition, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
    ).scalars()
    count = 0
    now = tx.ctx.clock.now()
    for token in rows:
        token.revoked_at = now
        token.revoke_reason = reason
        count += 1
    return count


def family_alive(tx: Transaction, family_id: uuid.UUID) -> bool:
    now = tx.ctx.clock.now()
    return bool(
        tx.session.scalar(
            select(
                exists().where(
                    RefreshToken.family_id == family_id,
                    RefreshToken.revoked_at.is_(None),
                    RefreshToken.expires_at > now,
                )
            )
        )
    )

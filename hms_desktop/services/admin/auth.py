"""Signing in and out, session refresh, password change and password reset by email.

- Unknown account and wrong password give the same message and take the same time (a bcrypt check runs
  either way), and both count towards a lockout, so neither the answer nor the lockout tells whether an
  account exists.
- Lockout: after ``LOCK_AFTER`` consecutive failures the account waits ``1 min * 2**(n - LOCK_AFTER)``
  (capped at an hour) before the next try. Every attempt is audited.
- Refresh tokens rotate on every use; a token used twice revokes its whole family (audited as token reuse).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.identity import PasswordEmail, RefreshToken, User
from db.models.sync import SyncState
from hms_desktop.audit.trail import record
from hms_desktop.context import Actor, Context, Transaction
from hms_desktop.errors import AuthError, PermissionDenied, TokenError, ValidationError
from hms_desktop.security import author_keys, passwords, tokens
from hms_desktop.security.actors import load_actor
from hms_desktop.security.permissions import public
from hms_desktop.services.admin import sessions
from hms_desktop.services.admin.sessions import SessionTokens

LOCK_AFTER = 5
BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=1)
RESET_TTL = timedelta(minutes=30)
BAD_LOGIN = "The email or password is incorrect."
BAD_RESET = "This reset code is not valid or has expired; ask for a new one."


def lock_delay(failures: int) -> timedelta | None:
    if failures < LOCK_AFTER:
        return None
    return min(BASE_DELAY * (2 ** (failures - LOCK_AFTER)), MAX_DELAY)


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, -int(-(until - now).total_seconds() // 60))
    return f"Too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}."


def _normal_email(email: str) -> str:
    return (email or "").strip().lower()[:254]


def _unknown_failures(tx: Transaction, email: str) -> int:
    """Recent failures for an address with no account, counted from the audit trail (the same lockout
    arithmetic as for a real account, so the lockout does not reveal which addresses exist)."""
    since = tx.ctx.clock.now() - MAX_DELAY
    return int(
        tx.session.scalar(
            select(func.count()).where(
                AuditLog.action == "login_failed", AuditLog.user_email == email, AuditLog.occurred_at > since
            )
        )
        or 0
    )


@public
def login(ctx: Context, email: str, password: str) -> SessionTokens:
    address = _normal_email(email)
    anonymous = Actor(None, address or "(blank)")
    with ctx.transaction() as tx:
        tx.acting_as = anonymous
        now = ctx.clock.now()
        user = tx.session.scalar(select(User).where(User.email == address, User.deleted_at.is_(None)))
        if user is None:
            passwords.burn_equal_time(password)
            failures = _unknown_failures(tx, address) + 1
            record(
                tx, "login_failed", entity_type="users", outcome="failure", detail="unknown account", actor=anonymous
            )
            tx.commit()
            delay = lock_delay(failures)
            raise AuthError(_locked_message(now + delay, now) if delay else BAD_LOGIN)
        if user.locked_until is not None and user.locked_until > now:
            passwords.burn_equal_time(password)
            record(
                tx,
                "login_failed",
                entity_type="users",
                entity_id=user.id,
                outcome="failure",
                detail="account locked",
                actor=anonymous,
            )
            tx.commit()
            raise AuthError(_locked_message(user.locked_until, now))
        ok = passwords.verify_password(password, user.password_hash)
        if not ok or user.status != "active":
            user.failed_logins += 1
            delay = lock_delay(user.failed_logins)
            detail = "wrong password" if not ok else f"account {user.status}"
            record(
                tx,
                "login_failed",
                entity_type="users",
                entity_id=user.id,
                outcome="failure",
                detail=detail,
                actor=anonymous,
            )
            if delay:
                user.locked_until = now + delay
                record(
                    tx,
                    "lockout",
                    entity_type="users",
                    entity_id=user.id,
                    outcome="failure",
                    detail=f"locked for {int(delay.total_seconds() // 60)} min after {user.failed_logins} failures",
                    actor=anonymous,
                )
            tx.commit()
            raise AuthError(_locked_message(now + delay, now) if delay else BAD_LOGIN)
        actor = load_actor(tx.session, user)
        tx.acting_as = actor
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if passwords.needs_rehash(user.password_hash):
            user.password_hash = passwords.hash_password(password)
        author_keys.signed_in(user.id, password, user.password_hash, ctx.engine)  # signs their changes from now
        result = sessions.issue(tx, user, actor)
        record(tx, "login", entity_type="users", entity_id=user.id, actor=result.actor)
        tx.commit()
        return result


@public
def refresh(ctx: Context, refresh_token: str) -> SessionTokens:
    digest = tokens.hash_token(refresh_token or "")
    with ctx.transaction() as tx:
        now = ctx.clock.now()
        token = tx.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
        if token is None:
            raise TokenError("This session is not known; sign in again.")
        user = tx.session.get(User, token.user_id)
        who = Actor(token.user_id, user.email if user else "?")
        tx.acting_as = who
        if token.used_at is not None:
            sessions.revoke_family(tx, token.family_id, "reuse")
            record(
                tx,
                "token_reuse",
                entity_type="refresh_tokens",
                entity_id=token.id,
                outcome="failure",
                detail="a used refresh token came back; its whole family is revoked",
                actor=who,
            )
            tx.commit()
            raise TokenError("For safety this session was ended (its token was used twice); please sign in again.")
        if token.revoked_at is not None:
            raise TokenError("This session has ended; sign in again.")
        if token.expires_at <= now:
            raise TokenError("The session has expired; sign in again.")
        if user is None or user.status != "active" or user.deleted_at is not None:
            sessions.revoke_family(tx, token.family_id, "user disabled")
            tx.commit()
            raise TokenError("This account is disabled.")
        token.used_at = now
        token.revoked_at = now
        token.revoke_reason = "rotated"
        actor = load_actor(tx.session, user)
        remaining = token.expires_at - now
        result = sessions.issue(tx, user, actor, family_id=token.family_id, parent_id=token.id, ttl=remaining)
        tx.commit()
        return result


@public
def authenticate(ctx: Context, access_token: str) -> Actor:
    """The actor of a valid access token whose session is still alive (logout takes effect at once)."""
    claims = tokens.decode_access(tokens.token_secret(ctx.keys), access_token or "", ctx.clock.now())
    with ctx.transaction(readonly=True) as tx:
        user = tx.session.get(User, claims.user_id)
        if user is None or user.status != "active" or user.deleted_at is not None:
            raise TokenError("This account is disabled.")
        if not sessions.family_alive(tx, claims.family_id):
            raise TokenError("This session has ended; sign in again.")
        return load_actor(tx.session, user, claims.family_id)


@public
def logout(ctx: Context, refresh_token: str) -> None:
    digest = tokens.hash_token(refresh_token or "")
    with ctx.transaction() as tx:
        token = tx.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest))
        if token is None:
            return
        sessions.revoke_family(tx, token.family_id, "logout")
        record(tx, "logout", entity_type="users", entity_id=token.user_id)
        tx.commit()
    author_keys.signed_out(token.user_id)


@public
def change_password(ctx: Context, current: str, new: str, *, end_other_sessions: bool = True) -> int:
    """Change the signed-in user's own password; returns how many other sessions were ended."""
    if ctx.actor.user_id is None:
        raise PermissionDenied("self", "Sign in to change your password.")
    with ctx.transaction() as tx:
        user = tx.session.get(User, ctx.actor.user_id)
        if user is None:
            raise PermissionDenied("self", "Sign in to change your password.")
        if not passwords.verify_password(current, user.password_hash):
            raise ValidationError("current_password", "The current password is not right.")
        passwords.check_password_rules(new, field="new_password", email=user.email, name=user.full_name)
        if passwords.verify_password(new, user.password_hash):
            raise ValidationError("new_password", "The new password must differ from the current one.")
        user.password_hash = passwords.hash_password(new)
        user.password_changed_at = ctx.clock.now()
        user.must_change_password = False
        ended = 0
        if end_other_sessions:
            ended = sessions.revoke_user(tx, user.id, "password changed", keep_family=ctx.actor.session_family)
        record(tx, "password_change", entity_type="users", entity_id=user.id, detail=f"{ended} other sessions ended")
        tx.commit()  # signed with the key of the password it replaces: the one the server knows
    author_keys.signed_in(user.id, new, user.password_hash, ctx.engine)
    return ended


SYNCED_RESET = (
    "This PC syncs with the clinic's server, which takes a new password only from an administrator: "
    "ask one to reset yours (Admin > Users)."
)


def _no_reset_on_a_synced_pc(tx: Transaction) -> None:
    """A reset by emailed code proves nothing the sync server can check (the code never reaches it), so on an
    enrolled PC it would be refused there and undone here: refuse it up front, for every address alike."""
    if tx.session.scalar(select(SyncState.id).where(SyncState.workstation_id.is_not(None))) is not None:
        raise ValidationError("email", SYNCED_RESET)


NO_MAIL_RESET = (
    "This clinic has no email set up, so no code can be sent: ask an administrator to reset your password "
    "(Admin > Users)."
)


def _no_reset_without_mail(tx: Transaction) -> None:
    """A code sent to nowhere would sit in the queue while the user waits: say so, for every address alike (the
    answer tells nothing about which addresses have accounts)."""
    from hms_desktop.settings import clinic_settings

    if not str(clinic_settings(tx.session).get("smtp_host") or "").strip():
        raise ValidationError("email", NO_MAIL_RESET)


@public
def request_password_reset(ctx: Context, email: str) -> None:
    """Send a reset code if the address has an active account. The caller learns nothing either way."""
    from hms_desktop.services.messaging.queue import enqueue
    from hms_desktop.services.messaging.templates import render_event

    address = _normal_email(email)
    code, digest = tokens.new_opaque_token()
    with ctx.transaction() as tx:
        _no_reset_on_a_synced_pc(tx)
        _no_reset_without_mail(tx)
        now = ctx.clock.now()
        user = tx.session.scalar(select(User).where(User.email == address, User.deleted_at.is_(None)))
        tx.acting_as = Actor(user.id, user.email) if user is not None else Actor(None, address or "(blank)")
        if user is None or user.status != "active":
            record(
                tx,
                "password_reset_requested",
                entity_type="users",
                outcome="failure",
                detail="no active account for this address",
                actor=Actor(None, address or "(blank)"),
            )
            tx.commit()
            return
        for older in tx.session.scalars(
            select(PasswordEmail).where(
                PasswordEmail.user_id == user.id, PasswordEmail.used_at.is_(None), PasswordEmail.voided_at.is_(None)
            )
        ):
            older.voided_at = now
        tx.session.add(PasswordEmail(user_id=user.id, email=user.email, token_hash=digest, expires_at=now + RESET_TTL))
        values = {"full_name": user.full_name, "reset_code": code, "minutes": int(RESET_TTL.total_seconds() // 60)}
        message = render_event(tx, "password_reset", "email", values)
        enqueue(
            tx,
            channel="email",
            recipient=user.email,
            subject=message.subject,
            body=message.body,
            event_type="password_reset",
            sensitive=True,
            template_id=message.template_id,
        )
        record(tx, "password_reset_requested", entity_type="users", entity_id=user.id, actor=Actor(user.id, user.email))
        tx.commit()


@public
def reset_password(ctx: Context, code: str, new_password: str) -> None:
    digest = tokens.hash_token(code or "")
    with ctx.transaction() as tx:
        _no_reset_on_a_synced_pc(tx)
        now = ctx.clock.now()
        row = tx.session.scalar(select(PasswordEmail).where(PasswordEmail.token_hash == digest))
        if row is None or row.used_at is not None or row.voided_at is not None or row.expires_at <= now:
            if row is not None:
                record(
                    tx,
                    "password_reset",
                    entity_type="users",
                    entity_id=row.user_id,
                    outcome="failure",
                    detail="used, voided or expired code",
                    actor=Actor(row.user_id, row.email),
                )
                tx.commit()
            raise TokenError(BAD_RESET)
        user = tx.session.get(User, row.user_id)
        if user is None or user.status != "active":
            raise TokenError(BAD_RESET)
        tx.acting_as = Actor(user.id, user.email)
        passwords.check_password_rules(new_password, field="new_password", email=user.email, name=user.full_name)
        user.password_hash = passwords.hash_password(new_password)
        user.password_changed_at = now
        user.failed_logins = 0
        user.locked_until = None
        row.used_at = now
        ended = sessions.revoke_user(tx, user.id, "password reset")
        record(
            tx,
            "password_reset",
            entity_type="users",
            entity_id=user.id,
            actor=Actor(user.id, user.email),
            detail=f"{ended} sessions ended",
        )
        tx.commit()


@public
def unlock(ctx: Context, password: str) -> None:
    """Unlock the idle-locked screen of the signed-in user: their password again. Raises ``AuthError``."""
    if ctx.actor.user_id is None:
        raise PermissionDenied("self", "Nobody is signed in.")
    with ctx.transaction() as tx:
        user = tx.session.get(User, ctx.actor.user_id)
        if user is None or user.status != "active":
            raise AuthError("This account is disabled; sign in again.")
        if not passwords.verify_password(password, user.password_hash):
            record(tx, "unlock_failed", entity_type="users", entity_id=user.id, outcome="failure")
            tx.commit()
            raise AuthError("That is not your password.")
        record(tx, "unlock", entity_type="users", entity_id=user.id)
        tx.commit()

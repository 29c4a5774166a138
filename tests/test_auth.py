"""Signing in: the same answer for unknown and wrong, lockout, token rotation and reuse, forged tokens."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import bcrypt
import jwt
import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.identity import RefreshToken
from hms_desktop.clock import FixedClock
from hms_desktop.context import Context
from hms_desktop.errors import AuthError, PermissionDenied, TokenError, ValidationError
from hms_desktop.security.tokens import token_secret
from hms_desktop.services.admin import auth
from hms_desktop.services.admin.users import disable_user
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD


@pytest.fixture
def ctx(system_ctx: Context) -> Context:
    return replace(system_ctx, clock=FixedClock(datetime(2026, 11, 28, 9, 0, tzinfo=UTC)))


def audit_count(ctx: Context, action: str) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).where(AuditLog.action == action)) or 0)


def test_login_issues_tokens_that_authenticate(ctx: Context) -> None:
    session = auth.login(ctx, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)
    actor = auth.authenticate(ctx, session.access_token)
    assert actor.email == ADMIN_EMAIL and "Super Admin" in actor.roles and actor.can("roles.manage")
    assert session.access_expires_at - ctx.clock.now() <= timedelta(minutes=15)
    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    assert claims["aud"] == "hms-desktop" and claims["typ"] == "access"
    with ctx.transaction(readonly=True) as tx:
        stored = tx.session.scalars(select(RefreshToken.token_hash)).all()
    assert session.refresh_token not in stored and len(stored) == 1  # only the hash is kept
    assert audit_count(ctx, "login") == 1


def test_unknown_account_and_wrong_password_answer_alike(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = bcrypt.checkpw

    def counting(password: bytes, hashed: bytes) -> bool:
        calls.append(1)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counting)
    with pytest.raises(AuthError) as unknown:
        auth.login(ctx, "nobody@sunrise.example.in", ADMIN_PASSWORD)
    unknown_checks = len(calls)
    with pytest.raises(AuthError) as wrong:
        auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    assert unknown.value.message == wrong.value.message == auth.BAD_LOGIN
    assert unknown_checks == 1 and len(calls) == 2  # one bcrypt check on each path: similar timing
    assert audit_count(ctx, "login_failed") == 2


def test_lockout_grows_and_success_resets(ctx: Context) -> None:
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    for _ in range(4):
        with pytest.raises(AuthError, match="incorrect"):
            auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    with pytest.raises(AuthError, match="try again in 1 minute"):
        auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    with pytest.raises(AuthError, match="try again"):  # locked: even the right password waits
        auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    clock.advance(seconds=61)
    with pytest.raises(AuthError, match="try again in 2 minutes"):  # the delay doubles
        auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    clock.advance(minutes=2, seconds=1)
    auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    clock.advance(seconds=1)
    for _ in range(4):  # the count starts again after a success
        with pytest.raises(AuthError, match="incorrect"):
            auth.login(ctx, ADMIN_EMAIL, "Wrong-Password-99")
    assert audit_count(ctx, "lockout") == 2


def test_unknown_address_locks_out_the_same_way(ctx: Context) -> None:
    messages = []
    for _ in range(5):
        with pytest.raises(AuthError) as err:
            auth.login(ctx, "ghost@sunrise.example.in", "Whatever-Password-1")
        messages.append(err.value.message)
    assert messages[:4] == [auth.BAD_LOGIN] * 4 and "try again in 1 minute" in messages[4]


def test_refresh_rotates_and_reuse_revokes_the_family(ctx: Context) -> None:
    first = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    second = auth.refresh(ctx, first.refresh_token)
    assert second.refresh_token != first.refresh_token
    auth.authenticate(ctx, second.access_token)
    with pytest.raises(TokenError, match="used twice"):
        auth.refresh(ctx, first.refresh_token)  # a stolen, already-used token comes back
    with pytest.raises(TokenError):
        auth.refresh(ctx, second.refresh_token)  # the whole family is gone
    with pytest.raises(TokenError, match="ended"):
        auth.authenticate(ctx, second.access_token)
    assert audit_count(ctx, "token_reuse") == 1


def test_other_sessions_survive_a_reuse_elsewhere(ctx: Context) -> None:
    a = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    b = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    auth.refresh(ctx, a.refresh_token)
    with pytest.raises(TokenError):
        auth.refresh(ctx, a.refresh_token)
    auth.authenticate(ctx, b.access_token)


def test_expired_access_token(ctx: Context) -> None:
    session = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(minutes=16)
    with pytest.raises(TokenError, match="expired"):
        auth.authenticate(ctx, session.access_token)


def test_forged_tokens_are_refused(ctx: Context) -> None:
    session = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    none_alg = jwt.encode(claims, None, algorithm="none")
    with pytest.raises(TokenError, match="algorithm"):
        auth.authenticate(ctx, none_alg)
    wrong_key = jwt.encode(claims, b"k" * 32, algorithm="HS256")
    with pytest.raises(TokenError, match="signature"):
        auth.authenticate(ctx, wrong_key)
    other_aud = jwt.encode({**claims, "aud": "another-app"}, token_secret(ctx.keys), algorithm="HS256")
    with pytest.raises(TokenError, match="another service"):
        auth.authenticate(ctx, other_aud)
    refresh_typed = jwt.encode({**claims, "typ": "refresh"}, token_secret(ctx.keys), algorithm="HS256")
    with pytest.raises(TokenError, match="not an access token"):
        auth.authenticate(ctx, refresh_typed)
    long_lived = jwt.encode({**claims, "exp": claims["iat"] + 3600}, token_secret(ctx.keys), algorithm="HS256")
    with pytest.raises(TokenError, match="longer than allowed"):
        auth.authenticate(ctx, long_lived)
    with pytest.raises(TokenError, match="malformed"):
        auth.authenticate(ctx, "not.a.jwt")
    with pytest.raises(TokenError):
        auth.refresh(ctx, "made-up-refresh-token")


def test_logout_ends_the_session_at_once(ctx: Context) -> None:
    session = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    auth.logout(ctx, session.refresh_token)
    with pytest.raises(TokenError, match="ended"):
        auth.authenticate(ctx, session.access_token)
    with pytest.raises(TokenError):
        auth.refresh(ctx, session.refresh_token)


def test_disabling_a_user_revokes_all_their_sessions(ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("Receptionist", email="desk@sunrise.example.in")
    a = auth.login(ctx, "desk@sunrise.example.in", "Marigold-Ledger-2026")
    b = auth.login(ctx, "desk@sunrise.example.in", "Marigold-Ledger-2026")
    disable_user(ctx, user.id, "left the clinic")
    for s in (a, b):
        with pytest.raises(TokenError):
            auth.authenticate(ctx, s.access_token)
        with pytest.raises(TokenError):
            auth.refresh(ctx, s.refresh_token)
    with pytest.raises(AuthError, match="incorrect"):
        auth.login(ctx, "desk@sunrise.example.in", "Marigold-Ledger-2026")


def test_change_password_can_end_other_sessions(ctx: Context) -> None:
    here = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    there = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    me = ctx.as_actor(here.actor)
    with pytest.raises(ValidationError) as err:
        auth.change_password(me, "not my password", "Saffron-Teapot-2027")
    assert err.value.field == "current_password"
    with pytest.raises(ValidationError) as err:
        auth.change_password(me, ADMIN_PASSWORD, "password1")
    assert err.value.field == "new_password"
    assert auth.change_password(me, ADMIN_PASSWORD, "Saffron-Teapot-2027", end_other_sessions=True) == 1
    auth.authenticate(ctx, here.access_token)
    with pytest.raises(TokenError):
        auth.authenticate(ctx, there.access_token)
    auth.login(ctx, ADMIN_EMAIL, "Saffron-Teapot-2027")
    with pytest.raises(PermissionDenied):
        auth.change_password(replace(ctx, actor=replace(ctx.actor, user_id=None)), "a", "b")


def test_a_refresh_token_cannot_outlive_its_family(ctx: Context) -> None:
    first = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(hours=11)
    second = auth.refresh(ctx, first.refresh_token)
    assert second.refresh_expires_at == first.refresh_expires_at
    ctx.clock.advance(hours=2)
    with pytest.raises(TokenError, match="expired"):
        auth.refresh(ctx, second.refresh_token)


def test_session_ids_are_uuids(ctx: Context) -> None:
    session = auth.login(ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert isinstance(session.actor.session_family, uuid.UUID)

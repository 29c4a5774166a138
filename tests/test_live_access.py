"""Issue 11 finding 6: a disabled user's open window kept working (the permissions read at sign-in were
trusted). Every gated call now reads the user's standing (active, session not revoked, current roles' codes)
in the open transaction: an account disabled, a role taken away or a session ended from another context on
the same store takes effect at the user's next action, refused with nothing written and the denial audited.
And on a PC that syncs, a disable made on another PC takes effect once the pull has brought it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from db.models.audit import AuditLog
from db.models.identity import User
from db.models.patients import Patient
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied
from hms_desktop.runtime import context_for
from hms_desktop.security.live_access import DISABLED, SESSION_ENDED, SessionEnded
from hms_desktop.services.admin import auth
from hms_desktop.services.admin import users as users_svc
from hms_desktop.services.admin.users import UserInput
from hms_desktop.services.reception.patients import get_patient
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.pg import Lab
from tests.reception_fixtures import patient

PASSWORD = "Saffron-Teapot-2027"


def signed_in(ctx: Context, email: str, password: str = PASSWORD) -> Context:
    return ctx.as_actor(auth.login(ctx, email, password).actor)


def counts(ctx: Context) -> tuple[int, int]:
    with ctx.transaction(readonly=True) as tx:
        s = tx.session
        return int(s.scalar(select(func.count()).select_from(Patient)) or 0), int(
            s.scalar(select(func.count()).select_from(User)) or 0
        )


def denial_details(ctx: Context) -> list[str]:
    with ctx.transaction(readonly=True) as tx:
        q = select(AuditLog.detail).where(AuditLog.action == "permission_denied").order_by(AuditLog.seq)
        return [d or "" for d in tx.session.scalars(q)]


@contextmanager
def standing_lookups(ctx: Context) -> Iterator[list[str]]:
    """The standing queries (users joined to their roles' codes) run on the store while the block runs."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM users LEFT OUTER JOIN user_roles" in statement:
            seen.append(statement)

    event.listen(ctx.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(ctx.engine, "before_cursor_execute", note)


@pytest.fixture
def owner(system_ctx: Context) -> Context:
    """The Super Admin, signed in in a window of their own (another context over the same store)."""
    return signed_in(system_ctx, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_a_disabled_users_open_window_is_refused_at_the_next_action(
    system_ctx: Context, owner: Context, make_user
) -> None:  # type: ignore[no-untyped-def]
    office = make_user("Admin", "Receptionist", email="office@sunrise.example.in", password=PASSWORD)
    window = signed_in(system_ctx, "office@sunrise.example.in")
    patient(window, "Asha Kumar", "9845000001")  # works while the account is active
    users_svc.disable_user(owner, office.id, "left the clinic")  # the window stays open
    before, audited = counts(system_ctx), len(denial_details(system_ctx))
    with pytest.raises(SessionEnded, match="Your account was disabled; sign in again.") as err:
        patient(window, "Ravi Kumar", "9845000002")
    assert err.value.message == DISABLED
    with pytest.raises(SessionEnded):
        users_svc.create_user(window, UserInput("new.admin@sunrise.example.in", "New", PASSWORD, ["Admin"]))
    assert counts(system_ctx) == before  # no patient, no account
    new_denials = denial_details(system_ctx)[audited:]
    assert len(new_denials) == 2 and all(DISABLED in d for d in new_denials)
    # enabled again, the old window stays out: disabling ended its session
    users_svc.enable_user(owner, office.id)
    with pytest.raises(SessionEnded, match="session was ended"):
        patient(window, "Ravi Kumar", "9845000002")
    patient(signed_in(system_ctx, "office@sunrise.example.in"), "Ravi Kumar", "9845000002")  # a new sign-in works


def test_a_role_taken_away_or_given_takes_effect_at_the_next_action(
    system_ctx: Context, owner: Context, make_user
) -> None:  # type: ignore[no-untyped-def]
    clerk = make_user("Receptionist", "Cashier", email="desk@sunrise.example.in", password=PASSWORD)
    window = signed_in(system_ctx, "desk@sunrise.example.in")
    seen = patient(window, "Asha Kumar", "9845000001")
    users_svc.set_user_roles(owner, clerk.id, ["Cashier"])
    before = counts(system_ctx)
    with pytest.raises(PermissionDenied) as err:
        patient(window, "Ravi Kumar", "9845000002")
    assert not isinstance(err.value, SessionEnded) and err.value.code == "patients.create"
    assert counts(system_ctx) == before
    assert get_patient(window, seen.id).full_name == "Asha Kumar"  # Cashier still sees patients
    users_svc.set_user_roles(owner, clerk.id, ["Cashier", "Receptionist"])
    patient(window, "Ravi Kumar", "9845000002")  # given back: works without signing in again


def test_a_session_ended_elsewhere_is_refused_and_a_rotated_one_is_not(
    system_ctx: Context, owner: Context, make_user
) -> None:  # type: ignore[no-untyped-def]
    clerk = make_user("Receptionist", email="desk@sunrise.example.in", password=PASSWORD)
    tokens = auth.login(system_ctx, "desk@sunrise.example.in", PASSWORD)
    window = system_ctx.as_actor(tokens.actor)
    auth.refresh(system_ctx, tokens.refresh_token)  # rotation keeps the family alive
    patient(window, "Asha Kumar", "9845000001")
    users_svc.admin_reset_password(owner, clerk.id, "Monsoon-Lantern-2032")  # ends the user's sessions
    before = counts(system_ctx)
    with pytest.raises(SessionEnded) as err:
        patient(window, "Ravi Kumar", "9845000002")
    assert err.value.message == SESSION_ENDED and counts(system_ctx) == before
    other = signed_in(system_ctx, "desk@sunrise.example.in", "Monsoon-Lantern-2032")
    # a temporary password: set one's own first (issue 10 item 9), keeping this window
    auth.change_password(other, "Monsoon-Lantern-2032", "Cardamom-Harbour-2033", end_other_sessions=False)
    auth.logout(system_ctx, auth.login(system_ctx, "desk@sunrise.example.in", "Cardamom-Harbour-2033").refresh_token)
    patient(other, "Ravi Kumar", "9845000002")  # signing out one window leaves the other signed in


def test_one_lookup_per_call_and_none_for_nested_calls(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("Receptionist", email="desk@sunrise.example.in", password=PASSWORD)
    window = signed_in(system_ctx, "desk@sunrise.example.in")
    made = patient(window, "Asha Kumar", "9845000001")
    with standing_lookups(window) as seen:
        get_patient(window, made.id)
    assert len(seen) == 1
    with standing_lookups(window) as seen, window.transaction():
        for _ in range(3):
            get_patient(window, made.id)  # joins the open transaction: its standing is kept there
    assert len(seen) == 1
    with standing_lookups(system_ctx) as seen:
        get_patient(system_ctx, made.id)  # the system actor is not looked up
    assert seen == []


def test_a_disable_on_another_pc_takes_effect_after_the_pull(lab: Lab) -> None:
    a = lab.founder
    b = lab.new_pc("Reception 2")
    ctx_a, ctx_b = context_for(a), context_for(b)
    admin_a = signed_in(ctx_a, ADMIN_EMAIL, ADMIN_PASSWORD)
    clerk = users_svc.create_user(
        admin_a,
        UserInput("desk@sunrise.example.in", "Kavya Desk", PASSWORD, ["Receptionist"], must_change_password=False),
    )
    lab.sync(a)
    lab.sync(b)
    window_b = signed_in(ctx_b, "desk@sunrise.example.in")  # signed in on PC B, window open
    patient(window_b, "Asha Kumar", "9845000001")
    users_svc.disable_user(admin_a, clerk.id, "left the clinic")  # on PC A
    patient(window_b, "Ravi Kumar", "9845000002")  # B has not heard of it yet (offline-first)
    lab.sync(a)
    lab.sync(b)
    before = counts(ctx_b)
    with pytest.raises(SessionEnded, match="disabled"):
        patient(window_b, "Mohan Das", "9845000003")
    assert counts(ctx_b) == before

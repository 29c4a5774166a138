"""Each role's discount limit, set in Admin > Roles: typed as percent text, raised only up to the editor's own
limit (a Super Admin: any), Super Admin's own not editable, every refusal writing nothing, every change audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.identity import Role
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.security.discounts import discount_limit
from hms_desktop.security.permissions import DEFAULT_DISCOUNT_LIMITS
from hms_desktop.services.admin import roles as roles_svc
from tests.clinical_fixtures import signed_in


def role_id(ctx: Context, name: str) -> uuid.UUID:
    with ctx.transaction(readonly=True) as tx:
        found = tx.session.scalar(select(Role.id).where(Role.name == name, Role.deleted_at.is_(None)))
    assert found is not None, name
    return found


def limits(ctx: Context) -> dict[str, int]:
    with ctx.transaction(readonly=True) as tx:
        rows = tx.session.execute(select(Role.name, Role.discount_limit_basis_points)).all()
    return {str(name): int(limit) for name, limit in rows}


def counts(ctx: Context) -> tuple[int, int, int]:
    """(roles, audit rows of any kind, audited denials)."""
    with ctx.transaction(readonly=True) as tx:
        roles = tx.session.scalar(select(func.count()).select_from(Role)) or 0
        audited = tx.session.scalar(select(func.count()).select_from(AuditLog)) or 0
        denials = tx.session.scalar(select(func.count()).where(AuditLog.action == "permission_denied")) or 0
    return int(roles), int(audited), int(denials)


def user_ctx(system_ctx: Context, make_user: Any, *roles: str) -> Context:
    return signed_in(system_ctx, make_user(*roles).id)


def test_the_roles_list_shows_the_seeded_limits(system_ctx: Context) -> None:
    views = {r.name: r for r in roles_svc.list_roles(system_ctx)}
    for name, limit in DEFAULT_DISCOUNT_LIMITS.items():
        assert views[name].discount_limit_basis_points == limit
    assert views["Optical Staff"].discount_limit_text == "10"
    assert views["Receptionist"].discount_limit_basis_points == 0 and views["Receptionist"].discount_limit_text == "0"


@pytest.mark.parametrize(
    ("text", "basis_points"), [("10", 1000), ("12.5", 1250), (" 7.25 % ", 725), ("0", 0), ("100", 10000), ("0.01", 1)]
)
def test_a_limit_is_typed_as_percent_text(system_ctx: Context, make_user: Any, text: str, basis_points: int) -> None:
    role = roles_svc.create_role(system_ctx, "Senior Optician", ["optical.view"], discount_limit=text)
    assert role.discount_limit_basis_points == basis_points
    assert roles_svc.create_role(system_ctx, "Trainee", []).discount_limit_basis_points == 0  # none by default
    holder = user_ctx(system_ctx, make_user, "Senior Optician")
    with holder.transaction(readonly=True) as tx:
        assert discount_limit(tx) == basis_points  # what the optical counter will allow them


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "Enter the discount limit as a percentage, such as 10 (0: none)."),
        ("   ", "Enter the discount limit as a percentage, such as 10 (0: none)."),
        ("ten", "ten is not a discount limit"),
        ("-1", "-1 is not a discount limit"),
        ("100.01", "100.01 is not a discount limit"),
        ("12.345", "12.345 is not a discount limit"),
        ("NaN", "NaN is not a discount limit"),
        ("1e3", "1e3 is not a discount limit"),
        ("12,5", "12,5 is not a discount limit"),
    ],
)
def test_bad_limit_text_names_the_field_and_writes_nothing(system_ctx: Context, text: str, words: str) -> None:
    optical = role_id(system_ctx, "Optical Staff")
    before, stored = counts(system_ctx), limits(system_ctx)
    attempts: list[Callable[[], object]] = [
        lambda: roles_svc.update_role(system_ctx, optical, discount_limit=text, description="changed too"),
        lambda: roles_svc.create_role(system_ctx, "Counter Lead", ["optical.view"], discount_limit=text),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as err:
            attempt()
        assert err.value.field == "discount_limit" and err.value.message.startswith(words)
        assert err.value.message.endswith("such as 10 or 12.5.") or "Enter" in words
    assert counts(system_ctx) == before and limits(system_ctx) == stored
    assert all(r.description != "changed too" for r in roles_svc.list_roles(system_ctx))


def test_an_admin_raises_a_limit_only_up_to_their_own(system_ctx: Context, make_user: Any) -> None:
    admin = user_ctx(system_ctx, make_user, "Admin")  # an Admin may give 20%
    optical = role_id(system_ctx, "Optical Staff")
    assert roles_svc.update_role(admin, optical, discount_limit="20").discount_limit_basis_points == 2000
    before, stored = counts(system_ctx), limits(system_ctx)
    with pytest.raises(PermissionDenied) as err:
        roles_svc.update_role(admin, optical, discount_limit="20.01", description="bumped")
    assert err.value.message == (
        "You can raise a discount limit only up to your own, 20.00%; ask a Super Admin to give Optical Staff 20.01%."
    )
    with pytest.raises(PermissionDenied, match="only up to your own, 20.00%; ask a Super Admin to give Till 25.00%"):
        roles_svc.create_role(admin, "Till", [], discount_limit="25")
    roles_after, audited_after, denials_after = counts(system_ctx)
    assert limits(system_ctx) == stored and roles_after == before[0]  # nothing of the roles written
    assert denials_after == before[2] + 2 and audited_after == before[1] + 2  # only the two denials audited
    # lowering is always allowed, even a limit still above the editor's own
    cashier = role_id(system_ctx, "Cashier")
    assert roles_svc.update_role(admin, cashier, discount_limit="5").discount_limit_basis_points == 500
    wide = roles_svc.create_role(system_ctx, "Clinic Owner Desk", [], discount_limit="50")
    assert roles_svc.update_role(admin, wide.id, discount_limit="30").discount_limit_basis_points == 3000
    with pytest.raises(PermissionDenied, match="only up to your own"):
        roles_svc.update_role(admin, wide.id, discount_limit="35")  # a raise again, above 20%


def test_an_editor_without_a_limit_may_only_lower_one(system_ctx: Context, make_user: Any) -> None:
    roles_svc.create_role(system_ctx, "Role Keeper", ["roles.view", "roles.manage"])
    keeper = user_ctx(system_ctx, make_user, "Role Keeper")
    pharmacist = role_id(system_ctx, "Pharmacist")
    with pytest.raises(PermissionDenied, match="up to your own, 0.00%; ask a Super Admin to give Pharmacist 6.00%"):
        roles_svc.update_role(keeper, pharmacist, discount_limit="6")
    assert limits(system_ctx)["Pharmacist"] == 500
    assert roles_svc.update_role(keeper, pharmacist, discount_limit="5").discount_limit_basis_points == 500  # as is
    assert roles_svc.update_role(keeper, pharmacist, discount_limit="2.5").discount_limit_basis_points == 250


def test_a_super_admin_sets_any_limit_but_not_their_own_roles(system_ctx: Context, make_user: Any) -> None:
    boss = user_ctx(system_ctx, make_user, "Super Admin")
    optical = role_id(system_ctx, "Optical Staff")
    assert roles_svc.update_role(boss, optical, discount_limit="100").discount_limit_basis_points == 10000
    stored = limits(system_ctx)
    for ctx in (boss, system_ctx):
        with pytest.raises(Conflict, match="Super Admin is built in: it may always give any discount"):
            roles_svc.update_role(ctx, role_id(system_ctx, "Super Admin"), discount_limit="50")
    assert limits(system_ctx) == stored


def test_only_a_roles_manage_holder_changes_a_limit(system_ctx: Context, make_user: Any) -> None:
    optical = role_id(system_ctx, "Optical Staff")
    stored = limits(system_ctx)
    for role in ("Receptionist", "Optical Staff", "Cashier"):
        ctx = user_ctx(system_ctx, make_user, role)
        with pytest.raises(PermissionDenied):
            roles_svc.update_role(ctx, optical, discount_limit="5")
        with pytest.raises(PermissionDenied):
            roles_svc.create_role(ctx, f"{role} helper", [], discount_limit="0")
    assert limits(system_ctx) == stored


def test_a_limit_change_is_audited_like_any_role_edit(system_ctx: Context, make_user: Any) -> None:
    admin_user = make_user("Admin")
    admin = signed_in(system_ctx, admin_user.id)
    optical = role_id(system_ctx, "Optical Staff")
    roles_svc.update_role(admin, optical, discount_limit="15")
    again = roles_svc.update_role(admin, optical, discount_limit="15")  # a second Save changes nothing more
    assert again.discount_limit_basis_points == 1500
    with system_ctx.transaction(readonly=True) as tx:
        edits = list(
            tx.session.scalars(
                select(AuditLog).where(
                    AuditLog.entity_type == "roles", AuditLog.entity_id == str(optical), AuditLog.action == "update"
                )
            )
        )
    assert len(edits) == 1
    [edit] = edits
    assert (edit.old_values or {}).get("discount_limit_basis_points") == 1000
    assert (edit.new_values or {}).get("discount_limit_basis_points") == 1500
    assert edit.user_id == admin_user.id and edit.outcome == "success"

"""Staff accounts and roles: typed errors naming the field, no escalation, the last Super Admin kept."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from db.models.identity import Role, User, UserRole
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.admin import roles as roles_svc
from hms_desktop.services.admin import users as users_svc
from hms_desktop.services.admin.users import UserInput
from tests.conftest import ADMIN_EMAIL, actor_with_role


def count(ctx: Context, model: type) -> int:
    with ctx.transaction(readonly=True) as tx:
        return int(tx.session.scalar(select(func.count()).select_from(model)) or 0)


def admin_id(ctx: Context):  # type: ignore[no-untyped-def]
    with ctx.transaction(readonly=True) as tx:
        return tx.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))


@pytest.mark.parametrize(
    ("data", "field", "text"),
    [
        (UserInput(ADMIN_EMAIL.upper(), "Dup", "Marigold-Ledger-2026", ["Receptionist"]), "email", "already exists"),
        (UserInput("not-an-email", "X", "Marigold-Ledger-2026", ["Receptionist"]), "email", "not a valid"),
        (UserInput("a@b.in", "X", "Marigold-Ledger-2026", ["Receptionist"], phone="12345"), "phone", "10 digits"),
        (UserInput("a@b.in", "", "Marigold-Ledger-2026", ["Receptionist"]), "full_name", "required"),
        (UserInput("a@b.in", "X", "short1", ["Receptionist"]), "password", "at least 8"),
        (UserInput("a@b.in", "X", "iloveyou123", ["Receptionist"]), "password", "too common"),
        (UserInput("a@b.in", "X", "x" * 65, ["Receptionist"]), "password", "at most 64"),
        (UserInput("a@b.in", "X", "ह" * 25, ["Receptionist"]), "password", "72 bytes"),
        (UserInput("a@b.in", "X", "Marigold-Ledger-2026", ["Wizard"]), "roles", "No such role"),
        (UserInput("a@b.in", "X", "Marigold-Ledger-2026", []), "roles", "at least one role"),
    ],
)
def test_bad_user_input_names_the_field_and_writes_nothing(
    system_ctx: Context, data: UserInput, field: str, text: str
) -> None:
    before = (count(system_ctx, User), count(system_ctx, UserRole))
    with pytest.raises(ValidationError) as err:
        users_svc.create_user(system_ctx, data)
    assert err.value.field == field and text in err.value.message
    assert (count(system_ctx, User), count(system_ctx, UserRole)) == before


def test_create_user_with_roles(system_ctx: Context) -> None:
    data = UserInput(
        "Meera@Sunrise.example.in", "Meera Iyer", "Saffron-Teapot-2027", ["Receptionist", "Cashier"], "+91 98450 12345"
    )
    view = users_svc.create_user(system_ctx, data)
    assert view.email == "meera@sunrise.example.in" and view.phone == "9845012345"
    assert set(view.roles) == {"Receptionist", "Cashier"} and view.must_change_password


def test_an_admin_cannot_grant_super_admin(system_ctx: Context) -> None:
    admin = replace(system_ctx, actor=actor_with_role("Admin"))
    with pytest.raises(PermissionDenied, match="Only a Super Admin can give"):
        users_svc.create_user(admin, UserInput("x@sunrise.example.in", "X", "Saffron-Teapot-2027", ["Super Admin"]))
    users_svc.create_user(admin, UserInput("y@sunrise.example.in", "Y", "Saffron-Teapot-2027", ["Receptionist"]))


def test_the_last_super_admin_stays(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    only = admin_id(system_ctx)
    with pytest.raises(Conflict, match="last Super Admin"):
        users_svc.disable_user(system_ctx, only)
    with pytest.raises(Conflict, match="last Super Admin"):
        users_svc.set_user_roles(system_ctx, only, ["Admin"])
    second = make_user("Super Admin")
    users_svc.set_user_roles(system_ctx, only, ["Admin"])  # now allowed: another Super Admin exists
    with pytest.raises(Conflict, match="last Super Admin"):
        users_svc.disable_user(system_ctx, second.id)


def test_roles_create_edit_delete(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    role = roles_svc.create_role(system_ctx, "Front Office Lead", ["patients.view", "appointments.create"])
    assert role.permissions == {"patients.view", "appointments.create"}
    with pytest.raises(ValidationError) as err:
        roles_svc.create_role(system_ctx, "front office lead", [])
    assert err.value.field == "name"
    with pytest.raises(ValidationError) as err:
        roles_svc.create_role(system_ctx, "Other", ["patients.fly"])
    assert err.value.field == "permissions"
    updated = roles_svc.update_role(system_ctx, role.id, permissions=["patients.view"])
    assert updated.permissions == {"patients.view"}
    user = make_user("Front Office Lead")
    with pytest.raises(Conflict, match="still given to 1 user"):
        roles_svc.delete_role(system_ctx, role.id)
    users_svc.set_user_roles(system_ctx, user.id, ["Receptionist"])
    roles_svc.delete_role(system_ctx, role.id)
    assert "Front Office Lead" not in {r.name for r in roles_svc.list_roles(system_ctx)}
    roles_svc.create_role(system_ctx, "Front Office Lead", ["patients.view"])  # the name is free again


def test_built_in_super_admin_role_is_protected(system_ctx: Context) -> None:
    with system_ctx.transaction(readonly=True) as tx:
        sa_id = tx.session.scalar(select(Role.id).where(Role.name == "Super Admin"))
    with pytest.raises(Conflict):
        roles_svc.update_role(system_ctx, sa_id, permissions=["patients.view"])
    with pytest.raises(Conflict):
        roles_svc.delete_role(system_ctx, sa_id)


def test_a_role_cannot_be_given_rights_the_editor_lacks(system_ctx: Context) -> None:
    lead = replace(system_ctx, actor=replace(actor_with_role("Receptionist"), permissions=frozenset({"roles.manage"})))
    with pytest.raises(PermissionDenied):
        roles_svc.create_role(lead, "Sneaky", ["users.manage"])
    with pytest.raises(PermissionDenied, match="do not hold yourself: patients.view"):
        roles_svc.create_role(lead, "Desk helper", ["patients.view"])  # no longer: every code added must be held
    roles_svc.create_role(lead, "Role editors", ["roles.manage"])


def test_default_roles_are_seeded(system_ctx: Context) -> None:
    names = {r.name for r in roles_svc.list_roles(system_ctx)}
    assert names == {
        "Super Admin", "Admin", "Receptionist", "Nurse", "Doctor", "Pharmacist", "Optical Staff",
        "Lab Technician", "Cashier", "Inventory Manager", "Insurance Desk",
    }  # fmt: skip

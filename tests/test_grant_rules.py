"""Issue 11 finding 8: an Admin could give themselves every permission. Each attack of the review, through the
services as a signed-in user, is refused with nothing written and its denial audited; the legitimate paths
(an Admin staffing the clinic, a Super Admin doing everything) still work; and the pure rules of
``security.grant_rules`` (which the sync server applies to pushed rows too), one by one."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.identity import Role, RolePermission, User, UserRole
from hms_desktop.context import Context
from hms_desktop.errors import PermissionDenied
from hms_desktop.security.grant_rules import (
    Holder,
    account_change_refusal,
    password_reset_refusal,
    role_assignment_refusal,
    role_edit_refusal,
    role_name_refusal,
)
from hms_desktop.security.permissions import CATALOGUE, DEFAULT_ROLES, PRIVILEGED, SUPER_ADMIN
from hms_desktop.services.admin import auth
from hms_desktop.services.admin import roles as roles_svc
from hms_desktop.services.admin import users as users_svc
from hms_desktop.services.admin.auth import change_password
from hms_desktop.services.admin.users import UserInput
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

PASSWORD = "Saffron-Teapot-2027"


def signed_in(ctx: Context, email: str, password: str = PASSWORD) -> Context:
    """The context of a real sign-in (the actor the desktop's window holds)."""
    return ctx.as_actor(auth.login(ctx, email, password).actor)


def snapshot(ctx: Context) -> tuple[object, ...]:
    """Everything the attacks could write: users and their hashes, roles, links, live links."""
    with ctx.transaction(readonly=True) as tx:
        s = tx.session
        return (
            sorted((u.email, u.status, u.password_hash) for u in s.scalars(select(User))),
            sorted(r.name for r in s.scalars(select(Role).where(Role.deleted_at.is_(None)))),
            s.scalar(select(func.count()).select_from(RolePermission).where(RolePermission.deleted_at.is_(None))),
            s.scalar(select(func.count()).select_from(UserRole).where(UserRole.deleted_at.is_(None))),
        )


def denials(ctx: Context) -> list[str]:
    with ctx.transaction(readonly=True) as tx:
        return [
            r.detail or ""
            for r in tx.session.scalars(
                select(AuditLog).where(AuditLog.action == "permission_denied").order_by(AuditLog.seq)
            )
        ]


def role_id(ctx: Context, name: str) -> uuid.UUID:
    with ctx.transaction(readonly=True) as tx:
        found = tx.session.scalar(select(Role.id).where(Role.name == name))
    assert found is not None
    return found


def refused(ctx: Context, call, match: str) -> None:  # type: ignore[no-untyped-def]
    """``call()`` raises PermissionDenied matching ``match``, writes nothing, and leaves one denial row."""
    before, audited = snapshot(ctx), len(denials(ctx))
    with pytest.raises(PermissionDenied, match=match) as err:
        call()
    assert snapshot(ctx) == before
    assert denials(ctx)[audited:] == [err.value.message]


@pytest.fixture
def office(system_ctx: Context, make_user) -> Context:  # type: ignore[no-untyped-def]
    """A signed-in Admin (the clinic's office manager)."""
    make_user("Admin", email="office@sunrise.example.in", password=PASSWORD)
    return signed_in(system_ctx, "office@sunrise.example.in")


# --- the attacks of the review


def test_an_admin_cannot_make_an_all_codes_role_nor_give_it_to_themselves(system_ctx: Context, office: Context) -> None:
    refused(office, lambda: roles_svc.create_role(office, "Everything", list(CATALOGUE)), "do not hold yourself")
    # a Super Admin made such a role; the Admin can give it neither to themselves nor to anyone else
    roles_svc.create_role(system_ctx, "Everything", list(CATALOGUE))
    me = office.actor.user_id
    assert me is not None
    refused(office, lambda: users_svc.set_user_roles(office, me, ["Admin", "Everything"]), "your own roles")
    other = users_svc.create_user(office, UserInput("desk@sunrise.example.in", "Desk", PASSWORD, ["Receptionist"]))
    refused(office, lambda: users_svc.set_user_roles(office, other.id, ["Everything"]), "do not hold all")
    refused(
        office,
        lambda: users_svc.create_user(office, UserInput("y@sunrise.example.in", "Y", PASSWORD, ["Everything"])),
        "do not hold all",
    )
    # even a role of codes the Admin holds: not to themselves
    roles_svc.create_role(office, "Reports", ["reports.view", "reports.export"])
    refused(office, lambda: users_svc.set_user_roles(office, me, ["Admin", "Reports"]), "your own roles")


def test_an_admin_cannot_demote_another_super_admin_nor_take_over_their_account(
    system_ctx: Context, office: Context, make_user
) -> None:  # type: ignore[no-untyped-def]
    boss = make_user(SUPER_ADMIN, email="owner@sunrise.example.in", password=PASSWORD, name="Clinic Owner")
    only_admin = "Only a Super Admin can change a Super Admin's account"
    refused(office, lambda: users_svc.set_user_roles(office, boss.id, ["Admin"]), only_admin)
    refused(office, lambda: users_svc.set_user_roles(office, boss.id, [SUPER_ADMIN, "Admin"]), only_admin)
    refused(office, lambda: users_svc.admin_reset_password(office, boss.id, "Monsoon-Lantern-2032"), only_admin)
    refused(office, lambda: users_svc.disable_user(office, boss.id), only_admin)
    refused(office, lambda: users_svc.update_user(office, boss.id, full_name="Not The Owner"), only_admin)
    # nor make a new one, nor make one of an existing account
    clerk = users_svc.create_user(office, UserInput("desk@sunrise.example.in", "Desk", PASSWORD, ["Receptionist"]))
    refused(
        office,
        lambda: users_svc.set_user_roles(office, clerk.id, [SUPER_ADMIN]),
        "Only a Super Admin can give or take away",
    )
    signed_in(system_ctx, "owner@sunrise.example.in")  # the owner's password still works


def test_a_roles_manager_cannot_add_rights_to_their_own_role(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    roles_svc.create_role(system_ctx, "Role Keeper", ["roles.manage", "roles.view"])
    make_user("Role Keeper", email="keeper@sunrise.example.in", password=PASSWORD)
    keeper = signed_in(system_ctx, "keeper@sunrise.example.in")
    own = role_id(system_ctx, "Role Keeper")
    grab = ["roles.manage", "roles.view", "refunds.approve", "billing.cancel", "patients.delete"]
    refused(keeper, lambda: roles_svc.update_role(keeper, own, permissions=grab), "you hold this role yourself")
    # nor to a role they do not hold (they do not hold those rights), nor in a new role
    cashier = role_id(system_ctx, "Cashier")
    more = [*DEFAULT_ROLES["Cashier"][1], "refunds.approve", "billing.cancel"]
    refused(keeper, lambda: roles_svc.update_role(keeper, cashier, permissions=more), "billing.cancel, refunds.approve")
    refused(keeper, lambda: roles_svc.create_role(keeper, "Grab", ["patients.delete"]), "patients.delete")
    # nor give a role a default role's name (a system role may be given by any users.manage holder), nor rename one
    roles_svc.update_role(system_ctx, role_id(system_ctx, "Pharmacist"), name="Dispensary")
    spare = roles_svc.create_role(keeper, "Spare", [])
    refused(keeper, lambda: roles_svc.update_role(keeper, spare.id, name="Pharmacist"), "only a Super Admin")
    refused(keeper, lambda: roles_svc.create_role(keeper, "Pharmacist", []), "only a Super Admin")
    refused(keeper, lambda: roles_svc.update_role(keeper, cashier, name="Till"), "only a Super Admin")
    # taking a right away from another role grants nothing: allowed
    fewer = sorted(DEFAULT_ROLES["Cashier"][1] - {"billing.payment"})
    assert roles_svc.update_role(keeper, cashier, permissions=fewer).permissions == frozenset(fewer)


# --- the legitimate paths


def test_an_admin_staffs_the_clinic_with_the_default_roles(system_ctx: Context, office: Context) -> None:
    desk = users_svc.create_user(office, UserInput("desk@sunrise.example.in", "Kavya Desk", PASSWORD, ["Receptionist"]))
    doctor = users_svc.create_user(office, UserInput("dr.rao@sunrise.example.in", "Dr Rao", PASSWORD, ["Doctor"]))
    assert desk.roles == ("Receptionist",) and doctor.roles == ("Doctor",)
    assert set(users_svc.set_user_roles(office, desk.id, ["Receptionist", "Cashier"]).roles) == {
        "Receptionist",
        "Cashier",
    }
    users_svc.update_user(office, doctor.id, phone="9845012345")
    users_svc.admin_reset_password(office, desk.id, "Monsoon-Lantern-2032")
    users_svc.disable_user(office, doctor.id)
    users_svc.enable_user(office, doctor.id)
    # an Admin gives another Admin (it holds the Admin role's rights over the system)
    other = users_svc.create_user(office, UserInput("office2@sunrise.example.in", "Second", PASSWORD, ["Admin"]))
    assert other.roles == ("Admin",)


def test_a_super_admin_does_everything(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = signed_in(system_ctx, ADMIN_EMAIL, ADMIN_PASSWORD)
    every = roles_svc.create_role(owner, "Everything", list(CATALOGUE))
    assert every.permissions == frozenset(CATALOGUE)
    second = make_user(SUPER_ADMIN, email="owner2@sunrise.example.in", password=PASSWORD)
    assert set(users_svc.set_user_roles(owner, second.id, ["Admin", "Everything"]).roles) == {"Admin", "Everything"}
    users_svc.set_user_roles(owner, second.id, [SUPER_ADMIN])
    users_svc.admin_reset_password(owner, second.id, "Monsoon-Lantern-2032")
    users_svc.update_user(owner, second.id, full_name="Second Owner")
    users_svc.disable_user(owner, second.id)
    users_svc.enable_user(owner, second.id)
    # a Super Admin edits a role they hold (Admin, given to themselves by another Super Admin) and renames defaults
    assert owner.actor.user_id is not None
    again = signed_in(system_ctx, "owner2@sunrise.example.in", "Monsoon-Lantern-2032")
    change_password(again, "Monsoon-Lantern-2032", "Cardamom-Harbour-2033")  # a temporary password: theirs first
    users_svc.set_user_roles(again, owner.actor.user_id, [SUPER_ADMIN, "Admin"])
    admin_role = role_id(system_ctx, "Admin")
    assert (
        "billing.cancel"
        in roles_svc.update_role(
            owner, admin_role, permissions=[*DEFAULT_ROLES["Admin"][1], "billing.cancel"]
        ).permissions
    )
    assert roles_svc.update_role(owner, role_id(system_ctx, "Nurse"), name="Staff Nurse").name == "Staff Nurse"
    # but nobody changes their own roles, nor the Super Admin role
    refused(owner, lambda: users_svc.set_user_roles(owner, owner.actor.user_id, [SUPER_ADMIN]), "your own roles")  # type: ignore[arg-type]


# --- the pure rules

ME, OTHER = uuid.UUID(int=1), uuid.UUID(int=2)
ADMIN = Holder(ME, frozenset({"Admin"}), frozenset(DEFAULT_ROLES["Admin"][1]))
SUPER = Holder(ME, frozenset({SUPER_ADMIN}), frozenset(CATALOGUE))
SYSTEM = Holder(None, frozenset({"System"}), frozenset({"*"}))
ROLES = {name: (name == SUPER_ADMIN, frozenset(codes)) for name, (_, codes) in DEFAULT_ROLES.items()}
ROLES["Everything"] = (False, frozenset(CATALOGUE))
ROLES["Reports"] = (False, frozenset({"reports.view"}))


def test_role_edit_rule() -> None:
    none: frozenset[str] = frozenset()
    assert role_edit_refusal(ADMIN, "Front", False, none, frozenset({"reports.view"})) is None
    assert "do not hold yourself: billing.cancel" in (
        role_edit_refusal(ADMIN, "Front", False, none, frozenset({"billing.cancel", "reports.view"})) or ""
    )
    assert role_edit_refusal(ADMIN, "Cashier", False, frozenset({"billing.cancel"}), none) is None  # taking away
    assert "yourself" in (role_edit_refusal(ADMIN, "Admin", False, frozenset(), frozenset({"reports.view"})) or "")
    assert "yourself" in (role_edit_refusal(ADMIN, "Admin", False, frozenset({"reports.view"}), none) or "")
    assert role_edit_refusal(SUPER, "Everything", False, none, frozenset(CATALOGUE)) is None
    assert role_edit_refusal(SUPER.__class__(ME, frozenset({SUPER_ADMIN, "Admin"}), SUPER.permissions), "Admin",
                             True, none, frozenset({"billing.cancel"})) is None  # fmt: skip
    assert "cannot be changed" in (role_edit_refusal(SUPER, SUPER_ADMIN, True, frozenset(CATALOGUE), none) or "")
    assert role_edit_refusal(SYSTEM, SUPER_ADMIN, True, none, frozenset(CATALOGUE)) is None  # set-up
    assert role_edit_refusal(ADMIN, "Admin", False, frozenset({"x.y"}), frozenset({"x.y"})) is None  # no change


def test_role_name_rule() -> None:
    assert role_name_refusal(ADMIN, None, "Night Desk") is None
    assert role_name_refusal(ADMIN, "Night Desk", "Evening Desk") is None
    assert "only a Super Admin" in (role_name_refusal(ADMIN, None, "Doctor") or "")
    assert "only a Super Admin" in (role_name_refusal(ADMIN, "Doctor", "Physician") or "")
    assert role_name_refusal(SUPER, "Doctor", "Physician") is None


def test_role_assignment_rule() -> None:
    none: frozenset[str] = frozenset()

    def refusal(actor: Holder, after: set[str], before: frozenset[str] = none, target: uuid.UUID = OTHER) -> str:
        return role_assignment_refusal(actor, target, SUPER_ADMIN in before, before, frozenset(after), ROLES) or ""

    for job in ("Receptionist", "Doctor", "Nurse", "Pharmacist", "Cashier", "Lab Technician", "Admin"):
        assert refusal(ADMIN, {job}) == "", job  # system roles: their privileged codes are held
    assert "do not hold all" in refusal(ADMIN, {"Everything"})
    assert refusal(ADMIN, {"Reports"}) == ""  # a custom role of codes the Admin holds
    assert "own roles" in refusal(ADMIN, {"Admin", "Reports"}, frozenset({"Admin"}), ME)
    assert "own roles" in refusal(SUPER, {SUPER_ADMIN, "Everything"}, frozenset({SUPER_ADMIN}), ME)
    assert "Super Admin's account" in refusal(ADMIN, {"Admin"}, frozenset({SUPER_ADMIN}))
    assert "give or take away" in refusal(ADMIN, {SUPER_ADMIN})
    assert refusal(ADMIN, {"Receptionist"}, frozenset({"Receptionist", "Everything"})) == ""  # taking away
    desk = Holder(ME, frozenset({"Staffing"}), frozenset({"users.manage"}))  # users.manage alone
    assert refusal(desk, {"Receptionist"}) == ""
    assert "rights over the system you do not (audit.verify, audit.view, roles.manage" in refusal(desk, {"Admin"})
    assert "No such role: Ghost" in refusal(ADMIN, {"Ghost"})
    assert refusal(SUPER, {SUPER_ADMIN}, frozenset({"Admin"})) == ""
    assert refusal(SYSTEM, {SUPER_ADMIN}) == ""
    doctor = {"Doctor": (False, frozenset(DEFAULT_ROLES["Doctor"][1]))}  # a system role by name, whatever its flag
    assert role_assignment_refusal(ADMIN, OTHER, False, none, frozenset({"Doctor"}), doctor) is None
    assert (
        role_assignment_refusal(ADMIN, OTHER, False, none, frozenset({"Doctor"}), {"Doctor": (True, frozenset())})
        is None
    )


def test_account_change_and_password_reset_rules() -> None:
    assert account_change_refusal(ADMIN, OTHER, False) is None
    assert "Only a Super Admin" in (account_change_refusal(ADMIN, OTHER, True) or "")
    assert account_change_refusal(SUPER, OTHER, True) is None
    assert password_reset_refusal(ADMIN, OTHER, False, frozenset(DEFAULT_ROLES["Doctor"][1])) is None
    desk = Holder(ME, frozenset({"Staffing"}), frozenset({"users.manage"}))
    assert "more rights over the system" in (password_reset_refusal(desk, OTHER, False, frozenset(PRIVILEGED)) or "")
    assert "Only a Super Admin" in (password_reset_refusal(ADMIN, OTHER, True, frozenset()) or "")

"""Staff accounts: create, list, roles, disable and enable, password reset by an administrator.

The rules of ``security.grant_rules``, applied to the acting user's roles and codes as they are now:

- nobody changes their own roles; only a Super Admin gives or takes away the Super Admin role, or changes
  anything of a Super Admin's account (roles, name and phone, disable/enable, password reset);
- a custom role is given only by someone who holds every code of it; a default (system) role, such as
  Receptionist or Doctor, by anyone with ``users.manage`` who holds its rights over the system (so an Admin
  staffs the clinic without holding clinical rights);
- a password reset needs the resetter to hold the target's rights over the system.

A refusal raises ``PermissionDenied`` with the rule's sentence, is audited as a denial, and writes nothing.
The last active Super Admin can be neither disabled nor stripped of the role.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from db.ids import uuid7
from db.models.identity import Role, User, UserRole
from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.links import set_links
from hms_desktop.security import passwords
from hms_desktop.security.actors import role_names, role_names_of
from hms_desktop.security.grant_rules import (
    Holder,
    account_change_refusal,
    holder_of,
    password_reset_refusal,
    role_assignment_refusal,
)
from hms_desktop.security.live_access import current_actor
from hms_desktop.security.permissions import SUPER_ADMIN, deny, requires
from hms_desktop.services.admin import sessions
from hms_desktop.services.admin.roles import role_codes_of
from hms_desktop.validation import clean_email, clean_mobile, clean_text


@dataclass(frozen=True)
class UserInput:
    email: str
    full_name: str
    password: str
    roles: Sequence[str]
    phone: str = ""
    must_change_password: bool = True


@dataclass(frozen=True, kw_only=True)
class UserView:
    id: uuid.UUID
    email: str
    full_name: str
    phone: str
    status: str
    roles: tuple[str, ...]
    last_login_at: datetime | None
    locked_until: datetime | None
    must_change_password: bool


def _view(user: User, roles: list[str]) -> UserView:
    return UserView(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        phone=user.phone,
        status=user.status,
        roles=tuple(roles),
        last_login_at=user.last_login_at,
        locked_until=user.locked_until,
        must_change_password=user.must_change_password,
    )


def _view_of(tx: Transaction, user: User) -> UserView:
    return _view(user, role_names(tx.session, user.id))


def _user(tx: Transaction, user_id: uuid.UUID) -> User:
    user = tx.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("No such user.")
    return user


def _roles_by_name(tx: Transaction, names: Sequence[str]) -> list[Role]:
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not wanted:
        raise ValidationError("roles", "Give the user at least one role.")
    found = {
        r.name: r for r in tx.session.scalars(select(Role).where(Role.name.in_(wanted), Role.deleted_at.is_(None)))
    }
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValidationError("roles", f"No such role: {', '.join(missing)}.")
    return [found[n] for n in wanted]


def holder(tx: Transaction) -> Holder:
    """The acting user as the grant rules see them: their roles and codes now, in ``tx``."""
    return holder_of(current_actor(tx))


def _may_assign(tx: Transaction, user_id: uuid.UUID, before: Sequence[Role], after: Sequence[Role]) -> None:
    """Refuse (audited) a change of ``user_id``'s roles from ``before`` to ``after`` that the rules forbid."""
    named = {r.id: r for r in [*before, *after]}
    codes = role_codes_of(tx, list(named))
    roles = {r.name: (r.is_system, frozenset(codes.get(r.id, ()))) for r in named.values()}
    old = frozenset(r.name for r in before)
    refusal = role_assignment_refusal(
        holder(tx), user_id, SUPER_ADMIN in old, old, frozenset(r.name for r in after), roles
    )
    if refusal is not None:
        deny(tx, "users.manage", refusal)


def _may_change(tx: Transaction, user: User) -> None:
    refusal = account_change_refusal(holder(tx), user.id, SUPER_ADMIN in role_names(tx.session, user.id))
    if refusal is not None:
        deny(tx, "users.manage", refusal)


def _roles_of(tx: Transaction, user_id: uuid.UUID) -> list[Role]:
    return list(
        tx.session.scalars(
            select(Role)
            .join(UserRole, UserRole.role_id == Role.id)
            .where(UserRole.user_id == user_id, UserRole.deleted_at.is_(None), Role.deleted_at.is_(None))
        )
    )


def active_super_admins(tx: Transaction) -> int:
    return int(
        tx.session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .join(Role, Role.id == UserRole.role_id)
            .where(
                Role.name == SUPER_ADMIN,
                User.status == "active",
                User.deleted_at.is_(None),
                UserRole.deleted_at.is_(None),
            )
        )
        or 0
    )


def _set_roles(tx: Transaction, user: User, roles: Sequence[Role]) -> None:
    links = tx.session.scalars(select(UserRole).where(UserRole.user_id == user.id))
    set_links(
        tx, links, lambda ur: ur.role_id, {r.id for r in roles}, lambda rid: UserRole(user_id=user.id, role_id=rid)
    )


@requires("users.manage")
def create_user(ctx: Context, data: UserInput) -> UserView:
    email = clean_email(data.email)
    name = clean_text(data.full_name, "full_name", label="Name")
    phone = clean_mobile(data.phone, required=False)
    passwords.check_password_rules(data.password, email=email, name=name)
    with ctx.transaction() as tx:
        if tx.session.scalar(select(User.id).where(func.lower(User.email) == email)):
            raise ValidationError("email", "A user with this email already exists.")
        roles = _roles_by_name(tx, data.roles)
        new_id = uuid7()
        _may_assign(tx, new_id, [], roles)
        user = User(
            id=new_id,
            email=email,
            full_name=name,
            phone=phone,
            password_hash=passwords.hash_password(data.password),
            must_change_password=data.must_change_password,
            password_changed_at=ctx.clock.now(),
        )
        tx.session.add(user)
        tx.session.flush()
        _set_roles(tx, user, roles)
        view = _view_of(tx, user)
        tx.commit()
        return view


@requires("users.view")
def list_users(ctx: Context, *, include_disabled: bool = True) -> list[UserView]:
    with ctx.transaction(readonly=True) as tx:
        q = select(User).where(User.deleted_at.is_(None)).order_by(User.full_name)
        if not include_disabled:
            q = q.where(User.status == "active")
        found = list(tx.session.scalars(q))
        roles = role_names_of(tx.session, [u.id for u in found])
        return [_view(u, roles.get(u.id, [])) for u in found]


@requires("users.manage")
def set_user_roles(ctx: Context, user_id: uuid.UUID, roles: Sequence[str]) -> UserView:
    with ctx.transaction() as tx:
        user = _user(tx, user_id)
        new_roles = _roles_by_name(tx, roles)
        old_roles = _roles_of(tx, user.id)
        _may_assign(tx, user.id, old_roles, new_roles)
        was_super = SUPER_ADMIN in {r.name for r in old_roles}
        if was_super and SUPER_ADMIN not in {r.name for r in new_roles} and user.status == "active":
            if active_super_admins(tx) <= 1:
                raise Conflict("This is the last Super Admin; make someone else Super Admin first.")
        _set_roles(tx, user, new_roles)
        view = _view_of(tx, user)
        tx.commit()
        return view


@requires("users.manage")
def update_user(
    ctx: Context, user_id: uuid.UUID, *, full_name: str | None = None, phone: str | None = None
) -> UserView:
    with ctx.transaction() as tx:
        user = _user(tx, user_id)
        _may_change(tx, user)
        if full_name is not None:
            user.full_name = clean_text(full_name, "full_name", label="Name")
        if phone is not None:
            user.phone = clean_mobile(phone, required=False)
        view = _view_of(tx, user)
        tx.commit()
        return view


@requires("users.manage")
def disable_user(ctx: Context, user_id: uuid.UUID, reason: str = "") -> UserView:
    with ctx.transaction() as tx:
        user = _user(tx, user_id)
        _may_change(tx, user)
        if user.status == "disabled":
            raise Conflict("This user is already disabled.")
        if SUPER_ADMIN in role_names(tx.session, user.id) and active_super_admins(tx) <= 1:
            raise Conflict("This is the last Super Admin; it cannot be disabled.")
        user.status = "disabled"
        ended = sessions.revoke_user(tx, user.id, "user disabled")
        record(
            tx,
            "user_disabled",
            entity_type="users",
            entity_id=user.id,
            detail=f"{reason[:200]} ({ended} sessions ended)",
        )
        view = _view_of(tx, user)
        tx.commit()
        return view


@requires("users.manage")
def enable_user(ctx: Context, user_id: uuid.UUID) -> UserView:
    with ctx.transaction() as tx:
        user = _user(tx, user_id)
        _may_change(tx, user)
        user.status = "active"
        user.failed_logins = 0
        user.locked_until = None
        view = _view_of(tx, user)
        tx.commit()
        return view


@requires("users.manage")
def admin_reset_password(ctx: Context, user_id: uuid.UUID, new_password: str) -> UserView:
    """Set a temporary password; the user must change it at the next sign-in. Ends the user's sessions."""
    with ctx.transaction() as tx:
        user = _user(tx, user_id)
        their_roles = _roles_of(tx, user.id)
        codes = role_codes_of(tx, [r.id for r in their_roles])
        refusal = password_reset_refusal(
            holder(tx),
            user.id,
            SUPER_ADMIN in {r.name for r in their_roles},
            frozenset(c for r in their_roles for c in codes.get(r.id, ())),
        )
        if refusal is not None:
            deny(tx, "users.manage", refusal)
        passwords.check_password_rules(new_password, email=user.email, name=user.full_name)
        user.password_hash = passwords.hash_password(new_password)
        user.must_change_password = True
        user.password_changed_at = ctx.clock.now()
        user.failed_logins = 0
        user.locked_until = None
        ended = sessions.revoke_user(tx, user.id, "password reset by admin")
        record(
            tx,
            "password_reset",
            entity_type="users",
            entity_id=user.id,
            detail=f"by administrator; {ended} sessions ended",
        )
        view = _view_of(tx, user)
        tx.commit()
        return view

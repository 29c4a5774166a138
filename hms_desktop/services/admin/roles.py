"""Roles and their permissions: list, create, edit the permission set, rename, delete when unused.

The rules of ``security.grant_rules``, applied to the editor's roles and codes as they are now: every code a
role gains must be held by its editor (a Super Admin holds all); nobody but a Super Admin changes the codes of
a role they hold themselves; the Super Admin role is not editable; only a Super Admin renames a default role or
gives a role a default role's name. A refusal raises ``PermissionDenied`` with the rule's sentence, is audited as
a denial, and writes nothing. Taking codes away is allowed to any ``roles.manage`` holder, their own roles aside.

Each role carries a discount limit (``discount_limit_basis_points``, 0..10000 of a line's price; a user may give
the largest of their roles': ``security.discounts``). It is typed as percent text ("10", "12.5"; 0 to 100, at
most 2 decimals: ``taxes.rate_basis_points``); bad text is a ``ValidationError`` on ``discount_limit``, before
anything is read or written. A ``roles.manage`` holder may lower any role's limit, and raise one up to their own
limit (``discounts.discount_limit``, read now); above it only a Super Admin (or the system) may: a
``PermissionDenied`` audited as a denial. Super Admin's limit is not editable (it may always give any
discount). The change is audited as a row edit of ``roles``, like any other edit of a role.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from db.models.identity import Permission, Role, RolePermission, User, UserRole
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.links import set_links
from hms_desktop.security import discounts
from hms_desktop.security.grant_rules import (
    Holder,
    discount_limit_refusal,
    holder_of,
    role_edit_refusal,
    role_name_refusal,
)
from hms_desktop.security.live_access import current_actor
from hms_desktop.security.permissions import CATALOGUE, deny, requires
from hms_desktop.services.admin.taxes import rate_basis_points
from hms_desktop.validation import clean_text


@dataclass(frozen=True, kw_only=True)
class RoleView:
    id: uuid.UUID
    name: str
    description: str
    is_system: bool
    permissions: frozenset[str]
    user_count: int
    discount_limit_basis_points: int  # 1000 = 10% of a line's price

    @property
    def discount_limit_text(self) -> str:
        """The limit as an admin types it: "10", "12.5", "0"."""
        return format(Decimal(self.discount_limit_basis_points).scaleb(-2).normalize(), "f")


def parse_discount_limit(text: str) -> int:
    """``"10"`` -> 1000, ``"12.5"`` -> 1250, ``"0"`` -> 0 (``taxes.rate_basis_points``, in a limit's words)."""
    if not str(text).strip():
        raise ValidationError("discount_limit", "Enter the discount limit as a percentage, such as 10 (0: none).")
    try:
        return rate_basis_points(text, "discount_limit")
    except ValidationError:
        raise ValidationError(
            "discount_limit",
            f"{str(text).strip()} is not a discount limit: enter a percentage from 0 to 100 with at most 2 decimals,"
            " such as 10 or 12.5.",
        ) from None


def role_codes_of(tx: Transaction, role_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    """The permission codes of each of ``role_ids``, in one query (a role without any is left out)."""
    rows = tx.session.execute(
        select(RolePermission.role_id, Permission.code)
        .join(Permission, Permission.id == RolePermission.permission_id)
        .where(RolePermission.role_id.in_(role_ids), RolePermission.deleted_at.is_(None))
    )
    codes: dict[uuid.UUID, set[str]] = {}
    for role_id, code in rows:
        codes.setdefault(role_id, set()).add(code)
    return codes


def _user_counts(tx: Transaction, role_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many users hold each of ``role_ids``, in one query (a role nobody holds is left out)."""
    rows = tx.session.execute(
        select(UserRole.role_id, func.count())
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role_id.in_(role_ids), UserRole.deleted_at.is_(None), User.deleted_at.is_(None))
        .group_by(UserRole.role_id)
    )
    return {role_id: int(n) for role_id, n in rows}


def _views(tx: Transaction, roles: list[Role]) -> list[RoleView]:
    ids = [r.id for r in roles]
    codes, users = role_codes_of(tx, ids), _user_counts(tx, ids)
    return [
        RoleView(
            id=r.id,
            name=r.name,
            description=r.description,
            is_system=r.is_system,
            permissions=frozenset(codes.get(r.id, ())),
            user_count=users.get(r.id, 0),
            discount_limit_basis_points=r.discount_limit_basis_points,
        )
        for r in roles
    ]


def _role(tx: Transaction, role_id: uuid.UUID) -> Role:
    role = tx.session.get(Role, role_id)
    if role is None or role.deleted_at is not None:
        raise NotFound("No such role.")
    return role


def _clean_codes(codes: Iterable[str]) -> frozenset[str]:
    wanted = {c.strip() for c in codes if c.strip()}
    unknown = sorted(wanted - CATALOGUE.keys())
    if unknown:
        raise ValidationError("permissions", f"Unknown permission: {', '.join(unknown)}.")
    return frozenset(wanted)


def _editor(tx: Transaction) -> Holder:
    return holder_of(current_actor(tx))


def _may_edit(tx: Transaction, role_name: str, is_system: bool, before: frozenset[str], after: frozenset[str]) -> None:
    refusal = role_edit_refusal(_editor(tx), role_name, is_system, before, after)
    if refusal is not None:
        deny(tx, "roles.manage", refusal)


def _may_name(tx: Transaction, old_name: str | None, new_name: str) -> None:
    refusal = role_name_refusal(_editor(tx), old_name, new_name)
    if refusal is not None:
        deny(tx, "roles.manage", refusal)


def _may_set_limit(tx: Transaction, role_name: str, before: int, after: int) -> None:
    """Raising a limit above the editor's own needs a Super Admin (``grant_rules.discount_limit_refusal``)."""
    if after <= before:
        return
    refusal = discount_limit_refusal(_editor(tx), discounts.discount_limit(tx), role_name, before, after)
    if refusal is not None:
        deny(tx, "roles.manage", refusal)


def _unique_name(tx: Transaction, name: str, own_id: uuid.UUID | None = None) -> str:
    clean = clean_text(name, "name", label="Role name", max_len=64)
    clash = tx.session.scalar(select(Role).where(func.lower(Role.name) == clean.lower()))
    if clash is not None and clash.id != own_id:
        if clash.deleted_at is None:
            raise ValidationError("name", f"A role named {clean} already exists.")
        clash.name = f"{clash.name} (deleted {clash.id.hex[:6]})"  # free the name of a deleted role
        tx.session.flush()
    return clean


def _apply_codes(tx: Transaction, role: Role, codes: frozenset[str]) -> None:
    perms = {p.code: p.id for p in tx.session.scalars(select(Permission))}
    links = tx.session.scalars(select(RolePermission).where(RolePermission.role_id == role.id))
    set_links(
        tx,
        links,
        lambda rp: rp.permission_id,
        {perms[c] for c in codes},
        lambda pid: RolePermission(role_id=role.id, permission_id=pid),
    )


@requires("roles.view")
def list_roles(ctx: Context) -> list[RoleView]:
    with ctx.transaction(readonly=True) as tx:
        return _views(tx, list(tx.session.scalars(select(Role).where(Role.deleted_at.is_(None)).order_by(Role.name))))


@requires("roles.manage")
def create_role(
    ctx: Context, name: str, permissions: Iterable[str], description: str = "", discount_limit: str = "0"
) -> RoleView:
    codes = _clean_codes(permissions)
    limit = parse_discount_limit(discount_limit)
    with ctx.transaction() as tx:
        clean = _unique_name(tx, name)
        _may_name(tx, None, clean)
        _may_edit(tx, clean, False, frozenset(), codes)
        _may_set_limit(tx, clean, 0, limit)
        role = Role(
            name=clean,
            description=clean_text(description, "description", label="Description", required=False, max_len=300),
            discount_limit_basis_points=limit,
        )
        tx.session.add(role)
        tx.session.flush()
        _apply_codes(tx, role, codes)
        [view] = _views(tx, [role])
        tx.commit()
        return view


@requires("roles.manage")
def update_role(
    ctx: Context,
    role_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    permissions: Iterable[str] | None = None,
    discount_limit: str | None = None,
) -> RoleView:
    codes = _clean_codes(permissions) if permissions is not None else None
    limit = parse_discount_limit(discount_limit) if discount_limit is not None else None
    with ctx.transaction() as tx:
        role = _role(tx, role_id)
        if role.is_system and (codes is not None or name is not None):
            raise Conflict(f"{role.name} is built in: it always holds every permission and keeps its name.")
        if role.is_system and limit is not None:
            raise Conflict(f"{role.name} is built in: it may always give any discount.")
        if limit is not None:
            _may_set_limit(tx, role.name, role.discount_limit_basis_points, limit)
        if codes is not None:
            before = frozenset(role_codes_of(tx, [role.id]).get(role.id, ()))
            _may_edit(tx, role.name, role.is_system, before, codes)
        if name is not None:
            clean = _unique_name(tx, name, role.id)
            _may_name(tx, role.name, clean)
            role.name = clean
        if description is not None:
            role.description = clean_text(description, "description", label="Description", required=False, max_len=300)
        if codes is not None:
            _apply_codes(tx, role, codes)
        if limit is not None:
            role.discount_limit_basis_points = limit
        [view] = _views(tx, [role])
        tx.commit()
        return view


@requires("roles.manage")
def delete_role(ctx: Context, role_id: uuid.UUID) -> None:
    with ctx.transaction() as tx:
        role = _role(tx, role_id)
        if role.is_system:
            raise Conflict(f"{role.name} is built in and cannot be deleted.")
        users = _user_counts(tx, [role.id]).get(role.id, 0)
        if users:
            raise Conflict(f"{role.name} is still given to {users} user{'s' if users > 1 else ''}; take it away first.")
        now = ctx.clock.now()
        for link in tx.session.scalars(select(RolePermission).where(RolePermission.role_id == role.id)):
            link.deleted_at = link.deleted_at or now
        role.deleted_at = now
        tx.commit()

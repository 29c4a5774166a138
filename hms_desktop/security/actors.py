"""Who a user is to the services: their active roles and the permission codes those roles grant."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.identity import Permission, Role, RolePermission, User, UserRole
from hms_desktop.context import Actor


def role_names(session: Session, user_id: uuid.UUID) -> list[str]:
    return role_names_of(session, [user_id]).get(user_id, [])


def role_names_of(session: Session, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The active role names of each of ``user_ids``, by name, in one query (a user without roles is left out)."""
    rows = session.execute(
        select(UserRole.user_id, Role.name)
        .join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id.in_(user_ids), UserRole.deleted_at.is_(None), Role.deleted_at.is_(None))
        .order_by(Role.name)
    )
    names: dict[uuid.UUID, list[str]] = {}
    for user_id, name in rows:
        names.setdefault(user_id, []).append(name)
    return names


def permission_codes(session: Session, user_id: uuid.UUID) -> frozenset[str]:
    rows = session.execute(
        select(Permission.code)
        .join(RolePermission, RolePermission.permission_id == Permission.id)
        .join(UserRole, UserRole.role_id == RolePermission.role_id)
        .join(Role, Role.id == UserRole.role_id)
        .where(
            UserRole.user_id == user_id,
            UserRole.deleted_at.is_(None),
            RolePermission.deleted_at.is_(None),
            Role.deleted_at.is_(None),
        )
    ).scalars()
    return frozenset(rows)


def load_actor(session: Session, user: User, family_id: uuid.UUID | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        email=user.email,
        roles=tuple(role_names(session, user.id)),
        permissions=permission_codes(session, user.id),
        session_family=family_id,
    )

"""Who a user is to the services: their active roles and the permission codes those roles grant."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.identity import Permission, Role, RolePermission, User, UserRole
from hms_desktop.context import Actor


def role_names(session: Session, user_id: uuid.UUID) -> list[str]:
    rows = session.execute(
        select(Role.name)
        .join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user_id, UserRole.deleted_at.is_(None), Role.deleted_at.is_(None))
        .order_by(Role.name)
    ).scalars()
    return list(rows)


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

"""Who may do what: users, roles, permissions, sessions, password resets (spec Phase 0)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TrackedMixin, one_of

USER_STATUSES = ("active", "disabled")


class User(TrackedMixin, Base):
    """A member of staff. ``email`` is stored lower-cased; the password only as a bcrypt hash.

    Lockout state lives on the row: ``failed_logins`` counts consecutive failures and ``locked_until``
    holds the end of the current delay.
    """

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # sign-in bookkeeping of this PC (``info["local"]``): not an edit of the user (updated_at/by stay as they
    # are) and never synced (``hms_desktop.sync.policy.LOCAL_COLUMNS``)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, info={"local": True})
    locked_until: Mapped[datetime | None] = mapped_column(info={"local": True})
    last_login_at: Mapped[datetime | None] = mapped_column(info={"local": True})
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        one_of("status", USER_STATUSES),
        CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
        CheckConstraint("length(full_name) > 0", name="full_name_not_empty"),
    )


class Role(TrackedMixin, Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")
    is_system: Mapped[bool] = mapped_column(Boolean, default=False)
    # The largest discount a holder of this role may give on an order or invoice line, in basis points of its
    # price (1000 = 10%); a user with several roles has the largest of them.
    discount_limit_basis_points: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("discount_limit_basis_points BETWEEN 0 AND 10000", name="discount_limit_in_range"),
    )


class Permission(TrackedMixin, Base):
    """A permission code ``area.action`` (``patients.create``, ``billing.refund``)."""

    __tablename__ = "permissions"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    area: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(300), default="")

    __table_args__ = (CheckConstraint("code LIKE '%_._%'", name="code_is_area_action"),)


class UserRole(TrackedMixin, Base):
    __tablename__ = "user_roles"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), index=True)

    __table_args__ = (UniqueConstraint("user_id", "role_id"),)


class RolePermission(TrackedMixin, Base):
    __tablename__ = "role_permissions"

    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), index=True)
    permission_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("permissions.id"), index=True)

    __table_args__ = (UniqueConstraint("role_id", "permission_id"),)


class RefreshToken(TrackedMixin, Base):
    """A refresh token, stored only as the SHA-256 of its 32 random bytes.

    Tokens form families: each use rotates to a new token of the same family (``parent_id`` links them);
    presenting an already-used token revokes the whole family.
    """

    __tablename__ = "refresh_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refresh_tokens.id"))
    workstation_id: Mapped[uuid.UUID | None]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (CheckConstraint("expires_at > issued_at", name="expires_after_issue"),)


class PasswordEmail(TrackedMixin, Base):
    """A password-reset token sent by email: SHA-256 of 32 random bytes, single use, 30-minute expiry."""

    __tablename__ = "password_emails"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]

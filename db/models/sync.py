"""Workstations: each PC running the app over its own store (needed by audit now, by sync later).

Not one of the spec's 62 tables: the audit trail names the workstation of every action, and the sync issue
joins workstations through a central server.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TrackedMixin


class Workstation(TrackedMixin, Base):
    """A PC of the clinic. ``is_local`` marks the one this store belongs to."""

    __tablename__ = "workstations"

    name: Mapped[str] = mapped_column(String(100))
    short_code: Mapped[str] = mapped_column(String(8), unique=True)
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]

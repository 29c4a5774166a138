"""Reading the clinic's settings inside a service's transaction: shared machinery below every domain.

``clinic_settings(session)`` is every setting (the defaults with the stored values over them); the services
that edit settings (``services.admin.hospital``) check ``settings.manage`` and validate; readers here check
nothing because the service that calls them has checked its own permission.

Both ``current_hospital`` and ``clinic_settings`` are read once per session (a session lives for one
transaction) and remembered in ``session.info``: a service that reads them several times (an optical order: its
date, its code series, its tax rules, its view) pays for one read. The memory is dropped whenever the session
writes a ``hospitals`` or ``hospital_settings`` row (at each flush that holds one, and before a read while such a
write is still pending), and at every rollback, so a transaction that edits settings reads its own edits and a
rolled-back savepoint leaves nothing of its own remembered.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from db.models.hospital import Hospital, HospitalSetting
from hms_desktop.context import Context
from hms_desktop.errors import NotFound
from hms_desktop.security.permissions import requires
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.settings_rules import LOGO_KEY, SMTP_PASSWORD_KEY, readable_value

__all__ = ["LOGO_KEY", "SMTP_PASSWORD_KEY", "SmtpConfig", "clinic_settings", "current_hospital", "setting_blob",
           "smtp_settings"]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class SmtpConfig:
    """!! CARRIES A SECRET !! What the mail worker needs to send: server, port, TLS mode, login, sender.

    ``password`` comes from the key store. Hand this object to the SMTP client only: never log, print,
    audit, serialise or show it (its repr leaves the password out).
    """

    host: str
    port: int
    tls: str
    user: str
    from_addr: str
    password: str | None = field(default=None, repr=False)


_HOSPITAL = "hms_current_hospital"
_SETTINGS = "hms_clinic_settings"


def _touches_settings(objects: Iterable[object]) -> bool:
    return any(isinstance(o, (Hospital, HospitalSetting)) for o in objects)


def _pending_settings_write(session: Session) -> bool:
    return _touches_settings(session.new) or _touches_settings(session.dirty) or _touches_settings(session.deleted)


@event.listens_for(Session, "before_flush")
def _forget_on_write(session: Session, _context: object, _instances: object) -> None:
    if _pending_settings_write(session):
        session.info.pop(_HOSPITAL, None)
        session.info.pop(_SETTINGS, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous: object) -> None:
    """A rolled-back savepoint may take a remembered write with it: read again (a service's savepoint also puts
    back the ``session.info`` it found, ``context.Transaction._leave``, which was right before it began)."""
    session.info.pop(_HOSPITAL, None)
    session.info.pop(_SETTINGS, None)


def current_hospital(session: Session) -> Hospital:
    """The clinic's hospital row (other services use it for ``hospital_id``)."""
    found = session.info.get(_HOSPITAL)
    if isinstance(found, Hospital) and not _pending_settings_write(session):
        return found
    found = session.scalars(
        select(Hospital).where(Hospital.deleted_at.is_(None)).order_by(Hospital.created_at).limit(1)
    ).first()
    if found is None:
        raise NotFound("The clinic is not set up yet (there is no hospital record).")
    session.info[_HOSPITAL] = found
    return found


def _setting_rows(session: Session, hospital_id: uuid.UUID) -> dict[str, HospitalSetting]:
    rows = session.scalars(
        select(HospitalSetting).where(HospitalSetting.hospital_id == hospital_id, HospitalSetting.deleted_at.is_(None))
    )
    return {row.key: row for row in rows}


def _merged(rows: dict[str, HospitalSetting]) -> dict[str, Any]:
    """The defaults with the stored values over them, each as its rule reads it; a stored value that breaks
    its rule (one that reached a store before the sync checked settings) is not read: its default stands."""
    result = deepcopy(DEFAULT_SETTINGS)
    for key in DEFAULT_SETTINGS:
        row = rows.get(key)
        value = readable_value(key, row.value) if row is not None else None
        if value is not None:
            result[key] = deepcopy(value)
    return result


def clinic_settings(session: Session) -> dict[str, Any]:
    """All settings, read inside another service's transaction (that service has checked its own permission).
    A copy each time: a caller may change what it is given."""
    known = session.info.get(_SETTINGS)
    if known is None or _pending_settings_write(session):
        known = session.info[_SETTINGS] = _merged(_setting_rows(session, current_hospital(session).id))
    return deepcopy(known)


def setting_blob(session: Session, hospital_id: uuid.UUID, key: str) -> bytes | None:
    """A binary setting (the logo), read inside another service's transaction."""
    row = _setting_rows(session, hospital_id).get(key)
    return row.blob if row is not None else None


def _read_settings(ctx: Context) -> dict[str, Any]:
    with ctx.transaction(readonly=True) as tx:
        return clinic_settings(tx.session)


@requires("notifications.send")
def smtp_settings(ctx: Context) -> SmtpConfig:
    """The mail worker's settings, password included (see ``SmtpConfig``: it carries a secret)."""
    settings = _read_settings(ctx)
    secret = ctx.keys.get(SMTP_PASSWORD_KEY) if ctx.keys is not None else None
    return SmtpConfig(
        host=settings["smtp_host"],
        port=int(settings["smtp_port"]),
        tls=settings["smtp_tls"],
        user=settings["smtp_user"],
        from_addr=settings["smtp_from"],
        password=secret.decode("utf-8") if secret is not None else None,
    )

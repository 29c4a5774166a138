"""The clinic's departments (OPD, ENT, Ophthalmology, ...).

A department is never removed: ``deactivate_department`` sets ``is_active`` to False, so the records that
name it keep their meaning. Codes and names stay unique among all of the clinic's departments, inactive
ones included (names compared without regard to case).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.hospital import Department
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.settings import current_hospital
from hms_desktop.validation import clean_text


@dataclass(frozen=True, kw_only=True)
class DepartmentView:
    id: uuid.UUID
    code: str
    name: str
    description: str
    is_active: bool


def _view(d: Department) -> DepartmentView:
    return DepartmentView(id=d.id, code=d.code, name=d.name, description=d.description, is_active=d.is_active)


def clean_code(value: object) -> str:
    """2 to 16 letters A-Z or digits; lower case is accepted and upper-cased (``ent`` -> ``ENT``)."""
    text = value.strip().upper() if isinstance(value, str) and value.isascii() else ""
    if not re.fullmatch(r"[A-Z0-9]{2,16}", text):
        raise ValidationError("code", "A department code has 2 to 16 letters or digits, for example OPD or ENT2.")
    return text


def _clean_name(value: object) -> str:
    return clean_text(value if isinstance(value, str) else None, "name", label="Department name", max_len=120)


def _clean_description(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError("description", "The description must be text.")
    return clean_text(value, "description", label="Description", required=False, max_len=500)


def _check_unique(
    session: Session, hospital_id: uuid.UUID, code: str, name: str, exclude: uuid.UUID | None = None
) -> None:
    query = select(Department).where(Department.hospital_id == hospital_id)
    if exclude is not None:
        query = query.where(Department.id != exclude)
    for other in session.scalars(query):
        inactive = "" if other.is_active else " (inactive)"
        if other.code == code:
            raise ValidationError("code", f"The code {code} is already used by {other.name}{inactive}.")
        if other.name.casefold() == name.casefold():
            raise ValidationError("name", f"A department named {other.name}{inactive} already exists.")


def _get(session: Session, hospital_id: uuid.UUID, department_id: uuid.UUID) -> Department:
    found = session.scalars(
        select(Department).where(
            Department.id == department_id, Department.hospital_id == hospital_id, Department.deleted_at.is_(None)
        )
    ).first()
    if found is None:
        raise NotFound("That department does not exist (it may have been removed on another PC).")
    return found


@requires("settings.view")
def list_departments(ctx: Context, include_inactive: bool = False) -> list[DepartmentView]:
    with ctx.transaction(readonly=True) as tx:
        hospital_id = current_hospital(tx.session).id
        query = select(Department).where(Department.hospital_id == hospital_id, Department.deleted_at.is_(None))
        if not include_inactive:
            query = query.where(Department.is_active.is_(True))
        return [_view(d) for d in tx.session.scalars(query.order_by(Department.name))]


@requires("settings.manage")
def create_department(ctx: Context, code: str, name: str, description: str = "") -> DepartmentView:
    values = {"code": clean_code(code), "name": _clean_name(name), "description": _clean_description(description)}
    with ctx.transaction() as tx:
        hospital_id = current_hospital(tx.session).id
        _check_unique(tx.session, hospital_id, values["code"], values["name"])
        dept = Department(hospital_id=hospital_id, is_active=True, **values)
        tx.session.add(dept)
        tx.flush()
        view = _view(dept)
        tx.commit()
    return view


@requires("settings.manage")
def update_department(
    ctx: Context,
    department_id: uuid.UUID,
    *,
    code: str | None = None,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> DepartmentView:
    """Change the fields given (None leaves a field as it is); ``is_active=True`` brings a department back."""
    new_code = clean_code(code) if code is not None else None
    new_name = _clean_name(name) if name is not None else None
    new_description = _clean_description(description) if description is not None else None
    if is_active is not None and not isinstance(is_active, bool):
        raise ValidationError("is_active", "Choose whether the department is active.")
    with ctx.transaction() as tx:
        hospital_id = current_hospital(tx.session).id
        dept = _get(tx.session, hospital_id, department_id)
        code_after = new_code if new_code is not None else dept.code
        name_after = new_name if new_name is not None else dept.name
        _check_unique(tx.session, hospital_id, code_after, name_after, exclude=dept.id)
        for attr, value in (
            ("code", code_after),
            ("name", name_after),
            ("description", new_description),
            ("is_active", is_active),
        ):
            if value is not None and getattr(dept, attr) != value:
                setattr(dept, attr, value)
        tx.flush()
        view = _view(dept)
        tx.commit()
    return view


@requires("settings.manage")
def deactivate_department(ctx: Context, department_id: uuid.UUID) -> DepartmentView:
    """Retire a department (kept, marked inactive). Deactivating an inactive department changes nothing."""
    with ctx.transaction() as tx:
        dept = _get(tx.session, current_hospital(tx.session).id, department_id)
        if dept.is_active:
            dept.is_active = False
            tx.flush()
        view = _view(dept)
        tx.commit()
    return view

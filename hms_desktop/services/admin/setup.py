"""First set-up of a clinic: the permission catalogue, default roles, this workstation, the hospital and the
first Super Admin, in one transaction (so a failed set-up leaves nothing behind)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from db.models.hospital import Hospital, HospitalSetting
from db.models.identity import Permission, Role, RolePermission, User, UserRole
from db.models.sync import Workstation
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.passwords import check_password_rules, hash_password
from hms_desktop.security.permissions import CATALOGUE, DEFAULT_DISCOUNT_LIMITS, DEFAULT_ROLES, SUPER_ADMIN, requires
from hms_desktop.settings_defaults import DEFAULT_SETTINGS
from hms_desktop.validation import (
    clean_contact_phone,
    clean_email,
    clean_gstin,
    clean_mobile,
    clean_pincode,
    clean_state_code,
    clean_text,
)


@dataclass(frozen=True)
class HospitalInput:
    name: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    state_code: str | None = None
    pincode: str = ""
    licence_number: str = ""
    phone: str = ""
    email: str = ""
    gstin: str | None = None


@dataclass(frozen=True)
class AdminInput:
    email: str
    full_name: str
    password: str
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class SetupResult:
    hospital_id: uuid.UUID
    admin_user_id: uuid.UUID
    workstation_id: uuid.UUID


def hospital_values(data: HospitalInput) -> dict[str, object]:
    """Validated, normalised hospital fields (shared with the settings service)."""
    gstin = clean_gstin(data.gstin)
    state_code = clean_state_code(data.state_code) or (gstin[:2] if gstin else None)
    if gstin and state_code and gstin[:2] != state_code:
        raise ValidationError("gstin", "The GSTIN's state code does not match the hospital's state.")
    return {
        "name": clean_text(data.name, "name", label="Hospital name"),
        "address_line1": clean_text(data.address_line1, "address_line1", label="Address", required=False),
        "address_line2": clean_text(data.address_line2, "address_line2", label="Address", required=False),
        "city": clean_text(data.city, "city", label="City", required=False, max_len=100),
        "state": clean_text(data.state, "state", label="State", required=False, max_len=100),
        "state_code": state_code,
        "pincode": clean_pincode(data.pincode),
        "licence_number": clean_text(
            data.licence_number, "licence_number", label="Licence", required=False, max_len=64
        ),
        "phone": clean_contact_phone(data.phone),
        "email": clean_email(data.email, required=False),
        "gstin": gstin,
    }


def validate_setup(hospital: HospitalInput, admin: AdminInput) -> None:
    """Check every field before anything is created (``hms init`` calls this before making the store)."""
    hospital_values(hospital)
    email = clean_email(admin.email)
    clean_text(admin.full_name, "full_name", label="Name")
    clean_mobile(admin.phone, required=False)
    check_password_rules(admin.password, email=email, name=admin.full_name)


@requires("settings.manage")
def initialize_clinic(
    ctx: Context, hospital: HospitalInput, admin: AdminInput, *, workstation_name: str = "Workstation 1"
) -> SetupResult:
    validate_setup(hospital, admin)
    with ctx.transaction() as tx:
        s = tx.session
        if s.scalar(select(func.count()).select_from(Hospital)):
            raise Conflict("This store is already set up.")
        ws_id = ctx.workstation.id or uuid.uuid4()
        s.add(
            Workstation(id=ws_id, name=workstation_name, short_code="WS01", is_local=True, enrolled_at=ctx.clock.now())
        )
        perms = {
            code: Permission(code=code, area=code.split(".")[0], description=desc) for code, desc in CATALOGUE.items()
        }
        s.add_all(perms.values())
        roles = {}
        for name, (description, _codes) in DEFAULT_ROLES.items():
            roles[name] = Role(
                name=name,
                description=description,
                is_system=name == SUPER_ADMIN,
                discount_limit_basis_points=DEFAULT_DISCOUNT_LIMITS.get(name, 0),
            )
            s.add(roles[name])
        s.flush()
        for name, (_, codes) in DEFAULT_ROLES.items():
            s.add_all(RolePermission(role_id=roles[name].id, permission_id=perms[c].id) for c in sorted(codes))
        h = Hospital(**hospital_values(hospital))
        s.add(h)
        s.flush()
        for key, value in DEFAULT_SETTINGS.items():
            s.add(HospitalSetting(hospital_id=h.id, key=key, value=value))
        user = User(
            email=clean_email(admin.email),
            full_name=clean_text(admin.full_name, "full_name", label="Name"),
            phone=clean_mobile(admin.phone, required=False),
            password_hash=hash_password(admin.password),
            password_changed_at=ctx.clock.now(),
        )
        s.add(user)
        s.flush()
        s.add(UserRole(user_id=user.id, role_id=roles[SUPER_ADMIN].id))
        tx.commit()
        return SetupResult(hospital_id=h.id, admin_user_id=user.id, workstation_id=ws_id)

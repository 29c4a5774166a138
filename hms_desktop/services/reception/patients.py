"""Registration: patients with validated details, possible duplicates shown first, codes from id_sequences.

Aadhaar is one optional ID among others and is never kept whole: a full number is checked and reduced to
``XXXX XXXX 1234`` before it reaches the store.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from db.models.patients import BLOOD_GROUPS, GENDERS, ID_TYPES, PRIORITY_GROUPS, Patient
from hms_desktop.audit.trail import record
from hms_desktop.clinic_time import age_on, local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import PATIENTS, Series, next_code
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import (
    clean_email,
    clean_mobile,
    clean_pincode,
    clean_state_code,
    clean_text,
    mask_aadhaar,
    redact_aadhaar,
)

MAX_AGE = 130


@dataclass(frozen=True)
class PatientInput:
    full_name: str
    gender: str = "U"
    date_of_birth: date | None = None
    age_years: int | None = None  # when the date of birth is not known
    phone: str = ""
    alternate_phone: str = ""
    email: str = ""
    blood_group: str = "unknown"
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    state_code: str | None = None
    pincode: str = ""
    emergency_contact_name: str = ""
    emergency_contact_phone: str = ""
    emergency_contact_relation: str = ""
    id_type: str = "none"
    id_number: str = ""
    priority_group: str | None = None
    notes: str = ""
    photo: bytes | None = None
    photo_mime: str | None = None


@dataclass(frozen=True, kw_only=True)
class PatientView:
    id: uuid.UUID
    code: str
    full_name: str
    gender: str
    date_of_birth: date | None
    dob_is_approximate: bool
    age: int | None
    phone: str | None
    alternate_phone: str | None
    email: str | None
    blood_group: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    state_code: str | None
    pincode: str
    emergency_contact_name: str
    emergency_contact_phone: str
    emergency_contact_relation: str
    id_type: str
    id_number_masked: str | None
    priority_group: str | None
    notes: str
    has_photo: bool


@dataclass(frozen=True, kw_only=True)
class DuplicateCandidate:
    id: uuid.UUID
    code: str
    full_name: str
    phone: str | None
    date_of_birth: date | None
    reason: str


class PossibleDuplicates(Conflict):
    """Patients that may be the same person; shown before saving. Save again with ``allow_duplicates``."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        names = ", ".join(f"{c.full_name} ({c.code})" for c in candidates[:3])
        super().__init__(f"This may be a patient already registered: {names}.")
        self.candidates = candidates


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode() or name
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _same_word(short: str, full: str) -> bool:
    """One word of a name standing for another: the same word, or its initial ("s" for "shankar")."""
    return short == full or (len(short) == 1 and full.startswith(short)) or (len(full) == 1 and short.startswith(full))


def _abbreviates(shorter: list[str], longer: list[str]) -> bool:
    """Every word of ``shorter``, in order, is a word of ``longer`` or its initial (middle names may be
    dropped), and at least one is a whole word: "Ravi S Iyer" and "R Shankar Iyer" for "Ravi Shankar Iyer"."""
    i, whole = 0, False
    for word in shorter:
        while i < len(longer) and not _same_word(word, longer[i]):
            i += 1
        if i == len(longer):
            return False
        whole = whole or (len(word) > 1 and word == longer[i])
        i += 1
    return whole


def similar_names(a: str, b: str) -> bool:
    x, y = normalise_name(a), normalise_name(b)
    if not x or not y:
        return False
    if x == y or set(x.split()) <= set(y.split()) or set(y.split()) <= set(x.split()):
        return True
    xs, ys = x.split(), y.split()
    shorter, longer = (xs, ys) if len(xs) <= len(ys) else (ys, xs)
    if _abbreviates(shorter, longer):
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= 0.85


def _free_text(value: str, field: str, label: str, max_len: int = 200) -> str:
    """Free text with any Aadhaar-shaped number masked before it can reach the store."""
    return redact_aadhaar(clean_text(value, field, label=label, required=False, max_len=max_len))


def _clean(data: PatientInput, today: date) -> dict[str, object]:
    name = clean_text(data.full_name, "full_name", label="Name")
    if not re.search(r"[^\W\d_]", name):
        raise ValidationError("full_name", "A name needs letters.")
    if data.gender not in GENDERS:
        raise ValidationError("gender", "Choose male, female, other or not stated.")
    if data.blood_group not in BLOOD_GROUPS:
        raise ValidationError("blood_group", f"{data.blood_group} is not a blood group.")
    dob, approximate = data.date_of_birth, False
    if dob is not None:
        if dob > today:
            raise ValidationError("date_of_birth", "The date of birth is in the future.")
        if age_on(dob, today) > MAX_AGE:
            raise ValidationError("date_of_birth", f"The date of birth is more than {MAX_AGE} years ago.")
    elif data.age_years is not None:
        if not 0 <= data.age_years <= MAX_AGE:
            raise ValidationError("age_years", f"Age must be between 0 and {MAX_AGE}.")
        dob, approximate = _birthday_years_ago(today, data.age_years), True
    if data.id_type not in ID_TYPES:
        raise ValidationError("id_type", f"{data.id_type} is not an ID type.")
    masked: str | None = None
    last4: str | None = None
    if data.id_type == "aadhaar":
        result = mask_aadhaar(data.id_number, "id_number")
        if result is None:
            raise ValidationError("id_number", "Give the Aadhaar number (or its last 4 digits).")
        masked, last4 = result
    elif data.id_type != "none" and data.id_number.strip():
        raw = re.sub(r"\s", "", data.id_number).upper()
        if not re.fullmatch(r"[A-Z0-9/-]{4,20}", raw):
            raise ValidationError("id_number", "The ID number has letters and digits only (4 to 20).")
        masked = "X" * (len(raw) - 4) + raw[-4:]
    if data.priority_group is not None and data.priority_group not in PRIORITY_GROUPS:
        raise ValidationError("priority_group", f"{data.priority_group} is not a priority group.")
    if (data.photo is None) != (data.photo_mime is None):
        raise ValidationError("photo", "A photo needs its type (image/jpeg or image/png).")
    return {
        "full_name": name,
        "name_search": normalise_name(name) or name.lower(),
        "gender": data.gender,
        "date_of_birth": dob,
        "dob_is_approximate": approximate,
        "phone": clean_mobile(data.phone, "phone", required=False) or None,
        "alternate_phone": clean_mobile(data.alternate_phone, "alternate_phone", required=False) or None,
        "email": clean_email(data.email, required=False) or None,
        "blood_group": data.blood_group,
        "address_line1": _free_text(data.address_line1, "address_line1", "Address"),
        "address_line2": _free_text(data.address_line2, "address_line2", "Address"),
        "city": clean_text(data.city, "city", label="City", required=False, max_len=100),
        "state": clean_text(data.state, "state", label="State", required=False, max_len=100),
        "state_code": clean_state_code(data.state_code),
        "pincode": clean_pincode(data.pincode),
        "emergency_contact_name": clean_text(
            data.emergency_contact_name, "emergency_contact_name", label="Emergency contact", required=False
        ),
        "emergency_contact_phone": clean_mobile(
            data.emergency_contact_phone, "emergency_contact_phone", required=False
        ),
        "emergency_contact_relation": clean_text(
            data.emergency_contact_relation, "emergency_contact_relation", label="Relation", required=False, max_len=32
        ),
        "id_type": data.id_type,
        "id_number_masked": masked,
        "aadhaar_last4": last4,
        "priority_group": data.priority_group,
        "notes": _free_text(data.notes, "notes", "Notes", 2000),
        "photo": data.photo,
        "photo_mime": data.photo_mime,
    }


def _birthday_years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def view(p: Patient, today: date) -> PatientView:
    return PatientView(
        id=p.id,
        code=p.code,
        full_name=p.full_name,
        gender=p.gender,
        date_of_birth=p.date_of_birth,
        dob_is_approximate=p.dob_is_approximate,
        age=age_on(p.date_of_birth, today) if p.date_of_birth else None,
        phone=p.phone,
        alternate_phone=p.alternate_phone,
        email=p.email,
        blood_group=p.blood_group,
        address_line1=p.address_line1,
        address_line2=p.address_line2,
        city=p.city,
        state=p.state,
        state_code=p.state_code,
        pincode=p.pincode,
        emergency_contact_name=p.emergency_contact_name,
        emergency_contact_phone=p.emergency_contact_phone,
        emergency_contact_relation=p.emergency_contact_relation,
        id_type=p.id_type,
        id_number_masked=p.id_number_masked,
        priority_group=p.priority_group,
        notes=p.notes,
        has_photo=p.photo is not None,
    )


def _duplicates(
    tx: Transaction, values: dict[str, object], exclude: uuid.UUID | None = None
) -> list[DuplicateCandidate]:
    name = str(values["full_name"])
    conditions = [Patient.name_search == values["name_search"]]
    if values["phone"]:
        conditions.append(Patient.phone == values["phone"])
    rows = tx.session.scalars(select(Patient).where(or_(*conditions), Patient.deleted_at.is_(None)).limit(50))
    found = []
    for p in rows:
        if p.id == exclude:
            continue
        if values["phone"] and p.phone == values["phone"] and similar_names(name, p.full_name):
            reason = "same phone, similar name"
        elif (
            p.name_search == values["name_search"]
            and values["date_of_birth"]
            and p.date_of_birth == values["date_of_birth"]
        ):
            reason = "same name and date of birth"
        else:
            continue
        found.append(
            DuplicateCandidate(
                id=p.id, code=p.code, full_name=p.full_name, phone=p.phone, date_of_birth=p.date_of_birth, reason=reason
            )
        )
    return found


def patient_series(settings: dict[str, object]) -> Series:
    """PAT-2026-00001: the registered series as the clinic's settings make it."""
    return PATIENTS.resolve(settings)


@requires("patients.view")
def find_duplicates(ctx: Context, data: PatientInput) -> list[DuplicateCandidate]:
    with ctx.transaction(readonly=True) as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        return _duplicates(tx, _clean(data, today))


@requires("patients.create")
def register_patient(ctx: Context, data: PatientInput, *, allow_duplicates: bool = False) -> PatientView:
    with ctx.transaction() as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        values = _clean(data, today)
        if not allow_duplicates:
            candidates = _duplicates(tx, values)
            if candidates:
                raise PossibleDuplicates(candidates)
        patient = Patient(code=next_code(tx, patient_series(settings), today), **values)
        tx.session.add(patient)
        tx.session.flush()
        result = view(patient, today)
        tx.commit()
        return result


def _patient(tx: Transaction, patient_id: uuid.UUID) -> Patient:
    p = tx.session.get(Patient, patient_id)
    if p is None or p.deleted_at is not None:
        raise NotFound("No such patient.")
    return p


@requires("patients.update")
def update_patient(
    ctx: Context, patient_id: uuid.UUID, data: PatientInput, *, allow_duplicates: bool = False
) -> PatientView:
    with ctx.transaction() as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        p = _patient(tx, patient_id)
        values = _clean(data, today)
        if data.id_type == p.id_type and not data.id_number.strip():
            values["id_number_masked"], values["aadhaar_last4"] = p.id_number_masked, p.aadhaar_last4  # kept as it was
        if data.photo is None and p.photo is not None:
            values["photo"], values["photo_mime"] = p.photo, p.photo_mime
        if not allow_duplicates:
            candidates = _duplicates(tx, values, exclude=p.id)
            if candidates:
                raise PossibleDuplicates(candidates)
        for key, value in values.items():
            if getattr(p, key) != value:
                setattr(p, key, value)
        tx.session.flush()
        result = view(p, today)
        tx.commit()
        return result


@requires("patients.view")
def get_patient(ctx: Context, patient_id: uuid.UUID) -> PatientView:
    """Open a patient's record (audited: who looked at whom)."""
    with ctx.transaction() as tx:
        today = local_today(clinic_settings(tx.session), ctx.clock)
        p = _patient(tx, patient_id)
        result = view(p, today)
        record(tx, "view", entity_type="patients", entity_id=p.id, patient_id=p.id)
        tx.commit()
        return result


@requires("patients.view")
def get_photo(ctx: Context, patient_id: uuid.UUID) -> tuple[bytes, str] | None:
    with ctx.transaction(readonly=True) as tx:
        p = _patient(tx, patient_id)
        return (p.photo, p.photo_mime or "image/jpeg") if p.photo else None


@requires("patients.delete")
def archive_patient(ctx: Context, patient_id: uuid.UUID, reason: str) -> None:
    with ctx.transaction() as tx:
        p = _patient(tx, patient_id)
        why = clean_text(reason, "reason", label="Reason", max_len=500)
        p.deleted_at = ctx.clock.now()
        p.notes = (p.notes + f"\nArchived: {why}").strip()[:2000]
        tx.commit()

"""What the screens and the printout read of an eye prescription: both eyes' stored values, the same values
written the way opticians write them, and each eye's transposed form (``refraction`` does the writing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from db.models.identity import User
from db.models.optical import OpticalPrescription
from db.models.patients import Patient
from db.models.scheduling import Doctor
from hms_desktop.clinic_time import age_on, local_today, zone_of
from hms_desktop.context import Transaction
from hms_desktop.services.optical import refraction as rx
from hms_desktop.settings import clinic_settings

EYES = ("right", "left")
EYE_LABELS = {"right": "R (OD)", "left": "L (OS)"}


@dataclass(frozen=True, kw_only=True)
class EyeView:
    """One eye of a stored prescription: the stored values and how they are written.

    Text fields are "" when empty. ``rx_text`` is the eye in one line ("-2.25 / -0.50 x 180", "-2.25 DS");
    ``transposed_*`` the same lens in the other cylinder form (None / "" without a cylinder);
    ``near_sphere_text`` the reading sphere (sphere + add; "" without add)."""

    eye: str  # "right" / "left"
    label: str  # "R (OD)" / "L (OS)"
    prescribed: bool  # has a sphere
    sphere: int | None
    cylinder: int | None
    axis: int | None
    add_power: int | None
    prism: int | None
    prism_base: str | None  # in, out, up, down
    distance_va: str | None
    near_va: str | None
    pd_mm_tenths: int | None  # monocular
    sphere_text: str  # "-2.25", "PLANO"
    cylinder_text: str  # "-0.50"
    axis_text: str  # "180"
    add_text: str  # "+2.00"
    prism_text: str  # "1.50 BI"
    pd_text: str  # "31.5 mm"
    rx_text: str
    transposed_sphere: int | None
    transposed_cylinder: int | None
    transposed_axis: int | None
    transposed_text: str
    spherical_equivalent: str  # "-2.625"; "" when not prescribed
    near_sphere_text: str


@dataclass(frozen=True, kw_only=True)
class EyeRxView:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    age_sex: str  # "41 Y / F" on the day of the examination
    appointment_id: uuid.UUID | None
    doctor_id: uuid.UUID | None  # None: recorded by optical staff who are not doctors
    examiner_user_id: uuid.UUID | None
    examiner_name: str  # the doctor's display name, else the user's name
    examiner_qualification: str  # "" for a non-doctor
    examiner_registration: str  # "Reg. No. KMC-48211 (Karnataka Medical Council)"; "" for a non-doctor
    examined_at: datetime  # UTC
    examined_on: date  # the clinic's date
    right: EyeView
    left: EyeView
    pd_mm_tenths: int | None  # binocular
    pd_text: str  # "62.5 mm", "R 31.0 mm / L 31.5 mm", both, or ""
    lens_recommendation: str
    notes: str
    valid_until: date | None
    is_valid: bool  # valid_until is today or later (or not set)
    correctable_in_place: bool  # the acting user wrote it today: a correction edits it


@dataclass(frozen=True, kw_only=True)
class EyeRxCorrection:
    prescription: EyeRxView  # the corrected prescription (the same one, or the new one)
    amended_in_place: bool
    corrects_id: uuid.UUID
    corrects_code: str


def local_day(moment: datetime, settings: dict[str, Any]) -> date:
    return moment.astimezone(zone_of(settings)).date()


def _eye_view(row: OpticalPrescription, eye: str) -> EyeView:
    def get(name: str) -> Any:
        return getattr(row, f"{eye}_{name}")

    sphere, cylinder, axis, add = get("sphere"), get("cylinder"), get("axis"), get("add_power")
    flipped = rx.transpose(sphere, cylinder, axis) if sphere is not None and cylinder and axis else None
    return EyeView(
        eye=eye,
        label=EYE_LABELS[eye],
        prescribed=sphere is not None,
        sphere=sphere,
        cylinder=cylinder,
        axis=axis,
        add_power=add,
        prism=get("prism"),
        prism_base=get("prism_base"),
        distance_va=get("visual_acuity"),
        near_va=get("near_acuity"),
        pd_mm_tenths=get("pd_mm_tenths"),
        sphere_text=rx.format_sphere(sphere),
        cylinder_text=rx.format_optional(cylinder),
        axis_text=rx.format_axis(axis),
        add_text=rx.format_optional(add),
        prism_text=rx.format_prism(get("prism"), get("prism_base")),
        pd_text=rx.format_pd(get("pd_mm_tenths")),
        rx_text=rx.format_rx(sphere, cylinder, axis),
        transposed_sphere=flipped.sphere if flipped else None,
        transposed_cylinder=flipped.cylinder if flipped else None,
        transposed_axis=flipped.axis if flipped else None,
        transposed_text=rx.format_rx(*flipped) if flipped else "",
        spherical_equivalent=""
        if sphere is None
        else rx.format_spherical_equivalent(rx.spherical_equivalent(sphere, cylinder)),
        near_sphere_text=rx.format_sphere(rx.near_power(sphere, add)) if sphere is not None and add else "",
    )


def _pd_text(row: OpticalPrescription) -> str:
    parts = []
    if row.pd_mm_tenths is not None:
        parts.append(rx.format_pd(row.pd_mm_tenths))
    mono = [f"{eye[0].upper()} {rx.format_pd(v)}" for eye in EYES if (v := getattr(row, f"{eye}_pd_mm_tenths"))]
    if mono:
        parts.append(" / ".join(mono))
    return "; ".join(parts)


def _age_sex(p: Patient, on: date) -> str:
    age = f"{age_on(p.date_of_birth, on)} Y" if p.date_of_birth else "Age -"
    return f"{'~' if p.dob_is_approximate and p.date_of_birth else ''}{age} / {p.gender}"


def view_of(tx: Transaction, row: OpticalPrescription, settings: dict[str, Any], today: date) -> EyeRxView:
    patient = tx.session.get(Patient, row.patient_id)
    assert patient is not None
    doctor = tx.session.get(Doctor, row.doctor_id) if row.doctor_id else None
    user = tx.session.get(User, row.created_by_id) if row.created_by_id else None
    examined_on = local_day(row.examined_at, settings)
    if doctor is not None:
        name, qualification = doctor.display_name, doctor.qualification
        council = f" ({doctor.registration_council})" if doctor.registration_council else ""
        registration = f"Reg. No. {doctor.registration_number}{council}" if doctor.registration_number else ""
    else:
        name, qualification, registration = (user.full_name if user else ""), "", ""
    return EyeRxView(
        id=row.id,
        code=row.code,
        patient_id=patient.id,
        patient_name=patient.full_name,
        patient_code=patient.code,
        age_sex=_age_sex(patient, examined_on),
        appointment_id=row.appointment_id,
        doctor_id=row.doctor_id,
        examiner_user_id=row.created_by_id,
        examiner_name=name,
        examiner_qualification=qualification,
        examiner_registration=registration,
        examined_at=row.examined_at,
        examined_on=examined_on,
        right=_eye_view(row, "right"),
        left=_eye_view(row, "left"),
        pd_mm_tenths=row.pd_mm_tenths,
        pd_text=_pd_text(row),
        lens_recommendation=row.lens_recommendation,
        notes=row.notes,
        valid_until=row.valid_until,
        is_valid=row.valid_until is None or row.valid_until >= today,
        correctable_in_place=correctable(tx, row, settings, today),
    )


def correctable(tx: Transaction, row: OpticalPrescription, settings: dict[str, Any], today: date) -> bool:
    author = row.created_by_id
    return author is not None and author == tx.actor.user_id and local_day(row.examined_at, settings) == today


def view_now(tx: Transaction, row: OpticalPrescription) -> EyeRxView:
    settings = clinic_settings(tx.session)
    return view_of(tx, row, settings, local_today(settings, tx.ctx.clock))

"""The eye prescription form as the screen sends it (``EyeInput`` per eye, strings as typed) and its checking
into the stored values; the rules are in ``eye_prescriptions``' docstring, the value formats in ``refraction``.
Every error names its field (``right_sphere``, ``left_axis``, ``pd``, ``valid_until``, ...) and is raised before
anything is written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from db.models.optical import OpticalPrescription
from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.eye_prescription_views import EYES
from hms_desktop.validation import clean_text

NOTES_MAX = 2000
PD_TOLERANCE = 10  # tenths of a mm: binocular vs right + left
MAX_VALID_YEARS = 5


@dataclass(frozen=True, kw_only=True)
class EyeInput:
    """One eye as typed: "-2.25", "plano", "+1.5"; axis "90"; prism "1.5" with base "in"/"BI"; distance VA
    "6/9"/"CF"; near VA "N6"; monocular PD "31.5" (mm). Empty strings are "not measured"."""

    sphere: str = ""
    cylinder: str = ""
    axis: str = ""
    add: str = ""
    prism: str = ""
    prism_base: str = ""
    distance_va: str = ""
    near_va: str = ""
    pd: str = ""


@dataclass(frozen=True, kw_only=True)
class EyeRxInput:
    patient_id: uuid.UUID
    right: EyeInput = field(default_factory=EyeInput)
    left: EyeInput = field(default_factory=EyeInput)
    pd: str = ""  # binocular PD in mm, "62.5"
    appointment_id: uuid.UUID | None = None
    lens_recommendation: str = ""
    notes: str = ""
    valid_until: date | None = None  # None: one year from today


@dataclass(frozen=True)
class _Eye:
    sphere: int | None
    cylinder: int | None
    axis: int | None
    add_power: int | None
    prism: int | None
    prism_base: str | None
    visual_acuity: str | None
    near_acuity: str | None
    pd_mm_tenths: int | None


def text_of(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValidationError(name, "Type the value as text.")


def _parse_eye(eye: str, data: EyeInput) -> _Eye:
    def f(name: str) -> str:
        return f"{eye}_{name}"

    sphere = rx.parse_sphere(text_of(data.sphere, f("sphere")), f("sphere"))
    cylinder = rx.parse_cylinder(text_of(data.cylinder, f("cylinder")), f("cylinder"))
    axis = rx.parse_axis(text_of(data.axis, f("axis")), f("axis"))
    add = rx.parse_add(text_of(data.add, f("add")), f("add"))
    prism = rx.parse_prism(text_of(data.prism, f("prism")), f("prism"))
    base = rx.parse_prism_base(text_of(data.prism_base, f("prism_base")), f("prism_base"))
    distance = rx.parse_distance_acuity(text_of(data.distance_va, f("distance_va")), f("distance_va"))
    near = rx.parse_near_acuity(text_of(data.near_va, f("near_va")), f("near_va"))
    pd = rx.parse_pd(text_of(data.pd, f("pd")), f("pd"), monocular=True)
    side = eye.capitalize()
    if sphere is None and (cylinder is not None or add is not None or prism is not None):
        raise ValidationError(f("sphere"), f"{side} eye: enter the sphere (PLANO when there is none).")
    if cylinder is not None and axis is None:
        raise ValidationError(f("axis"), f"{side} eye: give the cylinder's axis (1 to 180).")
    if cylinder is None and axis is not None:
        raise ValidationError(f("axis"), f"{side} eye: an axis goes with a cylinder; enter the cylinder or clear it.")
    if prism is not None and base is None:
        raise ValidationError(f("prism_base"), f"{side} eye: choose the prism's base: in, out, up or down.")
    if prism is None and base is not None:
        raise ValidationError(f("prism"), f"{side} eye: enter the prism for the base, or clear the base.")
    return _Eye(sphere, cylinder, axis, add, prism, base, distance, near, pd)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _valid_until(value: object, today: date) -> date:
    if value is None:
        return _years_after(today, 1)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("valid_until", "Enter the date the prescription is valid until.")
    if value < today:
        raise ValidationError("valid_until", "The prescription cannot expire in the past; give today or later.")
    if value > _years_after(today, MAX_VALID_YEARS):
        raise ValidationError("valid_until", f"A prescription is valid for at most {MAX_VALID_YEARS} years.")
    return value


def clean_notes(value: object) -> str:
    text = "\n".join(line.rstrip() for line in (text_of(value, "notes") or "").strip().splitlines())
    if len(text) > NOTES_MAX:
        raise ValidationError("notes", f"Notes can have at most {NOTES_MAX} characters.")
    return text


@dataclass(frozen=True)
class CleanRx:
    eyes: dict[str, _Eye]
    pd: int | None
    lens_recommendation: str
    notes: str
    valid_until: date


def clean_input(data: EyeRxInput, today: date) -> CleanRx:
    if not isinstance(data, EyeRxInput):
        raise ValidationError("patient_id", "Fill in the eye prescription form.")
    eyes = {eye: _parse_eye(eye, getattr(data, eye)) for eye in EYES}
    if all(e.sphere is None for e in eyes.values()):
        raise ValidationError("right_sphere", "Enter the prescription for at least one eye (PLANO when none).")
    pd = rx.parse_pd(text_of(data.pd, "pd"), "pd", monocular=False)
    right_pd, left_pd = eyes["right"].pd_mm_tenths, eyes["left"].pd_mm_tenths
    if pd is not None and right_pd is not None and left_pd is not None and abs(right_pd + left_pd - pd) > PD_TOLERANCE:
        raise ValidationError(
            "pd", f"The PD {rx.format_pd(pd)} is not right + left ({rx.format_pd(right_pd + left_pd)}); check them."
        )
    lens = clean_text(text_of(data.lens_recommendation, "lens_recommendation"), "lens_recommendation",
                      label="Lens recommendation", required=False, max_len=500)  # fmt: skip
    return CleanRx(eyes, pd, lens, clean_notes(data.notes), _valid_until(data.valid_until, today))


def apply_to(row: OpticalPrescription, clean: CleanRx) -> None:
    for eye, values in clean.eyes.items():
        for name, value in vars(values).items():
            setattr(row, f"{eye}_{name}", value)
    row.pd_mm_tenths = clean.pd
    row.lens_recommendation = clean.lens_recommendation
    row.notes = clean.notes
    row.valid_until = clean.valid_until

"""The optical order form as the screen sends it (text as typed) and the checks that need no store.

``OrderInput`` carries the patient, the prescription (a stored eye prescription's id, or an outside one typed in:
``OutsideRxInput``, the eye prescription form's fields plus the prescriber's name), the lines
(``OrderLineInput``), the fitting measurements in mm as typed ("31.5", "22"), the promised date, the lab and
notes. ``clean_header`` turns the header into stored values (tenths of a mm) or raises
``ValidationError(field, ...)`` naming the field; the rules that read the store (products, powers, stock,
discounts) are in ``order_rules``.

Measurements (``refraction.parse_pd`` for the PDs; the same 0.5 mm steps for the rest):
  * monocular PD per eye 25..40 mm (a PD of 20 or 90 mm is refused);
  * fitting height per eye 5..45 mm (from the pupil centre to the lowest point of the frame's rim);
  * box size: A (lens width) 20..90 mm, B (lens height) 10..70 mm, DBL (bridge) 8..30 mm;
  * an empty box is "not given": the rules fill the PDs from the prescription and the box from the frame line.
The promised date is today or later; notes at most 1000 characters; the lab's name at most 200.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.eye_prescription_input import EyeInput, text_of
from hms_desktop.validation import clean_text

NOTES_MAX = 1000
LAB_NAME_MAX = 200
LAB_REFERENCE_MAX = 64
MAX_LINES = 20
MAX_QUANTITY = 50
MAX_OPTIONS = 12
MAX_PROMISE_DAYS = 365
FITTING_HEIGHT_RANGE = (50, 450)  # tenths of a mm
BOX_RANGES = {"box_a": (200, 900), "box_b": (100, 700), "dbl": (80, 300)}
BOX_LABELS = {"box_a": "The box A (lens width)", "box_b": "The box B (lens height)", "dbl": "The DBL (bridge)"}
ORDER_EYES = ("none", "right", "left", "both")


@dataclass(frozen=True, kw_only=True)
class OrderLineInput:
    """One line: a catalogue product, the eye it is for ("right", "left", "both"; "none" for a frame, sunglasses,
    solution), how many, the discount in rupees as typed ("250", "" for none) and options for the lab
    ({"coating": "Blue cut", "tint": "Grey 20%"})."""

    product_id: uuid.UUID
    eye: str = "none"
    quantity: int = 1
    discount: str = ""
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class OutsideRxInput:
    """A prescription written elsewhere, typed in at the counter: who wrote it, and the eye form's fields."""

    prescriber: str  # "Dr R Rao, Vasan Eye Care"
    right: EyeInput = field(default_factory=EyeInput)
    left: EyeInput = field(default_factory=EyeInput)
    pd: str = ""  # binocular PD, mm
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class OrderInput:
    patient_id: uuid.UUID
    lines: Sequence[OrderLineInput]
    optical_prescription_id: uuid.UUID | None = None
    outside_rx: OutsideRxInput | None = None
    right_pd: str = ""  # monocular, mm
    left_pd: str = ""
    right_fitting_height: str = ""
    left_fitting_height: str = ""
    box_a: str = ""  # empty: the frame line's box size
    box_b: str = ""
    dbl: str = ""
    promised_date: date | None = None
    lab_name: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Header:
    """The header's stored values (tenths of a mm; None when not given)."""

    right_pd: int | None
    left_pd: int | None
    right_fitting_height: int | None
    left_fitting_height: int | None
    box_a: int | None
    box_b: int | None
    dbl: int | None
    promised_date: date | None
    lab_name: str
    notes: str


def mm_text(tenths: int) -> str:
    """520 -> "52", 525 -> "52.5" (a box size as printed on a temple)."""
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def parse_mm(text: object, field: str, *, label: str, low: int, high: int) -> int | None:
    """A length typed in mm ("22", "22.5 mm") -> tenths of a mm, ``low``..``high`` tenths, 0.5 mm steps."""
    raw = (text_of(text, field) or "").strip().lower().removesuffix("mm").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw) * 10
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(field, f"{label} is a length in mm, like 22 or 22.5.")
    if not low <= value <= high:
        raise ValidationError(field, f"{label} runs from {mm_text(low)} to {mm_text(high)} mm.")
    if value != value.to_integral_value() or int(value) % rx.PD_STEP:
        raise ValidationError(field, f"{label} is measured to 0.5 mm.")
    return int(value)


def _fitting_height(text: object, eye: str) -> int | None:
    low, high = FITTING_HEIGHT_RANGE
    return parse_mm(text, f"{eye}_fitting_height", label=f"{eye.capitalize()} eye: the fitting height", low=low,
                    high=high)  # fmt: skip


def _promised(value: object, today: date) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError("promised_date", "Choose the date the glasses are promised for.")
    if value < today:
        raise ValidationError("promised_date", "The promised date cannot be in the past; give today or later.")
    if value > today + timedelta(days=MAX_PROMISE_DAYS):
        raise ValidationError("promised_date", "The promised date is at most a year ahead.")
    return value


def clean_notes(value: object) -> str:
    text = "\n".join(line.rstrip() for line in (text_of(value, "notes") or "").strip().splitlines())
    if len(text) > NOTES_MAX:
        raise ValidationError("notes", f"Notes can have at most {NOTES_MAX} characters.")
    return text


def clean_lab_name(value: object, field: str = "lab_name") -> str:
    return clean_text(text_of(value, field), field, label="The lab's name", required=False, max_len=LAB_NAME_MAX)


def clean_header(data: OrderInput, today: date) -> Header:
    boxes = {
        name: parse_mm(getattr(data, name), name, label=BOX_LABELS[name], low=low, high=high)
        for name, (low, high) in BOX_RANGES.items()
    }
    return Header(
        right_pd=rx.parse_pd(text_of(data.right_pd, "right_pd"), "right_pd", monocular=True),
        left_pd=rx.parse_pd(text_of(data.left_pd, "left_pd"), "left_pd", monocular=True),
        right_fitting_height=_fitting_height(data.right_fitting_height, "right"),
        left_fitting_height=_fitting_height(data.left_fitting_height, "left"),
        box_a=boxes["box_a"],
        box_b=boxes["box_b"],
        dbl=boxes["dbl"],
        promised_date=_promised(data.promised_date, today),
        lab_name=clean_lab_name(data.lab_name),
        notes=clean_notes(data.notes),
    )


def lines_of(data: OrderInput) -> list[OrderLineInput]:
    lines = data.lines
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence) or not lines:
        raise ValidationError("lines", "Add at least one product to the order.")
    if len(lines) > MAX_LINES:
        raise ValidationError("lines", f"An order has at most {MAX_LINES} lines; make a second order.")
    for i, line in enumerate(lines):
        if not isinstance(line, OrderLineInput):
            raise ValidationError(f"lines[{i}]", "Choose a product for every line.")
    return list(lines)


def clean_eye(value: object, field: str) -> str:
    if value not in ORDER_EYES:
        raise ValidationError(field, "Choose the eye: right, left, both, or none for a frame or an accessory.")
    assert isinstance(value, str)
    return value


def clean_quantity(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise ValidationError(field, f"The quantity is a whole number from 1 to {MAX_QUANTITY}.")
    return value


def clean_options(value: object, field: str) -> dict[str, str]:
    """Lab options: up to 12 short names ("coating", "tint") with their text; empty values are dropped."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_OPTIONS:
        raise ValidationError(field, f"Give at most {MAX_OPTIONS} options, each a name and its text.")
    out: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str) or not 0 < len(key.strip()) <= 32:
            raise ValidationError(field, "Each option is a short name (up to 32 characters) and its text.")
        cleaned = clean_text(text, field, label=f"The option {key.strip()}", required=False, max_len=100)
        if cleaned:
            out[key.strip().lower()] = cleaned
    return out

"""The field rules of a catalogue medicine, shared by the catalogue screen (``catalog``) and the item-master
import (``catalog_import``): pure checks, no store. ``clean_medicine(data)`` returns the values to store or
raises ``ValidationError`` naming the field, in words a pharmacist acts on.

- Brand name (``name``, the name on the pack) is required, at most 200 characters; generic name (the
  composition), manufacturer: at most 200; strength at most 64; category at most 80. Spaces are collapsed.
- Form and unit: one of ``db.models.pharmacy.MEDICINE_FORMS`` / ``MEDICINE_UNITS`` (any case; the usual
  abbreviations too: TAB, CAP, SYP, INJ). ``unit`` is
  what is sold and counted (a tablet); ``pack_size`` how many units a pack holds, 1 to 10,000.
- HSN code: 4, 6 or 8 digits (medicines are 3003/3004...), required: every taxable line carries it.
- GST rate: a percentage as text ("5", "12", "2.5"), 0 to 100 with at most 2 decimals, required (the rate is
  the clinic's data, never a default in code); stored in basis points.
- Schedule: none, H, H1 or X ("Schedule H1" and "h1" read as H1; blank is none: over the counter).
- Reorder level: whole units, 0 to 1,000,000. Catalogue MRP (per pack, paise): 0 or more.
- Barcode (optional): the pack's EAN-8, UPC-A (12 digits) or EAN-13, with a valid GS1 check digit; spaces and
  dashes are dropped. A UPC-A code and the same code as EAN-13 with a leading 0 are one barcode
  (``barcode_forms``): a scanner may send either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from db.models.pharmacy import DRUG_SCHEDULES, MEDICINE_FORMS, MEDICINE_UNITS
from hms_desktop.errors import ValidationError
from hms_desktop.services.admin.taxes import rate_basis_points
from hms_desktop.validation import clean_text

MAX_PACK_SIZE = 10_000
MAX_REORDER_LEVEL = 1_000_000
MAX_MRP_PAISE = 100_000_000  # Rs 10 lakh a pack
BARCODE_LENGTHS = (8, 12, 13)
_SCHEDULES = {s.upper(): s for s in DRUG_SCHEDULES}
# How item masters often abbreviate a form or unit ("TAB", "Caps", "Inj").
_ALIASES = {"tab": "tablet", "tabs": "tablet", "tablets": "tablet", "cap": "capsule", "caps": "capsule",
            "capsules": "capsule", "syp": "syrup", "syr": "syrup", "inj": "injection", "oint": "ointment",
            "drop": "drops", "strips": "strip", "bottles": "bottle", "vials": "vial", "amp": "ampoule",
            "ampoules": "ampoule", "tubes": "tube", "sachets": "sachet", "pcs": "piece", "pieces": "piece"}  # fmt: skip


@dataclass(frozen=True)
class MedicineInput:
    """A medicine as typed on the catalogue screen (or read from an import row)."""

    name: str  # the brand, as printed on the pack
    generic_name: str = ""  # the composition, ingredients joined with " + "
    strength: str = ""
    form: str = "tablet"
    unit: str = "tablet"
    pack_size: int | str = 1
    manufacturer: str = ""
    hsn_code: str = ""
    gst_rate_percent: str | int | Decimal = ""
    schedule: str = "none"
    reorder_level: int | str = 0
    barcode: str | None = None
    category: str = ""
    mrp_paise: int = 0


@dataclass(frozen=True, kw_only=True)
class CleanMedicine:
    """The values to store: every rule above checked."""

    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    pack_size: int
    manufacturer: str
    hsn_code: str
    gst_rate_basis_points: int
    schedule: str
    reorder_level: int
    barcode: str | None
    category: str
    mrp_paise: int

    @property
    def is_schedule_h(self) -> bool:
        return self.schedule != "none"

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two catalogue entries the same medicine: brand, strength and form (any case)."""
        return medicine_key(self.name, self.strength, self.form)

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.name, self.strength, self.form) if p)


def medicine_key(name: str, strength: str, form: str) -> tuple[str, str, str]:
    return " ".join(name.split()).lower(), " ".join((strength or "").split()).lower(), form


def gs1_check_digit(body: str) -> str:
    """The GS1 (EAN/UPC) check digit of ``body`` (the code without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def clean_barcode(value: str | None, field: str = "barcode") -> str | None:
    """An EAN-8 / UPC-A / EAN-13 with a valid check digit, or None when blank."""
    text = re.sub(r"[\s\-]", "", value or "") if isinstance(value, str) else value
    if text is None or text == "":
        return None
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) not in BARCODE_LENGTHS:
        raise ValidationError(field, f"{value} is not a pack barcode: an EAN or UPC code has 8, 12 or 13 digits.")
    expected = gs1_check_digit(text[:-1])
    if text[-1] != expected:
        raise ValidationError(
            field,
            f"The barcode {text} has a wrong check digit: it should end in {expected}, not {text[-1]}. "
            "Please scan or type it again.",
        )
    return text


def barcode_forms(code: str) -> tuple[str, ...]:
    """The ways one barcode may be written: a UPC-A and its EAN-13 with a leading 0 are the same pack."""
    if len(code) == 12:
        return code, "0" + code
    if len(code) == 13 and code.startswith("0"):
        return code, code[1:]
    return (code,)


def _choice(value: object, field: str, label: str, choices: tuple[str, ...]) -> str:
    text = value.strip().lower().rstrip(".") if isinstance(value, str) else ""
    text = _ALIASES.get(text, text)
    if not text:
        raise ValidationError(field, f"Choose the {label}: one of {', '.join(choices)}.")
    if text not in choices:
        raise ValidationError(field, f"{value} is not a {label}; choose one of: {', '.join(choices)}.")
    return text


def whole_number(value: object, field: str, label: str, low: int, high: int) -> int:
    """A whole number from an int or its digits as text ("10"); ``label`` starts the sentence."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)
    if number is None:
        raise ValidationError(field, f"{label} is a whole number, for example {max(low, 10)}; {value!r} is not.")
    if not low <= number <= high:
        raise ValidationError(field, f"{label} is from {low:,} to {high:,}; {number:,} is outside that.")
    return number


def _schedule(value: object) -> str:
    text = " ".join(value.split()).upper() if isinstance(value, str) else None
    if text is None:
        raise ValidationError("schedule", "Choose the schedule: none, H, H1 or X.")
    text = text.removeprefix("SCHEDULE").strip() or "NONE"
    if text not in _SCHEDULES:
        raise ValidationError("schedule", f"{value} is not a drug schedule; choose none, H, H1 or X.")
    return _SCHEDULES[text]


def _hsn(value: object) -> str:
    text = re.sub(r"[\s.]", "", value) if isinstance(value, str) else ""
    if not text:
        raise ValidationError("hsn_code", "The HSN code is required (medicines are 3003 or 3004...).")
    if not (text.isascii() and text.isdigit() and len(text) in (4, 6, 8)):
        raise ValidationError("hsn_code", f"{value} is not an HSN code: it has 4, 6 or 8 digits, for example 3004.")
    return text


def _gst(value: object) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError("gst_rate_percent", "The GST rate is required, as a percentage such as 5 or 12.")
    return rate_basis_points(value, "gst_rate_percent")


def clean_medicine(data: MedicineInput) -> CleanMedicine:
    """Every field rule of the module's docstring, in the order of the form."""
    if isinstance(data.mrp_paise, bool) or not isinstance(data.mrp_paise, int):
        raise ValidationError("mrp_paise", "The MRP is an amount in paise (a whole number).")
    if not 0 <= data.mrp_paise <= MAX_MRP_PAISE:
        raise ValidationError("mrp_paise", "The MRP is from Rs 0 to Rs 10,00,000 a pack.")
    return CleanMedicine(
        name=clean_text(data.name, "name", label="The brand name"),
        generic_name=clean_text(data.generic_name, "generic_name", label="The generic name", required=False),
        strength=clean_text(data.strength, "strength", label="The strength", required=False, max_len=64),
        form=_choice(data.form, "form", "medicine form", MEDICINE_FORMS),
        unit=_choice(data.unit, "unit", "selling unit", MEDICINE_UNITS),
        pack_size=whole_number(data.pack_size, "pack_size", "The pack size (units in a pack)", 1, MAX_PACK_SIZE),
        manufacturer=clean_text(data.manufacturer, "manufacturer", label="The manufacturer", required=False),
        hsn_code=_hsn(data.hsn_code),
        gst_rate_basis_points=_gst(data.gst_rate_percent),
        schedule=_schedule(data.schedule),
        reorder_level=whole_number(data.reorder_level, "reorder_level", "The reorder level", 0, MAX_REORDER_LEVEL),
        barcode=clean_barcode(data.barcode),
        category=clean_text(data.category, "category", label="The category", required=False, max_len=80),
        mrp_paise=data.mrp_paise,
    )


def percent_text(basis_points: int) -> str:
    """500 -> "5", 250 -> "2.5", 1234 -> "12.34"."""
    whole, part = divmod(basis_points, 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}".rstrip("0")


def units_text(count: int, unit: str) -> str:
    """``units_text(3, "tablet")`` -> "3 tablets"; "1 box", "2 boxes"."""
    if count == 1:
        return f"1 {unit}"
    return f"{count:,} {unit}{'es' if unit.endswith(('x', 'ch', 'sh', 's')) else 's'}"

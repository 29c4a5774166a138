"""The field rules of an optical catalogue product: pure checks, no store. ``clean_product(data)`` returns the
columns to store or raises ``ValidationError(field, sentence)`` naming the field, in words the optical counter
acts on. Prices are rupees as typed ("2500", "2,499.50"), powers as opticians type them ("-8.00", "+6",
"plano": ``refraction``), sizes in mm ("52", "52 mm", "8.6").

- Name (at most 200 characters) and category (frame, sunglasses, lens, contact lens, solution, accessory) are
  required; brand, model, colour, material, size are optional text.
- Fields that belong to some categories only are refused on the others, naming both: the box size (A lens
  width 20-90 mm, B lens height 10-70 mm, DBL bridge 8-30 mm, temple 100-170 mm, whole mm as printed on the
  temple) and the rim type on frames and sunglasses; the refractive index (1.40 to 2.00, e.g. 1.50, 1.67) on
  spectacle lenses; coatings on spectacle lenses and sunglasses; a tint on those and contact lenses; the lens
  type and power range on spectacle and contact lenses; base curve (7.0-10.0 mm), diameter (8.0-16.0 mm) and
  replacement schedule on contact lenses.
- A frame gives at least A and DBL (its size is then written "52-18-140" unless typed).
- A spectacle lens is single vision, bifocal, progressive, office or plano; a contact lens spherical, toric
  or multifocal. Each gives its power range: sphere from .. to (in 0.25 D steps, -30.00 to +30.00); cylinder
  from .. to in MINUS form (to 0.00 when left empty; a plus cylinder is refused: write it in minus form);
  reading addition (ADD, +0.75 to +4.00) from .. to, required for bifocal, progressive, office and multifocal
  lenses and refused for the others. A toric contact lens gives its cylinder range, a spherical one none. A
  plano lens is made in PLANO only (its range is 0.00 to 0.00). A contact lens gives its base curve and
  diameter.
- HSN code: 4, 6 or 8 digits; blank takes the category's usual code (frames 9003, sunglasses 900410, spectacle
  and contact lenses 9001, solutions 3307; an accessory must give its own). Sunglasses are HSN 900410
  (taxed 18%); a corrective frame may not carry it (frames are 9003, 5%): choose the category instead.
- GST rate: a percentage as text (``taxes.rate_basis_points``), kept as the product's own rate, used only when
  no optical tax rule covers its HSN (``pricing.optical_rate_on``); blank takes the rate the rules give
  today (the catalogue service fills it in; with no rule either, it is required).
- MRP (required, GST included) and cost price (blank is 0): rupees, 0 or more (refused only when negative:
  a cost above the MRP, a clearance sale, is the clinic's choice); reorder level 0 to 100,000.
- Made to order (``is_stocked`` False) by default for spectacle lenses, stocked for everything else.
- Barcode (optional): 3 to 64 letters, digits and ``- . /``; an all-digit code of 8, 12 or 13 digits is an
  EAN/UPC and must carry a valid GS1 check digit (a UPC-A and its EAN-13 with a leading 0 are one barcode).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from db.models.optical import OPTICAL_CATEGORIES, REPLACEMENT_SCHEDULES, RIM_TYPES
from hms_desktop.errors import ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.services.admin.taxes import rate_basis_points
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.pharmacy.catalog_rules import barcode_forms, clean_barcode, whole_number
from hms_desktop.validation import clean_text

__all__ = ["CATEGORY_LABELS", "LENS_TYPE_LABELS", "ProductInput", "barcode_forms", "clean_product",
           "clean_product_barcode"]  # fmt: skip

CATEGORY_LABELS = {"frame": "frame", "sunglasses": "sunglasses", "lens": "spectacle lens",
                   "contact_lens": "contact lens", "solution": "solution", "accessory": "accessory"}  # fmt: skip
_A = {"frame": "a frame", "sunglasses": "sunglasses", "lens": "a spectacle lens", "contact_lens": "a contact lens",
      "solution": "a solution", "accessory": "an accessory"}  # fmt: skip
SPECTACLE_LENS_TYPES = ("single_vision", "bifocal", "progressive", "office", "plano")
CONTACT_LENS_TYPES = ("spherical", "toric", "multifocal")
LENS_TYPE_LABELS = {t: t.replace("_", " ") for t in (*SPECTACLE_LENS_TYPES, *CONTACT_LENS_TYPES)}
NEEDS_ADD = frozenset({"bifocal", "progressive", "office", "multifocal"})
USUAL_HSN = {"frame": "9003", "sunglasses": "900410", "lens": "9001", "contact_lens": "9001", "solution": "3307"}
SUNGLASSES_HSN = "900410"
MAX_REORDER_LEVEL = 100_000
MAX_RUPEES = Decimal("1000000")
FRAMES = ("frame", "sunglasses")
LENSES = ("lens", "contact_lens")
# Which categories each optional field belongs to, and how the refusal names it.
_ONLY_ON: dict[str, tuple[tuple[str, ...], str, str]] = {
    "rim_type": (FRAMES, "The rim type", "frames and sunglasses"),
    "frame_a": (FRAMES, "The box size (A)", "frames and sunglasses"),
    "frame_b": (FRAMES, "The box size (B)", "frames and sunglasses"),
    "frame_dbl": (FRAMES, "The bridge (DBL)", "frames and sunglasses"),
    "temple": (FRAMES, "The temple length", "frames and sunglasses"),
    "lens_index": (("lens",), "The lens index", "spectacle lenses"),
    "coatings": (("lens", "sunglasses"), "Coatings", "spectacle lenses and sunglasses"),
    "tint": (("lens", "sunglasses", "contact_lens"), "A tint", "lenses and sunglasses"),
    "lens_type": (LENSES, "The lens type", "spectacle and contact lenses"),
    "sphere_min": (LENSES, "A power range", "spectacle and contact lenses"),
    "sphere_max": (LENSES, "A power range", "spectacle and contact lenses"),
    "cylinder_min": (LENSES, "A cylinder range", "spectacle and contact lenses"),
    "cylinder_max": (LENSES, "A cylinder range", "spectacle and contact lenses"),
    "add_min": (LENSES, "An ADD range", "spectacle and contact lenses"),
    "add_max": (LENSES, "An ADD range", "spectacle and contact lenses"),
    "base_curve": (("contact_lens",), "The base curve", "contact lenses"),
    "diameter": (("contact_lens",), "The diameter", "contact lenses"),
    "replacement_schedule": (("contact_lens",), "The replacement schedule", "contact lenses"),
}
_BARCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{2,63}$")


@dataclass(frozen=True, kw_only=True)
class ProductInput:
    """A product as typed on the catalogue screen. Empty text is "not given"."""

    name: str
    category: str
    brand: str = ""
    model: str = ""
    color: str = ""
    material: str = ""
    size: str = ""  # free text ("360 ml", "Medium"); a frame's is its box when left empty
    hsn_code: str = ""  # blank: the category's usual code
    gst_rate: str = ""  # percent; blank: the optical tax rule's rate today
    mrp: str = ""  # rupees, GST included
    cost_price: str = ""
    reorder_level: str | int = "0"
    barcode: str = ""
    is_stocked: bool | None = None  # None: made to order for spectacle lenses, stocked otherwise
    # frames and sunglasses (mm)
    rim_type: str = ""
    frame_a: str = ""
    frame_b: str = ""
    frame_dbl: str = ""
    temple: str = ""
    # spectacle lenses (index, coatings), lenses and sunglasses (tint)
    lens_type: str = ""
    lens_index: str = ""  # "1.60"
    coatings: str = ""
    tint: str = ""
    sphere_min: str = ""
    sphere_max: str = ""
    cylinder_min: str = ""
    cylinder_max: str = ""
    add_min: str = ""
    add_max: str = ""
    # contact lenses (mm)
    base_curve: str = ""  # "8.6"
    diameter: str = ""  # "14.2"
    replacement_schedule: str = ""


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(field, "Type the value as text.")
    return value.strip()


def _choice(value: str, field: str, label: str, choices: tuple[str, ...]) -> str:
    key = value.lower().replace(" ", "_").replace("-", "_")
    if key not in choices:
        words = ", ".join(c.replace("_", " ") for c in choices if c)
        raise ValidationError(field, f"{value} is not a {label}; choose one of: {words}.")
    return key


def _decimal(text: str, field: str, message: str) -> Decimal:
    raw = text.lower().removesuffix("mm").strip().replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(field, message) from None
    if not number.is_finite():
        raise ValidationError(field, message)
    return number


def _mm(text: str, field: str, label: str, low: int, high: int) -> int | None:
    """Whole millimetres, ``low``..``high``; None when empty."""
    if not text:
        return None
    message = f"{label} is in whole millimetres, from {low} to {high} (for example {(low + high) // 2})."
    number = _decimal(text, field, message)
    if number != number.to_integral_value() or not low <= number <= high:
        raise ValidationError(field, message)
    return int(number)


def _tenths(text: str, field: str, label: str, low: int, high: int) -> int | None:
    """Millimetres to 0.1 mm, stored in tenths, ``low``..``high`` tenths; None when empty."""
    if not text:
        return None
    message = f"{label} is from {low / 10:.1f} to {high / 10:.1f} mm, to 0.1 mm (for example {low / 10 + 1:.1f})."
    number = _decimal(text, field, message) * 10
    if number != number.to_integral_value() or not low <= number <= high:
        raise ValidationError(field, message)
    return int(number)


def _index(text: str) -> int | None:
    if not text:
        return None
    message = "The lens index is from 1.40 to 2.00 (for example 1.50, 1.60, 1.67 or 1.74)."
    number = _decimal(text, "lens_index", message) * 100
    if number != number.to_integral_value() or not 140 <= number <= 200:
        raise ValidationError("lens_index", message)
    return int(number)


def _rupees(value: object, field: str, label: str, *, required: bool) -> int:
    text = _text(value, field)
    if not text:
        if required:
            raise ValidationError(field, f"{label} is required (in rupees, for example 2500 or 2,499.50).")
        return 0
    try:
        return clean_rupees(text, field, max_rupees=MAX_RUPEES)
    except ValidationError as exc:
        if text.lstrip("₹ ").startswith("-"):
            raise ValidationError(field, f"{label} cannot be negative.") from None
        raise ValidationError(field, f"{label}: {exc.message}") from None


def clean_product_barcode(value: object, field: str = "barcode") -> str | None:
    """A product's barcode (see the module's rules), or None when blank."""
    text = re.sub(r"\s", "", _text(value, field))
    if not text:
        return None
    if text.isdigit() and len(text) in (8, 12, 13):
        return clean_barcode(text, field)
    if not _BARCODE.match(text):
        raise ValidationError(
            field, f"{text} is not a barcode: 3 to 64 letters and digits (dashes, dots and slashes allowed)."
        )
    return text


def _hsn(value: str, category: str) -> str:
    text = re.sub(r"[\s.]", "", value) or USUAL_HSN.get(category, "")
    if not text:
        raise ValidationError("hsn_code", f"The HSN code is required for {_A[category]} (4, 6 or 8 digits).")
    if not (text.isascii() and text.isdigit() and len(text) in (4, 6, 8)):
        raise ValidationError("hsn_code", f"{value} is not an HSN code: it has 4, 6 or 8 digits, for example 9003.")
    if category == "sunglasses" and not text.startswith(SUNGLASSES_HSN):
        raise ValidationError(
            "hsn_code", f"Sunglasses are HSN {SUNGLASSES_HSN} (taxed 18%); {text} is not a sunglasses code."
        )
    if category == "frame" and text.startswith(SUNGLASSES_HSN):
        raise ValidationError(
            "hsn_code",
            f"HSN {SUNGLASSES_HSN} is for sunglasses (18%); a corrective frame is 9003 (5%). "
            "Choose the sunglasses category for sunglasses.",
        )
    return text


def _refuse_foreign(data: ProductInput, category: str) -> None:
    for name, (categories, label, owners) in _ONLY_ON.items():
        if category not in categories and _text(getattr(data, name), name):
            raise ValidationError(name, f"{label} is for {owners}; leave it empty for {_A[category]}.")


def _range(data: ProductInput, kind: str) -> tuple[int | None, int | None]:
    """(from, to) of ``sphere`` / ``cylinder`` / ``add`` as stored; each None when empty."""
    low_field, high_field = f"{kind}_min", f"{kind}_max"
    values = []
    for name in (low_field, high_field):
        text = _text(getattr(data, name), name)
        if kind == "sphere":
            values.append(rx.parse_sphere(text, name))
        elif kind == "add":
            values.append(rx.parse_add(text, name))
        else:
            found = rx.parse_power(text, name, low=rx.CYLINDER_RANGE[0], high=rx.CYLINDER_RANGE[1], label="Cylinder")
            if found is not None and found > 0:
                raise ValidationError(
                    name, f"Write the cylinder range in minus form (for example -4.00 to 0.00); "
                    f"{rx.format_power(found)} is a plus cylinder.",
                )  # fmt: skip
            values.append(found)
    low, high = values
    if kind == "cylinder" and low is not None and high is None:
        high = 0
    label = {"sphere": "sphere", "cylinder": "cylinder", "add": "ADD"}[kind]
    if (low is None) != (high is None):
        raise ValidationError(low_field if low is None else high_field, f"Give the {label} range's both ends.")
    if low is not None and high is not None and low > high:
        raise ValidationError(
            low_field, f"The {label} range runs from the lower power to the higher, for example "
            f"{rx.format_power(high)} to {rx.format_power(low)}.",
        )  # fmt: skip
    return low, high


def _lens_columns(data: ProductInput, category: str, name: str) -> dict[str, Any]:
    types = SPECTACLE_LENS_TYPES if category == "lens" else CONTACT_LENS_TYPES
    typed = _text(data.lens_type, "lens_type")
    if not typed:
        words = ", ".join(LENS_TYPE_LABELS[t] for t in types)
        raise ValidationError("lens_type", f"Choose the lens type of {name}: {words}.")
    lens_type = _choice(typed, "lens_type", f"{CATEGORY_LABELS[category]} type", types)
    sphere, cylinder, add = _range(data, "sphere"), _range(data, "cylinder"), _range(data, "add")
    if lens_type == "plano":
        if sphere[0] is None:
            sphere = (0, 0)
        if sphere != (0, 0) or cylinder[0] is not None:
            field = "sphere_min" if sphere != (0, 0) else "cylinder_min"
            raise ValidationError(field, "A plano lens has no power: its range is PLANO only (0.00).")
    if sphere[0] is None:
        raise ValidationError(
            "sphere_min", f"Give the sphere range {name} is made in, for example -8.00 to +6.00."
        )  # fmt: skip
    kind = LENS_TYPE_LABELS[lens_type]
    if lens_type == "toric" and cylinder[0] is None:
        raise ValidationError("cylinder_min", "A toric contact lens gives its cylinder range, for example -2.25 to "
                                              "-0.75.")  # fmt: skip
    if lens_type == "spherical" and cylinder[0] is not None:
        raise ValidationError("cylinder_min", "A spherical contact lens has no cylinder; choose toric for one that "
                                              "has.")  # fmt: skip
    if lens_type in NEEDS_ADD and add[0] is None:
        raise ValidationError("add_min", f"A {kind} lens gives its ADD range, for example +0.75 to +3.50.")
    if lens_type not in NEEDS_ADD and add[0] is not None:
        raise ValidationError("add_min", f"A {kind} lens has no reading addition; leave the ADD range empty.")
    columns: dict[str, Any] = {
        "lens_type": lens_type,
        "sphere_min": sphere[0], "sphere_max": sphere[1],
        "cylinder_min": cylinder[0], "cylinder_max": cylinder[1],
        "add_min": add[0], "add_max": add[1],
    }  # fmt: skip
    if category == "contact_lens":
        for field, label, value in (("base_curve", "base curve", data.base_curve), ("diameter", "diameter",
                                                                                      data.diameter)):  # fmt: skip
            if not _text(value, field):
                raise ValidationError(field, f"Give the {label} of {name} (as printed on the box, in mm).")
        columns["base_curve_mm_tenths"] = _tenths(_text(data.base_curve, "base_curve"), "base_curve",
                                                  "The base curve", 70, 100)  # fmt: skip
        columns["diameter_mm_tenths"] = _tenths(_text(data.diameter, "diameter"), "diameter", "The diameter", 80, 160)
        schedule = _text(data.replacement_schedule, "replacement_schedule")
        columns["replacement_schedule"] = (
            _choice(schedule, "replacement_schedule", "replacement schedule", REPLACEMENT_SCHEDULES) if schedule else ""
        )
    return columns


def _frame_columns(data: ProductInput, category: str, size: str) -> dict[str, Any]:
    a = _mm(_text(data.frame_a, "frame_a"), "frame_a", "A (the lens width)", 20, 90)
    b = _mm(_text(data.frame_b, "frame_b"), "frame_b", "B (the lens height)", 10, 70)
    dbl = _mm(_text(data.frame_dbl, "frame_dbl"), "frame_dbl", "DBL (the bridge)", 8, 30)
    temple = _mm(_text(data.temple, "temple"), "temple", "The temple length", 100, 170)
    if category == "frame" and (a is None or dbl is None):
        raise ValidationError(
            "frame_a" if a is None else "frame_dbl",
            "Give the frame's box size as printed on its temple: at least A (lens width) and DBL (bridge), "
            "for example 52-18-140.",
        )
    rim = _text(data.rim_type, "rim_type")
    if not size and a is not None and dbl is not None:
        size = f"{a}-{dbl}" + (f"-{temple}" if temple is not None else "")
    return {
        "rim_type": _choice(rim, "rim_type", "rim type", RIM_TYPES) if rim else "",
        "frame_a_mm": a, "frame_b_mm": b, "frame_dbl_mm": dbl, "temple_mm": temple, "size": size,
    }  # fmt: skip


def _category(typed: str) -> str:
    if not typed:
        raise ValidationError("category", "Choose the category: frame, sunglasses, lens, contact lens, solution or "
                                          "accessory.")  # fmt: skip
    key = typed.lower().replace(" ", "_").replace("-", "_")
    for plural in ("es", "s"):  # "Frames", "Lenses", "Contact lenses", "Solutions"
        if key not in OPTICAL_CATEGORIES and key.removesuffix(plural) in OPTICAL_CATEGORIES:
            key = key.removesuffix(plural)
    return key if key in OPTICAL_CATEGORIES else _choice(typed, "category", "category", OPTICAL_CATEGORIES)


def clean_product(data: ProductInput) -> dict[str, Any]:
    """The columns of ``optical_products`` for ``data`` (every rule of the module's docstring); the GST rate
    is None when left blank (the catalogue service takes it from the tax rules)."""
    name = clean_text(_text(data.name, "name"), "name", label="The product's name")
    category = _category(_text(data.category, "category"))
    _refuse_foreign(data, category)
    if data.is_stocked is not None and not isinstance(data.is_stocked, bool):
        raise ValidationError("is_stocked", "Say whether the product is kept in stock or made to order.")
    gst = _text(data.gst_rate, "gst_rate")
    columns: dict[str, Any] = {
        "name": name,
        "category": category,
        "brand": clean_text(_text(data.brand, "brand"), "brand", label="The brand", required=False, max_len=100),
        "model": clean_text(_text(data.model, "model"), "model", label="The model", required=False, max_len=100),
        "color": clean_text(_text(data.color, "color"), "color", label="The colour", required=False, max_len=50),
        "material": clean_text(_text(data.material, "material"), "material", label="The material", required=False,
                               max_len=64),  # fmt: skip
        "size": clean_text(_text(data.size, "size"), "size", label="The size", required=False, max_len=32),
        "hsn_code": _hsn(_text(data.hsn_code, "hsn_code"), category),
        "gst_rate_basis_points": rate_basis_points(gst, "gst_rate") if gst else None,
        "mrp_paise": _rupees(data.mrp, "mrp", "The MRP", required=True),
        "cost_price_paise": _rupees(data.cost_price, "cost_price", "The cost price", required=False),
        "reorder_level": whole_number(data.reorder_level if data.reorder_level != "" else 0, "reorder_level",
                                      "The reorder level", 0, MAX_REORDER_LEVEL),  # fmt: skip
        "barcode": clean_product_barcode(data.barcode),
        "is_stocked": data.is_stocked if data.is_stocked is not None else category != "lens",
        "coatings": clean_text(_text(data.coatings, "coatings"), "coatings", label="Coatings", required=False),
        "tint": clean_text(_text(data.tint, "tint"), "tint", label="The tint", required=False, max_len=64),
        "lens_index": _index(_text(data.lens_index, "lens_index")),
        "lens_type": None,
        "rim_type": "", "frame_a_mm": None, "frame_b_mm": None, "frame_dbl_mm": None, "temple_mm": None,
        "sphere_min": None, "sphere_max": None, "cylinder_min": None, "cylinder_max": None, "add_min": None,
        "add_max": None, "base_curve_mm_tenths": None, "diameter_mm_tenths": None, "replacement_schedule": "",
    }  # fmt: skip
    if category in FRAMES:
        columns.update(_frame_columns(data, category, columns["size"]))
    if category in LENSES:
        columns.update(_lens_columns(data, category, name))
    return columns

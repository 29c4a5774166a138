"""Refraction values as opticians type and write them: parsing, 0.25 D steps, formatting, transposition.

Pure functions, no store. Every parser takes the text a screen sends and the ``field`` it came from, returns
the stored integer (or None when the box was left empty) and raises ``ValidationError(field, message)``.

Units (as ``db.models.optical`` stores them):
  * powers (sphere, cylinder, add) and prism: integer hundredths of a dioptre (-2.25 D = -225);
  * axis: whole degrees 1..180 (0 is refused: write 180);
  * pupillary distance: integer tenths of a millimetre (62.5 mm = 625).

Rules:
  * a power is typed "-2.25", "+1.5", "2", "-.25", "1.25 D", "-2.25 DS", "-0.50 DC"; "plano", "pl", "0" are
    zero. It must be a whole number of 0.25 D steps: "3.10" is refused with the two nearest steps
    ("3.10 is not in 0.25 D steps; nearest are +3.00 and +3.25", the one nearer zero first);
  * sphere -30.00..+30.00; cylinder -10.00..+10.00 (plus or minus cylinder form, both kept as typed);
    a cylinder of 0 (or "plano") means no cylinder and is stored empty;
  * add +0.75..+4.00; an add of 0 means no add (empty); a minus add is refused;
  * prism 0.25..20.00 prism dioptres in 0.25 steps, with its base (in, out, up, down; "BI", "base out", ...);
    a prism of 0 means none;
  * distance acuity: metric Snellen 6/5, 6/6, 6/9, 6/12, 6/18, 6/24, 6/36, 6/60, then 5/60 .. 1/60 (the
    patient walked closer), CF (counts fingers), HM (hand movements), PL (perceives light), NPL (no light);
    near acuity in N-notation: N5, N6, N8, N10, N12, N14, N18, N24, N36, N48 (the standard test-type sizes);
  * PD to 0.5 mm: binocular 50..80 mm, monocular (one eye) 25..40 mm.

Formatting: a power is signed with two decimals ("+1.25", "-0.50"); a sphere of zero is written "PLANO" and
any other zero "0.00"; a sphere without cylinder is "-2.25 DS", a sphero-cylinder "-2.25 / -0.50 x 180".

Transposition (plus <-> minus cylinder): new sphere = sphere + cylinder, the cylinder's sign flips, the axis
turns 90 degrees within 1..180. The spherical equivalent (sphere + cylinder / 2) does not change.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from hms_desktop.errors import ValidationError

STEP = 25  # 0.25 D in hundredths
SPHERE_RANGE = (-3000, 3000)
CYLINDER_RANGE = (-1000, 1000)
ADD_RANGE = (75, 400)
PRISM_RANGE = (25, 2000)
AXIS_RANGE = (1, 180)
BINOCULAR_PD_RANGE = (500, 800)  # tenths of a mm
MONOCULAR_PD_RANGE = (250, 400)
PD_STEP = 5  # 0.5 mm in tenths

DISTANCE_ACUITIES = (
    "6/5", "6/6", "6/9", "6/12", "6/18", "6/24", "6/36", "6/60",
    "5/60", "4/60", "3/60", "2/60", "1/60", "CF", "HM", "PL", "NPL",
)  # fmt: skip
NEAR_ACUITIES = ("N5", "N6", "N8", "N10", "N12", "N14", "N18", "N24", "N36", "N48")
PRISM_BASES = ("in", "out", "up", "down")
BASE_ABBREVIATIONS = {"in": "BI", "out": "BO", "up": "BU", "down": "BD"}

_NUMBER = re.compile(r"^([+-]?)(\d{1,4}(?:\.\d*)?|\.\d+)$")
_PLANO = frozenset({"plano", "pl", "pln", "plan"})
_UNIT_SUFFIX = re.compile(r"\s*(?:ds|dc|d)\s*$", re.IGNORECASE)
_BASE_WORDS = {
    "in": "in", "bi": "in", "base in": "in", "basein": "in", "nasal": "in",
    "out": "out", "bo": "out", "base out": "out", "baseout": "out", "temporal": "out",
    "up": "up", "bu": "up", "base up": "up", "baseup": "up",
    "down": "down", "bd": "down", "base down": "down", "basedown": "down",
}  # fmt: skip


class Power(NamedTuple):
    """One eye's distance power in hundredths of a dioptre; ``cylinder``/``axis`` None for a sphere only."""

    sphere: int
    cylinder: int | None
    axis: int | None


def _clean(text: str | None) -> str:
    return (text or "").strip().replace("\u2212", "-").replace("\u2013", "-").replace(",", ".")


def _decimal(text: str, field: str, what: str) -> Decimal:
    match = _NUMBER.match(text.replace(" ", ""))
    if match is None:
        raise ValidationError(field, f"{text} is not a {what}; type it like -2.25 or +1.50.")
    try:
        return Decimal(match.group(1) + match.group(2))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValidationError(field, f"{text} is not a {what}.") from exc


def _in_steps(typed: str, hundredths: Decimal, field: str, *, prism: bool = False) -> int:
    """``hundredths`` as an int when it is a whole number of 0.25 steps, else the nearest two named
    (the one nearer zero first)."""
    if hundredths == hundredths.to_integral_value() and int(hundredths) % STEP == 0:
        return int(hundredths)
    lower = int(abs(hundredths) // STEP) * STEP
    sign = -1 if hundredths < 0 else 1
    near, far = sign * lower, sign * (lower + STEP)
    if prism:
        raise ValidationError(
            field, f"{typed} is not in 0.25 steps; nearest are {_unsigned(near)} and {_unsigned(far)}"
        )
    raise ValidationError(
        field, f"{typed} is not in 0.25 D steps; nearest are {format_power(near)} and {format_power(far)}"
    )


def _hundredths(text: str | None, field: str, label: str) -> tuple[str, Decimal] | None:
    """(what was typed, its value in hundredths) or None when empty; "plano"/"pl" is zero."""
    raw = _UNIT_SUFFIX.sub("", _clean(text)).strip()
    if not raw:
        return None
    if raw.lower() in _PLANO:
        return raw, Decimal(0)
    return raw.replace(" ", ""), _decimal(raw, field, f"{label.lower()} power") * 100


def parse_power(text: str | None, field: str, *, low: int, high: int, label: str) -> int | None:
    """A power in hundredths of a dioptre, ``low``..``high`` in 0.25 D steps; None when ``text`` is empty."""
    found = _hundredths(text, field, label)
    if found is None:
        return None
    typed, value = found
    if not low <= value <= high:
        raise ValidationError(field, f"{label} runs from {format_power(low)} to {format_power(high)} D.")
    return _in_steps(typed, value, field)


def parse_sphere(text: str | None, field: str) -> int | None:
    """Sphere, -30.00..+30.00 D; "plano"/"pl"/"0" is 0."""
    return parse_power(text, field, low=SPHERE_RANGE[0], high=SPHERE_RANGE[1], label="Sphere")


def parse_cylinder(text: str | None, field: str) -> int | None:
    """Cylinder, -10.00..+10.00 D; 0 (or plano) means no cylinder: None."""
    value = parse_power(text, field, low=CYLINDER_RANGE[0], high=CYLINDER_RANGE[1], label="Cylinder")
    return value or None


def parse_add(text: str | None, field: str) -> int | None:
    """Reading addition, +0.75..+4.00 D in 0.25 steps; 0 means no add: None."""
    found = _hundredths(text, field, "Add")
    if found is None or found[1] == 0:
        return None
    typed, value = found
    if not ADD_RANGE[0] <= value <= ADD_RANGE[1]:
        raise ValidationError(field, f"Add runs from {format_power(ADD_RANGE[0])} to {format_power(ADD_RANGE[1])} D.")
    return _in_steps(typed, value, field)


def parse_prism(text: str | None, field: str) -> int | None:
    """Prism in hundredths of a prism dioptre, 0.25..20.00 in 0.25 steps; 0 means none: None."""
    raw = _clean(text).replace("\u0394", "").replace("pd", "").replace("PD", "").strip()
    if not raw:
        return None
    if raw.startswith("-"):
        raise ValidationError(field, "A prism has no sign; give its power and choose the base (in, out, up, down).")
    value = _decimal(raw, field, "prism power") * 100
    if value == 0:
        return None
    if value > PRISM_RANGE[1]:
        raise ValidationError(field, "Prism runs from 0.25 to 20.00 prism dioptres.")
    return _in_steps(raw.replace(" ", "").lstrip("+"), value, field, prism=True)


def parse_prism_base(text: str | None, field: str) -> str | None:
    """The base direction: in, out, up or down (also BI, BO, BU, BD, "base in", ...); None when empty."""
    raw = " ".join(_clean(text).lower().replace(".", "").split())
    if not raw:
        return None
    base = _BASE_WORDS.get(raw)
    if base is None:
        raise ValidationError(field, f"{_clean(text)} is not a prism base; choose in, out, up or down.")
    return base


def parse_axis(text: str | None, field: str) -> int | None:
    """The cylinder axis in whole degrees, 1..180 ("90", "090", "x 90", "90°"); None when empty."""
    raw = _clean(text).lower().lstrip("x\u00d7 ").rstrip("\u00b0 ").removesuffix("deg").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValidationError(field, f"{_clean(text)} is not an axis; give whole degrees from 1 to 180.")
    value = int(raw)
    if not AXIS_RANGE[0] <= value <= AXIS_RANGE[1]:
        hint = " (write 180 for 0)" if value == 0 else ""
        raise ValidationError(field, f"Axis runs from 1 to 180 degrees{hint}.")
    return value


def parse_pd(text: str | None, field: str, *, monocular: bool) -> int | None:
    """A pupillary distance in tenths of a mm, to 0.5 mm: binocular 50..80 mm, monocular 25..40 mm."""
    raw = _clean(text).lower().removesuffix("mm").strip()
    if not raw:
        return None
    low, high = MONOCULAR_PD_RANGE if monocular else BINOCULAR_PD_RANGE
    value = _decimal(raw, field, "distance in mm") * 10
    kind = "A monocular PD (one eye)" if monocular else "The binocular PD"
    if not low <= value <= high:
        raise ValidationError(field, f"{kind} runs from {low // 10} to {high // 10} mm.")
    if value != value.to_integral_value() or int(value) % PD_STEP:
        below = int(value // PD_STEP) * PD_STEP
        raise ValidationError(
            field, f"PD is measured to 0.5 mm; nearest are {format_pd(below)} and {format_pd(below + PD_STEP)}."
        )
    return int(value)


def _acuity(text: str | None) -> str:
    return (text or "").strip().upper().replace(" ", "").replace(".", "")


def parse_distance_acuity(text: str | None, field: str) -> str | None:
    """Distance visual acuity, one of ``DISTANCE_ACUITIES`` ("6/9", "cf", "N.P.L." accepted); None when empty."""
    value = _acuity(text)
    if not value:
        return None
    if value not in DISTANCE_ACUITIES:
        raise ValidationError(
            field, f"{(text or '').strip()} is not a distance vision; write 6/6, 6/9 ... 6/60, 3/60, CF, HM, PL or NPL."
        )
    return value


def parse_near_acuity(text: str | None, field: str) -> str | None:
    """Near visual acuity in N-notation, one of ``NEAR_ACUITIES`` ("n6" accepted); None when empty."""
    value = _acuity(text)
    if not value:
        return None
    if value not in NEAR_ACUITIES:
        raise ValidationError(field, f"{(text or '').strip()} is not a near vision; write N6, N8, N10 ... N36.")
    return value


# --- writing them -------------------------------------------------------------------------------------------


def format_power(hundredths: int) -> str:
    """ "+1.25", "-0.50", "0.00"."""
    if hundredths == 0:
        return "0.00"
    sign = "-" if hundredths < 0 else "+"
    return f"{sign}{abs(hundredths) // 100}.{abs(hundredths) % 100:02d}"


def _unsigned(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def format_sphere(hundredths: int | None) -> str:
    """A sphere: "PLANO" for zero, "" when not measured, else like ``format_power``."""
    if hundredths is None:
        return ""
    return "PLANO" if hundredths == 0 else format_power(hundredths)


def format_optional(hundredths: int | None) -> str:
    """A cylinder or add: "" when empty, else ``format_power``."""
    return "" if hundredths is None else format_power(hundredths)


def format_axis(axis: int | None) -> str:
    return "" if axis is None else str(axis)


def format_prism(hundredths: int | None, base: str | None) -> str:
    """ "1.50 BI" (prism dioptres and base); "" when none."""
    if not hundredths:
        return ""
    return f"{_unsigned(hundredths)} {BASE_ABBREVIATIONS.get(base or '', '')}".strip()


def format_pd(tenths: int | None) -> str:
    """ "62.5 mm", "31.0 mm"; "" when not measured."""
    return "" if tenths is None else f"{tenths // 10}.{tenths % 10} mm"


def format_rx(sphere: int | None, cylinder: int | None, axis: int | None) -> str:
    """One eye in one line: "-2.25 DS", "-2.25 / -0.50 x 180", "PLANO / +1.00 x 90", "PLANO"; "" if empty."""
    if sphere is None:
        return ""
    if not cylinder:
        return "PLANO" if sphere == 0 else f"{format_power(sphere)} DS"
    return f"{format_sphere(sphere)} / {format_power(cylinder)} x {format_axis(axis)}"


# --- optics -------------------------------------------------------------------------------------------------


def turn_axis(axis: int) -> int:
    """The axis 90 degrees away, within 1..180 (30 -> 120, 90 -> 180, 180 -> 90)."""
    if not AXIS_RANGE[0] <= axis <= AXIS_RANGE[1]:
        raise ValueError(f"axis {axis} is outside 1..180")
    return axis + 90 if axis <= 90 else axis - 90


def transpose(sphere: int, cylinder: int, axis: int) -> Power:
    """The same lens written in the other cylinder form: sphere + cylinder, -cylinder, axis +/- 90."""
    return Power(sphere + cylinder, -cylinder, turn_axis(axis))


def spherical_equivalent(sphere: int, cylinder: int | None) -> Decimal:
    """sphere + cylinder / 2, in dioptres, exact (-2.25 / -0.75 -> Decimal("-2.625"))."""
    return (Decimal(2 * sphere + (cylinder or 0)) / 200).normalize()


def format_spherical_equivalent(value: Decimal) -> str:
    """ "-2.625", "+1.50", "0.00": two decimals, three when the half of a 0.25 cylinder needs them."""
    if value == 0:
        return "0.00"
    text = f"{value:+.3f}"
    return text[:-1] if text.endswith("0") else text


def near_power(sphere: int, add: int | None) -> int:
    """The reading sphere: distance sphere + add (hundredths)."""
    return sphere + (add or 0)

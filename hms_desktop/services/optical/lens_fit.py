"""Whether a lens can be made in a prescribed power: pure checks, no store (the order form and the order
service use them). Powers are hundredths of a dioptre, as ``db.models.optical`` stores them.

Rules (``check_makeable``):
- A lens's range is in MINUS-cylinder form, so a plus-cylinder prescription is transposed first
  (``refraction.transpose``: sphere + cylinder, the cylinder's sign flipped, the axis turned 90 degrees), and
  a refusal then says so ("the prescription +5.50 / +1.00 x 90 is +6.50 / -1.00 x 180 in minus cylinder").
- The sphere must be within the lens's SPH range; a cylinder within its CYL range (a lens without a CYL
  range is made in sphere only; a lens whose CYL range leaves out 0, a toric, needs a cylinder); a cylinder
  needs its axis.
- ADD: required for bifocal, progressive, office and multifocal lenses (and within their ADD range), refused
  for the others (single vision, plano, spherical and toric contact lenses): a reading pair is made at the
  near power instead (sphere + add) with the add left out.
- Each refusal is one ``ValidationError(field, ...)`` naming the eye, the power and the lens with its range:
  "Right eye: -9.00 is outside Hoya progressive 1.60 (SPH -8.00 to +6.00)."
- Products that are not lenses (frames, solutions, accessories) have no power to check: always makeable.

``makeable_lenses`` keeps, from a list of products, the lenses that can be made for each prescribed eye (the
order form's lens list).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol, TypeVar

from hms_desktop.errors import ValidationError
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.catalog_rules import LENS_TYPE_LABELS, LENSES, NEEDS_ADD
from hms_desktop.services.optical.catalog_views import Ranged

EYE_WORDS = {"right": "Right eye", "left": "Left eye", "both": "Both eyes"}


class EyeRx(Protocol):
    """One eye's prescribed power (an ``EyeView`` of a stored prescription, or an ``EyePower``)."""

    @property
    def sphere(self) -> int | None: ...
    @property
    def cylinder(self) -> int | None: ...
    @property
    def axis(self) -> int | None: ...
    @property
    def add_power(self) -> int | None: ...


class EyePower(NamedTuple):
    """One eye's power typed in (an outside prescription): hundredths of a dioptre, axis in degrees."""

    sphere: int | None
    cylinder: int | None = None
    axis: int | None = None
    add_power: int | None = None


L = TypeVar("L", bound=Ranged)


def _span(low: int | None, high: int | None) -> str:
    return f"{rx.format_power(low or 0)} to {rx.format_power(high or 0)}"


def check_makeable(
    lens: Ranged,
    *,
    eye: str,
    sphere: int | None,
    cylinder: int | None,
    axis: int | None,
    add: int | None,
    field: str,
) -> None:
    """Raise ``ValidationError(field, ...)`` unless ``lens`` can be made in this eye's power (module rules)."""
    if eye not in EYE_WORDS:
        raise ValueError(f"eye is right, left or both, not {eye!r}")
    if lens.category not in LENSES:
        return
    who, name = EYE_WORDS[eye], lens.name
    if sphere is None:
        raise ValidationError(field, f"{who}: the prescription gives no power for this eye, so {name} cannot be "
                                     "made for it.")  # fmt: skip
    if lens.sphere_min is None or lens.sphere_max is None:
        raise ValidationError(field, f"{name} has no power range in the catalogue; add it there first.")
    sph, cyl, note = sphere, cylinder or 0, ""
    if cyl:
        if axis is None:
            raise ValidationError(field, f"{who}: the cylinder {rx.format_power(cyl)} has no axis in the "
                                         "prescription.")  # fmt: skip
        if cyl > 0:
            minus = rx.transpose(sphere, cyl, axis)
            note = (f"; the prescription {rx.format_rx(sphere, cyl, axis)} is {rx.format_rx(*minus)} in minus "
                    "cylinder")  # fmt: skip
            sph, cyl = minus.sphere, -cyl
    if not lens.sphere_min <= sph <= lens.sphere_max:
        raise ValidationError(field, f"{who}: {rx.format_power(sph)} is outside {name} (SPH "
                                     f"{_span(lens.sphere_min, lens.sphere_max)}){note}.")  # fmt: skip
    low, high = lens.cylinder_min, lens.cylinder_max
    if cyl and (low is None or high is None):
        raise ValidationError(field, f"{who}: {name} is made in sphere only, without cylinder; the prescription has "
                                     f"cylinder {rx.format_power(cyl)}{note}.")  # fmt: skip
    if low is not None and high is not None and not low <= cyl <= high:
        if not cyl:
            raise ValidationError(field, f"{who}: {name} is made for a cylinder (CYL {_span(low, high)}); the "
                                         "prescription has none for this eye.")  # fmt: skip
        raise ValidationError(field, f"{who}: cylinder {rx.format_power(cyl)} is outside {name} (CYL "
                                     f"{_span(low, high)}){note}.")  # fmt: skip
    kind = LENS_TYPE_LABELS.get(lens.lens_type or "", "")
    if lens.lens_type in NEEDS_ADD:
        if not add:
            raise ValidationError(field, f"{who}: {name} is a {kind} lens and needs the reading addition (ADD); the "
                                         "prescription gives none for this eye.")  # fmt: skip
        if lens.add_min is not None and lens.add_max is not None and not lens.add_min <= add <= lens.add_max:
            raise ValidationError(field, f"{who}: ADD {rx.format_power(add)} is outside {name} (ADD "
                                         f"{_span(lens.add_min, lens.add_max)}).")  # fmt: skip
    elif add:
        raise ValidationError(field, f"{who}: the prescription has ADD {rx.format_power(add)}, but {name} is a "
                                     f"{kind or 'single vision'} lens; choose a bifocal or progressive lens, or "
                                     "make a reading pair at the near power.")  # fmt: skip


def makeable_lenses(products: Iterable[L], *, right: EyeRx | None = None, left: EyeRx | None = None) -> list[L]:
    """The lenses among ``products`` that can be made for every prescribed eye given (an eye without a sphere
    is not prescribed and not checked); products that are not lenses are left out."""
    eyes = [(name, power) for name, power in (("right", right), ("left", left))
            if power is not None and power.sphere is not None]  # fmt: skip
    kept = []
    for lens in products:
        if lens.category not in LENSES:
            continue
        try:
            for name, p in eyes:
                check_makeable(lens, eye=name, sphere=p.sphere, cylinder=p.cylinder, axis=p.axis, add=p.add_power,
                               field="lens")  # fmt: skip
        except ValidationError:
            continue
        kept.append(lens)
    return kept

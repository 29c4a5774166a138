"""A lab test's parameters (its result template), their reference ranges by sex and age, and the flag a
measured value earns. Pure logic: no store, no permission (the catalog and result services call it).

The JSON shape of one parameter (``lab_tests.parameters`` holds a list of them, in report order)::

    {"name": "Haemoglobin",          # required, unique within the test (case aside), at most 80 characters
     "unit": "g/dL",                 # "" when the value has no unit
     "kind": "numeric",              # "numeric" (the default) or "text"
     "ranges": [                     # numeric only; the FIRST range matching the patient's sex and age applies
         {"sex": "male", "age_min": 18, "low": "13", "high": "17"},
         {"sex": "female", "age_min": 18, "low": "12", "high": "15"},
         {"sex": "any", "age_min": 1, "age_max": 18, "low": "11", "high": "15.5"}],
     "critical_low": "7",            # numeric only, optional: below it the value is critical (any sex, age)
     "critical_high": "20",          # numeric only, optional: above it the value is critical
     "choices": ["Positive", "Negative"],  # text only, optional: the value must be one of these
     "normal_values": ["Negative"],  # text only, optional: any other value is flagged abnormal
     "ref_text": "..."}              # optional: printed as the reference instead of "13 - 17"

``"ref_low"``/``"ref_high"`` on the parameter itself (the flat form ``db.models.lab.LabTest`` describes) are
read as one more range for any sex and age, after the others, and stored in ``ranges``.

Numbers are Decimal strings ("13", "0.45"), never floats. A range's ``sex`` is ``male``, ``female`` or ``any``
(the default); ``age_min`` (inclusive, default 0) and ``age_max`` (exclusive, default none) are whole years;
a range has a ``low``, a ``high`` or both (``low <= high``) and the ends themselves are normal. A patient
recorded as other or unknown sex, or with no date of birth, matches only the ranges that do not depend on it.

Flags of a value: ``critical`` (beyond a critical limit), ``abnormal`` (outside the range that applies, or a
text value not among ``normal_values``), ``normal``, or ``None`` when nothing applies (no range for this
patient, a text parameter without ``normal_values``); ``direction`` is ``low`` or ``high`` for numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hms_desktop.errors import ValidationError

KINDS = ("numeric", "text")
SEXES = ("male", "female", "any")
SEX_OF_GENDER = {"M": "male", "F": "female"}  # patients.gender; "O" and "U" match only "any" ranges
FLAG_RANK = {"normal": 0, "abnormal": 1, "critical": 2}
MAX_AGE = 150
_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PARAM_KEYS = frozenset(
    {"name", "unit", "kind", "ranges", "critical_low", "critical_high", "choices", "normal_values", "ref_text",
     "ref_low", "ref_high"}
)  # fmt: skip
MAX_NUMBER_CHARS = 20
_RANGE_KEYS = frozenset({"sex", "age_min", "age_max", "low", "high"})


@dataclass(frozen=True, kw_only=True)
class ReferenceRange:
    sex: str  # male, female, any
    age_min: int  # whole years, inclusive
    age_max: int | None  # whole years, exclusive; None: no upper age
    low: str | None  # Decimal string
    high: str | None


@dataclass(frozen=True, kw_only=True)
class LabParameter:
    name: str
    unit: str
    kind: str  # numeric, text
    ranges: tuple[ReferenceRange, ...]
    critical_low: str | None
    critical_high: str | None
    choices: tuple[str, ...]
    normal_values: tuple[str, ...]
    ref_text: str


@dataclass(frozen=True, kw_only=True)
class ResultValue:
    """One measured value, checked: what ``lab_orders.result["values"]`` stores for it (``as_json``)."""

    name: str
    value: str
    unit: str
    ref_low: str | None
    ref_high: str | None
    ref_text: str  # the reference as printed ("13 - 17", "Negative", "" when none applies)
    flag: str | None  # normal, abnormal, critical, or None
    direction: str | None  # low, high, or None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "value": self.value, "unit": self.unit, "ref_low": self.ref_low,
            "ref_high": self.ref_high, "ref_text": self.ref_text, "flag": self.flag, "direction": self.direction,
        }  # fmt: skip


def result_value_of(raw: Mapping[str, Any]) -> ResultValue:
    """A stored value back from its JSON."""
    return ResultValue(
        name=str(raw.get("name", "")), value=str(raw.get("value", "")), unit=str(raw.get("unit") or ""),
        ref_low=raw.get("ref_low"), ref_high=raw.get("ref_high"), ref_text=str(raw.get("ref_text") or ""),
        flag=raw.get("flag"), direction=raw.get("direction"),
    )  # fmt: skip


def decimal_of(value: object) -> Decimal | None:
    """A finite Decimal from text ("12.5"), a Decimal or an int; None for anything else (floats included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str) and len(value.strip()) <= MAX_NUMBER_CHARS and _NUMBER.fullmatch(value.strip()):
        return Decimal(value.strip())
    return None


def _fail(index: int, name: str, message: str) -> ValidationError:
    label = f"Parameter {index + 1}" + (f" ({name})" if name else "")
    return ValidationError("parameters", f"{label}: {message}")


def _number_text(raw: object, index: int, name: str, what: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or decimal_of(raw) is None:
        raise _fail(index, name, f'{what} must be a number written as text, such as "13" or "4.5".')
    return raw.strip()


def _age(raw: object, index: int, name: str, what: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_AGE:
        raise _fail(index, name, f"{what} must be a whole number of years from 0 to {MAX_AGE}.")
    return raw


def _range(raw: object, index: int, name: str) -> ReferenceRange:
    if not isinstance(raw, Mapping):
        raise _fail(index, name, "each reference range must be an object with low and/or high.")
    extra = set(raw) - _RANGE_KEYS
    if extra:
        raise _fail(index, name, f"a reference range cannot have {', '.join(sorted(map(str, extra)))}.")
    sex = raw.get("sex", "any")
    if sex not in SEXES:
        raise _fail(index, name, "a range's sex must be male, female or any.")
    low = _number_text(raw.get("low"), index, name, "The low end")
    high = _number_text(raw.get("high"), index, name, "The high end")
    if low is None and high is None:
        raise _fail(index, name, "a reference range needs a low end, a high end or both.")
    if low is not None and high is not None and Decimal(low) > Decimal(high):
        raise _fail(index, name, f"the low end {low} is above the high end {high}.")
    age_min = _age(raw.get("age_min"), index, name, "The lower age") or 0
    age_max = _age(raw.get("age_max"), index, name, "The upper age")
    if age_max is not None and age_max <= age_min:
        raise _fail(index, name, f"the upper age {age_max} must be above the lower age {age_min}.")
    return ReferenceRange(sex=str(sex), age_min=age_min, age_max=age_max, low=low, high=high)


def _texts(raw: object, index: int, name: str, what: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise _fail(index, name, f'{what} must be a list of words, such as ["Positive", "Negative"].')
    return tuple(" ".join(x.split()) for x in raw)


def parse_parameter(raw: object, index: int) -> LabParameter:
    """One parameter from its JSON shape (see the module docstring), or ValidationError("parameters", ...)."""
    if not isinstance(raw, Mapping):
        raise _fail(index, "", "must be an object with at least a name.")
    raw_name = raw.get("name")
    name = " ".join(raw_name.split()) if isinstance(raw_name, str) else ""
    if not name or len(name) > 80:
        raise _fail(index, name, "a parameter needs a name of at most 80 characters.")
    extra = set(raw) - _PARAM_KEYS
    if extra:
        raise _fail(index, name, f"unknown setting {', '.join(sorted(map(str, extra)))}.")
    unit, ref_text, kind = raw.get("unit", ""), raw.get("ref_text", ""), raw.get("kind", "numeric")
    if not isinstance(unit, str) or len(unit) > 24:
        raise _fail(index, name, 'the unit must be text of at most 24 characters, such as "g/dL".')
    if not isinstance(ref_text, str) or len(ref_text) > 200:
        raise _fail(index, name, "the reference text must be text of at most 200 characters.")
    if kind not in KINDS:
        raise _fail(index, name, "the kind must be numeric or text.")
    ranges_raw = raw.get("ranges") or []
    if not isinstance(ranges_raw, Sequence) or isinstance(ranges_raw, str):
        raise _fail(index, name, "ranges must be a list of reference ranges.")
    ranges = tuple(_range(r, index, name) for r in ranges_raw)
    if raw.get("ref_low") is not None or raw.get("ref_high") is not None:
        flat = {"low": raw.get("ref_low"), "high": raw.get("ref_high")}
        ranges += (_range({k: v for k, v in flat.items() if v is not None}, index, name),)
    crit_low = _number_text(raw.get("critical_low"), index, name, "The critical low limit")
    crit_high = _number_text(raw.get("critical_high"), index, name, "The critical high limit")
    choices = _texts(raw.get("choices"), index, name, "Choices")
    normal = _texts(raw.get("normal_values"), index, name, "Normal values")
    if kind == "text" and (ranges or crit_low is not None or crit_high is not None):
        raise _fail(index, name, "a text parameter has no numeric ranges or critical limits.")
    if kind == "numeric" and (choices or normal):
        raise _fail(index, name, "choices and normal values belong to text parameters.")
    if crit_low is not None and crit_high is not None and Decimal(crit_low) >= Decimal(crit_high):
        raise _fail(index, name, "the critical low limit must be below the critical high limit.")
    folded = {c.casefold() for c in choices}
    if choices and any(v.casefold() not in folded for v in normal):
        raise _fail(index, name, "every normal value must be one of the choices.")
    return LabParameter(
        name=name, unit=unit.strip(), kind=str(kind), ranges=ranges, critical_low=crit_low,
        critical_high=crit_high, choices=choices, normal_values=normal, ref_text=" ".join(ref_text.split()),
    )  # fmt: skip


def parse_parameters(raw: object) -> tuple[LabParameter, ...]:
    """The whole list, validated: names unique within the test."""
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValidationError("parameters", "Parameters must be a list.")
    params = tuple(parse_parameter(p, i) for i, p in enumerate(raw))
    seen: set[str] = set()
    for i, p in enumerate(params):
        if p.name.casefold() in seen:
            raise _fail(i, p.name, "another parameter of this test has the same name.")
        seen.add(p.name.casefold())
    return params


def parameter_json(p: LabParameter) -> dict[str, Any]:
    """The stored shape of ``p`` (only the settings it uses)."""
    out: dict[str, Any] = {"name": p.name, "unit": p.unit, "kind": p.kind}
    if p.ranges:
        out["ranges"] = [_range_json(r) for r in p.ranges]
    for key in ("critical_low", "critical_high", "ref_text"):
        if getattr(p, key):
            out[key] = getattr(p, key)
    if p.choices:
        out["choices"] = list(p.choices)
    if p.normal_values:
        out["normal_values"] = list(p.normal_values)
    return out


def _range_json(r: ReferenceRange) -> dict[str, Any]:
    out: dict[str, Any] = {"sex": r.sex, "age_min": r.age_min}
    if r.age_max is not None:
        out["age_max"] = r.age_max
    if r.low is not None:
        out["low"] = r.low
    if r.high is not None:
        out["high"] = r.high
    return out


def range_for(p: LabParameter, sex: str | None, age: int | None) -> ReferenceRange | None:
    """The first range of ``p`` that fits a patient of ``sex`` (male/female/None) aged ``age`` (None: unknown)."""
    for r in p.ranges:
        if r.sex not in ("any", sex):
            continue
        if age is None and (r.age_min > 0 or r.age_max is not None):
            continue
        if age is not None and (age < r.age_min or (r.age_max is not None and age >= r.age_max)):
            continue
        return r
    return None


def range_text(r: ReferenceRange) -> str:
    if r.low is not None and r.high is not None:
        return f"{r.low} - {r.high}"
    return f"\u2264 {r.high}" if r.high is not None else f"\u2265 {r.low}"


def assess_number(p: LabParameter, value: Decimal, text: str, sex: str | None, age: int | None) -> ResultValue:
    r = range_for(p, sex, age)
    flag: str | None = None
    direction: str | None = None
    if p.critical_low is not None and value < Decimal(p.critical_low):
        flag, direction = "critical", "low"
    elif p.critical_high is not None and value > Decimal(p.critical_high):
        flag, direction = "critical", "high"
    elif r is not None:
        if r.low is not None and value < Decimal(r.low):
            flag, direction = "abnormal", "low"
        elif r.high is not None and value > Decimal(r.high):
            flag, direction = "abnormal", "high"
        else:
            flag = "normal"
    ref = p.ref_text or (range_text(r) if r is not None else "")
    return ResultValue(name=p.name, value=text, unit=p.unit, ref_low=r.low if r else None,
                    ref_high=r.high if r else None, ref_text=ref, flag=flag, direction=direction)  # fmt: skip


def assess_text(p: LabParameter, value: str) -> ResultValue:
    flag = None
    if p.normal_values:
        flag = "normal" if value.casefold() in {v.casefold() for v in p.normal_values} else "abnormal"
    ref = p.ref_text or " / ".join(p.normal_values)
    return ResultValue(name=p.name, value=value, unit=p.unit, ref_low=None, ref_high=None, ref_text=ref, flag=flag,
                    direction=None)  # fmt: skip


def worst(flags: Sequence[str | None]) -> str | None:
    """The overall flag of a result: the worst of its values' flags (None when none was flagged)."""
    found = [f for f in flags if f is not None]
    return max(found, key=FLAG_RANK.__getitem__) if found else None

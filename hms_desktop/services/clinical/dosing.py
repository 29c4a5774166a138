"""Dosing arithmetic for a prescription line: the frequency as Indian doctors write it, the dose, the duration
and the quantity to dispense. Pure functions: no store, no clock.

Frequencies understood (case and spaces do not matter):
- the slot pattern ``morning-noon-night`` (``1-0-1``, ``1-1-1``, ``0-0-1``) or ``morning-noon-evening-night``
  (``1-0-0-1``); each slot holds how many doses are taken then: ``0``, ``1``, ``2``, ``½``, ``¼``, ``¾``,
  ``1½``, ``0.5`` or ``1/2``. Doses per day = the sum of the slots (``½-0-½`` = 1);
- abbreviations: ``OD`` (once a day), ``BD``/``BID`` (twice), ``TDS``/``TID`` (three times), ``QID``/``QDS``
  (four times), ``HS`` (at bedtime, once a day), ``SOS``/``PRN`` (as needed), ``STAT`` (one dose, now);
- words: ``once a day``/``once daily``/``daily``, ``twice a day``, ``thrice a day``/``three times a day``,
  ``four times a day``, ``at bedtime``, ``as needed``, ``once a week``/``weekly``/``1/week``.
Anything else is refused with a ``ValidationError`` that lists what may be written.

Quantity = ceil(doses per day x units per dose x days), counted in the dose's unit (tablets, capsules,
sachets); ``STAT`` is one dose whatever the duration; ``SOS`` has no rule (the doctor gives the quantity).
A dose measured in ml, drops, puffs or applications gives no count of units: the quantity is then left to the
doctor or the pharmacist (``None``). Duration is 1 to 365 days.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from hms_desktop.errors import ValidationError

MIN_DAYS = 1
MAX_DAYS = 365
MAX_PER_SLOT = Fraction(10)
FREQUENCY_HELP = "write it as 1-0-1, 1-0-0-1, ½-0-½, OD, BD, TDS, QID, HS, SOS, STAT or once a week"


@dataclass(frozen=True, kw_only=True)
class Frequency:
    """A parsed frequency. ``doses_per_day`` is None for SOS (as needed) and STAT (one dose)."""

    text: str  # as normalised for storage ("1-0-1", "BD", "once a week")
    label: str  # in words, for the printout and the screen ("twice a day (morning, night)")
    doses_per_day: Fraction | None
    as_needed: bool = False
    single_dose: bool = False


_SLOT_NAMES = {3: ("morning", "afternoon", "night"), 4: ("morning", "afternoon", "evening", "night")}
_UNICODE_FRACTIONS = {"½": Fraction(1, 2), "¼": Fraction(1, 4), "¾": Fraction(3, 4)}
_TIMES_A_DAY = {1: "once a day", 2: "twice a day", 3: "three times a day", 4: "four times a day"}

_NAMED: dict[str, tuple[str, str, Fraction | None, bool, bool]] = {}


def _name(
    words: tuple[str, ...], text: str, label: str, per_day: Fraction | None, *, sos: bool = False, stat: bool = False
) -> None:
    for w in words:
        _NAMED[w] = (text, label, per_day, sos, stat)


_name(("od", "qd", "once a day", "once daily", "daily", "1/day", "once"), "OD", "once a day", Fraction(1))
_name(("bd", "bid", "twice a day", "twice daily", "2/day"), "BD", "twice a day", Fraction(2))
_name(("tds", "tid", "thrice a day", "thrice daily", "three times a day", "3/day"), "TDS", "three times a day",
      Fraction(3))  # fmt: skip
_name(("qid", "qds", "four times a day", "4/day"), "QID", "four times a day", Fraction(4))
_name(("hs", "at bedtime", "bedtime", "at night"), "HS", "at bedtime", Fraction(1))
_name(("sos", "prn", "as needed", "when needed", "as required"), "SOS", "when needed (SOS)", None, sos=True)
_name(("stat", "immediately", "now"), "STAT", "one dose at once (STAT)", None, stat=True)
_name(("once a week", "once weekly", "weekly", "1/week", "1 / week", "once in a week"), "once a week",
      "once a week", Fraction(1, 7))  # fmt: skip

_NUMBER = re.compile(r"^(\d+(?:\.\d+)?)?([½¼¾])?$|^(\d+)/(\d+)$")
_DOSE = re.compile(r"^\s*(\d+\s*/\s*\d+|\d+(?:\.\d+)?)?\s*([½¼¾])?\s*([^\d\s].*)?$")
_COUNT_UNITS = frozenset(
    "tab tabs tablet tablets cap caps capsule capsules sachet sachets pouch pouches pc pcs piece pieces "
    "lozenge lozenges no nos".split()
)


def _number(token: str) -> Fraction | None:
    """``1``, ``0.5``, ``½``, ``1½``, ``1/2`` as a Fraction; None when it is not a number."""
    m = _NUMBER.match(token)
    if m is None or not token:
        return None
    if m.group(3) is not None:
        den = int(m.group(4))
        return Fraction(int(m.group(3)), den) if den else None
    whole = Fraction(m.group(1)) if m.group(1) else Fraction(0)
    return whole + (_UNICODE_FRACTIONS[m.group(2)] if m.group(2) else 0)


def _normalise(text: str) -> str:
    """NFKC (full-width digits), unify dashes, lower case, single spaces."""
    # NFKC (full-width digits) except the vulgar fractions, which it would turn into "1⁄2" ("1½" -> "11⁄2")
    t = "".join(ch if ch in _UNICODE_FRACTIONS else unicodedata.normalize("NFKC", ch) for ch in text)
    t = t.replace("\u2044", "/")
    t = re.sub(r"[\u2010-\u2015\u2212]", "-", t)
    return " ".join(t.lower().split())


def _fractions_back(text: str) -> str:
    return text.replace("1/2", "½").replace("1/4", "¼").replace("3/4", "¾")


def _pattern(t: str) -> Frequency | None:
    parts = [p.strip() for p in t.split("-")]
    if len(parts) not in (3, 4):
        return None
    values = [_number(p.replace(" ", "")) for p in parts]
    if any(v is None for v in values):
        return None
    counts = [v for v in values if v is not None]
    if any(v > MAX_PER_SLOT for v in counts):
        raise ValidationError("frequency", f"{t}: at most {MAX_PER_SLOT} doses at one time of day.")
    total = sum(counts, Fraction(0))
    if total == 0:
        raise ValidationError("frequency", f"{t} gives no dose at all; {FREQUENCY_HELP}.")
    names = _SLOT_NAMES[len(parts)]
    taken = [f"{names[i]}" for i, v in enumerate(counts) if v]
    times = sum(1 for v in counts if v)
    label = f"{_TIMES_A_DAY.get(times, f'{times} times a day')} ({', '.join(taken)})"
    text = "-".join(_fractions_back(_show(v)) for v in counts)
    return Frequency(text=text, label=label, doses_per_day=total)


def _show(v: Fraction) -> str:
    if v.denominator == 1:
        return str(v.numerator)
    whole, rest = divmod(v.numerator, v.denominator)
    frac = f"{rest}/{v.denominator}"
    return f"{whole}{_fractions_back(frac)}" if whole else frac


def parse_frequency(text: str | None, field: str = "frequency") -> Frequency:
    """The frequency a doctor wrote, parsed; ``ValidationError(field, ...)`` for anything not understood."""
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(field, f"Frequency is required; {FREQUENCY_HELP}.")
    t = _normalise(raw)
    named = _NAMED.get(t) or _NAMED.get(t.replace(".", ""))
    if named is not None:
        code, label, per_day, sos, stat = named
        return Frequency(text=code, label=label, doses_per_day=per_day, as_needed=sos, single_dose=stat)
    try:
        found = _pattern(t)
    except ValidationError as exc:
        raise ValidationError(field, exc.message) from None
    if found is None:
        raise ValidationError(field, f'"{raw}" is not a frequency this app understands; {FREQUENCY_HELP}.')
    return found


def check_duration(days: int | None, field: str = "duration_days") -> int:
    """A course of 1 to 365 days."""
    if days is None:
        raise ValidationError(field, "Duration is required (number of days, 1 to 365).")
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValidationError(field, "Duration is a whole number of days.")
    if days < MIN_DAYS:
        raise ValidationError(field, "Duration must be at least 1 day.")
    if days > MAX_DAYS:
        raise ValidationError(field, f"Duration can be at most {MAX_DAYS} days; review the patient before then.")
    return days


def units_per_dose(dosage: str | None) -> Fraction | None:
    """How many countable units one dose is: ``1 tab`` -> 1, ``½ tab`` -> 1/2, ``2 caps`` -> 2, ``1`` -> 1.
    None for measured doses (``5 ml``, ``2 drops``, ``2 puffs``, ``apply``) and for text without a number."""
    t = _normalise(dosage or "")
    m = _DOSE.match(t)
    if m is None or not (m.group(1) or m.group(2)):
        return None
    amount = Fraction(0)
    if m.group(1):
        number = m.group(1).replace(" ", "")
        if number.endswith("/0"):
            return None
        amount = Fraction(number)
    if m.group(2):
        amount += _UNICODE_FRACTIONS[m.group(2)]
    unit = (m.group(3) or "").strip().rstrip(".")
    if unit and unit.split()[0] not in _COUNT_UNITS:
        return None
    return amount if amount > 0 else None


def quantity(freq: Frequency, per_dose: Fraction | None, days: int) -> int | None:
    """Units to dispense: ceil(doses per day x units per dose x days); one dose for STAT; None when there is no
    rule (SOS, or a dose not counted in units)."""
    if per_dose is None or freq.as_needed:
        return None
    if freq.single_dose:
        return math.ceil(per_dose)
    assert freq.doses_per_day is not None
    return math.ceil(freq.doses_per_day * per_dose * days)

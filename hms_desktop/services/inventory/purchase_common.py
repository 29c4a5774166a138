"""What the supplier, purchase-order and goods-receipt services share: whole numbers and money checked the same
way, the medicines a purchase line may name (read with our own queries, never through the catalogue service),
the labels messages use ("Rs 33.60", "06/2027", "strip of 15 tablets") and the names of the staff on a document.

Rules: a quantity is a whole number (never a bool or a float) within its bounds; money is whole paise; a line
may name only a medicine of the catalogue that is not deleted and is active (an inactive medicine is named in
the refusal); a line list is a non-empty sequence of at most ``MAX_LINES`` lines.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from db.models.identity import User
from db.models.pharmacy import Medicine
from hms_desktop.context import Transaction
from hms_desktop.errors import ValidationError
from hms_desktop.money import rupees_text

MAX_LINES = 200  # lines on one purchase order or goods receipt
MAX_PACKS = 100_000  # packs on one line
MAX_PACK_PAISE = 10_000_000  # Rs 1 lakh for one pack: a larger cost or MRP is a typing slip


def whole(value: object, field: str, label: str, low: int, high: int) -> int:
    """``value`` as an int within ``low..high`` or a ValidationError naming ``label``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{label} must be a whole number.")
    if not low <= value <= high:
        raise ValidationError(field, f"{label} must be between {low:,} and {high:,}.")
    return value


def paise(value: object, field: str, label: str) -> int:
    """A price of one pack in paise: more than zero, at most ``MAX_PACK_PAISE``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(field, f"{label} must be a whole number of paise.")
    if value <= 0:
        raise ValidationError(field, f"{label} must be more than zero.")
    if value > MAX_PACK_PAISE:
        raise ValidationError(field, f"{label} of Rs {rupees_text(value)} is larger than expected; please re-check it.")
    return value


def a_date(value: object, field: str, label: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(field, f"Enter {label} as a date.")
    return value


def lines_of(lines: object, field: str = "lines") -> list[Any]:
    if isinstance(lines, str | bytes) or not isinstance(lines, Sequence) or not lines:
        raise ValidationError(field, "Add at least one line.")
    if len(lines) > MAX_LINES:
        raise ValidationError(field, f"A document has at most {MAX_LINES} lines; split it in two.")
    return list(lines)


def rupees(amount_paise: int) -> str:
    return f"Rs {rupees_text(amount_paise)}"


def month_year(day: date) -> str:
    """An expiry as printed on a pack: ``06/2027``."""
    return f"{day:%m/%Y}"


def pack_label(m: Medicine) -> str:
    """``strip of 15 tablets``, ``bottle``, ``1 vial``: what one pack on the order is."""
    if m.pack_size == 1:
        return m.unit
    container = "bottle" if m.form in ("syrup", "drops") or m.unit == "bottle" else "pack"
    if m.form in ("tablet", "capsule") and m.unit in ("tablet", "capsule"):
        container = "strip" if m.pack_size <= 30 else "bottle"
    plural = m.unit + ("es" if m.unit.endswith(("x", "s", "ch")) else "s")
    return f"{container} of {m.pack_size} {plural}"


def medicines_by_id(tx: Transaction, ids: set[uuid.UUID]) -> dict[uuid.UUID, Medicine]:
    wanted = {i for i in ids if isinstance(i, uuid.UUID)}
    if not wanted:
        return {}
    rows = tx.session.scalars(select(Medicine).where(Medicine.id.in_(wanted), Medicine.deleted_at.is_(None)))
    return {m.id: m for m in rows}


def active_medicine(found: dict[uuid.UUID, Medicine], medicine_id: object, field: str, line_no: int) -> Medicine:
    """The medicine a line names, refused when unknown, deleted or inactive."""
    m = found.get(medicine_id) if isinstance(medicine_id, uuid.UUID) else None
    if m is None:
        raise ValidationError(field, f"Line {line_no}: choose a medicine from the catalogue.")
    if not m.is_active:
        raise ValidationError(
            field, f"Line {line_no}: {m.name} is inactive in the catalogue; it cannot be bought or received."
        )
    return m


def user_names(tx: Transaction, ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in tx.session.scalars(select(User).where(User.id.in_(wanted)))}

"""Money: integer paise everywhere, read from rupees with Decimal (never float), shown as rupees."""

from __future__ import annotations

import re
from decimal import Decimal

from hms_desktop.errors import ValidationError

MAX_RUPEES = Decimal("1000000")


def clean_rupees(value: object, field: str = "amount_rupees", *, max_rupees: Decimal = MAX_RUPEES) -> int:
    """Rupees ("500", "1,499.50" or a Decimal) -> paise; never through float."""
    if isinstance(value, str):
        text = value.strip().removeprefix("₹").strip().replace(",", "")
        amount = Decimal(text) if re.fullmatch(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", text) else None
    elif isinstance(value, Decimal):
        amount = value if value.is_finite() else None
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    else:
        amount = None
    if amount is None:
        raise ValidationError(field, "Enter the amount in rupees, for example 500 or 499.50.")
    if amount < 0:
        raise ValidationError(field, "The amount cannot be negative.")
    if amount > max_rupees:
        raise ValidationError(field, "That amount is larger than expected; please re-check it.")
    paise = amount * 100
    if paise != paise.to_integral_value():
        raise ValidationError(field, "An amount has at most 2 decimals (paise), for example 499.50.")
    return int(paise)


def rupees_text(paise: int) -> str:
    """``149950`` -> ``"1499.50"``."""
    return f"{Decimal(paise) / 100:.2f}"

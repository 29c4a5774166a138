"""Tax rules (GST and others): their rates, HSN/SAC codes and dates in force, and the GST split of an amount.

A rule is in force from ``effective_from`` to ``effective_to`` inclusive (no end date: open-ended). Two
active rules for the same ``applies_to`` and the same HSN/SAC code may not be in force on the same day, so
at most one rule answers ``tax_for``; a rule with a blank code is the default for its ``applies_to``.
Rates are whole basis points (18% = 1800), parsed from text with Decimal, never float.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from db.models.hospital import TAX_APPLIES_TO, TAX_KINDS, TaxConfiguration
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.settings import current_hospital
from hms_desktop.validation import clean_text

SERVICES = ("service", "lab")  # billed with a SAC code (chapter 99; health services are 9993..)
GOODS = ("medicine", "optical")  # billed with an HSN code (never chapter 99)
_CENT = Decimal("0.01")


@dataclass(frozen=True, kw_only=True)
class TaxInput:
    name: str
    rate_percent: str | Decimal  # "18", "2.5", "0.25": at most 2 decimals, 0..100
    applies_to: str  # service, medicine, optical, lab
    effective_from: date
    hsn_sac_code: str = ""  # 4, 6 or 8 digits, or "" for the default rule of applies_to
    kind: str = "GST"
    intra_state_split: bool = True
    effective_to: date | None = None  # the last day in force (inclusive); None: open-ended


@dataclass(frozen=True, kw_only=True)
class TaxView:
    id: uuid.UUID
    name: str
    kind: str
    rate_basis_points: int
    hsn_sac_code: str
    applies_to: str
    intra_state_split: bool
    effective_from: date
    effective_to: date | None
    is_active: bool

    @property
    def rate_percent(self) -> Decimal:
        return Decimal(self.rate_basis_points).scaleb(-2)


def _view(t: TaxConfiguration) -> TaxView:
    return TaxView(
        id=t.id,
        name=t.name,
        kind=t.kind,
        rate_basis_points=t.rate_basis_points,
        hsn_sac_code=t.hsn_sac_code,
        applies_to=t.applies_to,
        intra_state_split=t.intra_state_split,
        effective_from=t.effective_from,
        effective_to=t.effective_to,
        is_active=t.is_active,
    )


def rate_basis_points(value: object, field: str = "rate_percent") -> int:
    """``"18"`` -> 1800, ``"2.5"`` -> 250, ``"0.25"`` -> 25. At most 2 decimals; 0 to 100 percent."""
    number: Decimal | None = None
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().removesuffix("%").strip())
        except InvalidOperation:
            number = None
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value)
    if number is None or not number.is_finite():
        raise ValidationError(field, f"{value} is not a rate; enter a percentage such as 18 or 2.5.")
    if not 0 <= number <= 100:
        raise ValidationError(field, "A tax rate is from 0 to 100 percent.")
    if number != number.quantize(_CENT):
        raise ValidationError(field, "A tax rate can have at most 2 decimals, for example 2.5 or 0.25.")
    return int(number.quantize(_CENT) * 100)


def _applies_to(value: object) -> str:
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in TAX_APPLIES_TO:
        raise ValidationError("applies_to", f"Choose what the tax applies to: {', '.join(TAX_APPLIES_TO)}.")
    return text


def clean_hsn_sac(value: object, applies_to: str) -> str:
    text = re.sub(r"[\s.]", "", value) if isinstance(value, str) else None
    if text is None or (text and not (text.isascii() and text.isdigit() and len(text) in (4, 6, 8))):
        raise ValidationError("hsn_sac_code", "An HSN/SAC code has 4, 6 or 8 digits (or leave it blank).")
    if text and applies_to in SERVICES and not text.startswith("99"):
        raise ValidationError("hsn_sac_code", "Services use a SAC code, which starts with 99 (health care: 9993).")
    if text and applies_to in GOODS and text.startswith("99"):
        raise ValidationError("hsn_sac_code", "Codes starting with 99 are for services; goods use an HSN code.")
    return text


def _date(value: object, field: str) -> date:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            pass
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError(field, "Enter a date (for example 2026-04-01).")
    return value


def clean_tax(data: TaxInput) -> dict[str, Any]:
    """The validated, normalised columns of a tax rule (raises ValidationError naming the field)."""
    applies_to = _applies_to(data.applies_to)
    kind = data.kind.strip().upper() if isinstance(data.kind, str) else None
    if kind not in TAX_KINDS:
        raise ValidationError("kind", f"The kind of tax is one of: {', '.join(TAX_KINDS)}.")
    if not isinstance(data.intra_state_split, bool):
        raise ValidationError("intra_state_split", "Choose whether the tax is split into CGST and SGST.")
    values: dict[str, Any] = {
        "name": clean_text(data.name if isinstance(data.name, str) else None, "name", label="Tax name", max_len=80),
        "rate_basis_points": rate_basis_points(data.rate_percent),
        "applies_to": applies_to,
        "hsn_sac_code": clean_hsn_sac(data.hsn_sac_code, applies_to),
        "kind": kind,
        "intra_state_split": data.intra_state_split,
        "effective_from": _date(data.effective_from, "effective_from"),
        "effective_to": None if data.effective_to is None else _date(data.effective_to, "effective_to"),
    }
    if values["effective_to"] is not None and values["effective_to"] < values["effective_from"]:
        raise ValidationError("effective_to", "The end date cannot be before the start date.")
    return values


def _active(hospital_id: uuid.UUID) -> Select[TaxConfiguration]:
    return select(TaxConfiguration).where(
        TaxConfiguration.hospital_id == hospital_id,
        TaxConfiguration.is_active.is_(True),
        TaxConfiguration.deleted_at.is_(None),
    )


def _in_force(query: Select[TaxConfiguration], on: date) -> Select[TaxConfiguration]:
    return query.where(
        TaxConfiguration.effective_from <= on,
        or_(TaxConfiguration.effective_to.is_(None), TaxConfiguration.effective_to >= on),
    )


def _check_overlap(
    session: Session, hospital_id: uuid.UUID, values: dict[str, Any], field: str, exclude: uuid.UUID | None = None
) -> None:
    start, end = values["effective_from"], values["effective_to"]
    query = _active(hospital_id).where(
        TaxConfiguration.applies_to == values["applies_to"], TaxConfiguration.hsn_sac_code == values["hsn_sac_code"]
    )
    if exclude is not None:
        query = query.where(TaxConfiguration.id != exclude)
    for other in session.scalars(query.order_by(TaxConfiguration.effective_from)):
        if (other.effective_to is None or start <= other.effective_to) and (end is None or other.effective_from <= end):
            until = f" to {other.effective_to.isoformat()}" if other.effective_to else " (no end date)"
            raise ValidationError(
                field,
                f"These dates overlap {other.name} from {other.effective_from.isoformat()}{until}. "
                "End that rule first, or change the dates.",
            )


def _get(session: Session, hospital_id: uuid.UUID, tax_id: uuid.UUID) -> TaxConfiguration:
    found = session.scalars(_active(hospital_id).where(TaxConfiguration.id == tax_id)).first()
    if found is None:
        raise NotFound("That tax rule does not exist (it may have been removed on another PC).")
    return found


@requires("settings.manage")
def create_tax(ctx: Context, data: TaxInput) -> TaxView:
    values = clean_tax(data)
    with ctx.transaction() as tx:
        hospital_id = current_hospital(tx.session).id
        _check_overlap(tx.session, hospital_id, values, "effective_from")
        tax = TaxConfiguration(hospital_id=hospital_id, is_active=True, **values)
        tx.session.add(tax)
        tx.flush()
        view = _view(tax)
        tx.commit()
    return view


@requires("settings.manage")
def update_tax(ctx: Context, tax_id: uuid.UUID, data: TaxInput) -> TaxView:
    """Replace a rule's fields with ``data`` (same checks as ``create_tax``)."""
    values = clean_tax(data)
    with ctx.transaction() as tx:
        hospital_id = current_hospital(tx.session).id
        tax = _get(tx.session, hospital_id, tax_id)
        _check_overlap(tx.session, hospital_id, values, "effective_from", exclude=tax.id)
        for key, value in values.items():
            if getattr(tax, key) != value:
                setattr(tax, key, value)
        tx.flush()
        view = _view(tax)
        tx.commit()
    return view


@requires("settings.manage")
def end_tax(ctx: Context, tax_id: uuid.UUID, effective_to: date) -> TaxView:
    """Set the last day a rule is in force (a new rate then starts the day after)."""
    end = _date(effective_to, "effective_to")
    with ctx.transaction() as tx:
        hospital_id = current_hospital(tx.session).id
        tax = _get(tx.session, hospital_id, tax_id)
        if end < tax.effective_from:
            raise ValidationError(
                "effective_to", f"The end date cannot be before the rule starts ({tax.effective_from.isoformat()})."
            )
        values = {
            "applies_to": tax.applies_to,
            "hsn_sac_code": tax.hsn_sac_code,
            "effective_from": tax.effective_from,
            "effective_to": end,
        }
        _check_overlap(tx.session, hospital_id, values, "effective_to", exclude=tax.id)
        if tax.effective_to != end:
            tax.effective_to = end
            tx.flush()
        view = _view(tax)
        tx.commit()
    return view


@requires("settings.view")
def list_taxes(ctx: Context, applies_to: str | None = None, on: date | None = None) -> list[TaxView]:
    """Active rules, optionally only those for ``applies_to`` and/or in force on the date ``on``."""
    kind = _applies_to(applies_to) if applies_to is not None else None
    day = _date(on, "on") if on is not None else None
    with ctx.transaction(readonly=True) as tx:
        query = _active(current_hospital(tx.session).id)
        if kind is not None:
            query = query.where(TaxConfiguration.applies_to == kind)
        if day is not None:
            query = _in_force(query, day)
        order = (TaxConfiguration.applies_to, TaxConfiguration.hsn_sac_code, TaxConfiguration.effective_from)
        return [_view(t) for t in tx.session.scalars(query.order_by(*order))]


@requires("billing.view")
def tax_for(ctx: Context, applies_to: str, on_date: date, hsn_sac_code: str = "") -> TaxView | None:
    """The rule in force on ``on_date``: the one for this exact HSN/SAC code, else the blank-code default."""
    kind = _applies_to(applies_to)
    day = _date(on_date, "on_date")
    code = clean_hsn_sac(hsn_sac_code, kind)
    with ctx.transaction(readonly=True) as tx:
        query = _in_force(_active(current_hospital(tx.session).id), day).where(
            TaxConfiguration.applies_to == kind, TaxConfiguration.hsn_sac_code.in_((code, ""))
        )
        rules = {t.hsn_sac_code: t for t in tx.session.scalars(query)}
        found = rules.get(code) or rules.get("")
        return _view(found) if found is not None else None


def split_gst(taxable_paise: int, rate_basis_points: int, intra_state: bool) -> dict[str, int]:
    """GST on one taxable amount (one invoice line), in whole paise.

    tax = taxable_paise x rate / 10000, rounded once with ROUND_HALF_UP (Decimal, never float).
    Intra-state: CGST and SGST take half each; when the tax is an odd number of paise, CGST takes the extra
    paisa (CGST = ceil(tax / 2), SGST = floor(tax / 2)). So CGST + SGST always equals the IGST of the same
    line: the patient pays the same whichever way the tax is split. Inter-state: IGST takes the whole tax.
    """
    if isinstance(taxable_paise, bool) or not isinstance(taxable_paise, int) or taxable_paise < 0:
        raise ValueError("taxable_paise must be a whole number of paise >= 0")
    if isinstance(rate_basis_points, bool) or not isinstance(rate_basis_points, int):
        raise ValueError("rate_basis_points must be a whole number")
    if not 0 <= rate_basis_points <= 10000:
        raise ValueError("rate_basis_points must be 0..10000")
    tax = int((Decimal(taxable_paise) * rate_basis_points / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not intra_state:
        return {"tax_paise": tax, "cgst_paise": 0, "sgst_paise": 0, "igst_paise": tax}
    cgst = (tax + 1) // 2
    return {"tax_paise": tax, "cgst_paise": cgst, "sgst_paise": tax - cgst, "igst_paise": 0}

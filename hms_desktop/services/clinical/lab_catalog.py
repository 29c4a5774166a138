"""The lab test catalog: the tests the lab offers, their price, turnaround, SAC/GST and result template.

Rules:
- ``code`` is typed by the admin (``CBC``, ``LIPID``): 1-16 letters, digits or hyphens, stored upper case,
  unique across every test ever added (active or not); ``name`` is required.
- The price is read from rupees with Decimal into paise; ``tat_hours`` (usual turnaround) is 1-720 or empty;
  ``sac_code`` 6 digits of chapter 99 (lab tests: 999316); ``gst_rate_basis_points`` 0-10000, 0 by default
  because health care services of a clinical establishment are exempt (Notification 12/2017-CT(Rate)).
- ``parameters`` is the result template, validated as ``services.clinical.lab_parameters`` describes.
- A test is deactivated, never deleted: orders keep pointing at it; an inactive test cannot be ordered and
  is left out of the search. ``load_demo_lab_tests`` adds the demo catalog (``hms_desktop.lab_demo``) once:
  a test whose code exists is left as it is.
Editing needs ``lab.catalog``; reading ``lab.view``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models.lab import LAB_TEST_CATEGORIES, SAMPLE_TYPES, LabTest
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, ValidationError
from hms_desktop.lab_demo import DEMO_LAB_TESTS
from hms_desktop.money import clean_rupees, rupees_text
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.lab_parameters import LabParameter, parameter_json, parse_parameters
from hms_desktop.validation import clean_text

SAC_LAB = "999316"
MAX_TAT_HOURS = 720
SEARCH_LIMIT = 30
_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,15}")


@dataclass(frozen=True, kw_only=True)
class LabTestInput:
    code: str  # "CBC"
    name: str  # "Complete Blood Count (CBC)"
    category: str  # one of LAB_TEST_CATEGORIES
    sample_type: str  # one of SAMPLE_TYPES
    price_rupees: str | Decimal  # "350", "349.50"
    tat_hours: int | None = None
    sac_code: str = SAC_LAB
    gst_rate_basis_points: int = 0
    parameters: Sequence[Mapping[str, Any]] = field(default_factory=tuple)  # the JSON shape of lab_parameters


@dataclass(frozen=True, kw_only=True)
class LabTestView:
    id: uuid.UUID
    code: str
    name: str
    category: str
    sample_type: str
    price_paise: int
    price_rupees: str  # "350.00"
    tat_hours: int | None
    sac_code: str
    gst_rate_basis_points: int
    parameters: tuple[LabParameter, ...]
    is_active: bool


def lab_test_view(t: LabTest) -> LabTestView:
    return LabTestView(
        id=t.id, code=t.code, name=t.name, category=t.category, sample_type=t.sample_type,
        price_paise=t.price_paise, price_rupees=rupees_text(t.price_paise), tat_hours=t.tat_hours,
        sac_code=t.sac_code, gst_rate_basis_points=t.gst_rate_basis_points,
        parameters=stored_parameters(t), is_active=t.is_active,
    )  # fmt: skip


def stored_parameters(t: LabTest) -> tuple[LabParameter, ...]:
    """The test's result template (stored validated; parsed again so a reader gets typed values)."""
    return parse_parameters(t.parameters or [])


def lab_test_row(session: Session, test_id: uuid.UUID) -> LabTest:
    t = session.get(LabTest, test_id)
    if t is None or t.deleted_at is not None:
        raise NotFound("No such lab test.")
    return t


@dataclass(frozen=True)
class _Clean:
    code: str
    name: str
    category: str
    sample_type: str
    price_paise: int
    tat_hours: int | None
    sac_code: str
    gst: int
    parameters: list[dict[str, Any]]


def _whole(value: object, field_name: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(field_name, message)
    return value


def _clean(data: LabTestInput) -> _Clean:
    code = (data.code or "").strip().upper() if isinstance(data.code, str) else ""
    if not _CODE.fullmatch(code):
        raise ValidationError("code", "The test code has 1 to 16 letters, digits or hyphens, such as CBC or LFT-2.")
    name = clean_text(data.name, "name", label="Test name")
    if data.category not in LAB_TEST_CATEGORIES:
        raise ValidationError("category", f"Choose the category: {', '.join(LAB_TEST_CATEGORIES)}.")
    if data.sample_type not in SAMPLE_TYPES:
        raise ValidationError("sample_type", f"Choose the sample type: {', '.join(SAMPLE_TYPES)}.")
    paise = clean_rupees(data.price_rupees, "price_rupees")
    tat = None
    if data.tat_hours is not None:
        tat = _whole(data.tat_hours, "tat_hours", 1, MAX_TAT_HOURS,
                     f"The turnaround time is a whole number of hours from 1 to {MAX_TAT_HOURS}.")  # fmt: skip
    sac = (data.sac_code or "").strip() if isinstance(data.sac_code, str) else "x"
    if not (len(sac) == 6 and sac.isdigit() and sac.startswith("99")):
        raise ValidationError("sac_code", "A SAC code has 6 digits starting with 99 (lab tests: 999316).")
    gst = _whole(data.gst_rate_basis_points, "gst_rate_basis_points", 0, 10000,
                 "The GST rate is in basis points from 0 to 10000 (lab tests are exempt: 0).")  # fmt: skip
    params = [parameter_json(p) for p in parse_parameters(data.parameters)]
    return _Clean(code, name, str(data.category), str(data.sample_type), paise, tat, sac, gst, params)


def _check_code_free(session: Session, code: str, test_id: uuid.UUID | None) -> None:
    other = session.scalars(select(LabTest).where(func.upper(LabTest.code) == code)).first()
    if other is not None and other.id != test_id:
        raise ValidationError("code", f"The code {code} is already used by {other.name}.")


def _apply(t: LabTest, c: _Clean) -> None:
    t.code, t.name, t.category, t.sample_type = c.code, c.name, c.category, c.sample_type
    t.price_paise, t.tat_hours, t.sac_code, t.gst_rate_basis_points = c.price_paise, c.tat_hours, c.sac_code, c.gst
    t.parameters = c.parameters


@requires("lab.catalog")
def add_lab_test(ctx: Context, data: LabTestInput) -> LabTestView:
    clean = _clean(data)
    with ctx.transaction() as tx:
        _check_code_free(tx.session, clean.code, None)
        t = LabTest(is_active=True)
        _apply(t, clean)
        tx.session.add(t)
        tx.flush()
        view = lab_test_view(t)
        tx.commit()
        return view


@requires("lab.catalog")
def update_lab_test(ctx: Context, test_id: uuid.UUID, data: LabTestInput) -> LabTestView:
    """Replace a test's details. Orders already placed keep the name and price they copied."""
    clean = _clean(data)
    with ctx.transaction() as tx:
        t = lab_test_row(tx.session, test_id)
        _check_code_free(tx.session, clean.code, t.id)
        _apply(t, clean)
        tx.flush()
        view = lab_test_view(t)
        tx.commit()
        return view


def _set_active(ctx: Context, test_id: uuid.UUID, active: bool) -> LabTestView:
    with ctx.transaction() as tx:
        t = lab_test_row(tx.session, test_id)
        t.is_active = active
        tx.flush()
        view = lab_test_view(t)
        tx.commit()
        return view


@requires("lab.catalog")
def deactivate_lab_test(ctx: Context, test_id: uuid.UUID) -> LabTestView:
    """No more orders of this test; its past orders and results stay."""
    return _set_active(ctx, test_id, False)


@requires("lab.catalog")
def activate_lab_test(ctx: Context, test_id: uuid.UUID) -> LabTestView:
    return _set_active(ctx, test_id, True)


@requires("lab.view")
def get_lab_test(ctx: Context, test_id: uuid.UUID) -> LabTestView:
    with ctx.transaction(readonly=True) as tx:
        return lab_test_view(lab_test_row(tx.session, test_id))


@requires("lab.view")
def list_lab_tests(ctx: Context, *, include_inactive: bool = False) -> list[LabTestView]:
    """The catalog by name (the catalog screen shows the inactive ones too)."""
    with ctx.transaction(readonly=True) as tx:
        query = select(LabTest).where(LabTest.deleted_at.is_(None)).order_by(LabTest.name)
        if not include_inactive:
            query = query.where(LabTest.is_active.is_(True))
        return [lab_test_view(t) for t in tx.session.scalars(query)]


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@requires("lab.view")
def search_lab_tests(ctx: Context, text: str) -> list[LabTestView]:
    """Active tests as the doctor types: every word of ``text`` in the name, or the code starting with it.

    Exact code matches come first, then by name; at most 30. Empty text: the first 30 by name.
    """
    words = (text or "").split()[:6]
    with ctx.transaction(readonly=True) as tx:
        query = select(LabTest).where(LabTest.deleted_at.is_(None), LabTest.is_active.is_(True))
        for w in words:
            query = query.where(
                or_(LabTest.name.ilike(f"%{_like(w)}%", escape="\\"), LabTest.code.ilike(f"{_like(w)}%", escape="\\"))
            )
        if len(words) == 1:
            query = query.order_by((func.upper(LabTest.code) == words[0].upper()).desc())
        rows = tx.session.scalars(query.order_by(LabTest.name).limit(SEARCH_LIMIT))
        return [lab_test_view(t) for t in rows]


@requires("lab.catalog")
def load_demo_lab_tests(ctx: Context) -> int:
    """Add the demo catalog's tests whose codes are not taken yet; returns how many were added (0 the second
    time). Existing tests, edited or not, are left alone."""
    cleaned = [
        _clean(
            LabTestInput(
                code=d["code"],
                name=d["name"],
                category=d["category"],
                sample_type=d["sample_type"],
                price_rupees=rupees_text(d["price_paise"]),
                tat_hours=d["tat_hours"],
                sac_code=d["sac_code"],
                gst_rate_basis_points=d["gst_rate_basis_points"],
                parameters=d["parameters"],
            )
        )  # fmt: skip
        for d in DEMO_LAB_TESTS
    ]
    with ctx.transaction() as tx:
        taken = {c.upper() for c in tx.session.scalars(select(LabTest.code))}
        added = 0
        for c in cleaned:
            if c.code in taken:
                continue
            t = LabTest(is_active=True)
            _apply(t, c)
            tx.session.add(t)
            added += 1
        tx.commit()
        return added

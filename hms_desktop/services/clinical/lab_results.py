"""Lab results: entering them against the test's parameters, the flags, verification by a second user, reads.

Rules:
- ``enter_result`` (``lab.results``) needs an order whose sample was collected (``sample_collected``), or one
  already ``completed`` (entering again before verification replaces the result and who entered it: the
  audit trail keeps the old one), or one ``verified`` with a ``correction_reason`` (a correction: the result
  is replaced, the verification is cleared, the order is ``completed`` again and needs verifying anew, and
  the reason is kept in ``result["corrections"]`` with who and when). A cancelled order, one whose sample is
  not collected, and a missing order are refused.
- ``values`` name the test's parameters, each once; every parameter needs a value (a test without parameters
  needs the ``summary``). A name the test does not have, a unit other than the parameter's, a value that is
  not a number for a numeric parameter, and a text value outside the parameter's choices are refused. Each
  value is flagged against the range for the patient's sex and age on the day of the order
  (``lab_parameters``); ``result_flag`` is the worst flag. Stored as ``lab_orders.result``::

      {"values": [{"name", "value", "unit", "ref_low", "ref_high", "ref_text", "flag", "direction"}, ...],
       "sex": "female", "age_years": 41, "corrections": [{"at", "by_id", "by_name",
       "reason"}]}

- ``verify_result`` (``lab.verify``): a ``completed`` result, by someone other than who entered it (refused
  and audited as a denial otherwise; the store's CHECK ``verified_by_second_user`` refuses it too).
- ``lab_order`` / ``lab_orders_for`` (``lab.view``): ``lab_orders_for`` returns every order of the patient,
  newest first, in every status (cancelled included) unless ``statuses`` narrows it: the doctor's history of
  results asks for ``statuses=("verified",)``; values are shown from ``completed`` on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from db.models.identity import User
from db.models.lab import LAB_ORDER_STATUSES, LabOrder, LabTest
from db.models.patients import Patient
from hms_desktop.clinic_time import age_on, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.services.clinical.access import refuse
from hms_desktop.services.clinical.lab_catalog import stored_parameters
from hms_desktop.services.clinical.lab_orders import LabOrderView, order_row, order_views, staff_id
from hms_desktop.services.clinical.lab_parameters import (
    SEX_OF_GENDER,
    LabParameter,
    ResultValue,
    assess_number,
    assess_text,
    decimal_of,
    worst,
)
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class ResultValueInput:
    name: str  # the parameter's name, as in the catalog (case aside)
    value: str  # "12.5" for a numeric parameter (Decimal text, never a float), or the text ("Negative")
    unit: str | None = None  # optional: when given, it must be the parameter's unit


def _value(p: LabParameter, given: ResultValueInput, sex: str | None, age: int | None) -> ResultValue:
    if given.unit is not None and " ".join(str(given.unit).split()).casefold() != p.unit.casefold():
        unit = p.unit or "no unit"
        raise ValidationError("values", f"{p.name} is reported in {unit}, not {given.unit}.")
    if p.kind == "numeric":
        number = decimal_of(given.value)
        if number is None:
            raise ValidationError("values", f"{p.name}: enter a number such as 12.5 (not {given.value!r}).")
        return assess_number(p, number, str(given.value).strip(), sex, age)
    text = " ".join(given.value.split()) if isinstance(given.value, str) else ""
    if not text or len(text) > MAX_VALUE_CHARS:
        raise ValidationError("values", f"{p.name}: enter the finding (at most {MAX_VALUE_CHARS} characters).")
    if p.choices:
        match = next((c for c in p.choices if c.casefold() == text.casefold()), None)
        if match is None:
            raise ValidationError("values", f"{p.name}: choose one of {', '.join(p.choices)}.")
        text = match
    return assess_text(p, text)


def _assess(
    params: tuple[LabParameter, ...], values: Sequence[ResultValueInput], sex: str | None, age: int | None
) -> list[ResultValue]:
    if isinstance(values, str | bytes) or not all(isinstance(v, ResultValueInput) for v in values):
        raise ValidationError("values", "Enter the values as a list of parameter names and values.")
    by_name = {p.name.casefold(): p for p in params}
    given: dict[str, ResultValueInput] = {}
    for v in values:
        key = " ".join(str(v.name).split()).casefold()
        if key not in by_name:
            known = ", ".join(p.name for p in params) or "no parameters (write the summary)"
            raise ValidationError("values", f"This test has no parameter {v.name!r}; it has {known}.")
        if key in given:
            raise ValidationError("values", f"{by_name[key].name} is given twice.")
        given[key] = v
    missing = [p.name for p in params if p.name.casefold() not in given]
    if missing:
        raise ValidationError("values", f"Enter a value for {', '.join(missing)}.")
    return [_value(p, given[p.name.casefold()], sex, age) for p in params]


@requires("lab.results")
def enter_result(
    ctx: Context,
    order_id: uuid.UUID,
    values: Sequence[ResultValueInput],
    summary: str = "",
    *,
    correction_reason: str | None = None,
) -> LabOrderView:
    """Enter (or replace, or correct after verification) the result of an order; see the module's rules."""
    note = clean_text(summary, "summary", label="The summary", required=False, max_len=2000)
    with ctx.transaction() as tx:
        o = order_row(tx, order_id)
        who = staff_id(tx, "lab.results")
        if o.status == "cancelled":
            raise Conflict(f"{o.code} ({o.test_name}) was cancelled; it takes no result.")
        if o.status == "ordered":
            raise Conflict(f"The sample for {o.code} has not been collected yet; mark it collected first.")
        why = None
        if o.status == "verified":
            if not (correction_reason or "").strip():
                raise ValidationError(
                    "correction_reason",
                    f"{o.code} is verified; give a reason to correct it (it will need verifying again).",
                )
            why = clean_text(correction_reason, "correction_reason", label="The reason for the correction", max_len=300)
        test = tx.session.get(LabTest, o.lab_test_id)
        patient = tx.session.get(Patient, o.patient_id)
        assert test is not None and patient is not None
        params = stored_parameters(test)
        if not params and not note:
            raise ValidationError("summary", f"{test.name} has no parameters; write the result in the summary.")
        sex = SEX_OF_GENDER.get(patient.gender)
        on = o.ordered_at.astimezone(zone_of(clinic_settings(tx.session))).date()
        age = age_on(patient.date_of_birth, on) if patient.date_of_birth else None
        assessed = _assess(params, values, sex, age)
        now = ctx.clock.now()
        previous: dict[str, Any] = dict(o.result or {})
        corrections = list(previous.get("corrections") or [])
        if why is not None:
            corrections.append({"at": now.isoformat(), "by_id": str(who), "by_name": _name(tx, who), "reason": why})
        result: dict[str, Any] = {"values": [v.as_json() for v in assessed], "sex": sex, "age_years": age}
        if corrections:
            result["corrections"] = corrections
        o.result, o.result_flag, o.result_summary = result, worst([v.flag for v in assessed]), note
        o.status, o.completed_at, o.reported_by_id = "completed", now, who
        o.verified_at, o.verified_by_id = None, None
        tx.flush()
        view = order_views(tx, [o])[0]
        tx.commit()
        return view


def _name(tx: Transaction, user_id: uuid.UUID) -> str:
    u = tx.session.get(User, user_id)
    return u.full_name if u is not None else ""


@requires("lab.verify")
def verify_result(ctx: Context, order_id: uuid.UUID) -> LabOrderView:
    """A second member of staff checks and releases the result."""
    with ctx.transaction() as tx:
        o = order_row(tx, order_id)
        who = staff_id(tx, "lab.verify")
        if o.status == "verified":
            raise Conflict(f"{o.code} is already verified.")
        if o.status != "completed":
            raise Conflict(f"{o.code} is {o.status.replace('_', ' ')}; only an entered result can be verified.")
        if o.reported_by_id == who:
            refuse(tx, "lab.verify", "You entered this result; another member of staff must verify it.",
                   entity_type="lab_orders", entity_id=o.id, patient_id=o.patient_id)  # fmt: skip
        o.status, o.verified_at, o.verified_by_id = "verified", ctx.clock.now(), who
        tx.flush()
        view = order_views(tx, [o])[0]
        tx.commit()
        return view


@requires("lab.view")
def lab_order(ctx: Context, order_id: uuid.UUID) -> LabOrderView:
    with ctx.transaction(readonly=True) as tx:
        return order_views(tx, [order_row(tx, order_id)])[0]


@requires("lab.view")
def lab_orders_for(ctx: Context, patient_id: uuid.UUID, *, statuses: Iterable[str] | None = None) -> list[LabOrderView]:
    """The patient's lab orders, newest first; every status unless ``statuses`` is given."""
    wanted = tuple(statuses) if statuses is not None else LAB_ORDER_STATUSES
    bad = [s for s in wanted if s not in LAB_ORDER_STATUSES]
    if bad or not wanted:
        raise ValidationError("statuses", f"Choose statuses among {', '.join(LAB_ORDER_STATUSES)}.")
    with ctx.transaction(readonly=True) as tx:
        p = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
        if p is None or p.deleted_at is not None:
            raise ValidationError("patient_id", "Choose a registered patient.")
        rows = tx.session.scalars(
            select(LabOrder)
            .where(LabOrder.patient_id == p.id, LabOrder.status.in_(wanted), LabOrder.deleted_at.is_(None))
            .order_by(LabOrder.ordered_at.desc(), LabOrder.code.desc())
        )
        return order_views(tx, list(rows))

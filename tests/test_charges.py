"""Charges: the billable lines every module leaves for billing, idempotent on their source line, cancelled only
while unbilled (a billed one needs a credit note), read as the patient's unbilled list."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.billing import Invoice
from db.models.clinical import Charge
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.clinical import charges
from hms_desktop.services.clinical import consultations as consult
from hms_desktop.services.clinical.charges import ChargeInput, add_charge, cancel_charge, mark_billed
from tests.clinical_fixtures import MONDAY, ClinicalDay, clinical_day
from tests.reception_fixtures import patient


@pytest.fixture
def day(system_ctx: Context, make_user) -> ClinicalDay:  # type: ignore[no-untyped-def]
    return clinical_day(system_ctx, make_user)


def lab_charge(day: ClinicalDay, source: uuid.UUID, **kw: object) -> ChargeInput:
    base = ChargeInput(patient_id=day.patient.id, source_type="lab_order", source_id=source, item_type="lab",
                       description="Lab test: Complete blood count", unit_price_paise=35_000, hsn_sac_code="999316",
                       appointment_id=day.appointment.id, doctor_id=day.doctor.id)  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def add(day: ClinicalDay, data: ChargeInput) -> charges.ChargeView:
    with day.system.transaction() as tx:
        row = add_charge(tx, data)
        view = charges.charge_view(row)
        tx.commit()
        return view


def cancel(day: ClinicalDay, source_type: str, source: uuid.UUID, reason: str, **kw: object) -> list[str]:
    with day.system.transaction() as tx:
        rows = cancel_charge(tx, source_type, source, reason, **kw)  # type: ignore[arg-type]
        statuses = [r.status for r in rows]
        tx.commit()
        return statuses


def all_charges(ctx: Context) -> list[Charge]:
    with ctx.transaction(readonly=True) as tx:
        return list(tx.session.scalars(select(Charge).order_by(Charge.line_no, Charge.charged_at)))


def invoice(day: ClinicalDay) -> uuid.UUID:
    with day.system.transaction() as tx:
        inv = Invoice(invoice_number="WS01/2627/000001", patient_id=day.patient.id, invoice_date=MONDAY,
                      place_of_supply_state_code="29")  # fmt: skip
        tx.session.add(inv)
        tx.flush()
        tx.commit()
        return inv.id


def test_add_a_charge_once_per_source_line(day: ClinicalDay) -> None:
    order = uuid.uuid4()
    first = add(day, lab_charge(day, order, quantity=2))
    assert first.status == "unbilled" and first.amount_paise == 70_000 and first.unit_price_paise == 35_000
    assert first.charged_at == day.clock.now() and first.line_no == 1 and first.hsn_sac_code == "999316"
    again = add(day, lab_charge(day, order, quantity=2))
    assert again.id == first.id and len(all_charges(day.system)) == 1
    second_line = add(day, lab_charge(day, order, line_no=2, description="Lab test: ESR", unit_price_paise=15_000))
    assert second_line.id != first.id and len(all_charges(day.system)) == 2


def test_a_waived_charge(day: ClinicalDay) -> None:
    v = add(day, lab_charge(day, uuid.uuid4(), unit_price_paise=0, waived_reason="  camp  day "))
    assert v.status == "waived" and v.status_reason == "camp day" and v.amount_paise == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_type": "pharmacy"}, "source_type"),
        ({"item_type": "service"}, "item_type"),
        ({"source_id": "LAB-1"}, "source_id"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"unit_price_paise": -1}, "unit_price_paise"),
        ({"unit_price_paise": True}, "unit_price_paise"),
        ({"description": "   "}, "description"),
        ({"hsn_sac_code": "99"}, "hsn_sac_code"),
        ({"gst_rate_basis_points": 10_001}, "gst_rate_basis_points"),
        ({"line_no": 0}, "line_no"),
        ({"waived_reason": " "}, "waived_reason"),
        ({"patient_id": uuid.uuid4()}, "patient_id"),
    ],
)
def test_bad_charges_are_refused(day: ClinicalDay, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        add(day, lab_charge(day, uuid.uuid4(), **changes))
    assert err.value.field == field
    assert all_charges(day.system) == []


def test_cancel_an_unbilled_or_waived_charge(day: ClinicalDay) -> None:
    order, other = uuid.uuid4(), uuid.uuid4()
    add(day, lab_charge(day, order))
    add(day, lab_charge(day, order, line_no=2, waived_reason="repeat test"))
    add(day, lab_charge(day, other))
    assert cancel(day, "lab_order", order, "Ordered by mistake", line_no=2) == ["cancelled"]
    assert cancel(day, "lab_order", order, "Ordered by mistake") == ["cancelled"]  # line 1; line 2 was already
    assert cancel(day, "lab_order", order, "again") == []
    by_line = {(c.source_id, c.line_no): c for c in all_charges(day.system)}
    assert by_line[(order, 1)].status == by_line[(order, 2)].status == "cancelled"
    assert by_line[(order, 1)].status_reason == "Ordered by mistake" and by_line[(other, 1)].status == "unbilled"
    with pytest.raises(ValidationError) as err:
        cancel(day, "lab_order", other, " ")
    assert err.value.field == "reason"
    assert cancel(day, "lab_order", other, "x" * 400) == ["cancelled"]
    assert len(next(c for c in all_charges(day.system) if c.source_id == other).status_reason or "") == 300


def test_a_cancelled_charge_comes_back_with_its_source(day: ClinicalDay) -> None:
    order = uuid.uuid4()
    first = add(day, lab_charge(day, order))
    cancel(day, "lab_order", order, "sample refused")
    day.clock.advance(minutes=30)
    back = add(day, lab_charge(day, order, unit_price_paise=40_000))
    assert back.id == first.id and back.status == "unbilled" and back.status_reason is None
    assert back.amount_paise == 40_000 and back.charged_at == day.clock.now()


def test_a_billed_charge_needs_a_credit_note(day: ClinicalDay) -> None:
    order = uuid.uuid4()
    charge = add(day, lab_charge(day, order))
    inv = invoice(day)
    with day.system.transaction() as tx:
        [billed] = mark_billed(tx, [charge.id], inv)
        assert billed.status == "billed" and billed.invoice_id == inv
        tx.commit()
    with pytest.raises(Conflict, match="credit note"):
        cancel(day, "lab_order", order, "patient left")
    assert all_charges(day.system)[0].status == "billed"
    with day.system.transaction() as tx, pytest.raises(Conflict, match="is billed"):
        mark_billed(tx, [charge.id], inv)
    assert add(day, lab_charge(day, order)).status == "billed"  # the same source: the billed row, unchanged


def test_unbilled_charges_of_a_patient(day: ClinicalDay) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    add(day, lab_charge(day, a))
    day.clock.advance(minutes=5)
    add(day, lab_charge(day, b, description="Lab test: ESR"))
    add(day, lab_charge(day, c, waived_reason="free"))
    other = patient(day.system, "Someone Else", "9845000999")
    add(day, lab_charge(day, uuid.uuid4(), patient_id=other.id))
    cashier = replace(day.system, actor=replace(day.system.actor, roles=("Cashier",), permissions=frozenset({
        "billing.view", "patients.view"})))  # fmt: skip
    listed = charges.unbilled_charges(cashier, day.patient.id)
    assert [x.source_id for x in listed] == [a, b]
    assert charges.unbilled_charges(cashier, other.id)[0].patient_id == other.id


def test_unbilled_charges_need_billing_view(day: ClinicalDay) -> None:
    with pytest.raises(PermissionDenied) as err:
        charges.unbilled_charges(day.receptionist_ctx, day.patient.id)
    assert err.value.code == "billing.view"
    with day.system.transaction(readonly=True) as tx:
        assert tx.session.scalar(select(func.count()).where(AuditLog.outcome == "denied")) == 1


def test_a_clinic_tax_rule_for_the_sac_code_is_used(day: ClinicalDay) -> None:
    """GST 0 unless the clinic made a rule for exactly 999312 (the blank default is for taxable services)."""
    create_tax(day.system, TaxInput(name="GST 18 services", rate_percent="18", applies_to="service",
                                    effective_from=date(2026, 1, 1)))  # fmt: skip
    with day.system.transaction(readonly=True) as tx:
        assert charges.exempt_unless_configured(tx, "service", "999312", MONDAY) == 0
    create_tax(day.system, TaxInput(name="GST cosmetic", rate_percent="18", applies_to="service",
                                    effective_from=date(2026, 11, 1), hsn_sac_code="999312"))  # fmt: skip
    c = consult.start_consultation(day.doctor_ctx, day.entry.id)
    consult.complete_consultation(day.doctor_ctx, c.id)
    [charge] = all_charges(day.system)
    assert charge.gst_rate_basis_points == 1800 and charge.hsn_sac_code == "999312"

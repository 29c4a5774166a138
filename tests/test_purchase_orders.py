"""Purchase orders: a draft with its lines, GST rate in force on the order date and totals; a double-clicked Save;
bad lines refused with nothing written; changing a draft; sending, cancelling and closing with the states each is
allowed from; the lists; the PO PDF read back; and who may do what."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from db.models.audit import AuditLog
from db.models.inventory import PurchaseOrderItem
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied, ValidationError
from hms_desktop.printing.purchase_order import money
from hms_desktop.services.admin.taxes import TaxInput, create_tax
from hms_desktop.services.inventory.goods_receipts import GrnInput, receive_goods
from hms_desktop.services.inventory.purchase_order_print import percent
from hms_desktop.services.inventory.purchase_orders import (
    POLine,
    PurchaseOrderInput,
    cancel_purchase_order,
    close_purchase_order,
    create_purchase_order,
    purchase_order,
    purchase_order_pdf,
    purchase_orders,
    send_purchase_order,
    update_purchase_order,
)
from tests.clinical_fixtures import MONDAY
from tests.purchase_fixtures import (
    MEDPLUS_GSTIN,
    ZENITH_GSTIN,
    PurchaseDay,
    grn_line,
    order,
    purchase_day,
    set_medicine_active,
    written,
)


@pytest.fixture
def day(system_ctx: Context, make_user) -> PurchaseDay:  # type: ignore[no-untyped-def]
    return purchase_day(system_ctx, make_user)


def draft(day: PurchaseDay, *lines: POLine, **kw: object):  # type: ignore[no-untyped-def]
    data = PurchaseOrderInput(day.medplus.id, lines or (POLine(day.med("Dolo 650"), 20, 2500),), **kw)  # type: ignore[arg-type]
    return create_purchase_order(day.manager, data, request_id=uuid.uuid4())


def pdf_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return " ".join(" ".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))


def test_a_draft_order_with_its_lines_and_totals(day: PurchaseDay) -> None:
    po = draft(day, POLine(day.med("Dolo 650"), 20, 2500), POLine(day.med("Augmentin 625 Duo"), 5, 15999),
               expected_date=MONDAY + timedelta(days=3), notes="Deliver before noon")  # fmt: skip
    assert (po.po_number, po.status, po.order_date, po.expected_date) == ("PO-2026-27-00001", "draft", MONDAY,
                                                                          date(2026, 12, 3))  # fmt: skip
    assert (po.supplier_name, po.supplier_gstin, po.intra_state, po.notes) == (
        "MedPlus Distributors", MEDPLUS_GSTIN, True, "Deliver before noon")  # fmt: skip
    dolo, aug = po.lines
    assert (dolo.medicine_name, dolo.pack, dolo.hsn_code, dolo.packs, dolo.unit_cost_paise) == (
        "Dolo 650", "strip of 15 tablets", "3004", 20, 2500)  # fmt: skip
    assert (dolo.tax_basis_points, dolo.line_total_paise, dolo.tax_paise) == (500, 50000, 2500)
    assert (dolo.received_packs, dolo.outstanding_packs) == (0, 20)
    assert (aug.line_total_paise, aug.tax_paise) == (79995, 4000)  # 3999.75 paise rounds half up, per line
    assert (po.subtotal_paise, po.tax_paise, po.total_paise) == (129995, 6500, 136495)
    assert po.raised_by_name == "Imran Sheikh" and po.sent_by_name == ""
    assert purchase_order(day.pharmacist, po.id) == po


def test_each_line_takes_the_gst_rate_in_force_on_the_order_date(day: PurchaseDay) -> None:
    create_tax(day.system, TaxInput(name="GST medicines (old rate)", rate_percent="12", applies_to="medicine",
                                    effective_from=date(2026, 11, 1), hsn_sac_code="3004",
                                    effective_to=date(2026, 11, 30)))  # fmt: skip
    create_tax(day.system, TaxInput(name="GST medicines, later", rate_percent="18", applies_to="medicine",
                                    effective_from=date(2026, 12, 1), hsn_sac_code="3004"))  # fmt: skip
    po = draft(day)
    assert (po.lines[0].tax_basis_points, po.tax_paise, po.total_paise) == (1200, 6000, 56000)
    day.pd.rx.day.clock.advance(days=1)  # Tuesday 1 December: the next rule is in force
    assert draft(day).lines[0].tax_basis_points == 1800
    assert purchase_order(day.manager, po.id).lines[0].tax_basis_points == 1200  # kept on the line


def test_a_double_clicked_save_makes_one_order(day: PurchaseDay) -> None:
    key = uuid.uuid4()
    data = PurchaseOrderInput(day.medplus.id, (POLine(day.med("Dolo 650"), 20, 2500),))
    first = create_purchase_order(day.manager, data, request_id=key)
    before = written(day.system)
    assert create_purchase_order(day.manager, data, request_id=key) == first
    assert first.id == key and written(day.system) == before


@pytest.mark.parametrize(
    ("lines", "field", "words"),
    [
        ((), "lines", "Add at least one line."),
        ((("Dolo 650", 0, 2500),), "packs", "Line 1: the number of packs must be between 1 and 100,000."),
        ((("Dolo 650", 100_001, 2500),), "packs", "between 1 and 100,000"),
        ((("Dolo 650", 2.5, 2500),), "packs", "whole number"),
        ((("Dolo 650", 5, 0),), "unit_cost_paise", "Line 1: the cost of a pack must be more than zero."),
        ((("Dolo 650", 5, -100),), "unit_cost_paise", "more than zero"),
        ((("Dolo 650", 5, 25.5),), "unit_cost_paise", "whole number of paise"),
        (
            (("Dolo 650", 5, 2500), ("Pan 40", 2, 9000), ("Dolo 650", 3, 2500)),
            "medicine_id",
            "Line 3: Dolo 650 is already on line 1; a medicine appears once on an order",
        ),
        ((("Dolo 650", 5, 2500), (None, 2, 9000)), "medicine_id", "Line 2: choose a medicine from the catalogue."),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(day: PurchaseDay, lines: tuple, field: str, words: str) -> None:  # type: ignore[type-arg]
    before = written(day.system)
    made = tuple(POLine(day.med(b) if b else uuid.uuid4(), n, c) for b, n, c in lines)
    with pytest.raises(ValidationError) as err:
        create_purchase_order(day.manager, PurchaseOrderInput(day.medplus.id, made), request_id=uuid.uuid4())
    assert err.value.field == field and words in err.value.message
    assert written(day.system) == before


def test_an_inactive_medicine_or_an_early_expected_date_is_refused(day: PurchaseDay) -> None:
    set_medicine_active(day.system, day.med("Pan 40"), False)
    before = written(day.system)
    with pytest.raises(ValidationError, match="Line 2: Pan 40 is inactive in the catalogue"):
        draft(day, POLine(day.med("Dolo 650"), 5, 2500), POLine(day.med("Pan 40"), 2, 9000))
    with pytest.raises(ValidationError, match="cannot be before the order date, 30/11/2026"):
        draft(day, expected_date=MONDAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="Choose a supplier"):
        create_purchase_order(day.manager, PurchaseOrderInput(uuid.uuid4(), (POLine(day.med("Dolo 650"), 1, 1),)),
                              request_id=uuid.uuid4())  # fmt: skip
    assert written(day.system) == before


def test_changing_a_draft_replaces_its_lines(day: PurchaseDay) -> None:
    po = draft(day, POLine(day.med("Dolo 650"), 20, 2500), POLine(day.med("Pan 40"), 4, 9000))
    dolo_line = po.lines[0].id
    changed = update_purchase_order(day.manager, po.id, PurchaseOrderInput(
        day.zenith.id, (POLine(day.med("Dolo 650"), 30, 2400), POLine(day.med("Okacet"), 10, 1200)),
        expected_date=MONDAY, notes="Urgent"))  # fmt: skip
    assert (changed.po_number, changed.supplier_name, changed.intra_state, changed.notes) == (
        po.po_number, "Zenith Pharma Agencies", False, "Urgent")  # fmt: skip
    assert [(ln.medicine_name, ln.packs, ln.unit_cost_paise) for ln in changed.lines] == [
        ("Dolo 650", 30, 2400), ("Okacet", 10, 1200)]  # fmt: skip
    assert changed.lines[0].id == dolo_line
    assert (changed.subtotal_paise, changed.tax_paise, changed.total_paise) == (84000, 4200, 88200)
    with day.system.transaction(readonly=True) as tx:
        rows = tx.session.scalars(select(PurchaseOrderItem).where(PurchaseOrderItem.po_id == po.id)).all()
        assert sorted((r.description, r.deleted_at is not None) for r in rows) == [
            ("Dolo 650 (Paracetamol 650 mg)", False), ("Okacet (Cetirizine 10 mg)", False),
            ("Pan 40 (Pantoprazole 40 mg)", True)]  # fmt: skip
    sent = send_purchase_order(day.manager, po.id)
    before = written(day.system)
    with pytest.raises(Conflict, match=f"{po.po_number} is sent; only a draft can be changed."):
        update_purchase_order(
            day.manager, po.id, PurchaseOrderInput(day.medplus.id, (POLine(day.med("Okacet"), 1, 1),))
        )
    assert written(day.system) == before and purchase_order(day.manager, po.id) == sent


def test_sending_an_order(day: PurchaseDay) -> None:
    po = draft(day, POLine(day.med("Dolo 650"), 20, 2500), POLine(day.med("Pan 40"), 4, 9000))
    set_medicine_active(day.system, day.med("Pan 40"), False)
    with pytest.raises(ValidationError, match="Line 2: Pan 40 is inactive"):
        send_purchase_order(day.manager, po.id)
    assert purchase_order(day.manager, po.id).status == "draft"
    set_medicine_active(day.system, day.med("Pan 40"), True)
    sent = send_purchase_order(day.manager, po.id)
    assert (sent.status, sent.sent_by_name) == ("sent", "Imran Sheikh")
    with pytest.raises(Conflict, match="is sent; only a draft can be sent"):
        send_purchase_order(day.manager, po.id)


def test_cancelling_an_order(day: PurchaseDay) -> None:
    first = draft(day)
    with pytest.raises(ValidationError, match="A reason for cancelling is required."):
        cancel_purchase_order(day.manager, first.id, " ")
    gone = cancel_purchase_order(day.manager, first.id, "Ordered twice")
    assert gone.status == "cancelled"
    assert gone.notes == "Cancelled on 30/11/2026 by Imran Sheikh: Ordered twice"
    with pytest.raises(Conflict, match="is already cancelled"):
        cancel_purchase_order(day.manager, first.id, "again")
    assert cancel_purchase_order(day.manager, order(day, ("Pan 40", 2, 9000)).id, "Supplier out of stock").status == (
        "cancelled")  # fmt: skip
    part = order(day, ("Dolo 650", 20, 2500))
    receive_goods(day.pharmacist, GrnInput(day.medplus.id, "MP-9001", MONDAY, (grn_line(day.med("Dolo 650")),),
                                           po_id=part.id), request_id=uuid.uuid4())  # fmt: skip
    with pytest.raises(Conflict, match="Goods have been received against PO-2026-27-00003; close it instead"):
        cancel_purchase_order(day.manager, part.id, "too late")


def test_closing_an_order(day: PurchaseDay) -> None:
    po = draft(day)
    with pytest.raises(Conflict, match="is a draft that was never sent; cancel it instead"):
        close_purchase_order(day.manager, po.id, "no")
    send_purchase_order(day.manager, po.id)
    receive_goods(day.pharmacist, GrnInput(day.medplus.id, "MP-1", MONDAY, (grn_line(day.med("Dolo 650")),),
                                           po_id=po.id), request_id=uuid.uuid4())  # fmt: skip
    assert purchase_order(day.manager, po.id).status == "partially_received"
    closed = close_purchase_order(day.manager, po.id, "Rest discontinued by the maker")
    assert (closed.status, closed.lines[0].received_packs, closed.lines[0].outstanding_packs) == ("closed", 10, 10)
    assert closed.notes.endswith("Closed on 30/11/2026 by Imran Sheikh: Rest discontinued by the maker")
    with pytest.raises(Conflict, match="is already closed"):
        close_purchase_order(day.manager, po.id, "again")
    with pytest.raises(NotFound):
        close_purchase_order(day.manager, uuid.uuid4(), "no such order")


def test_the_lists(day: PurchaseDay) -> None:
    a = draft(day)
    b = order(day, ("Pan 40", 2, 9000), supplier=day.zenith)
    assert [p.po_number for p in purchase_orders(day.pharmacist)] == [b.po_number, a.po_number]
    assert [p.id for p in purchase_orders(day.pharmacist, "draft")] == [a.id]
    assert [p.id for p in purchase_orders(day.pharmacist, supplier_id=day.zenith.id)] == [b.id]
    with pytest.raises(ValidationError, match="Choose a status"):
        purchase_orders(day.pharmacist, "lost")
    with pytest.raises(NotFound):
        purchase_order(day.pharmacist, uuid.uuid4())


def test_the_po_pdf(day: PurchaseDay) -> None:
    po = order(day, ("Dolo 650", 20, 2500), ("Augmentin 625 Duo", 5, 15999), expected_date=date(2026, 12, 3))
    text = pdf_text(purchase_order_pdf(day.pharmacist, po.id))
    for expected in ("Sunrise Clinic", "GSTIN: 29AAACR5055K1Z3", "PURCHASE ORDER", "PO-2026-27-00001", "30/11/2026",
                     "03/12/2026", "30 days", "MedPlus Distributors", f"GSTIN: {MEDPLUS_GSTIN}", "KA-BNG-20B-12345",
                     "Dolo 650 (Paracetamol 650 mg)", "strip of 15 tablets", "3004", "25.00", "500.00",
                     "CGST", "SGST", "1,299.95", "1,364.95", "Imran Sheikh"):  # fmt: skip
        assert expected in text, expected
    assert "DRAFT" not in text and "IGST" not in text
    with day.system.transaction(readonly=True) as tx:
        prints = tx.session.scalars(select(AuditLog).where(AuditLog.action == "print")).all()
        assert [(a.entity_type, a.entity_id, a.detail) for a in prints] == [
            ("purchase_orders", str(po.id), "Purchase order PO-2026-27-00001")]  # fmt: skip


def test_a_draft_to_another_state_prints_igst_and_draft(day: PurchaseDay) -> None:
    po = order(day, ("Pan 40", 4, 9000), supplier=day.zenith, send=False)
    text = pdf_text(purchase_order_pdf(day.manager, po.id))
    assert "DRAFT, NOT SENT" in text and "Zenith Pharma Agencies" in text and ZENITH_GSTIN in text
    assert "IGST 18.00" in text and "CGST" not in text and "Total (Rs) 378.00" in text and "15 days" in text


def test_money_and_rates_as_printed() -> None:
    assert [money(p) for p in (5, 100, 14995000, 123456789012)] == ["0.05", "1.00", "1,49,950.00", "1,23,45,67,890.12"]
    assert [percent(b) for b in (0, 500, 250, 1200, 1800)] == ["0", "5", "2.5", "12", "18"]
    assert Decimal(money(136495).replace(",", "")) == Decimal("1364.95")


def test_who_may_do_what(day: PurchaseDay) -> None:
    po = draft(day)
    before = written(day.system)
    data = PurchaseOrderInput(day.medplus.id, (POLine(day.med("Dolo 650"), 1, 1),))
    for ctx in (day.pharmacist, day.pd.rx.day.receptionist_ctx, day.pd.rx.day.doctor_ctx):
        with pytest.raises(PermissionDenied):
            create_purchase_order(ctx, data, request_id=uuid.uuid4())
    with pytest.raises(PermissionDenied):
        send_purchase_order(day.pharmacist, po.id)
    with pytest.raises(PermissionDenied):
        cancel_purchase_order(day.pharmacist, po.id, "not mine")
    with pytest.raises(PermissionDenied):
        purchase_orders(day.pd.rx.day.receptionist_ctx)
    with pytest.raises(PermissionDenied):
        purchase_order_pdf(day.pd.rx.day.receptionist_ctx, po.id)
    assert written(day.system) == before
    assert [p.id for p in purchase_orders(day.pharmacist)] == [po.id]

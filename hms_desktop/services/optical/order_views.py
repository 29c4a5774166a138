"""What the Optical dock and the printouts read of optical orders, and the reading services (``optical.view``).

- ``order(ctx, id)``: one order with its live lines, money, measurements written as the lab reads them
  ("R 31.0 mm / L 31.5 mm"), its prescription, and the status history oldest first.
- ``order_board(ctx, on=None)``: the day's board: every open order (draft, confirmed, at the lab, back from
  the lab, ready) whatever day it was made, and the orders delivered or cancelled on ``on`` (the clinic's
  today by default), keyed by status (every status is a key, in the life's order), oldest first.
- ``orders_of_patient(ctx, patient_id)``: the patient's orders, newest first.
- ``latest_eye_rx_for_order(ctx, patient_id)``: the prescription a new order starts from: the newest one still
  valid today, or None.
An order is ``overdue`` when it is neither delivered nor cancelled and its promised date is before the clinic's
today. Money: subtotal is the lines' MRP total (GST inside), discount their discounts, total what the patient
pays, tax the GST inside the total; the advance is billing's (a receipt voucher), the balance what is left.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from db.models.optical import (
    OPTICAL_ORDER_STATUSES,
    OpticalOrder,
    OpticalOrderItem,
    OpticalPrescription,
    OpticalProduct,
)
from db.models.optical import OpticalStatusEvent as Event
from db.models.patients import Patient
from hms_desktop.clinic_time import local_today, zone_of
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import NotFound
from hms_desktop.printing.purchase_order import money
from hms_desktop.security.permissions import requires
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.eye_prescription_views import EyeRxView, local_day, view_of
from hms_desktop.services.optical.eye_prescriptions import latest_valid_eye_prescription
from hms_desktop.services.optical.order_input import mm_text
from hms_desktop.services.optical.status_log import ORDER_LABELS, StatusStep, history
from hms_desktop.settings import clinic_settings

OPEN_STATUSES = ("draft", "confirmed", "in_lab", "received", "ready")
CLOSED_STATUSES = ("delivered", "cancelled")
EYE_LABELS = {"right": "Right eye", "left": "Left eye", "both": "Both eyes", "none": ""}


def money_text(paise: int) -> str:
    """ "Rs 2,500.00" (lakh grouping)."""
    return f"Rs {money(paise)}"


@dataclass(frozen=True, kw_only=True)
class OrderLineView:
    id: uuid.UUID
    line_no: int
    product_id: uuid.UUID
    sku: str
    category: str
    lens_type: str  # "" for products that are not lenses
    description: str  # as sold: "Hoya progressive 1.60, both eyes"
    eye: str
    eye_label: str  # "Right eye", "Both eyes", ""
    quantity: int
    unit_price_paise: int  # MRP, GST inside
    gross_paise: int  # unit price x quantity
    discount_paise: int
    line_total_paise: int  # gross - discount
    tax_basis_points: int
    tax_paise: int  # inside the line total
    hsn_code: str
    options: dict[str, str]
    is_stocked: bool
    amount_text: str  # "Rs 12,000.00"


@dataclass(frozen=True, kw_only=True)
class OrderSummary:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    status: str
    status_label: str
    ordered_at: datetime
    promised_date: date | None
    overdue: bool
    total_paise: int
    items_text: str  # "Titan TE-1021 black; Hoya progressive 1.60, both eyes"
    remake_count: int


@dataclass(frozen=True, kw_only=True)
class OrderView:
    id: uuid.UUID
    code: str
    patient_id: uuid.UUID
    patient_name: str
    patient_code: str
    patient_phone: str
    optical_prescription_id: uuid.UUID | None
    prescription: EyeRxView | None
    prescription_text: str  # "ORX-2026-000001 by Dr Meera Iyer, 30 Nov 2026", "Outside prescription ...: Dr R Rao"
    outside_prescriber: str  # "" for the clinic's own prescription
    status: str
    status_label: str  # "Sent to lab"
    editable: bool  # a draft: update_order may change it
    overdue: bool
    ordered_at: datetime
    ordered_on: date
    promised_date: date | None
    confirmed_at: datetime | None
    sent_to_lab_at: datetime | None
    received_at: datetime | None
    ready_at: datetime | None
    delivered_at: datetime | None
    lines: tuple[OrderLineView, ...]
    subtotal_paise: int
    discount_paise: int
    tax_paise: int
    total_paise: int
    advance_paise: int
    balance_paise: int
    right_pd_mm_tenths: int | None
    left_pd_mm_tenths: int | None
    right_fitting_height_mm_tenths: int | None
    left_fitting_height_mm_tenths: int | None
    box_a_mm_tenths: int | None
    box_b_mm_tenths: int | None
    dbl_mm_tenths: int | None
    pd_text: str  # "R 31.0 mm / L 31.5 mm"
    fitting_height_text: str  # "R 22.0 mm / L 22.0 mm"
    box_text: str  # "A 52 / B 38 / DBL 18 mm"
    measurements_text: str  # "PD R 31.0 mm / L 31.5 mm; fitting height ...; box A 52 / B 38 / DBL 18 mm"
    lab_name: str
    lab_reference: str
    remake_count: int
    notes: str
    invoice_id: uuid.UUID | None
    history: tuple[StatusStep, ...]


def order_row(tx: Transaction, order_id: object) -> OpticalOrder:
    found = tx.session.get(OpticalOrder, order_id) if isinstance(order_id, uuid.UUID) else None
    if found is None or found.deleted_at is not None:
        raise NotFound("No such optical order (it may have been removed on another PC).")
    return found


def live_lines(tx: Transaction, order_id: uuid.UUID) -> list[OpticalOrderItem]:
    return list(
        tx.session.scalars(
            select(OpticalOrderItem)
            .where(OpticalOrderItem.order_id == order_id, OpticalOrderItem.deleted_at.is_(None))
            .order_by(OpticalOrderItem.line_no)
        )
    )


def _line_view(tx: Transaction, item: OpticalOrderItem) -> OrderLineView:
    product = tx.session.get(OpticalProduct, item.product_id)
    assert product is not None
    return OrderLineView(
        id=item.id, line_no=item.line_no, product_id=item.product_id, sku=product.sku, category=product.category,
        lens_type=product.lens_type or "", description=item.description, eye=item.eye,
        eye_label=EYE_LABELS.get(item.eye, ""), quantity=item.quantity, unit_price_paise=item.unit_price_paise,
        gross_paise=item.unit_price_paise * item.quantity, discount_paise=item.discount_paise,
        line_total_paise=item.line_total_paise, tax_basis_points=item.tax_basis_points, tax_paise=item.tax_paise,
        hsn_code=item.hsn_code, options=dict(item.customization or {}), is_stocked=product.is_stocked,
        amount_text=money_text(item.line_total_paise),
    )  # fmt: skip


def pair_text(right: int | None, left: int | None) -> str:
    """ "R 31.0 mm / L 31.5 mm"; one side alone; "" for neither."""
    return " / ".join(f"{side} {rx.format_pd(v)}" for side, v in (("R", right), ("L", left)) if v is not None)


def box_text(a: int | None, b: int | None, dbl: int | None) -> str:
    parts = [f"{name} {mm_text(v)}" for name, v in (("A", a), ("B", b), ("DBL", dbl)) if v is not None]
    return f"{' / '.join(parts)} mm" if parts else ""


def is_overdue(row: OpticalOrder, today: date) -> bool:
    return row.status not in CLOSED_STATUSES and row.promised_date is not None and row.promised_date < today


def prescription_text(rx_row: OpticalPrescription | None, view: EyeRxView | None) -> str:
    if rx_row is None or view is None:
        return ""
    if rx_row.external_prescriber:
        return f"Outside prescription ({rx_row.code}): {rx_row.external_prescriber}"
    return f"{rx_row.code} by {view.examiner_name}, {view.examined_on:%d %b %Y}"


def order_view(tx: Transaction, row: OpticalOrder) -> OrderView:
    settings = clinic_settings(tx.session)
    today = local_today(settings, tx.ctx.clock)
    patient = tx.session.get(Patient, row.patient_id)
    assert patient is not None
    rx_row = tx.session.get(OpticalPrescription, row.optical_prescription_id) if row.optical_prescription_id else None
    rx_view = view_of(tx, rx_row, settings, today) if rx_row is not None else None
    pd = pair_text(row.right_pd_mm_tenths, row.left_pd_mm_tenths)
    heights = pair_text(row.right_fitting_height_mm_tenths, row.left_fitting_height_mm_tenths)
    box = box_text(row.box_a_mm_tenths, row.box_b_mm_tenths, row.dbl_mm_tenths)
    measured = [f"{label} {text}" for label, text in (("PD", pd), ("fitting height", heights), ("box", box)) if text]
    return OrderView(
        id=row.id, code=row.code, patient_id=patient.id, patient_name=patient.full_name, patient_code=patient.code,
        patient_phone=patient.phone or "", optical_prescription_id=row.optical_prescription_id,
        prescription=rx_view, prescription_text=prescription_text(rx_row, rx_view),
        outside_prescriber=rx_row.external_prescriber if rx_row else "", status=row.status,
        status_label=ORDER_LABELS.get(row.status, row.status), editable=row.status == "draft",
        overdue=is_overdue(row, today), ordered_at=row.ordered_at, ordered_on=local_day(row.ordered_at, settings),
        promised_date=row.promised_date, confirmed_at=row.confirmed_at, sent_to_lab_at=row.sent_to_lab_at,
        received_at=row.received_at, ready_at=row.ready_at, delivered_at=row.delivered_at,
        lines=tuple(_line_view(tx, item) for item in live_lines(tx, row.id)), subtotal_paise=row.subtotal_paise,
        discount_paise=row.discount_paise, tax_paise=row.tax_paise, total_paise=row.total_paise,
        advance_paise=row.advance_paise, balance_paise=row.total_paise - row.advance_paise,
        right_pd_mm_tenths=row.right_pd_mm_tenths, left_pd_mm_tenths=row.left_pd_mm_tenths,
        right_fitting_height_mm_tenths=row.right_fitting_height_mm_tenths,
        left_fitting_height_mm_tenths=row.left_fitting_height_mm_tenths, box_a_mm_tenths=row.box_a_mm_tenths,
        box_b_mm_tenths=row.box_b_mm_tenths, dbl_mm_tenths=row.dbl_mm_tenths, pd_text=pd,
        fitting_height_text=heights, box_text=box, measurements_text="; ".join(measured), lab_name=row.lab_name,
        lab_reference=row.lab_reference, remake_count=row.remake_count, notes=row.notes, invoice_id=row.invoice_id,
        history=tuple(history(tx, order_id=row.id)),
    )  # fmt: skip


def _summaries(tx: Transaction, rows: list[tuple[OpticalOrder, Patient]], today: date) -> list[OrderSummary]:
    ids = [o.id for o, _ in rows]
    items: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
    if ids:
        found = tx.session.execute(
            select(OpticalOrderItem.order_id, OpticalOrderItem.description)
            .where(OpticalOrderItem.order_id.in_(ids), OpticalOrderItem.deleted_at.is_(None))
            .order_by(OpticalOrderItem.order_id, OpticalOrderItem.line_no)
        )
        for order_id, description in found:
            items[order_id].append(description)
    return [
        OrderSummary(
            id=o.id,
            code=o.code,
            patient_id=p.id,
            patient_name=p.full_name,
            patient_code=p.code,
            status=o.status,
            status_label=ORDER_LABELS.get(o.status, o.status),
            ordered_at=o.ordered_at,
            promised_date=o.promised_date,
            overdue=is_overdue(o, today),
            total_paise=o.total_paise,
            items_text="; ".join(items[o.id]),
            remake_count=o.remake_count,
        )  # fmt: skip
        for o, p in rows
    ]


def _orders_query() -> Any:
    return (
        select(OpticalOrder, Patient)
        .join(Patient, Patient.id == OpticalOrder.patient_id)
        .where(OpticalOrder.deleted_at.is_(None))
    )


@requires("optical.view")
def order(ctx: Context, order_id: uuid.UUID) -> OrderView:
    """One order (NotFound if there is none)."""
    with ctx.transaction(readonly=True) as tx:
        return order_view(tx, order_row(tx, order_id))


@requires("optical.view")
def order_board(ctx: Context, on: date | None = None) -> dict[str, list[OrderSummary]]:
    """Open orders, and those delivered or cancelled on ``on`` (default the clinic's today), by status."""
    with ctx.transaction(readonly=True) as tx:
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        day = on or today
        start = datetime.combine(day, time.min, zone_of(settings))
        closed_today = select(Event.order_id).where(
            Event.order_id.is_not(None),
            Event.to_status.in_(CLOSED_STATUSES),
            Event.happened_at >= start,
            Event.happened_at < start + timedelta(days=1),
        )
        rows = tx.session.execute(
            _orders_query()
            .where(OpticalOrder.status.in_(OPEN_STATUSES) | OpticalOrder.id.in_(closed_today))
            .order_by(OpticalOrder.ordered_at, OpticalOrder.id)
        ).all()
        board: dict[str, list[OrderSummary]] = {status: [] for status in OPTICAL_ORDER_STATUSES}
        for summary in _summaries(tx, [(o, p) for o, p in rows], today):
            board[summary.status].append(summary)
        return board


@requires("optical.view")
def orders_of_patient(ctx: Context, patient_id: uuid.UUID) -> list[OrderSummary]:
    """The patient's optical orders, newest first."""
    with ctx.transaction(readonly=True) as tx:
        patient = tx.session.get(Patient, patient_id) if isinstance(patient_id, uuid.UUID) else None
        if patient is None or patient.deleted_at is not None:
            raise NotFound("No such patient.")
        today = local_today(clinic_settings(tx.session), ctx.clock)
        rows = tx.session.execute(
            _orders_query()
            .where(OpticalOrder.patient_id == patient.id)
            .order_by(OpticalOrder.ordered_at.desc(), OpticalOrder.id.desc())
        ).all()
        return _summaries(tx, [(o, p) for o, p in rows], today)


@requires("optical.view")
def latest_eye_rx_for_order(ctx: Context, patient_id: uuid.UUID) -> EyeRxView | None:
    """The prescription a new order starts from: the newest one valid today (the clinic's or an outside one)."""
    return latest_valid_eye_prescription(ctx, patient_id)

"""Optical orders (``OPT-2026-00001``): spectacles, lenses and optical goods from an eye prescription (or an
outside one typed in) through the lab and quality check to delivery. Writing needs ``optical.orders``.

The life (each step one transaction, logged by ``status_log.record`` with who and when, the row's changes
audited through the session):
  draft --confirm_order--> confirmed --send_to_lab--> in_lab --receive_from_lab--> received
  received --quality_check(passed=True)--> ready (the patient's "ready to collect" message is queued)
  received --quality_check(passed=False, reason)--> in_lab again: a remake (remake_count + 1, the reason kept)
  ready --deliver_order--> delivered;  any step before delivered --cancel_order(reason)--> cancelled.

- ``create_order(ctx, data, request_id)``: a draft; every rule of ``order_rules`` is checked first (prices from
  the catalogue MRP, GST per line, discounts within the user's limit, lenses makeable in the prescribed power,
  the fitting measurements, stock on the shelf), and an outside prescription is written with the order.
  ``request_id`` is the new order's id: called again with it, the order already made is returned unchanged.
- ``update_order(ctx, id, data)``: a draft only (a confirmed order is cancelled and made again), for the same
  patient; the lines are replaced (the old ones kept as tombstones); the same input again changes nothing (an
  outside prescription given again is written again as a new one).
- ``confirm_order``: takes each stocked line off the shelf (a ``dispense`` movement, reference
  ``optical_order_items``/the line) and refuses, naming the product, when one is short; leaves one charge per
  line for billing (source ``optical_order``, item ``optical``, MRP so GST inside, the line's HSN and rate; a
  discounted line is charged at its net amount). Prices are those of the draft.
- ``send_to_lab(ctx, id, lab_name, lab_reference)``: the lab (this call's, else the order's) is required.
- ``quality_check(ctx, id, passed, reason)``: only when back from the lab; a fail needs a reason.
- ``ready_without_lab``: a confirmed order with no spectacle lens (sunglasses, solution) skips the lab.
- ``deliver_order``: only from ready ("has not passed quality check" otherwise).
- ``cancel_order(ctx, id, reason)``: stock taken out goes back (``return`` movements), the charges are
  cancelled (refused when billed: the invoice needs a credit note); a delivered order is not cancelled.
A step called again on an order already in its target status returns the order unchanged (a double click);
from any other wrong status it is a ``Conflict`` naming the order and where it is.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select

from db.models.inventory import StockMovement
from db.models.optical import OpticalOrder, OpticalOrderItem, OpticalPrescription, OpticalProduct
from hms_desktop import stock
from hms_desktop.clinic_time import local_today
from hms_desktop.context import Context, Transaction
from hms_desktop.errors import Conflict, ValidationError
from hms_desktop.security.permissions import requires
from hms_desktop.series import OPTICAL_ORDERS, next_code
from hms_desktop.services.clinical.charges import ChargeInput, add_charge, cancel_charge
from hms_desktop.services.optical import status_log
from hms_desktop.services.optical.eye_prescription_input import text_of
from hms_desktop.services.optical.order_input import LAB_REFERENCE_MAX, OrderInput, clean_lab_name
from hms_desktop.services.optical.order_rules import Prepared, patient_row, prepare, short_text, write_prescription
from hms_desktop.services.optical.order_views import OrderView, live_lines, money_text, order_row, order_view
from hms_desktop.services.optical.ready_notice import queue_ready
from hms_desktop.settings import clinic_settings
from hms_desktop.validation import clean_text

ITEM_TABLE = "optical_order_items"
REASON_MAX = 400


def _label(row: OpticalOrder) -> str:
    return status_log.ORDER_LABELS.get(row.status, row.status).lower()


def _wrong(row: OpticalOrder, doing: str) -> Conflict:
    return Conflict(f"Order {row.code} is {_label(row)}, so it cannot {doing}.")


def _move(tx: Transaction, row: OpticalOrder, to_status: str, note: str = "") -> None:
    status_log.record(tx, from_status=row.status, to_status=to_status, order_id=row.id, note=note)
    row.status = to_status
    tx.flush()


def _write(tx: Transaction, row: OpticalOrder, prepared: Prepared, today: date) -> None:
    """Set the order's prescription, measurements, lines and totals from ``prepared``."""
    h = prepared.header
    row.optical_prescription_id = write_prescription(tx, prepared, today)
    row.right_pd_mm_tenths, row.left_pd_mm_tenths = h.right_pd, h.left_pd
    row.right_fitting_height_mm_tenths, row.left_fitting_height_mm_tenths = (
        h.right_fitting_height,
        h.left_fitting_height,
    )
    row.box_a_mm_tenths, row.box_b_mm_tenths, row.dbl_mm_tenths = h.box_a, h.box_b, h.dbl
    row.promised_date, row.lab_name, row.notes = h.promised_date, h.lab_name, h.notes
    for no, line in enumerate(prepared.lines, start=1):
        tx.session.add(OpticalOrderItem(
            order_id=row.id, product_id=line.product.id, quantity=line.quantity,
            unit_price_paise=line.unit_price_paise, tax_basis_points=line.tax_basis_points, tax_paise=line.tax_paise,
            line_total_paise=line.line_total_paise, eye=line.eye, customization=dict(line.options), line_no=no,
            description=line.description, hsn_code=line.product.hsn_code, discount_paise=line.discount_paise,
        ))  # fmt: skip
    row.subtotal_paise = sum(line.unit_price_paise * line.quantity for line in prepared.lines)
    row.discount_paise = sum(line.discount_paise for line in prepared.lines)
    row.total_paise = row.subtotal_paise - row.discount_paise
    row.tax_paise = sum(line.tax_paise for line in prepared.lines)
    tx.flush()


@requires("optical.orders")
def create_order(ctx: Context, data: OrderInput, request_id: uuid.UUID) -> OrderView:
    """A new draft order (the rules are in the module's docstring and ``order_rules``)."""
    if not isinstance(request_id, uuid.UUID):
        raise ValidationError("request_id", "An order needs its request id.")
    with ctx.transaction() as tx:
        done = tx.session.get(OpticalOrder, request_id)
        if done is not None:
            if done.patient_id != getattr(data, "patient_id", None):
                raise Conflict(f"This request already made order {done.code} for another patient.")
            return order_view(tx, done)
        settings = clinic_settings(tx.session)
        today = local_today(settings, ctx.clock)
        prepared = prepare(tx, data, today)
        row = OpticalOrder(
            id=request_id, code=next_code(tx, OPTICAL_ORDERS.resolve(settings), today),
            patient_id=prepared.patient.id, status="draft", ordered_at=ctx.clock.now(),
        )  # fmt: skip
        tx.session.add(row)  # written once, whole, by _write's flush (its lines after it: they refer to it)
        _write(tx, row, prepared, today)
        status_log.record(tx, to_status="draft", order_id=row.id, note="Order taken.")
        view = order_view(tx, row)
        tx.commit()
        return view


def _unchanged(row: OpticalOrder, items: list[OpticalOrderItem], prepared: Prepared) -> bool:
    h, rx = prepared.header, prepared.rx
    if rx is None or rx.row is None:
        if rx is not None or row.optical_prescription_id is not None:
            return False
    elif rx.row.id != row.optical_prescription_id:
        return False
    header = (h.right_pd, h.left_pd, h.right_fitting_height, h.left_fitting_height, h.box_a, h.box_b, h.dbl,
              h.promised_date, h.lab_name, h.notes)  # fmt: skip
    stored = (row.right_pd_mm_tenths, row.left_pd_mm_tenths, row.right_fitting_height_mm_tenths,
              row.left_fitting_height_mm_tenths, row.box_a_mm_tenths, row.box_b_mm_tenths, row.dbl_mm_tenths,
              row.promised_date, row.lab_name, row.notes)  # fmt: skip
    new = [(x.product.id, x.eye, x.quantity, x.unit_price_paise, x.discount_paise, x.options) for x in prepared.lines]
    old = [(i.product_id, i.eye, i.quantity, i.unit_price_paise, i.discount_paise, i.customization) for i in items]
    return header == stored and new == old


@requires("optical.orders")
def update_order(ctx: Context, order_id: uuid.UUID, data: OrderInput) -> OrderView:
    """Change a draft: its prescription, lines, measurements, promised date, lab, notes."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status != "draft":
            raise Conflict(
                f"Order {row.code} is {_label(row)}: only a draft can be edited. Cancel it and make a new order "
                "to change it."
            )
        if getattr(data, "patient_id", None) != row.patient_id:
            raise ValidationError("patient_id", f"Order {row.code} stays with its patient; make a new order instead.")
        today = local_today(clinic_settings(tx.session), ctx.clock)
        prepared = prepare(tx, data, today)
        items = live_lines(tx, row.id)
        if not _unchanged(row, items, prepared):
            now = ctx.clock.now()
            for item in items:
                item.deleted_at = now
            tx.flush()
            _write(tx, row, prepared, today)
        view = order_view(tx, row)
        tx.commit()
        return view


def _charge(tx: Transaction, row: OpticalOrder, item: OpticalOrderItem) -> None:
    """The line's charge: the MRP per unit, or its net amount when discounted (per unit when it divides)."""
    unit, quantity, suffix = item.unit_price_paise, item.quantity, ""
    if item.discount_paise:
        suffix = f", less {money_text(item.discount_paise)} discount"
        unit, quantity = divmod_price(item.line_total_paise, item.quantity)
    rx = tx.session.get(OpticalPrescription, row.optical_prescription_id) if row.optical_prescription_id else None
    add_charge(tx, ChargeInput(
        patient_id=row.patient_id, source_type="optical_order", source_id=row.id, line_no=item.line_no,
        item_type="optical", description=f"Optical order {row.code}: {item.description}{suffix}"[:300],
        unit_price_paise=unit, quantity=quantity, appointment_id=rx.appointment_id if rx else None,
        price_includes_tax=True, hsn_sac_code=item.hsn_code, gst_rate_basis_points=item.tax_basis_points,
    ))  # fmt: skip


def divmod_price(total_paise: int, quantity: int) -> tuple[int, int]:
    """(unit price, quantity) charging exactly ``total_paise``: per unit when it divides, else one lot of it."""
    return (total_paise // quantity, quantity) if total_paise % quantity == 0 else (total_paise, 1)


@requires("optical.orders")
def confirm_order(ctx: Context, order_id: uuid.UUID) -> OrderView:
    """Confirm a draft: stock out for stocked lines, a charge per line (see the module's docstring)."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "confirmed":
            return order_view(tx, row)
        if row.status != "draft":
            raise _wrong(row, "be confirmed")
        items = live_lines(tx, row.id)
        for item in items:
            product = tx.session.get(OpticalProduct, item.product_id)
            assert product is not None
            if product.is_stocked:
                there = stock.on_hand(tx, optical_product_id=product.id)
                if there < item.quantity:
                    raise Conflict(f"Order {row.code} cannot be confirmed: {short_text(product, there, item.quantity)}"
                                   " Nothing was confirmed.")  # fmt: skip
                stock.move(tx, optical_product_id=product.id, quantity_delta=-item.quantity,
                           movement_type="dispense", reference_type=ITEM_TABLE, reference_id=item.id,
                           reason=f"Optical order {row.code}")  # fmt: skip
            _charge(tx, row, item)
        row.confirmed_at = ctx.clock.now()
        _move(tx, row, "confirmed")
        view = order_view(tx, row)
        tx.commit()
        return view


@requires("optical.orders")
def send_to_lab(ctx: Context, order_id: uuid.UUID, lab_name: str = "", lab_reference: str = "") -> OrderView:
    """A confirmed order goes to the lab (named here or on the order), with the lab's job number if given."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "in_lab":
            return order_view(tx, row)
        if row.status != "confirmed":
            raise _wrong(row, "be sent to the lab")
        lab = clean_lab_name(lab_name) or row.lab_name
        if not lab:
            raise ValidationError("lab_name", f"Name the lab order {row.code} goes to.")
        ref = clean_text(text_of(lab_reference, "lab_reference"), "lab_reference", label="The lab's job number",
                         required=False, max_len=LAB_REFERENCE_MAX)  # fmt: skip
        row.lab_name, row.lab_reference, row.sent_to_lab_at = lab, ref, ctx.clock.now()
        _move(tx, row, "in_lab", f"To {lab}" + (f", job {ref}" if ref else "") + ".")
        view = order_view(tx, row)
        tx.commit()
        return view


@requires("optical.orders")
def receive_from_lab(ctx: Context, order_id: uuid.UUID) -> OrderView:
    """The job is back from the lab, waiting for quality check."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "received":
            return order_view(tx, row)
        if row.status != "in_lab":
            raise _wrong(row, "come back from the lab")
        row.received_at = ctx.clock.now()
        _move(tx, row, "received", f"Remake {row.remake_count} back from {row.lab_name}." if row.remake_count else "")
        view = order_view(tx, row)
        tx.commit()
        return view


def _has_lens(tx: Transaction, row: OpticalOrder) -> bool:
    found = tx.session.scalar(
        select(func.count())
        .select_from(OpticalOrderItem)
        .join(OpticalProduct, OpticalProduct.id == OpticalOrderItem.product_id)
        .where(OpticalOrderItem.order_id == row.id, OpticalOrderItem.deleted_at.is_(None),
               OpticalProduct.category == "lens")
    )  # fmt: skip
    return bool(found)


@requires("optical.orders")
def quality_check(ctx: Context, order_id: uuid.UUID, passed: bool, reason: str = "") -> OrderView:
    """Check the job back from the lab: pass -> ready (the patient is told); fail -> remade at the lab."""
    if not isinstance(passed, bool):
        raise ValidationError("passed", "Say whether the job passed quality check.")
    why = clean_text(text_of(reason, "reason"), "reason", label="The reason", required=False, max_len=REASON_MAX)
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        target = "ready" if passed else "in_lab"
        if not passed and not why:
            raise ValidationError("reason", f"Say why order {row.code} failed quality check: the lab remakes it "
                                            "from that.")  # fmt: skip
        if row.status == target:
            return order_view(tx, row)
        if row.status != "received":
            raise _wrong(row, "be quality checked (that is done when it is back from the lab)")
        now = ctx.clock.now()
        if passed:
            row.ready_at = now
            item = "spectacles" if _has_lens(tx, row) else "optical order"
            told = queue_ready(tx, patient=patient_row(tx, row.patient_id), item=item, code=row.code, ready_at=now)
            _move(tx, row, "ready", " ".join(x for x in ("Quality check passed.", why, told) if x))
        else:
            row.remake_count += 1
            row.sent_to_lab_at, row.received_at = now, None
            _move(tx, row, "in_lab", f"Quality check failed; remake {row.remake_count}: {why}")
        view = order_view(tx, row)
        tx.commit()
        return view


@requires("optical.orders")
def ready_without_lab(ctx: Context, order_id: uuid.UUID) -> OrderView:
    """A confirmed order with no spectacle lens (sunglasses, a frame alone, contact lenses, solution: all taken
    off the shelf at confirmation) has nothing for the lab: it is ready at the counter, to deliver at once. No
    "ready to collect" message is queued: the goods were on the shelf, so the patient is at the counter."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "ready":
            return order_view(tx, row)
        if row.status != "confirmed":
            raise _wrong(row, "be made ready without the lab")
        if _has_lens(tx, row):
            raise Conflict(f"Order {row.code} has spectacle lenses to be made: send it to the lab.")
        row.ready_at = ctx.clock.now()
        _move(tx, row, "ready", "Nothing for the lab: ready at the counter.")
        view = order_view(tx, row)
        tx.commit()
        return view


@requires("optical.orders")
def deliver_order(ctx: Context, order_id: uuid.UUID) -> OrderView:
    """Hand a ready order to the patient."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "delivered":
            return order_view(tx, row)
        if row.status == "cancelled":
            raise Conflict(f"Order {row.code} was cancelled; it cannot be delivered.")
        if row.status != "ready":
            raise Conflict(
                f"Order {row.code} has not passed quality check (it is {_label(row)}); deliver it once it is ready "
                "to collect."
            )
        row.delivered_at = ctx.clock.now()
        _move(tx, row, "delivered")
        view = order_view(tx, row)
        tx.commit()
        return view


def _taken_out(tx: Transaction, item: OpticalOrderItem) -> int:
    total = tx.session.scalar(
        select(func.coalesce(func.sum(StockMovement.quantity_delta), 0)).where(
            StockMovement.reference_type == ITEM_TABLE, StockMovement.reference_id == item.id
        )
    )
    return -int(total or 0)


@requires("optical.orders")
def cancel_order(ctx: Context, order_id: uuid.UUID, reason: str) -> OrderView:
    """Cancel an order not yet delivered: its stock back on the shelf, its unbilled charges cancelled."""
    why = clean_text(text_of(reason, "reason"), "reason", label="The reason for cancelling", max_len=REASON_MAX)
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        if row.status == "cancelled":
            return order_view(tx, row)
        if row.status == "delivered":
            raise Conflict(f"Order {row.code} was delivered; a return is a credit note on its invoice, not a "
                           "cancellation.")  # fmt: skip
        for item in live_lines(tx, row.id):
            out = _taken_out(tx, item)
            if out > 0:
                stock.move(tx, optical_product_id=item.product_id, quantity_delta=out, movement_type="return",
                           reference_type=ITEM_TABLE, reference_id=item.id,
                           reason=f"Optical order {row.code} cancelled")  # fmt: skip
        cancel_charge(tx, "optical_order", row.id, f"Optical order {row.code} cancelled: {why}")
        _move(tx, row, "cancelled", why)
        view = order_view(tx, row)
        tx.commit()
        return view

"""The optical order's printouts (``optical.view``): the lab's job card and the patient's order slip.

``job_card_data`` builds ``JobCardData`` from the order as it stands: the clinic's heading, the order code (the
renderer prints it as a Code 128 barcode), the prescription per eye as opticians write it (R and L: SPH, CYL,
AXIS, ADD, PRISM), the monocular PDs, fitting heights and box size, the frame ("Patient's own frame" when the
order has none), the lenses (type, index, product, material, and the eye when the pair differs), the lens
options (those chosen on the order, else the lens's catalogue coatings), the lab, the last remake and why, and
the notes. ``order_slip_data`` builds ``OrderSlipData``: the lines after their discounts, subtotal, discount,
total, advance and balance in rupees, the promised date and the status. ``job_card_pdf`` / ``order_slip_pdf``
render them (``printing.optical_job_card`` / ``printing.optical_slips``) and record each print in the audit
trail, as every printout is.
"""

from __future__ import annotations

import uuid

from db.models.optical import OpticalOrder, OpticalProduct
from hms_desktop.audit.trail import record
from hms_desktop.context import Context, Transaction
from hms_desktop.printing.optical_data import JobCardData, OrderSlipData, RxEyeLine, SlipLine
from hms_desktop.printing.optical_job_card import render_job_card
from hms_desktop.printing.optical_slips import render_order_slip
from hms_desktop.security.permissions import requires
from hms_desktop.services.optical import refraction as rx
from hms_desktop.services.optical.catalog_rules import LENS_TYPE_LABELS
from hms_desktop.services.optical.eye_prescription_views import EyeView
from hms_desktop.services.optical.order_views import OrderLineView, OrderView, money_text, order_row, order_view
from hms_desktop.services.optical.print_heading import clinic_heading

FRAMES = ("frame", "sunglasses")
SLIP_NOTE = "Bring this slip when you collect your order."
REMAKE_MARK = "remake "


def _rx_line(label: str, eye: EyeView | None) -> RxEyeLine:
    if eye is None or not eye.prescribed:
        return RxEyeLine(label=label, sphere="", cylinder="", axis="", add="", prism="")
    return RxEyeLine(label=eye.label, sphere=eye.sphere_text, cylinder=eye.cylinder_text, axis=eye.axis_text,
                     add=eye.add_text, prism=eye.prism_text)  # fmt: skip


def _product(tx: Transaction, line: OrderLineView) -> OpticalProduct:
    product = tx.session.get(OpticalProduct, line.product_id)
    assert product is not None
    return product


def frame_text(p: OpticalProduct) -> str:
    """ "Titan TE-1021, black, full rim, 52-18-140"."""
    name = " ".join(x for x in (p.brand, p.model) if x) or p.name
    box = "-".join(str(v) for v in (p.frame_a_mm, p.frame_dbl_mm, p.temple_mm) if v is not None)
    parts = [name, p.color.lower(), p.rim_type.replace("_", " "), box]
    return ", ".join(x for x in parts if x)


def lens_text(p: OpticalProduct, eye_label: str) -> str:
    """ "Progressive 1.60 (Hoya progressive 1.60), resin" (with the eye when the pair differs)."""
    kind = LENS_TYPE_LABELS.get(p.lens_type or "", "lens").capitalize()
    index = f" {p.lens_index // 100}.{p.lens_index % 100:02d}" if p.lens_index else ""
    text = f"{kind}{index} ({p.name})" + (f", {p.material}" if p.material else "")
    return f"{eye_label}: {text}" if eye_label else text


def _lenses(tx: Transaction, view: OrderView) -> tuple[str, str]:
    lenses = [(line, _product(tx, line)) for line in view.lines if line.category == "lens"]
    same = len({p.id for _, p in lenses}) <= 1
    lens = "; ".join(lens_text(p, "" if same else line.eye_label) for line, p in lenses)
    options: list[str] = []
    for line, p in lenses:
        chosen = [f"{k}: {v}" for k, v in line.options.items()]
        if not chosen:
            chosen = [x for x in (p.coatings and f"coatings: {p.coatings}", p.tint and f"tint: {p.tint}") if x]
        for option in chosen:
            if option not in options:
                options.append(option)
    return lens, "; ".join(options)


def _remake(view: OrderView) -> str:
    """ "Remake 1: axis off by 10 degrees (left)" from the last failed quality check; "" for none."""
    if not view.remake_count:
        return ""
    for step in reversed(view.history):
        if step.from_status == "received" and step.to_status == "in_lab" and REMAKE_MARK in step.note:
            return "Remake " + step.note.split(REMAKE_MARK, 1)[1]
    return f"Remake {view.remake_count}"


def _job_card(tx: Transaction, row: OpticalOrder) -> JobCardData:
    view = order_view(tx, row)
    eyes = view.prescription
    frame = next((_product(tx, line) for line in view.lines if line.category in FRAMES), None)
    lens, options = _lenses(tx, view)
    return JobCardData(
        clinic=clinic_heading(tx), order_code=view.code, ordered_on=view.ordered_on,
        promised_date=view.promised_date, patient_name=view.patient_name, patient_code=view.patient_code,
        prescription=view.prescription_text, right=_rx_line("R (OD)", eyes.right if eyes else None),
        left=_rx_line("L (OS)", eyes.left if eyes else None),
        right_pd=rx.format_pd(view.right_pd_mm_tenths), left_pd=rx.format_pd(view.left_pd_mm_tenths),
        right_fitting_height=rx.format_pd(view.right_fitting_height_mm_tenths),
        left_fitting_height=rx.format_pd(view.left_fitting_height_mm_tenths), box_size=view.box_text,
        frame=frame_text(frame) if frame is not None else "Patient's own frame", lens=lens, lens_options=options,
        lab_name=view.lab_name, remake=_remake(view), notes=view.notes,
    )  # fmt: skip


def _quantity(line: OrderLineView) -> str:
    if line.category == "lens":
        return "1 lens" if line.quantity == 1 else f"{line.quantity} lenses"
    return str(line.quantity)


def _slip(tx: Transaction, row: OpticalOrder) -> OrderSlipData:
    view = order_view(tx, row)
    return OrderSlipData(
        clinic=clinic_heading(tx), order_code=view.code, ordered_on=view.ordered_on,
        promised_date=view.promised_date, patient_name=view.patient_name, patient_code=view.patient_code,
        patient_phone=view.patient_phone,
        lines=tuple(SlipLine(description=x.description, quantity=_quantity(x), amount=x.amount_text)
                    for x in view.lines),
        subtotal=money_text(view.subtotal_paise),
        discount=money_text(view.discount_paise) if view.discount_paise else "",
        total=money_text(view.total_paise), advance=money_text(view.advance_paise) if view.advance_paise else "",
        balance=money_text(view.balance_paise), status=view.status_label, notes=SLIP_NOTE,
    )  # fmt: skip


@requires("optical.view")
def job_card_data(ctx: Context, order_id: uuid.UUID) -> JobCardData:
    """What the lab's job card prints (NotFound for no such order); writes nothing."""
    with ctx.transaction(readonly=True) as tx:
        return _job_card(tx, order_row(tx, order_id))


@requires("optical.view")
def order_slip_data(ctx: Context, order_id: uuid.UUID) -> OrderSlipData:
    """What the patient's order slip prints; writes nothing."""
    with ctx.transaction(readonly=True) as tx:
        return _slip(tx, order_row(tx, order_id))


@requires("optical.view")
def job_card_pdf(ctx: Context, order_id: uuid.UUID) -> bytes:
    """The lab's job card (A5) as a PDF; the print is recorded in the audit trail."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        pdf = render_job_card(_job_card(tx, row))
        record(tx, "print", entity_type="optical_orders", entity_id=row.id, patient_id=row.patient_id,
               detail=f"Job card {row.code}")  # fmt: skip
        tx.commit()
        return pdf


@requires("optical.view")
def order_slip_pdf(ctx: Context, order_id: uuid.UUID) -> bytes:
    """The patient's order slip as a PDF; the print is recorded in the audit trail."""
    with ctx.transaction() as tx:
        row = order_row(tx, order_id)
        pdf = render_order_slip(_slip(tx, row))
        record(tx, "print", entity_type="optical_orders", entity_id=row.id, patient_id=row.patient_id,
               detail=f"Order slip {row.code}")  # fmt: skip
        tx.commit()
        return pdf

"""The optical counter's slips handed to the patient: the order slip and the repair slip, A6 portrait (105 x 148
mm, a quarter of A4) built with reportlab.

Order slip, top to bottom: the letterhead (``letterhead``); the title and order code; the patient (name, ID,
phone), ordered on, ready by (the promised date, bold), status; the lines (item, quantity, amount after the
line's discount); the money: subtotal, discount, total, advance paid and the balance due, the balance in bold
on a tinted band so the cashier and the patient see what is left to pay; the note ("Bring this slip ...").

Repair slip: the letterhead; the title and repair code; the patient, received on, promised date, status; the
item (the patient's own, or bought here) and the fault; the estimate (parts, labour, total) and whether the
patient has approved it; the at-owner's-risk note in bold inside a heavy box under an "AT OWNER'S RISK"
heading, so it cannot be missed; the patient's signature line acknowledging it.

Every value arrives already written (``OrderSlipData`` / ``RepairSlipData``: money by ``hms_desktop.money``);
an empty one is printed as an em dash. Long text wraps; a slip with many lines or long notes continues on a
second page, each page's foot naming the slip, the patient and "page n of m". The PDFs are invariant.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from hms_desktop.printing.letterhead import GRID, HEAD_FILL, RULE, build, fields, letterhead, or_dash, para, styles
from hms_desktop.printing.optical_data import OrderSlipData, RepairSlipData

MARGIN = 8 * mm
LOGO_SIZE = 12 * mm
LABEL_WIDTH = 19 * mm
BALANCE_FILL = colors.Color(0.90, 0.94, 0.95)
RISK_FILL = colors.Color(1.0, 0.95, 0.85)
RISK_BORDER = colors.Color(0.55, 0.25, 0.0)


def _date(value: object) -> str:
    return f"{value:%d %b %Y}" if value is not None else ""


def _title(title: str, code: str, st: dict[str, ParagraphStyle], width: float) -> Table:
    table = Table([[para(title, st["title"], bold=True), para(f"No. {or_dash(code)}", st["right"], bold=True)]],
                  colWidths=[width * 0.45, width * 0.55])  # fmt: skip
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)])
    )  # fmt: skip
    return table


def _lines(data: OrderSlipData, st: dict[str, ParagraphStyle], width: float) -> Table:
    right = st["right"]
    amount_head = ParagraphStyle("opt-amount-head", parent=st["label"], alignment=TA_RIGHT)
    header = [para("Item", st["label"], bold=True), para("Qty", st["label"], bold=True),
              para("Amount", amount_head, bold=True)]  # fmt: skip
    body = [
        [para(or_dash(line.description), st["body"]), para(or_dash(line.quantity), st["body"]),
         para(or_dash(line.amount), right)]
        for line in data.lines
    ] or [[para("\u2014", st["body"]), para("\u2014", st["body"]), para("\u2014", right)]]  # fmt: skip
    table = Table([header, *body], colWidths=[width * 0.58, width * 0.14, width * 0.28], repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE), ("LINEBELOW", (0, 1), (-1, -1), 0.3, GRID),
                    ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)])
    )  # fmt: skip
    return table


def _money(rows: list[tuple[str, str]], st: dict[str, ParagraphStyle], width: float, fill: colors.Color) -> Table:
    """Right-hand money rows; the last one (the balance due, the estimate) bold on a tinted band."""
    last = len(rows) - 1
    body = [
        [para(label, st["right"], bold=i == last), para(or_dash(value), st["right"], bold=i == last)]
        for i, (label, value) in enumerate(rows)
    ]
    table = Table(body, colWidths=[width * 0.62, width * 0.38])
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                    ("BACKGROUND", (0, last), (-1, last), fill), ("LINEABOVE", (0, last), (-1, last), 0.8, RULE),
                    ("TOPPADDING", (0, last), (-1, last), 3), ("BOTTOMPADDING", (0, last), (-1, last), 3)])
    )  # fmt: skip
    return table


def render_order_slip(data: OrderSlipData) -> bytes:
    """The patient's order slip as an A6 portrait PDF (one page unless the lines or the note run longer)."""
    st = styles(8.0)

    def story(width: float) -> list[Flowable]:
        who = [
            ("Patient", data.patient_name),
            ("Patient ID", data.patient_code),
            ("Phone", data.patient_phone),
            ("Ordered on", _date(data.ordered_on)),
            ("Ready by", _date(data.promised_date)),
            ("Status", data.status),
        ]
        money = [
            ("Subtotal", data.subtotal),
            ("Discount", data.discount),
            ("Total", data.total),
            ("Advance paid", data.advance),
            ("Balance due", data.balance),
        ]
        return [
            *letterhead(data.clinic, st, width, LOGO_SIZE),
            _title("Order slip", data.order_code, st, width),
            fields(who, st, width, LABEL_WIDTH, bold=("Patient", "Ready by")),
            Spacer(1, 3 * mm),
            _lines(data, st, width),
            Spacer(1, 1.5 * mm),
            KeepTogether([_money(money, st, width, BALANCE_FILL)]),
            Spacer(1, 3 * mm),
            para(or_dash(data.notes), st["small"]),
        ]

    return build(
        size=A6, margin=MARGIN, title=f"Order slip {data.order_code}", author=data.clinic.name,
        foot=f"{data.order_code} | {data.patient_name.strip()}", story=story,
    )  # fmt: skip


def _risk_box(note: str, st: dict[str, ParagraphStyle], width: float) -> Table:
    heading = ParagraphStyle("opt-risk-head", parent=st["title"], textColor=RISK_BORDER)
    text = ParagraphStyle("opt-risk", parent=st["body"], fontSize=8.5, leading=11)
    table = Table([[para("AT OWNER'S RISK", heading, bold=True)], [para(or_dash(note), text, bold=True)]],
                  colWidths=[width], splitInRow=1)  # fmt: skip
    table.setStyle(
        TableStyle([("BOX", (0, 0), (-1, -1), 1.8, RISK_BORDER), ("BACKGROUND", (0, 0), (-1, -1), RISK_FILL),
                    ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5),
                    ("TOPPADDING", (0, 0), (-1, 0), 4), ("BOTTOMPADDING", (0, -1), (-1, -1), 5)])
    )  # fmt: skip
    return table


def _acknowledged(note: str, st: dict[str, ParagraphStyle], width: float) -> Flowable:
    """The risk box over the patient's signature line, kept together on one page."""
    gap = 6 * mm
    share = (width - gap) / 2
    labels = [para("Patient's signature", st["small"]), "", para("Received by (staff)", st["small"])]
    table = Table([["", "", ""], labels], colWidths=[share, gap, share], rowHeights=[8 * mm, None])
    table.setStyle(
        TableStyle([("LINEABOVE", (0, 1), (0, 1), 0.6, colors.black), ("LINEABOVE", (2, 1), (2, 1), 0.6, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )  # fmt: skip
    return KeepTogether([_risk_box(note, st, width), Spacer(1, 1 * mm), table])


def render_repair_slip(data: RepairSlipData) -> bytes:
    """The patient's repair slip as an A6 portrait PDF, the at-owner's-risk note boxed in bold over the
    patient's signature line (one page unless the fault or the note run longer)."""
    st = styles(8.0)

    def story(width: float) -> list[Flowable]:
        who = [
            ("Patient", data.patient_name),
            ("Patient ID", data.patient_code),
            ("Phone", data.patient_phone),
            ("Received on", _date(data.received_on)),
            ("Promised", _date(data.promised_date)),
            ("Status", data.status),
        ]
        item = [
            ("Item", data.item),
            ("Item from", "The patient's own" if data.own_item else "Bought at this clinic"),
            ("Fault", data.fault),
        ]
        estimate = [("Parts", data.parts), ("Labour", data.labour), ("Estimate", data.estimate)]
        return [
            *letterhead(data.clinic, st, width, LOGO_SIZE),
            _title("Repair slip", data.repair_code, st, width),
            fields(who, st, width, LABEL_WIDTH, bold=("Patient", "Promised")),
            Spacer(1, 2 * mm),
            fields(item, st, width, LABEL_WIDTH),
            Spacer(1, 1.5 * mm),
            KeepTogether([_money(estimate, st, width, BALANCE_FILL)]),
            Spacer(1, 1 * mm),
            para(or_dash(data.approval), st["small"]),
            Spacer(1, 3 * mm),
            _acknowledged(data.risk_note, st, width),
        ]

    return build(
        size=A6, margin=MARGIN, title=f"Repair slip {data.repair_code}", author=data.clinic.name,
        foot=f"{data.repair_code} | {data.patient_name.strip()}", story=story,
    )  # fmt: skip

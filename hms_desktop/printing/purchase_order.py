"""The purchase order: an A4 PDF of one order to a supplier, built with reportlab's platypus (as the lab report).

Layout, top to bottom: the clinic's letterhead (logo if any, name, address, phone and email, GSTIN and drug
licence) over a rule; the title ("PURCHASE ORDER", "DRAFT" while not sent); the order block (PO number, date,
expected date, payment terms) beside the supplier block (name, address, GSTIN, drug licence, contact); the
lines (number, medicine, pack, HSN, packs, cost per pack, GST %, amount before GST); the totals (subtotal,
CGST and SGST or IGST, total, the amount in words when given); the notes; who raised and who sent it. Every
page's footer names the order and the page; the lines' header repeats on each page.

Money is printed in rupees with Indian digit grouping (``1,49,950.00``). All text is drawn in the bundled Noto
Sans faces through ``fonts.markup`` (Paragraph styles with ``shaping=1``). The PDF is invariant (the same
data gives the same bytes).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PIL import Image as PilImage
from PIL import UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, HRFlowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hms_desktop.printing import fonts

MARGIN = 15 * mm
FRAME_PADDING = 6  # points: platypus frames keep 6 pt inside the margins
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
REGULAR = fonts.font_name(fonts.LATIN)
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.6, 0.6, 0.6)
SHADE = colors.Color(0.92, 0.94, 0.95)


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderPrintLine:
    medicine: str  # "Dolo 650 (Paracetamol 650 mg)"
    pack: str  # "strip of 15 tablets"
    hsn_code: str
    packs: int
    unit_cost_paise: int
    gst_percent: str  # "5", "12", "0"
    amount_paise: int  # packs x cost, before GST


@dataclass(frozen=True, kw_only=True)
class PurchaseOrderPrint:
    hospital_name: str
    hospital_address: str  # one line, "" when not set
    hospital_contact: str  # "Ph: 080 2345 6789 | pharmacy@clinic.in", or ""
    hospital_gstin: str  # "" when not registered
    hospital_licence: str  # the clinic's drug licence, "" when not set
    logo: bytes | None  # PNG/JPEG
    po_number: str
    draft: bool
    order_date: date
    expected_date: date | None
    payment_terms: str  # "30 days", "On delivery"
    supplier_name: str
    supplier_address: str
    supplier_gstin: str  # "" when unregistered
    supplier_licence: str
    supplier_contact: str  # "Ravi Kumar | 080 4123 4567 | orders@medplus.in"
    lines: tuple[PurchaseOrderPrintLine, ...]
    subtotal_paise: int
    taxes: tuple[tuple[str, int], ...]  # (("CGST", 1250), ("SGST", 1250)) or (("IGST", 2500),)
    total_paise: int
    amount_in_words: str = ""
    notes: str = ""
    raised_by: str = ""
    sent_by: str = ""


def money(paise: int) -> str:
    """``14995000`` -> ``1,49,950.00`` (lakh and crore grouping)."""
    sign, paise = ("-", -paise) if paise < 0 else ("", paise)
    rupees, rest = divmod(paise, 100)
    digits = str(rupees)
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return f"{sign}{','.join([*groups, tail])}.{rest:02d}"


def _style(size: float = 9, *, leading: float | None = None, align: int = 0, colour: colors.Color = colors.black,
           space_after: float = 0) -> ParagraphStyle:  # fmt: skip
    return ParagraphStyle(
        f"po-{size}-{align}-{space_after}", fontName=REGULAR, fontSize=size, leading=leading or size * 1.3,
        alignment=align, textColor=colour, shaping=1, spaceAfter=space_after,
    )  # fmt: skip


BODY = _style(9)
RIGHT = _style(9, align=TA_RIGHT)
SMALL = _style(8, colour=GREY)
LABEL = _style(8, colour=GREY)
NAME = _style(16, leading=19)
TITLE = _style(12, align=TA_CENTER, space_after=2 * mm)


def _p(text: str, style: ParagraphStyle = BODY, bold: bool = False) -> Paragraph:
    return Paragraph(fonts.markup(text, bold=bold), style)


def _logo(raw: bytes | None) -> Flowable | None:
    if raw is None:
        return None
    try:
        with PilImage.open(io.BytesIO(raw)) as img:
            w, h = img.size
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("the logo is not a readable PNG or JPEG image") from exc
    scale = 20 * mm / max(w, h)
    return Image(io.BytesIO(raw), width=w * scale, height=h * scale)


def _letterhead(d: PurchaseOrderPrint) -> list[Flowable]:
    ids = " | ".join(x for x in (f"GSTIN: {d.hospital_gstin}" if d.hospital_gstin else "",
                                 f"Drug licence: {d.hospital_licence}" if d.hospital_licence else "") if x)  # fmt: skip
    lines: list[Flowable] = [_p(d.hospital_name, NAME, bold=True)]
    lines += [_p(text, SMALL) for text in (d.hospital_address, d.hospital_contact, ids) if text.strip()]
    logo = _logo(d.logo)
    if logo is None:
        head: Flowable = Table([[lines]], colWidths=[WIDTH])
    else:
        head = Table([[logo, lines]], colWidths=[24 * mm, WIDTH - 24 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [head, HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=2 * mm, spaceAfter=3 * mm)]


def _parties(d: PurchaseOrderPrint) -> Table:
    order = [
        ("PO number", d.po_number), ("PO date", f"{d.order_date:%d/%m/%Y}"),
        ("Expected by", f"{d.expected_date:%d/%m/%Y}" if d.expected_date else "-"),
        ("Payment terms", d.payment_terms),
    ]  # fmt: skip
    to: list[Flowable] = [_p("To", LABEL), _p(d.supplier_name, bold=True)]
    to += [_p(x) for x in (d.supplier_address, d.supplier_contact) if x]
    to += [_p(f"GSTIN: {d.supplier_gstin}" if d.supplier_gstin else "GSTIN: unregistered")]
    if d.supplier_licence:
        to.append(_p(f"Drug licence: {d.supplier_licence}"))
    left = Table([[_p(a, LABEL), _p(b, bold=i == 0)] for i, (a, b) in enumerate(order)],
                 colWidths=[26 * mm, WIDTH / 2 - 30 * mm])  # fmt: skip
    left.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 1),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))  # fmt: skip
    table = Table([[left, to]], colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("LINEBEFORE", (1, 0), (1, 0), 0.5, RULE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))  # fmt: skip
    return table


def _lines(d: PurchaseOrderPrint) -> Table:
    heads = ("#", "Medicine", "Pack", "HSN", "Packs", "Cost / pack", "GST %", "Amount")
    head = [_p(h, LABEL, bold=True) for h in heads]
    body = [
        [_p(str(n)), _p(ln.medicine), _p(ln.pack), _p(ln.hsn_code), _p(f"{ln.packs:,}", RIGHT),
         _p(money(ln.unit_cost_paise), RIGHT), _p(ln.gst_percent, RIGHT), _p(money(ln.amount_paise), RIGHT)]
        for n, ln in enumerate(d.lines, start=1)
    ]  # fmt: skip
    widths = [0.05, 0.31, 0.16, 0.08, 0.08, 0.12, 0.07, 0.13]
    table = Table([head, *body], colWidths=[w * WIDTH for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))  # fmt: skip
    return table


def _totals(d: PurchaseOrderPrint) -> Table:
    rows = [("Subtotal (before GST)", d.subtotal_paise), *d.taxes]
    body = [[_p(label, RIGHT), _p(money(amount), RIGHT)] for label, amount in rows]
    body.append([_p("Total (Rs)", RIGHT, bold=True), _p(money(d.total_paise), RIGHT, bold=True)])
    table = Table(body, colWidths=[WIDTH - 32 * mm, 32 * mm])
    table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, RULE), ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))  # fmt: skip
    return table


def _footer(po_number: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(c: Canvas, doc: SimpleDocTemplate) -> None:
        c.saveState()
        c.setFillColor(GREY)
        left, right = MARGIN + FRAME_PADDING, A4[0] - MARGIN - FRAME_PADDING
        fonts.draw(c, left, 9 * mm, f"Purchase order {po_number}", 7.5)
        fonts.draw(c, right, 9 * mm, f"Page {doc.page}", 7.5, align="right")
        c.restoreState()

    return draw


def render_purchase_order(data: PurchaseOrderPrint) -> bytes:
    """The order as PDF bytes (A4, one or more pages). ValueError for a logo that is not an image."""
    fonts.register()
    title = "PURCHASE ORDER (DRAFT, NOT SENT)" if data.draft else "PURCHASE ORDER"
    story: list[Flowable] = [*_letterhead(data), _p(title, TITLE, bold=True), _parties(data), Spacer(1, 4 * mm)]
    story += [_lines(data), Spacer(1, 2 * mm), _totals(data)]
    if data.amount_in_words:
        story += [Spacer(1, 1.5 * mm), _p(f"Amount in words: {data.amount_in_words}", SMALL)]
    if data.notes.strip():
        story += [Spacer(1, 3 * mm), _p("Notes", LABEL, bold=True)]
        story += [_p(line) for line in data.notes.splitlines() if line.strip()]
    signatures = Table(
        [[_p("Raised by", LABEL), _p("Authorised by", LABEL)],
         [_p(data.raised_by or "-", bold=True), _p(data.sent_by or "-", bold=True)]],
        colWidths=[WIDTH / 2, WIDTH / 2],
    )  # fmt: skip
    story += [Spacer(1, 10 * mm), signatures]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=18 * mm,
        title=f"Purchase order {data.po_number}", author=data.hospital_name, invariant=1,
    )  # fmt: skip
    footer = _footer(data.po_number)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

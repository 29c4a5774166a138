"""The Schedule H1 (or X) register as printed: A4 landscape, built with reportlab's platypus.

Top: the clinic's name and address, the title ("Schedule H1 register"), the period and when it was printed.
Then one table row per supply, in the order of supply, with every column the Drugs and Cosmetics Rules ask
for: serial number, date and time of supply, the dispensing and prescription codes, the prescriber's name,
registration and address, the patient's name and address, the drug (brand with generic name and strength),
manufacturer, batch number, expiry, quantity, and who dispensed it. The header row repeats on every page; every
page's foot names the register, the period and the page. An empty period prints "No supplies in this period."

Text is Noto Sans through ``fonts.markup`` (Paragraph styles with ``shaping=1``), so a patient's name in an
Indian script prints joined.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hms_desktop.printing import fonts

PAGE = landscape(A4)
MARGIN = 10 * mm
FRAME_PADDING = 6
WIDTH = PAGE[0] - 2 * MARGIN - 2 * FRAME_PADDING
REGULAR = fonts.font_name(fonts.LATIN)
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.6, 0.6, 0.6)
SHADE = colors.Color(0.92, 0.94, 0.95)
COLUMNS = (
    ("Sr.", 0.035),
    ("Date", 0.07),
    ("Dispensing / Rx", 0.09),
    ("Prescriber (name, registration, address)", 0.18),
    ("Patient (name, address)", 0.17),
    ("Drug", 0.14),
    ("Manufacturer", 0.08),
    ("Batch", 0.06),
    ("Expiry", 0.06),
    ("Qty", 0.04),
    ("Dispensed by", 0.075),
)


@dataclass(frozen=True, kw_only=True)
class RegisterPrintRow:
    serial: int
    supplied: str  # the clinic's local time: "30 Nov 2026, 10:05"
    dispensing_code: str
    prescription_code: str
    prescriber_name: str
    prescriber_registration: str
    prescriber_address: str
    patient_name: str
    patient_address: str
    medicine: str  # "Taxim-O 200 (Cefixime 200 mg)"
    manufacturer: str
    batch_number: str
    expiry: str  # "31 Mar 2027"
    quantity: int
    dispensed_by: str


@dataclass(frozen=True, kw_only=True)
class RegisterPrintData:
    hospital_name: str
    hospital_address: str  # one line, "" when not set
    schedule: str  # "H1" or "X"
    period: str  # "1 Nov 2026 to 30 Nov 2026"
    printed: str  # "30 Nov 2026, 10:30 IST"
    rows: tuple[RegisterPrintRow, ...]


def _style(size: float, colour: colors.Color = colors.black) -> ParagraphStyle:
    return ParagraphStyle(f"register-{size}", fontName=REGULAR, fontSize=size, leading=size * 1.25,
                          textColor=colour, shaping=1)  # fmt: skip


CELL = _style(7.5)
HEAD = _style(7.5, GREY)
SMALL = _style(8, GREY)
NAME = _style(14)
TITLE = _style(12)


def _p(text: str, style: ParagraphStyle = CELL, bold: bool = False) -> Paragraph:
    return Paragraph(fonts.markup(text, bold=bold), style)


def _lines(*parts: str) -> list[Flowable]:
    """A cell of several lines (the empty ones left out)."""
    return [_p(x, bold=i == 0) for i, x in enumerate(parts) if x.strip()] or [_p("-")]


def _table(d: RegisterPrintData) -> Table:
    head = [_p(title, HEAD, bold=True) for title, _ in COLUMNS]
    body = [
        [
            _p(str(r.serial)), _p(r.supplied), _lines(r.dispensing_code, r.prescription_code),
            _lines(r.prescriber_name, r.prescriber_registration, r.prescriber_address),
            _lines(r.patient_name, r.patient_address), _p(r.medicine, bold=True), _p(r.manufacturer),
            _p(r.batch_number), _p(r.expiry), _p(str(r.quantity), bold=True), _p(r.dispensed_by),
        ]
        for r in d.rows
    ]  # fmt: skip
    table = Table([head, *body], colWidths=[w * WIDTH for _, w in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
    ]))  # fmt: skip
    return table


def _footer(d: RegisterPrintData) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(c: Canvas, doc: SimpleDocTemplate) -> None:
        c.saveState()
        c.setFillColor(GREY)
        left, right = MARGIN + FRAME_PADDING, PAGE[0] - MARGIN - FRAME_PADDING
        fonts.draw(c, left, 6 * mm, f"Schedule {d.schedule} register, {d.period}", 7)
        fonts.draw(c, right, 6 * mm, f"Page {doc.page}", 7, align="right")
        c.restoreState()

    return draw


def _count(n: int) -> str:
    return f"{n} {'supply' if n == 1 else 'supplies'}"


def render_schedule_register(data: RegisterPrintData) -> bytes:
    """The register as PDF bytes (A4 landscape, as many pages as the rows need)."""
    fonts.register()
    story: list[Flowable] = [_p(data.hospital_name, NAME, bold=True)]
    if data.hospital_address.strip():
        story.append(_p(data.hospital_address, SMALL))
    story += [
        HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=1.5 * mm, spaceAfter=2 * mm),
        _p(f"Schedule {data.schedule} register (Drugs and Cosmetics Rules, 1945)", TITLE, bold=True),
        _p(f"Period: {data.period}. Printed {data.printed}. {_count(len(data.rows))}.", SMALL),
        Spacer(1, 3 * mm),
    ]
    story.append(_table(data) if data.rows else _p("No supplies in this period."))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=12 * mm,
        title=f"Schedule {data.schedule} register {data.period}", author=data.hospital_name,
    )  # fmt: skip
    footer = _footer(data)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

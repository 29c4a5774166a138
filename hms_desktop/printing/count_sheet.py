"""The blind count sheet: an A4 PDF to count a cycle count's batches on paper, built with reportlab's platypus.

Top to bottom: the clinic's name and address over a rule; "STOCK COUNT SHEET"; the count's code, date, scope,
start time and counter; a table with a row per batch (serial, medicine and strength, batch, expiry, location,
unit, an empty "Counted" box and an empty "Remarks" cell); the counter's and checker's signature lines. Every
page's footer names the count and the page; the header row repeats on each page.

Blind by construction: ``CountSheetRow`` has no system quantity, so the sheet cannot print one.
Text goes through ``fonts.markup`` (Noto Sans, shaped), so names in an Indian script print joined.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, HRFlowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hms_desktop.printing import fonts

MARGIN = 12 * mm
FRAME_PADDING = 6
WIDTH = A4[0] - 2 * MARGIN - 2 * FRAME_PADDING
REGULAR = fonts.font_name(fonts.LATIN)
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.6, 0.6, 0.6)
SHADE = colors.Color(0.92, 0.94, 0.95)
HEADERS = ("#", "Medicine", "Batch", "Expiry", "Location", "Unit", "Counted", "Remarks")
COLUMNS = (0.06, 0.27, 0.12, 0.13, 0.11, 0.10, 0.11, 0.10)  # fractions of the width
INSTRUCTION = "Count every batch on the shelf and write the units counted; write 0 for a batch that is not there."


@dataclass(frozen=True, kw_only=True)
class CountSheetRow:
    medicine: str  # "Dolo 650 650 mg"
    batch: str
    expiry: str  # "30 Nov 2027"
    location: str
    unit: str  # what to count: tablet, bottle...


@dataclass(frozen=True, kw_only=True)
class CountSheetData:
    hospital_name: str
    hospital_address: str  # one line, "" when not set
    code: str  # CC-2627-00001
    count_date: str  # "30 Nov 2026"
    scope: str
    started: str  # "30 Nov 2026, 10:00 IST", or ""
    counted_by: str
    rows: tuple[CountSheetRow, ...]


def _style(size: float = 9, *, align: int = 0, colour: colors.Color = colors.black) -> ParagraphStyle:
    return ParagraphStyle(f"count-{size}-{align}", fontName=REGULAR, fontSize=size, leading=size * 1.3,
                          alignment=align, textColor=colour, shaping=1)  # fmt: skip


BODY = _style(9)
SMALL = _style(8, colour=GREY)
NAME = _style(15)
TITLE = _style(12, align=TA_CENTER)


def _p(text: str, style: ParagraphStyle = BODY, bold: bool = False) -> Paragraph:
    return Paragraph(fonts.markup(text, bold=bold), style)


def _head(d: CountSheetData) -> list[Flowable]:
    out: list[Flowable] = [_p(d.hospital_name, NAME, bold=True)]
    if d.hospital_address.strip():
        out.append(_p(d.hospital_address, SMALL))
    out += [HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=2 * mm, spaceAfter=3 * mm),
            _p("STOCK COUNT SHEET", TITLE, bold=True), Spacer(1, 3 * mm)]  # fmt: skip
    pairs = [("Count", d.code, "Date", d.count_date), ("Scope", d.scope, "Started", d.started or "-"),
             ("Counted by", d.counted_by or "-", "Batches", str(len(d.rows)))]  # fmt: skip
    details = Table(
        [[_p(a, SMALL), _p(b, bold=i == 0), _p(c, SMALL), _p(e)] for i, (a, b, c, e) in enumerate(pairs)],
        colWidths=[24 * mm, WIDTH / 2 - 24 * mm, 22 * mm, WIDTH / 2 - 22 * mm],
    )
    details.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [*out, details, Spacer(1, 2 * mm), _p(INSTRUCTION, SMALL), Spacer(1, 2 * mm)]


def _rows(d: CountSheetData) -> Table:
    head = [_p(h, SMALL, bold=True) for h in HEADERS]
    body = [
        [_p(str(n)), _p(r.medicine), _p(r.batch), _p(r.expiry), _p(r.location or "-"), _p(r.unit), "", ""]
        for n, r in enumerate(d.rows, start=1)
    ]
    table = Table([head, *body], colWidths=[w * WIDTH for w in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BOX", (6, 1), (6, -1), 1.0, colors.black),  # the box to write the count in
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 1), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 5), ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))  # fmt: skip
    return table


def _signatures() -> Table:
    table = Table(
        [[_p("Counted by (name, signature)", SMALL), _p("Checked by (name, signature)", SMALL)], ["", ""]],
        colWidths=[WIDTH / 2, WIDTH / 2], rowHeights=[None, 12 * mm],
    )  # fmt: skip
    table.setStyle(TableStyle([("LINEBELOW", (0, 1), (0, 1), 0.5, GREY), ("LINEBELOW", (1, 1), (1, 1), 0.5, GREY)]))
    return table


def _footer(code: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(c: Canvas, doc: SimpleDocTemplate) -> None:
        c.saveState()
        c.setFillColor(GREY)
        left, right = MARGIN + FRAME_PADDING, A4[0] - MARGIN - FRAME_PADDING
        fonts.draw(c, left, 8 * mm, f"Count sheet {code}", 7.5)
        fonts.draw(c, right, 8 * mm, f"Page {doc.page}", 7.5, align="right")
        c.restoreState()

    return draw


def render_count_sheet(data: CountSheetData) -> bytes:
    """The sheet as PDF bytes (A4, as many pages as the rows need)."""
    fonts.register()
    story = [*_head(data), _rows(data), Spacer(1, 10 * mm), _signatures()]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=16 * mm,
        title=f"Count sheet {data.code}", author=data.hospital_name,
    )  # fmt: skip
    footer = _footer(data.code)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

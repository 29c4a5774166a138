"""The lab report: an A4 PDF of one verified lab order, built with reportlab's platypus.

Layout, top to bottom: the clinic's letterhead (logo if any, name, address, phone and email) over a rule;
the title; the patient and order block (name, patient code, age/sex, referring doctor, order code, sample,
and the ordered / collected / reported / verified times, already in the clinic's zone); the test's name; the
table of parameter, result, unit, reference range and flag, where a value outside its range is bold and
flagged H or L ("Critical H/L" beyond a critical limit, "Abnormal" for a text finding); the legend; the
summary; corrections made after an earlier verification; who entered and who verified the result; "End of
report". Every page's footer names the order and the page.

All text is drawn in the bundled Noto Sans faces through ``fonts.markup`` (Paragraph styles with
``shaping=1``), so a patient's or doctor's name in an Indian script prints joined.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image as PilImage
from PIL import UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
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
LEGEND = "Values in bold are outside the reference range: H high, L low; Critical: beyond the critical limit."
END = "*** End of report ***"


@dataclass(frozen=True, kw_only=True)
class LabReportRow:
    parameter: str
    value: str
    unit: str
    reference: str  # "13 - 17", "Negative", "" when none applies
    flag: str  # "", "H", "L", "Critical H", "Critical L", "Abnormal"


@dataclass(frozen=True, kw_only=True)
class LabReportData:
    hospital_name: str
    hospital_address: str  # one line, "" when not set
    hospital_contact: str  # "Ph: 080 2345 6789 | lab@clinic.in", or ""
    logo: bytes | None  # PNG/JPEG
    patient_name: str
    patient_code: str
    age_sex: str  # "41 Y / F"
    referring_doctor: str  # "" when none
    order_code: str
    test_name: str
    sample_type: str
    ordered_at: str  # the clinic's local time, formatted: "30 Nov 2026, 10:00 IST"
    sample_collected_at: str
    reported_at: str
    verified_at: str
    rows: tuple[LabReportRow, ...]
    summary: str
    entered_by: str
    verified_by: str
    corrections: tuple[str, ...] = ()  # "01 Dec 2026, 09:10 IST, Ravi Kumar: wrong sample label"


def _style(size: float = 9, *, leading: float | None = None, align: int = 0, colour: colors.Color = colors.black,
           space_after: float = 0) -> ParagraphStyle:  # fmt: skip
    return ParagraphStyle(
        f"lab-{size}-{align}", fontName=REGULAR, fontSize=size, leading=leading or size * 1.3, alignment=align,
        textColor=colour, shaping=1, spaceAfter=space_after,
    )  # fmt: skip


BODY = _style(9)
SMALL = _style(8, colour=GREY)
LABEL = _style(8, colour=GREY)
NAME = _style(16, leading=19)
TITLE = _style(12, align=TA_CENTER, space_after=2 * mm)
TEST = _style(11, space_after=1.5 * mm)


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
    side = 20 * mm
    scale = side / max(w, h)
    return Image(io.BytesIO(raw), width=w * scale, height=h * scale)


def _letterhead(d: LabReportData) -> list[Flowable]:
    lines: list[Flowable] = [_p(d.hospital_name, NAME, bold=True)]
    lines += [_p(text, SMALL) for text in (d.hospital_address, d.hospital_contact) if text.strip()]
    logo = _logo(d.logo)
    if logo is None:
        head: Flowable = Table([[lines]], colWidths=[WIDTH])
    else:
        head = Table([[logo, lines]], colWidths=[24 * mm, WIDTH - 24 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [head, HRFlowable(width="100%", thickness=0.8, color=RULE, spaceBefore=2 * mm, spaceAfter=3 * mm)]


def _details(d: LabReportData) -> Table:
    pairs = [
        ("Patient", d.patient_name, "Patient ID", d.patient_code),
        ("Age / Sex", d.age_sex, "Order", d.order_code),
        ("Referred by", d.referring_doctor or "-", "Sample", d.sample_type),
        ("Ordered", d.ordered_at, "Sample collected", d.sample_collected_at),
        ("Reported", d.reported_at, "Verified", d.verified_at),
    ]
    rows = [[_p(a, LABEL), _p(b, bold=i == 0), _p(c, LABEL), _p(e)] for i, (a, b, c, e) in enumerate(pairs)]
    table = Table(rows, colWidths=[26 * mm, WIDTH / 2 - 26 * mm, 30 * mm, WIDTH / 2 - 30 * mm])
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.5, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))  # fmt: skip
    return table


def _results(d: LabReportData) -> Table:
    head = [_p(h, LABEL, bold=True) for h in ("Parameter", "Result", "Unit", "Reference range", "Flag")]
    body = [
        [_p(r.parameter), _p(r.value, bold=bool(r.flag)), _p(r.unit), _p(r.reference), _p(r.flag, bold=True)]
        for r in d.rows
    ]
    widths = [0.30, 0.15, 0.18, 0.25, 0.12]
    table = Table([head, *body], colWidths=[w * WIDTH for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), SHADE), ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))  # fmt: skip
    return table


def _footer(order_code: str) -> Callable[[Canvas, SimpleDocTemplate], None]:
    def draw(c: Canvas, doc: SimpleDocTemplate) -> None:
        c.saveState()
        c.setFillColor(GREY)
        left, right = MARGIN + FRAME_PADDING, A4[0] - MARGIN - FRAME_PADDING
        fonts.draw(c, left, 9 * mm, f"Lab report {order_code}", 7.5)
        fonts.draw(c, right, 9 * mm, f"Page {doc.page}", 7.5, align="right")
        c.restoreState()

    return draw


def render_lab_report(data: LabReportData) -> bytes:
    """The report as PDF bytes (A4, one or more pages). ValueError for a logo that is not an image."""
    fonts.register()
    story: list[Flowable] = [*_letterhead(data), _p("LABORATORY REPORT", TITLE, bold=True), _details(data)]
    story += [Spacer(1, 4 * mm), _p(data.test_name, TEST, bold=True)]
    if data.rows:
        story += [_results(data), Spacer(1, 1.5 * mm), _p(LEGEND, SMALL)]
    if data.summary.strip():
        story += [Spacer(1, 3 * mm), _p("Summary", LABEL, bold=True), _p(data.summary)]
    for line in data.corrections:
        story += [Spacer(1, 2 * mm), _p(f"Corrected: {line}", SMALL)]
    signatures = Table(
        [[_p("Entered by", LABEL), _p("Verified by", LABEL)],
         [_p(data.entered_by, bold=True), _p(data.verified_by, bold=True)]],
        colWidths=[WIDTH / 2, WIDTH / 2],
    )  # fmt: skip
    story += [Spacer(1, 8 * mm), signatures, Spacer(1, 6 * mm), _p(END, _style(9, align=TA_CENTER))]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=18 * mm,
        title=f"Lab report {data.order_code}", author=data.hospital_name,
    )  # fmt: skip
    footer = _footer(data.order_code)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()

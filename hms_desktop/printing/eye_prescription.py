"""The eye (spectacle) prescription printout: one A5 page, portrait (default) or landscape, built with reportlab.

Top to bottom: the clinic's letterhead (logo, name, address, phone and e-mail, registration); the title with
the prescription's code and date; the patient (name, age/sex, code); the classic table, rows R (OD) and L (OS),
columns SPH, CYL, AXIS, PRISM / BASE, ADD, VA (distance, Snellen) and N (near, N-notation); PD; the lens
recommendation; notes; valid until; the examiner (name, and for a doctor the qualification and registration)
over a signature line.

Every value arrives already written the way opticians write it (``hms_desktop.services.optical.refraction``
formats them; this module does not import services). An empty cell is printed as an em dash, never left
blank, so nothing can be written into it by hand; a sphere-only eye shows "DS" under CYL.

All text is Noto Sans through ``hms_desktop.printing.fonts`` (Paragraph markup with ``shaping=1``), so a
patient's name or a note in any of the nine bundled Indian scripts prints shaped. The PDF is invariant
(no creation time inside): the same data gives the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Image as PdfImage

from hms_desktop.printing import fonts

EMPTY = "\u2014"  # em dash in an empty cell
MARGIN = 10 * mm
LOGO_SIZE = 16 * mm
REGULAR = fonts.font_name(fonts.LATIN)
BOLD = fonts.font_name(fonts.LATIN, bold=True)
RULE = colors.Color(0.05, 0.33, 0.40)
GRID = colors.Color(0.55, 0.55, 0.55)
GREY = colors.Color(0.30, 0.30, 0.30)
HEAD_FILL = colors.Color(0.90, 0.94, 0.95)
COLUMNS = ("SPH", "CYL", "AXIS", "PRISM / BASE", "ADD", "VA", "N")


@dataclass(frozen=True, kw_only=True)
class EyeRxRow:
    """One eye's row, each value already formatted ("" for empty): sphere "-2.25"/"PLANO", cylinder "-0.50"
    (or "DS" for a sphere only), axis "180", prism "1.50 BI", add "+2.00", distance VA "6/9", near VA "N6"."""

    label: str  # "R (OD)" / "L (OS)"
    sphere: str
    cylinder: str
    axis: str
    prism: str
    add: str
    distance_va: str
    near_va: str


@dataclass(frozen=True, kw_only=True)
class EyeRxPrintData:
    hospital_name: str
    hospital_address: str  # one line; may be ""
    hospital_contact: str  # "Ph: 080 2345 6789 | clinic@example.in"; may be ""
    hospital_registration: str  # the clinic's registration/licence number; may be ""
    logo: bytes | None  # PNG/JPEG
    code: str  # "ORX-2026-000001"
    patient_name: str
    patient_code: str
    age_sex: str  # "41 Y / F"
    examined_on: date
    right: EyeRxRow
    left: EyeRxRow
    pd: str  # "62.5 mm", "R 31.0 mm / L 31.5 mm"; may be ""
    lens_recommendation: str
    notes: str
    valid_until: date | None
    examiner_name: str
    examiner_qualification: str  # "MBBS, MS (Ophth)"; "" for a non-doctor
    examiner_registration: str  # "Reg. No. KMC-48211 (Karnataka Medical Council)"; "" for a non-doctor
    orientation: str = "portrait"  # or "landscape"


def _styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle("rx", fontName=REGULAR, fontSize=9, leading=11.5, shaping=1)
    return {
        "body": base,
        "small": ParagraphStyle("rx-small", parent=base, fontSize=7.5, leading=9.5, textColor=GREY),
        "clinic": ParagraphStyle("rx-clinic", parent=base, fontSize=14, leading=17, textColor=RULE),
        "title": ParagraphStyle("rx-title", parent=base, fontSize=11.5, leading=14),
        "right": ParagraphStyle("rx-right", parent=base, alignment=TA_RIGHT),
        "cell": ParagraphStyle("rx-cell", parent=base, fontSize=9.5, leading=12, alignment=1),
        "head": ParagraphStyle("rx-head", parent=base, fontSize=7.5, leading=9.5, alignment=1),
    }  # fmt: skip


def _p(text: str, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    """A paragraph of ``text`` (any script; newlines kept)."""
    lines = [fonts.markup(line, bold=bold) for line in text.splitlines() or [""]]
    return Paragraph("<br/>".join(lines), style)


def _logo(raw: bytes) -> PdfImage:
    try:
        opened = Image.open(io.BytesIO(raw))
        opened.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("the logo is not a readable PNG or JPEG image") from exc
    img = ImageOps.exif_transpose(opened)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    img = img.convert("RGB")
    img.thumbnail((400, 400))  # ~600 dpi at 16 mm: plenty, and a large logo does not bloat every printout
    png = io.BytesIO()
    img.save(png, "PNG")
    png.seek(0)
    scale = LOGO_SIZE / max(img.width, img.height)
    return PdfImage(png, width=img.width * scale, height=img.height * scale)


def _letterhead(data: EyeRxPrintData, st: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    lines: list[Flowable] = [_p(data.hospital_name.strip() or EMPTY, st["clinic"], bold=True)]
    for extra in (data.hospital_address, data.hospital_contact):
        if extra.strip():
            lines.append(_p(extra.strip(), st["small"]))
    if data.hospital_registration.strip():
        lines.append(_p(f"Registration: {data.hospital_registration.strip()}", st["small"]))
    if data.logo is None:
        head = Table([[lines]], colWidths=[width])
    else:
        head = Table([[_logo(data.logo), lines]], colWidths=[LOGO_SIZE + 3 * mm, width - LOGO_SIZE - 3 * mm])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [head, HRFlowable(width="100%", thickness=1.2, color=RULE, spaceBefore=2, spaceAfter=5)]


def _patient(data: EyeRxPrintData, st: dict[str, ParagraphStyle], width: float) -> Table:
    rows = [
        [_p("Eye prescription", st["title"], bold=True), _p(f"No. {data.code}", st["right"], bold=True)],
        [_p(f"Patient: {data.patient_name.strip() or EMPTY}", st["body"], bold=True),
         _p(f"Date: {data.examined_on:%d %b %Y}", st["right"])],
        [_p(f"Age/Sex: {data.age_sex}", st["body"]), _p(f"Patient ID: {data.patient_code}", st["right"])],
    ]  # fmt: skip
    table = Table(rows, colWidths=[width * 0.6, width * 0.4])
    table.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, 0), 5)])
    )  # fmt: skip
    return table


def _cells(row: EyeRxRow) -> list[str]:
    values = [row.sphere, row.cylinder, row.axis, row.prism, row.add, row.distance_va, row.near_va]
    return [v.strip() or EMPTY for v in values]


def _rx_table(data: EyeRxPrintData, st: dict[str, ParagraphStyle], width: float) -> Table:
    label_w = width * 0.13
    widths = [label_w] + [(width - label_w) * share for share in (0.15, 0.15, 0.11, 0.18, 0.14, 0.14, 0.13)]
    header = [_p("", st["head"])] + [_p(c, st["head"], bold=True) for c in COLUMNS]
    body = [
        [_p(row.label, st["cell"], bold=True)] + [_p(v, st["cell"]) for v in _cells(row)]
        for row in (data.right, data.left)
    ]
    table = Table([header, *body], colWidths=widths, rowHeights=[6.5 * mm, 9 * mm, 9 * mm])
    table.setStyle(
        TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.6, GRID),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("BACKGROUND", (0, 1), (0, -1), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ])
    )  # fmt: skip
    return table


def _details(data: EyeRxPrintData, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Spacer(1, 4 * mm)]
    out.append(_p(f"PD: {data.pd.strip() or EMPTY}", st["body"]))
    if data.lens_recommendation.strip():
        out.append(_p(f"Lens recommendation: {data.lens_recommendation.strip()}", st["body"]))
    if data.notes.strip():
        out.append(_p(f"Notes: {data.notes.strip()}", st["body"]))
    until = f"{data.valid_until:%d %b %Y}" if data.valid_until else EMPTY
    out.append(_p(f"Valid until: {until}", st["body"], bold=True))
    return out


def _signature(data: EyeRxPrintData, st: dict[str, ParagraphStyle], width: float) -> Flowable:
    lines: list[Flowable] = [_p(data.examiner_name.strip() or EMPTY, st["right"], bold=True)]
    for extra in (data.examiner_qualification, data.examiner_registration):
        if extra.strip():
            lines.append(_p(extra.strip(), st["right"]))
    block = Table([[_p("Signature", st["small"])], [lines]], colWidths=[width * 0.6])
    block.setStyle(
        TableStyle([("LINEABOVE", (0, 1), (-1, 1), 0.8, colors.black), ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, 0), 10 * mm)])
    )  # fmt: skip
    outer = Table([["", block]], colWidths=[width * 0.4, width * 0.6])
    outer.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return KeepTogether([Spacer(1, 2 * mm), outer])


def _build(data: EyeRxPrintData, pages: int) -> tuple[bytes, int]:
    """The PDF and its number of pages; with ``pages`` > 1 each page's foot names the prescription, the
    patient and "page n of m", so a continuation sheet is never anonymous."""
    size = landscape(A5) if data.orientation == "landscape" else A5
    buf = io.BytesIO()
    width, height = size[0] - 2 * MARGIN, size[1] - 2 * MARGIN
    frame = Frame(MARGIN, MARGIN, width, height, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

    def foot(canvas: Canvas, doc: BaseDocTemplate) -> None:
        if pages > 1:
            canvas.setFillColor(GREY)
            text = f"{data.code} | {data.patient_name.strip()} | page {doc.page} of {pages}"
            fonts.draw(canvas, size[0] - MARGIN, MARGIN / 2, text, 7, align="right")

    doc = BaseDocTemplate(
        buf, pagesize=size, pageTemplates=[PageTemplate("rx", [frame], onPage=foot)],
        title=f"Eye prescription {data.code}", author=data.hospital_name, invariant=1,
    )  # fmt: skip
    st = _styles()
    story: list[Flowable] = [
        *_letterhead(data, st, width),
        _patient(data, st, width),
        Spacer(1, 4 * mm),
        _rx_table(data, st, width),
        *_details(data, st),
        _signature(data, st, width),
    ]
    doc.build(story)
    return buf.getvalue(), int(doc.page)


def render_eye_prescription(data: EyeRxPrintData) -> bytes:
    """The prescription as an A5 PDF (``data.orientation``: "portrait" or "landscape"): one page, unless long
    notes push the rest onto more (the signature block is never split from the examiner's name)."""
    if data.orientation not in ("portrait", "landscape"):
        raise ValueError(f"orientation must be portrait or landscape, not {data.orientation!r}")
    pdf, pages = _build(data, 1)
    return pdf if pages == 1 else _build(data, pages)[0]

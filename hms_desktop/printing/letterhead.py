"""The page parts the optical printouts share (the lab job card, the order slip, the repair slip): the clinic's
letterhead, shaped paragraphs, the page foot and the two-pass build that numbers pages.

The look follows ``eye_prescription`` (that module keeps its own copy; this one serves the newer printouts):
Noto Sans through ``hms_desktop.printing.fonts`` (Paragraph markup with ``shaping=1``, so a name in any of the
nine bundled Indian scripts prints shaped), the clinic's name in teal over a rule, an em dash for an empty value
(nothing can be written into a blank by hand). Every PDF is built with ``invariant=1``: the same data gives the
same bytes. A document that runs onto a second page names itself, the patient and "page n of m" at the foot of
every page, so a continuation sheet is never anonymous.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection, Sequence

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, HRFlowable, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus import Image as PdfImage

from hms_desktop.printing import fonts
from hms_desktop.printing.optical_data import ClinicHeading

EMPTY = "\u2014"  # em dash for an empty value
REGULAR = fonts.font_name(fonts.LATIN)
BOLD = fonts.font_name(fonts.LATIN, bold=True)
RULE = colors.Color(0.05, 0.33, 0.40)
GRID = colors.Color(0.55, 0.55, 0.55)
GREY = colors.Color(0.30, 0.30, 0.30)
HEAD_FILL = colors.Color(0.90, 0.94, 0.95)


def or_dash(text: str) -> str:
    """``text`` without surrounding spaces, or an em dash when there is nothing to print."""
    return text.strip() or EMPTY


def styles(size: float = 9.0) -> dict[str, ParagraphStyle]:
    """The paragraph styles at body size ``size`` (9 pt on A5, smaller on A6)."""
    fonts.register()
    lead = size * 1.28
    base = ParagraphStyle("opt", fontName=REGULAR, fontSize=size, leading=lead, shaping=1)
    return {
        "body": base,
        "small": ParagraphStyle("opt-small", parent=base, fontSize=size * 0.83, leading=lead * 0.83, textColor=GREY),
        "label": ParagraphStyle("opt-label", parent=base, fontSize=size * 0.83, leading=lead, textColor=GREY),
        "clinic": ParagraphStyle("opt-clinic", parent=base, fontSize=size * 1.55, leading=size * 1.9, textColor=RULE),
        "title": ParagraphStyle("opt-title", parent=base, fontSize=size * 1.28, leading=size * 1.6),
        "right": ParagraphStyle("opt-right", parent=base, alignment=TA_RIGHT),
        "cell": ParagraphStyle("opt-cell", parent=base, fontSize=size * 1.05, leading=lead * 1.05, alignment=1),
        "head": ParagraphStyle("opt-head", parent=base, fontSize=size * 0.83, leading=lead * 0.83, alignment=1),
    }  # fmt: skip


def para(text: str, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    """A paragraph of ``text`` (any script; newlines kept; long text wraps, an unbroken word is split)."""
    lines = [fonts.markup(line, bold=bold) for line in text.splitlines() or [""]]
    return Paragraph("<br/>".join(lines), style)


def logo(raw: bytes, size: float) -> PdfImage:
    """The clinic's logo (PNG/JPEG) fitted in a ``size`` square, transparency flattened onto white."""
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
    img.thumbnail((400, 400))  # plenty for 16 mm, and a large logo does not bloat every printout
    png = io.BytesIO()
    img.save(png, "PNG")
    png.seek(0)
    scale = size / max(img.width, img.height)
    return PdfImage(png, width=img.width * scale, height=img.height * scale)


def letterhead(clinic: ClinicHeading, st: dict[str, ParagraphStyle], width: float, logo_size: float) -> list[Flowable]:
    """The clinic's name (teal, bold), address, contact and GSTIN, the logo to the left, a rule under it all."""
    lines: list[Flowable] = [para(or_dash(clinic.name), st["clinic"], bold=True)]
    for extra in (clinic.address, clinic.contact):
        if extra.strip():
            lines.append(para(extra.strip(), st["small"]))
    if clinic.gstin.strip():
        lines.append(para(f"GSTIN: {clinic.gstin.strip()}", st["small"]))
    if clinic.logo is None:
        head = Table([[lines]], colWidths=[width])
    else:
        gap = 3 * mm
        head = Table([[logo(clinic.logo, logo_size), lines]], colWidths=[logo_size + gap, width - logo_size - gap])
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)])
    )  # fmt: skip
    return [head, HRFlowable(width="100%", thickness=1.2, color=RULE, spaceBefore=2, spaceAfter=4)]


def fields(
    rows: Sequence[tuple[str, str]],
    st: dict[str, ParagraphStyle],
    width: float,
    label_width: float,
    bold: Collection[str] = (),
) -> Table:
    """Label / value rows ("Frame" | "Titan TE-1021 ..."), an empty value as a dash, the values of the labels in
    ``bold`` in bold; a long value wraps in its column and a row taller than the page's room splits across pages
    (nothing is cut off)."""
    body = [[para(label, st["label"]), para(or_dash(value), st["body"], bold=label in bold)] for label, value in rows]
    table = Table(body, colWidths=[label_width, width - label_width], splitInRow=1)
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, HEAD_FILL)])
    )  # fmt: skip
    return table


def build(
    *,
    size: tuple[float, float],
    margin: float,
    title: str,
    author: str,
    foot: str,
    story: Callable[[float], list[Flowable]],
) -> bytes:
    """The PDF of ``story(frame_width)`` on pages of ``size``. Built once to count the pages; when there is more
    than one, built again with ``foot`` ("OPT-2026-00012 | Kavya Nair") and "page n of m" on every page."""

    def once(pages: int) -> tuple[bytes, int]:
        buf = io.BytesIO()
        width, height = size[0] - 2 * margin, size[1] - 2 * margin
        frame = Frame(margin, margin, width, height, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)

        def on_page(canvas: Canvas, doc: BaseDocTemplate) -> None:
            if pages > 1:
                canvas.setFillColor(GREY)
                fonts.draw(canvas, size[0] - margin, margin / 2, f"{foot} | page {doc.page} of {pages}", 6.5,
                           align="right")  # fmt: skip

        doc = BaseDocTemplate(
            buf, pagesize=size, pageTemplates=[PageTemplate("page", [frame], onPage=on_page)],
            title=title, author=author, invariant=1,
        )  # fmt: skip
        doc.build(story(width))
        return buf.getvalue(), int(doc.page)

    pdf, pages = once(1)
    return pdf if pages == 1 else once(pages)[0]

"""The prescription printout (Rx): A5 (default) or A4 portrait, built with reportlab, laid out by hand.

Top to bottom: the clinic's letterhead (logo if set, name, address, phone); the doctor (name, qualification,
specialisation, registration council and number) with the Rx code, version and date on the right; the patient
(name, age/sex, code); chief complaint and diagnosis; "Rx" and the numbered medicines, each with its GENERIC NAME
IN CAPITALS, strength and form, the brand in brackets when one was chosen, then dose, frequency (as written and
in words), duration, food timing, route (unless oral), quantity, and the instructions; advice; follow-up date;
a signature line over the doctor's name, qualification and registration. A draft says so at the top; an amended
prescription says "Amended (version N)". Every page's foot carries the code, the version and "page i of n";
medicines that do not fit continue on the next page, and the signature block always follows the last line.

Text is Noto Sans in every script (``hms_desktop.printing.fonts.draw``: cut into runs by script, shaped with
HarfBuzz), wrapped at spaces by measured width. Each drawn line is wrapped in a marked-content span carrying
its text as ``/ActualText``: shaped Indian scripts map glyphs to Unicode ambiguously (a conjunct is one glyph),
so without it a PDF reader would copy or extract a Devanagari or Tamil name wrongly; with it the text reads
back exactly as given. The PDF is invariant (the same data gives the same bytes).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from hms_desktop.printing import fonts

PAPERS = {"A5": A5, "A4": A4}
MARGIN = 10 * mm
LOGO_SIZE = 16 * mm
FOOTER = 8 * mm
RULE = colors.Color(0.05, 0.33, 0.40)
GREY = colors.Color(0.30, 0.30, 0.30)
FORMS = {
    "tablet": "Tablet",
    "capsule": "Capsule",
    "syrup": "Syrup",
    "injection": "Injection",
    "ointment": "Ointment",
    "drops": "Drops",
}


@dataclass(frozen=True, kw_only=True)
class RxPrintLine:
    generic_name: str  # "Amoxicillin + Clavulanic acid" ("" for a free-text medicine without one)
    strength: str  # "500 mg + 125 mg"
    form: str  # the catalogue's form ("tablet"), "" if unknown
    brand: str  # the name prescribed ("Augmentin 625 Duo")
    dosage: str  # "1 tab"
    frequency: str  # "1-0-1"
    frequency_label: str  # "twice a day (morning, night)"
    duration_days: int | None
    food_timing: str  # "after food", "" for any
    route: str | None
    instructions: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class RxPrintData:
    hospital_name: str
    hospital_address: str  # one line; may be ""
    hospital_phone: str  # may be ""
    logo: bytes | None  # PNG/JPEG
    doctor_name: str
    doctor_qualification: str
    doctor_specialization: str
    doctor_registration: str  # "Reg. No. KMC-48211 (Karnataka Medical Council)"; may be ""
    code: str
    version: int
    rx_date: date
    amended: bool = False
    amended_on: date | None = None
    draft: bool = False
    patient_name: str
    patient_age_sex: str  # "41 Y / F"
    patient_code: str
    chief_complaint: str = ""
    diagnosis: str = ""
    lines: tuple[RxPrintLine, ...] = ()
    advice: str = ""
    follow_up_date: date | None = None
    paper: str = "A5"


def medicine_title(line: RxPrintLine) -> str:
    """ "AMOXICILLIN + CLAVULANIC ACID 500 mg + 125 mg Tablet (Augmentin 625 Duo)"."""
    generic = line.generic_name.strip()
    brand = line.brand.strip()
    parts = [(generic or brand).upper(), line.strength.strip(), FORMS.get(line.form, "")]
    title = " ".join(p for p in parts if p)
    if generic and brand and brand.casefold() != generic.casefold():
        title += f" ({brand})"
    return title


def dose_text(line: RxPrintLine) -> str:
    """ "1 tab - 1-0-1, twice a day (morning, night) - 5 days - after food"."""
    freq = line.frequency
    if line.frequency_label and line.frequency_label.casefold() != line.frequency.casefold():
        freq = f"{line.frequency}, {line.frequency_label}"
    days = f"{line.duration_days} day{'s' if line.duration_days != 1 else ''}" if line.duration_days else ""
    route = line.route.replace("_", " ") if line.route and line.route != "oral" else ""
    parts = [line.dosage, freq, days, line.food_timing, route]
    return " \u2013 ".join(p for p in parts if p)


def _span(c: Canvas, x: float, y: float, runs: list[tuple[str, bool]], size: float, colour: colors.Color) -> None:
    """Draw the pieces from ``x`` as one marked-content span whose ``/ActualText`` is the whole line."""
    text = "".join(t for t, _ in runs)
    c.setFillColor(colour)
    c.addLiteral(f"/Span <</ActualText <FEFF{text.encode('utf-16-be').hex().upper()}>>> BDC")
    for piece, bold in runs:
        x += fonts.draw(c, x, y, piece, size, bold=bold)
    c.addLiteral("EMC")


Op = Callable[[Canvas], None]


@dataclass
class _Layout:
    """Places lines top-down on pages; each page is a list of drawing operations, run once all are placed."""

    width: float
    height: float
    head: Callable[[_Layout], None]  # what a continuation page starts with
    pages: list[list[Op]] = field(default_factory=list)
    y: float = 0.0

    @property
    def left(self) -> float:
        return MARGIN

    @property
    def right(self) -> float:
        return self.width - MARGIN

    @property
    def bottom(self) -> float:
        return MARGIN + FOOTER

    def new_page(self, *, continuation: bool = True) -> None:
        self.pages.append([])
        self.y = self.height - MARGIN
        if continuation:
            self.head(self)

    def need(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.new_page()

    def op(self, fn: Op) -> None:
        self.pages[-1].append(fn)

    def text_at(self, x: float, y: float, text: str, size: float, *, bold: bool = False, align: str = "left",
                colour: colors.Color = colors.black) -> None:  # fmt: skip
        if text:
            self.runs_at(x, y, [(text, bold)], size, align=align, colour=colour)

    def runs_at(self, x: float, y: float, runs: list[tuple[str, bool]], size: float, *, align: str = "left",
                colour: colors.Color = colors.black) -> None:  # fmt: skip
        """Pieces of one line, each bold or not, drawn one after the other as one span of text."""
        total = sum(fonts.width(t, size, b) for t, b in runs)
        start = x - total if align == "right" else x - total / 2 if align == "centre" else x

        self.op(lambda c: _span(c, start, y, runs, size, colour))

    def para(self, text: str, size: float, *, bold: bool = False, indent: float = 0.0, hang: float = 0.0,
             gap: float = 1.0, colour: colors.Color = colors.black, label: str = "") -> None:  # fmt: skip
        """``label`` (bold) then ``text``, wrapped to the width (lines after the first indented by ``hang``);
        moves the cursor down."""
        lead = size * 1.3
        first = f"{label} " if label else ""
        width = self.right - self.left - indent
        lines = wrap(first + text, size, width, bold=bold, later_width=width - hang)
        for i, line in enumerate(lines):
            self.need(lead)
            self.y -= lead
            y = self.y + 0.25 * size
            x = self.left + indent + (hang if i else 0.0)
            if i == 0 and label and line.startswith(first):
                self.runs_at(x, y, [(first, True), (line[len(first) :], bold)], size, colour=colour)
            else:
                self.text_at(x, y, line, size, bold=bold, colour=colour)
        self.y -= gap

    def rule(self, gap: float = 2 * mm, weight: float = 0.8) -> None:
        self.need(gap)
        y = self.y - gap / 2
        left, right = self.left, self.right

        def draw(c: Canvas) -> None:
            c.setStrokeColor(RULE)
            c.setLineWidth(weight)
            c.line(left, y, right, y)

        self.op(draw)
        self.y -= gap


def wrap(text: str, size: float, width: float, *, bold: bool = False, later_width: float | None = None) -> list[str]:
    """``text`` cut at spaces (and its own line breaks) into lines no wider than ``width`` (the first) and
    ``later_width`` (the others; default ``width``)."""
    out: list[str] = []

    def room() -> float:
        return width if not out or later_width is None else later_width

    for paragraph in (text or "").splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}" if line else word
            if line and fonts.width(trial, size, bold) > room():
                out.append(line)
                line = word
            else:
                line = trial
            while fonts.width(line, size, bold) > room() and len(line) > 1:  # one word wider than the line
                cut = len(line) - 1
                while cut > 1 and fonts.width(line[:cut], size, bold) > room():
                    cut -= 1
                out.append(line[:cut])
                line = line[cut:]
        out.append(line)
    return out


def _logo(raw: bytes) -> ImageReader | None:
    try:
        opened = Image.open(io.BytesIO(raw))
        img = ImageOps.exif_transpose(opened).convert("RGBA")
    except (UnidentifiedImageError, OSError):
        return None  # an unreadable logo leaves the letterhead without one rather than failing the print
    flat = Image.new("RGB", img.size, (255, 255, 255))
    flat.paste(img, mask=img.split()[3])
    flat.thumbnail((400, 400))
    return ImageReader(flat)


def _letterhead(lay: _Layout, data: RxPrintData) -> None:
    top = lay.y
    x = lay.left
    logo = _logo(data.logo) if data.logo else None
    if logo is not None:
        w, h = logo.getSize()
        scale = LOGO_SIZE / max(w, h)
        lw, lh = w * scale, h * scale
        lay.op(lambda c: c.drawImage(logo, x, top - lh, lw, lh, mask="auto"))
        x += LOGO_SIZE + 3 * mm
    lay.text_at(x, top - 13, data.hospital_name, 13, bold=True, colour=RULE)
    lay.text_at(x, top - 24, data.hospital_address, 8, colour=GREY)
    lay.text_at(x, top - 33, f"Ph: {data.hospital_phone}" if data.hospital_phone else "", 8, colour=GREY)
    lay.y = min(top - 36, top - LOGO_SIZE - 1 * mm if logo is not None else top - 36)
    lay.rule()
    block = lay.y
    lay.text_at(lay.left, block - 10, data.doctor_name, 10.5, bold=True)
    lines = [t for t in (data.doctor_qualification, data.doctor_specialization, data.doctor_registration) if t]
    for i, t in enumerate(lines):
        lay.text_at(lay.left, block - 20 - 9 * i, t, 7.5, colour=GREY)
    lay.text_at(lay.right, block - 10, data.code, 9.5, bold=True, align="right")
    lay.text_at(lay.right, block - 20, f"Version {data.version}", 7.5, align="right", colour=GREY)
    lay.text_at(lay.right, block - 29, f"Date: {data.rx_date:%d %b %Y}", 7.5, align="right")
    if data.amended:
        when = f" on {data.amended_on:%d %b %Y}" if data.amended_on else ""
        lay.text_at(lay.right, block - 38, f"Amended (version {data.version}){when}", 7.5, bold=True,
                    align="right", colour=colors.Color(0.65, 0.1, 0.1))  # fmt: skip
    lay.y = block - max(40, 22 + 9 * len(lines))
    lay.rule(gap=3 * mm, weight=0.5)


def _continued(data: RxPrintData) -> Callable[[_Layout], None]:
    def head(lay: _Layout) -> None:
        lay.text_at(lay.left, lay.y - 9, f"{data.code} \u2013 {data.patient_name} (continued)", 8.5, bold=True)
        lay.y -= 12
        lay.rule(gap=2 * mm, weight=0.5)

    return head


def _patient(lay: _Layout, data: RxPrintData) -> None:
    lay.para(data.patient_name, 10, bold=True, label="Patient:")
    lay.para(f"Age/Sex: {data.patient_age_sex}    Patient ID: {data.patient_code}", 8.5, gap=2 * mm)
    if data.chief_complaint:
        lay.para(data.chief_complaint, 8.5, label="Complaint:")
    if data.diagnosis:
        lay.para(data.diagnosis, 8.5, label="Diagnosis:", gap=2 * mm)


def _medicines(lay: _Layout, data: RxPrintData) -> None:
    lay.need(20)
    lay.y -= 16
    lay.text_at(lay.left, lay.y, "Rx", 16, bold=True, colour=RULE)
    lay.y -= 3
    for n, line in enumerate(data.lines, 1):
        lay.need(30)  # keep a medicine's title with its dose line
        lay.para(f"{n}. {medicine_title(line)}", 9, bold=True, hang=4 * mm)
        lay.para(dose_text(line), 8.5, indent=4 * mm)
        if line.quantity:
            lay.para(f"Qty: {line.quantity}", 8, indent=4 * mm, colour=GREY)
        if line.instructions:
            lay.para(line.instructions, 8.5, indent=4 * mm)
        lay.y -= 2


def _closing(lay: _Layout, data: RxPrintData) -> None:
    lay.y -= 2 * mm
    if data.advice:
        lay.para(data.advice, 8.5, label="Advice:")
    if data.follow_up_date:
        lay.para(f"{data.follow_up_date:%d %b %Y} ({data.follow_up_date:%A})", 8.5, label="Follow-up:")
    lay.need(22 * mm)
    y = lay.y - 12 * mm
    left, right = lay.right - 55 * mm, lay.right

    def line(c: Canvas) -> None:
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.5)
        c.line(left, y, right, y)

    lay.op(line)
    lay.text_at(right, y - 9, data.doctor_name, 8.5, bold=True, align="right")
    lay.text_at(right, y - 18, data.doctor_registration, 7, align="right", colour=GREY)
    lay.text_at(left, y + 2, "Signature", 6.5, colour=GREY)
    lay.y = y - 20


def render_prescription(data: RxPrintData) -> bytes:
    """The PDF of ``data``, one or more pages of ``data.paper`` (A5 or A4) portrait."""
    if data.paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}")
    fonts.register()
    width, height = PAPERS[data.paper]
    lay = _Layout(width=width, height=height, head=_continued(data))
    lay.new_page(continuation=False)
    if data.draft:
        lay.text_at(lay.right, lay.y - 7, "DRAFT \u2013 not valid for dispensing", 7.5, bold=True, align="right",
                    colour=colors.Color(0.65, 0.1, 0.1))  # fmt: skip
        lay.y -= 10
    _letterhead(lay, data)
    _patient(lay, data)
    _medicines(lay, data)
    _closing(lay, data)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(width, height), invariant=True)
    c.setTitle(f"Prescription {data.code}")
    total = len(lay.pages)
    for i, page in enumerate(lay.pages, 1):
        for op in page:
            op(c)
        foot = f"{data.code} | version {data.version} | page {i} of {total}"
        _span(c, width / 2 - fonts.width(foot, 6.5) / 2, MARGIN, [(foot, False)], 6.5, GREY)
        c.showPage()
    c.save()
    return buf.getvalue()

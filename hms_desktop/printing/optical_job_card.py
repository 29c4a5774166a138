"""The lab's job card for a spectacle order: one A5 page, portrait, built with reportlab.

Top to bottom: the clinic's letterhead (``letterhead``); the title with the order code, ordered and promised
dates, and the order code as a Code 128 barcode the lab scans back (reportlab's encoder through
``id_card.code128_bars``, 0.254 mm modules on the printer's dot grid at 200/300/600 dpi, 10-module quiet
zones, the code in words under the bars); the patient and where the prescription came from; the Rx table,
rows R (OD) and L (OS), columns SPH, CYL, AXIS, ADD, PRISM; the measurements table (monocular PD and fitting
height per eye, the frame's box size A / B / DBL); the frame, lens, lens options, lab, remake line and notes;
a sign-off strip for the lab and the counter's quality check.

Every value arrives already written the way the optical counter writes it (``JobCardData``); an empty one is
printed as an em dash. A remake is printed in bold on a tinted band so the lab cannot miss it. Long text wraps
in its column; notes too long for the page continue on a second one, each page's foot then naming the order,
the patient and "page n of m". The PDF is invariant: the same data gives the same bytes.
"""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from hms_desktop.printing import fonts
from hms_desktop.printing.id_card import BAR_MODULE, BAR_QUIET_MODULES, EDGE_GUARD, code128_bars
from hms_desktop.printing.letterhead import (
    GRID,
    HEAD_FILL,
    RULE,
    build,
    fields,
    letterhead,
    or_dash,
    para,
    styles,
)
from hms_desktop.printing.optical_data import JobCardData, RxEyeLine

MARGIN = 10 * mm
LOGO_SIZE = 16 * mm
RX_COLUMNS = ("SPH", "CYL", "AXIS", "ADD", "PRISM")
BAR_HEIGHT = 11 * mm
REMAKE_FILL = colors.Color(1.0, 0.93, 0.80)


class OrderBarcode(Flowable):
    """The order code as Code 128: bars in one path (pdfium rounds lone rectangles outward, which would fatten
    bars), the left edge snapped to the module grid from the page's left edge wherever the flowable lands, the
    quiet zones painted white, the code printed under the bars."""

    def __init__(self, code: str) -> None:
        super().__init__()
        if not code or not all(32 <= ord(ch) < 127 for ch in code):
            raise ValueError("the order code must be non-empty printable ASCII to be barcoded")
        self.code = code
        self.bars = code128_bars(code)
        self.modules = self.bars[-1][0] + self.bars[-1][1]
        self.quiet = BAR_QUIET_MODULES * BAR_MODULE
        self.width = self.modules * BAR_MODULE + 2 * self.quiet + BAR_MODULE  # + one module of room to snap
        self.height = BAR_HEIGHT + 4 * mm

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (reportlab's names)
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        page_x = float(c._currentMatrix[4])  # where this flowable's origin stands on the page (no rotation here)
        start = self.quiet
        snap = (-(page_x + start)) % BAR_MODULE
        x0 = start + snap
        y0 = 4 * mm
        c.setFillColor(colors.white)
        c.rect(x0 - self.quiet, y0, self.modules * BAR_MODULE + 2 * self.quiet, BAR_HEIGHT, stroke=0, fill=1)
        path = c.beginPath()
        for pos, width in self.bars:
            path.rect(x0 + pos * BAR_MODULE + EDGE_GUARD, y0, width * BAR_MODULE - 2 * EDGE_GUARD, BAR_HEIGHT)
        c.setFillColor(colors.black)
        c.drawPath(path, stroke=0, fill=1)
        fonts.draw(c, x0 + self.modules * BAR_MODULE / 2, 0.9 * mm, self.code, 8.5, bold=True, align="centre")


def _heading(data: JobCardData, st: dict[str, ParagraphStyle], width: float) -> Table:
    promised = f"{data.promised_date:%d %b %Y}" if data.promised_date else "\u2014"
    left = [
        para("Lab job card", st["title"], bold=True),
        para(f"Order {data.order_code}", st["body"], bold=True),
        para(f"Ordered: {data.ordered_on:%d %b %Y}", st["body"]),
        para(f"Promised: {promised}", st["body"], bold=True),
    ]
    code = OrderBarcode(data.order_code)
    table = Table([[left, code]], colWidths=[width - code.width, code.width])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    )  # fmt: skip
    return table


def _section(title: str, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    style = ParagraphStyle("opt-section", parent=st["small"], textColor=RULE, spaceBefore=0, spaceAfter=1.5)
    return [Spacer(1, 3 * mm), para(title.upper(), style, bold=True)]


def _grid(rows: list[list[Flowable | str]], widths: list[float], extra: tuple[tuple[object, ...], ...] = ()) -> Table:
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.6, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                    ("BACKGROUND", (0, 1), (0, -1), HEAD_FILL), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 1), (-1, -1), 4), ("BOTTOMPADDING", (0, 1), (-1, -1), 4), *extra])
    )  # fmt: skip
    return table


def _rx_cells(row: RxEyeLine) -> list[str]:
    return [or_dash(v) for v in (row.sphere, row.cylinder, row.axis, row.add, row.prism)]


def _rx_table(data: JobCardData, st: dict[str, ParagraphStyle], width: float) -> Table:
    label_w = width * 0.16
    widths = [label_w] + [(width - label_w) * share for share in (0.2, 0.2, 0.16, 0.2, 0.24)]
    header = [para("", st["head"])] + [para(c, st["head"], bold=True) for c in RX_COLUMNS]
    body = [
        [para(row.label, st["cell"], bold=True)] + [para(v, st["cell"]) for v in _rx_cells(row)]
        for row in (data.right, data.left)
    ]
    return _grid([header, *body], widths)


def _measurements(data: JobCardData, st: dict[str, ParagraphStyle], width: float) -> Table:
    label_w = width * 0.16
    widths = [label_w] + [(width - label_w) * share for share in (0.28, 0.28, 0.44)]
    header = [para("", st["head"])] + [
        para(c, st["head"], bold=True) for c in ("Monocular PD", "Fitting height", "Frame box (A / B / DBL)")
    ]
    box = para(or_dash(data.box_size), st["cell"])
    rows = [
        [para(data.right.label, st["cell"], bold=True), para(or_dash(data.right_pd), st["cell"]),
         para(or_dash(data.right_fitting_height), st["cell"]), box],
        [para(data.left.label, st["cell"], bold=True), para(or_dash(data.left_pd), st["cell"]),
         para(or_dash(data.left_fitting_height), st["cell"]), ""],
    ]  # fmt: skip
    return _grid([header, *rows], widths, (("SPAN", (3, 1), (3, 2)), ("BACKGROUND", (3, 1), (3, 2), colors.white)))


def _order_fields(data: JobCardData, st: dict[str, ParagraphStyle], width: float) -> Table:
    rows = [
        ("Frame", data.frame),
        ("Lens", data.lens),
        ("Lens options", data.lens_options),
        ("Lab", data.lab_name),
        ("Remake", data.remake),
        ("Notes", data.notes),
    ]
    table = fields(rows, st, width, 24 * mm, bold=("Remake",) if data.remake.strip() else ())
    if data.remake.strip():
        table.setStyle(TableStyle([("BACKGROUND", (0, 4), (-1, 4), REMAKE_FILL)]))
    return table


def _sign_off(st: dict[str, ParagraphStyle], width: float) -> Flowable:
    gap = 6 * mm
    share = (width - 2 * gap) / 3
    labels = [para("Made by (lab)", st["small"]), "", para("Checked at counter (QC)", st["small"]), "",
              para("Date", st["small"])]  # fmt: skip
    table = Table([[""] * 5, labels], colWidths=[share, gap, share, gap, share], rowHeights=[9 * mm, None])
    table.setStyle(
        TableStyle([*(("LINEABOVE", (col, 1), (col, 1), 0.6, colors.black) for col in (0, 2, 4)),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )  # fmt: skip
    return KeepTogether([Spacer(1, 4 * mm), table])


def render_job_card(data: JobCardData) -> bytes:
    """The job card as an A5 portrait PDF: one page, unless long notes push the rest onto more. Raises
    ValueError for an order code that cannot be barcoded or a logo that is not an image."""
    st = styles(9.0)

    def story(width: float) -> list[Flowable]:
        patient = [
            ("Patient", data.patient_name),
            ("Patient ID", data.patient_code),
            ("Prescription", data.prescription),
        ]
        return [
            *letterhead(data.clinic, st, width, LOGO_SIZE),
            _heading(data, st, width),
            Spacer(1, 2 * mm),
            fields(patient, st, width, 24 * mm, bold=("Patient",)),
            *_section("Prescription", st),
            _rx_table(data, st, width),
            *_section("Measurements", st),
            _measurements(data, st, width),
            *_section("Order", st),
            _order_fields(data, st, width),
            _sign_off(st, width),
        ]

    return build(
        size=A5, margin=MARGIN, title=f"Job card {data.order_code}", author=data.clinic.name,
        foot=f"{data.order_code} | {data.patient_name.strip()}", story=story,
    )  # fmt: skip

"""Patient ID card: a one-page CR80 PDF (85.60 x 53.98 mm, landscape) built with reportlab.

Layout (origin bottom-left, mm):
  * header band across the top: logo on a white tile (if any), hospital name shrunk to one line, phone below it;
  * body, left column: patient name (bold, one or two lines, shrinks), code, age/sex, blood group, issue date,
    emergency phone; right column: passport-style photo (placeholder frame when absent) and the QR code under it;
  * bottom-left: Code 128 of the patient code with 10-module quiet zones, human-readable code under the bars.

Both symbols use a module that is a whole number of dots at 200, 300 and 600 dpi (Code 128: 0.254 mm = 1/100 in;
QR: 0.508 mm) and sit on that grid, so bars print crisp; at 203 dpi (8 dots/mm) they are off-grid but still decode.
The QR code carries only the patient code: no name or other personal data.

Fonts: Helvetica / Helvetica-Bold, the PDF standard fonts that reportlab provides (metrics built in; every PDF
viewer and printer driver supplies the glyphs). They cover Latin names only. Devanagari (or other Indic) names need
a TTF with shaping support registered from resources/fonts; that is not done yet.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from itertools import groupby

import qrcode
from PIL import Image, ImageOps, UnidentifiedImageError
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.colors import Color, black, white
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

CARD_WIDTH = 85.60 * mm
CARD_HEIGHT = 53.98 * mm
FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"

BAR_MODULE = inch / 100  # 0.254 mm: 2 dots at 200 dpi, 3 dots at 300 dpi
BAR_QUIET_MODULES = 10
QR_MODULE = inch / 50  # 0.508 mm: 4 dots at 200 dpi, 6 dots at 300 dpi
QR_QUIET_MODULES = 4
# Dark modules are inset by this much (0.0035 mm, invisible): a rasteriser that snaps edges outward to whole dots
# (pdfium without anti-aliasing) would otherwise grow a bar by a dot when a float error puts its edge past a dot line.
EDGE_GUARD = 0.01

MARGIN = 3.0 * mm
HEADER_HEIGHT = 10.5 * mm
BAND_COLOUR = Color(0.05, 0.33, 0.40)
LABEL_COLOUR = Color(0.30, 0.30, 0.30)
FRAME_COLOUR = Color(0.55, 0.55, 0.55)

PHOTO_W = 18.0 * mm
PHOTO_H = 22.5 * mm
RIGHT_COL_X = CARD_WIDTH - MARGIN - PHOTO_W  # left edge of photo column
BAR_X = 22 * BAR_MODULE  # 5.6 mm: the 10-module quiet zone starts just inside the 3 mm margin
BAR_Y = 25 * BAR_MODULE  # 6.35 mm, above the human-readable line
BAR_HEIGHT = 7.5 * mm
BAR_MAX_RIGHT = RIGHT_COL_X - 2.0 * mm  # the right quiet zone must not run into the QR's
TEXT_LEFT = MARGIN + 1.0 * mm
TEXT_RIGHT = RIGHT_COL_X - 2.0 * mm
TEXT_BOTTOM = BAR_Y + BAR_HEIGHT + 1.5 * mm
PHOTO_PIXELS_PER_MM = 12  # ~300 dpi is plenty for a card printer


@dataclass(frozen=True)
class IdCardData:
    hospital_name: str
    hospital_phone: str  # may be ""
    logo: bytes | None  # PNG/JPEG
    patient_name: str
    patient_code: str  # e.g. "PAT-2026-00001"
    age_sex: str  # e.g. "34 Y / F"
    blood_group: str  # e.g. "B+", "" when unknown
    photo: bytes | None  # PNG/JPEG
    issued_on: date
    emergency_phone: str  # may be ""


def render_id_card(data: IdCardData) -> bytes:
    """Return a one-page CR80 PDF for `data`. Raises ValueError for a code that cannot be printed or a bad image."""
    code = data.patient_code.strip()
    if not code or not all(32 <= ord(ch) < 127 for ch in code):
        raise ValueError("patient code must be non-empty printable ASCII to be barcoded")
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(CARD_WIDTH, CARD_HEIGHT), pageCompression=1)
    c.setTitle(f"ID card {code}")
    c.setAuthor(data.hospital_name)
    _draw_header(c, data)
    _draw_photo(c, data.photo)
    _draw_details(c, data, code)
    _draw_code128(c, code)
    _draw_qr(c, code)
    c.showPage()
    c.save()
    return buf.getvalue()


# --- text fitting ---------------------------------------------------------------------------------------------


def _ellipsize(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def fit_one_line(text: str, font: str, max_size: float, min_size: float, width: float) -> tuple[str, float]:
    """Largest size in [min_size, max_size] (0.25 pt steps) at which `text` fits; else ellipsized at min_size."""
    size = max_size
    while size >= min_size:
        if stringWidth(text, font, size) <= width:
            return text, size
        size -= 0.25
    return _ellipsize(text, font, min_size, width), min_size


def _wrap(words: list[str], font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for word in words:
        if lines and stringWidth(f"{lines[-1]} {word}", font, size) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def fit_two_lines(text: str, font: str, max_size: float, min_size: float, width: float) -> tuple[list[str], float]:
    """Wrap `text` into at most two lines at the largest size that fits; ellipsize the second line as a last resort."""
    words = text.split()
    size = max_size
    while size >= min_size:
        lines = _wrap(words, font, size, width)
        if len(lines) <= 2 and all(stringWidth(line, font, size) <= width for line in lines):
            return lines, size
        size -= 0.25
    lines = _wrap(words, font, min_size, width)
    first = _ellipsize(lines[0], font, min_size, width)
    if len(lines) == 1:
        return [first], min_size
    return [first, _ellipsize(" ".join(lines[1:]), font, min_size, width)], min_size


# --- images ---------------------------------------------------------------------------------------------------


def _open_image(raw: bytes, what: str) -> Image.Image:
    try:
        opened = Image.open(io.BytesIO(raw))
        opened.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{what} is not a readable PNG or JPEG image") from exc
    img = ImageOps.exif_transpose(opened)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _draw_header(c: Canvas, data: IdCardData) -> None:
    top = CARD_HEIGHT
    band_y = top - HEADER_HEIGHT
    c.setFillColor(BAND_COLOUR)
    c.rect(0, band_y, CARD_WIDTH, HEADER_HEIGHT, stroke=0, fill=1)
    text_x = MARGIN
    if data.logo is not None:
        logo = _open_image(data.logo, "logo")
        tile = HEADER_HEIGHT - 2.0 * mm
        c.setFillColor(white)
        c.roundRect(MARGIN, band_y + 1.0 * mm, tile, tile, 0.8 * mm, stroke=0, fill=1)
        inner = tile - 1.0 * mm
        logo.thumbnail((int(inner / mm * PHOTO_PIXELS_PER_MM),) * 2)
        scale = inner / max(logo.width, logo.height)
        w, h = logo.width * scale, logo.height * scale
        c.drawImage(ImageReader(logo), MARGIN + (tile - w) / 2, band_y + 1.0 * mm + (tile - h) / 2, w, h)
        text_x = MARGIN + tile + 2.0 * mm
    width = CARD_WIDTH - MARGIN - text_x
    name, size = fit_one_line(data.hospital_name.strip(), FONT_BOLD, 10.5, 5.5, width)
    c.setFillColor(white)
    phone = data.hospital_phone.strip()
    name_y = band_y + (5.6 * mm if phone else 3.7 * mm)
    c.setFont(FONT_BOLD, size)
    c.drawString(text_x, name_y, name)
    if phone:
        line, psize = fit_one_line(f"Ph: {phone}", FONT, 6.5, 5.0, width)
        c.setFont(FONT, psize)
        c.drawString(text_x, band_y + 2.0 * mm, line)


def _draw_photo(c: Canvas, photo: bytes | None) -> None:
    x, y = RIGHT_COL_X, CARD_HEIGHT - HEADER_HEIGHT - 1.5 * mm - PHOTO_H
    if photo is not None:
        img = _open_image(photo, "photo")
        target = (int(PHOTO_W / mm * PHOTO_PIXELS_PER_MM), int(PHOTO_H / mm * PHOTO_PIXELS_PER_MM))
        img = ImageOps.fit(img, target, Image.Resampling.LANCZOS, centering=(0.5, 0.4))  # crop to frame, keep face
        c.drawImage(ImageReader(img), x, y, PHOTO_W, PHOTO_H)
    c.setStrokeColor(FRAME_COLOUR)
    c.setLineWidth(0.5)
    c.rect(x, y, PHOTO_W, PHOTO_H, stroke=1, fill=0)
    if photo is None:
        c.setFillColor(FRAME_COLOUR)
        c.setFont(FONT, 6)
        c.drawCentredString(x + PHOTO_W / 2, y + PHOTO_H / 2 + 0.5 * mm, "PHOTO")


# --- text block -----------------------------------------------------------------------------------------------


def _draw_details(c: Canvas, data: IdCardData, code: str) -> None:
    width = TEXT_RIGHT - TEXT_LEFT
    lines, size = fit_two_lines(data.patient_name.strip() or "-", FONT_BOLD, 11.0, 6.5, width)
    y = CARD_HEIGHT - HEADER_HEIGHT - 1.5 * mm - size * 0.78
    c.setFillColor(black)
    c.setFont(FONT_BOLD, size)
    for line in lines:
        c.drawString(TEXT_LEFT, y, line)
        y -= size * 1.12
    rows = [
        ("ID", code),
        ("Age/Sex", data.age_sex.strip() or "-"),
        ("Blood group", data.blood_group.strip() or "Not recorded"),
        ("Issued", data.issued_on.strftime("%d %b %Y")),
    ]
    if data.emergency_phone.strip():
        rows.append(("Emergency", data.emergency_phone.strip()))
    rows_top = y + size * 1.12 - size * 0.25  # below the descenders of the name's last line
    leading = min(3.3 * mm, (rows_top - 1.0 * mm - TEXT_BOTTOM) / len(rows))
    value_size = min(7.5, leading / 1.15)
    label_w = stringWidth("Blood group ", FONT, value_size - 1) + 1.0 * mm
    y = rows_top - 1.0 * mm - value_size * 0.8
    for label, value in rows:
        c.setFillColor(LABEL_COLOUR)
        c.setFont(FONT, value_size - 1)
        c.drawString(TEXT_LEFT, y, label)
        text, vsize = fit_one_line(value, FONT_BOLD, value_size, 5.0, width - label_w)
        c.setFillColor(black)
        c.setFont(FONT_BOLD, vsize)
        c.drawString(TEXT_LEFT + label_w, y, text)
        y -= leading


# --- symbols --------------------------------------------------------------------------------------------------


def code128_bars(code: str) -> list[tuple[int, int]]:
    """(start, width) of each bar in modules, from reportlab's Code 128 encoder (it switches to set C for digits)."""
    symbol = Code128(code, quiet=0)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    bars: list[tuple[int, int]] = []
    pos = 0
    for ch in symbol.decomposed:  # upper case: a bar of N modules, lower case: a space
        width = ord(ch.lower()) - ord("a") + 1
        if ch.isupper():
            bars.append((pos, width))
        pos += width
    return bars


def _draw_code128(c: Canvas, code: str) -> None:
    bars = code128_bars(code)
    modules = bars[-1][0] + bars[-1][1]
    quiet = BAR_QUIET_MODULES * BAR_MODULE
    if BAR_X + modules * BAR_MODULE + quiet > BAR_MAX_RIGHT:
        raise ValueError(f"patient code {code!r} is too long for a scannable barcode on a CR80 card")
    c.setFillColor(white)  # keep the quiet zones clear whatever is printed behind
    c.rect(BAR_X - quiet, BAR_Y, modules * BAR_MODULE + 2 * quiet, BAR_HEIGHT, stroke=0, fill=1)
    # One path, not one rectangle per bar: pdfium rounds lone rectangles outward to whole pixels (bar gain).
    path = c.beginPath()
    for start, width in bars:
        path.rect(BAR_X + start * BAR_MODULE + EDGE_GUARD, BAR_Y, width * BAR_MODULE - 2 * EDGE_GUARD, BAR_HEIGHT)
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)
    c.setFont(FONT, 6.5)
    c.drawCentredString(BAR_X + modules * BAR_MODULE / 2, BAR_Y - 2.6 * mm, code)


def _draw_qr(c: Canvas, code: str) -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(code)
    qr.make(fit=True)
    matrix: list[list[bool]] = qr.get_matrix()
    n = len(matrix)
    photo_bottom = CARD_HEIGHT - HEADER_HEIGHT - 1.5 * mm - PHOTO_H
    room = photo_bottom - 1.0 * mm - MARGIN  # quiet zone may overlap the white margins
    module = QR_MODULE
    if n * module > room - 2 * module:  # cannot happen for codes short enough for the Code 128 above
        raise ValueError(f"patient code {code!r} is too long for the QR code on a CR80 card")
    side = n * module
    # centre under the photo, snapped to the module grid from the page's top-left corner
    x0 = RIGHT_COL_X + (PHOTO_W - side) / 2
    x0 = round(x0 / QR_MODULE) * QR_MODULE
    top = photo_bottom - 1.0 * mm - (room - side) / 2
    top = CARD_HEIGHT - round((CARD_HEIGHT - top) / QR_MODULE) * QR_MODULE
    quiet = QR_QUIET_MODULES * module
    c.setFillColor(white)
    c.rect(x0 - quiet, top - side - quiet, side + 2 * quiet, side + 2 * quiet, stroke=0, fill=1)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        for dark, run in groupby(row):  # one rectangle per horizontal run of dark modules
            length = len(list(run))
            if dark:
                x, y = x0 + col * module + EDGE_GUARD, top - (r + 1) * module + EDGE_GUARD
                path.rect(x, y, length * module - 2 * EDGE_GUARD, module - 2 * EDGE_GUARD)
            col += length
    c.setFillColor(black)
    c.drawPath(path, stroke=0, fill=1)

"""The bundled Noto Sans fonts for printouts: Latin and nine Indian scripts, shaped with HarfBuzz.

A prescription may carry a patient's name in Tamil and an instruction in Hindi. ReportLab draws TrueType text
shaped through ``uharfbuzz`` (conjuncts, vowel signs; without it ReportLab silently draws unshaped glyphs,
so it is a dependency), but one font holds one script, so a line is cut into
runs by script and each run drawn in its own font: ``markup(text)`` for Paragraphs, ``draw(canvas, ...)``
and ``width(...)`` for text placed by hand. The fonts are in ``resources/fonts`` (SIL Open Font License).
"""

from __future__ import annotations

import functools
import html
from importlib import resources

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr
from reportlab.pdfgen.canvas import Canvas

LATIN = "NotoSans"
# Unicode block -> the Noto family that covers it.
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0900, 0x097F, "NotoSansDevanagari"),  # Hindi, Marathi, Nepali, Sanskrit
    (0x0980, 0x09FF, "NotoSansBengali"),  # Bengali, Assamese
    (0x0A00, 0x0A7F, "NotoSansGurmukhi"),  # Punjabi
    (0x0A80, 0x0AFF, "NotoSansGujarati"),
    (0x0B00, 0x0B7F, "NotoSansOriya"),
    (0x0B80, 0x0BFF, "NotoSansTamil"),
    (0x0C00, 0x0C7F, "NotoSansTelugu"),
    (0x0C80, 0x0CFF, "NotoSansKannada"),
    (0x0D00, 0x0D7F, "NotoSansMalayalam"),
)
# Characters any script's run keeps (spaces, digits, punctuation, the danda): they join the run around them.
_COMMON = frozenset(" \t0123456789.,;:-/()'\"!?%+&\u0964\u0965\u200c\u200d")


def font_name(family: str, bold: bool = False) -> str:
    return f"{family}-{'Bold' if bold else 'Regular'}"


@functools.cache
def register() -> None:
    """Register every bundled face with ReportLab (once per process)."""
    folder = resources.files("resources") / "fonts"
    for family in (LATIN, *(f for _, _, f in _SCRIPTS)):
        for bold in (False, True):
            name = font_name(family, bold)
            with resources.as_file(folder / f"{name}.ttf") as path:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        pdfmetrics.registerFontFamily(
            family,
            normal=font_name(family),
            bold=font_name(family, True),
            italic=font_name(family),
            boldItalic=font_name(family, True),
        )


def _family_of(ch: str) -> str | None:
    if ch in _COMMON:
        return None
    cp = ord(ch)
    for low, high, family in _SCRIPTS:
        if low <= cp <= high:
            return family
    return LATIN


def runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into ``(family, piece)`` runs; spaces and digits stay with the run they sit in."""
    out: list[tuple[str, str]] = []
    for ch in text:
        family = _family_of(ch)
        if out and (family is None or family == out[-1][0]):
            out[-1] = (out[-1][0], out[-1][1] + ch)
        elif out and out[-1][0] == "" and family is not None:
            out[-1] = (family, out[-1][1] + ch)  # leading spaces/digits join the first real run
        else:
            out.append((family or "", ch))
    return [(family or LATIN, piece) for family, piece in out]


def markup(text: str, bold: bool = False) -> str:
    """``text`` as Paragraph markup: each script run in its font, the rest escaped. The Paragraph's style
    needs ``shaping=1`` (``ParagraphStyle(..., shaping=1)``) for Indian scripts to join correctly."""
    register()
    return "".join(f'<font name="{font_name(f, bold)}">{html.escape(piece)}</font>' for f, piece in runs(text))


def _shaped(piece: str, name: str, size: float) -> str:
    return shapeStr(piece, name, size)


def _piece_width(piece: str, name: str, size: float) -> float:
    shaped = _shaped(piece, name, size)
    data = getattr(shaped, "__shapeData__", None)
    if data is None:
        return float(pdfmetrics.stringWidth(piece, name, size))
    return float(sum(g.x_advance for g in data) * size / 1000)


def width(text: str, size: float, bold: bool = False) -> float:
    register()
    return sum(_piece_width(piece, font_name(f, bold), size) for f, piece in runs(text))


def draw(c: Canvas, x: float, y: float, text: str, size: float, bold: bool = False, align: str = "left") -> float:
    """Draw ``text`` with its baseline at ``y``; ``align`` left, right (``x`` is the right edge) or centre.
    Returns the width drawn."""
    register()
    total = width(text, size, bold)
    if align == "right":
        x -= total
    elif align == "centre":
        x -= total / 2
    for family, piece in runs(text):
        name = font_name(family, bold)
        c.setFont(name, size)
        c.drawString(x, y, _shaped(piece, name, size))
        x += _piece_width(piece, name, size)
    return total

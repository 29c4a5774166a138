"""The optical printouts, read back from the PDFs: the lab job card (A5; every field; the Rx and measurement
values in their rows and columns; the order code's Code 128 decoded by zxing-cpp from the rendered page), the
order slip (A6; lines, money, the balance due) and the repair slip (A6; the estimate, the at-owner's-risk note in
bold); empty values as dashes, a Kannada name shaped in its font, long text wrapped or continued, never lost."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from hms_desktop.printing.optical_data import (
    ClinicHeading,
    JobCardData,
    OrderSlipData,
    RepairSlipData,
    RxEyeLine,
    SlipLine,
)
from hms_desktop.printing.optical_job_card import RX_COLUMNS, render_job_card
from hms_desktop.printing.optical_slips import render_order_slip, render_repair_slip
from hms_desktop.printing.render import pdf_to_images
from tests.test_eye_prescription_pdf import all_text, boxes, centre

A5_PT = (419.5, 595.3)
A6_PT = (297.6, 419.5)
DASH = "\u2014"
KANNADA_NAME = "ಕಾವ್ಯಾ ನಾಯರ್"
NOTE_300 = (
    "Patient works long hours on a laptop and drives at night: fit the progressive corridor for a wide "
    "intermediate zone, keep the near zone low, check the fitting cross against the pupil with the frame "
    "adjusted (pantoscopic tilt about 8 degrees), and call Kavya on 98450 12345 before glazing if the frame "
    "needs changes."
)


def logo_png() -> bytes:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 196, 196), fill=(0, 90, 110, 255))
    draw.ellipse((60, 80, 140, 120), fill=(255, 255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


CLINIC = ClinicHeading(
    name="Sunrise Eye Clinic & Opticals", address="No. 14, 100 Feet Road, Indiranagar, Bengaluru 560038, Karnataka",
    contact="Ph: 080 2345 6789 | optical@sunrise.example.in", gstin="29AAGFS1234K1Z5", logo=logo_png(),
)  # fmt: skip
RIGHT = RxEyeLine(label="R (OD)", sphere="-2.25", cylinder="-0.50", axis="180", add="+1.50", prism="1.00 BI")
LEFT = RxEyeLine(label="L (OS)", sphere="-2.00", cylinder="", axis="", add="+1.50", prism="")


def job(**changes: object) -> JobCardData:
    base = JobCardData(
        clinic=CLINIC, order_code="OPT-2026-00012", ordered_on=date(2026, 11, 30), promised_date=date(2026, 12, 5),
        patient_name="Kavya Nair", patient_code="PAT-2026-00031",
        prescription="ORX-2026-000031 by Dr Meera Iyer, 30 Nov 2026", right=RIGHT, left=LEFT,
        right_pd="31.0 mm", left_pd="31.5 mm", right_fitting_height="22.0 mm", left_fitting_height="21.5 mm",
        box_size="A 52 / B 38 / DBL 18 mm", frame="Titan TE-1021, black, full rim, 52-18-140",
        lens="Progressive 1.60 (Hoya progressive 1.60), resin", lens_options="Anti-reflective, blue cut; tint: none",
        lab_name="GKB Rx Lens Lab, Peenya", remake="", notes="Patient prefers a wide reading zone.",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def order_slip(**changes: object) -> OrderSlipData:
    base = OrderSlipData(
        clinic=CLINIC, order_code="OPT-2026-00012", ordered_on=date(2026, 11, 30), promised_date=date(2026, 12, 5),
        patient_name="Kavya Nair", patient_code="PAT-2026-00031", patient_phone="98450 12345",
        lines=(SlipLine(description="Titan TE-1021 black frame", quantity="1", amount="Rs 2,500.00"),
               SlipLine(description="Hoya progressive 1.60, anti-reflective + blue cut", quantity="1 pair",
                        amount="Rs 10,800.00")),
        subtotal="Rs 14,500.00", discount="Rs 1,200.00", total="Rs 13,300.00", advance="Rs 5,000.00",
        balance="Rs 8,300.00", status="Confirmed", notes="Bring this slip when you collect your glasses.",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def repair_slip(**changes: object) -> RepairSlipData:
    base = RepairSlipData(
        clinic=CLINIC, repair_code="RPR-2026-00004", received_on=date(2026, 11, 30), promised_date=date(2026, 12, 2),
        patient_name="Kavya Nair", patient_code="PAT-2026-00031", patient_phone="98450 12345",
        item="Ray-Ban RB5154 frame with lenses", own_item=True, fault="Left temple hinge broken; nose pad missing",
        parts="Rs 350.00", labour="Rs 150.00", estimate="Rs 500.00",
        approval="Estimate approved by the patient (in person) on 30 Nov 2026", status="Received",
        risk_note="Repairs are carried out at the owner's risk. We are not responsible for breakage of old or "
                  "brittle frames or lenses during repair. Items not collected within 60 days may be disposed of.",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def flat(text: str) -> str:
    return " ".join(text.split())


def pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def page_size(pdf: bytes) -> tuple[float, float]:
    width, height = pdfium.PdfDocument(pdf)[0].get_size()
    return width, height


def font_of(pdf: bytes, text: str, after: int = 0) -> str:
    """The name of the font the character ``after`` places past the start of ``text`` is drawn in (page 1)."""
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    index = page.search(text, match_case=True).get_next()
    assert index is not None, text
    buf = (pdfium_c.c_char * 200)()
    flags = pdfium_c.c_int()
    length = pdfium_c.FPDFText_GetFontInfo(page, index[0] + after, buf, 200, flags)
    return bytes(buf[: length - 1]).decode()


def drawn_in(pdf: bytes, label: str, family: str) -> str:
    """The text after ``label`` on its line, checked to be drawn in ``family``'s font, glyph by glyph. (A shaped
    conjunct reads back from the PDF as a private-use character: reportlab maps only the font's plain glyphs.)"""
    line = next(line for line in all_text(pdf).splitlines() if line.startswith(label))
    value = line[len(label) :]
    for n, ch in enumerate(value):
        if not ch.isspace():
            assert family in font_of(pdf, line, len(label) + n), (ch, n)
    return value


def inside_the_margins(pdf: bytes, margin_pt: float) -> None:
    """Every character on every page stands inside the page (less its margin): nothing is cut off."""
    doc = pdfium.PdfDocument(pdf)
    for n in range(len(doc)):
        width, height = doc[n].get_size()
        text = doc[n].get_textpage()
        for i in range(text.count_chars()):
            left, bottom, right, top = text.get_charbox(i)
            if right > left:  # a drawn glyph, not a generated space or line break
                assert margin_pt - 1 <= left and right <= width - margin_pt + 1, (n, i)
                assert margin_pt / 3 <= bottom and top <= height - margin_pt + 1, (n, i)


def cell(pdf: bytes, row_label: str, column: str) -> str:
    """The text in the table cell under the heading ``column`` (page 1) in the row labelled ``row_label``."""
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    rows = [centre(b)[1] for b in boxes(page, row_label)]
    heads = boxes(page, column)
    assert heads, column
    x = centre(heads[0])[0]
    head_y = centre(heads[0])[1]
    y = max(r for r in rows if r < head_y)  # the row nearest under the heading
    return str(page.get_text_bounded(x - 22, y - 8, x + 22, y + 8)).strip()


def decode(pdf: bytes, dpi: int) -> list[str]:
    image = pdf_to_images(pdf, dpi)[0]
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format.name == "Code128"]


# --- the job card -----------------------------------------------------------------------------------------------


def test_the_job_card_is_one_a5_portrait_page_with_every_field() -> None:
    pdf = render_job_card(job())
    assert page_size(pdf) == pytest.approx(A5_PT, abs=0.5)
    (text,) = pages(pdf)
    for expected in ("Sunrise Eye Clinic & Opticals", "Indiranagar, Bengaluru 560038", "Ph: 080 2345 6789",
                     "GSTIN: 29AAGFS1234K1Z5", "Lab job card", "Order OPT-2026-00012", "Ordered: 30 Nov 2026",
                     "Promised: 05 Dec 2026", "Kavya Nair", "PAT-2026-00031",
                     "ORX-2026-000031 by Dr Meera Iyer, 30 Nov 2026", "Monocular PD", "Fitting height",
                     "A 52 / B 38 / DBL 18 mm", "Titan TE-1021, black, full rim, 52-18-140",
                     "Progressive 1.60 (Hoya progressive 1.60), resin", "Anti-reflective, blue cut; tint: none",
                     "GKB Rx Lens Lab, Peenya", "Patient prefers a wide reading zone.", "Made by (lab)",
                     "Checked at counter (QC)", *RX_COLUMNS):  # fmt: skip
        assert expected in text, expected
    assert "page 1 of" not in text
    assert b"/Subtype /Image" in pdf  # the logo


def test_each_power_and_measurement_stands_in_its_row_and_column() -> None:
    pdf = render_job_card(job())
    right = dict(zip(RX_COLUMNS, ("-2.25", "-0.50", "180", "+1.50", "1.00 BI"), strict=True))
    left = dict(zip(RX_COLUMNS, ("-2.00", DASH, DASH, "+1.50", DASH), strict=True))
    for column in RX_COLUMNS:
        assert cell(pdf, "R (OD)", column) == right[column], column
        assert cell(pdf, "L (OS)", column) == left[column], column
    assert cell(pdf, "R (OD)", "Monocular PD") == "31.0 mm" and cell(pdf, "L (OS)", "Monocular PD") == "31.5 mm"
    assert cell(pdf, "R (OD)", "Fitting height") == "22.0 mm"
    assert cell(pdf, "L (OS)", "Fitting height") == "21.5 mm"


@pytest.mark.parametrize("dpi", [300, 200])
def test_the_order_code_barcode_decodes_from_the_printed_page(dpi: int) -> None:
    assert decode(render_job_card(job()), dpi) == ["OPT-2026-00012"]


def test_a_longer_code_and_a_remake_card_decode_too() -> None:
    pdf = render_job_card(job(order_code="OPT-2027-100345", remake="Remake 1: axis off by 10 degrees (left)"))
    assert decode(pdf, 300) == ["OPT-2027-100345"]
    assert "Remake 1: axis off by 10 degrees (left)" in all_text(pdf)
    assert "Bold" in font_of(pdf, "Remake 1:")


def test_empty_values_print_as_dashes() -> None:
    pdf = render_job_card(job(promised_date=None, right_pd="", left_fitting_height="", box_size="", lab_name="",
                              notes="", prescription=""))  # fmt: skip
    text = all_text(pdf)
    assert "Promised: \u2014" in text
    assert cell(pdf, "R (OD)", "Monocular PD") == DASH and cell(pdf, "L (OS)", "Fitting height") == DASH
    for label in ("Prescription", "Lab", "Remake", "Notes"):
        assert any(line in (f"{label}{DASH}", f"{label} {DASH}") for line in text.splitlines()), label
    assert decode(pdf, 300) == ["OPT-2026-00012"]


def test_a_kannada_name_prints_shaped_in_its_font() -> None:
    pdf = render_job_card(job(patient_name=KANNADA_NAME))
    assert b"NotoSansKannada" in pdf
    name = drawn_in(pdf, "Patient ", "NotoSansKannada-Bold")
    assert len(name.split()) == 2 and "ಾಯ" in name and "?" not in all_text(pdf)
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    left, bottom, right, top = boxes(page, "Patient ID")[0]  # the name's row stands just above its ID
    image = pdf_to_images(pdf, dpi=150)[0].convert("L")
    scale, height = 150 / 72, image.height
    name_area = image.crop((int((right + 20) * scale), int(height - (top + 14) * scale), int((right + 120) * scale),
                            int(height - top * scale)))  # fmt: skip
    assert name_area.getextrema()[0] < 80  # ink: the name is drawn, not left as empty boxes


def test_a_300_character_note_wraps_inside_the_page_and_keeps_every_word() -> None:
    assert len(NOTE_300) >= 300
    pdf = render_job_card(job(notes=NOTE_300, remake="Remake 1: axis off by 10 degrees (left)"))
    assert flat(NOTE_300) in flat(all_text(pdf))
    inside_the_margins(pdf, 10 * 72 / 25.4)
    assert decode(pdf, 300) == ["OPT-2026-00012"]


def test_notes_too_long_for_the_page_continue_on_a_second_one() -> None:
    notes = "\n".join(f"Step {n}: {NOTE_300}" for n in range(6))
    pdf = render_job_card(job(notes=notes, frame="Patient's own frame " * 10))
    texts = pages(pdf)
    assert len(texts) == 2
    for n, text in enumerate(texts):
        assert f"OPT-2026-00012 | Kavya Nair | page {n + 1} of 2" in text
    body = "\n".join(t.replace(f"OPT-2026-00012 | Kavya Nair | page {n + 1} of 2", "") for n, t in enumerate(texts))
    assert flat(notes) in flat(body)
    assert "Made by (lab)" in texts[-1]
    inside_the_margins(pdf, 10 * 72 / 25.4)


def test_the_same_data_gives_the_same_bytes() -> None:
    assert render_job_card(job()) == render_job_card(job())
    assert render_order_slip(order_slip()) == render_order_slip(order_slip())
    assert render_repair_slip(repair_slip()) == render_repair_slip(repair_slip())


@pytest.mark.parametrize("code", ["", "OPT-2026-0001\u0967"])
def test_a_code_that_cannot_be_barcoded_is_refused(code: str) -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        render_job_card(job(order_code=code))


def test_a_broken_logo_is_refused() -> None:
    with pytest.raises(ValueError, match="logo"):
        render_job_card(job(clinic=replace(CLINIC, logo=b"\x89PNG broken")))


# --- the slips --------------------------------------------------------------------------------------------------


def test_the_order_slip_shows_the_lines_the_money_and_the_balance_due() -> None:
    pdf = render_order_slip(order_slip())
    assert page_size(pdf) == pytest.approx(A6_PT, abs=0.5)
    (text,) = pages(pdf)
    for expected in ("Sunrise Eye Clinic & Opticals", "GSTIN: 29AAGFS1234K1Z5", "Order slip", "No. OPT-2026-00012",
                     "Kavya Nair", "PAT-2026-00031", "98450 12345", "30 Nov 2026", "05 Dec 2026", "Confirmed",
                     "Titan TE-1021 black frame", "Rs 2,500.00", "1 pair", "Rs 10,800.00", "Subtotal",
                     "Rs 14,500.00", "Discount", "Rs 1,200.00", "Total", "Rs 13,300.00", "Advance paid",
                     "Rs 5,000.00", "Balance due", "Rs 8,300.00",
                     "Bring this slip when you collect your glasses."):  # fmt: skip
        assert expected in flat(text), expected
    assert "Bold" in font_of(pdf, "Balance due") and "Bold" in font_of(pdf, "Rs 8,300.00")
    assert "Bold" not in font_of(pdf, "Rs 5,000.00")
    inside_the_margins(pdf, 8 * 72 / 25.4)


def test_an_order_slip_without_discount_or_advance_prints_dashes() -> None:
    pdf = render_order_slip(order_slip(discount="", advance="", promised_date=None, patient_phone="",
                                       balance="Rs 14,500.00", lines=()))  # fmt: skip
    lines = [flat(line) for line in all_text(pdf).splitlines()]
    for label in ("Discount", "Advance paid", "Ready by", "Phone"):
        assert any(line.replace(" ", "") == f"{label.replace(' ', '')}{DASH}" for line in lines), label
    assert "Rs 14,500.00" in all_text(pdf)


def test_many_lines_and_a_long_note_continue_on_a_second_slip_page() -> None:
    lines = tuple(SlipLine(description=f"Contact lens solution {n} (ReNu 360 ml)", quantity="1", amount="Rs 450.00")
                  for n in range(14))  # fmt: skip
    pdf = render_order_slip(order_slip(lines=lines, notes=NOTE_300))
    texts = pages(pdf)
    assert len(texts) >= 2
    joined = flat("\n".join(texts))
    assert all(f"Contact lens solution {n} (ReNu 360 ml)" in joined for n in range(14))
    assert flat(NOTE_300) in joined and "Rs 8,300.00" in joined
    assert all(f"page {n + 1} of {len(texts)}" in t for n, t in enumerate(texts))
    inside_the_margins(pdf, 8 * 72 / 25.4)


def test_the_repair_slip_prints_the_estimate_and_the_owners_risk_note_in_bold() -> None:
    data = repair_slip()
    pdf = render_repair_slip(data)
    assert page_size(pdf) == pytest.approx(A6_PT, abs=0.5)
    (text,) = pages(pdf)
    for expected in ("Repair slip", "No. RPR-2026-00004", "Kavya Nair", "PAT-2026-00031", "98450 12345",
                     "30 Nov 2026", "02 Dec 2026", "Received", "Ray-Ban RB5154 frame with lenses",
                     "The patient's own", "Left temple hinge broken; nose pad missing", "Parts", "Rs 350.00",
                     "Labour", "Rs 150.00", "Estimate", "Rs 500.00",
                     "Estimate approved by the patient (in person) on 30 Nov 2026", "AT OWNER'S RISK",
                     flat(data.risk_note), "Patient's signature"):  # fmt: skip
        assert expected in flat(text), expected
    assert "Bold" in font_of(pdf, "Repairs are carried out") and "Bold" in font_of(pdf, "AT OWNER'S RISK")
    assert "Bold" not in font_of(pdf, "Left temple hinge")
    inside_the_margins(pdf, 8 * 72 / 25.4)


def test_a_repair_of_an_item_bought_here_in_hindi_with_a_long_fault() -> None:
    fault = ("बायाँ कब्ज़ा टूटा है; " + NOTE_300)[:300]
    pdf = render_repair_slip(repair_slip(own_item=False, patient_name="कविता शर्मा", fault=fault, parts="",
                                         approval="Estimate not yet approved"))  # fmt: skip
    text = all_text(pdf)
    assert "Bought at this clinic" in text and b"NotoSansDevanagari" in pdf
    assert len(drawn_in(pdf, "Patient ", "NotoSansDevanagari-Bold").split()) == 2
    assert "Estimate not yet approved" in text and "AT OWNER'S RISK" in text
    assert flat(fault[fault.index("टूटा") :]) in flat(text)  # from the first word that reads back (above)
    inside_the_margins(pdf, 8 * 72 / 25.4)


def test_an_unbroken_300_character_word_is_split_inside_the_page_on_every_printout() -> None:
    word = "https://lab.example.in/track/" + "A7" * 136  # a lab's tracking link, no space to break at
    assert len(word) >= 300
    line = SlipLine(description=word, quantity="1", amount="Rs 450.00")
    for pdf, margin in ((render_job_card(job(notes=word)), 10), (render_order_slip(order_slip(lines=(line,))), 8),
                        (render_repair_slip(repair_slip(fault=word)), 8)):  # fmt: skip
        inside_the_margins(pdf, margin * 72 / 25.4)
        assert word in "".join(all_text(pdf).split())

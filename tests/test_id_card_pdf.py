"""Patient ID card PDF: CR80 page size, and both symbols decode back to exactly the patient code."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from hms_desktop.printing import IdCardData, render_id_card
from hms_desktop.printing.render import pdf_to_images

MM = 72 / 25.4
LONG_NAME = "Venkata Satya Naga Lakshmi Narasimha Raju"


def _logo_png() -> bytes:
    img = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 236, 236), fill=(0, 128, 128, 255))
    draw.rectangle((100, 30, 140, 210), fill="white")
    draw.rectangle((30, 100, 210, 140), fill="white")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _photo_jpeg() -> bytes:
    img = Image.new("RGB", (360, 480), (200, 220, 235))
    draw = ImageDraw.Draw(img)
    draw.ellipse((110, 70, 250, 250), fill=(150, 110, 80))
    draw.ellipse((40, 290, 320, 600), fill=(40, 60, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _patient(**changes: object) -> IdCardData:
    data = IdCardData(
        hospital_name="Sri Venkateswara Multispeciality Hospital & Research Centre",
        hospital_phone="+91 40 2345 6789",
        logo=_logo_png(),
        patient_name="Ananya Sharma",
        patient_code="PAT-2026-00001",
        age_sex="34 Y / F",
        blood_group="B+",
        photo=_photo_jpeg(),
        issued_on=date(2026, 3, 5),
        emergency_phone="+91 98765 43210",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def _decode(pdf: bytes, dpi: int) -> dict[str, list[zxingcpp.Barcode]]:
    pages = pdf_to_images(pdf, dpi)
    assert len(pages) == 1
    found: dict[str, list[zxingcpp.Barcode]] = {"Code128": [], "QRCode": []}
    for result in zxingcpp.read_barcodes(pages[0]):
        found.setdefault(result.format.name, []).append(result)
    return found


def _assert_both_decode(pdf: bytes, code: str, dpi: int = 300) -> None:
    found = _decode(pdf, dpi)
    assert [r.text for r in found["Code128"]] == [code]
    assert [r.text for r in found["QRCode"]] == [code]


def test_page_is_exactly_cr80_landscape() -> None:
    doc = pdfium.PdfDocument(render_id_card(_patient()))
    try:
        assert len(doc) == 1
        width, height = doc[0].get_size()
    finally:
        doc.close()
    assert width == pytest.approx(85.60 * MM, abs=0.1)
    assert height == pytest.approx(53.98 * MM, abs=0.1)
    assert width > height


def test_realistic_card_decodes_both_codes_at_300_dpi() -> None:
    _assert_both_decode(render_id_card(_patient()), "PAT-2026-00001")


def test_qr_carries_only_the_patient_code() -> None:
    data = _patient()
    (qr,) = _decode(render_id_card(data), 300)["QRCode"]
    assert qr.text == data.patient_code
    assert qr.ec_level == "M"
    for part in data.patient_name.split():
        assert part.lower() not in qr.text.lower()
    assert data.emergency_phone.replace(" ", "") not in qr.text.replace(" ", "")


def test_code128_module_is_at_least_a_quarter_millimetre() -> None:
    dpi = 300
    page = pdf_to_images(render_id_card(_patient()), dpi)[0].convert("L")
    (bar,) = [r for r in zxingcpp.read_barcodes(page) if r.format.name == "Code128"]
    pos = bar.position
    left, right = min(pos.top_left.x, pos.bottom_left.x), max(pos.top_right.x, pos.bottom_right.x)
    row = (pos.top_left.y + pos.bottom_left.y) // 2
    runs: list[int] = []
    pixels = [int(page.getpixel((x, row)) or 0) for x in range(left, right + 1)]  # type: ignore[arg-type]
    current, length = pixels[0] < 128, 0
    for value in pixels:
        dark = value < 128
        if dark == current:
            length += 1
        else:
            runs.append(length)
            current, length = dark, 1
    assert len(runs) > 20
    assert min(runs) >= 0.25 * dpi / 25.4 - 0.1


def test_card_without_logo_photo_or_optional_fields_renders_and_decodes() -> None:
    data = _patient(logo=None, photo=None, hospital_phone="", blood_group="", emergency_phone="")
    _assert_both_decode(render_id_card(data), "PAT-2026-00001")


def test_very_long_name_renders_and_both_codes_decode() -> None:
    _assert_both_decode(render_id_card(_patient(patient_name=LONG_NAME)), "PAT-2026-00001")
    absurd = " ".join([LONG_NAME] * 4) + " Sreenivasacharyulavaripalliwaddagunta"
    _assert_both_decode(render_id_card(_patient(patient_name=absurd, logo=None)), "PAT-2026-00001")


@pytest.mark.parametrize("code", ["PAT-2026-00001", "PAT-2027-12345", "PAT-2026-100000"])
def test_hyphenated_year_codes_round_trip(code: str) -> None:
    _assert_both_decode(render_id_card(_patient(patient_code=code)), code)


@pytest.mark.parametrize("dpi", [200, 203])  # thermal card printers: 200 and 8 dots/mm (203 dpi, off the bar grid)
@pytest.mark.parametrize("name", ["Ananya Sharma", LONG_NAME])
def test_both_codes_decode_at_thermal_printer_resolution(name: str, dpi: int) -> None:
    _assert_both_decode(render_id_card(_patient(patient_name=name)), "PAT-2026-00001", dpi=dpi)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"patient_code": ""}, "printable ASCII"),
        ({"patient_code": "PAT-2026-0000\u0967"}, "printable ASCII"),
        ({"patient_code": "PATIENT-2026-000000000001"}, "too long"),
        ({"photo": b"not an image"}, "photo"),
        ({"logo": b"\x89PNG broken"}, "logo"),
    ],
)
def test_unprintable_input_raises_value_error(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_id_card(_patient(**changes))


def test_pdf_to_images_rejects_non_positive_dpi() -> None:
    with pytest.raises(ValueError, match="dpi"):
        pdf_to_images(render_id_card(_patient()), 0)

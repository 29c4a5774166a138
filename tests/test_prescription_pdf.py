"""The Rx printout: every element read back from the PDF (letterhead, doctor and registration, patient, date,
diagnosis, "Rx", each medicine with its generic name in capitals, dose, frequency, duration, food timing,
instructions, advice, follow-up, signature, code and version, "Amended"), a patient's name in Devanagari and an
instruction in Tamil read back exactly, the page rendered with ink where they stand, A5 and A4, pages that
overflow, and the service that prints a saved prescription."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from hms_desktop.errors import PermissionDenied, ValidationError
from hms_desktop.printing.prescription import RxPrintData, RxPrintLine, medicine_title, render_prescription
from hms_desktop.printing.render import pdf_to_images
from hms_desktop.services.admin.hospital import set_logo
from hms_desktop.services.clinical import prescriptions as rx
from tests.clinical_fixtures import MONDAY
from tests.reception_fixtures import patient
from tests.rx_fixtures import RxDay, line, rx_day, rx_input

RAMESH = "रमेश कुमार शर्मा"  # conjuncts (श्म, र्म): shaped glyphs that do not map back one to one
AFTER_FOOD_TA = "உணவுக்குப் பின் சாப்பிடவும்"  # "take after food"
A5_PT, A4_PT = (419.5, 595.3), (595.3, 841.9)


def aug(**changes: object) -> RxPrintLine:
    base = RxPrintLine(generic_name="Amoxicillin + Clavulanic acid", strength="500 mg + 125 mg", form="tablet",
                       brand="Augmentin 625 Duo", dosage="1 tab", frequency="1-0-1",
                       frequency_label="twice a day (morning, night)", duration_days=5, food_timing="after food",
                       route="oral", instructions=AFTER_FOOD_TA, quantity=10)  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def data(**changes: object) -> RxPrintData:
    base = RxPrintData(
        hospital_name="Sunrise Clinic", hospital_address="12 MG Road, Bengaluru 560001, Karnataka",
        hospital_phone="080 2345 6789", logo=None, doctor_name="Dr Meera Iyer", doctor_qualification="MBBS, MD",
        doctor_specialization="General Medicine", doctor_registration="Reg. No. KMC-48211 (Karnataka Medical Council)",
        code="RX-2026-000042", version=1, rx_date=date(2026, 11, 30), patient_name=RAMESH, patient_age_sex="41 Y / M",
        patient_code="PAT-2026-00007", chief_complaint="Cough and fever for 3 days", diagnosis="Acute bronchitis",
        lines=(aug(), RxPrintLine(generic_name="Paracetamol", strength="650 mg", form="tablet", brand="Dolo 650",
                                  dosage="1 tab", frequency="SOS", frequency_label="when needed (SOS)",
                                  duration_days=3, food_timing="", route=None, instructions="If fever above 100 F",
                                  quantity=6)),
        advice="Warm fluids; rest for two days.", follow_up_date=date(2026, 12, 7),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def pages_text(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def text_lines(pdf: bytes) -> list[str]:
    return [ln.strip() for page in pages_text(pdf) for ln in page.splitlines()]


def test_every_element_reads_back_from_the_page() -> None:
    pdf = render_prescription(data())
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 1 and doc[0].get_size() == pytest.approx(A5_PT, abs=0.5)
    lines = text_lines(pdf)
    expected = [
        "Sunrise Clinic", "12 MG Road, Bengaluru 560001, Karnataka", "Ph: 080 2345 6789",
        "Dr Meera Iyer", "MBBS, MD", "General Medicine", "Reg. No. KMC-48211 (Karnataka Medical Council)",
        "RX-2026-000042", "Version 1", "Date: 30 Nov 2026",
        f"Patient: {RAMESH}", "Age/Sex: 41 Y / M Patient ID: PAT-2026-00007",
        "Complaint: Cough and fever for 3 days", "Diagnosis: Acute bronchitis", "Rx",
        "1 tab – 1-0-1, twice a day (morning, night) – 5 days – after food", "Qty: 10", AFTER_FOOD_TA,
        "2. PARACETAMOL 650 mg Tablet (Dolo 650)", "1 tab – SOS, when needed (SOS) – 3 days", "Qty: 6",
        "If fever above 100 F", "Advice: Warm fluids; rest for two days.", "Follow-up: 07 Dec 2026 (Monday)",
        "Signature", "RX-2026-000042 | version 1 | page 1 of 1",
    ]  # fmt: skip
    for want in expected:
        assert want in lines, want
    title = " ".join(lines[lines.index("Rx") + 1 : lines.index("Rx") + 3])  # may wrap onto a second line
    assert title.startswith("1. AMOXICILLIN + CLAVULANIC ACID 500 mg + 125 mg Tablet (Augmentin 625")
    assert lines.count("Dr Meera Iyer") == 2  # the doctor's block and the signature
    assert lines.index("Signature") > lines.index("Follow-up: 07 Dec 2026 (Monday)")
    assert "Amended" not in " ".join(lines) and "DRAFT" not in " ".join(lines)


def test_indian_scripts_are_shaped_in_their_fonts_and_drawn() -> None:
    pdf = render_prescription(data())
    assert b"NotoSansDevanagari" in pdf and b"NotoSansTamil" in pdf
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    image = pdf_to_images(pdf, dpi=150)[0].convert("L")
    for text in (RAMESH, AFTER_FOOD_TA):
        searcher = page.search(text, match_case=True)
        hit = searcher.get_next()
        assert hit is not None, text
        boxes = [page.get_charbox(i) for i in range(hit[0], hit[0] + hit[1])]
        left, bottom = min(b[0] for b in boxes), min(b[1] for b in boxes)
        right, top = max(b[2] for b in boxes), max(b[3] for b in boxes)
        scale = 150 / 72
        height = image.height
        crop = image.crop((int(left * scale), int(height - top * scale), int(right * scale) + 1,
                           int(height - bottom * scale) + 1))  # fmt: skip
        dark = sum(crop.histogram()[:128])  # pixels darker than mid-grey
        assert dark > 40, f"no ink where {text} stands"


def test_amended_draft_and_paper() -> None:
    amended = text_lines(render_prescription(data(version=3, amended=True, amended_on=date(2026, 12, 1))))
    assert "Amended (version 3) on 01 Dec 2026" in amended and "Version 3" in amended
    assert "RX-2026-000042 | version 3 | page 1 of 1" in amended
    draft = text_lines(render_prescription(data(draft=True)))
    assert "DRAFT – not valid for dispensing" in draft
    a4 = render_prescription(data(paper="A4"))
    assert pdfium.PdfDocument(a4)[0].get_size() == pytest.approx(A4_PT, abs=0.5)
    with pytest.raises(ValueError, match="A5, A4"):
        render_prescription(data(paper="Letter"))
    assert render_prescription(data()) == render_prescription(data())  # invariant: same data, same bytes


def test_many_medicines_continue_on_further_pages() -> None:
    many = tuple(aug(brand=f"Brand {n}", instructions=f"Line {n} instructions") for n in range(1, 15))
    pdf = render_prescription(data(lines=many))
    pages = pages_text(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert f"RX-2026-000042 | version 1 | page {n} of {len(pages)}" in page
    assert f"RX-2026-000042 – {RAMESH} (continued)" in pages[1]
    everything = "\n".join(pages)
    for n in range(1, 15):
        assert f"Line {n} instructions" in everything
    assert "Signature" in pages[-1] and "Signature" not in pages[0]
    images = pdf_to_images(pdf, dpi=72)
    assert len(images) == len(pages)


def test_medicine_titles() -> None:
    assert medicine_title(aug()) == "AMOXICILLIN + CLAVULANIC ACID 500 mg + 125 mg Tablet (Augmentin 625 Duo)"
    assert medicine_title(aug(generic_name="", brand="Steam inhalation", strength="", form="")) == "STEAM INHALATION"
    assert medicine_title(aug(generic_name="Paracetamol", brand="paracetamol", strength="500 mg")) == (
        "PARACETAMOL 500 mg Tablet"
    )


def logo_png() -> bytes:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((4, 4, 196, 196), fill=(0, 90, 110, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def day(system_ctx, make_user) -> RxDay:  # type: ignore[no-untyped-def]
    return rx_day(system_ctx, make_user)


def test_the_printout_of_a_saved_prescription(day: RxDay) -> None:
    doc = day.day.doctor_ctx
    set_logo(day.day.system, logo_png())
    ramesh = patient(day.day.system, RAMESH, "9845044444", born=date(1985, 6, 1))
    made = rx.save_prescription(
        doc,
        rx_input(day, line(day.medicines["Augmentin 625 Duo"], instructions=AFTER_FOOD_TA), patient_id=ramesh.id,
                 appointment_id=None, follow_up_date=MONDAY + timedelta(days=7)),
    )  # fmt: skip
    pdf = rx.prescription_pdf(day.day.nurse_ctx, made.id)
    lines = text_lines(pdf)
    expected = [
        "Sunrise Clinic", "Dr Meera Iyer", "MBBS, MD", "Reg. No. KMC-48211 (Karnataka Medical Council)",
        f"Patient: {RAMESH}", f"Age/Sex: 41 Y / F Patient ID: {ramesh.code}", "Date: 30 Nov 2026",
        "Diagnosis: Acute bronchitis", AFTER_FOOD_TA,
        "1 tab – 1-0-1, twice a day (morning, night) – 5 days – after food", "Qty: 10",
        "Follow-up: 07 Dec 2026 (Monday)", f"{made.code} | version 1 | page 1 of 1",
    ]  # fmt: skip
    for want in expected:
        assert want in lines, want
    assert any(ln.startswith("1. AMOXICILLIN + CLAVULANIC ACID 500 mg + 125 mg Tablet") for ln in lines)
    assert b"/Subtype /Image" in pdf  # the clinic's logo
    rx.mark_printed(doc, made.id)
    day.day.clock.advance(days=1)
    longer = line(day.medicines["Augmentin 625 Duo"], instructions=AFTER_FOOD_TA, duration_days=7)
    changed = rx_input(
        day, longer, patient_id=ramesh.id, appointment_id=None, follow_up_date=MONDAY + timedelta(days=7)
    )
    rx.update_prescription(doc, made.id, changed, reason="Seven days instead of five")
    again = text_lines(rx.prescription_pdf(doc, made.id, paper="A4"))
    assert "Amended (version 2) on 01 Dec 2026" in again and "Date: 30 Nov 2026" in again
    assert "1 tab – 1-0-1, twice a day (morning, night) – 7 days – after food" in again
    with pytest.raises(ValidationError) as err:
        rx.prescription_pdf(doc, made.id, paper="Letter")
    assert err.value.field == "paper"
    with pytest.raises(PermissionDenied):
        rx.prescription_pdf(day.day.receptionist_ctx, made.id)

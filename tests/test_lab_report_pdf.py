"""The lab report PDF: what a verified result prints (read back from the PDF), who may print it and when,
names in Indian scripts, and a long report over two pages."""

from __future__ import annotations

import ctypes
import io
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image
from sqlalchemy import select

from db.models.audit import AuditLog
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, NotFound, PermissionDenied
from hms_desktop.printing.lab_report import LabReportData, LabReportRow, render_lab_report
from hms_desktop.printing.render import pdf_to_images
from hms_desktop.services.admin.hospital import set_logo, update_hospital
from hms_desktop.services.admin.setup import HospitalInput
from hms_desktop.services.clinical.lab_orders import collect_sample, order_lab_tests
from hms_desktop.services.clinical.lab_reports import lab_report_pdf
from hms_desktop.services.clinical.lab_results import ResultValueInput, enter_result, verify_result
from tests.lab_fixtures import LabDay, collected, entered, hb_only, lab_day, person, visit

MM = 72 / 25.4


@pytest.fixture
def day(system_ctx: Context, make_user) -> LabDay:  # type: ignore[no-untyped-def]
    return lab_day(system_ctx, make_user)


def pages_text(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def fonts_of(pdf: bytes, needles: list[str]) -> dict[str, str]:
    """The font of the first character of each needle on page 1."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0].get_textpage()
        text = page.get_text_range()
        found = {}
        for needle in needles:
            buf, flags = ctypes.create_string_buffer(128), ctypes.c_int()
            pdfium_c.FPDFText_GetFontInfo(page.raw, text.index(needle), buf, 128, ctypes.byref(flags))
            found[needle] = buf.value.decode()
        return found
    finally:
        doc.close()


def logo_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 60), (0, 110, 120)).save(buf, "PNG")
    return buf.getvalue()


def test_the_report_of_a_verified_result(day: LabDay) -> None:
    update_hospital(day.system, HospitalInput(name="Sunrise Clinic", address_line1="12 MG Road", city="Bengaluru",
                                              state="Karnataka", state_code="29", pincode="560001",
                                              phone="080 2345 6789", email="lab@sunrise.example.in",
                                              gstin="29AAACR5055K1Z3"))  # fmt: skip
    set_logo(day.system, logo_png())
    p = person(day.system, "Arjun Mehta", "9845000002", "M", date(1980, 3, 15))
    a = visit(day, p)
    order = order_lab_tests(day.doctor_ctx, p.id, [day.tests["CBC"]], appointment_id=a.id)[0]
    day.clock.advance(minutes=20)
    collect_sample(day.tech_ctx, order.id)
    day.clock.advance(minutes=40)
    values = [ResultValueInput("Haemoglobin", "11.2"), ResultValueInput("Total WBC count", "12500"),
              ResultValueInput("Platelet count", "0.15"),
              *hb_only("14")[3:]]  # fmt: skip
    enter_result(day.tech_ctx, order.id, values, "Microcytic picture; correlate with iron studies.")
    day.clock.advance(minutes=30)
    verify_result(day.tech2_ctx, order.id)
    pdf = lab_report_pdf(day.doctor_ctx, order.id)
    (text,) = pages_text(pdf)
    for expected in [
        "Sunrise Clinic", "12 MG Road, Bengaluru, Karnataka 560001", "Ph: 080 2345 6789 | lab@sunrise.example.in",
        "LABORATORY REPORT", "Arjun Mehta", p.code, "46 Y / Male", "Dr Meera Iyer", order.code,
        "Complete Blood Count (CBC)", "Sample Blood",
        "Ordered 30 Nov 2026, 10:00 IST", "Sample collected 30 Nov 2026, 10:20 IST",
        "Reported 30 Nov 2026, 11:00 IST", "Verified 30 Nov 2026, 11:30 IST",
        "Parameter Result Unit Reference range Flag",
        "Haemoglobin 11.2 g/dL 13 - 17 L",
        "Total WBC count 12500 cells/cumm 4000 - 11000 H",
        "Platelet count 0.15 lakh/cumm 1.5 - 4.5 Critical L",
        "RBC count 4.5 million/cumm 4.5 - 5.5\r\n",
        "Microcytic picture; correlate with iron studies.",
        "Entered by Verified by", "Ravi Kumar Sunita Rao", "*** End of report ***", f"Lab report {order.code}",
    ]:  # fmt: skip
        assert expected in text, expected
    used = fonts_of(pdf, ["11.2", "12500", "4.5 million", "Arjun"])
    assert used == {"11.2": "NotoSans-Bold", "12500": "NotoSans-Bold", "4.5 million": "NotoSans-Regular",
                    "Arjun": "NotoSans-Bold"}  # fmt: skip  # the abnormal values stand out
    with day.system.transaction(readonly=True) as tx:
        printed = tx.session.scalars(select(AuditLog).where(AuditLog.action == "print")).all()
    assert [(r.entity_type, r.entity_id, r.patient_id, r.detail) for r in printed] == [
        ("lab_orders", str(order.id), p.id, f"Lab report {order.code}")
    ]
    page = pdf_to_images(pdf, dpi=72)[0]
    assert page.size == (596, 842)  # A4 (595.3 x 841.9 points)
    teal = [xy for xy in ((x, y) for x in range(0, 200, 2) for y in range(0, 150, 2))
            if page.getpixel(xy) == (0, 110, 120)]  # fmt: skip
    assert teal and max(x for x, _ in teal) < 110  # the logo sits at the top left, left of the clinic's name


def test_only_a_verified_result_prints_and_only_for_lab_view(day: LabDay) -> None:
    p = person(day.system, "Anita Desai", "9845000001", "F", date(1985, 6, 1))
    o = entered(day, p, "12.5")
    with pytest.raises(Conflict, match="prints once the result is verified"):
        lab_report_pdf(day.doctor_ctx, o.id)
    pending = collected(day, p, "ESR")
    with pytest.raises(Conflict, match="sample collected"):
        lab_report_pdf(day.doctor_ctx, pending.id)
    with pytest.raises(NotFound):
        lab_report_pdf(day.doctor_ctx, p.id)
    verify_result(day.tech2_ctx, o.id)
    with pytest.raises(PermissionDenied):
        lab_report_pdf(day.reception_ctx, o.id)
    (text,) = pages_text(lab_report_pdf(day.tech_ctx, o.id))
    assert "Haemoglobin 12.5 g/dL 12 - 15\r\n" in text  # normal: no flag
    assert "41 Y / Female" in text and "Referred by" in text


def test_a_corrected_report_says_so(day: LabDay) -> None:
    p = person(day.system, "Anita Desai", "9845000001", "F", date(1985, 6, 1))
    o = entered(day, p, "10.0")
    verify_result(day.tech2_ctx, o.id)
    day.clock.advance(hours=1)
    enter_result(day.tech2_ctx, o.id, hb_only("12.9"), correction_reason="Transcription error")
    verify_result(day.tech_ctx, o.id)
    (text,) = pages_text(lab_report_pdf(day.doctor_ctx, o.id))
    assert "Corrected: 30 Nov 2026, 11:00 IST, Sunita Rao: Transcription error" in text
    assert "Entered by Verified by\r\nSunita Rao Ravi Kumar" in text


def sample(**changes: object) -> LabReportData:
    data = LabReportData(
        hospital_name="Sunrise Clinic", hospital_address="", hospital_contact="", logo=None,
        patient_name="Ananya Sharma", patient_code="PAT-2026-00001", age_sex="34 Y / Female",
        referring_doctor="Dr Meera Iyer", order_code="LAB-2026-000001", test_name="Complete Blood Count (CBC)",
        sample_type="Blood", ordered_at="30 Nov 2026, 10:00 IST", sample_collected_at="30 Nov 2026, 10:20 IST",
        reported_at="30 Nov 2026, 11:00 IST", verified_at="30 Nov 2026, 11:30 IST",
        rows=(LabReportRow(parameter="Haemoglobin", value="10.2", unit="g/dL", reference="12 - 15", flag="L"),),
        summary="", entered_by="Ravi Kumar", verified_by="Sunita Rao",
    )  # fmt: skip
    return replace(data, **changes)  # type: ignore[arg-type]


def test_names_in_indian_scripts_use_their_fonts() -> None:
    pdf = render_lab_report(sample(patient_name="अनन्या शर्मा", referring_doctor="டாக்டர் மீனா"))
    (text,) = pages_text(pdf)
    assert "अन" in text and "டா" in text  # the shaped glyphs map back to their letters
    assert fonts_of(pdf, ["अन", "டா"]) == {"अन": "NotoSansDevanagari-Bold", "டா": "NotoSansTamil-Regular"}


def test_a_long_report_runs_onto_a_second_page() -> None:
    rows = tuple(LabReportRow(parameter=f"Parameter {n}", value=str(n), unit="mg/dL", reference="1 - 100", flag="")
                 for n in range(1, 61))  # fmt: skip
    pages = pages_text(render_lab_report(sample(rows=rows)))
    assert len(pages) == 2
    assert "Parameter Result Unit Reference range Flag" in pages[1]  # the header repeats
    assert "Parameter 60 60 mg/dL" in pages[1] and "*** End of report ***" in pages[1]
    assert "Page 1" in pages[0] and "Page 2" in pages[1]
    assert "End of report" not in pages[0]


def test_a_logo_that_is_not_an_image_is_refused() -> None:
    with pytest.raises(ValueError, match="logo"):
        render_lab_report(sample(logo=b"not an image"))

"""The eye prescription printout: A5 portrait and landscape, every value read back from the PDF inside its own cell
(row R or L, under its column), the letterhead, the examiner, a Devanagari name, and the audited print service."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from db.models.audit import AuditLog
from hms_desktop.context import Context
from hms_desktop.errors import NotFound, PermissionDenied, ValidationError
from hms_desktop.printing.eye_prescription import COLUMNS, EyeRxPrintData, EyeRxRow, render_eye_prescription
from hms_desktop.printing.render import pdf_to_images
from hms_desktop.services.admin.hospital import set_logo
from hms_desktop.services.optical import eye_prescriptions as eyerx
from hms_desktop.services.optical.eye_prescriptions import EyeInput, EyeRxInput
from tests.conftest import actor_with_role
from tests.reception_fixtures import patient
from tests.test_eye_prescriptions import Clinic

A5_PT = (419.5, 595.3)
RIGHT = EyeRxRow(label="R (OD)", sphere="-2.25", cylinder="-0.50", axis="180", prism="1.50 BI", add="+2.00",
                 distance_va="6/9", near_va="N6")  # fmt: skip
LEFT = EyeRxRow(label="L (OS)", sphere="+1.75", cylinder="DS", axis="", prism="", add="+2.25", distance_va="6/12",
                near_va="N8")  # fmt: skip


def data(**changes: object) -> EyeRxPrintData:
    base = EyeRxPrintData(
        hospital_name="Sunrise Eye Clinic", hospital_address="12 MG Road, Bengaluru 560001, Karnataka",
        hospital_contact="Ph: 080 2345 6789 | eyes@sunrise.example.in", hospital_registration="KA-CE-2021-0042",
        logo=None, code="ORX-2026-000042", patient_name="Sunita Sharma", patient_code="PAT-2026-00007",
        age_sex="41 Y / F", examined_on=date(2026, 11, 30), right=RIGHT, left=LEFT, pd="62.5 mm",
        lens_recommendation="Progressive, anti-reflective coating", notes="Review in one year.",
        valid_until=date(2027, 11, 30), examiner_name="Dr Meera Iyer", examiner_qualification="MBBS, MS (Ophth)",
        examiner_registration="Reg. No. KMC-48211 (Karnataka Medical Council)",
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


Box = tuple[float, float, float, float]  # left, bottom, right, top (PDF points)


def boxes(page: pdfium.PdfTextPage, text: str) -> list[Box]:
    """Every place ``text`` stands on the page (whole words)."""
    found: list[Box] = []
    searcher = page.search(text, match_case=True, match_whole_word=True)
    while (hit := searcher.get_next()) is not None:
        index, count = hit
        chars = [page.get_charbox(i) for i in range(index, index + count)]
        found.append((min(c[0] for c in chars), min(c[1] for c in chars), max(c[2] for c in chars),
                      max(c[3] for c in chars)))  # fmt: skip
    return found


def centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def table_cells(pdf: bytes) -> dict[tuple[str, str], str]:
    """What the PDF shows in each cell of the table, by (row label, column): the text inside the cell's bounds,
    the bounds found from where the column headings and the row labels stand."""
    doc = pdfium.PdfDocument(pdf)
    page = doc[0].get_textpage()
    sph = boxes(page, "SPH")
    assert len(sph) == 1
    head_y = centre(sph[0])[1]
    columns = []
    for name in COLUMNS:
        first = name.split()[0]
        in_header = [b for b in boxes(page, first) if abs(centre(b)[1] - head_y) < 8]
        assert len(in_header) == 1, name
        columns.append((name, centre(in_header[0])[0]))
    rows = [(label, centre(boxes(page, label)[0])[1]) for label in ("R (OD)", "L (OS)")]
    half_row = (rows[0][1] - rows[1][1]) / 2
    assert half_row > 0, "R is printed above L"
    cells = {}
    for i, (name, x) in enumerate(columns):
        left = (columns[i - 1][1] + x) / 2 if i else x - 30
        right = (columns[i + 1][1] + x) / 2 if i + 1 < len(columns) else x + 30
        for label, y in rows:
            cells[(label, name)] = page.get_text_bounded(left, y - half_row, right, y + half_row).strip()
    return cells


def all_text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def expected_cells(right: EyeRxRow, left: EyeRxRow) -> dict[tuple[str, str], str]:
    out = {}
    for row in (right, left):
        values = (row.sphere, row.cylinder, row.axis, row.prism, row.add, row.distance_va, row.near_va)
        for name, value in zip(COLUMNS, values, strict=True):
            out[(row.label, name)] = value or "\u2014"
    return out


@pytest.mark.parametrize(("orientation", "size"), [("portrait", A5_PT), ("landscape", A5_PT[::-1])])
def test_each_value_stands_in_its_row_and_column(orientation: str, size: tuple[float, float]) -> None:
    pdf = render_eye_prescription(data(orientation=orientation))
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) == 1
    assert doc[0].get_size() == pytest.approx(size, abs=0.5)
    assert table_cells(pdf) == expected_cells(RIGHT, LEFT)


def test_the_rest_of_the_page() -> None:
    text = all_text(render_eye_prescription(data()))
    for expected in ("Sunrise Eye Clinic", "12 MG Road, Bengaluru 560001, Karnataka", "Ph: 080 2345 6789",
                     "eyes@sunrise.example.in", "Registration: KA-CE-2021-0042", "No. ORX-2026-000042",
                     "Patient: Sunita Sharma", "Date: 30 Nov 2026", "Age/Sex: 41 Y / F", "Patient ID: PAT-2026-00007",
                     "PD: 62.5 mm", "Lens recommendation: Progressive, anti-reflective coating",
                     "Notes: Review in one year.", "Valid until: 30 Nov 2027", "Signature", "Dr Meera Iyer",
                     "MBBS, MS (Ophth)", "Reg. No. KMC-48211 (Karnataka Medical Council)"):  # fmt: skip
        assert expected in text, expected
    lines = text.splitlines()
    assert lines.index("Signature") > next(i for i, line in enumerate(lines) if line.startswith("Valid until"))


def test_the_same_data_gives_the_same_bytes() -> None:
    assert render_eye_prescription(data()) == render_eye_prescription(data())


def test_a_name_in_devanagari_prints_shaped_in_its_font() -> None:
    pdf = render_eye_prescription(data(patient_name="सुनीता शर्मा", notes="चश्मा हमेशा पहनें"))
    assert b"NotoSansDevanagari" in pdf
    text = all_text(pdf)
    assert "सुनीता" in text and "Patient:" in text
    # the name is drawn (ink where it stands), not left as empty boxes or question marks
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    left, bottom, right, top = boxes(page, "Patient:")[0]
    image = pdf_to_images(pdf, dpi=150)[0].convert("L")
    scale = 150 / 72
    height = image.height
    name_area = image.crop((int(right * scale), int(height - top * scale), int((right + 60) * scale),
                            int(height - bottom * scale)))  # fmt: skip
    assert name_area.getextrema()[0] < 80
    assert "?" not in text


def test_long_notes_continue_and_the_signature_is_never_cut() -> None:
    notes = "\n".join(f"Line {n}: use the reading glasses for close work and review if headaches persist."
                      for n in range(40))  # fmt: skip
    pdf = render_eye_prescription(data(notes=notes, orientation="landscape"))
    doc = pdfium.PdfDocument(pdf)
    assert len(doc) > 1
    assert "R (OD)" in doc[0].get_textpage().get_text_range()
    last = doc[len(doc) - 1].get_textpage().get_text_range()
    assert "Line 39" in all_text(pdf)
    for n in range(len(doc)):
        assert f"ORX-2026-000042 | Sunita Sharma | page {n + 1} of {len(doc)}" in doc[n].get_textpage().get_text_range()
    assert "page 1 of" not in all_text(render_eye_prescription(data()))
    assert "Signature" in last and "Dr Meera Iyer" in last and "Reg. No. KMC-48211" in last


def test_orientation_is_portrait_or_landscape() -> None:
    with pytest.raises(ValueError, match="portrait or landscape"):
        render_eye_prescription(data(orientation="sideways"))


def logo_png() -> bytes:
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 196, 196), fill=(0, 90, 110, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_the_printout_of_a_saved_prescription(system_ctx: Context, make_user) -> None:  # type: ignore[no-untyped-def]
    clinic = Clinic(system_ctx, make_user)
    set_logo(clinic.system, logo_png())
    sunita = patient(clinic.system, "सुनीता शर्मा", "9845033333", born=date(1985, 6, 1))
    saved = eyerx.save_eye_prescription(
        clinic.meera,
        EyeRxInput(
            patient_id=sunita.id,
            right=EyeInput(sphere="-2.25", cylinder="-0.5", axis="180", add="2", prism="1.5", prism_base="BI",
                           distance_va="6/9", near_va="N6"),
            left=EyeInput(sphere="pl", add="2", distance_va="6/6", near_va="N8"),
            pd="62.5", lens_recommendation="Bifocal (kryptok), hard coat", notes="Review in one year.",
        ),
    )  # fmt: skip
    pdf = eyerx.eye_prescription_pdf(clinic.ravi, saved.id)
    right = EyeRxRow(label="R (OD)", sphere="-2.25", cylinder="-0.50", axis="180", prism="1.50 BI", add="+2.00",
                     distance_va="6/9", near_va="N6")  # fmt: skip
    left = EyeRxRow(label="L (OS)", sphere="PLANO", cylinder="DS", axis="", prism="", add="+2.00", distance_va="6/6",
                    near_va="N8")  # fmt: skip
    assert table_cells(pdf) == expected_cells(right, left)
    text = all_text(pdf)
    for expected in ("Sunrise Clinic", "Bengaluru", saved.code, "Date: 30 Nov 2026", f"Patient ID: {sunita.code}",
                     "Age/Sex: 41 Y / F", "PD: 62.5 mm", "Lens recommendation: Bifocal (kryptok), hard coat",
                     "Valid until: 30 Nov 2027", "Dr Meera Iyer", "MBBS, MD",
                     "Reg. No. KMC-48211 (Karnataka Medical Council)", "सुनीता"):  # fmt: skip
        assert expected in text, expected
    assert b"NotoSansDevanagari" in pdf and b"/Subtype /Image" in pdf  # the name's font and the logo
    with clinic.system.transaction(readonly=True) as tx:
        printed = tx.session.scalars(
            select(AuditLog).where(AuditLog.action == "print", AuditLog.entity_id == str(saved.id))
        ).one()
    assert printed.detail == f"Eye prescription {saved.code} (portrait)" and printed.patient_id == sunita.id
    wide = eyerx.eye_prescription_pdf(clinic.meera, saved.id, orientation="landscape")
    assert pdfium.PdfDocument(wide)[0].get_size() == pytest.approx(A5_PT[::-1], abs=0.5)
    with pytest.raises(ValidationError) as err:
        eyerx.eye_prescription_pdf(clinic.meera, saved.id, orientation="sideways")
    assert err.value.field == "orientation"
    with pytest.raises(NotFound):
        eyerx.eye_prescription_pdf(clinic.meera, sunita.id)
    with pytest.raises(PermissionDenied):
        eyerx.eye_prescription_pdf(clinic.system.as_actor(actor_with_role("Receptionist")), saved.id)


def test_a_refraction_by_optical_staff_prints_their_name_without_registration(
    system_ctx: Context,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    clinic = Clinic(system_ctx, make_user)
    saved = eyerx.save_eye_prescription(
        clinic.ravi, EyeRxInput(patient_id=clinic.patient.id, right=EyeInput(sphere="+1.00"), pd="64")
    )
    pdf = eyerx.eye_prescription_pdf(clinic.ravi, saved.id)
    cells = table_cells(pdf)
    assert cells[("R (OD)", "SPH")] == "+1.00" and cells[("R (OD)", "CYL")] == "DS"
    assert all(cells[("L (OS)", name)] == "\u2014" for name in COLUMNS)
    text = all_text(pdf)
    assert "Ravi Kumar" in text and "Reg. No." not in text and "PD: 64.0 mm" in text

"""Importing an item master: a real .xlsx (openpyxl) and a UTF-8 CSV with a byte-order mark; a report of every row
(added with its code, skipped as already in the catalogue, refused with the reason); a refused row writes nothing
and the good rows land; whole files refused with a sentence; who may import."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from db.models.audit import AuditLog
from db.models.hospital import IdSequence
from db.models.pharmacy import Medicine
from hms_desktop.clinical_demo import DEMO_MEDICINES
from hms_desktop.context import Context
from hms_desktop.errors import Conflict, PermissionDenied, ValidationError
from hms_desktop.services.admin.audit_trail import verify_audit
from hms_desktop.services.pharmacy import catalog_import
from hms_desktop.services.pharmacy.catalog_import import MAX_ROWS, ImportReport, import_medicines
from hms_desktop.services.pharmacy.catalog_rules import gs1_check_digit
from hms_desktop.services.pharmacy.stock_views import find_medicines
from tests.pharmacy_fixtures import PharmacyDay, pharmacy_day

FIRST_NEW = len(DEMO_MEDICINES) + 1


@pytest.fixture
def pd(system_ctx: Context, make_user) -> PharmacyDay:  # type: ignore[no-untyped-def]
    return pharmacy_day(system_ctx, make_user)


def ean(body: str) -> str:
    return body + gs1_check_digit(body)


def code(n: int) -> str:
    return f"MED-{n:05d}"


def counts(ctx: Context) -> tuple[int, int, int]:
    """(medicines, audit rows about medicines, numbers taken from code series)."""
    with ctx.transaction(readonly=True) as tx:
        meds = tx.session.scalar(select(func.count()).select_from(Medicine))
        audits = tx.session.scalar(select(func.count()).where(AuditLog.entity_type == "medicines"))
        numbers = tx.session.scalar(select(func.coalesce(func.sum(IdSequence.next_value), 0)))
        return int(meds or 0), int(audits or 0), int(numbers or 0)


def outcomes(report: ImportReport) -> list[tuple[int, str, str | None]]:
    return [(r.row, r.outcome, r.code) for r in report.rows]


def medicine(ctx: Context, name: str) -> Medicine:
    with ctx.transaction(readonly=True) as tx:
        return tx.session.scalars(select(Medicine).where(Medicine.name == name)).one()


def test_an_excel_item_master_is_imported_row_by_row(pd: PharmacyDay, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Brand", "Generic Name", "strength", "FORM", "Unit", "Pack Size", "Manufacturer", "HSN_code",
                  "GST Rate", "Schedule", "Reorder-Level", "Barcode", "Category", "MRP", "Shelf note"])  # fmt: skip
    sheet.append(["Zifi 200", "Cefixime", "200 mg", "Tab", "tablet", 10, "FDC", 3004, 5, "H1", 20,
                  int(ean("890123450101")), "Antibiotic", 109.5, "top shelf"])  # fmt: skip
    sheet.append(["Cremaffin Plus", "Liquid paraffin + Milk of magnesia", "", "syrup", "bottle", 1, "Abbott",
                  "30049099", 12, None, None, None, "Laxative", "245", None])  # fmt: skip
    sheet.append([None] * 15)  # a blank row is passed over
    sheet.append(["Dolo 650", "Paracetamol", "650 mg", "tablet", "tablet", 15, "Micro Labs", "3004", "5", "", 0,
                  None, "", 33.6, None])  # fmt: skip
    sheet.append(["Neosporin Ointment", "Neomycin + Polymyxin B + Bacitracin", "", "ointment", "tube", 1, "GSK", "3004",
                  "2.5", "none", 5, None, "Antiseptic", 0, None])  # fmt: skip
    path = tmp_path / "item master.xlsx"
    book.save(path)
    before = counts(pd.system)
    report = import_medicines(pd.manager, path.name, path.read_bytes())
    assert outcomes(report) == [(2, "added", code(FIRST_NEW)), (3, "added", code(FIRST_NEW + 1)),
                                (5, "skipped", "MED-00001"), (6, "added", code(FIRST_NEW + 2))]  # fmt: skip
    assert (report.added, report.skipped, report.refused, report.ignored_columns) == (3, 1, 0, ("Shelf note",))
    assert report.rows[2].reason == "already in the catalogue as MED-00001 (Dolo 650 650 mg tablet, the same medicine)"
    assert counts(pd.system) == (before[0] + 3, before[1] + 3, before[2] + 3)
    zifi = medicine(pd.system, "Zifi 200")
    assert (zifi.form, zifi.unit, zifi.pack_size, zifi.hsn_code, zifi.gst_rate_basis_points) == (
        "tablet", "tablet", 10, "3004", 500)  # fmt: skip
    assert (zifi.schedule, zifi.is_schedule_h, zifi.reorder_level, zifi.mrp_paise, zifi.barcode) == (
        "H1", True, 20, 10_950, ean("890123450101"))  # fmt: skip
    cremaffin = medicine(pd.system, "Cremaffin Plus")
    assert (cremaffin.schedule, cremaffin.hsn_code, cremaffin.gst_rate_basis_points, cremaffin.mrp_paise) == (
        "none", "30049099", 1200, 24_500)  # fmt: skip
    assert medicine(pd.system, "Neosporin Ointment").gst_rate_basis_points == 250
    assert [h.name for h in find_medicines(pd.pharmacist, "zifi")] == ["Zifi 200"]  # the search sees them at once
    again = import_medicines(pd.manager, path.name, path.read_bytes())
    assert [r.outcome for r in again.rows] == ["skipped"] * 4 and counts(pd.system)[0] == before[0] + 3


CSV = f"""\ufeffName,generic_name,Strength,Form,Unit,Pack size,HSN code,GST rate,Schedule,Barcode,MRP
Sinarest,Paracetamol + Phenylephrine,500 mg,tablet,tablet,10,3004,5,,,52.00
Bad GST,Something,1 mg,tablet,tablet,10,3004,five,none,,
Bad Schedule,Something,1 mg,tablet,tablet,10,3004,5,OTC,,
Bad Barcode,Something,1 mg,tablet,tablet,10,3004,5,none,8901234501012,
,No brand,1 mg,tablet,tablet,10,3004,5,none,,

"Sinarest",Paracetamol + Phenylephrine,500 MG,Tablet,tablet,10,3004,5,none,,
Zero Pack,Something,1 mg,tablet,tablet,0,3004,5,none,,
Same Barcode,Other,2 mg,capsule,capsule,10,3004,5,H,{ean("890123450201")},
"Cough syrup, sugar free",Dextromethorphan,10 mg/5 ml,syrup,bottle,1,3004,12,H,{ean("890123450202")},"1,120.50"
Copy Barcode,Other,3 mg,capsule,capsule,10,3004,5,H,{ean("890123450201")},
Bad MRP,Something,1 mg,tablet,tablet,10,3004,5,none,,12.345
"""


def test_a_csv_with_bad_rows_names_each_and_writes_only_the_good_ones(pd: PharmacyDay) -> None:
    before = counts(pd.system)
    report = import_medicines(pd.pharmacist, "master.csv", CSV.encode("utf-8"))
    assert outcomes(report) == [
        (2, "added", code(FIRST_NEW)), (3, "refused", None), (4, "refused", None), (5, "refused", None),
        (6, "refused", None), (8, "refused", None), (9, "refused", None), (10, "added", code(FIRST_NEW + 1)),
        (11, "added", code(FIRST_NEW + 2)), (12, "refused", None), (13, "refused", None),
    ]  # fmt: skip
    reasons = {r.row: r.reason for r in report.rows}
    assert "five is not a rate" in reasons[3]
    assert "OTC is not a drug schedule" in reasons[4]
    assert "wrong check digit: it should end in 6, not 2" in reasons[5]
    assert reasons[6] == "The brand name is required."
    assert reasons[8] == "row 2 of this file has the same medicine (Sinarest 500 mg tablet)"
    assert "pack size" in reasons[9] and "1 to 10,000" in reasons[9]
    assert reasons[12] == "row 10 of this file has the same barcode (Same Barcode 2 mg capsule)"
    assert "at most 2 decimals" in reasons[13]
    assert (report.added, report.skipped, report.refused) == (3, 0, 8) and report.filename == "master.csv"
    # the refused rows wrote nothing: three medicines, three audit rows, three numbers taken
    assert counts(pd.system) == (before[0] + 3, before[1] + 3, before[2] + 3)
    syrup = medicine(pd.system, "Cough syrup, sugar free")
    assert (syrup.mrp_paise, syrup.gst_rate_basis_points, syrup.schedule) == (112_050, 1200, "H")
    assert medicine(pd.system, "Sinarest").schedule == "none"


def csv_of(*lines: str) -> bytes:
    return "\n".join(lines).encode("utf-8")


@pytest.mark.parametrize(
    ("filename", "content", "words"),
    [
        ("master.xls", b"\xd0\xcf\x11\xe0", "old Excel format"),
        ("master.txt", b"name\nDolo", "CSV (.csv) or Excel (.xlsx)"),
        ("master.xlsx", b"name,form\n", "not an Excel workbook"),
        ("master.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel workbook"),
        ("master.csv", "name\nDolo\u00e9".encode("latin-1"), "not UTF-8"),
        ("master.csv", b"", "empty"),
        ("master.csv", csv_of("generic_name,form", "Paracetamol,tablet"), "name (or brand) column"),
        ("master.csv", csv_of("name,Brand", "A,B"), "keep one of them"),
        ("master.csv", b"name\n" + b"x" * (5 * 1024 * 1024), "at most 5 MB"),
        ("master.csv", csv_of("name", *(f"M{i}" for i in range(MAX_ROWS + 1))), "more than 20,000"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_whole(pd: PharmacyDay, filename: str, content: bytes,
                                                         words: str) -> None:  # fmt: skip
    before = counts(pd.system)
    with pytest.raises(ValidationError) as err:
        import_medicines(pd.pharmacist, filename, content)
    assert err.value.field == "file" and words in err.value.message, err.value.message
    assert counts(pd.system) == before


def test_who_may_import(pd: PharmacyDay) -> None:
    content = csv_of("name,form,unit,hsn_code,gst_rate", "Sinarest,tablet,tablet,3004,5")
    before = counts(pd.system)
    for ctx in (pd.rx.day.receptionist_ctx, pd.rx.day.doctor_ctx):
        with pytest.raises(PermissionDenied):
            import_medicines(ctx, "m.csv", content)
    assert counts(pd.system)[0] == before[0]
    assert import_medicines(pd.manager, "m.csv", content).added == 1


def test_a_row_refused_inside_its_savepoint_leaves_no_trace(pd: PharmacyDay, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal that comes after the row was written (flushed, audited, numbered) rolls back that row only:
    the next row takes the number it gave back, and the audit chain still verifies."""
    real = catalog_import.add_medicine

    def late_refusal(tx, clean, **kw):  # type: ignore[no-untyped-def]
        made = real(tx, clean, **kw)
        if clean.name == "Refused Late":
            raise Conflict("Refused Late was refused after it was written.")
        return made

    monkeypatch.setattr(catalog_import, "add_medicine", late_refusal)
    content = csv_of("name,form,unit,hsn_code,gst_rate", "First,tablet,tablet,3004,5",
                     "Refused Late,tablet,tablet,3004,5", "Third,tablet,tablet,3004,5")  # fmt: skip
    before = counts(pd.system)
    report = import_medicines(pd.pharmacist, "m.csv", content)
    assert outcomes(report) == [(2, "added", code(FIRST_NEW)), (3, "refused", None), (4, "added", code(FIRST_NEW + 1))]
    assert report.rows[1].reason == "Refused Late was refused after it was written."
    assert counts(pd.system) == (before[0] + 2, before[1] + 2, before[2] + 2)
    assert verify_audit(pd.system).ok

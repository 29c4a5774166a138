"""Importing an item master (``pharmacy.catalog``): a CSV (UTF-8, with or without a byte-order mark) or an Excel
workbook (.xlsx, its first sheet, read with openpyxl in read-only mode, cell values not formulas), with a report
of every row: added (its new code), skipped (already in the catalogue) or refused (the reason).

- The first non-blank row names the columns, in any order and any case, spaces, dashes and underscores alike:
  name (or brand), generic_name, strength, form, unit, pack_size, manufacturer, hsn_code, gst_rate, schedule,
  reorder_level, barcode, category, mrp (rupees a pack). A name column is required; a column the import does
  not know is listed in the report and left out. Blank rows are passed over.
- Each row is checked by the catalogue's own rules (``catalog_rules.clean_medicine``; a blank pack size is 1,
  a blank unit of tablets or capsules is the form, a blank schedule is none, a blank reorder level or MRP is 0).
- A row naming a medicine already in the catalogue (same pack barcode, or same brand, strength and form) is
  skipped; the same medicine twice in the file is refused at its second row.
- All rows are written in one transaction, each inside its own savepoint (a nested ``ctx.transaction()``,
  which also restores the audit chain's and the outbox's bookkeeping when a row is rolled back), so a refused
  row writes nothing and every good row lands.
- Refused whole, with a sentence and nothing written: another file type, over 5 MB, over 20,000 rows, a file
  that does not read as CSV or .xlsx, no name column, or a column named twice.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError

from db.models.pharmacy import MEDICINE_UNITS
from hms_desktop.context import Context
from hms_desktop.errors import HmsError, ValidationError
from hms_desktop.money import clean_rupees
from hms_desktop.security.permissions import requires
from hms_desktop.services.pharmacy.catalog import KnownMedicines, add_medicine
from hms_desktop.services.pharmacy.catalog_rules import MedicineInput, clean_medicine
from hms_desktop.settings import clinic_settings

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 64
COLUMNS = {
    "name": "name", "brand": "name", "brand_name": "name", "generic_name": "generic_name", "generic": "generic_name",
    "strength": "strength", "form": "form", "unit": "unit", "pack_size": "pack_size", "manufacturer": "manufacturer",
    "hsn_code": "hsn_code", "hsn": "hsn_code", "gst_rate": "gst_rate", "gst": "gst_rate", "schedule": "schedule",
    "reorder_level": "reorder_level", "barcode": "barcode", "category": "category", "mrp": "mrp",
}  # fmt: skip
Cells = list[str]


@dataclass(frozen=True, kw_only=True)
class ImportRow:
    row: int  # as the spreadsheet numbers it (the header is usually row 1)
    outcome: str  # added, skipped, refused
    name: str  # the brand as given
    code: str | None  # the new code (added) or the one already there (skipped)
    reason: str  # why skipped or refused; "" when added


@dataclass(frozen=True, kw_only=True)
class ImportReport:
    filename: str
    rows: tuple[ImportRow, ...]
    ignored_columns: tuple[str, ...]  # as written in the header

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def refused(self) -> int:
        return self.count("refused")


def _refuse(message: str) -> ValidationError:
    return ValidationError("file", message)


def _text(value: Any) -> str:
    """A cell as text: numbers without a stray ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_rows(content: bytes) -> Iterator[tuple[int, Cells]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _refuse("The file is not UTF-8 text; in Excel, save it as \u201cCSV UTF-8\u201d and try again.") from None
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as e:
        raise _refuse(f"The CSV file cannot be read ({e}); check its quotes and save it again.") from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, Cells]]:
    from openpyxl import load_workbook  # a large import, needed only here

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise _refuse(f"The file is not a readable Excel workbook (.xlsx): {e}.") from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _refuse("The workbook has no sheet to read.")
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            yield number, [_text(v) for v in values]
    finally:
        book.close()


def _rows(filename: str, content: bytes) -> Iterator[tuple[int, Cells]]:
    name = filename.lower().strip()
    if name.endswith(".csv"):
        return _csv_rows(content)
    if name.endswith(".xlsx"):
        if not content.startswith(b"PK"):
            raise _refuse("The file is named .xlsx but is not an Excel workbook; save it again from Excel.")
        return _xlsx_rows(content)
    if name.endswith(".xls"):
        raise _refuse("That is the old Excel format (.xls); save the sheet as .xlsx or as CSV UTF-8.")
    raise _refuse("Choose a CSV (.csv) or Excel (.xlsx) file of the item master.")


def _header(cells: Cells) -> tuple[dict[int, str], tuple[str, ...]]:
    """Column position -> field, and the names of columns left out."""
    known: dict[int, str] = {}
    ignored: list[str] = []
    for at, raw in enumerate(cells):
        key = re.sub(r"[^a-z0-9]+", "_", raw.strip().lower()).strip("_")
        if not key:
            continue
        field = COLUMNS.get(key)
        if field is None:
            ignored.append(raw.strip())
        elif field in known.values():
            raise _refuse(f"The column {raw.strip()!r} is the same as another column ({field}); keep one of them.")
        else:
            known[at] = field
    if "name" not in known.values():
        raise _refuse("The first row must name the columns, with a name (or brand) column at least.")
    return known, tuple(ignored)


def _data_rows(
    filename: str, content: bytes
) -> tuple[dict[int, str], tuple[str, ...], list[tuple[int, dict[str, str]]]]:
    header: tuple[dict[int, str], tuple[str, ...]] | None = None
    out: list[tuple[int, dict[str, str]]] = []
    for number, raw in _rows(filename, content):
        cells = [c.strip() for c in raw]
        if not any(cells):
            continue
        if header is None:
            header = _header(cells)
            continue
        if len(out) >= MAX_ROWS:
            raise _refuse(f"The file has more than {MAX_ROWS:,} medicines; split it into smaller files.")
        out.append((number, {f: cells[at] if at < len(cells) else "" for at, f in header[0].items()}))
    if header is None:
        raise _refuse("The file is empty.")
    return header[0], header[1], out


def _input(values: dict[str, str]) -> MedicineInput:
    form = values.get("form", "")
    unit = values.get("unit", "") or (form.lower() if form.lower() in MEDICINE_UNITS else "")
    return MedicineInput(
        name=values.get("name", ""), generic_name=values.get("generic_name", ""),
        strength=values.get("strength", ""), form=form, unit=unit, pack_size=values.get("pack_size") or 1,
        manufacturer=values.get("manufacturer", ""), hsn_code=values.get("hsn_code", ""),
        gst_rate_percent=values.get("gst_rate", ""), schedule=values.get("schedule") or "none",
        reorder_level=values.get("reorder_level") or 0, barcode=values.get("barcode") or None,
        category=values.get("category", ""), mrp_paise=clean_rupees(values.get("mrp") or "0", "mrp"),
    )  # fmt: skip


@requires("pharmacy.catalog")
def import_medicines(ctx: Context, filename: str, content: bytes) -> ImportReport:
    """Add the item master's medicines that are not in the catalogue yet; a report of every row."""
    if not isinstance(content, bytes):
        raise _refuse("Choose a file to import.")
    if len(content) > MAX_BYTES:
        raise _refuse(f"The file is {len(content) / 2**20:.1f} MB; at most 5 MB can be imported at once.")
    _, ignored, rows = _data_rows(filename or "", content)
    report: list[ImportRow] = []
    with ctx.transaction() as tx:
        settings = clinic_settings(tx.session)
        known = KnownMedicines.load(tx.session)
        added_at: dict[object, int] = {}  # medicine id -> the row of this file that added it
        for number, values in rows:
            name = values.get("name", "")
            try:
                clean = clean_medicine(_input(values))
            except ValidationError as e:
                report.append(ImportRow(row=number, outcome="refused", name=name, code=None, reason=e.message))
                continue
            clash = known.clash(clean)
            if clash is not None:
                other, why = clash.other, "the same barcode" if clash.reason == "barcode" else "the same medicine"
                if other.id in added_at:
                    reason = f"row {added_at[other.id]} of this file has {why} ({other.label})"
                    report.append(ImportRow(row=number, outcome="refused", name=name, code=None, reason=reason))
                else:
                    reason = f"already in the catalogue as {other.code} ({other.label}, {why})"
                    report.append(ImportRow(row=number, outcome="skipped", name=name, code=other.code, reason=reason))
                continue
            try:
                with ctx.transaction() as row_tx:  # a savepoint: this row only
                    m = add_medicine(row_tx, clean, settings=settings)
                    row_tx.commit()
            except (HmsError, IntegrityError) as e:
                why = e.message if isinstance(e, HmsError) else "the store refused it (a duplicate or a bad value)"
                report.append(ImportRow(row=number, outcome="refused", name=name, code=None, reason=why))
                continue
            known.add(m.id, m.code, clean.key, clean.barcode, True, clean.name, clean.strength)
            added_at[m.id] = number
            report.append(ImportRow(row=number, outcome="added", name=clean.name, code=m.code, reason=""))
        tx.commit()
    return ImportReport(filename=filename, rows=tuple(report), ignored_columns=ignored)

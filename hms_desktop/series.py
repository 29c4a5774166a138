"""Code series: the registry of every human code the clinic issues, and taking the next number of one.

Each module's series is one entry of ``CATALOGUE`` (name, prefix and the settings that change it, padding,
yearly or financial-year reset, and the screen a scanned code opens). Everything else is generic:

- ``next_code(tx, PATIENTS.resolve(settings), today)`` takes the next number in the caller's transaction
  (BEGIN IMMEDIATE: two processes never get one number; a rolled-back action returns it: no gaps);
- once the store syncs, numbers of a ``blocks`` series come from blocks the server reserved for this PC
  (the block source that ``hms_desktop.hooks`` sets; sync tops up a block for every series listed here,
  with no edit to sync code), so two offline PCs never issue one code;
- a ``gst`` series (tax invoices, bills of supply, credit notes, receipt and refund vouchers) is numbered
  per workstation and financial year (``WS01/2627/000042``, at most 16 characters, gap-free), which no other
  PC can issue, online or not;
- ``pattern()`` is the regular expression that recognises any code the app issues (the barcode scanner).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert

from db.ids import uuid7
from db.models.hospital import IdSequence
from db.models.sync import Workstation
from hms_desktop.context import Transaction
from hms_desktop.errors import StoreError

GST_NUMBER_LENGTH = 16


@dataclass(frozen=True)
class Series:
    """A series as the clinic's settings make it today."""

    name: str  # "PAT", "APT", ...
    prefix: str
    padding: int
    reset: str  # "never", "yearly", "financial_year"
    fy_start_month: int = 4


@dataclass(frozen=True, kw_only=True)
class SeriesDef:
    """One registered series."""

    name: str
    title: str
    prefix: str
    padding: int
    reset: str = "yearly"
    kind: str = "blocks"  # "blocks": numbered from id_sequences (sync blocks once enrolled); "gst": per PC
    gst_letter: str = ""  # a gst series: the letter after the workstation code (C for credit notes)
    prefix_setting: str | None = None
    padding_setting: str | None = None
    reset_setting: str | None = None
    opens: str | None = None  # the screen a scanned code of this series opens ("patient", "invoice", ...)

    def resolve(self, settings: Mapping[str, Any]) -> Series:
        prefix = str(settings.get(self.prefix_setting, self.prefix)) if self.prefix_setting else self.prefix
        padding = int(str(settings.get(self.padding_setting, self.padding))) if self.padding_setting else self.padding
        reset = str(settings.get(self.reset_setting, self.reset)) if self.reset_setting else self.reset
        return Series(self.name, prefix, padding, reset, int(str(settings.get("fiscal_year_start_month", 4))))


def _def(**kw: Any) -> SeriesDef:
    return SeriesDef(**kw)


PATIENTS = _def(name="PAT", title="Patients", prefix="PAT", padding=5, prefix_setting="patient_prefix",
                padding_setting="patient_code_padding", reset_setting="patient_code_reset",
                opens="patient")  # fmt: skip
APPOINTMENTS = _def(name="APT", title="Appointments", prefix="APT", padding=6, prefix_setting="appointment_prefix",
                    opens="appointment")  # fmt: skip
PRESCRIPTIONS = _def(name="RX", title="Prescriptions", prefix="RX", padding=6, opens="prescription")
DISPENSINGS = _def(name="DSP", title="Dispensings", prefix="DSP", padding=6, opens="dispensing")
PHARMACY_RETURNS = _def(name="PRT", title="Pharmacy returns", prefix="PRT", padding=5, opens="pharmacy_return")
PURCHASE_ORDERS = _def(name="PO", title="Purchase orders", prefix="PO", padding=5, reset="financial_year",
                       opens="purchase_order")  # fmt: skip
GOODS_RECEIPTS = _def(name="GRN", title="Goods receipts", prefix="GRN", padding=5, reset="financial_year",
                      opens="goods_receipt")  # fmt: skip
OPTICAL_ORDERS = _def(name="OPT", title="Optical orders", prefix="OPT", padding=5, opens="optical_order")
REPAIRS = _def(name="RPR", title="Optical repairs", prefix="RPR", padding=5, opens="repair")
LAB_ORDERS = _def(name="LAB", title="Lab orders", prefix="LAB", padding=6, opens="lab_order")
OPTICAL_PRESCRIPTIONS = _def(name="ORX", title="Eye prescriptions", prefix="ORX", padding=6,
                             opens="optical_prescription")  # fmt: skip
STOCK_ADJUSTMENTS = _def(name="ADJ", title="Stock adjustments", prefix="ADJ", padding=5, reset="financial_year",
                         opens="stock_adjustment")  # fmt: skip
CYCLE_COUNTS = _def(name="CC", title="Cycle counts", prefix="CC", padding=5, reset="financial_year",
                    opens="cycle_count")  # fmt: skip
PRE_AUTHORIZATIONS = _def(name="PA", title="Pre-authorisations", prefix="PA", padding=5, reset="financial_year",
                          opens="pre_authorization")  # fmt: skip
CLAIMS = _def(name="CLM", title="Insurance claims", prefix="CLM", padding=5, reset="financial_year", opens="claim")
MEDICINES = _def(name="MED", title="Medicines", prefix="MED", padding=5, reset="never", opens="medicine")
OPTICAL_PRODUCTS = _def(name="OPP", title="Optical products", prefix="OPP", padding=5, reset="never",
                        opens="optical_product")  # fmt: skip
SUPPLIERS = _def(name="SUP", title="Suppliers", prefix="SUP", padding=5, reset="never", opens="supplier")
BATCHES = _def(name="BAT", title="Internal batch labels", prefix="BAT", padding=6, reset="never", opens="batch")
INVOICES = _def(name="INV", title="Tax invoices", prefix="", padding=0, reset="financial_year", kind="gst",
                opens="invoice")  # fmt: skip
BILLS_OF_SUPPLY = _def(name="BOS", title="Bills of supply", prefix="", padding=0, reset="financial_year",
                       kind="gst", gst_letter="B", opens="invoice")  # fmt: skip
CREDIT_NOTES = _def(name="CN", title="Credit notes", prefix="", padding=0, reset="financial_year", kind="gst",
                    gst_letter="C", opens="credit_note")  # fmt: skip
RECEIPTS = _def(name="RCT", title="Receipt vouchers", prefix="", padding=0, reset="financial_year", kind="gst",
                gst_letter="R", opens="receipt")  # fmt: skip
REFUNDS = _def(name="RFD", title="Refund vouchers", prefix="", padding=0, reset="financial_year", kind="gst",
               gst_letter="F", opens="refund")  # fmt: skip

CATALOGUE: dict[str, SeriesDef] = {
    d.name: d
    for d in (
        PATIENTS, APPOINTMENTS, PRESCRIPTIONS, DISPENSINGS, PHARMACY_RETURNS, PURCHASE_ORDERS, GOODS_RECEIPTS,
        OPTICAL_ORDERS, REPAIRS, OPTICAL_PRESCRIPTIONS, STOCK_ADJUSTMENTS, CYCLE_COUNTS, PRE_AUTHORIZATIONS,
        LAB_ORDERS, CLAIMS, MEDICINES, OPTICAL_PRODUCTS, SUPPLIERS, BATCHES, INVOICES, BILLS_OF_SUPPLY,
        CREDIT_NOTES, RECEIPTS, REFUNDS,
    )
}  # fmt: skip


def registered(kind: str | None = None) -> list[SeriesDef]:
    return [d for d in CATALOGUE.values() if kind is None or d.kind == kind]


def period_of(series: Series, on: date) -> str:
    if series.reset == "yearly":
        return str(on.year)
    if series.reset == "financial_year":
        start = on.year if on.month >= series.fy_start_month else on.year - 1
        return f"{start}-{(start + 1) % 100:02d}"
    return ""


def format_code(series: Series, period: str, number: int) -> str:
    parts = (
        [series.prefix, period, f"{number:0{series.padding}d}"]
        if period
        else [series.prefix, f"{number:0{series.padding}d}"]
    )
    return "-".join(parts)


def next_number(tx: Transaction, series: Series, on: date, scope: str = "") -> tuple[str, int]:
    """(period, number) taken from the series for the local date ``on``."""
    period = period_of(series, on)
    now = tx.ctx.clock.now()
    tx.session.execute(
        insert(IdSequence)
        .values(id=uuid7(), series=series.name, period=period, scope=scope, prefix=series.prefix,
                padding=series.padding, next_value=1, reset=series.reset, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["series", "period", "scope"])
    )  # fmt: skip
    number = tx.session.execute(
        update(IdSequence)
        .where(IdSequence.series == series.name, IdSequence.period == period, IdSequence.scope == scope)
        .values(next_value=IdSequence.next_value + 1, updated_at=now)
        .returning(IdSequence.next_value - 1)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return period, int(number)


# Once the store syncs: the next code from this PC's reserved blocks (None while it does not sync).
BlockSource = Callable[[Transaction, Series, date], str | None]
_block_source: list[BlockSource] = []


def set_block_source(source: BlockSource) -> None:
    _block_source[:] = [source]


def next_code(tx: Transaction, series: Series, on: date, scope: str = "") -> str:
    if not scope and _block_source:
        code = _block_source[0](tx, series, on)
        if code is not None:
            return code
    period, number = next_number(tx, series, on, scope)
    return format_code(series, period, number)


def fiscal_code(on: date, start_month: int) -> str:
    """``2627`` for the financial year 2026-27."""
    first = on.year if on.month >= start_month else on.year - 1
    return f"{first % 100:02d}{(first + 1) % 100:02d}"


def next_gst_number(tx: Transaction, defn: SeriesDef, on: date, settings: Mapping[str, Any]) -> str:
    """The next number of a ``gst`` series on this workstation for the financial year of ``on``.

    ``WS01/2627/000042`` (tax invoices), ``WS01C/2627/00042`` (credit notes): this PC's own series, at most
    16 characters, unique for the financial year, gap-free (taken in the caller's transaction).
    """
    if defn.kind != "gst":
        raise ValueError(f"{defn.name} is not a GST document series")
    start_month = int(str(settings.get("fiscal_year_start_month", 4)))
    short = local_short_code(tx)
    if not short:
        raise StoreError("This store has no workstation of its own; set it up (or enrol it) first.")
    prefix = short + defn.gst_letter
    fy = fiscal_code(on, start_month)
    width = GST_NUMBER_LENGTH - len(prefix) - len(fy) - 2
    if width < 4:
        raise StoreError(f"The workstation code {short} is too long for a 16-character GST number.")
    numbered = Series(defn.name, prefix, width, "financial_year", start_month)
    _, number = next_number(tx, numbered, on, scope=short)
    if number >= 10**width:
        raise StoreError(f"This workstation's {defn.title.lower()} series for {fy} is full; enrol the PC again.")
    return f"{prefix}/{fy}/{number:0{width}d}"


def pattern(settings: Mapping[str, Any]) -> re.Pattern[str]:
    """Any code of a ``blocks`` series the app issues, with or without a period or a PC tag:
    ``PAT-00042``, ``PAT-2026-00042``, ``PAT-2026-27-00042``, ``PAT-2026-WS02-00001``. Group ``prefix``
    tells which series (``series_of``)."""
    prefixes = sorted({re.escape(d.resolve(settings).prefix) for d in registered("blocks")}, key=len, reverse=True)
    return re.compile(
        rf"^(?P<prefix>{'|'.join(prefixes)})(?:-\d{{4}}(?:-\d{{2}})?)?(?:-[A-Z]{{2}}\d{{2,4}})?-\d{{3,9}}$"
    )


def series_of(code: str, settings: Mapping[str, Any]) -> SeriesDef | None:
    match = pattern(settings).match(code.strip().upper())
    if match is None:
        return None
    by_prefix = {d.resolve(settings).prefix: d for d in registered("blocks")}
    return by_prefix.get(match.group("prefix"))


def workstation_letter(short_code: str | None) -> str:
    """The letter a PC puts before the short numbers it issues where a full code would be too long (queue
    tokens): none on the first PC (``WS01``, or a store that does not sync), ``B`` on WS02, ... ``Z`` on
    WS26, then ``BA``, ``BB``, ... Two PCs never share one, so their numbers never collide."""
    digits = "".join(ch for ch in (short_code or "") if ch.isdigit())
    n = int(digits) if digits else 1
    if n <= 1:
        return ""
    letters = ""
    n -= 1
    while n:
        n, r = divmod(n, 26)
        letters = chr(ord("A") + r) + letters
    return letters


def local_short_code(tx: Transaction) -> str | None:
    """This PC's workstation code (``WS01``), cached for the transaction."""
    info = tx.session.info
    if "hms_ws_short" not in info:
        info["hms_ws_short"] = tx.session.execute(
            select(Workstation.short_code).where(Workstation.is_local.is_(True))
        ).scalar()
    short = info["hms_ws_short"]
    return str(short) if short else None


def local_workstation_letter(tx: Transaction) -> str:
    """This PC's letter (see ``workstation_letter``)."""
    return workstation_letter(local_short_code(tx))

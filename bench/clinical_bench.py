"""The doctor's screen on a big encrypted store, through the service layer, as a signed-in doctor (issue 12).

    .venv/bin/python bench/clinical_bench.py [patients] [prescriptions]    # default 1,000,000 and 3,000,000

The store comes from ``bench.make_clinical`` (built once, cached). Timed, median and p95:
- opening a patient: ``patient_header`` + ``patient_history`` (20 visits) of the 20 patients with exactly 20
  earlier visits, 10 rounds (the first round, each patient's first open, is also shown alone);
- saving a 5-line prescription (catalogue medicines) into one of today's 200 open consultations, with its
  version and audit rows (checked after the run, not timed);
- medicine search as the doctor types (1 to 5 letters of a brand or generic name, and "brand strength");
- ICD-10 search as typed (code prefixes and title words);
- the Rx PDF (A5) of today's and of past prescriptions.
The first call of each search and of the PDF (index or font loading) is reported on its own line.
Every statement of one call of each operation is run through EXPLAIN QUERY PLAN; a plan that scans a table
(not an index) is printed and written to the README. Figures are written to bench/README.md (section
``clinical``); nothing here asserts a timing.
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from bench import make_clinical  # noqa: E402
from bench.common import machine, summary, timed, write_section  # noqa: E402
from bench.make_store import PASSPHRASE  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop.clock import FixedClock  # noqa: E402
from hms_desktop.context import Context  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.services.admin import auth  # noqa: E402
from hms_desktop.services.clinical.history import patient_header, patient_history  # noqa: E402
from hms_desktop.services.clinical.icd10 import search_icd10  # noqa: E402
from hms_desktop.services.clinical.medicine_search import search_medicines  # noqa: E402
from hms_desktop.services.clinical.prescription_input import PrescriptionInput, PrescriptionItemInput  # noqa: E402
from hms_desktop.services.clinical.prescriptions import prescription_pdf, save_prescription  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402

ROUNDS = 10
SEARCHES = 300
PDFS = 50
DOCTOR = ("dr@bench.example.in", "Copper-Kettle-Song-26")
ICD10_TYPED = (
    "j0", "j06", "j06.9", "i10", "e11", "e119", "k2", "k21.9", "m54", "r50", "a09", "n39",
    "fever", "upper resp", "diab", "diabetes mell", "hypert", "essential hyp", "gastro", "low back",
    "urinary tract", "asthma", "conjunct", "constip", "hypothyr", "pharyngitis", "bronch", "derma", "osteoarth",
)  # fmt: skip
RX_AUDIT = (
    "SELECT count(*) FROM audit_logs WHERE entity_type IN ('prescriptions', 'prescription_items',"
    " 'prescription_versions')"
)
BIG_TABLES = ("patients", "appointments", "consultations", "consultation_diagnoses", "prescriptions",
              "prescription_items", "prescription_versions", "medicines", "audit_logs")  # fmt: skip


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


class Plans:
    """Records the statements one call runs, then their EXPLAIN QUERY PLAN on a separate connection."""

    def __init__(self, ctx: Context, db: Path) -> None:
        self.ctx, self.db = ctx, db
        self.found: dict[str, list[tuple[str, list[str]]]] = {}

    def check(self, name: str, fn: Callable[[], object]) -> None:
        seen: list[tuple[str, Any]] = []

        def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
            if not many and statement.lstrip().upper().startswith("SELECT"):
                seen.append((statement, params))

        event.listen(self.ctx.engine, "before_cursor_execute", note)
        try:
            fn()
        finally:
            event.remove(self.ctx.engine, "before_cursor_execute", note)
        conn = connect(self.db, StoreKey.from_passphrase(PASSPHRASE))
        try:
            for statement, params in seen:
                plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + statement, params or ())]
                scans = [p for p in plan if p.startswith("SCAN ") and "INDEX" not in p and p.split()[1] in BIG_TABLES]
                if scans:
                    self.found.setdefault(name, []).append((" ".join(statement.split())[:400], plan))
        finally:
            conn.close()


def main(patients: int, prescriptions: int) -> None:
    started = time.perf_counter()
    paths = make_clinical.build(patients, prescriptions)
    built_s = time.perf_counter() - started
    os.environ["HMS_PASSPHRASE"] = PASSPHRASE  # as make_store.open_bench does
    os.environ["HMS_KEYRING"] = "off"
    store = open_store(paths)
    base = replace(context_for(store), clock=FixedClock(datetime(2026, 11, 28, 5, tzinfo=UTC)))
    ctx = replace(base, actor=auth.login(base, *DOCTOR).actor)
    raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    counts = {
        t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
        for t in (
            "patients",
            "appointments",
            "prescriptions",
            "prescription_items",
            "prescription_versions",
            "medicines",
        )  # fmt: skip
    }
    timed_ids = [_uuid(p) for p in make_clinical.timed_patients(raw)]
    visits = [(_uuid(p), _uuid(a), _uuid(c)) for p, a, c in make_clinical.open_visits(raw)]
    catalogue = [(_uuid(i), n, g) for i, n, g in raw.execute("SELECT id, name, generic_name FROM medicines")]
    marks = ",".join("?" * len(timed_ids))
    found_rx = raw.execute(f"SELECT id FROM prescriptions WHERE patient_id IN ({marks})", [p.hex for p in timed_ids])
    past_rx = [_uuid(r[0]) for r in found_rx]
    audit_before = raw.execute("SELECT count(*) FROM audit_logs").fetchone()[0]
    rx_audit_before = raw.execute(RX_AUDIT).fetchone()[0]
    raw.close()
    rng = random.Random(12)
    plans = Plans(ctx, paths.store)
    results: dict[str, tuple[float, float, int]] = {}

    def add(name: str, samples: list[float]) -> None:
        results[name] = (*summary(samples), len(samples))

    # opening a patient
    depth = [len(patient_history(ctx, p, limit=20)) for p in timed_ids[:1]]
    opened: list[float] = []
    for _ in range(ROUNDS):
        for p in timed_ids:
            opened += timed(lambda p=p: (patient_header(ctx, p), patient_history(ctx, p, limit=20)), 1)  # type: ignore[misc]
    add("open a patient (header + 20 visits), first open of each", opened[: len(timed_ids)])
    add("open a patient (header + 20 visits), opens 2 to 10 of each", opened[len(timed_ids) :])
    add("open a patient (header + 20 visits)", opened)
    plans.check("open a patient", lambda: (patient_header(ctx, timed_ids[0]), patient_history(ctx, timed_ids[0])))
    # saving a prescription
    saved: list[uuid.UUID] = []
    it = iter(visits)

    def save() -> None:
        patient, appointment, consultation = next(it)
        doses = zip(rng.sample(catalogue, 5), ("1-0-1", "BD", "OD", "TDS", "0-0-1"), (5, 7, 3, 10, 30), strict=True)
        lines = [
            PrescriptionItemInput(medicine_id=m, dosage="1 tab", frequency=f, duration_days=d, food_timing="after_food")
            for (m, _, _), f, d in doses
        ]
        data = PrescriptionInput(
            patient_id=patient,
            appointment_id=appointment,
            consultation_id=consultation,
            items=lines,
            diagnosis="Acute upper respiratory infection",
            request_id=uuid.uuid4(),
        )
        saved.append(save_prescription(ctx, data).id)

    add("save a 5-line prescription (+ version, audit)", timed(save, len(visits) - 1))
    plans.check("save a prescription", save)
    # medicine search as typed
    first_search = timed(lambda: search_medicines(ctx, "par"), 1)
    typed: list[str] = []
    while len(typed) < SEARCHES:
        _, name, generic = rng.choice(catalogue)
        word = rng.choice((name, generic)).split()[0].lower()
        typed += [word[:k] for k in range(1, min(5, len(word)) + 1)]
        if len(name.split()) > 1:
            typed.append(f"{name.split()[0][:4]} {name.split()[1][:1]}")
    queries = iter(typed)
    add("medicine search, first call (index build)", first_search)
    add("medicine search as typed (20,000 medicines)", timed(lambda: search_medicines(ctx, next(queries)), SEARCHES))
    plans.check("medicine search", lambda: search_medicines(ctx, "amo"))
    # ICD-10 search
    first_icd = timed(lambda: search_icd10(ctx, "j06"), 1)
    icd_queries = iter(rng.choice(ICD10_TYPED) for _ in range(SEARCHES))
    add("ICD-10 search, first call (index build)", first_icd)
    add("ICD-10 search as typed", timed(lambda: search_icd10(ctx, next(icd_queries)), SEARCHES))
    # the PDF
    rx_ids = iter(rng.sample(saved, PDFS // 2) + rng.sample(past_rx, PDFS // 2) + saved[:1])
    add("prescription PDF (A5), first call (fonts)", timed(lambda: prescription_pdf(ctx, next(rx_ids)), 1))
    add("prescription PDF (A5)", timed(lambda: prescription_pdf(ctx, next(rx_ids)), PDFS - 1))
    plans.check("prescription PDF", lambda: prescription_pdf(ctx, saved[0]))
    store.close()
    raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    marks = ",".join("?" * len(saved))
    hex_ids = [s.hex for s in saved]
    versions = raw.execute(f"SELECT count(*) FROM prescription_versions WHERE prescription_id IN ({marks})", hex_ids)
    lines_saved = raw.execute(f"SELECT count(*) FROM prescription_items WHERE prescription_id IN ({marks})", hex_ids)
    audit = raw.execute(RX_AUDIT)
    check = (len(saved), versions.fetchone()[0], lines_saved.fetchone()[0], audit.fetchone()[0] - rx_audit_before)
    audit_after = raw.execute("SELECT count(*) FROM audit_logs").fetchone()[0]
    raw.close()
    report(counts, built_s, depth[0], check, audit_after - audit_before, results, plans.found)


TARGETS = {
    "open a patient (header + 20 visits)": 30,
    "save a 5-line prescription (+ version, audit)": 15,
    "medicine search as typed (20,000 medicines)": 10,
    "ICD-10 search as typed": 10,
    "prescription PDF (A5)": 150,
}


def report(
    counts: dict[str, int],
    built_s: float,
    depth: int,
    check: tuple[int, int, int, int],
    audit_rows: int,
    results: dict[str, tuple[float, float, int]],
    found: dict[str, list[tuple[str, list[str]]]],
) -> None:
    lines = [
        "## The doctor's screen at scale (issue 12)",
        "",
        f"`bench/clinical_bench.py {' '.join(sys.argv[1:])}` on an encrypted (SQLCipher, passphrase) store "
        f"built by `bench/make_clinical.py`: **{counts['patients']:,} patients, {counts['appointments']:,} "
        f"appointments, {counts['prescriptions']:,} prescriptions, {counts['prescription_items']:,} prescription "
        f"lines, {counts['prescription_versions']:,} versions, {counts['medicines']:,} medicines**. Calls go "
        f"through the service layer as the signed-in doctor (permission check, transaction, audit where the action "
        f"writes). Machine: {machine()}, shared with other test runs. Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| operation | calls | median (ms) | p95 (ms) | target (p95) | reached |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, (med, p95, n) in results.items():
        target = TARGETS.get(name)
        reached = "-" if target is None else ("yes" if p95 <= target else "**no**")
        lines.append(f"| {name} | {n} | {med:.2f} | {p95:.2f} | {f'<= {target} ms' if target else '-'} | {reached} |")
    saved, versions, item_rows, audit = check
    lines += [
        "",
        f"History depth of a timed patient: {depth} visits. After the saves: {saved} prescriptions, {versions} "
        f"versions, {item_rows} lines, {audit} audit rows of prescriptions, their "
        f"lines and versions ({audit_rows} audit rows written in all during the run).",
    ]
    if found:
        lines += ["", "Plans that scan a table (EXPLAIN QUERY PLAN of the statements one call runs):", ""]
        for name, items in found.items():
            for statement, plan in items:
                lines += [f"- {name}: `{statement}`", f"  plan: `{' / '.join(plan)}`"]
    else:
        lines += ["", "EXPLAIN QUERY PLAN of every statement one call of each operation runs: no table scan."]
    lines.append(f"\nBuild (or cache read) time of this run: {built_s:.0f} s.")
    body = "\n".join(lines)
    print(body)
    write_section("clinical", body)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    main(n, int(sys.argv[2]) if len(sys.argv) > 2 else 3 * n)

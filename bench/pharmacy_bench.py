"""The pharmacy and the stock room on a big encrypted store, through the service layer, as signed-in users (issue 13).

    .venv/bin/python bench/pharmacy_bench.py [movements]    # default 5,000,000

The store comes from ``bench.make_pharmacy`` (20,000 medicines, 200,000 batches, N stock movements; built once,
cached; a copy is used so the timed writes never change the cached store). Timed, median and p95:
- medicine search as the pharmacist types (``find_medicines``: 2 to 6 letters of a brand or generic, a code);
- dispensing 3 lines over the counter (FEFO plan, stock movements, charges, audit rows), a new patient each time;
- a 50-line goods receipt (50 new batches and their receipt movements) by the inventory manager;
- the stock summary of all medicines (``stock_summary``);
- ``hms check`` of the whole store (integrity, foreign keys, every cached balance against the ledger, shortfalls).
The first call of the search (the word index is built) and of the summary is reported on its own. Figures are
written to bench/README.md (section ``pharmacy``); nothing here asserts a timing.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import make_pharmacy  # noqa: E402
from bench.common import machine, summary, timed, write_section  # noqa: E402
from bench.make_store import PASSPHRASE  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop.services.inventory.goods_receipts import GrnInput, GrnLine, receive_goods  # noqa: E402
from hms_desktop.services.pharmacy.dispensing import dispense  # noqa: E402
from hms_desktop.services.pharmacy.dispensing_views import DispenseInput, DispenseLine  # noqa: E402
from hms_desktop.services.pharmacy.stock_views import find_medicines, stock_summary  # noqa: E402
from hms_desktop.storage import store as store_ops  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402

SEARCH_RUNS = 200
DISPENSE_RUNS = 60
GRN_RUNS = 10
SUMMARY_RUNS = 10


def _copy(paths: StorePaths, into: Path) -> StorePaths:
    target = into / "store"
    shutil.copytree(paths.data_dir, target)
    return StorePaths(target)


def _queries(conn: Any, rng: random.Random) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM medicines ORDER BY random() LIMIT 400")]
    generics = [r[0] for r in conn.execute("SELECT DISTINCT generic_name FROM medicines")]
    codes = [r[0] for r in conn.execute("SELECT code FROM medicines ORDER BY random() LIMIT 20")]
    out = []
    for i in range(SEARCH_RUNS):
        if i % 10 == 9:
            out.append(rng.choice(codes))
            continue
        word = rng.choice(names if i % 2 else generics).split()[0]
        out.append(word[: rng.randint(2, min(6, max(2, len(word))))])
    return out


def _stocked(conn: Any, today: str) -> list[str]:
    """Unscheduled medicines with plenty of unexpired stock (over-the-counter lines)."""
    rows = conn.execute(
        "SELECT m.id FROM medicines m JOIN medicine_batches b ON b.medicine_id = m.id"
        " WHERE m.schedule = 'none' AND b.expiry_date >= ? AND b.deleted_at IS NULL"
        " GROUP BY m.id HAVING sum(b.quantity_on_hand) >= 200",
        (today,),
    )
    return [str(uuid.UUID(r[0])) for r in rows]


def run(movements: int) -> str:
    source = make_pharmacy.build(movements)
    rng = random.Random(7)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(dir=source.data_dir.parent) as tmp:
        paths = _copy(source, Path(tmp))
        raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
        staff = (make_pharmacy.PHARMACIST[0], make_pharmacy.MANAGER[0])
        raw.execute("UPDATE users SET must_change_password = 0 WHERE email IN (?, ?)", staff)  # they set their own
        raw.commit()
        queries = _queries(raw, rng)
        otc = _stocked(raw, make_pharmacy.TODAY.isoformat())
        patients = [str(uuid.UUID(r[0])) for r in raw.execute("SELECT id FROM patients LIMIT 200")]
        supplier = uuid.UUID(raw.execute("SELECT id FROM suppliers").fetchone()[0])
        grn_meds = [uuid.UUID(r[0]) for r in raw.execute("SELECT id FROM medicines ORDER BY random() LIMIT 600")]
        raw.close()
        import os

        os.environ["HMS_PASSPHRASE"] = PASSPHRASE
        store = open_store(paths)
        try:
            pharmacist = make_pharmacy.signed_in(store, make_pharmacy.PHARMACIST)
            manager = make_pharmacy.signed_in(store, make_pharmacy.MANAGER)
            t = time.perf_counter()
            first = find_medicines(pharmacist, queries[0])
            lines.append(f"- first medicine search (builds the word index): {(time.perf_counter() - t) * 1000:.0f} ms"
                         f" ({len(first)} hits)")  # fmt: skip
            it = iter(queries * 2)
            med, p95 = summary(timed(lambda: find_medicines(pharmacist, next(it)), SEARCH_RUNS))
            lines.append(f"- medicine search as typed ({SEARCH_RUNS} queries): median {med:.1f} ms, p95 {p95:.1f} ms")

            def one_sale() -> None:
                picked = rng.sample(otc, 3)
                data = DispenseInput(
                    patient_id=uuid.UUID(rng.choice(patients)),
                    lines=[DispenseLine(medicine_id=uuid.UUID(m), quantity=rng.randint(1, 20)) for m in picked],
                )
                dispense(pharmacist, data, request_id=uuid.uuid4())

            one_sale()  # warm
            med, p95 = summary(timed(one_sale, DISPENSE_RUNS))
            lines.append(f"- dispense 3 lines over the counter (FEFO, ledger, charges, audit; {DISPENSE_RUNS} sales):"
                         f" median {med:.1f} ms, p95 {p95:.1f} ms")  # fmt: skip
            bills = iter(range(1, GRN_RUNS + 2))

            def one_grn() -> None:
                n = next(bills)
                meds = grn_meds[(n - 1) * 50 : n * 50]
                grn_lines = tuple(
                    GrnLine(medicine_id=m, batch_number=f"GRN{n:03d}-{i:02d}", expiry_date=date(2028, 6, 30),
                            received_packs=10, accepted_packs=10, free_packs=0, unit_cost_paise=5_000,
                            mrp_paise=8_000)
                    for i, m in enumerate(meds)
                )  # fmt: skip
                data = GrnInput(supplier_id=supplier, supplier_invoice_number=f"BILL-{n:04d}",
                                received_date=make_pharmacy.TODAY, lines=grn_lines)  # fmt: skip
                receive_goods(manager, data, request_id=uuid.uuid4())

            one_grn()  # warm
            med, p95 = summary(timed(one_grn, GRN_RUNS))
            lines.append(f"- goods receipt of 50 lines (50 batches, 50 movements; {GRN_RUNS} receipts):"
                         f" median {med:.0f} ms, p95 {p95:.0f} ms")  # fmt: skip
            t = time.perf_counter()
            rows = stock_summary(pharmacist)
            lines.append(f"- first stock summary of all medicines: {(time.perf_counter() - t) * 1000:.0f} ms"
                         f" ({len(rows):,} medicines)")  # fmt: skip
            med, p95 = summary(timed(lambda: stock_summary(pharmacist), SUMMARY_RUNS))
            lines.append(f"- stock summary of all medicines ({SUMMARY_RUNS} runs): median {med:.0f} ms,"
                         f" p95 {p95:.0f} ms")  # fmt: skip
            t = time.perf_counter()
            results = store_ops.check(store)
            took = time.perf_counter() - t
            verdict = (
                "all OK"
                if all(r.ok for r in results)
                else "FAILED: " + "; ".join(f"{r.name}: {r.detail}" for r in results if not r.ok)
            )
            lines.append(f"- `hms check` of the whole store ({movements:,} movements): {took:.1f} s, {verdict}")
        finally:
            store.close()
    head = [
        "## The pharmacy and stock room at scale (issue 13)",
        "",
        f"`bench/pharmacy_bench.py` on {machine()}: an encrypted store of 20,000 medicines, 200,000 batches and "
        f"{movements:,} stock movements (`bench/make_pharmacy.py`), services called as a signed-in pharmacist and "
        "inventory manager. Shared, noisy machine: read the ratios, not the last millisecond.",
        "",
    ]
    return "\n".join(head + lines)


if __name__ == "__main__":
    body = run(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000)
    print(body)
    write_section("pharmacy", body)

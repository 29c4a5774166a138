"""Build (once) an encrypted store with a pharmacy's stock for the pharmacy benchmark: bench/data/pharmacy-<movements>/
(git-ignored).

    .venv/bin/python bench/make_pharmacy.py [movements]    # default 5,000,000

On top of ``bench.make_store`` (clinic, users, 10,000 patients; its ``build`` is pointed at this store's
directory, as ``make_clinical`` does) it adds, in bulk with plain SQL (executemany, outside the service layer):

- 20,000 medicines (``make_clinical.medicines``: the demo generics under many brands and strengths), pack sizes
  from the demo, HSN 3004 at 5%, a reorder level on one in four;
- 200,000 batches, 10 per medicine, expiring from two years ago to three years ahead (so expired, near-expiry
  and good stock are all there), MRP and cost per pack, one supplier;
- 5,000,000 stock movements over five years in time order: each batch's ``receipt`` first, then dispensings
  (-1 to -30 units), patient returns, adjustments and counts, never taking a batch below zero; each batch's
  cached ``quantity_on_hand`` is its ledger's sum (what ``hms_desktop.stock`` keeps);
- a pharmacist ("pharm@bench.example.in") and an inventory manager ("stock@bench.example.in") for the timed
  service calls, and a supplier; the MED, SUP and GRN series moved past the bulk codes.

The store is built in ``<dir>.partial`` and renamed when complete.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import make_clinical, make_store  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop.clinical_demo import GST_MEDICINES_BASIS_POINTS, HSN_MEDICINES  # noqa: E402
from hms_desktop.context import Actor  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.services.admin.users import UserInput, create_user  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402

PATIENTS = 10_000
BATCHES_PER_MEDICINE = 10
TODAY = date(2026, 11, 28)
FIRST_DAY = date(2021, 12, 1)
SEED = 20261202
PHARMACIST = ("pharm@bench.example.in", "Bench Pharmacist", "Amber-Bottle-Shelf-26")
MANAGER = ("stock@bench.example.in", "Bench Stock Manager", "Cedar-Ledger-Count-26")


def data_dir(movements: int) -> Path:
    return ROOT / "bench" / "data" / f"pharmacy-{movements}"


def build(movements: int = 5_000_000) -> StorePaths:
    final = data_dir(movements)
    if StorePaths(final).exists():
        return StorePaths(final)
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    make_store.data_dir = lambda n: partial  # type: ignore[assignment]
    make_store.build(PATIENTS)
    _staff(StorePaths(partial))
    fill(StorePaths(partial), movements, started)
    partial.rename(final)
    print(f"built the pharmacy store ({movements:,} movements) in {time.perf_counter() - started:.0f} s")
    return StorePaths(final)


def _staff(paths: StorePaths) -> None:
    os.environ["HMS_PASSPHRASE"] = make_store.PASSPHRASE
    store = open_store(paths)
    try:
        ctx = context_for(store, Actor.system("bench"))
        for (email, name, password), role in ((PHARMACIST, "Pharmacist"), (MANAGER, "Inventory Manager")):
            create_user(ctx, UserInput(email, name, password, [role]))
    finally:
        store.close()


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(paths: StorePaths, movements: int, started: float) -> None:
    rng = random.Random(SEED)
    ids = make_clinical.Ids(rng)
    conn = connect(paths.store, StoreKey.from_passphrase(make_store.PASSPHRASE))
    conn.execute("PRAGMA foreign_keys = OFF")  # every reference is made here, to rows made here
    conn.execute("PRAGMA synchronous = OFF")  # a crashed build is rebuilt
    conn.execute("PRAGMA cache_size = -2000000")
    now = datetime(2026, 11, 28, tzinfo=UTC)
    stamp = _ts(now)
    conn.execute("BEGIN")
    supplier = uuid.uuid4().hex
    conn.execute(
        "INSERT INTO suppliers (id, code, name, contact_name, phone, email, address, gstin, state_code,"
        " payment_terms_days, drug_licence_number, is_active, created_at, updated_at)"
        " VALUES (?, 'SUP-00001', 'Bench Pharma Distributors', '', '', '', 'Bengaluru', NULL, NULL, 30, '', 1, ?, ?)",
        (supplier, stamp, stamp),
    )
    meds: list[tuple[str, int]] = []
    rows: list[tuple[Any, ...]] = []
    for i, m in enumerate(make_clinical.medicines(rng)):
        mid = ids.at(now)
        reorder = rng.choice((0, 0, 0, 50))
        rows.append(
            (mid, f"MED-{i + 1:05d}", m["name"], m["generic_name"], m["category"], m["form"], m["strength"],
             m["manufacturer"], HSN_MEDICINES, GST_MEDICINES_BASIS_POINTS, m["mrp_paise"], m["unit"],
             int(m["is_schedule_h"]), m["schedule"], m["pack_size"], reorder, stamp, stamp)
        )  # fmt: skip
        meds.append((mid, int(m["mrp_paise"])))
    conn.executemany(
        "INSERT INTO medicines (id, code, name, generic_name, category, form, strength, manufacturer, hsn_code,"
        " gst_rate_basis_points, mrp_paise, unit, is_schedule_h, schedule, pack_size, reorder_level, created_at,"
        " updated_at, is_active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        rows,
    )
    print(f"medicines done in {time.perf_counter() - started:.0f} s", flush=True)
    batches: list[list[Any]] = []  # [id, medicine id, on hand]
    brows: list[tuple[Any, ...]] = []
    span = (TODAY - FIRST_DAY).days
    for mid, mrp in meds:
        for b in range(BATCHES_PER_MEDICINE):
            received = FIRST_DAY + timedelta(days=int(span * b / BATCHES_PER_MEDICINE))
            expiry = received + timedelta(days=rng.randrange(540, 1500))
            bid = ids.at(datetime.combine(received, datetime.min.time(), UTC))
            brows.append(
                (bid, mid, f"B{b:02d}{rng.randrange(10**6):06d}", expiry.isoformat(), 0, int(mrp * 0.7), mrp, mrp,
                 supplier, _ts(datetime.combine(received, datetime.min.time(), UTC)), stamp, stamp)
            )  # fmt: skip
            batches.append([bid, mid, 0])
    conn.executemany(
        "INSERT INTO medicine_batches (id, medicine_id, batch_number, expiry_date, quantity_on_hand,"
        " cost_price_paise, mrp_paise, sale_price_paise, supplier_id, received_at, created_at, updated_at, location)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
        brows,
    )
    print(f"batches done in {time.perf_counter() - started:.0f} s", flush=True)
    _movements(conn, rng, ids, batches, movements, started)
    conn.executemany("UPDATE medicine_batches SET quantity_on_hand = ? WHERE id = ?", [(b[2], b[0]) for b in batches])
    conn.executemany(
        "INSERT INTO id_sequences (id, series, period, scope, prefix, padding, next_value, reset, created_at,"
        " updated_at) VALUES (?, ?, '', '', ?, 5, ?, 'never', ?, ?)",
        [(uuid.uuid4().hex, "MED", "MED", len(meds) + 1, stamp, stamp), (uuid.uuid4().hex, "SUP", "SUP", 2, stamp,
                                                                          stamp)],
    )  # fmt: skip
    conn.execute("COMMIT")
    conn.execute("PRAGMA optimize")
    conn.close()


def _movements(conn: Any, rng: random.Random, ids: Any, batches: list[list[Any]], total: int, started: float) -> None:
    """Receipts first (one per batch), then dispensings and the odd return, adjustment and count, in time order."""
    sql = (
        "INSERT INTO stock_movements (id, item_kind, medicine_id, batch_id, optical_product_id, movement_type,"
        " quantity_delta, reference_type, reference_id, moved_at, workstation_id, note, created_at)"
        " VALUES (?, 'medicine', ?, ?, NULL, ?, ?, NULL, NULL, ?, NULL, '', ?)"
    )
    start = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)
    span = (TODAY - FIRST_DAY).days * 86_400
    out: list[tuple[Any, ...]] = []
    for b in batches:
        qty = rng.choice((100, 200, 300, 500, 1000))
        b[2] = qty
        out.append((ids.at(start), b[1], b[0], "receipt", qty, _ts(start), _ts(start)))
    conn.executemany(sql, out)
    out.clear()
    kinds = ("dispense",) * 90 + ("return",) * 4 + ("adjustment",) * 3 + ("cycle_count",) * 3
    for n in range(total - len(batches)):
        at = start + timedelta(seconds=int(span * n / total))
        b = batches[rng.randrange(len(batches))]
        kind = rng.choice(kinds)
        if kind == "dispense":
            delta = -min(b[2], rng.randint(1, 30))
            if delta == 0:
                kind, delta = "receipt", rng.choice((100, 200))
        elif kind == "return":
            delta = rng.randint(1, 5)
        else:
            delta = rng.choice((-1, 1, 2, -2)) if b[2] >= 2 else 1
        b[2] += delta
        out.append((ids.at(at), b[1], b[0], kind, delta, _ts(at), _ts(at)))
        if len(out) == 200_000:
            conn.executemany(sql, out)
            out.clear()
            print(f"  {n + len(batches):,} movements in {time.perf_counter() - started:.0f} s", flush=True)
    conn.executemany(sql, out)


def signed_in(store: Any, who: tuple[str, str, str]) -> Any:
    """A service context signed in as the bench user ``who`` (email, name, password), at 10:30 on TODAY."""
    from hms_desktop.clock import FixedClock
    from hms_desktop.services.admin import auth

    base = replace(context_for(store), clock=FixedClock(datetime(2026, 11, 28, 5, tzinfo=UTC)))
    return replace(base, actor=auth.login(base, who[0], who[2]).actor)


if __name__ == "__main__":
    build(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000_000)

"""Build (once) an encrypted store with an optical counter's three years for the optical benchmark:
bench/data/optical-<orders>/ (git-ignored).

    .venv/bin/python bench/make_optical.py [orders]    # default 200,000

On top of ``bench.make_store`` (clinic, users, 10,000 patients; its ``build`` is pointed at this store's
directory, as ``make_pharmacy`` does) it adds, in bulk with plain SQL (executemany, foreign keys off, one
transaction, outside the service layer):

- 2,000 optical products (OPP-00001...): 1,100 frames (brand, model, colour, rim, box A-B-DBL and temple, an
  EAN-13), 200 sunglasses (HSN 900410), 400 spectacle lenses made to order (single vision, bifocal, progressive,
  office; index 1.50 to 1.74; coatings; SPH/CYL/ADD range in minus cylinder), 150 contact lenses (BC, DIA,
  replacement, range) and 150 solutions, each category with its usual HSN code;
- the optical GST rules of ``demo_catalog.OPTICAL_TAXES`` (frames 9003, lenses 9001, corrective spectacles
  900490 at 5%; sunglasses 900410 and solutions 3307 at 18%), in force from 22 Sep 2025;
- 100,000 eye prescriptions (ORX-<year>-...) by the bench doctor over three years, each valid a year;
- N orders (OPT-<year>-...) over three years, each from a prescription, 3 lines: spectacles (a frame and a lens
  per eye, the lens makeable in that eye's power), contact lenses (one per eye and a solution) or sunglasses with
  a spare pair (sunglasses, a frame, a lens for both eyes); each with its status events (draft, confirmed, at
  the lab, back, a remake in 5%, ready, delivered; 4% cancelled on the way), the last days' orders still open at
  the step they have reached by the benchmark's clock (10:30 on 28 Nov 2026 at the clinic);
- the stock ledger of the stocked products: an opening receipt, a ``dispense`` per confirmed stocked line
  (reference ``optical_order_items``/the line), a ``return`` when a confirmed order is cancelled, a restock
  receipt whenever the shelf would run out; each cached ``stock_quantity`` is its ledger's sum;
- 30,000 repairs (RPR-<year>-...) with their estimates, approvals and status events;
- an optician ("optician@bench.example.in", Optical Staff) made through ``create_user``, who made the bulk
  orders and repairs; the OPP, ORX, OPT and RPR series moved past the bulk codes.
Not in the data: the orders' and repairs' charges and invoices, advances, audit rows of the bulk rows.

The store is built in ``<dir>.partial`` and renamed when complete.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import make_clinical, make_pharmacy, make_store  # noqa: E402
from bench.optical_products import makeable, products  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop import series  # noqa: E402
from hms_desktop.context import Actor  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.services.admin.users import UserInput, create_user  # noqa: E402
from hms_desktop.services.optical.demo_catalog import GST_2, OPTICAL_TAXES  # noqa: E402
from hms_desktop.services.optical.pricing import tax_inside  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402

PATIENTS = 10_000
PRESCRIPTIONS = 100_000
REPAIR_COUNT = 30_000
TODAY = make_pharmacy.TODAY  # 28 Nov 2026
FIRST_DAY = TODAY - timedelta(days=3 * 365)
FIRST_DAY_START = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)
NOW = datetime(2026, 11, 28, 5, tzinfo=UTC)  # make_pharmacy.signed_in's clock: 10:30 at the clinic
SEED = 20261203
OPTICIAN = ("optician@bench.example.in", "Bench Optician", "Silver-Frame-Fitting-26")
EYE_WORDS = {"right": ", right eye", "left": ", left eye", "both": ", both eyes", "none": ""}
LABS = ("Essilor Rx lab, Peenya", "Hoya lab, Bommasandra", "Zeiss Vision lab, Whitefield", "GKB Rx lab, Mysuru Road")
REPAIR_ITEMS = ("Own spectacles, black full-rim frame", "Rimless spectacles", "Titan frame bought here",
                "Sunglasses", "Child's TR90 frame", "Reading glasses")  # fmt: skip
FAULTS = ("Broken temple hinge", "Nose pads to replace", "Loose screws, frame to tighten", "Lens fell out, rim re-fit",
          "Bent frame to align", "Temple tip to replace")  # fmt: skip


Eyes = dict[str, tuple[int, int | None, int | None, int | None]]  # eye: (sphere, cylinder, axis, add)
Rx = tuple[str, str, datetime, Eyes]  # id, patient, examined at, eyes


def data_dir(orders: int) -> Path:
    return ROOT / "bench" / "data" / f"optical-{orders}"


def build(orders: int = 200_000) -> StorePaths:
    final = data_dir(orders)
    if StorePaths(final).exists():
        return StorePaths(final)
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    make_store.data_dir = lambda n: partial
    make_store.build(PATIENTS)
    _staff(StorePaths(partial))
    fill(StorePaths(partial), orders, started)
    partial.rename(final)
    print(f"built the optical store ({orders:,} orders) in {time.perf_counter() - started:.0f} s")
    return StorePaths(final)


def _staff(paths: StorePaths) -> None:
    os.environ["HMS_PASSPHRASE"] = make_store.PASSPHRASE
    store = open_store(paths)
    try:
        create_user(context_for(store, Actor.system("bench")), UserInput(*OPTICIAN, ["Optical Staff"]))
    finally:
        store.close()


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _open_hours(day: date, rng: random.Random) -> datetime:
    """A moment of ``day`` while the clinic is open (10:00 to 20:00 at the clinic, UTC+5:30)."""
    return datetime(day.year, day.month, day.day, 4, 30, tzinfo=UTC) + timedelta(seconds=rng.randrange(36_000))


class Sink:
    """Rows as dicts (one key set per table), written with executemany every 50,000 rows."""

    def __init__(self, conn: Any) -> None:
        self.conn, self.rows, self.counts = conn, dict[str, list[dict[str, Any]]](), Counter[str]()

    def add(self, table: str, **row: Any) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= 50_000:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.rows):
            rows = self.rows.pop(name, [])
            if rows:
                cols = list(rows[0])
                sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                self.conn.executemany(sql, [tuple(r[c] for c in cols) for r in rows])
                self.counts[name] += len(rows)


class Codes:
    """The bulk codes of a series, numbered per local year (or once, for a series that never resets)."""

    def __init__(self, defn: series.SeriesDef) -> None:
        self.series, self.used = defn.resolve({}), Counter[str]()

    def next(self, at: datetime | None = None) -> str:
        period = str((at + timedelta(hours=5, minutes=30)).year) if at is not None else ""
        self.used[period] += 1
        return series.format_code(self.series, period, self.used[period])


def fill(paths: StorePaths, orders: int, started: float) -> None:
    rng = random.Random(SEED)
    ids = make_clinical.Ids(rng)
    conn = connect(paths.store, StoreKey.from_passphrase(make_store.PASSPHRASE))
    conn.execute("PRAGMA foreign_keys = OFF")  # every reference is made here, to rows made here
    conn.execute("PRAGMA synchronous = OFF")  # a crashed build is rebuilt
    conn.execute("PRAGMA cache_size = -1000000")
    stamp = _ts(FIRST_DAY_START)
    by = conn.execute("SELECT id FROM users WHERE email = ?", (OPTICIAN[0],)).fetchone()[0]
    doctor, doctor_user = conn.execute("SELECT id, user_id FROM doctors").fetchone()
    hospital = conn.execute("SELECT id FROM hospitals").fetchone()[0]
    patients = [r[0] for r in conn.execute("SELECT id FROM patients")]
    sink = Sink(conn)
    conn.execute("BEGIN")
    for name, hsn, rate in OPTICAL_TAXES:
        sink.add("tax_configurations", id=ids.at(NOW), hospital_id=hospital, name=name, kind="GST",
                 rate_basis_points=int(rate) * 100, hsn_sac_code=hsn, applies_to="optical", intra_state_split=1,
                 effective_from=GST_2.isoformat(), effective_to=None, is_active=1, created_at=stamp,
                 updated_at=stamp)  # fmt: skip
    catalogue = products(rng, ids, FIRST_DAY_START, stamp)
    codes = {"ORX": Codes(series.OPTICAL_PRESCRIPTIONS), "OPT": Codes(series.OPTICAL_ORDERS),
             "RPR": Codes(series.REPAIRS), "OPP": Codes(series.OPTICAL_PRODUCTS)}  # fmt: skip
    rxs = _prescriptions(sink, rng, ids, patients, (doctor, doctor_user), codes["ORX"])
    print(f"products and {len(rxs):,} eye prescriptions in {time.perf_counter() - started:.0f} s", flush=True)
    shelf = {p["id"]: 0 for ps in catalogue.values() for p in ps if p["is_stocked"]}
    for product_id in shelf:
        _stock(sink, ids, shelf, product_id, rng.choice((10, 20, 30)), "opening", FIRST_DAY_START, None, by)
    _orders(sink, rng, ids, catalogue, rxs, orders, by, shelf, codes["OPT"], started)
    for product_id, there in list(shelf.items()):
        if there < 5:  # the shelf is topped up before the benchmark's day
            _stock(sink, ids, shelf, product_id, 20, "receipt", NOW - timedelta(hours=20), None, by)
    for ps in catalogue.values():
        for p in ps:
            sink.add("optical_products", **p | {"sku": codes["OPP"].next(), "stock_quantity": shelf.get(p["id"], 0)})
    _repairs(sink, rng, ids, patients, by, codes["RPR"])
    sink.flush()
    for codes_of in codes.values():
        for period, used in codes_of.used.items():
            s = codes_of.series
            sink.add("id_sequences", id=ids.at(NOW), series=s.name, period=period, scope="", prefix=s.prefix,
                     padding=s.padding, next_value=used + 1, reset=s.reset, created_at=stamp,
                     updated_at=stamp)  # fmt: skip
    sink.flush()
    conn.execute("COMMIT")
    conn.execute("PRAGMA optimize")
    conn.close()
    print("  " + ", ".join(f"{t} {n:,}" for t, n in sink.counts.items()), flush=True)


def _prescriptions(sink: Sink, rng: random.Random, ids: Any, patients: list[str], doctor: tuple[str, str],
                   codes: Codes) -> list[Rx]:  # fmt: skip
    """(id, patient, examined at, {eye: (sphere, cylinder, axis, add)}), in time order; the last on yesterday."""
    out = []
    days = (TODAY - FIRST_DAY).days
    for j in range(PRESCRIPTIONS):
        at = _open_hours(FIRST_DAY + timedelta(days=j * days // PRESCRIPTIONS), rng)
        add = rng.randrange(75, 301, 25) if rng.random() < 0.45 else None
        row: dict[str, Any] = {}
        eyes: Eyes = {}
        sphere = max(-800, min(600, round(rng.gauss(-100, 225) / 25) * 25))
        for eye in ("right", "left"):
            s = max(-800, min(600, sphere + rng.choice((-50, -25, 0, 0, 25))))
            cyl = -25 * rng.randint(1, 8) if rng.random() < 0.45 else None
            axis = rng.randint(1, 180) if cyl else None
            eyes[eye] = (s, cyl, axis, add)
            row.update({f"{eye}_sphere": s, f"{eye}_cylinder": cyl, f"{eye}_axis": axis, f"{eye}_add_power": add,
                        f"{eye}_prism": None, f"{eye}_prism_base": None, f"{eye}_near_acuity": "N6" if add else None,
                        f"{eye}_visual_acuity": rng.choice(("6/6", "6/6", "6/9", "6/12")),
                        f"{eye}_pd_mm_tenths": rng.randrange(290, 336, 5)})  # fmt: skip
        rx_id, patient = ids.at(at), rng.choice(patients)
        sink.add("optical_prescriptions", id=rx_id, code=codes.next(at), patient_id=patient, doctor_id=doctor[0],
                 appointment_id=None, examined_at=_ts(at), **row,
                 pd_mm_tenths=row["right_pd_mm_tenths"] + row["left_pd_mm_tenths"],
                 lens_recommendation="Progressive" if add else "Single vision", notes="",
                 valid_until=(at.date() + timedelta(days=365)).isoformat(), external_prescriber="",
                 created_at=_ts(at), created_by_id=doctor[1], updated_at=_ts(at), updated_by_id=doctor[1])  # fmt: skip
        out.append((rx_id, patient, at, eyes))
    return out


def _stock(sink: Sink, ids: Any, shelf: dict[str, int], product_id: str, delta: int, kind: str, at: datetime,
           line_id: str | None, by: str) -> None:  # fmt: skip
    shelf[product_id] += delta
    sink.add("stock_movements", id=ids.at(at), item_kind="optical", medicine_id=None, batch_id=None,
             optical_product_id=product_id, movement_type=kind, quantity_delta=delta,
             reference_type="optical_order_items" if line_id else None, reference_id=line_id, moved_at=_ts(at),
             workstation_id=None, note="" if line_id else "Bench stock", created_at=_ts(at),
             created_by_id=by)  # fmt: skip


def _life(rng: random.Random, t: datetime, lab: str | None, job: str) -> list[tuple[str, datetime, str]]:
    """An order's steps (status, when, note) up to the benchmark's clock."""
    steps = [("draft", t, "Order taken.")]
    t += timedelta(minutes=rng.randint(3, 15)) if rng.random() < 0.9 else timedelta(days=1)
    steps.append(("confirmed", t, ""))
    if lab:
        t += timedelta(hours=rng.randint(2, 26))
        steps.append(("in_lab", t, f"To {lab}, job {job}."))
        t += timedelta(days=rng.randint(2, 5))
        steps.append(("received", t, ""))
        if rng.random() < 0.05:
            t += timedelta(minutes=10)
            steps.append(("in_lab", t, "Quality check failed; remake 1: Axis off by 5 degrees"))
            t += timedelta(days=rng.randint(2, 3))
            steps.append(("received", t, f"Remake 1 back from {lab}."))
        t += timedelta(minutes=rng.randint(5, 60))
        steps.append(("ready", t, "Quality check passed."))
        t += timedelta(days=min(30, int(rng.expovariate(1 / 3))), hours=rng.randint(0, 5))
    else:
        t += timedelta(minutes=1)
        steps.append(("ready", t, "Nothing for the lab: ready at the counter."))
        t += timedelta(minutes=2)
    steps.append(("delivered", t, ""))
    if rng.random() < 0.04:
        cut = rng.randint(1, len(steps) - 1)
        steps = [*steps[:cut], ("cancelled", steps[cut - 1][1] + timedelta(hours=1), "Patient changed their mind")]
    return [s for s in steps if s[1] <= NOW]


def _orders(sink: Sink, rng: random.Random, ids: Any, catalogue: dict[str, list[dict[str, Any]]], rxs: list[Any],
            total: int, by: str, shelf: dict[str, int], codes: Codes, started: float) -> None:  # fmt: skip
    lenses = {k: [p for p in catalogue["lens"] if p["lens_type"] == k] for k in ("single_vision", "progressive",
                                                                                 "bifocal", "office")}  # fmt: skip
    for n in range(total):
        rx_id, patient, examined, eyes = rxs[min(len(rxs) - 1, max(0, n * len(rxs) // total - rng.randrange(200)))]
        t0 = examined + timedelta(minutes=rng.randint(20, 90))
        kind = rng.choices(("spectacles", "contacts", "sunglasses"), (80, 14, 6))[0]
        add = eyes["right"][3]
        pool = lenses["single_vision"] if add is None else lenses[rng.choices(("progressive", "bifocal", "office"),
                                                                              (70, 20, 10))[0]]  # fmt: skip
        tries = [rng.choice(pool) for _ in range(20)]
        lens = next((p for p in (*tries, *pool) if makeable(p, eyes)), pool[0])
        frame = rng.choice(catalogue["frame"])
        if kind == "spectacles":
            lines = [(frame, "none", 1), (lens, "right", 1), (lens, "left", 1)]
        elif kind == "contacts":
            contact = rng.choice(catalogue["contact_lens"])
            lines = [(contact, "right", 1), (contact, "left", 1), (rng.choice(catalogue["solution"]), "none", 1)]
        else:
            lines = [(rng.choice(catalogue["sunglasses"]), "none", 1), (frame, "none", 1), (lens, "both", 2)]
        lab, job = rng.choice(LABS) if kind != "contacts" else None, f"J{rng.randrange(10**5):05d}"
        steps = _life(rng, t0, lab, job)
        order_id, done = ids.at(t0), {s for s, _, _ in steps}
        items = []
        for no, (p, eye, qty) in enumerate(lines, start=1):
            gross = p["mrp_paise"] * qty
            discount = (gross * rng.choice((5, 10)) // 10_000) * 100 if no == 1 and rng.random() < 0.15 else 0
            total_paise = gross - discount
            item = dict(id=ids.at(t0), order_id=order_id, product_id=p["id"], quantity=qty,
                        unit_price_paise=p["mrp_paise"], tax_basis_points=p["gst_rate_basis_points"],
                        tax_paise=tax_inside(total_paise, p["gst_rate_basis_points"]), line_total_paise=total_paise,
                        eye=eye, line_no=no, description=p["name"] + EYE_WORDS[eye],
                        customization=json.dumps({"coating": p["coatings"]} if p["category"] == "lens" else {}),
                        hsn_code=p["hsn_code"], discount_paise=discount, created_at=_ts(t0), created_by_id=by,
                        updated_at=_ts(t0), updated_by_id=by)  # fmt: skip
            items.append(item)
            sink.add("optical_order_items", **item)
        when = {s: at for s, at, _ in steps}
        for p, item in zip((x[0] for x in lines), items, strict=True):
            if p["is_stocked"] and "confirmed" in done:
                if shelf[p["id"]] < item["quantity"]:
                    _stock(sink, ids, shelf, p["id"], rng.choice((10, 20, 30)), "receipt",
                           when["confirmed"] - timedelta(hours=1), None, by)  # fmt: skip
                _stock(sink, ids, shelf, p["id"], -item["quantity"], "dispense", when["confirmed"], item["id"], by)
                if "cancelled" in done:
                    _stock(sink, ids, shelf, p["id"], item["quantity"], "return", when["cancelled"], item["id"], by)
        for i, (status, at, note) in enumerate(steps):
            sink.add("optical_status_events", id=ids.at(at), order_id=order_id, repair_id=None,
                     from_status=steps[i - 1][0] if i else None, to_status=status, note=note, happened_at=_ts(at),
                     by_id=by, created_at=_ts(at), created_by_id=by)  # fmt: skip
        back = when["received"] if "received" in when and when["received"] > when["in_lab"] else None
        moments = {s: _ts(at) for s, at in when.items()}
        subtotal = sum(i["unit_price_paise"] * i["quantity"] for i in items)
        discount = sum(i["discount_paise"] for i in items)
        fitting = rng.randrange(180, 261, 5) if lens["lens_type"] != "single_vision" and kind != "contacts" else None
        sink.add("optical_orders", id=order_id, code=codes.next(t0), patient_id=patient, optical_prescription_id=rx_id,
                 status=steps[-1][0], ordered_at=_ts(t0), delivered_at=moments.get("delivered"),
                 promised_date=(t0.date() + timedelta(days=7 if lab else 0)).isoformat(), subtotal_paise=subtotal,
                 tax_paise=sum(i["tax_paise"] for i in items),
                 discount_paise=discount, total_paise=subtotal - discount, advance_paise=0, invoice_id=None,
                 created_at=_ts(t0), created_by_id=by, updated_at=_ts(steps[-1][1]), updated_by_id=by,
                 right_pd_mm_tenths=rng.randrange(290, 336, 5) if lab else None,
                 left_pd_mm_tenths=rng.randrange(290, 336, 5) if lab else None,
                 right_fitting_height_mm_tenths=fitting, left_fitting_height_mm_tenths=fitting,
                 box_a_mm_tenths=frame["frame_a_mm"] * 10 if lab else None,
                 box_b_mm_tenths=frame["frame_b_mm"] * 10 if lab else None,
                 dbl_mm_tenths=frame["frame_dbl_mm"] * 10 if lab else None, lab_name=lab or "",
                 lab_reference=job if "in_lab" in done else "", confirmed_at=moments.get("confirmed"),
                 sent_to_lab_at=moments.get("in_lab"), received_at=_ts(back) if back else None,
                 ready_at=moments.get("ready"), remake_count=max(0, [s for s, _, _ in steps].count("in_lab") - 1),
                 notes="")  # fmt: skip
        if n % 50_000 == 49_999:
            print(f"  {n + 1:,} orders in {time.perf_counter() - started:.0f} s", flush=True)


def _repairs(sink: Sink, rng: random.Random, ids: Any, patients: list[str], by: str, codes: Codes) -> None:
    days = (TODAY - FIRST_DAY).days
    for n in range(REPAIR_COUNT):
        t = _open_hours(FIRST_DAY + timedelta(days=n * days // REPAIR_COUNT), rng)
        parts, labour = rng.choice((0, 0, 5_000, 15_000, 30_000)), rng.choice((5_000, 10_000, 20_000))
        steps, approved = [("received", t, "")], None
        if rng.random() < 0.95:
            approved = t + timedelta(minutes=5)
            t += timedelta(hours=rng.randint(1, 24))
            steps.append(("in_progress", t, ""))
            if parts and rng.random() < 0.2:
                t += timedelta(hours=2)
                steps.append(("waiting_for_parts", t, "A hinge is ordered."))
                t += timedelta(days=2)
                steps.append(("in_progress", t, ""))
            t += timedelta(days=rng.randint(1, 2))
            steps.append(("ready", t, "Ready to collect."))
            t += timedelta(days=rng.randint(0, 7))
            steps.append(("delivered", t, ""))
        else:
            steps.append(("cancelled", t + timedelta(hours=1), "The patient declined the estimate."))
        steps = [s for s in steps if s[1] <= NOW]
        when = {s: at for s, at, _ in steps}
        repair_id, t0 = ids.at(steps[0][1]), steps[0][1]
        for i, (status, at, note) in enumerate(steps):
            sink.add("optical_status_events", id=ids.at(at), order_id=None, repair_id=repair_id,
                     from_status=steps[i - 1][0] if i else None, to_status=status, note=note, happened_at=_ts(at),
                     by_id=by, created_at=_ts(at), created_by_id=by)  # fmt: skip
        ready = _ts(when["ready"]) if "ready" in when else None
        sink.add("optical_repairs", id=repair_id, code=codes.next(t0), patient_id=rng.choice(patients),
                 item_description=rng.choice(REPAIR_ITEMS), issue_description=rng.choice(FAULTS),
                 cost_paise=parts + labour, status=steps[-1][0], received_at=_ts(t0),
                 estimated_completion=(t0.date() + timedelta(days=3)).isoformat(), completed_at=ready,
                 delivered_at=_ts(when["delivered"]) if "delivered" in when else None, notes="", invoice_id=None,
                 created_at=_ts(t0), created_by_id=by, updated_at=_ts(steps[-1][1]), updated_by_id=by,
                 own_item=int(rng.random() < 0.7), parts_paise=parts, labour_paise=labour,
                 estimate_approved_at=_ts(approved) if approved and approved <= NOW else None,
                 estimate_approved_by="Patient, in person" if approved and approved <= NOW else "",
                 ready_at=ready)  # fmt: skip


if __name__ == "__main__":
    build(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)

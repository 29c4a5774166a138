"""The optical counter on a big encrypted store, through the service layer, as a signed-in optician (issue 14).

    .venv/bin/python bench/optical_bench.py [orders]    # default 200,000

The store comes from ``bench.make_optical`` (2,000 products, 100,000 eye prescriptions, N orders over three years
with their status events and stock ledger, 30,000 repairs; built once, cached; a copy is used so the timed writes
never change the cached store). The optician signs in through ``auth.login``. Timed, median and p95:
- ``create_order``: a frame (Rs 50 off) and a progressive lens for both eyes, from an eye prescription saved for
  the patient beforehand (untimed), with the monocular PDs and fitting heights, the promised date and the lab;
- ``confirm_order`` of each (the frame off the shelf, a charge per line);
- the lab path of each: ``send_to_lab``, ``receive_from_lab``, ``quality_check`` (pass: the ready message is
  queued) and ``deliver_order``, each step and the four together;
- ``order_board`` (every open order and those closed today), ``order(ctx, id)`` of bulk and new orders, and
  ``find_products`` as the optician types (2 to 6 letters of a brand, model or name; a SKU or a barcode).
One order, confirmation and lab path are made first as warm-up, left out; the first board and search are reported
on their own. Then where ``create_order``'s time goes: wall and CPU time, the SQL statements of one order by kind
and their time, the ORM flushes and audit rows, a ``cProfile`` of 20 orders; the tables each call reads without an
index (EXPLAIN QUERY PLAN); and, on the copy only, the frame ledger sum and the board's "closed today" query with
the index each lacks. ``hms check`` runs on the copy at the end. Figures are written to bench/README.md (section
``optical``); nothing here asserts a timing.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench import make_optical, make_pharmacy  # noqa: E402
from bench.common import machine, summary, timed, write_section  # noqa: E402
from bench.make_store import PASSPHRASE  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop.context import Context  # noqa: E402
from hms_desktop.services.optical import orders as flow  # noqa: E402
from hms_desktop.services.optical.catalog import find_products  # noqa: E402
from hms_desktop.services.optical.eye_prescriptions import EyeInput, EyeRxInput, save_eye_prescription  # noqa: E402
from hms_desktop.services.optical.order_input import OrderInput, OrderLineInput  # noqa: E402
from hms_desktop.services.optical.order_views import order, order_board  # noqa: E402
from hms_desktop.storage import store as store_ops  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402

ORDER_RUNS = 80
BOARD_RUNS = 60
VIEW_RUNS = 200
SEARCH_RUNS = 200
PROFILE_RUNS = 30  # the first COUNTED of them with their statements counted, the rest under cProfile
COUNTED = 10
TARGET_MS = 15  # issue 14: order creation p95 <= 15 ms
LAB = "Essilor Rx lab, Peenya"
TABLES = ("optical_products", "optical_prescriptions", "optical_orders", "optical_order_items",
          "optical_status_events", "stock_movements", "optical_repairs", "patients")  # fmt: skip
# both eyes of the fresh prescription, and the progressive lenses that are made in them
RIGHT = EyeInput(sphere="-2.00", cylinder="-0.75", axis="90", add="+2.00", distance_va="6/6", near_va="N6")
LEFT = EyeInput(sphere="-1.75", cylinder="-0.50", axis="85", add="+2.00", distance_va="6/6", near_va="N6")
BIG_TABLES = ("optical_orders", "optical_order_items", "optical_status_events", "optical_prescriptions",
              "stock_movements", "optical_repairs", "optical_products", "patients", "audit_logs")  # fmt: skip
# the statements of stock._ledger and of order_board's "closed today", for the what-if indexes on the copy
LEDGER = "SELECT coalesce(sum(quantity_delta), 0) FROM stock_movements WHERE optical_product_id = ?"
CLOSED = (
    "SELECT order_id FROM optical_status_events WHERE order_id IS NOT NULL AND to_status IN ('delivered', "
    "'cancelled') AND happened_at >= ? AND happened_at < ?"
)
LENSES = (
    "SELECT id FROM optical_products WHERE lens_type = 'progressive' AND is_active AND deleted_at IS NULL"
    " AND sphere_min <= -200 AND sphere_max >= -175 AND cylinder_min <= -75 AND add_min <= 200 AND add_max >= 200"
)


def _copy(paths: StorePaths, into: Path) -> StorePaths:
    target = into / "store"
    shutil.copytree(paths.data_dir, target)
    return StorePaths(target)


def _uuids(conn: Any, sql: str, *params: Any) -> list[uuid.UUID]:
    return [uuid.UUID(r[0]) for r in conn.execute(sql, params)]


def _audit_rows(paths: StorePaths) -> int:
    raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    try:
        return int(raw.execute("SELECT count(*) FROM audit_logs").fetchone()[0])
    finally:
        raw.close()


def _queries(conn: Any, rng: random.Random) -> list[str]:
    rows = conn.execute("SELECT name, brand, model, sku, barcode FROM optical_products ORDER BY random() LIMIT 400")
    products = list(rows)
    out = []
    for i in range(SEARCH_RUNS):
        name, brand, model, sku, barcode = rng.choice(products)
        if i % 10 == 9:
            out.append(barcode or sku)
            continue
        word = rng.choice([w for w in (name, brand, model) if w]).split()[0]
        out.append(word[: rng.randint(2, min(6, max(2, len(word))))])
    return out


class Statements:
    """What the store is asked while it listens: statements by kind, their time, ORM flushes, the SELECTs (for
    their plans), and the calls' wall and CPU time (``process_time``: this process only, so the difference is
    waiting: the disk's sync at commit, and the other processes on the shared cores)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.kinds, self.ms, self.flushes = ctx, Counter[str](), 0.0, 0
        self.selects: list[tuple[str, Any]] = []
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._started = 0.0

    def _before(self, *_: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, _c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        self.ms += (time.perf_counter() - self._started) * 1000
        kind = statement.lstrip().split(None, 1)[0].upper()
        self.kinds[kind] += 1
        if kind == "SELECT" and not many:
            self.selects.append((statement, params))

    def _flushed(self, *_: Any) -> None:
        self.flushes += 1

    def run(self, fn: Callable[[], object], times: int) -> None:
        hooks = (("before_cursor_execute", self._before), ("after_cursor_execute", self._after))
        for name, hook in hooks:
            event.listen(self.ctx.engine, name, hook)
        event.listen(Session, "after_flush", self._flushed)
        try:
            for _ in range(times):
                wall, cpu = time.perf_counter(), time.process_time()
                fn()
                self.wall.append((time.perf_counter() - wall) * 1000)
                self.cpu.append((time.process_time() - cpu) * 1000)
        finally:
            for name, hook in hooks:
                event.remove(self.ctx.engine, name, hook)
            event.remove(Session, "after_flush", self._flushed)


def _scans(paths: StorePaths, name: str, fn: Callable[[], object], ctx: Context) -> list[str]:
    """The tables one call of ``fn`` reads without an index (EXPLAIN QUERY PLAN of its SELECTs)."""
    seen = Statements(ctx)
    seen.run(fn, 1)
    raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    try:
        plans = {p[3] for st, params in seen.selects for p in raw.execute("EXPLAIN QUERY PLAN " + st, params or ())}
    finally:
        raw.close()
    return [f"{name}: `{p}`" for p in sorted(plans) if p.startswith("SCAN ") and p.split()[1] in BIG_TABLES]


def _what_if(paths: StorePaths, frames: list[uuid.UUID]) -> list[str]:
    """On the throwaway copy only: a frame's ledger sum and the board's "closed today" query, as the schema is and
    with the index each would use (created and dropped here; the cached store never has it)."""
    day = datetime.combine(make_optical.TODAY, datetime.min.time(), UTC) - timedelta(hours=5, minutes=30)
    bounds = tuple(d.strftime("%Y-%m-%d %H:%M:%S.%f") for d in (day, day + timedelta(days=1)))
    cases = (
        (
            "a frame's ledger sum (`stock.on_hand`, once per stocked line)",
            LEDGER,
            [(f.hex,) for f in frames],
            "stock_movements (optical_product_id, quantity_delta)",
        ),
        ("the board's orders closed today", CLOSED, [bounds] * 5, "optical_status_events (to_status, happened_at)"),
    )
    raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    out = []
    try:
        for name, sql, args, index in cases:
            ms = []
            for step in ("as is", "indexed"):
                if step == "indexed":
                    raw.execute(f"CREATE INDEX bench_what_if ON {index}")
                samples = []
                for values in args:
                    t = time.perf_counter()
                    raw.execute(sql, values).fetchall()
                    samples.append((time.perf_counter() - t) * 1000)
                ms.append(summary(samples)[0])
            raw.execute("DROP INDEX bench_what_if")
            out.append(f"{name}: median {ms[0]:.2f} ms as the schema is, {ms[1]:.2f} ms with an index on {index}")
    finally:
        raw.close()
    return out


def _label(key: tuple[str, int, str]) -> str:
    path, _, name = key
    if path == "~":
        return name.replace("sqlcipher3.dbapi2.", "")
    parts = Path(path).with_suffix("").parts
    root = next((i for i, p in enumerate(parts) if p in ("hms_desktop", "db")), len(parts) - 1)
    return f"{'.'.join(parts[root + 1 :])}.{name}"


def _profile(fn: Callable[[], object], runs: int) -> list[tuple[str, float, float, float]]:
    """(function, ms per order, calls per order, share of the order's time) of the heaviest functions, under
    cProfile (which slows every Python call, so read the shares)."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(runs):
        fn()
    prof.disable()
    stats: dict[Any, Any] = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(ct for (_cc, _nc, _tt, ct, _callers) in stats.values())
    rows = [(_label(k), ct, nc) for k, (_cc, nc, _tt, ct, _c) in stats.items() if ct < 0.9 * total and (
            "/hms_desktop/" in k[0] or "/db/" in k[0] or "'commit' of" in k[2])]  # fmt: skip
    rows.sort(key=lambda r: -r[1])
    return [(name, ct * 1000 / runs, nc / runs, ct / total) for name, ct, nc in rows[:16]]


def run(orders: int) -> str:
    source = make_optical.build(orders)
    rng = random.Random(14)
    results: dict[str, tuple[float, float, int]] = {}
    notes: list[str] = []

    def add(name: str, samples: list[float]) -> None:
        results[name] = (*summary(samples), len(samples))

    with tempfile.TemporaryDirectory(dir=source.data_dir.parent) as tmp:
        paths = _copy(source, Path(tmp))
        raw = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
        raw.execute("UPDATE users SET must_change_password = 0 WHERE email = ?", (make_optical.OPTICIAN[0],))
        raw.commit()
        counts = {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        needed = ORDER_RUNS + PROFILE_RUNS + 12
        frames = _uuids(raw, "SELECT id FROM optical_products WHERE category = 'frame' AND is_active AND"
                             " stock_quantity >= 2 ORDER BY random() LIMIT ?", needed)  # fmt: skip
        lenses = _uuids(raw, LENSES)
        patients = _uuids(raw, "SELECT id FROM patients ORDER BY random() LIMIT ?", needed)
        bulk = _uuids(raw, "SELECT id FROM optical_orders ORDER BY random() LIMIT ?", VIEW_RUNS)
        queries = _queries(raw, rng)
        raw.close()
        os.environ["HMS_PASSPHRASE"] = PASSPHRASE
        store = open_store(paths)
        try:
            t = time.perf_counter()
            optician = make_pharmacy.signed_in(store, make_optical.OPTICIAN)
            notes.append(f"signing in (bcrypt, session): {(time.perf_counter() - t) * 1000:.0f} ms")
            today = make_optical.TODAY
            inputs = []
            for patient, frame in zip(patients, frames, strict=False):  # the prescriptions, untimed
                rx = save_eye_prescription(optician, EyeRxInput(patient_id=patient, right=RIGHT, left=LEFT, pd="63"))
                lines = [
                    OrderLineInput(product_id=frame, discount="50"),
                    OrderLineInput(product_id=rng.choice(lenses), eye="both", options={"coating": "Blue cut"}),
                ]
                inputs.append(OrderInput(
                    patient_id=patient, optical_prescription_id=rx.id, lines=lines, right_pd="31", left_pd="31.5",
                    right_fitting_height="22", left_fitting_height="22", promised_date=today + timedelta(days=7),
                    lab_name=LAB,
                ))  # fmt: skip
            waiting = iter(inputs)
            made: list[uuid.UUID] = []

            def one_order() -> None:
                made.append(flow.create_order(optician, next(waiting), request_id=uuid.uuid4()).id)

            one_order()  # warm
            add("create_order: frame + progressive lens for both eyes", timed(one_order, ORDER_RUNS))
            to_confirm = iter(made)
            flow.confirm_order(optician, next(to_confirm))  # warm
            confirmed = timed(lambda: flow.confirm_order(optician, next(to_confirm)), ORDER_RUNS)
            add("confirm_order (frame off the shelf, 2 charges)", confirmed)
            steps: dict[str, list[float]] = {s: [] for s in ("send_to_lab", "receive_from_lab",
                                                             "quality_check (pass; ready message queued)",
                                                             "deliver_order")}  # fmt: skip
            to_lab = iter(made)

            def lab_path() -> None:
                oid = next(to_lab)
                calls: tuple[Callable[[], object], ...] = (
                    lambda: flow.send_to_lab(optician, oid, LAB, f"J{rng.randrange(10**5):05d}"),
                    lambda: flow.receive_from_lab(optician, oid),
                    lambda: flow.quality_check(optician, oid, passed=True), lambda: flow.deliver_order(optician, oid),
                )  # fmt: skip
                for name, call in zip(steps, calls, strict=True):
                    steps[name] += timed(call, 1)

            lab_path()  # warm
            for samples in steps.values():
                samples.clear()
            path = timed(lab_path, ORDER_RUNS)
            for name, samples in steps.items():
                add(name, samples)
            add("the lab path of one order (the four steps)", path)
            first = timed(lambda: order_board(optician), 1)[0]
            board = order_board(optician)
            on_board = sum(len(v) for v in board.values())
            notes.append(f"first order board: {first:.0f} ms ({on_board:,} orders on it: "
                         + ", ".join(f"{k} {len(v):,}" for k, v in board.items() if v) + ")")  # fmt: skip
            add(f"order_board ({on_board:,} orders)", timed(lambda: order_board(optician), BOARD_RUNS))
            seen = iter(rng.sample(bulk + made, VIEW_RUNS))
            add("order(ctx, id): one order with lines, Rx and history", timed(lambda: order(optician, next(seen)),
                                                                               VIEW_RUNS))  # fmt: skip
            first = timed(lambda: find_products(optician, queries[0]), 1)[0]
            notes.append(f"first product search: {first:.0f} ms")
            typed = iter(queries)
            add("find_products as typed (2,000 products)", timed(lambda: find_products(optician, next(typed)),
                                                                 SEARCH_RUNS))  # fmt: skip
            counter = Statements(optician)
            audit_before = _audit_rows(paths)
            counter.run(one_order, COUNTED)
            audit_rows = _audit_rows(paths) - audit_before
            profile = _profile(one_order, PROFILE_RUNS - COUNTED)
            scans = [*_scans(paths, "create_order", one_order, optician),
                     *_scans(paths, "order_board", lambda: order_board(optician), optician),
                     *_scans(paths, "order", lambda: order(optician, bulk[0]), optician),
                     *_scans(paths, "find_products", lambda: find_products(optician, "tita"), optician)]  # fmt: skip
            t = time.perf_counter()
            checks = store_ops.check(store)
            took = time.perf_counter() - t
        finally:
            store.close()
        what_if = _what_if(paths, frames[-100:])  # the frames no order took
    verdict = "all OK" if all(r.ok for r in checks) else "FAILED: " + "; ".join(
        f"{r.name}: {r.detail}" for r in checks if not r.ok)  # fmt: skip
    notes.append(f"`hms check` of the whole store after the run: {took:.1f} s, {verdict}")
    notes += [f"reads without an index, {s}" for s in scans] or ["every SELECT of these calls uses an index"]
    notes += [f"what if (measured on the copy): {line}" for line in what_if]
    return report(orders, counts, results, notes, counter, profile, audit_rows)


def report(orders: int, counts: dict[str, int], results: dict[str, tuple[float, float, int]], notes: list[str],
           counter: Statements, profile: list[tuple[str, float, float, float]], audit_rows: int) -> str:  # fmt: skip
    c = counts
    lines = [
        "## The optical counter at scale (issue 14)",
        "",
        f"`bench/optical_bench.py {orders}` on an encrypted (SQLCipher, passphrase) store built by "
        f"`bench/make_optical.py`: **{c['patients']:,} patients, {c['optical_products']:,} optical products, "
        f"{c['optical_prescriptions']:,} eye prescriptions, {c['optical_orders']:,} orders with "
        f"{c['optical_order_items']:,} lines over three years, {c['optical_status_events']:,} status events, "
        f"{c['stock_movements']:,} stock movements, {c['optical_repairs']:,} repairs** (counts before the run). "
        "Calls go through the service layer as the optician signed in through `auth.login` (permission check, "
        f"transaction, audit and outbox where the action writes). Machine: {machine()}, shared with other "
        f"engineers' test runs, so read the ratios, not the last millisecond. Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| operation | calls | median (ms) | p95 (ms) | target (p95) | reached |",
        "|---|---:|---:|---:|---|---|",
    ]
    for name, (med, p95, n) in results.items():
        target = TARGET_MS if name.startswith("create_order") else None
        reached = "-" if target is None else ("yes" if p95 <= target else "**no**")
        lines.append(f"| {name} | {n} | {med:.2f} | {p95:.2f} | {f'<= {target} ms' if target else '-'} | {reached} |")
    lines += ["", *(f"- {n}" for n in notes)]
    med, p95, _ = next(v for k, v in results.items() if k.startswith("create_order"))
    runs = COUNTED
    per = {k: v / runs for k, v in counter.kinds.items()}
    lines += [
        "",
        f"Order creation against the issue's target (p95 <= {TARGET_MS} ms): median {med:.1f} ms, p95 {p95:.1f} ms, "
        + ("**met**." if p95 <= TARGET_MS else "**not met**."),
        "",
        f"Where one `create_order` goes ({runs} orders counted): median {summary(counter.wall)[0]:.1f} ms of wall "
        f"time of which {summary(counter.cpu)[0]:.1f} ms CPU in this process (the rest is waiting: the commit's "
        f"disk sync and the other processes on the cores); {sum(per.values()):.0f} SQL statements ("
        + ", ".join(f"{n:.0f} {k}" for k, n in sorted(per.items(), key=lambda kv: -kv[1]))
        + f") taking {counter.ms / runs:.1f} ms in SQLite in all, {counter.flushes / runs:.0f} ORM flushes; "
        f"{audit_rows / runs:.0f} audit rows (each HMAC-chained to the last). The rest is Python. Heaviest "
        f"functions under cProfile ({PROFILE_RUNS - runs} orders; the profiler slows every Python call, so read "
        "the share):",
        "",
        "| function | ms per order (profiled) | calls per order | share |",
        "|---|---:|---:|---:|",
        *(f"| `{name}` | {ms:.2f} | {calls:.0f} | {share:.0%} |" for name, ms, calls, share in profile),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    body = run(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
    print(body)
    write_section("optical", body)

"""Front-desk latency on a big encrypted store, through the service layer (as the UI calls it).

    .venv/bin/python bench/reception_bench.py [patients]     # default 1,000,000

Search by code, phone and name prefix (median and p95 of 200 each), registration and booking (200 each).
Targets (issue 4): search p95 < 20 ms, registration < 10 ms, on the project's 2-core machine.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402

from bench.common import machine, summary, timed, write_section  # noqa: E402
from bench.make_store import FIRST, LAST, open_bench  # noqa: E402
from db.models.scheduling import Doctor  # noqa: E402
from hms_desktop.clock import FixedClock  # noqa: E402
from hms_desktop.context import Actor  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.services.reception.appointments import BookingInput, book_appointment, day_slots  # noqa: E402
from hms_desktop.services.reception.patient_search import search_patients  # noqa: E402
from hms_desktop.services.reception.patients import PatientInput, register_patient  # noqa: E402

RUNS = 200


def main(n: int) -> None:
    store = open_bench(n)
    rng = random.Random(7)
    ctx = replace(context_for(store, Actor.system("bench")), clock=FixedClock(datetime(2026, 11, 28, 5, tzinfo=UTC)))
    with ctx.transaction(readonly=True) as tx:
        total = tx.session.execute(text("SELECT count(*) FROM patients")).scalar_one()
        sample = tx.session.execute(
            text("SELECT code, phone, full_name FROM patients ORDER BY random() LIMIT 600")
        ).all()
        doctor_id = tx.session.scalar(select(Doctor.id))
    codes = [r[0] for r in sample[:RUNS]]
    phones = [r[1] for r in sample[RUNS : 2 * RUNS]]
    names = [r[2] for r in sample[2 * RUNS :]]
    prefixes = []
    for i, name in enumerate(names):
        first, last = name.split()
        prefixes.append([first[:3], f"{first[:2]} {last[:2]}", last[:4], first][i % 4])
    results: dict[str, tuple[float, float]] = {}
    it = iter(codes)
    results["search by code"] = summary(timed(lambda: search_patients(ctx, next(it)), RUNS))
    it = iter(phones)
    results["search by phone"] = summary(timed(lambda: search_patients(ctx, next(it)), RUNS))
    it = iter(prefixes)
    results["search by name prefix"] = summary(timed(lambda: search_patients(ctx, next(it)), RUNS))
    counter = iter(range(RUNS))

    def register() -> None:
        i = next(counter)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} Bench{i}"
        data = PatientInput(name, "F", date(1990, 1, 1), phone=f"9{rng.randrange(10**9):09d}")
        register_patient(ctx, data, allow_duplicates=True)

    results["registration"] = summary(timed(register, RUNS))
    with ctx.transaction(readonly=True) as tx:
        fresh = list(
            tx.session.execute(text("SELECT id FROM patients ORDER BY rowid DESC LIMIT :n"), {"n": RUNS}).scalars()
        )
    slots = day_slots(ctx, doctor_id, date(2026, 11, 30)).slots
    bookings = iter((fresh[i], slots[i % len(slots)].start) for i in range(RUNS))

    def book() -> None:
        pid, start = next(bookings)
        book_appointment(ctx, BookingInput(_uuid(pid), doctor_id, date(2026, 11, 30), start))

    results["booking"] = summary(timed(book, RUNS))
    store.close()
    report(total, results)


def _uuid(value: object):  # type: ignore[no-untyped-def]
    import uuid

    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def report(total: int, results: dict[str, tuple[float, float]]) -> None:
    lines = [
        "## Reception at scale (issue 4)",
        "",
        f"`bench/reception_bench.py` on an encrypted (SQLCipher, passphrase) store of **{total:,} patients**; "
        f"{RUNS} calls each through the service layer (permission check, transaction, audit where the action "
        f"writes). Machine: {machine()}. Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| operation | median (ms) | p95 (ms) | target |",
        "|---|---:|---:|---|",
    ]
    targets = {"registration": "< 10 ms", "booking": "-"}
    for name, (med, p95) in results.items():
        lines.append(f"| {name} | {med:.2f} | {p95:.2f} | {targets.get(name, 'p95 < 20 ms')} |")
    body = "\n".join(lines)
    print(body)
    write_section("reception", body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

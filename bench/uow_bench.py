"""What the unit-of-work machinery costs on the front desk's write path: register, book, check in.

    .venv/bin/python bench/uow_bench.py [patients] [--label NAME] [--json FILE]    # default 20,000 patients

Each action through the service layer as the UI calls it (permission, transaction, audit rows, and this
session's hooks: write guard, change collection), 200 of each, median and p95. Run it in two checkouts (this
one and the commit before the composing unit of work) alternately on one machine, and compare the medians as
ratios: the machine is shared and noisy, absolute figures move from hour to hour. ``--compose`` also times
the three actions as one transaction (possible only where services compose).
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text  # noqa: E402

from bench.common import summary, timed  # noqa: E402
from bench.make_store import open_bench  # noqa: E402
from db.models.scheduling import Doctor  # noqa: E402
from hms_desktop.clock import FixedClock  # noqa: E402
from hms_desktop.context import Actor  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402

try:  # this layout, or the one before services were grouped by domain (for the A/B run)
    from hms_desktop.services.reception.appointments import BookingInput, book_appointment, day_slots
    from hms_desktop.services.reception.patients import PatientInput, register_patient
    from hms_desktop.services.reception.queue import check_in
except ImportError:  # pragma: no cover - the older checkout
    from hms_desktop.services.appointments import BookingInput, book_appointment, day_slots  # type: ignore
    from hms_desktop.services.patients import PatientInput, register_patient  # type: ignore
    from hms_desktop.services.queue import check_in  # type: ignore

RUNS = 200
DAY = date(2026, 11, 30)


def main(n: int, label: str, out: str | None, compose: bool) -> None:
    store = open_bench(n)
    clock = FixedClock(datetime(2026, 11, 30, 1, 30, tzinfo=UTC))  # 07:00 in the clinic: every slot ahead
    ctx = replace(context_for(store, Actor.system("bench")), clock=clock)
    with ctx.transaction(readonly=True) as tx:
        doctor_id = tx.session.scalar(select(Doctor.id))
        total = tx.session.execute(text("SELECT count(*) FROM patients")).scalar_one()
    slots = [s.start for s in day_slots(ctx, doctor_id, DAY).slots if s.state != "past"] or [time(10, 0)]
    made: list[object] = []
    booked: list[object] = []
    counter = iter(range(10**6))

    def register() -> None:
        i = next(counter)
        made.append(register_patient(ctx, PatientInput(f"Bench Patient {label} {i}", "F", date(1990, 1, 1)),
                                     allow_duplicates=True).id)  # fmt: skip

    def book() -> None:
        pid = made[len(booked)]
        booked.append(book_appointment(ctx, BookingInput(pid, doctor_id, DAY, slots[len(booked) % len(slots)])).id)

    checked = iter(range(RUNS))

    def arrive() -> None:
        check_in(ctx, booked[next(checked)])

    results = {
        "register": summary(timed(register, RUNS)),
        "book": summary(timed(book, RUNS)),
        "check in": summary(timed(arrive, RUNS)),
    }
    if compose:
        spread = iter(range(10**6))

        def walk_in() -> None:
            at = slots[(len(booked) + next(spread)) % len(slots)]
            with ctx.transaction() as tx:
                p = register_patient(ctx, PatientInput(f"Walk In {next(counter)}", "M", date(1985, 1, 1)),
                                     allow_duplicates=True)  # fmt: skip
                a = book_appointment(ctx, BookingInput(p.id, doctor_id, DAY, at))
                check_in(ctx, a.id)
                tx.commit()

        results["register+book+check in, one transaction"] = summary(timed(walk_in, RUNS))
    store.close()
    print(f"{label}: {total:,} patients")
    for name, (med, p95) in results.items():
        print(f"  {name:42s} median {med:6.2f} ms  p95 {p95:6.2f} ms")
    if out:
        Path(out).write_text(json.dumps({"label": label, "patients": total, "results": results}))


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    opts = sys.argv[1:]
    label = opts[opts.index("--label") + 1] if "--label" in opts else "this checkout"
    out = opts[opts.index("--json") + 1] if "--json" in opts else None
    main(int(args[0]) if args and args[0].isdigit() else 20_000, label, out, "--compose" in opts)

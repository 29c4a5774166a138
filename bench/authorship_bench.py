"""What proving each change's author costs (issue 11, finding 1), measured as ratios within one run.

    .venv/bin/python bench/authorship_bench.py [patients]      # default 2,000

A clinic is set up (a real encrypted store), enrolled with a real ``hms sync-server`` over a throwaway local
PostgreSQL, and synced. Then, on that enrolled store:

1. sign-in: the key derivation (PBKDF2-HMAC-SHA256 at the production work factor) a sign-in adds to bcrypt;
2. commit: registering a patient as a signed-in user (its rows signed as they commit) against the same as the
   system (queued, not signed), alternating, so both meet the same store and machine load;
3. push: ``patients`` signed registrations pushed (the server checks each proof and the author's rights)
   against the same number of the founder's own rows pushed as its base (no author to check), both batches of
   2,000 on the same server.
Figures go to bench/README.md (section ``authorship``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, summary, write_section  # noqa: E402
from hms_desktop.context import Actor  # noqa: E402
from hms_desktop.runtime import context_for  # noqa: E402
from hms_desktop.security import author_keys  # noqa: E402
from hms_desktop.services.admin.auth import login  # noqa: E402
from hms_desktop.services.reception.patients import PatientInput, register_patient  # noqa: E402
from hms_desktop.storage.store import open_store  # noqa: E402
from hms_desktop.sync.enrol import enrol  # noqa: E402
from hms_desktop.sync.push import push_all  # noqa: E402
from hms_desktop.sync.runner import run_once  # noqa: E402
from hms_desktop.sync.server.admin import init_server  # noqa: E402
from hms_desktop.sync.server.store import make_engine  # noqa: E402
from hms_desktop.sync.state import identity  # noqa: E402
from hms_desktop.sync.transport import Transport  # noqa: E402
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, make_clinic  # noqa: E402
from tests.pg import PgCluster, SyncServer  # noqa: E402

# importing the tests' set-up lowers the work factors for the test suite: production values here
os.environ["HMS_BCRYPT_COST"] = "12"
os.environ.pop("HMS_AUTHOR_KDF_ITERATIONS", None)
os.environ.pop("HMS_CHECK_WRITE_RIGHTS", None)


def _register(ctx: object, n: int, label: str) -> list[float]:
    took = []
    for i in range(n):
        started = time.perf_counter()
        data = PatientInput(f"Bench {label} {i}", "F", date(1990, 1, 1))
        register_patient(ctx, data, allow_duplicates=True)  # type: ignore[arg-type]
        took.append(time.perf_counter() - started)
    return took


def _push(store: object) -> tuple[int, float]:
    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        ident = identity(conn)
    assert ident is not None
    started = time.perf_counter()
    with Transport(ident.server_url, store.keys) as transport:  # type: ignore[attr-defined]
        result = push_all(store.engine, transport, ident.workstation_id, batch_size=2000)  # type: ignore[attr-defined]
    assert result.refused == 0 and result.deferred == 0, result
    return result.changes, time.perf_counter() - started


def main(patients: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="hms-authorship-bench-"))
    cluster = PgCluster(fast=False).start()
    try:
        url = cluster.create_database("bench_authorship")
        engine = make_engine(url, pool_size=1)
        codes = init_server(engine, "Bench Clinic", codes=2).codes
        engine.dispose()
        server = SyncServer(url, work).start()
        try:
            paths, _ = make_clinic(work / "founder")
            store = open_store(paths)
            system = context_for(store, Actor.system("bench"))
            _register(system, patients, "base")  # the founder's rows before it enrols: the clinic's base
            enrol(store, server.url, codes[0], "Front desk")
            base_changes, base_s = _push(store)

            derive = [0.0] * 5
            for i in range(5):
                started = time.perf_counter()
                author_keys.derive(uuid.uuid4(), ADMIN_PASSWORD)
                derive[i] = time.perf_counter() - started
            started = time.perf_counter()
            anonymous = context_for(store, Actor.anonymous())
            desk = anonymous.as_actor(login(anonymous, ADMIN_EMAIL, ADMIN_PASSWORD).actor)
            sign_in_s = time.perf_counter() - started
            run_once(store)  # the claim reaches the server

            signed: list[float] = []
            unsigned: list[float] = []
            for _ in range(10):  # alternate, so both see the same load
                signed += _register(desk, patients // 10, "signed")
                unsigned += _register(system, patients // 10, "system")
            with store.engine.begin() as conn:  # the system's rows would be refused: keep only the signed ones
                conn.exec_driver_sql("DELETE FROM sync_outbox WHERE author_id IS NULL AND table_name = 'patients'")
            signed_changes, signed_s = _push(store)
            store.close()
        finally:
            server.stop()
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(patients, derive, sign_in_s, signed, unsigned, (base_changes, base_s), (signed_changes, signed_s))


def report(patients: int, derive: list[float], sign_in_s: float, signed: list[float], unsigned: list[float],
           base: tuple[int, float], proved: tuple[int, float]) -> None:  # fmt: skip
    s_med, s_p95 = summary(signed)
    u_med, u_p95 = summary(unsigned)
    d_med, _ = summary(derive)
    ratio = (proved[0] / proved[1]) / (base[0] / base[1])
    lines = [
        "## Proving who made each change (issue 11)",
        "",
        "`bench/authorship_bench.py`: a set-up clinic (encrypted store, keyring mode) enrolled with a real "
        "`hms sync-server` over a throwaway local PostgreSQL 15, everything on this machine; bcrypt at cost 12 "
        "and the key derivation at its production work factor "
        f"({author_keys.PRODUCTION_ITERATIONS:,} PBKDF2-SHA256 rounds). Machine: {machine()}. "
        f"Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| what | median | p95 |",
        "|---|---:|---:|",
        f"| the signing key's derivation (added to a sign-in) | {d_med * 1000:.0f} ms | - |",
        f"| a whole sign-in (bcrypt, key, session, claim sealed) | {sign_in_s * 1000:.0f} ms | - |",
        f"| register a patient as a signed-in user (rows signed at commit) | {s_med * 1000:.1f} ms "
        f"| {s_p95 * 1000:.1f} ms |",
        f"| register a patient as the system (queued, not signed) | {u_med * 1000:.1f} ms | {u_p95 * 1000:.1f} ms |",
        "",
        f"Signing costs {s_med / u_med:.2f}x the unsigned commit at the median ({len(signed):,} of each, alternating).",
        "",
        "| push | changes | seconds | changes/s |",
        "|---|---:|---:|---:|",
        f"| the founder's base (no author to check) | {base[0]:,} | {base[1]:.1f} | {base[0] / base[1]:,.0f} |",
        f"| signed registrations (each proof and the author's rights checked) | {proved[0]:,} | {proved[1]:.1f} "
        f"| {proved[0] / proved[1]:,.0f} |",
        "",
        f"The server's checks make a push of signed changes run at {ratio:.2f}x "
        f"the rate of the base ({patients:,} patients each; the change counts include their audit rows, and the "
        "signed push also carries the audit rows of the system's registrations, which need no proof).",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("authorship", body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)

"""Sync throughput against a local PostgreSQL (a throwaway cluster with default durability settings) and a real
``hms sync-server`` process on loopback, everything on this machine.

    .venv/bin/python bench/sync_bench.py [changes] [big]      # defaults: 100,000 and 1,000,000

1. Push: a founder PC holding ``changes`` patients (bench/make_store.py) is enrolled; its outbox then holds one
   change per row; ``push_all`` sends them in batches (2,000; ``HMS_SYNC_BATCH``).
2. Pull: a new PC enrols and pulls the whole clinic (one local transaction per page of 5,000).
3. A 1M-patient clinic: the same founder upload, then the time a new workstation takes to pull it all.
Target (sync issue): at least 5,000 changes/s each way. Figures go to bench/README.md.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, write_section  # noqa: E402
from bench.make_store import build  # noqa: E402
from hms_desktop.storage.paths import StorePaths  # noqa: E402
from hms_desktop.storage.store import Store, open_store  # noqa: E402
from hms_desktop.sync.enrol import enrol, enrol_new_store  # noqa: E402
from hms_desktop.sync.pull import PAGE_SIZE, pull_all  # noqa: E402
from hms_desktop.sync.push import push_all  # noqa: E402
from hms_desktop.sync.server.admin import init_server  # noqa: E402
from hms_desktop.sync.server.store import make_engine  # noqa: E402
from hms_desktop.sync.state import identity  # noqa: E402
from hms_desktop.sync.transport import Transport  # noqa: E402
from tests.pg import PgCluster, SyncServer  # noqa: E402

BATCH = int(os.environ.get("HMS_SYNC_BATCH", "2000"))


def _ident(store: Store):  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        found = identity(conn)
    assert found is not None
    return found


def clinic_round(cluster: PgCluster, work: Path, patients: int, label: str) -> dict[str, float]:
    """Enrol a copy of the ``patients`` bench store as founder, push it all, then pull it all on a new PC."""
    url = cluster.create_database(f"bench_{label}")
    engine = make_engine(url, pool_size=1)
    codes = init_server(engine, "Bench Clinic", codes=3).codes
    engine.dispose()
    server = SyncServer(url, work).start()
    try:
        source = build(patients)
        founder_dir = work / f"founder-{label}"
        shutil.copytree(source.data_dir, founder_dir, ignore=shutil.ignore_patterns("store.lock", "backups"))
        founder = open_store(StorePaths(founder_dir))
        started = time.perf_counter()
        result = enrol(founder, server.url, codes[0], "Founder")
        seeded = time.perf_counter() - started
        ident = _ident(founder)
        started = time.perf_counter()
        with Transport(server.url, founder.keys) as transport:
            pushed = push_all(founder.engine, transport, ident.workstation_id, batch_size=BATCH)
        push_s = time.perf_counter() - started
        recovery = founder.keys.get("recovery-key")
        founder.close()
        paths = StorePaths(work / f"pc-{label}")
        made = enrol_new_store(paths, server.url, codes[1], "New PC", recovery_key=recovery, key_mode="passphrase")
        pc = made.store
        ident = _ident(pc)
        started = time.perf_counter()
        with Transport(server.url, pc.keys) as transport:
            pulled = pull_all(pc.engine, transport, ident.workstation_id, ident.checkpoint, datetime.now(UTC))
        pull_s = time.perf_counter() - started
        pc.close()
    finally:
        server.stop()
    print(f"{label}: queued {result.queued:,} in {seeded:.1f} s; pushed {pushed.changes:,} in {push_s:.1f} s; "
          f"pulled {pulled:,} in {pull_s:.1f} s", flush=True)  # fmt: skip
    return {"queued": result.queued, "seed_s": seeded, "pushed": pushed.changes, "push_s": push_s,
            "pulled": pulled, "pull_s": pull_s}  # fmt: skip


def main(changes: int, big: int) -> None:
    os.environ.setdefault("HMS_BCRYPT_COST", "4")
    work = Path(tempfile.mkdtemp(prefix="hms-sync-bench-"))
    cluster = PgCluster(fast=False).start()
    try:
        small = clinic_round(cluster, work, changes, "small")
        large = clinic_round(cluster, work, big, "large")
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(changes, big, small, large)


def report(changes: int, big: int, small: dict[str, float], large: dict[str, float]) -> None:
    def rate(n: float, s: float) -> str:
        return f"{n / s:,.0f}"

    lines = [
        "## Sync throughput (sync issue)",
        "",
        "`bench/sync_bench.py`: a throwaway local PostgreSQL 15 cluster (default durability: fsync and synchronous "
        "commit on), `hms sync-server` in its own process (uvicorn, one worker) on loopback, encrypted "
        "(SQLCipher, passphrase) stores on the PCs; client, server and database share the machine. "
        f"Machine: {machine()}. Run {time.strftime('%Y-%m-%d')}.",
        "",
        "| what | changes | seconds | changes/s | target |",
        "|---|---:|---:|---:|---|",
        f"| push ({changes:,}-patient founder, batches of {BATCH:,}) | {small['pushed']:,.0f} | {small['push_s']:.1f} "
        f"| {rate(small['pushed'], small['push_s'])} | >= 5,000/s |",
        f"| pull (new PC, pages of {PAGE_SIZE:,}) | {small['pulled']:,.0f} | {small['pull_s']:.1f} "
        f"| {rate(small['pulled'], small['pull_s'])} | >= 5,000/s |",
        f"| founder upload of a {big:,}-patient clinic | {large['pushed']:,.0f} | {large['push_s']:.1f} "
        f"| {rate(large['pushed'], large['push_s'])} | - |",
        f"| **new workstation pulls the {big:,}-patient clinic** | {large['pulled']:,.0f} | "
        f"**{large['pull_s']:.1f}** | {rate(large['pulled'], large['pull_s'])} | >= 5,000/s |",
        "",
        f"Enrolling a founder queues every row it holds for the first push: {small['queued']:,.0f} rows in "
        f"{small['seed_s']:.1f} s, {large['queued']:,.0f} in {large['seed_s']:.1f} s. The change counts include "
        "the clinic's set-up rows (roles, permissions, settings, audit rows).",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("sync", body)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000,
    )

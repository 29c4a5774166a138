"""Patient codes are atomic: two processes registering 500 patients each at once get 1,000 distinct codes
with no gap (real processes, one encrypted store, SQLite's write lock between them)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from db.models.patients import Patient
from hms_desktop.context import Actor
from hms_desktop.runtime import context_for
from hms_desktop.storage.store import open_store
from tests.conftest import PASSPHRASE, make_clinic

PER_PROCESS = 500

WORKER = textwrap.dedent(
    """
    import random
    import sys
    import time
    from pathlib import Path
    from hms_desktop.context import Actor
    from hms_desktop.runtime import context_for
    from hms_desktop.services.reception.patients import PatientInput, register_patient
    from hms_desktop.storage.paths import StorePaths
    from hms_desktop.storage.store import open_store

    store = open_store(StorePaths(Path(sys.argv[1])))
    ctx = context_for(store, Actor.system("desk " + sys.argv[2]))
    print("ready", flush=True)
    sys.stdin.readline()  # both start together
    started = time.time()
    for i in range(int(sys.argv[3])):
        register_patient(ctx, PatientInput(f"Patient {sys.argv[2]} {i}", "U"), allow_duplicates=True)
        time.sleep(random.random() / 500)  # a few milliseconds between saves, as at a real desk
    store.close()
    print(f"done {started} {time.time()}", flush=True)
    """
)


def test_two_processes_get_distinct_gapless_codes(tmp_path: Path, passphrase: str) -> None:
    paths, _ = make_clinic(tmp_path / "data")
    env = {**os.environ, "HMS_PASSPHRASE": PASSPHRASE, "HMS_KEYRING": "off"}
    root = Path(__file__).resolve().parents[1]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(paths.data_dir), name, str(PER_PROCESS)],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name in ("A", "B")
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    windows = []
    for p in procs:
        assert p.wait(timeout=600) == 0
        assert p.stdout is not None
        word, start, end = p.stdout.read().split()
        assert word == "done"
        windows.append((float(start), float(end)))
    (a0, a1), (b0, b1) = windows
    assert a0 < b1 and b0 < a1, "the two processes did not run at the same time"
    store = open_store(paths)
    try:
        ctx = context_for(store, Actor.system("check"))
        with ctx.transaction(readonly=True) as tx:
            rows = tx.session.execute(select(Patient.code, Patient.full_name)).all()
    finally:
        store.close()
    codes = [code for code, _ in rows]
    assert len(codes) == 2 * PER_PROCESS == len(set(codes))
    by_number = sorted((int(code.rsplit("-", 1)[1]), name.split()[1]) for code, name in rows)
    assert [n for n, _ in by_number] == list(range(1, 2 * PER_PROCESS + 1))  # no gap
    writers = [w for _, w in by_number]
    assert writers.count("A") == writers.count("B") == PER_PROCESS

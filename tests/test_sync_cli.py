"""The commands an admin runs: ``hms sync-server init | codes | list | revoke``, the server itself, and on the
PCs ``hms sync enroll | run | status`` (real processes, passphrase-keyed stores, real PostgreSQL)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, make_clinic
from tests.pg import SyncServer, fresh_database

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def hms(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HMS_PASSPHRASE": PASSPHRASE, "HMS_KEYRING": "off", "HMS_BCRYPT_COST": "4"}
    command = [sys.executable, "-m", "hms_desktop.cli.main", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def central() -> Iterator[str]:
    cluster, name, url = fresh_database()
    yield url
    cluster.drop_database(name)


def test_an_admin_sets_up_the_server_and_enrols_two_pcs(tmp_path: Path, central: str, passphrase: str) -> None:
    out = hms("sync-server", "init", "--database-url", central, "--clinic-name", "Sunrise Clinic", "--codes", "2")
    codes = CODE.findall(out.stdout)
    assert len(codes) == 2 and "Sunrise Clinic" in out.stdout
    again = hms("sync-server", "init", "--database-url", central, "--clinic-name", "Other", check=False)
    assert again.returncode == 1 and "already serves a clinic" in again.stderr
    server = SyncServer(central, tmp_path).start()
    try:
        founder, recovery = make_clinic(tmp_path / "reception")
        out = hms("--data-dir", str(founder.data_dir), "sync", "enroll", "--server", server.url, "--code", codes[0],
                  "--name", "Reception 1")  # fmt: skip
        assert "Enrolled as WS01 (Reception 1)" in out.stdout and "founder" in out.stdout
        key_file = tmp_path / "recovery.txt"
        key_file.write_text(recovery)
        doctor = tmp_path / "doctor"
        out = hms("--data-dir", str(doctor), "sync", "enroll", "--server", server.url, "--code", codes[1],
                  "--name", "Doctor 1", "--recovery-key-file", str(key_file), "--key-mode", "passphrase")  # fmt: skip
        assert "Enrolled as WS02 (Doctor 1)" in out.stdout and "new PC" in out.stdout
        assert re.search(r"First sync: \d+ pushed, [1-9]\d* pulled", out.stdout)
        status = hms("--data-dir", str(doctor), "sync", "status")
        assert "Pending changes: 0" in status.stdout and "Last error:      -" in status.stdout
        spent = hms("--data-dir", str(tmp_path / "third"), "sync", "enroll", "--server", server.url, "--code",
                    codes[1], "--name", "Third", "--key-mode", "passphrase", check=False)  # fmt: skip
        assert spent.returncode == 1 and "not valid" in spent.stderr
        assert not (tmp_path / "third" / "store.db").exists(), "a refused enrolment leaves no store behind"
        listed = hms("sync-server", "list", "--database-url", central).stdout
        assert "WS01" in listed and "WS02" in listed and listed.count("active") == 2
        assert len(CODE.findall(hms("sync-server", "codes", "--database-url", central, "--count", "3").stdout)) == 3
        hms("sync-server", "revoke", "WS02", "--database-url", central)
        refused = hms("--data-dir", str(doctor), "sync", "run", "--once", check=False)
        assert refused.returncode == 1 and "revoked" in refused.stderr
        status = hms("--data-dir", str(doctor), "sync", "status", check=False)
        assert status.returncode == 1 and "revoked" in status.stdout
        assert "Synced:" in hms("--data-dir", str(founder.data_dir), "sync", "run").stdout
    finally:
        server.stop()


def test_the_server_needs_postgresql_and_an_initialised_database(central: str) -> None:
    bad = hms("sync-server", "init", "--database-url", "sqlite:///x.db", "--clinic-name", "X", check=False)
    assert bad.returncode == 1 and "PostgreSQL" in bad.stderr
    missing = hms("sync-server", "--database-url", central, "--port", "1", check=False)
    assert missing.returncode == 1 and "hms sync-server init" in missing.stderr

"""The `hms` console script, run as a new administrator would run it (real processes, real files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import folder_digest

HMS = Path(sys.executable).with_name("hms")
PASS = "a long clinic passphrase"
ADMIN_PASSWORD = "Marigold-Ledger-2026"


def hms(*args: str, data_dir: Path | None = None, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    full_env.update({"HMS_KEYRING": "off", "HMS_PASSPHRASE": PASS, "HMS_BCRYPT_COST": "4"})
    full_env.update(env)
    cmd = [str(HMS), *(["--data-dir", str(data_dir)] if data_dir else []), *args]
    return subprocess.run(cmd, check=False, input=stdin, capture_output=True, text=True, env=full_env, timeout=120)


def init(data_dir: Path, *extra: str, password: str = ADMIN_PASSWORD) -> subprocess.CompletedProcess[str]:
    return hms(
        "init", "--hospital-name", "Sunrise Clinic", "--hospital-state-code", "29",
        "--admin-email", "asha@sunrise.example.in", "--admin-name", "Asha Rao", "--password-stdin", *extra,
        data_dir=data_dir, stdin=password + "\n",
    )  # fmt: skip


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cli")
    data, key_file = base / "data", base / "recovery.txt"
    result = init(data, "--recovery-key-file", str(key_file))
    assert result.returncode == 0, result.stderr
    assert "RECOVERY KEY" in result.stdout and "HMSR-" in result.stdout
    return data, key_file


def test_version() -> None:
    result = hms("--version")
    assert result.returncode == 0 and result.stdout.startswith("hms ")


def test_init_then_check_reports_every_check_ok(cli_store: tuple[Path, Path]) -> None:
    data, key_file = cli_store
    assert (key_file.stat().st_mode & 0o777) == 0o600
    assert key_file.read_text().strip().startswith("HMSR-")
    result = hms("check", data_dir=data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks OK." in result.stdout
    assert "FAIL" not in result.stdout


def test_init_over_existing_store_is_refused(cli_store: tuple[Path, Path]) -> None:
    data, _ = cli_store
    before = folder_digest(data)
    result = init(data)
    assert result.returncode == 1
    assert "already exists" in result.stderr
    assert folder_digest(data) == before


def test_wrong_passphrase_one_sentence_nonzero_unchanged(cli_store: tuple[Path, Path]) -> None:
    data, _ = cli_store
    before = folder_digest(data)
    result = hms("check", data_dir=data, HMS_PASSPHRASE="this is not it at all")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "passphrase is wrong" in lines[0]
    assert "Traceback" not in result.stderr
    assert folder_digest(data) == before


def test_missing_data_dir(tmp_path: Path) -> None:
    result = hms("check", data_dir=tmp_path / "missing")
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_sql_reads_as_csv(cli_store: tuple[Path, Path]) -> None:
    data, _ = cli_store
    result = hms("sql", "-c", "SELECT email, full_name FROM users", data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["email,full_name", "asha@sunrise.example.in,Asha Rao"]


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM users",
        "UPDATE users SET full_name = 'x'",
        "INSERT INTO departments (id) VALUES ('x')",
        "DROP TABLE users",
        "CREATE TABLE t (x)",
        "ATTACH DATABASE '/tmp/hms-plain-copy.db' AS plain KEY ''",
        "PRAGMA rekey = 'new one'",
        "PRAGMA journal_mode = DELETE",
        "SELECT sqlcipher_export('main')",
    ],
)
def test_sql_refuses_writes(cli_store: tuple[Path, Path], statement: str) -> None:
    data, _ = cli_store
    result = hms("sql", "-c", statement, data_dir=data)
    assert result.returncode == 1, result.stdout
    assert "read-only" in result.stderr or "SQL error" in result.stderr
    assert not Path("/tmp/hms-plain-copy.db").exists()
    assert hms("sql", "-c", "SELECT count(*) FROM users", data_dir=data).stdout.splitlines()[1] == "1"


def test_bad_input_at_init_names_the_field_and_creates_nothing(tmp_path: Path) -> None:
    result = hms(
        "init", "--hospital-name", "X Clinic", "--admin-email", "not-an-email", "--admin-name", "A",
        "--password-stdin", data_dir=tmp_path / "d", stdin=ADMIN_PASSWORD + "\n",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: email:")
    assert not (tmp_path / "d" / "store.db").exists()
    weak = init(tmp_path / "d2", password="password123")
    assert weak.returncode == 1 and "too common" in weak.stderr
    assert not (tmp_path / "d2" / "store.db").exists()


def test_backup_and_restore_on_another_machine(cli_store: tuple[Path, Path], tmp_path: Path) -> None:
    data, key_file = cli_store
    backup = tmp_path / "clinic.hmsbak"
    assert hms("backup", str(backup), data_dir=data).returncode == 0
    other = tmp_path / "other-pc"
    result = hms(
        "restore", str(backup), "--recovery-key-file", str(key_file), data_dir=other,
        HMS_PASSPHRASE="the other pc's passphrase",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    check = hms("check", data_dir=other, HMS_PASSPHRASE="the other pc's passphrase")
    assert "All checks OK." in check.stdout
    verify = hms("audit", "verify", data_dir=other, HMS_PASSPHRASE="the other pc's passphrase")
    assert verify.returncode == 0 and "Audit trail OK" in verify.stdout


def test_audit_verify_ok(cli_store: tuple[Path, Path]) -> None:
    data, _ = cli_store
    result = hms("audit", "verify", data_dir=data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Audit trail OK" in result.stdout


def test_rekey_with_new_passphrase(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert init(data).returncode == 0
    result = hms("rekey", data_dir=data, HMS_NEW_PASSPHRASE="the next passphrase")
    assert result.returncode == 0, result.stderr
    assert hms("check", data_dir=data).returncode == 1
    assert hms("check", data_dir=data, HMS_PASSPHRASE="the next passphrase").returncode == 0

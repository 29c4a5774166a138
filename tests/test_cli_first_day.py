"""The front desk's first day with ``hms`` (real processes over real SQLCipher files): a new store's passphrase,
a backup to a missing folder, a restore that keeps the store it replaces, two statements in ``hms sql``, and
the demo clinic's store opened with the command the README gives."""

from __future__ import annotations

import os
import re
import select
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from db.engine import StoreKey, connect
from db.errors import StoreError
from hms_desktop.security import recovery
from hms_desktop.storage.paths import StorePaths
from tests.helpers import folder_digest

HMS = Path(sys.executable).with_name("hms")
README = Path(__file__).resolve().parents[1] / "README.md"
PASS = "a long clinic passphrase"
ADMIN_PASSWORD = "Marigold-Ledger-2026"
INIT_FLAGS = (
    "init", "--hospital-name", "Sunrise Clinic", "--hospital-state-code", "29",
    "--admin-email", "asha@sunrise.example.in", "--admin-name", "Asha Rao",
)  # fmt: skip


def env_for(**env: str | None) -> dict[str, str]:
    """The test's environment without any HMS_ variable, keyring off and passphrase PASS, then ``env``
    (a None value removes the variable)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")}
    full.update({"HMS_KEYRING": "off", "HMS_PASSPHRASE": PASS, "HMS_BCRYPT_COST": "4"})
    for name, value in env.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    return full


def hms(
    *args: str, data_dir: Path | None = None, stdin: str = "", **env: str | None
) -> subprocess.CompletedProcess[str]:
    cmd = [str(HMS), *(["--data-dir", str(data_dir)] if data_dir else []), *args]
    return subprocess.run(
        cmd, check=False, input=stdin, capture_output=True, text=True, env=env_for(**env), timeout=120
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return lines[0]


def in_terminal(args: list[str], answers: list[tuple[str, str]], **env: str | None) -> tuple[int, str]:
    """Run ``hms`` with a pseudo-terminal as stdin/stdout/stderr, answering each prompt as it appears."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(HMS), *args], stdin=slave, stdout=slave, stderr=slave, env=env_for(**env), start_new_session=True
    )
    os.close(slave)
    seen = b""

    def read_until(text: str | None, timeout: float = 90) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text is None or text.encode() not in seen:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"hms did not show {text!r}; it showed {seen.decode(errors='replace')!r}")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed the terminal
                chunk = b""
            if not chunk:
                if text is None:
                    return
                raise AssertionError(f"hms ended before {text!r}; it showed {seen.decode(errors='replace')!r}")
            seen += chunk

    try:
        for prompt, answer in answers:
            read_until(prompt)
            os.write(master, (answer + "\n").encode())
        read_until(None)
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return code, seen.decode(errors="replace")


def init(data_dir: Path, *extra: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    return hms(*INIT_FLAGS, "--password-stdin", *extra, data_dir=data_dir, stdin=ADMIN_PASSWORD + "\n", **env)


def users_in(path: Path, key: StoreKey) -> int:
    conn = connect(path, key, readonly=True)
    try:
        return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])
    finally:
        conn.close()


# 16. hms init without a keyring: a NEW passphrase, not "this store is locked"


def test_init_without_keyring_or_passphrase_off_a_terminal_says_how_to_give_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = init(data, HMS_PASSPHRASE=None)
    assert result.returncode == 1, result.stdout
    line = one_sentence(result)
    assert "HMS_PASSPHRASE" in line and "new store" in line and "locked" not in line
    assert PASS not in result.stdout + result.stderr
    assert not (data / "store.db").exists() and not (data / "store.json").exists()


def test_init_asks_for_a_new_passphrase_twice_in_a_terminal(tmp_path: Path) -> None:
    data = tmp_path / "data"
    chosen = "our front desk passphrase"
    code, shown = in_terminal(
        ["--data-dir", str(data), *INIT_FLAGS],
        [
            ("Admin password", ADMIN_PASSWORD),
            ("Repeat the password", ADMIN_PASSWORD),
            ("New store passphrase", chosen),
            ("Repeat the passphrase", chosen),
        ],
        HMS_PASSPHRASE=None,
    )
    assert code == 0, shown
    assert "RECOVERY KEY" in shown and chosen not in shown
    assert hms("check", data_dir=data, HMS_PASSPHRASE=chosen).returncode == 0


def test_init_in_a_terminal_refuses_two_different_passphrases(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, shown = in_terminal(
        ["--data-dir", str(data), *INIT_FLAGS],
        [
            ("Admin password", ADMIN_PASSWORD),
            ("Repeat the password", ADMIN_PASSWORD),
            ("New store passphrase", "our front desk passphrase"),
            ("Repeat the passphrase", "our front desk passphrasE"),
        ],
        HMS_PASSPHRASE=None,
    )
    assert code == 1 and "differ" in shown and "Traceback" not in shown
    assert not (data / "store.db").exists()


def test_new_store_passphrase_asks_twice_and_applies_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    from hms_desktop.storage.keys import new_store_passphrase, new_store_passphrase_source

    monkeypatch.delenv("HMS_PASSPHRASE", raising=False)

    def answers(*given: str):  # type: ignore[no-untyped-def]
        it = iter(given)
        return lambda _prompt: next(it)

    assert new_store_passphrase(answers("our front desk passphrase", "our front desk passphrase")) == (
        "our front desk passphrase"
    )
    with pytest.raises(StoreError, match="differ"):
        new_store_passphrase(answers("our front desk passphrase", "another passphrase"))
    with pytest.raises(StoreError, match="at least 10 characters"):
        new_store_passphrase(answers("short", "short"))
    source = new_store_passphrase_source(answers("our front desk passphrase", "our front desk passphrase"))
    assert source("New store passphrase: ") == source("Repeat the passphrase: ") == "our front desk passphrase"
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(StoreError, match="HMS_PASSPHRASE"):
        new_store_passphrase()
    monkeypatch.setenv("HMS_PASSPHRASE", "from the environment")
    assert new_store_passphrase() == "from the environment"


# 17. hms backup to a folder that does not exist


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("first-day")
    data, key_file = base / "data", base / "recovery.txt"
    result = init(data, "--recovery-key-file", str(key_file))
    assert result.returncode == 0, result.stderr
    return data, key_file


def test_backup_to_a_missing_folder_is_refused_and_creates_nothing(clinic: tuple[Path, Path], tmp_path: Path) -> None:
    data, _ = clinic
    before = folder_digest(data)
    usb = tmp_path / "media" / "usb-stick"
    result = hms("backup", str(usb / "clinic.hmsbak"), data_dir=data)
    assert result.returncode == 1, result.stdout
    assert "does not exist" in one_sentence(result)
    assert "written" not in result.stdout
    assert not (tmp_path / "media").exists()
    assert folder_digest(data) == before


def test_store_backup_refuses_a_missing_folder_and_auto_backups_still_make_theirs(
    clinic_paths: StorePaths, tmp_path: Path
) -> None:
    from hms_desktop.storage import store as st

    with st.open_store(clinic_paths) as store:
        with pytest.raises(StoreError, match="does not exist"):
            st.backup(store, tmp_path / "missing" / "x.hmsbak")
        assert not (tmp_path / "missing").exists()
        made = st.auto_backup(store, reason="daily")
        assert made.is_file() and made.parent == clinic_paths.backups


# 18. hms restore over a store: confirmed, and the store it replaces kept as a verified backup


@pytest.fixture
def changed_since_backup(tmp_path: Path, no_keyring: None) -> tuple[Path, Path, Path]:
    """A store, its backup, then one more user added: (data dir, backup file, recovery key file)."""
    from hms_desktop.context import Actor
    from hms_desktop.runtime import context_for
    from hms_desktop.services.admin.users import UserInput, create_user
    from hms_desktop.storage.store import open_store

    data, key_file, backup = tmp_path / "data", tmp_path / "recovery.txt", tmp_path / "clinic.hmsbak"
    assert init(data, "--recovery-key-file", str(key_file)).returncode == 0
    assert hms("backup", str(backup), data_dir=data).returncode == 0
    with open_store(StorePaths(data), passphrase_source=lambda _prompt: PASS) as store:
        ctx = context_for(store, Actor.system("test"))
        create_user(ctx, UserInput("ravi@sunrise.example.in", "Ravi Nair", ADMIN_PASSWORD, ["Receptionist"]))
    return data, backup, key_file


def test_restore_with_yes_keeps_the_replaced_store_as_a_verified_backup(
    changed_since_backup: tuple[Path, Path, Path],
) -> None:
    from db.backup import verify_file

    data, backup, key_file = changed_since_backup
    result = hms("restore", str(backup), "--yes", data_dir=data)
    assert result.returncode == 0, result.stderr
    found = re.search(r"as (\S+\.hmsbak)", result.stdout)
    assert found, result.stdout
    kept = Path(found.group(1))
    assert kept.is_file() and kept.parent == data / "backups"
    rkey = StoreKey.from_raw(recovery.decode(key_file.read_text().strip()))
    assert verify_file(kept, rkey).ok
    assert users_in(kept, rkey) == 2  # the store as it was, with the user added after the backup
    count = hms("sql", "-c", "SELECT count(*) FROM users", data_dir=data)
    assert count.stdout.splitlines()[1] == "1"  # the restore happened
    assert hms("check", data_dir=data).returncode == 0


def test_restore_without_yes_and_no_terminal_is_refused_and_changes_nothing(
    changed_since_backup: tuple[Path, Path, Path],
) -> None:
    data, backup, _ = changed_since_backup
    before = folder_digest(data)
    result = hms("restore", str(backup), data_dir=data)
    assert result.returncode == 1, result.stdout
    assert "--yes" in one_sentence(result)
    assert folder_digest(data) == before and not (data / "backups").exists()
    count = hms("sql", "-c", "SELECT count(*) FROM users", data_dir=data)
    assert count.stdout.splitlines()[1] == "2"


def test_restore_in_a_terminal_asks_no_changes_nothing_yes_restores(
    changed_since_backup: tuple[Path, Path, Path],
) -> None:
    data, backup, _ = changed_since_backup
    before = folder_digest(data)
    code, shown = in_terminal(["--data-dir", str(data), "restore", str(backup)], [("Replace the store", "n")])
    assert code == 1 and "nothing was changed" in shown, shown
    assert folder_digest(data) == before and not (data / "backups").exists()
    code, shown = in_terminal(["--data-dir", str(data), "restore", str(backup)], [("Replace the store", "y")])
    assert code == 0 and "Restored from" in shown, shown
    assert len(list((data / "backups").glob("before-restore-*.hmsbak"))) == 1
    assert hms("sql", "-c", "SELECT count(*) FROM users", data_dir=data).stdout.splitlines()[1] == "1"


# 19. two statements in hms sql


def test_sql_with_two_statements_says_one_at_a_time(clinic: tuple[Path, Path]) -> None:
    data, _ = clinic
    result = hms("sql", "-c", "SELECT 1; DELETE FROM users", data_dir=data)
    assert result.returncode in (1, 2), result.stderr
    assert "one statement at a time" in one_sentence(result)
    assert hms("sql", "-c", "SELECT count(*) FROM users", data_dir=data).stdout.splitlines()[1] == "1"


def test_sql_prompt_answers_a_good_line_after_a_bad_one(clinic: tuple[Path, Path]) -> None:
    data, _ = clinic
    result = hms("sql", data_dir=data, stdin="SELECT 1; DELETE FROM users;\nSELECT 40 + 2 AS answer;\n")
    assert result.returncode == 0, result.stderr
    assert "error: hms sql runs one statement at a time" in result.stdout
    assert "answer\n42\n(1 rows)" in result.stdout
    assert "internal error" not in result.stdout + result.stderr


# 20. the demo clinic's store, opened with the command the README gives


def test_readme_command_opens_the_demo_store(tmp_path: Path, no_keyring: None) -> None:
    from hms_desktop.demo import PASSPHRASE, open_demo
    from hms_desktop.storage.paths import default_data_dir

    lines = [line for line in README.read_text("utf-8").splitlines() if "hms --data-dir" in line and "demo" in line]
    assert len(lines) == 1, "README documents how to open the demo store with hms"
    words = shlex.split(lines[0], comments=True)
    env = dict(w.split("=", 1) for w in words if re.fullmatch(r"[A-Z_]+=.*", w))
    command = [w for w in words if not re.fullmatch(r"[A-Z_]+=.*", w)]
    assert env == {"HMS_PASSPHRASE": PASSPHRASE}
    assert command[0].endswith("hms") and command[1] == "--data-dir"
    documented = Path(os.path.expandvars(command[2]))
    if sys.platform.startswith("linux") and not os.environ.get("XDG_DATA_HOME"):
        assert documented == default_data_dir() / "demo"  # where `tasks.py run --demo` puts it

    demo = tmp_path / "demo"
    open_demo(StorePaths(demo)).close()
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("HMS_")} | env
    result = subprocess.run(
        [str(HMS), "--data-dir", str(demo), *command[3:]],
        check=False, capture_output=True, text=True, env=run_env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks OK." in result.stdout

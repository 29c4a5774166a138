"""A crafted backup cannot keep a backdoor (issue 11, finding 10).

The review planted a trigger in a backup that reset the Super Admin's password at each sign-in; ``hms restore``
took it and ``hms check`` said "All checks OK". Now restore and check compare every table, index, trigger and
view with what the migrations make (``db.schema_guard``): a real backup with a planted trigger, view and index
is refused by name with nothing replaced, the same objects planted in a live store fail ``hms check``, and a
changed append-only trigger or a dropped index is named too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlcipher3.dbapi2 as dbapi
from sqlalchemy.pool import StaticPool

from db import migrate, schema_guard
from db.engine import StoreKey, connect
from db.errors import BackupInvalid
from hms_desktop.cli.main import main
from hms_desktop.security import recovery
from hms_desktop.services.admin.auth import login
from hms_desktop.storage import store as st
from hms_desktop.storage.paths import StorePaths
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.helpers import folder_digest

BACKDOOR = (
    "CREATE TRIGGER trg_users_keep_admin AFTER UPDATE OF last_login_at ON users BEGIN "
    "UPDATE users SET password_hash = 'attacker-hash', status = 'active' WHERE email = 'admin@sunrise.example.in'; "
    "END"
)
VIEW = "CREATE VIEW v_password_hashes AS SELECT email, password_hash FROM users"
INDEX = "CREATE INDEX ix_patients_phone_extra ON patients (phone)"
NAMED = ("trigger trg_users_keep_admin on users", "view v_password_hashes", "index ix_patients_phone_extra on patients")


def plant(path: Path, key: StoreKey, *statements: str) -> None:
    conn = connect(path, key)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


@pytest.fixture
def crafted(store: st.Store, tmp_path: Path) -> Path:
    """A real backup of the clinic with the review's backdoor trigger, a view and an index planted in it."""
    backup = tmp_path / "crafted.hmsbak"
    st.backup(store, backup)
    plant(backup, store.backup_key(), BACKDOOR, VIEW, INDEX)
    return backup


def test_the_planted_trigger_is_a_backdoor(store: st.Store) -> None:
    """What the attack does where it is let in: a sign-in resets the Super Admin's password."""
    plant(store.paths.store, store.key, BACKDOOR)
    from hms_desktop.context import Actor
    from hms_desktop.runtime import context_for

    login(context_for(store, Actor.anonymous()), ADMIN_EMAIL, ADMIN_PASSWORD)
    with store.engine.connect() as conn:
        hashes = conn.exec_driver_sql("SELECT password_hash FROM users WHERE email = ?", (ADMIN_EMAIL,)).scalars()
        assert list(hashes) == ["attacker-hash"]


def test_restore_refuses_a_backup_with_planted_objects_and_replaces_nothing(store: st.Store, crafted: Path) -> None:
    paths = store.paths
    store.close()
    before = folder_digest(paths.data_dir)
    with pytest.raises(BackupInvalid) as refused:
        st.restore(paths, crafted)
    message = refused.value.message
    assert "may have been tampered with" in message
    for name in NAMED:
        assert f"an extra {name}" in message
    assert folder_digest(paths.data_dir) == before
    assert not list(paths.data_dir.glob("store.db.*"))


def test_hms_restore_refuses_it_too_on_a_new_pc(
    crafted: Path, recovery_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], passphrase: str
) -> None:
    key_file = tmp_path / "recovery.txt"
    key_file.write_text(recovery_key)
    fresh = tmp_path / "new-pc"
    args = ["--data-dir", str(fresh), "restore", str(crafted), "--recovery-key-file", str(key_file)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "trigger trg_users_keep_admin on users" in err and "cannot be restored" in err
    assert not fresh.exists() or not any(fresh.iterdir())


def test_check_fails_a_store_with_planted_objects_naming_each(
    store: st.Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert all(r.ok for r in st.check(store))
    plant(store.paths.store, store.key, BACKDOOR, VIEW, INDEX)
    failed = [r for r in st.check(store) if not r.ok]
    assert [r.name for r in failed] == ["schema objects as the migrations make them"]
    for name in NAMED:
        assert f"an extra {name}" in failed[0].detail
    paths = store.paths
    store.close()
    assert main(["--data-dir", str(paths.data_dir), "check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL schema objects as the migrations make them" in out and "trg_users_keep_admin" in out
    assert "All checks OK" not in out


def test_a_changed_ledger_trigger_and_a_dropped_index_are_named(store: st.Store) -> None:
    with store.engine.connect() as conn:
        index = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'patients' AND sql IS NOT NULL"
        ).scalars().first()  # fmt: skip
    assert index is not None
    plant(
        store.paths.store,
        store.key,
        "DROP TRIGGER trg_audit_logs_no_update",
        "CREATE TRIGGER trg_audit_logs_no_update BEFORE UPDATE ON audit_logs BEGIN SELECT 1; END",
        f"DROP INDEX {index}",
    )
    detail = next(r.detail for r in st.check(store) if not r.ok)
    assert "a changed trigger trg_audit_logs_no_update on audit_logs" in detail
    assert f"a missing index {index} on patients" in detail


def test_a_clean_backup_still_restores(store: st.Store, tmp_path: Path) -> None:
    backup = tmp_path / "clean.hmsbak"
    st.backup(store, backup)
    paths = store.paths
    store.close()
    st.restore(paths, backup)
    with st.open_store(paths) as again:
        assert all(r.ok for r in st.check(again))


def test_a_store_upgraded_step_by_step_has_the_schema_of_a_fresh_one() -> None:
    """No false alarm for an old PC: every migration in turn gives what the migrations make at head."""
    raw = dbapi.connect(":memory:", isolation_level=None, check_same_thread=False)
    engine = sa.create_engine("sqlite://", creator=lambda: raw, module=dbapi, poolclass=StaticPool)
    try:
        for rev in reversed(list(migrate.script_directory().walk_revisions())):
            migrate.upgrade(engine, rev.revision)
        assert schema_guard.problems(raw, migrate.head_revision()) == []
    finally:
        engine.dispose()
        raw.close()


def test_the_guard_ignores_what_sqlite_keeps_for_itself(store: st.Store) -> None:
    plant(store.paths.store, store.key, "ANALYZE")
    assert all(r.ok for r in st.check(store))


def test_a_backup_restores_on_a_new_pc_with_its_recovery_key(
    store: st.Store, recovery_key: str, tmp_path: Path, passphrase: str
) -> None:
    backup = tmp_path / "clean.hmsbak"
    st.backup(store, backup)
    paths = StorePaths(tmp_path / "elsewhere")
    st.restore(paths, backup, recovery_key=recovery.decode(recovery_key))
    with st.open_store(paths) as again:
        assert all(r.ok for r in st.check(again))

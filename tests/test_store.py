"""The encrypted store: keys, wrong keys, foreign files, backup, restore, rekey, newer stores, checks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlcipher3.dbapi2 as sqlcipher

from db.engine import StoreKey, connect
from db.errors import BackupInvalid, StoreExists, StoreInUse, StoreNotFound, StoreTooNew, WrongKeyOrNotAStore
from db.models.patients import Patient
from hms_desktop.context import Actor
from hms_desktop.runtime import context_for
from hms_desktop.security import recovery
from hms_desktop.storage import store as st
from hms_desktop.storage.paths import StorePaths
from tests.conftest import PASSPHRASE, make_clinic
from tests.helpers import digest, folder_digest


def add_patient(store: st.Store, name: str = "Zeenat Qureshi", phone: str = "9812345678") -> None:
    ctx = context_for(store, Actor.system("test"))
    with ctx.transaction() as tx:
        tx.session.add(Patient(code="PAT-2026-90001", full_name=name, name_search=name.lower(), phone=phone))
        tx.commit()


def test_raw_file_holds_no_plaintext_and_plain_sqlite_cannot_read_it(store: st.Store) -> None:
    add_patient(store)
    store.engine.dispose()  # checkpoint: everything into the main file
    blob = b"".join(p.read_bytes() for p in store.paths.data_dir.iterdir() if p.is_file())
    for needle in ("Zeenat Qureshi", "Zeenat", "9812345678", "Sunrise Clinic", "patients", "CREATE TABLE"):
        assert needle.encode() not in blob
        assert needle.encode("utf-16-le") not in blob
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(store.paths.store).execute("SELECT * FROM sqlite_master").fetchall()


def test_store_files_are_private(store: st.Store) -> None:
    assert (store.paths.data_dir.stat().st_mode & 0o077) == 0
    for path in (store.paths.store, store.paths.config):
        assert (path.stat().st_mode & 0o077) == 0, path


def test_passphrase_store_opens_with_standard_sqlcipher_settings(tmp_path: Path, passphrase: str) -> None:
    """What the `sqlcipher` shell does: PRAGMA key = 'passphrase' with SQLCipher 4 defaults, nothing else."""
    paths, _ = make_clinic(tmp_path / "data")
    conn = sqlcipher.connect(str(paths.store))
    conn.execute(f"PRAGMA key = '{PASSPHRASE}'")
    assert conn.execute("SELECT name FROM hospitals").fetchall() == [("Sunrise Clinic",)]
    assert conn.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    conn.close()
    assert not paths.vault.read_bytes().count(PASSPHRASE.encode())


def test_wrong_passphrase_is_one_sentence_and_changes_nothing(
    tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, _ = make_clinic(tmp_path / "data")
    before = folder_digest(paths.data_dir)
    monkeypatch.setenv("HMS_PASSPHRASE", "not the right passphrase")
    with pytest.raises(WrongKeyOrNotAStore) as err:
        st.open_store(paths)
    assert "wrong" in err.value.message and "\n" not in err.value.message
    assert folder_digest(paths.data_dir) == before


def test_wrong_raw_key_is_refused_without_writing(store: st.Store) -> None:
    store.close()
    before = digest(store.paths.store)
    with pytest.raises(WrongKeyOrNotAStore):
        connect(store.paths.store, StoreKey.from_raw(os.urandom(32)))
    assert digest(store.paths.store) == before
    assert not Path(str(store.paths.store) + "-wal").exists()


def test_a_file_that_is_not_a_store_is_refused_not_overwritten(clinic_paths: StorePaths) -> None:
    clinic_paths.store.write_bytes(os.urandom(8192))
    before = digest(clinic_paths.store)
    with pytest.raises(WrongKeyOrNotAStore, match="not an HMS store"):
        st.open_store(clinic_paths)
    assert digest(clinic_paths.store) == before


def test_a_plain_sqlite_file_is_named_as_such(clinic_paths: StorePaths) -> None:
    clinic_paths.store.unlink()
    plain = sqlite3.connect(clinic_paths.store)
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    before = digest(clinic_paths.store)
    with pytest.raises(WrongKeyOrNotAStore, match="unencrypted SQLite file"):
        st.open_store(clinic_paths)
    assert digest(clinic_paths.store) == before


def test_missing_data_dir_is_a_clear_error_and_creates_nothing(tmp_path: Path) -> None:
    paths = StorePaths(tmp_path / "nowhere")
    with pytest.raises(StoreNotFound, match="does not exist"):
        st.open_store(paths)
    assert not paths.data_dir.exists()


def test_init_over_an_existing_store_is_refused(clinic_paths: StorePaths) -> None:
    before = folder_digest(clinic_paths.data_dir)
    with pytest.raises(StoreExists):
        st.init_store(clinic_paths)
    assert folder_digest(clinic_paths.data_dir) == before


def test_no_keyring_and_no_passphrase_refuses_to_create(tmp_path: Path, no_keyring: None) -> None:
    paths = StorePaths(tmp_path / "data")
    with pytest.raises(Exception, match="passphrase"):
        st.init_store(paths)
    assert not paths.store.exists()


def test_short_passphrase_refused(tmp_path: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMS_PASSPHRASE", "short")
    with pytest.raises(Exception, match="at least 10"):
        st.init_store(StorePaths(tmp_path / "data"))


def test_backup_restores_on_another_machine_with_the_recovery_key(
    store: st.Store, recovery_key: str, tmp_path: Path
) -> None:
    add_patient(store)
    backup = tmp_path / "clinic.hmsbak"
    st.backup(store, backup)
    store.close()
    other = StorePaths(tmp_path / "other-pc")
    st.restore(other, backup, recovery_key=recovery.decode(recovery_key))
    with st.open_store(other) as restored, restored.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT full_name FROM patients").scalar() == "Zeenat Qureshi"
        assert all(r.ok for r in st.check(restored))
    # the backup opened with the recovery key only, never with the store key
    with pytest.raises(WrongKeyOrNotAStore):
        connect(backup, store.key)


def test_backup_without_the_recovery_key_cannot_be_restored(store: st.Store, tmp_path: Path) -> None:
    backup = tmp_path / "clinic.hmsbak"
    st.backup(store, backup)
    with pytest.raises(BackupInvalid):
        st.restore(StorePaths(tmp_path / "other"), backup, recovery_key=os.urandom(32))
    assert not (tmp_path / "other" / "store.db").exists()


@pytest.mark.parametrize("damage", ["truncate", "bitflip"])
def test_damaged_backup_is_refused_and_live_store_untouched(store: st.Store, tmp_path: Path, damage: str) -> None:
    backup = tmp_path / "clinic.hmsbak"
    st.backup(store, backup)
    data = bytearray(backup.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0x10
    backup.write_bytes(bytes(data))
    store.close()
    before = folder_digest(store.paths.data_dir)
    with pytest.raises(BackupInvalid):
        st.restore(store.paths, backup)
    assert folder_digest(store.paths.data_dir) == before
    with st.open_store(store.paths) as again:
        assert all(r.ok for r in st.check(again))


def test_restore_onto_a_store_in_use_is_refused(store: st.Store, tmp_path: Path) -> None:
    backup = tmp_path / "clinic.hmsbak"
    st.backup(store, backup)
    config = store.paths.read_config()
    store.close()
    # Another program (here a child process) has the store open.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time, keyring
            from tests.memory_keyring import MemoryKeyring
            from hms_desktop.storage.lock import StoreLock
            lock = StoreLock(__import__('pathlib').Path({str(store.paths.lock)!r}), exclusive=False).acquire()
            print('open', flush=True)
            time.sleep(30)
        """),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        before = folder_digest(store.paths.data_dir)
        with pytest.raises(StoreInUse, match="open in another HMS program"):
            st.restore(store.paths, backup)
        assert folder_digest(store.paths.data_dir) == before
    finally:
        holder.kill()
        holder.wait()
    assert config == store.paths.read_config()


def test_restore_replaces_the_live_store(store: st.Store, tmp_path: Path) -> None:
    backup = tmp_path / "before.hmsbak"
    st.backup(store, backup)
    add_patient(store, "Added After Backup", "9876501234")
    store.close()
    st.restore(store.paths, backup)
    with st.open_store(store.paths) as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM patients").scalar() == 0
    assert not list(store.paths.data_dir.glob("store.db.*"))


def test_rekey_in_keyring_mode(store: st.Store) -> None:
    add_patient(store)
    old_key = store.key
    store.close()
    st.rekey(store.paths)
    with pytest.raises(WrongKeyOrNotAStore):
        connect(store.paths.store, old_key)
    with st.open_store(store.paths) as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM patients").scalar() == 1


def test_rekey_in_passphrase_mode(tmp_path: Path, passphrase: str, monkeypatch: pytest.MonkeyPatch) -> None:
    paths, _ = make_clinic(tmp_path / "data")
    st.rekey(paths, new_passphrase="a brand new passphrase")
    with pytest.raises(WrongKeyOrNotAStore):
        st.open_store(paths)
    monkeypatch.setenv("HMS_PASSPHRASE", "a brand new passphrase")
    with st.open_store(paths) as s:
        assert s.recovery_key()  # the vault was resealed with the new passphrase
        assert all(r.ok for r in st.check(s))


def test_a_store_from_a_newer_version_is_refused_and_left_untouched(store: st.Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    store.close()
    before = folder_digest(store.paths.data_dir)
    with pytest.raises(StoreTooNew, match="newer version"):
        st.open_store(store.paths)
    assert folder_digest(store.paths.data_dir) == before


def test_check_reports_every_check_ok_on_a_new_store(store: st.Store) -> None:
    results = st.check(store)
    names = [r.name for r in results]
    assert {"cipher_integrity_check", "integrity_check", "foreign_key_check"} <= set(names)
    assert sum("SUM(" in n for n in names) == 4
    assert all(r.ok for r in results), [r for r in results if not r.ok]


def test_check_finds_a_cached_balance_that_disagrees_with_its_ledger(store: st.Store) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO optical_products (id, sku, name, category, brand, model, color, size, material, hsn_code,"
            " gst_rate_basis_points, mrp_paise, cost_price_paise, stock_quantity, reorder_level, is_active,"
            " created_at, updated_at) VALUES ('p1', 'FR-1', 'Frame', 'frame', '', '', '', '', '', '9003',"
            " 1200, 150000, 90000, 7, 0, 1, '2026-01-01', '2026-01-01')"
        )
    bad = [r for r in st.check(store) if not r.ok]
    assert [r.name for r in bad] == ["optical_products.stock_quantity = SUM(stock_movements)"]
    assert "7 vs 0" in bad[0].detail


def test_recovery_key_round_trip_and_typo() -> None:
    key = os.urandom(32)
    text = recovery.encode(key)
    assert text.startswith("HMSR-") and recovery.decode(text.lower().replace("-", " ")) == key
    typo = text[:-1] + ("A" if text[-1] != "A" else "B")
    with pytest.raises(recovery.RecoveryKeyError, match="typo"):
        recovery.decode(typo)


def test_auto_backup_keeps_the_last_ten(store: st.Store) -> None:
    for _ in range(12):
        st.auto_backup(store, reason="daily")
        time.sleep(0.002)
    assert len(list(store.paths.backups.glob("auto-*.hmsbak"))) == st.AUTO_BACKUPS_KEPT


def test_a_store_of_the_first_migration_is_backed_up_then_upgraded(store: st.Store) -> None:
    from db import migrate
    from hms_desktop.services.reception.patient_search import search_patients

    add_patient(store, "Older Store Patient")
    migrate.downgrade(store.engine, "0001")
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == "0001"
    store.close()
    assert not list(store.paths.backups.glob("*pre-upgrade*"))
    with st.open_store(store.paths) as upgraded:
        backups = list(upgraded.paths.backups.glob("auto-*-pre-upgrade.hmsbak"))
        assert len(backups) == 1
        with connect(backups[0], upgraded.backup_key(), readonly=True) as old:  # type: ignore[attr-defined]
            assert old.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        assert all(r.ok for r in st.check(upgraded))
        ctx = context_for(upgraded, Actor.system("test"))
        assert [p.full_name for p in search_patients(ctx, "older sto").items] == ["Older Store Patient"]

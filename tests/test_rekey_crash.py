"""``hms rekey`` is crash-safe at every step (issue 11, finding 9).

The review's attack: with a keyring, the store was re-encrypted and the old file deleted before the new key
was saved; when that keyring write failed the key existed only under a name no code read, and open, rekey and
restore all failed. Here each step of ``hms_desktop.storage.rekey.STEPS`` fails in turn (an exception at the
step, or the process killed there), and so does each keyring write; after each, the store opens with the key
the code reads, the data is intact, no leftover stays once it opened, and a second rekey succeeds.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from db.engine import StoreKey, connect
from db.models.patients import Patient
from hms_desktop.context import Actor
from hms_desktop.runtime import context_for
from hms_desktop.security.keystore import SERVICE, KeyringStore
from hms_desktop.storage import rekey as rekeying
from hms_desktop.storage import store as st
from hms_desktop.storage.paths import StorePaths
from tests.conftest import PASSPHRASE, make_clinic
from tests.file_keyring import FailingKeyring, FileKeyring

REPO = Path(__file__).resolve().parents[1]
NEW_PASSPHRASE = "a brand new passphrase 2027"


class Boom(RuntimeError):
    pass


def fail_at(step: str) -> Callable[[str], None]:
    def hook(name: str) -> None:
        if name == step:
            raise Boom(f"failed at {step}")

    return hook


def add_patient(store: st.Store) -> None:
    ctx = context_for(store, Actor.system("test"))
    with ctx.transaction() as tx:
        tx.session.add(Patient(code="PAT-2026-90001", full_name="Zeenat Qureshi", name_search="zeenat qureshi",
                               phone="9812345678"))  # fmt: skip
        tx.commit()


@pytest.fixture
def backend() -> Iterator[Callable[[KeyringBackend], None]]:
    """Swap the process's keyring for the test; the suite's in-memory one comes back afterwards."""
    before = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(before)


@pytest.fixture(scope="session")
def passphrase_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clinic keyed by a passphrase, with one patient, copied for each test (set up once)."""
    base = tmp_path_factory.mktemp("passphrase-template") / "data"
    saved = {name: os.environ.get(name) for name in ("HMS_KEYRING", "HMS_PASSPHRASE")}
    os.environ.update({"HMS_KEYRING": "off", "HMS_PASSPHRASE": PASSPHRASE})
    try:
        paths, _ = make_clinic(base)
        with st.open_store(paths) as store:
            add_patient(store)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return base


@pytest.fixture
def passphrase_clinic(passphrase_template: Path, tmp_path: Path, passphrase: str) -> StorePaths:
    dest = tmp_path / "data"
    shutil.copytree(passphrase_template, dest, ignore=shutil.ignore_patterns("store.lock"))
    return StorePaths(dest)


@pytest.fixture
def keyring_clinic(clinic_paths: StorePaths) -> StorePaths:
    with st.open_store(clinic_paths) as store:
        add_patient(store)
    return clinic_paths


def assert_sound(paths: StorePaths, passphrase: str | None = None) -> None:
    """Opens the way the code does, data intact, checks pass, nothing half-done left; the saved key opens the
    file itself."""
    if passphrase is not None:
        os.environ["HMS_PASSPHRASE"] = passphrase
    with st.open_store(paths) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT full_name FROM patients").scalars().all() == ["Zeenat Qureshi"]
        assert all(r.ok for r in st.check(store)), [r for r in st.check(store) if not r.ok]
        assert store.recovery_key()  # the other secrets are readable too
    assert sorted(p.name for p in paths.data_dir.glob("store.db.*")) == []
    assert not paths.vault.with_name(paths.vault.name + ".next").exists()
    if passphrase is None:
        keys = KeyringStore(paths.read_config()["store_id"])
        assert keys.get(rekeying.PENDING_KEY) is None
        saved = keys.get(rekeying.STORE_KEY)
        assert saved is not None
        connect(paths.store, StoreKey.from_raw(saved)).close()


@pytest.mark.parametrize("step", rekeying.STEPS)
def test_a_failure_at_any_step_of_a_keyring_rekey_leaves_a_store_that_opens(keyring_clinic: StorePaths,
                                                                          step: str) -> None:  # fmt: skip
    with pytest.raises(Boom):
        rekeying.rekey(keyring_clinic, on_step=fail_at(step))
    assert_sound(keyring_clinic)
    st.rekey(keyring_clinic)  # a second rekey succeeds
    assert_sound(keyring_clinic)


@pytest.mark.parametrize(
    ("fail_set", "written"),
    [(("store-key-next",), False), (("store-key",), False), (("store-key",), True)],
    ids=["saving the key aside fails", "saving the new key fails", "saving the new key lands but answers an error"],
)
def test_a_keyring_that_refuses_a_write_never_locks_the_store(
    keyring_clinic: StorePaths, backend: Callable[[KeyringBackend], None], fail_set: tuple[str, ...], written: bool
) -> None:
    """The review's case: the keyring refuses to save the new key after the store was re-encrypted."""
    from tests.conftest import _KEYRING

    failing = FailingKeyring(_KEYRING.values, fail_set=fail_set, written=written)
    backend(failing)
    with pytest.raises(Exception, match="refused"):
        st.rekey(keyring_clinic)
    assert_sound(keyring_clinic)  # with the keyring still refusing
    backend(FailingKeyring(failing.values))  # the keyring works again
    st.rekey(keyring_clinic)
    assert_sound(keyring_clinic)


def test_a_keyring_that_cannot_forget_the_key_set_aside_leaves_a_store_that_opens(
    keyring_clinic: StorePaths, backend: Callable[[KeyringBackend], None]
) -> None:
    from tests.conftest import _KEYRING

    backend(FailingKeyring(_KEYRING.values, fail_delete=("store-key-next",)))
    st.rekey(keyring_clinic)
    with st.open_store(keyring_clinic) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM patients").scalar() == 1
    st.rekey(keyring_clinic)
    with st.open_store(keyring_clinic) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM patients").scalar() == 1


CRASH = """
import os, sys
import keyring
from pathlib import Path
from tests.file_keyring import FileKeyring
if sys.argv[3] != "-":
    keyring.set_keyring(FileKeyring(Path(sys.argv[3])))
from hms_desktop.storage import rekey
from hms_desktop.storage.paths import StorePaths

def hook(name):
    if name == sys.argv[2]:
        os._exit(17)  # killed here: nothing after this step runs, no clean-up either

rekey.rekey(StorePaths(Path(sys.argv[1])), new_passphrase=os.environ.get("HMS_NEW_PASSPHRASE"), on_step=hook)
"""


def crash_rekey(paths: StorePaths, step: str, keyring_file: Path | None, env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASH), str(paths.data_dir), step, str(keyring_file or "-")],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 17, result.stderr[-2000:]


@pytest.mark.parametrize("step", rekeying.STEPS)
def test_a_keyring_rekey_killed_at_any_step_is_settled_when_the_store_next_opens(
    keyring_clinic: StorePaths, backend: Callable[[KeyringBackend], None], tmp_path: Path, step: str
) -> None:
    shared = FileKeyring(tmp_path / "keyring.json")
    store_id = keyring_clinic.read_config()["store_id"]
    mine = KeyringStore(store_id)
    for name in ("store-key", "recovery-key", "jwt-secret"):
        value = mine.get(name)
        assert value is not None
        shared.set_password(SERVICE, f"{store_id}:{name}", base64.b64encode(value).decode())
    backend(shared)
    crash_rekey(keyring_clinic, step, shared.path, {})
    assert_sound(keyring_clinic)
    st.rekey(keyring_clinic)
    assert_sound(keyring_clinic)


@pytest.mark.parametrize("step", [s for s in rekeying.STEPS if s != "forget-pending"])
def test_a_passphrase_rekey_killed_at_any_step_opens_with_one_of_the_two_passphrases(
    passphrase_clinic: StorePaths, step: str
) -> None:
    paths = passphrase_clinic
    crash_rekey(paths, step, None, {"HMS_KEYRING": "off", "HMS_PASSPHRASE": PASSPHRASE,
                                    "HMS_NEW_PASSPHRASE": NEW_PASSPHRASE})  # fmt: skip
    # up to the vault's replacement the old passphrase still opens it (the half-done rekey is undone);
    # after it, the new one does
    now = NEW_PASSPHRASE if step == "delete-old" else PASSPHRASE
    assert_sound(paths, now)
    st.rekey(paths, new_passphrase="and a third passphrase 2028")
    assert_sound(paths, "and a third passphrase 2028")


@pytest.mark.parametrize("step", [s for s in rekeying.STEPS if s != "forget-pending"])
def test_a_failure_at_any_step_of_a_passphrase_rekey_leaves_a_store_that_opens(
    passphrase_clinic: StorePaths, step: str
) -> None:
    paths = passphrase_clinic
    with pytest.raises(Boom):
        rekeying.rekey(paths, new_passphrase=NEW_PASSPHRASE, on_step=fail_at(step))
    assert_sound(paths, NEW_PASSPHRASE if step == "delete-old" else PASSPHRASE)
    st.rekey(paths, new_passphrase="and a third passphrase 2028")
    assert_sound(paths, "and a third passphrase 2028")

"""The data folder and its backups folder are the owner's only (0700), even when they already existed looser
(made by hand, by an installer, under a permissive umask) before the app touched them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import auto_backup, open_store
from tests.conftest import make_clinic


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_looser_data_folder_is_tightened_when_the_clinic_is_made(tmp_path: Path, loose_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    paths, _ = make_clinic(data)
    assert mode(paths.data_dir) == 0o700


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_an_existing_store_folder_and_backups_are_tightened_on_open(
    clinic_paths: StorePaths, loose_umask: None
) -> None:
    os.chmod(clinic_paths.data_dir, 0o755)
    clinic_paths.backups.mkdir(exist_ok=True)
    os.chmod(clinic_paths.backups, 0o775)
    store = open_store(clinic_paths)
    try:
        assert mode(clinic_paths.data_dir) == 0o700
        made = auto_backup(store, reason="test")
        assert mode(clinic_paths.backups) == 0o700
        assert mode(made) & 0o077 == 0
    finally:
        store.close()

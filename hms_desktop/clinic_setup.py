"""Creating a clinic from nothing: a new store, its keys, the hospital and the first Super Admin.

Used by ``hms init`` and the desktop's first-run wizard. Every field is checked before anything is created;
if a later step fails, the half-made store is removed, so the next attempt starts clean.
"""

from __future__ import annotations

from dataclasses import replace

from db.ids import uuid7
from hms_desktop.context import Actor, WorkstationInfo
from hms_desktop.runtime import context_for
from hms_desktop.services.admin.setup import AdminInput, HospitalInput, SetupResult, initialize_clinic, validate_setup
from hms_desktop.storage.keys import PassphraseSource, env_or_prompt
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import InitResult, discard_new_store, init_store


def create_clinic(
    paths: StorePaths,
    hospital: HospitalInput,
    admin: AdminInput,
    *,
    key_mode: str = "auto",
    passphrase_source: PassphraseSource = env_or_prompt,
    workstation_name: str = "Workstation 1",
) -> tuple[InitResult, SetupResult]:
    """The new store (left open: close it when done) and what was set up in it."""
    validate_setup(hospital, admin)
    result = init_store(paths, key_mode=key_mode, passphrase_source=passphrase_source)
    try:
        ctx = context_for(result.store, Actor.system("first set-up"))
        ctx = replace(ctx, workstation=WorkstationInfo(uuid7(), workstation_name))
        setup = initialize_clinic(ctx, hospital, admin, workstation_name=workstation_name)
    except BaseException:
        discard_new_store(result.store)
        raise
    return result, setup

"""``hms init | backup | restore | rekey | check``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from hms_desktop.audit.trail import record
from hms_desktop.cli.common import ask, cli_context, interactive, open_for, paths_of, read_secret_file
from hms_desktop.clinic_setup import create_clinic
from hms_desktop.clock import Clock
from hms_desktop.errors import HmsError
from hms_desktop.security import recovery
from hms_desktop.security.keystore import write_private
from hms_desktop.services.admin.setup import AdminInput, HospitalInput
from hms_desktop.storage import store as store_ops
from hms_desktop.storage.keys import (
    NEW_STORE_PASSPHRASE_NEEDED,
    choose_mode,
    env_or_prompt,
    new_passphrase_from,
    new_store_passphrase_source,
    prompt_only,
)
from hms_desktop.storage.paths import StorePaths
from hms_desktop.storage.store import discard_new_store
from hms_desktop.sync.catch_up import CaughtUp, catch_up


def register(sub: Any) -> None:
    p = sub.add_parser("init", help="create the store, the hospital and the first Super Admin")
    p.add_argument("--hospital-name")
    p.add_argument("--hospital-address", default="")
    p.add_argument("--hospital-city", default="")
    p.add_argument("--hospital-state-code", default=None, help="GST state code, e.g. 29 for Karnataka")
    p.add_argument("--hospital-pincode", default="")
    p.add_argument("--hospital-phone", default="")
    p.add_argument("--hospital-email", default="")
    p.add_argument("--hospital-gstin", default=None)
    p.add_argument("--hospital-licence", default="")
    p.add_argument("--admin-email")
    p.add_argument("--admin-name")
    p.add_argument("--admin-phone", default="")
    p.add_argument("--password-stdin", action="store_true", help="read the admin password from stdin")
    p.add_argument("--recovery-key-file", help="also write the recovery key to this new file (mode 0600)")
    p.add_argument("--key-mode", choices=["auto", "keyring", "passphrase"], default="auto")
    p.add_argument("--workstation-name", default="Workstation 1")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("backup", help="write an encrypted, verified backup (opens with the recovery key)")
    p.add_argument("file")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore", help="replace this PC's store with a verified backup (an enrolled PC first catches it up)"
    )
    p.add_argument("file")
    p.add_argument("--recovery-key-file", help="a file holding the backup's recovery key")
    p.add_argument("--key-mode", choices=["auto", "keyring", "passphrase"], default="auto")
    p.add_argument("--yes", action="store_true", help="replace this PC's store without asking (it is backed up first)")
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("rekey", help="re-encrypt the store under a new key or passphrase")
    p.set_defaults(handler=cmd_rekey)

    p = sub.add_parser(
        "check", help="integrity, foreign keys, schema objects, cached balances against their ledgers, stock shortfalls"
    )
    p.set_defaults(handler=cmd_check)


def _admin_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise HmsError("--password-stdin was given but stdin is empty.")
        return line.rstrip("\r\n")
    first = ask("Admin password", secret=True)
    if ask("Repeat the password", secret=True) != first:
        raise HmsError("The two passwords differ; nothing was created.")
    return first


def cmd_init(args: argparse.Namespace) -> int:
    paths = paths_of(args)
    if paths.exists():
        raise HmsError(f"A store already exists in {paths.data_dir}; nothing was changed.")
    if args.recovery_key_file and Path(args.recovery_key_file).exists():
        raise HmsError(f"{args.recovery_key_file} already exists; choose a new file for the recovery key.")
    mode = _require_new_passphrase_source(args.key_mode)
    hospital = HospitalInput(
        name=args.hospital_name or ask("Hospital name"),
        address_line1=args.hospital_address,
        city=args.hospital_city,
        state_code=args.hospital_state_code,
        pincode=args.hospital_pincode,
        phone=args.hospital_phone,
        email=args.hospital_email,
        gstin=args.hospital_gstin,
        licence_number=args.hospital_licence,
    )
    admin_email = args.admin_email or ask("Admin email")
    admin_name = args.admin_name or ask("Admin full name")
    admin = AdminInput(admin_email, admin_name, _admin_password(args), args.admin_phone)
    result, _ = create_clinic(
        paths,
        hospital,
        admin,
        key_mode=mode,
        passphrase_source=new_store_passphrase_source(),
        workstation_name=args.workstation_name,
    )
    store = result.store
    try:
        if args.recovery_key_file:
            write_private(Path(args.recovery_key_file), (result.recovery_key + "\n").encode())
    except BaseException:
        discard_new_store(store)
        raise
    store.close()
    print(f"Created the store in {paths.data_dir} ({store.key_mode} key).")
    print()
    print("RECOVERY KEY - shown once. Write it down or print it and keep it safe:")
    print(f"    {result.recovery_key}")
    print("Backups open with this key on any computer; without it a lost computer's data cannot be restored.")
    if args.recovery_key_file:
        print(f"It was also written to {args.recovery_key_file} (readable only by you).")
    return 0


def _require_new_passphrase_source(key_mode: str) -> str:
    """The key mode of a store about to be created; refuses at once (before any question) when it needs a
    passphrase that can be neither read from HMS_PASSPHRASE nor asked."""
    mode = choose_mode(key_mode)
    if mode == "passphrase" and not os.environ.get("HMS_PASSPHRASE") and not interactive():
        raise HmsError(NEW_STORE_PASSPHRASE_NEEDED)
    return mode


def cmd_backup(args: argparse.Namespace) -> int:
    store_ops.require_backup_folder(Path(args.file))  # before the store is unlocked: nothing asked in vain
    with open_for(args) as store:
        report = store_ops.backup(store, Path(args.file))
        ctx = cli_context(store, "backup")
        with ctx.transaction() as tx:
            record(tx, "backup", entity_type="store", detail=f"backup written to {Path(args.file).name}")
            tx.commit()
    print(f"Backup written and verified: {args.file} (schema {report.revision}).")
    return 0


def _recovery_key_arg(args: argparse.Namespace, needed: bool) -> bytes | None:
    if args.recovery_key_file:
        return recovery.decode(read_secret_file(args.recovery_key_file))
    env = os.environ.get("HMS_RECOVERY_KEY")
    if env:
        return recovery.decode(env)
    if needed and interactive():
        return recovery.decode(ask("Recovery key of the backup"))
    return None


def _confirm_replace(args: argparse.Namespace, paths: StorePaths) -> None:
    if args.yes:
        return
    if not interactive():
        raise HmsError(
            f"Restoring replaces the store in {paths.data_dir}; add --yes to confirm (the current store is "
            "backed up first), nothing was changed."
        )
    answer = ask(f"Replace the store in {paths.data_dir} with {args.file}? It is backed up first. [y/N]")
    if answer.lower() not in {"y", "yes"}:
        raise HmsError("Restore cancelled; nothing was changed.")


def cmd_restore(args: argparse.Namespace) -> int:
    paths = paths_of(args)
    replacing = paths.exists()
    kept: Path | None = None
    if replacing:
        paths.require()
        if not Path(args.file).is_file():
            raise HmsError(f"There is no backup file at {args.file}; nothing was changed.")
        _confirm_replace(args, paths)
        kept = store_ops.pre_restore_backup_path(paths)
        mode = args.key_mode
    else:
        mode = _require_new_passphrase_source(args.key_mode)
    key = _recovery_key_arg(args, needed=not replacing)
    caught: list[CaughtUp | None] = []
    report = store_ops.restore(
        paths,
        Path(args.file),
        recovery_key=key,
        key_mode=mode,
        passphrase_source=env_or_prompt if replacing else new_store_passphrase_source(),
        keep_current_as=kept,
        # an enrolled PC fetches from the server what it synced after the backup, before the swap
        prepare=(lambda staged: caught.append(catch_up(staged, Clock().now()))) if replacing else None,
    )
    if caught and caught[0] is not None:
        print(
            f"Caught up from the sync server: {caught[0].pulled} change(s) since the backup, this PC's own "
            "included; its audit trail goes on from the server's copy."
        )
    if kept is not None:
        print(
            f"The store as it was before the restore was saved and verified as {kept} "
            "(it opens with the recovery key the store had then)."
        )
    with open_for(args) as store:
        ctx = cli_context(store, "restore")
        with ctx.transaction() as tx:
            record(tx, "restore", entity_type="store", detail=f"restored from {Path(args.file).name}")
            tx.commit()
    print(f"Restored from {args.file} (schema {report.revision}); the store opened and checked OK.")
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    paths = paths_of(args)
    config = paths.read_config() if paths.exists() else None
    if config is None:
        paths.require()
    new_pass = None
    if config and config["key_mode"] == "passphrase":
        new_pass = new_passphrase_from(prompt_only, env="HMS_NEW_PASSPHRASE")
    store_ops.rekey(paths, new_passphrase=new_pass)
    if new_pass:
        os.environ["HMS_PASSPHRASE"] = new_pass
    with open_for(args) as store:
        ctx = cli_context(store, "rekey")
        with ctx.transaction() as tx:
            record(tx, "rekey", entity_type="store", detail="store re-encrypted under a new key")
            tx.commit()
    print("The store was re-encrypted under its new key and opened OK.")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    with open_for(args) as store:
        results = store_ops.check(store)
    width = max(len(r.name) for r in results)
    for r in results:
        print(f"{'FAIL' if not r.ok else 'WARN' if r.warning else 'OK  '} {r.name.ljust(width)}  {r.detail}")
    bad = [r for r in results if not r.ok]
    warned = sum(1 for r in results if r.ok and r.warning)
    if bad:
        print(f"{len(bad)} check(s) failed.")
    else:
        print("All checks OK." + (f" {warned} warning(s): see WARN above." if warned else ""))
    return 0 if not bad else 1

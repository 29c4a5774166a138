"""``hms sync-server ...`` (the central server) and ``hms sync ...`` (this PC)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any

from hms_desktop.cli.common import cli_context, open_for, paths_of, read_secret_file
from hms_desktop.errors import HmsError

DB_ENV = "HMS_SYNC_DATABASE_URL"
TLS_ENV = "HMS_SYNC_TLS_DIR"


def register(sub: Any) -> None:
    p = sub.add_parser("sync-server", help="run or administer the central sync server (PostgreSQL)")
    p.add_argument("--database-url", help=f"postgresql+psycopg://user@host/db (default: {DB_ENV})")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1, help="server processes (the server is stateless)")
    p.add_argument("--tls-dir", help=f"the folder of the server's certificate (default: {TLS_ENV}, else per user)")
    tls_mode = p.add_mutually_exclusive_group()
    tls_mode.add_argument("--tls", action="store_true", help="serve https (the default when a certificate exists)")
    tls_mode.add_argument("--no-tls", action="store_true", help="plain http (only PCs on this machine will enrol)")
    p.set_defaults(handler=cmd_serve)
    ssub = p.add_subparsers(dest="server_command", metavar="ACTION")
    tls_dir = argparse.ArgumentParser(add_help=False)
    tls_dir.add_argument("--tls-dir", default=argparse.SUPPRESS)
    url = argparse.ArgumentParser(add_help=False, parents=[tls_dir])
    url.add_argument("--database-url", default=argparse.SUPPRESS)
    q = ssub.add_parser("init", parents=[url], help="create the schema and the clinic; print enrolment codes")
    q.add_argument("--clinic-name", required=True)
    q.add_argument("--codes", type=int, default=3)
    q.add_argument("--valid-days", type=int, default=7)
    q.set_defaults(handler=cmd_server_init)
    q = ssub.add_parser("tls", parents=[tls_dir], help="create the server's https certificate and key")
    q.add_argument("--host", action="append", default=[], help="an address the PCs use (repeat), e.g. 192.168.1.10")
    q.add_argument("--force", action="store_true", help="replace an existing certificate (every PC must pin again)")
    q.set_defaults(handler=cmd_server_tls)
    q = ssub.add_parser("codes", parents=[url], help="print new one-time enrolment codes")
    q.add_argument("--count", type=int, default=1)
    q.add_argument("--valid-days", type=int, default=7)
    q.set_defaults(handler=cmd_server_codes)
    q = ssub.add_parser("list", parents=[url], help="list the enrolled workstations")
    q.set_defaults(handler=cmd_server_list)
    q = ssub.add_parser("revoke", parents=[url], help="revoke a workstation (short code or id)")
    q.add_argument("workstation")
    q.set_defaults(handler=cmd_server_revoke)

    p = sub.add_parser("sync", help="sync this PC with the clinic's central server")
    psub = p.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    q = psub.add_parser("enroll", aliases=["enrol"], help="enrol this PC with a server URL and a one-time code")
    q.add_argument("--server", required=True)
    q.add_argument("--code", required=True)
    q.add_argument("--name", required=True, help="this PC's name, e.g. Reception 1")
    q.add_argument("--fingerprint", default="", help="for https: the certificate fingerprint shown with the code")
    q.add_argument("--recovery-key-file", help="a new PC: the clinic's recovery key (recommended)")
    q.add_argument("--key-mode", choices=["auto", "keyring", "passphrase"], default="auto")
    q.set_defaults(handler=cmd_enrol)
    q = psub.add_parser("pin", help="point this enrolled PC at its server's (new) https address or certificate")
    q.add_argument("--server", required=True)
    q.add_argument("--fingerprint", default="", help="the certificate fingerprint the administrator gives")
    q.set_defaults(handler=cmd_pin)
    q = psub.add_parser("run", help="sync now (--once, the default) or keep syncing (--watch)")
    mode = q.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true")
    mode.add_argument("--watch", action="store_true")
    q.add_argument("--interval", type=float, default=5.0)
    q.set_defaults(handler=cmd_run)
    q = psub.add_parser("status", help="last success, pending changes, last error")
    q.set_defaults(handler=cmd_status)
    q = psub.add_parser("conflicts", help="edits that lost to a later one, rows the server set aside")
    q.add_argument("--all", action="store_true", help="resolved ones too")
    q.add_argument("--resolve", metavar="ID")
    q.add_argument("--restore", action="store_true", help="with --resolve: write the losing version back")
    q.set_defaults(handler=cmd_conflicts)


def _url(args: argparse.Namespace) -> str:
    url = getattr(args, "database_url", None) or os.environ.get(DB_ENV)
    if not url:
        raise HmsError(f"Give the central database with --database-url or {DB_ENV}.")
    return str(url)


def _engine(args: argparse.Namespace) -> Any:
    from hms_desktop.sync.server.store import make_engine

    try:
        return make_engine(_url(args), pool_size=1)
    except ValueError as exc:
        raise HmsError(str(exc)) from None


def _tls(args: argparse.Namespace) -> Any:
    from hms_desktop.sync.server.tls import tls_files

    return tls_files(getattr(args, "tls_dir", None))


def cmd_serve(args: argparse.Namespace) -> int:
    from hms_desktop.sync.pinning import is_loopback
    from hms_desktop.sync.server.app import serve

    files = _tls(args)
    if args.tls and not files.exists():
        raise HmsError(f"No certificate in {files.folder}: create one with `hms sync-server tls --host ADDRESS`.")
    https = not args.no_tls and files.exists()
    scheme = "https" if https else "http"
    print(f"HMS sync server on {scheme}://{args.host}:{args.port} ({args.workers} process(es)); Ctrl+C stops it.")
    if https:
        _print_fingerprint(files.fingerprint(), indent="")
    elif not is_loopback(args.host):
        print(f"Warning: plain http on {args.host}; PCs on the network refuse it. Create a certificate with "
              "`hms sync-server tls --host ADDRESS` (or serve behind an https proxy).", file=sys.stderr)  # fmt: skip
    cert, key = (str(files.cert), str(files.key)) if https else (None, None)
    serve(_url(args), host=args.host, port=args.port, workers=args.workers, certfile=cert, keyfile=key)
    return 0


def cmd_server_tls(args: argparse.Namespace) -> int:
    from hms_desktop.sync.server.tls import create_certificate

    files = _tls(args)
    fingerprint = create_certificate(files, args.host, replace=args.force)
    print(f"Certificate and key written to {files.folder} (owner-only); `hms sync-server` now serves https.")
    _print_fingerprint(fingerprint, indent="")
    if args.force:
        print("Every enrolled PC must pin the new certificate: hms sync pin --server URL --fingerprint ...")
    return 0


def _print_fingerprint(fingerprint: str, *, indent: str) -> None:
    from hms_desktop.sync.pinning import colon_form, short_form

    print(f"{indent}Server certificate SHA-256 fingerprint: {colon_form(fingerprint)}")
    print(f"{indent}  short form (to read aloud):           {short_form(fingerprint)}")


def cmd_server_init(args: argparse.Namespace) -> int:
    from hms_desktop.sync.server.admin import init_server

    result = init_server(_engine(args), args.clinic_name, codes=args.codes, valid_days=args.valid_days)
    print(f"Clinic {result.clinic_name!r} is set up on this server (id {result.clinic_id}).")
    _print_codes(args, result.codes, args.valid_days)
    return 0


def _print_codes(args: argparse.Namespace, codes: list[str], days: int) -> None:
    """Each code with the fingerprint of the server's certificate, which the PC needs with it (https)."""
    files = _tls(args)
    fingerprint = files.fingerprint() if files.exists() else None
    print(f"One-time enrolment codes (each enrols one PC, valid {days} days):")
    for code in codes:
        print(f"    {code}")
        if fingerprint is not None:
            _print_fingerprint(fingerprint, indent="        ")
    if fingerprint is None:
        print(f"No server certificate in {files.folder}: only a PC on this machine can enrol (http://localhost). "
              "Create one with `hms sync-server tls --host ADDRESS`.")  # fmt: skip


def cmd_server_codes(args: argparse.Namespace) -> int:
    from hms_desktop.sync.server.admin import mint_codes

    _print_codes(args, mint_codes(_engine(args), args.count, valid_days=args.valid_days), args.valid_days)
    return 0


def cmd_server_list(args: argparse.Namespace) -> int:
    from hms_desktop.sync.server.admin import list_workstations

    for w in list_workstations(_engine(args)):
        status = f"revoked {w.revoked_at:%Y-%m-%d}" if w.revoked_at else "active"
        seen = f"{w.last_seen_at:%Y-%m-%d %H:%M}" if w.last_seen_at else "never"
        print(f"{w.short_code:8} {w.name[:40]:40} {status:20} last seen {seen}  {w.id}")
    return 0


def cmd_server_revoke(args: argparse.Namespace) -> int:
    from hms_desktop.sync.server.admin import revoke

    w = revoke(_engine(args), args.workstation)
    print(f"Workstation {w.short_code} ({w.name}) is revoked; it can no longer sync.")
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    from hms_desktop.security import recovery
    from hms_desktop.sync.enrol import enrol, enrol_new_store
    from hms_desktop.sync.runner import run_once

    paths = paths_of(args)
    if paths.exists():
        store = open_for(args)
        result = enrol(store, args.server, args.code, args.name, fingerprint=args.fingerprint)
        new_key = None
    else:
        key = recovery.decode(read_secret_file(args.recovery_key_file)) if args.recovery_key_file else None
        made = enrol_new_store(
            paths, args.server, args.code, args.name, recovery_key=key, key_mode=args.key_mode,
            fingerprint=args.fingerprint,
        )  # fmt: skip
        store, result, new_key = made.store, made.result, made.recovery_key
    with store:
        kind = f"founder, {result.queued} rows queued" if result.founder else "new PC"
        print(f"Enrolled as {result.short_code} ({result.name}) in {result.clinic_name} ({kind}).")
        if new_key:
            print("This new store has its own RECOVERY KEY (shown once; keep it safe):")
            print(f"    {new_key}")
        report = run_once(store)
        print(f"First sync: {report.pushed} pushed, {report.pulled} pulled in {report.seconds:.1f} s.")
    return 0


def cmd_pin(args: argparse.Namespace) -> int:
    from hms_desktop.sync.enrol import pin_server

    with open_for(args) as store:
        short = pin_server(store, args.server, args.fingerprint)
    pinned = f", certificate {short} pinned" if short else ""
    print(f"This PC now syncs with {args.server.strip().rstrip('/')}{pinned}.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from hms_desktop.sync.errors import SyncError
    from hms_desktop.sync.runner import SyncReport, run_once, watch

    with open_for(args) as store:
        if not args.watch:
            report = run_once(store)
            print(f"Synced: {report.pushed} pushed, {report.pulled} pulled, {report.conflicts} conflicts "
                  f"in {report.seconds:.1f} s.")  # fmt: skip
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())

        def show(result: SyncReport | SyncError) -> None:
            if isinstance(result, SyncError):
                print(f"sync failed: {result.message}", flush=True)
            elif result.pushed or result.pulled:
                print(f"synced: {result.pushed} pushed, {result.pulled} pulled", flush=True)

        try:
            watch(store, interval=args.interval, stop=stop, on_report=show)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from hms_desktop.sync.state import sync_status

    with open_for(args) as store:
        s = sync_status(store.engine)
    if not s.enrolled:
        print(f"Not enrolled with a sync server ({s.pending_changes} local changes).")
        return 0
    print(f"Server:          {s.server_url}")
    print(f"This PC:         {s.short_code} ({s.workstation_name})")
    print(
        f"Last success:    {s.last_success_at:%Y-%m-%d %H:%M:%S} UTC" if s.last_success_at else "Last success:    never"
    )
    print(f"Pending changes: {s.pending_changes}")
    print(f"Last error:      {s.last_error or '-'}")
    return 0 if s.last_error is None else 1


def cmd_conflicts(args: argparse.Namespace) -> int:
    import uuid

    from hms_desktop.sync.conflicts import list_conflicts, resolve_conflict

    with open_for(args) as store:
        ctx = cli_context(store, "sync conflicts")
        if args.resolve:
            try:
                cid = uuid.UUID(args.resolve)
            except ValueError:
                raise HmsError("--resolve takes a conflict id (see the list).") from None
            c = resolve_conflict(ctx, cid, restore_loser=args.restore)
            print(f"Conflict {c.id} resolved ({c.resolution}).")
            return 0
        rows = list_conflicts(ctx, unresolved_only=not args.all)
    for c in rows:
        why = f"  {c.reason}" if c.reason else ""
        print(f"{c.id}  {c.detected_at:%Y-%m-%d %H:%M}  {c.table_name}/{c.row_id}  lost: {c.loser_hlc}  "
              f"{c.resolution or 'open'}{why}")  # fmt: skip
    print(f"{len(rows)} conflict(s).")
    return 0

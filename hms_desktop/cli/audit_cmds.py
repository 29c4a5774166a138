"""``hms audit verify | search``."""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy.orm import Session

from hms_desktop.audit.trail import audit_key_from_recovery
from hms_desktop.audit.verify import verify
from hms_desktop.cli.common import open_for


def register(sub: Any) -> None:
    p = sub.add_parser("audit", help="the audit trail")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION")
    v = asub.add_parser("verify", help="check the hash chains: names edited, deleted and inserted rows")
    v.set_defaults(handler=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    with open_for(args) as store:
        key = audit_key_from_recovery(store.recovery_key())
        with Session(store.engine.execution_options(hms_readonly=True)) as session:
            report = verify(session, key)
    for problem in report.problems:
        print(f"{problem.kind.upper():9} {problem.message}")
    if report.ok:
        print(f"Audit trail OK: {report.rows} rows in {report.chains} chain(s).")
        return 0
    print(f"Audit trail FAILED: {len(report.problems)} problem(s) in {report.rows} rows.")
    return 1

"""Checking the audit trail's hash chains: finds an edited, a deleted and an inserted row.

For each chain, rows are read in ``seq`` order and:
- a gap in ``seq`` (or a ``prev_hmac`` that is not the previous row's ``hmac``) means rows were deleted;
- a row whose ``row_tag`` verifies but whose ``hmac`` does not was edited (it is a real row, changed);
- a row whose ``row_tag`` does not verify was inserted by someone without the key.

Deleting the newest rows of a chain leaves no gap; sync copies every row to the central server, which is
where such a truncation shows.
"""

from __future__ import annotations

import hmac as hmac_mod
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.audit import AuditLog
from hms_desktop.audit.trail import GENESIS, row_hmac, row_tag


@dataclass(frozen=True, kw_only=True)
class Problem:
    kind: str  # "edited", "deleted", "inserted"
    chain: str
    seq: int
    row_id: str | None
    message: str


@dataclass(kw_only=True)
class VerifyReport:
    rows: int = 0
    chains: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, key: bytes, *, batch: int = 5000) -> VerifyReport:
    report = VerifyReport()
    chains = session.execute(select(AuditLog.chain).distinct()).scalars().all()
    for chain in sorted(chains):
        report.chains += 1
        prev_seq, prev_hmac = 0, GENESIS
        last = 0
        while True:
            rows = (
                session.execute(
                    select(AuditLog)
                    .where(AuditLog.chain == chain, AuditLog.seq > last)
                    .order_by(AuditLog.seq)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            if not rows:
                break
            for row in rows:
                report.rows += 1
                _check_row(report, key, row, prev_seq, prev_hmac)
                prev_seq, prev_hmac = row.seq, row.hmac
            last = rows[-1].seq
            session.expunge_all()
    return report


def _check_row(report: VerifyReport, key: bytes, row: AuditLog, prev_seq: int, prev_hmac: str) -> None:
    rid = str(row.id)
    tag_ok = hmac_mod.compare_digest(row.row_tag, row_tag(key, row))
    if not tag_ok:
        report.problems.append(
            Problem(
                kind="inserted",
                chain=row.chain,
                seq=row.seq,
                row_id=rid,
                message=f"row {row.seq} ({rid}) was not written by HMS: inserted",
            )
        )
        return
    if row.seq != prev_seq + 1:
        first, last = prev_seq + 1, row.seq - 1
        span = f"row {first}" if first == last else f"rows {first}..{last}"
        report.problems.append(
            Problem(
                kind="deleted",
                chain=row.chain,
                seq=first,
                row_id=None,
                message=f"{span} of chain {row.chain} deleted (before row {row.seq})",
            )
        )
    elif not hmac_mod.compare_digest(row.prev_hmac, prev_hmac):
        report.problems.append(
            Problem(
                kind="deleted",
                chain=row.chain,
                seq=row.seq,
                row_id=rid,
                message=f"the chain is broken before row {row.seq}: rows deleted",
            )
        )
    if not hmac_mod.compare_digest(row.hmac, row_hmac(key, row, row.prev_hmac)):
        report.problems.append(
            Problem(
                kind="edited",
                chain=row.chain,
                seq=row.seq,
                row_id=rid,
                message=f"row {row.seq} ({rid}) was edited after it was written",
            )
        )

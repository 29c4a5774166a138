"""Checking a pushed batch before anything is written: shape, tables, columns, types, ownership, clocks
(at most ``hlc.MAX_DRIFT_MS`` ahead of the server's time) and the services' rules (``row_rules``).

A workstation may only push as itself: the batch names it, every change carries a clock of its own, and the
rows it adds to a ledger (audit trail, payments, stock) are its own (chain, ``workstation_id``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hms_desktop.sync import hlc, row_rules, strict_json
from hms_desktop.sync.codec import BadValue, codec_for
from hms_desktop.sync.errors import ApiError
from hms_desktop.sync.policy import TableSpec, pushable, spec

MAX_CHANGES = 5000
MAX_CLAIMS = 200


@dataclass
class Change:
    table: TableSpec
    row_id: uuid.UUID
    hlc: str
    base: str | None
    row: dict[str, Any] | None  # typed values; None for a delete
    raw: dict[str, Any] | None  # as sent (kept as the loser of a conflict)
    author: uuid.UUID | None = None  # the user who made the change (None: the system)
    proof: str | None = None  # their signature of it (``hms_desktop.sync.signing``)


@dataclass
class Batch:
    op_id: uuid.UUID
    changes: list[Change]
    claims: list[dict[str, Any]]  # users' sealed password claims (``hms_desktop.sync.server.authorize``)
    base: str | None  # a founder's clock of the rows it held when it enrolled


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_batch", message)


def _not_you(message: str) -> ApiError:
    return ApiError(403, "not_yourself", message)


def parse_batch(body: bytes, workstation_id: uuid.UUID, now: datetime) -> Batch:
    try:
        doc = strict_json.loads(body)  # bounded depth, finite numbers: NaN or 1e400 would reach PostgreSQL
    except strict_json.Refused as exc:
        raise _bad(str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise _bad("The batch is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise _bad("The batch must be a JSON object.")
    try:
        op_id = uuid.UUID(str(doc.get("op_id")))
    except ValueError:
        raise _bad("The batch has no operation id.") from None
    if doc.get("workstation_id") != str(workstation_id):
        raise _not_you("A workstation may only push as itself.")
    items = doc.get("changes")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CHANGES:
        raise _bad(f"A batch holds 1 to {MAX_CHANGES} changes.")
    node, now_ms = workstation_id.hex, int(now.timestamp() * 1000)
    seen: set[tuple[str, uuid.UUID]] = set()
    changes = []
    for i, item in enumerate(items):
        change = _change(i, item, node, workstation_id, now_ms)
        key = (change.table.name, change.row_id)
        if key in seen:
            raise _bad(f"Change {i} repeats a row of the same batch.")
        seen.add(key)
        changes.append(change)
    claims = doc.get("claims") or []
    if not isinstance(claims, list) or len(claims) > MAX_CLAIMS or not all(isinstance(c, dict) for c in claims):
        raise _bad(f"A batch holds at most {MAX_CLAIMS} password claims, each an object.")
    base = doc.get("base")
    if base is not None:
        try:
            if hlc.parse(base).node != node:
                raise _not_you("The batch names another workstation's base clock.")
        except ValueError:
            raise _bad("The batch's base clock is not a clock.") from None
    return Batch(op_id, changes, claims, base)


def _change(i: int, item: Any, node: str, workstation_id: uuid.UUID, now_ms: int) -> Change:
    if not isinstance(item, dict):
        raise _bad(f"Change {i} is not an object.")
    name = item.get("t")
    table = spec(name) if isinstance(name, str) else None
    if table is None or not pushable(table.name):
        raise _bad(f"Change {i} names a table that does not sync: {str(name)[:64]!r}.")
    try:
        row_id = uuid.UUID(str(item.get("id")))
        stamp = hlc.parse(item.get("h"))
        base = item.get("b")
        if base is not None:
            hlc.parse(base)
    except ValueError:
        raise _bad(f"Change {i} has a bad id or clock.") from None
    if stamp.node != node:
        raise _not_you(f"Change {i} carries another workstation's clock.")
    ahead = hlc.check_ahead(stamp, now_ms)
    if ahead is not None:
        raise _bad(
            f"Change {i} was made on a PC whose clock is {ahead} of the server's time (at most"
            f" {hlc.MAX_DRIFT_MINUTES} minutes are allowed): set that PC's date and time right, then sync again."
        )
    if item.get("d") is True:
        if table.append_only:
            raise _bad(f"Change {i} deletes from {table.name}, which is append-only.")
        return Change(table, row_id, str(stamp), base, None, None, *_authorship(i, item))
    raw = item.get("r")
    try:
        row = codec_for(table).decode(raw)
    except BadValue as exc:
        raise _bad(f"Change {i}: {exc}.") from None
    assert isinstance(raw, dict)
    if row["id"] != row_id:
        raise _bad(f"Change {i}: the row's id differs from the change's.")
    if row["hlc"] != str(stamp) and not (table.append_only and row["hlc"] is None):
        raise _bad(f"Change {i}: the row's clock differs from the change's.")
    if table.append_only:
        _own_ledger_row(i, table, row, workstation_id)
    refused = row_rules.check_row(table.name, row)
    if refused is not None:
        raise _bad(f"Change {i} is refused: {refused}")
    return Change(table, row_id, str(stamp), base, row, raw, *_authorship(i, item))


def _authorship(i: int, item: dict[str, Any]) -> tuple[uuid.UUID | None, str | None]:
    """The change's author (``a``) and proof (``p``: 64 hex digits), both optional."""
    author, proof = item.get("a"), item.get("p")
    try:
        who = None if author is None else uuid.UUID(str(author))
    except ValueError:
        raise _bad(f"Change {i} names a bad author.") from None
    if proof is not None and not (isinstance(proof, str) and len(proof) == 64 and _is_hex(proof)):
        raise _bad(f"Change {i} has a bad proof.")
    if proof is not None and who is None:
        raise _bad(f"Change {i} has a proof but no author.")
    return who, proof


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _own_ledger_row(i: int, table: TableSpec, row: dict[str, Any], workstation_id: uuid.UUID) -> None:
    if "workstation_id" in row and row["workstation_id"] not in (None, workstation_id):
        raise _not_you(f"Change {i} adds a row to {table.name} in another workstation's name.")
    if table.name == "audit_logs" and row["chain"] != str(workstation_id):
        raise _not_you(f"Change {i} adds to another workstation's audit chain.")

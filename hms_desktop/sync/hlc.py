"""Hybrid logical clock: ``<15-digit ms>-<5-digit counter>-<32-hex workstation id>``, compared as text.

Every change a PC makes carries the next tick of its clock; whatever a PC pulls moves its clock past the
pulled clocks, so an edit made after seeing another one always sorts after it. Two concurrent edits of a row
are ordered by time, then counter, then workstation id: the same answer on every PC and on the server.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PATTERN = re.compile(r"^(\d{15})-(\d{5})-([0-9a-f]{32})$")
MAX_COUNTER = 99_999
SERVER_NODE = "0" * 32  # the central server's own writes (enrolment, revocation, conflict records)


@dataclass(frozen=True, order=True, kw_only=True)
class Stamp:
    ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.ms:015d}-{self.counter:05d}-{self.node}"

    @property
    def workstation_id(self) -> uuid.UUID | None:
        return None if self.node == SERVER_NODE else uuid.UUID(hex=self.node)


def parse(text: object) -> Stamp:
    """The stamp in ``text``; ``ValueError`` when it is not one."""
    match = PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("not a hybrid logical clock value")
    return Stamp(ms=int(match[1]), counter=int(match[2]), node=match[3])


def node_of(workstation_id: uuid.UUID | None) -> str:
    return SERVER_NODE if workstation_id is None else workstation_id.hex


def tick(last_ms: int, last_counter: int, now_ms: int) -> tuple[int, int]:
    """The clock after a local event: later than the last value and not behind the wall clock."""
    if now_ms > last_ms:
        return now_ms, 0
    if last_counter >= MAX_COUNTER:
        return last_ms + 1, 0
    return last_ms, last_counter + 1


def witness(last_ms: int, last_counter: int, seen: Stamp) -> tuple[int, int]:
    """The clock after seeing ``seen`` (a pulled change): never behind it, so the next tick sorts after it."""
    return max((last_ms, last_counter), (seen.ms, seen.counter))


def server_stamp(now_ms: int) -> str:
    return str(Stamp(ms=now_ms, counter=0, node=SERVER_NODE))

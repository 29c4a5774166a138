"""Hybrid logical clock: ``<15-digit ms>-<5-digit counter>-<32-hex workstation id>``, compared as text.

Every change a PC makes carries the next tick of its clock; whatever a PC pulls moves its clock past the
pulled clocks, so an edit made after seeing another one always sorts after it. Two concurrent edits of a row
are ordered by time, then counter, then workstation id: the same answer on every PC and on the server.

Bounds: every value the code makes fits the format (``tick`` and ``witness`` stay within ``MAX_MS`` and
``MAX_COUNTER``; at the very last value the clock stays there instead of growing a digit the parser refuses).
A clock more than ``MAX_DRIFT_MS`` ahead of the time where it arrives is refused (``check_ahead``): the server
refuses such a change, and a PC does not move its clock to such a pulled value, so one PC with a wrong date
(or a forged clock) cannot drag every PC's clock to the end of time.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

PATTERN = re.compile(r"^(\d{15})-(\d{5})-([0-9a-f]{32})$")
MAX_COUNTER = 99_999
MAX_MS = 10**15 - 1  # 15 digits: about the year 33658
MAX_DRIFT_MINUTES = 10
MAX_DRIFT_MS = MAX_DRIFT_MINUTES * 60_000  # how far a clock may be ahead of the time where it arrives
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
    """The clock after a local event: later than the last value and not behind the wall clock, within the
    format (a wall clock past ``MAX_MS`` counts as ``MAX_MS``; the very last value is kept, never exceeded)."""
    last_ms, last_counter = min((max(0, last_ms), max(0, last_counter)), (MAX_MS, MAX_COUNTER))
    now_ms = min(max(0, now_ms), MAX_MS)
    if now_ms > last_ms:
        return now_ms, 0
    if last_counter < MAX_COUNTER:
        return last_ms, last_counter + 1
    if last_ms < MAX_MS:
        return last_ms + 1, 0
    return MAX_MS, MAX_COUNTER


def witness(last_ms: int, last_counter: int, seen: Stamp) -> tuple[int, int]:
    """The clock after seeing ``seen`` (a pulled change): never behind it, so the next tick sorts after it.
    The caller first refuses a ``seen`` too far ahead (``check_ahead``)."""
    return min(max((last_ms, last_counter), (seen.ms, seen.counter)), (MAX_MS, MAX_COUNTER))


def check_ahead(stamp: Stamp, now_ms: int) -> str | None:
    """None when ``stamp`` is at most ``MAX_DRIFT_MS`` ahead of ``now_ms``; else how far ahead, for a sentence
    ("3 days ahead")."""
    ahead = stamp.ms - now_ms
    return None if ahead <= MAX_DRIFT_MS else f"{_span(ahead)} ahead"


def _span(ms: int) -> str:
    minutes = ms // 60_000
    if minutes < 120:
        return f"{minutes} minutes"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours"
    days = minutes // (24 * 60)
    return f"{days} days" if days < 730 else f"{days // 365} years"


def server_stamp(now_ms: int) -> str:
    return str(Stamp(ms=min(max(0, now_ms), MAX_MS), counter=0, node=SERVER_NODE))

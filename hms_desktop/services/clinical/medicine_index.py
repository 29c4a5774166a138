"""The in-memory word index behind the as-you-type medicine search (one per open store, per process).

Why in memory: ``medicines.name`` and ``generic_name`` have plain (BINARY) indexes, so SQLite can answer a
case-insensitive ``LIKE 'dol%'`` only by scanning the table (EXPLAIN QUERY PLAN: ``SCAN medicines``), and a
word inside a name ("clav" in "Amoxicillin + Clavulanic acid") needs a scan whatever the index. With 20,000
medicines a scan of the encrypted table costs more than the 10 ms a keystroke may take. The index holds, for
every active medicine, its lower-cased words in sorted lists, so a prefix is found by bisection.

Ranking (best first): the brand's first word starts with the query; then the generic name's first word; then a
later word of the brand; then a later word of the generic name (each ingredient of a combination); within a
rank, the shortest matching word first, then the brand alphabetically. Every further word of the query must
start a word of the brand, generic name or strength ("amox 625").

Kept fresh, three ways:
- the change broadcast (``hms_desktop.changes``): each committed action or sync page that touched ``medicines``
  marks those rows stale; they are re-read before the next search (all of them past 1,000 rows);
- ``max(rowid)`` read at each search (one index lookup): rows another process inserted are loaded;
- the hits are re-read from the table by primary key before they are returned, and checked again (active,
  still matching), so a row another process changed is never shown stale (and is refreshed in the index).
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
import unicodedata
import uuid
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal_column, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db.models.pharmacy import Medicine
from hms_desktop import changes
from hms_desktop.changes import Changes

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
FULL_REBUILD_AFTER = 1000
# Key kinds, in rank order.
BRAND_FIRST, GENERIC_FIRST, BRAND_LATER, GENERIC_LATER = range(4)


def words(text: str) -> list[str]:
    """Lower-cased words (letters and digits) of ``text``: "Taxim-O 200" -> ["taxim", "o", "200"]."""
    return _WORD.findall(unicodedata.normalize("NFKC", text or "").lower())


@dataclass(frozen=True)
class Row:
    """What the index keeps of one medicine (and what a hit shows)."""

    id: uuid.UUID
    code: str
    name: str
    generic_name: str
    strength: str
    form: str
    unit: str
    is_schedule_h: bool
    is_live: bool  # active and not deleted

    @functools.cached_property
    def _keys(self) -> tuple[tuple[int, str], ...]:
        brand, generic = words(self.name), words(self.generic_name)
        out = [(BRAND_FIRST, brand[0])] if brand else []
        out += [(GENERIC_FIRST, generic[0])] if generic else []
        out += [(BRAND_LATER, w) for w in brand[1:]]
        out += [(GENERIC_LATER, w) for w in generic[1:]]
        return tuple(out)

    @functools.cached_property
    def _all_words(self) -> frozenset[str]:
        return frozenset(words(self.name) + words(self.generic_name) + words(self.strength))

    def keys(self) -> tuple[tuple[int, str], ...]:
        """(rank kind, word) of each word of the brand and the generic name (worked out once per row)."""
        return self._keys

    def matches(self, query: Sequence[str]) -> bool:
        """Every query word starts a word of the brand, generic name or strength (the first: of brand/generic)."""
        return bool(query) and self.matches_first(query[0]) and self.matches_rest(query)

    def matches_first(self, first: str) -> bool:
        return any(w.startswith(first) for _, w in self._keys)

    def matches_rest(self, query: Sequence[str]) -> bool:
        return all(any(w.startswith(q) for w in self._all_words) for q in query[1:])


_ROWID: ColumnElement[int] = literal_column("medicines.rowid")
_COLUMNS = (
    Medicine.id,
    Medicine.code,
    Medicine.name,
    Medicine.generic_name,
    Medicine.strength,
    Medicine.form,
    Medicine.unit,
    Medicine.is_schedule_h,
    Medicine.is_active,
    Medicine.deleted_at,
    _ROWID,
)


def read_rows(session: Session, *where: ColumnElement[bool]) -> list[tuple[Row, int]]:
    """(row, rowid) of the medicines matching ``where`` (columns only, no ORM objects)."""
    out = []
    for mid, code, name, generic, strength, form, unit, sched_h, active, deleted, rowid in session.execute(
        select(*_COLUMNS).where(*where)
    ):
        live = bool(active) and deleted is None
        out.append((Row(mid, code, name, generic or "", strength or "", form, unit, bool(sched_h), live), int(rowid)))
    return out


class MedicineIndex:
    """The sorted word lists of one store's live medicines. Thread-safe (one lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[uuid.UUID, Row] = {}
        # per kind: sorted (word, len(word), brand lower-cased, id)
        self._keys: list[list[tuple[str, int, str, uuid.UUID]]] = [[], [], [], []]
        self._max_rowid = -1  # -1: never built
        self._stale: set[uuid.UUID] = set()
        self._rebuild = True

    # -- freshness

    def note_changes(self, news: Changes) -> None:
        if news.touches("medicines"):
            with self._lock:
                self._stale |= news.ids("medicines")

    def refresh(self, session: Session) -> None:
        """Bring the index up to date with the store before a search (see the module's notes)."""
        top = int(session.scalar(select(func.coalesce(func.max(_ROWID), 0)).select_from(Medicine)) or 0)
        with self._lock:
            if self._rebuild or len(self._stale) > FULL_REBUILD_AFTER or top < self._max_rowid:
                self._full(session, top)
                return
            if self._stale:
                ids, self._stale = list(self._stale), set()
                found = {r.id: r for r, _ in read_rows(session, Medicine.id.in_(ids))}
                for mid in ids:
                    self._put(mid, found.get(mid))
            if top > self._max_rowid:
                for row, _ in read_rows(session, _ROWID > self._max_rowid):
                    self._put(row.id, row)
                self._max_rowid = top

    def _full(self, session: Session, top: int) -> None:
        self._rows = {}
        keys: list[list[tuple[str, int, str, uuid.UUID]]] = [[], [], [], []]
        for row, _ in read_rows(session, Medicine.is_active.is_(True), Medicine.deleted_at.is_(None)):
            self._rows[row.id] = row
            for kind, w in row.keys():
                keys[kind].append((w, len(w), row.name.lower(), row.id))
        for k in keys:
            k.sort()
        self._keys = keys
        self._max_rowid, self._stale, self._rebuild = top, set(), False

    def _put(self, mid: uuid.UUID, row: Row | None) -> None:
        """Replace (or drop, when ``row`` is None or not live) one medicine's keys. Holds the lock."""
        old = self._rows.pop(mid, None)
        if old is not None:
            for kind, w in old.keys():
                entry = (w, len(w), old.name.lower(), old.id)
                at = bisect.bisect_left(self._keys[kind], entry)
                if at < len(self._keys[kind]) and self._keys[kind][at] == entry:
                    del self._keys[kind][at]
        if row is not None and row.is_live:
            self._rows[mid] = row
            for kind, w in row.keys():
                bisect.insort(self._keys[kind], (w, len(w), row.name.lower(), row.id))

    def update(self, rows: Iterable[Row]) -> None:
        """Rows just read from the table (a hit's re-read): put them in place of what the index had."""
        with self._lock:
            for row in rows:
                if self._rows.get(row.id) != row:
                    self._put(row.id, row)

    # -- search

    def candidates(self, query: Sequence[str], want: int) -> list[uuid.UUID]:
        """Up to ``want`` medicine ids matching ``query`` (lower-cased words), best first."""
        first = query[0]
        seen: set[uuid.UUID] = set()
        out: list[uuid.UUID] = []
        with self._lock:
            for kind in range(4):
                keys = self._keys[kind]
                ranked = []
                at = bisect.bisect_left(keys, (first,))
                while at < len(keys) and keys[at][0].startswith(first):
                    ranked.append(keys[at])
                    at += 1
                ranked.sort(key=lambda k: (k[1], k[2], k[3]))  # the shortest matching word, then the brand
                for _, _, _, mid in ranked:
                    if mid in seen:
                        continue
                    seen.add(mid)
                    row = self._rows.get(mid)  # the first word matched by the key itself
                    if row is not None and (len(query) == 1 or row.matches_rest(query)):
                        out.append(mid)
                        if len(out) >= want:
                            return out
        return out


_INDEXES: weakref.WeakKeyDictionary[Engine, MedicineIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_for(engine: Engine) -> MedicineIndex:
    """The index of this store (made, and subscribed to its change broadcast, on first use)."""
    with _INDEXES_LOCK:
        found = _INDEXES.get(engine)
        if found is None:
            found = _INDEXES[engine] = MedicineIndex()
            ref = weakref.ref(found)

            def listener(news: Changes) -> None:
                index = ref()
                if index is not None:
                    index.note_changes(news)

            changes.subscribe(engine, listener)
        return found

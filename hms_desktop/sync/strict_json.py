"""Reading JSON that came over the network, with bounds: UTF-8 only, at most ``MAX_DEPTH`` levels of arrays and
objects, and finite numbers only.

The depth is checked before the parser runs, by a scan of the brackets outside strings (linear in the size of
the text, no recursion), so a body nested 100,000 deep is refused with a sentence instead of exhausting the
parser's stack. A number too large for a float (``1e400``) and ``NaN``/``Infinity`` are refused too: Python
reads them, PostgreSQL does not. A refusal is ``Refused`` (a ``ValueError`` whose text is one sentence a
clinic admin can read); anything else that is not JSON raises the parser's own ``ValueError``.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

MAX_DEPTH = 64  # a push is batch > changes > change > row > a JSON column's value; the values are shallow

# A JSON string, possibly unterminated (possessive: a match never backtracks, so the scan stays linear).
_STRING = re.compile(rb'"(?:[^"\\]++|\\[\s\S])*+"?')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


class Refused(ValueError):
    """JSON that is well formed but beyond what is accepted (too deep, a number out of range)."""


def _brackets(data: bytes) -> bytes:
    return _STRING.sub(b"", data).translate(None, _NOT_BRACKETS)


def depth(data: bytes) -> int:
    """How deep the arrays and objects of ``data`` nest (exact for valid JSON in UTF-8)."""
    brackets = _brackets(data)
    return max(0, *itertools.accumulate(memoryview(brackets.translate(_STEPS)).cast("b"))) if brackets else 0


def check_depth(data: bytes, limit: int = MAX_DEPTH) -> None:
    """``Refused`` when ``data`` nests deeper than ``limit``."""
    brackets = _brackets(data)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return  # it cannot nest deeper than it has openings (the usual case: no running sum needed)
    if max(itertools.accumulate(memoryview(brackets.translate(_STEPS)).cast("b"))) > limit:
        raise Refused(f"The request nests arrays or objects more than {limit} levels deep.")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Refused("The request holds a number too large to store.")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4300)
        raise Refused("The request holds a number too large to store.") from None


def _constant(name: str) -> Any:
    raise Refused(f"The request holds {name}, which is not a JSON number.")


def loads(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in ``data`` (UTF-8); ``Refused`` beyond the bounds, ``ValueError`` when it is not JSON."""
    text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    check_depth(data, max_depth)
    return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)

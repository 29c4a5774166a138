"""No code reads the machine's clock except the clock module (``hms_desktop/clock.py``), and no test depends on today.

Every date or time a service or a screen uses comes from the context's clock (which tests, demos and a
clinic in another zone can move); a stray call for today's date is how a test passes the day it is written and
fails every day after.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK_MODULE = ROOT / "hms_desktop" / "clock.py"
# calls that read the machine's date or time (durations from time.monotonic() are not a date)
FORBIDDEN = re.compile(
    r"\b(?:date\.today|datetime\.(?:now|utcnow|today)|QDate\.currentDate|QDateTime\.current\w*"
    r"|QTime\.currentTime|time\.time|time\.localtime|time\.gmtime|time\.strftime)\s*\("
)
# tests may compare with the real time where a real server checks it (token expiry), never with the date
FORBIDDEN_IN_TESTS = re.compile(r"\b(?:date\.today|datetime\.today|QDate\.currentDate)\s*\(")


def offenders(folders: tuple[str, ...], pattern: re.Pattern[str]) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == CLOCK_MODULE or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line.split("#", 1)[0]):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_only_the_clock_module_reads_the_machine_clock() -> None:
    assert offenders(("hms_desktop", "ui", "db"), FORBIDDEN) == []


def test_no_test_depends_on_todays_date() -> None:
    here = Path(__file__).relative_to(ROOT)
    assert [o for o in offenders(("tests",), FORBIDDEN_IN_TESTS) if not o.startswith(str(here))] == []


def test_the_rule_finds_what_it_forbids(tmp_path: Path) -> None:
    for name in ("date.today", "datetime.now", "QDate.currentDate", "time.time", "datetime.utcnow"):
        call = name + "()"  # spelled apart so that this file itself reads no clock
        assert FORBIDDEN.search(f"x = {call}"), call
    assert not FORBIDDEN.search("deadline = time.monotonic() + 5")
    assert not FORBIDDEN.search("today = ctx.clock.now().date()")

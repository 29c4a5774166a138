"""Every clock value the code can make is one the parser accepts, whatever it was fed (the largest values
included), and a clock too far ahead is recognised (issue 11, finding 3)."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from hms_desktop.sync import hlc

NODE = uuid.UUID(int=7).hex
MS = st.integers(-(10**3), 2 * hlc.MAX_MS)  # wall clocks before 1970 and beyond the format too
LAST_MS = st.integers(0, hlc.MAX_MS)
COUNTER = st.integers(0, hlc.MAX_COUNTER)
EDGE_MS = st.sampled_from([0, 1, hlc.MAX_MS - 1, hlc.MAX_MS, hlc.MAX_MS + 1, 10**16])
SEEN = st.builds(
    lambda ms, c: hlc.Stamp(ms=ms, counter=c, node=uuid.UUID(int=9).hex),
    st.one_of(LAST_MS, st.sampled_from([hlc.MAX_MS, hlc.MAX_MS - 1])),
    st.one_of(COUNTER, st.just(hlc.MAX_COUNTER)),
)
STEP = st.one_of(st.tuples(st.just("tick"), st.one_of(MS, EDGE_MS)), st.tuples(st.just("witness"), SEEN))


def stamp_text(ms: int, counter: int) -> str:
    return str(hlc.Stamp(ms=ms, counter=counter, node=NODE))


@given(LAST_MS, COUNTER, st.lists(STEP, max_size=60))
def test_every_clock_ticked_or_witnessed_parses_and_never_goes_back(ms: int, counter: int, steps: list) -> None:  # type: ignore[type-arg]
    for kind, arg in steps:
        before = (ms, counter)
        if kind == "tick":
            ms, counter = hlc.tick(ms, counter, arg)
            assert (ms, counter) > before or before == (hlc.MAX_MS, hlc.MAX_COUNTER)
            assert ms >= min(max(0, arg), hlc.MAX_MS)  # not behind the wall clock, within the format
        else:
            ms, counter = hlc.witness(ms, counter, arg)
            assert (ms, counter) >= before and (ms, counter) >= (arg.ms, arg.counter)
        text = stamp_text(ms, counter)
        assert hlc.parse(text) == hlc.Stamp(ms=ms, counter=counter, node=NODE)


def test_the_clock_the_review_pushed_ticks_to_a_value_that_parses() -> None:
    """999999999999999-99999 used to tick to a 16-digit value the server refused on every later push."""
    ms, counter = hlc.witness(1_700_000_000_000, 0, hlc.parse(f"999999999999999-99999-{NODE}"))
    for _ in range(3):
        ms, counter = hlc.tick(ms, counter, 1_700_000_000_000)
        assert hlc.parse(stamp_text(ms, counter)).ms == hlc.MAX_MS
    assert hlc.tick(hlc.MAX_MS, hlc.MAX_COUNTER - 1, 0) == (hlc.MAX_MS, hlc.MAX_COUNTER)
    assert hlc.tick(hlc.MAX_MS - 1, hlc.MAX_COUNTER, 0) == (hlc.MAX_MS, 0)
    assert hlc.tick(0, 0, 10**17) == (hlc.MAX_MS, 0)  # a wall clock beyond the format is taken as its end
    assert hlc.parse(hlc.server_stamp(10**17)).ms == hlc.MAX_MS


def test_a_clock_more_than_the_allowed_drift_ahead_is_recognised() -> None:
    now = 1_800_000_000_000
    at = lambda ms: hlc.Stamp(ms=ms, counter=0, node=NODE)  # noqa: E731
    assert hlc.check_ahead(at(now), now) is None
    assert hlc.check_ahead(at(now - 10**9), now) is None  # behind is fine (a PC offline for days)
    assert hlc.check_ahead(at(now + hlc.MAX_DRIFT_MS), now) is None
    assert hlc.check_ahead(at(now + hlc.MAX_DRIFT_MS + 1), now) == "10 minutes ahead"
    assert hlc.check_ahead(at(now + 3 * 3_600_000), now) == "3 hours ahead"
    assert hlc.check_ahead(at(now + 5 * 86_400_000), now) == "5 days ahead"
    assert hlc.check_ahead(hlc.parse(f"999999999999999-99999-{NODE}"), now) == "31652 years ahead"

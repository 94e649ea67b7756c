"""Tests for ascms_tui.calendar (SLA business-day arithmetic).

Expected dates were worked out by hand from the 2025-2027 calendars; each
case carries a one-line comment with the reasoning.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ascms_tui.calendar as cal
from ascms_tui.calendar import (
    add_business_days,
    business_days_between,
    is_business_day,
    national_holiday_name,
    next_business_day,
)

D = date


# --- is_business_day ---------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (D(2026, 4, 2), True),  # Thu before Easter: ordinary weekday
        (D(2026, 4, 3), False),  # Good Friday 2026
        (D(2026, 4, 6), False),  # Easter Monday 2026
        (D(2026, 4, 7), True),  # Tue after Easter Monday
        (D(2026, 4, 25), False),  # Anzac Day 2026 is a Saturday
        (D(2026, 4, 27), False),  # Anzac Day 2026 observed on Mon 27 Apr
        (D(2025, 4, 25), False),  # Anzac Day 2025 on a Friday
        (D(2025, 4, 28), True),  # Mon after a Friday Anzac Day: no Mondayisation
        (D(2026, 7, 10), False),  # Matariki 2026 (Fri)
        (D(2025, 6, 20), False),  # Matariki 2025 (Fri)
        (D(2026, 12, 25), False),  # Christmas Day 2026 (Fri)
        (D(2026, 12, 28), False),  # Boxing Day Sat 26 Dec observed Mon 28 Dec
        (D(2026, 12, 29), True),  # Tue 29 Dec 2026: ordinary weekday
        (D(2027, 1, 1), False),  # New Year's Day 2027 (Fri)
        (D(2027, 1, 4), False),  # 2 Jan 2027 is Sat, observed Mon 4 Jan
        (D(2026, 1, 19), True),  # Wellington Anniversary is regional: counts as business
        (D(2026, 2, 6), False),  # Waitangi Day 2026 (Fri)
        (D(2027, 2, 8), False),  # Waitangi Day Sat 6 Feb 2027 observed Mon 8 Feb
        (D(2026, 6, 1), False),  # King's Birthday 2026 (first Mon of June)
        (D(2025, 6, 2), False),  # King's Birthday 2025
        (D(2026, 10, 26), False),  # Labour Day 2026 (fourth Mon of Oct)
        (D(2026, 4, 11), False),  # plain Saturday
        (D(2026, 4, 12), False),  # plain Sunday
    ],
)
def test_is_business_day(d: date, expected: bool) -> None:
    assert is_business_day(d) is expected


def test_wellington_anniversary_is_regional_only() -> None:
    # Guards the premise: the package does list it for WGN, we must not use that.
    assert D(2026, 1, 19) in holidays.NZ(subdiv="WGN", years=2026)
    assert national_holiday_name(D(2026, 1, 19)) is None
    assert is_business_day(D(2026, 1, 19))


def test_national_holidays_2026_exactly_match_practice_guide_list() -> None:
    # The brief's verified 2026 list; catches a `holidays` upgrade changing rules.
    expected = {
        D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 6), D(2026, 4, 3), D(2026, 4, 6),
        D(2026, 4, 25), D(2026, 4, 27), D(2026, 6, 1), D(2026, 7, 10),
        D(2026, 10, 26), D(2026, 12, 25), D(2026, 12, 26), D(2026, 12, 28),
    }  # fmt: skip
    days = (D(2026, 1, 1) + timedelta(days=i) for i in range(365))
    assert {d for d in days if national_holiday_name(d) is not None} == expected


# --- national_holiday_name ---------------------------------------------------


def test_national_holiday_name() -> None:
    # Observed days are named as such; weekend actual days still have a name.
    assert national_holiday_name(D(2026, 4, 27)) == "Anzac Day (observed)"
    assert national_holiday_name(D(2026, 4, 25)) == "Anzac Day"
    assert national_holiday_name(D(2026, 4, 3)) == "Good Friday"
    assert "Boxing Day" in (national_holiday_name(D(2026, 12, 28)) or "")
    assert "New Year" in (national_holiday_name(D(2027, 1, 4)) or "")
    assert "Waitangi" in (national_holiday_name(D(2027, 2, 8)) or "")
    assert "Matariki" in (national_holiday_name(D(2025, 6, 20)) or "")
    assert national_holiday_name(D(2026, 4, 13)) is None  # ordinary Monday
    assert national_holiday_name(D(2026, 4, 11)) is None  # plain Saturday


# --- add_business_days -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Easter 2026: Fri 3 and Mon 6 Apr are holidays
        (D(2026, 4, 2), 1, D(2026, 4, 7)),  # skip Fri 3 (GF), Sat, Sun, Mon 6 (EM) -> Tue 7
        (D(2026, 4, 2), 4, D(2026, 4, 10)),  # Tue 7=1, Wed 8=2, Thu 9=3, Fri 10=4
        (D(2026, 4, 2), 5, D(2026, 4, 13)),  # ...Fri 10=4, Sat/Sun skipped, Mon 13=5
        (D(2026, 4, 1), 1, D(2026, 4, 2)),  # Wed -> Thu, no holiday in between
        (D(2026, 4, 1), 2, D(2026, 4, 7)),  # Thu 2=1, then GF..EM skipped, Tue 7=2
        # Easter + Anzac 2025: GF 18 Apr, EM 21 Apr, Anzac Fri 25 Apr
        (D(2025, 4, 17), 5, D(2025, 4, 29)),  # Tue22=1 Wed23=2 Thu24=3 (Fri25 Anzac) Mon28=4 Tue29=5
        (D(2025, 4, 24), 1, D(2025, 4, 28)),  # Fri 25 Anzac, weekend -> Mon 28 (not Mondayised)
        # Anzac 2026: Sat 25 Apr, observed Mon 27 Apr
        (D(2026, 4, 24), 1, D(2026, 4, 28)),  # Sat, Sun, Mon 27 (observed) skipped -> Tue 28
        (D(2026, 4, 24), 3, D(2026, 4, 30)),  # Tue 28=1, Wed 29=2, Thu 30=3
        # Matariki
        (D(2026, 7, 9), 1, D(2026, 7, 13)),  # Fri 10 Jul Matariki, weekend -> Mon 13
        (D(2025, 6, 19), 1, D(2025, 6, 23)),  # Fri 20 Jun Matariki, weekend -> Mon 23
        # Christmas / New Year 2026-27
        (D(2026, 12, 24), 1, D(2026, 12, 29)),  # Fri 25 Xmas, Sat, Sun, Mon 28 (Boxing obs) -> Tue 29
        (D(2026, 12, 24), 3, D(2026, 12, 31)),  # Tue 29=1, Wed 30=2, Thu 31=3
        (D(2026, 12, 24), 4, D(2027, 1, 5)),  # Fri 1 Jan, Sat, Sun, Mon 4 (2 Jan obs) -> Tue 5=4
        (D(2026, 12, 21), 10, D(2027, 1, 8)),  # 22,23,24,29,30,31 Dec=1..6; 5,6,7,8 Jan=7..10
        # Wellington Anniversary is a business day
        (D(2026, 1, 16), 1, D(2026, 1, 19)),  # Fri -> Mon 19 Jan (regional day counts)
        # Waitangi Day
        (D(2026, 2, 5), 1, D(2026, 2, 9)),  # Fri 6 Feb 2026 Waitangi, weekend -> Mon 9
        (D(2027, 2, 5), 1, D(2027, 2, 9)),  # Sat 6 Feb 2027, Sun, Mon 8 (observed) -> Tue 9
        # King's Birthday / Labour Day
        (D(2026, 5, 29), 1, D(2026, 6, 2)),  # Fri, weekend, Mon 1 Jun King's Birthday -> Tue 2
        (D(2026, 10, 23), 1, D(2026, 10, 27)),  # Fri, weekend, Mon 26 Oct Labour Day -> Tue 27
        # Start on a weekend or holiday: the start itself is day 0
        (D(2026, 4, 11), 0, D(2026, 4, 11)),  # Sat start, n=0 -> unchanged
        (D(2026, 4, 3), 0, D(2026, 4, 3)),  # Good Friday start, n=0 -> unchanged
        (D(2026, 4, 11), 1, D(2026, 4, 13)),  # Sat start -> Mon 13 is day 1
        (D(2026, 4, 12), 5, D(2026, 4, 17)),  # Sun start -> Mon 13..Fri 17 = 1..5
        (D(2026, 4, 27), 1, D(2026, 4, 28)),  # start on Anzac observed -> Tue 28
        (D(2026, 4, 3), 1, D(2026, 4, 7)),  # start on Good Friday -> Sat, Sun, EM skipped -> Tue 7
        # Negative n: |n|-th business day strictly before start
        (D(2026, 4, 7), -1, D(2026, 4, 2)),  # Mon 6 EM, Sun, Sat, Fri 3 GF skipped -> Thu 2
        (D(2026, 4, 13), -5, D(2026, 4, 2)),  # Fri10=1 Thu9=2 Wed8=3 Tue7=4, (6..3 skipped) Thu2=5
        (D(2026, 4, 28), -1, D(2026, 4, 24)),  # Mon 27 obs, Sun, Sat skipped -> Fri 24
        (D(2027, 1, 5), -1, D(2026, 12, 31)),  # Mon 4 obs, Sun 3, Sat 2, Fri 1 skipped -> Thu 31
        (D(2027, 1, 5), -4, D(2026, 12, 24)),  # 31=1 30=2 29=3, (28..25 skipped) Thu 24=4
        (D(2026, 4, 11), -1, D(2026, 4, 10)),  # Sat start -> Fri 10 is the first day before
        (D(2026, 4, 6), -1, D(2026, 4, 2)),  # start on Easter Monday -> Thu 2
    ],
)
def test_add_business_days(start: date, n: int, expected: date) -> None:
    assert add_business_days(start, n) == expected


def test_next_business_day() -> None:
    assert next_business_day(D(2026, 4, 2)) == D(2026, 4, 7)  # Easter weekend skipped
    assert next_business_day(D(2026, 12, 31)) == D(2027, 1, 5)  # 1 Jan, weekend, 4 Jan obs
    assert next_business_day(D(2026, 1, 16)) == D(2026, 1, 19)  # Wellington Anniversary counts


# --- business_days_between ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2026, 4, 2), D(2026, 4, 13), 5),  # 7,8,9,10,13 Apr (3 and 6 are holidays)
        (D(2026, 4, 2), D(2026, 4, 6), 0),  # only Fri 3 (GF) and Mon 6 (EM) are weekdays
        (D(2026, 4, 24), D(2026, 4, 27), 0),  # only Mon 27 (Anzac observed) in range
        (D(2026, 10, 23), D(2026, 10, 30), 4),  # 27,28,29,30 Oct (Mon 26 Labour Day)
        (D(2026, 12, 24), D(2027, 1, 5), 4),  # 29,30,31 Dec and Tue 5 Jan
        (D(2026, 7, 9), D(2026, 7, 13), 1),  # Fri 10 Matariki, so only Mon 13
        (D(2026, 1, 16), D(2026, 1, 19), 1),  # Mon 19 Jan Wellington Anniversary counts
        (D(2026, 4, 2), D(2026, 4, 2), 0),  # same day
        (D(2026, 4, 11), D(2026, 4, 11), 0),  # same day, weekend
        # Reversed arguments: negative count of business days in (end, start]
        (D(2026, 4, 13), D(2026, 4, 2), -5),  # mirror of the 2 -> 13 Apr case
        (D(2026, 4, 11), D(2026, 4, 4), -4),  # Sat -> Sat: 7,8,9,10 Apr (6 is EM)
        (D(2027, 1, 5), D(2026, 12, 24), -4),  # mirror of the Christmas case
        # Long spans (arithmetic path)
        (D(2026, 1, 1), D(2026, 12, 31), 250),  # 261 weekdays in 2026 - 11 weekday holidays
        (D(2026, 12, 31), D(2027, 12, 31), 250),  # 261 weekdays in 2027 - 11 weekday holidays
        (D(2025, 12, 31), D(2027, 12, 31), 500),  # the two years above back to back
    ],
)
def test_business_days_between(start: date, end: date, expected: int) -> None:
    assert business_days_between(start, end) == expected


def test_sla_deadline_example() -> None:
    # "Within 5 business days" of a Thu 2 Apr 2026 referral: due Mon 13 Apr.
    due = add_business_days(D(2026, 4, 2), 5)
    assert due == D(2026, 4, 13)
    assert business_days_between(D(2026, 4, 2), D(2026, 4, 10)) == 4  # Fri 10 still in time
    assert business_days_between(D(2026, 4, 2), D(2026, 4, 14)) == 6  # Tue 14 is late


# --- type checking -----------------------------------------------------------

_DT = datetime(2026, 4, 2, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_business_day(_DT),
        lambda: national_holiday_name(_DT),
        lambda: add_business_days(_DT, 1),
        lambda: add_business_days(_DT, 0),
        lambda: next_business_day(_DT),
        lambda: business_days_between(_DT, D(2026, 4, 13)),
        lambda: business_days_between(D(2026, 4, 2), _DT),
        lambda: business_days_between(datetime(2026, 4, 2), datetime(2026, 4, 3)),
    ],
)
def test_datetime_rejected(call) -> None:
    with pytest.raises(TypeError, match="datetime"):
        call()


def test_other_bad_types_rejected() -> None:
    with pytest.raises(TypeError):
        is_business_day("2026-04-02")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        add_business_days(D(2026, 4, 2), 1.0)  # type: ignore[arg-type]


# --- properties --------------------------------------------------------------

_REF_HOLIDAYS = frozenset(holidays.NZ(years=range(2018, 2038)))


def _ref_is_business(d: date) -> bool:
    return d.weekday() < 5 and d not in _REF_HOLIDAYS


def _ref_between(start: date, end: date) -> int:
    lo, hi, sign = (start, end, 1) if end >= start else (end, start, -1)
    count = sum(_ref_is_business(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
    return sign * count


def _ref_add(start: date, n: int) -> date:
    d, step, left = start, (1 if n > 0 else -1), abs(n)
    while left:
        d += timedelta(days=step)
        left -= _ref_is_business(d)
    return d


dates = st.dates(min_value=D(2020, 1, 1), max_value=D(2035, 12, 31))
_FAST = settings(max_examples=100, deadline=None)


@_FAST
@given(dates, st.integers(min_value=0, max_value=60))
def test_round_trip(start: date, n: int) -> None:
    assert business_days_between(start, add_business_days(start, n)) == n


@_FAST
@given(dates, st.integers(min_value=-60, max_value=60))
def test_add_matches_naive_reference(start: date, n: int) -> None:
    result = add_business_days(start, n)
    assert result == _ref_add(start, n)
    if n:
        assert is_business_day(result)


@_FAST
@given(dates, st.integers(min_value=-400, max_value=400))
def test_between_matches_naive_reference(start: date, offset: int) -> None:
    end = start + timedelta(days=offset)
    assert business_days_between(start, end) == _ref_between(start, end)
    assert business_days_between(end, start) == -business_days_between(start, end)


@_FAST
@given(dates, st.sampled_from([5, 6]))
def test_weekends_are_never_business_days(d: date, weekend_day: int) -> None:
    d += timedelta(days=(weekend_day - d.weekday()) % 7)
    assert not is_business_day(d)


@_FAST
@given(dates)
def test_is_business_day_matches_reference(d: date) -> None:
    assert is_business_day(d) == _ref_is_business(d)


# --- infrastructure ----------------------------------------------------------


def test_concurrent_cold_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many threads building the same years at once must agree with a warm run.
    monkeypatch.setattr(cal, "_years", {})
    starts = [D(2021 + i % 10, 1 + i % 12, 1 + i % 28) for i in range(64)]
    expected = [_ref_between(s, s + timedelta(days=200)) for s in starts]
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append([business_days_between(s, s + timedelta(days=200)) for s in starts])
        except BaseException as exc:  # surface failures from worker threads
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == [expected] * 8


def test_module_import_is_light() -> None:
    # A fresh interpreter shows what importing the module alone pulls in.
    code = "import sys, ascms_tui.calendar; print('textual' in sys.modules)"
    repo_root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root
    )
    assert out.stdout.strip() == "False"

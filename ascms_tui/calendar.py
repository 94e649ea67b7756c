"""Business-day arithmetic for Attendance Service SLAs.

Practice-guide rule: weekdays are business days, including school holidays
and regional anniversary days; weekends and NATIONAL public holidays
(including their Mondayised observed days) are not. The referral date is
day 0, and "within N business days" means on or before
``add_business_days(referral, N)``.

All functions take ``datetime.date`` values that are already NZ local dates.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from datetime import date, datetime, timedelta
from pathlib import Path

__all__ = [
    "add_business_days",
    "business_days_between",
    "is_business_day",
    "national_holiday_name",
    "next_business_day",
]

_ONE_DAY = timedelta(days=1)


class _Year:
    """Immutable national-holiday data for one calendar year."""

    __slots__ = ("names", "weekday_holidays")

    def __init__(self, year: int) -> None:
        table = _table()
        if year in table:
            self.names: dict[date, str] = table[year]
        else:
            import holidays  # only outside the shipped table: importing it costs ~150 ms at start-up

            # No subdiv: regional anniversary days must stay business days. A plain
            # dict copy, because HolidayBase lookups can mutate it (not thread-safe).
            self.names = {d: n for d, n in holidays.NZ(years=year).items() if d.year == year}
        # Weekend holidays are already excluded by the weekday arithmetic, so
        # only weekday ones are subtracted; ordinals keep bisect cheap.
        self.weekday_holidays: tuple[int, ...] = tuple(
            sorted(d.toordinal() for d in self.names if d.weekday() < 5)
        )


# Beside this module (read as a plain file: importlib.resources costs start-up time).
HOLIDAY_TABLE = Path(__file__).with_name("data") / "nz_national_holidays.tsv"
_table_cache: dict[int, dict[date, str]] = {}


def holiday_table_fingerprint() -> str:
    """Changes whenever the shipped holiday table does: stored due dates computed with another table are stale.

    Years outside the table come from the holidays package and are not covered.
    """
    import zlib

    return f"{zlib.crc32(HOLIDAY_TABLE.read_bytes()):08x}"


def _table() -> dict[int, dict[date, str]]:
    """The shipped table of national holidays (generated from the holidays package; a test keeps them equal)."""
    if not _table_cache:
        text = HOLIDAY_TABLE.read_text(encoding="utf-8")
        parsed: dict[int, dict[date, str]] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                day, name = line.split("\t", 1)
                when = date.fromisoformat(day)
                parsed.setdefault(when.year, {})[when] = name
        _table_cache.update(parsed)
    return _table_cache


_years: dict[int, _Year] = {}
_years_lock = threading.Lock()


def _year(year: int) -> _Year:
    data = _years.get(year)  # dict reads are atomic; lock only to build
    if data is None:
        with _years_lock:
            data = _years.get(year)
            if data is None:
                data = _Year(year)
                _years[year] = data
    return data


def _check_date(d: object, name: str = "d") -> None:
    # datetime subclasses date; accepting it would silently drop the time and
    # zone, so a UTC timestamp could land on the wrong NZ calendar day.
    if isinstance(d, datetime):
        raise TypeError(
            f"{name} must be a datetime.date, not datetime.datetime; "
            "convert to an NZ local date first (e.g. dt.astimezone(NZ_TZ).date())"
        )
    if not isinstance(d, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(d).__name__}")


def _check_int(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")


def _weekdays_upto(ordinal: int) -> int:
    """Count Mon-Fri days with ordinal in [1, ordinal]; ordinal 1 is a Monday."""
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


def _count(lo: int, hi: int) -> int:
    """Business days with ordinal in (lo, hi]; 0 when lo >= hi."""
    if lo >= hi:
        return 0
    total = _weekdays_upto(hi) - _weekdays_upto(lo)
    first, last = date.fromordinal(lo + 1).year, date.fromordinal(hi).year
    for year in range(first, last + 1):
        hols = _year(year).weekday_holidays
        total -= bisect_right(hols, hi) - bisect_right(hols, lo)
    return total


def _is_business(d: date) -> bool:
    return d.weekday() < 5 and d not in _year(d.year).names


def is_business_day(d: date) -> bool:
    """True for Mon-Fri dates that are not national public holidays."""
    _check_date(d)
    return _is_business(d)


def national_holiday_name(d: date) -> str | None:
    """Name of the national public holiday on ``d`` (weekend ones too), else None.

    Observed days read e.g. "Anzac Day (observed)"; coinciding holidays are
    joined with "; " by the holidays package.
    """
    _check_date(d)
    return _year(d.year).names.get(d)


def add_business_days(start: date, n: int) -> date:
    """The n-th business day after ``start`` (before it if n < 0); n == 0 is ``start``."""
    _check_date(start, "start")
    _check_int(n)
    if n == 0:
        return start
    s = start.toordinal()
    # Jump whole weeks (5 weekdays each, less any holidays) so only the
    # remainder and the holidays crossed are walked day by day.
    jump = 7 * (abs(n) // 5)
    if n > 0:
        d = start + timedelta(days=jump)
        k = _count(s, s + jump)
        while k < n:
            d += _ONE_DAY
            if _is_business(d):
                k += 1
        # k == n straight after the jump can leave d on a weekend/holiday;
        # the n-th business day is then the last one at or before d.
        while not _is_business(d):
            d -= _ONE_DAY
    else:
        n = -n
        d = start - timedelta(days=jump)
        k = _count(s - 1 - jump, s - 1)  # business days in [d, start)
        while k < n:
            d -= _ONE_DAY
            if _is_business(d):
                k += 1
        while not _is_business(d):
            d += _ONE_DAY
    return d


def next_business_day(d: date) -> date:
    """The first business day strictly after ``d``."""
    return add_business_days(d, 1)


def business_days_between(start: date, end: date) -> int:
    """Business days in (start, end]; negated count over (end, start] if end < start.

    Inverse of ``add_business_days`` for n >= 0:
    ``business_days_between(s, add_business_days(s, n)) == n``.
    """
    _check_date(start, "start")
    _check_date(end, "end")
    a, b = start.toordinal(), end.toordinal()
    if b >= a:
        return _count(a, b)
    return -_count(b, a)


def write_holiday_table(path=None, first: int = 2000, last: int = 2060) -> None:
    """Regenerate the shipped table from the holidays package: python -m ascms_tui.calendar"""
    import holidays

    lines = [
        "# NZ national public holidays (observed days included), no regional anniversaries.",
        "# Generated from the holidays package by `python -m ascms_tui.calendar`; do not edit by hand.",
        "# date<TAB>name",
    ]
    for year in range(first, last + 1):
        lines += [f"{d.isoformat()}\t{n}" for d, n in sorted(holidays.NZ(years=year).items()) if d.year == year]
    target = path or HOLIDAY_TABLE
    with open(target, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_holiday_table()

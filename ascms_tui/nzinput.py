"""Dates, times and counts typed the New Zealand way, read into values.

Case managers type 4/06/2026, "today" or 2pm, never ISO timestamps. Every
error is a ValueError whose message is shown beside the field as it is, so
it says what was typed, what is wrong and what would be accepted.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from .nztime import NZ, format_duration

DATE_EXAMPLE = "Type a date like 4/06/2026, today or yesterday"
TIME_EXAMPLE = "Type a time like 2pm, 2:30 pm or 14:00"

_RELATIVE_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9

# d/m/yyyy, d-m-yy, d.m (day first, as New Zealand writes it)
_NUMERIC_DATE = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})(?:\s*\2\s*(\d{2}|\d{4}))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# 4 June 2026, 4 jun, 4th of June
_WORD_DATE = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+)\.?,?(?:\s+(\d{4}))?")

_AM_PM = r"(?:\s*(?P<half>[ap])\.?\s*m?\.?)?"
_TIME = re.compile(r"(?P<hour>\d{1,2})(?:\s*[:.]\s*(?P<minute>\d{2}))?" + _AM_PM)
_COMPACT_TIME = re.compile(r"(?P<hour>\d{1,2})(?P<minute>\d{2})" + _AM_PM)


def parse_nz_date(text: str, today: date) -> date:
    """The date `text` means, read day first; `today` anchors "yesterday" and dates without a year."""
    typed = text.strip()
    word = typed.lower()
    if not word:
        raise ValueError(DATE_EXAMPLE)
    if word in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[word])
    if match := _ISO_DATE.fullmatch(word):
        year, month, day = (int(part) for part in match.groups())
        return _checked_date(typed, year, month, day)
    if match := _NUMERIC_DATE.fullmatch(word):
        day, month = int(match[1]), int(match[3])
        year = _full_year(match[4], today)
        if month > 12 and day <= 12:
            raise ValueError(
                f"'{typed}' is not a date: there is no month {month}. "
                f"New Zealand dates are day first, e.g. {month}/{day:02d}/{year}"
            )
        return _checked_date(typed, year, month, day)
    if match := _WORD_DATE.fullmatch(word):
        month = _MONTHS.get(match[2])
        if month is None:
            raise ValueError(f"'{typed}' is not a date: '{match[2]}' is not a month. {DATE_EXAMPLE}")
        year = int(match[3]) if match[3] else today.year
        return _checked_date(typed, year, month, int(match[1]))
    raise ValueError(f"'{typed}' is not a date. {DATE_EXAMPLE}")


def _full_year(typed: str | None, today: date) -> int:
    if typed is None:
        return today.year
    year = int(typed)
    return 2000 + year if len(typed) == 2 else year


def _checked_date(typed: str, year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise ValueError(f"'{typed}' is not a date: there is no month {month}. {DATE_EXAMPLE}")
    if not 1900 <= year <= 2999:
        raise ValueError(f"'{typed}' is not a date: the year {year} is out of range. {DATE_EXAMPLE}")
    days_in_month = calendar.monthrange(year, month)[1]
    if day < 1:
        raise ValueError(f"'{typed}' is not a date: there is no day {day}. {DATE_EXAMPLE}")
    if day > days_in_month:
        raise ValueError(
            f"'{typed}' is not a date: {calendar.month_name[month]} {year} has {days_in_month} days"
        )
    return date(year, month, day)


def parse_nz_time(text: str) -> time:
    """The time of day `text` means: 2pm, 2:30 pm, 2.30pm, 14:00, 1400, noon, midnight."""
    typed = text.strip()
    word = typed.lower()
    if not word:
        raise ValueError(TIME_EXAMPLE)
    if word == "noon" or word == "midday":
        return time(12, 0)
    if word == "midnight":
        return time(0, 0)
    match = _TIME.fullmatch(word) or _COMPACT_TIME.fullmatch(word)
    if match is None:
        raise ValueError(f"'{typed}' is not a time. {TIME_EXAMPLE}")
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    half = match["half"]
    if minute > 59:
        raise ValueError(f"'{typed}' is not a time: minutes go up to 59. {TIME_EXAMPLE}")
    if half is not None:
        if not 1 <= hour <= 12:
            raise ValueError(
                f"'{typed}' is not a time: with am or pm the hour is 1 to 12. {TIME_EXAMPLE}"
            )
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour > 23:
        raise ValueError(f"'{typed}' is not a time: hours go up to 23. {TIME_EXAMPLE}")
    elif 1 <= hour <= 7 and not match["hour"].startswith("0"):
        # "2" or "2:30" is far more often afternoon than night; guessing would misplace a meeting.
        shown = f"{hour}:{minute:02d}" if minute else str(hour)
        raise ValueError(f"Is '{typed}' am or pm? Type {shown}am, {shown}pm or {hour + 12}:{minute:02d}")
    return time(hour, minute)


def nz_datetime(day: date, at: time) -> datetime:
    """The instant `at` on `day` in New Zealand, as an aware datetime.

    A time skipped when clocks go forward (2:00-2:59 am on the last Sunday in
    September) is refused; a time that happens twice when they go back (2:00-2:59 am
    on the first Sunday in April) is the first, daylight-saving one.
    """
    local = datetime.combine(day, at, NZ)
    if local.astimezone(UTC).astimezone(NZ).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(
            f"{format_time(at)} on {day.day}/{day.month:02d}/{day.year} does not exist in New Zealand: "
            "clocks go forward from 2:00 am to 3:00 am that night. Type 3am or later"
        )
    return local


def is_repeated_nz_time(day: date, at: time) -> bool:
    """Whether `at` happens twice on `day` (the hour repeated when daylight saving ends)."""
    first = datetime.combine(day, at, NZ).utcoffset()
    second = datetime.combine(day, at, NZ).replace(fold=1).utcoffset()
    return first != second


def format_time(at: time) -> str:
    """2:00 pm, as AS-CMS shows times."""
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'am' if at.hour < 12 else 'pm'}"


def format_long_date(day: date) -> str:
    """Tue 30 Jun 2026: confirms beside a date field which date was understood."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def parse_whole_number(text: str, *, label: str) -> int:
    """A count typed into Hours or Minutes; blank means 0."""
    typed = text.strip()
    if not typed:
        return 0
    if re.fullmatch(r"\d{1,4}", typed):
        return int(typed)
    if label == "Hours" and re.fullmatch(r"\d+[.,]\d+", typed):
        raise ValueError(f"Hours must be a whole number (got '{typed}'); put the rest in Minutes")
    raise ValueError(f"{label} must be a whole number like 1 or 30 (got '{typed}')")


def parse_nz_dollars(text: str) -> Decimal:
    """An amount in New Zealand dollars: 55, 55.95, $1,200.50 or NZ$40."""
    typed = text.strip()
    if not typed:
        raise ValueError("Amount is required. Type dollars and cents like 55.95")
    plain = re.sub(r"^(?:nz)?\$\s*", "", typed.lower()).replace(",", "")
    if not re.fullmatch(r"\d{1,7}(?:\.\d{1,2})?", plain):
        if re.fullmatch(r"\d+\.\d{3,}", plain):
            raise ValueError(f"'{typed}' has more than two digits of cents. Type an amount like 55.95")
        if re.fullmatch(r"\d{8,}(?:\.\d{1,2})?", plain):
            raise ValueError(f"'{typed}' is more than AS-CMS accepts ($9,999,999.99 at most)")
        raise ValueError(f"'{typed}' is not an amount in dollars. Type an amount like 55.95 or $1,200")
    return Decimal(plain).quantize(Decimal("0.01"))


def format_time_spent(hours: int, minutes: int) -> str:
    """1 h 30 min."""
    if not hours and not minutes:
        return "no time recorded"
    return format_duration(hours * 60 + minutes)

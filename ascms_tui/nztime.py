"""Time in New Zealand: stored in UTC, shown in Pacific/Auckland."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

NZ = ZoneInfo("Pacific/Auckland")


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def nz_today() -> date:
    return datetime.now(NZ).date()


def to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a date-time needs a time-zone offset")
    return value.astimezone(UTC)


def nz_date(value: datetime) -> date:
    """The calendar date in New Zealand of an instant (what reporting uses)."""
    return to_utc(value).astimezone(NZ).date()


def nz_date_of_stored(instant: str) -> date:
    """The NZ date of a stored UTC instant such as '2026-06-04T02:00:00Z'.

    Pacific/Auckland's offsets are whole hours, so the NZ date depends only on
    the UTC date and hour: cached on that prefix, a caseload's worth of
    instants converts without a time-zone calculation each.
    """
    return _nz_date_of_hour(instant[:13])


def nz_date_of_instant(value: datetime) -> date:
    """The NZ date of an aware instant, cached on its UTC hour like nz_date_of_stored."""
    utc = value if value.tzinfo is UTC else to_utc(value)
    return _nz_date_of_utc_hour(utc.year, utc.month, utc.day, utc.hour)


@lru_cache(maxsize=65_536)
def _nz_date_of_utc_hour(year: int, month: int, day: int, hour: int) -> date:
    return datetime(year, month, day, hour, tzinfo=UTC).astimezone(NZ).date()


@lru_cache(maxsize=65_536)
def _nz_date_of_hour(prefix: str) -> date:
    return datetime.fromisoformat(prefix + ":00:00+00:00").astimezone(NZ).date()


def nz_midnight(day: date) -> datetime:
    """Start of an NZ calendar day, as a UTC instant (all-day events)."""
    return datetime.combine(day, time(0, 0), NZ).astimezone(UTC)


def utc_text_bound(day: date) -> str:
    """The start of an NZ day as stored-instant text, for range queries.

    Stored instants look like 2026-06-04T02:00:00Z, maybe with a fraction of a
    second; a ".000000Z" bound compares correctly with both forms as text.
    """
    return nz_midnight(day).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def format_nz_date(day: date) -> str:
    """AS-CMS style: 4/06/2026."""
    return f"{day.day}/{day.month:02d}/{day.year}"


def format_nz_time(value: datetime) -> str:
    """AS-CMS style: 2:00 pm."""
    local = to_utc(value).astimezone(NZ)
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def format_nz_datetime(value: datetime) -> str:
    """AS-CMS style: 4/06/2026, 2:00 pm."""
    return f"{format_nz_date(nz_date(value))}, {format_nz_time(value)}"


def format_duration(minutes: int) -> str:
    """Time spent the way the forms and timeline show it: '1 h 30 min', '2 h', '45 min', '0 min'."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"

"""Time spent on case management, per day, week and case (the contract asks for it per referred student).

The day of an Event is its NZ start date; Tasks, Services and Info Requests
count on the NZ date they were recorded.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from .nztime import nz_date_of_stored, utc_text_bound
from .store import Store


@dataclass(frozen=True, slots=True)
class TimeEntry:
    day: date
    case_number: str
    record_type: str
    subject: str
    minutes: int

    @property
    def week_start(self) -> date:
        return self.day - timedelta(days=self.day.weekday())


# (record type, table, column giving its day, column naming it)
_SOURCES = (
    ("event", "events", "start", "subject"),
    ("task", "tasks", "recorded_at", "subject"),
    ("service", "services", "recorded_at", "agency"),
    ("info_request", "info_requests", "recorded_at", "agency"),
)


def time_entries(store: Store, start: date | None = None, end: date | None = None) -> list[TimeEntry]:
    """Records with time spent whose NZ day falls in [start, end] (either end open)."""
    low = utc_text_bound(start) if start else ""
    high = utc_text_bound(end + timedelta(days=1)) if end else "~"  # "~" sorts after every instant
    entries = []
    for record_type, table, at, name in _SOURCES:
        sql = (
            f"SELECT r.{at}, c.case_number, r.{name}, r.hours * 60 + r.minutes FROM {table} r "
            f"JOIN cases c ON c.id = r.case_id WHERE (r.hours > 0 OR r.minutes > 0) AND r.{at} >= ? AND r.{at} < ?"
        )
        for instant, case_number, subject, minutes in store.read(sql, (low, high)):
            entries.append(TimeEntry(nz_date_of_stored(instant), case_number, record_type, subject, minutes))
    return sorted(entries, key=lambda e: (e.day, e.case_number, e.record_type))


def totals(entries: list[TimeEntry]) -> dict[str, dict[str, int]]:
    per_day: dict[str, int] = defaultdict(int)
    per_week: dict[str, int] = defaultdict(int)
    per_case: dict[str, int] = defaultdict(int)
    for entry in entries:
        per_day[entry.day.isoformat()] += entry.minutes
        per_week[entry.week_start.isoformat()] += entry.minutes
        per_case[entry.case_number] += entry.minutes
    return {"day": dict(per_day), "week": dict(per_week), "case": dict(sorted(per_case.items()))}


def hours_text(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"


def format_totals(entries: list[TimeEntry]) -> str:
    summary = totals(entries)
    total = sum(e.minutes for e in entries)
    lines = [f"Time spent: {hours_text(total)} over {len(entries):,} records"]
    for title, key, label in (("Per week (from Monday)", "week", "week of"), ("Per day", "day", ""),
                              ("Per case", "case", "case")):
        lines += ["", title]
        lines += [f"  {(label + ' ' + name).strip():<22} {hours_text(minutes):>14}" for name, minutes in summary[key].items()]
    return "\n".join(lines)


def to_csv(entries: list[TimeEntry]) -> str:
    """One row per record, for the provider's own timesheets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "week_start", "case_number", "record_type", "subject", "hours", "minutes", "total_minutes"])
    for e in entries:
        # A leading = + - @ would run as a formula in a spreadsheet: quote it as text.
        subject = "'" + e.subject if e.subject[:1] in ("=", "+", "-", "@") else e.subject
        writer.writerow([e.day.isoformat(), e.week_start.isoformat(), e.case_number, e.record_type, subject,
                         e.minutes // 60, e.minutes % 60, e.minutes])
    return out.getvalue()

"""The daily-close check: the practice guide's quick check, made concrete.

"Before closing your work for the day, check: have today's key activities
been recorded; are barriers, contacts, plans and services current; has time
spent been recorded; would another person understand what has happened?"
Each item names the case and record that needs work, so the screen can jump
there. Only cases that are not Closed are checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from .calendar import add_business_days, business_days_between
from .domain import INITIAL_MEETING_SUBJECTS, RECORD_TYPES, CaseStatus, PlanStatus
from .nztime import format_duration, format_nz_date, nz_date_of_stored, utc_text_bound
from .quality import initial_meeting_advice
from .rules import NOTES_WITHIN_BUSINESS_DAYS, WHANAU_MEETING_DAYS, next_deadline, notes_gaps, recording_due
from .store import Store, chunks
from .time_spent import time_entries

# Initial meetings held this many business days back are still worth improving:
# detailed notes are due within five business days, and older ones are reported.
RECENT_MEETING_DAYS = 15
# Notes that fell due this many business days back are still listed; older gaps
# have been on the list for a week already and are a matter for supervision.
RECENT_NOTES_DAYS = 5

ITEM_TITLES = {
    "no_time_spent": "Today's Events and Tasks without time spent",
    "not_in_ascms": "Not yet in AS-CMS (cases with changes waiting to sync)",
    "late_tomorrow": "Will be late tomorrow unless synced today",
    "weak_initial_meeting": "Initial meetings whose description may not be useful",
    "plans": "Plans still Draft or with no steps (not counted for reporting)",
    "migrated": "Migrated cases without a Case Owner or a Student Plan",
    "deadlines_soon": "Reporting deadlines in the next two business days",
    "contacts_not_current": "Contacts not confirmed current",
    "notes_overdue": "Activities without detailed notes within five business days",
}


_TYPE_ORDER = {kind: index for index, kind in enumerate(RECORD_TYPES)}


@dataclass(slots=True)
class CheckItem:
    case_id: str
    case_number: str
    record_type: str
    record_id: str
    message: str


@dataclass
class DailyCheck:
    day: date
    items: dict[str, list[CheckItem]] = field(default_factory=lambda: {key: [] for key in ITEM_TITLES})
    time_today_minutes: int = 0

    @property
    def outstanding(self) -> int:
        return sum(len(found) for found in self.items.values())

    def to_json(self) -> dict:
        return {
            "date": self.day.isoformat(),
            "outstanding": self.outstanding,
            "time_today_minutes": self.time_today_minutes,
            "items": {key: [asdict(item) for item in found] for key, found in self.items.items()},
            "titles": ITEM_TITLES,
        }


def run_check(store: Store, day: date) -> DailyCheck:
    check = DailyCheck(day)
    items = check.items
    open_cases = {row.id: row for row in store.case_list_rows() if row.status != CaseStatus.CLOSED}

    def add(key: str, case_id: str, record_type: str, record_id: str, message: str) -> None:
        items[key].append(CheckItem(case_id, open_cases[case_id].case_number, record_type, record_id, message))

    start, end = utc_text_bound(day), utc_text_bound(day + timedelta(days=1))
    check.time_today_minutes = sum(entry.minutes for entry in time_entries(store, day, day))

    # Today's activities without time spent.
    for record_id, case_id, subject in store.read(
        "SELECT id, case_id, subject FROM events WHERE start >= ? AND start < ? AND hours = 0 AND minutes = 0",
        (start, end),
    ):
        if case_id in open_cases:
            add("no_time_spent", case_id, "event", record_id, f"Event “{subject}” has no Hours or Minutes")
    for record_id, case_id, subject in store.read(
        "SELECT id, case_id, subject FROM tasks WHERE hours = 0 AND minutes = 0 AND "
        "(due_date = ? OR (recorded_at >= ? AND recorded_at < ?))",
        (day.isoformat(), start, end),
    ):
        if case_id in open_cases:
            add("no_time_spent", case_id, "task", record_id, f"Task “{subject}” has no Hours or Minutes")

    # Changes waiting for AS-CMS: one line per case ("2 Events, 1 Task"); the Sync screen lists the records.
    waiting: dict[str, Counter[str]] = {}
    for case_id, record_type, count in store.read(
        "SELECT case_id, record_type, COUNT(DISTINCT record_id) FROM changes WHERE status != 'done' "
        "GROUP BY case_id, record_type"
    ):
        if case_id in open_cases:
            waiting.setdefault(case_id, Counter())[record_type] = count
    for case_id, counts in waiting.items():
        described = ", ".join(
            f"{n} {RECORD_TYPES[kind].label}{'s' if n > 1 else ''}"
            for kind, n in sorted(counts.items(), key=lambda item: _TYPE_ORDER[item[0]])
        )
        add("not_in_ascms", case_id, "case", case_id, f"{described} not yet sent to AS-CMS")

    # Unsynced activities whose next-working-day deadline for AS-CMS is today or past.
    for record_type, table, column in (
        ("event", "events", "start"), ("task", "tasks", "recorded_at"), ("comment", "comments", "recorded_at")
    ):
        for record_id, case_id, at in store.read(
            f"SELECT id, case_id, {column} FROM {table} WHERE id IN "
            f"(SELECT record_id FROM changes WHERE status != 'done' AND record_type = ?) AND {column} < ?",
            (record_type, end),
        ):
            if case_id not in open_cases:
                continue
            happened = nz_date_of_stored(at)
            due = recording_due(happened)
            if due <= day:
                when = "was due" if due < day else "is due"
                add("late_tomorrow", case_id, record_type, record_id,
                    f"Activity of {format_nz_date(happened)} {when} in AS-CMS by end of {format_nz_date(due)}")

    # Initial meetings held recently whose description would not help the next reader.
    recent_from = utc_text_bound(add_business_days(day, -RECENT_MEETING_DAYS))
    marks = ", ".join("?" * len(INITIAL_MEETING_SUBJECTS))
    for record_id, case_id, subject, at, description in store.read(
        f"SELECT id, case_id, subject, start, description FROM events WHERE subject IN ({marks}) "
        "AND start >= ? AND start < ?",
        (*INITIAL_MEETING_SUBJECTS, recent_from, end),
    ):
        if case_id in open_cases:
            advice = initial_meeting_advice(description)
            if advice:
                held = format_nz_date(nz_date_of_stored(at))
                add("weak_initial_meeting", case_id, "event", record_id, f"{subject} of {held}: {advice[0].message}")

    # Plans that reporting will not count.
    for record_id, case_id, status, steps in store.read(
        "SELECT p.id, p.case_id, p.status, EXISTS (SELECT 1 FROM plan_steps s WHERE s.plan_id = p.id) "
        "FROM plans p WHERE p.status != ?",
        (PlanStatus.COMPLETED.value,),
    ):
        if case_id not in open_cases:
            continue
        if status == PlanStatus.DRAFT:
            add("plans", case_id, "plan", record_id, "Plan is still Draft: set it In Progress once agreed")
        elif not steps:
            add("plans", case_id, "plan", record_id, "Plan has no steps: add at least one action")

    counted = store.cases_with_counted_plan()
    soon = add_business_days(day, 2)
    # Every initial-meeting deadline falls within the 15th business day after referral,
    # so older referrals cannot have one in the next two business days.
    recent_referrals = add_business_days(day, -max(WHANAU_MEETING_DAYS)).isoformat()
    for case_id, row in open_cases.items():
        if row.migrated and not row.case_owner:
            add("migrated", case_id, "case", case_id, "Migrated case has no Case Owner")
        if row.migrated and case_id not in counted:
            add("migrated", case_id, "case", case_id, "Migrated case has no Student Plan In Progress with a step")
        if row.referral_date < recent_referrals:
            continue
        deadline = next_deadline(
            referral_date=row.referral_day, status=row.status, school_meeting=row.school_meeting_day,
            whanau_meeting=row.whanau_meeting_day, has_current_contact=bool(row.has_current_contact), today=day,
        )
        if deadline and not deadline.passed and deadline.due <= soon:
            left = business_days_between(day, deadline.due)
            add("deadlines_soon", case_id, "case", case_id,
                f"{deadline.describe()} ({'today' if left == 0 else f'{left} business day' + ('s' if left > 1 else '')})")

    # Detailed notes: an Event's description, or a Case Comment, within five business days.
    # Looked at for activities whose notes fell due in the last RECENT_NOTES_DAYS business days.
    oldest = utc_text_bound(add_business_days(day, -(NOTES_WITHIN_BUSINESS_DAYS + RECENT_NOTES_DAYS)))
    newest = utc_text_bound(add_business_days(day, -NOTES_WITHIN_BUSINESS_DAYS))
    # An Event created ahead of the meeting gets its description by a later edit.
    described_at = dict(store.read(
        "SELECT record_id, MIN(created_at) FROM changes WHERE record_type = 'event' AND operation = 'update' "
        "AND json_extract(changed_fields, '$.description.old') = '' GROUP BY record_id"
    ))
    by_case: dict[str, list[tuple[str, date, date | None]]] = {}
    subjects = {}
    # Only events whose notes could be late: no description yet, first written more than four
    # days after (five business days are never fewer than five calendar days), or edited since.
    for record_id, case_id, subject, at, has_description, recorded_at in store.read(
        "SELECT id, case_id, subject, start, description != '', recorded_at FROM events "
        "WHERE start >= ? AND start < ? AND (description = '' "
        "OR recorded_at > strftime('%Y-%m-%dT%H:%M:%SZ', start, '+4 days') "
        "OR id IN (SELECT record_id FROM changes WHERE record_type = 'event' AND operation = 'update'))",
        (oldest, newest),
    ):
        if case_id in open_cases:
            described = nz_date_of_stored(described_at.get(record_id) or recorded_at) if has_description else None
            by_case.setdefault(case_id, []).append((record_id, nz_date_of_stored(at), described))
            subjects[record_id] = subject
    comments: dict[str, list[date]] = {}
    for chunk in chunks(sorted(by_case)):
        marks = ", ".join("?" * len(chunk))
        for case_id, at in store.read(
            f"SELECT case_id, recorded_at FROM comments WHERE recorded_at >= ? AND case_id IN ({marks})",
            (oldest, *chunk),
        ):
            comments.setdefault(case_id, []).append(nz_date_of_stored(at))
    for case_id, activities in by_case.items():
        for gap in notes_gaps(activities, comments.get(case_id, []), day):
            add("notes_overdue", case_id, "event", gap.record_id,
                f"{subjects[gap.record_id]} of {format_nz_date(gap.activity_day)}: notes were due by "
                f"{format_nz_date(gap.notes_due)}")

    for record_id, case_id, name, role in store.read(
        "SELECT id, case_id, name, role FROM contacts WHERE details_current = 0"
    ):
        if case_id in open_cases:
            add("contacts_not_current", case_id, "contact", record_id, f"{name} ({role}): details not confirmed current")
    return check


def format_check(check: DailyCheck) -> str:
    lines = [f"Daily check for {format_nz_date(check.day)}: "
             + ("nothing outstanding." if not check.outstanding else f"{check.outstanding} item(s) to look at.")]
    lines.append(f"Time recorded for the day: {format_duration(check.time_today_minutes)}")
    for key, found in check.items.items():
        if found:
            lines += ["", f"{ITEM_TITLES[key]} ({len(found)})"]
            lines += [f"  {item.case_number}  {item.message}" for item in found]
    return "\n".join(lines)

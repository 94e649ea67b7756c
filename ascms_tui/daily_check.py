"""The daily-close check: the practice guide's quick check, made concrete.

"Before closing your work for the day, check: have today's key activities
been recorded; are barriers, contacts, plans and services current; has time
spent been recorded; would another person understand what has happened?"
Each item names the case and record that needs work, so the screen can jump
there. Only cases that are not Closed are checked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from operator import itemgetter
from typing import Any

from .calendar import add_business_days, business_days_between
from .deadlines import WHANAU_MEETING_DAYS, meeting_pending, next_deadline
from .domain import INITIAL_MEETING_SUBJECTS, RECORD_TYPES, CaseStatus, PlanStatus
from .nztime import format_duration, format_nz_date, nz_date_of_stored, utc_text_bound
from .quality import initial_meeting_advice
from .rules import NOTES_WITHIN_BUSINESS_DAYS, notes_gaps, recording_due
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
    # Open cases' records that reporting will not count (ascms_tui.uncounted), with their case numbers.
    uncounted: list[tuple[str, Any]] = field(default_factory=list)

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
            "uncounted": [{"case_number": number, **item.to_json()} for number, item in self.uncounted],
        }


def run_check(store: Store, day: date) -> DailyCheck:
    """The check over the caseload: a dozen indexed queries read as plain tuples, no models.

    Each list keeps the order its query gives (case items by case id, activities
    waiting for AS-CMS by type and id): the screen and `check --json` show them so.
    """
    check = DailyCheck(day)
    # case id -> case number for every case that is not Closed; everything else is skipped.
    numbers: dict[str, str] = dict(store.read(
        "SELECT case_id, case_number FROM case_list WHERE status != ?", (CaseStatus.CLOSED.value,)
    ))
    start, end = utc_text_bound(day), utc_text_bound(day + timedelta(days=1))
    check.time_today_minutes = sum(entry.minutes for entry in time_entries(store, day, day))
    _no_time_spent(store, day, start, end, numbers, check.items["no_time_spent"])
    _not_in_ascms(store, day, end, numbers, check.items["not_in_ascms"], check.items["late_tomorrow"])
    _weak_initial_meetings(store, day, end, numbers, check.items["weak_initial_meeting"])
    counted = _plans(store, numbers, check.items["plans"])
    _migrated_and_deadlines(store, day, numbers, counted, check.items["migrated"], check.items["deadlines_soon"])
    _notes_overdue(store, day, numbers, check.items["notes_overdue"])
    from .uncounted import uncounted_by_case

    check.uncounted = [(numbers[case_id], item) for case_id, items in sorted(uncounted_by_case(store).items(),
                                                                              key=lambda kv: numbers.get(kv[0], ""))
                       if case_id in numbers for item in items]
    check.items["contacts_not_current"] += [
        CheckItem(case_id, numbers[case_id], "contact", record_id, f"{name} ({role}): details not confirmed current")
        for record_id, case_id, name, role in store.read(
            "SELECT id, case_id, name, role FROM contacts WHERE details_current = 0"
        )
        if case_id in numbers
    ]
    return check


def _no_time_spent(store: Store, day: date, start: str, end: str, numbers: dict[str, str],
                   found: list[CheckItem]) -> None:
    """Today's Events (by start) and Tasks (due or recorded today) with no Hours or Minutes."""
    for record_id, case_id, subject in store.read(
        "SELECT id, case_id, subject FROM events WHERE start >= ? AND start < ? AND hours = 0 AND minutes = 0",
        (start, end),
    ):
        if case_id in numbers:
            found.append(CheckItem(case_id, numbers[case_id], "event", record_id,
                                   f"Event “{subject}” has no Hours or Minutes"))
    for record_id, case_id, subject in store.read(
        "SELECT id, case_id, subject FROM tasks WHERE hours = 0 AND minutes = 0 AND "
        "(due_date = ? OR (recorded_at >= ? AND recorded_at < ?))",
        (day.isoformat(), start, end),
    ):
        if case_id in numbers:
            found.append(CheckItem(case_id, numbers[case_id], "task", record_id,
                                   f"Task “{subject}” has no Hours or Minutes"))


# Activities whose time decides when they are due in AS-CMS: (record type, table, column).
_ACTIVITY_TIMES = (("event", "events", "start"), ("task", "tasks", "recorded_at"), ("comment", "comments", "recorded_at"))
# Their rows, found by id: one JSON array of ids per table (no limit on bound variables),
# events first, then tasks and comments, each in id order.
_ACTIVITY_TIMES_SQL = " UNION ALL ".join(
    f"SELECT {rank}, '{kind}', id, case_id, {column} FROM {table} "
    f"WHERE id IN (SELECT value FROM json_each(?)) AND {column} < ?"
    for rank, (kind, table, column) in enumerate(_ACTIVITY_TIMES)
) + " ORDER BY 1, 3"


def _not_in_ascms(store: Store, day: date, end: str, numbers: dict[str, str],
                  waiting_items: list[CheckItem], late_items: list[CheckItem]) -> None:
    """Changes waiting for AS-CMS, one line per case; and unsynced activities due there by today.

    The journal is read once for both; the activities' times come from one query by id.
    """
    pending = set(store.read("SELECT case_id, record_type, record_id FROM changes WHERE status != 'done'"))
    # One line per case ("2 Events, 1 Task"), cases in id order; the Sync screen lists the records.
    kinds: dict[str, list[tuple[int, str, int]]] = {}
    for (case_id, record_type), n in Counter(map(itemgetter(0, 1), pending)).items():
        if case_id in numbers:
            kinds.setdefault(case_id, []).append((_TYPE_ORDER[record_type], record_type, n))
    described: dict[tuple, str] = {}  # many cases wait with the same counts
    for case_id in sorted(kinds):
        key = tuple(sorted(kinds[case_id]))
        message = described.get(key)
        if message is None:
            message = described[key] = ", ".join(
                f"{n} {RECORD_TYPES[kind].label}{'s' if n > 1 else ''}" for _, kind, n in key
            ) + " not yet sent to AS-CMS"
        waiting_items.append(CheckItem(case_id, numbers[case_id], "case", case_id, message))

    # Unsynced activities whose next-working-day deadline for AS-CMS is today or past
    # (only those of open cases are looked up: a journal row names its record's case).
    params: list[str] = []
    for kind, _, _ in _ACTIVITY_TIMES:
        ids = [record_id for case_id, record_type, record_id in pending if record_type == kind and case_id in numbers]
        params += [json.dumps(ids), end]
    messages: dict[str, str | None] = {}  # per stored hour: the NZ day and its deadline repeat
    for _, record_type, record_id, case_id, at in store.read(_ACTIVITY_TIMES_SQL, params):
        if case_id not in numbers:
            continue
        hour = at[:13]
        if hour not in messages:
            happened = nz_date_of_stored(at)
            due = recording_due(happened)
            messages[hour] = None if due > day else (
                f"Activity of {format_nz_date(happened)} {'was due' if due < day else 'is due'} "
                f"in AS-CMS by end of {format_nz_date(due)}"
            )
        if messages[hour]:
            late_items.append(CheckItem(case_id, numbers[case_id], record_type, record_id, messages[hour]))


def _weak_initial_meetings(store: Store, day: date, end: str, numbers: dict[str, str],
                           found: list[CheckItem]) -> None:
    """Initial meetings held recently whose description would not help the next reader."""
    recent_from = utc_text_bound(add_business_days(day, -RECENT_MEETING_DAYS))
    marks = ", ".join("?" * len(INITIAL_MEETING_SUBJECTS))
    for record_id, case_id, subject, at, description in store.read(
        f"SELECT id, case_id, subject, start, description FROM events WHERE subject IN ({marks}) "
        "AND start >= ? AND start < ?",
        (*INITIAL_MEETING_SUBJECTS, recent_from, end),
    ):
        if case_id in numbers:
            advice = initial_meeting_advice(description)
            if advice:
                held = format_nz_date(nz_date_of_stored(at))
                found.append(CheckItem(case_id, numbers[case_id], "event", record_id,
                                       f"{subject} of {held}: {advice[0].message}"))


def _plans(store: Store, numbers: dict[str, str], found: list[CheckItem]) -> set[str]:
    """Plans that reporting will not count; returns the open cases holding one it will.

    Counted is Store.cases_with_counted_plan's rule (In Progress with a step), read
    from the same rows so that the plans are scanned once.
    """
    counted = set()
    for record_id, case_id, status, steps in store.read(
        "SELECT p.id, p.case_id, p.status, EXISTS (SELECT 1 FROM plan_steps s WHERE s.plan_id = p.id) "
        "FROM plans p WHERE p.status != ?",
        (PlanStatus.COMPLETED.value,),
    ):
        if case_id not in numbers:
            continue
        if status == PlanStatus.DRAFT:
            found.append(CheckItem(case_id, numbers[case_id], "plan", record_id,
                                   "Plan is still Draft: set it In Progress once agreed"))
        elif not steps:
            found.append(CheckItem(case_id, numbers[case_id], "plan", record_id,
                                   "Plan has no steps: add at least one action"))
        elif status == PlanStatus.IN_PROGRESS:
            counted.add(case_id)
    return counted


def _migrated_and_deadlines(store: Store, day: date, numbers: dict[str, str], counted: set[str],
                            migrated_items: list[CheckItem], soon_items: list[CheckItem]) -> None:
    """Migrated cases without owner or plan, and initial-meeting deadlines in the next two business days."""
    soon = add_business_days(day, 2)
    # Every initial-meeting deadline falls within the 15th business day after referral,
    # so older referrals cannot have one in the next two business days.
    recent_referrals = add_business_days(day, -max(WHANAU_MEETING_DAYS)).isoformat()
    # The next deadline depends on whether each meeting has taken place by `day`, not on its
    # date: memoised, a few dozen calls serve every recent referral.
    day_iso = day.isoformat()
    messages: dict[tuple, str | None] = {}
    for case_id, status, owner, referral, migrated, school, whanau, has_current_contact in store.read(
        "SELECT case_id, status, case_owner, referral_date, migrated, first_school_meeting, first_whanau_meeting, "
        "has_current_contact FROM case_list WHERE status != ? AND (migrated != 0 OR referral_date >= ?) "
        "ORDER BY case_id",
        (CaseStatus.CLOSED.value, recent_referrals),
    ):
        if migrated and not owner:
            migrated_items.append(CheckItem(case_id, numbers[case_id], "case", case_id,
                                            "Migrated case has no Case Owner"))
        if migrated and case_id not in counted:
            migrated_items.append(CheckItem(case_id, numbers[case_id], "case", case_id,
                                            "Migrated case has no Student Plan In Progress with a step"))
        if referral < recent_referrals:
            continue
        key = (referral, status, meeting_pending(school, day_iso), meeting_pending(whanau, day_iso),
               bool(has_current_contact))
        if key not in messages:
            messages[key] = _deadline_soon(day, soon, *key)
        if messages[key]:
            soon_items.append(CheckItem(case_id, numbers[case_id], "case", case_id, messages[key]))


def _deadline_soon(day: date, soon: date, referral: str, status: str, school_pending: bool, whanau_pending: bool,
                   has_current_contact: bool) -> str | None:
    """'School mtg due Wed 8 Jul (2 business days)' when the next deadline falls by `soon`."""
    deadline = next_deadline(
        referral_date=date.fromisoformat(referral), status=status, today=day,
        # Only whether a meeting has taken place matters, so the day itself stands in for one that has.
        school_meeting=None if school_pending else day,
        whanau_meeting=None if whanau_pending else day,
        has_current_contact=has_current_contact,
    )
    if not deadline or deadline.passed or deadline.due > soon:
        return None
    left = business_days_between(day, deadline.due)
    return f"{deadline.describe()} ({'today' if left == 0 else f'{left} business day' + ('s' if left > 1 else '')})"


def _notes_overdue(store: Store, day: date, numbers: dict[str, str], found: list[CheckItem]) -> None:
    """Detailed notes: an Event's description, or a Case Comment, within five business days.

    Looked at for activities whose notes fell due in the last RECENT_NOTES_DAYS business days.
    """
    oldest = utc_text_bound(add_business_days(day, -(NOTES_WITHIN_BUSINESS_DAYS + RECENT_NOTES_DAYS)))
    newest = utc_text_bound(add_business_days(day, -NOTES_WITHIN_BUSINESS_DAYS))
    by_case: dict[str, list[tuple[str, date, date | None]]] = {}
    subjects = {}
    # Only events whose notes could be late: no description yet, first written more than four
    # days after (five business days are never fewer than five calendar days), or edited since.
    # An Event created ahead of the meeting gets its description by a later edit: the first
    # edit that filled an empty description dates it.
    for record_id, case_id, subject, at, has_description, recorded_at, described_at in store.read(
        "SELECT e.id, e.case_id, e.subject, e.start, e.description != '', e.recorded_at, "
        "(SELECT MIN(g.created_at) FROM changes g WHERE g.record_id = e.id AND g.record_type = 'event' "
        " AND g.operation = 'update' AND json_extract(g.changed_fields, '$.description.old') = '') "
        "FROM events e WHERE e.start >= ? AND e.start < ? AND (e.description = '' "
        "OR e.recorded_at > strftime('%Y-%m-%dT%H:%M:%SZ', e.start, '+4 days') "
        "OR EXISTS (SELECT 1 FROM changes g WHERE g.record_id = e.id AND g.record_type = 'event' "
        " AND g.operation = 'update'))",
        (oldest, newest),
    ):
        if case_id in numbers:
            described = nz_date_of_stored(described_at or recorded_at) if has_description else None
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
            found.append(CheckItem(
                case_id, numbers[case_id], "event", gap.record_id,
                f"{subjects[gap.record_id]} of {format_nz_date(gap.activity_day)}: notes were due by "
                f"{format_nz_date(gap.notes_due)}",
            ))


def format_check(check: DailyCheck) -> str:
    lines = [f"Daily check for {format_nz_date(check.day)}: "
             + ("nothing outstanding." if not check.outstanding else f"{check.outstanding} item(s) to look at.")]
    lines.append(f"Time recorded for the day: {format_duration(check.time_today_minutes)}")
    for key, found in check.items.items():
        if found:
            lines += ["", f"{ITEM_TITLES[key]} ({len(found)})"]
            lines += [f"  {item.case_number}  {item.message}" for item in found]
    return "\n".join(lines)

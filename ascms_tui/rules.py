"""Reporting rules: what AS-CMS reporting will count, and what is due next.

Sources: the practice guide "Recording for reporting" (Appendix A) and
../shared/DOMAIN.md. Business days come from ascms_tui.calendar; the referral
date is day 0 and "within N business days" means on or before the N-th.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from .deadlines import (
    SCHOOL_MEETING_DAYS,
    WHANAU_MEETING_DAYS,
    due_date,
)

if TYPE_CHECKING:
    from .store import Store

# --- quarterly reporting measures ----------------------------------------------------


class Outcome(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"  # not met, deadline not yet passed
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class Measure:
    key: str
    label: str
    target: int | None  # percent; None where the guide sets no figure
    short: str


MEASURES = (
    Measure("school_meeting_5", "Initial School Meeting within 5 business days", 80, "School mtg 5d"),
    Measure("school_meeting_10", "Initial School Meeting within 10 business days", 90, "School mtg 10d"),
    Measure("whanau_meeting_10", "Initial Student / Whānau Meeting within 10 business days", 80, "Whānau mtg 10d"),
    Measure("whanau_meeting_15", "Initial Student / Whānau Meeting within 15 business days", 90, "Whānau mtg 15d"),
    # Counted for every case, but Appendix A sets no percentage for all referrals.
    Measure("student_plan", "Student Plan In Progress with at least one step", None, "Plan"),
    # "All migrated cases ... allocated to a case manager": an all-cases target.
    Measure("migrated_owner", "Migrated case has a Case Owner", 100, "Migrated: owner"),
    Measure("migrated_plan", "Migrated case has a Student Plan", 90, "Migrated: plan"),
)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the measures read about one case."""

    case_id: str
    case_number: str
    referral_date: date
    migrated: bool
    case_owner: str | None
    school_meeting: date | None  # NZ date of the earliest exact Initial School Meeting
    whanau_meeting: date | None
    has_current_contact: bool
    has_counted_plan: bool


def meeting_outcome(meeting: date | None, referral_date: date, days: int, as_of: date) -> Outcome:
    """Met when the meeting was held on or before the N-th business day after referral.

    A meeting dated after `as_of` has not happened yet as of that date.
    """
    due = due_date(referral_date, days)
    if meeting is not None and meeting <= as_of:
        return Outcome.MET if meeting <= due else Outcome.MISSED
    return Outcome.MISSED if as_of > due else Outcome.PENDING


def evaluate_case(facts: CaseFacts, as_of: date) -> dict[str, object]:
    """One case's row of the report: meeting dates, due dates and each measure's outcome."""
    referral = facts.referral_date
    school = facts.school_meeting if facts.school_meeting and facts.school_meeting <= as_of else None
    whanau = facts.whanau_meeting if facts.whanau_meeting and facts.whanau_meeting <= as_of else None
    row: dict[str, object] = {"case_number": facts.case_number, "referral_date": referral.isoformat()}
    row["school_meeting_date"] = school.isoformat() if school else None
    for days in SCHOOL_MEETING_DAYS:
        row[f"school_meeting_due_{days}"] = _due_text(referral, days)
        row[f"school_meeting_{days}"] = meeting_outcome(school, referral, days, as_of)
    row["whanau_meeting_date"] = whanau.isoformat() if whanau else None
    for days in WHANAU_MEETING_DAYS:
        row[f"whanau_meeting_due_{days}"] = _due_text(referral, days)
        row[f"whanau_meeting_{days}"] = (
            meeting_outcome(whanau, referral, days, as_of) if facts.has_current_contact else Outcome.NOT_APPLICABLE
        )
    plan = Outcome.MET if facts.has_counted_plan else Outcome.MISSED
    row["student_plan"] = plan
    if facts.migrated:
        row["migrated_owner"] = Outcome.MET if facts.case_owner else Outcome.MISSED
        row["migrated_plan"] = plan
    else:
        row["migrated_owner"] = row["migrated_plan"] = Outcome.NOT_APPLICABLE
    return row


@lru_cache(maxsize=65_536)
def _due_text(referral_date: date, days: int) -> str:
    return due_date(referral_date, days).isoformat()


def build_report(facts: list[CaseFacts], as_of: date, referred_from: date | None = None,
                 uncounted: dict[str, list] | None = None) -> dict[str, object]:
    """The caseload report: per-measure counts and percentages, and every case's row.

    Cases referred after `as_of` (or before `referred_from`) are left out. With `uncounted`
    (ascms_tui.uncounted.uncounted_by_case), each row lists the case's records that look meant
    to count but will not, and why (`"uncounted"`, empty when nothing is at risk).
    """
    rows = []
    for f in sorted(facts, key=lambda f: (f.referral_date, f.case_number)):
        if f.referral_date <= as_of and (referred_from is None or f.referral_date >= referred_from):
            row = evaluate_case(f, as_of)
            if uncounted is not None:
                row["uncounted"] = [item.to_json() for item in uncounted.get(f.case_id, [])]
            rows.append(row)
    measures: dict[str, dict[str, object]] = {}
    for measure in MEASURES:
        counts = dict.fromkeys(Outcome, 0)
        for row in rows:
            counts[row[measure.key]] += 1
        counts = {outcome.value: n for outcome, n in counts.items()}
        decided = counts["met"] + counts["missed"]
        percent = round(100 * counts["met"] / decided, 1) if decided else None
        measures[measure.key] = {**counts, "percent": percent, "target": measure.target, "label": measure.label}
    return {
        "as_of": as_of.isoformat(),
        "from": referred_from.isoformat() if referred_from else None,
        "measures": measures,
        "cases": rows,
    }


def caseload_facts(store: Store) -> list[CaseFacts]:
    """Facts for every case, from the store's case list (one scan) and one plan query."""
    counted = store.cases_with_counted_plan()
    return [
        CaseFacts(
            case_id=row.id,
            case_number=row.case_number,
            referral_date=row.referral_day,
            migrated=bool(row.migrated),
            case_owner=row.case_owner,
            school_meeting=row.school_meeting_day,
            whanau_meeting=row.whanau_meeting_day,
            has_current_contact=bool(row.has_current_contact),
            has_counted_plan=row.id in counted,
        )
        for row in store.case_list_rows()
    ]


def format_report(report: dict) -> str:
    """The report as a readable table, then the cases that missed or are still pending."""
    scope = f"as of {report['as_of']}" + (f", cases referred from {report['from']}" if report.get("from") else "")
    lines = [f"Reporting readiness {scope} ({len(report['cases']):,} cases)", ""]
    lines.append(f"{'Measure':<58} {'Met':>5} {'Missed':>6} {'Pending':>7} {'N/A':>5} {'%':>6} {'Target':>6}")
    for measure in report["measures"].values():
        percent = "—" if measure["percent"] is None else f"{measure['percent']:.1f}"
        target = "—" if measure["target"] is None else f"{measure['target']}%"
        flag = ""
        if measure["percent"] is not None and measure["target"] is not None and measure["percent"] < measure["target"]:
            flag = "  below target"
        lines.append(
            f"{measure['label']:<58} {measure['met']:>5} {measure['missed']:>6} {measure['pending']:>7} "
            f"{measure['not_applicable']:>5} {percent:>6} {target:>6}{flag}"
        )
    short = {m.key: m.short for m in MEASURES}
    attention = []
    for case in report["cases"]:
        missed = [short[k] for k in short if case[k] == Outcome.MISSED]
        pending = [short[k] for k in short if case[k] == Outcome.PENDING]
        if missed or pending:
            parts = [f"missed: {', '.join(missed)}"] if missed else []
            parts += [f"pending: {', '.join(pending)}"] if pending else []
            attention.append(f"  {case['case_number']}  referred {case['referral_date']}  " + "; ".join(parts))
    if attention:
        lines += ["", f"Cases needing attention ({len(attention):,}): missed is not counted; pending is still open", *attention]
    return "\n".join(lines)


# --- timeliness (contract Schedule 2, section 2.9) -------------------------------------

NOTES_WITHIN_BUSINESS_DAYS = 5


def recording_due(activity_day: date) -> date:
    """Activity must be entered by the end of the next working day."""
    return due_date(activity_day, 1)


def is_late(activity_day: date, recorded_day: date) -> bool:
    return recorded_day > recording_due(activity_day)


@dataclass(frozen=True, slots=True)
class NotesGap:
    """An activity with no detailed notes within five business days of it."""

    record_id: str
    activity_day: date
    notes_due: date


def notes_gaps(
    activities: list[tuple[str, date, date | None]], comment_days: list[date], today: date
) -> list[NotesGap]:
    """Activities whose detailed notes were not updated within five business days.

    `activities` are (record id, NZ day it happened, NZ day its description was
    last written or None when empty); a Case Comment recorded between the
    activity and the deadline also counts as its notes.
    """
    gaps = []
    for record_id, happened, described in activities:
        due = due_date(happened, NOTES_WITHIN_BUSINESS_DAYS)
        if due >= today:
            continue  # still time
        noted = described is not None and described <= due
        noted = noted or any(happened <= day <= due for day in comment_days)
        if not noted:
            gaps.append(NotesGap(record_id, happened, due))
    return gaps

"""The next initial-meeting deadline of a case: what the case list shows and sorts by.

Kept apart from the reporting measures (ascms_tui.rules, which re-exports
these) because the case list's first screenful needs it before the first
paint. Business days come from ascms_tui.calendar; the referral date is day 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .calendar import add_business_days
from .picklists import CaseStatus

# Due dates repeat across a caseload (a few hundred referral dates for 10,000 cases).
due_date = lru_cache(maxsize=65_536)(add_business_days)

SCHOOL_MEETING_DAYS = (5, 10)
WHANAU_MEETING_DAYS = (10, 15)


@dataclass(frozen=True, slots=True)
class Deadline:
    label: str  # "School mtg" or "Whānau mtg"
    due: date
    business_days: int
    passed: bool

    def describe(self) -> str:
        """E.g. 'School mtg due Thu 9 Apr'."""
        return f"{self.label} due {self.due:%a} {self.due.day} {self.due:%b}"


def next_deadline(
    *,
    referral_date: date,
    status: str,
    school_meeting: date | None,
    whanau_meeting: date | None,
    has_current_contact: bool,
    today: date,
) -> Deadline | None:
    """The earliest initial-meeting deadline not yet met and not yet passed.

    When every open deadline has passed, the last one is returned with
    `passed=True` so the list can show it in red. The whānau meeting only
    counts where current contact details are held. Closed cases have none.
    """
    if status == CaseStatus.CLOSED:
        return None
    candidates = []
    if school_meeting is None:
        candidates += [("School mtg", n) for n in SCHOOL_MEETING_DAYS]
    if whanau_meeting is None and has_current_contact:
        candidates += [("Whānau mtg", n) for n in WHANAU_MEETING_DAYS]
    deadlines = sorted(
        (Deadline(label, due_date(referral_date, n), n, False) for label, n in candidates),
        key=lambda d: (d.due, d.label),
    )
    upcoming = [d for d in deadlines if d.due >= today]
    if upcoming:
        return upcoming[0]
    if deadlines:
        last = deadlines[-1]
        return Deadline(last.label, last.due, last.business_days, True)
    return None

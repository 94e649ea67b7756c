"""The next initial-meeting deadline of a case: what the case list shows and sorts by.

Kept apart from the reporting measures (ascms_tui.rules, which re-exports
these) because the case list's first screenful needs it before the first
paint. Business days come from ascms_tui.calendar; the referral date is day 0.

A case's deadlines fall on DEADLINE_DAYS business days after referral. The
case list keeps those dates per case (computed when the case is written), so
`choose_deadline` needs no calendar and SQLite can sort by it
(`case_list_query.NEXT_DUE_SQL` follows `pending_deadlines` the same way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TypeVar

from .calendar import add_business_days
from .picklists import CaseStatus

Day = TypeVar("Day", date, str)

# Due dates repeat across a caseload (a few hundred referral dates for 10,000 cases).
due_date = lru_cache(maxsize=65_536)(add_business_days)

SCHOOL_MEETING_DAYS = (5, 10)
WHANAU_MEETING_DAYS = (10, 15)
# Every count above, in order: the case list stores a due date for each (columns due_5, ...).
DEADLINE_DAYS = tuple(sorted({*SCHOOL_MEETING_DAYS, *WHANAU_MEETING_DAYS}))
SCHOOL_LABEL = "School mtg"
WHANAU_LABEL = "Whānau mtg"


@dataclass(frozen=True, slots=True)
class Deadline:
    label: str  # "School mtg" or "Whānau mtg"
    due: date
    business_days: int
    passed: bool

    def describe(self) -> str:
        """E.g. 'School mtg due Thu 9 Apr'."""
        return f"{self.label} due {self.due:%a} {self.due.day} {self.due:%b}"


def deadline_dates(referral_date: date) -> dict[int, date]:
    """The due date for each of DEADLINE_DAYS, by business-day count."""
    return {days: due_date(referral_date, days) for days in DEADLINE_DAYS}


@lru_cache(maxsize=4)
def pending_deadlines(school_open: bool, whanau_open: bool) -> tuple[tuple[str, int], ...]:
    """The (label, business days) deadlines still to meet, earliest first.

    More business days means a later date, so ordering by the count orders by
    due date; on the same day the school meeting comes first.
    """
    found = []
    if school_open:
        found += [(SCHOOL_LABEL, days) for days in SCHOOL_MEETING_DAYS]
    if whanau_open:
        found += [(WHANAU_LABEL, days) for days in WHANAU_MEETING_DAYS]
    return tuple(sorted(found, key=lambda pending: (pending[1], pending[0])))


def choose_deadline(dues: Mapping[int, date], *, status: str, school_open: bool, whanau_open: bool,
                    today: date) -> Deadline | None:
    """The earliest pending deadline not yet passed, from the case's due dates (`deadline_dates`).

    When every pending deadline has passed, the last one is returned with
    `passed=True` so the list can show it in red. Closed cases have none.
    """
    if status == CaseStatus.CLOSED:
        return None
    pending = pending_deadlines(school_open, whanau_open)
    for label, days in pending:
        if dues[days] >= today:
            return Deadline(label, dues[days], days, False)
    if pending:
        label, days = pending[-1]
        return Deadline(label, dues[days], days, True)
    return None


def next_deadline(
    *,
    referral_date: date,
    status: str,
    school_meeting: date | None,
    whanau_meeting: date | None,
    has_current_contact: bool,
    today: date,
) -> Deadline | None:
    """The earliest initial-meeting deadline not yet met and not yet passed (see `choose_deadline`).

    A meeting meets its deadlines once its date has come: an Event booked for a
    later day leaves them open until then, as reporting counts it. The whānau
    meeting only counts where current contact details are held.
    """
    return choose_deadline(
        deadline_dates(referral_date),
        status=status,
        school_open=meeting_pending(school_meeting, today),
        whanau_open=meeting_pending(whanau_meeting, today) and has_current_contact,
        today=today,
    )


def meeting_pending(meeting: Day | None, today: Day) -> bool:
    """No initial meeting yet: none recorded, or only one booked for a later day.

    Takes dates, or ISO date strings (which compare the same way), as the case list stores them.
    """
    return meeting is None or meeting > today

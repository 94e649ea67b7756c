"""Reading the case list: its rows, their next deadlines, and the first screenful fast.

Kept apart from the store (and pydantic) because the case list is the first
thing a case manager sees: at start-up the app reads only the screenful it
can show (`first_page`), ordered by next deadline inside SQLite, paints it,
and loads every case afterwards. Each row carries its case's initial-meeting
due dates, so neither path needs the holiday calendar: `first_page` orders by
`NEXT_DUE_SQL` and the full list by `DeadlineLookup`, both following
`deadlines.pending_deadlines`, so the first screenful is exactly the top of
the full list.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from datetime import date
from typing import NamedTuple

from .deadlines import DEADLINE_DAYS, choose_deadline, meeting_pending, pending_deadlines
from .picklists import CaseStatus

CLOSED = CaseStatus.CLOSED.value
# SQL for each scope of the list; `?` is the user's name (mine only).
_SCOPE_WHERE = {
    "mine": "case_owner = ? AND status != 'Closed'",
    "all": "1",
    "closed": "status = 'Closed'",
}
# local_facts key: the holiday table the stored due dates were computed with.
HOLIDAY_TABLE_FACT = "case_list.holiday_table"


class CaseListRow(NamedTuple):
    """What the case list shows for one case, straight from SQLite (a `case_list` row, in column order).

    Dates stay ISO strings (they sort correctly as text) so that 10,000 rows
    load without 30,000 conversions; the list converts only the rows it shows.
    """

    id: str
    case_number: str
    student: str
    student_name: str
    case_type: str
    status: str
    school: str
    case_owner: str | None
    referral_date: str
    migrated: int
    first_school_meeting: str | None  # NZ date of the earliest exact Initial School Meeting
    first_whanau_meeting: str | None
    has_current_contact: int
    unsynced: int
    due_5: str  # NZ dates 5, 10 and 15 business days after referral (deadlines.DEADLINE_DAYS)
    due_10: str
    due_15: str

    @property
    def referral_day(self) -> date:
        return date.fromisoformat(self.referral_date)

    @property
    def school_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_school_meeting) if self.first_school_meeting else None

    @property
    def whanau_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_whanau_meeting) if self.first_whanau_meeting else None

    def school_open(self, today: str) -> bool:
        """The Initial School Meeting is still to hold as of `today` (ISO)."""
        return meeting_pending(self.first_school_meeting, today)

    def whanau_open(self, today: str) -> bool:
        """The whānau meeting is still to hold as of `today` (ISO), with current contact details to arrange it."""
        return meeting_pending(self.first_whanau_meeting, today) and bool(self.has_current_contact)


# CaseListRow (and the case_list table) has one due-date column per count in DEADLINE_DAYS.
DUE_COLUMNS = {days: f"due_{days}" for days in DEADLINE_DAYS}


def _next_due_sql() -> str:
    """SQL for a case_list row's next deadline (ISO date or NULL), chosen as `choose_deadline` does; :today is ISO."""
    # As CaseListRow.school_open and whanau_open, in SQL.
    open_tests = ("(first_school_meeting IS NULL OR first_school_meeting > :today)",
                  "((first_whanau_meeting IS NULL OR first_whanau_meeting > :today) AND has_current_contact)")
    branches = []
    # Both open first: each later branch then means exactly one is open.
    for school_open, whanau_open in ((True, True), (True, False), (False, True)):
        pending = pending_deadlines(school_open, whanau_open)
        condition = " AND ".join(test for test, is_open in zip(open_tests, (school_open, whanau_open)) if is_open)
        columns = [DUE_COLUMNS[days] for _, days in pending]
        # The first not yet passed; when all have passed, the last (shown in red).
        choice = " ".join(f"WHEN {column} >= :today THEN {column}" for column in columns[:-1])
        branches.append(f"WHEN {condition} THEN CASE {choice} ELSE {columns[-1]} END")
    return f"CASE WHEN status = '{CLOSED}' THEN NULL {' '.join(branches)} END"


NEXT_DUE_SQL = _next_due_sql()

# (text such as "School mtg due Thu 9 Apr" or "", passed, due date's ordinal or None)
DeadlineCell = tuple[str, bool, int | None]


class DeadlineLookup:
    """The next reporting deadline of a case-list row, as of `today`, memoised.

    The next deadline depends on the referral date and on whether each
    initial meeting is still to hold (`deadlines.meeting_pending`), so a few
    hundred keys cover 10,000 cases.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self._today_iso = today.isoformat()
        self._cells: dict[tuple, DeadlineCell] = {}

    def of_row(self, row: CaseListRow) -> DeadlineCell:
        key = (row.referral_date, row.status == CLOSED, row.school_open(self._today_iso),
               row.whanau_open(self._today_iso))
        cell = self._cells.get(key)
        if cell is None:
            _, _, school_open, whanau_open = key
            dues = {days: date.fromisoformat(getattr(row, column)) for days, column in DUE_COLUMNS.items()}
            found = choose_deadline(dues, status=row.status, school_open=school_open, whanau_open=whanau_open,
                                    today=self.today)
            cell = self._cells[key] = (found.describe(), found.passed, found.due.toordinal()) if found else ("", False, None)
        return cell


def all_rows(conn: sqlite3.Connection) -> list[CaseListRow]:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row here
    return list(map(CaseListRow._make, cursor.execute("SELECT * FROM case_list")))


class FirstPage(NamedTuple):
    scope: str  # the scope the list opens on: "mine" when the user has open cases, else "all"
    counts: dict[str, int]  # cases in each scope
    rows: list[CaseListRow]  # the first `limit` of the scope, by next deadline then case number


def holiday_table_is_current(conn: sqlite3.Connection) -> bool:
    """True when the stored due dates were worked out with the shipped holiday table (see schema V6)."""
    from .calendar import holiday_table_fingerprint

    row = conn.execute("SELECT value FROM local_facts WHERE key = ?", (HOLIDAY_TABLE_FACT,)).fetchone()
    return row is not None and row[0] == holiday_table_fingerprint()


def case_list_is_current(conn: sqlite3.Connection) -> bool:
    """True when `case_list` has a row per case and its due dates follow the shipped holiday table."""
    listed, cases = conn.execute("SELECT (SELECT COUNT(*) FROM case_list), (SELECT COUNT(*) FROM cases)").fetchone()
    return listed == cases and holiday_table_is_current(conn)


def first_page(conn: sqlite3.Connection, *, today: date, user_name: str | None, limit: int) -> FirstPage:
    """The screenful the case list opens on, sorted by next deadline as the full list is."""
    cursor = conn.cursor()
    cursor.row_factory = None
    mine, total, closed = cursor.execute(
        "SELECT COALESCE(SUM(case_owner = ? AND status != 'Closed'), 0), COUNT(*), "
        "COALESCE(SUM(status = 'Closed'), 0) FROM case_list",
        (user_name,),
    ).fetchone()
    scope = "mine" if user_name and mine else "all"
    columns = ", ".join(CaseListRow._fields).replace("id,", "case_id,", 1)
    rows = cursor.execute(
        f"SELECT {columns} FROM case_list WHERE {_SCOPE_WHERE[scope].replace('?', ':user')} "
        f"ORDER BY {NEXT_DUE_SQL} NULLS LAST, case_number LIMIT :limit",
        {"user": user_name, "today": today.isoformat(), "limit": limit},
    ).fetchall()
    return FirstPage(scope, {"mine": mine, "all": total, "closed": closed}, list(map(CaseListRow._make, rows)))


def read_first_page(path: str | os.PathLike, passphrase: str | None, *, today: date, user_name: str | None,
                    limit: int) -> FirstPage | None:
    """`first_page` from the file at `path`, read-only; None unless the store has nothing to do first.

    A missing, older or newer file, or a case list to rebuild, is left to the
    store, which creates, migrates, rebuilds or refuses it.
    """
    from .db_connect import connect
    from .schema import LATEST_VERSION

    if not os.path.exists(path):
        return None
    with closing(connect(path, passphrase, check_same_thread=False)) as conn:
        if conn.execute("PRAGMA user_version").fetchone()[0] != LATEST_VERSION:
            return None
        conn.execute("PRAGMA query_only = ON")
        # Only the due dates' basis is checked here: the store keeps a row per case in every
        # write, checks the count when it opens, and the full list replaces this page anyway.
        if not holiday_table_is_current(conn):
            return None
        return first_page(conn, today=today, user_name=user_name, limit=limit)

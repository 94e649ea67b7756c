"""Reading the case list: its rows, their next deadlines, and the first screenful fast.

Kept apart from the store (and pydantic) because the case list is the first
thing a case manager sees: at start-up the app reads only the screenful it
can show (`first_page`), ordered by next deadline inside SQLite, paints it,
and loads every case afterwards. `first_page` and the full load share
`DeadlineLookup`, so the first screenful is exactly the top of the full list.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from .picklists import CaseStatus

if TYPE_CHECKING:
    from .deadlines import Deadline

CLOSED = CaseStatus.CLOSED.value
# SQL for each scope of the list; `?` is the user's name (mine only).
_SCOPE_WHERE = {
    "mine": "case_owner = ? AND status != 'Closed'",
    "all": "1",
    "closed": "status = 'Closed'",
}


class CaseListRow(NamedTuple):
    """What the case list shows for one case, straight from SQLite.

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

    @property
    def referral_day(self) -> date:
        return date.fromisoformat(self.referral_date)

    @property
    def school_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_school_meeting) if self.first_school_meeting else None

    @property
    def whanau_meeting_day(self) -> date | None:
        return date.fromisoformat(self.first_whanau_meeting) if self.first_whanau_meeting else None


# (text such as "School mtg due Thu 9 Apr" or "", passed, due date's ordinal or None)
DeadlineCell = tuple[str, bool, int | None]


class DeadlineLookup:
    """The next reporting deadline of a case-list row, as of `today`, memoised.

    The next deadline depends on whether each initial meeting is recorded, not
    on its date, so a few hundred keys cover 10,000 cases.
    """

    def __init__(self, today: date) -> None:
        from .deadlines import next_deadline  # the holiday calendar loads with it

        self.today = today
        self._next_deadline = next_deadline
        self._cells: dict[tuple, DeadlineCell] = {}
        self._deadlines: dict[tuple, Deadline | None] = {}

    def deadline(self, referral_date: str, status: str, school_missing: bool, whanau_missing: bool,
                 has_current_contact: bool) -> Deadline | None:
        key = (referral_date, status, school_missing, whanau_missing, has_current_contact)
        try:
            return self._deadlines[key]
        except KeyError:
            # Only whether a meeting is recorded matters, so any date stands in for a recorded one.
            found = self._deadlines[key] = self._next_deadline(
                referral_date=date.fromisoformat(referral_date),
                status=status,
                school_meeting=None if school_missing else self.today,
                whanau_meeting=None if whanau_missing else self.today,
                has_current_contact=has_current_contact,
                today=self.today,
            )
            return found

    def cell(self, referral_date: str, status: str, school_missing: bool, whanau_missing: bool,
             has_current_contact: bool) -> DeadlineCell:
        key = (referral_date, status, school_missing, whanau_missing, has_current_contact)
        cell = self._cells.get(key)
        if cell is None:
            found = self.deadline(*key)
            cell = self._cells[key] = (found.describe(), found.passed, found.due.toordinal()) if found else ("", False, None)
        return cell

    def of_row(self, row: CaseListRow) -> DeadlineCell:
        return self.cell(row.referral_date, row.status, row.first_school_meeting is None,
                         row.first_whanau_meeting is None, bool(row.has_current_contact))

    def sql_function(self) -> Callable[[str, str, int, int, int], int | None]:
        """The due date's ordinal, for ORDER BY inside SQLite."""
        deadline = self.deadline

        # The cache answers repeat keys in C: SQLite calls this once per row.
        @cache
        def due(referral_date: str, status: str, school_missing: int, whanau_missing: int, has_contact: int):
            found = deadline(referral_date, status, bool(school_missing), bool(whanau_missing), bool(has_contact))
            return found.due.toordinal() if found else None

        return due


def all_rows(conn: sqlite3.Connection) -> list[CaseListRow]:
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a third faster than sqlite3.Row here
    return list(map(CaseListRow._make, cursor.execute("SELECT * FROM case_list")))


class FirstPage(NamedTuple):
    scope: str  # the scope the list opens on: "mine" when the user has open cases, else "all"
    counts: dict[str, int]  # cases in each scope
    rows: list[CaseListRow]  # the first `limit` of the scope, by next deadline then case number


def first_page(conn: sqlite3.Connection, deadlines: DeadlineLookup, *, user_name: str | None,
               limit: int) -> FirstPage:
    """The screenful the case list opens on, sorted by next deadline as the full list is."""
    cursor = conn.cursor()
    cursor.row_factory = None
    mine, total, closed = cursor.execute(
        "SELECT COALESCE(SUM(case_owner = ? AND status != 'Closed'), 0), COUNT(*), "
        "COALESCE(SUM(status = 'Closed'), 0) FROM case_list",
        (user_name,),
    ).fetchone()
    scope = "mine" if user_name and mine else "all"
    conn.create_function("next_due", 5, deadlines.sql_function(), deterministic=True)
    columns = ", ".join(CaseListRow._fields).replace("id,", "case_id,", 1)
    params = (user_name, limit) if scope == "mine" else (limit,)
    rows = cursor.execute(
        f"SELECT {columns} FROM ("
        f"  SELECT *, next_due(referral_date, status, first_school_meeting IS NULL,"
        f"                     first_whanau_meeting IS NULL, has_current_contact) AS due"
        f"  FROM case_list WHERE {_SCOPE_WHERE[scope]}"
        f") ORDER BY due IS NULL, due, case_number LIMIT ?",
        params,
    ).fetchall()
    return FirstPage(scope, {"mine": mine, "all": total, "closed": closed}, list(map(CaseListRow._make, rows)))


def read_first_page(path: str | os.PathLike, passphrase: str | None, deadlines: DeadlineLookup, *,
                    user_name: str | None, limit: int) -> FirstPage | None:
    """`first_page` from the file at `path`, read-only; None unless the file is at this app's schema.

    A missing, older or newer file is left to the store, which creates,
    migrates or refuses it.
    """
    from .db_connect import connect
    from .schema import LATEST_VERSION

    if not os.path.exists(path):
        return None
    with closing(connect(path, passphrase, check_same_thread=False)) as conn:
        if conn.execute("PRAGMA user_version").fetchone()[0] != LATEST_VERSION:
            return None
        conn.execute("PRAGMA query_only = ON")
        return first_page(conn, deadlines, user_name=user_name, limit=limit)

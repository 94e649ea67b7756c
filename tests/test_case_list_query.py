"""The case list's opening screenful, read before the store opens: it must be the top of the full list."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ascms_tui.case_list_query import (
    DUE_COLUMNS,
    HOLIDAY_TABLE_FACT,
    NEXT_DUE_SQL,
    CaseListRow,
    DeadlineLookup,
    first_page,
    read_first_page,
)
from ascms_tui.deadlines import choose_deadline, deadline_dates, next_deadline
from ascms_tui.demo import DEMO_USER
from ascms_tui.domain import Event
from ascms_tui.picklists import INITIAL_SCHOOL_MEETING, CaseStatus
from ascms_tui.store import Store
from screens.case_list import SCOPE_TESTS, CaseListScreen, build_entries
from widgets.case_table import CaseTable, sort_entries
from widgets.scope_bar import ScopeBar

from .conftest import DEMO_TODAY, make_app, make_case

ROOT = Path(__file__).resolve().parents[1]


def full_list_top(db, *, today: date, user_name: str | None, scope: str, limit: int) -> list[str]:
    with Store(db) as store:
        entries = build_entries(store.case_list_rows(), today=today, user_name=user_name)
    ordered = sort_entries(entries, "deadline")
    return [entry.case_number for entry in ordered if SCOPE_TESTS[scope](entry)][:limit]


@pytest.mark.parametrize("offset_days", [-200, -30, 0, 3, 40])
@pytest.mark.parametrize("user_name", [DEMO_USER, None, "Someone With No Cases"])
def test_first_page_is_the_top_of_the_full_list_in_order(demo_db, offset_days, user_name):
    today = DEMO_TODAY + timedelta(days=offset_days)
    page = read_first_page(demo_db, None, today=today, user_name=user_name, limit=25)
    assert page is not None
    assert page.scope == ("mine" if user_name == DEMO_USER else "all")
    expected = full_list_top(demo_db, today=today, user_name=user_name, scope=page.scope, limit=25)
    assert [row.case_number for row in page.rows] == expected
    assert len(expected) == min(25, page.counts[page.scope])


def test_counts_per_scope_match_the_full_list(demo_db):
    page = read_first_page(demo_db, None, today=DEMO_TODAY, user_name=DEMO_USER, limit=5)
    with Store(demo_db) as store:
        entries = build_entries(store.case_list_rows(), today=DEMO_TODAY, user_name=DEMO_USER)
    assert page.counts == {scope: sum(map(test, entries)) for scope, test in SCOPE_TESTS.items()}
    assert page.counts["all"] == 40


def test_an_empty_store_gives_an_empty_page(tmp_path):
    db = tmp_path / "empty.sqlite3"
    Store(db).close()
    page = read_first_page(db, None, today=DEMO_TODAY, user_name=DEMO_USER, limit=10)
    assert page.rows == [] and page.counts == {"mine": 0, "all": 0, "closed": 0} and page.scope == "all"


def test_a_missing_or_older_file_is_left_to_the_store(tmp_path, demo_db):
    assert read_first_page(tmp_path / "none.sqlite3", None, today=DEMO_TODAY, user_name=None, limit=10) is None
    with closing(sqlite3.connect(demo_db)) as conn:
        conn.execute("PRAGMA user_version = 3")
    assert read_first_page(demo_db, None, today=DEMO_TODAY, user_name=None, limit=10) is None
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates a file


def test_the_first_page_is_read_only(demo_db):
    with closing(sqlite3.connect(demo_db)) as conn:
        before = conn.execute("SELECT COUNT(*), SUM(unsynced) FROM case_list").fetchone()
        first_page(conn, today=DEMO_TODAY, user_name=DEMO_USER, limit=10)
        assert conn.execute("SELECT COUNT(*), SUM(unsynced) FROM case_list").fetchone() == before


async def test_the_app_opens_on_the_first_page_then_the_full_list_keeps_the_cursor(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("CaseTable")
        expected = full_list_top(demo_db, today=DEMO_TODAY, user_name=DEMO_USER, scope="mine", limit=18)
        assert [entry.case_number for entry in table.shown] == expected
        assert table.shown_painted.is_set()
        assert app._store is not None  # the full load opened the store


async def test_the_case_list_is_the_base_screen_and_an_empty_caseload_opens_on_its_first_page(tmp_path):
    db = tmp_path / "empty.sqlite3"
    Store(db).close()
    app = make_app(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [type(screen) for screen in app.screen_stack] == [CaseListScreen]
        table = app.screen.query_one(CaseTable)
        assert table.shown_painted.is_set() and table.shown == []
        assert app.screen.query_one(ScopeBar).count_text == "0 of 0 cases"
        assert app.screen.query_one("#filter").outer_size.height == 1  # the case list's stylesheet applies


def test_the_first_screenful_loads_neither_the_store_nor_pydantic_nor_the_holidays_package(demo_db):
    # What the app does before its first paint; these load afterwards, in the full load's worker.
    code = (
        "import datetime, sys\n"
        "import ascms_tui.cli, ascms_tui.security_cli, ascms_tui.app\n"
        "from ascms_tui.case_list_query import read_first_page\n"
        "from screens.case_list import build_entries\n"
        "today = datetime.date(2026, 6, 30)\n"
        f"page = read_first_page({str(demo_db)!r}, None, today=today, user_name=None, limit=40)\n"
        "assert page is not None and page.rows\n"
        "build_entries(page.rows, today=today, user_name=None)\n"
        "print(sorted(set(sys.modules) & {'pydantic', 'ascms_tui.store', 'ascms_tui.rules', 'holidays'}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- the stored initial-meeting due dates --------------------------------------------


def test_case_list_columns_are_case_list_row_fields_in_order(tmp_path):
    Store(tmp_path / "s.sqlite3").close()
    with closing(sqlite3.connect(tmp_path / "s.sqlite3")) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(case_list)")]
    assert columns == ["case_id", *CaseListRow._fields[1:]]
    assert set(DUE_COLUMNS.values()) <= set(columns)


def test_each_row_keeps_its_initial_meeting_due_dates(demo_db):
    with Store(demo_db) as store:
        rows = store.case_list_rows()
    for row in rows:
        dues = deadline_dates(row.referral_day)
        assert {days: getattr(row, column) for days, column in DUE_COLUMNS.items()} == {
            days: due.isoformat() for days, due in dues.items()
        }


def test_a_changed_holiday_table_rebuilds_the_due_dates(demo_db):
    # As if the dates had been worked out with an older holiday table.
    with closing(sqlite3.connect(demo_db)) as conn, conn:
        conn.execute("UPDATE case_list SET due_5 = '2000-01-03', due_10 = '2000-01-04'")
        conn.execute("UPDATE local_facts SET value = 'an older table' WHERE key = ?", (HOLIDAY_TABLE_FACT,))
    assert read_first_page(demo_db, None, today=DEMO_TODAY, user_name=DEMO_USER, limit=5) is None  # the store's job
    with Store(demo_db) as store:
        rows = store.case_list_rows()
    assert all(row.due_5 == deadline_dates(row.referral_day)[5].isoformat() for row in rows)
    assert read_first_page(demo_db, None, today=DEMO_TODAY, user_name=DEMO_USER, limit=5) is not None


@settings(max_examples=300, deadline=None)
@given(
    referral=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    days_later=st.integers(min_value=-3, max_value=40),
    status=st.sampled_from([status.value for status in CaseStatus]),
    # Days after referral of the earliest meeting of each kind (None: none recorded); some are booked ahead.
    school_after=st.none() | st.integers(min_value=0, max_value=40),
    whanau_after=st.none() | st.integers(min_value=0, max_value=40),
    has_contact=st.booleans(),
)
def test_next_due_sql_chooses_the_deadline_choose_deadline_does(referral, days_later, status, school_after,
                                                                  whanau_after, has_contact):
    dues = deadline_dates(referral)
    today = referral + timedelta(days=days_later)
    school = None if school_after is None else referral + timedelta(days=school_after)
    whanau = None if whanau_after is None else referral + timedelta(days=whanau_after)
    row = {
        "status": status,
        "first_school_meeting": school and school.isoformat(),
        "first_whanau_meeting": whanau and whanau.isoformat(),
        "has_current_contact": int(has_contact),
        **{column: dues[days].isoformat() for days, column in DUE_COLUMNS.items()},
    }
    with closing(sqlite3.connect(":memory:")) as conn:
        names = ", ".join(f":{name} AS {name}" for name in row)
        [sql_due] = conn.execute(f"SELECT {NEXT_DUE_SQL} FROM (SELECT {names})", {**row, "today": today.isoformat()}
                                 ).fetchone()
    chosen = choose_deadline(dues, status=status, school_open=school is None or school > today,
                             whanau_open=(whanau is None or whanau > today) and has_contact, today=today)
    assert sql_due == (chosen.due.isoformat() if chosen else None)
    assert chosen == next_deadline(referral_date=referral, status=status, today=today, school_meeting=school,
                                   whanau_meeting=whanau, has_current_contact=has_contact)


def test_a_meeting_booked_ahead_leaves_its_deadline_on_the_list_until_its_day(tmp_path):
    db = tmp_path / "s.sqlite3"
    with Store(db) as store:
        case = store.create(make_case(referral_date=date(2026, 6, 1)))  # a Monday
        store.create(Event(case_id=case.id, subject=INITIAL_SCHOOL_MEETING,
                           start="2026-06-05T10:00:00+12:00", end="2026-06-05T11:00:00+12:00"))
        [row] = store.case_list_rows()
    before, booked_day = date(2026, 6, 3), date(2026, 6, 5)
    assert DeadlineLookup(before).of_row(row)[0] == "School mtg due Mon 8 Jun"
    assert DeadlineLookup(booked_day).of_row(row)[0] == ""  # met on its day (no whānau contact details held)
    for today, due in ((before, "2026-06-08"), (booked_day, None)):
        with closing(sqlite3.connect(db)) as conn:
            [sql_due] = conn.execute(f"SELECT {NEXT_DUE_SQL} FROM case_list", {"today": today.isoformat()}).fetchone()
        assert sql_due == due

"""The case list's opening screenful, read before the store opens: it must be the top of the full list."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, timedelta

import pytest

from ascms_tui.case_list_query import DeadlineLookup, first_page, read_first_page
from ascms_tui.demo import DEMO_USER
from ascms_tui.store import Store
from screens.case_list import SCOPE_TESTS, build_entries
from widgets.case_table import sort_entries

from .conftest import DEMO_TODAY, make_app


def full_list_top(db, *, today: date, user_name: str | None, scope: str, limit: int) -> list[str]:
    with Store(db) as store:
        entries = build_entries(store.case_list_rows(), today=today, user_name=user_name)
    ordered = sort_entries(entries, "deadline")
    return [entry.case_number for entry in ordered if SCOPE_TESTS[scope](entry)][:limit]


@pytest.mark.parametrize("offset_days", [-200, -30, 0, 3, 40])
@pytest.mark.parametrize("user_name", [DEMO_USER, None, "Someone With No Cases"])
def test_first_page_is_the_top_of_the_full_list_in_order(demo_db, offset_days, user_name):
    today = DEMO_TODAY + timedelta(days=offset_days)
    page = read_first_page(demo_db, None, DeadlineLookup(today), user_name=user_name, limit=25)
    assert page is not None
    assert page.scope == ("mine" if user_name == DEMO_USER else "all")
    expected = full_list_top(demo_db, today=today, user_name=user_name, scope=page.scope, limit=25)
    assert [row.case_number for row in page.rows] == expected
    assert len(expected) == min(25, page.counts[page.scope])


def test_counts_per_scope_match_the_full_list(demo_db):
    page = read_first_page(demo_db, None, DeadlineLookup(DEMO_TODAY), user_name=DEMO_USER, limit=5)
    with Store(demo_db) as store:
        entries = build_entries(store.case_list_rows(), today=DEMO_TODAY, user_name=DEMO_USER)
    assert page.counts == {scope: sum(map(test, entries)) for scope, test in SCOPE_TESTS.items()}
    assert page.counts["all"] == 40


def test_an_empty_store_gives_an_empty_page(tmp_path):
    db = tmp_path / "empty.sqlite3"
    Store(db).close()
    page = read_first_page(db, None, DeadlineLookup(DEMO_TODAY), user_name=DEMO_USER, limit=10)
    assert page.rows == [] and page.counts == {"mine": 0, "all": 0, "closed": 0} and page.scope == "all"


def test_a_missing_or_older_file_is_left_to_the_store(tmp_path, demo_db):
    lookup = DeadlineLookup(DEMO_TODAY)
    assert read_first_page(tmp_path / "none.sqlite3", None, lookup, user_name=None, limit=10) is None
    with closing(sqlite3.connect(demo_db)) as conn:
        conn.execute("PRAGMA user_version = 3")
    assert read_first_page(demo_db, None, lookup, user_name=None, limit=10) is None
    assert not (tmp_path / "none.sqlite3").exists()  # reading never creates a file


def test_the_first_page_is_read_only(demo_db):
    with closing(sqlite3.connect(demo_db)) as conn:
        before = conn.execute("SELECT COUNT(*), SUM(unsynced) FROM case_list").fetchone()
        first_page(conn, DeadlineLookup(DEMO_TODAY), user_name=DEMO_USER, limit=10)
        assert conn.execute("SELECT COUNT(*), SUM(unsynced) FROM case_list").fetchone() == before


async def test_the_app_opens_on_the_first_page_then_the_full_list_keeps_the_cursor(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("CaseTable")
        expected = full_list_top(demo_db, today=DEMO_TODAY, user_name=DEMO_USER, scope="mine", limit=18)
        assert [entry.case_number for entry in table.shown] == expected
        assert table.rows_painted.is_set()
        assert app._store is not None  # the full load opened the store

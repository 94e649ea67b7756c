"""SQL built from what a user types is parameterised: injection finds nothing and changes nothing."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascms_tui.cli import main
from ascms_tui.domain import Case
from ascms_tui.text import clean_text
from widgets.literal import literal

from .conftest import make_app
from .test_case_list import count_label, type_filter

INJECTIONS = [
    "' OR '1'='1", "00307473' OR '1'='1", "\" OR \"\"=\"", "1; DROP TABLE cases; --", "%", "_", "*",
    "') UNION SELECT id, student_name FROM cases --", "00000000'; DELETE FROM changes; --",
]


def _table_counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


async def test_case_list_filter_treats_injection_as_text(demo_db):
    before = _table_counts(demo_db)
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_filter(pilot, INJECTIONS[0])  # typed once, key by key, as a person would
        assert count_label(app) == "0 of 40 cases matching the filter"
        for attempt in INJECTIONS:  # the rest set whole, as a paste would: the same filter runs
            app.screen.query_one("#filter").value = attempt
            await pilot.pause()
            assert count_label(app) == "0 of 40 cases matching the filter", attempt
        app.screen.query_one("#filter").value = ""
        await type_filter(pilot, "school")  # the filter itself still works
        assert count_label(app) != "0 of 40 cases matching the filter"
    assert _table_counts(demo_db) == before


@pytest.mark.parametrize("attempt", INJECTIONS)
def test_cli_case_numbers_are_looked_up_not_run(demo_db, attempt, capsys, tmp_path):
    before = _table_counts(demo_db)
    assert main(["--db", str(demo_db), "export", "--case", attempt]) == 1
    assert "No case" in capsys.readouterr().err
    assert main(["--db", str(demo_db), "export", "--case", attempt, "--format", "html",
                 "-o", str(tmp_path / "x.html")]) == 1
    assert "No case" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
    assert _table_counts(demo_db) == before


def test_store_lookups_and_reads_refuse_to_be_steered(store):
    from .conftest import make_case

    store.create(make_case())
    for attempt in INJECTIONS:
        assert store.find_case(attempt) is None
        assert store.existing_case_numbers([attempt]) == set()
    with pytest.raises(ValueError, match="SELECT queries only"):
        store.read("DELETE FROM cases")
    with pytest.raises(sqlite3.ProgrammingError):
        store.read("SELECT 1; DROP TABLE cases")
    assert store.count(Case) == 1


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), st.sampled_from(["[/foo]", "[bold]x[/bold]", "[link=x]y", "\x1b[31mred"])))
def test_shown_text_is_never_markup(text):
    assert literal(text).plain == clean_text(text)
    assert literal(text).spans == []

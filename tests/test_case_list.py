"""The case list (first screen), driven through the real app on the 40-case demo caseload."""

from __future__ import annotations

import importlib.util
from datetime import UTC, date, datetime

from textual.color import Color
from textual.screen import Screen

from ascms_tui.calendar import business_days_between
from ascms_tui.deadlines import next_deadline
from ascms_tui.domain import INITIAL_SCHOOL_MEETING, CaseStatus, Event
from ascms_tui.store import Store
from screens.case_list import CaseListScreen, build_entries, fold
from widgets.case_table import STATUS_ORDER, CaseTable, layout_columns
from widgets.scope_bar import ScopeBar

from .conftest import DEMO_TODAY, make_app, make_case

ME = "Kiri Tomlinson"
SIZE = (100, 30)
HOSTILE_NAME = "closing [/foo] tag [bold]x[/bold]"


def demo_rows(db):
    with Store(db) as store:
        return store.case_list_rows()


def expected_deadline(row):
    return next_deadline(
        referral_date=row.referral_day,
        status=row.status,
        school_meeting=row.school_meeting_day,
        whanau_meeting=row.whanau_meeting_day,
        has_current_contact=bool(row.has_current_contact),
        today=DEMO_TODAY,
    )


async def loaded(pilot) -> CaseTable:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(pilot.app.screen, CaseListScreen)
    return pilot.app.screen.query_one(CaseTable)


def shown_numbers(table: CaseTable) -> list[str]:
    return [entry.case_number for entry in table.shown]


def count_label(app) -> str:
    return app.screen.query_one(ScopeBar).count_text


async def type_filter(pilot, text: str) -> None:
    await pilot.click("#filter")
    if text.isascii():
        await pilot.press(*text)
    else:  # a paste of "Mīria" arrives like this
        pilot.app.screen.query_one("#filter").insert_text_at_cursor(text)
    await pilot.pause()


# -- scopes and counts ------------------------------------------------------------------


async def test_all_lists_the_40_demo_cases_and_the_default_is_my_open(demo_db):
    rows = demo_rows(demo_db)
    mine = {r.case_number for r in rows if r.case_owner == ME and r.status != CaseStatus.CLOSED}
    closed = {r.case_number for r in rows if r.status == CaseStatus.CLOSED}
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        screen = app.screen
        assert screen.scope == "mine"
        assert set(shown_numbers(table)) == mine
        assert screen.counts == {"mine": len(mine), "all": 40, "closed": len(closed)}
        bar = screen.query_one(ScopeBar)
        assert bar.tab_text("mine") == f"My open ({len(mine)})"
        assert f" My open ({len(mine)})  All (40)  Closed ({len(closed)}) " in str(bar.render())
        assert count_label(app) == f"{len(mine)} of 40 cases"
        assert screen.sub_title == "40 cases"
        assert app.focused is screen.query_one("#filter")  # just start typing

        await pilot.press("f3")
        assert len(table.shown) == 40
        assert count_label(app) == "40 of 40 cases"
        await pilot.press("f4")
        assert set(shown_numbers(table)) == closed
        assert "deadline" not in [column.key for column, _ in table.columns]  # closed cases have none
        await pilot.click(ScopeBar, offset=(bar.tab_offset("mine") + 1, 0))
        assert set(shown_numbers(table)) == mine


async def test_without_a_user_name_the_list_opens_on_all(demo_db):
    from ascms_tui.settings import Settings

    app = make_app(demo_db, settings=Settings(user_name=None))
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        assert app.screen.scope == "all"
        assert len(table.shown) == 40
        assert app.screen.counts["mine"] == 0


# -- filtering ------------------------------------------------------------------------


async def test_typing_filters_by_student_with_or_without_macrons(demo_db):
    rows = demo_rows(demo_db)
    miria = {r.case_number for r in rows if "Mīria" in r.student}
    assert len(miria) >= 2
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        await type_filter(pilot, "miria")
        assert set(shown_numbers(table)) == miria
        assert count_label(app) == f"{len(miria)} of 40 cases matching the filter"
        await pilot.press("escape")
        assert len(table.shown) == 40
        await type_filter(pilot, "Mīria")
        assert set(shown_numbers(table)) == miria
        await pilot.press("escape")
        # The legal name finds a student listed by their known-as name.
        await type_filter(pilot, "kahurangi")
        assert [(e.student, e.student_name) for e in table.shown] == [("Kahu", "Kahurangi Tautahi")]


async def test_typing_filters_by_school_status_number_and_several_words(demo_db):
    rows = demo_rows(demo_db)
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        await type_filter(pilot, "whetu hill")
        assert set(shown_numbers(table)) == {r.case_number for r in rows if r.school == "Whetū Hill Area School"}
        await pilot.press("escape")
        await type_filter(pilot, "provider queue")
        queued = {r.case_number for r in rows if r.status == "Provider Queue"}
        assert queued and set(shown_numbers(table)) == queued
        await pilot.press("escape")
        await type_filter(pilot, "00304348")
        assert shown_numbers(table) == ["00304348"]
        await pilot.press("escape")
        await type_filter(pilot, "aroha pohutukawa")
        assert shown_numbers(table) == ["00304300"]
        # The scope counts follow the filter, so a match in another scope is not missed.
        await pilot.press("escape")
        await type_filter(pilot, "kahu")
        await pilot.press("f2")
        assert app.screen.counts["closed"] >= 1


async def test_no_match_says_so(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await type_filter(pilot, "zzqx")
        assert table.shown == []
        assert table.render_line(1).text.strip() == "No open cases of yours match “zzqx”"
        assert count_label(app) == "0 of 40 cases matching the filter"
        await pilot.press("enter")  # nothing to open: nothing happens
        assert isinstance(app.screen, CaseListScreen)


async def test_filter_keys_down_enter_and_escape(demo_db):
    opened = []
    app = make_app(demo_db)
    app.open_case = opened.append  # the case screen is another engineer's; here we only see the request
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        await type_filter(pilot, "mele")
        await pilot.press("enter")  # from the filter: open the top match
        assert opened == [table.shown[0].id]
        await pilot.press("down")
        assert app.focused is table
        await pilot.press("escape")
        assert app.focused is app.screen.query_one("#filter")
        assert app.screen.query_one("#filter").value == ""
        assert len(table.shown) == 40
        await pilot.press("down", "end")
        assert table.cursor_row == 39
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#filter")


# -- columns: business days and the next deadline -------------------------------------------


async def test_deadline_and_business_days_for_known_cases(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        by_number = {entry.case_number: entry for entry in table.all_entries}
        # Referred Fri 10 April 2026; no Initial School Meeting recorded. The 10th business day
        # is Fri 24 April (Anzac Day, Sat 25, is observed on Mon 27, after it): passed by 30 June.
        missing = by_number["00304348"]
        assert (missing.deadline_text, missing.deadline_passed) == ("School mtg due Fri 24 Apr", True)
        # 57 weekdays from Mon 13 April to Tue 30 June, less Anzac Day (observed Mon 27 April)
        # and King's Birthday (Mon 1 June).
        assert missing.days == 55 == business_days_between(date(2026, 4, 10), DEMO_TODAY)
        # Referred Mon 29 June: the school meeting is due 5 business days on, Mon 6 July.
        upcoming = by_number["00304723"]
        assert (upcoming.deadline_text, upcoming.deadline_passed) == ("School mtg due Mon 6 Jul", False)
        assert upcoming.days == 1
        assert by_number["00304325"].deadline_text == ""  # closed

        table.select_case(missing.id)
        text = table.render_line(table.cursor_row - round(table.scroll_y) + 1).text
        assert "School mtg due Fri 24 Apr" in text
        assert f" {missing.days} " in text


async def test_a_passed_deadline_is_red_and_an_upcoming_one_is_not(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        error = Color.parse(app.theme_variables["error"]).rich_color

        async def deadline_segment(case_number: str):
            await type_filter(pilot, case_number)
            strip = table.render_line(1)
            await pilot.press("escape")
            return next(segment for segment in strip if " due " in segment.text)

        assert (await deadline_segment("00304348")).style.color == error
        assert (await deadline_segment("00304723")).style.color != error


def test_memoised_deadlines_equal_direct_rule_calls(demo_db):
    """build_entries memoises next_deadline by whether meetings are recorded; check it loses nothing."""
    rows = demo_rows(demo_db)
    entries = {e.id: e for e in build_entries(rows, today=DEMO_TODAY, user_name=ME)}
    for row in rows:
        deadline = expected_deadline(row)
        entry = entries[row.id]
        assert entry.deadline_text == (deadline.describe() if deadline else ""), row.case_number
        assert entry.deadline_passed == (deadline.passed if deadline else False)
        assert entry.days == business_days_between(row.referral_day, DEMO_TODAY)


def test_fold_drops_macrons_and_case():
    assert fold("Tūī Grove") == "tui grove"
    assert fold("WHĀNAU") == "whanau"
    assert fold("a\u0304") == "a"  # a combining macron as typed on some keyboards


# -- sorting --------------------------------------------------------------------------------

SORT_VALUES = {
    "case": lambda r, e: r.case_number,
    "student": lambda r, e: fold(r.student),
    "type": lambda r, e: r.case_type,
    "status": lambda r, e: STATUS_ORDER[r.status],
    "school": lambda r, e: fold(r.school),
    "owner": lambda r, e: fold(r.case_owner) if r.case_owner else None,
    "referred": lambda r, e: r.referral_day,
    "days": lambda r, e: business_days_between(r.referral_day, DEMO_TODAY),
    "deadline": lambda r, e: e.due if e else None,
    "unsynced": lambda r, e: r.unsynced,
}


def expected_order(rows, column: str, reverse: bool) -> list[str]:
    """Independent of the widget: values from the store and the rules; blanks last; ties by number."""
    valued = [(SORT_VALUES[column](r, expected_deadline(r)), r.case_number) for r in rows]
    present = sorted((v for v in valued if v[0] is not None), key=lambda v: v[1])
    present.sort(key=lambda v: v[0], reverse=reverse)
    missing = sorted((v for v in valued if v[0] is None), key=lambda v: v[1])
    return [number for _, number in present + missing]


async def test_sorting_by_every_column_in_both_directions(demo_db):
    rows = demo_rows(demo_db)
    app = make_app(demo_db)
    async with app.run_test(size=(160, 30)) as pilot:  # wide enough for every column
        table = await loaded(pilot)
        await pilot.press("f3")
        assert [c.key for c, _ in table.columns] == list(SORT_VALUES)
        for column in SORT_VALUES:
            for reverse in (False, True):
                table.sort_by(column, reverse)
                await pilot.pause()
                assert shown_numbers(table) == expected_order(rows, column, reverse), (column, reverse)
                header = table.render_line(0).text
                assert ("▼" if reverse else "▲") in header


async def test_sort_keys_and_header_clicks(demo_db):
    rows = demo_rows(demo_db)
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        # The default: the most pressing deadline first.
        assert (table.sort_column, table.sort_reverse) == ("deadline", False)
        assert shown_numbers(table) == expected_order(rows, "deadline", False)
        header = table.render_line(0).text
        assert "Next deadline ▲" in header

        await pilot.press("down")  # into the list, where s and S sort
        await pilot.press("s")
        assert table.sort_column == "unsynced"  # the column after Next deadline
        await pilot.press("S")
        assert shown_numbers(table) == expected_order(rows, "unsynced", True)
        await pilot.press("s")
        assert table.sort_column == "case"  # wraps round

        # Click the "Days" heading, then click it again to reverse.
        left = 1
        for column, width in table.columns:
            if column.key == "days":
                break
            left += width + 1
        await pilot.click(CaseTable, offset=(left + 1, 0))
        assert (table.sort_column, table.sort_reverse) == ("days", False)
        assert shown_numbers(table) == expected_order(rows, "days", False)
        await pilot.click(CaseTable, offset=(left + 1, 0))
        assert shown_numbers(table) == expected_order(rows, "days", True)
        assert "▼" in table.render_line(0).text


# -- opening a case -----------------------------------------------------------------------------

CASE_VIEW_EXISTS = importlib.util.find_spec("screens.case_view") is not None


async def test_enter_and_a_second_click_open_the_highlighted_case(demo_db):
    app = make_app(demo_db)
    opened = []
    if not CASE_VIEW_EXISTS:
        app.open_case = opened.append  # screens/case_view.py is not written yet
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3", "down", "down")
        target = table.current
        assert table.cursor_row == 1
        await pilot.press("enter")
        await pilot.pause()
        if CASE_VIEW_EXISTS:
            assert type(app.screen).__name__ == "CaseViewScreen"
            assert app.screen.case_id == target.id
            app.pop_screen()
            table = await loaded(pilot)
        else:
            assert opened == [target.id]
        # Click selects; a click on the selected row opens it.
        await pilot.click(CaseTable, offset=(3, 3))
        assert table.cursor_row == 2
        if not CASE_VIEW_EXISTS:
            assert opened == [target.id]
            await pilot.click(CaseTable, offset=(3, 3))
            assert opened == [target.id, table.shown[2].id]


async def test_returning_to_the_list_reloads_and_keeps_the_cursor(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        assert table.select_case(next(e.id for e in table.shown if e.case_number == "00304348"))
        case_id = table.current.id
        await app.push_screen(Screen())  # stands in for the case view
        # Meanwhile the Initial School Meeting is recorded.
        app.store.create(Event(
            case_id=case_id, subject=INITIAL_SCHOOL_MEETING,
            start=datetime(2026, 4, 20, 22, 0, tzinfo=UTC), description="Met the dean and the whānau.",
        ))
        app.pop_screen()
        table = await loaded(pilot)
        assert table.current.id == case_id
        assert table.current.deadline_text == ""
        assert table.current.unsynced == 1
        assert "School mtg" not in table.render_line(table.cursor_row - round(table.scroll_y) + 1).text


# -- untrusted text and narrow terminals -----------------------------------------------------------


async def test_names_are_shown_literally_and_found_without_macrons(demo_db):
    with Store(demo_db) as store:
        store.create(make_case("00399991", student={"name": HOSTILE_NAME}, referral_date=DEMO_TODAY))
        store.create(make_case("00399992", student={"name": "Tūī Hēnare"}, referral_date=DEMO_TODAY))
    app = make_app(demo_db)
    async with app.run_test(size=(180, 30)) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        await type_filter(pilot, "[/foo]")
        assert shown_numbers(table) == ["00399991"]
        strip = table.render_line(1)
        assert "closing [/foo] tag [bold]…" in strip.text  # as written, cut to the column
        name = next(segment for segment in strip if "[/foo]" in segment.text)
        assert not name.style.bold
        await pilot.press("escape")
        await type_filter(pilot, "tui")
        assert "00399992" in shown_numbers(table)
        await pilot.press("escape")
        await type_filter(pilot, "henare")
        assert shown_numbers(table) == ["00399992"]


async def test_80_by_24_drops_low_priority_columns_and_fits(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await loaded(pilot)
        await pilot.press("f3")
        keys = [column.key for column, _ in table.columns]
        assert {"case", "student", "status", "school", "deadline"} <= set(keys)
        assert "owner" not in keys and "type" not in keys
        for y in range(table.size.height):
            assert table.render_line(y).cell_length <= table.scrollable_content_region.width
        await pilot.press("down", "pagedown", "pagedown", "end")
        assert table.cursor_row == 39


def test_column_layout_never_overflows():
    for width in range(40, 200):
        for hidden in (frozenset(), frozenset({"owner"}), frozenset({"deadline"})):
            columns = layout_columns(width, hidden)
            used = 1 + sum(w for _, w in columns) + len(columns) - 1
            assert used <= width or width < 58, (width, hidden)
    wide = [c.key for c, _ in layout_columns(160)]
    assert wide == ["case", "student", "type", "status", "school", "owner", "referred", "days", "deadline",
                    "unsynced"]


# -- snapshots ----------------------------------------------------------------------------------------


def test_snapshot_all_cases_100x30(demo_db, snap_compare):
    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f3")
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=(100, 30), run_before=run_before)


def test_snapshot_filtered_100x30(demo_db, snap_compare):
    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f3", *"wh")
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=(100, 30), run_before=run_before)


def test_snapshot_my_open_80x24(demo_db, snap_compare):
    async def run_before(pilot):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=run_before)

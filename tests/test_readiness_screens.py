"""The daily check, reporting and time-spent screens on the demo caseload (30 June 2026)."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from ascms_tui.daily_check import run_check
from screens.daily_check import DailyCheckScreen
from screens.reporting import ReportingScreen
from screens.time_spent import TimeSpentScreen

from .conftest import DEMO_TODAY, make_app


async def _settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(widget) -> str:
    """The plain text a Static shows."""
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def test_daily_check_lists_the_items_and_jumps_to_the_case(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await pilot.press("ctrl+g")
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DailyCheckScreen)
        expected = run_check(pilot.app.store, DEMO_TODAY)
        assert expected.outstanding > 0
        assert f"{expected.outstanding} thing(s) to look at" in _text(screen.query_one("#check-summary", Static))
        options = screen.query_one(OptionList)
        # Headings plus one option per item.
        assert len(screen.items) == expected.outstanding
        first_case_item = next(i for i in screen.items.values() if i.record_type in ("case", "plan", "contact"))
        option_id = next(k for k, v in screen.items.items() if v is first_case_item)
        options.highlighted = options.get_option_index(option_id)
        await pilot.press("enter")
        await _settle(pilot)
        assert getattr(pilot.app.screen, "case_id", None) == first_case_item.case_id


async def test_daily_check_moves_between_days(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await pilot.press("ctrl+g")
        await _settle(pilot)
        await pilot.press("left_square_bracket")
        await _settle(pilot)
        assert "29/06/2026" in pilot.app.screen.sub_title


async def test_reporting_screen_shows_measures_and_cases_to_fix(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await pilot.press("ctrl+r")
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ReportingScreen)
        chart = _text(screen.query_one("#measures", Static))
        assert "Initial School Meeting within 5 business days" in chart and "target 80%" in chart
        listing = screen.query_one(OptionList)
        assert listing.option_count > 0
        listing.highlighted = 0
        await pilot.press("enter")
        await _settle(pilot)
        assert getattr(pilot.app.screen, "case_id", None) in screen.case_ids.values()


async def test_time_spent_screen_and_csv_export(demo_db, tmp_path):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await pilot.app.push_screen(TimeSpentScreen(export_folder=tmp_path))
        await _settle(pilot)
        screen = pilot.app.screen
        assert "recorded over" in _text(screen.query_one("#time-heading", Static))
        await pilot.press("x")
        await pilot.pause()
        [csv_file] = tmp_path.glob("ascms-time-*.csv")
        assert csv_file.read_text(encoding="utf-8").startswith("date,week_start,case_number")
        assert oct(csv_file.stat().st_mode & 0o777) == "0o600"
        assert len(csv_file.read_text(encoding="utf-8").splitlines()) == len(screen.entries) + 1


# --- the look, fixed at 100x30 ---------------------------------------------------------


def test_snapshot_daily_check(demo_db, snap_compare):
    async def open_check(pilot):
        await _settle(pilot)
        await pilot.press("ctrl+g")
        await _settle(pilot)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=(100, 30), run_before=open_check)


def test_snapshot_reporting(demo_db, snap_compare):
    async def open_reporting(pilot):
        await _settle(pilot)
        await pilot.press("ctrl+r")
        await _settle(pilot)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=(100, 30), run_before=open_reporting)


def test_snapshot_time_spent(demo_db, snap_compare, tmp_path):
    async def open_time(pilot):
        await _settle(pilot)
        await pilot.app.push_screen(TimeSpentScreen(export_folder=tmp_path))
        await _settle(pilot)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=(100, 30), run_before=open_time)

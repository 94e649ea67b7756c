"""The command palette: go to a case, new records for the open case, the day's screens, sync."""

from __future__ import annotations

from textual.command import CommandPalette

from .conftest import make_app


async def _settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _run_command(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*text)
    await pilot.pause(0.3)  # the palette searches providers as you type
    await pilot.press("enter")
    await _settle(pilot)


async def test_go_to_case_by_student_name(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await _run_command(pilot, "Go to case 00304422")
        case = pilot.app.store.find_case("00304422")
        assert getattr(pilot.app.screen, "case_id", None) == case.id


async def test_new_event_for_the_open_case(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        case = pilot.app.store.find_case("00304422")
        pilot.app.open_case(case.id)
        await _settle(pilot)
        await _run_command(pilot, "New event for this case")
        assert type(pilot.app.screen).__name__ == "EventForm"
        assert pilot.app.screen.case_id == case.id


async def test_sync_now_says_how_to_sign_in_when_not_signed_in(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await _run_command(pilot, "Sync now")
        assert any("Not signed in to AS-CMS" in str(n.message) for n in pilot.app._notifications)


async def test_sync_screen_from_the_palette(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await _settle(pilot)
        await _run_command(pilot, "Sync: set-aside")
        assert type(pilot.app.screen).__name__ == "SyncScreen"

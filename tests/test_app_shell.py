"""The app opens on a caseload and lists it (the real app, driven by Pilot)."""

from __future__ import annotations

from .conftest import make_app


async def test_app_opens_on_the_case_list(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.screen.sub_title == "40 cases"
        assert pilot.app.today().isoformat() == "2026-06-30"

"""The app opens on a caseload and lists it (the real app, driven by Pilot)."""

from __future__ import annotations

from textual.widgets import DataTable

from ascms_tui.app import AscmsApp
from ascms_tui.demo import ensure_demo_database


async def test_app_lists_the_demo_caseload(tmp_path):
    db = ensure_demo_database(tmp_path / "demo.sqlite3")
    app = AscmsApp(db_path=db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = pilot.app.screen.query_one(DataTable)
        assert table.row_count == 40
        assert pilot.app.screen.sub_title == "40 cases"

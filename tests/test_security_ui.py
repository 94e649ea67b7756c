"""The app's side of protecting children's data: the idle lock, audit history, the Privacy Act export action."""

from __future__ import annotations

import asyncio
import getpass
import stat
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import Input, Static, TextArea

from ascms_tui import store as store_module
from ascms_tui.db_connect import encrypt_database
from ascms_tui.demo import DEMO_USER
from ascms_tui.domain import Case, Contact, Event
from ascms_tui.settings import Settings
from screens import lock
from screens.audit import AuditScreen
from screens.case_list import CaseListScreen
from screens.case_view import CaseViewScreen
from screens.daily_check import DailyCheckScreen
from screens.export_dialog import FOLDER_NAME, PrivacyExportDialog
from screens.forms import EventForm
from screens.lock import LockScreen, wait_after

from .conftest import make_app

ROOT = Path(__file__).resolve().parents[1]
SIZE = (100, 30)
SECRET = "kōwhai ngahere 42"
CASE = "00304422"  # Naki in the demo caseload
TYPED = "Met Naki and her nan at home"


@pytest.fixture(autouse=True)
def _own_folders(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "Documents"))


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_for(pilot, condition, seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.05)


def screen_text(app) -> str:
    """Everything the terminal shows."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def lock_message(app) -> str:
    return str(app.screen.query_one("#lock-message", Static).render())


def demo_names(app) -> set[str]:
    """Every student's name and known-as name in the caseload."""
    rows = app.store.read("SELECT student_name, student_known_as FROM cases")
    return {name for row in rows for name in row if name}


def idle_settings(minutes: float) -> Settings:
    return Settings(user_name=DEMO_USER, idle_lock_minutes=minutes, autosave_seconds=0.2)


async def open_event_form(pilot, number: str = CASE) -> EventForm:
    app = pilot.app
    await settle(pilot)
    app.open_case(app.store.find_case(number).id)
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, EventForm)
    form.query_one("#description", TextArea).focus()
    await pilot.press(*TYPED)
    return form


async def unlock_with(pilot, text: str) -> None:
    field = pilot.app.screen.query_one("#unlock", Input)
    field.value = text
    await pilot.press("enter")
    await settle(pilot)


# -- the idle lock ---------------------------------------------------------------------------


async def test_idle_lock_hides_case_data_and_the_passphrase_unlocks_with_the_form_intact(demo_db):
    encrypt_database(demo_db, SECRET)
    app = make_app(demo_db, passphrase=SECRET, settings=idle_settings(0.02), offer_drafts=False)  # 1.2 s
    async with app.run_test(size=SIZE) as pilot:
        form = await open_event_form(pilot)
        names = demo_names(app)
        assert "Naki" in screen_text(app)
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        app.settings = replace(app.settings, idle_lock_minutes=10)  # no second lock while the test types
        await settle(pilot)

        shown = screen_text(app)
        assert "locked" in shown and "Passphrase" in shown
        assert not [name for name in names if name in shown]
        assert TYPED not in shown and "Case 0" not in shown
        # The form is still there underneath, and its draft was kept when the lock covered it.
        assert form.is_attached and form in app.screen_stack
        await wait_for(pilot, lambda: any(d.content.get("description") == TYPED for d in app.store.drafts()))
        assert app.screen.query_one("#unlock", Input).password  # the passphrase is not echoed

        await unlock_with(pilot, "not the passphrase")
        assert isinstance(app.screen, LockScreen)
        assert lock_message(app) == "That passphrase does not open this caseload."
        assert app.screen.query_one("#unlock", Input).value == ""  # not left in the field

        await unlock_with(pilot, SECRET)
        assert app.screen is form
        assert form.query_one("#description", TextArea).text == TYPED
        await pilot.press(*" today")  # still typing where it was
        assert form.query_one("#description", TextArea).text == TYPED + " today"


async def test_without_a_passphrase_the_computer_user_name_unlocks(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Naki" in screen_text(app)
        await pilot.press("ctrl+l")  # lock now
        await settle(pilot)
        assert isinstance(app.screen, LockScreen)
        shown = screen_text(app)
        assert "no passphrase: type your computer user name" in shown
        assert "Naki" not in shown and getpass.getuser() not in shown  # the answer is not on the screen
        assert not app.screen.query_one("#unlock", Input).password

        await unlock_with(pilot, getpass.getuser() + "-not")
        assert lock_message(app) == "That is not the user name signed in to this computer."
        await unlock_with(pilot, f" {getpass.getuser().upper()} ")  # case and spaces do not matter
        assert not isinstance(app.screen, LockScreen)
        assert "Naki" in screen_text(app)


async def test_repeated_wrong_tries_wait_longer_each_time(demo_db, monkeypatch):
    assert [wait_after(n) for n in range(1, 9)] == [0, 0, 2, 4, 8, 16, 30, 30]
    monkeypatch.setattr(lock, "FIRST_WAIT", 1.5)
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.action_lock()
        await settle(pilot)
        for _ in range(3):
            await unlock_with(pilot, "someone else")
        field = app.screen.query_one("#unlock", Input)
        assert field.disabled and lock_message(app).endswith("3 wrong tries: wait 1.5 seconds.")
        await pilot.press("enter")  # ignored while waiting
        await settle(pilot)
        assert isinstance(app.screen, LockScreen) and field.disabled
        await wait_for(pilot, lambda: not field.disabled)
        assert lock_message(app) == "Try again."
        await unlock_with(pilot, getpass.getuser())
        assert not isinstance(app.screen, LockScreen)


async def test_typing_keeps_the_app_unlocked_and_idleness_locks_it(demo_db):
    app = make_app(demo_db, settings=idle_settings(0.02), offer_drafts=False)  # 1.2 s
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loop = asyncio.get_running_loop()
        until = loop.time() + 2.5
        while loop.time() < until:  # twice the idle time, never idle for long
            await pilot.press("down")
            await pilot.pause(0.2)
        assert not app.locked
        await wait_for(pilot, lambda: app.locked, seconds=5)


async def test_nothing_opens_over_the_lock_and_what_was_held_happens_on_unlocking(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_event_form(pilot)
        app.action_lock()
        await settle(pilot)
        locked = app.screen
        # The app's own keys and the palette would open screens with case data.
        for key in ("ctrl+g", "ctrl+r", "ctrl+p"):
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is locked and not CommandPalette.is_open(app)
        # Workers finishing in the background: a form closed, then a screen opened.
        form.dismiss(None)
        app.push_screen(DailyCheckScreen())
        await settle(pilot)
        assert app.screen is locked and form in app.screen_stack

        await unlock_with(pilot, getpass.getuser())
        await settle(pilot)
        # Done on unlocking, in the order asked.
        assert [type(screen) for screen in app.screen_stack] == [CaseListScreen, CaseViewScreen, DailyCheckScreen]


async def test_toasts_are_hidden_while_locked(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.notify("Naki Invented: details current", timeout=30)
        await settle(pilot)
        assert "details current" in screen_text(app)
        app.action_lock()
        await settle(pilot)
        app.notify("Export of Naki written", timeout=30)  # a worker finishing while locked
        await settle(pilot)
        shown = screen_text(app)
        assert "Naki" not in shown and "details current" not in shown


def test_the_lock_loads_nothing_before_the_first_frame(demo_db):
    # A fresh interpreter: this test module has imported the screens already.
    code = (
        "import asyncio, sys\n"
        "from tests.conftest import make_app\n"
        "async def main():\n"
        f"    app = make_app({str(demo_db)!r}, offer_drafts=False)\n"
        "    async with app.run_test(size=(100, 30)) as pilot:\n"
        "        await pilot.pause()\n"
        "        print(sorted(m for m in sys.modules if m.startswith(('screens.', 'ascms_tui.'))))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = result.stdout
    assert "screens.case_list" in loaded  # it did paint
    for module in ("screens.lock", "screens.audit", "screens.export_dialog", "ascms_tui.privacy_export",
                   "ascms_tui.audit"):
        assert f"'{module}'" not in loaded, module


# -- audit history ---------------------------------------------------------------------------


async def test_history_of_an_edited_record_shows_who_when_and_old_and_new_values_literally(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        case = store.find_case(CASE)
        # The newest entry of the timeline, then changed: a note that looks like markup.
        event = store.create(Event(case_id=case.id, subject="Phone Call", start=datetime(2026, 6, 30, 1, 0, tzinfo=UTC),
                                   description="Rang the school [b]first[/b]"))
        store.update(Event, event.id, {"description": "Rang [/foo] school", "minutes": 15})
        app.open_case(case.id)
        await settle(pilot)
        timeline = app.screen.query_one("Timeline")
        timeline.select(next(i for i, entry in enumerate(timeline.shown_entries) if entry.record_id == event.id))
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        shown = screen_text(app)
        assert "Phone Call (30/06/2026, 1:00 pm)" in shown  # which record
        assert "2 changes, newest first" in shown
        assert f"by {getpass.getuser()}" in shown and "waiting to sync" in shown
        lines = shown.splitlines()
        changed = next(line for line in lines if "Rang the school [b]first[/b]" in line and "Rang [/foo] school" in line)
        assert changed.index("Rang the school") < changed.index("Rang [/foo]")  # before, then after
        assert any("Minutes" in line and "0" in line and "15" in line for line in lines)
        assert "Created" in shown and "Subject" in shown and "Phone Call" in shown
        assert "Case id" not in shown and case.id not in shown  # bookkeeping is left out

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("H")  # the whole case
        await settle(pilot)
        shown = screen_text(app)
        assert isinstance(app.screen, AuditScreen) and app.screen.record_id is None
        assert "Changed Event" in shown and "Rang [/foo] school" in shown


async def test_history_from_the_related_tab_and_the_details_tab(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        case = app.store.find_case(CASE)
        app.store.update(Case, case.id, {"case_owner": "Mere Invented"})
        app.open_case(case.id)
        await settle(pilot)
        await pilot.press("2", "h")
        await settle(pilot)
        assert app.screen.record_id == case.id
        assert "The case details" in screen_text(app) and "Mere Invented" in screen_text(app)
        await pilot.press("escape", "3")
        await settle(pilot)
        related = app.screen.query_one("RelatedRecords")
        kind, record_id = related.current
        assert kind == "contact"
        contact = related.record(f"{kind}:{record_id}")
        app.store.update(Contact, record_id, {"phone": "021 555 0199"})
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen) and app.screen.record_id == record_id
        shown = screen_text(app)
        assert f"{contact.name} ({contact.role.value})" in shown  # which record
        assert "021 555 0199" in shown and "Phone" in shown

        await pilot.press("escape")
        await settle(pilot)
        related.highlighted = 0  # the Contacts heading: not a record
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, CaseViewScreen)


# -- the Privacy Act export ------------------------------------------------------------------


@pytest.mark.parametrize(("down", "suffix"), [(0, ".pdf"), (1, ".html"), (2, ".json")])
async def test_export_action_writes_a_private_file_and_names_it(demo_db, tmp_path, down, suffix):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        case = app.store.find_case(CASE)
        app.open_case(case.id)
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PrivacyExportDialog)
        folder = tmp_path / "Documents" / FOLDER_NAME
        assert "Written to" in screen_text(app) and FOLDER_NAME in screen_text(app)
        await pilot.press(*["down"] * down, "enter")
        await settle(pilot)
        assert isinstance(app.screen, CaseViewScreen)
        written = list(folder.iterdir())
        assert [path.name for path in written] == [f"privacy-export-{CASE}-2026-06-30{suffix}"]
        assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        data = written[0].read_bytes()
        if suffix == ".pdf":
            assert data.startswith(b"%PDF")
        else:
            assert case.student.name in data.decode("utf-8")
        messages = [n.message for n in app._notifications]
        assert any(str(written[0]) in message for message in messages)

        await pilot.press("p", *["down"] * down, "enter")  # again the same day: a new file
        await settle(pilot)
        assert len(list(folder.iterdir())) == 2


async def test_palette_offers_history_export_and_lock(demo_db):
    app = make_app(demo_db, offer_drafts=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_case(app.store.find_case(CASE).id)
        await settle(pilot)
        for command, screen_type in (("History of this case", AuditScreen),
                                     ("Privacy Act export of this case", PrivacyExportDialog),
                                     ("Lock now", LockScreen)):
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*command)
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, screen_type), command
            if screen_type is not LockScreen:
                await pilot.press("escape")
                await settle(pilot)


# -- snapshots (100x30) ------------------------------------------------------------------------


def test_snapshot_lock_screen_over_a_form(demo_db, snap_compare):
    async def run_before(pilot):
        await open_event_form(pilot)
        await pilot.pause(0.3)
        pilot.app.action_lock()
        await settle(pilot)
        pilot.app.screen.query_one("#unlock", Input).cursor_blink = False
        assert "Naki" not in screen_text(pilot.app)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_audit_history(demo_db, snap_compare, monkeypatch):
    # A fixed clock and user for a repeatable picture.
    monkeypatch.setattr(store_module, "utc_now", lambda: datetime(2026, 6, 30, 2, 0, tzinfo=UTC))

    async def run_before(pilot):
        await settle(pilot)
        store = pilot.app.store
        store.actor = "ngaio"
        case = store.find_case(CASE)
        event = store.create(Event(case_id=case.id, subject="Phone Call", start=datetime(2026, 6, 30, 1, 0, tzinfo=UTC),
                                   description="Rang the school [b]first[/b]", recorded_at=datetime(2026, 6, 30, 1, 30, tzinfo=UTC)))
        store.update(Event, event.id, {"description": "Rang [/foo] school", "minutes": 15})
        pilot.app.push_screen(AuditScreen(case.id, event.id, "Phone Call (30/06/2026, 1:00 pm)"))
        await settle(pilot)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=SIZE, run_before=run_before)


def test_snapshot_export_dialog(demo_db, snap_compare, monkeypatch):
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", "/home/kaimahi/Documents")  # shown in the dialog; nothing written

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.open_case(pilot.app.store.find_case(CASE).id)
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)

    assert snap_compare(make_app(demo_db, offer_drafts=False), terminal_size=SIZE, run_before=run_before)

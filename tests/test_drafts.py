"""Never lose typed text: a draft survives the app being killed, and is offered back."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from ascms_tui.demo import DEMO_USER
from ascms_tui.domain import Event
from ascms_tui.settings import Settings
from ascms_tui.store import Store
from screens.drafts import DiscardDraftScreen, DraftRestoreScreen
from screens.forms import CommentForm, EventForm, RecordForm, draft_key

from .conftest import make_app

ROOT = Path(__file__).resolve().parents[1]
SIZE = (100, 30)

# The child: the real app on the test's database, typing into a new Event form
# (real key presses), with drafts kept every 0.3 s. It never saves, and it waits
# to be killed: no clean shutdown, no unmount, nothing flushed on the way out.
CHILD = r"""
import asyncio, sys
from tests.conftest import make_app
from ascms_tui.demo import DEMO_USER
from ascms_tui.settings import Settings

async def main(db):
    app = make_app(db, settings=Settings(user_name=DEMO_USER, autosave_seconds=0.3), offer_drafts=False)
    async with app.run_test(size=(100, 30)) as pilot:
        case = app.store.find_case("00304422")
        app.open_form("event", case.id)
        await pilot.pause()
        form = app.screen
        form.query_one("#subject").focus()
        await pilot.press(*"Home Visit")
        form.query_one("#start-date").focus()
        await pilot.press(*"31/2/2026")
        form.query_one("#description").focus()
        await pilot.press(*"Met Naki's na", "ctrl+t", *"n [b]")
        # Past the autosave interval (still not saved): wait until the draft is on disk.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline:
            drafts = app.store.drafts()
            if drafts and drafts[0].content.get("description") == "Met Naki's n\u0101n [b]":
                print("TYPED", flush=True)
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(120)

asyncio.run(main(sys.argv[1]))
"""
TYPED = {
    "subject": "Home Visit",
    "start_date": "31/2/2026",  # invalid text is kept as typed
    "description": "Met Naki's nān [b]",  # ctrl+t put the macron on the a before the cursor
}


def _run_child_and_kill(db: Path) -> int:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while "TYPED" not in line:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the child app did not finish typing"
            ready, _, _ = select.select([child.stdout], [], [], remaining)
            if ready:
                line = child.stdout.readline()
                assert line or child.poll() is None, child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)  # the laptop lid, the crash, the closed terminal
        return child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


async def test_killed_mid_typing_the_draft_is_offered_and_restored(demo_db):
    with Store(demo_db) as store:
        case = store.find_case("00304422")
        events_before = len(store.records(Event, case.id))
        assert store.drafts() == []

    assert _run_child_and_kill(demo_db) == -signal.SIGKILL

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DraftRestoreScreen)
        offered = str(dialog.query_one(OptionList).get_option_at_index(0).prompt)
        assert offered.startswith("Unsaved Event for case 00304422 (Naki), last typed ")
        assert offered.endswith(": 'Met Naki's nān [b]'")

        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, EventForm)
        content = form.read_content()
        assert {key: content[key] for key in TYPED} == TYPED
        assert form.query_one("#description", TextArea).text == "Met Naki's nān [b]"

        # Finish it and save: the record is stored and the draft is gone.
        form.query_one("#start-date", Input).value = "4/6/2026"
        form.query_one("#start-time", Input).value = "2pm"
        form.query_one("#end-time", Input).value = "3pm"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, (RecordForm, DraftRestoreScreen))  # no drafts left to offer
        assert app.store.drafts() == []
        saved = app.store.records(Event, case.id)
        assert len(saved) == events_before + 1
        assert (saved[-1].subject, saved[-1].description) == ("Home Visit", "Met Naki's nān [b]")
        assert app.store.changes(case_id=case.id)[-1].record_id == saved[-1].id


def _draft_typed_at(db: Path, key: str, when: str) -> None:
    # Test set-up only: pin the draft's time so the dialog's text is the same every run.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE drafts SET updated_at = ? WHERE draft_key = ?", (when, key))


def _two_drafts(db: Path) -> tuple[str, str]:
    with Store(db) as store:
        case = store.find_case("00304422")
        other = store.find_case("00202113")
        event_key = draft_key("event", case.id, None)
        comment_key = draft_key("comment", other.id, None)
        store.save_draft(
            event_key,
            "event",
            {"subject": "Initial School Meeting", "description": "Met with the attendance lead and Jo [/foo]"},
            case_id=case.id,
        )
        store.save_draft(comment_key, "comment", {"body": "Phoned whānau", "shared_with_school": False},
                         case_id=other.id)
    _draft_typed_at(db, event_key, "2026-06-30T02:14:00+00:00")  # 2:14 pm on 30 June in NZ
    _draft_typed_at(db, comment_key, "2026-06-29T21:05:00+00:00")  # 9:05 am the same day
    return event_key, comment_key


async def test_restore_dialog_lists_discards_and_defers(demo_db):
    event_key = _two_drafts(demo_db)[0]
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, DraftRestoreScreen)
        options = dialog.query_one(OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == [
            "Unsaved Event for case 00304422 (Naki), last typed 2:14 pm: 'Met with the attendance lead and Jo [/fo…'",
            "Unsaved Case Comment for case 00202113 (Cooper Sutherland), last typed 9:05 am: 'Phoned whānau'",
        ]
        # Discard asks first; keeping it changes nothing.
        await pilot.press("down")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiscardDraftScreen)
        await pilot.press("k")
        await pilot.pause()
        assert len(app.store.drafts()) == 2
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert [d.draft_key for d in app.store.drafts()] == [event_key]
        assert app.screen is dialog and options.option_count == 1

        # Restore opens the form over the dialog; cancelling back keeps the draft listed.
        await pilot.click("#restore")
        await pilot.pause()
        assert isinstance(app.screen, EventForm)
        assert app.screen.query_one("#subject", Input).value == "Initial School Meeting"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert app.screen is dialog

        await pilot.press("escape")  # Later: closes, the draft stays for next time
        await pilot.pause()
        assert not isinstance(app.screen, (DraftRestoreScreen, RecordForm))
        assert [d.draft_key for d in app.store.drafts()] == [event_key]


async def test_no_dialog_without_drafts(demo_db):
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not isinstance(app.screen, DraftRestoreScreen)


def test_snapshot_draft_restore_dialog(demo_db, snap_compare):
    _two_drafts(demo_db)
    app = make_app(demo_db, settings=Settings(user_name=DEMO_USER, autosave_seconds=30))
    assert snap_compare(app, terminal_size=SIZE)


async def test_a_restored_comment_fills_its_form(demo_db):
    comment_key = _two_drafts(demo_db)[1]
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # the second draft listed
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CommentForm) and form.draft_key == comment_key
        assert form.read_content() == {"body": "Phoned whānau", "shared_with_school": False}

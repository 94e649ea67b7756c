"""Sync in the app: the real app, Textual Pilot, and the real training sandbox over HTTP on 127.0.0.1.

Sign-in is the environment override (ASCMS_TUI_INSTANCE_URL / ASCMS_TUI_ACCESS_TOKEN)
or a device-flow session in a private token store, never the developer's own.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from textual.widgets import OptionList

from ascms_tui.demo import DEMO_USER
from ascms_tui.domain import Case, CaseComment, Event, Plan, PlanStep, Task
from ascms_tui.nztime import format_nz_datetime
from ascms_tui.settings import Settings, SettingsError
from ascms_tui.store import Store
from ascms_tui.sync.auth import INSTANCE_ENV, TOKEN_ENV, TokenStore, device_login
from ascms_tui.sync.client import Session
from ascms_tui.sync.engine import SyncEngine
from screens.sync import ConflictEditDialog, SyncScreen
from widgets.sync_status import SyncStatus

from .conftest import make_app, make_case

ROOT = Path(__file__).resolve().parents[1]
SIZE = (100, 30)
FAST = {"backoff": 0.005, "backoff_cap": 0.05, "max_tries": 10}
HOSTILE = "Refuse [/foo] this [bold]plan[/bold]"


def app_for(db, sandbox, tmp_path, *, interval: float = 0, environ: dict | None = None, tokens=None, **options):
    """The app on `db`, signed in to `sandbox` through the environment (or `tokens`)."""
    if environ is None:
        environ = {INSTANCE_ENV: sandbox.base_url, TOKEN_ENV: sandbox.token} if sandbox else {}
    return make_app(db, settings=Settings(user_name=DEMO_USER, sync_interval_seconds=interval),
                    tokens=tokens or TokenStore(tmp_path / "config", use_keyring=False), environ=environ,
                    offer_drafts=False, **options)


def engine_sync(store: Store, sandbox):
    """A run outside the app (as the cron command would), to set up central state."""
    session = Session(instance_url=sandbox.base_url, access_token=sandbox.token)
    return SyncEngine(store, session, client_options=FAST).run()


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; sync state {pilot.app.sync_state}")
        await pilot.pause(0.05)


async def synced(pilot, key: str = "f8") -> None:
    """Press a key that syncs and wait for the run to end."""
    finished = pilot.app.sync_state.finished
    await pilot.press(key)
    await until(pilot, lambda: pilot.app.sync_state.finished > finished)
    await settle(pilot)


def status_text(app) -> str:
    return str(app.screen.query_one(SyncStatus).render())


def notifications(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


def listed(app) -> str:
    """The Sync screen's list as drawn on the screen, its lines joined by a space."""
    options = app.screen.query_one(OptionList)
    lines = ("".join(segment.text for segment in options.render_line(y)).strip() for y in range(options.size.height))
    return " ".join(line for line in lines if line)


def a_caseload(db) -> Case:
    with Store(db, actor="test-user") as store:
        case = store.create(make_case())
        store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                           description="Met whānau at home", hours=1))
        store.create(Task(case_id=case.id, subject="Call school", due_date=date(2026, 6, 5)))
        store.create(CaseComment(case_id=case.id, body="Whānau keen to meet next week."))
    return case


def one_conflict(store: Store, sandbox, *, central: str, mine: str) -> Case:
    """A case whose synced event's description was then changed centrally and here (not yet synced)."""
    case = store.create(make_case())
    event = store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                               description="Met whānau at home", hours=1))
    engine_sync(store, sandbox)
    sandbox.central_edit("Event", store.get(Event, event.id).server_id, {"Description": central})
    store.update(Event, event.id, {"description": mine})
    return case


# --- sync now, and the status line ---------------------------------------------------------------


async def test_sync_now_sends_the_queue_and_the_status_line_follows(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    case = a_caseload(db)
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        line = status_text(app)
        assert "4 changes to send" in line and "never synced" in line, line
        assert app.screen.table.shown[0].unsynced == 4
        await synced(pilot)
        line = status_text(app)
        assert line.startswith("● Online · nothing to send · last sync "), line
        # The last sync time the NZ way (d/mm/yyyy, h:mm am, New Zealand time).
        assert re.search(r"last sync \d{1,2}/\d{2}/20\d\d, \d{1,2}:\d{2} [ap]m$", line), line
        assert line.endswith(format_nz_datetime(datetime.fromisoformat(app.sync_state.last_sync_at)))
        assert "Sent 4 changes to AS-CMS" in notifications(app)
        assert app.screen.table.shown[0].unsynced == 0  # the case list read again after the run
    [event] = sandbox.query_all("SELECT Subject, WhatId FROM Event")
    [server_case] = sandbox.query_all("SELECT Id, CaseNumber FROM Case")
    assert event == {**event, "Subject": "Home Visit", "WhatId": server_case["Id"]}
    with Store(db) as store:
        assert store.get(Case, case.id).server_id == server_case["Id"]
    assert len(sandbox.query_all("SELECT Id FROM Task")) == len(sandbox.query_all("SELECT Id FROM CaseComment")) == 1


async def test_not_signed_in_is_said_on_the_line_and_by_sync_now(tmp_path):
    db = tmp_path / "cases.sqlite3"
    a_caseload(db)
    app = app_for(db, None, tmp_path, interval=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status_text(app).startswith("Not signed in to AS-CMS · 4 changes to send · never synced")
        await pilot.press("f8")
        await settle(pilot)
        assert "Not signed in to AS-CMS. Sign in with 'ascms-tui login" in notifications(app)
        assert not app.sync_state.running


async def test_background_sync_runs_at_start_and_after_a_save(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    case = a_caseload(db)
    app = app_for(db, sandbox, tmp_path, interval=3600)  # no tick in the test: only start and saves
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.sync_state.known and not app.sync_state.queued and app.sync_state.last_sync_at)
        assert len(sandbox.query_all("SELECT Id FROM CaseComment")) == 1
        app.open_form("comment", case.id)
        await pilot.pause()
        body = app.screen.query_one("#body")
        body.focus()
        body.insert("Rang the school: attendance up this week.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.store.records(CaseComment, case.id)) == 2  # saved, and the form closed
        await until(pilot, lambda: len(sandbox.query_all("SELECT Id FROM CaseComment")) == 2)
        await until(pilot, lambda: not app.sync_state.running and not app.sync_state.queued)
        assert "nothing to send" in status_text(app)


async def test_a_background_run_that_finds_a_conflict_points_to_it(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = one_conflict(store, sandbox, central="School: attended", mine="Mine: walking bus")
    app = app_for(db, sandbox, tmp_path, interval=3600)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.sync_state.finished)  # the run at start, nobody asked
        await settle(pilot)
        assert "1 field changed both here and in AS-CMS. f9 shows them." in notifications(app)
        assert status_text(app).endswith("⚠ 1 conflict: f9 ")  # the case list's hint
        app.open_case(case.id)
        await settle(pilot)
        assert status_text(app).endswith("⚠ 1 conflict: f9 ")  # and the case view's


# --- set aside: AS-CMS refused a change -----------------------------------------------------


async def test_set_aside_change_shows_the_servers_message_literally_and_retry_sends_it(tmp_path, sandbox):
    sandbox.set_faults(f"reject=Goals__c:{HOSTILE}")
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = store.create(make_case())
        plan = Plan(case_id=case.id, goals=HOSTILE)
        store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Walk", responsible="Whānau")])
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await synced(pilot)
        assert "1 change set aside: AS-CMS refused them" in notifications(app)  # Sync now says what happened
        assert app.sync_state.set_aside == 1 and app.sync_state.queued == 1  # the step waits for its plan
        assert "⚠ 1 set aside" in status_text(app)  # the hint on the case list
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, SyncScreen)
        shown = listed(app)
        # What changed and AS-CMS's message, drawn exactly as written: "[/foo]" is not read as markup.
        assert re.match(r"Set aside, not sent \(1\) Student Plan · case \d{8} · new record "
                        + re.escape(f"Goals: {HOSTILE} · Status: Draft "
                                    f"Reason: FIELD_CUSTOM_VALIDATION_EXCEPTION: Validation rule: Goals__c cannot "
                                    f"be '{HOSTILE}'"), shown), shown
        # Open takes the user to the record's form to fix it.
        await pilot.press("o")
        await pilot.pause()
        assert type(app.screen).__name__ == "PlanForm" and app.screen.record.id == plan.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SyncScreen)
        # AS-CMS's rule is fixed centrally; retry sends the plan, then its step goes too.
        sandbox.set_faults("")
        await synced(pilot, "r")
        assert app.sync_state.set_aside == 0 and app.sync_state.queued == 0
        assert listed(app) == "Nothing here."
        assert "Nothing needs you" in str(app.screen.query_one("#sync-summary").render())
    [server_plan] = sandbox.query_all("SELECT Id, Goals__c FROM Student_Plan__c")
    assert server_plan["Goals__c"] == HOSTILE
    assert len(sandbox.query_all("SELECT Id FROM Plan_Step__c")) == 1


async def test_a_central_record_not_taken_in_is_listed_and_keeps_the_run_from_saying_all_is_well(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = store.create(make_case(case_owner=DEMO_USER))  # in the app user's briefcase
        engine_sync(store, sandbox)
        server_case = store.get(Case, case.id).server_id
    # 30 hours on one Task: AS-CMS holds it, this app keeps at most 24 for one record.
    task = sandbox.central_create("Task", {"WhatId": server_case, "Subject": f"Long day {HOSTILE}",
                                           "Time_Spent_Hours__c": 30})
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await synced(pilot)
        await pilot.press("f9")
        await settle(pilot)
        shown = listed(app)
        assert shown.startswith(f"From AS-CMS, not taken in (1) Task · AS-CMS Id {task} Reason: Task {task}: "), shown
        assert "Hours must be from 0 to 24" in shown
        summary = str(app.screen.query_one("#sync-summary").render())
        assert "1 AS-CMS record not taken in" in summary and "Nothing needs you" not in summary
        # Corrected in AS-CMS, it comes in at the next sync and leaves the list.
        sandbox.central_edit("Task", task, {"Time_Spent_Hours__c": 3})
        await synced(pilot, "s")
        await settle(pilot)
        assert listed(app) == "Nothing here."


async def test_changes_held_for_a_broken_org_are_listed_and_go_once_the_org_is_fixed(tmp_path, sandbox_factory):
    from ascms_tui.sync.client import SalesforceClient
    from ascms_tui.sync.doctor import check_org, keep_check
    from ascms_tui.sync.mapping import load_mapping

    from .sandbox_server import org_file
    from .test_doctor import without_value

    sandbox = sandbox_factory(org=org_file(tmp_path, change=without_value("Student_Plan__c", "Status__c",
                                                                          "In Progress")))
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = store.create(make_case(case_owner=DEMO_USER))
        plan = Plan(case_id=case.id, goals="Attend four days a week", status="In Progress")
        store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="School")])
        with SalesforceClient(Session(instance_url=sandbox.base_url, access_token=sandbox.token)) as client:
            keep_check(store, check_org(client, load_mapping()))
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await synced(pilot)
        assert app.sync_state.queued == 2 and app.sync_state.set_aside == 0  # the plan and its step wait
        await pilot.press("f9")
        await settle(pilot)
        shown = listed(app)
        assert shown.startswith("Waiting for AS-CMS to be set up (1) Student Plan · 1 change waiting In AS-CMS: "
                                "Student_Plan__c.Status__c: the picklist lacks 'In Progress' (missing or inactive)"), shown
        assert "What breaks: Student Plans with 'In Progress' cannot be sent" in shown
        summary = str(app.screen.query_one("#sync-summary").render())
        assert "1 problem in AS-CMS's setup" in summary and "c checks again" in summary
        # The org's admin adds the value; c checks again, and the next sync sends the plan.
        sandbox.org = None
        sandbox.restart()
        await pilot.press("c")
        await until(pilot, lambda: "AS-CMS has everything this app needs" in notifications(app))
        await settle(pilot)
        assert not listed(app).startswith("Waiting for AS-CMS")
        await synced(pilot, "s")
        assert app.sync_state.queued == 0
    [plan] = sandbox.query_all("SELECT Status__c FROM Student_Plan__c")
    assert plan["Status__c"] == "In Progress"


# --- conflicts: the same field changed here and in AS-CMS --------------------------------------


def three_conflicts(db, sandbox) -> tuple[list[Event], str]:
    """Three synced events, each with its description changed both here and centrally; one more deleted centrally."""
    with Store(db, actor="test-user") as store:
        case = store.create(make_case())
        events = [store.create(Event(case_id=case.id, subject=f"Home Visit {n}", start=datetime(2026, 6, n, 2, tzinfo=UTC),
                                     description=f"Visit {n}", hours=1)) for n in (1, 2, 3, 4)]
        engine_sync(store, sandbox)
        events = [store.get(Event, event.id) for event in events]
        for n, event in enumerate(events[:3], 1):
            sandbox.central_edit("Event", event.server_id, {"Description": f"School [/foo] note {n}"})
            store.update(Event, event.id, {"description": f"Mine {n}"})
        sandbox.central_delete("Event", events[3].server_id)
        store.update(Event, events[3].id, {"minutes": 20})
        number = store.get(Case, case.id).case_number  # AS-CMS numbered the case
    return events, number


async def test_conflicts_resolved_by_keep_mine_take_theirs_and_edit(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    events, number = three_conflicts(db, sandbox)
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await synced(pilot)
        assert app.sync_state.conflicts == 4
        assert "4 conflicts" in status_text(app)
        await pilot.press("f9")
        await settle(pilot)
        shown = listed(app)
        assert shown.startswith(f"Conflicts (4) Event · case {number} · Description changed here and in AS-CMS "
                                "Mine:   Mine 1 AS-CMS: School [/foo] note 1 Event"), shown
        assert shown.endswith(f"Event · case {number} · deleted in AS-CMS, changed here Keep mine sends it to "
                              "AS-CMS again as a new record; take theirs removes it here."), shown
        await pilot.press("m")  # first: keep mine
        await settle(pilot)
        assert listed(app).startswith("Conflicts (3) Event · case ")
        assert "Mine:   Mine 2 AS-CMS: School [/foo] note 2" in listed(app)
        await pilot.press("t")  # second: take theirs
        await settle(pilot)
        await pilot.press("e")  # third: edit a value of its own
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConflictEditDialog)
        field = dialog.query_one("#value")
        assert field.value == "Mine 3"
        field.value = ""
        await pilot.press(*"Both 3")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SyncScreen)
        assert re.match(r"Conflicts \(1\) Event · case \d{8} · deleted in AS-CMS", listed(app))
        await pilot.press("t")  # the centrally deleted one: removed here too
        await settle(pilot)
        assert listed(app) == "Nothing here."
        with Store(db) as store:
            assert [store.get(Event, e.id) and store.get(Event, e.id).description for e in events] == [
                "Mine 1", "School [/foo] note 2", "Both 3", None]
        await synced(pilot, "s")
        assert (app.sync_state.conflicts, app.sync_state.queued) == (0, 0)
    server = {r["Id"]: r["Description"] for r in sandbox.query_all("SELECT Id, Description FROM Event")}
    assert server == {events[0].server_id: "Mine 1", events[1].server_id: "School [/foo] note 2",
                      events[2].server_id: "Both 3"}


async def test_edit_refuses_a_value_the_record_cannot_take(tmp_path, sandbox):
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = store.create(make_case())
        task = store.create(Task(case_id=case.id, subject="Call school", due_date=date(2026, 6, 5)))
        engine_sync(store, sandbox)
        task = store.get(Task, task.id)
        sandbox.central_edit("Task", task.server_id, {"ActivityDate": "2026-06-09"})
        store.update(Task, task.id, {"due_date": date(2026, 6, 8)})
        assert engine_sync(store, sandbox).conflicts == 1
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert "Due date changed here and in AS-CMS Mine:   8/06/2026 AS-CMS: 9/06/2026" in listed(app)
        await pilot.press("e")
        await pilot.pause()
        field = app.screen.query_one("#value")
        assert field.value == "8/06/2026"  # the NZ way, as typed in the forms
        field.value = "31/02/2026"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictEditDialog)
        assert "not a date" in app.screen.query_one("#field-value").message
        field.value = "10/06/2026"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SyncScreen) and listed(app) == "Nothing here."
    with Store(db) as store:
        assert store.get(Task, task.id).due_date == date(2026, 6, 10)


# --- never in the way ----------------------------------------------------------------------------


async def test_typing_in_a_form_is_not_blocked_while_a_slow_sync_runs(tmp_path, sandbox):
    sandbox.set_faults("latency=600ms")  # a UI waiting on a request would take at least this per key
    db = tmp_path / "cases.sqlite3"
    case = a_caseload(db)
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await until(pilot, lambda: app.sync_state.running)
        app.open_form("comment", case.id)
        await pilot.pause()
        body = app.screen.query_one("#body")
        body.focus()
        await pilot.pause()
        typed = "Called Mum at 9 am"
        slowest = 0.0
        for key in typed:
            started = time.monotonic()
            await pilot.press("space" if key == " " else key)
            slowest = max(slowest, time.monotonic() - started)
        assert body.text == typed
        assert app.sync_state.running, "the run should still be going: typing happened during it"
        assert slowest < 0.5, f"a key press took {slowest:.2f} s while syncing"
        assert "sending" in app.sync_state.progress or "receiving" in app.sync_state.progress
        await until(pilot, lambda: not app.sync_state.running, timeout=60)


async def test_another_sync_holding_the_lock_is_said_quietly(tmp_path, sandbox):
    from ascms_tui.sync.lock import SyncLock

    db = tmp_path / "cases.sqlite3"
    a_caseload(db)
    app = app_for(db, sandbox, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        with SyncLock(db):  # as a cron 'ascms-tui sync' would
            await synced(pilot)
        assert "another sync of this caseload is running" in status_text(app)
        assert app.sync_state.queued == 4 and not [n for n in app._notifications if n.severity == "error"]
        await synced(pilot)
        assert app.sync_state.queued == 0 and "another sync" not in status_text(app)


async def test_offline_is_shown_and_the_queue_kept(tmp_path):
    db = tmp_path / "cases.sqlite3"
    a_caseload(db)
    nothing_listens = {INSTANCE_ENV: "http://127.0.0.1:9", TOKEN_ENV: "t"}
    app = app_for(db, None, tmp_path, environ=nothing_listens)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert status_text(app).startswith("○ Offline · 4 changes to send")
        assert "cannot be reached" in notifications(app)


async def test_signed_in_with_the_device_flow_token_store(tmp_path, sandbox):
    tokens = TokenStore(tmp_path / "config", use_keyring=False)
    tokens.save(device_login(sandbox.base_url, show=lambda code, uri: None, sleep=lambda s: None))
    sandbox.set_faults("expire=every:2")  # the app refreshes the token and keeps the new one
    db = tmp_path / "cases.sqlite3"
    a_caseload(db)
    before = tokens.load().access_token
    app = app_for(db, sandbox, tmp_path, environ={}, tokens=tokens)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await synced(pilot)
        assert app.sync_state.queued == 0 and status_text(app).startswith("● Online")
    assert tokens.load().access_token != before


async def test_the_demo_syncs_only_with_the_training_sandbox(tmp_path):
    db = tmp_path / "cases.sqlite3"
    a_caseload(db)
    real = {INSTANCE_ENV: "https://asp.my.salesforce.com", TOKEN_ENV: "t"}
    app = app_for(db, None, tmp_path, environ=real, sync_sandbox_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        assert "the demo syncs only with the training sandbox" in status_text(app)
        assert app.sync_state.online is None and app.sync_state.queued == 4


# --- the look ----------------------------------------------------------------------------------


def test_snapshot_sync_screen_with_a_set_aside_change_and_a_conflict(tmp_path, sandbox, snap_compare):
    sandbox.set_faults(f"reject=Goals__c:{HOSTILE}")
    db = tmp_path / "cases.sqlite3"
    with Store(db, actor="test-user") as store:
        case = one_conflict(store, sandbox, central="School: he attended Monday [/foo]",
                            mine="Mine: agreed a walking bus")
        store.create(Plan(case_id=case.id, goals=HOSTILE))
        summary = engine_sync(store, sandbox)
        assert (summary.set_aside, summary.conflicts) == (1, 1)
        store.set_sync_value("last_sync_at", "2026-06-30T02:15:00+00:00")

    async def open_sync(pilot):
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)

    app = app_for(db, sandbox, tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_sync)


# --- start-up and settings ---------------------------------------------------------------------


def test_the_sync_line_loads_neither_the_store_nor_the_sync_package_before_the_first_frame(tmp_path):
    # A fresh interpreter: what the app and its first screen import, and building the app and the line.
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from ascms_tui.app import AscmsApp\nimport screens.case_list\n"
        "from widgets.sync_status import SyncStatus, describe_state\n"
        f"app = AscmsApp(db_path=Path({str(tmp_path / 'x.sqlite3')!r}))\n"
        "line, hint = describe_state(app.sync_state)\n"
        "assert not line.plain and not hint.plain\n"
        "print(sorted(m for m in sys.modules if m.startswith(('ascms_tui.sync', 'ascms_tui.store', 'httpx'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"


def test_the_sync_interval_setting_is_checked():
    assert Settings(sync_interval_seconds=0).sync_interval_seconds == 0  # only when asked
    for wrong in (-1, 3601, "60", True):
        with pytest.raises(SettingsError, match="sync_interval_seconds must be a number of seconds from 0"):
            Settings(sync_interval_seconds=wrong)

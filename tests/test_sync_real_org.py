"""Sync against the strict sandbox: the nine ways the old client would have failed a real Salesforce org.

Each test reproduces one problem found reading the client against Salesforce's REST documentation
(issue 14), and holds the fix: real stores, the real sandbox over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import base64
import time
from datetime import UTC, date, datetime

import pytest

from ascms_tui.domain import CaseComment, CaseFile, Event, Task
from ascms_tui.files import attach_file, read_attachment
from ascms_tui.sync.auth import LoginError, device_login
from ascms_tui.sync.client import Session
from ascms_tui.sync.engine import SyncEngine
from ascms_tui.sync.mapping import load_mapping

from .conftest import make_case

MAPPING = load_mapping()
FAST = {"backoff": 0.005, "backoff_cap": 0.05, "max_tries": 3}


def session_of(sandbox) -> Session:
    return Session(instance_url=sandbox.base_url, access_token=sandbox.token)


def sync(store, sandbox, session: Session | None = None, **options):
    options.setdefault("client_options", FAST)
    return SyncEngine(store, session or session_of(sandbox), mapping=MAPPING, **options).run()


def synced_case(store, sandbox):
    case = store.create(make_case())
    assert sync(store, sandbox).exit_code == 0
    return store.get(type(case), case.id)


# 1. Timed Events with no end ---------------------------------------------------------------------


def test_1_an_event_recorded_without_an_end_still_reaches_as_cms_with_a_duration(store, sandbox):
    case = synced_case(store, sandbox)
    # An Event recorded before the form asked for an end (the form now requires one for a timed Event).
    event = store.create(Event(case_id=case.id, subject="Initial School Meeting",
                               start=datetime(2026, 6, 2, 22, tzinfo=UTC), hours=1, minutes=15))
    summary = sync(store, sandbox)
    assert (summary.exit_code, summary.set_aside) == (0, 0)
    [row] = sandbox.query_all(f"SELECT Subject, StartDateTime, EndDateTime, DurationInMinutes FROM Event "
                              f"WHERE Offline_Id__c = '{event.id}'")
    assert (row["DurationInMinutes"], row["EndDateTime"]) == (75, "2026-06-02T23:15:00.000+0000")


# 2. Updates keyed on Id ---------------------------------------------------------------------------


def test_2_updates_go_as_collections_update_never_upsert_on_id(store, sandbox):
    case = synced_case(store, sandbox)
    store.update(type(case), case.id, {"catchment": "Invented Valley"})
    before = sandbox.stats()["requests"]["by_endpoint"]
    summary = sync(store, sandbox)
    assert (summary.exit_code, summary.pushed) == (0, 1)
    subrequests = sandbox.stats()["subrequests"]
    assert subrequests.get("PATCH /composite/sobjects", 0) >= 1
    assert not any(name.endswith("/{sobject}/{id}") and name.startswith("PATCH") for name in subrequests)
    after = sandbox.stats()["requests"]["by_endpoint"]
    assert after.get("PATCH /composite/sobjects/{sobject}/{field}", 0) == before.get(
        "PATCH /composite/sobjects/{sobject}/{field}", 0)
    [row] = sandbox.query_all(f"SELECT Catchment__c FROM Case WHERE Id = '{case.server_id}'")
    assert row["Catchment__c"] == "Invented Valley"


# 3. The pull could miss central changes ---------------------------------------------------------------


def test_3_a_change_in_the_same_second_or_committed_late_is_still_pulled(store, sandbox):
    case = synced_case(store, sandbox)
    event = store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                               end=datetime(2026, 6, 4, 3, tzinfo=UTC)))
    sync(store, sandbox)
    event = store.get(Event, event.id)
    # A school's edit stamped in the same second as what was last pulled...
    sandbox.central_edit("Event", event.server_id, {"Description": "Same second"})
    assert sync(store, sandbox).pulled == 1
    assert store.get(Event, event.id).description == "Same second"
    # ...and one whose transaction committed 50 seconds late, stamped before the last pull.
    time.sleep(1.1)
    sync(store, sandbox)
    edited = sandbox.central_edit("Event", event.server_id, {"Description": "Committed late"}, late_by=50)
    assert edited["SystemModstamp"] < store.pull_cursor("Event")
    summary = sync(store, sandbox)
    assert (summary.pulled, summary.exit_code) == (1, 0)
    assert store.get(Event, event.id).description == "Committed late"
    # Seen again inside the overlap window, nothing changes.
    assert sync(store, sandbox).pulled == 0


def test_3_the_mark_is_when_as_cms_was_last_read_so_a_quiet_briefcase_is_not_read_again_and_again(store, sandbox):
    case = synced_case(store, sandbox)
    [row] = sandbox.query_all(f"SELECT SystemModstamp FROM Case WHERE Id = '{case.server_id}'")
    time.sleep(2.1)
    sync(store, sandbox)
    # Two seconds after the newest record, the mark is AS-CMS's clock at the read, not that record's stamp:
    # the next pull looks back a minute from the read.
    gap = datetime.fromisoformat(store.pull_cursor("Case")) - datetime.fromisoformat(row["SystemModstamp"])
    assert gap.total_seconds() >= 1  # whole seconds on both sides, each rounded down


# 4. Deletions and archived activities ------------------------------------------------------------


def test_4_a_central_deletion_is_taken_in_and_an_archived_event_is_no_false_conflict(store, sandbox):
    case = synced_case(store, sandbox)
    task = store.create(Task(case_id=case.id, subject="Ring the school"))
    event = store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2025, 6, 4, 2, tzinfo=UTC),
                               end=datetime(2025, 6, 4, 3, tzinfo=UTC)))
    sync(store, sandbox)
    task, event = store.get(Task, task.id), store.get(Event, event.id)
    sandbox.central_delete("Task", task.server_id)
    sandbox.central_archive(event.server_id)  # over a year old: Salesforce archives it
    store.update(Event, event.id, {"description": "Added the notes from the visit"})
    summary = sync(store, sandbox)
    assert (summary.conflicts, summary.exit_code, summary.removed) == (0, 0, 1)
    assert store.get(Task, task.id) is None  # deleted in AS-CMS, not edited here: gone here too
    from ascms_tui.sync.commands import describe

    assert "1 record deleted in AS-CMS was removed here too." in describe(summary)
    assert summary.to_json()["removed"] == 1
    [row] = sandbox.query_all(f"SELECT Description FROM Event WHERE Id = '{event.server_id}'", deleted=True)
    assert row["Description"] == "Added the notes from the visit"


def test_4_a_record_deleted_centrally_but_edited_here_is_a_conflict_not_lost(store, sandbox):
    case = synced_case(store, sandbox)
    task = store.create(Task(case_id=case.id, subject="Ring the school"))
    sync(store, sandbox)
    task = store.get(Task, task.id)
    sandbox.central_delete("Task", task.server_id)
    store.update(Task, task.id, {"description": "Rang; left a message"})
    summary = sync(store, sandbox)
    assert (summary.conflicts, summary.exit_code) == (1, 1)
    assert store.get(Task, task.id).description == "Rang; left a message"
    assert [c.kind for c in store.conflicts()] == ["deleted"]


# 5. Files ------------------------------------------------------------------------------------------


def test_5_a_file_is_removed_through_its_content_document(store, sandbox, tmp_path):
    case = synced_case(store, sandbox)
    source = tmp_path / "hui-notes.txt"
    source.write_text("Notes from the hui (invented).", encoding="utf-8")
    record = attach_file(store, case.id, source, "Hui notes", base=tmp_path)
    sync(store, sandbox, files_base=tmp_path)
    server_id = store.get(CaseFile, record.id).server_id
    [version] = sandbox.query_all(f"SELECT ContentDocumentId FROM ContentVersion WHERE Id = '{server_id}'")
    store.delete(CaseFile, record.id)
    summary = sync(store, sandbox, files_base=tmp_path)
    assert (summary.exit_code, summary.set_aside) == (0, 0)
    assert sandbox.query_all(f"SELECT Id FROM ContentDocument WHERE Id = '{version['ContentDocumentId']}'") == []
    assert sandbox.query_all(f"SELECT Id FROM ContentVersion WHERE Id = '{server_id}'") == []


def test_5_a_file_a_school_attached_is_pulled_with_its_content(store, sandbox, tmp_path):
    case = synced_case(store, sandbox)
    data = "Attendance letter from the school (invented).\n".encode() * 20
    sandbox.central_create("ContentVersion", {"Title": "Attendance letter", "PathOnClient": "letter.txt",
                                              "FirstPublishLocationId": case.server_id,
                                              "VersionData": base64.b64encode(data).decode()})
    summary = sync(store, sandbox, files_base=tmp_path)
    assert summary.exit_code == 0
    [pulled] = store.records(CaseFile, case.id)
    assert pulled.file_name == "Attendance letter" and pulled.size_bytes == len(data)
    assert read_attachment(store, pulled, tmp_path) == data


# 6. All-day Events ----------------------------------------------------------------------------------


def test_6_an_all_day_event_keeps_its_nz_date(store, sandbox):
    case = synced_case(store, sandbox)
    event = store.create(Event(case_id=case.id, subject="Whānau Hui", all_day=True, start=date(2026, 3, 5),
                               end=date(2026, 3, 5)))
    assert sync(store, sandbox).exit_code == 0
    [row] = sandbox.query_all(f"SELECT ActivityDate, IsAllDayEvent, DurationInMinutes FROM Event "
                              f"WHERE Offline_Id__c = '{event.id}'")
    assert (row["ActivityDate"], row["IsAllDayEvent"], row["DurationInMinutes"]) == ("2026-03-05", True, 1440)
    # Pulled back into another store, it is still 5 March.
    from ascms_tui.store import Store

    with Store(store.path.with_name("second.sqlite3"), actor="test") as other:
        sync(other, sandbox)
        [back] = other.records(Event, other.find_case(case.case_number).id)
        from ascms_tui.nztime import nz_date

        assert back.all_day and nz_date(back.start) == date(2026, 3, 5)


# 7. Device flow -------------------------------------------------------------------------------------


def test_7_sign_in_sends_scope_handles_slow_down_and_refreshes_with_a_secret(sandbox_factory):
    sandbox = sandbox_factory(auto_approve=False, poll_interval=1, client_secret="invented-secret")
    waits: list[float] = []

    def wait(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:  # the person approves while the app waits
            sandbox._admin("POST", "approve", {"user_code": shown[0]})
        time.sleep(1.05 if len(waits) > 2 else 0)

    shown: list[str] = []
    session = device_login(sandbox.base_url, client_secret="invented-secret", show=lambda code, uri: shown.append(code),
                           sleep=wait)
    assert session.refresh_token  # asked for with scope 'api refresh_token'
    assert waits[:2] == [1, 1] and waits[2] > 1  # slow_down made it wait longer
    # The Connected App requires the secret to refresh: the client sends it.
    sandbox.set_faults("expire=every:1")
    sandbox.api("GET", "query?q=SELECT+Id+FROM+Case", token=session.access_token)  # every token issued expires
    sandbox.set_faults("")
    from ascms_tui.sync.client import NotSignedIn, SalesforceClient

    refreshed: list[Session] = []
    with SalesforceClient(session, on_refresh=refreshed.append, **FAST) as client:
        assert client.query_all("SELECT Id FROM Case") == []
    assert refreshed == [session]
    without = Session(instance_url=session.instance_url, access_token="expired", refresh_token=session.refresh_token)
    with SalesforceClient(without, **FAST) as client, pytest.raises(NotSignedIn):
        client.query_all("SELECT Id FROM Case")


def test_7_an_unregistered_client_id_cannot_sign_in(sandbox):
    with pytest.raises(LoginError, match="invalid_client_id"):
        device_login(sandbox.base_url, client_id="someone-else", show=lambda code, uri: None, sleep=lambda s: None)


# 8. Comment reconciliation -----------------------------------------------------------------------------


def test_8_a_lost_comment_never_takes_the_id_of_one_being_deleted(store, sandbox):
    case = synced_case(store, sandbox)
    first = store.create(CaseComment(case_id=case.id, body="Rang whānau; no answer."))
    sync(store, sandbox)
    first = store.get(CaseComment, first.id)
    # The same words again; its send's answer is lost (the comment is made in AS-CMS all the same).
    second = store.create(CaseComment(case_id=case.id, body="Rang whānau; no answer."))
    sandbox.set_faults("lose=1")
    sync(store, sandbox)
    sandbox.set_faults("")
    store.delete(CaseComment, first.id)
    summary = sync(store, sandbox)
    assert summary.exit_code == 0
    rows = sandbox.query_all(f"SELECT Id, CommentBody FROM CaseComment WHERE ParentId = '{case.server_id}'")
    assert len(rows) == 1  # A deleted, B kept: no note lost, none duplicated
    assert store.get(CaseComment, second.id).server_id == rows[0]["Id"] != first.server_id


# 9. Dropped pulls ------------------------------------------------------------------------------------


def test_9_a_central_record_that_cannot_be_taken_in_keeps_exit_1_until_it_is(store, sandbox):
    case = synced_case(store, sandbox)
    # 30 hours on one Task: AS-CMS's field holds it, this app refuses over 24 for one record.
    task = sandbox.central_create("Task", {"WhatId": case.server_id, "Subject": "Long day", "Time_Spent_Hours__c": 30})
    summary = sync(store, sandbox)
    assert summary.exit_code == 1 and len(summary.skipped) == 1
    from ascms_tui.sync.commands import describe

    assert "Everything is in AS-CMS" not in describe(summary)
    assert [row["server_id"] for row in store.skipped_records()] == [task]
    assert sync(store, sandbox).exit_code == 1  # still not taken in: still exit 1
    sandbox.central_edit("Task", task, {"Time_Spent_Hours__c": 3})
    summary = sync(store, sandbox)
    assert (summary.exit_code, summary.skipped) == (0, [])
    assert store.skipped_records() == []
    [taken] = store.records(Task, case.id)
    assert (taken.subject, taken.hours) == ("Long day", 3)


# Limits and batching -----------------------------------------------------------------------------------


def test_sync_stops_before_the_daily_limit_runs_out(store, sandbox_factory):
    from ascms_tui.domain import Barrier, Contact, InfoRequest

    limit = 40  # 2% of 40 is below 20: a run keeps 20 requests back for the org's other users
    sandbox = sandbox_factory(daily_limit=limit)
    case = synced_case(store, sandbox)
    used = int(sandbox.request("GET", "/services/data/v60.0/limits")[2]["sforce-limit-info"].split("=")[1]
               .split("/")[0])
    for _ in range(limit - 20 - used - 2):  # the org's other users spend most of the rest
        sandbox.api("GET", "query?q=SELECT+Id+FROM+Case")
    # Seven kinds of record: two Composite requests. The first leaves 21, the second would leave 20.
    store.create(Task(case_id=case.id, subject="Call school"))
    store.create(CaseComment(case_id=case.id, body="Left a message"))
    store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                       end=datetime(2026, 6, 4, 3, tzinfo=UTC)))
    store.create(Contact(case_id=case.id, name="Mere Invented", role="Parent / Caregiver"))
    store.create(Barrier(case_id=case.id, category="Transport"))
    store.create(InfoRequest(case_id=case.id, agency="MSD", requested_on=date(2026, 6, 4)))
    store.update(type(case), case.id, {"catchment": "Invented Valley"})
    summary = sync(store, sandbox)
    assert (summary.stopped, summary.exit_code) == ("limit", 2)
    assert "nearly used up" in summary.message
    assert summary.pushed > 0 and summary.queued > 0  # what was not sent is still queued
    status, limits, _ = sandbox.request("GET", "/services/data/v60.0/limits")
    assert status == 200 and limits["DailyApiRequests"]["Remaining"] >= 19  # never ran the org dry


def a_day_of_work(store, session: Session, sandbox) -> tuple[int, int]:
    """Three synced cases, then a day's records on them pushed: (changes queued, HTTP requests of the push).

    A day: each case edited, three Events, a comment, a task, a contact, a plan with a step and
    a barrier on each: about 30 records of seven kinds, parents and children. Also run by
    bench/bench_sync.py.
    """
    from ascms_tui.domain import Barrier, Contact, Plan, PlanStep

    cases = [store.create(make_case(f"0030750{n}")) for n in range(3)]
    assert SyncEngine(store, session, mapping=MAPPING, client_options=FAST).run().exit_code == 0
    cases = [store.get(type(c), c.id) for c in cases]
    for case in cases:
        store.update(type(case), case.id, {"catchment": "Visited today"})
        for n in range(3):
            store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2 + n, tzinfo=UTC),
                               end=datetime(2026, 6, 4, 3 + n, tzinfo=UTC), description="Invented visit"))
        store.create(CaseComment(case_id=case.id, body="Whānau keen to meet."))
        store.create(Task(case_id=case.id, subject="Ring the school", due_date=date(2026, 6, 5)))
        store.create(Contact(case_id=case.id, name="Mere Invented", role="Parent / Caregiver"))
        plan = Plan(case_id=case.id, goals="Attend four days a week", status="In Progress")
        store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="School")])
        store.create(Barrier(case_id=case.id, category="Transport"))
    queued = store.sync_counts()["queued"]
    before = sandbox.stats()["requests"]["total"]
    summary = SyncEngine(store, session, mapping=MAPPING, pull=False, client_options=FAST).run()
    assert (summary.exit_code, summary.queued) == (0, 0)
    return queued, sandbox.stats()["requests"]["total"] - before


def test_a_day_of_work_goes_in_at_most_three_requests(store, sandbox):
    queued, requests = a_day_of_work(store, session_of(sandbox), sandbox)
    assert queued >= 30
    assert requests <= 3

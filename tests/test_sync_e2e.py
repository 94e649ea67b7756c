"""Sync end to end: real stores against the real sandbox server over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ascms_tui.demo import generate_caseload
from ascms_tui.domain import (
    Barrier,
    Case,
    CaseComment,
    Contact,
    Event,
    InfoRequest,
    Plan,
    PlanStep,
    Service,
    Task,
    Ubnf,
)
from ascms_tui.files import attach_file
from ascms_tui.interchange import import_document
from ascms_tui.store import TABLES, Store
from ascms_tui.sync.auth import device_login
from ascms_tui.sync.client import InsecureAddress, Session, check_instance_url
from ascms_tui.sync.engine import SyncEngine
from ascms_tui.sync.lock import SyncLock
from ascms_tui.sync.mapping import load_mapping

from .conftest import make_case

MAPPING = load_mapping()
FAST = {"backoff": 0.005, "backoff_cap": 0.05, "max_tries": 10}


def token_session(sandbox) -> Session:
    return Session(instance_url=sandbox.base_url, access_token=sandbox.token)


def signed_in(sandbox) -> Session:
    """A session from the device flow, with a refresh token (the sandbox approves at once)."""
    return device_login(sandbox.base_url, show=lambda code, uri: None, sleep=lambda s: None)


def sync(store: Store, session: Session, **options):
    options.setdefault("client_options", FAST)
    return SyncEngine(store, session, mapping=MAPPING, **options).run()


def server_records(sandbox, record_type: str, fields: str = "Id") -> list[dict]:
    obj = MAPPING.objects[record_type]
    return sandbox.query_all(f"SELECT {fields} FROM {obj.sobject}")


def every_type(store: Store, files_base) -> Case:
    """One case with a record of every type, made here and never synced."""
    case = store.create(make_case())
    store.create(Contact(case_id=case.id, name="Mere Invented", role="Parent / Caregiver", phone="021 555 0100",
                         details_current=True))
    store.create(Event(case_id=case.id, subject="Initial School Meeting", start=datetime(2026, 6, 2, 22, tzinfo=UTC),
                       description="Met the dean about attendance.", hours=1, minutes=15))
    store.create(Task(case_id=case.id, subject="Call whānau", due_date=date(2026, 6, 5)))
    store.create(CaseComment(case_id=case.id, body="Whānau keen to meet next week.", shared_with_school=True))
    barrier = store.create(Barrier(case_id=case.id, category="Transport", description="No bus from the valley"))
    plan = Plan(case_id=case.id, goals="Attend four days a week", status="In Progress")
    store.create_all([plan, PlanStep(case_id=case.id, plan_id=plan.id, action="Bus pass", responsible="School")])
    store.create(Service(case_id=case.id, kind="NGO", agency="Valley Trust", referred_on=date(2026, 6, 3),
                         barrier_id=barrier.id))
    store.create(Ubnf(case_id=case.id, provided="Bus pass", amount=Decimal("45.50"), provided_on=date(2026, 6, 4),
                      barrier_id=barrier.id))
    store.create(InfoRequest(case_id=case.id, agency="MSD", requested_on=date(2026, 6, 4), request="Address"))
    store.change_status(case.id, "Paused", "Awaiting information")
    document = files_base / "plan-notes.txt"
    document.write_text("Notes from the hui.", encoding="utf-8")
    attach_file(store, case.id, document, "Hui notes", base=files_base)
    return case


# --- push and pull ------------------------------------------------------------------------


def test_every_record_type_reaches_the_sandbox_once_and_comes_back_unchanged(store, sandbox, tmp_path):
    case = every_type(store, tmp_path)
    queued = len(store.open_changes())
    summary = sync(store, token_session(sandbox), files_base=tmp_path)
    assert (summary.pushed, summary.set_aside, summary.conflicts, summary.exit_code) == (queued, 0, 0, 0)
    for record_type, table in TABLES.items():
        local = store.read(f"SELECT id, server_id FROM {table}")
        assert local and all(server_id for _, server_id in local), record_type
        if record_type == "file":
            continue
        server = server_records(sandbox, record_type, "Id")
        assert sorted(r["Id"] for r in server) == sorted(s for _, s in local), record_type
    [event] = sandbox.query_all("SELECT Subject, WhatId, Time_Spent_Hours__c, Time_Spent_Minutes__c, Offline_Id__c FROM Event")
    assert event["Subject"] == "Initial School Meeting" and event["WhatId"] == store.get(Case, case.id).server_id
    assert (event["Time_Spent_Hours__c"], event["Time_Spent_Minutes__c"]) == (1, 15)
    [comment] = sandbox.query_all("SELECT CommentBody, IsPublished, ParentId FROM CaseComment")
    assert comment == {**comment, "CommentBody": "Whānau keen to meet next week.", "IsPublished": True}
    [ubnf] = sandbox.query_all("SELECT Amount__c, Barrier__c FROM UBNF__c")
    assert float(ubnf["Amount__c"]) == 45.5
    assert ubnf["Barrier__c"] == store.records(Barrier, case.id)[0].server_id
    [version] = sandbox.query_all("SELECT Title, FirstPublishLocationId, Offline_Id__c FROM ContentVersion")
    assert version["Title"] == "plan-notes.txt"
    # A second run finds nothing to send, and nothing it sent comes back as a change.
    again = sync(store, token_session(sandbox), files_base=tmp_path)
    assert (again.pushed, again.set_aside, again.conflicts, again.exit_code) == (0, 0, 0, 0)
    assert store.records(Event, case.id)[0].description == "Met the dean about attendance."


def test_central_changes_are_pulled_incrementally_with_paging(store, sandbox):
    case = store.create(make_case())
    sync(store, token_session(sandbox))
    case_id = store.get(Case, case.id).server_id
    for n in range(7):
        sandbox.central_create("CaseComment", {"ParentId": case_id, "CommentBody": f"School note {n}\x1b[31m",
                                               "IsPublished": True})
    engine = SyncEngine(store, token_session(sandbox), mapping=MAPPING, client_options=FAST)
    from ascms_tui.sync import pull

    original = pull.PAGE
    pull.PAGE = 3  # pages of three: the paging path with a handful of records
    try:
        summary = engine.run()
    finally:
        pull.PAGE = original
    assert summary.pulled == 7
    bodies = sorted(c.body for c in store.records(CaseComment, case.id))
    assert bodies == [f"School note {n}" for n in range(7)]  # escape sequences removed
    assert store.open_changes() == []
    # Nothing new centrally: nothing pulled again.
    assert sync(store, token_session(sandbox)).pulled == 0


def test_a_case_joining_the_briefcase_brings_its_older_records(store, sandbox):
    store.create(make_case())
    sync(store, token_session(sandbox))
    other = sandbox.central_create("Case", {"Type": "Non Enrolled", "Status": "Open",
                                           "Referral_Date__c": "2026-06-01", "Student_Name__c": "Tama Invented"})
    sandbox.central_create("Event", {"WhatId": other, "Subject": "Home Visit",
                                     "StartDateTime": "2026-06-03T01:00:00.000+0000", "DurationInMinutes": 45})
    summary = sync(store, token_session(sandbox))
    assert summary.pulled == 2
    [number] = [r["CaseNumber"] for r in sandbox.query_all(f"SELECT CaseNumber FROM Case WHERE Id = '{other}'")]
    joined = store.find_case(number)
    assert joined.student.name == "Tama Invented"
    [event] = store.records(Event, joined.id)
    assert event.subject == "Home Visit" and event.server_id


# --- conflicts -------------------------------------------------------------------------------


def _synced_event(store, sandbox):
    case = store.create(make_case())
    event = store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                               description="Met whānau at home", hours=1))
    sync(store, token_session(sandbox))
    return store.get(Event, event.id)


def test_same_field_changed_on_both_sides_is_held_not_pushed(store, sandbox):
    event = _synced_event(store, sandbox)
    sandbox.central_edit("Event", event.server_id, {"Description": "School: he attended Monday"})
    store.update(Event, event.id, {"description": "Mine: agreed a walking bus"})
    summary = sync(store, token_session(sandbox))
    assert (summary.conflicts, summary.exit_code) == (1, 1)
    [server] = sandbox.query_all(f"SELECT Description FROM Event WHERE Id = '{event.server_id}'")
    assert server["Description"] == "School: he attended Monday"  # nothing pushed over it
    assert store.get(Event, event.id).description == "Mine: agreed a walking bus"
    [conflict] = store.conflicts()
    store.resolve_conflict(conflict.conflict_id, "mine")
    summary = sync(store, token_session(sandbox))
    assert (summary.pushed, summary.conflicts, summary.exit_code) == (1, 0, 0)
    [server] = sandbox.query_all(f"SELECT Description FROM Event WHERE Id = '{event.server_id}'")
    assert server["Description"] == "Mine: agreed a walking bus"


def test_different_fields_changed_on_each_side_merge_both_ways(store, sandbox):
    event = _synced_event(store, sandbox)
    sandbox.central_edit("Event", event.server_id, {"Description": "Edited by a colleague"})
    store.update(Event, event.id, {"minutes": 40})
    summary = sync(store, token_session(sandbox))
    assert (summary.conflicts, summary.exit_code) == (0, 0)
    [server] = sandbox.query_all(
        f"SELECT Description, Time_Spent_Minutes__c FROM Event WHERE Id = '{event.server_id}'")
    assert (server["Description"], server["Time_Spent_Minutes__c"]) == ("Edited by a colleague", 40)
    local = store.get(Event, event.id)
    assert (local.description, local.minutes) == ("Edited by a colleague", 40)


def test_record_deleted_centrally_while_edited_here_is_reported_not_resurrected(store, sandbox):
    event = _synced_event(store, sandbox)
    sandbox.central_delete("Event", event.server_id)
    store.update(Event, event.id, {"minutes": 20})
    summary = sync(store, token_session(sandbox))
    assert (summary.conflicts, summary.exit_code) == (1, 1)
    [conflict] = store.conflicts()
    assert conflict.kind == "deleted" and conflict.record_id == event.id
    assert sandbox.query_all("SELECT Id FROM Event") == []
    # Sent again only when the user says so, as a new record.
    store.resolve_conflict(conflict.conflict_id, "mine")
    assert sync(store, token_session(sandbox)).exit_code == 0
    [again] = sandbox.query_all("SELECT Id, Time_Spent_Minutes__c FROM Event")
    assert again["Id"] != event.server_id and again["Time_Spent_Minutes__c"] == 20


# --- refusals, limits, sign-in -------------------------------------------------------------


def test_a_refused_record_is_set_aside_its_dependants_wait_and_the_rest_goes(store, sandbox):
    sandbox.set_faults("reject=Goals__c:Refuse this plan")
    case = store.create(make_case())
    plan = Plan(case_id=case.id, goals="Refuse this plan")
    step = PlanStep(case_id=case.id, plan_id=plan.id, action="Walk", responsible="Whānau")
    store.create_all([plan, step])
    store.create(Task(case_id=case.id, subject="Call school"))
    summary = sync(store, token_session(sandbox))
    assert (summary.set_aside, summary.exit_code) == (1, 1)
    [aside] = store.set_aside_changes()
    assert aside.record_id == plan.id and "FIELD_CUSTOM_VALIDATION_EXCEPTION" in aside.last_error
    assert [c.record_id for c in store.open_changes() if c.status == "pending"] == [step.id]
    assert len(sandbox.query_all("SELECT Id FROM Task")) == 1
    assert sandbox.query_all("SELECT Id FROM Plan_Step__c") == []
    # The user fixes the plan; it and then its step go.
    store.update(Plan, plan.id, {"goals": "Attend four days a week"})
    summary = sync(store, token_session(sandbox))
    assert (summary.set_aside, summary.exit_code) == (0, 0)
    assert len(sandbox.query_all("SELECT Id FROM Plan_Step__c")) == 1


def test_request_limit_stops_the_run_and_keeps_the_queue(store, sandbox):
    sandbox.set_faults("limit=after:1")
    case = store.create(make_case())
    # Seven kinds of record: more than one Composite request holds (five collections each).
    store.create(Task(case_id=case.id, subject="Call school"))
    store.create(CaseComment(case_id=case.id, body="Left a message"))
    store.create(Event(case_id=case.id, subject="Home Visit", start=datetime(2026, 6, 4, 2, tzinfo=UTC),
                       end=datetime(2026, 6, 4, 3, tzinfo=UTC)))
    store.create(Contact(case_id=case.id, name="Mere Invented", role="Parent / Caregiver"))
    store.create(Barrier(case_id=case.id, category="Transport"))
    store.create(InfoRequest(case_id=case.id, agency="MSD", requested_on=date(2026, 6, 4)))
    summary = sync(store, token_session(sandbox))
    assert (summary.stopped, summary.exit_code) == ("limit", 2)
    assert summary.queued == 7 - summary.pushed > 0  # what was not sent is still queued
    assert "limit" in summary.message


def test_expired_tokens_are_refreshed_and_a_refused_sign_in_stops(store, sandbox, tmp_path):
    sandbox.set_faults("expire=every:3")
    session = signed_in(sandbox)
    saved = []
    every_type(store, tmp_path)
    summary = sync(store, session, files_base=tmp_path, on_refresh=lambda s: saved.append(s.access_token))
    assert summary.exit_code == 0 and saved  # refreshed, and the new token handed over for keeping
    bad = Session(instance_url=sandbox.base_url, access_token="not-a-token")
    store.update(Case, store.cases()[0].id, {"catchment": "Waikato"})
    summary = sync(store, bad)
    assert (summary.stopped, summary.exit_code) == ("signed_out", 2)
    assert "not-a-token" not in (summary.message or "")


def test_offline_is_exit_2_and_keeps_the_queue(store):
    store.create(make_case())
    session = Session(instance_url="http://127.0.0.1:9", access_token="t")  # nothing listens on port 9
    summary = sync(store, session, client_options={"backoff": 0.001, "backoff_cap": 0.002, "max_tries": 2})
    assert (summary.stopped, summary.exit_code, summary.queued) == ("offline", 2, 1)


def test_plain_http_only_for_loopback():
    assert check_instance_url("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
    assert check_instance_url("http://localhost:8765") == "http://localhost:8765"
    assert check_instance_url("https://asp.my.salesforce.com") == "https://asp.my.salesforce.com"
    for url in ("http://asp.my.salesforce.com", "http://10.0.0.5", "ftp://x", "asp.my.salesforce.com"):
        with pytest.raises(InsecureAddress):
            check_instance_url(url)


def test_two_runs_at_once_do_not_both_send(store, sandbox):
    store.create(make_case())
    with SyncLock(store.path):
        summary = sync(store, token_session(sandbox))
    assert (summary.stopped, summary.pushed, summary.requests, summary.exit_code) == ("busy", 0, 0, 1)
    assert sync(store, token_session(sandbox)).exit_code == 0


# --- CaseComment: a create whose answer was lost ----------------------------------------------


def test_comment_sent_without_an_answer_is_reconciled_not_duplicated(store, sandbox):
    case = store.create(make_case())
    sync(store, token_session(sandbox))
    case = store.get(Case, case.id)
    arrived = store.create(CaseComment(case_id=case.id, body="Called Mum: will come Tuesday"))
    lost = store.create(CaseComment(case_id=case.id, body="Called Mum: will come Tuesday"))
    # The first was sent and created, but its answer never came; the second never left.
    status, _ = sandbox.api("POST", "composite/sobjects", {"allOrNone": False, "records": [
        {"attributes": {"type": "CaseComment"}, "ParentId": case.server_id,
         "CommentBody": "Called Mum: will come Tuesday", "IsPublished": False}]})
    assert status == 200
    store.mark_sent("comment", [arrived.id])
    summary = sync(store, token_session(sandbox))
    assert summary.exit_code == 0
    server = sandbox.query_all("SELECT Id FROM CaseComment")
    assert len(server) == 2  # the one that arrived, adopted; the other sent once
    assert sorted(c.server_id for c in store.records(CaseComment, case.id)) == sorted(r["Id"] for r in server)
    assert store.get(CaseComment, lost.id).server_id != store.get(CaseComment, arrived.id).server_id


# --- the 2,000-change fault test ---------------------------------------------------------------


def local_caseload(store: Store, cases: int, per_case: float, files_base) -> int:
    """An invented caseload made here (no server Ids): everything queued as creates."""
    document = generate_caseload(cases, seed=11, today=date(2026, 6, 30), activities_per_case=per_case)
    for case in document["cases"]:
        strip_server_ids(case)
        case["files"] = []
    import_document(store, document, source="fault test")
    files_base.mkdir(parents=True, exist_ok=True)
    for index, case in enumerate(store.cases()[:12]):
        note = files_base / f"note-{index}.txt"
        note.write_text(f"Attendance notes {index}", encoding="utf-8")
        attach_file(store, case.id, note, base=files_base)
    return len(store.open_changes())


def strip_server_ids(item):
    """Remove AS-CMS Ids from a generated caseload document, as if it had been made offline."""
    if isinstance(item, dict):
        item.pop("server_id", None)
        item.pop("server_version", None)
        for value in item.values():
            strip_server_ids(value)
    elif isinstance(item, list):
        for value in item:
            strip_server_ids(value)


def test_fault_test_2000_changes_of_every_type_arrive_exactly_once(store, sandbox_factory, tmp_path):
    faults = "seed=7,lose=0.1,503=0.05,expire=every:40,lock=0.05"
    sandbox = sandbox_factory(faults=faults)
    queued = local_caseload(store, 45, 45, tmp_path)
    assert queued >= 2000
    for record_type, table in TABLES.items():
        assert store.read(f"SELECT COUNT(*) FROM {table}")[0][0] > 0, record_type
    # Some edits and removals before anything is sent fold into the creates.
    events = store.read("SELECT id FROM events LIMIT 60")
    for (event_id,) in events[:50]:
        store.update(Event, event_id, {"minutes": 35})
    for (event_id,) in events[50:]:
        store.delete(Event, event_id)
    session = signed_in(sandbox)
    runs = _sync_until_empty(store, session, tmp_path)
    assert runs <= 10
    stats = sandbox.stats()["faults"]
    assert stats["lost"] and stats["unavailable"] and stats["expired"] and stats["locked"]
    sandbox.set_faults("")  # the checks read without faults
    _assert_exactly_once(store, sandbox)
    sandbox.set_faults(faults.replace("seed=7", "seed=8"))
    # A second wave under the same faults: edits and deletes of synced records.
    for (event_id,) in store.read("SELECT id FROM events LIMIT 150"):
        store.update(Event, event_id, {"description": "Updated after the visit"})
    for (comment_id,) in store.read("SELECT id FROM comments LIMIT 40"):
        store.update(CaseComment, comment_id, {"shared_with_school": True})
    for (task_id,) in store.read("SELECT id FROM tasks LIMIT 30"):
        store.delete(Task, task_id)
    _sync_until_empty(store, session, tmp_path)
    sandbox.set_faults("")
    _assert_exactly_once(store, sandbox)
    updated = sandbox.query_all("SELECT Id FROM Event WHERE Description = 'Updated after the visit'")
    assert len(updated) == 150


def _sync_until_empty(store, session, files_base) -> int:
    for run in range(1, 11):
        summary = sync(store, session, files_base=files_base)
        if summary.exit_code == 0:
            return run
        assert summary.set_aside == 0 and summary.conflicts == 0, store.set_aside_changes()[:3]
    raise AssertionError(f"queue not empty after 10 runs: {store.sync_counts()}")


def _assert_exactly_once(store, sandbox):
    for record_type, table in TABLES.items():
        obj = MAPPING.objects[record_type]
        local = dict(store.read(f"SELECT id, server_id FROM {table}"))
        assert all(local.values()), f"{record_type}: a record without its server Id"
        fields = "Id" + (f", {obj.external_id}" if obj.external_id else "")
        server = sandbox.query_all(f"SELECT {fields} FROM {obj.sobject}")
        assert len(server) == len(local), f"{record_type}: {len(server)} at the server, {len(local)} here"
        assert {r["Id"] for r in server} == set(local.values()), record_type
        if obj.external_id:
            assert {r[obj.external_id]: r["Id"] for r in server} == local, record_type
    # Field values: every comment body and event's time, as sent.
    comments = {r["Id"]: r for r in sandbox.query_all("SELECT Id, CommentBody, IsPublished FROM CaseComment")}
    for server_id, body, shared in store.read("SELECT server_id, body, shared_with_school FROM comments"):
        assert (comments[server_id]["CommentBody"], comments[server_id]["IsPublished"]) == (body, bool(shared))
    events = {r["Id"]: r for r in sandbox.query_all(
        "SELECT Id, Subject, Time_Spent_Hours__c, Time_Spent_Minutes__c, Description FROM Event")}
    for server_id, subject, hours, minutes, description in store.read(
            "SELECT server_id, subject, hours, minutes, description FROM events"):
        row = events[server_id]
        assert (row["Subject"], row["Time_Spent_Hours__c"], row["Time_Spent_Minutes__c"]) == (subject, hours, minutes)
        assert (row["Description"] or "") == description


def test_summary_json_and_exit_codes_from_the_command(tmp_path, sandbox, monkeypatch, capsys):
    from ascms_tui.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("ASCMS_TUI_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("ASCMS_TUI_INSTANCE_URL", raising=False)
    db = tmp_path / "cases.sqlite3"
    with Store(db) as store:
        store.create(make_case())
    assert main(["--db", str(db), "sync", "--json"]) == 2  # not signed in
    capsys.readouterr()
    monkeypatch.setenv("ASCMS_TUI_INSTANCE_URL", sandbox.base_url)
    monkeypatch.setenv("ASCMS_TUI_ACCESS_TOKEN", sandbox.token)
    assert main(["--db", str(db), "sync", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("pushed", "set_aside", "conflicts")} == {"pushed": 1, "set_aside": 0, "conflicts": 0}
    assert summary["requests"] >= 2 and "pulled" in summary

"""Sync bookkeeping in the store: schema 5, server state taken in, merges and conflicts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from ascms_tui.deadlines import deadline_dates
from ascms_tui.domain import Case, CaseComment, Event, Plan, PlanStep
from ascms_tui.schema import LATEST_VERSION, MIGRATIONS
from ascms_tui.store import Store, StoreError
from ascms_tui.sync.mapping import load_mapping

from .conftest import make_case

MAPPING = load_mapping()
EVENT = MAPPING.objects["event"]
CASE = MAPPING.objects["case"]


def synced_case(store: Store, server_id: str = "500000000000001AAA") -> Case:
    case = store.create(make_case())
    [change] = store.open_changes()
    store.record_pushed("case", [(case.id, server_id, [change.change_id])])
    return store.get(Case, case.id)


def synced_event(store: Store, case: Case, server_id: str = "00U000000000001AAA", **fields) -> Event:
    values = {"case_id": case.id, "subject": "Home Visit", "start": datetime(2026, 6, 4, 2, tzinfo=UTC),
                  "description": "Met Aroha and her mum at home.", "hours": 1}
    values.update(fields)
    event = store.create(Event(**values))
    changes = [c for c in store.open_changes() if c.record_id == event.id]
    store.record_pushed("event", [(event.id, server_id, [c.change_id for c in changes])])
    return store.get(Event, event.id)


def server_event(event: Event, case_server_id: str, modstamp: str, **fields) -> dict:
    record = {"attributes": {"type": "Event"}, "Id": event.server_id, "SystemModstamp": modstamp,
              "Offline_Id__c": event.id, "WhatId": case_server_id, "Subject": event.subject,
              "StartDateTime": "2026-06-04T02:00:00.000+0000", "EndDateTime": None, "IsAllDayEvent": False,
              "Description": event.description, "Time_Spent_Hours__c": event.hours,
              "Time_Spent_Minutes__c": event.minutes}
    record.update(fields)
    return record


# --- schema 5 -------------------------------------------------------------------------


def undo_schema_7(conn: sqlite3.Connection) -> None:
    conn.execute("DROP TABLE sync_skipped")


def undo_schema_6(conn: sqlite3.Connection) -> None:
    undo_schema_7(conn)  # a file of schema 6 or older has no schema 7 either
    conn.execute("DROP TABLE local_facts")
    for column in ("due_5", "due_10", "due_15"):
        conn.execute(f"ALTER TABLE case_list DROP COLUMN {column}")


def test_schema_8_stops_counting_a_current_school_contact_for_the_whanau_measures(tmp_path):
    from ascms_tui.domain import Contact

    path = tmp_path / "v7.sqlite3"
    with Store(path, actor="t") as store:
        case = store.create(make_case())
        store.create(Contact(case_id=case.id, name="Invented Dean", role="School staff", details_current=True))
    with sqlite3.connect(path, isolation_level=None) as conn:  # as schema 7 left it: any current contact counted
        conn.execute("UPDATE case_list SET has_current_contact = 1")
        conn.execute("PRAGMA user_version = 7")
    with Store(path, actor="t") as store:
        assert store.schema_version == 8
        [row] = store.case_list_rows()
        assert row.has_current_contact == 0


def test_schema_7_adds_the_skipped_records_table_to_a_schema_6_file(tmp_path):
    path = tmp_path / "v6.sqlite3"
    with Store(path, actor="t") as store:
        store.create(make_case())
    with sqlite3.connect(path, isolation_level=None) as conn:  # the same file as schema 6 wrote it
        undo_schema_7(conn)
        conn.execute("PRAGMA user_version = 6")
    with Store(path, actor="t") as store:
        assert store.schema_version == LATEST_VERSION and len(store.cases()) == 1
        store.record_skipped("Task", "task", {"00T000000000001AAA": "Task 00T000000000001AAA: Hours must be..."})
        assert [r["server_id"] for r in store.skipped_records()] == ["00T000000000001AAA"]
        store.clear_skipped("Task", ["00T000000000001AAA"])
        assert store.skipped_records() == []


def test_schema_6_rebuilds_the_case_list_with_due_dates_keeping_every_case(tmp_path):
    path = tmp_path / "v5.sqlite3"
    with Store(path, actor="t") as store:
        case = store.create(make_case())
    with sqlite3.connect(path, isolation_level=None) as conn:  # the same file as schema 5 wrote it
        undo_schema_6(conn)
        conn.execute("PRAGMA user_version = 5")
    with Store(path, actor="t") as store:
        assert store.schema_version == LATEST_VERSION >= 6
        [row] = store.case_list_rows()
        assert (row.id, row.unsynced) == (case.id, 1)
        assert row.due_15 == deadline_dates(case.referral_date)[15].isoformat()
    assert (tmp_path / "v5.sqlite3.schema-5.bak").exists()


def test_schema_5_adds_sync_tables_to_a_schema_4_file_keeping_its_data(tmp_path):
    path = tmp_path / "v4.sqlite3"
    with Store(path, actor="t") as store:
        store.create(make_case())
    with sqlite3.connect(path, isolation_level=None) as conn:  # the same file as schema 4 wrote it
        for table in ("sync_cursors", "conflicts", "sync_sent", "sync_state"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("DROP INDEX changes_server")
        undo_schema_6(conn)
        conn.execute("PRAGMA user_version = 4")
    with Store(path, actor="t") as store:
        assert store.schema_version == LATEST_VERSION >= 5
        assert len(store.cases()) == 1
        store.set_pull_cursor("Case", "2026-06-30T01:02:03.000+0000")
        assert store.pull_cursor("Case") == "2026-06-30T01:02:03.000+0000"
        store.set_sync_value("last_sync_at", "2026-06-30T01:02:03Z")
        assert store.sync_value("last_sync_at") == "2026-06-30T01:02:03Z"
        assert store.sync_counts() == {"queued": 1, "set_aside": 0, "conflicts": 0}
    assert (tmp_path / "v4.sqlite3.schema-4.bak").exists()
    assert len(MIGRATIONS) == LATEST_VERSION


# --- push bookkeeping ---------------------------------------------------------------


def test_pushed_record_keeps_its_server_id_and_leaves_the_queue(store):
    case = synced_case(store)
    assert case.server_id == "500000000000001AAA"
    assert store.open_changes() == []
    assert store.case_list_rows()[0].unsynced == 0


def test_permanent_refusal_sets_aside_with_the_message_and_an_edit_brings_it_back(store):
    case = store.create(make_case())
    [change] = store.open_changes()
    store.record_push_failed([([change.change_id], "FIELD_CUSTOM_VALIDATION_EXCEPTION: Validation rule", True)])
    [aside] = store.set_aside_changes()
    assert aside.last_error.startswith("FIELD_CUSTOM_VALIDATION_EXCEPTION")
    assert store.sync_counts()["set_aside"] == 1
    store.retry_change(aside.change_id)
    assert store.sync_counts() == {"queued": 1, "set_aside": 0, "conflicts": 0}
    with pytest.raises(StoreError, match="not set aside"):
        store.retry_change(aside.change_id)
    assert store.get(Case, case.id).server_id is None


def test_transient_failure_counts_an_attempt_and_stays_pending(store):
    store.create(make_case())
    [change] = store.open_changes()
    store.record_push_failed([([change.change_id], "UNABLE_TO_LOCK_ROW", False)])
    [after] = store.open_changes()
    assert (after.status, after.attempts, after.last_error) == ("pending", 1, "UNABLE_TO_LOCK_ROW")


# --- pulling ------------------------------------------------------------------------------


def test_a_new_central_record_is_added_with_its_text_cleaned(store):
    case = synced_case(store)
    record = {"Id": "00a000000000009AAA", "SystemModstamp": "2026-06-30T01:00:00.000+0000",
              "CreatedDate": "2026-06-30T01:00:00.000+0000", "ParentId": case.server_id,
              "CommentBody": "From the school:\x1b[2J attendance up\u202e this week", "IsPublished": True}
    result = store.apply_server_records(MAPPING.objects["comment"], [record])
    assert (result.added, result.skipped) == (1, [])
    [comment] = store.records(CaseComment, case.id)
    assert comment.body == "From the school: attendance up this week"
    assert comment.shared_with_school and comment.server_id == "00a000000000009AAA"
    assert store.open_changes() == []  # AS-CMS's state is not queued back to it


def test_a_record_whose_case_is_not_here_is_skipped_with_a_reason(store):
    record = {"Id": "00a000000000009AAA", "SystemModstamp": "2026-06-30T01:00:00.000+0000",
              "ParentId": "500000000000404AAA", "CommentBody": "x", "IsPublished": False}
    result = store.apply_server_records(MAPPING.objects["comment"], [record])
    assert result.added == 0 and "parent" in result.skipped[0]


def test_a_central_value_the_model_refuses_is_skipped_not_stored(store):
    case = synced_case(store)
    event = synced_event(store, case)
    bad = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Time_Spent_Minutes__c=75)
    result = store.apply_server_records(EVENT, [bad])
    assert "Minutes must be from 0 to 59" in result.skipped[0]
    assert store.get(Event, event.id).minutes == 0


def test_central_change_to_an_unedited_record_is_taken(store):
    case = synced_case(store)
    event = synced_event(store, case)
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Description="Updated by the school")
    result = store.apply_server_records(EVENT, [record])
    assert (result.updated, result.conflicts) == (1, 0)
    after = store.get(Event, event.id)
    assert after.description == "Updated by the school"
    assert after.server_version == "2026-06-30T02:00:00.000+0000"
    assert store.open_changes() == []


def test_different_fields_changed_on_each_side_merge(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.update(Event, event.id, {"minutes": 30})
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Description="Edited centrally")
    result = store.apply_server_records(EVENT, [record])
    assert (result.updated, result.conflicts) == (1, 0)
    after = store.get(Event, event.id)
    assert (after.description, after.minutes) == ("Edited centrally", 30)
    [pending] = store.open_changes()
    assert set(pending.changed_fields) == {"minutes"}  # still to push, and only that


def test_same_field_changed_on_both_sides_is_held_as_a_conflict(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.update(Event, event.id, {"description": "Mine: whānau agreed to a plan"})
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Description="Theirs: school note")
    result = store.apply_server_records(EVENT, [record])
    assert result.conflicts == 1
    assert store.get(Event, event.id).description == "Mine: whānau agreed to a plan"
    [conflict] = store.conflicts()
    assert (conflict.field, conflict.local_value, conflict.server_value) == (
        "description", "Mine: whānau agreed to a plan", "Theirs: school note")
    assert store.records_in_conflict() == {event.id}
    # The same central state seen again does not add a second conflict.
    store.apply_server_records(EVENT, [record])
    assert len(store.conflicts()) == 1


def test_same_value_on_both_sides_is_no_conflict(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.update(Event, event.id, {"description": "Same words"})
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Description="Same words")
    assert store.apply_server_records(EVENT, [record]).conflicts == 0


def _conflicted(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.update(Event, event.id, {"description": "Mine", "minutes": 15})
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000", Description="Theirs")
    store.apply_server_records(EVENT, [record])
    [conflict] = store.conflicts()
    return case, event, record, conflict


def test_take_theirs_writes_their_value_and_drops_that_field_from_the_queue(store):
    _case, event, _record, conflict = _conflicted(store)
    store.resolve_conflict(conflict.conflict_id, "theirs")
    after = store.get(Event, event.id)
    assert (after.description, after.minutes) == ("Theirs", 15)
    [pending] = store.open_changes()
    assert set(pending.changed_fields) == {"minutes"}
    assert store.conflicts() == [] and store.records_in_conflict() == set()


def test_keep_mine_is_pushed_and_a_newer_central_edit_conflicts_again(store):
    case, event, record, conflict = _conflicted(store)
    store.resolve_conflict(conflict.conflict_id, "mine")
    assert store.conflicts() == []
    # The same central value again: the user already chose, so no new conflict.
    assert store.apply_server_records(EVENT, [record]).conflicts == 0
    # A further central edit before ours is pushed: a new conflict.
    newer = server_event(event, case.server_id, "2026-06-30T03:00:00.000+0000", Description="Theirs again")
    assert store.apply_server_records(EVENT, [newer]).conflicts == 1


def test_edit_value_saves_a_third_value_as_a_journalled_change(store):
    _case, event, record, conflict = _conflicted(store)
    store.resolve_conflict(conflict.conflict_id, "edit", "Both: school note and whānau plan")
    assert store.get(Event, event.id).description == "Both: school note and whānau plan"
    assert store.open_changes()[-1].changed_fields["description"]["new"] == "Both: school note and whānau plan"
    assert store.apply_server_records(EVENT, [record]).conflicts == 0


def test_central_deletion_of_a_locally_edited_record_is_reported(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.update(Event, event.id, {"minutes": 45})
    assert store.record_central_deletions("event", [event.id]) == 1
    assert store.record_central_deletions("event", [event.id]) == 0  # reported once
    [conflict] = store.conflicts()
    assert conflict.kind == "deleted"
    store.resolve_conflict(conflict.conflict_id, "mine")
    again = store.get(Event, event.id)
    assert again.server_id is None and again.minutes == 45
    [create] = store.open_changes()
    assert create.operation == "create"


def test_central_deletion_taken_removes_the_record_here(store):
    case = synced_case(store)
    plan = Plan(case_id=case.id, goals="Back to school")
    step = PlanStep(case_id=case.id, plan_id=plan.id, action="Walk to school", responsible="Whānau")
    store.create_all([plan, step])
    store.record_central_deletions("plan", [plan.id])
    [conflict] = store.conflicts()
    store.resolve_conflict(conflict.conflict_id, "theirs")
    assert store.get(Plan, plan.id) is None and store.get(PlanStep, step.id) is None
    assert store.open_changes() == []


def test_a_record_deleted_here_is_not_brought_back_by_a_pull(store):
    case = synced_case(store)
    event = synced_event(store, case)
    store.delete(Event, event.id)
    record = server_event(event, case.server_id, "2026-06-30T02:00:00.000+0000")
    assert store.apply_server_records(EVENT, [record]).added == 0
    assert store.get(Event, event.id) is None


def test_a_comment_sent_without_an_answer_is_recognised_not_duplicated(store):
    case = synced_case(store)
    comment = store.create(CaseComment(case_id=case.id, body="Phoned whānau", shared_with_school=True))
    store.mark_sent("comment", [comment.id])
    record = {"Id": "00a000000000001AAA", "SystemModstamp": "2026-06-30T01:00:00.000+0000",
              "ParentId": case.server_id, "CommentBody": "Phoned whānau", "IsPublished": True}
    result = store.apply_server_records(MAPPING.objects["comment"], [record])
    assert result.added == 0
    [only] = store.records(CaseComment, case.id)
    assert only.server_id == "00a000000000001AAA"
    assert store.open_changes() == [] and store.sync_sent("comment") == {}


def test_a_central_case_clashing_with_a_local_case_number_is_skipped_not_fatal(store):
    store.create(make_case("00307473"))
    clash = {"Id": "500000000000777AAA", "SystemModstamp": "2026-06-30T01:00:00.000+0000", "CaseNumber": "00307473",
             "Type": "Chronic Absence", "Status": "Open", "Referral_Date__c": "2026-06-01",
             "Student_Name__c": "Another Invented"}
    fine = {**clash, "Id": "500000000000778AAA", "CaseNumber": "00307474"}
    result = store.apply_server_records(CASE, [clash, fine])
    assert result.added == 1 and "clashes" in result.skipped[0]
    assert store.find_case("00307474").server_id == "500000000000778AAA"

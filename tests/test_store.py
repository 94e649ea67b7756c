"""The store: every write and its journal row in one transaction."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlite_utils

from ascms_tui.domain import (
    CASE_RECORD_TYPES,
    INITIAL_SCHOOL_MEETING,
    Barrier,
    Case,
    CaseComment,
    Event,
    Plan,
    PlanStep,
    Service,
)
from ascms_tui.schema import LATEST_VERSION
from ascms_tui.store import (
    TABLES,
    NewerSchemaError,
    RecordInvalid,
    Store,
    StoreError,
    migrate,
)

from .conftest import make_case

ROOT = Path(__file__).resolve().parents[1]
V1_FIXTURE = Path(__file__).with_name("data") / "schema_v1.sqlite3"


def _event(case: Case, **overrides) -> Event:
    fields = dict(case_id=case.id, subject=INITIAL_SCHOOL_MEETING, start="2026-06-04T14:00:00+12:00",
                  end="2026-06-04T15:00:00+12:00", hours=1, minutes=30)
    return Event(**{**fields, **overrides})


def _raw_count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_create_writes_record_and_journal_row(store):
    case = store.create(make_case())
    event = store.create(_event(case))

    assert store.get(Event, event.id) == event
    changes = store.changes()
    assert [(c.record_type, c.record_id, c.operation) for c in changes] == [
        ("case", case.id, "create"),
        ("event", event.id, "create"),
    ]
    created = changes[1]
    assert created.case_id == case.id
    assert created.changed_fields["subject"] == {"old": None, "new": INITIAL_SCHOOL_MEETING}
    assert created.changed_fields["minutes"] == {"old": None, "new": 30}
    assert created.actor == "test-user"
    assert created.status == "pending"
    assert created.created_at.endswith("+00:00")


def test_update_journals_only_changed_fields_with_old_and_new(store):
    case = store.create(make_case())
    event = store.create(_event(case))
    store.update(Event, event.id, {"description": "Met with attendance lead.", "minutes": 45, "hours": 1})

    last = store.changes()[-1]
    assert last.operation == "update"
    assert last.changed_fields == {
        "minutes": {"old": 30, "new": 45},
        "description": {"old": "", "new": "Met with attendance lead."},
    }
    assert store.get(Event, event.id).minutes == 45


def test_update_without_difference_writes_nothing(store):
    case = store.create(make_case())
    before = len(store.changes())
    store.update(Case, case.id, {"status": case.status})
    assert len(store.changes()) == before


def test_update_records_last_known_server_version(store):
    case = store.create(make_case(server_id="500AA00000ABCDEF12", server_version="2026-06-01T00:00:00Z"))
    store.update(Case, case.id, {"case_owner": "Mere Invented"})
    assert store.changes()[-1].base_version == "2026-06-01T00:00:00Z"
    assert store.changes()[-1].server_id == "500AA00000ABCDEF12"


def test_update_of_nested_student_field_merges(store):
    case = store.create(make_case())
    updated = store.update(Case, case.id, {"student": {"known_as": "Aroha"}})
    assert updated.student.name == "Aroha Invented"
    assert store.changes()[-1].changed_fields == {"student_known_as": {"old": "Ro", "new": "Aroha"}}


def test_invalid_update_is_refused_and_nothing_changes(store):
    case = store.create(make_case())
    event = store.create(_event(case))
    before = store.changes()
    with pytest.raises(RecordInvalid) as refused:
        store.update(Event, event.id, {"minutes": 75})
    assert "Minutes must be from 0 to 59 (got 75)" in str(refused.value)
    assert store.get(Event, event.id).minutes == 30
    assert store.changes() == before


def test_identity_cannot_be_edited(store):
    case = store.create(make_case())
    with pytest.raises(StoreError, match="id of a Case cannot be changed"):
        store.update(Case, case.id, {"id": "3f2b8c1e-4a7d-4c2a-9b1e-0d5f6a7b8c9d"})


def test_delete_is_journalled_with_the_old_values(store):
    case = store.create(make_case())
    comment = store.create(CaseComment(case_id=case.id, body="Caregiver phoned to confirm Thursday."))
    store.delete(CaseComment, comment.id)

    assert store.get(CaseComment, comment.id) is None
    last = store.changes()[-1]
    assert (last.operation, last.record_id) == ("delete", comment.id)
    assert last.changed_fields["body"] == {"old": "Caregiver phoned to confirm Thursday.", "new": None}


def test_deleting_a_plan_removes_and_journals_its_steps(store):
    case = store.create(make_case())
    plan = store.create(Plan(case_id=case.id, goals="Attend every morning"))
    step = store.create(PlanStep(case_id=case.id, plan_id=plan.id, action="Morning routine", responsible="Whānau"))
    store.delete(Plan, plan.id)
    ops = [(c.record_type, c.record_id, c.operation) for c in store.changes()[-2:]]
    assert ops == [("plan_step", step.id, "delete"), ("plan", plan.id, "delete")]


def test_deleting_a_barrier_unlinks_services_with_a_journalled_update(store):
    case = store.create(make_case())
    barrier = store.create(Barrier(case_id=case.id, category="Transport"))
    service = store.create(Service(case_id=case.id, kind="NGO", agency="Invented Trust",
                                   referred_on="2026-06-05", barrier_id=barrier.id))
    store.delete(Barrier, barrier.id)
    assert store.get(Service, service.id).barrier_id is None
    unlink = [c for c in store.changes() if c.record_id == service.id and c.operation == "update"]
    assert unlink[0].changed_fields == {"barrier_id": {"old": barrier.id, "new": None}}


def test_case_with_records_cannot_be_deleted(store):
    case = store.create(make_case())
    store.create(_event(case))
    with pytest.raises(StoreError, match="still has records"):
        store.delete(Case, case.id)
    assert store.get(Case, case.id) is not None


def test_child_of_unknown_case_is_refused(store):
    orphan = _event(make_case())
    with pytest.raises(StoreError, match="No case with id"):
        store.create(orphan)
    assert store.changes() == []


def test_duplicate_case_number_is_refused(store):
    store.create(make_case("00300001"))
    with pytest.raises(StoreError, match="00300001 is already in this store"):
        store.create(make_case("00300001"))


def test_failure_between_record_and_journal_leaves_neither(store, tmp_path):
    # A journal write that fails after the record's INSERT has run: the
    # transaction must take the record back with it.
    case = store.create(make_case())
    with sqlite3.connect(store.path) as conn:
        conn.execute("CREATE TRIGGER journal_fails BEFORE INSERT ON changes "
                     "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        store.create(_event(case))
    assert store.records(Event, case.id) == []
    assert len(store.changes()) == 1  # only the case's own create


_CRASH_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from ascms_tui.store import Store
    from ascms_tui.domain import Event, CaseComment

    store = Store({db!r})
    case = store.find_case("00307473")
    kill_before = {kill_before!r}

    def die_at(statement):
        # Runs as SQLite begins each statement: the process dies mid-transaction.
        if statement.lstrip().upper().startswith(kill_before):
            os._exit(17)

    store._conn.set_trace_callback(die_at)
    operation = {operation!r}
    if operation == "create":
        store.create(Event(case_id=case.id, subject="Home Visit", start="2026-06-05T10:00:00+12:00"))
    elif operation == "update":
        event = store.records(Event, case.id)[0]
        store.update(Event, event.id, {{"description": "Typed in the car park"}})
    else:
        event = store.records(Event, case.id)[0]
        store.delete(Event, event.id)
    os._exit(0)
""")


@pytest.mark.parametrize("operation", ["create", "update", "delete"])
@pytest.mark.parametrize("kill_before", ["INSERT INTO CHANGES", "COMMIT"])
def test_crash_between_statements_leaves_record_and_journal_consistent(tmp_path, operation, kill_before):
    db = tmp_path / "crash.sqlite3"
    with Store(db) as setup:
        case = setup.create(make_case())
        existing = setup.create(_event(case))
        journal_before = len(setup.changes())
        event_before = setup.get(Event, existing.id)

    script = _CRASH_SCRIPT.format(root=str(ROOT), db=str(db), kill_before=kill_before, operation=operation)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 17, result.stderr  # it really died mid-write

    with Store(db) as after:
        assert len(after.changes()) == journal_before
        events = after.records(Event, case.id)
        assert events == [event_before]
        assert after.changes()[-1].record_id == existing.id


def test_crash_after_commit_keeps_both(tmp_path):
    db = tmp_path / "crash.sqlite3"
    with Store(db) as setup:
        setup.create(make_case())
    script = _CRASH_SCRIPT.format(root=str(ROOT), db=str(db), kill_before="NEVER", operation="create")
    script = script.replace("os._exit(0)", "os._exit(17)")  # die after the commit instead
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 17, result.stderr
    with Store(db) as after:
        case = after.find_case("00307473")
        assert [e.subject for e in after.records(Event, case.id)] == ["Home Visit"]
        assert after.changes()[-1].operation == "create"
        assert after.changes()[-1].record_type == "event"


# --- schema and migrations ---------------------------------------------------------


def test_new_file_is_at_latest_schema_with_wal_and_foreign_keys(store):
    assert store.schema_version == LATEST_VERSION
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_every_model_field_has_a_column():
    # A field added to a model without a migration would fail at the first save.
    db = sqlite_utils.Database(memory=True)
    migrate(db.conn)
    for model in (Case, *CASE_RECORD_TYPES):
        columns = set(db[TABLES[model.record_type]].columns_dict)
        fields = set(model.model_fields)
        for name, info in model.model_fields.items():
            nested = getattr(info.annotation, "model_fields", None)
            if nested:
                fields.remove(name)
                fields |= {f"{name}_{sub}" for sub in nested}
        assert fields <= columns, (model.__name__, fields - columns)


def test_old_file_is_migrated_forward_with_its_data(tmp_path):
    old = tmp_path / "laptop.sqlite3"
    shutil.copy(V1_FIXTURE, old)
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1

    with Store(old, actor="case-manager") as store:
        assert store.schema_version == LATEST_VERSION
        case = store.find_case("00400001")
        assert case.student.known_as == "Tama"
        assert case.school.name == "Kōwhai Valley School"
        [event] = store.records(Event, case.id)
        assert (event.subject, event.hours, event.minutes) == (INITIAL_SCHOOL_MEETING, 1, 30)
        [old_change] = store.changes()
        assert old_change.actor is None  # not recorded before schema 2
        # Schema 2 features work on the migrated file.
        store.save_draft("event:new", "event", {"description": "half-typed"}, case_id=case.id)
        assert store.drafts()[0].content == {"description": "half-typed"}
        store.update(Event, event.id, {"minutes": 40})
        assert store.changes()[-1].actor == "case-manager"

    backup = old.with_name("laptop.sqlite3.schema-1.bak")
    assert backup.exists()
    assert _raw_count(backup, "events") == 1
    with sqlite3.connect(backup) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_file_from_a_newer_app_is_refused_untouched(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    before = newer.read_bytes()
    with pytest.raises(NewerSchemaError, match="newer ascms-tui"):
        Store(newer)
    assert newer.read_bytes() == before


def test_drafts_survive_reopening(tmp_path):
    db = tmp_path / "drafts.sqlite3"
    with Store(db) as store:
        store.save_draft("comment:new", "comment", {"body": "Whānau hui went well"})
        store.save_draft("comment:new", "comment", {"body": "Whānau hui went well, next"})
    with Store(db) as store:
        [draft] = store.drafts()
        assert draft.content == {"body": "Whānau hui went well, next"}
        store.discard_draft("comment:new")
        assert store.drafts() == []


# --- the case list -------------------------------------------------------------------


def test_case_list_row_follows_every_write(store):
    from datetime import date

    from ascms_tui.domain import INITIAL_WHANAU_MEETING, Contact

    case = store.create(make_case())
    [row] = store.case_list_rows()
    assert (row.case_number, row.student, row.student_name) == ("00307473", "Ro", "Aroha Invented")
    assert (row.school_meeting_day, row.whanau_meeting_day, row.has_current_contact) == (None, None, False)
    assert row.referral_day == date(2026, 6, 1)
    assert row.unsynced == 1

    # 23:30 UTC on 4 June is 11:30 am on 5 June in New Zealand: the list shows the NZ date.
    later = store.create(_event(case, start="2026-06-04T23:30:00+00:00", end=None))
    earlier = store.create(_event(case, start="2026-06-03T10:00:00+12:00", end=None))
    store.create(_event(case, subject="Initial Whanau Meeting", start="2026-06-02T10:00:00+12:00", end=None))
    [row] = store.case_list_rows()
    assert row.school_meeting_day == date(2026, 6, 3)
    assert row.whanau_meeting_day is None  # not the exact subject

    store.delete(Event, earlier.id)
    assert store.case_list_rows()[0].school_meeting_day == date(2026, 6, 5)
    store.update(Event, later.id, {"subject": INITIAL_WHANAU_MEETING})
    [row] = store.case_list_rows()
    assert (row.school_meeting_day, row.whanau_meeting_day) == (None, date(2026, 6, 5))

    contact = store.create(Contact(case_id=case.id, name="Hine Invented", role="Parent / Caregiver"))
    assert not store.case_list_rows()[0].has_current_contact
    store.update(Contact, contact.id, {"details_current": True})
    assert store.case_list_rows()[0].has_current_contact
    store.update(Case, case.id, {"status": "Paused", "student": {"known_as": None}})
    [row] = store.case_list_rows()
    assert (row.status, row.student) == ("Paused", "Aroha Invented")
    assert row.unsynced == len(store.changes(case_id=case.id))


def test_case_list_is_rebuilt_when_out_of_step(tmp_path):
    db = tmp_path / "cases.sqlite3"
    with Store(db) as store:
        case = store.create(make_case())
        store.create(_event(case))
        expected = store.case_list_rows()
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM case_list")
    with Store(db) as store:
        assert store.case_list_rows() == expected


def test_migrated_file_gets_its_case_list(tmp_path):
    from datetime import date

    old = tmp_path / "laptop.sqlite3"
    shutil.copy(V1_FIXTURE, old)
    with Store(old) as store:
        [row] = store.case_list_rows()
        assert row.case_number == "00400001"
        assert row.school_meeting_day == date(2026, 5, 6)
        assert row.unsynced == 1


def test_new_database_files_are_private(tmp_path):
    db = tmp_path / "private.sqlite3"
    with Store(db) as store:
        store.create(make_case())
        modes = {p.name: oct(p.stat().st_mode & 0o777) for p in tmp_path.glob("private.sqlite3*")}
    assert modes["private.sqlite3"] == "0o600"
    assert modes.get("private.sqlite3-wal", "0o600") == "0o600"

"""Audit history: every change to a record, with who, when and each field's old and new value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ascms_tui.audit import case_history, display_value, field_label, history
from ascms_tui.domain import INITIAL_SCHOOL_MEETING, Event

from .conftest import make_case


def _event(case, **overrides):
    fields = {"case_id": case.id, "subject": "Home Visit", "start": "2026-06-04T14:00:00+12:00",
                  "description": "Typed 2026-06-04 as text"}
    return Event(**{**fields, **overrides})


def test_a_record_history_names_who_when_and_each_field(store):
    started = datetime.now(UTC) - timedelta(seconds=2)
    case = store.create(make_case())
    event = store.create(_event(case))
    store.update(Event, event.id, {"subject": INITIAL_SCHOOL_MEETING, "hours": 1})
    store.delete(Event, event.id)

    created, changed, deleted = history(store, event.id)
    assert [e.operation_text for e in (created, changed, deleted)] == ["Created", "Changed", "Deleted"]
    assert {e.who for e in (created, changed, deleted)} == {"test-user"}
    assert all(started <= e.when <= datetime.now(UTC) for e in (created, changed, deleted))
    assert created.record_label == "Event" and created.sync_text == "waiting to sync"

    by_label = {f.label: (f.old_text, f.new_text) for f in created.fields}
    assert by_label["Subject"] == ("(empty)", "Home Visit")
    assert by_label["Start Date Time"] == ("(empty)", "4/06/2026, 2:00 pm")
    assert by_label["Description"] == ("(empty)", "Typed 2026-06-04 as text")  # text is never reformatted

    # Only the fields that changed, in the order the form shows them.
    assert [(f.label, f.old_text, f.new_text) for f in changed.fields] == [
        ("Hours", "0", "1"), ("Subject", "Home Visit", INITIAL_SCHOOL_MEETING),
    ]
    assert {f.label: f.old_text for f in deleted.fields}["Subject"] == INITIAL_SCHOOL_MEETING
    assert all(f.new is None for f in deleted.fields)


def test_case_history_covers_the_case_and_all_its_records_in_order(store):
    case = store.create(make_case())
    store.update(type(case), case.id, {"student": {"name": "Aroha Renamed", "date_of_birth": "2014-03-02"}})
    event = store.create(_event(case))
    entries = case_history(store, case.id)
    assert [(e.record_type, e.operation) for e in entries] == [("case", "create"), ("case", "update"), ("event", "create")]
    assert [e.change_id for e in entries] == sorted(e.change_id for e in entries)
    rename = {f.label: (f.old_text, f.new_text) for f in entries[1].fields}
    assert rename == {"Student name": ("Aroha Invented", "Aroha Renamed"), "Date of birth": ("(empty)", "2/03/2014")}
    assert history(store, event.id)[0].record_id == event.id
    assert history(store, "no-such-record") == []


def test_labels_and_values_read_as_a_person_would():
    assert field_label("case", "student_date_of_birth") == "Date of birth"
    assert field_label("event", "all_day") == "All-Day Event"
    assert field_label("event", "some_future_column") == "Some future column"
    assert display_value("event", "all_day", True) == "Yes"
    assert display_value("task", "due_date", "2026-06-30") == "30/06/2026"
    assert display_value("task", "due_date", "not a date") == "not a date"
    assert display_value("comment", "body", "[b]literal[/b]") == "[b]literal[/b]"
